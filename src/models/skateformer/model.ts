/**
 * SkateFormer: Skeletal-Temporal Transformer (Do & Kim, ECCV 2024), re-implemented from the
 * paper and the official code (KAIST-VICLab/SkateFormer, model/SkateFormer.py and the released
 * config/train/*.yaml).
 *
 * Where the paper's method lives in this file, top to bottom (the paper's names; function in
 * backticks):
 *   Input                 persons flattened person-major into the token axis, joints in the
 *                         regrouped order of src/graph `skateformerJointOrder` (NTU 2 × 24 = 48).
 *   Stem                  three 1×1 convs Cin → 2Cin → 3Cin → C with GELU, as linears.    `stem`
 *   Skate-Embedding       fixed sinusoid of index_t ⊗ learned joint-person table, per channel;
 *                         or a learned (T, V, C) table when indexT is off.   `skateEmbedding`
 *   Overall architecture  stages of SkateFormer blocks; stages 2… start with PatchMergingTconv
 *                         (K×1 conv, stride 2, then BatchNorm): T halves, V never.  `patchMerging`
 *   SkateFormer block     pre-LN → Linear(C, 2C) → [G-Conv C/4 | T-Conv C/4 | Skate-MSA 4 × 3C/8]
 *                         → concat (C) → Linear(C, C) → residual; LN → MLP → residual.
 *                                                                 `skateFormerBlock`, `mapping`
 *     G-Conv              heads/4 learned V×V matrices, no softmax, no skeleton prior.  `gConv`
 *     T-Conv              K×1 conv with heads/4 groups.                                 `tConv`
 *     Skate-Type          four partitions (neighbouring / distant joints × local / global
 *     partitions          frames) as gathers with src/graph's index tables (`skateTypePartition`,
 *                         `inversePartition`).                                   `skateBranch`
 *     Skate-MSA           multi-head attention inside each window of one Skate-Type, with the
 *                         relative bias of `relativeBiasIndex`.  `skateAttention`, `relativeBias`
 *   Head                  mean over (T, V) → Linear(C_last, classes).           `createSkateFormer`
 *
 * Official-code behaviour kept on purpose (so official weights and numbers carry over):
 *   - attention scale is (heads per branch)^−0.5 (0.5 with 4 heads), not head_dim^−0.5;
 *   - each branch's 3C/8 chunk of the mapping output is used directly as q | k | v: there is no
 *     per-branch qkv projection and no per-branch output projection (only the shared proj);
 *   - types 1/3 bias tiling: with biasMode 'official' a token reads row (index mod N) of the N×N
 *     frame-offset table, which for N = L is the joint offset (see relativeBiasIndex);
 *     biasMode 'frame-offset' is the paper's description;
 *   - the relative-bias tables are weight-decayed: `no_weight_decay()` lists them, but main.py
 *     hands every parameter to AdamW, so they are marked decay: true here. (That AdamW also
 *     decays vectors, biases and LayerNorm; the store leaves vectors to the trainer's policy.)
 *   - the merging conv keeps its bias although BatchNorm follows (it counts in the 3.616M);
 *   - drop path rises linearly over all blocks (torch.linspace(0, rate, blocks)), the same rate
 *     on both residuals of a block; proj dropout (`drop`, 0 in every config) is left out;
 *   - PyTorch default init (U(±1/√fan_in) for linears and convs), trunc-normal 0.02 for G-Conv,
 *     bias tables and embeddings; BatchNorm γ = 1, β = 0, running mean 0, variance 1.
 *
 * Layout: channels-last [B, T, V, C] throughout. Linear weights are [Cin, Cout] and temporal
 * conv weights [K, Cin / groups, Cout] (PyTorch's, transposed); G-Conv matrices are [heads/4, V, V]
 * as in PyTorch; the joint-person table is [V, C] (PyTorch (C, V)).
 *
 * Speed, tfjs wasm backend on the 2-core project machine, eval forward, ops.ts as first made fast
 * (CPU time of the forward; wall time matched it when a core was free, the machine being shared):
 *   ntu       B = 1  ≈ 0.6 s      B = 16 ≈ 11 s      (3.6 GMAC per clip)
 *   realtime  B = 1  ≈ 20 ms (64 frames, widths 32/64; bench/model.ts measures it)
 * Eval forwards hold one block's intermediates at a time (a tidy scope per block).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/random.js';
import {
  getLayout,
  inversePartition,
  relativeBiasIndex,
  skateformerJointOrder,
  skateTypePartition,
  skateTypeSizes,
  type BiasIndexMode,
  type SkateType,
} from '../../graph/index.js';
import * as ops from '../ops.js';
import { ParameterStore } from '../params.js';
import type { ForwardOptions, ModelBatch, ModelOutput, SkeletonModel, StageInfo } from '../types.js';
import {
  parseSkateFormerConfig,
  skateFormerGeometry,
  type SkateFormerConfig,
  type SkateFormerConfigInput,
} from './config.js';

type V1 = tf.Variable<tf.Rank.R1>;
type V2 = tf.Variable<tf.Rank.R2>;
type V3 = tf.Variable<tf.Rank.R3>;

// ---------------------------------------------------------------------------------------------
// Parameters (PyTorch default initialisation)
// ---------------------------------------------------------------------------------------------

export interface LinearParams {
  readonly w: V2; // [Cin, Cout]
  readonly b: V1; // [Cout]
}

export interface NormParams {
  readonly gamma: V1;
  readonly beta: V1;
}

export interface ConvParams {
  readonly w: V3; // [K, Cin / groups, Cout]
  readonly b: V1;
}

const TRUNC_02 = { kind: 'truncNormal', std: 0.02 } as const;

function addLinear(store: ParameterStore, name: string, cin: number, cout: number): LinearParams {
  const bound = 1 / Math.sqrt(cin);
  return {
    w: store.add(`${name}.w`, [cin, cout], { kind: 'uniform', bound }) as V2,
    b: store.add(`${name}.b`, [cout], { kind: 'uniform', bound }) as V1,
  };
}

function addLayerNorm(store: ParameterStore, name: string, C: number): NormParams {
  return {
    gamma: store.add(`${name}.gamma`, [C], { kind: 'ones' }) as V1,
    beta: store.add(`${name}.beta`, [C], { kind: 'zeros' }) as V1,
  };
}

function addTemporalConv(
  store: ParameterStore,
  name: string,
  K: number,
  cin: number,
  cout: number,
  groups: number,
): ConvParams {
  const bound = 1 / Math.sqrt((cin / groups) * K);
  return {
    w: store.add(`${name}.w`, [K, cin / groups, cout], { kind: 'uniform', bound }) as V3,
    b: store.add(`${name}.b`, [cout], { kind: 'uniform', bound }) as V1,
  };
}

function addBatchNorm(store: ParameterStore, name: string, C: number): ops.BatchNormState {
  return {
    gamma: store.add(`${name}.gamma`, [C], { kind: 'ones' }),
    beta: store.add(`${name}.beta`, [C], { kind: 'zeros' }),
    movingMean: store.add(`${name}.movingMean`, [C], { kind: 'zeros' }, { trainable: false }),
    movingVariance: store.add(`${name}.movingVariance`, [C], { kind: 'ones' }, { trainable: false }),
  };
}

// ---------------------------------------------------------------------------------------------
// Run context: training flag and per-call dropout seeds
// ---------------------------------------------------------------------------------------------

/** Training flag and a deterministic stream of dropout seeds for one forward pass. */
export interface RunContext {
  readonly training: boolean;
  nextSeed(): number;
}

