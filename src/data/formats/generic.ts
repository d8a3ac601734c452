/**
 * skelact's generic format for users' own skeleton data (docs/generic-format.md).
 *
 * A `.json` file holds one record or an array of records; a `.jsonl` (or `.ndjson`) file holds
 * one record per line. A record is
 *
 *   { name, layout, label?, split?, fps?, channels?, joints, meta? }
 *
 * with `joints` as nested arrays [persons][frames][joints][channels], the library's clip
 * order, so a record is a clip written out as JSON. A whole joint, or a whole frame of one
 * person, may be `null` for "not detected": it becomes zeros, the library's missing-joint
 * convention. Everything is validated; errors name the file, the line (JSON Lines) or the
 * record index (JSON arrays), and the field path. A bad record is skipped and reported, the
 * file's good records are kept.
 */
import * as z from 'zod';
import { LAYOUT_NAMES, getLayout, type LayoutName } from '../../graph/layout.js';
import { makeClip } from '../../graph/clip.js';
import {
  SkeletonFormatError,
  XYZ,
  type ChannelNames,
  type FailedFile,
  type ReadResult,
  type SkeletonSample,
} from '../types.js';
import {
  FLOAT32_MAX,
  describeValue,
  finiteNumber,
  parseJsonText,
  parseWithSchema,
  readTextFile,
  splitLines,
} from './common.js';

/** One record of the generic format, as written in the file. */
export interface GenericRecord {
  /** Sample id, unique within the file. */
  name: string;
  layout: LayoutName;
  /** Class name, or 0-based index into the class list. */
  label?: string | number;
  /** 'train', 'test' or any split name the user's benchmark defines. */
  split?: string;
  fps?: number;
  /** Meaning of each channel; default ['x', 'y', 'z']. */
  channels?: string[];
  /** [persons][frames][joints][channels]; null for a joint or a whole frame that was not detected. */
  joints: Array<Array<Array<number[] | null> | null>>;
  /** Extra facts (subject, camera, …) kept in the sample's meta. */
  meta?: Record<string, string | number>;
}

const recordSchema = z.strictObject({
  name: z.string({ error: 'a sample name (string)' }).min(1, { error: 'a non-empty sample name' }),
  layout: z.enum(LAYOUT_NAMES, { error: `a layout name (${LAYOUT_NAMES.join(', ')})` }),
  label: z
    .union([z.string().min(1, { error: 'a non-empty class name' }), z.int().min(0, { error: 'a class index ≥ 0' })], {
      error: 'a class name (non-empty string) or a 0-based class index (integer ≥ 0)',
    })
    .optional(),
  split: z
    .string({ error: 'a split name such as "train" or "test"' })
    .min(1, { error: 'a non-empty split name' })
    .optional(),
  fps: z.number({ error: 'a frame rate in frames per second' }).positive({ error: 'a frame rate > 0' }).optional(),
  channels: z
    .array(z.string({ error: 'a channel name (string)' }).min(1, { error: 'a non-empty channel name' }), {
      error: 'an array of channel names',
    })
    .min(1, { error: 'at least one channel name' })
    .optional(),
  // Checked on their own below, once the layout and channels say what shape they must have.
  joints: z.array(z.unknown(), { error: 'an array [persons][frames][joints][channels]' }),
  meta: z
    .record(z.string(), z.union([z.string(), finiteNumber], { error: 'a string or a finite number' }), {
      error: 'an object of strings and numbers',
    })
    .optional(),
});

/** Where a record sits in its file, for messages. */
interface TensorWhere {
  readonly fileName: string;
  readonly line?: number;
  readonly recordLabel?: string;
}

/**
 * Validates `joints` ([persons][frames][joints][channels], null for a missing joint or frame)
 * and copies it into a float32 clip buffer in one pass. Hand-written rather than a zod schema:
 * this is the bulk of a file (millions of numbers for a large dataset) and a direct walk is
 * several times faster, with the same "expected …, found …" messages.
 */
