/**
 * Turns an action spec into per-sample motion curves: repeats the cycle, mirrors for the
 * left-handed variant, varies timing, amplitude and each keyframe a little, and evaluates
 * all channels at any time with a shape-preserving cubic (no overshoot, so a held pose
 * stays held and a monotone step stays monotone).
 */
import { type ActionSpec, type Keyframe, type Pose, STANDING } from './actions.js';
import {
  DOF_COUNT,
  DOF_INDEX,
  DOF_NAMES,
  type DofName,
  type FootAnchor,
  LATERAL_DOFS,
  mirrorDofName,
  type RootMotion,
} from './kinematics.js';
import type { Rng } from '../../core/random.js';

/** Channels per person: the DOFs, then move, strafe, lift, turn. */
const MOVE = DOF_COUNT;
const STRAFE = DOF_COUNT + 1;
const LIFT = DOF_COUNT + 2;
const TURN = DOF_COUNT + 3;
const CHANNELS = DOF_COUNT + 4;

/** How much one sample's performance may differ from the table. */
export interface MotionVariation {
  /** Speed multiplier range (duration is divided by it). */
  readonly speed: readonly [number, number];
  /** Range of the factor on every joint excursion from standing. */
  readonly amplitude: readonly [number, number];
  /** Each keyframe's duration is scaled by 1 ± this (uniform). */
  readonly timing: number;
  /** Standard deviation of the per-keyframe, per-DOF offset, degrees. */
  readonly poseJitterDegrees: number;
  /** Range of the factor on step lengths and jump heights. */
  readonly stride: readonly [number, number];
}

export const DEFAULT_VARIATION: MotionVariation = {
  speed: [0.7, 1.4],
  amplitude: [0.85, 1.15],
  timing: 0.15,
  poseJitterDegrees: 3,
  stride: [0.85, 1.15],
};

/** The choices made for one sample, for its meta and notes. */
export interface MotionChoices {
  readonly mirrored: boolean;
  readonly reps: number;
  readonly speed: number;
  readonly amplitude: number;
  /** Length of the motion itself (without idle time), seconds. */
  readonly duration: number;
}

/**
 * Per-DOF scale of the keyframe jitter: the stance DOFs get less, so that standing feet
 * do not drift into each other.
 */
const POSE_JITTER_SCALE: Readonly<Partial<Record<DofName, number>>> = {
  hipAbdL: 0.3,
  hipAbdR: 0.3,
  hipRotL: 0.3,
  hipRotR: 0.3,
  ankleFlexL: 0.5,
  ankleFlexR: 0.5,
  shrugL: 0.5,
  shrugR: 0.5,
};
const JITTER_SCALE = Float64Array.from(DOF_NAMES, (name) => POSE_JITTER_SCALE[name] ?? 1);

/** Slow idle movement (sway, breathing-like drift) layered on a person's DOFs. */
interface Sway {
  readonly dof: number;
  readonly amplitude: number;
  /** Radians per second. */
  readonly angularFrequency: number;
  readonly phase: number;
}

/** DOFs that sway while standing and their amplitude range, degrees. */
const SWAY_DOFS: ReadonlyArray<readonly [DofName, number]> = [
  ['trunkFlex', 1.5],
  ['trunkSide', 1.2],
  ['trunkTwist', 2],
  ['neckFlex', 3],
  ['neckTwist', 4],
  ['shoulderAbdL', 2.5],
  ['shoulderAbdR', 2.5],
  ['shoulderFlexL', 3],
  ['shoulderFlexR', 3],
  ['elbowFlexL', 4],
  ['elbowFlexR', 4],
];

/** Motion curves of every person of one sample. */
export class Motion {
  readonly choices: MotionChoices;
  readonly persons: number;
  readonly anchors: readonly FootAnchor[];
  /** Knot times, seconds, strictly increasing, shared by all channels and persons. */
  private readonly times: Float64Array;
  /** values[(person · knots + k) · CHANNELS + c]. */
  private readonly values: Float64Array;
  /** Slopes at the knots, same layout as values. */
  private readonly slopes: Float64Array;
  private readonly sway: readonly Sway[][];
  private cursor = 0;
  /** Root channels of the last evaluation (move, strafe, lift, turn). */
  private readonly rootScratch = new Float64Array(4);
  /** Returned by evaluate and overwritten by the next call. */
  private readonly root = { move: 0, strafe: 0, lift: 0, turn: 0 };

