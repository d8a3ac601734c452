/**
 * src/queue against a real redis-server: addresses, the unreachable and wrong-version
 * refusals, ids that make adding the same work twice a no-op, a worker's tries and failures,
 * status counts and rate, retrying failed jobs.
 */
import test from 'ava';
import {
  addJobs,
  envelope,
  jobId,
  openQueue,
  parseRedisAddress,
  PermanentJobError,
  QUEUE_FORMAT,
  queueStatus,
  QueueUnreachableError,
  QueueVersionError,
  retryFailed,
  startWorker,
  type JobContext,
  type WorkerEvent,
} from '../../src/queue/index.js';
import { packageVersion } from '../../src/util/version.js';
import { hasRedis, REDIS_MISSING, startRedis, type TestRedis } from '../helpers/redis.js';

test('a queue address: host, port, database; wrong ones named with what is expected', (t) => {
  t.like(parseRedisAddress('redis://10.0.0.5:6380/3'), {
    host: '10.0.0.5',
    port: 6380,
    db: 3,
    display: 'redis://10.0.0.5:6380/3',
  });
  t.like(parseRedisAddress('redis://localhost'), { host: 'localhost', port: 6379, db: 0 });
  const withPassword = parseRedisAddress('redis://:s3cret@h:1/0');
  t.is(withPassword.password, 's3cret');
  t.false(withPassword.display.includes('s3cret'), 'the password is never shown');
  t.throws(() => parseRedisAddress('http://h:1/0'), {
    message: /scheme is 'http', not redis; expected redis:\/\/host:port\/db/,
  });
  t.throws(() => parseRedisAddress('redis://h:1/x'), { message: /database 'x' is not a number from 0 to 15/ });
  t.throws(() => parseRedisAddress('127.0.0.1:6379'), { message: /expected redis:\/\/host:port\/db/ });
});

test('job ids: the same work gives the same id, any change another', (t) => {
  const a = jobId('extract', { contentHash: 'ab', out: '/o/x.poses.json', width: 640 });
  t.is(a, jobId('extract', { contentHash: 'ab', out: '/o/x.poses.json', width: 640 }));
  t.not(a, jobId('extract', { contentHash: 'ab', out: '/o/x.poses.json', width: 320 }));
  t.not(a, jobId('extract', { contentHash: 'ac', out: '/o/x.poses.json', width: 640 }));
  t.regex(a, /^extract-[0-9a-f]{32}$/);
});