function readJointTensor(
  joints: readonly unknown[],
  layout: LayoutName,
  jointCount: number,
  channels: ChannelNames,
  where: TensorWhere,
) {
  const fail = (path: string, expected: string, found: string): never => {
    throw new SkeletonFormatError({
      file: where.fileName,
      line: where.line,
      field: `${where.recordLabel ?? ''}joints${path}`,
      expected,
      found,
    });
  };
  // Array.isArray narrows to any[]; this keeps the elements unknown so every level is checked.
  const asArray = (value: unknown): readonly unknown[] | undefined =>
    Array.isArray(value) ? (value as unknown[]) : undefined;
  const V = jointCount;
  const C = channels.length;
  const persons = joints.length;
  if (persons === 0) fail('', 'at least one person', describeValue(joints));
  const firstPerson = asArray(joints[0]);
  const frames = firstPerson?.length ?? 0;
  const data = new Float32Array(persons * frames * V * C);
  let missingFrames = 0;
  let missingJoints = 0;
  let offset = 0;
  for (let m = 0; m < persons; m++) {
    const person = asArray(joints[m]) ?? fail(`[${m}]`, 'an array of frames', describeValue(joints[m]));
    if (person.length === 0) fail(`[${m}]`, 'at least one frame', describeValue(person));
    if (person.length !== frames)
      fail(`[${m}]`, `${frames} frames (every person has as many frames as joints[0])`, String(person.length));
    for (let t = 0; t < frames; t++) {
      if (person[t] === null) {
        missingFrames++;
        offset += V * C;
        continue;
      }
      const frame =
        asArray(person[t]) ?? fail(`[${m}][${t}]`, `an array of ${V} joints or null`, describeValue(person[t]));
      if (frame.length !== V) fail(`[${m}][${t}]`, `${V} joints (layout ${layout})`, describeValue(frame));
      for (let v = 0; v < V; v++) {
        if (frame[v] === null) {
          missingJoints++;
          offset += C;
          continue;
        }
        const joint =
          asArray(frame[v]) ??
          fail(
            `[${m}][${t}][${v}]`,
            `an array of ${C} numbers (${channels.join(', ')}) or null`,
            describeValue(frame[v]),
          );
        if (joint.length !== C)
          fail(`[${m}][${t}][${v}]`, `${C} values (${channels.join(', ')})`, describeValue(joint));
        for (let c = 0; c < C; c++) {
          const value = joint[c];
          if (typeof value !== 'number' || !Number.isFinite(value))
            fail(`[${m}][${t}][${v}][${c}]`, 'a finite number', describeValue(value));
          else if (Math.abs(value) > FLOAT32_MAX)
            fail(`[${m}][${t}][${v}][${c}]`, 'a finite number within float32 range (±3.4e38)', describeValue(value));
          else data[offset++] = value;
        }
      }
    }
  }
  return { clip: makeClip(data, persons, frames, V, C), missingFrames, missingJoints };
}

interface RecordLocation {
  readonly fileName: string;
  /** Line of a JSON Lines record. */
  readonly line?: number;
  /** Index of a record in a JSON array. */
  readonly index?: number;
}

/** Validates one record and converts it to a sample. */
function recordToSample(value: unknown, where: RecordLocation): SkeletonSample {
  const recordLabel = where.index !== undefined ? `record ${where.index}: ` : undefined;
  const fail = (field: string, expected: string, found?: string): never => {
    throw new SkeletonFormatError({
      file: where.fileName,
      line: where.line,
      field: `${recordLabel ?? ''}${field}`,
      expected,
      found,
    });
  };
  const record = parseWithSchema(recordSchema, value, { fileName: where.fileName, line: where.line, recordLabel });
  const layout = getLayout(record.layout);
  const channels: ChannelNames = record.channels ?? XYZ;
  if (new Set(channels).size !== channels.length) fail('channels', 'distinct channel names', channels.join(','));
  // meta.labelName, meta.split and meta.fps are filled from the top-level fields; the same fact twice is an error.
  const topLevel = {
    labelName: typeof record.label === 'string' ? record.label : undefined,
    split: record.split,
    fps: record.fps,
  };
  for (const [key, value] of Object.entries(topLevel)) {
    if (value !== undefined && record.meta && Object.hasOwn(record.meta, key)) {
      fail(
        `meta.${key}`,
        `no "${key}" in meta when the record has a top-level ${key === 'labelName' ? 'string label' : key}`,
        String(record.meta[key]),
      );
    }
  }

  const { clip, missingFrames, missingJoints } = readJointTensor(
    record.joints,
    record.layout,
    layout.numJoints,
    channels,
    { ...where, recordLabel },
  );

  const meta: Record<string, string | number> = { ...record.meta };
  let label = -1;
  if (typeof record.label === 'number') label = record.label;
  else if (typeof record.label === 'string') meta.labelName = record.label; // resolved to an index once the class list is known
  if (record.split !== undefined) meta.split = record.split;
  if (record.fps !== undefined) meta.fps = record.fps;
  const notes: string[] = [];
  if (missingFrames > 0)
    notes.push(`${missingFrames} missing (null) person-frame${missingFrames === 1 ? '' : 's'} set to 0`);
  if (missingJoints > 0) notes.push(`${missingJoints} missing (null) joint${missingJoints === 1 ? '' : 's'} set to 0`);
  return { name: record.name, label, layout: record.layout, channels, clip, meta, notes };
}

/** Where a record is, for a message: `line 4` or `record 2`. */
function placeOf(where: RecordLocation): string {
  return where.line !== undefined ? `line ${where.line}` : `record ${where.index ?? 0}`;
}