  constructor(
    spec: ActionSpec,
    rng: Rng,
    variation: MotionVariation = DEFAULT_VARIATION,
    options: { mirrored?: boolean; speedBias?: number } = {},
  ) {
    const mirrored = spec.handed && (options.mirrored ?? false);
    const reps = spec.cycle ? rng.int(spec.cycle.reps[0], spec.cycle.reps[1]) : 1;
    const speed = rng.inRange(variation.speed) * (options.speedBias ?? 1);
    const drawnAmplitude = rng.inRange(variation.amplitude);
    const amplitude = spec.reachesTarget ? 1 + (drawnAmplitude - 1) / 4 : drawnAmplitude;
    const poseJitter = variation.poseJitterDegrees * (spec.reachesTarget ? 0.4 : 1);
    const stride = rng.inRange(variation.stride);
    const beat = rng.inRange(spec.beatSeconds) / speed;

    const keyframes = expandCycle(spec, reps);
    this.persons = spec.persons;
    const K = keyframes.length;
    this.times = new Float64Array(K);
    for (let k = 1; k < K; k++) {
      const beats = Math.max(keyframes[k].beats, 0.05) * (1 + rng.uniform(-variation.timing, variation.timing));
      this.times[k] = this.times[k - 1] + beats * beat;
    }
    this.values = new Float64Array(this.persons * K * CHANNELS);
    const standing = poseVector(STANDING, false);
    for (let m = 0; m < this.persons; m++) {
      // Each person has its own amplitude; the second one varies around the first.
      const personAmplitude = m === 0 ? amplitude : amplitude * rng.uniform(0.92, 1.08);
      const root = { move: 0, strafe: 0, turn: 0 };
      for (let k = 0; k < K; k++) {
        const key = keyframes[k];
        const pose = poseVector(m === 0 ? key.pose : (key.partner ?? STANDING), mirrored);
        const rootKey = (m === 0 ? key.root : key.partnerRoot) ?? {};
        const o = (m * K + k) * CHANNELS;
        for (let d = 0; d < DOF_COUNT; d++) {
          const excursion = pose[d] - standing[d];
          this.values[o + d] = standing[d] + excursion * personAmplitude + rng.normal() * poseJitter * JITTER_SCALE[d];
        }
        const side = mirrored ? -1 : 1;
        root.move += (rootKey.move ?? 0) * stride;
        root.strafe += (rootKey.strafe ?? 0) * stride * side;
        root.turn += (rootKey.turn ?? 0) * side;
        this.values[o + MOVE] = root.move;
        this.values[o + STRAFE] = root.strafe;
        this.values[o + LIFT] = (rootKey.lift ?? 0) * stride;
        this.values[o + TURN] = root.turn;
      }
    }
    this.slopes = monotoneSlopes(this.times, this.values, this.persons, CHANNELS);

    const anchor = mirrored ? mirrorAnchor(spec.anchor) : spec.anchor;
    const partnerAnchor = spec.partnerAnchor ?? spec.anchor;
    this.anchors = this.persons === 1 ? [anchor] : [anchor, mirrored ? mirrorAnchor(partnerAnchor) : partnerAnchor];
    this.sway = Array.from({ length: this.persons }, () =>
      SWAY_DOFS.map(([dof, maxAmplitude]) => ({
        dof: DOF_INDEX[dof],
        amplitude: rng.uniform(0.3, 1) * maxAmplitude,
        angularFrequency: 2 * Math.PI * rng.uniform(0.12, 0.5),
        phase: rng.uniform(0, 2 * Math.PI),
      })),
    );
    this.choices = { mirrored, reps, speed, amplitude, duration: this.times[K - 1] };
  }

  /** Length of the motion, seconds. */
  get duration(): number {
    return this.times[this.times.length - 1];
  }

  /** Farthest the person's root gets behind its start (in its initial facing), metres. */
  retreat(person: number): number {
    const K = this.times.length;
    let farthest = 0;
    for (let k = 0; k < K; k++) farthest = Math.max(farthest, -this.values[(person * K + k) * CHANNELS + MOVE]);
    return farthest;
  }

