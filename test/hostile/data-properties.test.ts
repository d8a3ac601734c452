/**
 * Property tests (fast-check) that mutate what the data stage reads (raw skeleton files in a
 * batch, generic JSON Lines, caches, experiment configs, pose files) and check the contract:
 * a clear error that names the file, or a correct result; never a crash, a hang, a silent
 * wrong number, or a good file lost. Runs are few and inputs small, so this file takes seconds.
 */
import test, { type ExecutionContext } from 'ava';
import * as fc from 'fast-check';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { CacheError, SkeletonCache } from '../../src/data/cache/reader.js';
import { CacheWriter } from '../../src/data/cache/writer.js';
import { parseGenericJsonl } from '../../src/data/formats/generic.js';
import { prepare } from '../../src/data/prepare.js';
import { SkeletonFormatError, type SkeletonSample } from '../../src/data/types.js';
import { makeClip } from '../../src/graph/clip.js';
import { PoseFileError, readPoseFile, toGenericRecord } from '../../src/pose/pose-file.js';
import { parseGenericJson } from '../../src/data/formats/generic.js';
import { ConfigError, loadExperiment } from '../../src/train/config.js';
import { applyMutation, type Mutation, mutationsArb, wellFormedProblem } from '../data/formats/mutate.js';
import { sharedPath } from '../helpers/shared.js';
import { ROOT, poseFile, syntheticNtu, tmp } from './data-helpers.js';

// ---------------------------------------------------------------------------------------
// Generic JSON Lines: which records are bad is known, so the result is checked exactly.

type LineFault = 'none' | 'truncate' | 'string-value' | 'no-layout' | 'duplicate-name' | 'nan-token';
const faultArb = fc.constantFrom<LineFault>(
  'none',
  'none',
  'truncate',
  'string-value',
  'no-layout',
  'duplicate-name',
  'nan-token',
);

function genericLine(i: number, values: number[]): string {
  const joints = [[Array.from({ length: 20 }, (_, v) => [values[v % values.length], v / 10, i])]];
  return JSON.stringify({ name: `r${i}`, layout: 'kinect-20', label: `c${i % 3}`, joints });
}

