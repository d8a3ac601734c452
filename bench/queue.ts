/**
 * npm run bench:queue — queued pose extraction against a local `skelact extract` of the same
 * folder: clips/min with 1 and 2 workers (processes on this machine, each loading its own pose
 * engine), and what the queue costs per job.
 *
 *   local      skelact extract <folder> --out …                 (one process, wall time)
 *   enqueue    skelact extract <folder> --queue …                (hashing + adding the jobs)
 *   1 worker   skelact worker --until-empty                      (wall time from start to exit)
 *   2 workers  two of them at once
 *
 * The overhead per job is (1 worker − local) / clips: what a job costs beyond the extraction
 * itself (Redis round trips, the content hash checked again, the idle check), with the same
 * start-up (Node, the backend, the pose engine) in both. Options: --clips 12 --frames 10
 * --engine tfjs --pose-model lite. Needs redis-server, ffmpeg and the pose models (and
 * ../shared/media, or SKELACT_SHARED). Results: bench/results/queue.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';
import { startRedis } from '../test/helpers/redis.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const MEDIA = join(process.env.SKELACT_SHARED ?? join(packageRoot(), '..', 'shared'), 'media', 'messi_panzoom.mp4');
const clips = Number(arg('clips', '12'));
const frames = Number(arg('frames', '10'));
const settings = ['--engine', arg('engine', 'tfjs'), '--pose-model', arg('pose-model', 'lite')];

function run(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`skelact ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

function workers(url: string, n: number): Promise<number> {
  const t0 = performance.now();
  return Promise.all(
    Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--until-empty', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${err}`))));
    })),
  ).then(() => (performance.now() - t0) / 1000);
}

const work = mkdtempSync(join(tmpdir(), 'skelact-bench-queue-'));
const redis = await startRedis();
try {
  const videos = join(work, 'videos');
  mkdirSync(videos);
  for (let i = 0; i < clips; i++) {
    const r = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-ss', ((i * 5) / clips).toFixed(2), '-i', MEDIA, '-frames:v', String(frames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', join(videos, `clip${i}.mp4`)]);
    if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  }
  const perMinute = (seconds: number) => Number(((clips / seconds) * 60).toFixed(1));
  const local = run(['extract', videos, '--out', join(work, 'local'), ...settings, '--quiet']);
  console.log(`local extract: ${local.toFixed(1)} s, ${perMinute(local)} clips/min`);
  const rows: Record<string, number> = {};
  for (const n of [1, 2]) {
    const url = redis.url(n);
    const enqueue = run(['extract', videos, '--out', join(work, `queue-${n}`), ...settings, '--queue', url, '--quiet']);
    const wall = await workers(url, n);
    rows[`enqueue${n}`] = enqueue;
    rows[`workers${n}`] = wall;
    console.log(`${n} worker(s): ${wall.toFixed(1)} s, ${perMinute(wall)} clips/min (adding the ${clips} jobs: ${enqueue.toFixed(2)} s)`);
  }
  const overhead = (rows.workers1 - local) / clips;
  console.log(`queue overhead per job (1 worker − local) / clips: ${(overhead * 1000).toFixed(0)} ms`);
  const result = {
    command: `npm run bench:queue -- --clips ${clips} --frames ${frames} ${settings.join(' ')}`,
    date: new Date().toISOString(),
    cpus: cpus().length,
    clips,
    framesPerClip: frames,
    seconds: { local, oneWorker: rows.workers1, twoWorkers: rows.workers2, enqueue: rows.enqueue1 },
    clipsPerMinute: { local: perMinute(local), oneWorker: perMinute(rows.workers1), twoWorkers: perMinute(rows.workers2) },
    overheadPerJobMs: Math.round(overhead * 1000),
    enqueuePerJobMs: Math.round((rows.enqueue1 / clips) * 1000),
  };
  mkdirSync(join(packageRoot(), 'bench', 'results'), { recursive: true });
  writeFileSync(join(packageRoot(), 'bench', 'results', 'queue.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}
