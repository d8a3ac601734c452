/**
 * Native kernels on the wasm backend: BatchMatMul, _FusedMatMul, Conv2D and both convolution
 * gradients computed by OpenBLAS, GELU and its gradient in one pass each, the attention
 * softmax (bias add included) and its backward, a whole Skate-MSA branch forward and backward, layer norm and SkateFormer's G-Conv forward and backward, GatherV2, and Sum over leading axes (every bias gradient; the wasm
 * path transposes the reduced axes inwards first), (src/engine/native.ts loads it) directly in the wasm heap.
 *
 * Zero copy: each kernel allocates its output on the wasm backend first (makeOutput may grow
 * the wasm memory, which replaces its ArrayBuffer), then takes a fresh Float32Array over the
 * heap and hands the addon the element offsets of inputs and output
 * (backend.dataIdMap.get(dataId).memoryOffset / 4). The same works with the threaded wasm
 * build, whose heap is a SharedArrayBuffer.
 *
 * Why: tfjs-backend-wasm's BatchMatMul only reaches XNNPACK for unbatched, untransposed
 * products; batched and transposed ones (attention, every backward pass) run a scalar loop at
 * 1–1.5 GFLOP/s. OpenBLAS runs those shapes 20–50× faster.
 *
 * Each native kernel wraps the kernel registered before it (skelact's or tfjs's) and hands it
 * the cases it does not handle: other dtypes, NCHW, PReLU, biases that are not per column.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { sizeOf, wasmBackendOf, type WasmBackendLike } from './kernel-scope.js';
import type { NativeAddon } from './native.js';
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
} from './native-kernel-names.js';

export * from './native-kernel-names.js';

const NATIVE = Symbol.for('skelact.nativeKernel');

/** The configs the native kernels replaced, to put back. */
const replaced = new Map<string, KernelConfig>();

let heapBuffer: ArrayBufferLike | undefined;
let heapView: Float32Array | undefined;

/** A Float32Array over the whole wasm heap, renewed when the memory has grown. */
function heapOf(backend: WasmBackendLike): Float32Array {
  const buffer = backend.wasm.HEAPU8.buffer;
  if (buffer !== heapBuffer || !heapView) {
    heapBuffer = buffer;
    heapView = new Float32Array(buffer);
  }
  return heapView;
}

/** The element offset of a tensor in the wasm heap. */
function offsetOf(backend: WasmBackendLike, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error('native kernel: a tensor is not on the wasm backend');
  return data.memoryOffset / 4;
}

/** Offsets of each operand for every output batch index, following broadcasting of the batch axes. */
function batchOffsets(
  batchShape: readonly number[],
  operandBatch: readonly number[],
  base: number,
  matrixSize: number,
): Uint32Array {
  const count = sizeOf(batchShape);
  const offsets = new Uint32Array(count);
  const rank = batchShape.length;
  const shape = [...Array(rank - operandBatch.length).fill(1), ...operandBatch];
  const strides = new Array<number>(rank);
  let s = matrixSize;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : s;
    s *= shape[d];
  }
  const index = new Array<number>(rank).fill(0);
  let offset = base;
  for (let i = 0; i < count; i++) {
    offsets[i] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      offset += strides[d];
      if (++index[d] < batchShape[d]) break;
      offset -= strides[d] * batchShape[d];
      index[d] = 0;
    }
  }
  return offsets;
}

interface MatMulArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
}

/** out = op(a) · op(b) with broadcast batch axes; null when the native path does not apply. */
function nativeMatMul(
  addon: NativeAddon,
  backend: WasmBackendLike,
  { a, b, transposeA, transposeB }: MatMulArgs,
): TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
  const k = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
  const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  const out = backend.makeOutput([...batchShape, m, n], 'float32');
  const heap = heapOf(backend); // after makeOutput, which may have grown the memory
  const ao = offsetOf(backend, a);
  const bo = offsetOf(backend, b);
  const co = offsetOf(backend, out);
  const batch = sizeOf(batchShape);
  if (batch === 0) return out;
  if (!transposeA && sizeOf(bBatch) === 1 && sizeOf(aBatch) === batch) {
    // One shared right-hand matrix: the batch is just more rows of one product.
    addon.gemm(heap, false, transposeB, batch * m, n, k, Uint32Array.of(ao), Uint32Array.of(bo), Uint32Array.of(co));
    return out;
  }
  addon.gemm(
    heap,
    transposeA,
    transposeB,
    m,
    n,
    k,
    batchOffsets(batchShape, aBatch, ao, m * k),
    batchOffsets(batchShape, bBatch, bo, k * n),
    batchOffsets(batchShape, batchShape, co, m * n),
  );
  return out;
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, leakyrelu: 4, sigmoid: 5 };

function batchMatMulKernel(addon: NativeAddon, fallback: KernelConfig): KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = wasmBackendOf(args);
    const out = nativeMatMul(addon, backend, {
      a: args.inputs.a as TensorInfo,
      b: args.inputs.b as TensorInfo,
      transposeA: !!attrs.transposeA,
      transposeB: !!attrs.transposeB,
    });
    return out ?? fallback.kernelFunc(args);
  };
}

