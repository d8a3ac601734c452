/**
 * The tensor operations every skelact model is written with. Models never call tfjs ops
 * that are missing or slow on the wasm backend directly; they call these, which keep one
 * signature and pick an implementation that trains on wasm, cpu and tfjs-node alike.
 *
 * Tensor layout inside models: channels last, persons flattened into the joint axis,
 * x: [B, T, V, C] (V = persons · joints per person, person-major).
 *
 * Each op computes exactly what its plain reference in `referenceOps` (bottom of this file)
 * computes — same values up to float rounding, same gradients, same dropout masks — but
 * shaped for tfjs-backend-wasm, where only XNNPACK's convolution and its unbatched,
 * untransposed matMul are fast (src/engine/wasm-kernels.ts fixes the kernels; this file
 * picks the ops):
 *
 *   linear          2D matMul; gradients as untransposed 2D matMuls of explicit transposes.
 *   temporalConv    one XNNPACK conv forward; gradients as forward convs (flipped filter for
 *                   the input, dilation = stride for the filter); groups as one conv with a
 *                   block-diagonal filter built from the grouped weights.
 *   gatherAxis      gradient as a gather with the inverse index (permutations), a few
 *                   gathers from a zero-padded gradient (selections with few repeats), or a
 *                   one-hot matMul (small tables with many repeats); cached index tensors.
 *   windowAttention q·kᵀ as d broadcast products for small head dims (the batched matMul is a
 *                   scalar loop on wasm, 5× slower for d = 3), a fused backward pass.
 *   layerNorm,      one op with a fused backward pass (2–4× faster than differentiating
 *   batchNorm       through tf.moments); layerNorm with native kernels: one native pass each way.
 *   dropout         a seeded mask from src/core/random.ts, drawn by a tight loop straight
 *                   into wasm memory.
 *   gelu            with native kernels: one native pass forward and one backward (erf and
 *                   exp written to vectorise); on stock wasm as written (a fused GELU
 *                   backward of tfjs ops is no faster: erf and exp dominate either way).
 *   dropPath        as written.
 *   partitionedAttention  native kernels only: one Skate-MSA branch (windows, attention, back
 *                   to the grid) as one op each way.
 *   groupMix        native kernels only: SkateFormer's G-Conv as one op each way.
 *   skateMix        native kernels only: a SkateFormer block's G-Conv | T-Conv | four Skate-MSA
 *                   branches on the unsplit mapping output into one buffer, one op each way.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/random.js';
import {
  type AdamWStep,
  NATIVE_ADAMW,
  NATIVE_GELU,
  NATIVE_GELU_GRAD,
  NATIVE_BIAS_SOFTMAX,
  NATIVE_SOFTMAX_GRAD,
  NATIVE_SKATE_ATTENTION,
  NATIVE_SKATE_ATTENTION_GRAD,
  NATIVE_SKATE_MIX,
  NATIVE_SKATE_MIX_GRAD,
  NATIVE_COLUMNS,
  NATIVE_LAYER_NORM,
  NATIVE_LAYER_NORM_GRAD,
  NATIVE_GROUP_MIX,
  NATIVE_GROUP_MIX_GRAD,
} from '../engine/native-kernel-names.js';
import { dropoutMultiplierTensor } from '../engine/seeded-random.js';

/** The mark of skelact's native kernels (src/engine/native-kernels.ts; not imported: Node only). */
const NATIVE_KERNEL = Symbol.for('skelact.nativeKernel');

/**
 * Whether products run on skelact's native OpenBLAS kernels: there, transposed and batched
 * matMuls are as fast as plain ones, so the workarounds below for the stock wasm kernels
 * (explicit transposes, broadcast outer products) only cost time.
 */
function nativeProducts(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const kernel = tf.getKernel(tf.BatchMatMul, 'wasm') as unknown as Record<symbol, boolean> | undefined;
  return !!kernel?.[NATIVE_KERNEL];
}

type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/**
 * Runs `forward` on `inputs` as one differentiable op whose gradient is `gradFunc`
 * (tf.customGrad with typed arguments).
 */
function withGradient<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  forward: (args: tf.Tensor[], save: tf.GradSaveFunc) => { value: T; gradFunc: GradFunc },
): T {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return forward(args.slice(0, -1) as tf.Tensor[], save);
  });
  return f(...inputs) as T;
}

// ---------------------------------------------------------------------------------------------
// linear
// ---------------------------------------------------------------------------------------------

/** x [M, K] · w [K, N] with gradients dx = dy · wᵀ and dw = xᵀ · dy, both untransposed matMuls. */
function matMul2d(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const inputs = b ? [x, w, b] : [x, w];
  return withGradient<tf.Tensor2D>(inputs, ([xi, wi, bi], save) => {
    save([xi, wi]);
    // The bias is added inside the matMul kernel (XNNPACK's fully-connected op takes one).
    const y = bi
      ? tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, bias: bi })
      : tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D);
    return {
      value: y as tf.Tensor2D,
      gradFunc: (dy, saved) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        if (nativeProducts()) {
          const dxn = tf.matMul(g, ws, false, true);
          const dwn = tf.matMul(xs, g, true, false);
          return bi ? [dxn, dwn, tf.sum(dy, 0)] : [dxn, dwn];
        }
        const dx = tf.matMul(g, tf.transpose(ws));
        // XNNPACK packs the right operand (here [M, ·] with M = every token) on each call:
        // pack the narrower of x and dy, and transpose the small result if need be.
        const dw =
          xs.shape[1] <= g.shape[1] ? tf.transpose(tf.matMul(tf.transpose(g), xs)) : tf.matMul(tf.transpose(xs), g);
        return bi ? [dx, dw, tf.sum(dy, 0)] : [dx, dw];
      },
    };
  });
}

/** y = x·W + b over the last axis. x: [..., Cin], w: [Cin, Cout], b: [Cout]. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const shape = x.shape;
  const cin = shape[shape.length - 1];
  if (w.shape[0] !== cin) throw new Error(`linear: x has ${cin} channels but w is [${w.shape}]`);
  const y = matMul2d(tf.reshape(x, [-1, cin]), w, b);
  return tf.reshape(y, [...shape.slice(0, -1), w.shape[1]]);
}

// ---------------------------------------------------------------------------------------------
// normalisation and activations
// ---------------------------------------------------------------------------------------------

/**
 * x̂ = (x − mean) / sqrt(var + eps) over `axes`, then γ·x̂ + β, with the fused backward pass
 * dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)), dγ = Σ dy ⊙ x̂, dβ = Σ dy (sums over every
 * axis but the last). About 2× (layer norm) to 4× (batch norm) faster on wasm than
 * differentiating through tf.moments. `onStatistics` sees the batch mean and variance.
 */
