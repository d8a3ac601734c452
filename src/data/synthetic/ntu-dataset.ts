/**
 * Synthetic samples as NTU RGB+D recordings: what a Kinect would have written for them.
 *
 * A sample's actors become tracked bodies with 64-bit style ids; on top come the
 * imperfections of real files, each recorded in the result so tests can check what a
 * reader and the SGN/CTR-GCN denoiser should make of them:
 *  - noise bodies (noise-bodies.ts: short ghosts, flat 'spread' objects, bystanders),
 *  - a second actor picked up a few frames late,
 *  - leading frames with no body at all,
 *  - joints reported as inferred (tracking state 1) now and then.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getLayout, jointIndex } from '../../graph/layout.js';
import type { SkeletonSample } from '../types.js';
import { type FrameRangesByPersons, type SyntheticOptions, iterateSyntheticSamples } from './generator.js';
import type { SensorPose } from './kinematics.js';
import {
  type NoiseBodyKind,
  NOISE_BODY_KINDS,
  NTU_DENOISING_RULES,
  makeNoiseBody,
  spreadFrameShare,
} from './noise-bodies.js';
import { type NtuBodyFrame, type NtuBodyInfo, type NtuFrame, encodeNtuSkeleton } from './ntu-writer.js';
import { Rng, deriveSeed, seedFromNumber, stringKey } from '../../core/random.js';
import { DEG } from './rotation.js';

export interface NoiseBodyOptions {
  /** Chance that a file gets noise bodies at all. Default 0.25. */
  readonly probability?: number;
  /** Kinds to draw from. Default ['short', 'spread']. */
  readonly kinds?: readonly NoiseBodyKind[];
  /** Most noise bodies in one file (at least one when a file gets any). Default 2. */
  readonly maxPerFile?: number;
}

export interface NtuRecordingOptions {
  /** Seed of the recording's random choices (combined with the sample name). Default 0. */
  readonly seed?: number;
  /** Extra bodies, or false for none. */
  readonly noiseBodies?: NoiseBodyOptions | false;
  /** Chance that the file starts with 1–3 frames without any body. Default 0.1. */
  readonly emptyLeadProbability?: number;
  /** Chance that the second actor is tracked 1–6 frames late. Default 0.1. */
  readonly lateTrackingProbability?: number;
  /** Chance per joint and frame of tracking state 1 (inferred); hands and feet get 3×. Default 0.02. */
  readonly inferredJointProbability?: number;
}

/** Who a body in a recording is. */
export type NtuBodyRole = 'actor' | NoiseBodyKind;

export interface NtuBodyRecord {
  /** The body id as written in the file. */
  readonly id: string;
  readonly role: NtuBodyRole;
  /** Actor slot in the sample's clip (actors only). */
  readonly actor?: number;
  /** File frame index of the first appearance. */
  readonly firstFrame: number;
  /** Number of frames the body appears in (consecutive). */
  readonly frames: number;
}

export interface NtuRecording {
  readonly name: string;
  readonly frames: NtuFrame[];
  readonly bodies: NtuBodyRecord[];
  /** Ids of the noise bodies (every body that is not an actor). */
  readonly noiseBodyIds: string[];
  readonly notes: string[];
}

const DEFAULT_NOISE_BODIES: Required<NoiseBodyOptions> = {
  probability: 0.25,
  kinds: ['short', 'spread'],
  maxPerFile: 2,
};

/** Kinect tracking ids count up from 2^56. */
const TRACKING_ID_BASE = 72057594037927936n;
const JOINTS = 25;
const VALUES = JOINTS * 3;
/** Joints at limb ends, which Kinect infers more often. */
const OFTEN_INFERRED: ReadonlySet<number> = new Set(
  ['HandLeft', 'HandRight', 'FootLeft', 'FootRight', 'HandTipLeft', 'ThumbLeft', 'HandTipRight', 'ThumbRight'].map(
    (n) => jointIndex(getLayout('ntu-25'), n),
  ),
);

function probability(field: string, value: number | undefined, fallback: number): number {
  const p = value ?? fallback;
  if (!Number.isFinite(p) || p < 0 || p > 1)
    throw new Error(`NTU recording option '${field}': expected a probability in [0, 1], got ${JSON.stringify(value)}`);
  return p;
}

