/**
 * Queued pose extraction end to end, with a real redis-server and real worker processes:
 * 12 short clips, two workers, one killed with SIGKILL mid-job; every pose file written once
 * and equal to a local `skelact extract` of the same clip; status counts that add up. Then a
 * Redis restart mid-run, a video deleted after it was queued and one that fails every try.
 */
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { missing, testNeeding } from '../helpers/requirements.js';
import { sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const MESSI = 'media/messi_panzoom.mp4';
const NEEDS = { ffmpeg: true, poseModels: true, redis: true, shared: [MESSI] };
const EXTRACT = ['--engine', 'tfjs', '--pose-model', 'lite', '--width', '256'];

function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface WorkerEvent {
  worker: string;
  type: string;
  id?: string;
  label?: string;
  reason?: string;
  message?: string;
}

/** A worker process whose --json events are collected as they come. */
function worker(
  url: string,
  ...extra: string[]
): {
  child: ChildProcess;
  events: WorkerEvent[];
  stderr: () => string;
  exited: Promise<number | null>;
  next: (type: string) => Promise<WorkerEvent>;
} {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--json', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: WorkerEvent[] = [];
  const waiting: Array<{ type: string; resolve: (e: WorkerEvent) => void }> = [];
  let buffer = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffer.slice(0, nl)) as WorkerEvent;
      buffer = buffer.slice(nl + 1);
      events.push(event);
      for (const w of waiting.filter((x) => x.type === event.type)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    events,
    stderr: () => err,
    exited,
    next: (type) =>
      new Promise((resolve, reject) => {
        waiting.push({ type, resolve });
        // A worker that never gets there fails the test instead of hanging it.
        setTimeout(
          () => reject(new Error(`no '${type}' event from the worker in 90 s; its stderr: ${err}`)),
          90_000,
        ).unref();
        child.once('exit', () => reject(new Error(`the worker exited before a '${type}' event; its stderr: ${err}`)));
      }),
  };
}

/** `count` clips of a few frames cut at different times from the same video (so their content differs). */
function clips(dir: string, count: number, first = 0): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const r = spawnSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-ss',
      ((first + i) * 0.25).toFixed(2),
      '-i',
      sharedPath(MESSI),
      '-frames:v',
      '3',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      join(dir, `clip${String(first + i).padStart(2, '0')}.mp4`),
    ]);
    if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  }
  return dir;
}

/** A pose file without the time it was written (the one field two extractions of a video differ in). */
const withoutDate = (file: string) => {
  const poses = JSON.parse(readFileSync(file, 'utf8')) as { extraction: Record<string, unknown> };
  delete poses.extraction.date;
  return poses;
};

let redis: TestRedis | undefined;
test.before(async () => {
  if (!missing(NEEDS)) redis = await startRedis();
});
test.after.always(async () => {
  await redis?.stop();
});