function fusedMatMulKernel(addon: NativeAddon, fallback: KernelConfig): KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const attrs = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
    const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const biasSize = bias ? sizeOf(bias.shape) : 0;
    const perColumn =
      !bias ||
      (bias.dtype === 'float32' && (biasSize === 1 || (biasSize === n && bias.shape[bias.shape.length - 1] === n)));
    if (activation === undefined || preluActivationWeights || !perColumn) return fallback.kernelFunc(args);
    const backend = wasmBackendOf(args);
    const out = nativeMatMul(addon, backend, { a, b, transposeA: !!attrs.transposeA, transposeB: !!attrs.transposeB });
    if (!out) return fallback.kernelFunc(args);
    if (bias || activation !== 0) {
      const rows = sizeOf(out.shape) / Math.max(n, 1);
      if (n > 0 && rows > 0)
        addon.biasActivation(
          heapOf(backend),
          offsetOf(backend, out),
          rows,
          n,
          bias ? offsetOf(backend, bias) : -1,
          biasSize,
          activation,
          attrs.leakyreluAlpha ?? 0.2,
        );
    }
    return out;
  };
}

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

/** [n, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dw, padTop, padLeft] for the addon. */
function geometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
}

const float32 = (...xs: TensorInfo[]) => xs.every((x) => x.dtype === 'float32');

function conv2DKernel(addon: NativeAddon, fallback: KernelConfig): KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const a = args.attrs as {
      strides: Pair;
      pad: Pad;
      dataFormat: 'NHWC' | 'NCHW';
      dilations: Pair;
      dimRoundingMode: Rounding;
    };
    if (a.dataFormat === 'NCHW' || !float32(x, filter)) return fallback.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4,
      filter.shape as Shape4,
      a.strides,
      a.dilations ?? 1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(info.outShape, 'float32');
    addon.conv2d(
      heapOf(backend),
      offsetOf(backend, x),
      offsetOf(backend, filter),
      offsetOf(backend, out),
      geometry(info),
    );
    return out;
  };
}

function conv2DBackpropInputKernel(addon: NativeAddon, fallback: KernelConfig): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = args.attrs as {
      strides: Pair;
      pad: Pad;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode: Rounding;
      inputShape: Shape4;
    };
    if (a.dataFormat === 'NCHW' || !float32(dy, filter)) return fallback.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as Shape4,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...a.inputShape], 'float32');
    addon.conv2dBackpropInput(
      heapOf(backend),
      offsetOf(backend, dy),
      offsetOf(backend, filter),
      offsetOf(backend, out),
      geometry(info),
    );
    return out;
  };
}

function conv2DBackpropFilterKernel(addon: NativeAddon, fallback: KernelConfig): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const a = args.attrs as {
      strides: Pair;
      pad: Pad;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode: Rounding;
      filterShape: Shape4;
    };
    if (a.dataFormat === 'NCHW' || !float32(x, dy)) return fallback.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4,
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...a.filterShape], 'float32');
    addon.conv2dBackpropFilter(
      heapOf(backend),
      offsetOf(backend, x),
      offsetOf(backend, dy),
      offsetOf(backend, out),
      geometry(info),
    );
    return out;
  };
}

/**
 * Sum and Mean over one contiguous run of axes that stops before the last (the bias
 * gradients' leading axes; SkateFormer's pooling over T and V of [B, T, V, C]): for each index
 * of the axes before the run, one native column sum of rows × trailing-size. The stock Mean
 * transposes the run to the end first (1.2 ms for the 30 k values of the NW-UCLA pooling).
 */
function reduceKernel(addon: NativeAddon, fallback: KernelConfig, mean: boolean): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const a = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(a.axis) ? a.axis : [a.axis]).map((d) => (d < 0 ? d + rank : d)))].sort(
      (p, q) => p - q,
    );
    const first = axes[0] ?? 0;
    const run = axes.length > 0 && axes.every((d, i) => d === first + i) && axes[axes.length - 1] < rank - 1;
    if (x.dtype !== 'float32' || !run) return fallback.kernelFunc(args);
    const end = first + axes.length;
    const outer = sizeOf(x.shape.slice(0, first));
    const rows = sizeOf(x.shape.slice(first, end));
    const cols = sizeOf(x.shape.slice(end));
    const backend = wasmBackendOf(args);
    const kept = [...x.shape.slice(0, first), ...x.shape.slice(end)];
    const out = backend.makeOutput(
      a.keepDims ? [...x.shape.slice(0, first), ...axes.map(() => 1), ...x.shape.slice(end)] : kept,
      'float32',
    );
    if (outer * cols > 0) {
      const heap = heapOf(backend);
      const xAt = offsetOf(backend, x);
      const outAt = offsetOf(backend, out);
      for (let o = 0; o < outer; o++) addon.sumLeading(heap, xAt + o * rows * cols, rows, cols, outAt + o * cols);
      if (mean) {
        const view = heap.subarray(outAt, outAt + outer * cols); // nothing allocated since makeOutput
        const scale = 1 / rows;
        for (let i = 0; i < view.length; i++) view[i] *= scale;
      }
    }
    return out;
  };
}

