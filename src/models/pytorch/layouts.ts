/**
 * How a PyTorch tensor's layout becomes skelact's (and back). skelact keeps channels last, so
 * a Linear's [out, in] weight is stored [in, out], a (K×1) conv's [out, in/g, K, 1] as
 * [K, in/g, out], and so on. Each layout is a permutation plus dropped unit axes, named here
 * once and referred to by the name maps (./skateformer-names.ts). `perm`: official axis i (unit
 * axes left out) is skelact axis perm[i].
 */
import { sizeOf, type HostTensor } from './tensors.js';

export const TENSOR_LAYOUTS = {
  /** Same shape and order. */
  same: { official: (s: readonly number[]) => [...s], perm: undefined as number[] | undefined },
  /** nn.Linear weight [out, in] → [in, out]. */
  linear: { official: (s: readonly number[]) => [s[1], s[0]], perm: [1, 0] },
  /** 1×1 nn.Conv2d weight [out, in, 1, 1] → [in, out] (a linear over channels). */
  conv1x1: { official: (s: readonly number[]) => [s[1], s[0], 1, 1], perm: [1, 0] },
  /** (K×1) nn.Conv2d weight [out, in/g, K, 1] → [K, in/g, out]. */
  temporalConv: { official: (s: readonly number[]) => [s[2], s[1], s[0], 1], perm: [2, 1, 0] },
  /** A (C, V) table → [V, C]. */
  transpose: { official: (s: readonly number[]) => [s[1], s[0]], perm: [1, 0] },
  /** A (1, C, T, V) table → [T, V, C]. */
  channelsFirstTable: { official: (s: readonly number[]) => [1, s[2], s[0], s[1]], perm: [2, 0, 1] },
} as const;

export type TensorLayout = keyof typeof TENSOR_LAYOUTS;

/** Transposes row-major data of `shape` by `perm` (out axis i = in axis perm[i]). */
function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const inStride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let i = 0; i < perm.length; i++) src += index[i] * inStride[perm[i]];
    out[k] = data[src];
    for (let i = outShape.length - 1; i >= 0; i--) {
      if (++index[i] < outShape[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

/** The official shape of a tensor that skelact stores with `shape` in `layout`. */
export function officialShape(layout: TensorLayout, shape: readonly number[]): number[] {
  return TENSOR_LAYOUTS[layout].official(shape);
}

/** Official tensor → skelact values (shape `skelactShape`). */
export function toSkelact(t: HostTensor, layout: TensorLayout, skelactShape: readonly number[]): Float32Array {
  const data = t.data as Float32Array;
  const { perm } = TENSOR_LAYOUTS[layout];
  if (!perm) return data;
  // The official axes without the unit ones the layout adds: official axis i is skelact axis perm[i].
  const squeezed = perm.map((p) => skelactShape[p]);
  const inverse = invert(perm);
  return permute(data, squeezed, inverse);
}

/** skelact values (shape `skelactShape`) → the official tensor's values (row-major, official shape). */
export function toOfficial(data: Float32Array, layout: TensorLayout, skelactShape: readonly number[]): Float32Array {
  const { perm } = TENSOR_LAYOUTS[layout];
  if (!perm) return data;
  if (sizeOf(skelactShape) !== data.length) throw new Error(`${data.length} values for shape [${skelactShape}]`);
  return permute(data, skelactShape, perm);
}

function invert(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}
