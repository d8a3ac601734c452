/**
 * What a training run does besides stepping, as callbacks (train({ callbacks }), ./trainer.ts):
 *
 *   checkpoints(outDir)     resume from `<outDir>/checkpoint`, write it after every epoch and
 *                           when the run is stopped (./checkpoint.ts)
 *   jsonLines(outDir)       `metrics.jsonl` (a line per epoch), `steps.jsonl` (a line every
 *                           `logEvery` steps), `config.json`
 *   validation()            top-1 / top-5 / loss on the validation split every `evalEvery` epochs
 *                           and after the last
 *   bestModel(outDir)       the model of the best validation top-1 in `<outDir>/best`
 *   plots(outDir)           training curves after the run (vega)
 *   bestModelScores(outDir) the best model's confusion matrix and scores on the validation split
 *
 * The trainer calls each hook of each callback in the order the callbacks are given; at an
 * epoch's end the counters are already those of the next epoch (what a checkpoint saves).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SkeletonCache } from '../data/cache/reader.js';
import { writeFileAtomic } from '../core/files.js';
import { RNG_SCHEME } from '../core/random.js';
import { type ModelMeta, loadModel, saveModel } from '../models/io.js';
import { createModelFromManifest } from '../models/registry.js';
import type { SkeletonModel } from '../models/types.js';
import {
  type CheckpointData,
  type CheckpointState,
  type EpochMetrics,
  type RunningSums,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  findCheckpoint,
  readCheckpointState,
  restoreCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import type { ExperimentConfig } from './config.js';
import { evaluate, evaluateWithLoader, writeScores } from './evaluate.js';
import { SkeletonLoader } from './loader.js';
import type { Optimizer } from './optimizer.js';
import { optionName } from '../core/errors.js';

/** The files of a run folder. */
export const RUN_FILES = {
  metrics: 'metrics.jsonl',
  steps: 'steps.jsonl',
  best: 'best',
  config: 'config.json',
  confusion: 'confusion.svg',
  scores: 'scores',
} as const;

/** A training run's progress: its start, each step, validation progress, each epoch's metrics, each checkpoint. */
export type TrainEvent =
  | {
      readonly type: 'start';
      readonly epochs: number;
      readonly untilEpoch: number;
      readonly itersPerEpoch: number;
      readonly startEpoch: number;
      readonly startBatch: number;
      readonly trainSamples: number;
      readonly validationSamples: number;
      readonly schedule: string;
      readonly resumed: boolean;
    }
  | {
      readonly type: 'step';
      readonly epoch: number;
      readonly batch: number;
      readonly itersPerEpoch: number;
      readonly step: number;
      readonly lr: number;
      readonly loss: number;
      readonly accuracy: number;
      readonly gradNorm: number;
      readonly samplesPerSecond: number;
    }
  | { readonly type: 'validation'; readonly epoch: number; readonly done: number; readonly total: number }
  | { readonly type: 'epoch'; readonly metrics: EpochMetrics; readonly best: boolean }
  | { readonly type: 'checkpoint'; readonly dir: string; readonly epoch: number; readonly batch: number };

/** The counters a checkpoint saves and a resumed run continues from. */
export interface RunCounters {
  /** Epochs completed. */
  epoch: number;
  /** Batches of the current epoch completed. */
  batch: number;
  /** Optimiser steps in all. */
  step: number;
  running: RunningSums;
  best: CheckpointState['best'];
  history: EpochMetrics[];
}

export const ZERO_SUMS: RunningSums = {
  lossSum: 0,
  correct: 0,
  seen: 0,
  batches: 0,
  trainSeconds: 0,
  seconds: 0,
  lastLr: 0,
};

/** What callbacks see of a run. */
export interface TrainingRun {
  readonly config: ExperimentConfig;
  readonly model: SkeletonModel;
  readonly optimizer: Optimizer;
  readonly data: SkeletonCache;
  readonly splits: { readonly train: readonly number[]; readonly validation: readonly number[] };
  readonly itersPerEpoch: number;
  /** The run stops after this many epochs in all. */
  readonly untilEpoch: number;
  /** What saved models record besides their weights. */
  readonly meta: ModelMeta;
  readonly signal?: AbortSignal;
  readonly report: (event: TrainEvent) => void;
  counters: RunCounters;
  /** Set by the callback that restored a saved run. */
  resumed: boolean;
  /** The last checkpoint written or resumed from, and the epochs it had completed. */
  checkpoint?: { readonly dir: string; readonly epoch: number };
}

