/**
 * SkateFormer against an independent, deliberately naive implementation in plain loops
 * (float64), written in this file from the official PyTorch code's semantics
 * (model/SkateFormer.py): each Skate-MSA branch (partition → attention with both bias kinds →
 * un-partition), G-Conv, T-Conv, and the whole network in eval mode at tiny sizes.
 *
 * The naive code calls neither tfjs nor src/graph: windows come from the official
 * `view`/`permute` orders spelled out as coordinate arithmetic, the bias from the official
 * table shapes and index formula. Tensors are { shape, data } row-major; activations are
 * channels-last [B, T, V, C] like the model; weights are read by parameter name in the
 * model's stored layout (documented at each use).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.js';
import {
  createSkateFormer,
  parseSkateFormerConfig,
  type SkateFormerConfigInput,
} from '../../src/models/skateformer/index.js';
import { gConv, skateAttention, skateBranch, tConv } from '../../src/models/skateformer/model.js';
import type { SkateType } from '../../src/graph/index.js';
import { prng } from '../helpers/prng.js';

// ------------------------------------------------------------------------------------------
// Naive reference
// ------------------------------------------------------------------------------------------

interface Nd {
  shape: number[];
  data: Float64Array;
}

function nd(shape: number[], data?: ArrayLike<number>): Nd {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  if (data) {
    if (data.length !== size) throw new Error(`nd: ${data.length} values for shape [${shape}]`);
    for (let i = 0; i < size; i++) out[i] = data[i];
  }
  return { shape, data: out };
}

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc, Chebyshev fit). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** y = x · W + b over the last axis; W stored [Cin, Cout] (PyTorch weightᵀ). */
function linear(x: Nd, w: Nd, b?: Nd): Nd {
  const cin = x.shape[x.shape.length - 1];
  const [wi, cout] = w.shape;
  if (wi !== cin) throw new Error(`linear: ${cin} inputs, weight [${w.shape}]`);
  const rows = x.data.length / cin;
  const out = nd([...x.shape.slice(0, -1), cout]);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < cout; o++) {
      let s = b ? b.data[o] : 0;
      for (let i = 0; i < cin; i++) s += x.data[r * cin + i] * w.data[i * cout + o];
      out.data[r * cout + o] = s;
    }
  }
  return out;
}

function layerNorm(x: Nd, gamma: Nd, beta: Nd, eps = 1e-5): Nd {
  const C = x.shape[x.shape.length - 1];
  const out = nd(x.shape);
  for (let r = 0; r < x.data.length / C; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x.data[r * C + c];
    mean /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x.data[r * C + c] - mean) ** 2;
    v /= C;
    for (let c = 0; c < C; c++)
      out.data[r * C + c] = ((x.data[r * C + c] - mean) / Math.sqrt(v + eps)) * gamma.data[c] + beta.data[c];
  }
  return out;
}

function map(x: Nd, f: (v: number) => number): Nd {
  const out = nd(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

function add(a: Nd, b: Nd): Nd {
  const out = nd(a.shape);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i] + b.data[i];
  return out;
}

/** Channels [from, from + size) of a [B, T, V, C] tensor. */
function channels(x: Nd, from: number, size: number): Nd {
  const [B, T, V, C] = x.shape;
  const out = nd([B, T, V, size]);
  for (let r = 0; r < B * T * V; r++) for (let c = 0; c < size; c++) out.data[r * size + c] = x.data[r * C + from + c];
  return out;
}

/** Concatenation over channels of [B, T, V, *] tensors. */
function concatChannels(parts: Nd[]): Nd {
  const [B, T, V] = parts[0].shape;
  const C = parts.reduce((s, p) => s + p.shape[3], 0);
  const out = nd([B, T, V, C]);
  for (let r = 0; r < B * T * V; r++) {
    let at = 0;
    for (const p of parts) {
      const c = p.shape[3];
      for (let i = 0; i < c; i++) out.data[r * C + at + i] = p.data[r * c + i];
      at += c;
    }
  }
  return out;
}

/**
 * G-Conv, official einsum('nctu,vu->nctv') per channel group: channel group g (contiguous
 * groups of Cg/G) uses A[g]. x: [B, T, V, Cg], A: [G, V, V].
 */
function gConvNaive(x: Nd, A: Nd): Nd {
  const [B, T, V, Cg] = x.shape;
  const G = A.shape[0];
  const c = Cg / G;
  const out = nd(x.shape);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let v = 0; v < V; v++)
        for (let ch = 0; ch < Cg; ch++) {
          const g = Math.floor(ch / c);
          let s = 0;
          for (let u = 0; u < V; u++) s += A.data[(g * V + v) * V + u] * x.data[((b * T + t) * V + u) * Cg + ch];
          out.data[((b * T + t) * V + v) * Cg + ch] = s;
        }
  return out;
}