function normalize(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  axes: number[],
  eps: number,
  onStatistics?: (mean: tf.Tensor, variance: tf.Tensor) => void,
): tf.Tensor {
  const keepDims = axes.length === 1 && axes[0] === x.rank - 1;
  const lead = [...Array(x.rank - 1).keys()];
  return withGradient([x, gamma, beta], ([xi, g, b], save) => {
    const mean = tf.mean(xi, axes, keepDims);
    const centred = tf.sub(xi, mean);
    const variance = tf.mean(tf.square(centred), axes, keepDims);
    onStatistics?.(mean, variance);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy, [xh, r, gs]) => {
        const dxhat = tf.mul(dy, gs);
        const dx = tf.mul(
          r,
          tf.sub(tf.sub(dxhat, tf.mean(dxhat, axes, keepDims)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), axes, keepDims))),
        );
        return [dx, tf.sum(tf.mul(dy, xh), lead), tf.sum(dy, lead)];
      },
    };
  });
}

/** Layer norm as one native kernel forward and one backward (d x, d γ, d β), one tape entry. */
function nativeLayerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  return withGradient([x, gamma, beta], ([xi, g, b], save) => {
    save([xi, g]);
    return {
      value: tf.engine().runKernel(NATIVE_LAYER_NORM, { x: xi, gamma: g, beta: b }, { eps }) as tf.Tensor,
      gradFunc: (dy, [xs, gs]) =>
        tf.engine().runKernel(NATIVE_LAYER_NORM_GRAD, { x: xs, gamma: gs, dy }, { eps }) as tf.Tensor[],
    };
  });
}

/** Layer normalisation over the last axis (PyTorch LayerNorm, biased variance). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor {
  if (x.dtype === 'float32' && x.rank >= 1 && hasNative(NATIVE_LAYER_NORM) && hasNative(NATIVE_LAYER_NORM_GRAD))
    return nativeLayerNorm(x, gamma, beta, eps);
  return normalize(x, gamma, beta, [x.rank - 1], eps);
}

/** Whether skelact's own native kernel `name` runs on the current backend. */
function hasNative(name: string): boolean {
  return !!tf.getKernel(name, tf.getBackend());
}

/** Whether an AdamW step runs as one native kernel per parameter on the current backend. */
export function hasFusedAdamW(): boolean {
  return hasNative(NATIVE_ADAMW);
}

/** One AdamW step as one native kernel: [p, m, v] after it. An update, not a model op: no gradient. */
export function adamwStep(
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  s: AdamWStep,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (!hasFusedAdamW()) throw new Error(`adamwStep: no ${NATIVE_ADAMW} kernel on backend '${tf.getBackend()}'`);
  return tf.engine().runKernel(NATIVE_ADAMW, { p, m, v, g }, { ...s }) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** GELU in one native pass forward and one backward, instead of 5 and about 10 tfjs kernels. */
function nativeGelu(x: tf.Tensor): tf.Tensor {
  return withGradient([x], ([xi], save) => {
    save([xi]);
    return {
      value: tf.engine().runKernel(NATIVE_GELU, { x: xi }, {}) as tf.Tensor,
      gradFunc: (dy, [xs]) => [tf.engine().runKernel(NATIVE_GELU_GRAD, { x: xs, dy }, {}) as tf.Tensor],
    };
  });
}

/** GELU, exact erf form (PyTorch nn.GELU default). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && hasNative(NATIVE_GELU)) return nativeGelu(x);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

// ---------------------------------------------------------------------------------------------
// temporalConv
// ---------------------------------------------------------------------------------------------

export interface TemporalConvOptions {
  /** Stride over frames (default 1). */
  readonly stride?: number;
  /** Dilation over frames (default 1). */
  readonly dilation?: number;
  /** Channel groups (default 1): w is then [K, Cin / groups, Cout]. */
  readonly groups?: number;
}

/** Constant tensors made once per backend and shape (index tables, masks), kept across tidy scopes. */
const constants = new Map<string, tf.Tensor>();

function constant<T extends tf.Tensor>(key: string, make: () => T): T {
  const full = `${tf.getBackend()}|${key}`;
  const cached = constants.get(full);
  if (cached && !cached.isDisposed) return cached as T;
  const made = tf.keep(make());
  constants.set(full, made);
  return made;
}

/** [Cin, Cout] 0/1 mask of a grouped conv's block-diagonal filter. */
function groupMask(cin: number, cout: number, groups: number): tf.Tensor2D {
  return constant(`groupMask|${cin}|${cout}|${groups}`, () => {
    const m = new Float32Array(cin * cout);
    const ci = cin / groups;
    const co = cout / groups;
    for (let i = 0; i < cin; i++)
      for (let o = 0; o < cout; o++) if (Math.floor(i / ci) === Math.floor(o / co)) m[i * cout + o] = 1;
    return tf.tensor2d(m, [cin, cout]);
  });
}

/** Row indices 0…n−1 repeated `times` times (one array per size, so gatherAxis caches its plan). */
const repeatTables = new Map<string, Int32Array>();

function repeatedRows(n: number, times: number): Int32Array {
  const key = `${n}|${times}`;
  let table = repeatTables.get(key);
  if (!table) repeatTables.set(key, (table = Int32Array.from({ length: n * times }, (_, i) => i % n)));
  return table;
}

/**
 * A grouped filter [K, Cin/g, Cout] written out as the equivalent dense one [K, Cin, Cout]. The
 * copies along Cin are a gather, not tf.tile: the wasm backend's Tile kernel took 1 ms for the
 * [7, 6, 48] × 8 filter of SkateFormer's T-Conv (the gather 0.04 ms), about a tenth of the
 * NW-UCLA forward pass at batch 1.
 */
function blockDiagonal(w: tf.Tensor3D, groups: number): tf.Tensor3D {
  const [, cinPerGroup, cout] = w.shape;
  const tiled = gatherAxis(w, repeatedRows(cinPerGroup, groups), 1);
  return tf.mul(tiled, groupMask(cinPerGroup * groups, cout, groups)) as tf.Tensor3D;
}

/** Explicit NHWC padding of the frame axis only. */
function framePadding(before: number, after: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [before, after],
    [0, 0],
    [0, 0],
  ];
}

