/**
 * What `skelact prepare` needs to know about a dataset: which files to read, how to read
 * one (this part runs in worker threads), its classes, and its benchmark splits.
 */
import type { LayoutName } from '../../graph/layout.js';
import type { ChannelNames, ReadResult, SkeletonSample } from '../types.js';

export interface SourceFile {
  /** Absolute path. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export type SplitAssignment = Record<string, 'train' | 'test' | undefined>;

export interface DatasetSpec<Options> {
  readonly name: string;
  readonly title: string;
  readonly layout: LayoutName;
  readonly channels: ChannelNames;
  /** Extensions of the raw files to read (lower case, with the dot). */
  readonly fileExtensions: readonly string[];
  /** Benchmarks this dataset can define. */
  readonly benchmarks: readonly string[];
  /** Validates the dataset's own options (from CLI flags); must be structured-clonable. */
  parseOptions(raw: Readonly<Record<string, unknown>>, rawDir: string): Options;
  /** Picks the files to read for a benchmark and says why others are skipped. */
  selectFiles(
    files: SourceFile[],
    benchmark: string | undefined,
    options: Options,
  ): { selected: SourceFile[]; skipped: Array<{ file: string; reason: string }> };
  /** Reads one raw file (in a worker thread). Throws SkeletonFormatError for bad input. */
  readFile(bytes: Uint8Array, file: string, options: Options): ReadResult;
  /** Class names in label order, or 'discover' to collect them from `meta.labelName`. */
  classNames(files: SourceFile[], benchmark: string | undefined, options: Options): string[] | 'discover';
  /** Split of each benchmark for one sample. */
  splits(sample: SkeletonSample, options: Options): SplitAssignment;
  /** Benchmarks to record for the selected files (default: all). */
  benchmarksFor?(files: SourceFile[], benchmark: string | undefined): readonly string[];
  /** Layout and channels when they depend on the options (the generic format); default the fields above. */
  layoutFor?(options: Options): { layout: LayoutName; channels: ChannelNames };
  /** Recorded in the manifest so a cache says how it was made. */
  preprocessing(options: Options): Record<string, unknown>;
}
