/**
 * Spatial normalisation of 3D clips ([persons, frames, joints, channels], xyz first).
 *
 * - `centreOnFirstFrame` is CTR-GCN's `seq_translation`: subtract one joint (SpineMid for
 *   NTU) of person 0's first non-empty frame from every frame; frames where a person is
 *   missing stay all-zero. No rotation, no scaling.
 * - `pyskl` alignment is PYSKL's `PreNormalize3D`: drop frames where the main person is
 *   missing (the person with more present frames becomes person 0), centre on the centre
 *   joint of frame 0 keeping missing joints at zero, then rotate so the spine
 *   (bottom → top joint) is parallel to +z and the shoulders (right → left) to +x.
 */
import { type SkeletonClip, makeClip } from '../graph/clip.js';
import { type Layout, jointIndex } from '../graph/layout.js';

export interface AlignmentJoints {
  /** Joint subtracted when centring (NTU SpineMid). */
  readonly centre: number;
  /** Spine bottom and top (NTU SpineBase → SpineMid). */
  readonly spine: readonly [number, number];
  /** Right and left shoulder (NTU ShoulderRight → ShoulderLeft). */
  readonly shoulders: readonly [number, number];
}

/** The joints PYSKL uses for NTU, found by name in 3D layouts (NTU-25 and Kinect-20). */
export function alignmentJoints(layout: Layout): AlignmentJoints {
  switch (layout.name) {
    case 'ntu-25':
      return {
        centre: jointIndex(layout, 'SpineMid'),
        spine: [jointIndex(layout, 'SpineBase'), jointIndex(layout, 'SpineMid')],
        shoulders: [jointIndex(layout, 'ShoulderRight'), jointIndex(layout, 'ShoulderLeft')],
      };
    case 'kinect-20':
      return {
        centre: jointIndex(layout, 'Spine'),
        spine: [jointIndex(layout, 'HipCenter'), jointIndex(layout, 'Spine')],
        shoulders: [jointIndex(layout, 'ShoulderRight'), jointIndex(layout, 'ShoulderLeft')],
      };
    default:
      throw new Error(`3D alignment is defined for the ntu-25 and kinect-20 layouts, not '${layout.name}'`);
  }
}

function personFrameEmpty(clip: SkeletonClip, m: number, t: number): boolean {
  const n = clip.joints * clip.channels;
  const o = (m * clip.frames + t) * n;
  for (let i = 0; i < n; i++) if (clip.data[o + i] !== 0) return false;
  return true;
}

/** CTR-GCN `seq_translation` (see module comment). Returns a new clip. */
export function centreOnFirstFrame(clip: SkeletonClip, centreJoint: number): SkeletonClip {
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  let first = 0;
  while (first < T && personFrameEmpty(clip, 0, first)) first++;
  if (first === T) return makeClip(new Float32Array(clip.data), M, T, V, C);
  const o = (first * V + centreJoint) * C;
  const origin = [clip.data[o], clip.data[o + 1], clip.data[o + 2]];
  const out = new Float32Array(clip.data);
  for (let m = 0; m < M; m++) {
    for (let t = 0; t < T; t++) {
      // Single-person clips are shifted everywhere (as the reference does); with two
      // persons a missing person's frame stays zero.
      if (M > 1 && personFrameEmpty(clip, m, t)) continue;
      for (let v = 0; v < V; v++) {
        const p = ((m * T + t) * V + v) * C;
        out[p] -= origin[0];
        out[p + 1] -= origin[1];
        out[p + 2] -= origin[2];
      }
    }
  }
  return makeClip(out, M, T, V, C);
}

type Vec3 = [number, number, number];

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function angleBetween(a: Vec3, b: Vec3): number {
  const absA = Math.abs(a[0]) + Math.abs(a[1]) + Math.abs(a[2]);
  const absB = Math.abs(b[0]) + Math.abs(b[1]) + Math.abs(b[2]);
  if (absA < 1e-6 || absB < 1e-6) return 0;
  const na = Math.hypot(...a);
  const nb = Math.hypot(...b);
  const cos = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (na * nb);
  return Math.acos(Math.min(1, Math.max(-1, cos)));
}