/**
 * PyTorch Conv2d with kernel (K, 1), padding ((K−1)/2, 0), stride (s, 1), `groups` groups, on
 * channels-last data. Weight stored [K, Cin/groups, Cout] (PyTorch (Cout, Cin/groups, K, 1)).
 */
function temporalConvNaive(x: Nd, w: Nd, bias: Nd | undefined, stride = 1, groups = 1): Nd {
  const [B, T, V, Cin] = x.shape;
  const [K, cinG, Cout] = w.shape;
  const pad = (K - 1) / 2;
  const To = Math.floor((T + 2 * pad - K) / stride) + 1;
  const coutG = Cout / groups;
  const out = nd([B, To, V, Cout]);
  for (let b = 0; b < B; b++)
    for (let to = 0; to < To; to++)
      for (let v = 0; v < V; v++)
        for (let o = 0; o < Cout; o++) {
          const g = Math.floor(o / coutG);
          let s = bias ? bias.data[o] : 0;
          for (let k = 0; k < K; k++) {
            const t = to * stride + k - pad;
            if (t < 0 || t >= T) continue;
            for (let i = 0; i < cinG; i++)
              s += w.data[(k * cinG + i) * Cout + o] * x.data[((b * T + t) * V + v) * Cin + g * cinG + i];
          }
          out.data[((b * To + to) * V + v) * Cout + o] = s;
        }
  return out;
}

/** Eval-mode BatchNorm2d on channels-last data. */
function batchNormEval(x: Nd, gamma: Nd, beta: Nd, mean: Nd, variance: Nd, eps = 1e-5): Nd {
  const C = x.shape[x.shape.length - 1];
  const out = nd(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const c = i % C;
    out.data[i] = ((x.data[i] - mean.data[c]) / Math.sqrt(variance.data[c] + eps)) * gamma.data[c] + beta.data[c];
  }
  return out;
}

/**
 * Window coordinates of grid token (t, v) under Skate-Type `type` with window size [a, b],
 * read off the official partition views:
 *   type 1 view(T/N, N, V/L, L) permute → windows (T/N, V/L), tokens (N, L)
 *   type 2 view(T/N, N, K, V/K) permute → windows (T/N, V/K), tokens (N, K)
 *   type 3 view(M, T/M, V/L, L) permute → windows (T/M, V/L), tokens (M, L)
 *   type 4 view(M, T/M, K, V/K) permute → windows (T/M, V/K), tokens (M, K)
 */
function windowOf(
  type: number,
  t: number,
  v: number,
  T: number,
  V: number,
  a: number,
  b: number,
): { window: number; row: number; col: number } {
  let wt: number, wv: number, row: number, col: number, nwv: number;
  if (type === 1 || type === 2) {
    wt = Math.floor(t / a);
    row = t % a;
  } else {
    wt = t % (T / a);
    row = Math.floor(t / (T / a));
  }
  if (type === 1 || type === 3) {
    wv = Math.floor(v / b);
    col = v % b;
    nwv = V / b;
  } else {
    wv = v % (V / b);
    col = Math.floor(v / (V / b));
    nwv = V / b;
  }
  return { window: wt * nwv + wv, row, col };
}