  /**
   * Pose (degrees) and root motion of `person` at `motionTime` seconds (clamped to the
   * motion, so the first and last poses are held). `clockTime` drives the idle sway, which
   * goes on before and after the motion. The returned object is reused by the next call.
   */
  evaluate(person: number, motionTime: number, clockTime: number, pose: Float64Array): RootMotion {
    const times = this.times;
    const K = times.length;
    const t = Math.min(Math.max(motionTime, 0), times[K - 1]);
    // Frames are evaluated in order, so the segment search usually starts where it ended.
    let k = this.cursor;
    if (k >= K - 1 || times[k] > t) k = 0;
    while (k < K - 2 && times[k + 1] < t) k++;
    this.cursor = k;
    const base = person * K * CHANNELS;
    const out = this.rootScratch;
    if (K === 1) {
      for (let c = 0; c < CHANNELS; c++) this.writeChannel(c, this.values[base + c], pose, out);
    } else {
      const h = times[k + 1] - times[k];
      const s = (t - times[k]) / h;
      const s2 = s * s;
      const s3 = s2 * s;
      const h00 = 2 * s3 - 3 * s2 + 1;
      const h10 = s3 - 2 * s2 + s;
      const h01 = -2 * s3 + 3 * s2;
      const h11 = s3 - s2;
      const o0 = base + k * CHANNELS;
      const o1 = o0 + CHANNELS;
      for (let c = 0; c < CHANNELS; c++) {
        const v =
          h00 * this.values[o0 + c] +
          h10 * h * this.slopes[o0 + c] +
          h01 * this.values[o1 + c] +
          h11 * h * this.slopes[o1 + c];
        this.writeChannel(c, v, pose, out);
      }
    }
    for (const w of this.sway[person]) pose[w.dof] += w.amplitude * Math.sin(w.angularFrequency * clockTime + w.phase);
    const root = this.root;
    root.move = out[0];
    root.strafe = out[1];
    root.lift = out[2];
    root.turn = out[3];
    return root;
  }

  private writeChannel(c: number, v: number, pose: Float64Array, root: Float64Array): void {
    if (c < DOF_COUNT) pose[c] = v;
    else root[c - DOF_COUNT] = v;
  }
}

/** The keyframes with keyframes[from..to] performed `reps` times. */
function expandCycle(spec: ActionSpec, reps: number): Keyframe[] {
  const frames = spec.keyframes;
  if (!spec.cycle) return [...frames];
  const { from, to } = spec.cycle;
  if (from < 0 || to >= frames.length || from > to)
    throw new Error(`action ${spec.id}: cycle ${from}..${to} is outside its ${frames.length} keyframes`);
  const cycle = frames.slice(from, to + 1);
  const out = frames.slice(0, to + 1);
  for (let r = 1; r < reps; r++) out.push(...cycle);
  out.push(...frames.slice(to + 1));
  return out;
}

/** Full DOF vectors of the table's poses (plain, mirrored), built once per pose object. */
const poseVectors = new WeakMap<Pose, [Float64Array | undefined, Float64Array | undefined]>();

/** A pose as a full DOF vector (unlisted DOFs standing), mirrored if asked. Do not modify the result. */
function poseVector(pose: Pose, mirrored: boolean): Float64Array {
  let cached = poseVectors.get(pose);
  if (!cached) {
    cached = [undefined, undefined];
    poseVectors.set(pose, cached);
  }
  const slot = mirrored ? 1 : 0;
  const existing = cached[slot];
  if (existing) return existing;
  const out = new Float64Array(DOF_COUNT);
  const full: Pose = { ...STANDING, ...pose };
  for (const name of DOF_NAMES) {
    const value = full[name];
    if (value === undefined) continue;
    if (!mirrored) out[DOF_INDEX[name]] = value;
    else out[DOF_INDEX[mirrorDofName(name)]] = LATERAL_DOFS.includes(name) ? -value : value;
  }
  cached[slot] = out;
  return out;
}

function mirrorAnchor(anchor: FootAnchor): FootAnchor {
  return anchor === 'left' ? 'right' : anchor === 'right' ? 'left' : anchor;
}

/**
 * Knot slopes for a shape-preserving cubic Hermite curve (Fritsch–Butland): zero at the
 * ends and at local extrema, a weighted harmonic mean of the neighbouring secants elsewhere.
 */
function monotoneSlopes(times: Float64Array, values: Float64Array, persons: number, channels: number): Float64Array {
  const K = times.length;
  const slopes = new Float64Array(values.length);
  for (let m = 0; m < persons; m++) {
    for (let k = 1; k < K - 1; k++) {
      const h0 = times[k] - times[k - 1];
      const h1 = times[k + 1] - times[k];
      const o = (m * K + k) * channels;
      for (let c = 0; c < channels; c++) {
        const d0 = (values[o + c] - values[o - channels + c]) / h0;
        const d1 = (values[o + channels + c] - values[o + c]) / h1;
        if (d0 * d1 <= 0) continue;
        slopes[o + c] = (3 * (h0 + h1)) / ((2 * h1 + h0) / d0 + (h1 + 2 * h0) / d1);
      }
    }
  }
  return slopes;
}
