/**
 * wasm kernels that move or reduce data, replacing built-in ones that are slow or wrong.
 *
 * - Slice, SplitV, Unpack and the contiguous case of StridedSlice: the built-in Slice copies
 *   the whole input out of the wasm heap (`readSync`) before it copies the slice, so every
 *   split, unstack, and the gradient of every concat or pad costs a full copy of a fresh
 *   JavaScript buffer (splitting [16, 64, 48, 96] in 6: 365 ms). These copy the slice straight
 *   from heap views.
 * - Concat, Pack: the built-in copies each row block with subarray().set(), slow for the narrow
 *   channel blocks of SkateFormer's concatenations (2.5× slower than a plain loop).
 * - Transpose: the built-in kernel is fast for most 3D/4D permutations but 10–20× slower for
 *   tall 2D ones ([49152, 96] → [96, 49152]), [A, B, C] → [A, C, B] and everything of rank ≥ 5;
 *   those are re-expressed (same data, a faster loop of the built-in) or copied here.
 * - Sum, Mean, Max, Min, Prod, All, Any over non-innermost axes: the built-ins transpose the
 *   reduced axes inwards with the slow path above (a bias gradient, a sum over [B, T, V],
 *   took 170 ms); these transpose with the rerouted kernel first.
 * - MaxPoolGrad: the built-in drops the gradient of some windows whose maximum is negative;
 *   this one routes each window's gradient to its first maximum, as the cpu backend does.
 * - GatherV2 (batchDims 0): the built-in kernel costs about 100 ns per gathered row, whatever
 *   the row's width, which made SkateFormer's partition gathers (rows of 3–6 floats) a quarter
 *   of its forward pass; this one copies rows from heap views (10× faster on those shapes).
 *   Out-of-range indices throw, as on the cpu backend.
 * - UnsortedSegmentSum (missing on wasm; the gradient of tf.gather): a loop over heap views.
 * - Identity (tf.clone, and many times per training step in gradient bookkeeping): the
 *   built-in copies the whole tensor; tensors are immutable, so this one shares the data and
 *   takes a reference, as the cpu backend's does and as Reshape already does on wasm.
 * - Einsum (missing on wasm): the cpu backend's kernel through a bridge (`cpuBridge`), which
 *   copies the inputs out of wasm memory and the result back; fine for its rare, small uses.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { sizeOf, view, wasmBackendOf, withScope, type WasmBackendLike } from './kernel-scope.js';

type Heap = Float32Array | Int32Array | Uint8Array;

function fullStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Copies x[begin : begin + size] (row-major) from `src` into `dst`. */
export function copySlice(
  src: Heap,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: Heap,
): void {
  const rank = shape.length;
  const strides = fullStrides(shape);
  // Innermost axes taken whole form one contiguous block together with the first partial axis.
  let j = rank - 1;
  let block = 1;
  while (j >= 0 && size[j] === shape[j]) {
    block *= shape[j];
    j--;
  }
  if (j < 0) {
    dst.set(src.subarray(0, block));
    return;
  }
  block *= size[j];
  let offset = 0;
  for (let d = 0; d <= j; d++) offset += begin[d] * strides[d];
  let outer = 1;
  for (let d = 0; d < j; d++) outer *= size[d];
  const counter = new Array<number>(j).fill(0);
  let out = 0;
  for (let o = 0; o < outer; o++) {
    if (block >= 16) {
      dst.set(src.subarray(offset, offset + block), out);
    } else {
      for (let e = 0; e < block; e++) dst[out + e] = src[offset + e];
    }
    out += block;
    for (let d = j - 1; d >= 0; d--) {
      offset += strides[d];
      if (++counter[d] < size[d]) break;
      offset -= size[d] * strides[d];
      counter[d] = 0;
    }
  }
}

function sliceInfo(
  backend: WasmBackendLike,
  x: TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  if (sizeOf(size) === 0) return out;
  // Views are taken after makeOutput: growing the heap detaches older views.
  copySlice(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

function sliceKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    const attrs = args.attrs as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin, attrs.size);
    return sliceInfo(wasmBackendOf(args), x, begin, size);
  };
}

function splitVKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    const attrs = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits, axis);
    const backend = wasmBackendOf(args);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const out = sliceInfo(backend, x, begin, size);
      begin[axis] += s;
      return out;
    });
  };
}

function unpackKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.value as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    const attrs = args.attrs as { axis: number };
    const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
    const outShape = x.shape.filter((_, i) => i !== axis);
    const backend = wasmBackendOf(args);
    const begin = new Array<number>(x.shape.length).fill(0);
    const size = [...x.shape];
    size[axis] = 1;
    const outs: TensorInfo[] = [];
    for (let i = 0; i < x.shape[axis]; i++) {
      begin[axis] = i;
      outs.push(view(sliceInfo(backend, x, begin, size), outShape));
    }
    return outs;
  };
}

function stridedSliceKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const a = args.attrs as {
      begin: number[];
      end: number[];
      strides: number[];
      beginMask: number;
      endMask: number;
      ellipsisMask: number;
      newAxisMask: number;
      shrinkAxisMask: number;
    };
    if (x.dtype === 'string') return original.kernelFunc(args);
    const info = tf.slice_util.sliceInfo(
      x.shape,
      a.begin,
      a.end,
      a.strides,
      a.beginMask,
      a.endMask,
      a.ellipsisMask,
      a.newAxisMask,
      a.shrinkAxisMask,
    );
    if (info.isIdentity || !(info.sliceDim0 || info.isSimpleSlice)) return original.kernelFunc(args);
    const size = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
    return view(sliceInfo(wasmBackendOf(args), x, info.begin, size), info.finalShape);
  };
}

/** Concatenation along `axis` from heap views: per input, its block of every outer row. */
function concatInfo(backend: WasmBackendLike, inputs: readonly TensorInfo[], axis: number): TensorInfo {
  const outShape = tf.backend_util.computeOutShape(
    inputs.map((t) => [...t.shape]),
    axis,
  );
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  const nonEmpty = inputs.filter((t) => sizeOf(t.shape) > 0);
  if (sizeOf(outShape) === 0) return out;
  const rows = sizeOf(outShape.slice(0, axis));
  const total = sizeOf(outShape.slice(axis));
  const dst = backend.typedArrayFromHeap(out);
  let column = 0;
  for (const t of nonEmpty) {
    const src = backend.typedArrayFromHeap(t);
    const n = sizeOf(t.shape.slice(axis));
    for (let r = 0, o = column, i = 0; r < rows; r++, o += total, i += n) {
      if (n >= 32) dst.set(src.subarray(i, i + n), o);
      else for (let e = 0; e < n; e++) dst[o + e] = src[i + e];
    }
    column += n;
  }
  return out;
}

function concatKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (inputs[0].dtype === 'string' || inputs.length === 1) return original.kernelFunc(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0].shape)[0];
    tf.backend_util.assertParamsConsistent(
      inputs.map((t) => [...t.shape]),
      axis,
    );
    return concatInfo(wasmBackendOf(args), inputs, axis);
  };
}

function packKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (inputs[0].dtype === 'string' || inputs.length === 1) return original.kernelFunc(args);
    const rank = inputs[0].shape.length;
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, [...inputs[0].shape, 1])[0];
    for (const t of inputs) {
      if (t.shape.join() !== inputs[0].shape.join() || t.dtype !== inputs[0].dtype)
        throw new Error('All tensors passed to stack must have matching shapes and dtypes');
    }
    const expanded = inputs.map((t) => view(t, [...t.shape.slice(0, axis), 1, ...t.shape.slice(axis, rank)]));
    return concatInfo(wasmBackendOf(args), expanded, axis);
  };
}

/**
 * The transpose written with as few axes as possible: size-1 axes dropped and axes that stay
 * neighbours merged. Returns the merged input shape and the permutation of merged axes.
 */
