/**
 * `npm run bench:text`: GAP-style text priors, ablated. The same model, seed and epochs with
 * and without the text loss (configs/small/*-utkinect.json recipes, and ST-GCN tiny on
 * synthetic NTU-style data), then zero-shot: a model trained with text on all but a few
 * classes recognises those from their descriptions, against chance.
 *
 * Usage: node dist/bench/text-priors.js [--only synthetic|utkinect] [--seeds 1,2,3] [--models 'ST-GCN tiny'] [--weight 0.8] [--no-baseline] [--no-zero-shot] [--json bench/results/text-priors.json]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SkeletonCache } from '../src/data/cache/reader.js';
import { saveDerivedSplit } from '../src/data/cache/derived-splits.js';
import { deriveZeroShotSplit } from '../src/data/long-tail.js';
import { initBackend } from '../src/engine/backend.js';
import { createModel } from '../src/models/registry.js';
import { readModelFolder } from '../src/models/io.js';
import { loadDescriptionsFor } from '../src/text-priors/descriptions.js';
import { lazyUseLite } from '../src/text-priors/encoder.js';
import { evaluateZeroShot } from '../src/text-priors/zero-shot.js';
import { loadExperiment, parseExperiment, type ExperimentConfig } from '../src/train/config.js';
import { evaluate } from '../src/train/evaluate.js';
import { gapTextObjective } from '../src/text-priors/objective.js';
import { train } from '../src/train/trainer.js';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';
import { prepareUtkinect, writeSyntheticCache } from './setups.js';

interface Setup {
  readonly name: string;
  readonly cacheDir: string;
  readonly benchmark: string;
  readonly configs: ReadonlyArray<{ label: string; config: Record<string, unknown> }>;
  readonly unseen: readonly string[];
}

function syntheticSetup(dir: string): Setup {
  const actions = ['A001', 'A006', 'A008', 'A009', 'A010', 'A022', 'A023', 'A024', 'A026', 'A027', 'A031', 'A038'];
  const cacheDir = writeSyntheticCache(dir, { seed: 13, actions, samplesPerClass: 16 });
  const config = {
    name: 'stgcn-tiny-synthetic-text',
    seed: 1,
    model: { kind: 'stgcn', preset: 'tiny' },
    data: { benchmark: 'xsub', frames: 16, sampling: 'crop-resize', minLength: 16, trainCrop: [0.8, 1] },
    optim: {
      optimizer: 'adamw',
      lr: 3e-3,
      weightDecay: 1e-4,
      batchSize: 16,
      epochs: 20,
      warmupEpochs: 1,
      warmupLr: 1e-4,
      minLr: 1e-5,
      clipGradNorm: 1,
    },
  };
  return {
    name: 'synthetic NTU-style, 12 actions',
    cacheDir,
    benchmark: 'xsub',
    configs: [{ label: 'ST-GCN tiny', config }],
    unseen: ['hand waving', 'jump up', 'salute'],
  };
}

async function utkSetup(dir: string): Promise<Setup | undefined> {
  const cacheDir = await prepareUtkinect(dir);
  if (!cacheDir) return undefined;
  const load = (f: string) =>
    JSON.parse(JSON.stringify(loadExperiment(join(packageRoot(), 'configs', 'small', f)))) as Record<string, unknown>;
  return {
    name: 'UTKinect cross-subject',
    cacheDir,
    benchmark: 'utkinect-xsub',
    configs: [
      { label: 'ST-GCN tiny', config: load('stgcn-utkinect.json') },
      { label: 'SkateFormer small', config: load('skateformer-utkinect.json') },
    ],
    unseen: ['stand up', 'throw', 'wave hands'],
  };
}

interface Row {
  setup: string;
  model: string;
  run: string;
  seed: number;
  /** The text loss weight α (text and zero-shot runs). */
  weight?: number;
  top1: number;
  zeroShotTop1?: number;
  chance?: number;
  unseen?: readonly string[];
  seconds: number;
}

