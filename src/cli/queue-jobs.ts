/**
 * The two kinds of skelact job on a queue (src/queue): one video's pose extraction, and one
 * training run of a sweep. What each job carries, how its id is made, and how a worker runs it.
 * The queue stage moves jobs; this file knows poses and training, so it lives with the
 * commands that use it (extract, sweep, worker).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersonDetector, PoseEngine, PoseEngineName, PoseModel } from '../pose/index.js';
import { mediaFileProblem } from '../pose/media-type.js';
import { writeFileAtomic } from '../core/files.js';
import { SWEEP_SCORES_DIR } from './sweep-file.js';
import {
  envelope,
  hashFile,
  jobId,
  PermanentJobError,
  type JobContext,
  type JobEnvelope,
  type JobHandler,
  type JobSpec,
} from '../queue/index.js';

/** The options that decide a pose file's content (besides the video). */
export interface ExtractSettings {
  readonly engine: PoseEngineName;
  readonly poseModel: PoseModel;
  readonly persons: number;
  readonly fps?: number;
  readonly width: number;
}

export interface ExtractJobData extends JobEnvelope, ExtractSettings {
  /** Absolute paths: every worker must see the videos and the output folder at the same place. */
  readonly video: string;
  readonly out: string;
  /** SHA-256 of the video when it was added: a video changed since is not extracted. */
  readonly contentHash: string;
}

/**
 * One job per video. Its id comes from the video's content, the settings and the pose file it
 * writes, so adding the same folder again (or a copy of it elsewhere, into the same --out)
 * adds nothing new, while a changed video or other settings add new work.
 */
export async function extractJobs(
  videos: ReadonlyArray<{ video: string; out: string }>,
  settings: ExtractSettings,
): Promise<Array<JobSpec<ExtractJobData>>> {
  const jobs: Array<JobSpec<ExtractJobData>> = [];
  for (const { video, out } of videos) {
    const contentHash = await hashFile(video);
    const data: ExtractJobData = { ...envelope(video), video, out, contentHash, ...settings };
    jobs.push({ kind: 'extract', id: jobId('extract', { contentHash, out, ...settings }), data });
  }
  return jobs;
}

/**
 * A worker's extraction: pose engines made once per (engine, model) and kept for the next
 * jobs; each job checks its video is still the one added, then writes its pose file through
 * the same function as a local `skelact extract`.
 */
export function extractHandler(): { handler: JobHandler; close: () => Promise<void> } {
  const engines = new Map<string, Promise<PoseEngine>>();
  let detector: Promise<PersonDetector> | undefined;
  const handler = async (data: ExtractJobData, context: JobContext) => {
    if (!existsSync(data.video))
      throw new PermanentJobError(`${data.video}: the video is gone (it was there when the job was added)`);
    const problem = mediaFileProblem(data.video);
    if (problem) throw new PermanentJobError(problem);
    if ((await hashFile(data.video)) !== data.contentHash)
      throw new PermanentJobError(
        `${data.video}: the video changed after the job was added; add the folder again to extract the new content`,
      );
    const pose = await import('../pose/index.js');
    const key = `${data.engine}/${data.poseModel}`;
    if (!engines.has(key)) engines.set(key, pose.createPoseEngine(data.engine, data.poseModel));
    const engine = await engines.get(key)!;
    if (data.persons > 1) detector ??= pose.createPersonDetector();
    const { poses, stats } = await pose.extractToPoseFile(data.video, data.out, engine, {
      persons: data.persons,
      ...(data.fps !== undefined ? { fps: data.fps } : {}),
      width: data.width,
      ...(data.persons > 1 ? { detector: await detector } : {}),
      onFrame: (done, total) => context.progress(done, total ?? done),
    });
    return {
      out: data.out,
      frames: stats.frames,
      framesWithPerson: stats.framesWithPerson,
      tracks: poses.tracks.length,
      seconds: Number(stats.seconds.toFixed(3)),
    };
  };
  const close = async () => {
    (await detector)?.close();
    for (const engine of engines.values()) await (await engine).close();
  };
  return { handler: handler as JobHandler, close };
}

export interface TrainJobData extends JobEnvelope {
  /** The experiment config as the sweep read it, with this run's seed. */
  readonly config: Record<string, unknown>;
  readonly configFile: string;
  readonly seed: number;
  /** Absolute paths of the prepared cache and of this run's folder. */
  readonly data: string;
  readonly out: string;
  readonly epochs?: number;
}

/** The file in a run folder that says what the sweep asked for (the config with the run's seed). */
export const SWEEP_CONFIG_FILE = 'sweep-config.json';

export function trainJob(data: Omit<TrainJobData, keyof JobEnvelope>): JobSpec<TrainJobData> {
  const label = `${data.configFile} seed ${data.seed}`;
  return {
    kind: 'train',
    id: jobId('train', { config: data.config, data: data.data, out: data.out, epochs: data.epochs ?? null }),
    data: { ...envelope(label), ...data },
  };
}

/**
 * A worker's training run: the config (with its seed) written into the run folder, then the
 * same training as `skelact train`. A run folder with a checkpoint (a worker that died, or
 * was stopped, part way) is resumed from it. Afterwards its best model is evaluated on the
 * test split into scores-test/, the scores `skelact ensemble` fuses.
 */
export async function runTrainJob(data: TrainJobData, context: JobContext): Promise<Record<string, unknown>> {
  if (!existsSync(data.data))
    throw new PermanentJobError(`${data.data}: the prepared cache is gone (it was there when the job was added)`);
  const [
    { trainWithProgress },
    { SkeletonCache },
    { loadModel },
    { createModelFromManifest },
    { evaluate, writeScores },
    { loadExperiment },
    { RUN_FILES },
  ] = await Promise.all([
    import('./training.js'),
    import('../data/cache/reader.js'),
    import('../models/io.js'),
    import('../models/registry.js'),
    import('../train/evaluate.js'),
    import('../train/config.js'),
    import('../train/trainer.js'),
  ]);
  mkdirSync(data.out, { recursive: true });
  const configFile = join(data.out, SWEEP_CONFIG_FILE);
  writeFileAtomic(configFile, `${JSON.stringify(data.config, null, 2)}\n`);
  const summary = await trainWithProgress({
    configFile,
    data: data.data,
    out: data.out,
    epochs: data.epochs,
    resume: existsSync(join(data.out, 'checkpoint')),
    json: true,
    quiet: true,
    onStep: context.progress,
  });
  if (summary.status === 'aborted')
    throw new Error(
      `training stopped${summary.stoppedBy ? ` by ${summary.stoppedBy}` : ''} at step ${summary.steps}; the next try resumes from its checkpoint`,
    );
  const bestDir = join(data.out, RUN_FILES.best);
  if (!existsSync(bestDir))
    throw new PermanentJobError(`${data.out}: training finished without a best model to evaluate`);
  const config = loadExperiment(configFile);
  const cache = SkeletonCache.open(data.data);
  const { model } = loadModel(bestDir, createModelFromManifest);
  try {
    const evaluation = await evaluate({
      model,
      cache,
      config,
      indices: cache.split(config.data.benchmark, 'test'),
      batchSize: config.optim.evalBatchSize ?? config.optim.batchSize,
    });
    writeScores(join(data.out, SWEEP_SCORES_DIR), evaluation, {
      experiment: config.name,
      benchmark: config.data.benchmark,
      seed: data.seed,
      split: 'test',
    });
    return { out: data.out, status: summary.status, epochs: summary.epochs, top1: Number(evaluation.top1.toFixed(4)) };
  } finally {
    model.dispose();
    cache.close();
  }
}
