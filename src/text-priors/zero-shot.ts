/**
 * Recognition by description, beyond GAP: a model trained with text priors maps a sequence
 * into the sentence encoder's space (its five slot embeddings), so it can be compared with
 * the descriptions of classes it never trained on, or with any free-text query.
 *
 * Class score = mean over the five slots of cos(slot embedding, class prototype of that slot)
 * (prototypes: ./prompts.ts); query score = mean over slots of cos(slot embedding, query).
 */
import * as tf from '@tensorflow/tfjs';
import type { SkeletonCache } from '../data/cache/reader.js';
import { TEXT_SLOTS, type TextHeadSpec, projectToText } from '../models/text-head.js';
import type { SkeletonModel } from '../models/types.js';
import type { ExperimentConfig } from '../train/config.js';
import { SkeletonLoader, disposeModelInputs, toModelInputs } from '../train/loader.js';
import type { ClassDescription } from './descriptions.js';
import type { SentenceEncoder } from './encoder.js';
import { type TextTable, buildTextTable } from './prompts.js';

export interface SequenceTextEmbeddings {
  readonly dim: number;
  /** Per slot, [N · dim] unit vectors. */
  readonly slots: readonly Float32Array[];
  readonly labels: Int32Array;
  /** Cache sample index of each row. */
  readonly indices: Int32Array;
}

/** The slot embeddings of cache samples, through the model's test-time pipeline. */
export async function embedSequences(options: {
  model: SkeletonModel;
  spec: TextHeadSpec;
  cache: SkeletonCache;
  config: Pick<ExperimentConfig, 'seed' | 'data' | 'augment'>;
  indices: readonly number[];
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<SequenceTextEmbeddings> {
  const { model, spec } = options;
  const loader = new SkeletonLoader({
    cache: options.cache,
    indices: options.indices,
    config: options.config as ExperimentConfig,
    model,
    training: false,
    batchSize: options.batchSize ?? 32,
  });
  const N = loader.epochSize;
  const E = spec.dim;
  const slots = TEXT_SLOTS.map(() => new Float32Array(N * E));
  const labels = new Int32Array(N);
  const indices = new Int32Array(N);
  let row = 0;
  for await (const host of loader.epoch(0)) {
    const inputs = toModelInputs(host, model);
    try {
      const projected = tf.tidy(() =>
        projectToText(model.params, spec, model.forward(inputs.batch, { training: false })),
      );
      const values = await Promise.all(projected.map((p) => p.data()));
      tf.dispose(projected);
      values.forEach((v, k) => slots[k].set(v as Float32Array, row * E));
      labels.set(host.labels, row);
      indices.set(host.samples, row);
      row += host.size;
    } finally {
      disposeModelInputs(inputs);
    }
    options.onProgress?.(row, N);
  }
  return { dim: E, slots, labels, indices };
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ai + i] * b[bi + i];
  return s;
}

/** Scores [N · K] of each sequence against `classes` (indices into the table), mean cosine over slots. */
export function classTextScores(
  embeddings: SequenceTextEmbeddings,
  table: TextTable,
  classes: readonly number[],
): Float32Array {
  const { dim } = embeddings;
  if (table.dim !== dim)
    throw new Error(`zero-shot: the model's text head has dimension ${dim}, the text table ${table.dim}`);
  const N = embeddings.labels.length;
  const K = classes.length;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let slot = 0; slot < TEXT_SLOTS.length; slot++)
        s += dot(embeddings.slots[slot], n * dim, table.prototypes[slot], classes[k] * dim, dim);
      out[n * K + k] = s / TEXT_SLOTS.length;
    }
  }
  return out;
}

/** Scores [N] of each sequence against one unit query vector, mean cosine over slots. */
export function queryScores(embeddings: SequenceTextEmbeddings, query: Float32Array): Float32Array {
  const { dim } = embeddings;
  if (query.length !== dim)
    throw new Error(`search: the query vector has ${query.length} values, the model's text head ${dim}`);
  const N = embeddings.labels.length;
  const out = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let slot = 0; slot < TEXT_SLOTS.length; slot++) s += dot(embeddings.slots[slot], n * dim, query, 0, dim);
    out[n] = s / TEXT_SLOTS.length;
  }
  return out;
}