/**
 * Converts every record on its own: a bad record (invalid JSON, a wrong field, a name used
 * before) is reported with its file and line and skipped, and the good ones are kept.
 */
function readRecords(entries: ReadonlyArray<{ where: RecordLocation; value: () => unknown }>): ReadResult {
  const samples: SkeletonSample[] = [];
  const failed: FailedFile[] = [];
  const firstByName = new Map<string, RecordLocation>();
  let firstError: unknown;
  for (const { where, value } of entries) {
    try {
      const sample = recordToSample(value(), where);
      const first = firstByName.get(sample.name);
      if (first) {
        throw new SkeletonFormatError({
          file: where.fileName,
          line: where.line,
          field: `${where.index !== undefined ? `record ${where.index}: ` : ''}name`,
          expected: `a name unique in the file (already used at ${placeOf(first)})`,
          found: sample.name,
        });
      }
      firstByName.set(sample.name, where);
      samples.push(sample);
    } catch (e) {
      if (!(e instanceof SkeletonFormatError)) throw e;
      firstError ??= e;
      failed.push({ file: where.fileName, reason: e.message });
    }
  }
  // A file of one bad record fails as a file (the same count either way); several bad records are counted one by one.
  if (samples.length === 0 && entries.length === 1) throw firstError;
  return { samples, skipped: [], failed };
}

/** Parses a `.json` generic file: one record object, or an array of records (a bad record is skipped, see readRecords). */
export function parseGenericJson(text: string, fileName: string): ReadResult {
  const parsed = parseJsonText(text, fileName);
  if (Array.isArray(parsed)) {
    if (parsed.length === 0)
      throw new SkeletonFormatError({ file: fileName, expected: 'at least one record', found: 'an empty array' });
    return readRecords(parsed.map((value, index) => ({ where: { fileName, index }, value: () => value })));
  }
  if (parsed !== null && typeof parsed === 'object') return readRecords([{ where: { fileName }, value: () => parsed }]);
  throw new SkeletonFormatError({
    file: fileName,
    expected: 'a record object or an array of records',
    found: JSON.stringify(parsed),
  });
}

/** Parses a `.jsonl` generic file: one record per non-blank line (a bad line is skipped, see readRecords). */
export function parseGenericJsonl(text: string, fileName: string): ReadResult {
  const entries: Array<{ where: RecordLocation; value: () => unknown }> = [];
  splitLines(text).forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    const where = { fileName, line: i + 1 };
    entries.push({ where, value: () => parseJsonText(lineText, fileName, where.line) });
  });
  if (entries.length === 0)
    throw new SkeletonFormatError({
      file: fileName,
      expected: 'at least one record (one JSON object per line)',
      found: 'no records',
    });
  return readRecords(entries);
}

/** Parses generic-format text, choosing JSON or JSON Lines by the file name's extension. */
export function parseGeneric(text: string, fileName: string): ReadResult {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return parseGenericJsonl(text, fileName);
  if (lower.endsWith('.json')) return parseGenericJson(text, fileName);
  throw new SkeletonFormatError({ file: fileName, expected: 'a .json, .jsonl or .ndjson file', found: fileName });
}

/** Reads a generic-format file (`.json`, `.jsonl` or `.ndjson`). */
export function readGeneric(path: string): ReadResult {
  const { text, fileName } = readTextFile(path);
  return parseGeneric(text, fileName);
}

/**
 * The generic record of a sample (the inverse of reading): lets users export any dataset
 * skelact reads, and lets tests check the round trip. Values are written as they are (no
 * nulls), so reading the record back gives the same float32 values.
 */
export function toGenericRecord(sample: SkeletonSample): GenericRecord {
  const { persons, frames, joints: V, channels: C, data } = sample.clip;
  const joints: GenericRecord['joints'] = [];
  for (let m = 0; m < persons; m++) {
    const person: number[][][] = [];
    for (let t = 0; t < frames; t++) {
      const frame: number[][] = [];
      for (let v = 0; v < V; v++) {
        const o = ((m * frames + t) * V + v) * C;
        frame.push(Array.from(data.subarray(o, o + C)));
      }
      person.push(frame);
    }
    joints.push(person);
  }
  const { split, fps, ...rest } = sample.meta;
  const meta: Record<string, string | number> = { ...rest };
  const record: GenericRecord = { name: sample.name, layout: sample.layout, channels: [...sample.channels], joints };
  if (sample.label >= 0) record.label = sample.label;
  else if (meta.labelName !== undefined) {
    record.label = String(meta.labelName);
    delete meta.labelName;
  }
  if (typeof split === 'string') record.split = split;
  else if (split !== undefined) meta.split = split;
  if (typeof fps === 'number' && fps > 0) record.fps = fps;
  else if (fps !== undefined) meta.fps = fps;
  if (Object.keys(meta).length > 0) record.meta = meta;
  return record;
}
