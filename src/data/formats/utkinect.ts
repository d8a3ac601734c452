/**
 * UTKinect-Action3D (Xia et al. 2012). Each take `sNN_eMM` is one recording in which a
 * subject performs the ten actions in a row:
 *
 * - `joints_sNN_eMM.txt`: one line per frame, `frameNo` then 20 joints × (x y z) in metres,
 *   Kinect v1 order (= layout `kinect-20`). Frame numbers are sparse and sometimes repeated.
 * - `actionLabel.txt` (or `actionLabel_modified.txt`, which corrects seven ranges): blocks of
 *   a `sNN_eMM` line followed by `action: startFrame endFrame` lines; `NaN NaN` marks an
 *   action that was not recorded.
 *
 * One sample per labelled action: the frames whose numbers lie between the recorded frames
 * nearest to the labelled start and end, as the dataset's own MATLAB code
 * (`data/process_skeletal_data.m`: `unique(frame_no)`, then `min(abs(frame_no - limit))`) does.
 */
import { getLayout } from '../../graph/layout.js';
import { makeClip } from '../../graph/clip.js';
import { loadClassTable } from '../classes.js';
import { SkeletonFormatError, XYZ, type FailedFile, type ReadResult, type SkeletonSample } from '../types.js';
import { parseDecimal, readTextFile, splitLines } from './common.js';

const LAYOUT = 'kinect-20';
const TAKE_PATTERN = /^s(\d+)_e(\d+)$/;
const JOINTS_FILE_PATTERN = /^joints_(s\d+_e\d+)\.txt$/;
const LABEL_LINE_PATTERN = /^([A-Za-z]+)\s*:\s*(\S+)\s+(\S+)$/;

/** One `action: start end` line of the label file. */
export interface UtkinectSegment {
  /** Action id as written in the label file (`walk`, `sitDown`, …). */
  readonly action: string;
  /** Labelled first and last frame numbers; null for an unlabelled (`NaN NaN`) action. */
  readonly start: number | null;
  readonly end: number | null;
  /** Line of the label file, for messages. */
  readonly line: number;
}

/** The parsed label file: the segments of each take (`s01_e01` → segments in file order). */
export interface UtkinectLabels {
  /** Name of the label file, for messages. */
  readonly file: string;
  readonly takes: ReadonlyMap<string, readonly UtkinectSegment[]>;
}

/** Parses the text of `actionLabel.txt` / `actionLabel_modified.txt`. */
export function parseUtkinectLabels(text: string, fileName: string): UtkinectLabels {
  const actionIds = loadClassTable('utkinect').classes.map((c) => c.id);
  const takes = new Map<string, UtkinectSegment[]>();
  let current: UtkinectSegment[] | undefined;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].trim();
    if (line === '') continue;
    if (TAKE_PATTERN.test(line)) {
      if (takes.has(line))
        throw new SkeletonFormatError({
          file: fileName,
          line: lineNo,
          expected: 'each take sNN_eMM to be listed once',
          found: line,
        });
      current = [];
      takes.set(line, current);
      continue;
    }
    const match = LABEL_LINE_PATTERN.exec(line);
    if (!match) {
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        expected: 'a take "sNN_eMM" or a line "action: startFrame endFrame"',
        found: line,
      });
    }
    if (!current)
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        expected: 'a take line "sNN_eMM" before the first action line',
        found: line,
      });
    const [, action, startToken, endToken] = match;
    if (!actionIds.includes(action)) {
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        expected: `an action id (${actionIds.join(', ')})`,
        found: action,
      });
    }
    if (current.some((s) => s.action === action)) {
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        expected: `each action once per take`,
        found: `a second "${action}"`,
      });
    }
    if (startToken === 'NaN' && endToken === 'NaN') {
      current.push({ action, start: null, end: null, line: lineNo });
      continue;
    }
    const start = parseFrameNumber(startToken);
    const end = parseFrameNumber(endToken);
    if (start === undefined || end === undefined) {
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        expected: 'two non-negative integer frame numbers (or "NaN NaN" for an unlabelled action)',
        found: `${startToken} ${endToken}`,
      });
    }
    if (start > end)
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        expected: 'startFrame ≤ endFrame',
        found: `${start} ${end}`,
      });
    current.push({ action, start, end, line: lineNo });
  }
  if (takes.size === 0)
    throw new SkeletonFormatError({
      file: fileName,
      expected: 'at least one take "sNN_eMM" with its action lines',
      found: 'none',
    });
  return { file: fileName, takes };
}

