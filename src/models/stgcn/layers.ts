/**
 * Building blocks of the graph-convolution models (ST-GCN here, the PSUMNet-style part
 * streams in ../partstream): batch-norm parameters, the partitioned spatial graph
 * convolution, frame subsampling, a temporal max pool whose backward needs no MaxPoolGrad,
 * channel split/concat that avoid wasm's row-by-row copies, and gradient checkpointing.
 *
 * Layout: x is [N, T, V, C] (channels last); N is batch · persons, because these models run
 * every person through the network separately.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/random.js';
import type { DenseMatrix } from '../../graph/index.js';
import { linear, temporalConv, type BatchNormState } from '../ops.js';
import type { Init, ParameterStore } from '../params.js';

/** Kaiming-normal init with fan-out (CTR-GCN's `conv_init`): std = √(2 / (out channels · kernel)). */
export function kaimingFanOut(fanOut: number): Init {
  return { kind: 'normal', std: Math.sqrt(2 / fanOut) };
}

/** PyTorch's default Linear init, U(±1/√fan_in), for weight and bias alike. */
export function torchLinearInit(fanIn: number): Init {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
}

/** BatchNorm parameters `name.{gamma,beta,movingMean,movingVariance}` (the last two not trainable). */
export function addBatchNorm(store: ParameterStore, name: string, channels: number, gamma = 1): BatchNormState {
  return {
    gamma: store.add(`${name}.gamma`, [channels], { kind: 'constant', value: gamma }),
    beta: store.add(`${name}.beta`, [channels], { kind: 'zeros' }),
    movingMean: store.add(`${name}.movingMean`, [channels], { kind: 'zeros' }, { trainable: false }),
    movingVariance: store.add(`${name}.movingVariance`, [channels], { kind: 'ones' }, { trainable: false }),
  };
}

/**
 * How the fixed partition matrices are made learnable:
 *  - 'importance': ST-GCN's edge-importance mask M (init 1), used as A ∘ M;
 *  - 'adaptive': an additive matrix B (init 1e-6, as 2s-AGCN and CTR-GCN), used as A + B.
 */
export const GRAPH_MODES = ['importance', 'adaptive'] as const;
export type GraphMode = (typeof GRAPH_MODES)[number];

/** The spatial partition as a list of K matrices (self, inward, outward), each [V][V]. */
export type PartitionMatrices = readonly DenseMatrix[];

export interface GraphConvParams {
  readonly mode: GraphMode;
  /** Fixed partition, [K, V, V] row-major: A[k][u][v] is how much joint u gathers from joint v. */
  readonly partition: Float32Array;
  readonly subsets: number;
  readonly joints: number;
  /** [K, V, V]: the importance mask or the additive matrix. */
  readonly edge: tf.Variable;
  /** [K · Cin, Cout], rows k-major: row k · Cin + c maps input channel c seen through partition k. */
  readonly weight: tf.Variable;
}

/** Creates `name.edge` and `name.w` for a graph convolution over the given partition. */
export function addGraphConv(
  store: ParameterStore,
  name: string,
  partition: PartitionMatrices,
  cin: number,
  cout: number,
  mode: GraphMode,
): GraphConvParams {
  const K = partition.length;
  const V = partition[0].length;
  const flat = new Float32Array(K * V * V);
  partition.forEach((a, k) => a.forEach((row, u) => row.forEach((value, v) => (flat[(k * V + u) * V + v] = value))));
  const edgeInit: Init = mode === 'importance' ? { kind: 'ones' } : { kind: 'constant', value: 1e-6 };
  return {
    mode,
    partition: flat,
    subsets: K,
    joints: V,
    edge: store.add(`${name}.edge`, [K, V, V], edgeInit, { decay: mode === 'adaptive' }),
    // CTR-GCN's conv_branch_init: normal(0, √(2 / (Cout · K))), one 1×1 conv per subset.
    weight: store.add(`${name}.w`, [K * cin, cout], { kind: 'normal', std: Math.sqrt(2 / (cout * K)) }),
  };
}

/** The matrices the convolution uses this step: A ∘ M or A + B, [K, V, V]. */
export function effectiveGraph(p: GraphConvParams): tf.Tensor3D {
  const a = tf.tensor3d(p.partition, [p.subsets, p.joints, p.joints]);
  return (p.mode === 'importance' ? tf.mul(a, p.edge) : tf.add(a, p.edge)) as tf.Tensor3D;
}

/**
 * Partitioned spatial graph convolution:
 *
 *   y[n, t, u, o] = Σ_k Σ_v Σ_c  a[k, u, v] · x[n, t, v, c] · w[k · Cin + c, o]
 *
 * x: [N, T, V, Cin]; a: [K, V, V]; w: [K · Cin, Cout] → [N, T, V, Cout]. The joint mixing is
 * one 2D matMul with the joints as the last axis (x^T · [a_0^T | a_1^T | …]), then one
 * linear layer over the K · Cin gathered channels; no einsum, no batched matMul.
 */
export function graphConv(x: tf.Tensor4D, a: tf.Tensor3D, w: tf.Tensor2D): tf.Tensor4D {
  const [N, T, V, C] = x.shape;
  const K = a.shape[0];
  // s[v, k · V + u] = a[k, u, v]
  const s = tf.reshape(tf.transpose(a, [2, 0, 1]), [V, K * V]) as tf.Tensor2D;
  const jointsLast = tf.transpose(x, [0, 1, 3, 2]); // [N, T, C, V]
  const mixed = linear(jointsLast, s); // [N, T, C, K · V]
  const perJoint = tf.transpose(tf.reshape(mixed, [N * T, C, K, V]), [0, 3, 2, 1]); // [N · T, V, K, C]
  return tf.reshape(linear(tf.reshape(perJoint, [N * T * V, K * C]), w), [N, T, V, w.shape[1]]) as tf.Tensor4D;
}

