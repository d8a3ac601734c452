import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { prepare } from '../../src/data/prepare.js';
import { packageRoot } from '../../src/util/paths.js';
import { ntuFromBodies, personJoint, flatJoint, range } from '../helpers/ntu-text.js';
import { hasNumpy, NUMPY_SKIP_REASON, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('skelact-prepare-');

/** A small NTU folder: 6 good files (1 and 2 persons, noise bodies), 1 corrupt, 1 in the official missing list. */
function ntuFolder(): string {
  const dir = tmp();
  const id = (k: number) => `720575940379310${String(k).padStart(2, '0')}`; // 64-bit ids exceed 2^53: build them as text
  const files: Record<string, string> = {
    S001C001P001R001A001: ntuFromBodies(40, [{ id: id(1), frames: range(0, 40), joint: personJoint(0, 0.05) }]),
    S001C002P002R001A010: ntuFromBodies(35, [
      { id: id(2), frames: range(0, 35), joint: personJoint(0, 0.05) },
      { id: id(3), frames: range(3, 9), joint: personJoint(1, 0.4) },
    ]),
    S001C003P003R002A050: ntuFromBodies(50, [
      { id: id(4), frames: range(0, 50), joint: personJoint(0, 0.2) },
      { id: id(5), frames: range(0, 45), joint: personJoint(0.8, 0.1) },
      { id: id(6), frames: range(0, 50), joint: flatJoint(2) },
    ]),
    S002C001P008R001A058: ntuFromBodies(30, [
      { id: id(7), frames: range(0, 30), joint: personJoint(0, 0.1) },
      { id: id(8), frames: range(0, 30), joint: personJoint(0.7, 0.12) },
    ]),
    S018C001P045R001A061: ntuFromBodies(25, [{ id: id(9), frames: range(0, 25), joint: personJoint(0, 0.05) }]),
    S019C002P050R002A100: ntuFromBodies(28, [{ id: id(10), frames: range(2, 28), joint: personJoint(0, 0.05) }]),
    // the official missing list contains S001C002P005R002A008
    S001C002P005R002A008: ntuFromBodies(20, [{ id: id(11), frames: range(0, 20), joint: personJoint(0, 0.05) }]),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, `${name}.skeleton`), text);
  const bad = files.S001C001P001R001A001.split('\r\n');
  bad[10] = bad[10].replace(/^\S+ \S+/, '0.5 NaN');
  writeFileSync(join(dir, 'S003C001P001R001A002.skeleton'), bad.join('\r\n'));
  mkdirSync(join(dir, 'nested'));
  writeFileSync(join(dir, 'nested', 'README.txt'), 'not a skeleton file');
  return dir;
}

