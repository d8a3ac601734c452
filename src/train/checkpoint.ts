/**
 * Training checkpoints: everything a run needs to continue exactly where it stopped.
 *
 *   <outDir>/checkpoint/
 *     model/           a model folder (src/models/io.ts: model.json + weights.bin), loadable
 *                      like any saved model; weights include batch-norm running statistics
 *     optimizer.json   optimiser kind, options and per-parameter step counts
 *     optimizer.bin    its moments, float32, TF.js weights format (specs in optimizer.json)
 *     state.json       epoch / batch / global step, the config, the RNG scheme and seed,
 *                      the partial-epoch sums, the best validation accuracy, the epoch metrics
 *
 * A checkpoint is written into `.checkpoint.tmp-<pid>` and swapped in with two renames
 * (old → `.checkpoint.old-<pid>`, new → `checkpoint`), so at every instant either the
 * previous or the new checkpoint is complete on disk; `findCheckpoint` also recovers the
 * old one when a crash fell between the two renames.
 *
 * There is no generator state to save: every random number of a run is a pure function of
 * (seed, purpose, epoch, position) (see ./random.ts), so (seed, epoch, batch, step) is the
 * RNG state.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import { type ModelMeta, readModelFolder, saveModel } from '../models/io.js';
import type { SkeletonModel } from '../models/types.js';
import type { ExperimentConfig } from './config.js';
import type { Optimizer, OptimizerStateJson } from './optimizer.js';
import { SkelactError, parseWith } from '../core/errors.js';

export const CHECKPOINT_FORMAT = 'skelact-checkpoint';
/** 2: parameters, dropout and data streams all come from src/core/random.ts (sfc32). */
export const CHECKPOINT_VERSION = 2;
export const CHECKPOINT_DIR = 'checkpoint';
export const CHECKPOINT_FILES = {
  model: 'model',
  optimizer: 'optimizer.json',
  optimizerData: 'optimizer.bin',
  state: 'state.json',
} as const;

/** One line of metrics.jsonl. */
export interface EpochMetrics {
  /** Epochs completed (1-based). */
  readonly epoch: number;
  /** Optimiser steps completed. */
  readonly step: number;
  /** Learning rate of the epoch's last step. */
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly valTop1?: number;
  readonly valTop5?: number;
  readonly valLoss?: number;
  /** Wall time of the epoch (training, validation and checkpoint). */
  readonly seconds: number;
  /** Training samples per second (training steps only). */
  readonly samplesPerSecond: number;
}

/** Sums of the epoch in progress (all zero at an epoch boundary). */
export interface RunningSums {
  readonly lossSum: number;
  readonly correct: number;
  readonly seen: number;
  readonly batches: number;
  readonly trainSeconds: number;
  readonly seconds: number;
  readonly lastLr: number;
}

export interface CheckpointState {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
  readonly config: ExperimentConfig;
  /** 0-based epoch the run continues in. */
  readonly epoch: number;
  /** Next batch of that epoch (0 at an epoch boundary). */
  readonly batch: number;
  /** Optimiser steps done. */
  readonly step: number;
  readonly itersPerEpoch: number;
  readonly rng: { readonly seed: number; readonly scheme: string };
  readonly running: RunningSums;
  readonly best: { readonly epoch: number; readonly top1: number } | null;
  readonly history: EpochMetrics[];
  /** The cache the run trains on (absent in checkpoints written before it was recorded). */
  readonly data?: CheckpointData;
}

/** What a checkpoint records of its cache, so a resume on other data is noticed. */
export interface CheckpointData {
  readonly fingerprint: string;
  readonly dataset: string;
  readonly samples: number;
  readonly source: string;
  readonly createdAt: string;
  readonly dir: string;
  /** The cache's preprocessing options (manifest.preprocessing). */
  readonly preprocessing?: Record<string, unknown>;
}

