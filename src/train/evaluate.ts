/**
 * Evaluation of a model over a split (test-time frame sampling, no augmentation), the score
 * files that `ensemble` fuses, and the fusion itself.
 *
 *   scores.npy   float32 [N, classes]: softmax probabilities, one row per sample
 *   scores.json  {format, version, classNames, samples: [names], labels: [...], indices: [...]}
 *
 * Accuracy conventions: a sample is correct at top-k when fewer than k classes score
 * strictly higher than its label (ties count in its favour); top-5 with fewer than 5 classes
 * is top-K. Per-class accuracy is null for classes without samples. The confusion matrix has
 * true classes as rows and predicted classes (arg-max, lowest index on ties) as columns.
 */
import * as tf from '@tensorflow/tfjs';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkReplaceable } from '../util/replace.js';
import * as z from 'zod';
import type { SkeletonCache } from '../data/cache/reader.js';
import { readNpy, writeNpy } from '../data/cache/npy.js';
import { writeFileAtomic } from '../core/files.js';
import type { OnnxClassifier } from '../models/onnx/runner.js';
import type { SkeletonModel } from '../models/types.js';
import type { ExperimentConfig } from './config.js';
import { SkeletonLoader, disposeModelInputs, toModelInputs } from './loader.js';
import { SkelactError, parseWith, optionName } from '../core/errors.js';
import { throwOnWebGpuFault } from '../engine/webgpu.js';

export const SCORES_FORMAT = 'skelact-scores';
export const SCORES_VERSION = 1;
export const SCORE_FILES = { scores: 'scores.npy', meta: 'scores.json' } as const;

/** Per-sample scores of one run (a model over a split), what `ensemble` fuses. */
export interface ScoreRun {
  readonly classNames: readonly string[];
  /** Sample names, in row order. */
  readonly names: readonly string[];
  readonly labels: Int32Array;
  /** Cache indices of the rows (absent for fused runs read from elsewhere). */
  readonly indices?: Int32Array;
  /** [N · classes] row-major. */
  readonly scores: Float32Array;
}

/**
 * Refuses scores with NaN or ±Infinity (a broken model, or a sample the model cannot take):
 * accuracy over them would be a silent wrong number and a probability of them reads "NaN %".
 */
export function checkFiniteScores(run: Pick<ScoreRun, 'names' | 'scores' | 'classNames'>, model: string): void {
  const K = run.classNames.length;
  const rows = new Set<number>();
  for (let i = 0; i < run.scores.length; i++) if (!Number.isFinite(run.scores[i])) rows.add(Math.floor(i / K));
  if (rows.size === 0) return;
  const first = [...rows].slice(0, 3).map((r) => run.names[r]);
  throw new Error(
    `model ${model} gave non-finite scores (NaN or Infinity) for ${rows.size} of ${run.names.length} samples (${first.join(', ')}${rows.size > 3 ? ', …' : ''}); no accuracy or probability is printed from them. Check the model (skelact model-info --model ${model}) and the input`,
  );
}

export interface ClassAccuracy {
  readonly name: string;
  readonly total: number;
  readonly correct: number;
  /** null when the class has no sample. */
  readonly accuracy: number | null;
}

export interface ScoreMetrics {
  readonly samples: number;
  readonly top1: number;
  readonly top5: number;
  readonly perClass: ClassAccuracy[];
  /** confusion[true][predicted]. */
  readonly confusion: number[][];
}

/** A model's scores on a split: top-1 / top-5, per-class accuracy, the confusion matrix and every sample's scores. */
export interface EvaluationResult extends ScoreMetrics, ScoreRun {
  /** Mean cross-entropy (no label smoothing) over the samples. */
  readonly loss: number;
  readonly seconds: number;
}

/** What evaluation runs: a TensorFlow.js model, or an exported ONNX model on ONNX Runtime (`--engine onnx`). */
export type EvaluatedModel = SkeletonModel | OnnxClassifier;

export interface EvaluateOptions {
  readonly model: EvaluatedModel;
  readonly cache: SkeletonCache;
  readonly config: Pick<ExperimentConfig, 'seed' | 'data' | 'augment'>;
  /** Cache indices to evaluate. */
  readonly indices: readonly number[];
  readonly batchSize: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** Runs `model` over the samples (test-time sampling, no augmentation). */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  const loader = new SkeletonLoader({
    cache: options.cache,
    indices: options.indices,
    config: options.config,
    model: options.model,
    training: false,
    batchSize: options.batchSize,
  });
  return evaluateWithLoader(
    options.model,
    loader,
    options.cache.manifest.classNames,
    options.cache,
    options.onProgress,
    options.signal,
  );
}

