/**
 * Reading PyTorch weights files without Python: `torch.save` archives (a zip holding
 * `<name>/data.pkl` and one raw little-endian file per storage, `<name>/data/<key>`) through
 * the restricted unpickler of ./pickle.ts, and `.safetensors` files (./safetensors.ts).
 *
 * The weights are found where the common training scripts put them: the file itself is the
 * state dict (SkateFormer, CTR-GCN), or it is a dict with `state_dict` (mmcv / PYSKL) or
 * `model` (many others); a DistributedDataParallel `module.` prefix is removed.
 * Zip reading is fflate's.
 */
import { unzipSync } from 'fflate';
import { PickleError, PyDict, readPickle, type TensorRef } from './pickle.js';
import { parseSafetensors } from './safetensors.js';
import { BYTES_PER_VALUE, decodeValues, sizeOf, type HostTensor, type StateDict } from './tensors.js';
import { SkelactError } from '../../core/errors.js';

export class TorchCheckpointError extends SkelactError {
  readonly code = 'torch-checkpoint';

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

/** Where the state dict was found in the file, for messages and provenance. */
export interface ReadCheckpoint {
  readonly state: StateDict;
  readonly format: 'torch-zip' | 'safetensors';
  /** Key of the wrapping dict that held the weights ('state_dict', 'model'), if any. */
  readonly wrappedIn?: string;
  /** Whether a DDP `module.` prefix was removed. */
  readonly strippedPrefix?: string;
}

/** Largest archive entry unpacked (a full-size SkateFormer's largest storage is 0.3 MB; big models' a few hundred MB). */
const MAX_ENTRY_BYTES = 2 ** 31;

const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
const isLegacyTorch = (b: Uint8Array) => b.length >= 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5;
const isSafetensors = (b: Uint8Array) =>
  b.length >= 9 && b[8] === 0x7b && new DataView(b.buffer, b.byteOffset).getBigUint64(0, true) <= BigInt(b.length - 8);

/** Reads a weights file's bytes (torch.save zip or safetensors); `file` names it in errors. */
export function readCheckpoint(bytes: Uint8Array, file: string): ReadCheckpoint {
  if (isZip(bytes)) return readTorchZip(bytes, file);
  if (isSafetensors(bytes)) {
    try {
      return { state: parseSafetensors(bytes).tensors, format: 'safetensors' };
    } catch (e) {
      throw new TorchCheckpointError(file, (e as Error).message);
    }
  }
  if (isLegacyTorch(bytes))
    throw new TorchCheckpointError(
      file,
      'this is the legacy torch.save format (PyTorch < 1.6), not a zip archive; re-save it with a newer PyTorch (torch.save(torch.load(f), f)) and import that',
    );
  throw new TorchCheckpointError(
    file,
    'not a PyTorch checkpoint: expected a torch.save zip archive (starting with "PK") or a .safetensors file',
  );
}

function readTorchZip(bytes: Uint8Array, file: string): ReadCheckpoint {
  let entries: Record<string, Uint8Array>;
  try {
    // Only what a torch.save archive holds is extracted, each entry at most as large as the file
    // could describe uncompressed (torch stores its entries; a deflate bomb is not unpacked).
    entries = unzipSync(bytes, {
      filter: (f) => /^[^/]+\/(data\.pkl|byteorder|data\/[^/]+)$/.test(f.name) && f.originalSize <= MAX_ENTRY_BYTES,
    });
  } catch (e) {
    throw new TorchCheckpointError(
      file,
      `the zip archive cannot be read (truncated or damaged?): ${(e as Error).message}`,
    );
  }
  const pickles = Object.keys(entries).filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1)
    throw new TorchCheckpointError(
      file,
      `a zip archive, but not a torch.save file: expected one <name>/data.pkl, found ${pickles.length === 0 ? 'none' : pickles.join(', ')}`,
    );
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  const byteorder = entries[`${prefix}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little')
    throw new TorchCheckpointError(file, 'storages are big-endian; only little-endian files are read');

  let root: unknown;
  try {
    root = readPickle(entries[pickles[0]]);
  } catch (e) {
    if (e instanceof PickleError) throw new TorchCheckpointError(file, `${pickles[0]}: ${e.message}`);
    throw e;
  }
  const { dict, wrappedIn } = findStateDict(root, file);
  const { names, strippedPrefix } = stripPrefix([...dict.keys()].map(String));
  const state: StateDict = new Map();
  const notTensors: string[] = [];
  [...dict.values()].forEach((value, i) => {
    if (typeof value !== 'object' || value === null || (value as TensorRef).kind !== 'tensor')
      notTensors.push(names[i]);
    else state.set(names[i], materialise(value as TensorRef, entries, prefix, `${names[i]}`, file));
  });
  if (notTensors.length > 0)
    throw new TorchCheckpointError(file, `the state dict holds values that are not tensors: ${notTensors.join(', ')}`);
  return { state, format: 'torch-zip', wrappedIn, strippedPrefix };
}

const WRAPPER_KEYS = ['state_dict', 'model', 'model_state_dict', 'net'] as const;

function isTensorDict(d: PyDict): boolean {
  return (
    d.size > 0 &&
    [...d.values()].every((v) => typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor')
  );
}

function findStateDict(root: unknown, file: string): { dict: PyDict; wrappedIn?: string } {
  if (!(root instanceof PyDict))
    throw new TorchCheckpointError(
      file,
      'the archive holds no dict of weights (a whole pickled model or another object?); save model.state_dict() instead',
    );
  if (isTensorDict(root)) return { dict: root };
  for (const key of WRAPPER_KEYS) {
    const inner = root.get(key);
    if (inner instanceof PyDict && isTensorDict(inner)) return { dict: inner, wrappedIn: key };
  }
  const keys = [...root.keys()].map(String);
  throw new TorchCheckpointError(
    file,
    `no state dict found: the top-level dict has keys ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}, none of which (${WRAPPER_KEYS.join(', ')}) holds only tensors`,
  );
}

/** Removes a `module.` prefix that every name carries (DistributedDataParallel). */
function stripPrefix(names: string[]): { names: string[]; strippedPrefix?: string } {
  const prefix = 'module.';
  if (names.length > 0 && names.every((n) => n.startsWith(prefix)))
    return { names: names.map((n) => n.slice(prefix.length)), strippedPrefix: prefix };
  return { names };
}

/** Reads a tensor's values from its storage file, following its strides (views of shared storages). */
function materialise(
  ref: TensorRef,
  entries: Record<string, Uint8Array>,
  prefix: string,
  name: string,
  file: string,
): HostTensor {
  const { storage, shape, stride, offset } = ref;
  const raw = entries[`${prefix}data/${storage.key}`];
  if (!raw)
    throw new TorchCheckpointError(file, `tensor '${name}': storage data/${storage.key} is missing from the archive`);
  const width = BYTES_PER_VALUE[storage.dtype];
  if (raw.length < storage.numel * width)
    throw new TorchCheckpointError(
      file,
      `tensor '${name}': storage data/${storage.key} has ${raw.length} bytes, ${storage.numel} ${storage.dtype} values need ${storage.numel * width}`,
    );
  const count = sizeOf(shape);
  if (shape.some((d) => d < 0) || stride.some((s) => s < 0))
    throw new TorchCheckpointError(file, `tensor '${name}': negative size or stride`);
  const last = offset + shape.reduce((s, d, i) => s + (d - 1) * stride[i], 0);
  if (count > 0 && (offset < 0 || last >= storage.numel))
    throw new TorchCheckpointError(
      file,
      `tensor '${name}': shape [${shape}] with stride [${stride}] at offset ${offset} reaches beyond its storage of ${storage.numel} values`,
    );
  const all = decodeValues(raw, storage.dtype, storage.numel);
  const dtype = storage.dtype === 'int64' ? 'int64' : 'float32';
  const stored = storage.dtype === 'float16' ? ('float16' as const) : undefined;
  // Row-major strides: one slice. Otherwise walk the index.
  let contiguous = true;
  for (let i = shape.length - 1, s = 1; i >= 0; s *= shape[i], i--)
    if (shape[i] > 1 && stride[i] !== s) contiguous = false;
  if (contiguous)
    return {
      dtype,
      shape: [...shape],
      data: all.slice(offset, offset + count) as Float32Array | BigInt64Array,
      ...(stored ? { stored } : {}),
    };
  const out = dtype === 'int64' ? new BigInt64Array(count) : new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < count; k++) {
    let src = offset;
    for (let i = 0; i < shape.length; i++) src += index[i] * stride[i];
    (out as Float32Array)[k] = (all as Float32Array)[src];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++index[i] < shape[i]) break;
      index[i] = 0;
    }
  }
  return { dtype, shape: [...shape], data: out, ...(stored ? { stored } : {}) };
}
