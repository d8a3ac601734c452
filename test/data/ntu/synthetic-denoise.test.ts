/**
 * The NTU pipeline on realistic synthetic recordings: noise bodies of the kinds found in
 * NTU (ghosts of a few frames, flat wide objects, a seated bystander), late tracking and
 * leading empty frames.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../../../src/data/cache/reader.js';
import { denoiseNtu } from '../../../src/data/ntu/denoise.js';
import { parseNtuSkeleton } from '../../../src/data/ntu/parser.js';
import { prepare } from '../../../src/data/prepare.js';
import { writeSyntheticNtuDataset } from '../../../src/data/synthetic/index.js';
import { packageRoot } from '../../../src/util/paths.js';
import { hasNumpy, NUMPY_SKIP_REASON, runPython } from '../../helpers/python.js';
import { tempDir } from '../../helpers/temp.js';

const noisy = { probability: 1, kinds: ['short', 'spread', 'bystander'] as const, maxPerFile: 3 };

test('denoising keeps every actor and drops every short-lived and every flat (spread) noise body', async (t) => {
  const dir = tempDir('skelact-syn-');
  const files = await writeSyntheticNtuDataset(dir, {
    seed: 11,
    samplesPerClass: 5,
    noiseBodies: { ...noisy, kinds: [...noisy.kinds] },
  });
  const counts: Record<string, number> = {};
  for (const f of files) {
    const d = denoiseNtu(parseNtuSkeleton(readFileSync(f.path), f.path));
    const kept = new Set(d.actorBodies.flat());
    for (const b of f.bodies) {
      const key = `${b.role}:${kept.has(b.id) ? 'kept' : 'dropped'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  t.true((counts['actor:kept'] ?? 0) > 100);
  t.false('actor:dropped' in counts);
  t.true((counts['short:dropped'] ?? 0) > 10);
  t.false('short:kept' in counts);
  t.true((counts['spread:dropped'] ?? 0) > 10);
  t.false('spread:kept' in counts);
});

(hasNumpy() ? test : test.skip)(
  `synthetic noisy recordings give the same clips as the independent numpy pipeline ${hasNumpy() ? '' : NUMPY_SKIP_REASON}`,
  async (t) => {
    const dir = tempDir('skelact-syn-');
    await writeSyntheticNtuDataset(join(dir, 'raw'), {
      seed: 7,
      samplesPerClass: 3,
      noiseBodies: { ...noisy, kinds: [...noisy.kinds] },
      lateTrackingProbability: 0.5,
      emptyLeadProbability: 0.5,
    });
    const r = await prepare({ dataset: 'ntu', raw: join(dir, 'raw'), out: join(dir, 'cache'), workers: 2 });
    t.is(r.report.failed.length, 0);
    const cache = SkeletonCache.open(join(dir, 'cache'));
    const paths = cache.samples().map((s) => join(dir, 'raw', s.source));
    const lines = runPython([join(packageRoot(), 'test', 'reference', 'ntu_denoise_reference.py'), ...paths])
      .trim()
      .split('\n');
    t.is(lines.length, cache.size);
    let worst = 0;
    lines.forEach((line, i) => {
      const ref = JSON.parse(line) as { name: string; actors: number; frames: number; data: number[] };
      const got = cache.read(i);
      t.deepEqual([ref.name, ref.actors, ref.frames], [got.name, got.clip.persons, got.clip.frames]);
      ref.data.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - got.clip.data[k]))));
    });
    t.true(worst < 2e-6, `largest difference ${worst}`);
    cache.close();
  },
);