/** One logged training step (a steps.jsonl line). */
export interface StepRecord {
  readonly step: number;
  /** Fractional epoch: epochs completed plus the share of this one. */
  readonly epoch: number;
  readonly lr: number;
  readonly loss: number;
  readonly accuracy: number;
}

export interface ValidationScores {
  readonly top1: number;
  readonly top5: number;
  readonly loss: number;
}

export interface EpochEnd {
  readonly metrics: EpochMetrics;
  /** The epoch's validation top-1 is the best so far. */
  readonly best: boolean;
}

export interface RunEnd {
  readonly status: 'complete' | 'aborted';
  readonly best: CheckpointState['best'];
}

/** What a run does besides stepping: each hook is optional and called in the order the callbacks are given. */
export interface TrainingCallback {
  readonly name: string;
  /** Before the first step; a callback that resumes sets `run.counters` and `run.resumed`. */
  start?(run: TrainingRun): void | Promise<void>;
  /** After each optimiser step, with what a steps.jsonl line holds. */
  step?(run: TrainingRun, record: StepRecord): void;
  /** After an epoch's batches (`epoch` is 0-based): validation scores, when this callback validates this epoch. */
  validate?(run: TrainingRun, epoch: number): Promise<ValidationScores | undefined>;
  /** After an epoch: its metrics, and whether its validation top-1 is the best so far. */
  epochEnd?(run: TrainingRun, end: EpochEnd): void | Promise<void>;
  /** The run was stopped (its signal aborted) at an iteration boundary. */
  stop?(run: TrainingRun): void | Promise<void>;
  /** After the run (complete or stopped). */
  end?(run: TrainingRun, result: RunEnd): void | Promise<void>;
}

/** The checkpoint's view of a run. */
export function checkpointStateOf(run: TrainingRun): CheckpointState {
  const { config, itersPerEpoch, counters } = run;
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config,
    ...counters,
    itersPerEpoch,
    rng: { seed: config.seed, scheme: RNG_SCHEME },
    data: checkpointData(run.data),
  };
}

export interface CheckpointOptions {
  /** Continue the run in outDir from its checkpoint. Without it, a folder holding a run is an error. */
  readonly resume?: boolean;
  /** Resume even when the checkpoint was written on another cache (a different fingerprint). */
  readonly allowOtherData?: boolean;
}

/** Resumes from and writes `<outDir>/checkpoint`. Put it first: the others start from what it restores. */
export function checkpoints(outDir: string, options: CheckpointOptions = {}): TrainingCallback {
  const save = async (run: TrainingRun) => {
    const dir = await writeCheckpoint(outDir, run.model, run.meta, run.optimizer, checkpointStateOf(run));
    run.checkpoint = { dir, epoch: run.counters.epoch };
  };
  return {
    name: 'checkpoints',
    start(run) {
      mkdirSync(outDir, { recursive: true });
      const existing = findCheckpoint(outDir);
      if (!options.resume) {
        if (existing)
          throw new Error(`${outDir} already holds a training run (${existing}); resume it or choose another folder`);
        return;
      }
      if (!existing) throw new Error(`nothing to resume in ${outDir}: it has no checkpoint`);
      const saved = restoreCheckpointChecked(existing, run, options.allowOtherData ?? false);
      run.counters = {
        epoch: saved.epoch,
        batch: saved.batch,
        step: saved.step,
        running: saved.running,
        best: saved.best,
        history: [...saved.history],
      };
      run.resumed = true;
      run.checkpoint = { dir: existing, epoch: saved.epoch };
    },
    epochEnd: save,
    stop: save,
  };
}

