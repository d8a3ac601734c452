/**
 * Test-side helpers, written independently of the code under test: a token-walking
 * `.skeleton` reader (reference data.md §1.1) and small geometry functions.
 */
import type { SkeletonClip } from '../../../src/graph/clip.js';

export interface ParsedBody {
  readonly id: string;
  /** The nine fields after the id, as text. */
  readonly info: readonly string[];
  /** 25 joints × 12 numbers, as text. */
  readonly joints: readonly (readonly string[])[];
}

export interface ParsedSkeleton {
  readonly frames: readonly (readonly ParsedBody[])[];
}

/**
 * Splits on whitespace and walks the counts: frame count, then per frame a body count,
 * per body 10 info fields, a joint count that must be 25, and 25 × 12 joint values.
 */
export function parseSkeletonText(text: string): ParsedSkeleton {
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  let i = 0;
  const take = (what: string): string => {
    if (i >= tokens.length) throw new Error(`unexpected end of file, expected ${what}`);
    return tokens[i++];
  };
  const int = (what: string): number => {
    const token = take(what);
    if (!/^\d+$/.test(token)) throw new Error(`expected ${what} (an integer), found ${token}`);
    return Number(token);
  };
  const frameCount = int('frame count');
  const frames: ParsedBody[][] = [];
  for (let f = 0; f < frameCount; f++) {
    const bodyCount = int(`body count of frame ${f}`);
    const bodies: ParsedBody[] = [];
    for (let b = 0; b < bodyCount; b++) {
      const id = take('body id');
      const info = Array.from({ length: 9 }, (_, k) => take(`body field ${k + 2}`));
      const jointCount = int('joint count');
      if (jointCount !== 25) throw new Error(`expected 25 joints, found ${jointCount}`);
      const joints = Array.from({ length: 25 }, (_, j) =>
        Array.from({ length: 12 }, (_, k) => take(`joint ${j + 1} value ${k + 1}`)),
      );
      bodies.push({ id, info, joints });
    }
    frames.push(bodies);
  }
  if (i !== tokens.length) throw new Error(`${tokens.length - i} tokens left after the last frame`);
  return { frames };
}

/** Position of joint v of person m at frame t. */
export function jointAt(clip: SkeletonClip, m: number, t: number, v: number): [number, number, number] {
  const o = ((m * clip.frames + t) * clip.joints + v) * clip.channels;
  return [clip.data[o], clip.data[o + 1], clip.data[o + 2]];
}

export function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** True when every value of person m at frame t is zero (absent). */
export function isAbsent(clip: SkeletonClip, m: number, t: number): boolean {
  const o = (m * clip.frames + t) * clip.joints * clip.channels;
  for (let i = 0; i < clip.joints * clip.channels; i++) if (clip.data[o + i] !== 0) return false;
  return true;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/** Per-frame share of [frames][25][x,y,…] rows whose x-range exceeds ratio · y-range. */
export function wideFrameShare(frames: readonly (readonly (readonly number[])[])[], ratio: number): number {
  let wide = 0;
  for (const joints of frames) {
    const xs = joints.map((p) => p[0]);
    const ys = joints.map((p) => p[1]);
    if (Math.max(...xs) - Math.min(...xs) > ratio * (Math.max(...ys) - Math.min(...ys))) wide++;
  }
  return wide / frames.length;
}
