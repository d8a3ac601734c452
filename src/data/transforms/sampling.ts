/**
 * Temporal sampling of clips to a fixed number of frames, shared by training and
 * evaluation. Three recipes, each re-implemented from the reference pipelines:
 *
 *  - `validCropResize` (CTR-GCN `valid_crop_resize`): crop the valid frames (train: random
 *    ratio p ∈ [0.5, 1], at least `minLength` frames; test: centre crop p = 0.95), then
 *    resize linearly to `window` frames (PyTorch `interpolate`, align_corners = False).
 *  - `validCropUniform` (SkateFormer `valid_crop_uniform`): the same crop, then segment-wise
 *    frame picking (random in training, strided in test), interpolating only when the crop
 *    is shorter than the window; also returns each output frame's source index (for the
 *    Skate-Embedding).
 *  - `uniformSampleIndices` (PYSKL `UniformSample`): one frame per equal segment (with
 *    looping for short clips), several clips in test mode.
 *
 * Randomness comes from a caller-supplied `random()` returning [0, 1), so training is
 * reproducible from one seed.
 */
import { type SkeletonClip, makeClip, validFrameCount } from '../../graph/clip.js';

import type { UniformRandom } from '../../core/random.js';

export type { UniformRandom };

export interface SampledClip {
  readonly clip: SkeletonClip;
  /** Source frame (possibly fractional) of each output frame, in valid-frame coordinates. */
  readonly sourceIndex: Float32Array;
  /** Number of valid frames of the input clip. */
  readonly validFrames: number;
}

/** Integer in [0, n) from a uniform random source. */
export function randomInt(random: UniformRandom, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * Linear interpolation weights of PyTorch's `interpolate(mode='linear', align_corners=False)`
 * from `inputSize` to `outputSize` points: output i mixes inputs lo[i] and hi[i].
 */
export function linearResizeWeights(
  inputSize: number,
  outputSize: number,
): { lo: Int32Array; hi: Int32Array; w: Float64Array } {
  if (inputSize < 1 || outputSize < 1) throw new Error(`cannot resize ${inputSize} frames to ${outputSize}`);
  const scale = inputSize / outputSize;
  const lo = new Int32Array(outputSize);
  const hi = new Int32Array(outputSize);
  const w = new Float64Array(outputSize);
  for (let i = 0; i < outputSize; i++) {
    const src = Math.max(0, scale * (i + 0.5) - 0.5);
    const i0 = Math.min(Math.floor(src), inputSize - 1);
    lo[i] = i0;
    hi[i] = i0 < inputSize - 1 ? i0 + 1 : i0;
    w[i] = src - i0;
  }
  return { lo, hi, w };
}

/** Frames [start, start + length) of a clip (frames beyond the end read as zeros, like the zero-padded reference arrays). */
export function gatherFrames(clip: SkeletonClip, frames: ArrayLike<number>): SkeletonClip {
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const n = V * C;
  const out = new Float32Array(M * frames.length * n);
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < frames.length; i++) {
      const t = frames[i];
      if (t < 0 || t >= T) continue;
      const src = (m * T + t) * n;
      out.set(clip.data.subarray(src, src + n), (m * frames.length + i) * n);
    }
  }
  return makeClip(out, M, frames.length, V, C);
}

/** Resizes a clip to `outputFrames` by linear interpolation in time. */
export function linearResize(clip: SkeletonClip, outputFrames: number): SkeletonClip {
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  if (T === outputFrames) return makeClip(new Float32Array(clip.data), M, T, V, C);
  const { lo, hi, w } = linearResizeWeights(T, outputFrames);
  const n = V * C;
  const out = new Float32Array(M * outputFrames * n);
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < outputFrames; i++) {
      const a = (m * T + lo[i]) * n;
      const b = (m * T + hi[i]) * n;
      const o = (m * outputFrames + i) * n;
      const wi = w[i];
      for (let k = 0; k < n; k++) out[o + k] = (1 - wi) * clip.data[a + k] + wi * clip.data[b + k];
    }
  }
  return makeClip(out, M, outputFrames, V, C);
}

function resizeIndex(index: Float64Array | Float32Array, outputSize: number): Float32Array {
  const { lo, hi, w } = linearResizeWeights(index.length, outputSize);
  return Float32Array.from({ length: outputSize }, (_, i) => (1 - w[i]) * index[lo[i]] + w[i] * index[hi[i]]);
}

export interface CropOptions {
  /** Output frames (64 in CTR-GCN and SkateFormer). */
  readonly window: number;
  /** [p] for a deterministic centre crop (test), [pMin, pMax] for a random crop (train). */
  readonly pInterval: readonly [number] | readonly [number, number];
  /** Random crops are never shorter than this (CTR-GCN 64; SkateFormer `thres`). */
  readonly minLength?: number;
  /** Required for random crops. */
  readonly random?: UniformRandom;
}

function checkCrop(options: CropOptions): void {
  const { pInterval, window } = options;
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  if (pInterval.some((p) => !(p > 0 && p <= 1)))
    throw new Error(`crop ratios must lie in (0, 1], got [${pInterval.join(', ')}]`);
  if (pInterval.length === 2 && !options.random) throw new Error('a random crop needs a random source');
}

