/**
 * Kinetics-skeleton (ST-GCN): one JSON per clip,
 * `{data: [{frame_index, skeleton: [{pose: [x0,y0,…,x17,y17], score: [18]}]}], label, label_index}`,
 * OpenPose-18 joints (layout `openpose-18`), x/y normalised to [0,1] by the frame size.
 *
 * The reader applies what ST-GCN's `feeder/feeder_kinetics.py` does to each clip, so models
 * see the same numbers as the published ones:
 * 1. fill up to `personsIn` (5) person slots per frame, in the order the frame lists them;
 * 2. centre: x − 0.5, y − 0.5, and set every channel of a joint whose score is 0 to 0;
 * 3. rank the slots by score and keep the best `personsOut` (2).
 *
 * ST-GCN ranks the slots of each frame separately by that frame's summed joint score
 * (`(-data[2].sum(axis=1)).argsort(axis=1)` over (T, V, M)), so a slot can hold different
 * people in different frames. That is the default (`personRanking: 'per-frame'`);
 * `'whole-clip'` ranks slots once by their score summed over the whole clip instead.
 *
 * Two deliberate differences from the feeder: frame_index is 1-based, so frame_index k goes
 * to frame k − 1 (the feeder writes it to k, leaving frame 0 empty), and T is the largest
 * frame_index instead of a fixed 300 (padding to a window belongs to the sampling transforms).
 */
import { basename } from 'node:path';
import * as z from 'zod';
import { getLayout } from '../../graph/layout.js';
import { makeClip } from '../../graph/clip.js';
import { SkeletonFormatError, XY_SCORE, type FailedFile, type ReadResult, type SkeletonSample } from '../types.js';
import { checkNumberArray, describeValue, parseJsonText, parseWithSchema, readTextFile } from './common.js';

const LAYOUT = 'openpose-18';

export type KineticsPersonRanking = 'per-frame' | 'whole-clip';

export interface KineticsSkeletonOptions {
  /** Person slots filled per frame, in listed order (ST-GCN `num_person_in`, default 5). */
  readonly personsIn?: number;
  /** Persons kept after ranking by score (ST-GCN `num_person_out`, default 2); the clip always has this many. */
  readonly personsOut?: number;
  /** How slots are ranked (default 'per-frame', as ST-GCN does); see the module comment. */
  readonly personRanking?: KineticsPersonRanking;
  /** Largest accepted frame_index (default 300, ST-GCN's window); guards against absurd allocations. */
  readonly maxFrames?: number;
  /**
   * The label file of the split. When given, the clip's entry must exist and agree on
   * label_index (ST-GCN asserts this), and clips with `has_skeleton: false` are skipped.
   */
  readonly labels?: KineticsLabelTable;
}

const DEFAULT_OPTIONS = { personsIn: 5, personsOut: 2, personRanking: 'per-frame', maxFrames: 300 } as const;

function kineticsSchema(maxFrames: number) {
  return z.object({
    data: z.array(
      z.object({
        frame_index: z
          .int({ error: 'an integer frame_index' })
          .min(1, { error: 'a 1-based frame_index ≥ 1' })
          .max(maxFrames, { error: `a frame_index ≤ ${maxFrames} (maxFrames)` }),
        // The skeletons are the bulk of the file; checkSkeleton validates them directly (see checkNumberArray).
        skeleton: z.array(z.unknown(), { error: 'an array of skeletons {pose, score}' }),
      }),
    ),
    label: z.string({ error: 'a class name (string)' }).optional(),
    label_index: z
      .int({ error: 'an integer label_index' })
      .min(-1, { error: 'a label_index ≥ 0 (or -1 for unlabelled)' })
      .optional(),
  });
}

interface Skeleton {
  readonly pose: readonly number[];
  readonly score: readonly number[];
}

function checkSkeleton(value: unknown, jointCount: number, fileName: string, field: string): Skeleton {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SkeletonFormatError({
      file: fileName,
      field,
      expected: 'an object {pose, score}',
      found: describeValue(value),
    });
  }
  const { pose, score } = value as Record<string, unknown>;
  const last = jointCount - 1;
  return {
    pose: checkNumberArray(pose, 2 * jointCount, {
      fileName,
      field: `${field}.pose`,
      expected: `${2 * jointCount} numbers x0,y0,…,x${last},y${last}`,
    }),
    score: checkNumberArray(score, jointCount, {
      fileName,
      field: `${field}.score`,
      expected: `${jointCount} scores (one per joint of layout ${LAYOUT})`,
    }),
  };
}

