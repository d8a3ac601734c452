/**
 * Training augmentations on library clips ([persons, frames, joints, channels], xyz in the
 * first three channels), re-implemented from the SkateFormer feeders (`feeders/tools.py`,
 * `feeder_ntu.py`, `feeder_ucla.py`) and CTR-GCN's `random_rot`.
 *
 * Every transform is a pure function returning a new clip; the random ones take a
 * caller-supplied uniform source, so a training run is reproducible from its seed. Points
 * are transformed as column vectors, x' = R·x, which is what the reference's
 * `np.dot(data.T, R.T)` computes.
 *
 * Two chains are presets (`augmentPreset`):
 *  - 'ntu-skateformer' (`aug_method a123489`, intra_p 0.5, inter_p 0.2): with probability
 *    intraP the intra-instance chain runs, each step independently with p = 0.5: a person
 *    swap, 1 shear ±0.5, 2 rotation ±30° about a random axis, 3 per-axis scale ±0.2,
 *    4 left/right flip, 8 drop one axis, 9 drop 5–15 joints over 16–32 frames; otherwise,
 *    with probability interP, Skeleton-AdaIN against a same-class sample; otherwise nothing.
 *  - 'ucla-skateformer': before frame sampling a random view (x and y rotation, integer
 *    degrees in [−60, 60], scale U(0.5, 1.5)), which the loader applies inside the feeder's
 *    centring and min-max normalisation (`uclaNormalize`, the config's data.normalize
 *    'ucla-minmax', used at test time too); after sampling drop-axis and drop 4–12 joints
 *    over 16–32 frames (each p 0.5).
 *  - 'rotate' (CTR-GCN/PSUMNet `random_rot`): Rz·Ry·Rx with three angles U(−0.3, 0.3) rad.
 *
 * Reference details kept on purpose:
 *  - The reference flip (AimCLR's `spatial_flip`) only swaps left and right joints; it does
 *    not negate x. The preset does the same (`flip: 'swap'`); `flip: 'mirror'` swaps and
 *    negates the layout's mirror axis, a true mirror image.
 *  - Skeleton-AdaIN pins the rebuilt skeleton's anchor joint (NTU SpineMid, joint 2) to the
 *    reference's anchor position; persons or frames missing in the reference (zero bones)
 *    shrink the input's bones to ~0, as in the reference (eps = 1e-5).
 *  - The UCLA min-max normalisation runs after the random view and so undoes its scale,
 *    exactly as in the reference.
 */
import { type SkeletonClip, makeClip, validFrameCount } from '../../graph/clip.js';
import type { Layout } from '../../graph/layout.js';
import { jointIndex } from '../../graph/layout.js';
import type { BoneTree } from '../../graph/parts.js';
import { jointsFromBones } from '../../graph/modalities.js';
import { type UniformRandom, gatherFrames } from './sampling.js';

/** A 3×3 matrix, row-major: m[3·r + c]. */
export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

export const IDENTITY3: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

// ---------------------------------------------------------------------------------------------
// Random helpers (all draws go through the caller's uniform source)

/** Uniform in [lo, hi). */
export function uniform(random: UniformRandom, lo: number, hi: number): number {
  return lo + (hi - lo) * random();
}

/** Integer in [lo, hi], both inclusive (Python's `random.randint`). */
export function randint(random: UniformRandom, lo: number, hi: number): number {
  return lo + Math.min(hi - lo, Math.floor(random() * (hi - lo + 1)));
}

/**
 * `k` distinct integers out of [0, n), sorted (Python's `sorted(random.sample(range(n), k))`);
 * a partial Fisher–Yates over a sparse table, so n may be large.
 */
export function sampleSorted(random: UniformRandom, n: number, k: number): number[] {
  const count = Math.min(k, n);
  const moved = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.min(n - i - 1, Math.floor(random() * (n - i)));
    const atJ = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
    out.push(atJ);
  }
  return out.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Matrices

export function multiply3(a: Matrix3, b: Matrix3): Matrix3 {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) out[3 * r + c] = a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c];
  return out as unknown as Matrix3;
}

