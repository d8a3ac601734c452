/**
 * The ML Kit / MediaPipe pose-classification CSV (`fitness_pose_samples.csv`): no header,
 * one row per image, `name,class,x1,y1,z1,…,x33,y33,z33` (101 fields), BlazePose-33 order
 * (layout `blazepose-33`), coordinates in image pixels (z on the same scale).
 *
 * Each row is one sample of 1 person × 1 frame. A bad row does not spoil the file: it is
 * reported in `skipped` with its line number and the rest is read.
 */
import { getLayout } from '../../graph/layout.js';
import { makeClip } from '../../graph/clip.js';
import { loadClassTable } from '../classes.js';
import { SkeletonFormatError, XYZ, type FailedFile, type ReadResult, type SkeletonSample } from '../types.js';
import { parseDecimal, readTextFile, splitLines } from './common.js';

const LAYOUT = 'blazepose-33';

export interface MlkitFitnessOptions {
  /**
   * The class names a row may have: default the shipped table (pushups_up/down, squats_up/down);
   * 'any' takes every name it finds (your own exercises), numbered in order of appearance.
   */
  readonly classes?: readonly string[] | 'any';
}

/** Parses the text of an ML Kit fitness CSV. `fileName` is used in messages. */
export function parseMlkitFitness(text: string, fileName: string, options: MlkitFitnessOptions = {}): ReadResult {
  const layout = getLayout(LAYOUT);
  const any = options.classes === 'any';
  const classIds: string[] = any
    ? []
    : [
        ...((options.classes as readonly string[] | undefined) ??
          loadClassTable('mlkit-fitness').classes.map((c) => c.id)),
      ];
  const fieldCount = 2 + layout.numJoints * XYZ.length;
  const samples: SkeletonSample[] = [];
  const skipped: FailedFile[] = [];
  const lines = splitLines(text);
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    rows++;
    const lineNo = i + 1;
    try {
      samples.push(parseRow(line, lineNo, { fileName, fieldCount, classIds, jointNames: layout.jointNames, any }));
    } catch (err) {
      if (!(err instanceof SkeletonFormatError)) throw err;
      skipped.push({ file: fileName, reason: err.message });
    }
  }
  if (rows === 0)
    throw new SkeletonFormatError({
      file: fileName,
      expected: `at least one row name,class,x1,y1,z1,…`,
      found: 'an empty file',
    });
  return { samples, skipped };
}

/** Reads an ML Kit fitness CSV. */
export function readMlkitFitness(path: string, options: MlkitFitnessOptions = {}): ReadResult {
  const { text, fileName } = readTextFile(path);
  return parseMlkitFitness(text, fileName, options);
}

interface RowContext {
  readonly fileName: string;
  readonly fieldCount: number;
  readonly classIds: string[];
  readonly jointNames: readonly string[];
  readonly any: boolean;
}

function parseRow(line: string, lineNo: number, ctx: RowContext): SkeletonSample {
  const { fileName, fieldCount, classIds, jointNames } = ctx;
  const fields = splitCsvLine(line, fileName, lineNo);
  if (fields.length !== fieldCount) {
    throw new SkeletonFormatError({
      file: fileName,
      line: lineNo,
      expected: `${fieldCount} fields (name, class, then ${jointNames.length} landmarks × x,y,z)`,
      found: String(fields.length),
    });
  }
  const imageName = fields[0].trim();
  const classId = fields[1].trim();
  if (imageName === '')
    throw new SkeletonFormatError({
      file: fileName,
      line: lineNo,
      field: 'name',
      expected: 'a non-empty sample name',
      found: fields[0],
    });
  if (ctx.any && classId !== '' && !classIds.includes(classId)) classIds.push(classId);
  const label = classIds.indexOf(classId);
  if (label < 0)
    throw new SkeletonFormatError({
      file: fileName,
      line: lineNo,
      field: 'class',
      expected: `one of ${classIds.join(', ')}`,
      found: classId,
    });
  const values = new Float32Array(fieldCount - 2);
  for (let k = 0; k < values.length; k++) {
    const field = fields[k + 2].trim();
    const value = parseDecimal(field);
    if (value === undefined) {
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        field: `${jointNames[Math.floor(k / 3)]}.${'xyz'[k % 3]}`,
        expected: 'a finite number',
        found: field,
      });
    }
    values[k] = value;
  }
  return {
    // Image names are not unique across exports; the line number makes the sample name unique in the file.
    name: `${lineNo}:${imageName}`,
    label,
    layout: LAYOUT,
    channels: XYZ,
    clip: makeClip(values, 1, 1, jointNames.length, XYZ.length),
    meta: { image: imageName, line: lineNo, className: classId },
    notes: [],
  };
}

/** Splits one CSV line; fields may be double-quoted with "" for a quote (RFC 4180, no line breaks inside). */
function splitCsvLine(line: string, fileName: string, lineNo: number): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted)
    throw new SkeletonFormatError({
      file: fileName,
      line: lineNo,
      expected: 'a closing double quote',
      found: 'the end of the line',
    });
  fields.push(field);
  return fields;
}
