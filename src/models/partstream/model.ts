/**
 * Part-stream model in the spirit of PSUMNet (Trivedi & Sarvadevabhatla, ECCV-W 2022).
 *
 *   input        [B, T, P·J, C] joints (C = 3), persons person-major in the joint axis
 *   per stream   (body: all joints; hand; leg — the layout's `partStreams`, induced bones)
 *     modality   [B, T, P·Js, 4C]   j | b | jm | bm computed in the model (./modality.ts)
 *     data BN    over (P·Js·4C), as CTR-GCN/PSUMNet's data_bn over M·V·C
 *     persons →  batch             [B·P, T, Js, 4C]
 *     layers     PSUMNet's list for the stream (body l1–l10, hand l1,l5–l9, leg l1,l5,l6,l8),
 *                each a spatial-temporal block:
 *                  graph conv on the stream's own graph (self/inward/outward + adaptive B)
 *                  → BN → + down(x) → ReLU                                  (spatial)
 *                  → [1×1 → BN → ReLU → 5×1 conv, dilation d, stride s]  per dilation
 *                    [1×1 → BN → ReLU → 3×1 max pool, stride s]
 *                    [1×1, stride s]          concatenated → BN                (temporal)
 *                  → + residual → ReLU
 *                (CTR-GCN's multi-scale TCN; per-channel BNs of parallel branches merged)
 *     pool       mean over frames, joints, then persons → [B, D]
 *     head       (dropout →) linear D → classes: the stream's logits
 *   fusion       logits = log Σ_s α_s · softmax(logits_s)
 *   pooled, features: the first stream's (the body stream by default)
 *
 * `streamLogits` holds each stream's logits (config order), so each stream can be trained
 * with its own cross-entropy, as PSUMNet trains its streams separately.
 */
import * as tf from '@tensorflow/tfjs';
import { getLayout, normalizeDigraph, partStream, type DenseMatrix, type PartStream } from '../../graph/index.js';
import { batchNorm, dropout, linear, type BatchNormState } from '../ops.js';
import { ParameterStore } from '../params.js';
import type { ForwardOptions, ModelBatch, ModelOutput, SkeletonModel, StageInfo } from '../types.js';
import {
  BN_MOMENTUM,
  addBatchNorm,
  addGraphConv,
  checkpointed,
  concatChannels,
  countParameters,
  dilatedTemporalConv,
  effectiveGraph,
  graphConv,
  kaimingFanOut,
  siteSeed,
  splitChannels,
  subsampleFrames,
  temporalMaxPool3,
  trainableUnder,
  type GraphConvParams,
  type PartitionMatrices,
} from '../stgcn/layers.js';
import { parsePartStreamConfig, type PartStreamConfig, type PartStreamConfigInput } from './config.js';
import { PSUMNET_LAYERS, STREAM_LAYERS } from './constants.js';
import { streamIndex, unifiedModality, type StreamIndex } from './modality.js';

type Trace = (stage: string, tensor: tf.Tensor) => void;

/**
 * The self/inward/outward partition of a part stream's own tree (CTR-GCN conventions, as
 * `spatialPartition` builds it for a layout): A_in[parent][child] = 1, A_out[child][parent] = 1,
 * each column-normalised.
 */
export function streamPartition(stream: Pick<PartStream, 'numJoints' | 'bones'>): PartitionMatrices {
  const V = stream.numJoints;
  const zeros = (): DenseMatrix => Array.from({ length: V }, () => new Array<number>(V).fill(0));
  const self = zeros();
  const inward = zeros();
  const outward = zeros();
  for (let v = 0; v < V; v++) self[v][v] = 1;
  for (const [child, parent] of stream.bones) {
    inward[parent][child] = 1;
    outward[child][parent] = 1;
  }
  return [self, normalizeDigraph(inward), normalizeDigraph(outward)];
}

/**
 * CTR-GCN's multi-scale temporal module with its per-branch layers fused where that changes
 * nothing: the branches' entry 1×1 convs read the same input, so they are one linear layer
 * into nIn·bc channels with one BN (BN is per channel); the branches' exit BNs are one BN over
 * the concatenated Cout channels. Same function and parameter count, a third of the kernels.
 */
