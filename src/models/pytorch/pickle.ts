/**
 * A restricted reader for the pickle inside a `torch.save` file (`data.pkl`). It understands
 * what a state dict is made of and nothing else, and it never runs anything from the file:
 * every global a pickle names is looked up in ALLOWED_GLOBALS below and replaced by this
 * file's own inert stand-in; any other global (`os.system`, `builtins.eval`, a model class, a
 * numpy scalar) stops the reading with an error that names it.
 *
 * Python values become: dict / OrderedDict → PyDict (a Map, insertion-ordered), list and tuple
 * → arrays, int → number (bigint beyond 2^53), float → number, str → string, bytes →
 * Uint8Array, None → null, bool → boolean, a tensor → TensorRef (shape, stride, offset and its
 * storage's key; the bytes are read by ./checkpoint.ts).
 *
 * Opcodes: the binary protocols 2–5 (torch writes 2), without those that build arbitrary
 * objects (INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT*) or read a text persistent id (PERSID).
 */
import { SkelactError } from '../../core/errors.js';

/** dtypes of the storages a state dict may hold here, by torch storage class. */
export const STORAGE_DTYPES = { FloatStorage: 'float32', HalfStorage: 'float16', LongStorage: 'int64' } as const;
export type StorageDtype = (typeof STORAGE_DTYPES)[keyof typeof STORAGE_DTYPES];

/** Python dict or OrderedDict. `attributes` holds what BUILD set on it (a state dict's `_metadata`). */
export class PyDict extends Map<unknown, unknown> {
  attributes?: unknown;
}

export interface StorageRef {
  readonly kind: 'storage';
  readonly dtype: StorageDtype;
  /** Name of its file in the archive's `data/` folder. */
  readonly key: string;
  /** Elements in the storage. */
  readonly numel: number;
}

export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

export class PickleError extends SkelactError {
  readonly code = 'pickle';

  constructor(message: string) {
    super(message);
  }
}

/** A global the file named and this reader accepts (its stand-in is applied by REDUCE). */
interface Global {
  readonly kind: 'global';
  readonly name: string;
}

/** The only globals a state-dict pickle may name (module.name as pickle writes it). */
export const ALLOWED_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
];

function isGlobal(x: unknown): x is Global {
  return typeof x === 'object' && x !== null && (x as Global).kind === 'global';
}

function isTensor(x: unknown): x is TensorRef {
  return typeof x === 'object' && x !== null && (x as TensorRef).kind === 'tensor';
}

function intList(x: unknown, what: string): number[] {
  if (!Array.isArray(x) || !x.every((v) => Number.isInteger(v)))
    throw new PickleError(`${what} is not a tuple of integers`);
  return x as number[];
}

/** Calls an allowed global's stand-in (REDUCE). */
function reduce(fn: Global, args: unknown): unknown {
  if (!Array.isArray(args)) throw new PickleError(`${fn.name} called with non-tuple arguments`);
  switch (fn.name) {
    case 'collections.OrderedDict': {
      if (args.length !== 0) throw new PickleError('collections.OrderedDict with arguments is not a state dict');
      return new PyDict();
    }
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, size, stride] = args;
      if (typeof storage !== 'object' || storage === null || (storage as StorageRef).kind !== 'storage')
        throw new PickleError('_rebuild_tensor_v2 without a storage');
      if (!Number.isInteger(offset)) throw new PickleError('_rebuild_tensor_v2 with a non-integer offset');
      const shape = intList(size, 'tensor size');
      const strides = intList(stride, 'tensor stride');
      if (shape.length !== strides.length)
        throw new PickleError(`tensor size [${shape}] and stride [${strides}] differ in rank`);
      return {
        kind: 'tensor',
        storage: storage as StorageRef,
        offset: offset as number,
        shape,
        stride: strides,
      } satisfies TensorRef;
    }
    case 'torch._utils._rebuild_parameter': {
      // (data, requires_grad, backward_hooks): a Parameter is its tensor here
      if (!isTensor(args[0])) throw new PickleError('_rebuild_parameter without a tensor');
      return args[0];
    }
    default:
      throw new PickleError(`${fn.name} cannot be called (it is a storage type)`);
  }
}

/** Resolves torch's persistent id ('storage', torch.XStorage, key, location, numel). */
function persistentLoad(pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
    throw new PickleError(
      `unknown persistent id ${JSON.stringify(Array.isArray(pid) ? pid[0] : typeof pid)} (only torch storages are read)`,
    );
  const [, type, key, , numel] = pid;
  if (!isGlobal(type) || !type.name.startsWith('torch.')) throw new PickleError('storage without a torch storage type');
  const dtype = STORAGE_DTYPES[type.name.slice('torch.'.length) as keyof typeof STORAGE_DTYPES];
  if (!dtype) throw new PickleError(`storage type ${type.name} is not supported (float32, float16 and int64 are)`);
  if (typeof key !== 'string' || !/^[0-9A-Za-z_]+$/.test(key))
    throw new PickleError(`storage key ${JSON.stringify(key)} is not a plain name`);
  if (!Number.isInteger(numel) || (numel as number) < 0) throw new PickleError(`storage ${key} has no element count`);
  return { kind: 'storage', dtype, key, numel: numel as number };
}

/** Reads a pickle; throws PickleError for anything outside a state dict's vocabulary. */
export function readPickle(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;

  const need = (n: number) => {
    if (pos + n > bytes.length)
      throw new PickleError(`pickle ends early (byte ${pos} of ${bytes.length}; truncated file?)`);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) throw new PickleError(`length ${v} beyond the end of the pickle`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError('pickle ends inside a text line');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]))
      throw new PickleError(`stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw new PickleError(`stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError(`no MARK at byte ${pos}`);
    return stack.splice(m);
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.includes(full)) {
      throw new PickleError(
        `refusing global ${full}: a state dict holds only ${ALLOWED_GLOBALS.join(', ')} (this file would run other code when loaded by Python)`,
      );
    }
    return { kind: 'global', name: full };
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof PyDict)) throw new PickleError('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) throw new PickleError('APPEND on something that is not a list');
    list.push(...items);
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError('pickle protocol above 5');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw new PickleError(`pickle stops with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(take(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text.decode(take(u64())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) throw new PickleError(`memo ${i} read before it was written`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleError('STACK_GLOBAL with non-string names');
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!isGlobal(fn)) throw new PickleError(`REDUCE on something that is not a global at byte ${at}`);
        stack.push(reduce(fn, args));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop()));
        break;
      case 0x62: {
        // BUILD: only a dict's attributes (a state dict's _metadata) are accepted, and kept aside.
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyDict)) throw new PickleError(`BUILD on something that is not a dict at byte ${at}`);
        obj.attributes = state;
        break;
      }
      default: {
        const names: Record<number, string> = {
          0x69: 'INST',
          0x6f: 'OBJ',
          0x81: 'NEWOBJ',
          0x92: 'NEWOBJ_EX',
          0x82: 'EXT1',
          0x83: 'EXT2',
          0x84: 'EXT4',
          0x50: 'PERSID',
        };
        const name = names[op];
        throw new PickleError(
          name
            ? `opcode ${name} at byte ${at} builds arbitrary objects; a state dict does not need it`
            : `unsupported pickle opcode 0x${op.toString(16)} at byte ${at}`,
        );
      }
    }
  }
}