export function canonicalTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  // Size-1 axes first: without them, axes that were separated only by those become neighbours.
  const keptAxes = shape.map((_, a) => a).filter((a) => shape[a] !== 1);
  const renumber = new Map(keptAxes.map((a, i) => [a, i]));
  const p = perm.filter((a) => shape[a] !== 1).map((a) => renumber.get(a) as number);
  const dims = keptAxes.map((a) => shape[a]);
  // Runs of consecutive input axes in output order become one axis.
  const runs: number[][] = [];
  for (const a of p) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else runs.push([a]);
  }
  const order = [...runs].sort((r1, r2) => r1[0] - r2[0]);
  return { shape: order.map((r) => r.reduce((n, a) => n * dims[a], 1)), perm: runs.map((r) => order.indexOf(r)) };
}

/** Below this many rows a 2D transpose is left to the built-in kernel as it is. */
const TALL_TRANSPOSE_ROWS = 256;

/** A divisor of n to split an axis with (first of a list of good sizes), or 1 if none fits. */
function splitFactor(n: number): number {
  for (const d of [16, 8, 32, 12, 24, 4, 6, 48, 64, 2, 3]) if (n % d === 0 && n / d >= 2) return d;
  return 1;
}

/**
 * out = transpose(src) for a canonical shape and permutation, walking the output in order;
 * the innermost output axis is copied as a block when it is contiguous in the input.
 */
export function transposeInto(src: Heap, shape: readonly number[], perm: readonly number[], dst: Heap): void {
  const rank = shape.length;
  const inStrides = fullStrides(shape);
  const outShape = perm.map((p) => shape[p]);
  const stride = perm.map((p) => inStrides[p]);
  const last = rank - 1;
  const n = outShape[last];
  const step = stride[last];
  const outer = sizeOf(outShape) / n;
  const counter = new Array<number>(last).fill(0);
  let offset = 0;
  let out = 0;
  for (let o = 0; o < outer; o++) {
    if (step === 1 && n >= 32) dst.set(src.subarray(offset, offset + n), out);
    else for (let i = 0, j = offset; i < n; i++, j += step) dst[out + i] = src[j];
    out += n;
    for (let d = last - 1; d >= 0; d--) {
      offset += stride[d];
      if (++counter[d] < outShape[d]) break;
      offset -= outShape[d] * stride[d];
      counter[d] = 0;
    }
  }
}

/**
 * Transpose, routed by measured speed (tfjs-backend-wasm 4.22, [16, 64, 48, 96]-sized data):
 * the built-in kernel is fast for most 3D and 4D permutations (1–7 ms), but takes 80–180 ms for
 * a tall 2D transpose, 40–60 ms for [A, B, C] → [A, C, B], and 300–400 ms for anything of rank
 * 5 or more (a generic index loop). So: size-1 axes dropped and neighbouring axes merged first;
 * tall 2D and [0, 2, 1] transposes re-expressed with one more axis (same data, faster loop);
 * rank ≥ 5 copied here (12–25 ms).
 */
function transposeKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    if (x.dtype === 'string') return original.kernelFunc(args);
    const outShape = perm.map((p) => x.shape[p]);
    const c = canonicalTranspose(x.shape, perm);
    const builtin = (shape: number[], p: number[]) =>
      view(
        original.kernelFunc({ inputs: { x: view(x, shape) }, backend: args.backend, attrs: { perm: p } }) as TensorInfo,
        outShape,
      );
    if (c.shape.length <= 1) return original.kernelFunc(args);
    if (c.shape.length === 2) {
      // Canonical rank 2 is always [1, 0] (an identity permutation merges into one axis).
      const [rows, cols] = c.shape;
      const r1 = rows >= TALL_TRANSPOSE_ROWS ? splitFactor(rows) : 1;
      return r1 > 1 ? builtin([r1, rows / r1, cols], [2, 0, 1]) : builtin(c.shape, c.perm);
    }
    if (c.shape.length === 3 && c.perm.join() === '0,2,1') {
      const [a, b, d] = c.shape;
      const b1 = splitFactor(b);
      if (b1 > 1) return builtin([a, b1, b / b1, d], [0, 3, 1, 2]);
    }
    if (c.shape.length <= 4) return builtin(c.shape, c.perm);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(outShape, x.dtype);
    transposeInto(backend.typedArrayFromHeap(x), c.shape, c.perm, backend.typedArrayFromHeap(out));
    return out;
  };
}

