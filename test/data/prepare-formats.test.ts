import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { prepare } from '../../src/data/prepare.js';
import { sharedPath, testWithShared } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('skelact-formats-');

function framesOf(dir: string, name: string): number {
  const cache = SkeletonCache.open(dir);
  try {
    const i = cache.samples().findIndex((s) => s.name === name);
    return cache.shape(i)[1];
  } finally {
    cache.close();
  }
}

testWithShared(
  'UTKinect: 199 labelled segments, the NaN entry skipped, cross-subject 100/99',
  'data/utkinect',
  async (t) => {
    const out = join(tmp(), 'utk');
    const r = await prepare({ dataset: 'utkinect', raw: sharedPath('data/utkinect'), out, workers: 2 });
    t.is(r.manifest.samples, 199);
    t.is(r.manifest.layout, 'kinect-20');
    t.is(r.report.failed.length, 0);
    t.is(r.report.skipped.length, 1);
    t.is(r.report.skipped[0].file, 'joints_s10_e02.txt');
    t.regex(r.report.skipped[0].reason, /s10_e02_carry: the action is unlabelled/);
    const cache = SkeletonCache.open(out);
    t.is(cache.split('utkinect-xsub', 'train').length, 100);
    t.is(cache.split('utkinect-xsub', 'test').length, 99);
    t.true(cache.split('utkinect-xsub', 'train').every((i) => Number(cache.sample(i).meta.subject) % 2 === 1));
    t.true(cache.split('utkinect-xsub', 'test').every((i) => Number(cache.sample(i).meta.subject) % 2 === 0));
    cache.close();
  },
);

testWithShared(
  'UTKinect: --labels modified uses the corrected ranges (s01_e02 walk ends at frame 270, not 192)',
  'data/utkinect',
  async (t) => {
    const a = join(tmp(), 'a');
    const b = join(tmp(), 'b');
    await prepare({ dataset: 'utkinect', raw: sharedPath('data/utkinect'), out: a, workers: 0 });
    const r = await prepare({
      dataset: 'utkinect',
      raw: sharedPath('data/utkinect'),
      out: b,
      workers: 0,
      datasetOptions: { labels: 'modified' },
    });
    t.is(r.manifest.preprocessing.labels, 'actionLabel_modified.txt');
    t.true(framesOf(b, 's01_e02_walk') > framesOf(a, 's01_e02_walk'));
    t.is(framesOf(b, 's01_e01_walk'), framesOf(a, 's01_e01_walk'));
  },
);

testWithShared('NW-UCLA: view 3 is the test split, the others train', 'data/nw_ucla_samples', async (t) => {
  const out = join(tmp(), 'ucla');
  const r = await prepare({ dataset: 'nw-ucla', raw: sharedPath('data/nw_ucla_samples'), out, workers: 0 });
  t.is(r.manifest.samples, 6);
  t.is(r.manifest.classNames.length, 10);
  const cache = SkeletonCache.open(out);
  const test = cache.split('nw-ucla', 'test').map((i) => cache.sample(i).name);
  t.deepEqual(test, ['a12_s10_e00_v03']);
  cache.close();
});

testWithShared(
  'Kinetics-skeleton: the sibling label file names the classes; two persons, x/y/score channels',
  'data/kinetics_skeleton',
  async (t) => {
    const out = join(tmp(), 'kin');
    const r = await prepare({
      dataset: 'kinetics-skeleton',
      raw: sharedPath('data/kinetics_skeleton/kinetics_val'),
      out,
      workers: 2,
    });
    t.is(r.manifest.samples, 5);
    t.deepEqual(r.manifest.classNames, [
      'jumping into pool',
      'playing harp',
      'folding napkins',
      'braiding hair',
      'pushing cart',
    ]);
    t.deepEqual(r.manifest.channels, ['x', 'y', 'score']);
    const cache = SkeletonCache.open(out);
    t.deepEqual(
      cache.samples().map((s) => s.label),
      [2, 3, 4, 0, 1],
    ); // files sorted by name: __0muxHV-Uw, __4frZhaVDs, __6LvmReo3Y, ___dTOdxzXY, ___qijXy2f0
    t.is(cache.shape(0)[0], 2);
    t.is(cache.split('kinetics', 'test').length, 5); // the folder is kinetics_val
    cache.close();
  },
);

