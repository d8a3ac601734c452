/**
 * Real-time classification of a pose stream with a saved model.
 *
 * Frames arrive one at a time with timestamps (from a camera and a pose landmarker); they may
 * be missing (nobody found) or irregular. The classifier keeps a sliding window of the last
 * `window` frames on a fixed time grid (`fps`): a frame that comes late fills the skipped grid
 * slots by holding the previous pose, a gap longer than `maxGapMs` clears the window. Every
 * `stride` grid frames it runs the model on the window through the model's own test-time
 * pipeline (the training data's alignment, the sampling to the model's frame count, the
 * modality), smooths the class probabilities over time (exponential moving average) and
 * reports events:
 *
 *   scores  the current top classes with their smoothed probabilities;
 *   start   an action begins: its smoothed probability rose to `startScore`;
 *   end     it ended: its probability fell below `endScore` (hysteresis, so a flicker around
 *           one threshold does not toggle), or the stream was cut or flushed.
 *
 * Memory is fixed at construction (one ring buffer of `window` frames); each classification's
 * tensors are freed before it returns, so hours of frames neither grow memory nor leak tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { makeClip, validFrameCount } from '../graph/clip.js';
import { getLayout, type Layout } from '../graph/layout.js';
import { rawChannelsOf } from '../graph/modalities.js';
import { alignPyskl, alignmentJoints, centreOnFirstFrame } from '../data/normalize.js';
import { loadModel, type ModelManifest } from '../models/io.js';
import { toModelBatch } from '../models/input.js';
import { createModelFromManifest } from '../models/registry.js';
import type { OnnxClassifier } from '../models/onnx/runner.js';
import type { SkeletonModel } from '../models/types.js';
import { type DataConfig, testDataConfigOf } from '../data/config.js';
import { testTimeClip } from '../data/transforms/clip-pipeline.js';

/** One frame: per person, [joints][channels] in the model's layout; null when nobody was found. */
export interface StreamFrame {
  readonly timestampMs: number;
  readonly persons: ReadonlyArray<ReadonlyArray<ArrayLike<number>> | null> | null;
}

/** The stream classifier's window, stride, frame rate, smoothing and event thresholds. */
export interface StreamClassifierOptions {
  /** Frames in the sliding window (default: the model's input frames). */
  readonly window?: number;
  /** Classify every this many grid frames (default 8). */
  readonly stride?: number;
  /** Rate of the time grid, frames per second (default 30, NTU RGB+D's rate). */
  readonly fps?: number;
  /** Weight of the newest probabilities in the moving average (1 = no smoothing; default 0.5). */
  readonly smoothing?: number;
  /** Classes reported per `scores` event (default 3). */
  readonly top?: number;
  /** Smoothed probability at which an action starts (default 0.6) … */
  readonly startScore?: number;
  /** … and below which it ends (default 0.4). */
  readonly endScore?: number;
  /** Share of the window that must hold a person before classifying (default 0.5). */
  readonly minFilled?: number;
  /** A gap between frames longer than this clears the window (default 1000 ms). */
  readonly maxGapMs?: number;
  /**
   * Spatial alignment of each window before the model: 'auto' follows the training data's
   * preparation (the model folder's `preprocessing.alignment`: CTR-GCN centring, PYSKL's
   * rotation, or none).
   */
  readonly alignment?: 'auto' | 'ctrgcn' | 'pyskl' | 'none';
}

/** A class and its (smoothed) probability. */
export interface ClassScore {
  readonly index: number;
  readonly label: string;
  readonly score: number;
}

/** What pushing a frame can cause: scores, an action starting or ending, too few frames with a person. */
export type StreamEvent =
  | { readonly type: 'scores'; readonly timestampMs: number; readonly top: readonly ClassScore[] }
  | {
      readonly type: 'start';
      readonly timestampMs: number;
      readonly index: number;
      readonly label: string;
      readonly score: number;
    }
  | {
      readonly type: 'end';
      readonly timestampMs: number;
      readonly index: number;
      readonly label: string;
      readonly startedMs: number;
      readonly reason: 'score' | 'gap' | 'flush' | 'no-person';
    }
  /**
   * At a classification time, the window holds too few frames with a person (none found, or
   * only all-zero poses, which is how skeleton data marks a missing person): nothing is
   * classified, and a running action ends (reason 'no-person').
   */
  | {
      readonly type: 'no-person';
      readonly timestampMs: number;
      readonly framesWithPerson: number;
      readonly window: number;
    };

