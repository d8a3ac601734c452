/**
 * SGN / CTR-GCN body denoising and actor selection for NTU RGB+D (reference data.md §1.5,
 * `get_raw_denoised_data.py`), re-implemented step by step:
 *
 *  1. Only when a file has more than one body id:
 *     a. drop bodies seen in ≤ 11 frames;
 *     b. drop bodies whose frames are "spread" (x-range > 0.8 · y-range) in ≥ 69.754 % of
 *        their frames, stopping once a single body is left; a kept body with some spread
 *        frames gets its motion recomputed on the other frames (the smaller value wins);
 *     c. order the rest by motion, descending (motion = Σ over x,y,z of the variance of that
 *        coordinate over all joints and frames).
 *  2. Actor 1 is the body with the largest motion. Every other body, in motion order, joins
 *     actor 1's slot if its frame interval does not overlap actor 1's, else actor 2's slot if
 *     it does not overlap actor 2's, else it is dropped.
 *  3. Frames where both actors are missing are removed (multi-body files only).
 *
 * Differences from the Python scripts, on purpose:
 *  - Each body frame is placed at its true frame index. The reference reader numbers a
 *    body's frames consecutively from its first appearance, which shifts a body that leaves
 *    and comes back; on files where bodies do not leave and return both give the same array.
 *  - If the length rule would drop every body, the longest one is kept (the reference code
 *    crashes on such files; none of the official samples has one) and a note says so.
 */
import { NTU_JOINTS, type NtuBody, type NtuRawSkeleton } from './parser.js';

export const DENOISE = {
  /** Bodies seen in this many frames or fewer are noise. */
  maxNoiseFrames: 11,
  /** A frame is spread-noisy if x-range > spreadRatio · y-range. */
  spreadRatio: 0.8,
  /** A body is dropped when its noisy-frame ratio reaches this. */
  spreadFrameRatio: 0.69754,
} as const;

const VALUES = NTU_JOINTS * 3;

export interface DenoisedSkeleton {
  /** Actors (1 or 2), each [frames, 25, 3], concatenated: [actors, frames, 25, 3]. */
  readonly data: Float32Array;
  readonly actors: 1 | 2;
  readonly frames: number;
  /** Body ids that fill each actor slot, in slot order. */
  readonly actorBodies: string[][];
  /** What denoising did, one line per action (for the prepare report). */
  readonly notes: string[];
}

/** Σ over x,y,z of the population variance of that coordinate over the given frames' joints. */
export function bodyMotion(joints: Float32Array, frameSelection?: ArrayLike<number>): number {
  const frames = frameSelection ? frameSelection.length : joints.length / VALUES;
  if (frames === 0) return 0;
  const sum = [0, 0, 0];
  const sumSq = [0, 0, 0];
  // Two passes (mean, then squared deviations) keep float error small on ~0.1 m spreads.
  for (let i = 0; i < frames; i++) {
    const f = frameSelection ? frameSelection[i] : i;
    for (let j = 0; j < NTU_JOINTS; j++) {
      const o = f * VALUES + j * 3;
      sum[0] += joints[o];
      sum[1] += joints[o + 1];
      sum[2] += joints[o + 2];
    }
  }
  const n = frames * NTU_JOINTS;
  const mean = sum.map((x) => x / n);
  for (let i = 0; i < frames; i++) {
    const f = frameSelection ? frameSelection[i] : i;
    for (let j = 0; j < NTU_JOINTS; j++) {
      const o = f * VALUES + j * 3;
      for (let c = 0; c < 3; c++) {
        const d = joints[o + c] - mean[c];
        sumSq[c] += d * d;
      }
    }
  }
  return (sumSq[0] + sumSq[1] + sumSq[2]) / n;
}

