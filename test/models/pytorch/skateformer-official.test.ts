/**
 * skelact's SkateFormer against the official PyTorch code: randomly initialised official models
 * (scripts/pytorch-fixtures.py, an NTU-shaped and an NW-UCLA-shaped one, with random BatchNorm
 * statistics) are imported and must give the official logits on the same inputs (relative
 * error ≤ 1e-4); exporting them gives the official state dict back, tensor for tensor.
 * State dicts of another preset or family are refused with every mismatch listed.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend.js';
import type { SkateFormerConfigInput } from '../../../src/models/skateformer/index.js';
import {
  StateDictMismatchError,
  parseSafetensors,
  readCheckpoint,
  skateFormerFromStateDict,
  skateFormerToStateDict,
  writeSafetensors,
  type StateDict,
} from '../../../src/models/pytorch/index.js';
import { packageRoot } from '../../../src/util/paths.js';

test.before(async () => {
  await initBackend('cpu');
});

const fixture = (name: string) =>
  new Uint8Array(readFileSync(join(packageRoot(), 'test', 'models', 'pytorch', 'fixtures', name)));

/** The skelact configs of the fixtures' official constructor arguments (see the generator's SMALL). */
export const SMALL_CONFIGS: Record<string, SkateFormerConfigInput> = {
  'ntu-small': {
    layout: 'ntu-25',
    persons: 2,
    classes: 5,
    frames: 16,
    embedDim: 16,
    depths: [1, 1],
    channels: [16, 32],
    heads: 16,
    mlpRatio: 2,
    indexT: true,
  },
  'ucla-small': {
    layout: 'kinect-20',
    persons: 1,
    classes: 4,
    frames: 16,
    embedDim: 16,
    depths: [1, 1],
    channels: [16, 16],
    heads: 8,
    mlpRatio: 1,
    indexT: false,
  },
};

/** Official input x (B, C, T, V, M) → skelact [B, T, M·V, C] (persons flattened person-major, as the official forward does). */
export function officialToSkelactInput(x: { shape: readonly number[]; data: Float32Array }): tf.Tensor4D {
  const [B, C, T, V, M] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let t = 0; t < T; t++)
        for (let v = 0; v < V; v++)
          for (let m = 0; m < M; m++)
            out[((b * T + t) * M * V + m * V + v) * C + c] = x.data[(((b * C + c) * T + t) * V + v) * M + m];
  return tf.tensor4d(out, [B, T, M * V, C]);
}

export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

for (const name of Object.keys(SMALL_CONFIGS)) {
  test(`${name}: imported official weights give the official logits (relative error ≤ 1e-4)`, (t) => {
    const { state } = readCheckpoint(fixture(`${name}.pt`), `${name}.pt`);
    const io = parseSafetensors(fixture(`${name}.io.safetensors`)).tensors;
    const model = skateFormerFromStateDict(state, SMALL_CONFIGS[name]);
    try {
      const expected = io.get('logits')!.data as Float32Array;
      const logits = tf.tidy(() => {
        const x = officialToSkelactInput({ shape: io.get('x')!.shape, data: io.get('x')!.data as Float32Array });
        const indexT = tf.tensor2d(
          io.get('index_t')!.data as Float32Array,
          io.get('index_t')!.shape as [number, number],
        );
        return model.forward({ x, indexT }, { training: false }).logits.dataSync();
      });
      t.is(logits.length, expected.length);
      const err = relativeError(logits, expected);
      t.log(`relative error ${err.toExponential(2)} over ${expected.length} logits`);
      t.true(err <= 1e-4, `relative error ${err}`);
      // the check can fail: a model with one weight changed does not match
      const w = model.params.get('head.b');
      w.assign(tf.add(w, 0.01));
      const changed = tf.tidy(() => {
        const x = officialToSkelactInput({ shape: io.get('x')!.shape, data: io.get('x')!.data as Float32Array });
        return model
          .forward(
            {
              x,
              indexT: tf.tensor2d(
                io.get('index_t')!.data as Float32Array,
                io.get('index_t')!.shape as [number, number],
              ),
            },
            { training: false },
          )
          .logits.dataSync();
      });
      t.true(relativeError(changed, expected) > 1e-4);
    } finally {
      model.dispose();
    }
  });

  test(`${name}: export gives the official state dict back, every name, shape and value`, (t) => {
    const { state } = readCheckpoint(fixture(`${name}.pt`), `${name}.pt`);
    const model = skateFormerFromStateDict(state, SMALL_CONFIGS[name]);
    try {
      const back = skateFormerToStateDict(model);
      t.deepEqual([...back.keys()].sort(), [...state.keys()].sort());
      for (const [key, original] of state) {
        const exported = back.get(key)!;
        t.deepEqual(exported.shape, original.shape, key);
        t.is(exported.dtype, original.dtype, key);
        // num_batches_tracked counts training steps; skelact does not keep it and writes 0
        if (key.endsWith('num_batches_tracked')) t.is((exported.data as BigInt64Array)[0], 0n);
        else
          t.deepEqual(
            Array.from(exported.data as ArrayLike<number | bigint>),
            Array.from(original.data as ArrayLike<number | bigint>),
            key,
          );
      }
    } finally {
      model.dispose();
    }
  });
}

