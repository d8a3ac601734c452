/**
 * Property tests (fast-check) that mutate saved models (manifest text, weight bytes, float32
 * and float16) and checkpoint state files, and check the contract: a ModelFolderError or
 * CheckpointError naming the folder, or a model whose every weight is finite and as saved;
 * never a crash, and never NaN or Infinity loaded silently.
 */
import test from 'ava';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import {
  loadModel,
  MODEL_FILES,
  ModelFolderError,
  readModelFolder,
  saveModel,
  writeModelFolder,
} from '../../src/models/io.js';
import { quantizeWeights } from '../../src/models/quantize.js';
import { createModel, createModelFromManifest } from '../../src/models/registry.js';
import {
  CHECKPOINT_FILES,
  CHECKPOINT_VERSION,
  CheckpointError,
  readCheckpointState,
} from '../../src/train/checkpoint.js';
import { applyMutation, mutationsArb } from '../data/formats/mutate.js';
import { tmp } from './data-helpers.js';

test.before(async () => {
  await initBackend('wasm');
});

type WeightDamage =
  | { kind: 'write-float'; at: number; value: number }
  | { kind: 'write-half'; at: number; bits: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'append'; bytes: number }
  | { kind: 'manifest-text'; mutations: Parameters<typeof applyMutation>[1][] };

const damageArb: fc.Arbitrary<WeightDamage> = fc.oneof(
  fc.record({
    kind: fc.constant('write-float' as const),
    at: fc.nat(1_000_000),
    value: fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1e30, -2.5),
  }),
  // 0x7c00 is +Inf in float16, 0xfc00 −Inf, 0x7e00 NaN; 0x3c00 is 1.
  fc.record({
    kind: fc.constant('write-half' as const),
    at: fc.nat(1_000_000),
    bits: fc.constantFrom(0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x3c00),
  }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat(1_000_000) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('manifest-text' as const), mutations: mutationsArb }),
);

function isNonFinite(kind: WeightDamage, quantised: boolean): boolean {
  if (kind.kind === 'write-float') return !quantised && !Number.isFinite(kind.value);
  if (kind.kind === 'write-half') return quantised && (kind.bits & 0x7c00) === 0x7c00;
  return false;
}