/** Local frame indices of a body whose spread is not noisy (x-range ≤ 0.8 · y-range). */
export function unspreadFrames(body: NtuBody): number[] {
  const out: number[] = [];
  const n = body.frames.length;
  for (let f = 0; f < n; f++) {
    let xMin = Infinity;
    let xMax = -Infinity;
    let yMin = Infinity;
    let yMax = -Infinity;
    for (let j = 0; j < NTU_JOINTS; j++) {
      const o = f * VALUES + j * 3;
      const x = body.joints[o];
      const y = body.joints[o + 1];
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
    if (xMax - xMin <= DENOISE.spreadRatio * (yMax - yMin)) out.push(f);
  }
  return out;
}

interface Candidate {
  body: NtuBody;
  motion: number;
}

function interval(body: NtuBody): [number, number] {
  return [body.frames[0], body.frames[body.frames.length - 1]];
}

/** Runs denoising and actor selection on a parsed file. */
export function denoiseNtu(raw: NtuRawSkeleton): DenoisedSkeleton {
  const notes: string[] = [];
  const T = raw.validFrames;
  if (raw.emptyFrames > 0) notes.push(`dropped ${raw.emptyFrames} frame(s) without bodies`);

  if (raw.bodies.length === 1) {
    const body = raw.bodies[0];
    const data = new Float32Array(T * VALUES);
    placeBody(data, 0, T, body);
    return { data, actors: 1, frames: T, actorBodies: [[body.id]], notes };
  }

  // 1a. length
  let candidates: Candidate[] = raw.bodies.map((body) => ({ body, motion: bodyMotion(body.joints) }));
  const longEnough = candidates.filter((c) => c.body.frames.length > DENOISE.maxNoiseFrames);
  for (const c of candidates) {
    if (c.body.frames.length <= DENOISE.maxNoiseFrames)
      notes.push(`dropped body ${c.body.id}: only ${c.body.frames.length} frame(s) (≤ ${DENOISE.maxNoiseFrames})`);
  }
  if (longEnough.length === 0) {
    const longest = candidates.reduce((a, b) => (b.body.frames.length > a.body.frames.length ? b : a));
    notes.push(`every body has ≤ ${DENOISE.maxNoiseFrames} frames; kept the longest, ${longest.body.id}`);
    candidates = [longest];
  } else candidates = longEnough;

  // 1b. spread
  if (candidates.length > 1) {
    const kept: Candidate[] = [];
    let remaining = candidates.length;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (remaining === 1) {
        kept.push(...candidates.slice(i));
        break;
      }
      const valid = unspreadFrames(c.body);
      const noisy = c.body.frames.length - valid.length;
      if (noisy === 0) {
        kept.push(c);
        continue;
      }
      const ratio = noisy / c.body.frames.length;
      if (ratio >= DENOISE.spreadFrameRatio) {
        notes.push(
          `dropped body ${c.body.id}: ${(ratio * 100).toFixed(1)} % of its frames are spread (x-range > 0.8·y-range)`,
        );
        remaining--;
      } else {
        kept.push({ body: c.body, motion: Math.min(c.motion, bodyMotion(c.body.joints, valid)) });
      }
    }
    candidates = kept;
  }

  // 1c. motion order (stable for ties, like Python's sorted)
  candidates = candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.motion - a.c.motion || a.i - b.i)
    .map((x) => x.c);

  if (candidates.length === 1) {
    const body = candidates[0].body;
    const data = new Float32Array(T * VALUES);
    placeBody(data, 0, T, body);
    return finish(data, 1, T, [[body.id]], notes);
  }

  // 2. two actor slots
  const data = new Float32Array(2 * T * VALUES);
  const actorBodies: string[][] = [[], []];
  const first = candidates[0].body;
  placeBody(data, 0, T, first);
  actorBodies[0].push(first.id);
  let [start1, end1] = interval(first);
  // The reference starts actor 2's interval at [0, 0] and widens it with min/max, so after
  // the first body joins, actor 2's interval always starts at frame 0. Kept for parity.
  let start2 = 0;
  let end2 = 0;
  for (const { body } of candidates.slice(1)) {
    const [start, end] = interval(body);
    if (Math.min(end1, end) - Math.max(start1, start) <= 0) {
      placeBody(data, 0, T, body);
      actorBodies[0].push(body.id);
      start1 = Math.min(start, start1);
      end1 = Math.max(end, end1);
    } else if (Math.min(end2, end) - Math.max(start2, start) <= 0) {
      placeBody(data, 1, T, body);
      actorBodies[1].push(body.id);
      start2 = Math.min(start, start2);
      end2 = Math.max(end, end2);
    } else {
      notes.push(`dropped body ${body.id}: overlaps both actor slots`);
    }
  }
  // If every other body fitted into actor 1's slot, actor 2 stays all-zero; the reference
  // keeps it as a second (empty) actor, and so do we.
  if (actorBodies[1].length === 0) notes.push("actor 2 is empty: every other body fitted into actor 1's frames");
  return finish(data, 2, T, actorBodies, notes);
}

/** Writes a body's frames into actor slot `actor` of an [actors, T, 25, 3] buffer. */
function placeBody(data: Float32Array, actor: number, T: number, body: NtuBody): void {
  for (let i = 0; i < body.frames.length; i++) {
    data.set(body.joints.subarray(i * VALUES, (i + 1) * VALUES), (actor * T + body.frames[i]) * VALUES);
  }
}

function frameIsZero(data: Float32Array, actor: number, T: number, t: number): boolean {
  const o = (actor * T + t) * VALUES;
  for (let i = 0; i < VALUES; i++) if (data[o + i] !== 0) return false;
  return true;
}

/** 3. Removes frames where every actor is missing (reference: multi-body files only). */
function finish(
  data: Float32Array,
  actors: 1 | 2,
  T: number,
  actorBodies: string[][],
  notes: string[],
): DenoisedSkeleton {
  const keep: number[] = [];
  for (let t = 0; t < T; t++) {
    let any = false;
    for (let a = 0; a < actors && !any; a++) any = !frameIsZero(data, a, T, t);
    if (any) keep.push(t);
  }
  if (keep.length === T) return { data, actors, frames: T, actorBodies, notes };
  notes.push(`removed ${T - keep.length} frame(s) where no actor is present`);
  const out = new Float32Array(actors * keep.length * VALUES);
  for (let a = 0; a < actors; a++) {
    keep.forEach((t, i) =>
      out.set(data.subarray((a * T + t) * VALUES, (a * T + t + 1) * VALUES), (a * keep.length + i) * VALUES),
    );
  }
  return { data: out, actors, frames: keep.length, actorBodies, notes };
}
