/**
 * Reading PyTorch files: torch.save archives written by PyTorch 1.13 (fixtures from
 * scripts/pytorch-fixtures.py), safetensors written by Python following the format's spec, and
 * the refusals (foreign globals, pickled objects, truncated and non-checkpoint files).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import {
  TorchCheckpointError,
  parseSafetensors,
  readCheckpoint,
  readPickle,
  writeSafetensors,
} from '../../../src/models/pytorch/index.js';
import type { HostTensor } from '../../../src/models/pytorch/index.js';
import { halfToFloat } from '../../../src/models/pytorch/tensors.js';
import { packageRoot } from '../../../src/util/paths.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(join(packageRoot(), 'test', 'models', 'pytorch', 'fixtures', name)));

const values = (t: HostTensor | undefined) => Array.from(t!.data as ArrayLike<number | bigint>);

test('torch.save archive: float16 widened exactly, int64 kept, strided views of a shared storage followed', (t) => {
  const { state, format } = readCheckpoint(fixture('misc.pt'), 'misc.pt');
  t.is(format, 'torch-zip');
  t.deepEqual([...state.keys()], ['half', 'long', 'view', 'row']);
  const half = state.get('half')!;
  t.deepEqual(half.shape, [2, 3]);
  t.is(half.stored, 'float16');
  t.deepEqual(values(half), [1.5, -2, 65504, 0, 2 ** -24, -0.25]);
  t.deepEqual(values(state.get('long')), [3n, -1n, 2n ** 40n]);
  // base = arange(12).reshape(3, 4); view = base.t() (stride (1, 4)); row = base[1] (offset 4)
  t.deepEqual(state.get('view')!.shape, [4, 3]);
  t.deepEqual(values(state.get('view')), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  t.deepEqual(values(state.get('row')), [4, 5, 6, 7]);
});

test('safetensors written by Python (from the spec) read back the same tensors as the torch.save file', (t) => {
  const { tensors, metadata } = parseSafetensors(fixture('misc.safetensors'));
  t.is(metadata.written_by, 'scripts/pytorch-fixtures.py');
  const fromTorch = readCheckpoint(fixture('misc.pt'), 'misc.pt').state;
  for (const [name, tensor] of fromTorch) {
    t.deepEqual(tensors.get(name)!.shape, tensor.shape, name);
    t.deepEqual(values(tensors.get(name)), values(tensor), name);
  }
});

test('safetensors writer: header and bytes as the format specifies (hand-computed), read back equal', (t) => {
  const tensors = new Map<string, HostTensor>([
    ['a', { dtype: 'float32', shape: [2], data: Float32Array.of(1, -2) }],
    ['b', { dtype: 'int64', shape: [], data: BigInt64Array.of(7n) }],
  ]);
  const bytes = writeSafetensors(tensors, { k: 'v' });
  const json =
    '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}';
  const padded = Math.ceil(json.length / 8) * 8;
  t.is(new DataView(bytes.buffer).getBigUint64(0, true), BigInt(padded));
  t.is(new TextDecoder().decode(bytes.subarray(8, 8 + padded)), json.padEnd(padded, ' '));
  // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, 7 = 07 00 … 00
  t.deepEqual(Array.from(bytes.subarray(8 + padded)), [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 7, 0, 0, 0, 0, 0, 0, 0]);
  const back = parseSafetensors(bytes);
  t.deepEqual(values(back.tensors.get('a')), [1, -2]);
  t.deepEqual(values(back.tensors.get('b')), [7n]);
  t.deepEqual(back.metadata, { k: 'v' });
});

test('halfToFloat: subnormals, infinities and NaN', (t) => {
  t.is(halfToFloat(0x0001), 2 ** -24);
  t.is(halfToFloat(0x7c00), Infinity);
  t.is(halfToFloat(0xfc00), -Infinity);
  t.true(Number.isNaN(halfToFloat(0x7e00)));
  t.is(halfToFloat(0x3c00), 1);
});

test('mmcv / PYSKL wrapping and the DDP module. prefix are unwrapped', (t) => {
  const read = readCheckpoint(fixture('ucla-small.pt'), 'ucla-small.pt');
  t.is(read.wrappedIn, 'state_dict');
  t.is(read.strippedPrefix, 'module.');
  t.true(read.state.has('head.weight'));
  t.false([...read.state.keys()].some((k) => k.startsWith('module.')));
});

test('a pickle naming os.system is refused, naming the global (a real torch.save file)', (t) => {
  const e = t.throws(() => readCheckpoint(fixture('foreign-global.pt'), 'foreign-global.pt'), {
    instanceOf: TorchCheckpointError,
  });
  // os.system pickles as posix.system on Linux
  t.regex(e!.message, /foreign-global\.pt: .*data\.pkl: refusing global posix\.system/);
});

test('hand-made pickles: os.system, builtins.eval and object-building opcodes are refused before anything runs', (t) => {
  const enc = (s: string) => Array.from(new TextEncoder().encode(s));
  // PROTO 2; GLOBAL 'os system'; SHORT_BINUNICODE 'ls'; TUPLE1; REDUCE; STOP
  const system = Uint8Array.from([0x80, 2, 0x63, ...enc('os\nsystem\n'), 0x8c, 2, ...enc('ls'), 0x85, 0x52, 0x2e]);
  t.throws(() => readPickle(system), { message: /refusing global os\.system/ });
  // protocol 4 STACK_GLOBAL form
  const evalPickle = Uint8Array.from([0x80, 4, 0x8c, 8, ...enc('builtins'), 0x8c, 4, ...enc('eval'), 0x93, 0x2e]);
  t.throws(() => readPickle(evalPickle), { message: /refusing global builtins\.eval/ });
  // INST 'os\nsystem\n' is refused as an opcode
  t.throws(() => readPickle(Uint8Array.from([0x80, 2, 0x28, 0x69, ...enc('os\nsystem\n'), 0x2e])), {
    message: /INST .*arbitrary objects/,
  });
});

test('a pickled module (its class is a global) is refused, naming it', (t) => {
  t.throws(() => readCheckpoint(fixture('pickled-module.pt'), 'pickled-module.pt'), {
    message: /refusing global torch\.nn\.modules\.linear\.Linear/,
  });
});

test('truncated zip, non-checkpoint bytes, a zip without data.pkl and a truncated safetensors: clear errors', (t) => {
  const bytes = fixture('ntu-small.pt');
  t.throws(() => readCheckpoint(bytes.subarray(0, Math.floor(bytes.length / 2)), 'half.pt'), {
    message: /half\.pt: the zip archive cannot be read \(truncated or damaged\?\)/,
  });
  t.throws(() => readCheckpoint(new TextEncoder().encode('{"not": "weights"}'), 'x.json'), {
    message: /x\.json: not a PyTorch checkpoint/,
  });
  t.throws(() => readCheckpoint(zipSync({ 'a.txt': new Uint8Array(3) }), 'other.zip'), {
    message: /not a torch\.save file: expected one <name>\/data\.pkl/,
  });
  const st = fixture('misc.safetensors');
  t.throws(() => readCheckpoint(st.subarray(0, st.length - 4), 'cut.safetensors'), {
    message: /cut\.safetensors: safetensors: tensor '.*' lies beyond the end/,
  });
  t.throws(() => readCheckpoint(Uint8Array.of(0x80, 2, 0x7d, 0x2e), 'old.pt'), {
    message: /legacy torch\.save format/,
  });
});
