/**
 * Records that flow through the data stage: a parsed, labelled skeleton sequence and
 * the error every reader throws for bad input.
 */
import { printableValue } from '../util/printable.js';
import type { SkeletonClip } from '../graph/clip.js';
import type { LayoutName } from '../graph/layout.js';
import { SkelactError } from '../core/errors.js';

/** What each channel of a clip means, e.g. ['x','y','z'] (metres) or ['x','y','score']. */
export type ChannelNames = readonly string[];

export const XYZ: ChannelNames = ['x', 'y', 'z'];
export const XY_SCORE: ChannelNames = ['x', 'y', 'score'];

/** One labelled sequence, as every reader returns it. */
export interface SkeletonSample {
  /** Sample id, unique within a dataset (e.g. S001C001P001R001A001, a01_s01_e00_v01). */
  readonly name: string;
  /** 0-based class index into the dataset's class list; -1 when unlabelled. */
  readonly label: number;
  readonly layout: LayoutName;
  readonly channels: ChannelNames;
  /** [persons, frames, joints, channels] float32. */
  readonly clip: SkeletonClip;
  /** Facts used by benchmark splits (subject, camera, setup, view, take, …). */
  readonly meta: Readonly<Record<string, number | string>>;
  /** What preprocessing did to this sample (denoising, dropped frames, …), for the report. */
  readonly notes: readonly string[];
}

/**
 * Bad input. The message always names the file, the line (or record/field) and what
 * was expected, e.g. `S001….skeleton:57: expected 25 joints, found 24`.
 */
export class SkeletonFormatError extends SkelactError {
  readonly code = 'invalid-skeleton-file';

  readonly file: string;
  readonly line: number | undefined;
  readonly expected: string;
  readonly found: string | undefined;

  constructor(opts: {
    file: string;
    line?: number;
    field?: string;
    expected: string;
    found?: string;
    detail?: string;
  }) {
    const where = opts.line !== undefined ? `${opts.file}:${opts.line}` : opts.file;
    const field = opts.field ? ` (${opts.field})` : '';
    const found = opts.found !== undefined ? `, found ${quote(opts.found)}` : '';
    const detail = opts.detail ? ` [${opts.detail}]` : '';
    super(`${where}${field}: expected ${opts.expected}${found}${detail}`);
    this.file = opts.file;
    this.line = opts.line;
    this.expected = opts.expected;
    this.found = opts.found;
  }
}

/** Quotes a found value for a message: short, on one line, unprintable characters escaped, binary data named as such. */
function quote(s: string): string {
  return printableValue(s);
}

/** A file a batch could not use, with the reason; the batch goes on without it. */
export interface FailedFile {
  readonly file: string;
  readonly reason: string;
}

/** Result of reading one raw file: zero or more samples (UTKinect files hold ten). */
export interface ReadResult {
  readonly samples: SkeletonSample[];
  /** Samples inside the file that were skipped with a reason (e.g. an unlabelled NaN range). */
  readonly skipped: FailedFile[];
  /**
   * Records inside the file that could not be read (a bad line of a JSON Lines file), each with
   * its file, line and error; the file's good records are in `samples`.
   */
  readonly failed?: FailedFile[];
}