async function runOne(
  setup: Setup,
  label: string,
  raw: Record<string, unknown>,
  run: 'no text' | 'text' | 'zero-shot',
  seed: number,
  out: string,
  weight = 0.8,
): Promise<Row> {
  const benchmark = run === 'zero-shot' ? `${setup.benchmark}-zs` : setup.benchmark;
  const config: ExperimentConfig = parseExperiment({
    ...raw,
    seed,
    name: `${raw.name}-${run}`,
    data: { ...(raw.data as object), benchmark },
    evalEvery: (raw.optim as { epochs: number }).epochs,
    ...(run === 'no text' ? {} : { text: { weight } }),
  });
  const cache = SkeletonCache.open(setup.cacheDir);
  const model = createModel(
    config.model,
    {
      layout: cache.manifest.layout,
      classes: cache.manifest.classNames.length,
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
      data: cache,
      outDir: out,
      objectives: config.text ? [await gapTextObjective(config, model, cache)] : [],
    });
    const test = cache.split(setup.benchmark, 'test');
    const result = await evaluate({ model, cache, config, indices: test, batchSize: 32 });
    const row: Row = {
      setup: setup.name,
      model: label,
      run,
      seed,
      ...(run === 'no text' ? {} : { weight }),
      top1: result.top1,
      seconds: 0,
    };
    if (run === 'zero-shot') {
      const textHead = readModelFolder(join(out, 'best')).manifest.textHead!;
      const encoder = lazyUseLite();
      const zs = await evaluateZeroShot({
        model,
        spec: textHead,
        cache,
        config,
        indices: test,
        unseen: setup.unseen,
        descriptions: loadDescriptionsFor(cache.manifest.dataset, setup.unseen),
        encoder,
      });
      encoder.dispose();
      Object.assign(row, { zeroShotTop1: zs.top1, chance: zs.chance, unseen: setup.unseen });
    }
    row.seconds = (performance.now() - started) / 1000;
    console.error(JSON.stringify(row));
    return row;
  } finally {
    model.dispose();
    cache.close();
  }
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const only = arg('only', '');
  const seeds = arg('seeds', '1').split(',').map(Number);
  const models = arg('models', '')
    .split(',')
    .filter((m) => m.length > 0);
  const weight = Number(arg('weight', '0.8'));
  const baseline = !process.argv.includes('--no-baseline');
  const zeroShot = !process.argv.includes('--no-zero-shot');
  const dir = mkdtempSync(join(tmpdir(), 'skelact-bench-text-'));
  const setups: Setup[] = [];
  if (!only || only === 'synthetic') setups.push(syntheticSetup(dir));
  if (!only || only === 'utkinect') {
    const utk = await utkSetup(dir);
    if (utk) setups.push(utk);
    else console.error('utkinect: ../shared/data/utkinect is absent; skipped');
  }
  const rows: Row[] = [];
  for (const setup of setups) {
    const cache = SkeletonCache.open(setup.cacheDir);
    saveDerivedSplit(setup.cacheDir, deriveZeroShotSplit(cache, { benchmark: setup.benchmark, unseen: setup.unseen }));
    cache.close();
    for (const seed of seeds) {
      for (const { label, config } of setup.configs.filter((c) => models.length === 0 || models.includes(c.label))) {
        for (const run of baseline ? (['no text', 'text'] as const) : (['text'] as const))
          rows.push(
            await runOne(
              setup,
              label,
              config,
              run,
              seed,
              join(dir, 'runs', `${setup.benchmark}-${label}-${run}-${seed}`.replace(/[^a-z0-9-]+/gi, '-')),
              weight,
            ),
          );
      }
      // Zero-shot with the first (fastest) model of the setup.
      if (zeroShot)
        rows.push(
          await runOne(
            setup,
            setup.configs[0].label,
            setup.configs[0].config,
            'zero-shot',
            seed,
            join(dir, 'runs', `${setup.benchmark}-zs-${seed}`),
            weight,
          ),
        );
    }
  }
  const out = arg('json', '');
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ date: new Date().toISOString(), command: 'node dist/bench/text-priors.js', results: rows }, null, 2)}\n`,
    );
  }
  console.log(markdownTables(rows));
}

/** Mean over seeds, with the per-seed values when there are several. */
function summary(values: readonly number[], digits = 1): string {
  const pct = (x: number) => (100 * x).toFixed(digits);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.length === 1 ? `${pct(mean)} %` : `${pct(mean)} % (${values.map(pct).join(' / ')})`;
}

function markdownTables(rows: readonly Row[]): string {
  const lines = [
    '| data | model | seeds | top-1 without text | top-1 with text (α = 0.8) | time per run without / with |',
    '|---|---|---|---|---|---|',
  ];
  const keys = [...new Set(rows.filter((r) => r.run !== 'zero-shot').map((r) => `${r.setup}\u0000${r.model}`))];
  for (const key of keys) {
    const [setup, model] = key.split('\u0000');
    const a = rows.filter((r) => r.setup === setup && r.model === model && r.run === 'no text');
    const b = rows.filter((r) => r.setup === setup && r.model === model && r.run === 'text');
    const secs = (rs: readonly Row[]) => (rs.reduce((s, r) => s + r.seconds, 0) / Math.max(1, rs.length)).toFixed(0);
    lines.push(
      `| ${setup} | ${model} | ${a.map((r) => r.seed).join(', ')} | ${summary(a.map((r) => r.top1))} | ${summary(b.map((r) => r.top1))} | ${secs(a)} s / ${secs(b)} s |`,
    );
  }
  lines.push('', '| data | model | unseen classes | seeds | zero-shot top-1 | chance |', '|---|---|---|---|---|---|');
  const zsKeys = [...new Set(rows.filter((r) => r.run === 'zero-shot').map((r) => `${r.setup}\u0000${r.model}`))];
  for (const key of zsKeys) {
    const [setup, model] = key.split('\u0000');
    const zs = rows.filter((r) => r.setup === setup && r.model === model && r.run === 'zero-shot');
    lines.push(
      `| ${setup} | ${model} | ${zs[0].unseen!.join(', ')} | ${zs.map((r) => r.seed).join(', ')} | ${summary(zs.map((r) => r.zeroShotTop1!))} | ${(100 * zs[0].chance!).toFixed(1)} % |`,
    );
  }
  return lines.join('\n');
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