/** Dropout seeds one block draws (four attention branches, two drop paths). */
const SEEDS_PER_BLOCK = 6;

/**
 * A context that hands out a fixed list of seeds, from the start on each `fresh()` copy: a
 * checkpointed block recomputed in the backward pass draws the same dropout masks again.
 */
function fixedSeeds(training: boolean, seeds: readonly number[]): { fresh(piece?: number): RunContext } {
  return {
    fresh(piece = 0) {
      let k = 0;
      // Piece 0 (the whole batch when it is not split) keeps the block's seeds; other pieces of
      // a split batch mix in their index, so their masks are not copies of piece 0's.
      return {
        training,
        nextSeed: () =>
          piece === 0
            ? seeds[k++ % seeds.length]
            : (Math.imul(seeds[k++ % seeds.length] ^ 0x5bd1e995, piece + 1) ^ (piece * 0x27d4eb2f)) >>> 0,
      };
    },
  };
}

/**
 * Memory bounds in activations of a block's input (batch · frames · tokens · channels): blocks
 * larger than CHECKPOINT_ACTIVATIONS are checkpointed ('auto'), in pieces of at most
 * CHUNK_ACTIVATIONS (2 samples at NTU's first stage). Measured on the wasm backend's 4 GB heap:
 * the NTU model at batch 16 peaks near 2 GB with pieces of 2 samples, and near the 4 GB limit
 * with pieces of 4 on 2 threads; NW-UCLA at batch 16 without checkpointing does not fit.
 */