function applyFault(line: string, fault: LineFault): string {
  switch (fault) {
    case 'none':
      return line;
    case 'truncate':
      return line.slice(0, Math.floor(line.length / 2));
    case 'string-value':
      return line.replace(/\[\[\[\[[-\d.e]+/, '[[[["1.5"');
    case 'no-layout':
      return line.replace('"layout":"kinect-20",', '');
    case 'duplicate-name':
      return line.replace(/"name":"r\d+"/, '"name":"r0"');
    case 'nan-token':
      return line.replace(/\[\[\[\[[-\d.e]+/, '[[[[NaN');
  }
}

test('generic JSONL: every good record is kept with its values, every bad one is reported once with file and line', (t) => {
  let failures = 0;
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(faultArb, fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 3 })),
        { minLength: 2, maxLength: 8 },
      ),
      (spec) => {
        // Line 1 is always good, so a duplicate of its name is always a duplicate.
        const lines = spec.map(([fault, values], i) => applyFault(genericLine(i, values), i === 0 ? 'none' : fault));
        const good = spec.map(([fault], i) => i === 0 || fault === 'none');
        const result = parseGenericJsonl(`${lines.join('\n')}\n`, 'mine.jsonl');
        const expectedNames = spec.map((_, i) => `r${i}`).filter((_, i) => good[i]);
        if (result.samples.map((s) => s.name).join() !== expectedNames.join())
          throw new Error(`kept ${result.samples.map((s) => s.name)}, expected ${expectedNames}`);
        const badLines = good.flatMap((g, i) => (g ? [] : [i + 1]));
        const reported = (result.failed ?? []).map((f) => Number(/^mine\.jsonl:(\d+)/.exec(f.reason)?.[1]));
        if (reported.join() !== badLines.join()) throw new Error(`reported lines ${reported}, bad lines ${badLines}`);
        for (const s of result.samples) {
          const i = Number(s.name.slice(1));
          const values = spec[i][1];
          for (let v = 0; v < 20; v++)
            if (s.clip.data[v * 3] !== Math.fround(values[v % values.length]))
              throw new Error(`${s.name} joint ${v}: a value changed`);
        }
        failures += badLines.length;
      },
    ),
    { numRuns: 60 },
  );
  t.true(failures > 0, 'some runs had bad records');
});

// ---------------------------------------------------------------------------------------
// A batch of raw files with one corrupted: prepare keeps every good file, sample for sample.

interface Batch {
  readonly dataset: string;
  /** Files copied into the raw folder (the first is the one that gets corrupted). */
  readonly files: string[];
  /** Extra files the dataset needs beside them (a label file), never corrupted. */
  readonly extras?: string[];
  readonly datasetOptions?: Record<string, unknown>;
  readonly numRuns: number;
  /** Corruptions always tried first (counterexamples found by earlier runs). */
  readonly examples?: Mutation[][];
}

/**
 * Samples of a cache by source file. Labels are compared by class name, not index: a corrupted
 * file that still parses may name a new class (a label "c2" mutated to "02"), and class indices
 * follow the sorted class names, so the good files' indices may shift while their classes do not.
 */
function samplesBySource(dir: string): Map<string, Array<{ name: string; label: string; data: Float32Array }>> {
  const cache = SkeletonCache.open(dir);
  try {
    const out = new Map<string, Array<{ name: string; label: string; data: Float32Array }>>();
    const classNames = cache.manifest.classNames;
    cache.samples().forEach((r, i) => {
      const list = out.get(r.source) ?? [];
      list.push({
        name: r.name,
        label: classNames[cache.labels[i]] ?? `#${cache.labels[i]}`,
        data: cache.read(i).clip.data,
      });
      out.set(r.source, list);
    });
    return out;
  } finally {
    cache.close();
  }
}

async function checkBatch(t: ExecutionContext, batch: Batch): Promise<void> {
  const [victim, ...good] = batch.files;
  const base = tmp('hostile-batch');
  const baseRaw = join(base, 'raw');
  mkdirSync(baseRaw);
  for (const f of [...good, ...(batch.extras ?? [])]) copyFileSync(f, join(baseRaw, basename(f)));
  await prepare({
    dataset: batch.dataset,
    raw: baseRaw,
    out: join(base, 'cache'),
    workers: 0,
    datasetOptions: batch.datasetOptions,
  });
  const expected = samplesBySource(join(base, 'cache'));
  const text = readFileSync(victim, 'latin1');
  const victimName = basename(victim);
  const outcomes = { failed: 0, read: 0 };
  let run = 0;
  await fc.assert(
    fc.asyncProperty(mutationsArb, async (mutations) => {
      const dir = join(base, `run${run++}`);
      const raw = join(dir, 'raw');
      cpSync(baseRaw, raw, { recursive: true });
      writeFileSync(join(raw, victimName), Buffer.from(mutations.reduce(applyMutation, text), 'latin1'));
      const result = await prepare({
        dataset: batch.dataset,
        raw,
        out: join(dir, 'cache'),
        workers: 0,
        datasetOptions: batch.datasetOptions,
      });
      const got = samplesBySource(join(dir, 'cache'));
      for (const [source, samples] of expected) {
        const now = got.get(source) ?? [];
        if (now.length !== samples.length)
          throw new Error(`${source}: ${now.length} samples, ${samples.length} before the corruption of ${victimName}`);
        samples.forEach((s, k) => {
          if (
            now[k].name !== s.name ||
            now[k].label !== s.label ||
            now[k].data.length !== s.data.length ||
            now[k].data.some((x, i) => x !== s.data[i])
          )
            throw new Error(`${source}: sample ${s.name} changed`);
        });
      }
      const failedHere = result.report.failed.filter((f) => f.file === victimName);
      for (const f of failedHere)
        if (!f.reason.includes(victimName))
          throw new Error(`the failure of ${victimName} does not name it: ${f.reason}`);
      const cache = SkeletonCache.open(join(dir, 'cache'));
      try {
        const fromVictim = cache.samples().flatMap((r, i) => (r.source === victimName ? [i] : []));
        for (const i of fromVictim) {
          const { clip, name } = cache.read(i);
          for (const x of clip.data)
            if (!Number.isFinite(x)) throw new Error(`${name}: a non-finite value in the cache`);
        }
        if (failedHere.length > 0) outcomes.failed++;
        else if (fromVictim.length > 0) outcomes.read++;
      } finally {
        cache.close();
      }
      rmSync(dir, { recursive: true, force: true });
    }),
    // The first example is a corruption every reader must report (a word where the first number was), so the
    // check below does not depend on the random ones; those may all happen to parse (a digit for a digit).
    {
      numRuns: batch.numRuns,
      examples: [[{ kind: 'replace-number' as const, which: 0, by: 'abc' }], ...(batch.examples ?? [])].map(
        (m) => [m] as [Mutation[]],
      ),
    },
  );
  t.true(outcomes.failed > 0, `some corruptions of ${victimName} were reported (${JSON.stringify(outcomes)})`);
}

test('NTU .skeleton batch: a corrupted file never costs a good file a sample or changes a value', async (t) => {
  const { raw } = syntheticNtu();
  const files = readdirSync(raw)
    .filter((f) => f.endsWith('.skeleton'))
    .sort()
    .slice(0, 4)
    .map((f) => join(raw, f));
  await checkBatch(t, { dataset: 'ntu', files, numRuns: 12 });
});

test('generic batch: a corrupted JSON Lines file never costs the other files a sample', async (t) => {
  const dir = tmp('hostile-generic');
  const files = [0, 1, 2].map((k) => {
    const path = join(dir, `g${k}.jsonl`);
    writeFileSync(path, `${[0, 1, 2].map((i) => genericLine(10 * k + i, [k, i, 0.5])).join('\n')}\n`);
    return path;
  });
  // The example renames the victim's class "c2" to "02", a new class that sorts first: the other files keep their classes.
  const examples: Mutation[][] = [
    [
      { kind: 'replace-char', at: 477589, text: '0' },
      { kind: 'delete', at: 0, length: 1 },
    ],
  ];
  await checkBatch(t, { dataset: 'generic', files, numRuns: 15, examples });
});

const shared = (...p: string[]) => sharedPath('data', ...p);
const withShared = (needs: string) => (existsSync(shared(needs)) ? test : test.skip);
const sharedNote = (needs: string) =>
  existsSync(shared(needs))
    ? ''
    : ` [skipped: ${shared(needs)} is absent; it holds real data that is not part of the project]`;

withShared('nw_ucla_samples')(
  `NW-UCLA batch: a corrupted JSON file never costs the others a sample${sharedNote('nw_ucla_samples')}`,
  async (t) => {
    const files = readdirSync(shared('nw_ucla_samples'))
      .sort()
      .slice(0, 4)
      .map((f) => shared('nw_ucla_samples', f));
    await checkBatch(t, { dataset: 'nw-ucla', files, numRuns: 12 });
  },
);

withShared('kinetics_skeleton')(
  `Kinetics batch: a corrupted clip never costs the others a sample${sharedNote('kinetics_skeleton')}`,
  async (t) => {
    const files = readdirSync(shared('kinetics_skeleton', 'kinetics_val'))
      .sort()
      .slice(0, 3)
      .map((f) => shared('kinetics_skeleton', 'kinetics_val', f));
    await checkBatch(t, {
      dataset: 'kinetics-skeleton',
      files,
      datasetOptions: { labels: shared('kinetics_skeleton', 'kinetics_val_label.json') },
      numRuns: 12,
    });
  },
);

withShared('utkinect')(
  `UTKinect batch: a corrupted joints file never costs the others a sample${sharedNote('utkinect')}`,
  async (t) => {
    const files = ['joints_s01_e01.txt', 'joints_s02_e01.txt', 'joints_s03_e01.txt'].map((f) => shared('utkinect', f));
    await checkBatch(t, { dataset: 'utkinect', files, extras: [shared('utkinect', 'actionLabel.txt')], numRuns: 8 });
  },
);

// ---------------------------------------------------------------------------------------
// Caches: a damaged file is a CacheError naming the cache and the file, or everything reads as written.

const CACHE_FILES_ALL = [
  'manifest.json',
  'clips.npy',
  'offsets.npy',
  'shapes.npy',
  'labels.npy',
  'samples.jsonl',
  'splits.json',
  'report.json',
];

type CacheDamage =
  | { kind: 'delete'; file: number }
  | { kind: 'truncate'; file: number; keep: number }
  | { kind: 'append'; file: number; bytes: number[] }
  | { kind: 'overwrite-byte'; file: number; at: number; value: number }
  | { kind: 'mutate-text'; file: number; mutations: Mutation[] };

const cacheDamageArb: fc.Arbitrary<CacheDamage> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), file: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), file: fc.nat(7), keep: fc.nat(400) }),
  fc.record({
    kind: fc.constant('append' as const),
    file: fc.nat(7),
    bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('overwrite-byte' as const), file: fc.nat(7), at: fc.nat(200), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('mutate-text' as const), file: fc.constantFrom(0, 5, 6, 7), mutations: mutationsArb }),
);

