import test from 'ava';
import { openSync, closeSync, readFileSync, statSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeClip } from '../../../src/graph/clip.js';
import { CacheError, SkeletonCache } from '../../../src/data/cache/reader.js';
import { CacheWriter } from '../../../src/data/cache/writer.js';
import { npyHeader, readNpy, writeNpy } from '../../../src/data/cache/npy.js';
import type { SkeletonSample } from '../../../src/data/types.js';
import { hasNumpy, NUMPY_SKIP_REASON, runPython } from '../../helpers/python.js';
import { tempDir } from '../../helpers/temp.js';

const tmp = () => tempDir('skelact-cache-');

function sample(
  name: string,
  label: number,
  persons: number,
  frames: number,
  seed: number,
  labelName?: string,
): SkeletonSample {
  const data = Float32Array.from({ length: persons * frames * 25 * 3 }, (_, i) => Math.sin(seed * 1000 + i) * 2);
  return {
    name,
    label,
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    clip: makeClip(data, persons, frames, 25, 3),
    meta: labelName ? { labelName } : { subject: seed },
    notes: [],
  };
}

function writeCache(dir: string, samples: SkeletonSample[], classNames: string[] | 'discover' = ['a', 'b', 'c']) {
  const w = new CacheWriter(dir, {
    dataset: 'test',
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    classNames,
    preprocessing: { note: 'unit test' },
    fingerprint: 'f',
    source: '/nowhere',
    skelactVersion: '0.0.0',
  });
  samples.forEach((s, i) => w.add(s, { bench: i % 2 === 0 ? 'train' : 'test' }, `${s.name}.src`));
  return w.commit({ skipped: [], failed: [], denoised: [] }, ['bench']);
}

test('npy headers are 64-byte aligned and hold the shape', (t) => {
  const h = npyHeader('<f4', [3, 4]);
  t.is(h.length % 64, 0);
  t.is(h[h.length - 1], 0x0a);
  t.regex(h.toString('latin1'), /'descr': '<f4', 'fortran_order': False, 'shape': \(3, 4\), \}/);
  const dir = tmp();
  const fd = openSync(join(dir, 'a.npy'), 'w');
  writeNpy(fd, '<i8', [3], BigInt64Array.from([1n, -2n, 9007199254740993n]));
  closeSync(fd);
  t.deepEqual(Array.from(readNpy(join(dir, 'a.npy')).data as BigInt64Array), [1n, -2n, 9007199254740993n]);
});

test('a cache round-trips every clip, label, split and record', (t) => {
  const dir = join(tmp(), 'c');
  const samples = [sample('s0', 0, 1, 10, 1), sample('s1', 2, 2, 7, 2), sample('s2', 1, 1, 1, 3)];
  const manifest = writeCache(dir, samples);
  t.is(manifest.samples, 3);
  t.is(manifest.values, (10 + 14 + 1) * 75);
  t.is(manifest.maxPersons, 2);
  const cache = SkeletonCache.open(dir);
  samples.forEach((s, i) => {
    const r = cache.read(i);
    t.is(r.name, s.name);
    t.is(r.label, s.label);
    t.deepEqual(cache.shape(i), [s.clip.persons, s.clip.frames, 25, 3]);
    t.deepEqual(Array.from(r.clip.data), Array.from(s.clip.data));
  });
  t.deepEqual(cache.split('bench', 'train'), [0, 2]);
  t.deepEqual(cache.split('bench', 'test'), [1]);
  t.is(cache.sample(1).source, 's1.src');
  t.throws(() => cache.split('nope', 'train'), {
    instanceOf: CacheError,
    message: /has no benchmark 'nope' \(it has: bench\)/,
  });
  t.throws(() => cache.read(3), { instanceOf: RangeError });
  cache.close();
});

test('class names can be discovered from label names (sorted) and labels are remapped', (t) => {
  const dir = join(tmp(), 'c');
  const m = writeCache(
    dir,
    [
      sample('x', -1, 1, 3, 1, 'wave'),
      sample('y', -1, 1, 3, 2, 'clap'),
      sample('z', -1, 1, 3, 3, 'wave'),
      sample('u', -1, 1, 3, 4),
    ],
    'discover',
  );
  t.deepEqual(m.classNames, ['clap', 'wave']);
  const cache = SkeletonCache.open(dir);
  t.deepEqual(Array.from(cache.labels), [1, 0, 1, -1]);
  t.is(cache.sample(1).label, 0);
  cache.close();
});

(hasNumpy() ? test : test.skip)(
  `numpy reads the cache exactly as documented ${hasNumpy() ? '' : NUMPY_SKIP_REASON}`,
  (t) => {
    const dir = join(tmp(), 'c');
    const samples = [sample('s0', 0, 2, 5, 4), sample('s1', 1, 1, 9, 5)];
    writeCache(dir, samples);
    const script = `
import numpy as np, json, sys
d = sys.argv[1]
x = np.load(d + '/clips.npy', mmap_mode='r'); o = np.load(d + '/offsets.npy'); s = np.load(d + '/shapes.npy'); l = np.load(d + '/labels.npy')
print(json.dumps({'dtype': [str(x.dtype), str(o.dtype), str(s.dtype), str(l.dtype)], 'labels': l.tolist(),
  'clips': [x[o[i]:o[i+1]].reshape(s[i]).tolist() for i in range(len(l))]}))`;
    const out = JSON.parse(runPython(['-c', script, dir])) as {
      dtype: string[];
      labels: number[];
      clips: number[][][][][];
    };
    t.deepEqual(out.dtype, ['float32', 'int64', 'int32', 'int32']);
    t.deepEqual(out.labels, [0, 1]);
    samples.forEach((s, i) => t.deepEqual(Float32Array.from(out.clips[i].flat(3)), s.clip.data));
    t.is(out.clips[0].length, 2); // persons first
    t.is(out.clips[0][0].length, 5); // then frames
  },
);

test('a damaged cache is refused with a clear error', (t) => {
  const base = tmp();
  const make = () => {
    const dir = join(base, `c${Math.random()}`);
    writeCache(dir, [sample('s0', 0, 1, 4, 1), sample('s1', 1, 1, 4, 2)]);
    return dir;
  };
  let dir = make();
  truncateSync(join(dir, 'clips.npy'), statSync(join(dir, 'clips.npy')).size - 4);
  t.throws(() => SkeletonCache.open(dir), {
    instanceOf: CacheError,
    message:
      /is damaged: clips\.npy has \d+ bytes, the manifest records \d+ \(truncated or changed\); rebuild it with: skelact prepare/,
  });
  dir = make();
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...m, version: 99 }));
  t.throws(() => SkeletonCache.open(dir), { instanceOf: CacheError, message: /format version 99 is not supported/ });
  dir = make();
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...m, layout: 'octopus-8' }));
  t.throws(() => SkeletonCache.open(dir), { instanceOf: CacheError, message: /manifest\.json field 'layout'/ });
  t.throws(() => SkeletonCache.open(join(base, 'missing')), {
    instanceOf: CacheError,
    message: /not a skelact cache: it does not exist/,
  });
});

test('an aborted writer leaves nothing that looks like a cache', (t) => {
  const dir = join(tmp(), 'c');
  const w = new CacheWriter(dir, {
    dataset: 't',
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    classNames: ['a'],
    preprocessing: {},
    fingerprint: 'f',
    source: '',
    skelactVersion: '0',
  });
  w.add(sample('s', 0, 1, 3, 1), {}, 's');
  t.true(existsSync(w.partialDir));
  w.abort();
  t.false(existsSync(w.partialDir));
  t.false(existsSync(dir));
});
