/**
 * Accuracy of the CPU recipes (configs/cpu/) on the real data of ../shared: trains each run's
 * config for each seed with `skelact train`, and records the top-1 of the LAST epoch (not the
 * best: choosing the epoch on the split reported would be tuning on it), the training time
 * (wall clock, including evaluation) and the training samples/s. Writes
 * bench/results/accuracy.json.
 *
 *   npm run bench:accuracy -- --runs nw-ucla-val,utkinect-val --seeds 1,2,3 [--threads 2]
 *
 * Runs (the protocols are written out in docs/nw-ucla-accuracy.md):
 *   nw-ucla-val    train on NW-UCLA view 1, validate on view 2 (view 3, the test view, is not used):
 *                  the recipe as it ships, a four-stream model (joint, bone, joint motion, bone
 *                  motion: four networks in one model)
 *   nw-ucla-val-j, nw-ucla-val-b, nw-ucla-val-jb
 *                  one network (the recipe's member) on joint, bone, or joint ‖ bone (6 channels)
 *   nw-ucla-val-2s the streams recipe with two streams, joint and bone (the recipe until 2026-12-06 14:40)
 *   nw-ucla-ens-jb the score ensemble (`skelact ensemble`, weights 1,1) of the nw-ucla-val-j and
 *                  nw-ucla-val-b runs of the same seed (run those first)
 *   nw-ucla-val21  train on view 2, validate on view 1
 *   nw-ucla        train on views 1+2 (the shipped model's recipe; about 30 min here with --threads 2);
 *                  no held-out data here, so no accuracy
 *                  (these three on the audited labels, `prepare --labels audited`: 25 training-view
 *                  clips whose motion contradicts their published label are relabelled)
 *   nw-ucla-xsub   train on the odd subjects of views 1+2, validate on the even ones (both views
 *                  seen in training: how far the recipe gets without a change of view)
 *   nw-ucla-val-published, nw-ucla-val21-published
 *                  the same on the published labels (the recipe until 2026-12-06 20:00)
 *   utkinect-val   UTKinect training subjects 1,3,5 → 7,9 (choosing the recipe): four streams, as it ships
 *   utkinect-val-j, utkinect-val-b, utkinect-val-jb, utkinect-ens-jb
 *                  the same modality variants on the inner split
 *   utkinect-val-2s, utkinect-2s
 *                  the joint + bone streams recipe (until 2026-12-06 15:00) on the inner split / the test
 *   utkinect       UTKinect cross-subject: odd subjects train, even subjects test (the standard protocol)
 *   roundtrip      the nw-ucla-val model of the first seed on view 2, on view 2 after a round trip
 *                  through MediaPipe's 33 landmarks, and after the round trip hip-centred in every
 *                  frame as MediaPipe's world landmarks are (bench/kinect-roundtrip.ts)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { MODALITY_TITLES, modalityChannels, stackedParts, type Modality } from '../src/graph/modalities.js';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';

interface RunSpec {
  /** The experiment config under configs/cpu/. */
  readonly config: string;
  readonly dataset: 'nw-ucla' | 'utkinect';
  readonly benchmark: string;
  readonly split: string;
  /** One network on this modality (a streams recipe's member alone; jb sets model.inChannels to 6). */
  readonly modality?: Modality;
  /** The streams recipe on this stacked modality: one stream per stacked part (jbjmbm: four). */
  readonly streamsOn?: Modality;
  /** NW-UCLA labels: the published ones, or with the errata of datasets/nw-ucla/label-errata.json (the recipe). */
  readonly labels?: 'published' | 'audited';
}

/** A score ensemble of two runs of the same seed (`skelact ensemble`, equal weights). */
interface EnsembleSpec {
  readonly ensemble: readonly [string, string];
  readonly split: string;
}

