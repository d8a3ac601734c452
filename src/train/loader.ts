/**
 * Batches for training and evaluation from a SkeletonCache split. One sample goes through
 *
 *   read clip → [data.normalize 'ucla-minmax', with the preset's random view in training]
 *     → frame sampling (config.data.sampling; also gives index_t)
 *     → person slots padded to the model's (zeros or copies of person 0)
 *     → augmentation (training only, on joints, as the reference feeders do)
 *     → modality (`toModality` with the configured bone tree of the cache layout)
 *     → `toModelBatch` (the model's persons and joint order)
 *
 * and a batch is B such samples as Float32Arrays; tensors are only made by `toModelInputs`,
 * right before the model runs, so nothing here can leak tensors.
 *
 * Order and randomness are functions of (seed, epoch, position): the training order of an
 * epoch is a seeded shuffle of the (repeated) split, and each sample's frame sampling and
 * augmentation draw from a stream keyed by (epoch, position in the epoch). Batch b of epoch e
 * is therefore the same whether it is made first, last, in a prefetch or after a resume.
 *
 * Augmentation runs on joints before the modality (as in the SkateFormer feeders), so bone
 * and motion inputs see the augmented skeleton, and Skeleton-AdaIN can work on joints.
 */
import * as tf from '@tensorflow/tfjs';
import type { SkeletonClip } from '../graph/clip.js';
import { type Layout, getLayout } from '../graph/layout.js';
import { modalityChannels, toModality } from '../graph/modalities.js';
import { boneTreeOf } from '../graph/layout.js';
import type { SkeletonCache } from '../data/cache/reader.js';
import { type AugmentPipeline, applyMatrix, padPersons, spatialNormalize } from '../data/transforms/augment.js';
import { augmentPipelineOf } from '../data/transforms/augment-steps.js';
import type { UniformRandom } from '../data/transforms/sampling.js';
import { type ModelInputSpec, sampleClip, testTimeClip } from '../data/transforms/clip-pipeline.js';
import { toModelBatch } from '../models/input.js';
import type { ModelBatch } from '../models/types.js';
import type { ExperimentConfig } from './config.js';
import { randomStream, shuffled } from '../core/random.js';

// The clip pipeline lives in src/data (serving uses it too); these names stay importable from here.
export { sampleClip, testTimeClip, uclaFrameIndices } from '../data/transforms/clip-pipeline.js';

/** What the loader needs to know about the model. */
export type LoaderModelSpec = ModelInputSpec;

export interface LoaderOptions {
  readonly cache: SkeletonCache;
  /** Cache sample indices of the split. */
  readonly indices: readonly number[];
  readonly config: Pick<ExperimentConfig, 'seed' | 'data' | 'augment'> & Partial<Pick<ExperimentConfig, 'longTail'>>;
  readonly model: LoaderModelSpec;
  /** Training: shuffled, repeated, augmented, random sampling, last partial batch dropped. */
  readonly training: boolean;
  readonly batchSize: number;
  /** Samples Skeleton-AdaIN may draw same-class references from (default: `indices`). */
  readonly referencePool?: readonly number[];
}

/** One batch, host side. */
export interface HostBatch {
  readonly epoch: number;
  readonly batch: number;
  readonly size: number;
  /** [B, T, V, C] in the model layout. */
  readonly x: Float32Array;
  /** [B, T]: each frame's source position, 2·idx/valid − 1 (SkateFormer index_t). */
  readonly indexT: Float32Array;
  readonly labels: Int32Array;
  /** Cache index of each sample. */
  readonly samples: Int32Array;
}

export interface PreparedSample {
  readonly clip: SkeletonClip;
  readonly indexT: Float32Array;
  readonly label: number;
  readonly index: number;
}

/** Sample indices grouped by their label, each group in the order given. */
export function indicesByLabel(indices: Iterable<number>, labels: ArrayLike<number>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const i of indices) {
    const label = labels[i];
    let list = groups.get(label);
    if (!list) groups.set(label, (list = []));
    list.push(i);
  }
  return groups;
}

export class SkeletonLoader {
  readonly layout: Layout;
  readonly augment: AugmentPipeline;
  /** Skeleton-AdaIN reference pools: the reference pool's samples by label (training only). */
  private readonly byLabel: Map<number, number[]>;
  /** The split's own samples by label, for the class-balanced and √n samplers. */
  private readonly splitByLabel: Map<number, number[]>;
  private lastOrder?: { epoch: number; order: Int32Array };

