/**
 * Repetition counting for fitness apps: the ML Kit / MediaPipe pose-classification method,
 * re-implemented from its description (../shared/reference/data.md §3.5).
 *
 *   embedding   33 BlazePose landmarks (image pixels, z on the same scale) → translate the hip
 *               centre to the origin, scale by the pose size (the larger of 2.5 × the torso and
 *               the farthest landmark from the hip centre, in 2D), × 100 → 23 difference vectors
 *               between joints (torso, limbs, cross-body pairs);
 *   classifier  k-NN over labelled single-frame samples, robust to outliers: the 30 samples
 *               with the smallest largest per-coordinate difference, of those the 10 with the
 *               smallest mean difference; axis weights (1, 1, 0.2) play z down; the pose and its
 *               mirror image are both tried (the smaller distance counts); the result is each
 *               class's count among the 10 (a confidence from 0 to 10);
 *   smoothing   an exponential moving average over the last 10 results (alpha 0.2), reset when
 *               more than `resetMs` passed since the previous frame (ML Kit: 100 ms, which at
 *               under 10 fps means no smoothing at all; configurable here);
 *   counter     per counted class (the "down" pose of an exercise): entering when its
 *               confidence rises above 6, one repetition when it then falls below 4.
 */
import type { SkeletonSample } from '../data/types.js';
import type { LayoutName } from '../graph/layout.js';
import { rawChannelsOf, type Modality } from '../graph/modalities.js';

/** BlazePose landmark indices the embedding uses. */
const B = {
  leftShoulder: 11,
  rightShoulder: 12,
  leftElbow: 13,
  rightElbow: 14,
  leftWrist: 15,
  rightWrist: 16,
  leftHip: 23,
  rightHip: 24,
  leftKnee: 25,
  rightKnee: 26,
  leftAnkle: 27,
  rightAnkle: 28,
} as const;

/** A landmark: x, y, z. */
export type Point3 = readonly [number, number, number];

const sub = (a: Point3, b: Point3): [number, number, number] => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const mid = (a: Point3, b: Point3): [number, number, number] => [
  (a[0] + b[0]) / 2,
  (a[1] + b[1]) / 2,
  (a[2] + b[2]) / 2,
];
const dist2d = (a: Point3, b: Point3) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Joint pairs of the embedding after the hips-to-shoulders vector: [from, to] (difference to − from). */
const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [B.leftShoulder, B.leftElbow],
  [B.rightShoulder, B.rightElbow],
  [B.leftElbow, B.leftWrist],
  [B.rightElbow, B.rightWrist],
  [B.leftHip, B.leftKnee],
  [B.rightHip, B.rightKnee],
  [B.leftKnee, B.leftAnkle],
  [B.rightKnee, B.rightAnkle],
  // Two joints apart.
  [B.leftShoulder, B.leftWrist],
  [B.rightShoulder, B.rightWrist],
  [B.leftHip, B.leftAnkle],
  [B.rightHip, B.rightAnkle],
  // Four joints apart.
  [B.leftHip, B.leftWrist],
  [B.rightHip, B.rightWrist],
  // Five joints apart.
  [B.leftShoulder, B.leftAnkle],
  [B.rightShoulder, B.rightAnkle],
  [B.leftHip, B.leftWrist],
  [B.rightHip, B.rightWrist],
  // Across the body.
  [B.leftElbow, B.rightElbow],
  [B.leftKnee, B.rightKnee],
  [B.leftWrist, B.rightWrist],
  [B.leftAnkle, B.rightAnkle],
];

/** Number of 3D vectors in an embedding. */
export const EMBEDDING_VECTORS = 1 + PAIRS.length;

/** The pose embedding of 33 landmarks: EMBEDDING_VECTORS × 3 numbers. */
export function poseEmbedding(landmarks: readonly Point3[]): Float64Array {
  if (landmarks.length !== 33)
    throw new Error(`a pose embedding takes 33 BlazePose landmarks, got ${landmarks.length}`);
  const hips = mid(landmarks[B.leftHip], landmarks[B.rightHip]);
  const centred = landmarks.map((p) => sub(p, hips));
  const shoulders = mid(centred[B.leftShoulder], centred[B.rightShoulder]);
  const origin: Point3 = [0, 0, 0];
  const torso = dist2d(shoulders, origin);
  let far = 0;
  for (const p of centred) far = Math.max(far, dist2d(p, origin));
  const size = Math.max(2.5 * torso, far);
  if (!(size > 0)) throw new Error('a pose embedding needs landmarks that are not all in one place');
  const n = centred.map((p) => [(p[0] / size) * 100, (p[1] / size) * 100, (p[2] / size) * 100] as const);
  const out = new Float64Array(EMBEDDING_VECTORS * 3);
  const put = (k: number, v: readonly number[]) => out.set(v, 3 * k);
  put(0, sub(mid(n[B.leftShoulder], n[B.rightShoulder]), mid(n[B.leftHip], n[B.rightHip])));
  PAIRS.forEach(([a, b], k) => put(k + 1, sub(n[b], n[a])));
  return out;
}

