/**
 * One training run from files, as `skelact train` and `skelact quickstart` start it: an
 * experiment config file and a prepared cache in, a run folder out (checkpoint/, best/,
 * metrics.jsonl, steps.jsonl, config.json, training curves, the best model's confusion matrix
 * and scores). Config sections served by objectives from above this layer (`text`: GAP's text
 * loss in src/text-priors) are built by the factories the caller passes in `sections`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../data/cache/reader.js';
import { createModel } from '../models/registry.js';
import type { SkeletonModel } from '../models/types.js';
import { bestModelScores, plots, runFolderCallbacks } from './callbacks.js';
import { CHECKPOINT_DIR } from './checkpoint.js';
import { type ExperimentConfig, loadExperiment } from './config.js';
import type { TrainingObjective } from './objective.js';
import { RUN_FILES, type TrainEvent, experimentSplits, train } from './trainer.js';

/**
 * Checks that a config fits a cache before any work: the benchmark exists and has samples,
 * the model can be built for the cache's layout and classes.
 */
export function checkConfigAgainstCache(config: ExperimentConfig, cache: SkeletonCache, configFile: string): void {
  const m = cache.manifest;
  const benchmarks = Object.keys(cache.splits());
  if (!benchmarks.includes(config.data.benchmark)) {
    throw new Error(
      `${configFile}: data.benchmark '${config.data.benchmark}' is not in the cache ${cache.dir} (it has: ${benchmarks.join(', ') || 'none'}); prepare the data for that benchmark or change the config`,
    );
  }
  if (cache.split(config.data.benchmark, 'train').length === 0)
    throw new Error(`${configFile}: benchmark '${config.data.benchmark}' has no training samples in ${cache.dir}`);
  const labels = m.preprocessing.labels;
  if (config.data.labels !== undefined && labels !== config.data.labels)
    throw new Error(
      `${configFile}: data.labels asks for a cache with labels '${config.data.labels}'; ${cache.dir} has ${labels === undefined ? 'none recorded' : `'${String(labels)}'`} (NW-UCLA's audited labels: skelact prepare nw-ucla --labels audited)`,
    );
  if (m.classNames.length < 2)
    throw new Error(
      `cache ${cache.dir} has ${m.classNames.length} class(es); training needs labelled data with at least 2 classes`,
    );
}

/** Builds the objective of a config section (adding its parameters to the model). */
export type SectionObjective = (
  config: ExperimentConfig,
  model: SkeletonModel,
  cache: SkeletonCache,
) => Promise<TrainingObjective & { readonly summary?: string }>;

/** A run from files: the config file, the cache, the run folder, and how to report progress. */
export interface TrainingRunOptions {
  readonly configFile: string;
  /** The prepared cache. */
  readonly data: string;
  /** The run folder. */
  readonly out: string;
  readonly epochs?: number;
  readonly resume: boolean;
  readonly allowOtherData?: boolean;
  /** Objectives for the config sections that need one (e.g. `{ text: gapTextObjective }`). */
  readonly sections?: Readonly<Record<string, SectionObjective>>;
  readonly signal?: AbortSignal;
  /** Called with each training event. */
  readonly onProgress?: (event: TrainEvent) => void;
  /** Lines about the run (the model, the data, the objectives) as it starts. */
  readonly log?: (line: string) => void;
}

/** What a training run reports (the --json output of skelact train). */
export interface TrainingSummary {
  readonly run: string;
  readonly status: string;
  readonly epochs: number;
  readonly steps: number;
  readonly best: { readonly epoch: number; readonly top1: number } | null | undefined;
  readonly bestModel: string | null;
  readonly checkpoint: string | null;
  /** The signal that stopped the run early (SIGINT, SIGTERM), or null; the caller fills it. */
  readonly stoppedBy: string | null;
  readonly plots: string[];
  readonly lastEpoch: unknown;
}

/** Trains from a config file on a cache into a run folder; see the module comment. */
export async function runTraining(options: TrainingRunOptions): Promise<TrainingSummary> {
  const log = options.log ?? (() => undefined);
  const config = loadExperiment(options.configFile);
  const cache = SkeletonCache.open(options.data);
  try {
    checkConfigAgainstCache(config, cache, options.configFile);
    // Before the model is built and descriptions embedded: a run folder in use fails at once.
    if (!options.resume && existsSync(join(options.out, CHECKPOINT_DIR))) {
      throw new Error(
        `${options.out} already holds a run (${CHECKPOINT_DIR}/); resume it, or choose another run folder`,
      );
    }
    const model = createModel(
      config.model,
      { layout: cache.manifest.layout, classes: cache.manifest.classNames.length, frames: config.data.frames },
      config.seed,
    );
    try {
      const splits = experimentSplits(cache, config);
      log(
        `${config.name}: ${model.kind} with ${(model.params.countTrainable() / 1e6).toFixed(3)} M parameters on ${cache.manifest.dataset} (${config.data.benchmark}, modality ${config.data.modality}): ${splits.train.length} training / ${splits.validation.length} validation samples`,
      );
      // Section objectives (text priors: descriptions embedded once, the text head added before training builds its optimiser).
      const objectives: TrainingObjective[] = [];
      for (const [section, build] of Object.entries(options.sections ?? {})) {
        if (!config[section as keyof ExperimentConfig]) continue;
        const objective = await build(config, model, cache);
        if (objective.summary) log(objective.summary);
        objectives.push(objective);
      }
      const written: string[] = [];
      const result = await train({
        config,
        model,
        data: cache,
        objectives,
        callbacks: [
          ...runFolderCallbacks(options.out, options),
          plots(options.out, written),
          bestModelScores(options.out, written),
        ],
        epochs: options.epochs,
        signal: options.signal,
        provenance: { cache: cache.dir },
        onProgress: options.onProgress,
      });
      return {
        run: options.out,
        status: result.status,
        epochs: result.epoch,
        steps: result.step,
        best: result.best,
        bestModel: result.best ? join(options.out, RUN_FILES.best) : null,
        checkpoint: result.checkpoint ?? null,
        stoppedBy: null,
        plots: written,
        lastEpoch: result.history[result.history.length - 1] ?? null,
      };
    } finally {
      model.dispose();
    }
  } finally {
    cache.close();
  }
}
