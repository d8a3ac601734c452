/**
 * Every model learns the synthetic NTU-like data: ≥ 95 % held-out top-1 after a short
 * training run on the wasm backend (about 20–60 s per model on this project's 2-core machine;
 * the time is logged, not asserted). Eight distinct one-person actions, 24 samples each,
 * cross-subject split (the generator's performers; NTU60 x-sub rule).
 */
import test from 'ava';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { CacheWriter } from '../../src/data/cache/writer.js';
import { ntuSplit } from '../../src/data/ntu/benchmarks.js';
import { generateSyntheticSamples, syntheticClasses } from '../../src/data/synthetic/index.js';
import { centreOnFirstFrame } from '../../src/data/normalize.js';
import { initBackend } from '../../src/engine/backend.js';
import { createModel, type ModelSection } from '../../src/models/registry.js';
import { parseExperiment } from '../../src/train/config.js';
import { evaluate } from '../../src/train/evaluate.js';
import { train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/temp.js';

const ACTIONS = ['A008', 'A009', 'A010', 'A022', 'A023', 'A024', 'A027', 'A035'];
const SPINE_MID = 1;

let cacheDir: string | undefined;

function syntheticCache(): string {
  if (cacheDir) return cacheDir;
  const dir = tempDir('skelact-learn-');
  const options = { seed: 3, actions: ACTIONS, samplesPerClass: 24, frames: [40, 64] as const };
  const classes = syntheticClasses(options).map((c) => c.name);
  const writer = new CacheWriter(join(dir, 'cache'), {
    dataset: 'synthetic',
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    classNames: classes,
    preprocessing: {},
    fingerprint: 'test',
    source: 'generateSyntheticSamples',
    skelactVersion: '0',
  });
  // Centred like the NTU pipeline's CTR-GCN step (SpineMid of the first frame at the origin).
  for (const s of generateSyntheticSamples(options)) {
    writer.add(
      { ...s, clip: centreOnFirstFrame(s.clip, SPINE_MID) },
      { xsub: ntuSplit('ntu60-xsub', s.name) ?? 'test' },
      s.name,
    );
  }
  writer.commit({ skipped: [], failed: [], denoised: [] }, ['xsub']);
  cacheDir = join(dir, 'cache');
  return cacheDir;
}

interface Case {
  readonly title: string;
  readonly model: ModelSection;
  readonly frames: number;
  readonly epochs: number;
  readonly lr: number;
}

const CASES: readonly Case[] = [
  { title: 'ST-GCN (tiny)', model: { kind: 'stgcn', preset: 'tiny' }, frames: 16, epochs: 12, lr: 3e-3 },
  { title: 'part streams (small)', model: { kind: 'partstream', preset: 'small' }, frames: 16, epochs: 12, lr: 3e-3 },
  {
    title: 'SkateFormer (realtime preset, 1 person)',
    model: { kind: 'skateformer', preset: 'realtime', frames: 16 },
    frames: 16,
    epochs: 14,
    lr: 2e-3,
  },
];

for (const c of CASES) {
  test.serial(`${c.title} reaches ≥ 95 % held-out accuracy on synthetic actions`, async (t) => {
    // A guard against hangs, not a speed assertion (speed is measured by npm run bench:model).
    t.timeout(300_000);
    await initBackend('wasm');
    const dir = syntheticCache();
    const cache = SkeletonCache.open(dir);
    const out = tempDir('skelact-learn-run-');
    const started = performance.now();
    try {
      const config = parseExperiment({
        name: `learn-${c.model.kind}`,
        seed: 1,
        model: c.model,
        data: {
          benchmark: 'xsub',
          modality: 'j',
          frames: c.frames,
          sampling: 'crop-resize',
          minLength: c.frames,
          trainCrop: [0.8, 1],
        },
        augment: { preset: 'none' },
        optim: {
          optimizer: 'adamw',
          lr: c.lr,
          weightDecay: 1e-4,
          batchSize: 16,
          epochs: c.epochs,
          warmupEpochs: 1,
          warmupLr: 1e-4,
          minLr: 1e-5,
          labelSmoothing: 0.1,
          clipGradNorm: 1,
        },
        evalEvery: c.epochs,
      });
      const model = createModel(
        config.model,
        { layout: 'ntu-25', classes: cache.manifest.classNames.length, frames: c.frames, persons: 1 },
        config.seed,
      );
      try {
        await train({ config, model, data: cache, outDir: join(out, 'run') });
        const test = cache.split('xsub', 'test');
        const result = await evaluate({ model, cache, config, indices: test, batchSize: 32 });
        const seconds = (performance.now() - started) / 1000;
        t.log(
          `${c.title}: top-1 ${(100 * result.top1).toFixed(1)} % on ${test.length} held-out samples (${cache.split('xsub', 'train').length} train) in ${seconds.toFixed(0)} s`,
        );
        t.true(result.top1 >= 0.95, `top-1 ${(100 * result.top1).toFixed(1)} %`);
      } finally {
        model.dispose();
      }
    } finally {
      cache.close();
      rmSync(out, { recursive: true, force: true });
    }
  });
}