for (const quantised of [false, true]) {
  test(`saved ${quantised ? 'float16' : 'float32'} models: a damaged folder is a ModelFolderError naming it, or loads with every weight finite; NaN or Infinity never loads`, async (t) => {
    const base = tmp('hostile-model');
    const original = join(base, 'original');
    const model = createModel(
      { kind: 'stgcn', preset: 'tiny' },
      { layout: 'kinect-20', classes: 3, frames: 16, persons: 1 },
      5,
    );
    await saveModel(original, model, {
      layout: 'kinect-20',
      classNames: ['a', 'b', 'c'],
      modality: 'j',
      sampling: 'crop-resize',
      testCrop: 0.95,
      minLength: 16,
      fillMissingPersons: 'zeros',
      normalize: 'none',
    });
    model.dispose();
    if (quantised) {
      const read = readModelFolder(original);
      const q = quantizeWeights(read.specs, read.data, 'float16');
      rmSync(original, { recursive: true });
      writeModelFolder(
        original,
        { ...read.manifest, weightsManifest: [{ paths: [MODEL_FILES.weights], weights: q.specs as never }] },
        q.data,
      );
    }
    const weights = readFileSync(join(original, MODEL_FILES.weights));
    const manifestText = readFileSync(join(original, MODEL_FILES.manifest), 'utf8');
    const outcomes = { refused: 0, loaded: 0 };
    let run = 0;
    const tensorsBefore = tf.memory().numTensors;
    fc.assert(
      fc.property(damageArb, (damage) => {
        const dir = join(base, `m${run++}`);
        cpSync(original, dir, { recursive: true });
        const bytes = Buffer.from(weights);
        if (damage.kind === 'write-float') bytes.writeFloatLE(damage.value, 4 * (damage.at % (bytes.length / 4)));
        else if (damage.kind === 'write-half') bytes.writeUInt16LE(damage.bits, 2 * (damage.at % (bytes.length / 2)));
        if (damage.kind === 'truncate')
          writeFileSync(join(dir, MODEL_FILES.weights), bytes.subarray(0, damage.keep % bytes.length));
        else if (damage.kind === 'append')
          writeFileSync(join(dir, MODEL_FILES.weights), Buffer.concat([bytes, Buffer.alloc(damage.bytes, 7)]));
        else if (damage.kind === 'manifest-text')
          writeFileSync(join(dir, MODEL_FILES.manifest), damage.mutations.reduce(applyMutation, manifestText));
        else writeFileSync(join(dir, MODEL_FILES.weights), bytes);
        try {
          const { model: loaded } = loadModel(dir, createModelFromManifest);
          try {
            if (isNonFinite(damage, quantised))
              throw new Error(`${JSON.stringify(damage)}: a non-finite weight loaded without an error`);
            for (const [info, tensor] of loaded.params.entries()) {
              const values = tensor.dataSync();
              for (let i = 0; i < values.length; i++)
                if (!Number.isFinite(values[i])) throw new Error(`${info.name}[${i}] is ${values[i]} after loading`);
            }
          } finally {
            loaded.dispose();
          }
          outcomes.loaded++;
        } catch (e) {
          if (!(e instanceof ModelFolderError) || !e.message.startsWith(`model ${dir}: `))
            throw new Error(
              `${JSON.stringify(damage)}: expected a ModelFolderError naming ${dir}, got ${(e as Error).name}: ${(e as Error).message}`,
            );
          outcomes.refused++;
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
    t.true(outcomes.refused > 0, JSON.stringify(outcomes));
    // The other side of the contract, checked on purpose rather than left to the random damages
    // (60 of them can all be refused): the undamaged folder loads with every weight finite.
    const { model: intact } = loadModel(original, createModelFromManifest);
    try {
      for (const [info, tensor] of intact.params.entries())
        t.true(tensor.dataSync().every(Number.isFinite), `${info.name} is finite`);
    } finally {
      intact.dispose();
    }
    t.is(tf.memory().numTensors, tensorsBefore, 'no tensor left behind by the loads, refused or not');
  });
}

test('checkpoint state.json: a corrupted file is a CheckpointError naming the checkpoint and state.json, or a valid state', (t) => {
  const dir = join(tmp('hostile-checkpoint'), 'checkpoint');
  mkdirSync(dir, { recursive: true });
  const state = {
    format: 'skelact-checkpoint',
    version: CHECKPOINT_VERSION,
    config: { name: 'x' },
    epoch: 1,
    batch: 2,
    step: 7,
    itersPerEpoch: 5,
    rng: { seed: 1, scheme: 's' },
    running: { lossSum: 1.5, correct: 3, seen: 8, batches: 2, trainSeconds: 0.5, seconds: 0.6, lastLr: 0.01 },
    best: { epoch: 1, top1: 0.5 },
    history: [{ epoch: 1, step: 5, lr: 0.01, trainLoss: 1.2, trainAccuracy: 0.4, seconds: 1, samplesPerSecond: 10 }],
    data: { fingerprint: 'abc', dataset: 'ntu', samples: 42, source: '/raw', createdAt: '2026', dir: 'cache' },
  };
  const text = JSON.stringify(state, null, 1);
  const outcomes = { refused: 0, read: 0 };
  fc.assert(
    fc.property(mutationsArb, (mutations) => {
      writeFileSync(join(dir, CHECKPOINT_FILES.state), mutations.reduce(applyMutation, text));
      try {
        const s = readCheckpointState(dir);
        if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.itersPerEpoch) || s.itersPerEpoch < 1)
          throw new Error(`accepted epoch ${s.epoch}, itersPerEpoch ${s.itersPerEpoch}`);
        outcomes.read++;
      } catch (e) {
        if (
          !(e instanceof CheckpointError) ||
          !e.message.startsWith(`checkpoint ${dir}: `) ||
          !e.message.includes('state.json')
        )
          throw new Error(`unexpected ${(e as Error).name}: ${(e as Error).message}`);
        outcomes.refused++;
      }
    }),
    { numRuns: 80 },
  );
  t.true(outcomes.refused > 0, JSON.stringify(outcomes));
  // The other side, checked on purpose rather than left to chance (80 random corruptions were
  // once all refused): the undamaged file and one with harmless whitespace read back as written.
  for (const variant of [text, ` ${text.replace(/\n/g, '\r\n')}\n`]) {
    writeFileSync(join(dir, CHECKPOINT_FILES.state), variant);
    const s = readCheckpointState(dir);
    t.deepEqual([s.epoch, s.batch, s.step, s.itersPerEpoch], [1, 2, 7, 5]);
  }
});

test('a checkpoint of the earlier random-number scheme (version 1) is refused with the reason, not resumed differently', (t) => {
  const dir = join(tmp('hostile-checkpoint-v1'), 'checkpoint');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, CHECKPOINT_FILES.state), JSON.stringify({ format: 'skelact-checkpoint', version: 1 }));
  const error = t.throws(() => readCheckpointState(dir), { instanceOf: CheckpointError });
  t.regex(
    error.message,
    /state\.json says checkpoint version 1; this skelact reads version 2 \(its random number streams differ/,
  );
  t.is(error.code, 'invalid-checkpoint');
});