/** Reads `actionLabel.txt` or `actionLabel_modified.txt`. */
export function readUtkinectLabels(path: string): UtkinectLabels {
  const { text, fileName } = readTextFile(path);
  return parseUtkinectLabels(text, fileName);
}

function parseFrameNumber(token: string): number | undefined {
  const value = parseDecimal(token);
  return value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Parses the text of one `joints_sNN_eMM.txt`. `fileName` must be that name: the take id in it
 * selects the segments of `labels`.
 */
export function parseUtkinect(text: string, fileName: string, labels: UtkinectLabels): ReadResult {
  const layout = getLayout(LAYOUT);
  const actionIds = loadClassTable('utkinect').classes.map((c) => c.id);
  const nameMatch = JOINTS_FILE_PATTERN.exec(fileName);
  if (!nameMatch)
    throw new SkeletonFormatError({
      file: fileName,
      expected: 'a file name joints_sNN_eMM.txt (it names the take)',
      found: fileName,
    });
  const take = nameMatch[1];
  const segments = labels.takes.get(take);
  if (!segments)
    throw new SkeletonFormatError({
      file: fileName,
      expected: `an entry for take ${take} in ${labels.file}`,
      found: 'none',
    });
  const [, subject, takeNo] = TAKE_PATTERN.exec(take) ?? [];

  const rows = parseJointRows(text, fileName, layout.numJoints, layout.jointNames);
  const valuesPerFrame = layout.numJoints * XYZ.length;
  const samples: SkeletonSample[] = [];
  const skipped: FailedFile[] = [];
  for (const segment of segments) {
    const name = `${take}_${segment.action}`;
    if (segment.start === null || segment.end === null) {
      skipped.push({
        file: fileName,
        reason: `${name}: the action is unlabelled ("NaN NaN" at ${labels.file}:${segment.line}); no sample`,
      });
      continue;
    }
    const first = nearestFrameIndex(rows.frameNumbers, segment.start);
    const last = nearestFrameIndex(rows.frameNumbers, segment.end);
    const frames = last - first + 1;
    const data = rows.values.slice(first * valuesPerFrame, (last + 1) * valuesPerFrame);
    const notes: string[] = [];
    const firstFrameNo = rows.frameNumbers[first];
    const lastFrameNo = rows.frameNumbers[last];
    if (firstFrameNo !== segment.start)
      notes.push(`labelled start frame ${segment.start} matched to the nearest recorded frame ${firstFrameNo}`);
    if (lastFrameNo !== segment.end)
      notes.push(`labelled end frame ${segment.end} matched to the nearest recorded frame ${lastFrameNo}`);
    const repeats = rows.repeatsDropped.slice(first, last + 1).reduce((a, b) => a + b, 0);
    if (repeats > 0)
      notes.push(
        `dropped ${repeats} repeated frame row${repeats === 1 ? '' : 's'} (kept the first row of each frame number)`,
      );
    samples.push({
      name,
      label: actionIds.indexOf(segment.action),
      layout: LAYOUT,
      channels: XYZ,
      clip: makeClip(data, 1, frames, layout.numJoints, XYZ.length),
      meta: {
        subject: Number(subject),
        take: Number(takeNo),
        action: segment.action,
        startFrame: firstFrameNo,
        endFrame: lastFrameNo,
      },
      notes,
    });
  }
  return { samples, skipped };
}

/**
 * Parses one recording in the UTKinect joints format without a label file: the whole recording
 * is one unlabelled sample (what `skelact predict` and `inspect` need for a user's own take).
 */
export function parseUtkinectRecording(text: string, fileName: string): ReadResult {
  const layout = getLayout(LAYOUT);
  const rows = parseJointRows(text, fileName, layout.numJoints, layout.jointNames);
  const frames = rows.frameNumbers.length;
  if (frames === 0)
    throw new SkeletonFormatError({ file: fileName, expected: 'at least one frame of joints', found: 'none' });
  const nameMatch = JOINTS_FILE_PATTERN.exec(fileName);
  const take = nameMatch?.[1];
  const [, subject, takeNo] = (take && TAKE_PATTERN.exec(take)) || [];
  const repeats = rows.repeatsDropped.reduce((a, b) => a + b, 0);
  const meta: Record<string, string | number> = {
    startFrame: rows.frameNumbers[0],
    endFrame: rows.frameNumbers[frames - 1],
  };
  if (subject !== undefined) Object.assign(meta, { subject: Number(subject), take: Number(takeNo) });
  return {
    samples: [
      {
        name: take ?? fileName.replace(/^.*[\\/]/, '').replace(/\.txt$/i, ''),
        label: -1,
        layout: LAYOUT,
        channels: XYZ,
        clip: makeClip(
          rows.values.slice(0, frames * layout.numJoints * XYZ.length),
          1,
          frames,
          layout.numJoints,
          XYZ.length,
        ),
        meta,
        notes: [
          'the whole recording, unlabelled (no label file)',
          ...(repeats > 0
            ? [
                `dropped ${repeats} repeated frame row${repeats === 1 ? '' : 's'} (kept the first row of each frame number)`,
              ]
            : []),
        ],
      },
    ],
    skipped: [],
  };
}

/** Reads one `joints_sNN_eMM.txt` and cuts it into one sample per labelled action of its take. */
export function readUtkinect(jointsFile: string, labels: UtkinectLabels): ReadResult {
  const { text, fileName } = readTextFile(jointsFile);
  return parseUtkinect(text, fileName, labels);
}

interface JointRows {
  /** Distinct frame numbers, ascending. */
  readonly frameNumbers: number[];
  /** [frames, joints, xyz] for the frames of `frameNumbers`. */
  readonly values: Float32Array;
  /** For each kept frame, how many later rows with the same frame number were dropped. */
  readonly repeatsDropped: number[];
}

/** Parses every frame row, keeping the first row of each frame number, ordered by frame number. */
function parseJointRows(text: string, fileName: string, jointCount: number, jointNames: readonly string[]): JointRows {
  const valuesPerFrame = jointCount * 3;
  const tokensPerLine = 1 + valuesPerFrame;
  const lines = splitLines(text);
  const rowValues: Float32Array[] = [];
  const rowFrameNumbers: number[] = [];
  const rowOfFrame = new Map<number, number>();
  const repeatsOfRow: number[] = [];
  let sorted = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const lineNo = i + 1;
    const tokens = line.split(/\s+/);
    if (tokens.length !== tokensPerLine) {
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        expected: `${tokensPerLine} numbers (frameNo then ${jointCount} joints × x y z)`,
        found: String(tokens.length),
      });
    }
    const frameNo = parseFrameNumber(tokens[0]);
    if (frameNo === undefined)
      throw new SkeletonFormatError({
        file: fileName,
        line: lineNo,
        field: 'frameNo',
        expected: 'a non-negative integer frame number',
        found: tokens[0],
      });
    const values = new Float32Array(valuesPerFrame);
    for (let k = 0; k < valuesPerFrame; k++) {
      const value = parseDecimal(tokens[k + 1]);
      if (value === undefined) {
        const field = `${jointNames[Math.floor(k / 3)]}.${'xyz'[k % 3]}`;
        throw new SkeletonFormatError({
          file: fileName,
          line: lineNo,
          field,
          expected: 'a finite number',
          found: tokens[k + 1],
        });
      }
      values[k] = value;
    }
    const keptRow = rowOfFrame.get(frameNo);
    if (keptRow !== undefined) {
      repeatsOfRow[keptRow]++;
      continue;
    }
    if (rowFrameNumbers.length > 0 && frameNo < rowFrameNumbers[rowFrameNumbers.length - 1]) sorted = false;
    rowOfFrame.set(frameNo, rowFrameNumbers.length);
    rowFrameNumbers.push(frameNo);
    rowValues.push(values);
    repeatsOfRow.push(0);
  }
  if (rowFrameNumbers.length === 0)
    throw new SkeletonFormatError({ file: fileName, expected: 'at least one frame row', found: 'none' });

  // The recorded files are in frame order; sort anyway so that nearest-frame matching stays correct if one is not.
  const order = rowFrameNumbers.map((_, i) => i);
  if (!sorted) order.sort((a, b) => rowFrameNumbers[a] - rowFrameNumbers[b]);
  const values = new Float32Array(order.length * valuesPerFrame);
  order.forEach((row, i) => values.set(rowValues[row], i * valuesPerFrame));
  return {
    frameNumbers: order.map((row) => rowFrameNumbers[row]),
    values,
    repeatsDropped: order.map((row) => repeatsOfRow[row]),
  };
}

/**
 * Index of the frame number nearest to `target` in an ascending list; on a tie the earlier
 * frame, as MATLAB's `min` (first minimum) in the dataset's code picks it.
 */
function nearestFrameIndex(frameNumbers: readonly number[], target: number): number {
  let lo = 0;
  let hi = frameNumbers.length - 1;
  // Find the first index whose frame number is ≥ target.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (frameNumbers[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && target - frameNumbers[lo - 1] <= Math.abs(frameNumbers[lo] - target)) return lo - 1;
  return lo;
}
