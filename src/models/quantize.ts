/**
 * Weight quantisation for export, in TensorFlow.js's own scheme (so `tf.io.decodeWeights`
 * reads it back as float32, in Node and in browsers):
 *   float16  IEEE half precision (round to nearest even), 2 bytes per value;
 *   uint8    per tensor affine: v ≈ min + scale · q, q = round((v − min) / scale) in 0…255,
 *            1 byte per value.
 */
import * as tf from '@tensorflow/tfjs';

export const QUANTIZATIONS = ['float16', 'uint8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of a number (round to nearest even; overflow to ±Inf). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large
  if (e <= 0) {
    // Subnormal half (or zero).
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is still right
  return sign | half;
}

/** The value of half-precision bits. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 weights (TF.js specs + one buffer, as saved) quantised to `to`. */
export function quantizeWeights(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  to: Quantization,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const parts: ArrayBuffer[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32' || spec.quantization)
      throw new Error(`weight '${spec.name}': only float32, unquantised weights can be quantised`);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(data, offset, n);
    offset += 4 * n;
    if (to === 'float16') {
      const q = new Uint16Array(n);
      for (let i = 0; i < n; i++) q[i] = toFloat16Bits(values[i]);
      parts.push(q.buffer);
      out.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        min = Math.min(min, values[i]);
        max = Math.max(max, values[i]);
      }
      if (n === 0) min = max = 0;
      const scale = max > min ? (max - min) / 255 : 1;
      const q = new Uint8Array(n);
      for (let i = 0; i < n; i++) q[i] = Math.max(0, Math.min(255, Math.round((values[i] - min) / scale)));
      parts.push(q.buffer);
      out.push({ ...spec, quantization: { dtype: 'uint8', scale, min } });
    }
  }
  return { specs: out, data: tf.io.CompositeArrayBuffer.join(parts) };
}
