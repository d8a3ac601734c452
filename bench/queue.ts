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
 * The queue's own time per job: 500 jobs that do nothing, run by one worker in this process
 * (Redis round trips and BullMQ's bookkeeping; a pose job adds checking the video's hash again). Wall times include start-up (Node, the backend, the pose engine)
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
import { addJobs, envelope, jobId, openQueue, queueStatus, startWorker } from '../src/queue/index.js';

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
  jobs: number;
}

/** n worker processes (--json events) until the queue is empty. */
function workers(url: string, n: number): Promise<Timed> {
  const t0 = performance.now();
  let done = 0;
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--until-empty', '--json'], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let err = '';
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            let nl;
            while ((nl = out.indexOf('\n')) >= 0) {
              if ((JSON.parse(out.slice(0, nl)) as { type: string }).type === 'done') done++;
              out = out.slice(nl + 1);
            }
          });
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${err}`))));
        }),
    ),
  ).then(() => ({ wall: (performance.now() - t0) / 1000, jobs: done }));
}

const work = mkdtempSync(join(tmpdir(), 'skelact-bench-queue-'));
const redis = await startRedis();
try {
  const videos = join(work, 'videos');
  mkdirSync(videos);
  for (let i = 0; i < clips; i++) {
    const r = spawnSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-ss',
      ((i * 5) / clips).toFixed(2),
      '-i',
      MEDIA,
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      join(videos, `clip${i}.mp4`),
    ]);
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
    for (const [n, into] of [
      [1, one],
      [2, two],
    ] as const) {
      const url = redis.url(round * 2 + n);
      enqueue.push(
        run(['extract', videos, '--out', join(work, `queue-${round}-${n}`), ...settings, '--queue', url, '--quiet']),
      );
      const timed = await workers(url, n);
      if (timed.jobs !== clips) throw new Error(`${n} worker(s) finished ${timed.jobs} of ${clips} jobs`);
      into.push(timed);
    }
    console.log(
      `round ${round + 1}: local ${local[round].toFixed(1)} s, 1 worker ${one[round].wall.toFixed(1)} s, 2 workers ${two[round].wall.toFixed(1)} s`,
    );
  }
  const seconds = {
    local: median(local),
    oneWorker: median(one.map((x) => x.wall)),
    twoWorkers: median(two.map((x) => x.wall)),
    enqueue: median(enqueue),
  };
  console.log(
    `clips/min: local ${perMinute(seconds.local)}, 1 worker ${perMinute(seconds.oneWorker)}, 2 workers ${perMinute(seconds.twoWorkers)}; adding a job ${Math.round((seconds.enqueue / clips) * 1000)} ms`,
  );
  // The queue alone: jobs that do nothing, run by one worker in this process.
  const noopUrl = redis.url(15);
  const opened = await openQueue(noopUrl);
  const noop = 500;
  await addJobs(
    opened,
    Array.from({ length: noop }, (_, i) => ({ kind: 'noop', id: jobId('noop', i), data: envelope(`noop ${i}`) })),
  );
  const t0 = performance.now();
  const w = await startWorker(noopUrl, { noop: async () => ({}) });
  while ((await queueStatus(opened, { failures: 1 })).counts.done < noop) await new Promise((r) => setTimeout(r, 20));
  const noopMs = (performance.now() - t0) / noop;
  await w.close();
  await opened.close();
  console.log(`the queue alone (${noop} jobs that do nothing, 1 worker): ${noopMs.toFixed(2)} ms per job`);
  const result = {
    command: `npm run bench:queue -- --clips ${clips} --frames ${frames} --runs ${runs} ${settings.join(' ')}`,
    date: new Date().toISOString(),
    cpus: cpus().length,
    loadAverage: loadavg()[0],
    clips,
    framesPerClip: frames,
    runs,
    seconds,
    clipsPerMinute: {
      local: perMinute(seconds.local),
      oneWorker: perMinute(seconds.oneWorker),
      twoWorkers: perMinute(seconds.twoWorkers),
    },
    enqueuePerJobMs: Math.round((seconds.enqueue / clips) * 1000),
    noopJobMs: Number(noopMs.toFixed(2)),
  };
  mkdirSync(join(packageRoot(), 'bench', 'results'), { recursive: true });
  writeFileSync(join(packageRoot(), 'bench', 'results', 'queue.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}
