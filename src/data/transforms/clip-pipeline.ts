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
import { type SampledClip, type UniformRandom, gatherFrames, uniformSampleIndices, validCropResize, validCropUniform } from './sampling.js';

/** What the clip pipeline needs to know about the model. */
export interface ModelInputSpec {
  readonly persons: number;
  readonly jointOrder: Int32Array;
  readonly inChannels: number;
  readonly frames: number;
}

/** Seed of the deterministic test-time draws of PYSKL's UniformSample (it reseeds with 255). */
const UNIFORM_TEST_SEED = 255;

/**
 * Cuts a clip to `data.frames` frames by the configured sampling (random in training when
 * `random` is given, the deterministic test-time cut otherwise), with each frame's source index.
 */
export function sampleClip(clip: SkeletonClip, data: DataConfig, random: UniformRandom | undefined, index = 0): SampledClip {
  const window = data.frames;
  switch (data.sampling) {
    case 'crop-resize':
      return validCropResize(clip, random ? { window, pInterval: data.trainCrop, minLength: data.minLength, random } : { window, pInterval: [data.testCrop] });
    case 'skateformer':
      return validCropUniform(clip, random ? { window, pInterval: data.trainCrop, minLength: data.minLength, random } : { window, pInterval: [data.testCrop], minLength: data.minLength });
    case 'uniform': {
      const frames = clip.frames;
      if (frames === 0) throw new Error(`sample ${index} has no frames`);
      const r = random ?? randomStream(UNIFORM_TEST_SEED, 'evaluation', index);
      const idx = uniformSampleIndices(frames, window, 1, r, !random);
      return { clip: gatherFrames(clip, idx), sourceIndex: Float32Array.from(idx), validFrames: frames };
    }
    case 'ucla': {
      const idx = uclaFrameIndices(clip.frames, window, random);
      return { clip: gatherFrames(clip, idx), sourceIndex: Float32Array.from(idx), validFrames: clip.frames };
    }
    default:
      throw new Error(`unknown sampling '${data.sampling as string}'`);
  }
}

/**
 * The test-time pipeline of one clip, as evaluation runs it (normalisation, sampling, person
 * slots, modality), without a cache: for data that arrives another way (a pose stream).
 */
export function testTimeClip(clip: SkeletonClip, data: DataConfig, layout: Layout, model: ModelInputSpec, index = 0): { clip: SkeletonClip; indexT: Float32Array } {
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
  return Int32Array.from({ length: window }, (_, i) => (i === window - 1 && window > 1 ? length - 1 : Math.floor(i * step)));
}