const sumKernel = (addon: NativeAddon, fallback: KernelConfig) => reduceKernel(addon, fallback, false);
const meanKernel = (addon: NativeAddon, fallback: KernelConfig) => reduceKernel(addon, fallback, true);

function geluKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype !== 'float32') throw new Error(`${NATIVE_GELU}: float32 input expected, got ${x.dtype}`);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...x.shape], 'float32');
    const n = sizeOf(x.shape);
    if (n > 0) addon.gelu(heapOf(backend), offsetOf(backend, x), offsetOf(backend, out), n);
    return out;
  };
}

function geluGradKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    if (!float32(x, dy) || !tf.util.arraysEqual(x.shape, dy.shape))
      throw new Error(`${NATIVE_GELU_GRAD}: float32 x and dy of one shape expected, got ${x.shape} and ${dy.shape}`);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...x.shape], 'float32');
    const n = sizeOf(x.shape);
    if (n > 0) addon.geluGrad(heapOf(backend), offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out), n);
    return out;
  };
}

function biasSoftmaxKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { x, bias } = args.inputs as { x: TensorInfo; bias?: TensorInfo };
    const rank = x.shape.length;
    if (rank < 2 || !float32(x, ...(bias ? [bias] : [])))
      throw new Error(`${NATIVE_BIAS_SOFTMAX}: float32 x of rank 2 or more expected, got ${x.dtype} [${x.shape}]`);
    const [rows, cols] = x.shape.slice(-2);
    if (
      bias &&
      (bias.shape.length < 2 ||
        bias.shape[bias.shape.length - 2] !== rows ||
        bias.shape[bias.shape.length - 1] !== cols)
    ) {
      throw new Error(`${NATIVE_BIAS_SOFTMAX}: the bias must end in [${rows}, ${cols}] as x does, got [${bias.shape}]`);
    }
    const batchShape = x.shape.slice(0, -2);
    if (bias) tf.broadcast_util.assertAndGetBroadcastShape(batchShape, bias.shape.slice(0, -2)); // throws where they do not broadcast
    if (bias && bias.shape.length > rank)
      throw new Error(`${NATIVE_BIAS_SOFTMAX}: the bias [${bias.shape}] has more axes than x [${x.shape}]`);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...x.shape], 'float32');
    const heap = heapOf(backend);
    const size = rows * cols;
    if (sizeOf(x.shape) === 0) return out;
    const xo = batchOffsets(batchShape, batchShape, offsetOf(backend, x), size);
    const bo = bias
      ? batchOffsets(batchShape, bias.shape.slice(0, -2), offsetOf(backend, bias), size)
      : new Uint32Array(0);
    addon.softmax(heap, xo, bo, batchOffsets(batchShape, batchShape, offsetOf(backend, out), size), rows, cols);
    return out;
  };
}

function softmaxGradKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { p, dp, r } = args.inputs as { p: TensorInfo; dp: TensorInfo; r: TensorInfo };
    const cols = p.shape[p.shape.length - 1] ?? 1;
    const rows = sizeOf(p.shape) / Math.max(cols, 1);
    if (
      !float32(p, dp, r) ||
      !tf.util.arraysEqual(p.shape, dp.shape) ||
      sizeOf(r.shape) !== rows ||
      r.shape[r.shape.length - 1] !== 1
    ) {
      throw new Error(
        `${NATIVE_SOFTMAX_GRAD}: float32 p and dp of one shape and r with one value per row expected, got [${p.shape}], [${dp.shape}], [${r.shape}]`,
      );
    }
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...p.shape], 'float32');
    if (rows > 0 && cols > 0)
      addon.softmaxGrad(
        heapOf(backend),
        offsetOf(backend, p),
        offsetOf(backend, dp),
        offsetOf(backend, r),
        offsetOf(backend, out),
        rows,
        cols,
      );
    return out;
  };
}

/** The attributes of both Skate-MSA kernels. */
export interface SkateAttentionAttrs {
  /** Flat token of each (window, position), W·n entries: a permutation of the tokens. */
  readonly partition: Int32Array;
  /** Table row of each (query, key) pair of a window, n·n entries. */
  readonly biasIndex: Int32Array;
  readonly windows: number;
  readonly tokens: number;
  readonly heads: number;
  readonly headDim: number;
  readonly scale: number;
  readonly rate: number;
  readonly seed: number;
}

/** Whether a branch's windows cover the P tokens and its bias table is [rows…, heads]. */
function branchFits(P: number, table: TensorInfo, br: SkateAttentionAttrs): boolean {
  return (
    P === br.windows * br.tokens &&
    table.shape[table.shape.length - 1] === br.heads &&
    sizeOf(table.shape) % Math.max(br.heads, 1) === 0
  );
}