  constructor(readonly options: LoaderOptions) {
    const { cache, indices, batchSize, model, config } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    if (indices.length === 0) throw new Error('the split is empty');
    for (const i of indices)
      if (!Number.isInteger(i) || i < 0 || i >= cache.size)
        throw new RangeError(`sample index ${i} is outside the cache (0..${cache.size - 1})`);
    this.layout = getLayout(cache.manifest.layout);
    // A stacked modality (jb) gives the model several times the cache's channels.
    const channels = modalityChannels(config.data.modality, cache.manifest.channels.length);
    if (model.inChannels !== channels) {
      throw new Error(
        `the model takes ${model.inChannels} input channels but the cache clips have ${cache.manifest.channels.length} (${cache.manifest.channels.join(', ')}), which modality '${config.data.modality}' makes ${channels}: set model.inChannels to ${channels}`,
      );
    }
    if (model.frames !== config.data.frames)
      throw new Error(
        `the model takes ${model.frames} frames but the config samples ${config.data.frames} (data.frames)`,
      );
    for (const j of model.jointOrder)
      if (j < 0 || j >= this.layout.numJoints)
        throw new Error(
          `the model's joint order names joint ${j}, the layout '${this.layout.name}' has ${this.layout.numJoints}`,
        );
    this.augment = augmentPipelineOf(config.augment);
    if (options.training) {
      for (const i of indices)
        if (cache.labels[i] < 0) throw new Error(`training sample ${i} ('${cache.sample(i).name}') has no label`);
      if (indices.length * config.data.repeat < batchSize) {
        throw new Error(
          `the training split has ${indices.length * config.data.repeat} samples per epoch (repeat ${config.data.repeat}), fewer than one batch of ${batchSize}`,
        );
      }
    }
    this.byLabel = options.training ? indicesByLabel(options.referencePool ?? indices, cache.labels) : new Map();
    this.splitByLabel =
      options.training && (config.longTail?.sampler ?? 'uniform') !== 'uniform'
        ? indicesByLabel(indices, cache.labels)
        : new Map();
  }

  /** Samples per epoch (the split times the repeat factor in training). */
  get epochSize(): number {
    return this.options.training
      ? this.options.indices.length * this.options.config.data.repeat
      : this.options.indices.length;
  }