function sampleClip(name: string, label: number, frames: number, seed: number): SkeletonSample {
  const data = Float32Array.from({ length: frames * 25 * 3 }, (_, i) => Math.sin(seed * 31 + i) * 2);
  return {
    name,
    label,
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    clip: makeClip(data, 1, frames, 25, 3),
    meta: { subject: seed },
    notes: [],
  };
}

function readEverything(dir: string) {
  const cache = SkeletonCache.open(dir);
  try {
    return {
      names: cache.samples().map((r) => r.name),
      labels: Array.from(cache.labels),
      clips: Array.from({ length: cache.size }, (_, i) => Array.from(cache.read(i).clip.data)),
      splits: cache.splits(),
      report: cache.report(),
      classes: cache.manifest.classNames,
    };
  } finally {
    cache.close();
  }
}

test('caches: a deleted, truncated, extended or garbled file is a CacheError naming the cache, or the cache reads exactly as written', (t) => {
  const base = tmp('hostile-cache');
  const original = join(base, 'original');
  const writer = new CacheWriter(original, {
    dataset: 'test',
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    classNames: ['a', 'b', 'c'],
    preprocessing: {},
    fingerprint: 'f',
    source: 'here',
    skelactVersion: '0',
  });
  [sampleClip('s0', 0, 3, 1), sampleClip('s1', 1, 5, 2), sampleClip('s2', 2, 4, 3)].forEach((s, i) =>
    writer.add(s, { bench: i === 1 ? 'test' : 'train' }, 'src'),
  );
  writer.commit({ skipped: [], failed: [], denoised: [] }, ['bench']);
  const expected = JSON.stringify(readEverything(original));
  const outcomes = { refused: 0, intact: 0 };
  let run = 0;
  fc.assert(
    fc.property(cacheDamageArb, (damage) => {
      const dir = join(base, `c${run++}`);
      cpSync(original, dir, { recursive: true });
      const file = join(dir, CACHE_FILES_ALL[damage.file]);
      const bytes = readFileSync(file);
      if (damage.kind === 'delete') rmSync(file);
      else if (damage.kind === 'truncate') truncateSync(file, Math.min(damage.keep, Math.max(0, bytes.length - 1)));
      else if (damage.kind === 'append') writeFileSync(file, Buffer.concat([bytes, Buffer.from(damage.bytes)]));
      else if (damage.kind === 'overwrite-byte') {
        bytes[damage.at % bytes.length] = damage.value;
        writeFileSync(file, bytes);
      } else writeFileSync(file, damage.mutations.reduce(applyMutation, bytes.toString('utf8')));
      try {
        const got = JSON.stringify(readEverything(dir));
        // Bytes that changed inside the clip values cannot be told from data; everything else must read as written.
        const clipValueByte = damage.kind === 'overwrite-byte' && damage.file === 1 && damage.at % bytes.length >= 128;
        if (got !== expected && !clipValueByte)
          throw new Error(`the damaged cache (${JSON.stringify(damage)}) read without an error but differently`);
        outcomes.intact++;
      } catch (e) {
        if (!(e instanceof CacheError))
          throw new Error(
            `${JSON.stringify(damage)}: expected a CacheError, got ${(e as Error).name}: ${(e as Error).message}`,
          );
        if (!e.message.startsWith(`cache ${dir}: `)) throw new Error(`the error does not name the cache: ${e.message}`);
        outcomes.refused++;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 80 },
  );
  t.true(outcomes.refused > 0, JSON.stringify(outcomes));
  // The undamaged cache reads as written (the other side of the contract, checked on purpose, not by chance).
  const copy = join(base, 'undamaged');
  cpSync(original, copy, { recursive: true });
  t.is(JSON.stringify(readEverything(copy)), expected);
});

// ---------------------------------------------------------------------------------------
// Experiment configs and pose files.

function valueArb(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.constant(-1),
    fc.constant(0),
    fc.constant(1e309),
    fc.string({ maxLength: 4 }),
    fc.constant([]),
    fc.constant({}),
    fc.boolean(),
    fc.double(),
  );
}

/** Every path to a value in a JSON object (['optim', 'lr'], ['data'], …). */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  return [
    prefix,
    ...Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => pathsOf(v, [...prefix, k])),
  ].filter((p) => p.length > 0);
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node = root as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  if (value === undefined) delete node[path[path.length - 1]];
  else node[path[path.length - 1]] = value;
}