/** `metrics.jsonl`, `steps.jsonl` (a line every `logEvery` steps) and `config.json` in outDir. */
export function jsonLines(outDir: string, options: { readonly logEvery?: number } = {}): TrainingCallback {
  const logEvery = options.logEvery ?? 10;
  const metricsPath = join(outDir, RUN_FILES.metrics);
  const stepsPath = join(outDir, RUN_FILES.steps);
  return {
    name: 'json-lines',
    start(run) {
      mkdirSync(outDir, { recursive: true });
      if (run.resumed) {
        // Logs may run ahead of the checkpoint after a crash; cut them back to it.
        writeJsonLines(metricsPath, run.counters.history);
        writeJsonLines(
          stepsPath,
          readJsonLines(stepsPath).filter((r) => typeof r.step === 'number' && r.step <= run.counters.step),
        );
        if (existsSync(join(outDir, RUN_FILES.config))) return;
      } else {
        writeJsonLines(metricsPath, []);
        writeJsonLines(stepsPath, []);
      }
      writeFileAtomic(join(outDir, RUN_FILES.config), `${JSON.stringify(run.config, null, 2)}\n`);
    },
    step(_run, record) {
      if (record.step % logEvery === 0) appendFileSync(stepsPath, `${JSON.stringify(record)}\n`);
    },
    epochEnd(_run, { metrics }) {
      appendFileSync(metricsPath, `${JSON.stringify(metrics)}\n`);
    },
  };
}

/**
 * Validation on the run's validation split every `config.evalEvery` epochs and after the last
 * (batches of `optim.evalBatchSize`, else `optim.batchSize`). A stop during it skips it.
 */
export function validation(): TrainingCallback {
  let loader: SkeletonLoader | undefined;
  return {
    name: 'validation',
    start(run) {
      const { config, data, splits, model } = run;
      loader =
        splits.validation.length > 0
          ? new SkeletonLoader({
              cache: data,
              indices: splits.validation,
              config,
              model,
              training: false,
              batchSize: config.optim.evalBatchSize ?? config.optim.batchSize,
            })
          : undefined;
    },
    async validate(run, epoch) {
      const completed = epoch + 1;
      const { config } = run;
      if (
        !loader ||
        !(completed % config.evalEvery === 0 || completed === config.optim.epochs || completed === run.untilEpoch)
      )
        return undefined;
      try {
        const result = await evaluateWithLoader(
          run.model,
          loader,
          run.data.manifest.classNames,
          run.data,
          (done, total) => run.report({ type: 'validation', epoch, done, total }),
          run.signal,
        );
        return { top1: result.top1, top5: result.top5, loss: result.loss };
      } catch (e) {
        if (!run.signal?.aborted) throw e;
        return undefined;
      }
    },
  };
}

/** Saves the model of each new best validation top-1 to `<outDir>/best` (replacing the previous best). */
export function bestModel(outDir: string): TrainingCallback {
  return {
    name: 'best-model',
    async epochEnd(run, { metrics, best }) {
      if (!best) return;
      const { meta } = run;
      // The run's own best model replaces the previous best (and nothing else: see saveModel).
      await saveModel(
        join(outDir, RUN_FILES.best),
        run.model,
        {
          ...meta,
          provenance: {
            ...meta.provenance,
            epoch: metrics.epoch,
            step: metrics.step,
            valTop1: metrics.valTop1!,
            valTop5: metrics.valTop5!,
          },
        },
        { replace: true },
      );
    },
  };
}

/** After the run: `training.svg`, the curves of metrics.jsonl and steps.jsonl (none when nothing was logged yet). */
export function plots(outDir: string, written: string[] = []): TrainingCallback {
  return {
    name: 'plots',
    async end(run, { status }) {
      const logged = (file: string) => existsSync(join(outDir, file)) && readFileSync(join(outDir, file)).length > 0;
      // Stopped before the first logged step: no curves yet.
      if (status === 'aborted' && !logged(RUN_FILES.steps) && !logged(RUN_FILES.metrics)) return;
      const { writeRunPlots } = await import('./plots.js'); // vega only when plotting
      written.push(await writeRunPlots(outDir, run.config.name));
    },
  };
}

/**
 * After a complete run: the best model's confusion matrix (`confusion.svg`) and scores
 * (`scores/`) on the validation split (not after a stop: it takes a validation pass).
 */