/**
 * One Skate-MSA branch exactly as the official MultiHeadSelfAttention on partitioned input:
 * chunk [B, T, V, 3C'] is q | k | v (each C' = heads·d, head-major), scale = heads^−0.5,
 * bias from the official tables:
 *   types 1/3: table (2N−1, heads); 'official' row (q mod N) − (k mod N) + N − 1 (the
 *     `.repeat` tiling), 'frame-offset' row n_q − n_k + N − 1;
 *   types 2/4: table (2N−1, K, K, heads) at (n_q − n_k + N − 1, k_q, k_k).
 * Returns [B, T, V, C'].
 */
function skateAttentionNaive(
  chunk: Nd,
  type: number,
  size: [number, number],
  heads: number,
  table: Nd,
  mode: 'official' | 'frame-offset',
): Nd {
  const [B, T, V, C3] = chunk.shape;
  const Cq = C3 / 3;
  const d = Cq / heads;
  const [a, b] = size;
  const n = a * b;
  const windows = (T * V) / n;
  const scale = heads ** -0.5;
  // tokens of each window at position row·b + col
  const members: Array<Array<[number, number]>> = Array.from({ length: windows }, () => new Array(n));
  for (let t = 0; t < T; t++)
    for (let v = 0; v < V; v++) {
      const { window, row, col } = windowOf(type, t, v, T, V, a, b);
      members[window][row * b + col] = [t, v];
    }
  const biasOf = (q: number, k: number, h: number): number => {
    const rq = Math.floor(q / b);
    const rk = Math.floor(k / b);
    if (type === 1 || type === 3) {
      const r = mode === 'official' ? (q % a) - (k % a) + a - 1 : rq - rk + a - 1;
      return table.data[r * heads + h];
    }
    const r = rq - rk + a - 1;
    return table.data[((r * b + (q % b)) * b + (k % b)) * heads + h];
  };
  const out = nd([B, T, V, Cq]);
  const at = (bb: number, t: number, v: number, c: number) => chunk.data[((bb * T + t) * V + v) * C3 + c];
  const scores = new Float64Array(n);
  for (let bb = 0; bb < B; bb++)
    for (let w = 0; w < windows; w++)
      for (let h = 0; h < heads; h++)
        for (let q = 0; q < n; q++) {
          const [tq, vq] = members[w][q];
          let max = -Infinity;
          for (let k = 0; k < n; k++) {
            const [tk, vk] = members[w][k];
            let s = 0;
            for (let i = 0; i < d; i++) s += at(bb, tq, vq, h * d + i) * scale * at(bb, tk, vk, Cq + h * d + i);
            s += biasOf(q, k, h);
            scores[k] = s;
            if (s > max) max = s;
          }
          let z = 0;
          for (let k = 0; k < n; k++) z += scores[k] = Math.exp(scores[k] - max);
          for (let i = 0; i < d; i++) {
            let s = 0;
            for (let k = 0; k < n; k++) {
              const [tk, vk] = members[w][k];
              s += (scores[k] / z) * at(bb, tk, vk, 2 * Cq + h * d + i);
            }
            out.data[((bb * T + tq) * V + vq) * Cq + h * d + i] = s;
          }
        }
  return out;
}

interface NaiveConfig {
  tokens: number;
  heads: number;
  kernel: number;
  depths: number[];
  channels: number[];
  indexT: boolean;
  biasMode: 'official' | 'frame-offset';
  /** Window sizes of types 1–4. */
  sizes: [number, number][];
}

/** A parameter by its store name. */
type ParamReader = (name: string) => Nd;