/** [B, P, W, n, H, d, table rows]: a branch's sizes as the addon reads them. */
function branchDims(B: number, P: number, table: TensorInfo, br: SkateAttentionAttrs): number[] {
  const rows = br.heads > 0 ? sizeOf(table.shape) / br.heads : 0;
  return [B, P, br.windows, br.tokens, br.heads, br.headDim, rows];
}

/**
 * Byte offset of a branch's dropout mask for the addon, or −1 where it has none (no dropout, or
 * the backward kernel not handed one: the addon then draws it again); a mask given is checked.
 */
function maskOffset(backend: WasmBackendLike, mask: TensorInfo | undefined, entries: number, what: string): number {
  if (!mask) return -1;
  if (mask.dtype !== 'bool' || sizeOf(mask.shape) !== entries)
    throw new Error(`${what} must be bool [${entries}], got ${mask.dtype} [${mask.shape}]`);
  return entries > 0 ? backend.dataIdMap.get(mask.dataId)!.memoryOffset : -1;
}

/** [B, P, W, n, H, d, rows] and [scale, rate, seed, mask byte offset] for the addon, the shapes checked. */
function skateAttentionArgs(
  name: string,
  chunk: TensorInfo,
  table: TensorInfo,
  a: SkateAttentionAttrs,
  maskOffset: number,
): { dims: Int32Array; params: Float64Array } {
  const { windows: W, tokens: n, heads: H, headDim: d } = a;
  const B = chunk.shape[0] ?? 0;
  const P = sizeOf(chunk.shape.slice(1, -1));
  if (
    !float32(chunk, table) ||
    chunk.shape.length < 3 ||
    chunk.shape[chunk.shape.length - 1] !== 3 * H * d ||
    !branchFits(P, table, a)
  ) {
    throw new Error(
      `${name}: float32 chunk [B, ${W}·${n} tokens, ${3 * H * d}] and table [rows, ${H}] expected, got [${chunk.shape}] and [${table.shape}]`,
    );
  }
  return {
    dims: Int32Array.from(branchDims(B, P, table, a)),
    params: Float64Array.of(a.scale, a.rate, a.seed >>> 0, maskOffset),
  };
}

/** Entries of a branch's dropout mask, one byte each: [B·W, H, n, n] (0 without dropout). */
function maskEntries(chunk: TensorInfo, a: SkateAttentionAttrs): number {
  return a.rate > 0 ? (chunk.shape[0] ?? 0) * a.windows * a.heads * a.tokens * a.tokens : 0;
}

/** Outputs: the branch output and its dropout mask (bool, one byte an entry; empty without dropout). */
function skateAttentionKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { chunk, table } = args.inputs as { chunk: TensorInfo; table: TensorInfo };
    const a = args.attrs as unknown as SkateAttentionAttrs;
    const backend = wasmBackendOf(args);
    const entries = maskEntries(chunk, a);
    const mask = backend.makeOutput([entries], 'bool');
    const out = backend.makeOutput([...chunk.shape.slice(0, -1), a.heads * a.headDim], 'float32');
    try {
      const maskAt = maskOffset(backend, mask, entries, `${NATIVE_SKATE_ATTENTION}: the mask`);
      const { dims, params } = skateAttentionArgs(NATIVE_SKATE_ATTENTION, chunk, table, a, maskAt);
      addon.skateAttention(
        heapOf(backend),
        offsetOf(backend, chunk),
        offsetOf(backend, table),
        offsetOf(backend, out),
        a.partition,
        a.biasIndex,
        dims,
        params,
      );
    } catch (e) {
      backend.disposeData(out.dataId);
      backend.disposeData(mask.dataId);
      throw e;
    }
    return [out, mask];
  };
}

function skateAttentionGradKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { chunk, table, dy, mask } = args.inputs as {
      chunk: TensorInfo;
      table: TensorInfo;
      dy: TensorInfo;
      mask?: TensorInfo;
    };
    const a = args.attrs as unknown as SkateAttentionAttrs;
    const backend = wasmBackendOf(args);
    // The forward pass's mask where it is handed over (else the addon draws it again from the seed).
    const maskAt = maskOffset(backend, mask, maskEntries(chunk, a), `${NATIVE_SKATE_ATTENTION_GRAD}: the mask`);
    const { dims, params } = skateAttentionArgs(NATIVE_SKATE_ATTENTION_GRAD, chunk, table, a, maskAt);
    if (!float32(dy) || !tf.util.arraysEqual(dy.shape, [...chunk.shape.slice(0, -1), a.heads * a.headDim]))
      throw new Error(`${NATIVE_SKATE_ATTENTION_GRAD}: dy must be the forward output's shape, got [${dy.shape}]`);
    const dChunk = backend.makeOutput([...chunk.shape], 'float32');
    const dTable = backend.makeOutput([...table.shape], 'float32');
    try {
      addon.skateAttentionGrad(
        heapOf(backend),
        offsetOf(backend, chunk),
        offsetOf(backend, table),
        offsetOf(backend, dy),
        offsetOf(backend, dChunk),
        offsetOf(backend, dTable),
        a.partition,
        a.biasIndex,
        dims,
        params,
      );
    } catch (e) {
      backend.disposeData(dChunk.dataId);
      backend.disposeData(dTable.dataId);
      throw e;
    }
    return [dChunk, dTable];
  };
}