test('prepare reads a folder, skips the official missing samples, reports the bad file and keeps going', async (t) => {
  const raw = ntuFolder();
  const out = join(tmp(), 'cache');
  const result = await prepare({ dataset: 'ntu', raw, out, workers: 0 });
  t.false(result.upToDate);
  t.is(result.manifest.samples, 6);
  t.is(result.manifest.classNames.length, 120);
  t.is(result.report.skipped.length, 1);
  t.regex(result.report.skipped[0].reason, /official NTU missing/);
  t.is(result.report.failed.length, 1);
  t.regex(result.report.failed[0].reason, /S003C001P001R001A002\.skeleton:11: expected a joint y, found "NaN"/);
  const cache = SkeletonCache.open(out);
  const names = cache.samples().map((s) => s.name);
  t.deepEqual(names, [
    'S001C001P001R001A001',
    'S001C002P002R001A010',
    'S001C003P003R002A050',
    'S002C001P008R001A058',
    'S018C001P045R001A061',
    'S019C002P050R002A100',
  ]);
  t.deepEqual(Array.from(cache.labels), [0, 9, 49, 57, 60, 99]);
  // denoising: the short body is dropped (one actor), the flat body is dropped (two actors left)
  t.deepEqual(cache.shape(1).slice(0, 2), [1, 35]);
  t.deepEqual(cache.shape(2).slice(0, 2), [2, 50]);
  // empty leading frames of S019 are dropped by the parser
  t.deepEqual(cache.shape(5).slice(0, 2), [1, 26]);
  // CTR-GCN centring: SpineMid (joint 1) of actor 1, first frame, is the origin
  const c = cache.read(3).clip;
  t.deepEqual(Array.from(c.data.subarray(3, 6)), [0, 0, 0]);
  // splits from the names
  t.deepEqual(cache.split('ntu60-xsub', 'train'), [0, 1, 3]); // performers 1, 2, 8
  t.deepEqual(cache.split('ntu60-xsub', 'test'), [2]); // performer 3
  t.deepEqual(cache.split('ntu60-xview', 'train'), [1, 2]); // cameras 2, 3
  t.deepEqual(cache.split('ntu120-xset', 'train'), [3, 4]); // setups 2 and 18 are even
  t.deepEqual(cache.split('ntu120-xsub', 'train'), [0, 1, 3, 4, 5]); // 45 and 50 are training subjects of NTU120
  t.true(
    result.report.denoised.some((d) => d.name === 'S001C003P003R002A050' && d.notes.some((n) => /spread/.test(n))),
  );
  cache.close();
});

test("--benchmark keeps only that benchmark's samples and its class count", async (t) => {
  const out = join(tmp(), 'cache');
  const r = await prepare({ dataset: 'ntu', raw: ntuFolder(), out, workers: 0, benchmark: 'ntu60-xsub' });
  t.is(r.manifest.samples, 4);
  t.is(r.manifest.classNames.length, 60);
  t.deepEqual(r.manifest.benchmarks, ['ntu60-xsub', 'ntu60-xview']);
});

test('worker threads and the main thread write byte-identical caches; a second run is up to date; --force rebuilds the same bytes', async (t) => {
  const raw = ntuFolder();
  const a = join(tmp(), 'a');
  const b = join(tmp(), 'b');
  await prepare({ dataset: 'ntu', raw, out: a, workers: 0 });
  await prepare({ dataset: 'ntu', raw, out: b, workers: 2 });
  for (const f of ['clips.npy', 'offsets.npy', 'shapes.npy', 'labels.npy', 'samples.jsonl', 'splits.json']) {
    t.true(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f);
  }
  const before = statSync(join(a, 'clips.npy')).mtimeMs;
  const again = await prepare({ dataset: 'ntu', raw, out: a, workers: 2 });
  t.true(again.upToDate);
  t.is(statSync(join(a, 'clips.npy')).mtimeMs, before);
  const forced = await prepare({ dataset: 'ntu', raw, out: a, workers: 2, force: true });
  t.false(forced.upToDate);
  t.true(readFileSync(join(a, 'clips.npy')).equals(readFileSync(join(b, 'clips.npy'))));
  // changing an option is not up to date
  const aligned = await prepare({ dataset: 'ntu', raw, out: a, workers: 0, datasetOptions: { alignment: 'pyskl' } });
  t.false(aligned.upToDate);
  t.is(aligned.manifest.preprocessing.alignment, 'pyskl');
});