export interface ZeroShotResult {
  /** The candidate (unseen) classes, by name. */
  readonly classes: readonly string[];
  readonly samples: number;
  /** Top-1 among the candidate classes. */
  readonly top1: number;
  /** 1 / number of candidates. */
  readonly chance: number;
  readonly perClass: ReadonlyArray<{ name: string; correct: number; total: number; accuracy: number | null }>;
  /** Rows: true class, columns: predicted, over the candidates. */
  readonly confusion: number[][];
}

/** Zero-shot accuracy: each sequence of a candidate class assigned to the candidate with the highest score. */
export function zeroShotAccuracy(
  embeddings: SequenceTextEmbeddings,
  table: TextTable,
  candidates: readonly number[],
): ZeroShotResult {
  if (candidates.length < 2)
    throw new Error(`zero-shot needs at least two unseen classes to choose between, got ${candidates.length}`);
  const position = new Map(candidates.map((c, k) => [c, k]));
  const rows = [...embeddings.labels.keys()].filter((n) => position.has(embeddings.labels[n]));
  const K = candidates.length;
  const scores = classTextScores(embeddings, table, candidates);
  const confusion = candidates.map(() => new Array<number>(K).fill(0));
  for (const n of rows) {
    let best = 0;
    for (let k = 1; k < K; k++) if (scores[n * K + k] > scores[n * K + best]) best = k;
    confusion[position.get(embeddings.labels[n])!][best]++;
  }
  const perClass = candidates.map((c, k) => {
    const total = confusion[k].reduce((a, b) => a + b, 0);
    return {
      name: table.classNames[c],
      correct: confusion[k][k],
      total,
      accuracy: total > 0 ? confusion[k][k] / total : null,
    };
  });
  const correct = perClass.reduce((s, c) => s + c.correct, 0);
  return {
    classes: candidates.map((c) => table.classNames[c]),
    samples: rows.length,
    top1: rows.length > 0 ? correct / rows.length : Number.NaN,
    chance: 1 / K,
    perClass,
    confusion,
  };
}

/**
 * Zero-shot evaluation end to end: the unseen classes' descriptions embedded (through the
 * cache) into their prototypes, the split's samples of those classes through the model's text
 * head, each assigned to the nearest unseen class. `indices` may hold other classes' samples;
 * they are left out.
 */
export async function evaluateZeroShot(options: {
  model: SkeletonModel;
  spec: TextHeadSpec;
  cache: SkeletonCache;
  config: Pick<ExperimentConfig, 'seed' | 'data' | 'augment'>;
  indices: readonly number[];
  /** Unseen class names, as the cache spells them, and their descriptions in the same order. */
  unseen: readonly string[];
  descriptions: readonly ClassDescription[];
  encoder: SentenceEncoder;
  batchSize?: number;
  /** Called once the samples are known (their count), then as they are embedded. */
  onProgress?: (done: number, total: number) => void;
}): Promise<ZeroShotResult> {
  const { cache, unseen } = options;
  const names = cache.manifest.classNames;
  const table = await buildTextTable(options.encoder, options.descriptions);
  const unseenLabels = new Set(unseen.map((u) => names.indexOf(u)));
  const indices = options.indices.filter((i) => unseenLabels.has(cache.labels[i]));
  if (indices.length === 0)
    throw new Error(
      `benchmark '${options.config.data.benchmark}' has no samples of ${unseen.join(', ')} in the split evaluated`,
    );
  options.onProgress?.(0, indices.length);
  const embeddings = await embedSequences({ ...options, indices });
  // Cache labels → positions in the unseen table.
  const remapped = { ...embeddings, labels: embeddings.labels.map((l) => unseen.indexOf(names[l])) };
  return zeroShotAccuracy(
    remapped,
    table,
    unseen.map((_, k) => k),
  );
}