  /** Batches per epoch: full batches only in training (PyTorch drop_last), all samples otherwise. */
  get batchesPerEpoch(): number {
    const n = this.epochSize;
    const b = this.options.batchSize;
    return this.options.training ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** Cache indices in the order epoch `epoch` visits them. */
  order(epoch: number): Int32Array {
    if (this.lastOrder?.epoch === epoch) return this.lastOrder.order;
    const order = this.makeOrder(epoch);
    this.lastOrder = { epoch, order };
    return order;
  }

  private makeOrder(epoch: number): Int32Array {
    const { indices, training, config } = this.options;
    if (!training) return Int32Array.from(indices);
    const sampler = config.longTail?.sampler ?? 'uniform';
    if (sampler !== 'uniform') return this.balancedOrder(epoch, sampler);
    const n = indices.length;
    const positions = shuffled(
      Array.from({ length: n * config.data.repeat }, (_, i) => i),
      randomStream(config.seed, 'shuffle', epoch),
    );
    return Int32Array.from(positions, (p) => indices[p % n]);
  }

  /**
   * A class-balanced epoch (or classes drawn ∝ √n_c): as many draws as the epoch has samples,
   * each a class by its probability, then one of its samples, all from the epoch's seeded stream.
   */
  private balancedOrder(epoch: number, sampler: 'class-balanced' | 'sqrt'): Int32Array {
    const { config } = this.options;
    const byClass = this.splitByLabel;
    const classes = [...byClass.keys()].sort((a, b) => a - b);
    const weights = classes.map((c) => (sampler === 'sqrt' ? Math.sqrt(byClass.get(c)!.length) : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    // Cumulative class probabilities: class k is drawn when u < cumulative[k].
    const cumulative: number[] = [];
    let sum = 0;
    for (const w of weights) cumulative.push((sum += w / total));
    const random = randomStream(config.seed, 'shuffle', epoch);
    const out = new Int32Array(this.epochSize);
    for (let p = 0; p < out.length; p++) {
      const u = random();
      let k = cumulative.findIndex((c) => u < c);
      if (k < 0) k = classes.length - 1;
      const pool = byClass.get(classes[k])!;
      out[p] = pool[Math.min(pool.length - 1, Math.floor(random() * pool.length))];
    }
    return out;
  }

  /** One sample through the whole pipeline; `position` is its place in the epoch's order. */
  prepare(index: number, epoch: number, position: number): PreparedSample {
    try {
      return this.prepareUnchecked(index, epoch, position);
    } catch (e) {
      const name = this.options.cache.sample(index).name;
      throw new Error(`sample ${index} ('${name}'): ${(e as Error).message}`, { cause: e });
    }
  }

  private prepareUnchecked(index: number, epoch: number, position: number): PreparedSample {
    const { cache, config, model, training } = this.options;
    const { data } = config;
    const sample = cache.read(index);
    // Test time: the one pipeline that streams (src/serve) also use, so they match evaluation.
    if (!training) return { ...testTimeClip(sample.clip, data, this.layout, model, index), label: sample.label, index };
    const random = randomStream(config.seed, 'sample', epoch, position);
    let clip = sample.clip;
    const view = this.augment.randomView ? this.augment.randomView(random) : undefined;
    if (data.normalize !== 'none') clip = spatialNormalize(clip, this.layout, data.normalize, view);
    else if (view) clip = applyMatrix(clip, view);
    const sampled = sampleClip(clip, data, random, index);
    clip = padPersons(sampled.clip, model.persons, data.fillMissingPersons);
    const indexT = Float32Array.from(sampled.sourceIndex, (s) => (2 * s) / sampled.validFrames - 1);
    clip = this.augment.afterSampling(
      clip,
      { layout: this.layout, indexT, sameClassReference: (r) => this.reference(sample.label, r) },
      random,
    );
    clip = toModality(clip, boneTreeOf(this.layout, data.boneTree), data.modality);
    return { clip, indexT, label: sample.label, index };
  }

  /** Batch `batch` of epoch `epoch`, host side. */
  batch(epoch: number, batch: number): HostBatch {
    const { batchSize, model, config } = this.options;
    if (!Number.isInteger(batch) || batch < 0 || batch >= this.batchesPerEpoch)
      throw new RangeError(`batch ${batch} is outside 0..${this.batchesPerEpoch - 1}`);
    const order = this.order(epoch);
    const start = batch * batchSize;
    const end = Math.min(order.length, start + batchSize);
    const prepared: PreparedSample[] = [];
    for (let p = start; p < end; p++) prepared.push(this.prepare(order[p], epoch, p));
    const T = model.frames;
    const x = toModelBatch(
      prepared.map((s) => s.clip),
      { persons: model.persons, jointOrder: model.jointOrder, frames: T, channels: model.inChannels },
      config.data.fillMissingPersons,
    );
    const indexT = new Float32Array(prepared.length * T);
    prepared.forEach((s, i) => indexT.set(s.indexT, i * T));
    return {
      epoch,
      batch,
      size: prepared.length,
      x,
      indexT,
      labels: Int32Array.from(prepared, (s) => s.label),
      samples: Int32Array.from(prepared, (s) => s.index),
    };
  }

  /**
   * The batches of one epoch from `from` on, preparing up to `prefetch` batches ahead on
   * the event loop (they are made while the consumer awaits, e.g. a GPU result).
   */
  async *epoch(
    epoch: number,
    options: { from?: number; prefetch?: number } = {},
  ): AsyncGenerator<HostBatch, void, undefined> {
    const from = options.from ?? 0;
    const prefetch = Math.max(0, options.prefetch ?? 1);
    const total = this.batchesPerEpoch;
    const queue: Array<Promise<HostBatch>> = [];
    let next = from;
    const schedule = () => {
      const b = next++;
      const made = new Promise<HostBatch>((resolve, reject) =>
        setImmediate(() => {
          try {
            resolve(this.batch(epoch, b));
          } catch (e) {
            reject(e);
          }
        }),
      );
      // A consumer that stops early never awaits the batches made ahead; keep their errors quiet.
      made.catch(() => undefined);
      queue.push(made);
    };
    while (next < total && queue.length < prefetch + 1) schedule();
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (next < total) schedule();
      yield await current;
    }
  }

  private reference(label: number, random: UniformRandom): SkeletonClip {
    const pool = this.byLabel.get(label);
    if (!pool || pool.length === 0)
      throw new Error(`no training sample of class ${label} to draw a Skeleton-AdaIN reference from`);
    const i = pool[Math.min(pool.length - 1, Math.floor(random() * pool.length))];
    return padPersons(
      this.options.cache.read(i).clip,
      this.options.model.persons,
      this.options.config.data.fillMissingPersons,
    );
  }
}

/** Tensors for the model; the caller disposes them (tf.dispose on the result). */
export function toModelInputs(host: HostBatch, model: LoaderModelSpec): { batch: ModelBatch; labels: tf.Tensor1D } {
  const V = model.persons * model.jointOrder.length;
  return {
    batch: {
      x: tf.tensor4d(host.x, [host.size, model.frames, V, model.inChannels]),
      indexT: tf.tensor2d(host.indexT, [host.size, model.frames]),
    },
    labels: tf.tensor1d(host.labels, 'int32'),
  };
}

/** Disposes what toModelInputs made. */
export function disposeModelInputs(inputs: { batch: ModelBatch; labels: tf.Tensor1D }): void {
  tf.dispose([inputs.batch.x, inputs.labels, ...(inputs.batch.indexT ? [inputs.batch.indexT] : [])]);
}