function resolveNoise(option: NoiseBodyOptions | false | undefined): Required<NoiseBodyOptions> | undefined {
  if (option === false) return undefined;
  const kinds = option?.kinds ?? DEFAULT_NOISE_BODIES.kinds;
  if (kinds.length === 0 || !kinds.every((k) => (NOISE_BODY_KINDS as readonly string[]).includes(k))) {
    throw new Error(
      `NTU recording option 'noiseBodies.kinds': expected a non-empty list of ${NOISE_BODY_KINDS.join(', ')}, got ${JSON.stringify(kinds)}`,
    );
  }
  const maxPerFile = option?.maxPerFile ?? DEFAULT_NOISE_BODIES.maxPerFile;
  if (!Number.isInteger(maxPerFile) || maxPerFile < 1 || maxPerFile > 4) {
    throw new Error(
      `NTU recording option 'noiseBodies.maxPerFile': expected an integer from 1 to 4 (Kinect tracks at most 6 bodies), got ${JSON.stringify(maxPerFile)}`,
    );
  }
  return {
    probability: probability('noiseBodies.probability', option?.probability, DEFAULT_NOISE_BODIES.probability),
    kinds,
    maxPerFile,
  };
}

function isEmpty(data: Float32Array, offset: number): boolean {
  for (let i = 0; i < VALUES; i++) if (data[offset + i] !== 0) return false;
  return true;
}

/** A body during recording: where its joints come from and how it is reported. */
interface TrackedBody {
  readonly role: NtuBodyRole;
  readonly actor?: number;
  /** Frame (of the clip) → joints offset into `data`, or -1 when absent. */
  readonly frameOffsets: Int32Array;
  readonly data: Float32Array;
  readonly slot: number;
  id: string;
}

/**
 * The recording of one ntu-25 sample: frames of bodies ready for formatNtuSkeleton, plus
 * what was added. Deterministic in (options.seed, sample name, label).
 */