export interface SkateMixAttrs {
  readonly gChannels: number;
  readonly tChannels: number;
  readonly branches: readonly SkateAttentionAttrs[];
}

/** Channel layout of f and of the output, checked against the inputs. */
function skateMixLayout(
  name: string,
  f: TensorInfo,
  tables: readonly TensorInfo[],
  a: SkateMixAttrs,
): { rows: number; fC: number; outC: number; dims: Int32Array[] } {
  const gC = a.gChannels;
  const tC = a.tChannels;
  const fC = f.shape[f.shape.length - 1] ?? 0;
  const B = f.shape[0] ?? 0;
  const P = sizeOf(f.shape.slice(1, -1));
  const inCol: number[] = [];
  const outCol: number[] = [];
  let inAt = gC + tC;
  let outAt = gC + tC;
  for (const br of a.branches) {
    inCol.push(inAt);
    outCol.push(outAt);
    inAt += 3 * br.heads * br.headDim;
    outAt += br.heads * br.headDim;
  }
  if (!float32(f, ...tables) || f.shape.length < 3 || fC !== inAt || tables.length !== a.branches.length)
    throw new Error(
      `${name}: float32 f [B, …tokens, ${inAt}] (${gC} + ${tC} + the branches' q | k | v) and ${a.branches.length} tables expected, got [${f.shape}] and ${tables.length}`,
    );
  const dims = a.branches.map((br, i) => {
    const table = tables[i];
    if (!branchFits(P, table, br))
      throw new Error(
        `${name}: branch ${i} expects ${br.windows}·${br.tokens} tokens and a table [rows, ${br.heads}], got ${P} tokens and [${table.shape}]`,
      );
    // Then where the branch reads and writes: f's row length, its chunk's column, the output's row length and column.
    return Int32Array.of(...branchDims(B, P, table, br), fC, inCol[i], outAt, outCol[i]);
  });
  return { rows: B * P, fC, outC: outAt, dims };
}

function checkColumns(name: string, x: TensorInfo, rows: number, channels: number, what: string): void {
  if (!float32(x) || sizeOf(x.shape) !== rows * channels || x.shape[x.shape.length - 1] !== channels)
    throw new Error(`${name}: ${what} must be float32 with ${rows} rows of ${channels} channels, got [${x.shape}]`);
}

function columnsKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { begin, width } = args.attrs as unknown as { begin: number; width: number };
    const C = x.shape[x.shape.length - 1] ?? 0;
    if (!float32(x) || x.shape.length < 1 || !(begin >= 0 && width >= 0 && begin + width <= C))
      throw new Error(
        `${NATIVE_COLUMNS}: float32 x with channels ${begin}…${begin + width - 1} expected, got [${x.shape}]`,
      );
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...x.shape.slice(0, -1), width], 'float32');
    const rows = C > 0 ? sizeOf(x.shape) / C : 0;
    addon.copyColumns(heapOf(backend), offsetOf(backend, x), C, begin, offsetOf(backend, out), width, 0, rows, width);
    return out;
  };
}

function skateMixKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const inputs = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as SkateMixAttrs;
    const { f, g, t } = inputs;
    const tables = a.branches.map((_, i) => inputs[`table${i}`]);
    const { rows, outC, dims } = skateMixLayout(NATIVE_SKATE_MIX, f, tables, a);
    checkColumns(NATIVE_SKATE_MIX, g, rows, a.gChannels, 'g');
    checkColumns(NATIVE_SKATE_MIX, t, rows, a.tChannels, 't');
    const backend = wasmBackendOf(args);
    const masks = a.branches.map((br) => backend.makeOutput([maskEntries(f, br)], 'bool'));
    const out = backend.makeOutput([...f.shape.slice(0, -1), outC], 'float32');
    try {
      const heap = heapOf(backend);
      const at = offsetOf(backend, out);
      addon.copyColumns(heap, offsetOf(backend, g), a.gChannels, 0, at, outC, 0, rows, a.gChannels);
      addon.copyColumns(heap, offsetOf(backend, t), a.tChannels, 0, at, outC, a.gChannels, rows, a.tChannels);
      const f0 = offsetOf(backend, f);
      a.branches.forEach((br, i) => {
        const maskAt = maskOffset(backend, masks[i], maskEntries(f, br), `${NATIVE_SKATE_MIX}: mask ${i}`);
        const params = Float64Array.of(br.scale, br.rate, br.seed >>> 0, maskAt);
        addon.skateAttention(heap, f0, offsetOf(backend, tables[i]), at, br.partition, br.biasIndex, dims[i], params);
      });
    } catch (e) {
      backend.disposeData(out.dataId);
      for (const m of masks) backend.disposeData(m.dataId);
      throw e;
    }
    return [out, ...masks];
  };
}

function skateMixGradKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const a = args.attrs as unknown as SkateMixAttrs;
    const { f, dy, dg, dt } = inputs as Record<string, TensorInfo>;
    const tables = a.branches.map((_, i) => inputs[`table${i}`]!);
    const { rows, fC, outC, dims } = skateMixLayout(NATIVE_SKATE_MIX_GRAD, f, tables, a);
    checkColumns(NATIVE_SKATE_MIX_GRAD, dy, rows, outC, 'dy');
    checkColumns(NATIVE_SKATE_MIX_GRAD, dg, rows, a.gChannels, 'dg');
    checkColumns(NATIVE_SKATE_MIX_GRAD, dt, rows, a.tChannels, 'dt');
    const backend = wasmBackendOf(args);
    const maskAt = a.branches.map((br, i) =>
      maskOffset(backend, inputs[`mask${i}`], maskEntries(f, br), `${NATIVE_SKATE_MIX_GRAD}: mask ${i}`),
    );
    const df = backend.makeOutput([...f.shape], 'float32');
    const dTables = tables.map((table) => backend.makeOutput([...table.shape], 'float32'));
    try {
      const heap = heapOf(backend);
      const at = offsetOf(backend, df);
      addon.copyColumns(heap, offsetOf(backend, dg), a.gChannels, 0, at, fC, 0, rows, a.gChannels);
      addon.copyColumns(heap, offsetOf(backend, dt), a.tChannels, 0, at, fC, a.gChannels, rows, a.tChannels);
      a.branches.forEach((br, i) => {
        const params = Float64Array.of(br.scale, br.rate, br.seed >>> 0, maskAt[i]);
        addon.skateAttentionGrad(
          heap,
          offsetOf(backend, f),
          offsetOf(backend, tables[i]),
          offsetOf(backend, dy),
          at,
          offsetOf(backend, dTables[i]),
          br.partition,
          br.biasIndex,
          dims[i],
          params,
        );
      });
    } catch (e) {
      backend.disposeData(df.dataId);
      for (const d of dTables) backend.disposeData(d.dataId);
      throw e;
    }
    return [df, ...dTables];
  };
}

function layerNormShape(name: string, x: TensorInfo, gamma: TensorInfo, ...others: TensorInfo[]): [number, number] {
  const cols = x.shape[x.shape.length - 1] ?? 0;
  if (
    !float32(x, gamma, ...others) ||
    x.shape.length < 1 ||
    cols < 1 ||
    sizeOf(gamma.shape) !== cols ||
    others.some((o) => sizeOf(o.shape) !== cols && !tf.util.arraysEqual(o.shape, x.shape))
  )
    throw new Error(
      `${name}: float32 x [..., C] with C ≥ 1 and gamma, beta [C] expected, got [${x.shape}], [${gamma.shape}]`,
    );
  return [sizeOf(x.shape) / cols, cols];
}

function layerNormKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
    const [rows, cols] = layerNormShape(NATIVE_LAYER_NORM, x, gamma, beta);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...x.shape], 'float32');
    if (rows > 0)
      addon.layerNorm(
        heapOf(backend),
        offsetOf(backend, x),
        offsetOf(backend, gamma),
        offsetOf(backend, beta),
        offsetOf(backend, out),
        rows,
        cols,
        (args.attrs as { eps: number }).eps,
      );
    return out;
  };
}

function layerNormGradKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { x, gamma, dy } = args.inputs as { x: TensorInfo; gamma: TensorInfo; dy: TensorInfo };
    const [rows, cols] = layerNormShape(NATIVE_LAYER_NORM_GRAD, x, gamma);
    if (!float32(dy) || !tf.util.arraysEqual(dy.shape, x.shape))
      throw new Error(`${NATIVE_LAYER_NORM_GRAD}: dy must be x's shape [${x.shape}], got [${dy.shape}]`);
    const backend = wasmBackendOf(args);
    const dx = backend.makeOutput([...x.shape], 'float32');
    const dGamma = backend.makeOutput([...gamma.shape], 'float32');
    const dBeta = backend.makeOutput([...gamma.shape], 'float32');
    addon.layerNormGrad(
      heapOf(backend),
      offsetOf(backend, x),
      offsetOf(backend, gamma),
      offsetOf(backend, dy),
      offsetOf(backend, dx),
      offsetOf(backend, dGamma),
      offsetOf(backend, dBeta),
      rows,
      cols,
      (args.attrs as { eps: number }).eps,
    );
    return [dx, dGamma, dBeta];
  };
}

function groupMixShape(name: string, x: TensorInfo, a: TensorInfo): [number, number, number, number] {
  const [G, V, V2] = a.shape;
  const C = x.shape[x.shape.length - 1] ?? 0;
  if (
    !float32(x, a) ||
    a.shape.length !== 3 ||
    V !== V2 ||
    x.shape.length < 2 ||
    x.shape[x.shape.length - 2] !== V ||
    G < 1 ||
    C % G !== 0
  )
    throw new Error(`${name}: float32 x [..., V, G·c] and A [G, V, V] expected, got [${x.shape}] and [${a.shape}]`);
  return [sizeOf(x.shape.slice(0, -2)), V, G, C / G];
}

function groupMixKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { x, a } = args.inputs as { x: TensorInfo; a: TensorInfo };
    const [rows, V, G, c] = groupMixShape(NATIVE_GROUP_MIX, x, a);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...x.shape], 'float32');
    addon.gconv(heapOf(backend), offsetOf(backend, x), offsetOf(backend, a), offsetOf(backend, out), rows, V, G, c);
    return out;
  };
}

function groupMixGradKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { x, a, dy } = args.inputs as { x: TensorInfo; a: TensorInfo; dy: TensorInfo };
    const [rows, V, G, c] = groupMixShape(NATIVE_GROUP_MIX_GRAD, x, a);
    if (!float32(dy) || !tf.util.arraysEqual(dy.shape, x.shape))
      throw new Error(`${NATIVE_GROUP_MIX_GRAD}: dy must be x's shape [${x.shape}], got [${dy.shape}]`);
    const backend = wasmBackendOf(args);
    const dx = backend.makeOutput([...x.shape], 'float32');
    const da = backend.makeOutput([...a.shape], 'float32');
    addon.gconvGrad(
      heapOf(backend),
      offsetOf(backend, x),
      offsetOf(backend, a),
      offsetOf(backend, dy),
      offsetOf(backend, dx),
      offsetOf(backend, da),
      rows,
      V,
      G,
      c,
    );
    return [dx, da];
  };
}

/** One AdamW step of one parameter (NATIVE_ADAMW): three new buffers, nothing in place. */
function adamwKernel(addon: NativeAddon): KernelFunc {
  return (args) => {
    const { p, m, v, g } = args.inputs as { p: TensorInfo; m: TensorInfo; v: TensorInfo; g: TensorInfo };
    const a = args.attrs as unknown as AdamWStep;
    if (!float32(p, m, v, g) || ![m, v, g].every((t) => tf.util.arraysEqual(t.shape, p.shape)))
      throw new Error(
        `${NATIVE_ADAMW}: float32 p, m, v and g of one shape expected, got [${p.shape}], [${m.shape}], [${v.shape}], [${g.shape}]`,
      );
    const backend = wasmBackendOf(args);
    const outs = [0, 1, 2].map(() => backend.makeOutput([...p.shape], 'float32'));
    const n = sizeOf(p.shape);
    if (n > 0)
      addon.adamw(
        heapOf(backend),
        offsetOf(backend, p),
        offsetOf(backend, m),
        offsetOf(backend, v),
        offsetOf(backend, g),
        offsetOf(backend, outs[0]),
        offsetOf(backend, outs[1]),
        offsetOf(backend, outs[2]),
        n,
        // 1 − b in double: in float32, 1 − 0.999 is 1.3e-5 off (the composed path computes it in JavaScript too).
        Float64Array.of(a.decay, a.b1, 1 - a.b1, a.b2, 1 - a.b2, a.eps, a.step, a.bc2),
      );
    return outs;
  };
}

/** skelact's own kernels (no stock kernel to wrap): name → maker. */
const OWN: Record<string, (addon: NativeAddon) => KernelFunc> = {
  [NATIVE_GELU]: geluKernel,
  [NATIVE_GELU_GRAD]: geluGradKernel,
  [NATIVE_BIAS_SOFTMAX]: biasSoftmaxKernel,
  [NATIVE_SOFTMAX_GRAD]: softmaxGradKernel,
  [NATIVE_SKATE_ATTENTION]: skateAttentionKernel,
  [NATIVE_SKATE_ATTENTION_GRAD]: skateAttentionGradKernel,
  [NATIVE_SKATE_MIX]: skateMixKernel,
  [NATIVE_COLUMNS]: columnsKernel,
  [NATIVE_SKATE_MIX_GRAD]: skateMixGradKernel,
  [NATIVE_LAYER_NORM]: layerNormKernel,
  [NATIVE_LAYER_NORM_GRAD]: layerNormGradKernel,
  [NATIVE_GROUP_MIX]: groupMixKernel,
  [NATIVE_GROUP_MIX_GRAD]: groupMixGradKernel,
  [NATIVE_ADAMW]: adamwKernel,
};

/**
 * GatherV2 without batch axes on float32 (the partition gathers, rows of 3–6 floats, and the
 * embedding-style selections): rows copied whole, indices checked in the addon.
 */
function gatherKernel(addon: NativeAddon, fallback: KernelConfig): KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const a = args.attrs as { axis: number; batchDims?: number };
    if (x.dtype !== 'float32' || indices.dtype !== 'int32' || (a.batchDims ?? 0) !== 0)
      return fallback.kernelFunc(args);
    const rank = x.shape.length;
    const axis = a.axis < 0 ? a.axis + rank : a.axis;
    if (!(axis >= 0 && axis < rank)) return fallback.kernelFunc(args); // its error
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const count = sizeOf(indices.shape);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(
      [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)],
      'float32',
    );
    if (outer * count * inner > 0) {
      try {
        addon.gather(
          heapOf(backend),
          offsetOf(backend, x),
          offsetOf(backend, indices),
          offsetOf(backend, out),
          outer,
          x.shape[axis],
          inner,
          count,
        );
      } catch (e) {
        backend.disposeData(out.dataId);
        throw e;
      }
    }
    return out;
  };
}

