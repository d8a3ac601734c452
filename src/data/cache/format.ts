/**
 * The prepared-data cache: a folder that numpy and TensorFlow.js can both read.
 *
 *   manifest.json   what the cache holds (dataset, layout, channels, class names, options);
 *                   written last, so a folder without it is never a complete cache
 *   clips.npy       float32, 1-D: every clip's values, one after the other, each clip in
 *                   [persons, frames, joints, channels] order
 *   offsets.npy     int64 [N + 1]: clip i is clips[offsets[i] : offsets[i + 1]]
 *   shapes.npy      int32 [N, 4]: (persons, frames, joints, channels) of clip i
 *   labels.npy      int32 [N]: 0-based class index, −1 when unlabelled
 *   samples.jsonl   one JSON object per line: {index, name, label, persons, frames, source, meta}
 *   splits.json     {benchmark: {train: [indices], test: [indices]}}
 *   report.json     files skipped (with reasons), failed (with errors) and denoised
 *   derived-splits.json  (optional) benchmarks derived later by `skelact lt` / zero-shot splits
 *
 * In numpy:  x = np.load('clips.npy', mmap_mode='r'); o = np.load('offsets.npy'); s = np.load('shapes.npy')
 *            clip = x[o[i]:o[i+1]].reshape(s[i])
 */
import * as z from 'zod';
import { LAYOUT_NAMES } from '../../graph/layout.js';

export const CACHE_FORMAT = 'skelact-cache';
export const CACHE_VERSION = 1;

export const CACHE_FILES = {
  manifest: 'manifest.json',
  clips: 'clips.npy',
  offsets: 'offsets.npy',
  shapes: 'shapes.npy',
  labels: 'labels.npy',
  samples: 'samples.jsonl',
  splits: 'splits.json',
  report: 'report.json',
} as const;

export const manifestSchema = z
  .object({
    format: z.literal(CACHE_FORMAT),
    version: z.number().int(),
    dataset: z.string(),
    layout: z.enum(LAYOUT_NAMES),
    channels: z.array(z.string()).min(1),
    classNames: z.array(z.string()),
    samples: z.number().int().min(0),
    values: z.number().int().min(0),
    maxPersons: z.number().int().min(0),
    benchmarks: z.array(z.string()),
    preprocessing: z.record(z.string(), z.unknown()),
    fingerprint: z.string(),
    source: z.string(),
    createdAt: z.string(),
    skelactVersion: z.string(),
    /** Byte size of every file of the cache (the manifest excepted), so damage is found before use. Absent in caches written before it was recorded. */
    files: z.record(z.string(), z.number().int().min(0)).optional(),
    /** SHA-256 of every small file (all but clips.npy), so an edit that keeps a file's size is found too. */
    digests: z.record(z.string(), z.string()).optional(),
    /** SHA-256 of this manifest's JSON without this field (written last), so an edit of the manifest itself is found. */
    manifestDigest: z.string().optional(),
  })
  .strict();

export type CacheManifest = z.infer<typeof manifestSchema>;

/** The SHA-256 a manifest records of itself: over its JSON, in its own key order, without `manifestDigest`. */
export function manifestDigestOf(raw: Record<string, unknown>, hash: (text: string) => string): string {
  const { manifestDigest: _ignored, ...rest } = raw;
  return hash(JSON.stringify(rest));
}

/** The files a cache must hold besides its manifest (their sizes are recorded in `manifest.files`). */
/** The files whose SHA-256 is recorded: all but clips.npy, which can be gigabytes and is read in pieces. */
export const CACHE_DIGESTED_FILES = [
  CACHE_FILES.offsets,
  CACHE_FILES.shapes,
  CACHE_FILES.labels,
  CACHE_FILES.samples,
  CACHE_FILES.splits,
  CACHE_FILES.report,
] as const;

export const CACHE_DATA_FILES = [
  CACHE_FILES.clips,
  CACHE_FILES.offsets,
  CACHE_FILES.shapes,
  CACHE_FILES.labels,
  CACHE_FILES.samples,
  CACHE_FILES.splits,
  CACHE_FILES.report,
] as const;

export const sampleRecordSchema = z
  .object({
    index: z.number().int().min(0),
    name: z.string(),
    label: z.number().int().min(-1),
    persons: z.number().int().min(0),
    frames: z.number().int().min(0),
    source: z.string(),
    meta: z.record(z.string(), z.union([z.string(), z.number()])),
  })
  .strict();

export type SampleRecord = z.infer<typeof sampleRecordSchema>;

export type SplitName = 'train' | 'test';
export type CacheSplits = Record<string, Record<SplitName, number[]>>;

export interface PrepareReport {
  /** Files not read on purpose (e.g. in the official missing-skeleton list). */
  readonly skipped: Array<{ file: string; reason: string }>;
  /** Files (or records inside files) that could not be read, with the error. */
  readonly failed: Array<{ file: string; reason: string }>;
  /** Samples that denoising or alignment changed, with what it did. */
  readonly denoised: Array<{ name: string; notes: string[] }>;
}