/** Reductions whose axes are not innermost: transpose with the fast kernel, then reduce. */
function reduceKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const attrs = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
    const permutation = tf.backend_util.getAxesPermutation(axes, x.shape.length);
    if (permutation == null) return original.kernelFunc(args);
    return withScope(wasmBackendOf(args), (scope) => {
      const transposed = scope.transpose(x, permutation);
      const inner = tf.backend_util.getInnerMostAxes(axes.length, x.shape.length);
      const out = original.kernelFunc({
        inputs: { x: transposed },
        backend: args.backend,
        attrs: { axis: inner, keepDims: false },
      }) as TensorInfo;
      return attrs.keepDims ? view(out, tf.backend_util.expandShapeToKeepDim(out.shape, axes)) : out;
    });
  };
}

/** MaxPoolGrad, NHWC: each window's gradient goes to the first position of its maximum. */
const maxPoolGrad: KernelFunc = (args) => {
  const backend = wasmBackendOf(args);
  const dy = args.inputs.dy as TensorInfo;
  const input = args.inputs.input as TensorInfo;
  const a = args.attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const dx = backend.makeOutput([...input.shape], 'float32');
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const out = backend.typedArrayFromHeap(dx);
  out.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * C;
    const yb = b * outHeight * outWidth * C;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(0, oh * strideHeight - top);
      const h1 = Math.min(inHeight, oh * strideHeight - top + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = Math.max(0, ow * strideWidth - left);
        const w1 = Math.min(inWidth, ow * strideWidth - left + fw);
        const yo = yb + (oh * outWidth + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const i = xb + (h * inWidth + w) * C + c;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) out[at] += g[yo + c];
        }
      }
    }
  }
  return dx;
};

/** GatherV2 with batchDims 0: out[o, i, e] = x[o, indices[i], e] over the gathered axis. */
function gatherKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const indices = args.inputs.indices as TensorInfo;
    const attrs = args.attrs as { axis: number; batchDims: number };
    if (x.dtype === 'string' || indices.dtype !== 'int32' || (attrs.batchDims ?? 0) !== 0)
      return original.kernelFunc(args);
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    const n = x.shape[axis];
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const m = sizeOf(indices.shape);
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    // Views after makeOutput: growing the heap detaches older views.
    const src = backend.typedArrayFromHeap(x);
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < m; i++) {
      const j = idx[i];
      if (!(j >= 0 && j < n)) throw new Error(`GatherV2: index ${j} at position ${i} is not in [0, ${n})`);
    }
    let w = 0;
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      if (inner >= 16) {
        for (let i = 0; i < m; i++, w += inner) {
          const from = base + idx[i] * inner;
          dst.set(src.subarray(from, from + inner), w);
        }
      } else {
        for (let i = 0; i < m; i++) {
          const from = base + idx[i] * inner;
          for (let e = 0; e < inner; e++) dst[w++] = src[from + e];
        }
      }
    }
    return out;
  };
}

/** UnsortedSegmentSum with 1D segment ids: out[ids[i], ...] += x[i, ...]; ids out of range are dropped. */
function unsortedSegmentSumKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const ids = args.inputs.segmentIds as TensorInfo;
    if (ids.shape.length !== 1 || x.dtype === 'string' || ids.shape[0] !== x.shape[0]) return fallback(args);
    const numSegments = (args.attrs as { numSegments: number }).numSegments;
    const backend = wasmBackendOf(args);
    const inner = sizeOf(x.shape.slice(1));
    const out = backend.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
    const o = backend.typedArrayFromHeap(out);
    const v = backend.typedArrayFromHeap(x);
    const s = backend.typedArrayFromHeap(ids);
    o.fill(0);
    for (let i = 0; i < ids.shape[0]; i++) {
      const seg = s[i];
      if (seg < 0 || seg >= numSegments) continue;
      const src = i * inner;
      const dst = seg * inner;
      for (let e = 0; e < inner; e++) o[dst + e] += v[src + e];
    }
    return out;
  };
}

