/**
 * The one skeleton data shape of the library: a clip is float32 values in
 * [persons, frames, joints, channels] order (row-major), e.g. [2, T, 25, 3] for NTU.
 * Models convert it to their own layout in exactly one place (src/models).
 */
export interface SkeletonClip {
  readonly persons: number;
  readonly frames: number;
  readonly joints: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/** Allocates a zero clip, checking the dimensions. */
export function zeroClip(persons: number, frames: number, joints: number, channels: number): SkeletonClip {
  for (const [k, v] of Object.entries({ persons, frames, joints, channels })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`clip ${k} must be a non-negative integer, got ${v}`);
  }
  return { persons, frames, joints, channels, data: new Float32Array(persons * frames * joints * channels) };
}

/** Wraps an existing buffer, checking that its length matches the shape. */
export function makeClip(
  data: Float32Array,
  persons: number,
  frames: number,
  joints: number,
  channels: number,
): SkeletonClip {
  const expected = persons * frames * joints * channels;
  if (data.length !== expected) {
    throw new Error(
      `clip data has ${data.length} values, expected ${persons}×${frames}×${joints}×${channels} = ${expected}`,
    );
  }
  return { persons, frames, joints, channels, data };
}

/** Flat offset of (person, frame, joint, channel 0). */
export function clipOffset(clip: SkeletonClip, m: number, t: number, v: number): number {
  return ((m * clip.frames + t) * clip.joints + v) * clip.channels;
}

export function cloneClip(clip: SkeletonClip): SkeletonClip {
  return { ...clip, data: new Float32Array(clip.data) };
}

/** True when every channel of (person m, frame t) is zero: the CTR-GCN/PYSKL "missing" convention. */
export function isFrameEmpty(clip: SkeletonClip, m: number, t: number): boolean {
  const n = clip.joints * clip.channels;
  const o = clipOffset(clip, m, t, 0);
  for (let i = 0; i < n; i++) if (clip.data[o + i] !== 0) return false;
  return true;
}

/**
 * Number of valid frames: frames in which any person is non-zero
 * (CTR-GCN's `valid_frame_num`, which counts frames with a non-zero sum over all persons).
 */
export function validFrameCount(clip: SkeletonClip): number {
  let count = 0;
  for (let t = 0; t < clip.frames; t++) {
    let any = false;
    for (let m = 0; m < clip.persons && !any; m++) any = !isFrameEmpty(clip, m, t);
    if (any) count++;
  }
  return count;
}