export function transpose3(m: Matrix3): Matrix3 {
  return [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
}

/**
 * The reference's rotation about one axis (0 = x, 1 = y, 2 = z) by `radians`:
 * x: [[1,0,0],[0,c,s],[0,−s,c]], y: [[c,0,−s],[0,1,0],[s,0,c]], z: [[c,s,0],[−s,c,0],[0,0,1]].
 */
export function axisRotation(axis: number, radians: number): Matrix3 {
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  switch (axis) {
    case 0:
      return [1, 0, 0, 0, c, s, 0, -s, c];
    case 1:
      return [c, 0, -s, 0, 1, 0, s, 0, c];
    case 2:
      return [c, s, 0, -s, c, 0, 0, 0, 1];
    default:
      throw new Error(`rotation axis must be 0, 1 or 2, got ${axis}`);
  }
}

/** The reference shear: [[1, s1₀, s2₀], [s1₁, 1, s2₁], [s1₂, s2₂, 1]]. */
export function shearMatrix(s1: readonly [number, number, number], s2: readonly [number, number, number]): Matrix3 {
  return [1, s1[0], s2[0], s1[1], 1, s2[1], s1[2], s2[2], 1];
}

export function scaleMatrix(scale: readonly [number, number, number]): Matrix3 {
  return [scale[0], 0, 0, 0, scale[1], 0, 0, 0, scale[2]];
}

// ---------------------------------------------------------------------------------------------
// Deterministic transforms

function check3d(clip: SkeletonClip, what: string): void {
  if (clip.channels < 3)
    throw new Error(`${what} needs xyz clips (3 spatial channels), this clip has ${clip.channels} channels`);
}

/** x' = M·x for every point (channels beyond xyz are copied). */
export function applyMatrix(clip: SkeletonClip, m: Matrix3): SkeletonClip {
  check3d(clip, 'a spatial transform');
  const C = clip.channels;
  const src = clip.data;
  const out = new Float32Array(src);
  for (let p = 0; p < src.length; p += C) {
    const x = src[p];
    const y = src[p + 1];
    const z = src[p + 2];
    out[p] = m[0] * x + m[1] * y + m[2] * z;
    out[p + 1] = m[3] * x + m[4] * y + m[5] * z;
    out[p + 2] = m[6] * x + m[7] * y + m[8] * z;
  }
  return makeClip(out, clip.persons, clip.frames, clip.joints, C);
}

/**
 * Left/right flip. 'swap' exchanges mirrored joints only (the SkateFormer/AimCLR
 * `spatial_flip`); 'mirror' also negates the layout's mirror axis (a mirror image).
 * Either is its own inverse.
 */
export function flipJoints(
  clip: SkeletonClip,
  layout: Pick<Layout, 'flipPermutation' | 'mirrorAxis' | 'numJoints'>,
  mode: 'swap' | 'mirror',
): SkeletonClip {
  if (clip.joints !== layout.numJoints)
    throw new Error(`clip has ${clip.joints} joints but the layout has ${layout.numJoints}`);
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const out = new Float32Array(clip.data.length);
  const negate = mode === 'mirror' ? layout.mirrorAxis : -1;
  for (let f = 0; f < M * T; f++) {
    const base = f * V * C;
    for (let v = 0; v < V; v++) {
      const src = base + layout.flipPermutation[v] * C;
      const dst = base + v * C;
      for (let c = 0; c < C; c++) out[dst + c] = c === negate ? -clip.data[src + c] : clip.data[src + c];
    }
  }
  return makeClip(out, M, T, V, C);
}

/** Zeroes one spatial axis (0, 1 or 2) everywhere. */
export function dropAxis(clip: SkeletonClip, axis: number): SkeletonClip {
  if (!(axis >= 0 && axis < Math.min(3, clip.channels)))
    throw new Error(`axis ${axis} is not a spatial axis of this clip`);
  const out = new Float32Array(clip.data);
  for (let p = axis; p < out.length; p += clip.channels) out[p] = 0;
  return makeClip(out, clip.persons, clip.frames, clip.joints, clip.channels);
}

/** Zeroes every channel of the given joints in the given frames, for every person. */
export function dropJoints(clip: SkeletonClip, joints: readonly number[], frames: readonly number[]): SkeletonClip {
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const out = new Float32Array(clip.data);
  for (const t of frames) {
    if (t < 0 || t >= T) throw new RangeError(`frame ${t} is outside 0..${T - 1}`);
    for (const v of joints) {
      if (v < 0 || v >= V) throw new RangeError(`joint ${v} is outside 0..${V - 1}`);
      for (let m = 0; m < M; m++) out.fill(0, ((m * T + t) * V + v) * C, ((m * T + t) * V + v + 1) * C);
    }
  }
  return makeClip(out, M, T, V, C);
}

/** Exchanges persons 0 and 1 (the reference's `[:, :, :, [1, 0]]`). */
export function swapPersons(clip: SkeletonClip): SkeletonClip {
  if (clip.persons < 2)
    throw new Error(`a person swap needs at least 2 person slots, the clip has ${clip.persons} (pad it first)`);
  const n = clip.frames * clip.joints * clip.channels;
  const out = new Float32Array(clip.data);
  out.set(clip.data.subarray(n, 2 * n), 0);
  out.set(clip.data.subarray(0, n), n);
  return makeClip(out, clip.persons, clip.frames, clip.joints, clip.channels);
}

/**
 * Brings a clip to exactly `persons` person slots: extra persons are dropped, missing ones
 * are zeros or copies of person 0 (the model input conventions of ../models/input.ts).
 */
export function padPersons(clip: SkeletonClip, persons: number, fill: 'zeros' | 'copy' = 'zeros'): SkeletonClip {
  if (clip.persons === persons) return clip;
  const n = clip.frames * clip.joints * clip.channels;
  const out = new Float32Array(persons * n);
  out.set(clip.data.subarray(0, Math.min(persons, clip.persons) * n));
  if (fill === 'copy' && clip.persons > 0)
    for (let m = clip.persons; m < persons; m++) out.set(clip.data.subarray(0, n), m * n);
  return makeClip(out, persons, clip.frames, clip.joints, clip.channels);
}

/** Per-bone Euclidean length (xyz) of every person, frame and joint: [M·T·V]. */
export function boneLengths(clip: SkeletonClip, tree: BoneTree): Float32Array {
  check3d(clip, 'bone lengths');
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const out = new Float32Array(M * T * V);
  for (let f = 0; f < M * T; f++) {
    for (let v = 0; v < V; v++) {
      const a = (f * V + v) * C;
      const b = (f * V + tree.parents[v]) * C;
      const dx = clip.data[a] - clip.data[b];
      const dy = clip.data[a + 1] - clip.data[b + 1];
      const dz = clip.data[a + 2] - clip.data[b + 2];
      out[f * V + v] = Math.sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return out;
}

/**
 * Skeleton-AdaIN (SkateFormer `skeleton_adain_bone_length`): every bone of `input` is
 * rescaled, per person and frame, to the length of the same bone in `reference` (scale
 * (|b_ref| + eps) / (|b_in| + eps)), the joints are rebuilt from the bones, and the skeleton
 * is placed so that `anchor` sits where the reference's anchor is. Both clips must have the
 * same shape (sample the reference at the input's frames first).
 */
export function skeletonAdaIN(
  input: SkeletonClip,
  reference: SkeletonClip,
  tree: BoneTree,
  anchor: number,
  eps = 1e-5,
): SkeletonClip {
  check3d(input, 'Skeleton-AdaIN');
  const { persons: M, frames: T, joints: V, channels: C } = input;
  if (reference.persons !== M || reference.frames !== T || reference.joints !== V || reference.channels !== C) {
    throw new Error(
      `Skeleton-AdaIN needs clips of one shape: input ${M}×${T}×${V}×${C}, reference ${reference.persons}×${reference.frames}×${reference.joints}×${reference.channels}`,
    );
  }
  if (tree.numJoints !== V) throw new Error(`the bone tree has ${tree.numJoints} joints, the clip ${V}`);
  const lenIn = boneLengths(input, tree);
  const lenRef = boneLengths(reference, tree);
  const boneData = new Float32Array(input.data.length);
  for (let f = 0; f < M * T; f++) {
    for (let v = 0; v < V; v++) {
      if (v === tree.center) continue;
      const a = (f * V + v) * C;
      const b = (f * V + tree.parents[v]) * C;
      const s = (lenRef[f * V + v] + eps) / (lenIn[f * V + v] + eps);
      for (let c = 0; c < 3; c++) boneData[a + c] = (input.data[a + c] - input.data[b + c]) * s;
    }
  }
  const rebuilt = jointsFromBones(makeClip(boneData, M, T, V, C), tree, new Float32Array(M * T * C));
  const out = rebuilt.data;
  for (let f = 0; f < M * T; f++) {
    const base = f * V * C;
    const at = base + anchor * C;
    const shift = [
      reference.data[at] - out[at],
      reference.data[at + 1] - out[at + 1],
      reference.data[at + 2] - out[at + 2],
    ];
    for (let v = 0; v < V; v++) {
      const p = base + v * C;
      out[p] += shift[0];
      out[p + 1] += shift[1];
      out[p + 2] += shift[2];
      // Channels beyond xyz (scores) stay the input's.
      for (let c = 3; c < C; c++) out[p + c] = input.data[p + c];
    }
  }
  return rebuilt;
}

/** numpy's `round` (half to even). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The frames of a reference clip that Skeleton-AdaIN compares with: the reference feeder
 * maps each sampled frame's index_t ∈ [−1, 1] to `round((index_t + 1) · refValid / 2)`.
 * Frames past the reference's end read as zeros.
 */
export function referenceFrames(indexT: Float32Array, referenceValidFrames: number): Int32Array {
  return Int32Array.from(indexT, (t) => roundHalfEven(((Math.fround(t) + 1) * referenceValidFrames) / 2));
}

/** Subtracts one joint of person 0's frame 0 from every point (the UCLA feeder's centring). */
export function centreOnFirstFrameJoint(clip: SkeletonClip, joint: number): SkeletonClip {
  check3d(clip, 'centring');
  const o = joint * clip.channels;
  const origin = [clip.data[o], clip.data[o + 1], clip.data[o + 2]];
  const out = new Float32Array(clip.data);
  for (let p = 0; p < out.length; p += clip.channels) for (let c = 0; c < 3; c++) out[p + c] -= origin[c];
  return makeClip(out, clip.persons, clip.frames, clip.joints, clip.channels);
}

/**
 * The UCLA feeder's view transform X·(Ry·Rx·S) on row vectors, i.e. x' = (Ry·Rx·S)ᵀ·x,
 * with the reference's axis rotations (`axisRotation`) in degrees and a uniform scale.
 */
export function uclaViewMatrix(degreesX: number, degreesY: number, scale: number): Matrix3 {
  const rx = axisRotation(0, (degreesX * Math.PI) / 180);
  const ry = axisRotation(1, (degreesY * Math.PI) / 180);
  return transpose3(multiply3(ry, multiply3(rx, scaleMatrix([scale, scale, scale]))));
}

/** The smallest and largest x, y and z over all persons, frames and joints. */
function spatialBounds(clip: SkeletonClip): { lo: number[]; hi: number[] } {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let p = 0; p < clip.data.length; p += clip.channels) {
    for (let c = 0; c < 3; c++) {
      const v = clip.data[p + c];
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
    }
  }
  return { lo, hi };
}

/**
 * Min-max normalisation of each spatial axis to [−1, 1] over all persons, frames and joints
 * (the UCLA feeder). An axis with no extent maps to 0 (the reference divides by zero).
 */
export function minMaxNormalize(clip: SkeletonClip): SkeletonClip {
  check3d(clip, 'min-max normalisation');
  const C = clip.channels;
  const { lo, hi } = spatialBounds(clip);
  const out = new Float32Array(clip.data);
  for (let p = 0; p < out.length; p += C) {
    for (let c = 0; c < 3; c++) {
      const range = hi[c] - lo[c];
      out[p + c] = range > 0 ? ((clip.data[p + c] - lo[c]) / range) * 2 - 1 : 0;
    }
  }
  return makeClip(out, clip.persons, clip.frames, clip.joints, C);
}

/**
 * Centres the clip's bounding box on the origin and scales it by one factor so that its longest
 * side spans [−1, 1]: unlike `minMaxNormalize`, the body's proportions are kept. (After
 * `faceCamera` the depth axis is the body's thinnest; stretching it to [−1, 1] on its own, as
 * per-axis min-max does, would blow up the sensor's depth noise.)
 */
export function boxNormalize(clip: SkeletonClip): SkeletonClip {
  check3d(clip, 'box normalisation');
  const C = clip.channels;
  const { lo, hi } = spatialBounds(clip);
  const half = Math.max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2;
  const mid = [0, 1, 2].map((c) => (hi[c] + lo[c]) / 2);
  const out = new Float32Array(clip.data);
  for (let p = 0; p < out.length; p += C)
    for (let c = 0; c < 3; c++) out[p + c] = half > 0 ? (clip.data[p + c] - mid[c]) / half : 0;
  return makeClip(out, clip.persons, clip.frames, clip.joints, C);
}

// ---------------------------------------------------------------------------------------------
// Random transforms (reference ranges as defaults)

/** Rotation about a random axis by U(−maxDegrees, maxDegrees) (reference `rotate`, ±30°). */
export function randomRotation(random: UniformRandom, maxDegrees = 30): Matrix3 {
  const axis = randint(random, 0, 2);
  const degrees = uniform(random, -maxDegrees, maxDegrees);
  return axisRotation(axis, (degrees * Math.PI) / 180);
}

/** Shear with all six factors U(−range, range) (reference `shear`, ±0.5). */
export function randomShear(random: UniformRandom, range = 0.5): Matrix3 {
  const s1 = [0, 0, 0].map(() => uniform(random, -range, range)) as [number, number, number];
  const s2 = [0, 0, 0].map(() => uniform(random, -range, range)) as [number, number, number];
  return shearMatrix(s1, s2);
}

/** Per-axis scale 1 + U(−range, range) (reference `scale`, ±0.2). */
export function randomScale(random: UniformRandom, range = 0.2): Matrix3 {
  return scaleMatrix([0, 1, 2].map(() => 1 + uniform(random, -range, range)) as [number, number, number]);
}

/** CTR-GCN `random_rot`: Rz·Ry·Rx with angles U(−theta, theta) radians. */
export function randomRotXYZ(random: UniformRandom, theta = 0.3): Matrix3 {
  const [ax, ay, az] = [0, 1, 2].map(() => uniform(random, -theta, theta));
  return multiply3(axisRotation(2, az), multiply3(axisRotation(1, ay), axisRotation(0, ax)));
}

export interface DropJointRanges {
  /** Joints dropped, inclusive range (NTU 5–15; UCLA 4–12). */
  readonly joints: readonly [number, number];
  /** Frames they are dropped in, inclusive range (16–32). */
  readonly frames: readonly [number, number];
}

export const NTU_DROP_JOINTS: DropJointRanges = { joints: [5, 15], frames: [16, 32] };
export const UCLA_DROP_JOINTS: DropJointRanges = { joints: [4, 12], frames: [16, 32] };

/** Drops a random set of joints over a random set of frames (reference `drop_joint`). */
export function randomDropJoints(
  clip: SkeletonClip,
  random: UniformRandom,
  ranges: DropJointRanges = NTU_DROP_JOINTS,
): SkeletonClip {
  const joints = sampleSorted(random, clip.joints, randint(random, ranges.joints[0], ranges.joints[1]));
  const frames = sampleSorted(random, clip.frames, randint(random, ranges.frames[0], ranges.frames[1]));
  return dropJoints(clip, joints, frames);
}

// ---------------------------------------------------------------------------------------------
// Presets

/** What an augmentation chain may need besides the clip. */
export interface AugmentContext {
  readonly layout: Layout;
  /** Each sampled frame's source position normalised to [−1, 1] (SkateFormer index_t). */
  readonly indexT: Float32Array;
  /**
   * A random training sample of the same class (Skeleton-AdaIN), un-sampled joints with the
   * clip's person slots. Absent: AdaIN is skipped.
   */
  readonly sameClassReference?: (random: UniformRandom) => SkeletonClip;
}

export interface AugmentOptions {
  /** Probability of the intra-instance chain (SkateFormer intra_p 0.5). */
  readonly intraProbability?: number;
  /** Probability of Skeleton-AdaIN otherwise (inter_p 0.2). */
  readonly interProbability?: number;
  /** Flip style: 'swap' (the reference) or 'mirror'. */
  readonly flip?: 'swap' | 'mirror';
  /** UCLA chain: largest view rotation about x and y in degrees (feeder: 60). */
  readonly viewDegrees?: number;
  /** UCLA chain: scale range of the random view (feeder: [0.5, 1.5]). */
  readonly viewScale?: readonly [number, number];
  /** UCLA chain: drop-axis probability (feeder: 0.5). */
  readonly dropAxisProbability?: number;
  /** UCLA chain: drop-joints probability (feeder: 0.5). */
  readonly dropJointsProbability?: number;
}

export interface AugmentPipeline {
  readonly name: string;
  /**
   * A random view transform applied to the whole clip before frame sampling, in training
   * only (the UCLA feeder's). With the 'ucla-minmax' data normalisation it goes between the
   * centring and the min-max scaling, as in the feeder.
   */
  randomView?(random: UniformRandom): Matrix3;
  /** Runs on the sampled joint clip in training only, before the modality is computed. */
  afterSampling(clip: SkeletonClip, context: AugmentContext, random: UniformRandom): SkeletonClip;
}

/** The joint Skeleton-AdaIN pins to the reference (NTU SpineMid, as the reference; else the layout centre). */
export function adainAnchor(layout: Layout): number {
  if (layout.name === 'ntu-25') return jointIndex(layout, 'SpineMid');
  if (layout.name === 'kinect-20') return jointIndex(layout, 'Spine');
  return layout.center;
}

/**
 * SkateFormer's NTU chain (`a123489`) on one sampled joint clip. Persons are swapped only
 * when the clip has two slots or more.
 */
export function ntuSkateformerAugment(
  clip: SkeletonClip,
  context: AugmentContext,
  random: UniformRandom,
  options: AugmentOptions = {},
): SkeletonClip {
  const intraP = options.intraProbability ?? 0.5;
  const interP = options.interProbability ?? 0.2;
  const p = random();
  let x = clip;
  if (p < intraP) {
    if (random() < 0.5 && x.persons >= 2) x = swapPersons(x); // a
    if (random() < 0.5) x = applyMatrix(x, randomShear(random)); // 1
    if (random() < 0.5) x = applyMatrix(x, randomRotation(random)); // 2
    if (random() < 0.5) x = applyMatrix(x, randomScale(random)); // 3
    if (random() < 0.5) x = flipJoints(x, context.layout, options.flip ?? 'swap'); // 4
    if (random() < 0.5) x = dropAxis(x, randint(random, 0, 2)); // 8
    if (random() < 0.5) x = randomDropJoints(x, random, NTU_DROP_JOINTS); // 9
  } else if (p < intraP + interP && context.sameClassReference) {
    const reference = context.sameClassReference(random);
    const frames = referenceFrames(context.indexT, validFrameCount(reference));
    const sampled = gatherFrames(padPersons(reference, x.persons), frames);
    x = skeletonAdaIN(x, sampled, context.layout, adainAnchor(context.layout));
  }
  return x;
}

/** The UCLA feeder's random view: x and y rotations of integer degrees in [−60, 60], scale U(0.5, 1.5) (both ranges adjustable). */
export function uclaRandomView(
  random: UniformRandom,
  maxDegrees = 60,
  scale: readonly [number, number] = [0.5, 1.5],
): Matrix3 {
  const ax = randint(random, -maxDegrees, maxDegrees);
  const ay = randint(random, -maxDegrees, maxDegrees);
  const s = uniform(random, scale[0], scale[1]);
  return uclaViewMatrix(ax, ay, s);
}

/** The joint the UCLA feeder centres on (Kinect-20 'Spine', its joint 2; else the layout centre). */
export function uclaCentreJoint(layout: Layout): number {
  return layout.name === 'kinect-20' ? jointIndex(layout, 'Spine') : layout.center;
}

/**
 * The UCLA feeder's normalisation (training and test): centre on the first frame's spine
 * joint, apply `view` when given (the training-time random view), then min-max each axis to
 * [−1, 1]. With `face`, skelact's variant for its CPU recipes (not in the feeder): the clip is
 * first turned to face the camera (`faceCamera`), so the camera's angle no longer changes the
 * input, and it is scaled into [−1, 1]³ by one factor (`boxNormalize`) instead of per axis.
 */
export function uclaNormalize(clip: SkeletonClip, layout: Layout, view?: Matrix3, face = false): SkeletonClip {
  let x = centreOnFirstFrameJoint(face ? faceCamera(clip, layout) : clip, uclaCentreJoint(layout));
  if (view) x = applyMatrix(x, view);
  return face ? boxNormalize(x) : minMaxNormalize(x);
}

/**
 * Turns a Kinect-style clip (x, y up, z) so that the person faces the camera: x along
 * (ShoulderRight − ShoulderLeft) + (HipRight − HipLeft),
 * y along the spine (HipCenter/SpineBase → ShoulderCenter/SpineShoulder), z their cross product;
 * both directions are averaged over all frames, so one noisy frame does not decide. A frontal
 * clip keeps its axes (the rotation is the identity). Rotation only: no centring or scaling.
 */
export function faceCamera(clip: SkeletonClip, layout: Layout): SkeletonClip {
  check3d(clip, 'facing the camera');
  const names =
    layout.name === 'kinect-20'
      ? ['HipCenter', 'ShoulderCenter']
      : layout.name === 'ntu-25'
        ? ['SpineBase', 'SpineShoulder']
        : null;
  if (!names)
    throw new Error(`facing the camera is defined for the kinect-20 and ntu-25 layouts, not '${layout.name}'`);
  const [bottom, top] = names.map((n) => jointIndex(layout, n));
  const [sl, sr, hl, hr] = ['ShoulderLeft', 'ShoulderRight', 'HipLeft', 'HipRight'].map((n) => jointIndex(layout, n));
  const C = clip.channels;
  const V = clip.joints;
  const up = [0, 0, 0];
  const across = [0, 0, 0];
  const at = (f: number, j: number, c: number) => clip.data[(f * V + j) * C + c];
  // Person 0 decides; frames where it is absent (all zero) are skipped.
  for (let t = 0; t < clip.frames; t++) {
    if (at(t, top, 0) === 0 && at(t, top, 1) === 0 && at(t, top, 2) === 0) continue;
    for (let c = 0; c < 3; c++) {
      up[c] += at(t, top, c) - at(t, bottom, c);
      across[c] += at(t, sr, c) - at(t, sl, c) + at(t, hr, c) - at(t, hl, c);
    }
  }
  const norm = (v: number[]) => Math.hypot(v[0], v[1], v[2]);
  const nu = norm(up);
  if (nu < 1e-9) return makeClip(new Float32Array(clip.data), clip.persons, clip.frames, V, C);
  const u = up.map((x) => x / nu);
  const dot = across[0] * u[0] + across[1] * u[1] + across[2] * u[2];
  const a0 = across.map((x, i) => x - dot * u[i]);
  const na = norm(a0);
  if (na < 1e-9) return makeClip(new Float32Array(clip.data), clip.persons, clip.frames, V, C);
  const a = a0.map((x) => x / na);
  const f = [a[1] * u[2] - a[2] * u[1], a[2] * u[0] - a[0] * u[2], a[0] * u[1] - a[1] * u[0]];
  // Rows a, u, f: a point p goes to (a·p, u·p, f·p).
  return applyMatrix(clip, [a[0], a[1], a[2], u[0], u[1], u[2], f[0], f[1], f[2]]);
}

/** The spatial normalisations of the configs' `data.normalize` (besides 'none'). */
export type SpatialNormalization = 'ucla-minmax' | 'face-box' | 'box';

/**
 * One clip normalised by `mode`, with the training-time random `view` between centring and
 * scaling: 'ucla-minmax' and 'face-box' as `uclaNormalize`; 'box' centres on the layout's
 * centre joint in frame 0 and scales by one factor (`boxNormalize`), for layouts without a body
 * frame to face (BlazePose pixels).
 */
export function spatialNormalize(
  clip: SkeletonClip,
  layout: Layout,
  mode: SpatialNormalization,
  view?: Matrix3,
): SkeletonClip {
  if (mode !== 'box') return uclaNormalize(clip, layout, view, mode === 'face-box');
  let x = centreOnFirstFrameJoint(clip, uclaCentreJoint(layout));
  if (view) x = applyMatrix(x, view);
  return boxNormalize(x);
}

/** The UCLA feeder's drop-axis and drop-joint steps (after sampling), each with probability 0.5 unless given. */
export function uclaSkateformerAugment(
  clip: SkeletonClip,
  random: UniformRandom,
  options: AugmentOptions = {},
): SkeletonClip {
  let x = clip;
  if (random() < (options.dropAxisProbability ?? 0.5)) x = dropAxis(x, randint(random, 0, 2));
  if (random() < (options.dropJointsProbability ?? 0.5)) x = randomDropJoints(x, random, UCLA_DROP_JOINTS);
  return x;
}
