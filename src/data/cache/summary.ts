/** What a prepared cache holds, in numbers (everything `skelact inspect <cache> --json` prints). */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_FILES } from './format.js';
import { SkeletonCache } from './reader.js';

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
}

/** Summary of a cache: sizes, frames, persons, splits and class counts. */
export function summariseCache(dir: string) {
  const cache = SkeletonCache.open(dir);
  try {
    const m = cache.manifest;
    const frames: number[] = [];
    const persons: Record<string, number> = {};
    for (let i = 0; i < cache.size; i++) {
      const [M, T] = cache.shape(i);
      frames.push(T);
      persons[M] = (persons[M] ?? 0) + 1;
    }
    frames.sort((a, b) => a - b);
    const countsOf = (indices: number[]) => {
      const counts = new Array<number>(m.classNames.length).fill(0);
      for (const i of indices) if (cache.labels[i] >= 0) counts[cache.labels[i]]++;
      return counts;
    };
    const splits = Object.fromEntries(
      Object.entries(cache.splits()).map(([b, s]) => [
        b,
        {
          train: s.train.length,
          test: s.test.length,
          trainClassCounts: countsOf(s.train),
          testClassCounts: countsOf(s.test),
        },
      ]),
    );
    const report = cache.report();
    return {
      kind: 'cache' as const,
      path: dir,
      dataset: m.dataset,
      layout: m.layout,
      channels: m.channels,
      classes: m.classNames,
      samples: m.samples,
      allClassCounts: countsOf(Array.from({ length: cache.size }, (_, i) => i)),
      frames: {
        min: frames[0] ?? 0,
        median: quantile(frames, 0.5),
        max: frames[frames.length - 1] ?? 0,
        mean: frames.reduce((a, b) => a + b, 0) / Math.max(1, frames.length),
      },
      persons,
      splits,
      preprocessing: m.preprocessing,
      report: { skipped: report.skipped.length, failed: report.failed.length, denoised: report.denoised.length },
      createdAt: m.createdAt,
      megabytes: statSync(join(dir, CACHE_FILES.clips)).size / 1e6,
    };
  } finally {
    cache.close();
  }
}
