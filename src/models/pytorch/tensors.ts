/**
 * Host tensors read from or written to PyTorch files: a dtype, a row-major shape and the
 * values (float16 is widened to float32 on reading, so callers see float32 or int64 only).
 */

export type HostDtype = 'float32' | 'int64';

export interface HostTensor {
  readonly dtype: HostDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
  /** The dtype in the file when it was not float32 / int64 (float16). */
  readonly stored?: 'float16';
}

/** A state dict: tensor names (PyTorch's, e.g. `stages.0.blocks.0.transformer.mapping.weight`) to values. */
export type StateDict = Map<string, HostTensor>;

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function floatTensor(shape: readonly number[], data: Float32Array): HostTensor {
  if (data.length !== sizeOf(shape)) throw new Error(`${data.length} values for shape [${shape.join(', ')}]`);
  return { dtype: 'float32', shape: [...shape], data };
}

/** IEEE half → single (exact: every float16 is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Reads `count` little-endian values of a dtype from bytes into a host array (float16 widened). */
export function decodeValues(
  bytes: Uint8Array,
  dtype: 'float32' | 'float16' | 'int64',
  count: number,
): Float32Array | BigInt64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'int64') {
    const out = new BigInt64Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getBigInt64(i * 8, true);
    return out;
  }
  const out = new Float32Array(count);
  if (dtype === 'float16') for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  else for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export const BYTES_PER_VALUE = { float32: 4, float16: 2, int64: 8 } as const;