test('an exported .safetensors imports again (safetensors in, int64 buffers included) to the same weights', (t) => {
  const { state } = readCheckpoint(fixture('ntu-small.pt'), 'ntu-small.pt');
  const model = skateFormerFromStateDict(state, SMALL_CONFIGS['ntu-small']);
  const bytes = writeSafetensors(skateFormerToStateDict(model));
  const read = readCheckpoint(bytes, 'exported.safetensors');
  t.is(read.format, 'safetensors');
  const again = skateFormerFromStateDict(read.state, SMALL_CONFIGS['ntu-small']);
  try {
    for (const [info, variable] of model.params.entries())
      t.deepEqual(Array.from(again.params.get(info.name).dataSync()), Array.from(variable.dataSync()), info.name);
  } finally {
    model.dispose();
    again.dispose();
  }
});

test('a checkpoint of another preset: one error listing every shape that differs', (t) => {
  const { state } = readCheckpoint(fixture('ntu-small.pt'), 'ntu-small.pt');
  // the NW-UCLA-shaped config against NTU-shaped weights
  const e = t.throws(
    () =>
      skateFormerFromStateDict(state, {
        ...SMALL_CONFIGS['ucla-small'],
        indexT: true,
        classes: 5,
        channels: [16, 32],
        heads: 16,
      }),
    { instanceOf: StateDictMismatchError },
  );
  t.regex(e!.message, /a checkpoint of another preset\?/);
  t.regex(e!.message, /joint_person_embedding is \(16, 48\), expected \(16, 20\)/);
  t.regex(e!.message, /stages\.0\.blocks\.0\.transformer\.gconv is \(4, 48, 48\), expected \(4, 20, 20\)/);
  t.regex(e!.message, /relative_position_bias_table is \(15, 12, 12, 2\), expected \(15, 5, 5, 2\)/);
  t.regex(e!.message, /mlp\.fc1\.weight is \(32, 16\), expected \(16, 16\)/);
});

test('missing and left-over tensors are all listed', (t) => {
  const { state } = readCheckpoint(fixture('ntu-small.pt'), 'ntu-small.pt');
  const edited: StateDict = new Map(state);
  edited.delete('head.bias');
  edited.delete('stem.2.weight');
  edited.set('extra.weight', state.get('head.weight')!);
  const e = t.throws(() => skateFormerFromStateDict(edited, SMALL_CONFIGS['ntu-small']), {
    instanceOf: StateDictMismatchError,
  });
  t.deepEqual([...e!.missing].sort(), ['head.bias', 'stem.2.weight']);
  t.deepEqual(e!.unexpected, ['extra.weight']);
  t.regex(e!.message, /missing 2: .*left over 1: extra\.weight/);
});

test('a state dict of another family says so', (t) => {
  const { state } = readCheckpoint(fixture('misc.pt'), 'misc.pt');
  const e = t.throws(() => skateFormerFromStateDict(state, SMALL_CONFIGS['ntu-small']), {
    instanceOf: StateDictMismatchError,
  });
  t.regex(e!.message, /none of its tensors has an official SkateFormer name: another family\?/);
  t.deepEqual(e!.unexpected, ['half', 'long', 'view', 'row']);
});

test('no tensor leaks: import, forward, export and a failed import', (t) => {
  const { state } = readCheckpoint(fixture('ucla-small.pt'), 'ucla-small.pt');
  const before = tf.memory().numTensors;
  const model = skateFormerFromStateDict(state, SMALL_CONFIGS['ucla-small']);
  skateFormerToStateDict(model);
  model.dispose();
  t.throws(() => skateFormerFromStateDict(state, SMALL_CONFIGS['ntu-small']));
  t.is(tf.memory().numTensors, before);
});
