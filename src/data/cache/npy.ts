/**
 * NumPy `.npy` (format version 1.0) reading and writing for little-endian float32, int32
 * and int64 arrays.
 *
 * Hand-written on purpose: the cache writes `clips.npy` as a stream whose final length is
 * only known at the end, which needs a fixed-size header that is rewritten on close; the
 * npm npy packages read whole files into memory and cannot do that. The format itself
 * is a 10-byte preamble plus a Python-dict header, documented in NumPy's NEP 1.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export type NpyDtype = '<f4' | '<i4' | '<i8';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** Room reserved for a streamed header: enough for any 1-D/2-D shape below 10^30. */
const STREAM_HEADER_BYTES = 128;

const BYTES: Record<NpyDtype, number> = { '<f4': 4, '<i4': 4, '<i8': 8 };

function headerText(dtype: NpyDtype, shape: readonly number[]): string {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
}

/** The full header (preamble + dict + padding + newline), padded to `total` bytes or the next multiple of 64. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[], total?: number): Buffer {
  const dict = headerText(dtype, shape);
  const unpadded = 10 + dict.length + 1;
  const size = total ?? Math.ceil(unpadded / 64) * 64;
  if (unpadded > size) throw new Error(`npy header for shape (${shape.join(', ')}) does not fit in ${size} bytes`);
  const buf = Buffer.alloc(size, 0x20);
  MAGIC.copy(buf, 0);
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(size - 10, 8);
  buf.write(dict, 10, 'latin1');
  buf[size - 1] = 0x0a;
  return buf;
}

function typedBytes(data: Float32Array | Int32Array | BigInt64Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes a whole array to an `.npy` file descriptor. */
export function writeNpy(
  fd: number,
  dtype: NpyDtype,
  shape: readonly number[],
  data: Float32Array | Int32Array | BigInt64Array,
): void {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new Error(`npy shape (${shape.join(', ')}) holds ${count} values but ${data.length} were given`);
  writeSync(fd, npyHeader(dtype, shape));
  writeSync(fd, typedBytes(data));
}

/**
 * A 1-D float32 `.npy` written in pieces. The header is reserved up front and rewritten
 * with the final length by `close()`; until then the file is not a valid `.npy`, which is
 * fine because the cache folder only gets its final name after everything is closed.
 */
export class NpyStreamWriter {
  private readonly fd: number;
  private values = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, npyHeader('<f4', [0], STREAM_HEADER_BYTES));
  }

  /** Number of float32 values written so far (the offset of the next append). */
  get length(): number {
    return this.values;
  }

  append(data: Float32Array): void {
    writeSync(this.fd, typedBytes(data));
    this.values += data.length;
  }

  close(): void {
    writeSync(this.fd, npyHeader('<f4', [this.values], STREAM_HEADER_BYTES), 0, STREAM_HEADER_BYTES, 0);
    closeSync(this.fd);
  }
}

export interface NpyInfo {
  readonly dtype: NpyDtype;
  readonly shape: number[];
  /** Byte offset of the first value. */
  readonly dataOffset: number;
}

/** Reads and validates an `.npy` header from an open file. */
export function readNpyInfo(fd: number, file: string): NpyInfo {
  const pre = Buffer.alloc(10);
  if (readSync(fd, pre, 0, 10, 0) !== 10 || !pre.subarray(0, 6).equals(MAGIC))
    throw new Error(`${file}: not a .npy file (bad magic bytes)`);
  if (pre[6] !== 1) throw new Error(`${file}: npy format version ${pre[6]}.${pre[7]} is not supported (expected 1.0)`);
  const headerLen = pre.readUInt16LE(8);
  const header = Buffer.alloc(headerLen);
  readSync(fd, header, 0, headerLen, 10);
  const text = header.toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr !== '<f4' && descr !== '<i4' && descr !== '<i8')
    throw new Error(`${file}: dtype ${descr} is not supported (expected <f4, <i4 or <i8)`);
  if (fortran !== 'False') throw new Error(`${file}: Fortran-ordered arrays are not supported`);
  if (shapeText === undefined) throw new Error(`${file}: npy header has no shape`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${file}: bad npy shape (${shapeText})`);
  const dataOffset = 10 + headerLen;
  const expectedBytes = shape.reduce((a, b) => a * b, 1) * BYTES[descr];
  const actual = fstatSync(fd).size - dataOffset;
  if (actual !== expectedBytes)
    throw new Error(
      `${file}: holds ${actual} data bytes but its header promises ${expectedBytes} (truncated or corrupt)`,
    );
  return { dtype: descr, shape, dataOffset };
}

/** Reads a whole small array (labels, offsets, shapes). */
export function readNpy(path: string): { info: NpyInfo; data: Float32Array | Int32Array | BigInt64Array } {
  const fd = openSync(path, 'r');
  try {
    const info = readNpyInfo(fd, path);
    const count = info.shape.reduce((a, b) => a * b, 1);
    const bytes = count * BYTES[info.dtype];
    const buf = new ArrayBuffer(bytes);
    readFully(fd, new Uint8Array(buf), info.dataOffset);
    const data =
      info.dtype === '<f4'
        ? new Float32Array(buf)
        : info.dtype === '<i4'
          ? new Int32Array(buf)
          : new BigInt64Array(buf);
    return { info, data };
  } finally {
    closeSync(fd);
  }
}

/** readSync until the buffer is full (a single call may return fewer bytes). */
export function readFully(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}