testWithShared(
  'ML Kit fitness CSV: 812 single-frame samples with the documented class counts',
  'data/mlkit_fitness',
  async (t) => {
    const out = join(tmp(), 'fit');
    const r = await prepare({ dataset: 'mlkit-fitness', raw: sharedPath('data/mlkit_fitness'), out, workers: 0 });
    t.is(r.manifest.samples, 812);
    const cache = SkeletonCache.open(out);
    const counts = [0, 0, 0, 0];
    for (const l of cache.labels) counts[l]++;
    t.deepEqual(counts, [201, 195, 191, 225]);
    t.deepEqual(cache.shape(0), [1, 1, 33, 3]);
    cache.close();
  },
);

function genericRecord(name: string, label: string | number, split: string, layout = 'kinect-20', frames = 3) {
  const joints = layout === 'coco-17' ? 17 : 20;
  const person = Array.from({ length: frames }, (_, f) =>
    Array.from({ length: joints }, (_, j) => [j * 0.01 + f, 0.5, 3]),
  );
  return { name, layout, label, split, joints: [person] };
}

test("generic: class names are discovered (sorted), the records' split field is a benchmark, and a file of another layout fails alone", async (t) => {
  const raw = tmp();
  writeFileSync(
    join(raw, 'a.jsonl'),
    [genericRecord('r1', 'wave', 'train'), genericRecord('r2', 'clap', 'test')]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  writeFileSync(
    join(raw, 'b.json'),
    JSON.stringify([genericRecord('r3', 'wave', 'test'), genericRecord('r4', 'jump', 'other')]),
  );
  writeFileSync(join(raw, 'c.json'), JSON.stringify(genericRecord('r5', 'wave', 'train', 'coco-17')));
  const out = join(tmp(), 'gen');
  const r = await prepare({ dataset: 'generic', raw, out, workers: 0 });
  t.is(r.manifest.layout, 'kinect-20');
  t.deepEqual(r.manifest.classNames, ['clap', 'jump', 'wave']);
  t.is(r.report.failed.length, 1);
  t.regex(r.report.failed[0].reason, /c\.json \(r5: layout\): expected layout kinect-20 with channels x,y,z/);
  const cache = SkeletonCache.open(out);
  t.deepEqual(Array.from(cache.labels), [2, 0, 2, 1]);
  t.deepEqual(cache.split('records', 'train'), [0]);
  t.deepEqual(cache.split('records', 'test'), [1, 2]);
  cache.close();
});

test('generic: --classes fixes the label order and a label outside it fails its file', async (t) => {
  const raw = tmp();
  writeFileSync(
    join(raw, 'a.json'),
    JSON.stringify([genericRecord('r1', 'wave', 'train'), genericRecord('r2', 1, 'test')]),
  );
  writeFileSync(join(raw, 'b.json'), JSON.stringify(genericRecord('r3', 'dance', 'train')));
  const classes = join(tmp(), 'classes.json');
  writeFileSync(classes, JSON.stringify(['wave', 'clap']));
  const out = join(tmp(), 'gen');
  const r = await prepare({ dataset: 'generic', raw, out, workers: 0, datasetOptions: { classes } });
  t.deepEqual(r.manifest.classNames, ['wave', 'clap']);
  t.is(r.manifest.samples, 2);
  t.regex(
    r.report.failed[0].reason,
    /b\.json \(r3: label\): expected one of the 2 option `classes` names, found "dance"/,
  );
  const cache = SkeletonCache.open(out);
  t.deepEqual(Array.from(cache.labels), [0, 1]);
  cache.close();
});

/** A tiny NW-UCLA folder: one clip per name, its label the published one of its action. */
function nwUclaFolder(names: string[]): string {
  const dir = join(tmp(), 'ucla-raw');
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    const action = Number(name.slice(1, 3));
    const label = [1, 2, 3, 4, 5, 6, 8, 9, 11, 12].indexOf(action) + 1;
    const skeletons = Array.from({ length: 3 }, (_, t) => Array.from({ length: 20 }, (_, v) => [t, v / 10, 2]));
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ file_name: name, skeletons, label }));
  }
  return dir;
}