/** One SkateFormer block (eval mode), official order of operations. x: [B, T, V, C]. */
function blockNaive(x: Nd, p: ParamReader, name: string, cfg: NaiveConfig): Nd {
  const C = x.shape[3];
  const f = linear(
    layerNorm(x, p(`${name}.norm1.gamma`), p(`${name}.norm1.beta`)),
    p(`${name}.mapping.w`),
    p(`${name}.mapping.b`),
  );
  // f_conv = first C/2 channels, halved; f_attn = the remaining 3C/2 in four chunks of 3C/8
  const y: Nd[] = [];
  y.push(gConvNaive(channels(f, 0, C / 4), p(`${name}.gconv`)));
  y.push(temporalConvNaive(channels(f, C / 4, C / 4), p(`${name}.tconv.w`), p(`${name}.tconv.b`), 1, cfg.heads / 4));
  for (let i = 0; i < 4; i++) {
    const chunk = channels(f, C / 2 + i * ((3 * C) / 8), (3 * C) / 8);
    y.push(
      skateAttentionNaive(
        chunk,
        i + 1,
        cfg.sizes[i],
        cfg.heads / 8,
        p(`${name}.attention.type${i + 1}.biasTable`),
        cfg.biasMode,
      ),
    );
  }
  const h = add(x, linear(concatChannels(y), p(`${name}.proj.w`), p(`${name}.proj.b`)));
  const m = linear(
    map(
      linear(
        layerNorm(h, p(`${name}.norm2.gamma`), p(`${name}.norm2.beta`)),
        p(`${name}.mlp.fc1.w`),
        p(`${name}.mlp.fc1.b`),
      ),
      gelu,
    ),
    p(`${name}.mlp.fc2.w`),
    p(`${name}.mlp.fc2.b`),
  );
  return add(h, m);
}

/**
 * The whole network in eval mode. x: [B, T, V, Cin]; indexT: [B, T] (index_t); returns the
 * logits [B, classes] and the last feature map [B, T', V, C].
 */
function skateFormerNaive(x: Nd, indexT: Nd, p: ParamReader, cfg: NaiveConfig): { logits: Nd; features: Nd } {
  const [B, T, V] = x.shape;
  // Stem: 1×1 convs with GELU
  let h = linear(x, p('stem.conv1.w'), p('stem.conv1.b'));
  h = map(h, gelu);
  h = map(linear(h, p('stem.conv2.w'), p('stem.conv2.b')), gelu);
  h = linear(h, p('stem.conv3.w'), p('stem.conv3.b'));
  const C0 = h.shape[3];
  // Skate-Embedding
  if (cfg.indexT) {
    const J = p('embedding.jointPerson'); // [V, C] (official (C, V))
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let c = 0; c < C0; c++) {
          const i2 = c - (c % 2);
          const angle = indexT.data[b * T + t] * Math.exp(-i2 * (Math.log(10000) / C0));
          const te = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
          for (let v = 0; v < V; v++) h.data[((b * T + t) * V + v) * C0 + c] += te * J.data[v * C0 + c];
        }
  } else {
    const E = p('embedding.jointPersonTemporal'); // [T, V, C]
    for (let b = 0; b < B; b++) for (let i = 0; i < T * V * C0; i++) h.data[b * T * V * C0 + i] += E.data[i];
  }
  // Stages
  cfg.channels.forEach((_, s) => {
    const stage = `stage${s + 1}`;
    if (s > 0) {
      h = temporalConvNaive(h, p(`${stage}.merge.conv.w`), p(`${stage}.merge.conv.b`), 2, 1);
      h = batchNormEval(
        h,
        p(`${stage}.merge.bn.gamma`),
        p(`${stage}.merge.bn.beta`),
        p(`${stage}.merge.bn.movingMean`),
        p(`${stage}.merge.bn.movingVariance`),
      );
    }
    for (let i = 0; i < cfg.depths[s]; i++) h = blockNaive(h, p, `${stage}.block${i + 1}`, cfg);
  });
  // Head: mean over (T, V), Linear
  const [, Tl, , Cl] = h.shape;
  const pooled = nd([B, Cl]);
  for (let b = 0; b < B; b++)
    for (let r = 0; r < Tl * V; r++)
      for (let c = 0; c < Cl; c++) pooled.data[b * Cl + c] += h.data[(b * Tl * V + r) * Cl + c] / (Tl * V);
  return { logits: linear(pooled, p('head.w'), p('head.b')), features: h };
}