const metricsSchema = z
  .object({
    epoch: z.number().int().min(1),
    step: z.number().int().min(0),
    lr: z.number(),
    trainLoss: z.number(),
    trainAccuracy: z.number(),
    valTop1: z.number().optional(),
    valTop5: z.number().optional(),
    valLoss: z.number().optional(),
    seconds: z.number(),
    samplesPerSecond: z.number(),
  })
  .strict();

const stateSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    version: z.literal(CHECKPOINT_VERSION),
    config: z.record(z.string(), z.unknown()),
    epoch: z.number().int().min(0),
    batch: z.number().int().min(0),
    step: z.number().int().min(0),
    itersPerEpoch: z.number().int().min(1),
    rng: z.object({ seed: z.number().int(), scheme: z.string() }).strict(),
    running: z
      .object({
        lossSum: z.number(),
        correct: z.number(),
        seen: z.number(),
        batches: z.number(),
        trainSeconds: z.number(),
        seconds: z.number(),
        lastLr: z.number(),
      })
      .strict(),
    best: z.object({ epoch: z.number().int(), top1: z.number() }).strict().nullable(),
    history: z.array(metricsSchema),
    data: z
      .object({
        fingerprint: z.string(),
        dataset: z.string(),
        samples: z.number().int().min(0),
        source: z.string(),
        createdAt: z.string(),
        dir: z.string(),
        preprocessing: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const optimizerJsonSchema = z
  .object({
    format: z.literal('skelact-optimizer'),
    version: z.number().int(),
    kind: z.enum(['adamw', 'sgd']),
    options: z.record(z.string(), z.unknown()),
    steps: z.record(z.string(), z.number().int().min(0)),
    weightsManifest: z.array(
      z
        .object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.literal('float32') })
        .passthrough(),
    ),
  })
  .strict();

export class CheckpointError extends SkelactError {
  readonly code = 'invalid-checkpoint';

  constructor(dir: string, message: string) {
    super(`checkpoint ${dir}: ${message}`);
  }
}