/** Pads (positive amounts) or crops (negative amounts) the frame axis of [B, T, V, C]. */
function padOrCropFrames(x: tf.Tensor4D, before: number, after: number): tf.Tensor4D {
  let y = x;
  if (before < 0 || after < 0) {
    const from = Math.max(0, -before);
    y = tf.slice(y, [0, from, 0, 0], [-1, y.shape[1] - from - Math.max(0, -after), -1, -1]);
  }
  if (before > 0 || after > 0) y = tf.pad(y, framePadding(Math.max(0, before), Math.max(0, after)));
  return y;
}

/** Every `stride`-th frame of [B, T, V, C], starting at `from`, `count` of them. */
function strideFrames(x: tf.Tensor4D, from: number, count: number, stride: number): tf.Tensor4D {
  const [B, , V, C] = x.shape;
  return tf.stridedSlice(
    x,
    [0, from, 0, 0],
    [B, from + (count - 1) * stride + 1, V, C],
    [1, stride, 1, 1],
  ) as tf.Tensor4D;
}

interface FrameConv {
  readonly K: number;
  readonly stride: number;
  readonly dilation: number;
  readonly top: number;
  readonly bottom: number;
}

/** Forward K×1 conv over frames: x [B, T, V, Cin], w [K, 1, Cin, Cout]. */
function convFrames(x: tf.Tensor4D, w: tf.Tensor4D, c: FrameConv): tf.Tensor4D {
  if (c.stride > 1 && c.dilation > 1) {
    // tfjs convolutions take a stride or a dilation, not both: convolve densely, keep every stride-th frame.
    const dense = tf.conv2d(x, w, 1, framePadding(c.top, c.bottom), 'NHWC', [c.dilation, 1]);
    const count = Math.floor((dense.shape[1] - 1) / c.stride) + 1;
    return strideFrames(dense, 0, count, c.stride);
  }
  return tf.conv2d(x, w, [c.stride, 1], framePadding(c.top, c.bottom), 'NHWC', [c.dilation, 1]);
}

/** dL/dx of convFrames: a stride-1 conv of the zero-spread, padded dy with the flipped filter. */
function convFramesInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, T: number, c: FrameConv): tf.Tensor4D {
  const [B, To, V, Cout] = dy.shape;
  // dy[t] moves to frame t·stride, with zeros between (and stride − 1 after the last).
  const spread =
    c.stride > 1
      ? (tf.reshape(
          tf.pad(tf.reshape(dy, [B, To, 1, V * Cout]), [
            [0, 0],
            [0, 0],
            [0, c.stride - 1],
            [0, 0],
          ]),
          [B, To * c.stride, V, Cout],
        ) as tf.Tensor4D)
      : dy;
  const before = (c.K - 1) * c.dilation - c.top;
  const after = T + (c.K - 1) * c.dilation - spread.shape[1] - before;
  const flipped = tf.transpose(tf.reverse(w, 0), [0, 1, 3, 2]) as tf.Tensor4D; // [K, 1, Cout, Cin]
  if (before >= 0 && after >= 0)
    return tf.conv2d(spread, flipped, 1, framePadding(before, after), 'NHWC', [c.dilation, 1]);
  return tf.conv2d(padOrCropFrames(spread, before, after), flipped, 1, 'valid', 'NHWC', [c.dilation, 1]);
}

/**
 * dL/dw of convFrames, [K, 1, Cin, Cout]: a conv whose image is x with the batch as channels,
 * [Cin, T, V, B], and whose filter is dy, [To, V, B, Cout]; the forward stride becomes the
 * filter's dilation and the forward dilation its stride.
 */
function convFramesFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, c: FrameConv): tf.Tensor4D {
  const [B, T, V, Cin] = x.shape;
  const [, To, , Cout] = dy.shape;
  const bottom = (To - 1) * c.stride + (c.K - 1) * c.dilation + 1 - T - c.top;
  if (c.stride > 1 && c.dilation > 1) {
    // Rare: one 2D matMul per tap.
    const xp = padOrCropFrames(x, c.top, bottom);
    const dy2 = tf.reshape(dy, [B * To * V, Cout]) as tf.Tensor2D;
    const taps = [...Array(c.K).keys()].map((k) => {
      const xs = tf.reshape(strideFrames(xp, k * c.dilation, To, c.stride), [B * To * V, Cin]);
      return tf.matMul(tf.transpose(xs), dy2);
    });
    return tf.reshape(tf.stack(taps), [c.K, 1, Cin, Cout]) as tf.Tensor4D;
  }
  const image = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [Cin, T, V, B]
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [To, V, B, Cout]
  const grad =
    c.top >= 0 && bottom >= 0
      ? tf.conv2d(image, filter, [c.dilation, 1], framePadding(c.top, bottom), 'NHWC', [c.stride, 1])
      : tf.conv2d(padOrCropFrames(image, c.top, bottom), filter, [c.dilation, 1], 'valid', 'NHWC', [c.stride, 1]); // [Cin, K, 1, Cout]
  return tf.transpose(grad, [1, 2, 0, 3]) as tf.Tensor4D;
}

/**
 * Convolution over frames only (kernel K×1), PyTorch-style symmetric zero padding
 * ((K − 1)·dilation / 2 on each side). x: [B, T, V, Cin]; w: [K, Cin / groups, Cout]; b: [Cout].
 */