test('an unreachable Redis: a clear error within a few seconds, naming the address', async (t) => {
  const started = Date.now();
  const error = await t.throwsAsync(openQueue('redis://127.0.0.1:1/0'), { instanceOf: QueueUnreachableError });
  t.regex(error!.message, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0 \(connect ECONNREFUSED/);
  t.true(Date.now() - started < 5000);
});

if (!hasRedis()) {
  test.skip(`queue against redis-server [skipped: ${REDIS_MISSING}]`, () => {});
} else {
  let redis: TestRedis;
  test.before(async () => {
    redis = await startRedis();
  });
  test.after.always(async () => {
    await redis?.stop();
  });

  test.serial('a queue another skelact made with another job format is refused, naming both versions', async (t) => {
    redis.cli(
      '-n',
      '5',
      'HSET',
      'skelact:skelact:skelact-format',
      'format',
      String(QUEUE_FORMAT + 1),
      'skelactVersion',
      '9.9.9',
    );
    const error = await t.throwsAsync(openQueue(redis.url(5)), { instanceOf: QueueVersionError });
    t.regex(
      error!.message,
      new RegExp(
        `made by skelact 9\\.9\\.9 with job format ${QUEUE_FORMAT + 1}; this is skelact ${packageVersion().replace(/\./g, '\\.')}, which reads job format ${QUEUE_FORMAT}`,
      ),
    );
    // A fresh queue records this skelact's format.
    const opened = await openQueue(redis.url(6));
    await opened.close();
    t.is(redis.cli('-n', '6', 'HGET', 'skelact:skelact:skelact-format', 'format').trim(), String(QUEUE_FORMAT));
  });

  test.serial(
    'a worker runs jobs once each; adding them again adds nothing; failures are tried 3 times (permanent ones once), listed with their reasons, and retried on request',
    async (t) => {
      const url = redis.url(1);
      const opened = await openQueue(url);
      const jobs = ['ok-a', 'ok-b', 'ok-c', 'flaky', 'broken', 'gone'].map((label) => ({
        kind: 'square',
        id: jobId('square', label),
        data: { ...envelope(label), n: label.length },
      }));
      t.deepEqual(await addJobs(opened, jobs), { added: jobs.map((j) => j.id), existing: [] });
      t.deepEqual(await addJobs(opened, jobs), { added: [], existing: jobs.map((j) => j.id) });
      // A job with another format (an older skelact's) fails at once with both versions.
      await opened.queue.add(
        'square',
        { format: QUEUE_FORMAT + 7, skelactVersion: '0.0.1', label: 'old' },
        { jobId: 'old-1', attempts: 3 },
      );
      const runs = new Map<string, number>();
      let fixed = false;
      const events: WorkerEvent[] = [];
      const square = async (data: { label: string; n: number }, context: JobContext) => {
        runs.set(data.label, (runs.get(data.label) ?? 0) + 1);
        if (data.label === 'gone') throw new PermanentJobError('/videos/gone.mp4: the video is gone');
        if (data.label === 'broken' && !fixed) throw new Error('decoder crashed');
        if (data.label === 'flaky' && context.attempt < 2) throw new Error('transient');
        return { square: data.n * data.n };
      };
      const worker = await startWorker(
        url,
        { square: square as never },
        { concurrency: 2, onEvent: (e) => events.push(e) },
      );
      t.teardown(async () => {
        await worker.close();
        await opened.close();
      });
      const settled = async (done: number, failed: number) => {
        for (let i = 0; i < 200; i++) {
          const s = await queueStatus(opened);
          if (s.counts.done === done && s.counts.failed === failed) return s;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(
          `the queue did not reach ${done} done / ${failed} failed: ${JSON.stringify((await queueStatus(opened)).counts)}`,
        );
      };
      const status = await settled(4, 3);
      t.deepEqual(Object.fromEntries(runs), { 'ok-a': 1, 'ok-b': 1, 'ok-c': 1, flaky: 2, broken: 3, gone: 1 });
      t.deepEqual(status.counts, { waiting: 0, active: 0, done: 4, failed: 3, delayed: 0 });
      t.is(status.total, 7);
      t.is(status.etaSeconds, 0);
      t.true(status.perMinute !== null && status.perMinute > 0);
      const reasons = Object.fromEntries(status.failures.map((f) => [f.label, [f.reason, f.attempts]]));
      t.deepEqual(reasons.broken, ['decoder crashed', 3]);
      t.deepEqual(reasons.gone, ['/videos/gone.mp4: the video is gone', 1]);
      t.regex(
        reasons.old[0] as string,
        new RegExp(
          `added by skelact 0\\.0\\.1 with job format ${QUEUE_FORMAT + 7}; this worker is skelact .* with job format ${QUEUE_FORMAT}`,
        ),
      );
      const done = events.filter((e) => e.type === 'done');
      t.deepEqual(done.map((e) => e.type === 'done' && e.label).sort(), ['flaky', 'ok-a', 'ok-b', 'ok-c']);
      t.deepEqual((await opened.queue.getJob(jobId('square', 'ok-c')))!.returnvalue, {
        square: 16,
        worker: worker.name,
      });
      // Fixed: retry-failed puts the three back; broken now succeeds, gone and old fail again.
      fixed = true;
      t.is((await retryFailed(opened)).length, 3);
      await settled(5, 2);
      t.is(runs.get('broken'), 4);
    },
  );
}

if (hasRedis()) {
  test.serial('status lists the running jobs with the progress they report', async (t) => {
    const redis = await startRedis();
    t.teardown(() => redis.stop());
    const url = redis.url(0);
    const opened = await openQueue(url);
    await addJobs(opened, [{ kind: 'slow', id: jobId('slow', 1), data: envelope('slow one') }]);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const worker = await startWorker(url, {
      slow: (async (_data: unknown, context: JobContext) => {
        context.progress(7, 20);
        await released;
        return {};
      }) as never,
    });
    t.teardown(async () => {
      release();
      await worker.close();
      await opened.close();
    });
    let status = await queueStatus(opened);
    for (let i = 0; i < 100 && (status.running.length === 0 || status.running[0].progress === null); i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await queueStatus(opened);
    }
    t.is(status.counts.active, 1);
    t.like(status.running[0], { kind: 'slow', label: 'slow one', progress: { done: 7, total: 20 } });
    t.is(status.workers, 1);
    release();
  });
}