/** The evaluation loop over a prepared (non-training) loader. */
export async function evaluateWithLoader(
  model: EvaluatedModel,
  loader: SkeletonLoader,
  classNames: readonly string[],
  cache: SkeletonCache,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  if (loader.options.training) throw new Error('evaluation needs a test-mode loader');
  const started = performance.now();
  const N = loader.epochSize;
  const K = classNames.length;
  const scores = new Float32Array(N * K);
  const labels = new Int32Array(N);
  const indices = new Int32Array(N);
  let row = 0;
  let lossSum = 0;
  for await (const host of loader.epoch(0)) {
    if (signal?.aborted) throw abortError(signal);
    const inputs = toModelInputs(host, model);
    try {
      // ONNX Runtime runs asynchronously: its logits come first, the scoring is shared.
      const onnxLogits = 'logits' in model ? await model.logits(host.x, host.indexT, host.size) : undefined;
      const [probs, losses] = tf.tidy(() => {
        const out = onnxLogits
          ? { logits: tf.tensor2d(onnxLogits, [host.size, onnxLogits.length / host.size]) }
          : (model as SkeletonModel).forward(inputs.batch, { training: false });
        if (out.logits.shape[1] !== K)
          throw new Error(`the model gives ${out.logits.shape[1]} class scores, the dataset has ${K} classes`);
        const logp = tf.logSoftmax(out.logits, -1);
        const valid = tf.greaterEqual(inputs.labels, 0);
        const safe = tf.where(valid, inputs.labels, tf.zerosLike(inputs.labels));
        const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(safe, K)), -1));
        return [tf.exp(logp), tf.where(valid, nll, tf.zerosLike(nll))];
      });
      const [p, l] = await Promise.all([probs.data(), losses.data()]).finally(() => tf.dispose([probs, losses]));
      // On the webgpu backend a device fault is reported on the side, not by the reads.
      throwOnWebGpuFault('evaluation');
      scores.set(p as Float32Array, row * K);
      for (let i = 0; i < host.size; i++) lossSum += l[i];
      labels.set(host.labels, row);
      indices.set(host.samples, row);
      row += host.size;
    } catch (e) {
      // A lost device rejects reads with an empty error: say what happened instead.
      throwOnWebGpuFault('evaluation');
      throw e;
    } finally {
      disposeModelInputs(inputs);
    }
    onProgress?.(row, N);
  }
  const names = Array.from(indices, (i) => cache.sample(i).name);
  const metrics = scoreMetrics({ classNames, names, labels, scores });
  const labelled = labels.filter((l) => l >= 0).length;
  return {
    ...metrics,
    classNames: [...classNames],
    names,
    labels,
    indices,
    scores,
    loss: labelled > 0 ? lossSum / labelled : Number.NaN,
    seconds: (performance.now() - started) / 1000,
  };
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new Error('evaluation was aborted');
}

/** Accuracy, per-class accuracy and confusion matrix of a score matrix (unlabelled rows, label −1, are left out). */
export function scoreMetrics(run: Pick<ScoreRun, 'classNames' | 'labels' | 'scores' | 'names'>): ScoreMetrics {
  const K = run.classNames.length;
  const N = run.labels.length;
  if (run.scores.length !== N * K)
    throw new Error(`scores hold ${run.scores.length} values, expected ${N} samples × ${K} classes`);
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  const totals = new Array<number>(K).fill(0);
  const correct = new Array<number>(K).fill(0);
  let top1 = 0;
  let top5 = 0;
  let labelled = 0;
  const k5 = Math.min(5, K);
  for (let i = 0; i < N; i++) {
    const y = run.labels[i];
    if (y < 0) continue;
    if (y >= K) throw new Error(`sample ${i} ('${run.names[i]}') has label ${y}, outside the ${K} classes`);
    labelled++;
    const row = run.scores.subarray(i * K, (i + 1) * K);
    let best = 0;
    let higher = 0;
    for (let k = 0; k < K; k++) {
      if (row[k] > row[best]) best = k;
      if (row[k] > row[y]) higher++;
    }
    confusion[y][best]++;
    totals[y]++;
    if (best === y) {
      correct[y]++;
      top1++;
    }
    if (higher < k5) top5++;
  }
  return {
    samples: labelled,
    top1: labelled > 0 ? top1 / labelled : Number.NaN,
    top5: labelled > 0 ? top5 / labelled : Number.NaN,
    perClass: run.classNames.map((name, k) => ({
      name,
      total: totals[k],
      correct: correct[k],
      accuracy: totals[k] > 0 ? correct[k] / totals[k] : null,
    })),
    confusion,
  };
}

