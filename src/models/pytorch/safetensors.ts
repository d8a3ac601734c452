/**
 * The safetensors format (huggingface/safetensors, its README's "Format" section): an unsigned
 * little-endian 64-bit header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`
 * (padded with spaces), then the tensors' little-endian bytes, offsets counted from the end of
 * the header. No code, no pickle: a safe way to hand weights to Python (`safetensors.torch.load_file`).
 */
import { BYTES_PER_VALUE, decodeValues, sizeOf, type HostTensor, type StateDict } from './tensors.js';
import { SkelactError } from '../../core/errors.js';

const DTYPES = { F32: 'float32', F16: 'float16', I64: 'int64' } as const;
const CODE_OF = { float32: 'F32', int64: 'I64' } as const;

export class SafetensorsError extends SkelactError {
  readonly code = 'safetensors';

  constructor(message: string) {
    super(`safetensors: ${message}`);
  }
}

/** Parses a .safetensors file: every tensor (float16 widened to float32) and the metadata. */
export function parseSafetensors(bytes: Uint8Array): { tensors: StateDict; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new SafetensorsError(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8))
    throw new SafetensorsError(
      `header of ${headerLength} bytes does not fit the ${bytes.length}-byte file (truncated?)`,
    );
  const start = 8 + Number(headerLength);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start)));
  } catch (e) {
    throw new SafetensorsError(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new SafetensorsError('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const tensors: StateDict = new Map();
  const body = bytes.length - start;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((entry ?? {}) as Record<string, unknown>))
        if (typeof v === 'string') metadata[k] = v;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const kind = DTYPES[dtype as keyof typeof DTYPES];
    if (!kind) throw new SafetensorsError(`tensor '${name}' has dtype ${String(dtype)}; F32, F16 and I64 are read`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new SafetensorsError(`tensor '${name}' has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o)))
      throw new SafetensorsError(`tensor '${name}' has no valid data_offsets`);
    const [begin, end] = offsets as [number, number];
    const count = sizeOf(shape);
    if (end - begin !== count * BYTES_PER_VALUE[kind])
      throw new SafetensorsError(`tensor '${name}': ${end - begin} bytes for ${count} ${kind} values`);
    if (begin < 0 || end > body)
      throw new SafetensorsError(`tensor '${name}' lies beyond the end of the file (truncated?)`);
    const data = decodeValues(bytes.subarray(start + begin, start + end), kind, count);
    tensors.set(name, {
      dtype: kind === 'int64' ? 'int64' : 'float32',
      shape,
      data,
      ...(kind === 'float16' ? { stored: 'float16' as const } : {}),
    });
  }
  return { tensors, metadata };
}

/** Writes tensors (float32 / int64) in the given order as a .safetensors file. */
export function writeSafetensors(
  tensors: ReadonlyMap<string, HostTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = sizeOf(t.shape) * BYTES_PER_VALUE[t.dtype];
    if (t.data.length !== sizeOf(t.shape))
      throw new SafetensorsError(`tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: CODE_OF[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of tensors.values()) {
    if (t.dtype === 'int64') for (const v of t.data as BigInt64Array) (view.setBigInt64(at, v, true), (at += 8));
    else for (const v of t.data as Float32Array) (view.setFloat32(at, v, true), (at += 4));
  }
  return out;
}
