/**
 * Long-tailed benchmarks derived from any prepared cache, with BRL's exponential profile
 * (firework8/BRL `data/imblance_gentxt.py`, ../shared/reference/models.md §4):
 *
 *   n_c = int(n_max · IF^(−c / (C − 1)))   for class c = 0 … C−1 in label order,
 *
 * n_c training samples of class c drawn by a seeded shuffle of that class's training samples;
 * the test split is untouched. For NTU60 X-Sub at IF 100 (n_max 600) this gives 600 → 6 per
 * class and 7,892 samples, as BRL's released lists (the same counts; the chosen samples differ,
 * as BRL draws with numpy's generator).
 *
 * A derived benchmark is stored in the cache's `derived-splits.json` (the cache itself is not
 * rewritten), and `SkeletonCache.splits()` lists it with the prepared ones.
 */
import { randomStream, shuffled } from '../core/random.js';
import type { SkeletonCache } from './cache/reader.js';
import { optionName } from '../core/errors.js';

/** BRL's per-class counts for C classes. */
export function longTailCounts(classes: number, nMax: number, imbalance: number): number[] {
  if (!(imbalance >= 1)) throw new Error(`the imbalance factor must be at least 1 (n_max / n_min), got ${imbalance}`);
  if (!(Number.isInteger(nMax) && nMax >= 1)) throw new Error(`n_max must be a positive integer, got ${nMax}`);
  if (!(Number.isInteger(classes) && classes >= 2))
    throw new Error(`a long-tailed split needs at least 2 classes, got ${classes}`);
  return Array.from({ length: classes }, (_, c) => Math.floor(nMax * imbalance ** (-c / (classes - 1))));
}

export interface LongTailOptions {
  readonly benchmark: string;
  readonly imbalance: number;
  /** Samples of the first class (default: the smallest class's training count, so every class can give its share). */
  readonly maxPerClass?: number;
  readonly seed?: number;
  /** Name of the new benchmark (default `<benchmark>-lt<IF>`). */
  readonly name?: string;
}

/** A derived benchmark (the record saveDerivedSplit stores). */
export interface LongTailSplit {
  readonly name: string;
  readonly source: string;
  readonly imbalance: number;
  readonly maxPerClass: number;
  readonly seed: number;
  /** Training samples per class (label order), and the class names. */
  readonly counts: number[];
  readonly classNames: string[];
  readonly train: number[];
  readonly test: number[];
}

/** Derives a long-tailed training split; errors name the class that cannot supply its count. */
export function deriveLongTail(cache: SkeletonCache, options: LongTailOptions): LongTailSplit {
  const train = cache.split(options.benchmark, 'train');
  const test = cache.split(options.benchmark, 'test');
  const classNames = [...cache.manifest.classNames];
  const byClass = new Map<number, number[]>();
  for (const i of train) {
    const label = cache.labels[i];
    if (label < 0) continue;
    let list = byClass.get(label);
    if (!list) byClass.set(label, (list = []));
    list.push(i);
  }
  if (byClass.size === 0)
    throw new Error(`${cache.dir}: benchmark '${options.benchmark}' has no labelled training samples`);
  // The classes present in training, in label order (NTU120 caches hold 120 names for NTU60 data).
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const available = classes.map((c) => byClass.get(c)!.length);
  const nMax = options.maxPerClass ?? Math.min(...available);
  const counts = longTailCounts(classes.length, nMax, options.imbalance);
  const short = classes.map((c, k) => ({ c, k })).filter(({ k }) => available[k] < counts[k]);
  if (short.length > 0) {
    const list = short
      .map(
        ({ c, k }) =>
          `${classNames[c] ?? `class ${c}`} has ${available[k]}, needs ${counts[k]} (short by ${counts[k] - available[k]})`,
      )
      .join('; ');
    throw new Error(
      `${cache.dir}: benchmark '${options.benchmark}' cannot give the IF ${options.imbalance} profile from n_max ${nMax}: ${list}; lower ${optionName('maxPerClass')}`,
    );
  }
  const seed = options.seed ?? 0;
  const picked: number[] = [];
  classes.forEach((c, k) => {
    const chosen = shuffled(byClass.get(c)!, randomStream(seed, 'holdout', c)).slice(0, counts[k]);
    picked.push(...chosen);
  });
  picked.sort((a, b) => a - b);
  const perLabel = new Array<number>(classNames.length).fill(0);
  classes.forEach((c, k) => (perLabel[c] = counts[k]));
  return {
    name: options.name ?? `${options.benchmark}-lt${options.imbalance}`,
    source: options.benchmark,
    imbalance: options.imbalance,
    maxPerClass: nMax,
    seed,
    counts: perLabel,
    classNames,
    train: picked,
    test: [...test],
  };
}

/** Many / medium / few groups of classes by training count (BRL's >100, 20–100, <20 by default). */
export function shotGroups(counts: readonly number[], many = 100, few = 20): Array<'many' | 'medium' | 'few' | null> {
  return counts.map((n) => (n <= 0 ? null : n > many ? 'many' : n >= few ? 'medium' : 'few'));
}

/**
 * A zero-shot benchmark: the training split without the `unseen` classes, the test split
 * whole (its unseen-class samples are what `skelact eval --zero-shot` scores). Saved like a
 * long-tailed split, as `<benchmark>-zs` unless named.
 */
export function deriveZeroShotSplit(
  cache: SkeletonCache,
  options: { benchmark: string; unseen: readonly string[]; name?: string },
): LongTailSplit & { unseen: string[] } {
  const classNames = [...cache.manifest.classNames];
  const unknown = options.unseen.filter((n) => !classNames.includes(n));
  if (unknown.length > 0)
    throw new Error(
      `unseen classes not in the cache: ${unknown.map((n) => `'${n}'`).join(', ')} (classes: ${classNames.join(', ')})`,
    );
  if (options.unseen.length < 2)
    throw new Error(`hold out at least two classes for zero-shot evaluation (got ${options.unseen.length})`);
  const held = new Set(options.unseen.map((n) => classNames.indexOf(n)));
  if (held.size === classNames.length) throw new Error('every class is unseen: nothing would be left to train on');
  const train = cache.split(options.benchmark, 'train').filter((i) => !held.has(cache.labels[i]));
  const test = cache.split(options.benchmark, 'test');
  const counts = new Array<number>(classNames.length).fill(0);
  for (const i of train) if (cache.labels[i] >= 0) counts[cache.labels[i]]++;
  for (const c of held)
    if (!test.some((i) => cache.labels[i] === c))
      throw new Error(`unseen class '${classNames[c]}' has no test samples in benchmark '${options.benchmark}'`);
  return {
    name: options.name ?? `${options.benchmark}-zs`,
    source: options.benchmark,
    imbalance: 1,
    maxPerClass: Math.max(...counts),
    seed: 0,
    counts,
    classNames,
    train,
    test: [...test],
    unseen: [...options.unseen],
  };
}
