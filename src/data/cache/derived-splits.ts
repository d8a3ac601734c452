/**
 * The benchmarks derived from a prepared cache (long-tailed training splits, zero-shot splits),
 * stored beside it in `derived-splits.json` so the cache itself is never rewritten.
 * `SkeletonCache.splits()` lists them with the prepared ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../../core/files.js';
import { parseWith } from '../../core/errors.js';

export const DERIVED_SPLITS_FILE = 'derived-splits.json';

/** What a derived benchmark stores: its sample lists and how it was made. */
export interface DerivedSplitInput {
  readonly name: string;
  readonly source: string;
  readonly imbalance: number;
  readonly maxPerClass: number;
  readonly seed: number;
  readonly counts: readonly number[];
  readonly train: readonly number[];
  readonly test: readonly number[];
  readonly unseen?: readonly string[];
}

const derivedSchema = z.record(
  z.string(),
  z.object({
    train: z.array(z.number().int().min(0)),
    test: z.array(z.number().int().min(0)),
    info: z
      .object({
        source: z.string(),
        imbalance: z.number(),
        maxPerClass: z.number(),
        seed: z.number(),
        counts: z.array(z.number()),
      })
      .passthrough(),
  }),
);
export type DerivedSplits = z.infer<typeof derivedSchema>;

/** The derived benchmarks of a cache folder (none when the file is absent). */
export function readDerivedSplits(dir: string): DerivedSplits {
  const path = join(dir, DERIVED_SPLITS_FILE);
  if (!existsSync(path)) return {};
  return parseWith(derivedSchema, JSON.parse(readFileSync(path, 'utf8')), path);
}

/** Adds (or replaces) a derived benchmark in the cache folder, atomically. */
export function saveDerivedSplit(dir: string, split: DerivedSplitInput): void {
  const all = readDerivedSplits(dir);
  all[split.name] = {
    train: [...split.train],
    test: [...split.test],
    info: {
      source: split.source,
      imbalance: split.imbalance,
      maxPerClass: split.maxPerClass,
      seed: split.seed,
      counts: [...split.counts],
      ...(split.unseen ? { unseen: [...split.unseen] } : {}),
    },
  };
  writeFileAtomic(join(dir, DERIVED_SPLITS_FILE), `${JSON.stringify(all)}\n`);
}