const scoresJsonSchema = z
  .object({
    format: z.literal(SCORES_FORMAT),
    version: z.number().int(),
    classNames: z.array(z.string()).min(1),
    samples: z.array(z.string()),
    labels: z.array(z.number().int().min(-1)),
    indices: z.array(z.number().int().min(0)).optional(),
    provenance: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  })
  .strict();

/** Writes scores.npy and scores.json into `dir` (each file atomically). */
export function writeScores(dir: string, run: ScoreRun, provenance?: Record<string, string | number>): void {
  const K = run.classNames.length;
  const N = run.names.length;
  if (run.labels.length !== N || run.scores.length !== N * K)
    throw new Error(
      `inconsistent scores: ${N} names, ${run.labels.length} labels, ${run.scores.length} values for ${K} classes`,
    );
  // A scores folder may replace a scores folder; a folder of anything else is left alone.
  checkReplaceable(dir, {
    kind: 'a scores folder (scores.json, scores.npy)',
    isOwnKind: (d) => existsSync(join(d, SCORE_FILES.meta)),
    replace: true,
    howToAvoid: `choose another ${optionName('scores')} folder`,
  });
  mkdirSync(dir, { recursive: true });
  const npyPath = join(dir, SCORE_FILES.scores);
  const tmp = join(dirname(npyPath), `.${basename(npyPath)}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w');
  try {
    writeNpy(fd, '<f4', [N, K], run.scores);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, npyPath);
  const meta = {
    format: SCORES_FORMAT,
    version: SCORES_VERSION,
    classNames: [...run.classNames],
    samples: [...run.names],
    labels: Array.from(run.labels),
    ...(run.indices ? { indices: Array.from(run.indices) } : {}),
    ...(provenance ? { provenance } : {}),
  };
  writeFileAtomic(join(dir, SCORE_FILES.meta), `${JSON.stringify(meta)}\n`);
}

export class ScoresError extends SkelactError {
  readonly code = 'invalid-scores';

  constructor(dir: string, message: string) {
    super(`scores ${dir}: ${message}`);
  }
}

/** Reads a folder written by writeScores, checking that the two files agree. */
export function readScores(dir: string): ScoreRun {
  const metaPath = join(dir, SCORE_FILES.meta);
  const npyPath = join(dir, SCORE_FILES.scores);
  if (!existsSync(metaPath) || !existsSync(npyPath))
    throw new ScoresError(dir, `needs ${SCORE_FILES.scores} and ${SCORE_FILES.meta} (run evaluate first)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (e) {
    throw new ScoresError(dir, `${SCORE_FILES.meta} is not valid JSON (${(e as Error).message})`);
  }
  const r = raw as { format?: unknown; version?: unknown };
  if (r?.format === SCORES_FORMAT && r.version !== SCORES_VERSION)
    throw new ScoresError(
      dir,
      `score format version ${String(r.version)} is not supported (expects ${SCORES_VERSION})`,
    );
  const meta = parseWith(
    scoresJsonSchema,
    raw,
    join(dir, SCORE_FILES.meta),
    (field, detail) => new ScoresError(dir, `${SCORE_FILES.meta} field '${field ?? '(root)'}': ${detail}`),
  );
  let npy: ReturnType<typeof readNpy>;
  try {
    npy = readNpy(npyPath);
  } catch (e) {
    throw new ScoresError(dir, (e as Error).message);
  }
  const N = meta.samples.length;
  const K = meta.classNames.length;
  if (
    !(npy.data instanceof Float32Array) ||
    npy.info.shape.length !== 2 ||
    npy.info.shape[0] !== N ||
    npy.info.shape[1] !== K
  ) {
    throw new ScoresError(
      dir,
      `${SCORE_FILES.scores} must be float32 [${N}, ${K}] to match ${SCORE_FILES.meta}, it is ${npy.info.dtype} [${npy.info.shape.join(', ')}]`,
    );
  }
  if (meta.labels.length !== N)
    throw new ScoresError(dir, `${SCORE_FILES.meta} has ${meta.labels.length} labels for ${N} samples`);
  return {
    classNames: meta.classNames,
    names: meta.samples,
    labels: Int32Array.from(meta.labels),
    indices: meta.indices ? Int32Array.from(meta.indices) : undefined,
    scores: npy.data,
  };
}

/**
 * Weighted late fusion: Σ wᵢ · scoresᵢ (the score files hold softmax probabilities, so this
 * is PSUMNet's / the usual E2/E4 ensemble). Every run must cover the same samples in the same
 * order with the same labels and classes. Weights default to 1 each.
 */
export function fuseScores(runs: readonly ScoreRun[], weights?: readonly number[]): ScoreRun {
  if (runs.length === 0) throw new Error('fusing needs at least one score run');
  const w = weights ?? runs.map(() => 1);
  if (w.length !== runs.length) throw new Error(`${runs.length} runs but ${w.length} weights`);
  w.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new Error(`weight ${i + 1} is not a finite number (${x})`);
  });
  const [first] = runs;
  const K = first.classNames.length;
  const N = first.names.length;
  runs.forEach((run, r) => {
    const which = `run ${r + 1}`;
    if (run.classNames.length !== K || run.classNames.some((c, k) => c !== first.classNames[k]))
      throw new Error(`${which} has other classes than run 1 (${run.classNames.length} vs ${K} classes)`);
    if (run.names.length !== N)
      throw new Error(`${which} has ${run.names.length} samples, run 1 has ${N}: the runs must cover the same samples`);
    for (let i = 0; i < N; i++) {
      if (run.names[i] !== first.names[i]) {
        const elsewhere = first.names.indexOf(run.names[i]);
        throw new Error(
          `${which} row ${i} is sample '${run.names[i]}' but run 1 has '${first.names[i]}' there${elsewhere >= 0 ? ` (run 1 has it at row ${elsewhere}: same samples, other order)` : ' (run 1 does not have it)'}`,
        );
      }
      if (run.labels[i] !== first.labels[i])
        throw new Error(
          `${which} labels sample '${run.names[i]}' ${run.labels[i]}, run 1 labels it ${first.labels[i]}`,
        );
    }
  });
  const scores = new Float32Array(N * K);
  runs.forEach((run, r) => {
    for (let i = 0; i < scores.length; i++) scores[i] += w[r] * run.scores[i];
  });
  return { classNames: first.classNames, names: first.names, labels: first.labels, indices: first.indices, scores };
}