const CHECKPOINT_ACTIVATIONS = 1_000_000;
/**
 * The same bound where the Skate-MSA branches run fused (ops.partitionedAttention, native
 * kernels): they keep no N×N attention maps for the backward pass, so blocks up to about 2M
 * activations fit without recomputation. Measured at batch 16, 1 thread, load average 3–4
 * (step time, peak tensor memory): NW-UCLA (stages 1–2 of 1.97M) 1.48 s and 2.5 GB without
 * checkpointing them against 1.88 s and 1.0 GB with; NTU 6.84 s and 1.6 GB (stage 4 of 1.18M
 * no longer checkpointed) against 7.02 s and 0.9 GB; a bound of 2.5M (NTU's stage 3 as well)
 * gave 6.48 s but 3.0 GB, too close to the wasm heap's 4 GB.
 */
const FUSED_CHECKPOINT_ACTIVATIONS = 2_000_000;
const CHUNK_ACTIVATIONS = 600_000;

export function runContext(training: boolean, seed: number): RunContext {
  let k = 0;
  return {
    training,
    nextSeed() {
      // Every dropout site (call index) of the step gets its own mask.
      return deriveSeed(seed >>> 0, ++k);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Stem and Skate-Embedding
// ---------------------------------------------------------------------------------------------

export interface StemParams {
  readonly conv1: LinearParams; // Cin → 2·Cin
  readonly conv2: LinearParams; // 2·Cin → 3·Cin
  readonly conv3: LinearParams; // 3·Cin → C
}

/** Three 1×1 convs with GELU between them. [B, T, V, Cin] → [B, T, V, C]. */
export function stem(x: tf.Tensor4D, p: StemParams): tf.Tensor4D {
  let h = ops.gelu(ops.linear(x, p.conv1.w, p.conv1.b)); //   [B, T, V, 2·Cin]
  h = ops.gelu(ops.linear(h, p.conv2.w, p.conv2.b)); //       [B, T, V, 3·Cin]
  return ops.linear(h, p.conv3.w, p.conv3.b) as tf.Tensor4D; // [B, T, V, C]
}

/**
 * Fixed temporal code of Skate-Embedding: te[b, t, 2i] = sin(index_t · ω_i),
 * te[b, t, 2i+1] = cos(index_t · ω_i), ω_i = 10000^(−2i / C). indexT: [B, T] → [B, T, C].
 */
export function temporalCode(indexT: tf.Tensor2D, C: number): tf.Tensor3D {
  const omega = new Float32Array(C);
  const even = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const i2 = c - (c % 2);
    omega[c] = Math.exp(-i2 * (Math.log(10000) / C));
    even[c] = c % 2 === 0 ? 1 : 0;
  }
  const angle = tf.mul(tf.expandDims(indexT, -1), tf.tensor1d(omega)); // [B, T, C]
  const isEven = tf.tensor1d(even);
  return tf.add(tf.mul(tf.sin(angle), isEven), tf.mul(tf.cos(angle), tf.sub(1, isEven))) as tf.Tensor3D;
}

export type EmbeddingParams =
  | { readonly kind: 'index-t'; readonly jointPerson: V2 } //              [V, C]
  | { readonly kind: 'learned'; readonly jointPersonTemporal: V3 }; //     [T, V, C]

/** The Skate-Embedding added to the stem output: [B, T, V, C] (broadcastable). */
export function skateEmbedding(p: EmbeddingParams, indexT: tf.Tensor2D | undefined): tf.Tensor {
  if (p.kind === 'learned') return tf.expandDims(p.jointPersonTemporal, 0); //      [1, T, V, C]
  const C = p.jointPerson.shape[1];
  const te = temporalCode(indexT!, C); //                                             [B, T, C]
  // outer product per channel: te[b, t, c] · J[v, c]                               [B, T, V, C]
  return tf.mul(tf.expandDims(te, 2), tf.expandDims(tf.expandDims(p.jointPerson, 0), 0));
}

/** index_t of a clip whose T sampled frames are its whole valid range, one to one: 2t/T − 1. */
export function defaultIndexT(B: number, T: number): tf.Tensor2D {
  const row = Float32Array.from({ length: T }, (_, t) => (2 * t) / T - 1);
  return tf.tile(tf.tensor2d(row, [1, T]), [B, 1]) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------
// G-Conv and T-Conv (the convolutional half of the mapping output)
// ---------------------------------------------------------------------------------------------

/**
 * G-Conv: channel group g (of heads/4 contiguous groups) mixes tokens with its own learned
 * matrix A_g: y[b, t, v, c] = Σ_u A_g[v, u] · x[b, t, u, c]. x: [B, T, V, Cg]; A: [G, V, V].
 */
export function gConv(x: tf.Tensor4D, A: tf.Tensor3D): tf.Tensor4D {
  // With native kernels: everything below as one op each way (ops.groupMix)
  if (ops.hasGroupMix()) return ops.groupMix(x, A) as tf.Tensor4D;
  const [B, T, V, Cg] = x.shape;
  const G = A.shape[0];
  const c = Cg / G;
  // group-major, tokens last                                         [G, B·T·c, V]
  const byGroup = tf.reshape(tf.transpose(tf.reshape(x, [B, T, V, G, c]), [3, 0, 1, 4, 2]), [G, B * T * c, V]);
  const rows = tf.unstack(byGroup); //                                G × [B·T·c, V]
  const matrices = tf.unstack(tf.transpose(A, [0, 2, 1])); //         G × Aᵀ [V(u), V(v)]
  const mixed = tf.stack(rows.map((xg, g) => ops.linear(xg, matrices[g] as tf.Tensor2D))); // [G, B·T·c, V]
  // back to channels-last                                            [B, T, V, Cg]
  return tf.reshape(tf.transpose(tf.reshape(mixed, [G, B, T, c, V]), [1, 2, 4, 0, 3]), [B, T, V, Cg]) as tf.Tensor4D;
}

/** T-Conv: K×1 temporal conv with `groups` channel groups, 'same' padding. [B, T, V, C] → same. */
export function tConv(x: tf.Tensor4D, p: ConvParams, groups: number): tf.Tensor4D {
  return ops.temporalConv(x, p.w, p.b, { groups });
}

// ---------------------------------------------------------------------------------------------
// Skate-Type partitions and Skate-MSA
// ---------------------------------------------------------------------------------------------

/** Everything one Skate-MSA branch needs at one stage: its window tables and bias index. */
export interface SkateBranch {
  readonly type: SkateType;
  readonly heads: number;
  readonly headDim: number;
  readonly scale: number;
  /** Windows per sample and tokens per window. */
  readonly windows: number;
  readonly tokens: number;
  /** Flat token (t·V + v) at each (window, position): the partition (src/graph table). */
  readonly partition: Int32Array;
  /** Position (window·n + position) of each flat token: the un-partition (its inverse). */
  readonly reverse: Int32Array;
  /**
   * The partition on the chunk viewed as rows of headDim channels, (token, q|k|v, head):
   * output row (s, w, h, j) ← row (partition[w·n + j], s, h). A permutation, so one gather
   * windows the tokens, splits q | k | v and splits heads.
   */
  readonly qkvPartition: Int32Array;
  /** The un-partition on rows: output row (token p, head h) ← row (w, h, j) with reverse[p] = w·n + j. */
  readonly headReverse: Int32Array;
  /** [n · n] row of the flattened bias table for each (query, key) pair (relativeBiasIndex). */
  readonly biasIndex: Int32Array;
  /** The same per head into the head-major table [heads · rows]: h·rows + biasIndex[q·n + k]. */
  readonly headBiasIndex: Int32Array;
  /** Rows of the flattened bias table: 2N−1 (types 1/3) or (2N−1)·K·K (types 2/4). */
  readonly biasRows: number;
}

/**
 * Tables of one branch for a [T, V] grid with windows of size [rows, cols] and `heads`
 * heads of `headDim` channels.
 */
export function skateBranch(
  type: SkateType,
  T: number,
  V: number,
  size: readonly [number, number],
  heads: number,
  headDim: number,
  biasMode: BiasIndexMode,
): SkateBranch {
  const H = heads;
  const table = skateTypePartition(type, T, V, size);
  const reverse = inversePartition(table);
  const bias = relativeBiasIndex(table, biasMode);
  const { windows: W, tokensPerWindow: n } = table;
  const qkvPartition = new Int32Array(3 * W * H * n);
  for (let s = 0; s < 3; s++) {
    for (let w = 0; w < W; w++) {
      for (let h = 0; h < H; h++) {
        for (let j = 0; j < n; j++)
          qkvPartition[((s * W + w) * H + h) * n + j] = (table.index[w * n + j] * 3 + s) * H + h;
      }
    }
  }
  const headReverse = new Int32Array(T * V * H);
  for (let p = 0; p < T * V; p++) {
    const w = Math.floor(reverse[p] / n);
    const j = reverse[p] % n;
    for (let h = 0; h < H; h++) headReverse[p * H + h] = (w * H + h) * n + j;
  }
  const headBiasIndex = new Int32Array(H * n * n);
  for (let h = 0; h < H; h++) {
    for (let qk = 0; qk < n * n; qk++) headBiasIndex[h * n * n + qk] = h * bias.tableSize + bias.index[qk];
  }
  return {
    type,
    heads,
    headDim,
    scale: heads ** -0.5, // official: num_heads^−0.5, not head_dim^−0.5
    windows: W,
    tokens: n,
    partition: table.index,
    reverse,
    qkvPartition,
    headReverse,
    biasIndex: bias.index,
    headBiasIndex,
    biasRows: bias.tableSize,
  };
}

/** Shape of a branch's bias table parameter: (2N−1, heads) or (2N−1, K, K, heads). */
export function biasTableShape(type: SkateType, size: readonly [number, number], heads: number): number[] {
  const [rows, cols] = size;
  return type === 1 || type === 3 ? [2 * rows - 1, heads] : [2 * rows - 1, cols, cols, heads];
}

/** The relative position bias of every (query, key) pair of a window: [1, heads, n, n]. */
export function relativeBias(branch: SkateBranch, biasTable: tf.Tensor): tf.Tensor4D {
  const { heads, tokens: n } = branch;
  const headMajor = tf.reshape(tf.transpose(tf.reshape(biasTable, [branch.biasRows, heads])), [
    heads * branch.biasRows,
  ]); // [h · rows]
  return tf.reshape(ops.gatherAxis(headMajor, branch.headBiasIndex, 0), [1, heads, n, n]) as tf.Tensor4D;
}

/**
 * One Skate-MSA branch: partition the [T, V] grid into windows, attend inside each window
 * with the chunk itself as q | k | v (no projection of its own), add the relative bias, and
 * put the tokens back. chunk: [B, T, V, 3C'] → [B, T, V, C'], C' = heads · d.
 */
export function skateAttention(
  chunk: tf.Tensor4D,
  branch: SkateBranch,
  biasTable: tf.Tensor,
  attnDrop = 0,
  seed = 0,
): tf.Tensor4D {
  const [B, T, V, C3] = chunk.shape;
  const { heads: H, headDim: d, windows: W, tokens: n } = branch;
  if (C3 !== 3 * H * d)
    throw new Error(`Skate-MSA branch of ${H} heads × ${d} expects a ${3 * H * d}-channel chunk, got ${C3}`);

  // With native kernels: the whole branch below as one op each way (ops.partitionedAttention)
  if (ops.hasPartitionedAttention())
    return ops.partitionedAttention(chunk, biasTable, branch, attnDrop, seed) as tf.Tensor4D;

  // Partition: one gather windows the tokens and splits q | k | v and heads
  //                                          [B, T·V·3·H, d] → [B, 3·W·H·n, d]
  const windowed = ops.gatherAxis(tf.reshape(chunk, [B, T * V * 3 * H, d]), branch.qkvPartition, 1);
  const [q, k, v] = tf.split(windowed, 3, 1).map((part) => tf.reshape(part, [B * W, H, n, d]) as tf.Tensor4D); // 3 × [B·W, H, n, d]

  // softmax(q·kᵀ · scale + bias) · v inside each window              [B·W, H, n, d]
  const attended = ops.windowAttention(q, k, v, branch.scale, relativeBias(branch, biasTable), attnDrop, seed);

  // Merge heads (head-major channels) and un-partition, one gather   [B, T, V, C']
  return tf.reshape(ops.gatherAxis(tf.reshape(attended, [B, W * H * n, d]), branch.headReverse, 1), [
    B,
    T,
    V,
    H * d,
  ]) as tf.Tensor4D;
}

// ---------------------------------------------------------------------------------------------
// SkateFormer block
// ---------------------------------------------------------------------------------------------

export interface BlockParams {
  readonly norm1: NormParams;
  readonly mapping: LinearParams; //          C → 2C
  readonly gconv: V3; //                      [heads/4, V, V]
  readonly tconv: ConvParams; //              [K, C/heads, C/4], heads/4 groups
  readonly attention: readonly tf.Variable[]; //  bias tables of the four Skate-Types
  readonly proj: LinearParams; //             C → C
  readonly norm2: NormParams;
  readonly fc1: LinearParams; //              C → mlpRatio·C
  readonly fc2: LinearParams; //              mlpRatio·C → C
}

/** What a block needs besides its parameters: heads, its stage's four branches, its drop rates. */
export interface BlockSpec {
  readonly heads: number;
  readonly branches: readonly SkateBranch[];
  readonly dropPath: number;
  readonly attnDrop: number;
}

export function addBlockParams(
  store: ParameterStore,
  name: string,
  C: number,
  V: number,
  heads: number,
  kernel: number,
  mlpRatio: number,
  sizes: readonly (readonly [number, number])[],
): BlockParams {
  const hidden = Math.floor(mlpRatio * C);
  return {
    norm1: addLayerNorm(store, `${name}.norm1`, C),
    mapping: addLinear(store, `${name}.mapping`, C, 2 * C),
    gconv: store.add(`${name}.gconv`, [heads / 4, V, V], TRUNC_02) as V3,
    tconv: addTemporalConv(store, `${name}.tconv`, kernel, C / 4, C / 4, heads / 4),
    attention: sizes.map((size, i) =>
      store.add(
        `${name}.attention.type${i + 1}.biasTable`,
        biasTableShape((i + 1) as SkateType, size, heads / 8),
        TRUNC_02,
        { decay: true },
      ),
    ),
    proj: addLinear(store, `${name}.proj`, C, C),
    norm2: addLayerNorm(store, `${name}.norm2`, C),
    fc1: addLinear(store, `${name}.mlp.fc1`, C, hidden),
    fc2: addLinear(store, `${name}.mlp.fc2`, hidden, C),
  };
}

/** Every trainable variable a block reads (a checkpointed block hands its gradients to these). */
function blockVariables(p: BlockParams): tf.Variable[] {
  return [
    p.norm1.gamma,
    p.norm1.beta,
    p.mapping.w,
    p.mapping.b,
    p.gconv,
    p.tconv.w,
    p.tconv.b,
    ...p.attention,
    p.proj.w,
    p.proj.b,
    p.norm2.gamma,
    p.norm2.beta,
    p.fc1.w,
    p.fc1.b,
    p.fc2.w,
    p.fc2.b,
  ];
}

/**
 * The mapping Linear(C, 2C), split in the official order G-Conv C/4 | T-Conv C/4 | chunk 1
 * 3C/8 | … | chunk 4 3C/8 (each chunk is q | k | v of C/8). One matMul and one split: fewer
 * kernels than a matMul per column block, which matters at batch 1.
 */
function mapping(xn: tf.Tensor, p: LinearParams, C: number): { g: tf.Tensor4D; t: tf.Tensor4D; chunks: tf.Tensor4D[] } {
  const chunk = (3 * C) / 8;
  const [g, t, ...chunks] = tf.split(
    ops.linear(xn, p.w, p.b),
    [C / 4, C / 4, chunk, chunk, chunk, chunk],
    3,
  ) as tf.Tensor4D[];
  return { g, t, chunks };
}

/**
 * Mapping, G-Conv | T-Conv | the four Skate-MSA branches, concatenated: xn [B, T, V, C] →
 * [B, T, V, C], what proj reads. Dropout seeds are drawn in branch order on either path.
 */
function blockMiddle(xn: tf.Tensor, p: BlockParams, spec: BlockSpec, run: RunContext, C: number): tf.Tensor4D {
  const attention = (i: number) => ({
    attentionDropout: run.training ? spec.attnDrop : 0,
    seed: run.training ? run.nextSeed() : 0,
    table: p.attention[i],
  });
  // With native kernels: one op on the unsplit mapping output, writing one buffer (no split
  // and no concat, forward or backward)
  if (ops.hasSkateMix()) {
    const f = ops.linear(xn, p.mapping.w, p.mapping.b) as tf.Tensor4D;
    const tconv = { w: p.tconv.w, b: p.tconv.b, groups: spec.heads / 4 };
    return ops.skateMix(
      f,
      p.gconv,
      tconv,
      spec.branches.map((plan, i) => ({ plan, ...attention(i) })),
    );
  }
  // Mapping Linear(C, 2C), split G-Conv C/4 | T-Conv C/4 | 4 × 3C/8
  const f = mapping(xn, p.mapping, C);
  const yG = gConv(f.g, p.gconv); //                                   [B, T, V, C/4]
  const yT = tConv(f.t, p.tconv, spec.heads / 4); //                   [B, T, V, C/4]
  const yA = spec.branches.map((branch, i) => {
    const a = attention(i);
    return skateAttention(f.chunks[i], branch, a.table, a.attentionDropout, a.seed);
  }); //                                                               4 × [B, T, V, C/8]
  return tf.concat([yG, yT, ...yA], 3) as tf.Tensor4D;
}

/** One SkateFormer block. x: [B, T, V, C] → [B, T, V, C]. */
export function skateFormerBlock(x: tf.Tensor4D, p: BlockParams, spec: BlockSpec, run: RunContext): tf.Tensor4D {
  const C = x.shape[3];
  const residual = (branch: tf.Tensor) =>
    run.training && spec.dropPath > 0 ? ops.dropPath(branch, spec.dropPath, run.nextSeed()) : branch;

  const xn = ops.layerNorm(x, p.norm1.gamma, p.norm1.beta);
  const mixed = ops.linear(blockMiddle(xn, p, spec, run, C), p.proj.w, p.proj.b);
  const h = tf.add(x, residual(mixed));

  // LN → MLP (GELU) → residual                                       [B, T, V, C]
  const hidden = ops.gelu(ops.linear(ops.layerNorm(h, p.norm2.gamma, p.norm2.beta), p.fc1.w, p.fc1.b));
  return tf.add(h, residual(ops.linear(hidden, p.fc2.w, p.fc2.b))) as tf.Tensor4D;
}

// ---------------------------------------------------------------------------------------------
// PatchMergingTconv (between stages)
// ---------------------------------------------------------------------------------------------

export interface MergeParams {
  readonly conv: ConvParams; // [K, Cin, Cout]
  readonly bn: ops.BatchNormState;
}

/** K×1 conv with stride 2 over frames, then BatchNorm. [B, T, V, Cin] → [B, ⌈T/2⌉, V, Cout]. */
export function patchMerging(x: tf.Tensor4D, p: MergeParams, training: boolean): tf.Tensor4D {
  return ops.batchNorm(ops.temporalConv(x, p.conv.w, p.conv.b, { stride: 2 }), p.bn, training) as tf.Tensor4D;
}

// ---------------------------------------------------------------------------------------------
// The network
// ---------------------------------------------------------------------------------------------

interface StagePlan {
  readonly name: string;
  readonly frames: number;
  readonly channels: number;
  readonly merge?: MergeParams;
  readonly blocks: ReadonlyArray<{
    readonly params: BlockParams;
    readonly spec: BlockSpec;
    readonly variables: tf.Variable[];
  }>;
}

export interface SkateFormerModel extends SkeletonModel<SkateFormerConfig> {
  /** Tokens per frame, V' = persons · regrouped joints. */
  readonly tokens: number;
}

/** Builds SkateFormer with seeded parameters. The config is validated (presets: config.ts). */
export function createSkateFormer(input: SkateFormerConfig | SkateFormerConfigInput, seed: number): SkateFormerModel {
  const config = parseSkateFormerConfig(input);
  const order = skateformerJointOrder(getLayout(config.layout), config.persons);
  const sizes = skateTypeSizes(order, config.partitionFrames);
  const sizeList = [sizes.type1, sizes.type2, sizes.type3, sizes.type4] as const;
  const { tokens: V, stages: geometry } = skateFormerGeometry(config);
  const store = new ParameterStore(seed);
  const { inChannels: Cin, embedDim: C0, heads } = config;

  const stemParams: StemParams = {
    conv1: addLinear(store, 'stem.conv1', Cin, 2 * Cin),
    conv2: addLinear(store, 'stem.conv2', 2 * Cin, 3 * Cin),
    conv3: addLinear(store, 'stem.conv3', 3 * Cin, C0),
  };
  const embedding: EmbeddingParams = config.indexT
    ? { kind: 'index-t', jointPerson: store.add('embedding.jointPerson', [V, C0], TRUNC_02) as V2 }
    : {
        kind: 'learned',
        jointPersonTemporal: store.add('embedding.jointPersonTemporal', [config.frames, V, C0], TRUNC_02) as V3,
      };

  const totalBlocks = config.depths.reduce((a, b) => a + b, 0);
  const dropPathAt = (i: number) => (totalBlocks > 1 ? (config.dropPath * i) / (totalBlocks - 1) : 0);
  let blockIndex = 0;
  const stages: StagePlan[] = geometry.map((g, s) => {
    const name = `stage${s + 1}`;
    const merge =
      s === 0
        ? undefined
        : {
            conv: addTemporalConv(store, `${name}.merge.conv`, config.kernel, geometry[s - 1].channels, g.channels, 1),
            bn: addBatchNorm(store, `${name}.merge.bn`, g.channels),
          };
    const branches = sizeList.map((size, i) =>
      skateBranch((i + 1) as SkateType, g.frames, V, size, heads / 8, g.channels / heads, config.biasMode),
    );
    const blocks = Array.from({ length: g.depth }, (_, b) => {
      const params = addBlockParams(
        store,
        `${name}.block${b + 1}`,
        g.channels,
        V,
        heads,
        config.kernel,
        config.mlpRatio,
        sizeList,
      );
      return {
        params,
        spec: { heads, branches, dropPath: dropPathAt(blockIndex++), attnDrop: config.attnDrop },
        variables: blockVariables(params),
      };
    });
    return { name, frames: g.frames, channels: g.channels, merge, blocks };
  });
  const Clast = geometry[geometry.length - 1].channels;
  const head = addLinear(store, 'head', Clast, config.classes);

  let unseededSteps = 0;

  function run(batch: ModelBatch, options: ForwardOptions, record?: (name: string, t: tf.Tensor) => void): ModelOutput {
    const { x } = batch;
    if (x.rank !== 4 || x.shape[1] !== config.frames || x.shape[2] !== V || x.shape[3] !== Cin) {
      throw new Error(
        `SkateFormer expects x of shape [B, ${config.frames}, ${V}, ${Cin}] (frames, persons·joints = ${config.persons}·${order.jointsPerPerson}, channels), got [${x.shape.join(', ')}]`,
      );
    }
    const B = x.shape[0];
    if (batch.indexT && (batch.indexT.shape[0] !== B || batch.indexT.shape[1] !== config.frames)) {
      throw new Error(`indexT must be [${B}, ${config.frames}], got [${batch.indexT.shape.join(', ')}]`);
    }
    const training = options.training;
    const ctx = runContext(training, options.seed ?? (training ? unseededSteps++ : 0));

    // Stem: 1×1 convs                                                [B, T, V, C0]
    let h = stem(x, stemParams);
    record?.('stem', h);

    // Skate-Embedding                                                [B, T, V, C0]
    const indexT = config.indexT ? (batch.indexT ?? defaultIndexT(B, config.frames)) : undefined;
    h = tf.add(h, skateEmbedding(embedding, indexT)) as tf.Tensor4D;
    record?.('skate-embedding', h);

    // Stages: [B, T_s, V, C_s], T_s = T / 2^(s−1). Each step runs in its own tidy scope so
    // a forward pass holds one block's intermediates at a time (tensors a gradient tape
    // saves are kept by tfjs itself).
    for (const stage of stages) {
      const { merge } = stage;
      if (merge) h = tf.tidy(() => patchMerging(h, merge, training));
      for (const block of stage.blocks) {
        const input = h;
        // Each block draws its dropout seeds up front, so checkpointing changes no mask.
        const seeds = fixedSeeds(
          training,
          Array.from({ length: SEEDS_PER_BLOCK }, () => ctx.nextSeed()),
        );
        const [Bn, T, Vs, C] = input.shape;
        const chunk =
          config.checkpointChunk > 0
            ? config.checkpointChunk
            : Math.max(1, Math.floor(CHUNK_ACTIVATIONS / (T * Vs * C)));
        if (
          training &&
          (config.checkpoint === true ||
            (config.checkpoint === 'auto' &&
              Bn * T * Vs * C >
                (ops.hasPartitionedAttention() ? FUSED_CHECKPOINT_ACTIVATIONS : CHECKPOINT_ACTIVATIONS)))
        ) {
          h = ops.checkpointed(
            (xb, _replay, piece) => skateFormerBlock(xb, block.params, block.spec, seeds.fresh(piece)),
            input,
            block.variables,
            { chunk },
          );
        } else {
          h = tf.tidy(() => skateFormerBlock(input, block.params, block.spec, seeds.fresh()));
        }
      }
      record?.(stage.name, h);
    }

    // Head: mean over (T, V) → Linear                               [B, classes]
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    record?.('pool', pooled);
    const dropped = training && config.headDrop > 0 ? ops.dropout(pooled, config.headDrop, ctx.nextSeed()) : pooled;
    const logits = ops.linear(dropped, head.w, head.b) as tf.Tensor2D;
    record?.('head', logits);
    return { logits, pooled, features: h };
  }

  const countUnder = (prefix: string) =>
    store
      .entries()
      .filter(([i]) => i.trainable && (i.name === prefix || i.name.startsWith(`${prefix}.`)))
      .reduce((s, [i]) => s + i.shape.reduce((a, b) => a * b, 1), 0);

  return {
    kind: 'skateformer',
    config,
    params: store,
    persons: config.persons,
    jointOrder: order.jointOrder,
    inChannels: Cin,
    frames: config.frames,
    tokens: V,
    forward: (batch, options) => run(batch, options),
    dispose: () => store.dispose(),
    describe(): StageInfo[] {
      const rows: StageInfo[] = [{ name: 'input', shape: [1, config.frames, V, Cin], parameters: 0 }];
      const paramsOf: Record<string, number> = {
        stem: countUnder('stem'),
        'skate-embedding': countUnder('embedding'),
        pool: 0,
        head: countUnder('head'),
      };
      for (const s of stages) paramsOf[s.name] = countUnder(s.name);
      tf.tidy(() => {
        run({ x: tf.zeros([1, config.frames, V, Cin]) as tf.Tensor4D }, { training: false }, (name, t) =>
          rows.push({ name, shape: [...t.shape], parameters: paramsOf[name] }),
        );
      });
      return rows;
    },
  };
}