test('NW-UCLA: --labels audited relabels the errata clips only, notes each, and says so in the manifest', async (t) => {
  const raw = nwUclaFolder(['a05_s04_e00_v02', 'a08_s05_e03_v02', 'a05_s04_e00_v01', 'a01_s01_e00_v01']);
  const published = join(tmp(), 'published');
  const audited = join(tmp(), 'audited');
  const p = await prepare({ dataset: 'nw-ucla', raw, out: published, workers: 0 });
  const a = await prepare({ dataset: 'nw-ucla', raw, out: audited, workers: 1, datasetOptions: { labels: 'audited' } });
  t.is(p.manifest.preprocessing.labels, 'published');
  t.is(a.manifest.preprocessing.labels, 'corrected by label-errata.json');
  const labelsOf = (dir: string) => {
    const cache = SkeletonCache.open(dir);
    const out = Object.fromEntries(
      Array.from({ length: cache.size }, (_, i) => [cache.sample(i).name, cache.manifest.classNames[cache.labels[i]]]),
    );
    cache.close();
    return out;
  };
  t.deepEqual(labelsOf(published), {
    a05_s04_e00_v02: 'sit down',
    a08_s05_e03_v02: 'donning',
    a05_s04_e00_v01: 'sit down',
    a01_s01_e00_v01: 'pick up with one hand',
  });
  t.deepEqual(labelsOf(audited), {
    a05_s04_e00_v02: 'stand up',
    a08_s05_e03_v02: 'doffing',
    a05_s04_e00_v01: 'sit down',
    a01_s01_e00_v01: 'pick up with one hand',
  });
  t.deepEqual(a.report.denoised.map((d) => d.name).sort(), ['a05_s04_e00_v02', 'a08_s05_e03_v02']);
  t.regex(a.report.denoised[0].notes[0], /label corrected by label-errata\.json \(s0[45]-view2-/);
  // The cross-subject benchmark inside the training views: odd subjects train, even ones validate.
  const cache = SkeletonCache.open(audited);
  const names = (split: 'train' | 'test') =>
    cache
      .split('nw-ucla-xsub-val', split)
      .map((i) => cache.sample(i).name)
      .sort();
  t.deepEqual(names('train'), ['a01_s01_e00_v01', 'a08_s05_e03_v02']);
  t.deepEqual(names('test'), ['a05_s04_e00_v01', 'a05_s04_e00_v02']);
  cache.close();
});

test('NW-UCLA: --labels names a missing errata file before reading anything', async (t) => {
  const raw = nwUclaFolder(['a01_s01_e00_v01']);
  const err = await t.throwsAsync(
    prepare({
      dataset: 'nw-ucla',
      raw,
      out: join(tmp(), 'x'),
      workers: 0,
      datasetOptions: { labels: '/nowhere/errata.json' },
    }),
  );
  t.regex(err?.message ?? '', /\/nowhere\/errata\.json does not exist; pass .*labels.* published, audited or the path/);
});

test('NW-UCLA: a cache prepared with an errata file is rebuilt when the file changes', async (t) => {
  const raw = nwUclaFolder(['a05_s04_e00_v02', 'a01_s01_e00_v01']);
  const errata = join(tmp(), 'my-errata.json');
  const write = (label: string) =>
    writeFileSync(
      errata,
      JSON.stringify({
        dataset: 'nw-ucla',
        evidence: { mine: 'seen on video' },
        clips: [{ name: 'a05_s04_e00_v02', label, evidence: 'mine' }],
      }),
    );
  const out = join(tmp(), 'mine');
  const labelOf = () => {
    const cache = SkeletonCache.open(out);
    const i = Array.from({ length: cache.size }, (_, k) => k).find((k) => cache.sample(k).name === 'a05_s04_e00_v02')!;
    const name = cache.manifest.classNames[cache.labels[i]];
    cache.close();
    return name;
  };
  write('a06');
  const first = await prepare({ dataset: 'nw-ucla', raw, out, workers: 0, datasetOptions: { labels: errata } });
  t.is(first.manifest.preprocessing.labels, 'corrected by my-errata.json');
  t.is(labelOf(), 'stand up');
  const again = await prepare({ dataset: 'nw-ucla', raw, out, workers: 0, datasetOptions: { labels: errata } });
  t.true(again.upToDate);
  write('a01');
  const edited = await prepare({ dataset: 'nw-ucla', raw, out, workers: 0, datasetOptions: { labels: errata } });
  t.false(edited.upToDate);
  t.is(labelOf(), 'pick up with one hand');
});