const NW_UCLA_VAL: RunSpec = {
  config: 'configs/cpu/nw-ucla.json',
  dataset: 'nw-ucla',
  benchmark: 'nw-ucla-view1-view2',
  split: 'NW-UCLA view 1 → view 2',
  labels: 'audited',
};
const NW_UCLA_VAL21: RunSpec = {
  config: 'configs/cpu/nw-ucla.json',
  dataset: 'nw-ucla',
  benchmark: 'nw-ucla-view2-view1',
  split: 'NW-UCLA view 2 → view 1',
  labels: 'audited',
};
const UTKINECT_VAL: RunSpec = {
  config: 'configs/cpu/utkinect.json',
  dataset: 'utkinect',
  benchmark: 'utkinect-xsub-val',
  split: 'UTKinect subjects 1,3,5 → 7,9',
};

const UTKINECT_TEST: RunSpec = {
  config: 'configs/cpu/utkinect.json',
  dataset: 'utkinect',
  benchmark: 'utkinect-xsub',
  split: 'UTKinect cross-subject (odd → even subjects)',
};

const RUNS: Record<string, RunSpec | EnsembleSpec> = {
  'nw-ucla-val-j': { ...NW_UCLA_VAL, modality: 'j' },
  'nw-ucla-val-b': { ...NW_UCLA_VAL, modality: 'b' },
  'nw-ucla-val-jb': { ...NW_UCLA_VAL, modality: 'jb' },
  'nw-ucla-ens-jb': { ensemble: ['nw-ucla-val-j', 'nw-ucla-val-b'], split: NW_UCLA_VAL.split },
  'nw-ucla-val-2s': { ...NW_UCLA_VAL, streamsOn: 'jb' },
  'utkinect-val-j': { ...UTKINECT_VAL, modality: 'j' },
  'utkinect-val-b': { ...UTKINECT_VAL, modality: 'b' },
  'utkinect-val-jb': { ...UTKINECT_VAL, modality: 'jb' },
  'utkinect-ens-jb': { ensemble: ['utkinect-val-j', 'utkinect-val-b'], split: UTKINECT_VAL.split },
  'nw-ucla-val': NW_UCLA_VAL,
  'nw-ucla-val21': NW_UCLA_VAL21,
  'nw-ucla-xsub': {
    config: 'configs/cpu/nw-ucla.json',
    dataset: 'nw-ucla',
    benchmark: 'nw-ucla-xsub-val',
    split: 'NW-UCLA views 1+2, odd subjects → even subjects',
    labels: 'audited',
  },
  'nw-ucla-val-published': { ...NW_UCLA_VAL, labels: 'published', split: `${NW_UCLA_VAL.split}, published labels` },
  'nw-ucla-val21-published': {
    ...NW_UCLA_VAL21,
    labels: 'published',
    split: `${NW_UCLA_VAL21.split}, published labels`,
  },
  'nw-ucla': {
    config: 'configs/cpu/nw-ucla.json',
    dataset: 'nw-ucla',
    benchmark: 'nw-ucla',
    split: 'NW-UCLA views 1+2 (view 3 not available here)',
    labels: 'audited',
  },
  'utkinect-val': UTKINECT_VAL,
  'utkinect-val-2s': { ...UTKINECT_VAL, streamsOn: 'jb' },
  utkinect: UTKINECT_TEST,
  'utkinect-2s': { ...UTKINECT_TEST, streamsOn: 'jb' },
};