export function bestModelScores(outDir: string, written: string[] = []): TrainingCallback {
  return {
    name: 'best-model-scores',
    async end(run, { status, best }) {
      const { config, data, splits } = run;
      if (!best || splits.validation.length === 0 || status === 'aborted') return;
      const { confusionMatrixSvg, writeSvg } = await import('./plots.js');
      const { model } = loadModel(join(outDir, RUN_FILES.best), createModelFromManifest);
      try {
        const evaluation = await evaluate({
          model,
          cache: data,
          config,
          indices: [...splits.validation],
          batchSize: config.optim.evalBatchSize ?? config.optim.batchSize,
        });
        const confusion = join(outDir, RUN_FILES.confusion);
        writeSvg(
          confusion,
          await confusionMatrixSvg(
            evaluation.confusion,
            evaluation.classNames,
            `${config.name}: best model (epoch ${best.epoch}), ${config.data.benchmark} ${config.data.validationShare > 0 ? 'validation' : 'test'} split, top-1 ${(100 * evaluation.top1).toFixed(2)} %`,
          ),
        );
        writeScores(join(outDir, RUN_FILES.scores), evaluation, {
          experiment: config.name,
          benchmark: config.data.benchmark,
          epoch: best.epoch,
        });
        written.push(confusion);
      } finally {
        model.dispose();
      }
    },
  };
}

export interface RunFolderOptions extends CheckpointOptions {
  /** A steps.jsonl line every this many iterations (default 10). */
  readonly logEvery?: number;
}

/** The callbacks of a run folder: checkpoints, JSON-lines logs, validation and the best model. */
export function runFolderCallbacks(outDir: string, options: RunFolderOptions = {}): TrainingCallback[] {
  return [checkpoints(outDir, options), jsonLines(outDir, options), validation(), bestModel(outDir)];
}

function checkpointData(cache: SkeletonCache): CheckpointData {
  const m = cache.manifest;
  return {
    fingerprint: m.fingerprint,
    dataset: m.dataset,
    samples: m.samples,
    source: m.source,
    createdAt: m.createdAt,
    dir: cache.dir,
    preprocessing: m.preprocessing,
  };
}

/** What differs between the cache a checkpoint trained on and the one given now, in words. */
export function dataDifferences(saved: CheckpointData, now: CheckpointData): string[] {
  const out: string[] = [];
  if (saved.dataset !== now.dataset) out.push(`dataset ${saved.dataset} → ${now.dataset}`);
  if (saved.samples !== now.samples) out.push(`${saved.samples} → ${now.samples} samples`);
  if (saved.source !== now.source) out.push(`raw files ${saved.source} → ${now.source}`);
  const before = saved.preprocessing ?? {};
  const after = now.preprocessing ?? {};
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      out.push(
        `preprocessing ${key} ${JSON.stringify(before[key]) ?? 'unset'} → ${JSON.stringify(after[key]) ?? 'unset'}`,
      );
  }
  if (out.length === 0)
    out.push(
      `the raw files or preparation options (cache fingerprint ${saved.fingerprint.slice(0, 12)} → ${now.fingerprint.slice(0, 12)}, prepared ${saved.createdAt} → ${now.createdAt})`,
    );
  return out;
}

function configDifferences(a: unknown, b: unknown, path = ''): string[] {
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  ) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) =>
    configDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
  );
}

function restoreCheckpointChecked(dir: string, run: TrainingRun, allowOtherData: boolean): CheckpointState {
  const { data: cache, config, itersPerEpoch } = run;
  const state = readCheckpointState(dir);
  const now = checkpointData(cache);
  if (state.data && state.data.fingerprint !== now.fingerprint && !allowOtherData) {
    throw new Error(
      `cannot resume ${dir}: it was trained on cache ${state.data.dir}, and ${optionName('data')} ${cache.dir} holds other data (${dataDifferences(state.data, now).join('; ')}). ` +
        `Resume with the cache it was trained on, or add ${optionName('allowOtherData')} if you mean to continue on this one`,
    );
  }
  const differences = configDifferences(state.config, config);
  if (differences.length > 0) {
    throw new Error(
      `cannot resume ${dir}: it was trained with another config (differs in ${differences.slice(0, 6).join(', ')}${differences.length > 6 ? ', …' : ''})`,
    );
  }
  if (state.itersPerEpoch !== itersPerEpoch)
    throw new Error(
      `cannot resume ${dir}: it had ${state.itersPerEpoch} iterations per epoch, the data now gives ${itersPerEpoch} (was the cache prepared again?)`,
    );
  return restoreCheckpoint(dir, run.model, run.optimizer);
}

function readJsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line cut by a crash
      }
    });
}

function writeJsonLines(path: string, records: readonly object[]): void {
  writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