/**
 * A kernel that runs the cpu backend's implementation: inputs are copied out of the wasm heap,
 * the result copied back. For kernels that are rare and small in our models.
 */
export function cpuBridge(kernelName: string): KernelFunc {
  return (args) => {
    const backend = wasmBackendOf(args);
    const cpu = tf.engine().findBackend('cpu') as unknown as {
      write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
      readSync(dataId: object): tf.backend_util.BackendValues;
      disposeData(dataId: object, force?: boolean): boolean;
    } | null;
    const kernel = tf.getKernel(kernelName, 'cpu');
    if (!cpu || !kernel) throw new Error(`${kernelName}: the cpu backend is not available to run it for wasm`);
    const created: object[] = [];
    const toCpu = (info: TensorInfo): TensorInfo => {
      const dataId = cpu.write(backend.readSync(info.dataId), [...info.shape], info.dtype);
      created.push(dataId);
      return { dataId, shape: [...info.shape], dtype: info.dtype };
    };
    try {
      const inputs = Array.isArray(args.inputs)
        ? (args.inputs as TensorInfo[]).map(toCpu)
        : Object.fromEntries(Object.entries(args.inputs).map(([k, v]) => [k, v && toCpu(v)]));
      const result = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: cpu, attrs: args.attrs });
      const outs = Array.isArray(result) ? result : [result];
      const copied = outs.map((o) => {
        created.push(o.dataId);
        return backend.makeOutput([...o.shape], o.dtype, undefined, cpu.readSync(o.dataId));
      });
      return Array.isArray(result) ? copied : copied[0];
    } finally {
      for (const id of created) cpu.disposeData(id);
    }
  };
}

export const REDUCTION_KERNELS = [tf.Sum, tf.Mean, tf.Max, tf.Min, tf.Prod, tf.All, tf.Any] as const;

/** Layout and reduction kernels: [name, make(config of the built-in kernel or undefined)]. */
/** Identity without a copy: the output is the input's data with one more reference. */
function identityKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    wasmBackendOf(args).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

export function layoutKernels(): Array<{ name: string; make: (original: KernelConfig | undefined) => KernelFunc }> {
  const need = (name: string, o: KernelConfig | undefined): KernelConfig => {
    if (!o) throw new Error(`wasm has no built-in ${name} kernel to wrap`);
    return o;
  };
  return [
    { name: tf.Slice, make: (o) => sliceKernel(need(tf.Slice, o)) },
    { name: tf.SplitV, make: (o) => splitVKernel(need(tf.SplitV, o)) },
    { name: tf.Unpack, make: (o) => unpackKernel(need(tf.Unpack, o)) },
    { name: tf.StridedSlice, make: (o) => stridedSliceKernel(need(tf.StridedSlice, o)) },
    { name: tf.Concat, make: (o) => concatKernel(need(tf.Concat, o)) },
    { name: tf.Pack, make: (o) => packKernel(need(tf.Pack, o)) },
    { name: tf.Transpose, make: (o) => transposeKernel(need(tf.Transpose, o)) },
    ...REDUCTION_KERNELS.map((name) => ({ name, make: (o: KernelConfig | undefined) => reduceKernel(need(name, o)) })),
    { name: tf.GatherV2, make: (o) => gatherKernel(need(tf.GatherV2, o)) },
    { name: tf.MaxPoolGrad, make: () => maxPoolGrad },
    { name: tf.UnsortedSegmentSum, make: () => unsortedSegmentSumKernel(cpuBridge(tf.UnsortedSegmentSum)) },
    { name: tf.Einsum, make: () => cpuBridge(tf.Einsum) },
    { name: tf.Identity, make: (o) => identityKernel(need(tf.Identity, o)) },
  ];
}