const root = packageRoot();
const shared = join(root, '..', 'shared', 'data');
const RAW: Record<RunSpec['dataset'], string> = {
  'nw-ucla': join(shared, 'nw_ucla_train'),
  utkinect: join(shared, 'utkinect'),
};
const skelact = join(root, 'bin', 'skelact.js');

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [skelact, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`skelact ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

function prepared(work: string, dataset: RunSpec['dataset'], labels: RunSpec['labels'] = 'published'): string {
  const out = join(work, labels === 'audited' ? `cache-${dataset}-audited` : `cache-${dataset}`);
  if (!existsSync(join(out, 'manifest.json'))) {
    if (!existsSync(RAW[dataset]))
      throw new Error(`${RAW[dataset]} is absent: this benchmark needs the real data of ../shared`);
    run([
      'prepare',
      dataset,
      '--raw',
      RAW[dataset],
      '--out',
      out,
      '--quiet',
      ...(labels === 'audited' ? ['--labels', 'audited'] : []),
    ]);
  }
  return out;
}

interface Result {
  run: string;
  split: string;
  config: string;
  seed: number;
  epochs: number;
  lastTop1: number | null;
  bestTop1: number | null;
  trainingSeconds: number;
  samplesPerSecond: number;
  threads: number;
  loadAverageBefore: number;
  runDir: string;
}

function train(work: string, name: string, spec: RunSpec, seed: number, threads: number): Result {
  const cache = prepared(work, spec.dataset, spec.labels);
  const config = JSON.parse(readFileSync(join(root, spec.config), 'utf8')) as {
    seed: number;
    data: { benchmark: string; modality?: Modality; labels?: string };
    model: { kind: string; inChannels?: number; member?: { kind: string }; streams?: unknown };
  };
  config.seed = seed;
  config.data.benchmark = spec.benchmark;
  // The published-label variants train on a cache the recipe's data.labels would refuse.
  if (spec.labels === 'published') delete config.data.labels;
  if (spec.streamsOn) {
    config.data.modality = spec.streamsOn;
    config.model.streams = stackedParts(spec.streamsOn).map((m, i) => ({
      name: MODALITY_TITLES[m].replace(/ /g, '-'),
      channels: [3 * i, 3 * i + 3],
    }));
  }
  if (spec.modality) {
    // One network on one modality: a streams recipe's member network alone.
    if (config.model.kind === 'streams' && config.model.member) config.model = { ...config.model.member };
    config.data.modality = spec.modality;
    // The caches hold xyz: 3 channels per joint, stacked modalities (jb) take several times that.
    config.model.inChannels = modalityChannels(spec.modality, 3);
  }
  const runDir = join(work, `${name}-seed${seed}`);
  mkdirSync(runDir, { recursive: true });
  const configPath = join(work, `${name}-seed${seed}.json`);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const load = loadavg()[0];
  const started = performance.now();
  run(['train', '--config', configPath, '--data', cache, '--out', runDir, '--threads', String(threads), '--quiet']);
  const seconds = (performance.now() - started) / 1000;
  const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; valTop1?: number; samplesPerSecond: number; seconds: number });
  const last = metrics[metrics.length - 1];
  const vals = metrics.filter((m) => m.valTop1 !== undefined).map((m) => m.valTop1!);
  const sps = metrics.reduce((s, m) => s + m.samplesPerSecond, 0) / metrics.length;
  return {
    run: name,
    split: spec.split,
    config: spec.config,
    seed,
    epochs: last.epoch,
    lastTop1: last.valTop1 ?? null,
    bestTop1: vals.length ? Math.max(...vals) : null,
    trainingSeconds: Math.round(seconds),
    samplesPerSecond: Number(sps.toFixed(1)),
    threads,
    loadAverageBefore: Number(load.toFixed(2)),
    runDir,
  };
}

function roundTrip(work: string, seed: number): Record<string, unknown> {
  const model = join(work, `nw-ucla-val-seed${seed}`, 'checkpoint', 'model');
  if (!existsSync(model)) throw new Error(`roundtrip needs the nw-ucla-val run of seed ${seed} first (${model})`);
  // The round trip as it is, and hip-centred in every frame (what MediaPipe's world landmarks do).
  const caches = (['joints', 'hip-centred'] as const).map((kind) => {
    const raw = join(work, `nw-ucla-roundtrip-${kind}-raw`);
    const flags = kind === 'hip-centred' ? ['--hip-centred'] : [];
    const r = spawnSync(
      process.execPath,
      [join(root, 'dist', 'bench', 'kinect-roundtrip.js'), '--raw', RAW['nw-ucla'], '--out', raw, ...flags],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`kinect-roundtrip failed: ${r.stderr}`);
    const cache = join(work, `cache-nw-ucla-roundtrip-${kind}`);
    if (!existsSync(join(cache, 'manifest.json'))) run(['prepare', 'nw-ucla', '--raw', raw, '--out', cache, '--quiet']);
    return { kind, cache, report: r.stdout.trim().split('\n') };
  });
  const top1 = (cache: string) =>
    (
      JSON.parse(
        run([
          'eval',
          '--model',
          model,
          '--data',
          cache,
          '--benchmark',
          'nw-ucla-view1-view2',
          '--json',
          '--quiet',
          '--scores',
          join(work, 'roundtrip-scores'),
          '--plot',
          join(work, 'roundtrip.svg'),
        ]),
      ) as { top1: number }
    ).top1;
  return {
    run: 'roundtrip',
    model,
    seed,
    split: 'NW-UCLA view 2 (model trained on view 1)',
    displacement: caches[0].report.slice(1),
    top1Original: top1(prepared(work, 'nw-ucla')),
    top1RoundTrip: top1(caches[0].cache),
    top1RoundTripHipCentred: top1(caches[1].cache),
  };
}

function ensemble(work: string, name: string, spec: EnsembleSpec, seed: number): Record<string, unknown> {
  const scores = spec.ensemble.map((part) => join(work, `${part}-seed${seed}`, 'scores'));
  for (const s of scores)
    if (!existsSync(s)) throw new Error(`${name} needs ${s}: run ${spec.ensemble.join(' and ')} first`);
  const fused = JSON.parse(run(['ensemble', ...scores, '--weights', '1,1', '--json', '--quiet'])) as { top1: number };
  return { run: name, split: spec.split, seed, of: spec.ensemble, lastTop1: fused.top1 };
}

async function main(): Promise<void> {
  const names = arg('runs', 'nw-ucla-val,utkinect-val,utkinect').split(',');
  const seeds = arg('seeds', '1').split(',').map(Number);
  const work = arg('out', '/tmp/skelact-accuracy');
  // skelact train's own default; 2 suits one training alone on a 2-core machine (the four-stream NW-UCLA recipe).
  const threads = Number(arg('threads', '1'));
  mkdirSync(work, { recursive: true });
  const results: unknown[] = [];
  for (const name of names) {
    if (name === 'roundtrip') {
      results.push(roundTrip(work, seeds[0]));
      continue;
    }
    const spec = RUNS[name];
    if (!spec) throw new Error(`unknown run '${name}': expected ${[...Object.keys(RUNS), 'roundtrip'].join(', ')}`);
    for (const seed of seeds) {
      if ('ensemble' in spec) {
        const e = ensemble(work, name, spec, seed);
        console.log(`${name} seed ${seed}: top-1 ${(100 * (e.lastTop1 as number)).toFixed(1)} % (${spec.split})`);
        results.push(e);
        continue;
      }
      const r = train(work, name, spec, seed, threads);
      console.log(
        `${name} seed ${seed}: last-epoch top-1 ${r.lastTop1 === null ? '–' : (100 * r.lastTop1).toFixed(1)} % (${spec.split}), ${r.trainingSeconds} s, ${r.samplesPerSecond} samples/s, load ${r.loadAverageBefore}`,
      );
      results.push(r);
    }
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const outFile = join(root, 'bench', 'results', 'accuracy.json');
  const previous = existsSync(outFile)
    ? (JSON.parse(readFileSync(outFile, 'utf8')) as { results: unknown[] }).results
    : [];
  writeFileSync(
    outFile,
    `${JSON.stringify({ machine, date: new Date().toISOString(), results: [...previous, ...results] }, null, 1)}\n`,
  );
  console.log(`→ ${outFile}`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
