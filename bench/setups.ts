/** Data the accuracy benchmarks (bench:longtail, bench:text) train on. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CacheWriter } from '../src/data/cache/writer.js';
import { centreOnFirstFrame } from '../src/data/normalize.js';
import { ntuSplit } from '../src/data/ntu/benchmarks.js';
import { prepare } from '../src/data/prepare.js';
import { generateSyntheticSamples, syntheticClasses } from '../src/data/synthetic/index.js';
import { packageRoot } from '../src/util/paths.js';

/**
 * A cache of synthetic NTU-style one-person clips of `actions` (NTU ids), with NTU's class
 * names, centred on the first frame and split by NTU60 X-Sub's subjects into benchmark 'xsub'.
 * Returns the cache folder (`<dir>/synthetic`).
 */
export function writeSyntheticCache(
  dir: string,
  options: { seed: number; actions: readonly string[]; samplesPerClass: number },
): string {
  const generator = {
    seed: options.seed,
    actions: options.actions,
    samplesPerClass: options.samplesPerClass,
    frames: [40, 64] as const,
  };
  const cacheDir = join(dir, 'synthetic');
  const writer = new CacheWriter(cacheDir, {
    dataset: 'synthetic',
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    classNames: syntheticClasses(generator).map((c) => c.name),
    preprocessing: { alignment: 'ctrgcn' },
    fingerprint: 'bench',
    source: 'generateSyntheticSamples',
    skelactVersion: '0',
  });
  for (const s of generateSyntheticSamples(generator))
    writer.add(
      { ...s, clip: centreOnFirstFrame(s.clip, 1) },
      { xsub: ntuSplit('ntu60-xsub', s.name) ?? 'test' },
      s.name,
    );
  writer.commit({ skipped: [], failed: [], denoised: [] }, ['xsub']);
  return cacheDir;
}

/** The real UTKinect data of ../shared prepared into `<dir>/utk`, or undefined when ../shared has none. */
export async function prepareUtkinect(dir: string): Promise<string | undefined> {
  const raw = join(packageRoot(), '..', 'shared', 'data', 'utkinect');
  if (!existsSync(raw)) return undefined;
  await prepare({ dataset: 'utkinect', raw, out: join(dir, 'utk'), force: true });
  return join(dir, 'utk');
}