testNeeding(
  '12 clips, 2 workers, one killed mid-job: every pose file once, equal to a local extract; adding the folder again adds nothing; status adds up',
  NEEDS,
  async (t) => {
    const work = tempDir('skelact-queue-');
    const videos = clips(join(work, 'videos'), 12);
    const local = skelact('extract', videos, '--out', join(work, 'local'), ...EXTRACT, '--quiet');
    t.is(local.code, 0, local.stderr);
    const url = redis!.url(1);
    const shared = join(work, 'shared');
    const added = skelact('extract', videos, '--out', shared, ...EXTRACT, '--queue', url, '--json');
    t.is(added.code, 0, added.stderr);
    t.like(JSON.parse(added.stdout), { videos: 12, added: 12, alreadyQueued: 0 });

    // Worker A is killed (SIGKILL: no chance to give its job back) as soon as it starts a job.
    // Both start together; B runs until the queue is empty.
    const a = worker(url, '--stall-seconds', '6');
    const b = worker(url, '--stall-seconds', '6', '--until-empty');
    const killedJob = await a.next('start');
    a.child.kill('SIGKILL');
    await a.exited;
    t.is(await b.exited, 0, b.stderr());

    const done = b.events.filter((e) => e.type === 'done');
    t.is(done.length, 12, 'worker B finished every job, each once');
    t.is(new Set(done.map((e) => e.id)).size, 12);
    t.true(
      done.some((e) => e.id === killedJob.id),
      "the killed worker's job was taken over",
    );
    t.false(a.events.some((e) => e.type === 'done'));
    const written = readdirSync(shared).sort();
    t.deepEqual(
      written,
      readdirSync(videos)
        .sort()
        .map((v) => v.replace('.mp4', '.poses.json')),
      'one pose file per clip, nothing else (no half-written file)',
    );
    for (const file of written)
      t.deepEqual(withoutDate(join(shared, file)), withoutDate(join(work, 'local', file)), file);

    const status = skelact('queue', 'status', '--queue', url, '--json');
    t.is(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { counts: Record<string, number>; total: number; failures: unknown[] };
    t.deepEqual(s.counts, { waiting: 0, active: 0, done: 12, failed: 0, delayed: 0 });
    t.is(s.total, 12);
    t.deepEqual(s.failures, []);
    const again = skelact('extract', videos, '--out', shared, ...EXTRACT, '--queue', url, '--json');
    t.like(JSON.parse(again.stdout), { added: 0, alreadyQueued: 12 });
    const human = skelact('queue', 'status', '--queue', url);
    t.regex(human.stdout, /12 jobs: 0 waiting, 0 running, 12 done, 0 failed/);
    rmSync(work, { recursive: true, force: true });
  },
);

testNeeding(
  'Redis restarted mid-run: the worker reconnects and finishes; a deleted video fails once with that reason, a broken one after 3 tries',
  NEEDS,
  async (t) => {
    const work = tempDir('skelact-queue-');
    const videos = clips(join(work, 'videos'), 5, 12);
    copyFileSync(join(videos, 'clip12.mp4'), join(videos, 'doomed.mp4'));
    // The start of an MP4 without its index: it looks like a video, and ffprobe fails on it every time.
    writeFileSync(join(videos, 'truncated.mp4'), readFileSync(join(videos, 'clip13.mp4')).subarray(0, 3000));
    const url = redis!.url(2);
    const shared = join(work, 'shared');
    const added = skelact('extract', videos, '--out', shared, ...EXTRACT, '--queue', url, '--json');
    t.like(JSON.parse(added.stdout), { added: 7 });
    rmSync(join(videos, 'doomed.mp4'));
    const w = worker(url, '--until-empty');
    await w.next('done');
    await redis!.restart(1500);
    t.is(await w.exited, 0, w.stderr());
    t.true(
      w.events.some((e) => e.type === 'connection' && /lost Redis/.test(e.message ?? '')),
      'the worker saw Redis go',
    );
    const done = w.events.filter((e) => e.type === 'done');
    t.is(new Set(done.map((e) => e.id)).size, 5);
    t.deepEqual(
      readdirSync(shared).sort(),
      ['clip12', 'clip13', 'clip14', 'clip15', 'clip16'].map((c) => `${c}.poses.json`),
    );
    const s = JSON.parse(skelact('queue', 'status', '--queue', url, '--json').stdout) as {
      counts: Record<string, number>;
      failures: Array<{ label: string; reason: string; attempts: number }>;
    };
    t.deepEqual(s.counts, { waiting: 0, active: 0, done: 5, failed: 2, delayed: 0 });
    const byVideo = Object.fromEntries(s.failures.map((f) => [f.label.split('/').pop(), f]));
    t.like(byVideo['doomed.mp4'], { attempts: 1 });
    t.regex(byVideo['doomed.mp4'].reason, /doomed\.mp4: the video is gone/);
    t.like(byVideo['truncated.mp4'], { attempts: 3 });
    t.regex(byVideo['truncated.mp4'].reason, /truncated\.mp4/);
    rmSync(work, { recursive: true, force: true });
  },
);

test('queue commands: an unreachable Redis is named within seconds; a bad address says what is expected', (t) => {
  const started = Date.now();
  const r = skelact('queue', 'status', '--queue', 'redis://127.0.0.1:1/0');
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0 \(connect ECONNREFUSED/);
  t.true(Date.now() - started < 8000);
  const bad = skelact('worker', '--queue', 'localhost:6379');
  t.is(bad.code, 1);
  t.regex(bad.stderr, /queue address 'localhost:6379'.*expected redis:\/\/host:port\/db/);
});