/** CTR-GCN `valid_crop_resize` (see module comment). */
export function validCropResize(clip: SkeletonClip, options: CropOptions): SampledClip {
  checkCrop(options);
  const valid = validFrameCount(clip);
  if (valid === 0) throw new Error('cannot crop a clip with no valid frame');
  const minLength = options.minLength ?? options.window;
  let start: number;
  let length: number;
  if (options.pInterval.length === 1) {
    const p = options.pInterval[0];
    const bias = Math.trunc(((1 - p) * valid) / 2);
    start = bias;
    length = valid - 2 * bias;
  } else {
    const [lo, hi] = options.pInterval;
    const p = options.random!() * (hi - lo) + lo;
    length = Math.min(Math.max(Math.floor(valid * p), minLength), valid);
    start = randomInt(options.random!, valid - length + 1);
  }
  const cropped = gatherFrames(
    clip,
    Array.from({ length }, (_, i) => start + i),
  );
  const out = linearResize(cropped, options.window);
  const source = resizeIndex(
    Float64Array.from({ length }, (_, i) => start + i),
    options.window,
  );
  return { clip: out, sourceIndex: source, validFrames: valid };
}

/** SkateFormer `valid_crop_uniform` (see module comment); `minLength` is its `thres`. */
export function validCropUniform(clip: SkeletonClip, options: CropOptions): SampledClip {
  checkCrop(options);
  const { window } = options;
  const valid = validFrameCount(clip);
  if (valid === 0) throw new Error('cannot crop a clip with no valid frame');
  const thres = options.minLength ?? window;
  let indices: number[];
  if (options.pInterval.length === 1) {
    const p = options.pInterval[0];
    const length = Math.min(Math.max(Math.floor(valid * p), thres), valid);
    const bias = Math.trunc(((1 - p) * valid) / 2);
    indices =
      length < window
        ? Array.from({ length }, (_, i) => i)
        : Array.from({ length: window }, (_, i) => Math.floor((i * length) / window));
    indices = indices.map((i) => i + bias);
  } else {
    const random = options.random!;
    const [lo, hi] = options.pInterval;
    const p = random() * (hi - lo) + lo;
    const length = Math.min(Math.max(Math.floor(valid * p), thres), valid);
    const bias = randomInt(random, valid - length + 1);
    indices = segmentIndices(length, window, random).map((i) => i + bias);
  }
  // The reference indexes a zero-padded 300-frame array, so an index at or past the valid
  // length (possible in its test crop) reads zeros; gatherFrames does the same.
  let sampled = gatherFrames(clip, indices);
  let source: Float32Array = Float32Array.from(indices);
  if (indices.length !== window) {
    sampled = linearResize(sampled, window);
    source = resizeIndex(source, window);
  }
  return { clip: sampled, sourceIndex: source, validFrames: valid };
}

/**
 * `window` frame indices out of `length` (PYSKL/SkateFormer training rule): all frames when
 * length < window; window frames with `length − window` random skips when length < 2·window;
 * otherwise one random frame in each of `window` equal segments.
 */
export function segmentIndices(length: number, window: number, random: UniformRandom): number[] {
  if (length < window) return Array.from({ length }, (_, i) => i);
  if (length < 2 * window) {
    // Choose (length − window) distinct skip positions among window + 1 gaps.
    const positions = Array.from({ length: window + 1 }, (_, i) => i);
    for (let i = positions.length - 1; i > 0; i--) {
      const j = randomInt(random, i + 1);
      [positions[i], positions[j]] = [positions[j], positions[i]];
    }
    const skip = new Uint8Array(window + 1);
    for (const p of positions.slice(0, length - window)) skip[p] = 1;
    const out: number[] = [];
    let offset = 0;
    for (let i = 0; i < window; i++) {
      offset += skip[i];
      out.push(i + offset);
    }
    return out;
  }
  return Array.from({ length: window }, (_, i) => {
    const start = Math.floor((i * length) / window);
    const end = Math.floor(((i + 1) * length) / window);
    return start + randomInt(random, end - start);
  });
}

/**
 * PYSKL `UniformSample`: `numClips` × `clipLength` frame indices into a clip of `frames`
 * frames (indices wrap around for short clips). In test mode the reference reseeds its
 * generator (seed 255) so every evaluation sees the same frames; pass a fresh seeded random
 * source for that.
 */
export function uniformSampleIndices(
  frames: number,
  clipLength: number,
  numClips: number,
  random: UniformRandom,
  test = false,
): Int32Array {
  if (frames < 1) throw new Error('cannot sample a clip with no frames');
  const out = new Int32Array(numClips * clipLength);
  for (let c = 0; c < numClips; c++) {
    let inds: number[];
    if (frames < clipLength) {
      const start = test ? (frames < numClips ? c : Math.floor((c * frames) / numClips)) : randomInt(random, frames);
      inds = Array.from({ length: clipLength }, (_, i) => start + i);
    } else {
      inds = segmentIndices(frames, clipLength, random);
    }
    for (let i = 0; i < clipLength; i++) out[c * clipLength + i] = inds[i] % frames;
  }
  return out;
}
