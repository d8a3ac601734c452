/**
 * skelact's jobs on a BullMQ queue in Redis: opening a queue (Redis reachable within seconds,
 * written by a compatible skelact), adding jobs whose ids come from their content (adding the
 * same work again does nothing), running a worker, and reading progress.
 *
 * BullMQ does the distributed part: jobs survive restarts of Redis and of workers, a job whose
 * worker died (its lock not renewed) is moved back to waiting by another worker's stall check,
 * failed attempts are retried with a back-off up to a limit, and ioredis reconnects to a Redis
 * that went away. This module only fixes skelact's choices and words.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { packageVersion } from '../util/version.js';
import { SkelactError } from '../core/errors.js';
import { parseRedisAddress, type RedisAddress } from './address.js';
import { QueueUnreachableError, QueueVersionError } from './errors.js';

/**
 * The layout of skelact's job data. A queue records the format it was made with; a skelact
 * with another format refuses it (and a worker refuses a job of another format) rather than
 * misreading it. Raise it when a job's data changes meaning.
 */
export const QUEUE_FORMAT = 1;
/** BullMQ's key prefix for skelact's queues (BullMQ's own default is 'bull'). */
export const KEY_PREFIX = 'skelact';
export const DEFAULT_QUEUE_NAME = 'skelact';
/** A job is tried this many times (its failures back off 1 s, 2 s, …), then marked failed. */
export const ATTEMPTS = 3;
/** How long the reachability check waits for Redis. */
const CONNECT_TIMEOUT_MS = 3000;

/** What every skelact job carries besides its own fields. */
export interface JobEnvelope {
  readonly format: number;
  readonly skelactVersion: string;
  /** A short line for status and logs: the video, or the config and seed. */
  readonly label: string;
}

export interface JobSpec<D> {
  /** The handler that runs it (BullMQ's job name): 'extract', 'train'. */
  readonly kind: string;
  /** Unique and stable: the same work always gets the same id (see jobId). */
  readonly id: string;
  readonly data: D;
}

/** A failure that trying again cannot fix (the video is gone, the job is of another format): no retries. */
export class PermanentJobError extends SkelactError {
  readonly code = 'permanent-job-failure';
}

export interface OpenedQueue {
  readonly address: RedisAddress;
  readonly name: string;
  readonly queue: Queue;
  close(): Promise<void>;
}

function redisOptions(address: RedisAddress): RedisOptions & ConnectionOptions {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username ? { username: address.username } : {}),
    ...(address.password ? { password: address.password } : {}),
    // BullMQ's workers block on Redis and must wait through an outage, not fail their commands.
    maxRetriesPerRequest: null,
    // Reconnect after 0.2 s, 0.4 s, … at most every 2 s, for as long as it takes.
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

const metaKey = (name: string) => `${KEY_PREFIX}:${name}:skelact-format`;

/**
 * Fails within CONNECT_TIMEOUT_MS where Redis cannot be reached, naming the address. Then
 * checks (and, for a queue being written to, records) the format of skelact's jobs in the
 * queue: one another skelact made with another format is refused with both versions.
 */
