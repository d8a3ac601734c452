/**
 * Long-tail verification (npm run bench:longtail): plain cross-entropy against each long-tail
 * method on long-tailed splits, same model, seeds and epochs, reporting overall and
 * many / medium / few accuracy on the untouched (balanced) test split.
 *
 *   synthetic   12 synthetic one-person actions, 60 samples each (cross-subject), the training
 *               split thinned to IF 20 from 40 per class (40 → 2); groups > 20 / 6–20 / < 6;
 *   utkinect    UTKinect-Action3D cross-subject (../shared/data/utkinect), IF 10 from 10 per
 *               class (10 → 1); groups > 5 / 2–5 / < 2.
 * Model: ST-GCN tiny (the fast baseline), AdamW, cosine schedule; each method is one config
 * switch (configs/long-tail/ hold the NTU60-LT versions).
 *
 * Usage: node dist/bench/long-tail.js [--only synthetic|utkinect] [--method <name part>] [--epochs N] [--json bench/results/long-tail.json]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SkeletonCache } from '../src/data/cache/reader.js';
import { saveDerivedSplit } from '../src/data/cache/derived-splits.js';
import { deriveLongTail } from '../src/data/long-tail.js';
import { initBackend } from '../src/engine/backend.js';
import { createModel } from '../src/models/registry.js';
import { parseExperiment } from '../src/train/config.js';
import { evaluate, shotGroupAccuracy } from '../src/train/evaluate.js';
import { train } from '../src/train/trainer.js';
import { arg } from './args.js';
import { prepareUtkinect, writeSyntheticCache } from './setups.js';

/** The methods compared: name → the config's `longTail` section (undefined: plain cross-entropy). */
const METHODS: ReadonlyArray<[string, Record<string, unknown> | undefined]> = [
  ['cross-entropy', undefined],
  ['balanced softmax', { loss: 'balanced-softmax' }],
  ['logit adjustment (τ = 1.5)', { loss: 'logit-adjust', tau: 1.5 }],
  ['focal (γ = 2)', { loss: 'focal' }],
  ['LDAM + DRW', { loss: 'ldam', reweight: 'class-balanced', reweightFromEpoch: -1 }],
  ['CE + class-balanced DRW', { reweight: 'class-balanced', reweightFromEpoch: -1 }],
  ['class-balanced sampler', { sampler: 'class-balanced' }],
  ['square-root sampler', { sampler: 'sqrt' }],
  ['BRL mixup + balanced softmax', { loss: 'balanced-softmax', mixup: { share: 0.25 } }],
];

interface Setup {
  readonly name: string;
  readonly cacheDir: string;
  readonly benchmark: string;
  readonly imbalance: number;
  readonly maxPerClass: number;
  readonly groups: [number, number];
  readonly data: Record<string, unknown>;
  readonly augment: Record<string, unknown>;
  readonly epochs: number;
}

function syntheticSetup(dir: string, epochs: number): Setup {
  const actions = ['A001', 'A006', 'A008', 'A009', 'A010', 'A022', 'A023', 'A024', 'A026', 'A027', 'A031', 'A038'];
  const cacheDir = writeSyntheticCache(dir, { seed: 11, actions, samplesPerClass: 60 });
  return {
    name: 'synthetic (12 actions, IF 20: 40 → 2)',
    cacheDir,
    benchmark: 'xsub',
    imbalance: 20,
    maxPerClass: 40,
    groups: [20, 6],
    data: { frames: 16, sampling: 'crop-resize', minLength: 16, trainCrop: [0.8, 1] },
    augment: { preset: 'none' },
    epochs,
  };
}