interface TemporalModule {
  /** [Cout, nIn · bc]: entry 1×1 convs of the dilated and pool branches, side by side. */
  readonly inW: tf.Variable;
  readonly inBn: BatchNormState;
  /** [K, bc, bc] per dilation. */
  readonly dilated: ReadonlyArray<{ readonly dilation: number; readonly w: tf.Variable }>;
  readonly pool: boolean;
  /** [Cout, bc]: the 1×1 (stride s) branch. */
  readonly pointwiseW: tf.Variable;
  /** Exit BN over the concatenated branches (Cout channels). */
  readonly outBn: BatchNormState;
}

/** A batch norm bound to a pass's mode (see normWith). */
type Norm = (x: tf.Tensor, state: BatchNormState) => tf.Tensor;

type Projection = { readonly w: tf.Variable; readonly bn: BatchNormState };

interface Block {
  readonly name: string;
  readonly stride: number;
  readonly gcn: GraphConvParams;
  readonly gcnBn: BatchNormState;
  /** The spatial unit's own shortcut: identity when Cin = Cout, else 1×1 conv + BN. */
  readonly down: 'identity' | Projection;
  readonly tcn: TemporalModule;
  /** The block's shortcut: none for l1 (as CTR-GCN), identity when shapes match, else 1×1 conv (stride s) + BN. */
  readonly residual: 'none' | 'identity' | Projection;
}

interface StreamNet {
  readonly stream: PartStream;
  readonly index: StreamIndex;
  readonly dataBn: BatchNormState;
  readonly blocks: readonly Block[];
  readonly fcW: tf.Variable;
  readonly fcB: tf.Variable;
}

export interface PartStreamModel extends SkeletonModel<PartStreamConfig> {
  /** The streams in output order, with their joints (layout indices) and induced bones. */
  readonly streams: readonly PartStream[];
  /** Each stream's unified input, [B, T, P·Js, 4C] = j | b | jm | bm, exactly as forward() builds it. */
  streamInputs(x: tf.Tensor4D): tf.Tensor4D[];
}

function addProjection(store: ParameterStore, name: string, cin: number, cout: number): Projection {
  return { w: store.add(`${name}.w`, [cin, cout], kaimingFanOut(cout)), bn: addBatchNorm(store, `${name}.bn`, cout) };
}

