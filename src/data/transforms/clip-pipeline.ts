/**
 * One clip cut to a model's input, as both training (src/train/loader.ts) and serving
 * (src/serve/stream-classifier.ts) do it, so a stream is prepared exactly as evaluation
 * prepared the test split:
 *
 *   [data.normalize] → frame sampling (data.sampling; also each frame's source index)
 *     → person slots padded to the model's → modality (the configured bone tree)
 */
import type { SkeletonClip } from '../../graph/clip.js';
import { type Layout, boneTreeOf } from '../../graph/layout.js';
import { toModality } from '../../graph/modalities.js';
import { randomStream } from '../../core/random.js';
import type { DataConfig } from '../config.js';
import { padPersons, sampleSorted, spatialNormalize } from './augment.js';
import {
  type SampledClip,
  type UniformRandom,
  gatherFrames,
  uniformSampleIndices,
  validCropResize,
  validCropUniform,
} from './sampling.js';

/** What the clip pipeline needs to know about the model. */
export interface ModelInputSpec {
  readonly persons: number;
  readonly jointOrder: Int32Array;
  readonly inChannels: number;
  readonly frames: number;
}

/** Seed of the deterministic test-time draws of PYSKL's UniformSample (it reseeds with 255). */
const UNIFORM_TEST_SEED = 255;

type Sampler = (clip: SkeletonClip, data: DataConfig, random: UniformRandom | undefined, index: number) => SampledClip;

/**
 * The frame samplings of the configs' `data.sampling`, one row each: random in training
 * (`random` given), the deterministic test-time cut otherwise. src/data/config.ts lists their
 * names for the schema (SAMPLINGS); the record's type makes the compiler check that this
 * table has exactly those rows.
 */
export const SAMPLERS: Readonly<Record<DataConfig['sampling'], Sampler>> = {
  /** CTR-GCN: a random valid crop resized to the window (centre crop at test time). */
  'crop-resize': (clip, data, random) =>
    validCropResize(
      clip,
      random
        ? { window: data.frames, pInterval: data.trainCrop, minLength: data.minLength, random }
        : { window: data.frames, pInterval: [data.testCrop] },
    ),
  /** SkateFormer NTU (valid_crop_uniform): a random valid crop, frames drawn uniformly from it. */
  skateformer: (clip, data, random) =>
    validCropUniform(
      clip,
      random
        ? { window: data.frames, pInterval: data.trainCrop, minLength: data.minLength, random }
        : { window: data.frames, pInterval: [data.testCrop], minLength: data.minLength },
    ),
  /** PYSKL UniformSample: one frame from each of `frames` segments (seeded with 255 at test time, as PYSKL). */
  uniform: (clip, data, random, index) => {
    if (clip.frames === 0) throw new Error(`sample ${index} has no frames`);
    const r = random ?? randomStream(UNIFORM_TEST_SEED, 'evaluation', index);
    const idx = uniformSampleIndices(clip.frames, data.frames, 1, r, !random);
    return { clip: gatherFrames(clip, idx), sourceIndex: Float32Array.from(idx), validFrames: clip.frames };
  },
  /** The SkateFormer NW-UCLA feeder: sorted draws with repeats in training, evenly spaced at test time. */
  ucla: (clip, data, random) => {
    const idx = uclaFrameIndices(clip.frames, data.frames, random);
    return { clip: gatherFrames(clip, idx), sourceIndex: Float32Array.from(idx), validFrames: clip.frames };
  },
};

/**
 * Cuts a clip to `data.frames` frames by the configured sampling (random in training when
 * `random` is given, the deterministic test-time cut otherwise), with each frame's source index.
 */
export function sampleClip(
  clip: SkeletonClip,
  data: DataConfig,
  random: UniformRandom | undefined,
  index = 0,
): SampledClip {
  const sampler = SAMPLERS[data.sampling] as Sampler | undefined;
  if (!sampler) throw new Error(`unknown sampling '${data.sampling as string}'`);
  return sampler(clip, data, random, index);
}

/**
 * The test-time pipeline of one clip, as evaluation runs it (normalisation, sampling, person
 * slots, modality), without a cache: for data that arrives another way (a pose stream).
 */
export function testTimeClip(
  clip: SkeletonClip,
  data: DataConfig,
  layout: Layout,
  model: ModelInputSpec,
  index = 0,
): { clip: SkeletonClip; indexT: Float32Array } {
  let c = data.normalize === 'none' ? clip : spatialNormalize(clip, layout, data.normalize);
  const sampled = sampleClip(c, data, undefined, index);
  c = padPersons(sampled.clip, model.persons, data.fillMissingPersons);
  const indexT = Float32Array.from(sampled.sourceIndex, (s) => (2 * s) / sampled.validFrames - 1);
  return { clip: toModality(c, boneTreeOf(layout, data.boneTree), data.modality), indexT };
}

/**
 * The SkateFormer NW-UCLA feeder's frame choice: training draws `window` positions without
 * replacement from `length` frames each repeated 100 times, sorted (so frames repeat);
 * testing takes `floor(linspace(0, length − 1, window))`.
 */
export function uclaFrameIndices(length: number, window: number, random: UniformRandom | undefined): Int32Array {
  if (length < 1) throw new Error('cannot sample a clip with no frames');
  if (random) {
    const picks = sampleSorted(random, 100 * length, window);
    return Int32Array.from(picks, (p) => p % length).sort();
  }
  const step = window > 1 ? (length - 1) / (window - 1) : 0;
  return Int32Array.from({ length: window }, (_, i) =>
    i === window - 1 && window > 1 ? length - 1 : Math.floor(i * step),
  );
}
