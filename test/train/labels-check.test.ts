import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { prepare } from '../../src/data/prepare.js';
import { parseExperiment } from '../../src/train/config.js';
import { checkConfigAgainstCache } from '../../src/train/run.js';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

/** Two NW-UCLA caches of the same clips: published labels and audited ones. */
async function caches(): Promise<{ published: string; audited: string }> {
  const dir = tempDir('skelact-labels-check-');
  const raw = join(dir, 'raw');
  mkdirSync(raw);
  // Two classes with training clips in view 1 (label = index of the action among a01..a12 + 1).
  for (const [name, label] of [
    ['a05_s04_e00_v01', 5],
    ['a06_s04_e00_v01', 6],
    ['a05_s04_e00_v02', 5],
  ] as const) {
    const skeletons = Array.from({ length: 3 }, (_, t) => Array.from({ length: 20 }, (_, v) => [t, v / 10, 2]));
    writeFileSync(join(raw, `${name}.json`), JSON.stringify({ file_name: name, skeletons, label }));
  }
  const published = join(dir, 'published');
  const audited = join(dir, 'audited');
  await prepare({ dataset: 'nw-ucla', raw, out: published, workers: 0 });
  await prepare({ dataset: 'nw-ucla', raw, out: audited, workers: 0, datasetOptions: { labels: 'audited' } });
  return { published, audited };
}

test('the NW-UCLA recipe refuses a cache with the published labels and names the prepare flag', async (t) => {
  const { published, audited } = await caches();
  const raw = JSON.parse(readFileSync(join(packageRoot(), 'configs', 'cpu', 'nw-ucla.json'), 'utf8'));
  raw.data.benchmark = 'nw-ucla-view1-view2';
  const config = parseExperiment(raw, 'nw-ucla.json');
  t.is(config.data.labels, 'corrected by label-errata.json');
  const open = (dir: string) => SkeletonCache.open(dir);
  const good = open(audited);
  t.notThrows(() => checkConfigAgainstCache(config, good, 'nw-ucla.json'));
  good.close();
  const bad = open(published);
  t.throws(() => checkConfigAgainstCache(config, bad, 'nw-ucla.json'), {
    message:
      /nw-ucla\.json: data\.labels asks for a cache with labels 'corrected by label-errata\.json'; .*published has 'published' \(NW-UCLA's audited labels: skelact prepare nw-ucla --labels audited\)/,
  });
  // A config that does not ask takes either cache.
  const any = parseExperiment({ ...raw, data: { ...raw.data, labels: undefined } }, 'any.json');
  t.notThrows(() => checkConfigAgainstCache(any, bad, 'any.json'));
  bad.close();
});