test('configs: a field removed or given a wrong value, or the text corrupted, is a ConfigError naming the file (and the field), or a valid config', (t) => {
  const source = readFileSync(join(ROOT, 'configs/small/stgcn-synthetic.json'), 'utf8');
  const paths = pathsOf(JSON.parse(source));
  const dir = tmp('hostile-config');
  const file = join(dir, 'my-config.json');
  const outcomes = { refused: 0, accepted: 0 };
  const edit = fc.oneof(
    fc
      .record({ path: fc.constantFrom(...paths), value: fc.option(valueArb(), { nil: undefined }) })
      .map((e) => ({ kind: 'field' as const, ...e })),
    mutationsArb.map((m) => ({ kind: 'text' as const, mutations: m })),
  );
  fc.assert(
    fc.property(edit, (e) => {
      if (e.kind === 'field') {
        const config = JSON.parse(source) as Record<string, unknown>;
        setPath(config, e.path, e.value);
        writeFileSync(file, JSON.stringify(config));
      } else writeFileSync(file, e.mutations.reduce(applyMutation, source));
      try {
        const config = loadExperiment(file);
        if (!(config.optim.epochs >= 1) || !(config.optim.lr > 0) || !Number.isFinite(config.optim.lr))
          throw new Error(`accepted a config with epochs ${config.optim.epochs}, lr ${config.optim.lr}`);
        outcomes.accepted++;
      } catch (err) {
        if (!(err instanceof ConfigError))
          throw new Error(`expected a ConfigError, got ${(err as Error).name}: ${(err as Error).message}`);
        if (!err.message.startsWith(file)) throw new Error(`does not name the file: ${err.message}`);
        outcomes.refused++;
      }
    }),
    { numRuns: 80 },
  );
  t.true(outcomes.refused > 0, JSON.stringify(outcomes));
});