export interface PoseSample {
  readonly name: string;
  readonly className: string;
  readonly embedding: Float64Array;
}

export interface PoseClassifierOptions {
  readonly maxDistanceTopK?: number;
  readonly meanDistanceTopK?: number;
  readonly axisWeights?: Point3;
}

/** Confidence per class (counts among the nearest samples, 0 … meanDistanceTopK; or a model's probability). */
export type ClassConfidence = ReadonlyMap<string, number>;

/**
 * What the repetition counter needs from a pose classifier: its classes, the largest confidence
 * a class can get, and one pose's confidence per class. The k-NN over samples below and a
 * trained single-pose model (./pose-model-classifier.ts) both are one.
 */
export interface PoseConfidenceSource {
  readonly classes: readonly string[];
  /** The largest confidence a class can get: the number of voting samples, or 1 for probabilities. */
  readonly confidenceRange: number;
  /** The confidence per class of one pose's 33 landmarks (image pixels, z on the x scale). */
  classify(landmarks: readonly Point3[]): ClassConfidence;
}

/**
 * The classifier's own name for a pose class: the exact name, else the one that differs only in
 * case, spaces and underscores ("squats_down" of the ML Kit CSV is "squats down" in a model's
 * class list). Throws naming the classes it has.
 */
export function poseClassNamed(classes: readonly string[], name: string): string {
  if (classes.includes(name)) return name;
  const key = (c: string) =>
    c
      .toLowerCase()
      .replace(/[\s_]+/g, ' ')
      .trim();
  const found = classes.filter((c) => key(c) === key(name));
  if (found.length === 1) return found[0];
  throw new Error(`the pose classifier has no class '${name}' to count (it has: ${classes.join(', ')})`);
}

/** ML Kit's k-nearest-neighbour pose classifier over pose embeddings, built from labelled sample poses. */
export class PoseClassifier implements PoseConfidenceSource {
  readonly classes: readonly string[];
  private readonly o: Required<PoseClassifierOptions>;

  constructor(
    private readonly samples: readonly PoseSample[],
    options: PoseClassifierOptions = {},
  ) {
    if (samples.length === 0) throw new Error('the pose classifier needs at least one labelled sample');
    this.o = { maxDistanceTopK: 30, meanDistanceTopK: 10, axisWeights: [1, 1, 0.2], ...options };
    this.classes = [...new Set(samples.map((s) => s.className))];
  }

  /** Samples from ML Kit fitness CSV rows (read with classes: 'any' or the shipped table). */
  static fromCsvSamples(rows: readonly SkeletonSample[], options: PoseClassifierOptions = {}): PoseClassifier {
    return new PoseClassifier(
      rows.map((r) => {
        const d = r.clip.data;
        const landmarks = Array.from({ length: 33 }, (_, j) => [d[3 * j], d[3 * j + 1], d[3 * j + 2]] as Point3);
        return { name: r.name, className: String(r.meta.className ?? r.label), embedding: poseEmbedding(landmarks) };
      }),
      options,
    );
  }

  /** The range of a confidence (the number of nearest samples that vote). */
  get confidenceRange(): number {
    return Math.min(this.o.meanDistanceTopK, this.samples.length);
  }

  /** The confidence per class of one pose's landmarks. */
  classify(landmarks: readonly Point3[]): ClassConfidence {
    const query = poseEmbedding(landmarks);
    const mirrored = poseEmbedding(landmarks.map(([x, y, z]) => [-x, y, z] as Point3));
    const w = this.o.axisWeights;
    const distances = (s: PoseSample) => {
      let maxA = 0;
      let maxB = 0;
      let sumA = 0;
      let sumB = 0;
      for (let i = 0; i < query.length; i++) {
        const wi = w[i % 3];
        const a = Math.abs(query[i] - s.embedding[i]) * wi;
        const b = Math.abs(mirrored[i] - s.embedding[i]) * wi;
        maxA = Math.max(maxA, a);
        maxB = Math.max(maxB, b);
        sumA += a;
        sumB += b;
      }
      return { max: Math.min(maxA, maxB), mean: Math.min(sumA, sumB) / query.length };
    };
    const scored = this.samples.map((s) => ({ s, ...distances(s) }));
    const byMax = scored.sort((a, b) => a.max - b.max).slice(0, this.o.maxDistanceTopK);
    const byMean = byMax.sort((a, b) => a.mean - b.mean).slice(0, this.o.meanDistanceTopK);
    const result = new Map<string, number>(this.classes.map((c) => [c, 0]));
    for (const { s } of byMean) result.set(s.className, (result.get(s.className) ?? 0) + 1);
    return result;
  }
}

