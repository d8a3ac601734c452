/**
 * Extra Kinect "bodies" of the kinds that real NTU RGB+D files contain, so that the SGN /
 * CTR-GCN denoising rules (reference data.md §1.5, step 2) have something to remove:
 *
 *  - 'short':     a ghost detection seen for at most 11 frames (the length rule drops
 *                 bodies with ≤ 11 frames);
 *  - 'spread':    a flat object (table edge, sofa back, a wide blob far away) tracked as a
 *                 body for many frames, wider than tall: x-range > 0.8 · y-range in at
 *                 least 80 % of its frames (the spread rule drops bodies at ≥ 69.754 %);
 *  - 'bystander': a child sitting still in the background for most of the clip. It passes
 *                 both rules, but its "motion" (the variance of all its joint coordinates,
 *                 which mostly measures body extent: small for a seated child) is below any
 *                 actor's, so it loses when only the two bodies with the largest motion
 *                 are kept.
 *
 * All positions are camera-space metres, 25 NTU joints × xyz per frame.
 */
import { SEATED } from './actions.js';
import {
  BodyModel,
  DOF_COUNT,
  DOF_INDEX,
  type DofName,
  randomBodyShape,
  worldToCamera,
  type SensorPose,
} from './kinematics.js';
import type { Rng } from '../../core/random.js';

export const NOISE_BODY_KINDS = ['short', 'spread', 'bystander'] as const;
export type NoiseBodyKind = (typeof NOISE_BODY_KINDS)[number];

/** The denoising thresholds that the noise bodies are made to trip (SGN, CTR-GCN, PYSKL). */
export const NTU_DENOISING_RULES = {
  /** Bodies seen in this many frames or fewer are dropped. */
  maxNoiseFrames: 11,
  /** A frame is spread-noisy when x-range > spreadRatio · y-range. */
  spreadRatio: 0.8,
  /** A body is dropped when at least this share of its frames are spread-noisy. */
  spreadFrameShare: 0.69754,
} as const;

/** Smallest share of spread-noisy frames a 'spread' body gets (margin over 0.69754). */
export const SPREAD_NOISY_SHARE_MIN = 0.8;

export interface NoiseBodyTrack {
  readonly kind: NoiseBodyKind;
  /** Index of the first frame (of the actors' frames) in which the body appears. */
  readonly firstFrame: number;
  /** Number of consecutive frames. */
  readonly frames: number;
  /** [frames, 25, 3] camera-space positions. */
  readonly joints: Float32Array;
}

const JOINTS = 25;
const VALUES = JOINTS * 3;

/** What a noise body is made from: the clip length and the main actor's joints. */
export interface NoiseBodyContext {
  readonly frames: number;
  /** [frames, 25, 3] positions of actor 1 (a frame of zeros means absent). */
  readonly actor: Float32Array;
  /** Sensor pose of the recording (for bodies posed in the world). */
  readonly sensor: SensorPose;
}

/** Makes one noise body of the given kind. Needs a clip of at least 12 frames for 'spread' and 'bystander'. */
export function makeNoiseBody(kind: NoiseBodyKind, rng: Rng, context: NoiseBodyContext): NoiseBodyTrack {
  switch (kind) {
    case 'short':
      return shortBody(rng, context);
    case 'spread':
      return spreadBody(rng, context);
    case 'bystander':
      return bystanderBody(rng, context);
  }
}

/** A ghost of the actor, displaced sideways, for 2–11 frames. */
function shortBody(rng: Rng, context: NoiseBodyContext): NoiseBodyTrack {
  const frames = Math.min(context.frames, rng.int(2, NTU_DENOISING_RULES.maxNoiseFrames));
  const firstFrame = rng.int(0, context.frames - frames);
  const dx = (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.3, 0.9);
  const dz = rng.uniform(-0.3, 0.4);
  const joints = new Float32Array(frames * VALUES);
  // A ghost is a shrunken or stretched copy around the actor's own centre.
  const shrink = rng.uniform(0.7, 1.05);
  for (let f = 0; f < frames; f++) {
    const src = (firstFrame + f) * VALUES;
    const cx = context.actor[src];
    const cy = context.actor[src + 1];
    const cz = context.actor[src + 2];
    for (let j = 0; j < JOINTS; j++) {
      const o = f * VALUES + 3 * j;
      joints[o] = cx + (context.actor[src + 3 * j] - cx) * shrink + dx + rng.normal() * 0.02;
      joints[o + 1] = cy + (context.actor[src + 3 * j + 1] - cy) * shrink + rng.normal() * 0.02;
      joints[o + 2] = cz + (context.actor[src + 3 * j + 2] - cz) * shrink + dz + rng.normal() * 0.02;
    }
  }
  return { kind: 'short', firstFrame, frames, joints };
}

/**
 * A flat object: the 25 joints scattered over a wide, low box. In a few frames the
 * tracker folds it into a tall blob, which keeps it from being trivially always noisy.
 */
