/**
 * ST-GCN-style baseline (Yan et al., AAAI 2018), small and fast, on any layout.
 *
 *   input      [B, T, P·J, C]   persons flattened person-major into the joint axis
 *   data BN    over (J·C) per person, statistics over batch, persons and frames
 *   persons →  batch            [B·P, T, J, C]: every person runs through the network alone
 *   blocks     graph conv (self/inward/outward partition ∘ edge importance, or + adaptive B)
 *              → BN → ReLU → temporal conv 9×1 (stride 2 where the width grows) → BN
 *              (→ dropout) → + residual → ReLU
 *   pool       mean over frames and joints, then over persons → [B, D]
 *   head       linear D → classes
 *
 * Convs feed BNs, so they carry no bias. In training each block is checkpointed (recomputed
 * in the backward pass) unless `checkpoint: false`; see layers.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { getLayout, spatialPartition } from '../../graph/index.js';
import { batchNorm, dropout, linear, temporalConv, type BatchNormState } from '../ops.js';
import { ParameterStore } from '../params.js';
import type { ForwardOptions, ModelBatch, ModelOutput, SkeletonModel, StageInfo } from '../types.js';
import { parseStgcnConfig, type StgcnConfig, type StgcnConfigInput } from './config.js';
import {
  BN_MOMENTUM,
  addBatchNorm,
  addGraphConv,
  checkpointed,
  countParameters,
  effectiveGraph,
  graphConv,
  kaimingFanOut,
  siteSeed,
  subsampleFrames,
  torchLinearInit,
  trainableUnder,
  type GraphConvParams,
} from './layers.js';

/** Called with each stage's output during a traced forward pass (used by describe()). */
type Trace = (stage: string, tensor: tf.Tensor) => void;

interface StgcnBlock {
  readonly name: string;
  readonly stride: number;
  readonly gcn: GraphConvParams;
  readonly gcnBn: BatchNormState;
  readonly tcnW: tf.Variable; // [K, Cout, Cout]
  readonly tcnBn: BatchNormState;
  /** None for the first block (as ST-GCN), identity when shapes match, else 1×1 conv (stride s) + BN. */
  readonly residual: 'none' | 'identity' | { readonly w: tf.Variable; readonly bn: BatchNormState };
}

export type StgcnModel = SkeletonModel<StgcnConfig>;