test('pose files: a corrupted .poses.json is a PoseFileError naming it, or reads into a well-formed blazepose-33 sample', (t) => {
  const source = JSON.stringify(poseFile(3));
  const dir = tmp('hostile-poses');
  const file = join(dir, 'clip.poses.json');
  const outcomes = { refused: 0, read: 0 };
  fc.assert(
    fc.property(mutationsArb, (mutations) => {
      writeFileSync(file, mutations.reduce(applyMutation, source));
      try {
        const poses = readPoseFile(file);
        const result = parseGenericJson(
          JSON.stringify(toGenericRecord(poses, { layout: 'blazepose-33', name: 'clip' })),
          'clip.poses.json',
        );
        const problem = wellFormedProblem(result);
        if (problem) throw new Error(`malformed sample: ${problem}`);
        outcomes.read++;
      } catch (err) {
        if (err instanceof PoseFileError && err.message.startsWith(file)) outcomes.refused++;
        else if (err instanceof PoseFileError && /no person was found/.test(err.message)) outcomes.refused++;
        else if (err instanceof SkeletonFormatError && err.message.startsWith('clip.poses.json')) outcomes.refused++;
        else throw new Error(`unexpected ${(err as Error).name}: ${(err as Error).message}`);
      }
    }),
    { numRuns: 80 },
  );
  t.true(outcomes.refused > 0, JSON.stringify(outcomes));
  // The intact file, and the same JSON pretty-printed, read into the 3-frame sample (the other side of the contract).
  for (const text of [source, JSON.stringify(JSON.parse(source), null, 2)]) {
    writeFileSync(file, text);
    const result = parseGenericJson(
      JSON.stringify(toGenericRecord(readPoseFile(file), { layout: 'blazepose-33', name: 'clip' })),
      'clip.poses.json',
    );
    t.deepEqual([result.samples.length, result.samples[0].clip.frames, result.samples[0].clip.joints], [1, 3, 33]);
  }
});
