/**
 * Convolution gradients for the wasm backend, written as forward convolutions so that they run
 * on XNNPACK (the only fast code in tfjs-backend-wasm).
 *
 * Conv2DBackpropInput  dx = conv(zero-inserted dy, padded; filter flipped in space, in/out
 *                      channels swapped). The built-in kernel is a scalar loop (~3 GFLOP/s);
 *                      this runs at forward-conv speed (~25), also for strides, where the
 *                      zeros between dy rows cost stride× the work but still win.
 * Conv2DBackpropFilter (missing on wasm) dW = conv over the batch-transposed input:
 *                      transpose(conv(xᵀ [Ci, H, W, N], dyᵀ [Ho, Wo, N, Co], dilation = stride)),
 *                      i.e. the filter gradient is a convolution whose "image" is x with the
 *                      batch as channels and whose "filter" is dy; a strided forward conv
 *                      becomes a dilated one.
 * DepthwiseConv2dNativeBackpropInput (missing) a depthwise conv of the zero-inserted dy with the
 *                      flipped filter (channel multiplier summed out afterwards).
 * DepthwiseConv2dNativeBackpropFilter (missing) one multiply-and-sum over the batch and output
 *                      positions per filter tap (depthwise filters are small).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { view, wasmBackendOf, withScope, type KernelScope } from './kernel-scope.js';
import { cpuBridge } from './wasm-layout-kernels.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Pair = number | [number, number];

/** dy [N, Ho, Wo, C] → [N, Ho·sh, Wo·sw, C] with dy[n, i, j] at (i·sh, j·sw) and zeros elsewhere. */
function insertZeros(scope: KernelScope, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [n, ho, wo, c] = dy.shape;
  const spread = scope.run(
    tf.PadV2,
    { x: view(dy, [n, ho, 1, wo, 1, c]) },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return view(spread, [n, ho * sh, wo * sw, c]);
}

function conv2d(
  scope: KernelScope,
  x: TensorInfo,
  filter: TensorInfo,
  dilations: [number, number],
  pad: Pad = 'valid',
): TensorInfo {
  return scope.run(
    tf.Conv2D,
    { x, filter },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined as unknown as string },
  );
}

/** [[0,0],[top,bottom],[left,right],[0,0]] when every amount is ≥ 0, else null. */
function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding | null {
  return top >= 0 && bottom >= 0 && left >= 0 && right >= 0
    ? [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ]
    : null;
}