/**
 * Rotation by `theta` about `axis` in the Euler–Rodrigues form PYSKL uses (a passive
 * rotation: applying it to v rotates v by −theta about axis, which is what maps the
 * source vector onto the target when axis = source × target).
 */
export function rotationMatrix(axis: Vec3, theta: number): number[][] {
  const absAxis = Math.abs(axis[0]) + Math.abs(axis[1]) + Math.abs(axis[2]);
  if (absAxis < 1e-6 || Math.abs(theta) < 1e-6)
    return [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
  const n = Math.hypot(...axis);
  const [ux, uy, uz] = axis.map((x) => x / n);
  const a = Math.cos(theta / 2);
  const s = Math.sin(theta / 2);
  const b = -ux * s;
  const c = -uy * s;
  const d = -uz * s;
  const [aa, bb, cc, dd] = [a * a, b * b, c * c, d * d];
  const [bc, ad, ac, ab, bd, cd] = [b * c, a * d, a * c, a * b, b * d, c * d];
  return [
    [aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)],
    [2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)],
    [2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc],
  ];
}

function applyRotation(data: Float32Array, C: number, r: number[][]): void {
  for (let p = 0; p < data.length; p += C) {
    const x = data[p];
    const y = data[p + 1];
    const z = data[p + 2];
    data[p] = r[0][0] * x + r[0][1] * y + r[0][2] * z;
    data[p + 1] = r[1][0] * x + r[1][1] * y + r[1][2] * z;
    data[p + 2] = r[2][0] * x + r[2][1] * y + r[2][2] * z;
  }
}

function point(data: Float32Array, V: number, C: number, t: number, v: number): Vec3 {
  const o = (t * V + v) * C;
  return [data[o], data[o + 1], data[o + 2]];
}

/** PYSKL `PreNormalize3D` (see module comment). Returns a new clip; frames may be dropped. */
export function alignPyskl(clip: SkeletonClip, joints: AlignmentJoints): SkeletonClip {
  const { persons: M, joints: V, channels: C } = clip;
  if (M > 2) throw new Error(`PYSKL alignment expects 1 or 2 persons, got ${M}`);
  if (C < 3) throw new Error(`PYSKL alignment needs xyz channels, got ${C}`);
  if (clip.data.every((x) => x === 0)) return makeClip(new Float32Array(clip.data), M, clip.frames, V, C);
  const present = (m: number) =>
    Array.from({ length: clip.frames }, (_, t) => t).filter((t) => !personFrameEmpty(clip, m, t));
  let personOrder = [0];
  let frames = present(0);
  if (M === 2) {
    const frames1 = present(1);
    if (frames.length < frames1.length) {
      personOrder = [1, 0];
      frames = frames1;
    } else personOrder = [0, 1];
  }
  const T = frames.length;
  const out = new Float32Array(M * T * V * C);
  personOrder.forEach((src, m) => {
    frames.forEach((t, i) => {
      const from = (src * clip.frames + t) * V * C;
      out.set(clip.data.subarray(from, from + V * C), (m * T + i) * V * C);
    });
  });
  // Centre on person 0, frame 0, keeping all-zero joints at zero.
  const centre = point(out, V, C, 0, joints.centre);
  for (let p = 0; p < out.length; p += C) {
    let any = false;
    for (let c = 0; c < C; c++) any ||= out[p + c] !== 0;
    if (!any) continue;
    out[p] -= centre[0];
    out[p + 1] -= centre[1];
    out[p + 2] -= centre[2];
  }
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const spine = sub(point(out, V, C, 0, joints.spine[1]), point(out, V, C, 0, joints.spine[0]));
  applyRotation(out, C, rotationMatrix(cross(spine, [0, 0, 1]), angleBetween(spine, [0, 0, 1])));
  const shoulders = sub(point(out, V, C, 0, joints.shoulders[0]), point(out, V, C, 0, joints.shoulders[1]));
  applyRotation(out, C, rotationMatrix(cross(shoulders, [1, 0, 0]), angleBetween(shoulders, [1, 0, 0])));
  return makeClip(out, M, T, V, C);
}