export function toNtuRecording(sample: SkeletonSample, options: NtuRecordingOptions = {}): NtuRecording {
  if (sample.layout !== 'ntu-25' || sample.clip.joints !== JOINTS || sample.clip.channels !== 3) {
    throw new Error(
      `${sample.name}: an NTU recording needs an ntu-25 xyz clip, got layout '${sample.layout}' with ${sample.clip.joints} joints × ${sample.clip.channels} channels`,
    );
  }
  const seed = options.seed ?? 0;
  const rng = new Rng(deriveSeed(seedFromNumber(seed), stringKey(sample.name), sample.label));
  const noise = resolveNoise(options.noiseBodies);
  const emptyLeadProbability = probability('emptyLeadProbability', options.emptyLeadProbability, 0.1);
  const lateTrackingProbability = probability('lateTrackingProbability', options.lateTrackingProbability, 0.1);
  const inferredJointProbability = probability('inferredJointProbability', options.inferredJointProbability, 0.02);

  const { clip } = sample;
  const T = clip.frames;
  const notes: string[] = [];
  const slots = shuffled(rng, [0, 1, 2, 3, 4, 5]);
  const bodies: TrackedBody[] = [];

  for (let m = 0; m < clip.persons; m++) {
    const frameOffsets = new Int32Array(T).fill(-1);
    let present = 0;
    for (let f = 0; f < T; f++) {
      const o = (m * T + f) * VALUES;
      if (!isEmpty(clip.data, o)) {
        frameOffsets[f] = o;
        present++;
      }
    }
    if (present === 0) continue;
    if (m > 0 && T > 2 * NTU_DENOISING_RULES.maxNoiseFrames && rng.chance(lateTrackingProbability)) {
      const late = rng.int(1, 6);
      for (let f = 0; f < late; f++) frameOffsets[f] = -1;
      notes.push(`actor ${m + 1} is tracked from frame ${late} of the clip`);
    }
    bodies.push({ role: 'actor', actor: m, frameOffsets, data: clip.data, slot: slots[bodies.length], id: '' });
  }
  if (bodies.length === 0) throw new Error(`${sample.name}: the clip has no non-zero frame to record`);

  if (noise && T > NTU_DENOISING_RULES.maxNoiseFrames && rng.chance(noise.probability)) {
    const count = rng.int(1, noise.maxPerFile);
    const actorData = actorTrack(clip.data, bodies[0].frameOffsets);
    for (let k = 0; k < count && bodies.length < 6; k++) {
      const kind = rng.pick(noise.kinds);
      const track = makeNoiseBody(kind, rng, { frames: T, actor: actorData, sensor: sensorOf(sample) });
      const frameOffsets = new Int32Array(T).fill(-1);
      for (let f = 0; f < track.frames; f++) frameOffsets[track.firstFrame + f] = f * VALUES;
      bodies.push({ role: kind, frameOffsets, data: track.joints, slot: slots[bodies.length], id: '' });
    }
  }

  // Ids count up in order of first appearance, with gaps for bodies tracked and lost off-camera.
  const firstSeen = bodies.map((b) => b.frameOffsets.findIndex((o) => o >= 0));
  const byAppearance = bodies
    .map((_, i) => i)
    .sort((a, b) => firstSeen[a] - firstSeen[b] || bodies[a].slot - bodies[b].slot);
  let nextId = TRACKING_ID_BASE + BigInt(rng.int(1500, 60000));
  for (const i of byAppearance) {
    bodies[i].id = nextId.toString();
    nextId += BigInt(rng.int(1, 4));
  }

  const emptyLead = T > NTU_DENOISING_RULES.maxNoiseFrames && rng.chance(emptyLeadProbability) ? rng.int(1, 3) : 0;
  if (emptyLead > 0) notes.push(`${emptyLead} leading frame(s) with no body`);

  const listed = [...bodies].sort((a, b) => a.slot - b.slot);
  const hands = listed.map(() => ({ left: 2, right: 2 }));
  const frames: NtuFrame[] = Array.from({ length: emptyLead }, () => []);
  for (let f = 0; f < T; f++) {
    const frame: NtuBodyFrame[] = [];
    listed.forEach((body, i) => {
      const o = body.frameOffsets[f];
      if (o < 0) return;
      const states = new Uint8Array(JOINTS).fill(2);
      for (let j = 0; j < JOINTS; j++) {
        if (rng.chance(OFTEN_INFERRED.has(j) ? 3 * inferredJointProbability : inferredJointProbability)) states[j] = 1;
      }
      frame.push({
        bodyId: body.id,
        joints: body.data.subarray(o, o + VALUES),
        jointTrackingStates: states,
        info: bodyInfo(body, hands[i], rng),
      });
    });
    frames.push(frame);
  }

  const records: NtuBodyRecord[] = bodies.map((b) => {
    const first = b.frameOffsets.findIndex((o) => o >= 0);
    let count = 0;
    for (const o of b.frameOffsets) if (o >= 0) count++;
    return {
      id: b.id,
      role: b.role,
      ...(b.actor !== undefined ? { actor: b.actor } : {}),
      firstFrame: first + emptyLead,
      frames: count,
    };
  });
  for (const b of bodies) {
    if (b.role === 'actor') continue;
    const count = records.find((r) => r.id === b.id)?.frames ?? 0;
    const detail =
      b.role === 'spread'
        ? `, x-range > 0.8·y-range in ${Math.round(100 * spreadFrameShare(b.data, count))} % of its frames`
        : '';
    notes.push(`noise body ${b.id}: ${b.role}, ${count} frames${detail}`);
  }
  return {
    name: sample.name,
    frames,
    bodies: records,
    noiseBodyIds: records.filter((r) => r.role !== 'actor').map((r) => r.id),
    notes,
  };
}

/** Actor 1's joints as a dense [frames, 25, 3] array (absent frames stay zero). */
function actorTrack(data: Float32Array, frameOffsets: Int32Array): Float32Array {
  const out = new Float32Array(frameOffsets.length * VALUES);
  frameOffsets.forEach((o, f) => {
    if (o >= 0) out.set(data.subarray(o, o + VALUES), f * VALUES);
  });
  return out;
}

function sensorOf(sample: SkeletonSample): SensorPose {
  const height = typeof sample.meta.cameraHeight === 'number' ? sample.meta.cameraHeight : 0.8;
  const tilt = typeof sample.meta.cameraTilt === 'number' ? sample.meta.cameraTilt * DEG : 0;
  return { height, tilt, roll: 0 };
}