export function temporalConv(
  x: tf.Tensor4D,
  w: tf.Tensor3D,
  b: tf.Tensor1D | undefined,
  options: TemporalConvOptions = {},
): tf.Tensor4D {
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  const groups = options.groups ?? 1;
  const [K, cinPerGroup, cout] = w.shape;
  const cin = x.shape[3];
  if (cinPerGroup * groups !== cin || cout % groups !== 0) {
    throw new Error(`temporalConv: w [${w.shape}] with ${groups} groups does not fit ${cin} input channels`);
  }
  const pad = ((K - 1) * dilation) / 2;
  const c: FrameConv = { K, stride, dilation, top: Math.floor(pad), bottom: Math.ceil(pad) };
  const dense = groups === 1 ? w : blockDiagonal(w, groups);
  const inputs = b ? [x, dense, b] : [x, dense];
  return withGradient<tf.Tensor4D>(inputs, ([xi, wi, bi], save) => {
    save([xi, wi]);
    const w4 = tf.reshape(wi, [K, 1, cin, cout]) as tf.Tensor4D;
    const y = convFrames(xi as tf.Tensor4D, w4, c);
    return {
      value: (bi ? tf.add(y, bi) : y) as tf.Tensor4D,
      gradFunc: (dy, [xs, ws]) => {
        const g = dy as tf.Tensor4D;
        const wsr = tf.reshape(ws, [K, 1, cin, cout]) as tf.Tensor4D;
        if (nativeProducts() && c.dilation === 1) {
          // The native kernels compute both gradients as GEMMs over im2col columns directly:
          // the forward-conv rewrites below (made for XNNPACK) would only add transposes.
          const attrs = {
            strides: [stride, 1],
            pad: framePadding(c.top, c.bottom),
            dataFormat: 'NHWC',
            dimRoundingMode: undefined,
          } as unknown as tf.NamedAttrMap;
          const dxn = tf
            .engine()
            .runKernel(tf.Conv2DBackpropInput, { dy: g, filter: wsr }, { ...attrs, inputShape: xs.shape }) as tf.Tensor;
          const dwn = tf.reshape(
            tf
              .engine()
              .runKernel(
                tf.Conv2DBackpropFilter,
                { x: xs, dy: g },
                { ...attrs, filterShape: [K, 1, cin, cout] },
              ) as tf.Tensor,
            [K, cin, cout],
          );
          return bi ? [dxn, dwn, tf.sum(g, [0, 1, 2])] : [dxn, dwn];
        }
        const dx = convFramesInputGrad(g, wsr, x.shape[1], c);
        const dw = tf.reshape(convFramesFilterGrad(xs as tf.Tensor4D, g, c), [K, cin, cout]);
        return bi ? [dx, dw, tf.sum(g, [0, 1, 2])] : [dx, dw];
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// batch norm
// ---------------------------------------------------------------------------------------------

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
export function batchNorm(
  x: tf.Tensor,
  state: BatchNormState,
  training: boolean,
  momentum = 0.1,
  eps = 1e-5,
): tf.Tensor {
  if (!training) return tf.batchNorm(x, state.movingMean, state.movingVariance, state.beta, state.gamma, eps);
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / x.shape[x.shape.length - 1];
  return normalize(x, state.gamma, state.beta, axes, eps, (mean, variance) =>
    tf.tidy(() => {
      state.movingMean.assign(tf.add(tf.mul(state.movingMean, 1 - momentum), tf.mul(mean, momentum)));
      const unbiased = tf.mul(variance, n / Math.max(1, n - 1)); // the update does not feed the loss, so no gradient flows through it
      state.movingVariance.assign(tf.add(tf.mul(state.movingVariance, 1 - momentum), tf.mul(unbiased, momentum)));
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// gatherAxis
// ---------------------------------------------------------------------------------------------

/** How the gradient of a gather with one static index table is scattered back. */
interface GatherPlan {
  readonly indices: tf.Tensor1D;
  /**
   * Inverse gathers: dx = Σ_r gather(dy with one zero slot appended, inverse[r]). A permutation
   * has one, without the zero slot; a selection that repeats a source at most R times has R.
   */
  readonly inverse: tf.Tensor1D[];
  readonly padded: boolean;
  /** Else: one-hot [nOut, nIn], dx = dy · selection over the gathered axis. */
  readonly selection?: tf.Tensor2D;
}

/** Above this many repeats of one source, a small enough table scatters by one-hot matMul. */
const MAX_GATHER_LAYERS = 8;
const MAX_ONE_HOT_ENTRIES = 1 << 22;

const gatherPlans = new WeakMap<Int32Array, Map<string, GatherPlan>>();

function makeGatherPlan(indices: Int32Array, n: number): GatherPlan {
  const count = new Int32Array(n);
  indices.forEach((i) => {
    if (!(i >= 0 && i < n)) throw new Error(`gatherAxis: index ${i} is outside [0, ${n})`);
    count[i]++;
  });
  const repeats = count.reduce((a, b) => Math.max(a, b), 0);
  const nOut = indices.length;
  const keep = <T extends tf.Tensor>(t: T) => tf.keep(t);
  const index = keep(tf.tensor1d(indices, 'int32'));
  if (repeats > MAX_GATHER_LAYERS && nOut * n <= MAX_ONE_HOT_ENTRIES) {
    const s = new Float32Array(nOut * n);
    indices.forEach((src, i) => (s[i * n + src] = 1));
    return { indices: index, inverse: [], padded: false, selection: keep(tf.tensor2d(s, [nOut, n])) };
  }
  const permutation = nOut === n && repeats === 1;
  const layers = Array.from({ length: Math.max(1, repeats) }, () => new Int32Array(n).fill(nOut)); // nOut: the zero slot
  const seen = new Int32Array(n);
  indices.forEach((src, i) => (layers[seen[src]++][src] = i));
  return { indices: index, inverse: layers.map((l) => keep(tf.tensor1d(l, 'int32'))), padded: !permutation };
}

function gatherPlan(indices: Int32Array, n: number): GatherPlan {
  let byBackend = gatherPlans.get(indices);
  if (!byBackend) gatherPlans.set(indices, (byBackend = new Map()));
  const key = `${tf.getBackend()}|${n}`;
  const cached = byBackend.get(key);
  if (cached && !cached.indices.isDisposed) return cached;
  const plan = makeGatherPlan(indices, n);
  byBackend.set(key, plan);
  return plan;
}

function scatterGather(dy: tf.Tensor, plan: GatherPlan, axis: number): tf.Tensor {
  if (plan.selection) {
    const rank = dy.rank;
    const perm = [...[...Array(rank).keys()].filter((a) => a !== axis), axis];
    const moved = tf.transpose(dy, perm);
    const nOut = plan.selection.shape[0];
    const flat = tf.matMul(tf.reshape(moved, [-1, nOut]) as tf.Tensor2D, plan.selection);
    const back = tf.reshape(flat, [...moved.shape.slice(0, -1), plan.selection.shape[1]]);
    return tf.transpose(back, tf.backend_util.getUndoAxesPermutation(perm));
  }
  if (!plan.padded) return tf.gather(dy, plan.inverse[0], axis);
  const paddings = dy.shape.map((_, a) => (a === axis ? [0, 1] : [0, 0])) as Array<[number, number]>;
  const withZero = tf.pad(dy, paddings);
  const parts = plan.inverse.map((inv) => tf.gather(withZero, inv, axis));
  return parts.length === 1 ? parts[0] : tf.addN(parts);
}

/** Selects (or permutes) entries of one axis: out[..., i, ...] = x[..., indices[i], ...]. */
export function gatherAxis(x: tf.Tensor, indices: Int32Array, axis: number): tf.Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!(a >= 0 && a < x.rank)) throw new Error(`gatherAxis: axis ${axis} out of range for rank ${x.rank}`);
  const plan = gatherPlan(indices, x.shape[a]);
  return withGradient([x], ([xi]) => ({
    value: tf.gather(xi, plan.indices, a),
    gradFunc: (dy) => scatterGather(dy, plan, a),
  }));
}

// ---------------------------------------------------------------------------------------------
// dropout
// ---------------------------------------------------------------------------------------------

/** Inverted dropout with a per-call seed (the same mask for the same seed, on every backend). */
export function dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  if (rate <= 0) return x;
  if (!(rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  return tf.mul(x, dropoutMultiplierTensor(x.shape, rate, seed));
}

/**
 * Stochastic depth (timm DropPath): zeroes whole samples of a residual branch with
 * probability `rate` and scales the kept ones by 1 / (1 − rate). x: [B, ...].
 */
export function dropPath(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  if (rate <= 0) return x;
  const samples = x.shape[0];
  const multiplier = new Float32Array(samples);
  new Rng(seed).fillDropoutMask(multiplier, rate);
  return tf.mul(x, tf.tensor(multiplier, [samples, ...x.shape.slice(1).map(() => 1)]));
}

// ---------------------------------------------------------------------------------------------
// windowAttention
// ---------------------------------------------------------------------------------------------

/**
 * Head dims up to this use broadcast products for q·kᵀ and dO·vᵀ instead of the batched matMul
 * (measured on wasm at N = 64 with the same number of N × N entries: d = 4: 26 vs 86 ms,
 * d = 8: 29 vs 60, d = 16: 27 vs 47).
 */
const BROADCAST_MAX_HEAD_DIM = 16;
/** Products summed per AddN, bounding the N × N temporaries alive at once. */
const PRODUCTS_PER_SUM = 4;

/**
 * a · bᵀ over the last two axes, a: [..., N, d], b: [..., M, d] → [..., N, M]. For small d it is
 * the sum of d outer products a[..., j] ⊗ b[..., j] (broadcast multiplies run as SIMD loops on
 * wasm; the batched matMul with a 3-wide inner dimension is a scalar loop). Only for use inside
 * a custom gradient (it frees its temporaries by hand).
 */
function matMulTransposeB(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const d = a.shape[a.rank - 1];
  if (d > BROADCAST_MAX_HEAD_DIM || nativeProducts()) return tf.matMul(a, b, false, true);
  const lead = a.shape.slice(0, -2);
  const n = a.shape[a.rank - 2];
  const swap = [...lead.keys(), lead.length + 1, lead.length];
  const aCols = tf.split(tf.transpose(a, swap), d, lead.length); // d × [..., 1, N]
  const bCols = tf.split(tf.transpose(b, swap), d, lead.length); // d × [..., 1, M]
  let total: tf.Tensor | undefined;
  for (let j0 = 0; j0 < d; j0 += PRODUCTS_PER_SUM) {
    const partial = tf.tidy(() => {
      const products = aCols
        .slice(j0, j0 + PRODUCTS_PER_SUM)
        .map((col, i) => tf.mul(tf.reshape(col, [...lead, n, 1]), bCols[j0 + i]));
      return products.length === 1 ? products[0] : tf.addN(products);
    });
    if (!total) total = partial;
    else {
      const sum = tf.add(total, partial);
      tf.dispose([total, partial]);
      total = sum;
    }
  }
  tf.dispose([...aCols, ...bCols]);
  return total as tf.Tensor;
}

/** The bias gradient: dS summed over the axes the bias was broadcast along. */
function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  const full = [...Array(g.rank - shape.length).fill(1), ...shape];
  const axes = full.map((s, i) => (s === 1 && g.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
  return tf.reshape(axes.length ? tf.sum(g, axes) : g, shape);
}

/**
 * Windowed multi-head attention: q, k, v: [W, heads, N, d] (W windows of N tokens);
 * bias: broadcastable to [W or 1, heads, N, N]. Returns [W, heads, N, d].
 */
export function windowAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  scale: number,
  bias?: tf.Tensor,
  attentionDropout = 0,
  seed = 0,
): tf.Tensor4D {
  const inputs = bias ? [q, k, v, bias] : [q, k, v];
  return withGradient<tf.Tensor4D>(inputs, ([qi, ki, vi, bi], save) => {
    const scores = matMulTransposeB(tf.mul(qi, scale), ki);
    // Native: bias add and softmax in one pass where the bias covers whole [N, N] maps.
    const nativeSoftmax =
      hasNative(NATIVE_BIAS_SOFTMAX) &&
      (!bi ||
        (bi.rank >= 2 && bi.rank <= scores.rank && tf.util.arraysEqual(bi.shape.slice(-2), scores.shape.slice(-2))));
    const attention = nativeSoftmax
      ? (tf.engine().runKernel(NATIVE_BIAS_SOFTMAX, bi ? { x: scores, bias: bi } : { x: scores }, {}) as tf.Tensor)
      : tf.softmax(bi ? tf.add(scores, bi) : scores, -1);
    const multiplier =
      attentionDropout > 0 ? dropoutMultiplierTensor(attention.shape, attentionDropout, seed) : undefined;
    const kept = multiplier ? tf.mul(attention, multiplier) : attention;
    const out = tf.matMul(kept, vi) as tf.Tensor4D;
    save(multiplier ? [qi, ki, vi, attention, out, multiplier] : [qi, ki, vi, attention, out]);
    return {
      value: out,
      gradFunc: (dy, saved) => {
        const [qs, ks, vs, p, o, m] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor | undefined,
        ];
        const pd = m ? tf.mul(p, m) : p; // recomputed rather than kept: one multiply against N² floats per window
        const dv = tf.matMul(pd, dy, true, false); //                  Pdᵀ · dO
        const dpd = matMulTransposeB(dy, vs); //                       dO · vᵀ
        const dp = m ? tf.mul(dpd, m) : dpd;
        // Softmax backward, dS = P ⊙ (dP − Σₘ dP ⊙ P), with Σₘ dP ⊙ P = Σⱼ dO ⊙ O per query row
        // (as FlashAttention does): a sum over d instead of one more pass over the N × N map.
        const rowDot = tf.sum(tf.mul(dy, o), -1, true);
        const ds = hasNative(NATIVE_SOFTMAX_GRAD)
          ? (tf.engine().runKernel(NATIVE_SOFTMAX_GRAD, { p, dp, r: rowDot }, {}) as tf.Tensor)
          : tf.mul(p, tf.sub(dp, rowDot));
        const dq = tf.mul(tf.matMul(ds, ks), scale);
        const dk = tf.mul(tf.matMul(ds, qs, true, false), scale);
        return bi ? [dq, dk, dv, reduceToShape(ds, bi.shape)] : [dq, dk, dv];
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// partitionedAttention (native kernels only)
// ---------------------------------------------------------------------------------------------

/** Where each token of a partitioned attention sits, and the heads' sizes. */
export interface AttentionPartition {
  readonly windows: number;
  readonly tokens: number;
  readonly heads: number;
  readonly headDim: number;
  readonly scale: number;
  /** Flat token of each (window, position), windows·tokens entries: a permutation of the grid. */
  readonly partition: Int32Array;
  /** Row of the bias table (viewed as [rows, heads]) of each (query, key) pair, tokens² entries. */
  readonly biasIndex: Int32Array;
}

/** Partition tables already checked to be permutations (the kernels rely on it). */
const checkedPartitions = new WeakSet<Int32Array>();

function checkPermutation(partition: Int32Array, tokens: number): void {
  if (checkedPartitions.has(partition)) return;
  const seen = new Uint8Array(tokens);
  for (const p of partition) {
    if (!(p >= 0 && p < tokens) || seen[p])
      throw new Error(`partitionedAttention: the partition must list each of the ${tokens} tokens once`);
    seen[p] = 1;
  }
  if (partition.length !== tokens)
    throw new Error(`partitionedAttention: the partition has ${partition.length} entries for ${tokens} tokens`);
  checkedPartitions.add(partition);
}

/** What the native Skate-MSA kernels read of one branch: its tables, sizes, dropout rate and seed. */
function branchAttrs(plan: AttentionPartition, rate: number, seed: number) {
  const { partition, biasIndex, windows, tokens, heads, headDim, scale } = plan;
  return { partition, biasIndex, windows, tokens, heads, headDim, scale, rate, seed: seed >>> 0 };
}

/** Whether partitionedAttention can run: the native Skate-MSA kernels are on for the current backend. */
export function hasPartitionedAttention(): boolean {
  return hasNative(NATIVE_SKATE_ATTENTION) && hasNative(NATIVE_SKATE_ATTENTION_GRAD);
}

/**
 * Multi-head attention inside the windows of a partitioned token grid, as ONE differentiable
 * op (one native kernel forward, one backward, one tape entry): what gathering the windows,
 * `windowAttention` with the gathered relative bias, and scattering the tokens back compute
 * (src/models/skateformer/model.ts `skateAttention` composes exactly that where the kernels
 * are absent, and the tests compare the two). chunk: [B, …grid, 3·heads·headDim], q | k | v
 * each head-major; table: [rows…, heads]. Returns [B, …grid, heads·headDim]. Dropout draws
 * the composed path's mask from the same seed and keeps it for the backward pass as one byte
 * an entry; the backward pass recomputes the attention map, so no tokens² floats are kept.
 */
export function partitionedAttention(
  chunk: tf.Tensor,
  table: tf.Tensor,
  plan: AttentionPartition,
  attentionDropout = 0,
  seed = 0,
): tf.Tensor {
  if (!hasPartitionedAttention())
    throw new Error('partitionedAttention needs skelact native kernels on the wasm backend');
  if (!(attentionDropout >= 0 && attentionDropout < 1))
    throw new Error(`partitionedAttention: dropout rate must be in [0, 1), got ${attentionDropout}`);
  checkPermutation(plan.partition, plan.windows * plan.tokens);
  const attrs = branchAttrs(plan, attentionDropout, seed) as unknown as tf.NamedAttrMap;
  return withGradient([chunk, table], ([c, t], save) => {
    // The kernel hands back its dropout mask (one byte an entry; empty without dropout) for the backward pass.
    const [out, mask] = tf.engine().runKernel(NATIVE_SKATE_ATTENTION, { chunk: c, table: t }, attrs) as tf.Tensor[];
    save([c, t, mask]);
    return {
      value: out,
      gradFunc: (dy, [cs, ts, ms]) =>
        tf
          .engine()
          .runKernel(NATIVE_SKATE_ATTENTION_GRAD, { chunk: cs, table: ts, dy, mask: ms }, attrs) as tf.Tensor[],
    };
  });
}

// ---------------------------------------------------------------------------------------------
// groupMix (native kernels only)
// ---------------------------------------------------------------------------------------------

/** Whether groupMix can run: the native G-Conv kernels are on for the current backend. */
export function hasGroupMix(): boolean {
  return hasNative(NATIVE_GROUP_MIX) && hasNative(NATIVE_GROUP_MIX_GRAD);
}

/**
 * Token mixing by channel group as one op (one native kernel each way): x [..., V, G·c],
 * A [G, V, V] → y[..., v, g·c + k] = Σᵤ A[g, v, u] · x[..., u, g·c + k] (SkateFormer's G-Conv,
 * which src/models/skateformer/model.ts composes from transposes and G products where the
 * kernels are absent; the tests compare the two).
 */
export function groupMix(x: tf.Tensor, A: tf.Tensor3D): tf.Tensor {
  if (!hasGroupMix()) throw new Error('groupMix needs skelact native kernels on the wasm backend');
  return withGradient([x, A], ([xi, a], save) => {
    save([xi, a]);
    return {
      value: tf.engine().runKernel(NATIVE_GROUP_MIX, { x: xi, a }, {}) as tf.Tensor,
      gradFunc: (dy, [xs, as]) => tf.engine().runKernel(NATIVE_GROUP_MIX_GRAD, { x: xs, a: as, dy }, {}) as tf.Tensor[],
    };
  });
}

// ---------------------------------------------------------------------------------------------
// skateMix (native kernels only)
// ---------------------------------------------------------------------------------------------

/** Channels [begin, begin + width) of x (native, inside skateMix only: no gradient of its own). */
function columns(x: tf.Tensor, begin: number, width: number): tf.Tensor {
  return tf.engine().runKernel(NATIVE_COLUMNS, { x }, { begin, width }) as tf.Tensor;
}

/** One Skate-MSA branch of skateMix: its bias table, window tables, dropout rate and seed. */
export interface SkateMixBranch {
  readonly table: tf.Tensor;
  readonly plan: AttentionPartition;
  readonly attentionDropout: number;
  readonly seed: number;
}

/** Whether skateMix can run: the native Skate-MSA, G-Conv and block-buffer kernels are on. */
export function hasSkateMix(): boolean {
  return (
    hasGroupMix() &&
    hasNative(NATIVE_SKATE_MIX) &&
    hasNative(NATIVE_SKATE_MIX_GRAD) &&
    hasNative(NATIVE_COLUMNS) &&
    nativeProducts()
  );
}

/**
 * The middle of a SkateFormer block as ONE differentiable op, without splitting the mapping
 * output or concatenating the results: f [B, T, V, gC + tC + Σ 3·Hᵢ·dᵢ] (G-Conv's input | T-Conv's
 * input | each branch's q | k | v) → [B, T, V, gC + tC + Σ Hᵢ·dᵢ] = groupMix(f_G, A) |
 * temporalConv(f_T, tconv) | partitionedAttention(chunkᵢ) …, the same values and gradients as
 * those ops on the split pieces, concatenated (src/models/skateformer/model.ts composes exactly
 * that where the kernels are absent; the tests compare the two). The branches read their chunks
 * at their channel offsets of f and write at their offsets of the output; their backward
 * kernels write d chunk straight into df, where G-Conv's and T-Conv's input gradients are
 * copied beside them. T-Conv: w [K, tC / groups, tC] with `groups` groups, stride 1, 'same'.
 */
export function skateMix(
  f: tf.Tensor4D,
  gconv: tf.Tensor3D,
  tconv: { readonly w: tf.Tensor3D; readonly b: tf.Tensor1D; readonly groups: number },
  branches: readonly SkateMixBranch[],
): tf.Tensor4D {
  if (!hasSkateMix()) throw new Error('skateMix needs skelact native kernels on the wasm backend');
  const [K, cinPerGroup, tC] = tconv.w.shape;
  if (cinPerGroup * tconv.groups !== tC || K % 2 !== 1)
    throw new Error(
      `skateMix: T-Conv w [${tconv.w.shape}] with ${tconv.groups} groups must map ${tC} channels to ${tC} with an odd kernel`,
    );
  const chunkChannels = branches.reduce((sum, br) => sum + 3 * br.plan.heads * br.plan.headDim, 0);
  const fC = f.shape[3];
  const gC = fC - tC - chunkChannels;
  if (gC < 1 || gC % gconv.shape[0] !== 0)
    throw new Error(
      `skateMix: f has ${fC} channels, which leaves ${gC} for G-Conv after T-Conv's ${tC} and the branches' ${chunkChannels}`,
    );
  for (const br of branches) {
    if (!(br.attentionDropout >= 0 && br.attentionDropout < 1))
      throw new Error(`skateMix: dropout rate must be in [0, 1), got ${br.attentionDropout}`);
    checkPermutation(br.plan.partition, br.plan.windows * br.plan.tokens);
  }
  const attrs = {
    gChannels: gC,
    tChannels: tC,
    branches: branches.map(({ plan, attentionDropout, seed }) => branchAttrs(plan, attentionDropout, seed)),
  } as unknown as tf.NamedAttrMap;
  const top = (K - 1) / 2;
  const convAttrs = { strides: [1, 1], pad: framePadding(top, top), dataFormat: 'NHWC', dimRoundingMode: undefined };
  const dense = tconv.groups === 1 ? tconv.w : blockDiagonal(tconv.w, tconv.groups);
  const tables = branches.map((br) => br.table);
  const n = branches.length;
  return withGradient<tf.Tensor4D>([f, gconv, dense, tconv.b, ...tables], ([fi, a, wi, bi, ...ts], save) => {
    const fG = columns(fi, 0, gC);
    const fT = columns(fi, gC, tC);
    const w4 = tf.reshape(wi, [K, 1, tC, tC]);
    const g = tf.engine().runKernel(NATIVE_GROUP_MIX, { x: fG, a }, {}) as tf.Tensor;
    const t = tf.add(tf.conv2d(fT as tf.Tensor4D, w4 as tf.Tensor4D, 1, framePadding(top, top), 'NHWC'), bi);
    const tableInputs = Object.fromEntries(ts.map((table, i) => [`table${i}`, table]));
    const [out, ...masks] = tf
      .engine()
      .runKernel(NATIVE_SKATE_MIX, { f: fi, g, t, ...tableInputs }, attrs) as tf.Tensor[];
    save([fi, fG, fT, a, w4, ...ts, ...masks]);
    return {
      value: out as tf.Tensor4D,
      gradFunc: (dy, saved) => {
        const [fs, fGs, fTs, as, w4s] = saved;
        const tableSaved = saved.slice(5, 5 + n);
        const maskSaved = saved.slice(5 + n);
        const dyG = columns(dy, 0, gC);
        const dyT = columns(dy, gC, tC);
        const [dg, dA] = tf.engine().runKernel(NATIVE_GROUP_MIX_GRAD, { x: fGs, a: as, dy: dyG }, {}) as tf.Tensor[];
        const dt = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dyT, filter: w4s }, {
          ...convAttrs,
          inputShape: fTs.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const dw = tf.reshape(
          tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: fTs, dy: dyT }, {
            ...convAttrs,
            filterShape: [K, 1, tC, tC],
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
          [K, tC, tC],
        );
        const db = tf.sum(dyT, [0, 1, 2]);
        const gradInputs = Object.fromEntries([
          ...tableSaved.map((table, i) => [`table${i}`, table] as const),
          ...maskSaved.map((mask, i) => [`mask${i}`, mask] as const),
        ]);
        const [df, ...dTables] = tf
          .engine()
          .runKernel(NATIVE_SKATE_MIX_GRAD, { f: fs, dy, dg, dt, ...gradInputs }, attrs) as tf.Tensor[];
        return [df, dA, dw, db, ...dTables];
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// checkpointed
// ---------------------------------------------------------------------------------------------

export interface CheckpointOptions {
  /**
   * Run the block on pieces of this many samples, forward and backward, so that only one
   * piece's intermediates are alive at a time. Only for blocks that treat samples
   * independently (no BatchNorm inside); `piece` tells the block which piece it computes (for
   * its dropout seeds). Default: the whole batch at once.
   */
  readonly chunk?: number;
}

/**
 * Gradient checkpointing: runs `block` so that the backward pass recomputes it from its input
 * instead of keeping its intermediate tensors, trading one more forward pass of the block for
 * memory (a training step keeps only the blocks' inputs). The wasm heap stops at 4 GB, which SkateFormer's NTU
 * model passes at batch 16 and the part-stream model at batch 4 × 64 frames × 2 persons otherwise.
 *
 * `block(x, replay, piece)` must compute the same values when `replay` is true, but leave
 * state alone (BN moving statistics are not updated twice) and draw the same dropout masks.
 * `variables` are all trainable parameters the block reads; they receive its gradients.
 */
export function checkpointed(
  block: (x: tf.Tensor4D, replay: boolean, piece: number) => tf.Tensor4D,
  x: tf.Tensor4D,
  variables: readonly tf.Variable[],
  options: CheckpointOptions = {},
): tf.Tensor4D {
  const B = x.shape[0];
  const chunk = options.chunk && options.chunk > 0 && options.chunk < B ? options.chunk : B;
  const pieces = (t: tf.Tensor4D): tf.Tensor4D[] =>
    chunk >= B
      ? [t]
      : tf.split(
          t,
          Array.from({ length: Math.ceil(B / chunk) }, (_, i) => Math.min(chunk, B - i * chunk)),
          0,
        );
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor4D;
    save([input]);
    return {
      value: tf.tidy(() => {
        const parts = pieces(input).map((p, i) => tf.tidy(() => block(p, false, i)));
        return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const again = saved[0] as tf.Tensor4D;
        // The engine has one active tape: a gradient computation started inside another's
        // backward pass replaces it and sets it to null when done, so the outer one is kept aside.
        const state = tf.engine().state as unknown as { activeTape: unknown };
        const outerTape = state.activeTape;
        try {
          const xs = pieces(again);
          const dys = pieces(dy as tf.Tensor4D);
          const inputGrads: tf.Tensor[] = [];
          let variableGrads: tf.Tensor[] | undefined;
          xs.forEach((piece, i) => {
            // One piece at a time: only one piece's recomputed intermediates are alive.
            const { value, grads } = tf
              .engine()
              .gradients(() => block(piece, true, i), [piece, ...variables], dys[i], true);
            value.dispose();
            const filled = grads.map((g, k) => g ?? tf.zerosLike(k === 0 ? piece : variables[k - 1]));
            inputGrads.push(filled[0]);
            if (!variableGrads) variableGrads = filled.slice(1);
            else {
              const summed = variableGrads.map((g, k) => tf.add(g, filled[k + 1]));
              tf.dispose([...variableGrads, ...filled.slice(1)]);
              variableGrads = summed;
            }
          });
          if (xs.length > 1) tf.dispose(xs);
          if (dys.length > 1) tf.dispose(dys);
          const dx = inputGrads.length === 1 ? inputGrads[0] : tf.concat(inputGrads, 0);
          if (inputGrads.length > 1) tf.dispose(inputGrads);
          return [dx, ...(variableGrads as tf.Tensor[])];
        } finally {
          state.activeTape = outerTape;
        }
      },
    };
  });
  return f(x, ...variables) as tf.Tensor4D;
}

// ---------------------------------------------------------------------------------------------
// Reference implementations
// ---------------------------------------------------------------------------------------------

/**
 * The straightforward version of every op above, written with tfjs's own ops and gradients.
 * They define what the ops compute: the tests compare the ops with these (and with the cpu
 * backend), and bench/ops.ts times them as the baseline. Not for model code: on wasm they
 * need kernels it lacks or runs slowly.
 */
export const referenceOps = {
  linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
    const shape = x.shape;
    const cin = shape[shape.length - 1];
    const y = tf.matMul(tf.reshape(x, [-1, cin]), w);
    const out = b ? tf.add(y, b) : y;
    return tf.reshape(out, [...shape.slice(0, -1), w.shape[1]]);
  },

  layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  },

  gelu(x: tf.Tensor): tf.Tensor {
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  },

  temporalConv(
    x: tf.Tensor4D,
    w: tf.Tensor3D,
    b: tf.Tensor1D | undefined,
    options: TemporalConvOptions = {},
  ): tf.Tensor4D {
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
      outs.push(
        tf.conv2d(
          xg as tf.Tensor4D,
          tf.reshape(wg, [K, 1, cinPerGroup, coutPerGroup]) as tf.Tensor4D,
          [stride, 1],
          'valid',
          'NHWC',
          [dilation, 1],
        ),
      );
    }
    const y = outs.length === 1 ? outs[0] : tf.concat(outs, 3);
    return (b ? tf.add(y, b) : y) as tf.Tensor4D;
  },

  batchNorm(x: tf.Tensor, state: BatchNormState, training: boolean, momentum = 0.1, eps = 1e-5): tf.Tensor {
    if (!training) return tf.batchNorm(x, state.movingMean, state.movingVariance, state.beta, state.gamma, eps);
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const n = x.size / x.shape[x.shape.length - 1];
    tf.tidy(() => {
      state.movingMean.assign(tf.add(tf.mul(state.movingMean, 1 - momentum), tf.mul(mean, momentum)));
      const unbiased = tf.mul(variance, n / Math.max(1, n - 1));
      state.movingVariance.assign(tf.add(tf.mul(state.movingVariance, 1 - momentum), tf.mul(unbiased, momentum)));
    });
    return tf.batchNorm(x, mean, variance, state.beta, state.gamma, eps);
  },

  gatherAxis(x: tf.Tensor, indices: Int32Array, axis: number): tf.Tensor {
    return tf.gather(x, tf.tensor1d(indices, 'int32'), axis);
  },

  dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
    if (rate <= 0) return x;
    // The mask drawn one element at a time with Rng.next(): an independent check of the
    // fused loop (fillDropoutMask) that the fast path uses.
    const rng = new Rng(seed);
    const mask = Float32Array.from({ length: x.size }, () => (rng.next() >= rate ? 1 / (1 - rate) : 0));
    return tf.mul(x, tf.tensor(mask, x.shape));
  },

  dropPath(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
    if (rate <= 0) return x;
    const rng = new Rng(seed);
    const perSample = Array.from({ length: x.shape[0] }, () => (rng.next() >= rate ? 1 / (1 - rate) : 0));
    return tf.mul(x, tf.tensor(perSample, [x.shape[0], ...x.shape.slice(1).map(() => 1)]));
  },

  windowAttention(
    q: tf.Tensor4D,
    k: tf.Tensor4D,
    v: tf.Tensor4D,
    scale: number,
    bias?: tf.Tensor,
    attentionDropout = 0,
    seed = 0,
  ): tf.Tensor4D {
    let scores = tf.matMul(tf.mul(q, scale), k, false, true);
    if (bias) scores = tf.add(scores, bias);
    let attention = tf.softmax(scores, -1);
    if (attentionDropout > 0) attention = referenceOps.dropout(attention, attentionDropout, seed);
    return tf.matMul(attention, v) as tf.Tensor4D;
  },
};