test('bad arguments fail before any work with a clear message', async (t) => {
  const raw = ntuFolder();
  await t.throwsAsync(prepare({ dataset: 'ntu', raw: join(raw, 'nope'), out: join(tmp(), 'x') }), {
    message: /option `raw` .*nope does not exist/,
  });
  await t.throwsAsync(prepare({ dataset: 'ntu', raw, out: join(tmp(), 'x'), benchmark: 'ntu60-xset' }), {
    message: /no benchmark 'ntu60-xset': expected one of ntu60-xsub/,
  });
  await t.throwsAsync(
    prepare({ dataset: 'ntu', raw, out: join(tmp(), 'x'), datasetOptions: { alignment: 'sideways' } }),
    { message: /option `alignment` must be one of ctrgcn, pyskl, none/ },
  );
  await t.throwsAsync(prepare({ dataset: 'octopus', raw, out: join(tmp(), 'x') }), {
    message: /unknown dataset 'octopus'/,
  });
  const notCache = tmp();
  writeFileSync(join(notCache, 'precious.txt'), 'keep me');
  await t.throwsAsync(prepare({ dataset: 'ntu', raw, out: notCache }), {
    message: /exists and is not a skelact cache/,
  });
  t.true(existsSync(join(notCache, 'precious.txt')));
  const empty = tmp();
  await t.throwsAsync(prepare({ dataset: 'ntu', raw: empty, out: join(tmp(), 'x') }), {
    message: /no \.skeleton files under/,
  });
});

(hasNumpy() ? test : test.skip)(
  `denoising, actor selection and centring agree with an independent numpy implementation ${hasNumpy() ? '' : NUMPY_SKIP_REASON}`,
  async (t) => {
    const raw = ntuFolder();
    const out = join(tmp(), 'cache');
    await prepare({ dataset: 'ntu', raw, out, workers: 0 });
    const cache = SkeletonCache.open(out);
    const files = cache.samples().map((s) => join(raw, s.source));
    const lines = runPython([join(packageRoot(), 'test', 'reference', 'ntu_denoise_reference.py'), ...files])
      .trim()
      .split('\n');
    t.is(lines.length, cache.size);
    lines.forEach((line, i) => {
      const ref = JSON.parse(line) as { name: string; actors: number; frames: number; data: number[] };
      const got = cache.read(i);
      t.is(ref.name, got.name);
      t.deepEqual([ref.actors, ref.frames], [got.clip.persons, got.clip.frames], got.name);
      let maxDiff = 0;
      ref.data.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - got.clip.data[k]))));
      t.true(maxDiff < 2e-6, `${got.name}: max difference ${maxDiff}`);
    });
    cache.close();
  },
);

test('a prepare killed half-way leaves no cache (and the old cache intact); the next run cleans up and succeeds', async (t) => {
  // many files so that the child is still writing when it is killed
  const raw = tmp();
  const body = ntuFromBodies(120, [{ id: '72057594037931001', frames: range(0, 120), joint: personJoint(0, 0.05) }]);
  for (let p = 1; p <= 40; p++)
    for (let a = 1; a <= 10; a++)
      writeFileSync(
        join(raw, `S001C001P${String(p).padStart(3, '0')}R001A${String(a).padStart(3, '0')}.skeleton`),
        body,
      );
  const out = join(tmp(), 'cache');
  // an older, complete cache of a subset
  const oldRaw = tmp();
  writeFileSync(join(oldRaw, 'S001C001P001R001A001.skeleton'), body);
  await prepare({ dataset: 'ntu', raw: oldRaw, out, workers: 0 });
  const script = `import('${new URL('../../src/data/prepare.js', import.meta.url).href}').then((m) => m.prepare({ dataset: 'ntu', raw: ${JSON.stringify(raw)}, out: ${JSON.stringify(out)}, workers: 0, onProgress: (p) => { if (p.filesDone === 150) process.stdout.write('half\\n'); } }))`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => d.toString().includes('half') && resolve()),
  );
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
  const parent = join(out, '..');
  t.true(
    readdirSync(parent).some((e) => e.startsWith('cache.partial-')),
    'the partial folder of the killed run is there',
  );
  const old = SkeletonCache.open(out);
  t.is(old.size, 1, 'the previous complete cache is untouched');
  old.close();
  const r = await prepare({ dataset: 'ntu', raw, out, workers: 2 });
  t.is(r.manifest.samples, 400);
  t.false(readdirSync(parent).some((e) => e.includes('.partial-') || e.includes('.old-')));
});