/** Parses the text of one Kinetics-skeleton JSON; the sample is named after the file (the video id). */
export function parseKineticsSkeleton(
  text: string,
  fileName: string,
  options: KineticsSkeletonOptions = {},
): ReadResult {
  const { personsIn, personsOut, personRanking, maxFrames } = { ...DEFAULT_OPTIONS, ...options };
  for (const [key, value] of Object.entries({ personsIn, personsOut, maxFrames })) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`KineticsSkeletonOptions.${key} must be a positive integer, got ${value}`);
  }
  const layout = getLayout(LAYOUT);
  const V = layout.numJoints;
  const C = XY_SCORE.length;
  const record = parseWithSchema(kineticsSchema(maxFrames), parseJsonText(text, fileName), { fileName });
  const name = basename(fileName).replace(/\.json$/i, '');
  const labelIndex = record.label_index ?? -1;

  const entry = options.labels?.get(name);
  if (options.labels) {
    if (!entry)
      throw new SkeletonFormatError({
        file: fileName,
        expected: `an entry "${name}" in the label file`,
        found: 'none',
      });
    if (entry.labelIndex !== labelIndex) {
      throw new SkeletonFormatError({
        file: fileName,
        field: 'label_index',
        expected: `${entry.labelIndex} (the label file's label_index)`,
        found: String(labelIndex),
      });
    }
  }
  const skipped = (reason: string): ReadResult => ({
    samples: [],
    skipped: [{ file: fileName, reason: `${name}: ${reason}` } satisfies FailedFile],
  });
  if (entry && !entry.hasSkeleton) return skipped('has_skeleton is false in the label file; no sample');

  let T = 0;
  const seenFrames = new Set<number>();
  const frames = record.data.map((frame, i) => {
    if (seenFrames.has(frame.frame_index)) {
      throw new SkeletonFormatError({
        file: fileName,
        field: `data[${i}].frame_index`,
        expected: 'each frame_index once',
        found: String(frame.frame_index),
      });
    }
    seenFrames.add(frame.frame_index);
    T = Math.max(T, frame.frame_index);
    const skeletons = frame.skeleton.map((person, m) =>
      checkSkeleton(person, V, fileName, `data[${i}].skeleton[${m}]`),
    );
    return { frameIndex: frame.frame_index, skeletons };
  });
  if (!frames.some((frame) => frame.skeletons.length > 0)) return skipped('no frame has a skeleton; no sample');

  // Step 1 and 2: slots[m][t][v][c] for the first personsIn skeletons of each frame, centred.
  const slotSize = T * V * C;
  const slots = new Float32Array(personsIn * slotSize);
  let overflowFrames = 0;
  for (const frame of frames) {
    const t = frame.frameIndex - 1;
    if (frame.skeletons.length > personsIn) overflowFrames++;
    frame.skeletons.slice(0, personsIn).forEach((person, m) => {
      for (let v = 0; v < V; v++) {
        const score = person.score[v];
        if (score === 0) continue; // a missing joint stays 0 in every channel
        const o = m * slotSize + (t * V + v) * C;
        slots[o] = person.pose[2 * v] - 0.5;
        slots[o + 1] = person.pose[2 * v + 1] - 0.5;
        slots[o + 2] = score;
      }
    });
  }

  // Step 3: rank slots by score and copy the best personsOut into the clip.
  const data = new Float32Array(personsOut * slotSize);
  const kept = Math.min(personsIn, personsOut);
  const frameValues = V * C;
  const slotScore = (m: number, tFrom: number, tTo: number): number => {
    let sum = 0;
    for (let t = tFrom; t < tTo; t++) for (let v = 0; v < V; v++) sum += slots[m * slotSize + (t * V + v) * C + 2];
    return sum;
  };
  const rank = (scores: number[]): number[] => scores.map((_, m) => m).sort((a, b) => scores[b] - scores[a] || a - b);
  if (personRanking === 'whole-clip') {
    const order = rank(Array.from({ length: personsIn }, (_, m) => slotScore(m, 0, T)));
    for (let p = 0; p < kept; p++)
      data.set(slots.subarray(order[p] * slotSize, (order[p] + 1) * slotSize), p * slotSize);
  } else {
    for (let t = 0; t < T; t++) {
      const order = rank(Array.from({ length: personsIn }, (_, m) => slotScore(m, t, t + 1)));
      for (let p = 0; p < kept; p++) {
        const from = order[p] * slotSize + t * frameValues;
        data.set(slots.subarray(from, from + frameValues), p * slotSize + t * frameValues);
      }
    }
  }

  const notes: string[] = [];
  if (overflowFrames > 0)
    notes.push(
      `${overflowFrames} frame(s) listed more than ${personsIn} skeletons; only the first ${personsIn} were considered (ST-GCN num_person_in)`,
    );
  const meta: Record<string, string> = {};
  if (record.label !== undefined) meta.labelName = record.label;
  const sample: SkeletonSample = {
    name,
    label: labelIndex,
    layout: LAYOUT,
    channels: XY_SCORE,
    clip: makeClip(data, personsOut, T, V, C),
    meta,
    notes,
  };
  return { samples: [sample], skipped: [] };
}

