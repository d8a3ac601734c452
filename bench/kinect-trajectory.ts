/**
 * What restoring the person's path (src/pose/trajectory.ts) gives back on real Kinect data: NW-UCLA
 * views 1+2 written as MediaPipe would report them (bench/kinect-roundtrip.ts) in four ways, each
 * prepared and evaluated on view 2 (benchmark nw-ucla-view1-view2) with per-class accuracy:
 *
 *   joints       the 33-landmark round trip, in camera space (the layout difference alone);
 *   hip-centred  … and centred on the hips in every frame, as MediaPipe's world landmarks are;
 *   restored-57  … hip-centred, with the path restored from a pinhole projection (Kinect v1's 57°, assumed right);
 *   restored-60  … the same, restored with skelact's default 60° (a wrong guess of the field of view).
 *
 *   npm run build && nice node dist/bench/kinect-trajectory.js --models nw-ucla,/path/to/view1-model [--out /tmp/skelact-trajectory]
 *
 * `nw-ucla` (the shipped model) trained on views 1 AND 2, so on view 2 it is scored on its own
 * training clips: its absolute numbers are inflated and only the differences between the inputs
 * mean anything. A model trained on view 1 alone (the recipe's validation run) gives held-out
 * numbers. Writes bench/results/kinect-trajectory.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/core/files.js';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';

const root = packageRoot();
const skelact = join(root, 'bin', 'skelact.js');
const raw = arg('raw', join(root, '..', 'shared', 'data', 'nw_ucla_train'));

function run(file: string, args: string[]): string {
  const r = spawnSync(process.execPath, [file, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

const INPUTS: Record<string, string[] | null> = {
  kinect: null,
  joints: [],
  'hip-centred': ['--hip-centred'],
  'restored-57': ['--restore', '--fov', '57'],
  'restored-60': ['--restore', '--fov', '60'],
};

async function main(): Promise<void> {
  if (!existsSync(raw))
    throw new Error(`${raw} is absent: this benchmark needs NW-UCLA's training views (../shared/data/nw_ucla_train)`);
  const work = arg('out', '/tmp/skelact-trajectory');
  const models = arg('models', 'nw-ucla').split(',');
  mkdirSync(work, { recursive: true });
  const caches: Record<string, { cache: string; report: string[] }> = {};
  for (const [name, flags] of Object.entries(INPUTS)) {
    let source = raw;
    let report: string[] = [];
    if (flags) {
      source = join(work, `${name}-raw`);
      report = run(join(root, 'dist', 'bench', 'kinect-roundtrip.js'), ['--raw', raw, '--out', source, ...flags])
        .trim()
        .split('\n');
      console.log(report.join('\n'));
    }
    const cache = join(work, `cache-${name}`);
    if (!existsSync(join(cache, 'manifest.json')))
      run(skelact, ['prepare', 'nw-ucla', '--raw', source, '--out', cache, '--quiet']);
    caches[name] = { cache, report };
  }
  const results = [];
  for (const model of models) {
    for (const [name, { cache, report }] of Object.entries(caches)) {
      const scores = join(work, `scores-${model.replace(/[^\w-]+/g, '_')}-${name}`);
      const out = JSON.parse(
        run(skelact, [
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
          scores,
          '--plot',
          `${scores}.svg`,
        ]),
      ) as { top1: number; samples: number; perClass: Array<{ name: string; accuracy: number }> };
      const perClass = Object.fromEntries(out.perClass.map((c) => [c.name, Number(c.accuracy.toFixed(3))]));
      console.log(
        `${model} · ${name}: top-1 ${(100 * out.top1).toFixed(1)} % (${out.samples} clips); walk around ${(100 * perClass['walk around']).toFixed(0)} %`,
      );
      results.push({
        model,
        input: name,
        samples: out.samples,
        top1: Number(out.top1.toFixed(4)),
        perClass,
        roundTrip: report,
      });
    }
  }
  const file = join(root, 'bench', 'results', 'kinect-trajectory.json');
  writeFileAtomic(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), split: 'NW-UCLA view 2 (benchmark nw-ucla-view1-view2, test split)', results }, null, 1)}\n`,
  );
  console.log(`→ ${file}`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