const MAKERS: Record<string, (addon: NativeAddon, fallback: KernelConfig) => KernelFunc> = {
  [tf.Sum]: sumKernel,
  [tf.Mean]: meanKernel,
  [tf.GatherV2]: gatherKernel,
  [tf.BatchMatMul]: batchMatMulKernel,
  [tf._FusedMatMul]: fusedMatMulKernel,
  [tf.Conv2D]: conv2DKernel,
  [tf.Conv2DBackpropInput]: conv2DBackpropInputKernel,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilterKernel,
};

/** The kernels registerNativeKernels replaces on 'wasm'. */
export const NATIVE_KERNEL_NAMES: readonly string[] = Object.keys(MAKERS);

export function isNativeKernel(name: string): boolean {
  const k = tf.getKernel(name, 'wasm');
  return !!k && !!(k as unknown as Record<symbol, boolean>)[NATIVE];
}

/** Whether the native kernels are registered on 'wasm' now. */
export function nativeKernelsActive(): boolean {
  return NATIVE_KERNEL_NAMES.every(isNativeKernel);
}

/**
 * Registers the native kernels on 'wasm', each wrapping the kernel registered there now (so
 * register skelact's wasm kernels first). Idempotent.
 */
export function registerNativeKernels(addon: NativeAddon): void {
  for (const name of NATIVE_KERNEL_NAMES) {
    if (isNativeKernel(name)) continue;
    const current = tf.getKernel(name, 'wasm');
    if (!current)
      throw new Error(
        `registerNativeKernels: no '${name}' kernel on wasm to wrap (import '@tensorflow/tfjs-backend-wasm' and register skelact's wasm kernels first)`,
      );
    const config: KernelConfig = {
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: MAKERS[name](addon, current),
      setupFunc: current.setupFunc,
      disposeFunc: current.disposeFunc,
    };
    (config as unknown as Record<symbol, boolean>)[NATIVE] = true;
    replaced.set(name, current);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  for (const [name, make] of Object.entries(OWN)) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(addon) });
  }
}

/** Puts back the kernels the native ones replaced (`--native off` after on; benchmarks). */
export function unregisterNativeKernels(): void {
  for (const name of NATIVE_KERNEL_NAMES) {
    if (!isNativeKernel(name)) continue;
    tf.unregisterKernel(name, 'wasm');
    const previous = replaced.get(name);
    if (previous) tf.registerKernel(previous);
  }
  for (const name of Object.keys(OWN)) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
}

/**
 * The start-up check: one small product of each transpose combination through the addon,
 * against the kernel it replaces, on the live wasm backend. Returns null when they agree,
 * else what differed. A build that loads but computes wrong numbers must not go unnoticed.
 */
export function nativeSelfCheck(addon: NativeAddon): string | null {
  const fallback = replaced.get(tf.BatchMatMul) ?? tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!fallback) return 'no BatchMatMul kernel on wasm to compare with';
  const backend = tf.backend() as unknown as WasmBackendLike;
  const a = tf.tensor3d(
    Array.from({ length: 2 * 5 * 7 }, (_, i) => Math.sin(i * 1.7)),
    [2, 5, 7],
  );
  const b = tf.tensor3d(
    Array.from({ length: 2 * 7 * 3 }, (_, i) => Math.cos(i * 0.9)),
    [2, 7, 3],
  );
  const made: tf.Tensor[] = [a, b];
  try {
    for (const [transposeA, transposeB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const ai = transposeA ? tf.transpose(a, [0, 2, 1]) : a;
      const bi = transposeB ? tf.transpose(b, [0, 2, 1]) : b;
      made.push(ai, bi);
      const args = { inputs: { a: ai, b: bi }, backend, attrs: { transposeA, transposeB } };
      const stock = fallback.kernelFunc(args as never) as TensorInfo;
      const ours = nativeMatMul(addon, backend, { a: ai, b: bi, transposeA, transposeB });
      try {
        if (!ours) return 'the native product did not run';
        const s = backend.readSync(stock.dataId) as Float32Array;
        const o = backend.readSync(ours.dataId) as Float32Array;
        let worst = 0;
        for (let i = 0; i < s.length; i++) worst = Math.max(worst, Math.abs(s[i] - o[i]));
        if (o.length !== s.length || !(worst <= 1e-4))
          return `a 5×7·7×3 product (transposeA=${transposeA}, transposeB=${transposeB}) differs from the stock kernel by ${worst}`;
      } finally {
        backend.disposeData(stock.dataId);
        if (ours) backend.disposeData(ours.dataId);
      }
    }
    return null;
  } finally {
    tf.dispose(made);
  }
}