/** Classifies a live pose stream: a sliding window of frames, classified every `stride` frames, with smoothed scores and start / end events. */
export class StreamClassifier {
  readonly window: number;
  readonly stride: number;
  readonly fps: number;
  readonly classNames: readonly string[];
  private readonly layout: Layout;
  private readonly persons: number;
  private readonly joints: number;
  private readonly channels: number;
  private readonly frameSize: number;
  private readonly ring: Float32Array;
  private readonly present: Uint8Array;
  private readonly smoothed: Float32Array;
  private readonly data: DataConfig;
  private readonly alignment: 'ctrgcn' | 'pyskl' | 'none';
  private readonly o: Required<Omit<StreamClassifierOptions, 'window' | 'stride' | 'fps' | 'alignment'>>;
  /** Grid frames written so far (the ring's write position is this modulo the window). */
  private written = 0;
  private sinceClassified = 0;
  private lastTimestamp: number | undefined;
  private gridOrigin: number | undefined;
  private lastSlot: number | undefined;
  private haveScores = false;
  private active: { index: number; startedMs: number } | undefined;

  constructor(
    /** A TensorFlow.js model, or an ONNX model on ONNX Runtime (then use pushAsync). */
    readonly model: SkeletonModel | OnnxClassifier,
    readonly manifest: Omit<ModelManifest, 'weightsManifest'>,
    options: StreamClassifierOptions = {},
  ) {
    this.window = options.window ?? model.frames;
    this.stride = options.stride ?? 8;
    this.fps = options.fps ?? 30;
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`stream classifier: ${what}`);
    };
    check(
      Number.isInteger(this.window) && this.window >= 2,
      `window must be an integer of at least 2 frames, got ${options.window}`,
    );
    check(
      Number.isInteger(this.stride) && this.stride >= 1,
      `stride must be a positive integer, got ${options.stride}`,
    );
    check(this.fps > 0, `fps must be positive, got ${options.fps}`);
    this.o = {
      smoothing: 0.5,
      top: 3,
      startScore: 0.6,
      endScore: 0.4,
      minFilled: 0.5,
      maxGapMs: 1000,
      ...stripUndefined(options),
    } as StreamClassifier['o'];
    check(this.o.smoothing > 0 && this.o.smoothing <= 1, `smoothing must be in (0, 1], got ${this.o.smoothing}`);
    check(
      this.o.endScore <= this.o.startScore,
      `endScore (${this.o.endScore}) must not exceed startScore (${this.o.startScore})`,
    );
    this.layout = getLayout(manifest.layout);
    this.classNames = manifest.classNames;
    this.persons = manifest.persons;
    this.joints = this.layout.numJoints;
    // Pose frames carry the raw channels (xyz); a stacked modality (jb) is computed from them.
    this.channels = rawChannelsOf(manifest.modality, manifest.inChannels);
    this.frameSize = this.persons * this.joints * this.channels;
    this.ring = new Float32Array(this.window * this.frameSize);
    this.present = new Uint8Array(this.window);
    this.smoothed = new Float32Array(this.classNames.length);
    // The model's own test-time data settings (saved with it), validated like a config.
    this.data = testDataConfigOf(manifest, 'stream');
    const prepared = manifest.preprocessing?.alignment;
    this.alignment =
      options.alignment && options.alignment !== 'auto'
        ? options.alignment
        : prepared === 'ctrgcn' || prepared === 'pyskl'
          ? prepared
          : 'none';
  }

  /** Loads a saved model folder (Node). */
  static load(dir: string, options: StreamClassifierOptions = {}): StreamClassifier {
    const { model, manifest } = loadModel(dir, createModelFromManifest);
    return new StreamClassifier(model, manifest, options);
  }

  /** Adds one frame; returns the events it caused (often none: classification runs every `stride` frames). */
  push(frame: StreamFrame): StreamEvent[] {
    if ('logits' in this.model)
      throw new Error(
        'stream classifier: an ONNX model runs asynchronously; use pushAsync (awaiting each call before the next)',
      );
    const events: StreamEvent[] = [];
    const t = this.advance(frame, events);
    if (t !== undefined) {
      const input = this.windowInput();
      if (input) this.applyScores(t, this.probabilities(input), events);
      else this.noPerson(t, events);
    }
    return events;
  }

  /**
   * Adds one frame, for either engine (the ONNX engine classifies asynchronously). Await each
   * call before pushing the next frame.
   */
  async pushAsync(frame: StreamFrame): Promise<StreamEvent[]> {
    const events: StreamEvent[] = [];
    const t = this.advance(frame, events);
    if (t !== undefined) {
      const input = this.windowInput();
      if (input) {
        const probabilities =
          'logits' in this.model
            ? softmax(await this.model.logits(input.x, input.indexT, 1))
            : this.probabilities(input);
        this.applyScores(t, probabilities, events);
      } else this.noPerson(t, events);
    }
    return events;
  }

  /** Writes the frame to the window; returns its timestamp when the window is due for classification. */
  private advance(frame: StreamFrame, events: StreamEvent[]): number | undefined {
    const t = frame.timestampMs;
    if (!Number.isFinite(t))
      throw new Error(`stream classifier: timestamp must be a finite number of milliseconds, got ${t}`);
    if (this.lastTimestamp !== undefined) {
      const gap = t - this.lastTimestamp;
      if (gap <= 0)
        throw new Error(`stream classifier: timestamps must increase (${t} ms after ${this.lastTimestamp} ms)`);
      if (gap > this.o.maxGapMs) this.clear(events, t, 'gap');
    }
    this.lastTimestamp = t;
    // The grid slot of this frame, from the time since the stream (re)started: a 25 fps input
    // on a 30 fps grid advances 6 slots every 5 frames, whatever the rounding of each gap.
    if (this.gridOrigin === undefined) this.gridOrigin = t;
    const slotIndex = Math.round(((t - this.gridOrigin) * this.fps) / 1000);
    const steps = this.lastSlot === undefined ? 1 : slotIndex - this.lastSlot;
    this.lastSlot = slotIndex;
    if (steps === 0) {
      // Two frames in one grid slot: the newer one replaces the older.
      this.written--;
      this.write(frame);
      return undefined;
    }
    // Grid slots skipped by a late frame hold the previous pose (at most a window's worth).
    const previous = this.written > 0 ? (this.written - 1) % this.window : -1;
    for (let s = 1; s < Math.min(steps, this.window); s++) {
      const slot = this.written % this.window;
      if (previous >= 0) {
        this.ring.copyWithin(slot * this.frameSize, previous * this.frameSize, (previous + 1) * this.frameSize);
        this.present[slot] = this.present[previous];
      }
      this.written++;
    }
    this.write(frame);
    this.sinceClassified += steps;
    if (this.sinceClassified >= this.stride) {
      const needed = this.o.minFilled * this.window;
      if (this.filled() >= needed) {
        this.sinceClassified = 0;
        return t;
      }
      if (Math.min(this.written, this.window) >= needed) {
        // Enough frames seen to classify, but too few of them hold a person. (While the
        // window is still filling, nothing is said.)
        this.sinceClassified = 0;
        this.noPerson(t, events);
      }
    }
    return undefined;
  }

  /** End of the stream: ends the current action, if any. */
  flush(timestampMs = this.lastTimestamp ?? 0): StreamEvent[] {
    const events: StreamEvent[] = [];
    this.clear(events, timestampMs, 'flush');
    this.lastTimestamp = undefined;
    return events;
  }

  /** Forgets the window and the smoothed scores (a new stream). */
  reset(): void {
    this.ring.fill(0);
    this.present.fill(0);
    this.smoothed.fill(0);
    this.written = 0;
    this.sinceClassified = 0;
    this.lastTimestamp = undefined;
    this.gridOrigin = undefined;
    this.lastSlot = undefined;
    this.haveScores = false;
    this.active = undefined;
  }

  /** Frees the model's weights (or ends the ONNX Runtime session). */
  dispose(): void {
    void this.model.dispose();
  }

  /** Bytes held for frames: fixed at construction. */
  get bufferBytes(): number {
    return this.ring.byteLength + this.present.byteLength + this.smoothed.byteLength;
  }

  private filled(): number {
    let n = 0;
    const slots = Math.min(this.written, this.window);
    for (let i = 0; i < slots; i++) n += this.present[i];
    return n;
  }

  private write(frame: StreamFrame): void {
    const slot = this.written % this.window;
    const base = slot * this.frameSize;
    this.ring.fill(0, base, base + this.frameSize);
    let any = 0;
    // More people than the model takes: the first ones count (the caller orders them, e.g. by track).
    const persons = frame.persons ?? [];
    for (let m = 0; m < Math.min(this.persons, persons.length); m++) {
      const joints = persons[m];
      if (!joints) continue;
      if (joints.length !== this.joints)
        throw new Error(
          `stream classifier: person ${m} has ${joints.length} joints; the model's layout ${this.layout.name} has ${this.joints}`,
        );
      for (let j = 0; j < this.joints; j++) {
        const p = joints[j];
        if (p.length < this.channels)
          throw new Error(
            `stream classifier: joint ${j} of person ${m} has ${p.length} values, the model takes ${this.channels}`,
          );
        for (let c = 0; c < this.channels; c++) {
          const v = p[c];
          if (!Number.isFinite(v))
            throw new Error(`stream classifier: joint ${j} of person ${m} has a non-finite value (${v})`);
          this.ring[base + (m * this.joints + j) * this.channels + c] = v;
          // An all-zero pose is the data's mark of a missing person, not a person at the origin.
          if (v !== 0) any = 1;
        }
      }
    }
    this.present[slot] = any;
    this.written++;
  }

  /** The window as a clip [persons, frames, joints, channels], oldest frame first, empty leading frames dropped. */
  private windowClip() {
    const slots = Math.min(this.written, this.window);
    const start = this.written - slots;
    let first = 0;
    while (first < slots && !this.present[(start + first) % this.window]) first++;
    const T = slots - first;
    const { persons: M, joints: V, channels: C } = this;
    const data = new Float32Array(M * T * V * C);
    for (let t = 0; t < T; t++) {
      const slot = (start + first + t) % this.window;
      for (let m = 0; m < M; m++) {
        const from = slot * this.frameSize + m * V * C;
        data.set(this.ring.subarray(from, from + V * C), (m * T + t) * V * C);
      }
    }
    return makeClip(data, M, T, V, C);
  }

  /**
   * The window through the model's test-time pipeline: x [1, T, V, C] and indexT [1, T];
   * undefined when it holds no person to classify.
   */
  private windowInput(): { x: Float32Array; indexT: Float32Array } | undefined {
    let clip = this.windowClip();
    if (clip.frames === 0) return undefined;
    if (this.alignment === 'ctrgcn') clip = centreOnFirstFrame(clip, alignmentJoints(this.layout).centre);
    else if (this.alignment === 'pyskl') clip = alignPyskl(clip, alignmentJoints(this.layout));
    // Centring can leave nothing: every joint of every person at one point (a degenerate pose).
    if (validFrameCount(clip) === 0) return undefined;
    const prepared = testTimeClip(clip, this.data, this.layout, this.model);
    const T = this.model.frames;
    const x = toModelBatch(
      [prepared.clip],
      { persons: this.model.persons, jointOrder: this.model.jointOrder, frames: T, channels: this.model.inChannels },
      this.data.fillMissingPersons,
    );
    return { x, indexT: prepared.indexT };
  }

  /** Class probabilities of the TensorFlow.js model for one window. */
  private probabilities(input: { x: Float32Array; indexT: Float32Array }): Float32Array {
    const model = this.model as SkeletonModel;
    const T = model.frames;
    const V = model.persons * model.jointOrder.length;
    return tf.tidy(() => {
      const out = model.forward(
        { x: tf.tensor4d(input.x, [1, T, V, model.inChannels]), indexT: tf.tensor2d(input.indexT, [1, T]) },
        { training: false },
      );
      return tf.softmax(out.logits).dataSync() as Float32Array;
    });
  }

  /** Smooths new probabilities into the scores and reports the events they cause. */
  private applyScores(timestampMs: number, probabilities: Float32Array, events: StreamEvent[]): void {
    const a = this.haveScores ? this.o.smoothing : 1;
    for (let k = 0; k < this.smoothed.length; k++) this.smoothed[k] = a * probabilities[k] + (1 - a) * this.smoothed[k];
    this.haveScores = true;
    const order = Array.from(this.smoothed.keys()).sort((i, j) => this.smoothed[j] - this.smoothed[i]);
    const top = order
      .slice(0, this.o.top)
      .map((index) => ({ index, label: this.classNames[index], score: this.smoothed[index] }));
    events.push({ type: 'scores', timestampMs, top });
    if (this.active && this.smoothed[this.active.index] < this.o.endScore) {
      events.push({
        type: 'end',
        timestampMs,
        index: this.active.index,
        label: this.classNames[this.active.index],
        startedMs: this.active.startedMs,
        reason: 'score',
      });
      this.active = undefined;
    }
    if (!this.active && top[0] && top[0].score >= this.o.startScore) {
      this.active = { index: top[0].index, startedMs: timestampMs };
      events.push({ type: 'start', timestampMs, index: top[0].index, label: top[0].label, score: top[0].score });
    }
  }

  private noPerson(timestampMs: number, events: StreamEvent[]): void {
    events.push({ type: 'no-person', timestampMs, framesWithPerson: this.filled(), window: this.window });
    if (this.active) {
      events.push({
        type: 'end',
        timestampMs,
        index: this.active.index,
        label: this.classNames[this.active.index],
        startedMs: this.active.startedMs,
        reason: 'no-person',
      });
      this.active = undefined;
    }
  }

  private clear(events: StreamEvent[], timestampMs: number, reason: 'gap' | 'flush'): void {
    if (this.active) {
      events.push({
        type: 'end',
        timestampMs,
        index: this.active.index,
        label: this.classNames[this.active.index],
        startedMs: this.active.startedMs,
        reason,
      });
    }
    const keepTimestamp = this.lastTimestamp;
    this.reset();
    this.lastTimestamp = keepTimestamp;
  }
}

/** Softmax of one row of logits (for the ONNX engine, whose logits arrive as numbers). */
function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return Float32Array.from(logits, (v) => Math.exp(v - max) / sum);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
