/**
 * The models that ship in pretrained/: each loads by name and classifies real data of ../shared
 * that it was not trained on above the floor stated here (the measured figures are in each
 * model's card.json and in the README; the floors sit a few points below them).
 */
import test from 'ava';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { prepare } from '../../src/data/prepare.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadModel } from '../../src/models/io.js';
import { listPretrained } from '../../src/models/pretrained.js';
import { createModelFromManifest } from '../../src/models/registry.js';
import { testConfigOf } from '../../src/train/config.js';
import { evaluate } from '../../src/train/evaluate.js';
import { sharedPath, testWithShared } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';

// One backend start for the file (concurrent starts of the wasm backend in one process race).
test.before(async () => {
  await initBackend('wasm');
});

test('skelact ships the nw-ucla, utkinect and fitness models, each with a valid card naming its classes', (t) => {
  const models = listPretrained();
  t.deepEqual(
    models.map((m) => m.name),
    ['fitness', 'nw-ucla', 'utkinect'],
  );
  for (const m of models) {
    // "A few hundred KB at most": nw-ucla and utkinect hold four networks each, in uint8.
    t.true(m.bytes < 512 * 1024, `${m.name}: ${m.bytes} bytes`);
    const { manifest } = loadModelManifestOnly(m.name);
    t.deepEqual(manifest.classNames, m.card.classes, `${m.name}: the card's classes are the model's`);
  }
});

function loadModelManifestOnly(name: string) {
  const loaded = loadModel(name, createModelFromManifest);
  loaded.model.dispose();
  return loaded;
}

/** Prepares `raw` as `dataset` and evaluates the shipped model `name` on `benchmark`'s test split. */
async function shippedTop1(
  name: string,
  dataset: string,
  raw: string,
  benchmark: string,
): Promise<{ top1: number; samples: number }> {
  const out = join(tempDir(`skelact-shipped-${name}-`), 'cache');
  await prepare({ dataset, raw, out, workers: 0 });
  const cache = SkeletonCache.open(out);
  const { model, manifest } = loadModel(name, createModelFromManifest);
  try {
    const indices = [...cache.split(benchmark, 'test')];
    const result = await evaluate({ model, cache, config: testConfigOf(manifest, benchmark), indices, batchSize: 32 });
    return { top1: result.top1, samples: indices.length };
  } finally {
    model.dispose();
  }
}

testWithShared(
  'utkinect: cross-subject test subjects (2, 4, 6, 8, 10), top-1 ≥ 92 % (measured 94.9 %)',
  'data/utkinect',
  async (t) => {
    const { top1, samples } = await shippedTop1('utkinect', 'utkinect', sharedPath('data/utkinect'), 'utkinect-xsub');
    t.is(samples, 99);
    t.true(top1 >= 0.92, `top-1 ${(100 * top1).toFixed(1)} %`);
  },
);

testWithShared(
  'fitness: the held-out fifth of the ML Kit samples, top-1 ≥ 95 % (measured 97.5 %)',
  'data/mlkit_fitness',
  async (t) => {
    const { top1, samples } = await shippedTop1(
      'fitness',
      'mlkit-fitness',
      sharedPath('data/mlkit_fitness/fitness_pose_samples.csv'),
      'mlkit-fitness-holdout',
    );
    t.is(samples, 162);
    t.true(top1 >= 0.95, `top-1 ${(100 * top1).toFixed(1)} %`);
  },
);

testWithShared(
  'nw-ucla: the one view-3 clip in ../shared (never trained on) is recognised',
  'data/nw_ucla_samples',
  async (t) => {
    // nw_ucla_samples holds 6 clips; only a12_s10_e00_v03 comes from view 3, the others are training views.
    const { top1, samples } = await shippedTop1('nw-ucla', 'nw-ucla', sharedPath('data/nw_ucla_samples'), 'nw-ucla');
    t.is(samples, 1);
    t.is(top1, 1);
  },
);