/** Frames 0, s, 2s, … (what a 1×1 convolution with stride s sees): [N, T, V, C] → [N, ⌈T/s⌉, V, C]. */
export function subsampleFrames(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  const [N, T, V, C] = x.shape;
  const out = Math.ceil(T / stride);
  const frame = V * C;
  // [N, T·V·C] view, zero frames appended up to a multiple of s, then [N·T', s·V·C] keeping the first V·C.
  let flat = tf.reshape(x, [N, T * frame]);
  if (out * stride > T)
    flat = tf.pad(flat, [
      [0, 0],
      [0, (out * stride - T) * frame],
    ]);
  const grouped = tf.reshape(flat, [N * out, stride * frame]);
  return tf.reshape(tf.slice(grouped, [0, 0], [N * out, frame]), [N, out, V, C]) as tf.Tensor4D;
}

/**
 * Max pool over 3 frames with padding 1 and stride s (PyTorch MaxPool2d((3, 1), (s, 1), (1, 0))),
 * written as the element-wise maximum of the shifted clip. Repeating the edge frame gives the
 * same maximum as padding with −∞. Its gradient goes through Maximum, not MaxPoolGrad, which
 * the wasm backend gets wrong (runtime.md §3).
 */
export function temporalMaxPool3(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [N, T, V, C] = x.shape;
  if (T === 1) return x;
  // Shifts along frames on an [N, T·V·C] view, so every copy is one contiguous run per sample.
  const frame = V * C;
  const flat = tf.reshape(x, [N, T * frame]);
  const previous = tf.concat([tf.slice(flat, [0, 0], [N, frame]), tf.slice(flat, [0, 0], [N, (T - 1) * frame])], 1);
  const next = tf.concat(
    [tf.slice(flat, [0, frame], [N, (T - 1) * frame]), tf.slice(flat, [0, (T - 1) * frame], [N, frame])],
    1,
  );
  const pooled = tf.reshape(tf.maximum(tf.maximum(flat, previous), next), [N, T, V, C]) as tf.Tensor4D;
  return subsampleFrames(pooled, stride);
}

/**
 * A K×1 temporal convolution with dilation d and stride s. With both above 1 it convolves at
 * stride 1 and keeps frames 0, s, 2s, … (the same result, as the padding is symmetric): tfjs
 * convolutions take a stride or a dilation, not both, and ops.temporalConv's gradient for
 * that case (one matMul per tap) is ~6× slower than its stride-1 dilated path.
 * x: [N, T, V, Cin]; w: [K, Cin, Cout] → [N, ⌈T/s⌉, V, Cout].
 */
export function dilatedTemporalConv(x: tf.Tensor4D, w: tf.Tensor3D, dilation: number, stride = 1): tf.Tensor4D {
  if (stride > 1 && dilation > 1) return subsampleFrames(temporalConv(x, w, undefined, { dilation }), stride);
  return temporalConv(x, w, undefined, { stride, dilation });
}

/**
 * Splits the channel axis into n equal groups, [N, T, V, n·c] → n × [N, T, V, c]. Goes through a
 * [n, N·T·V, c] transpose because slicing the last axis copies one short row at a time on wasm.
 */
export function splitChannels(x: tf.Tensor4D, n: number): tf.Tensor4D[] {
  if (n === 1) return [x];
  const [N, T, V, C] = x.shape;
  const c = C / n;
  const grouped = tf.transpose(tf.reshape(x, [N * T * V, n, c]), [1, 0, 2]); // [n, N·T·V, c]
  return tf.unstack(grouped, 0).map((part) => tf.reshape(part, [N, T, V, c]) as tf.Tensor4D);
}

/** Concatenates equally wide channel groups, n × [N, T, V, c] → [N, T, V, n·c] (the inverse of splitChannels). */
export function concatChannels(parts: readonly tf.Tensor4D[]): tf.Tensor4D {
  if (parts.length === 1) return parts[0];
  const [N, T, V, c] = parts[0].shape;
  const stacked = tf.stack(
    parts.map((p) => tf.reshape(p, [N * T * V, c])),
    0,
  ); // [n, N·T·V, c]
  return tf.reshape(tf.transpose(stacked, [1, 0, 2]), [N, T, V, parts.length * c]) as tf.Tensor4D;
}

// Gradient checkpointing is a generic op (src/models/ops.ts); re-exported for the GCN layers.
export { checkpointed } from '../ops.js';

/** Frames after a temporal layer with 'same' padding and stride s: ⌈T / s⌉. */
export function framesAfter(T: number, stride: number): number {
  return Math.ceil(T / stride);
}

/** PyTorch's BatchNorm momentum; blocks replayed by `checkpointed` pass 0 so the moving statistics stay put. */
export const BN_MOMENTUM = 0.1;

/** The trainable parameters whose names start with `prefix.`, in creation order. */
export function trainableUnder(store: ParameterStore, prefix: string): tf.Variable[] {
  return store
    .entries()
    .filter(([info]) => info.trainable && info.name.startsWith(`${prefix}.`))
    .map(([, v]) => v);
}

/** Trainable values among a store's parameters whose names start with `prefix.` (or equal it). */
export function countParameters(store: ParameterStore, prefix: string): number {
  return store
    .entries()
    .filter(([info]) => info.trainable && (info.name === prefix || info.name.startsWith(`${prefix}.`)))
    .reduce((sum, [info]) => sum + info.shape.reduce((a, b) => a * b, 1), 0);
}

/** Seed of one dropout site in one step, so that sites differ and a step can be replayed. */
export function siteSeed(stepSeed: number, site: number): number {
  return deriveSeed(stepSeed >>> 0, site);
}
