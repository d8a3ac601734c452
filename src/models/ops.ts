/**
 * The tensor operations every skelact model is written with. Models never call tfjs ops
 * that are missing or slow on the wasm backend directly; they call these, which keep one
 * signature and pick an implementation that trains on wasm, cpu and tfjs-node alike.
 *
 * Tensor layout inside models: channels last, persons flattened into the joint axis,
 * x: [B, T, V, C] (V = persons · joints per person, person-major).
 *
 * NOTE: the first version of this file holds straightforward reference implementations;
 * the fast wasm paths (2D matMuls with transpose-free custom gradients, permutation gathers
 * with custom gradients, registered backward kernels) replace the bodies, not the signatures.
 */
import * as tf from '@tensorflow/tfjs';

/** y = x·W + b over the last axis. x: [..., Cin], w: [Cin, Cout], b: [Cout]. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const shape = x.shape;
  const cin = shape[shape.length - 1];
  const y = tf.matMul(tf.reshape(x, [-1, cin]), w);
  const out = b ? tf.add(y, b) : y;
  return tf.reshape(out, [...shape.slice(0, -1), w.shape[1]]);
}

/** Layer normalisation over the last axis (PyTorch LayerNorm, biased variance). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/** GELU, exact erf form (PyTorch nn.GELU default). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

export interface TemporalConvOptions {
  /** Stride over frames (default 1). */
  readonly stride?: number;
  /** Dilation over frames (default 1). */
  readonly dilation?: number;
  /** Channel groups (default 1): w is then [K, Cin / groups, Cout]. */
  readonly groups?: number;
}

/**
 * Convolution over frames only (kernel K×1), PyTorch-style symmetric zero padding
 * ((K − 1)·dilation / 2 on each side). x: [B, T, V, Cin]; w: [K, Cin / groups, Cout]; b: [Cout].
 */
export function temporalConv(x: tf.Tensor4D, w: tf.Tensor3D, b: tf.Tensor1D | undefined, options: TemporalConvOptions = {}): tf.Tensor4D {
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  const groups = options.groups ?? 1;
  const [K, cinPerGroup, cout] = w.shape;
  const pad = ((K - 1) * dilation) / 2;
  const padded = tf.pad(x, [
    [0, 0],
    [Math.floor(pad), Math.ceil(pad)],
    [0, 0],
    [0, 0],
  ]);
  const coutPerGroup = cout / groups;
  const outs: tf.Tensor4D[] = [];
  for (let g = 0; g < groups; g++) {
    const xg = groups === 1 ? padded : tf.slice(padded, [0, 0, 0, g * cinPerGroup], [-1, -1, -1, cinPerGroup]);
    const wg = groups === 1 ? w : tf.slice(w, [0, 0, g * coutPerGroup], [-1, -1, coutPerGroup]);
    outs.push(tf.conv2d(xg as tf.Tensor4D, tf.reshape(wg, [K, 1, cinPerGroup, coutPerGroup]) as tf.Tensor4D, [stride, 1], 'valid', 'NHWC', [dilation, 1]));
  }
  const y = outs.length === 1 ? outs[0] : tf.concat(outs, 3);
  return (b ? tf.add(y, b) : y) as tf.Tensor4D;
}

export interface BatchNormState {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
}

/**
 * Batch normalisation over every axis but the last (PyTorch BatchNorm2d on channels-last
 * data). In training it normalises with the batch statistics and updates the moving
 * averages (momentum 0.1, unbiased variance, as PyTorch).
 */
export function batchNorm(x: tf.Tensor, state: BatchNormState, training: boolean, momentum = 0.1, eps = 1e-5): tf.Tensor {
  if (!training) return tf.batchNorm(x, state.movingMean, state.movingVariance, state.beta, state.gamma, eps);
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const n = x.size / x.shape[x.shape.length - 1];
  tf.tidy(() => {
    state.movingMean.assign(tf.add(tf.mul(state.movingMean, 1 - momentum), tf.mul(mean, momentum)));
    const unbiased = tf.mul(variance, n / Math.max(1, n - 1)); // the update does not feed the loss, so no gradient flows through it
    state.movingVariance.assign(tf.add(tf.mul(state.movingVariance, 1 - momentum), tf.mul(unbiased, momentum)));
  });
  return tf.batchNorm(x, mean, variance, state.beta, state.gamma, eps);
}

/** Selects (or permutes) entries of one axis: out[..., i, ...] = x[..., indices[i], ...]. */
export function gatherAxis(x: tf.Tensor, indices: Int32Array, axis: number): tf.Tensor {
  return tf.gather(x, tf.tensor1d(indices, 'int32'), axis);
}

/** Inverted dropout with a per-call seed (deterministic for a given seed). */
export function dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  if (rate <= 0) return x;
  return tf.dropout(x, rate, undefined, seed);
}

/**
 * Stochastic depth (timm DropPath): zeroes whole samples of a residual branch with
 * probability `rate` and scales the kept ones by 1 / (1 − rate). x: [B, ...].
 */
export function dropPath(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  if (rate <= 0) return x;
  const keep = 1 - rate;
  const mask = tf.floor(tf.add(tf.randomUniform([x.shape[0], ...x.shape.slice(1).map(() => 1)], 0, 1, 'float32', seed), keep));
  return tf.mul(x, tf.div(mask, keep));
}

/**
 * Windowed multi-head attention: q, k, v: [W, heads, N, d] (W windows of N tokens);
 * bias: broadcastable to [W or 1, heads, N, N]. Returns [W, heads, N, d].
 */
export function windowAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, scale: number, bias?: tf.Tensor, attentionDropout = 0, seed = 0): tf.Tensor4D {
  let scores = tf.matMul(tf.mul(q, scale), k, false, true);
  if (bias) scores = tf.add(scores, bias);
  let attention = tf.softmax(scores, -1);
  if (attentionDropout > 0) attention = dropout(attention, attentionDropout, seed);
  return tf.matMul(attention, v) as tf.Tensor4D;
}
