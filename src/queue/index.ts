/**
 * Jobs over Redis (BullMQ): pose extraction and training runs spread over any number of
 * workers and machines. This stage knows queues, not poses or models: the CLI gives it one
 * handler per kind of job.
 */
export { parseRedisAddress, type RedisAddress } from './address.js';
export { QueueUnreachableError, QueueVersionError } from './errors.js';
export {
  ATTEMPTS,
  DEFAULT_QUEUE_NAME,
  KEY_PREFIX,
  QUEUE_FORMAT,
  PermanentJobError,
  addJobs,
  envelope,
  hashFile,
  jobId,
  openQueue,
  queueStatus,
  retryFailed,
  startWorker,
  type JobContext,
  type JobEnvelope,
  type JobHandler,
  type JobSpec,
  type OpenedQueue,
  type QueueFailure,
  type QueueStatus,
  type RunningJob,
  type RunningWorker,
  type WorkerEvent,
  type WorkerOptions,
} from './queue.js';