export interface ShotGroupAccuracy {
  readonly group: 'many' | 'medium' | 'few';
  /** Classes in the group (by training count) and their test samples. */
  readonly classes: number;
  readonly samples: number;
  readonly correct: number;
  readonly accuracy: number | null;
}

/**
 * Accuracy over the test samples of the classes with many (> thresholds[0]), medium and few
 * (< thresholds[1]) training samples, or undefined when the training split is not imbalanced
 * (largest count under twice the smallest).
 */
export function shotGroupAccuracy(
  metrics: Pick<ScoreMetrics, 'perClass'>,
  trainCounts: readonly number[] | undefined,
  thresholds: readonly [number, number] = [100, 20],
): ShotGroupAccuracy[] | undefined {
  if (!trainCounts) return undefined;
  const present = trainCounts.filter((n) => n > 0);
  if (present.length < 2 || Math.max(...present) < 2 * Math.min(...present)) return undefined;
  const [many, few] = thresholds;
  const groupOf = (n: number) => (n > many ? 'many' : n >= few ? 'medium' : 'few');
  return (['many', 'medium', 'few'] as const).map((group) => {
    const rows = metrics.perClass.filter((c, k) => trainCounts[k] > 0 && groupOf(trainCounts[k]) === group);
    const samples = rows.reduce((s, c) => s + c.total, 0);
    const correct = rows.reduce((s, c) => s + c.correct, 0);
    return { group, classes: rows.length, samples, correct, accuracy: samples > 0 ? correct / samples : null };
  });
}