async function utkSetup(dir: string, epochs: number): Promise<Setup | undefined> {
  const cacheDir = await prepareUtkinect(dir);
  if (!cacheDir) return undefined;
  return {
    name: 'UTKinect cross-subject (IF 10: 10 → 1)',
    cacheDir,
    benchmark: 'utkinect-xsub',
    imbalance: 10,
    maxPerClass: 10,
    groups: [5, 2],
    data: { frames: 32, sampling: 'ucla', normalize: 'ucla-minmax', repeat: 4 },
    augment: { preset: 'ucla-skateformer' },
    epochs,
  };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const only = arg('only', '');
  const dir = mkdtempSync(join(tmpdir(), 'skelact-bench-lt-'));
  const setups: Setup[] = [];
  if (!only || only === 'synthetic') setups.push(syntheticSetup(dir, Number(arg('epochs', '20'))));
  if (!only || only === 'utkinect') {
    const utk = await utkSetup(dir, Number(arg('epochs', '30')));
    if (utk) setups.push(utk);
    else console.error('utkinect: ../shared/data/utkinect is absent; skipped');
  }
  const results: Array<{
    setup: string;
    method: string;
    top1: number;
    many: number | null;
    medium: number | null;
    few: number | null;
    seconds: number;
  }> = [];
  for (const setup of setups) {
    const cache = SkeletonCache.open(setup.cacheDir);
    const split = deriveLongTail(cache, {
      benchmark: setup.benchmark,
      imbalance: setup.imbalance,
      maxPerClass: setup.maxPerClass,
      seed: 0,
    });
    saveDerivedSplit(setup.cacheDir, split);
    cache.close();
    const lt = SkeletonCache.open(setup.cacheDir);
    console.error(
      `${setup.name}: ${split.train.length} training samples (${split.counts.filter((n) => n > 0).join(', ')}), ${split.test.length} test`,
    );
    const methodFilter = arg('method', '').toLowerCase();
    for (const [method, longTail] of METHODS) {
      if (methodFilter && !method.toLowerCase().includes(methodFilter)) continue;
      const drwEpoch = Math.floor(0.6 * setup.epochs);
      const section =
        longTail && longTail.reweightFromEpoch === -1 ? { ...longTail, reweightFromEpoch: drwEpoch } : longTail;
      const config = parseExperiment({
        name: `lt-${method}`,
        seed: 1,
        model: { kind: 'stgcn', preset: 'tiny' },
        data: { benchmark: split.name, modality: 'j', ...setup.data },
        augment: setup.augment,
        optim: {
          optimizer: 'adamw',
          lr: 3e-3,
          weightDecay: 1e-4,
          batchSize: 16,
          epochs: setup.epochs,
          warmupEpochs: 1,
          warmupLr: 1e-4,
          minLr: 1e-5,
          labelSmoothing: 0,
          clipGradNorm: 1,
        },
        evalEvery: setup.epochs,
        ...(section ? { longTail: { ...section, groups: setup.groups } } : {}),
      });
      const model = createModel(
        config.model,
        {
          layout: lt.manifest.layout,
          classes: lt.manifest.classNames.length,
          frames: config.data.frames as number,
          persons: 1,
        },
        config.seed,
      );
      const started = performance.now();
      try {
        await train({
          config,
          model,
          data: lt,
          outDir: join(dir, 'runs', setup.cacheDir.split('/').pop() as string, method.replace(/[^a-z0-9]+/gi, '-')),
        });
        const result = await evaluate({ model, cache: lt, config, indices: split.test, batchSize: 32 });
        const groups = shotGroupAccuracy(result, split.counts, setup.groups)!;
        const row = {
          setup: setup.name,
          method,
          top1: result.top1,
          many: groups[0].accuracy,
          medium: groups[1].accuracy,
          few: groups[2].accuracy,
          seconds: (performance.now() - started) / 1000,
        };
        results.push(row);
        console.error(JSON.stringify(row));
      } finally {
        model.dispose();
      }
    }
    lt.close();
  }
  const out = arg('json', '');
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
  }
  const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
  for (const setup of setups) {
    console.log(`\n${setup.name}; groups by training samples: many > ${setup.groups[0]}, few < ${setup.groups[1]}\n`);
    console.log('| method | top-1 | many | medium | few | time |');
    console.log('|---|---|---|---|---|---|');
    for (const r of results.filter((q) => q.setup === setup.name))
      console.log(
        `| ${r.method} | ${pct(r.top1)} | ${pct(r.many)} | ${pct(r.medium)} | ${pct(r.few)} | ${r.seconds.toFixed(0)} s |`,
      );
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