/** Hand states drift between not tracked (1), open (2) and closed (3); noise bodies report unknown hands. */
function bodyInfo(body: TrackedBody, hands: { left: number; right: number }, rng: Rng): Partial<NtuBodyInfo> {
  if (body.role !== 'actor')
    return { handLeftConfidence: 0, handLeftState: 0, handRightConfidence: 0, handRightState: 0 };
  if (rng.chance(0.06)) hands.left = rng.int(1, 3);
  if (rng.chance(0.06)) hands.right = rng.int(1, 3);
  return {
    handLeftConfidence: hands.left === 1 ? 0 : 1,
    handLeftState: hands.left,
    handRightConfidence: hands.right === 1 ? 0 : 1,
    handRightState: hands.right,
  };
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Frame ranges that give files of real NTU size (reference data.md §2: 1-body files
 * 144–240 KB, 2-body files 320–375 KB). A body-frame takes 2.56–2.64 KB, so 60–94 frames
 * of one body make 154–248 KB and 65–71 frames of two bodies 333–371 KB.
 */
export const REALISTIC_NTU_FRAMES: FrameRangesByPersons = { onePerson: [60, 94], twoPerson: [65, 71] };

export interface SyntheticNtuDatasetOptions extends Omit<SyntheticOptions, 'layout'>, NtuRecordingOptions {
  /** Use REALISTIC_NTU_FRAMES for the frame counts (do not also give `frames`). */
  readonly realisticSize?: boolean;
  /** 'crlf' (default, like the originals) or 'lf'. */
  readonly lineEnding?: 'crlf' | 'lf';
  /** Called after each file is queued for writing (for progress bars). */
  readonly onFile?: (file: WrittenSkeletonFile, written: number) => void;
}

export interface WrittenSkeletonFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly label: number;
  readonly action: number;
  /** Frame count written on line 1 (clip frames plus leading empty frames). */
  readonly frames: number;
  readonly bodies: NtuBodyRecord[];
  readonly noiseBodyIds: string[];
  readonly notes: string[];
}

/**
 * Generates samples and writes each as `<dir>/<name>.skeleton` (written to a temporary
 * name, then renamed, so a reader never sees half a file). Returns what was written, in
 * generation order; the samples themselves are not kept, so any number of files fits.
 */
export async function writeSyntheticNtuDataset(
  dir: string,
  options: SyntheticNtuDatasetOptions = {},
): Promise<WrittenSkeletonFile[]> {
  if ('layout' in options && (options as { layout?: unknown }).layout !== 'ntu-25') {
    throw new Error(
      `synthetic NTU dataset option 'layout': .skeleton files hold ntu-25 joints, got ${JSON.stringify((options as { layout?: unknown }).layout)}`,
    );
  }
  if (options.realisticSize && options.frames)
    throw new Error(`synthetic NTU dataset options 'realisticSize' and 'frames': give one of them, not both`);
  const generatorOptions: SyntheticOptions = {
    ...options,
    layout: 'ntu-25',
    frames: options.realisticSize ? REALISTIC_NTU_FRAMES : options.frames,
  };
  const recordingOptions: NtuRecordingOptions = {
    ...options,
    noiseBodies: options.noiseBodies ?? DEFAULT_NOISE_BODIES,
  };
  await mkdir(dir, { recursive: true });
  const written: WrittenSkeletonFile[] = [];
  // Writing overlaps with generating the next files; at most this many writes are in flight.
  const maxPendingWrites = 8;
  const pending = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  for (const sample of iterateSyntheticSamples(generatorOptions)) {
    if (failure) break;
    const recording = toNtuRecording(sample, recordingOptions);
    const bytes = encodeNtuSkeleton(recording.frames, { lineEnding: options.lineEnding ?? 'crlf' });
    const path = join(dir, `${sample.name}.skeleton`);
    const write: Promise<void> = writeAtomically(path, join(dir, `.${sample.name}.skeleton.${process.pid}.tmp`), bytes)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => pending.delete(write));
    pending.add(write);
    written.push({
      name: sample.name,
      path,
      bytes: bytes.length,
      label: sample.label,
      action: Number(sample.meta.action),
      frames: recording.frames.length,
      bodies: recording.bodies,
      noiseBodyIds: recording.noiseBodyIds,
      notes: [...sample.notes, ...recording.notes],
    });
    options.onFile?.(written[written.length - 1], written.length);
    if (pending.size >= maxPendingWrites) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure) throw failure.error;
  return written;
}

/** Writes to a temporary name and renames, so a reader never sees half a file. */
async function writeAtomically(path: string, temporary: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