/** Largest |a − b| over two equally long arrays. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// ------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------

test.before(async () => {
  await initBackend('wasm');
});

function randomValues(size: number, seed: number, scale = 1): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: size }, () => (r() * 2 - 1) * scale);
}

function randomNd(shape: number[], seed: number, scale = 1): { nd: Nd; tensor: tf.Tensor } {
  const values = randomValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
    scale,
  );
  return { nd: nd(shape, values), tensor: tf.tensor(values, shape) };
}

// Tiny grid of the brief: T = 16 frames, V = 8 tokens; branches of 2 heads × 4 channels.
const T = 16;
const V = 8;
const HEADS = 2;
const D = 4;
const SIZE_SETS: Array<Record<SkateType, [number, number]>> = [
  { 1: [4, 4], 2: [4, 2], 3: [4, 4], 4: [4, 2] }, // N = L (the NTU situation: official tiling reads the joint offset)
  { 1: [4, 2], 2: [4, 4], 3: [2, 2], 4: [8, 4] }, // N ≠ L, other strides
];

test('Skate-MSA branch = naive partition → attention (+ relative bias) → un-partition, all four types, both bias modes', (t) => {
  let seed = 10;
  for (const sizes of SIZE_SETS) {
    for (const type of [1, 2, 3, 4] as SkateType[]) {
      const size = sizes[type];
      const chunk = randomNd([2, T, V, 3 * HEADS * D], seed++);
      const tableShape =
        type === 1 || type === 3 ? [2 * size[0] - 1, HEADS] : [2 * size[0] - 1, size[1], size[1], HEADS];
      const table = randomNd(tableShape, seed++, 2); // large enough that a wrong bias index shows
      const outputs: Record<string, Float32Array> = {};
      for (const mode of ['official', 'frame-offset'] as const) {
        const branch = skateBranch(type, T, V, size, HEADS, D, mode);
        const got = tf.tidy(
          () => skateAttention(chunk.tensor as tf.Tensor4D, branch, table.tensor).dataSync() as Float32Array,
        );
        const want = skateAttentionNaive(chunk.nd, type, size, HEADS, table.nd, mode);
        t.true(
          maxAbsDiff(got, want.data) < 1e-5,
          `type ${type} size [${size}] ${mode}: max diff ${maxAbsDiff(got, want.data)}`,
        );
        outputs[mode] = got;
      }
      const modeGap = maxAbsDiff(outputs.official, outputs['frame-offset']);
      if (type === 1 || type === 3) t.true(modeGap > 1e-3, `type ${type} [${size}]: the two bias modes should differ`);
      else t.is(modeGap, 0, `type ${type}: bias modes only concern types 1/3`);
      tf.dispose([chunk.tensor, table.tensor]);
    }
  }
});

test('G-Conv = naive per-group token mixing (einsum nctu,vu->nctv)', (t) => {
  const x = randomNd([2, 5, V, 8], 1);
  const A = randomNd([4, V, V], 2);
  const got = tf.tidy(() => gConv(x.tensor as tf.Tensor4D, A.tensor as tf.Tensor3D).dataSync());
  t.true(maxAbsDiff(got, gConvNaive(x.nd, A.nd).data) < 1e-5);
  tf.dispose([x.tensor, A.tensor]);
});

test('T-Conv = naive grouped 7×1 convolution with PyTorch padding', (t) => {
  const x = randomNd([2, T, V, 8], 3);
  const w = randomNd([7, 2, 8], 4);
  const b = randomNd([8], 5);
  const got = tf.tidy(() => tConv(x.tensor as tf.Tensor4D, { w: w.tensor, b: b.tensor } as never, 4).dataSync());
  t.true(maxAbsDiff(got, temporalConvNaive(x.nd, w.nd, b.nd, 1, 4).data) < 1e-5);
  tf.dispose([x.tensor, w.tensor, b.tensor]);
});

interface Case {
  title: string;
  config: SkateFormerConfigInput;
  sizes: [number, number][];
}

// Window sizes from models.md §1.2 (UCLA [N,4],[N,5]; NTU [8,8],[8,12]), not from src/graph.
const CASES: Case[] = [
  {
    title: 'kinect-20, 1 person, index_t embedding, official bias',
    config: {
      layout: 'kinect-20',
      persons: 1,
      classes: 5,
      frames: 16,
      partitionFrames: 4,
      embedDim: 32,
      depths: [1, 1],
      channels: [32, 64],
      heads: 16,
      mlpRatio: 2,
      biasMode: 'official',
    },
    sizes: [
      [4, 4],
      [4, 5],
      [4, 4],
      [4, 5],
    ],
  },
  {
    title: 'ntu-25, 2 persons × 24 joints, learned embedding table, frame-offset bias',
    config: {
      layout: 'ntu-25',
      persons: 2,
      classes: 7,
      frames: 16,
      partitionFrames: 8,
      embedDim: 16,
      depths: [1, 1],
      channels: [16, 32],
      heads: 8,
      mlpRatio: 1,
      indexT: false,
      biasMode: 'frame-offset',
    },
    sizes: [
      [8, 8],
      [8, 12],
      [8, 8],
      [8, 12],
    ],
  },
];

for (const c of CASES) {
  test(`whole network (eval) = naive reference: ${c.title}`, (t) => {
    const config = parseSkateFormerConfig(c.config);
    const model = createSkateFormer(config, 7);
    const Vt = model.tokens;
    // Non-trivial BatchNorm statistics (so eval-mode BN is exercised), and bias tables, G-Conv
    // matrices and embeddings far larger than their 0.02 init, so that every part of the
    // network visibly moves the output.
    tf.tidy(() => {
      let s = 60;
      for (const [info, variable] of model.params.entries()) {
        const size = info.shape.reduce((a, b) => a * b, 1);
        if (info.name.endsWith('biasTable')) variable.assign(tf.tensor(randomValues(size, s++, 1), [...info.shape]));
        if (info.name.endsWith('gconv')) variable.assign(tf.tensor(randomValues(size, s++, 0.3), [...info.shape]));
        if (info.name.startsWith('embedding.'))
          variable.assign(tf.tensor(randomValues(size, s++, 0.5), [...info.shape]));
        if (info.name.endsWith('movingMean')) variable.assign(tf.tensor(randomValues(info.shape[0], 50, 0.3)));
        if (info.name.endsWith('movingVariance'))
          variable.assign(tf.add(tf.tensor(randomValues(info.shape[0], 51, 0.5)), 1));
        if (info.name.endsWith('bn.gamma') || info.name.endsWith('bn.beta'))
          variable.assign(tf.tensor(randomValues(info.shape[0], 52, 1)));
      }
    });
    const B = 2;
    const x = randomNd([B, config.frames, Vt, 3], 21);
    const indexT = randomNd([B, config.frames], 22);
    const out = tf.tidy(() => {
      const o = model.forward(
        { x: x.tensor as tf.Tensor4D, indexT: indexT.tensor as tf.Tensor2D },
        { training: false },
      );
      return { logits: o.logits.dataSync(), features: o.features.dataSync(), fshape: o.features.shape };
    });
    const read = (name: string) => {
      const v = model.params.get(name);
      return nd([...v.shape], v.dataSync());
    };
    const naiveConfig: NaiveConfig = {
      tokens: Vt,
      heads: config.heads,
      kernel: config.kernel,
      depths: config.depths,
      channels: config.channels,
      indexT: config.indexT,
      biasMode: config.biasMode,
      sizes: c.sizes,
    };
    const want = skateFormerNaive(x.nd, indexT.nd, read, naiveConfig);
    t.deepEqual(out.fshape, want.features.shape);
    const dF = maxAbsDiff(out.features, want.features.data);
    const dL = maxAbsDiff(out.logits, want.logits.data);
    t.true(dF < 2e-4, `features max diff ${dF}`);
    t.true(dL < 2e-4, `logits max diff ${dL}`);
    tf.dispose([x.tensor, indexT.tensor]);
    model.dispose();
  });
}
