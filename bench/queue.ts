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
 * The queue's time per job (1 worker): from its first job done to its last, less the extraction
 * time the later jobs report, per job: fetching the next job, checking the video's hash again,
 * writing the pose file, recording the result. Wall times include start-up (Node, the backend, the pose engine)
 * alike. Interleaved rounds, medians. Options: --clips 12 --frames 10 --runs 3 --engine tfjs
 * --pose-model lite. Needs redis-server, ffmpeg and the pose models (and
 * ../shared/media, or SKELACT_SHARED). Results: bench/results/queue.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';
import { startRedis } from '../test/helpers/redis.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const MEDIA = join(process.env.SKELACT_SHARED ?? join(packageRoot(), '..', 'shared'), 'media', 'messi_panzoom.mp4');
const clips = Number(arg('clips', '12'));
const frames = Number(arg('frames', '10'));
const runs = Number(arg('runs', '3'));
const settings = ['--engine', arg('engine', 'tfjs'), '--pose-model', arg('pose-model', 'lite')];

function run(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`skelact ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

interface Timed {
  wall: number;
  /**
   * From the first job done to the last, less the extraction time the later jobs report, per
   * job: the queue's own time (the first job, which also loads the pose engine, is left out).
   */
  queuePerJob: number;
  jobs: number;
}

/** n worker processes (--json events) until the queue is empty. */
function workers(url: string, n: number): Promise<Timed> {
  const t0 = performance.now();
  const dones: Array<{ at: number; seconds: number }> = [];
  return Promise.all(
    Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--until-empty', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        let nl;
        while ((nl = out.indexOf('\n')) >= 0) {
          const e = JSON.parse(out.slice(0, nl)) as { type: string; result?: { seconds: number } };
          out = out.slice(nl + 1);
          if (e.type === 'done') dones.push({ at: performance.now(), seconds: e.result?.seconds ?? 0 });
        }
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${err}`))));
    })),
  ).then(() => {
    // Meaningful for 1 worker (with several, their spans overlap).
    const later = dones.slice(1);
    const span = (dones[dones.length - 1].at - dones[0].at) / 1000;
    return { wall: (performance.now() - t0) / 1000, queuePerJob: (span - later.reduce((sum, d) => sum + d.seconds, 0)) / later.length, jobs: dones.length };
  });
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
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  // Interleaved rounds, medians: a machine busy with other work slows all three alike.
  const local: number[] = [];
  const one: Timed[] = [];
  const two: Timed[] = [];
  const enqueue: number[] = [];
  for (let round = 0; round < runs; round++) {
    local.push(run(['extract', videos, '--out', join(work, `local-${round}`), ...settings, '--quiet']));
    for (const [n, into] of [[1, one], [2, two]] as const) {
      const url = redis.url(round * 2 + n);
      enqueue.push(run(['extract', videos, '--out', join(work, `queue-${round}-${n}`), ...settings, '--queue', url, '--quiet']));
      const timed = await workers(url, n);
      if (timed.jobs !== clips) throw new Error(`${n} worker(s) finished ${timed.jobs} of ${clips} jobs`);
      into.push(timed);
    }
    console.log(`round ${round + 1}: local ${local[round].toFixed(1)} s, 1 worker ${one[round].wall.toFixed(1)} s, 2 workers ${two[round].wall.toFixed(1)} s`);
  }
  const seconds = { local: median(local), oneWorker: median(one.map((x) => x.wall)), twoWorkers: median(two.map((x) => x.wall)), enqueue: median(enqueue) };
  const overheadMs = Math.round(median(one.map((x) => x.queuePerJob)) * 1000);
  console.log(`clips/min: local ${perMinute(seconds.local)}, 1 worker ${perMinute(seconds.oneWorker)}, 2 workers ${perMinute(seconds.twoWorkers)}; queue time per job ${overheadMs} ms; adding a job ${Math.round((seconds.enqueue / clips) * 1000)} ms`);
  const result = {
    command: `npm run bench:queue -- --clips ${clips} --frames ${frames} --runs ${runs} ${settings.join(' ')}`,
    date: new Date().toISOString(),
    cpus: cpus().length,
    loadAverage: loadavg()[0],
    clips,
    framesPerClip: frames,
    runs,
    seconds,
    clipsPerMinute: { local: perMinute(seconds.local), oneWorker: perMinute(seconds.oneWorker), twoWorkers: perMinute(seconds.twoWorkers) },
    queueTimePerJobMs: overheadMs,
    enqueuePerJobMs: Math.round((seconds.enqueue / clips) * 1000),
  };
  mkdirSync(join(packageRoot(), 'bench', 'results'), { recursive: true });
  writeFileSync(join(packageRoot(), 'bench', 'results', 'queue.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}