function conv2DBackpropInput(original: KernelConfig): KernelFunc {
  return (args) => {
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const a = args.attrs as {
      strides: Pair;
      pad: Pad;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode: Rounding;
      inputShape: [number, number, number, number];
    };
    if (a.dataFormat === 'NCHW') return original.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    return withScope(wasmBackendOf(args), (scope) => {
      const { inHeight: h, inWidth: w, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
      const spread = insertZeros(scope, dy, sh, sw);
      const top = kh - 1 - info.padInfo.top;
      const left = kw - 1 - info.padInfo.left;
      const bottom = h + kh - 1 - spread.shape[1] - top;
      const right = w + kw - 1 - spread.shape[2] - left;
      const flipped = scope.transpose(scope.run(tf.Reverse, { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
      const pad = explicitPad(top, bottom, left, right);
      const out = pad
        ? conv2d(scope, spread, flipped, [1, 1], pad)
        : conv2d(
            scope,
            scope.padOrCrop(spread, [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ]),
            flipped,
            [1, 1],
          );
      return scope.keep(out);
    });
  };
}

const conv2DBackpropFilter: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const a = args.attrs as {
    strides: Pair;
    pad: Pad;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode: Rounding;
    filterShape: [number, number, number, number];
  };
  if (a.dataFormat === 'NCHW') return cpuBridge(tf.Conv2DBackpropFilter)(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  return withScope(wasmBackendOf(args), (scope) => {
    const [kh, kw] = a.filterShape;
    const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    // The input rows the forward pass read: (ho − 1)·sh + kh of them, starting at −top.
    const bottom = (ho - 1) * sh + kh - h - top;
    const right = (wo - 1) * sw + kw - w - left;
    const xt = scope.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
    const dyt = scope.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    const pad = explicitPad(top, bottom, left, right);
    const grad = pad
      ? conv2d(scope, xt, dyt, [sh, sw], pad)
      : conv2d(
          scope,
          scope.padOrCrop(xt, [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ]),
          dyt,
          [sh, sw],
        ); // [Ci, kh, kw, Co]
    return scope.keep(scope.transpose(grad, [1, 2, 0, 3]));
  });
};

function depthwiseBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const dy = args.inputs.dy as TensorInfo;
  const filter = args.inputs.filter as TensorInfo;
  const a = args.attrs as {
    strides: Pair;
    dilations: Pair;
    pad: Pad;
    dimRoundingMode: Rounding;
    inputShape: [number, number, number, number];
  };
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  return withScope(wasmBackendOf(args), (scope) => {
    const [kh, kw, c, m] = filter.shape;
    const [n, h, w] = a.inputShape;
    const {
      strideHeight: sh,
      strideWidth: sw,
      dilationHeight: dh,
      dilationWidth: dw,
      effectiveFilterHeight: ekh,
      effectiveFilterWidth: ekw,
    } = info;
    const spread = insertZeros(scope, dy, sh, sw);
    const top = ekh - 1 - info.padInfo.top;
    const left = ekw - 1 - info.padInfo.left;
    const padded = scope.padOrCrop(spread, [
      [0, 0],
      [top, h + ekh - 1 - spread.shape[1] - top],
      [left, w + ekw - 1 - spread.shape[2] - left],
      [0, 0],
    ]);
    const flipped = view(scope.run(tf.Reverse, { x: filter }, { dims: [0, 1] }), [kh, kw, c * m, 1]);
    const perChannel = scope.run(
      tf.DepthwiseConv2dNative,
      { x: padded, filter: flipped },
      { strides: [1, 1], pad: 'valid', dilations: [dh, dw], dimRoundingMode: undefined as unknown as string },
    );
    if (m === 1) return scope.keep(perChannel);
    return scope.keep(scope.run(tf.Sum, { x: view(perChannel, [n, h, w, c, m]) }, { axis: [4], keepDims: false }));
  });
}

function depthwiseBackpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const a = args.attrs as {
    strides: Pair;
    dilations: Pair;
    pad: Pad;
    dimRoundingMode: Rounding;
    filterShape: [number, number, number, number];
  };
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  return withScope(wasmBackendOf(args), (scope) => {
    const [kh, kw, c, m] = a.filterShape;
    const [n, h, w] = x.shape;
    const {
      outHeight: ho,
      outWidth: wo,
      strideHeight: sh,
      strideWidth: sw,
      dilationHeight: dh,
      dilationWidth: dw,
      effectiveFilterHeight: ekh,
      effectiveFilterWidth: ekw,
    } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const padded = scope.padOrCrop(x, [
      [0, 0],
      [top, (ho - 1) * sh + ekh - h - top],
      [left, (wo - 1) * sw + ekw - w - left],
      [0, 0],
    ]);
    const g = view(dy, [n, ho, wo, c, m]);
    const taps: TensorInfo[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const rows = i * dh;
        const cols = j * dw;
        const tap =
          sh === 1 && sw === 1
            ? scope.run(tf.Slice, { x: padded }, { begin: [0, rows, cols, 0], size: [n, ho, wo, c] })
            : scope.run(
                tf.StridedSlice,
                { x: padded },
                {
                  begin: [0, rows, cols, 0],
                  end: [n, rows + (ho - 1) * sh + 1, cols + (wo - 1) * sw + 1, c],
                  strides: [1, sh, sw, 1],
                  beginMask: 0,
                  endMask: 0,
                  ellipsisMask: 0,
                  newAxisMask: 0,
                  shrinkAxisMask: 0,
                },
              );
        const product = scope.run(tf.Multiply, { a: view(tap, [n, ho, wo, c, 1]), b: g });
        taps.push(view(scope.run(tf.Sum, { x: product }, { axis: [0, 1, 2], keepDims: false }), [1, c, m]));
      }
    }
    const stacked =
      taps.length === 1 ? taps[0] : scope.run(tf.Concat, taps as unknown as tf.NamedTensorInfoMap, { axis: 0 });
    return scope.keep(scope.reshape(stacked, [kh, kw, c, m]));
  });
}

export function convKernels(): Array<{ name: string; make: (original: KernelConfig | undefined) => KernelFunc }> {
  return [
    {
      name: tf.Conv2DBackpropInput,
      make: (o) => {
        if (!o) throw new Error('wasm has no built-in Conv2DBackpropInput kernel to wrap');
        return conv2DBackpropInput(o);
      },
    },
    { name: tf.Conv2DBackpropFilter, make: () => conv2DBackpropFilter },
    { name: tf.DepthwiseConv2dNativeBackpropInput, make: () => depthwiseBackpropInput as KernelFunc },
    { name: tf.DepthwiseConv2dNativeBackpropFilter, make: () => depthwiseBackpropFilter as KernelFunc },
  ];
}