function spreadBody(rng: Rng, context: NoiseBodyContext): NoiseBodyTrack {
  const frames = Math.max(NTU_DENOISING_RULES.maxNoiseFrames + 1, Math.round(context.frames * rng.uniform(0.5, 1)));
  if (frames > context.frames)
    throw new Error(`a 'spread' noise body needs at least ${frames} frames, the clip has ${context.frames}`);
  const firstFrame = rng.int(0, context.frames - frames);
  const width = rng.uniform(0.6, 1.4);
  const height = width * rng.uniform(0.1, 0.45);
  const depth = rng.uniform(0.05, 0.25);
  const centre = [(rng.chance(0.5) ? 1 : -1) * rng.uniform(0.9, 1.6), rng.uniform(-0.6, 0.1), rng.uniform(2.2, 4.5)];
  // Fixed offsets in the box; the first two joints pin its left and right ends so that the
  // x-range is the full width.
  const offsets = new Float64Array(VALUES);
  for (let j = 0; j < JOINTS; j++) {
    offsets[3 * j] = j === 0 ? -0.5 : j === 1 ? 0.5 : rng.uniform(-0.5, 0.5);
    offsets[3 * j + 1] = rng.uniform(-0.5, 0.5);
    offsets[3 * j + 2] = rng.uniform(-0.5, 0.5);
  }
  const tallFrames = Math.floor(frames * rng.uniform(0, 1 - SPREAD_NOISY_SHARE_MIN));
  const tallStart = rng.int(0, frames - tallFrames);
  const joints = new Float32Array(frames * VALUES);
  for (let f = 0; f < frames; f++) {
    const tall = f >= tallStart && f < tallStart + tallFrames;
    // Folded: narrow (0.15 m) and tall (0.6 m), so x-range < 0.8 · y-range.
    const w = tall ? 0.15 : width;
    const h = tall ? 0.6 : height;
    for (let j = 0; j < JOINTS; j++) {
      const o = f * VALUES + 3 * j;
      joints[o] = centre[0] + offsets[3 * j] * w + rng.normal() * 0.005;
      joints[o + 1] = centre[1] + offsets[3 * j + 1] * h + rng.normal() * 0.005;
      joints[o + 2] = centre[2] + offsets[3 * j + 2] * depth + rng.normal() * 0.005;
    }
  }
  return { kind: 'spread', firstFrame, frames, joints };
}

/** A child sitting in the background, barely moving. */
function bystanderBody(rng: Rng, context: NoiseBodyContext): NoiseBodyTrack {
  const frames = Math.max(NTU_DENOISING_RULES.maxNoiseFrames + 1, Math.round(context.frames * rng.uniform(0.8, 1)));
  if (frames > context.frames)
    throw new Error(`a 'bystander' noise body needs at least ${frames} frames, the clip has ${context.frames}`);
  const firstFrame = rng.int(0, context.frames - frames);
  const body = new BodyModel(randomBodyShape(rng, [0.6, 0.72]));
  const pose = new Float64Array(DOF_COUNT);
  for (const [name, value] of Object.entries(SEATED)) pose[DOF_INDEX[name as DofName]] = value ?? 0;
  const placement = {
    x: (rng.chance(0.5) ? 1 : -1) * rng.uniform(1.0, 1.8),
    z: rng.uniform(4.0, 4.6),
    heading: rng.uniform(-0.6, 0.6),
  };
  const still = new Float64Array(VALUES);
  body.place(pose, { move: 0, strafe: 0, lift: 0, turn: 0 }, 'feet', placement, still);
  worldToCamera(context.sensor, still, JOINTS);
  const joints = new Float32Array(frames * VALUES);
  // A slow sway of a centimetre or two plus sensor noise.
  const swayX = rng.uniform(0.005, 0.015);
  const swayRate = rng.uniform(0.5, 1.5);
  for (let f = 0; f < frames; f++) {
    const sway = swayX * Math.sin((swayRate * f) / 30);
    for (let j = 0; j < JOINTS; j++) {
      const o = f * VALUES + 3 * j;
      joints[o] = still[3 * j] + sway + rng.normal() * 0.008;
      joints[o + 1] = still[3 * j + 1] + rng.normal() * 0.008;
      joints[o + 2] = still[3 * j + 2] + rng.normal() * 0.008;
    }
  }
  return { kind: 'bystander', firstFrame, frames, joints };
}

/** Share of frames of a [frames, 25, 3] track whose x-range exceeds ratio · y-range. */
export function spreadFrameShare(
  joints: Float32Array,
  frames: number,
  ratio: number = NTU_DENOISING_RULES.spreadRatio,
): number {
  let noisy = 0;
  for (let f = 0; f < frames; f++) {
    let minX = Infinity,
      maxX = -Infinity,
      minY = Infinity,
      maxY = -Infinity;
    for (let j = 0; j < JOINTS; j++) {
      const x = joints[f * VALUES + 3 * j];
      const y = joints[f * VALUES + 3 * j + 1];
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    if (maxX - minX > ratio * (maxY - minY)) noisy++;
  }
  return frames === 0 ? 0 : noisy / frames;
}