/** Exponential moving average over the last `window` results; restarts after a pause longer than `resetMs`. */
export class EmaSmoothing {
  private readonly results: ClassConfidence[] = [];
  private lastMs: number | undefined;

  constructor(
    private readonly window = 10,
    private readonly alpha = 0.2,
    private readonly resetMs = 100,
  ) {}

  /** Adds one frame's confidences; returns the smoothed ones. */
  add(result: ClassConfidence, timestampMs: number): ClassConfidence {
    if (this.lastMs !== undefined && timestampMs - this.lastMs > this.resetMs) this.results.length = 0;
    this.lastMs = timestampMs;
    this.results.unshift(result);
    if (this.results.length > this.window) this.results.length = this.window;
    const classes = new Set(this.results.flatMap((r) => [...r.keys()]));
    const out = new Map<string, number>();
    for (const c of classes) {
      let factor = 1;
      let top = 0;
      let bottom = 0;
      for (const r of this.results) {
        top += factor * (r.get(c) ?? 0);
        bottom += factor;
        factor *= 1 - this.alpha;
      }
      out.set(c, top / bottom);
    }
    return out;
  }
}

/** Counts the repetitions of one pose class with enter/exit hysteresis. */
export class RepetitionCounter {
  count = 0;
  private entered = false;

  constructor(
    readonly className: string,
    private readonly enter = 6,
    private readonly exit = 4,
  ) {
    if (!(exit < enter)) throw new Error(`the exit threshold (${exit}) must be below the enter threshold (${enter})`);
  }

  /** Feeds one smoothed result; returns true when a repetition was completed. */
  add(result: ClassConfidence): boolean {
    const confidence = result.get(this.className) ?? 0;
    if (!this.entered) {
      this.entered = confidence > this.enter;
      return false;
    }
    if (confidence < this.exit) {
      this.count++;
      this.entered = false;
      return true;
    }
    return false;
  }
}

/** The shipped pose model the counter classifies poses with when no samples are given (pretrained/fitness). */
export const DEFAULT_POSE_MODEL = 'fitness';

/**
 * Why a saved model cannot be the counter's pose classifier (it must read one pose's BlazePose-33
 * landmarks as x, y, z); undefined when it can. Checked before loading weights where possible.
 */
export function poseModelProblem(model: {
  readonly layout: LayoutName;
  readonly modality: Modality;
  readonly inChannels: number;
}): string | undefined {
  if (model.layout !== 'blazepose-33')
    return `a pose classifier for repetition counting needs a model on BlazePose-33 landmarks (like the shipped '${DEFAULT_POSE_MODEL}'); this one reads ${model.layout}`;
  const raw = rawChannelsOf(model.modality, model.inChannels);
  if (raw !== 3)
    return `a pose classifier reads x, y, z per landmark; this model's modality ${model.modality} reads ${raw} raw channels`;
  return undefined;
}

/** Exercises with a counted ("down") class in the ML Kit samples. */
export const EXERCISES: Readonly<Record<string, string>> = { pushup: 'pushups_down', squat: 'squats_down' };

export interface RepCountOptions {
  readonly enter?: number;
  readonly exit?: number;
  readonly smoothingWindow?: number;
  readonly alpha?: number;
  /** Restart the smoothing after a pause longer than this (ML Kit: 100 ms). Default 1000 ms. */
  readonly resetMs?: number;
}

export interface Repetition {
  readonly index: number;
  /** When the counted pose was left: the repetition is complete. */
  readonly timestampMs: number;
}

/**
 * Counts the repetitions of `className` over a sequence of poses (33 landmarks in pixels, or
 * null for frames without a person: smoothing goes on, the counter skips them, as in ML Kit).
 * The enter and exit thresholds default to 60 % and 40 % of the classifier's confidence range.
 */
export function countRepetitions(
  classifier: PoseConfidenceSource,
  className: string,
  frames: ReadonlyArray<{ timestampMs: number; landmarks: readonly Point3[] | null }>,
  options: RepCountOptions = {},
): { count: number; repetitions: Repetition[] } {
  className = poseClassNamed(classifier.classes, className);
  const range = classifier.confidenceRange;
  const smoothing = new EmaSmoothing(options.smoothingWindow ?? 10, options.alpha ?? 0.2, options.resetMs ?? 1000);
  const counter = new RepetitionCounter(className, options.enter ?? 0.6 * range, options.exit ?? 0.4 * range);
  const repetitions: Repetition[] = [];
  for (const f of frames) {
    const result = f.landmarks ? classifier.classify(f.landmarks) : new Map<string, number>();
    const smoothed = smoothing.add(result, f.timestampMs);
    if (!f.landmarks) continue;
    if (counter.add(smoothed)) repetitions.push({ index: counter.count, timestampMs: f.timestampMs });
  }
  return { count: counter.count, repetitions };
}