/** Writes a checkpoint of the run into `<outDir>/checkpoint` (atomically, see module comment). */
export async function writeCheckpoint(
  outDir: string,
  model: SkeletonModel,
  meta: ModelMeta,
  optimizer: Optimizer,
  state: CheckpointState,
): Promise<string> {
  const final = join(outDir, CHECKPOINT_DIR);
  const tmp = join(outDir, `.${CHECKPOINT_DIR}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await saveModel(join(tmp, CHECKPOINT_FILES.model), model, meta);
    const opt = await optimizer.getState();
    writeFileSync(join(tmp, CHECKPOINT_FILES.optimizerData), new Uint8Array(opt.data));
    writeFileSync(
      join(tmp, CHECKPOINT_FILES.optimizer),
      `${JSON.stringify({ ...opt.json, weightsManifest: opt.specs }, null, 1)}\n`,
    );
    writeFileSync(join(tmp, CHECKPOINT_FILES.state), `${JSON.stringify(state, null, 1)}\n`);
    if (existsSync(final)) {
      const old = join(outDir, `.${CHECKPOINT_DIR}.old-${process.pid}`);
      rmSync(old, { recursive: true, force: true });
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, final);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return final;
}

/** The checkpoint folder of a run, if any (recovering one left between the two renames of a swap). */
export function findCheckpoint(outDir: string): string | undefined {
  const final = join(outDir, CHECKPOINT_DIR);
  if (existsSync(join(final, CHECKPOINT_FILES.state))) return final;
  if (!existsSync(outDir)) return undefined;
  const old = readdirSync(outDir)
    .filter((e) => e.startsWith(`.${CHECKPOINT_DIR}.old-`))
    .map((e) => join(outDir, e))
    .find((d) => existsSync(join(d, CHECKPOINT_FILES.state)));
  if (old) {
    rmSync(final, { recursive: true, force: true });
    renameSync(old, final);
    return final;
  }
  return undefined;
}

/** Reads and validates state.json. */
export function readCheckpointState(dir: string): CheckpointState {
  const path = join(dir, CHECKPOINT_FILES.state);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CheckpointError(dir, `${CHECKPOINT_FILES.state} cannot be read (${(e as Error).message})`);
  }
  const r = raw as { format?: unknown; version?: unknown };
  if (r?.format === CHECKPOINT_FORMAT && r.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      dir,
      `${CHECKPOINT_FILES.state} says checkpoint version ${String(r.version)}; this skelact reads version ${CHECKPOINT_VERSION} (its random number streams differ, so the run cannot continue exactly: start it again)`,
    );
  }
  return parseWith(
    stateSchema,
    raw,
    join(dir, CHECKPOINT_FILES.state),
    (field, detail) => new CheckpointError(dir, `${CHECKPOINT_FILES.state} field '${field ?? '(root)'}': ${detail}`),
  ) as unknown as CheckpointState;
}

/**
 * Loads a checkpoint's weights into `model` and its moments into `optimizer`, after checking
 * every file (sizes, shapes) so nothing is changed when something is wrong.
 */
export function restoreCheckpoint(dir: string, model: SkeletonModel, optimizer: Optimizer): CheckpointState {
  const state = readCheckpointState(dir);
  let folder: ReturnType<typeof readModelFolder>;
  try {
    folder = readModelFolder(join(dir, CHECKPOINT_FILES.model));
  } catch (e) {
    throw new CheckpointError(dir, (e as Error).message);
  }
  if (folder.manifest.kind !== model.kind)
    throw new CheckpointError(dir, `holds a '${folder.manifest.kind}' model, this run trains '${model.kind}'`);
  let optRaw: unknown;
  try {
    optRaw = JSON.parse(readFileSync(join(dir, CHECKPOINT_FILES.optimizer), 'utf8'));
  } catch (e) {
    throw new CheckpointError(dir, `${CHECKPOINT_FILES.optimizer} cannot be read (${(e as Error).message})`);
  }
  const optimizerState = parseWith(
    optimizerJsonSchema,
    optRaw,
    join(dir, CHECKPOINT_FILES.optimizer),
    (field, detail) =>
      new CheckpointError(dir, `${CHECKPOINT_FILES.optimizer} field '${field ?? '(root)'}': ${detail}`),
  );
  const bytes = readFileSync(join(dir, CHECKPOINT_FILES.optimizerData));
  const expected = optimizerState.weightsManifest.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.length !== expected)
    throw new CheckpointError(
      dir,
      `${CHECKPOINT_FILES.optimizerData} has ${bytes.length} bytes, ${CHECKPOINT_FILES.optimizer} describes ${expected} (truncated or corrupt)`,
    );
  const { weightsManifest, ...json } = optimizerState;
  // Both loads validate shapes before assigning anything; the model's load is all-or-nothing per parameter list.
  try {
    const decoded = tf.io.decodeWeights(folder.data, folder.specs);
    const shapeErrors = model.params
      .entries()
      .filter(([info]) => decoded[info.name] && decoded[info.name].shape.join(',') !== info.shape.join(','))
      .map(
        ([info]) =>
          `'${info.name}' is [${decoded[info.name].shape.join(', ')}], the model has [${info.shape.join(', ')}]`,
      );
    tf.dispose(Object.values(decoded));
    if (shapeErrors.length > 0) throw new Error(`weights do not fit this model: ${shapeErrors.slice(0, 3).join('; ')}`);
    model.params.loadWeights(folder.specs, folder.data);
    optimizer.setState({
      json: json as unknown as OptimizerStateJson,
      specs: weightsManifest as tf.io.WeightsManifestEntry[],
      data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    });
  } catch (e) {
    throw e instanceof CheckpointError ? e : new CheckpointError(dir, (e as Error).message);
  }
  return state;
}