/** Reads one Kinetics-skeleton JSON file. */
export function readKineticsSkeleton(path: string, options: KineticsSkeletonOptions = {}): ReadResult {
  const { text, fileName } = readTextFile(path);
  return parseKineticsSkeleton(text, fileName, options);
}

/** One entry of `kinetics_<split>_label.json`. */
export interface KineticsLabelEntry {
  readonly hasSkeleton: boolean;
  readonly label: string;
  readonly labelIndex: number;
}

/** Video id → label entry. */
export type KineticsLabelTable = ReadonlyMap<string, KineticsLabelEntry>;

const MAX_LABEL_INDEX = 99_999;

const labelFileSchema = z.record(
  z.string(),
  z.object({
    has_skeleton: z.boolean({ error: 'true or false' }),
    label: z.string({ error: 'a class name (string)' }),
    // The bound keeps kineticsClassNames from allocating absurd lists for a corrupted index.
    label_index: z
      .int({ error: 'an integer label_index' })
      .min(0, { error: 'a label_index ≥ 0' })
      .max(MAX_LABEL_INDEX, { error: `a label_index ≤ ${MAX_LABEL_INDEX}` }),
  }),
);

/** Parses the text of a Kinetics-skeleton label file `{id: {has_skeleton, label, label_index}}`. */
export function parseKineticsLabels(text: string, fileName: string): KineticsLabelTable {
  const table = parseWithSchema(labelFileSchema, parseJsonText(text, fileName), { fileName });
  const out = new Map<string, KineticsLabelEntry>();
  for (const [id, entry] of Object.entries(table))
    out.set(id, { hasSkeleton: entry.has_skeleton, label: entry.label, labelIndex: entry.label_index });
  return out;
}

/** Reads `kinetics_train_label.json` / `kinetics_val_label.json`. */
export function readKineticsLabels(path: string): KineticsLabelTable {
  const { text, fileName } = readTextFile(path);
  return parseKineticsLabels(text, fileName);
}

/**
 * The class list implied by a label table: `names[label_index] = label`. Indices that no entry
 * uses (a table covering only some classes) get the placeholder `class <index>`. Throws when
 * two entries give the same index different names. `fileName` is used in that message.
 */
export function kineticsClassNames(labels: KineticsLabelTable, fileName = 'label file'): string[] {
  const names: string[] = [];
  for (const [id, entry] of labels) {
    const known = names[entry.labelIndex];
    if (known !== undefined && known !== entry.label) {
      throw new SkeletonFormatError({
        file: fileName,
        field: `${id}.label`,
        expected: `"${known}" (the name of label_index ${entry.labelIndex} in other entries)`,
        found: entry.label,
      });
    }
    names[entry.labelIndex] = entry.label;
  }
  return Array.from({ length: names.length }, (_, i) => names[i] ?? `class ${i}`);
}