async function checkReachableAndFormat(address: RedisAddress, name: string, record: boolean): Promise<void> {
  const client = new Redis({
    ...redisOptions(address),
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // ioredis reports the cause (ECONNREFUSED, ENOTFOUND) as an event, then rejects with a generic message.
  let cause: Error | undefined;
  client.on('error', (e: Error) => (cause ??= e));
  try {
    try {
      await Promise.race([
        client.connect().then(() => client.ping()),
        new Promise((_, reject) =>
          setTimeout(
            () => reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`)),
            CONNECT_TIMEOUT_MS,
          ).unref(),
        ),
      ]);
    } catch (e) {
      throw new QueueUnreachableError(address.display, cause?.message || (e as Error).message || String(e));
    }
    const key = metaKey(name);
    if (record) {
      await client.hsetnx(key, 'format', String(QUEUE_FORMAT));
      await client.hsetnx(key, 'skelactVersion', packageVersion());
    }
    const meta = await client.hgetall(key);
    if (meta.format === undefined) return; // nothing written yet: a new queue
    if (Number(meta.format) !== QUEUE_FORMAT) {
      throw new QueueVersionError(
        `the queue '${name}' at ${address.display} was made by skelact ${meta.skelactVersion ?? '(unknown version)'} with job format ${meta.format}; this is skelact ${packageVersion()}, which reads job format ${QUEUE_FORMAT}. Use the skelact version that made it, or another queue (--queue-name, or another Redis database)`,
      );
    }
  } finally {
    client.disconnect();
  }
}

/**
 * Opens a queue: Redis must answer within a few seconds and the queue must be of this
 * skelact's format. `record`: write the format (for those who add jobs or run them).
 */
export async function openQueue(url: string, options: { name?: string; record?: boolean } = {}): Promise<OpenedQueue> {
  const address = parseRedisAddress(url);
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  await checkReachableAndFormat(address, name, options.record ?? true);
  const queue = new Queue(name, { connection: redisOptions(address), prefix: KEY_PREFIX });
  queue.on('error', () => {}); // connection trouble surfaces as failed commands
  return { address, name, queue, close: () => queue.close() };
}

/** The envelope every job's data starts with. */
export function envelope(label: string): JobEnvelope {
  return { format: QUEUE_FORMAT, skelactVersion: packageVersion(), label };
}

/**
 * A stable job id from what determines the work (content hashes, options, output path): the
 * kind, then 32 hex digits of SHA-256. BullMQ ignores a job added with an id it already has,
 * finished or not, so adding the same work again does nothing.
 */
export function jobId(kind: string, what: unknown): string {
  return `${kind}-${createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 32)}`;
}

/** SHA-256 of a file's content, read as a stream (videos may be large). */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Adds jobs; those whose id the queue already holds (waiting, running, done or failed) are left as they are. */
export async function addJobs<D extends JobEnvelope>(
  opened: OpenedQueue,
  jobs: ReadonlyArray<JobSpec<D>>,
): Promise<{ added: string[]; existing: string[] }> {
  const added: string[] = [];
  const existing: string[] = [];
  for (let i = 0; i < jobs.length; i += 200) {
    const chunk = jobs.slice(i, i + 200);
    const present = await Promise.all(chunk.map((j) => opened.queue.getJob(j.id)));
    const fresh = chunk.filter((_, k) => !present[k]);
    chunk.forEach((j, k) => (present[k] ? existing : added).push(j.id));
    if (fresh.length === 0) continue;
    await opened.queue.addBulk(
      fresh.map((j) => ({
        name: j.kind,
        data: j.data,
        opts: {
          jobId: j.id,
          attempts: ATTEMPTS,
          backoff: { type: 'exponential', delay: 1000 },
          // Finished and failed jobs are kept: their ids make adding the same work again a no-op,
          // and status lists the failures with their reasons.
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
  }
  return { added, existing };
}

export interface JobContext {
  readonly id: string;
  /** 1 for the first try. */
  readonly attempt: number;
  /** This worker's name (host:pid). */
  readonly worker: string;
  /** Reports how far the job is (shown by queue status); sent at most once a second. */
  readonly progress: (done: number, total: number) => void;
}

export type JobHandler = (data: never, context: JobContext) => Promise<Record<string, unknown>>;

export type WorkerEvent =
  | { type: 'start'; id: string; kind: string; label: string; attempt: number }
  | { type: 'done'; id: string; kind: string; label: string; seconds: number; result: Record<string, unknown> }
  | { type: 'failed'; id: string; kind: string; label: string; reason: string; attempt: number; final: boolean }
  | { type: 'connection'; message: string };

export interface WorkerOptions {
  readonly name?: string;
  /** Jobs this process runs at once (default 1). */
  readonly concurrency?: number;
  /**
   * A job whose worker stops renewing its lock for this long (a worker killed, a machine gone)
   * is given to another worker; workers look for such jobs this often. Default 30 s (BullMQ's).
   */
  readonly stallSeconds?: number;
  readonly onEvent?: (event: WorkerEvent) => void;
}

export interface RunningWorker {
  readonly name: string;
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
}

/** Runs the queue's jobs with one handler per kind, until closed. */
export async function startWorker(
  url: string,
  handlers: Readonly<Record<string, JobHandler>>,
  options: WorkerOptions & { queueName?: string } = {},
): Promise<RunningWorker> {
  // The same checks as every opener: reachable, compatible; then BullMQ's own connection.
  const address = parseRedisAddress(url);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  await checkReachableAndFormat(address, queueName, true);
  const workerName = options.name ?? `${hostname()}:${process.pid}`;
  const stallMs = Math.round((options.stallSeconds ?? 30) * 1000);
  const emit = options.onEvent ?? (() => {});
  const started = new Map<string, number>();
  const processor = async (job: Job) => {
    const data = job.data as Partial<JobEnvelope>;
    const label = data.label ?? job.id ?? '?';
    if (data.format !== QUEUE_FORMAT) {
      throw new UnrecoverableError(
        `job ${job.id} was added by skelact ${data.skelactVersion ?? '(unknown version)'} with job format ${data.format}; this worker is skelact ${packageVersion()} with job format ${QUEUE_FORMAT}`,
      );
    }
    const handler = handlers[job.name];
    if (!handler)
      throw new UnrecoverableError(
        `no handler for jobs of kind '${job.name}' in this worker (it runs: ${Object.keys(handlers).join(', ')})`,
      );
    started.set(job.id!, performance.now());
    emit({ type: 'start', id: job.id!, kind: job.name, label, attempt: job.attemptsMade + 1 });
    try {
      let lastSent = 0;
      const progress = (done: number, total: number) => {
        const now = Date.now();
        if (now - lastSent < 1000 && done < total) return;
        lastSent = now;
        // Progress is for people watching: a lost update is not worth failing the job for.
        job.updateProgress({ done, total }).catch(() => {});
      };
      const result = await handler(job.data as never, {
        id: job.id!,
        attempt: job.attemptsMade + 1,
        worker: workerName,
        progress,
      });
      return { ...result, worker: workerName };
    } catch (e) {
      if (e instanceof PermanentJobError) throw new UnrecoverableError(e.message);
      throw e;
    }
  };
  const worker = new Worker(queueName, processor, {
    connection: redisOptions(address),
    prefix: KEY_PREFIX,
    concurrency: options.concurrency ?? 1,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    // A job whose worker died twice is failed rather than handed round for ever.
    maxStalledCount: 2,
    name: workerName,
  });
  let connectionDown = false;
  worker.on('error', (e) => {
    const lost = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|connect/i.test(e.message);
    if (!lost) return emit({ type: 'connection', message: `error: ${e.message}` });
    // ioredis reconnects by itself; say so once per outage, not once per retry.
    if (!connectionDown)
      emit({ type: 'connection', message: `lost Redis at ${address.display} (${e.message}); reconnecting` });
    connectionDown = true;
  });
  worker.on('ready', () => {
    if (connectionDown) emit({ type: 'connection', message: `reconnected to Redis at ${address.display}` });
    connectionDown = false;
  });
  worker.on('completed', (job, result) => {
    const t0 = started.get(job.id!);
    started.delete(job.id!);
    emit({
      type: 'done',
      id: job.id!,
      kind: job.name,
      label: (job.data as JobEnvelope).label,
      seconds: t0 === undefined ? 0 : (performance.now() - t0) / 1000,
      result: result as Record<string, unknown>,
    });
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    started.delete(job.id!);
    const final =
      error instanceof UnrecoverableError ||
      error.name === 'UnrecoverableError' ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    emit({
      type: 'failed',
      id: job.id!,
      kind: job.name,
      label: (job.data as JobEnvelope).label,
      reason: error.message,
      attempt: job.attemptsMade,
      final,
    });
  });
  await worker.waitUntilReady();
  return { name: workerName, close: () => worker.close() };
}

export interface QueueFailure {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt: string | null;
}

export interface RunningJob {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  /** What the job last reported (frames of a video, steps of a training run), if anything. */
  readonly progress: { readonly done: number; readonly total: number } | null;
  readonly startedAt: string | null;
}

export interface QueueStatus {
  readonly address: string;
  readonly queue: string;
  readonly counts: {
    readonly waiting: number;
    readonly active: number;
    readonly done: number;
    readonly failed: number;
    readonly delayed: number;
  };
  readonly total: number;
  /** Workers connected now. */
  readonly workers: number;
  /** Jobs finished per minute over the last finished jobs (at most 200, in the last 15 minutes); null until two have finished. */
  readonly perMinute: number | null;
  /** Seconds until the waiting, delayed and running jobs are done at that rate. */
  readonly etaSeconds: number | null;
  readonly failures: QueueFailure[];
  /** The running jobs (at most 50). */
  readonly running: RunningJob[];
}

const RATE_WINDOW_MS = 15 * 60 * 1000;

export async function queueStatus(opened: OpenedQueue, options: { failures?: number } = {}): Promise<QueueStatus> {
  const q = opened.queue;
  const c = await q.getJobCounts(
    'waiting',
    'active',
    'completed',
    'failed',
    'delayed',
    'prioritized',
    'waiting-children',
  );
  const counts = {
    waiting: c.waiting + c.prioritized + c['waiting-children'],
    active: c.active,
    done: c.completed,
    failed: c.failed,
    delayed: c.delayed,
  };
  const recent = (await q.getJobs(['completed'], 0, 199, false))
    .map((j) => j.finishedOn ?? 0)
    .filter((t) => t > Date.now() - RATE_WINDOW_MS)
    .sort((a, b) => a - b);
  const span = recent.length >= 2 ? recent[recent.length - 1] - recent[0] : 0;
  const perMinute = span > 0 ? ((recent.length - 1) / span) * 60_000 : null;
  const remaining = counts.waiting + counts.active + counts.delayed;
  const failedJobs = await q.getJobs(['failed'], 0, (options.failures ?? 50) - 1, false);
  const failures = failedJobs.map((j) => ({
    id: j.id ?? '?',
    kind: j.name,
    label: (j.data as Partial<JobEnvelope>)?.label ?? '?',
    reason: j.failedReason ?? '',
    attempts: j.attemptsMade,
    failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
  }));
  const running = (await q.getJobs(['active'], 0, 49)).map((j) => {
    const p = j.progress as { done?: unknown; total?: unknown } | number | undefined;
    const progress =
      p && typeof p === 'object' && typeof p.done === 'number' && typeof p.total === 'number'
        ? { done: p.done, total: p.total }
        : null;
    return {
      id: j.id ?? '?',
      kind: j.name,
      label: (j.data as Partial<JobEnvelope>)?.label ?? '?',
      progress,
      startedAt: j.processedOn ? new Date(j.processedOn).toISOString() : null,
    };
  });
  return {
    address: opened.address.display,
    queue: opened.name,
    counts,
    total: counts.waiting + counts.active + counts.done + counts.failed + counts.delayed,
    workers: await q.getWorkersCount(),
    perMinute,
    etaSeconds: perMinute ? Math.round((remaining / perMinute) * 60) : remaining === 0 ? 0 : null,
    failures,
    running,
  };
}

/** Moves every failed job (those failed now) back to waiting, with its tries counted afresh. */
export async function retryFailed(opened: OpenedQueue): Promise<string[]> {
  const failed = await opened.queue.getJobs(['failed'], 0, -1);
  for (const job of failed) await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  return failed.map((job) => job.id!);
}