/** Builds the model; parameters are initialised from `seed`. */
export function createPartStream(input: PartStreamConfigInput, seed: number): PartStreamModel {
  const config = parsePartStreamConfig(input);
  const layout = getLayout(config.layout);
  const J = layout.numJoints;
  const P = config.persons;
  const C = config.inChannels;
  const store = new ParameterStore(seed);
  const branchCount = config.dilations.length + (config.poolBranch ? 1 : 0) + 1;

  function addBlock(
    name: string,
    partition: PartitionMatrices,
    cin: number,
    cout: number,
    stride: number,
    first: boolean,
  ): Block {
    const bc = cout / branchCount;
    const K = config.temporalKernel;
    const entries = config.dilations.length + (config.poolBranch ? 1 : 0);
    const tcn: TemporalModule = {
      inW: store.add(`${name}.tcn.in.w`, [cout, entries * bc], kaimingFanOut(bc)),
      inBn: addBatchNorm(store, `${name}.tcn.in.bn`, entries * bc),
      dilated: config.dilations.map((dilation, i) => ({
        dilation,
        w: store.add(`${name}.tcn.dilated${i}.w`, [K, bc, bc], kaimingFanOut(bc * K)),
      })),
      pool: config.poolBranch,
      pointwiseW: store.add(`${name}.tcn.pointwise.w`, [cout, bc], kaimingFanOut(bc)),
      outBn: addBatchNorm(store, `${name}.tcn.out.bn`, cout),
    };
    return {
      name,
      stride,
      gcn: addGraphConv(store, `${name}.gcn`, partition, cin, cout, 'adaptive'),
      // CTR-GCN starts the graph branch near zero (bn_init(bn, 1e-6)), so the shortcut dominates at first.
      gcnBn: addBatchNorm(store, `${name}.gcn.bn`, cout, 1e-6),
      down: cin === cout ? 'identity' : addProjection(store, `${name}.gcn.down`, cin, cout),
      tcn,
      residual: first
        ? 'none'
        : cin === cout && stride === 1
          ? 'identity'
          : addProjection(store, `${name}.residual`, cin, cout),
    };
  }

  const streams: PartStream[] = config.streams.map((name) => partStream(layout, name));
  const nets: StreamNet[] = streams.map((stream) => {
    const partition = streamPartition(stream);
    const s = stream.name;
    const dataBn = addBatchNorm(store, `${s}.data_bn`, P * stream.numJoints * 4 * C);
    let cin = 4 * C;
    const blocks = STREAM_LAYERS[s].map((layer, i) => {
      const spec = PSUMNET_LAYERS[layer];
      const cout = spec.width * config.baseChannels;
      const block = addBlock(`${s}.${layer}`, partition, cin, cout, spec.stride, i === 0);
      cin = cout;
      return block;
    });
    return {
      stream,
      index: streamIndex(stream, J, P),
      dataBn,
      blocks,
      // CTR-GCN: fc weight normal(0, √(2 / classes)), bias 0.
      fcW: store.add(`${s}.fc.w`, [cin, config.classes], { kind: 'normal', std: Math.sqrt(2 / config.classes) }),
      fcB: store.add(`${s}.fc.b`, [config.classes], { kind: 'zeros' }),
    };
  });

  const blockVariables = new Map(
    nets.flatMap((net) => net.blocks.map((b) => [b.name, trainableUnder(store, b.name)] as const)),
  );

  /**
   * Multi-scale temporal module: [N, T, Js, Cout] → [N, ⌈T/s⌉, Js, Cout], the concatenation of
   *   per dilation d: 1×1 → BN → ReLU → K×1 conv (dilation d, stride s)
   *   pool:           1×1 → BN → ReLU → 3×1 max pool (stride s)
   *   pointwise:      1×1 (stride s)
   * followed by BN.
   */
  function temporalModule(m: TemporalModule, x: tf.Tensor4D, stride: number, norm: Norm): tf.Tensor4D {
    const entries = m.dilated.length + (m.pool ? 1 : 0);
    const h = tf.relu(norm(linear(x, m.inW as tf.Tensor2D), m.inBn)) as tf.Tensor4D;
    const parts = splitChannels(h, entries);
    const outs = m.dilated.map((d, i) => dilatedTemporalConv(parts[i], d.w as tf.Tensor3D, d.dilation, stride));
    if (m.pool) outs.push(temporalMaxPool3(parts[entries - 1], stride));
    outs.push(linear(subsampleFrames(x, stride), m.pointwiseW as tf.Tensor2D) as tf.Tensor4D);
    return norm(concatChannels(outs), m.outBn) as tf.Tensor4D;
  }

  function project(p: Projection, x: tf.Tensor4D, stride: number, norm: Norm): tf.Tensor4D {
    return norm(linear(subsampleFrames(x, stride), p.w as tf.Tensor2D), p.bn) as tf.Tensor4D;
  }

  function block(b: Block, x: tf.Tensor4D, norm: Norm): tf.Tensor4D {
    // Spatial: [N, T, Js, Cin] → [N, T, Js, Cout]
    const g = norm(graphConv(x, effectiveGraph(b.gcn), b.gcn.weight as tf.Tensor2D), b.gcnBn);
    const spatial = tf.relu(tf.add(g, b.down === 'identity' ? x : project(b.down, x, 1, norm))) as tf.Tensor4D;
    // Temporal, multi-scale: [N, T, Js, Cout] → [N, ⌈T/s⌉, Js, Cout]
    const temporal = temporalModule(b.tcn, spatial, b.stride, norm);
    if (b.residual === 'none') return tf.relu(temporal);
    return tf.relu(
      tf.add(temporal, b.residual === 'identity' ? x : project(b.residual, x, b.stride, norm)),
    ) as tf.Tensor4D;
  }

  /** Batch norm in this pass's mode; a replayed (checkpointed) block leaves the moving statistics alone. */
  function normWith(training: boolean, replay: boolean): Norm {
    return (x, state) => batchNorm(x, state, training, replay ? 0 : BN_MOMENTUM);
  }

  function runStream(
    net: StreamNet,
    x: tf.Tensor4D,
    options: ForwardOptions,
    site: number,
    wantFeatures: boolean,
    trace?: Trace,
  ) {
    const s = net.stream.name;
    const Js = net.stream.numJoints;
    const [B, T] = x.shape;
    const unified = unifiedModality(x, net.index); // [B, T, P·Js, 4C]
    trace?.(`${s}.input`, unified);
    const normed = batchNorm(tf.reshape(unified, [B, T, P * Js * 4 * C]), net.dataBn, options.training);
    // Persons into the batch (4D transposes only: 5D ones take a slow path on wasm).
    let h = tf.reshape(P === 1 ? normed : tf.transpose(tf.reshape(normed, [B, T, P, Js * 4 * C]), [0, 2, 1, 3]), [
      B * P,
      T,
      Js,
      4 * C,
    ]) as tf.Tensor4D;
    trace?.(`${s}.data_bn`, h);
    for (const b of net.blocks) {
      const input = h;
      h =
        options.training && config.checkpoint
          ? checkpointed((xb, replay) => block(b, xb, normWith(true, replay)), input, blockVariables.get(b.name)!)
          : tf.tidy(() => block(b, input, normWith(options.training, false))); // frees the block's intermediates (the tape keeps what backward needs)
      trace?.(b.name, h);
    }
    const [, T2, , D] = h.shape;
    // Persons back into the joint axis, person-major: [B, T', P·Js, D] (only the first stream's are returned).
    const features = wantFeatures
      ? (tf.reshape(P === 1 ? h : tf.transpose(tf.reshape(h, [B, P, T2, Js * D]), [0, 2, 1, 3]), [
          B,
          T2,
          P * Js,
          D,
        ]) as tf.Tensor4D)
      : undefined;
    if (features) trace?.(`${s}.features`, features);
    const pooled = tf.mean(tf.reshape(h, [B, P, T2 * Js, D]), [1, 2]) as tf.Tensor2D;
    trace?.(`${s}.pool`, pooled);
    const head =
      options.training && config.dropout > 0
        ? (dropout(pooled, config.dropout, siteSeed(options.seed ?? 0, site)) as tf.Tensor2D)
        : pooled;
    const logits = linear(head, net.fcW as tf.Tensor2D, net.fcB as tf.Tensor1D) as tf.Tensor2D;
    trace?.(`${s}.fc`, logits);
    return { logits, pooled, features };
  }

  function checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4 || x.shape[2] !== P * J || x.shape[3] !== C) {
      throw new Error(
        `partstream: input must be [B, T, ${P}·${J}, ${C}] (persons · joints of '${layout.name}', channels), got [${x.shape.join(', ')}]`,
      );
    }
  }

  function run(batch: ModelBatch, options: ForwardOptions, trace?: Trace): ModelOutput {
    const x = batch.x;
    checkInput(x);
    trace?.('input', x);
    const outs = nets.map((net, i) => tf.tidy(() => runStream(net, x, options, i, i === 0, trace)));
    const streamLogits = outs.map((o) => o.logits);
    // log Σ_s α_s softmax(l_s) = logsumexp_s(log_softmax(l_s) + log α_s); zero-weight streams drop out.
    const terms = outs.flatMap((o, i) => {
      const w = config.fusionWeights[config.streams[i]];
      return w > 0 ? [tf.add(tf.logSoftmax(o.logits), Math.log(w))] : [];
    });
    const logits = (terms.length === 1 ? terms[0] : tf.logSumExp(tf.stack(terms), 0)) as tf.Tensor2D;
    trace?.('fusion', logits);
    return { logits, pooled: outs[0].pooled, features: outs[0].features!, streamLogits };
  }

  return {
    kind: 'partstream',
    config,
    params: store,
    persons: P,
    jointOrder: Int32Array.from({ length: J }, (_, j) => j),
    // `features` are the first stream's: its joints, per person.
    featureJoints: Int32Array.from(streams[0].joints),
    inChannels: C,
    frames: config.frames,
    streams,
    streamInputs(x) {
      checkInput(x);
      return nets.map((net) => unifiedModality(x, net.index));
    },
    forward: (batch, options) => run(batch, options),
    dispose: () => store.dispose(),
    describe(): StageInfo[] {
      const stages: StageInfo[] = [];
      tf.tidy(() => {
        const x = tf.zeros([1, config.frames, P * J, C]) as tf.Tensor4D;
        run({ x }, { training: false }, (stage, t) =>
          stages.push({ name: stage, shape: [...t.shape], parameters: countParameters(store, stage) }),
        );
      });
      return stages;
    },
  };
}