/** Builds the model; parameters are initialised from `seed`. */
export function createStgcn(input: StgcnConfigInput, seed: number): StgcnModel {
  const config = parseStgcnConfig(input);
  const layout = getLayout(config.layout);
  const J = layout.numJoints;
  const P = config.persons;
  const C = config.inChannels;
  const { self, inward, outward } = spatialPartition(layout);
  const partition = [self, inward, outward];
  const store = new ParameterStore(seed);

  const dataBn = addBatchNorm(store, 'data_bn', J * C);
  const blocks: StgcnBlock[] = [];
  let cin = C;
  config.blocks.forEach((b, i) => {
    const name = `blocks.${i}`;
    const cout = b.channels;
    const K = config.temporalKernel;
    const residual: StgcnBlock['residual'] =
      i === 0
        ? 'none'
        : cin === cout && b.stride === 1
          ? 'identity'
          : {
              w: store.add(`${name}.residual.w`, [cin, cout], kaimingFanOut(cout)),
              bn: addBatchNorm(store, `${name}.residual.bn`, cout),
            };
    blocks.push({
      name,
      stride: b.stride,
      gcn: addGraphConv(store, `${name}.gcn`, partition, cin, cout, config.graph),
      gcnBn: addBatchNorm(store, `${name}.gcn.bn`, cout),
      tcnW: store.add(`${name}.tcn.w`, [K, cout, cout], kaimingFanOut(cout * K)),
      tcnBn: addBatchNorm(store, `${name}.tcn.bn`, cout),
      residual,
    });
    cin = cout;
  });
  const blockVariables = blocks.map((b) => trainableUnder(store, b.name));
  const fcW = store.add('fc.w', [cin, config.classes], torchLinearInit(cin));
  const fcB = store.add('fc.b', [config.classes], torchLinearInit(cin));

  /** One block; `replay` marks the recomputation of a checkpointed block (BN moving statistics stay put). */
  function block(b: StgcnBlock, x: tf.Tensor4D, options: ForwardOptions, site: number, replay = false): tf.Tensor4D {
    const training = options.training;
    const momentum = replay ? 0 : BN_MOMENTUM;
    let h = graphConv(x, effectiveGraph(b.gcn), b.gcn.weight as tf.Tensor2D); // [N, T, J, Cout]
    h = tf.relu(batchNorm(h, b.gcnBn, training, momentum)) as tf.Tensor4D;
    h = temporalConv(h, b.tcnW as tf.Tensor3D, undefined, { stride: b.stride }); // [N, ⌈T/s⌉, J, Cout]
    h = batchNorm(h, b.tcnBn, training, momentum) as tf.Tensor4D;
    if (training && config.dropout > 0)
      h = dropout(h, config.dropout, siteSeed(options.seed ?? 0, site)) as tf.Tensor4D;
    if (b.residual === 'none') return tf.relu(h);
    const r =
      b.residual === 'identity'
        ? x
        : batchNorm(
            linear(subsampleFrames(x, b.stride), b.residual.w as tf.Tensor2D),
            b.residual.bn,
            training,
            momentum,
          );
    return tf.relu(tf.add(h, r)) as tf.Tensor4D;
  }

  function run(batch: ModelBatch, options: ForwardOptions, trace?: Trace): ModelOutput {
    const x = batch.x;
    const [B, T, V, c] = x.shape;
    if (x.rank !== 4 || V !== P * J || c !== C) {
      throw new Error(
        `stgcn: input must be [B, T, ${P}·${J}, ${C}] (persons · joints of '${layout.name}', channels), got [${x.shape.join(', ')}]`,
      );
    }
    trace?.('input', x);
    // Data BN over (J·C) per person.
    const normed = batchNorm(tf.reshape(x, [B, T, P, J * C]), dataBn, options.training);
    // Persons into the batch (4D transposes only: 5D ones take a slow path on wasm).
    let h = tf.reshape(P === 1 ? normed : tf.transpose(normed, [0, 2, 1, 3]), [B * P, T, J, C]) as tf.Tensor4D;
    trace?.('data_bn', h);
    blocks.forEach((b, i) => {
      const input = h;
      h =
        options.training && config.checkpoint
          ? checkpointed((xb, replay) => block(b, xb, options, i, replay), input, blockVariables[i])
          : tf.tidy(() => block(b, input, options, i)); // frees the block's intermediates (the tape keeps what backward needs)
      trace?.(b.name, h);
    });
    const [, T2, , D] = h.shape;
    // features: [B, T', P·J, D], persons back into the joint axis, person-major.
    const features = tf.reshape(P === 1 ? h : tf.transpose(tf.reshape(h, [B, P, T2, J * D]), [0, 2, 1, 3]), [
      B,
      T2,
      P * J,
      D,
    ]) as tf.Tensor4D;
    trace?.('features', features);
    // Mean over frames and joints per person, then over persons (equal to the mean over T' and P·J).
    const pooled = tf.mean(tf.reshape(h, [B, P, T2 * J, D]), [1, 2]) as tf.Tensor2D;
    trace?.('pool', pooled);
    const logits = linear(pooled, fcW as tf.Tensor2D, fcB as tf.Tensor1D) as tf.Tensor2D;
    trace?.('fc', logits);
    return { logits, pooled, features };
  }

  return {
    kind: 'stgcn',
    config,
    params: store,
    persons: P,
    jointOrder: Int32Array.from({ length: J }, (_, j) => j),
    inChannels: C,
    frames: config.frames,
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
