/**
 * Hostile input through the CLI, for the data stage (issue 12, items 2, 3, 10, 11): what the
 * user sees (exit code, message) and what is left on disk.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '../helpers/shared.js';
import { poseFile, skelact, snapshot, syntheticNtu, tmp } from './data-helpers.js';

let generic: string | undefined;
/** 21 synthetic kinect-20 records, one per line (skelact synth --format generic). */
function genericLines(): string[] {
  if (!generic) {
    const dir = tmp('hostile-gen');
    const r = skelact(
      'synth',
      '--out',
      dir,
      '--format',
      'generic',
      '--layout',
      'kinect-20',
      '--samples-per-class',
      '1',
      '--quiet',
    );
    if (r.code !== 0) throw new Error(r.stderr);
    generic = join(dir, 'synthetic-kinect-20.jsonl');
  }
  return readFileSync(generic, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

test('generic JSONL: a truncated line 4 and a bad line 9 are reported with file and line; every other record is kept and the counts are per record', (t) => {
  const lines = genericLines();
  t.true(lines.length >= 20);
  const raw = tmp();
  const bad = [...lines];
  bad[3] = bad[3].slice(0, Math.floor(bad[3].length / 2));
  bad[8] = bad[8].replace('"layout":"kinect-20"', '"layout":"kinect-21"');
  writeFileSync(join(raw, 'mine.jsonl'), `${bad.join('\n')}\n`);
  const out = join(tmp(), 'cache');
  const r = skelact('prepare', 'generic', '--raw', raw, '--out', out, '--json', '--quiet');
  // 3: the batch finished, the good records were written, some inputs failed (README: exit codes).
  t.is(r.code, 3, r.stderr);
  const p = JSON.parse(r.stdout) as { samples: number; failed: Array<{ file: string; reason: string }> };
  t.is(p.samples, lines.length - 2);
  t.is(p.failed.length, 2);
  t.regex(p.failed[0].reason, /^mine\.jsonl:4: expected valid JSON/);
  t.regex(p.failed[1].reason, /^mine\.jsonl:9 \(layout\): expected a layout name/);
  const names = readFileSync(join(out, 'samples.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { name: string }).name);
  const expected = lines.filter((_, i) => i !== 3 && i !== 8).map((l) => (JSON.parse(l) as { name: string }).name);
  t.deepEqual(names, expected);
});

test('generic: a foreign .json (a package.json) in the folder is one failed file; the generic files are all read', (t) => {
  const raw = tmp();
  writeFileSync(join(raw, 'a-package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0' }));
  writeFileSync(join(raw, 'b.jsonl'), `${genericLines().slice(0, 5).join('\n')}\n`);
  const out = join(tmp(), 'cache');
  const r = skelact('prepare', 'generic', '--raw', raw, '--out', out, '--json', '--quiet');
  // 3: the batch finished, the good records were written, some inputs failed (README: exit codes).
  t.is(r.code, 3, r.stderr);
  const p = JSON.parse(r.stdout) as {
    samples: number;
    layout: string;
    failed: Array<{ file: string; reason: string }>;
  };
  t.is(p.samples, 5);
  t.is(p.layout, 'kinect-20');
  t.deepEqual(
    p.failed.map((f) => f.file),
    ['a-package.json'],
  );
  t.regex(p.failed[0].reason, /^a-package\.json \(\w+\): expected /);
});

test('prepare calls a cache with a deleted samples.jsonl damaged (rebuild with --force), and --force rebuilds it', (t) => {
  const { raw, cache } = syntheticNtu();
  const copy = join(tmp(), 'cache');
  cpSync(cache, copy, { recursive: true });
  rmSync(join(copy, 'samples.jsonl'));
  const r = skelact('prepare', 'ntu', '--raw', raw, '--out', copy);
  t.is(r.code, 1);
  t.regex(r.stderr, /matches the raw files but is damaged: samples\.jsonl is missing; rebuild it with --force/);
  t.false(existsSync(join(copy, 'samples.jsonl')), 'a refusal writes nothing');
  const truncated = join(tmp(), 'cache');
  cpSync(cache, truncated, { recursive: true });
  truncateSync(join(truncated, 'clips.npy'), 200);
  const r2 = skelact('prepare', 'ntu', '--raw', raw, '--out', truncated);
  t.is(r2.code, 1);
  t.regex(
    r2.stderr,
    /clips\.npy has 200 bytes, the manifest records \d+ \(truncated or changed\); rebuild it with --force/,
  );
  const forced = skelact('prepare', 'ntu', '--raw', raw, '--out', copy, '--force', '--quiet');
  t.is(forced.code, 0, forced.stderr);
  t.deepEqual(snapshot(copy).get('samples.jsonl'), snapshot(cache).get('samples.jsonl'));
  t.is(skelact('inspect', copy, '--quiet').code, 0);
});

test('--force keeps derived-splits.json when the samples are the same, and derives it again when they change', (t) => {
  const { raw, cache } = syntheticNtu();
  const copy = join(tmp(), 'cache');
  cpSync(cache, copy, { recursive: true });
  const lt = skelact('lt', copy, '--benchmark', 'ntu60-xsub', '--imbalance', '1', '--name', 'mine-lt', '--quiet');
  t.is(lt.code, 0, lt.stderr);
  const derived = readFileSync(join(copy, 'derived-splits.json'), 'utf8');
  const same = skelact('prepare', 'ntu', '--raw', raw, '--out', copy, '--force');
  t.is(same.code, 0, same.stderr);
  t.regex(same.stderr, /derived benchmarks kept \(same samples\): mine-lt/);
  t.is(readFileSync(join(copy, 'derived-splits.json'), 'utf8'), derived);
  const other = skelact(
    'prepare',
    'ntu',
    '--raw',
    raw,
    '--out',
    copy,
    '--align',
    'pyskl',
    '--force',
    '--json',
    '--quiet',
  );
  t.is(other.code, 0, other.stderr);
  t.deepEqual((JSON.parse(other.stdout) as { derived: { rebuilt: string[] } }).derived.rebuilt, ['mine-lt']);
  const inspect = JSON.parse(skelact('inspect', copy, '--json', '--quiet').stdout) as {
    splits: Record<string, { train: number }>;
  };
  t.true(inspect.splits['mine-lt'].train > 0);
});

test('a .partial-<pid> of a dead prepare is removed; one of a live process is left alone with an error', (t) => {
  const { raw, cache } = syntheticNtu();
  const dir = tmp();
  const out = join(dir, 'cache');
  cpSync(cache, out, { recursive: true });
  // A process id that existed and is gone.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout;
  mkdirSync(join(dir, `cache.partial-${dead}`));
  writeFileSync(join(dir, `cache.partial-${dead}`, 'clips.npy'), 'half');
  const r = skelact('prepare', 'ntu', '--raw', raw, '--out', out);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /is up to date/);
  t.false(existsSync(join(dir, `cache.partial-${dead}`)));
  // This test's own process is alive: its partial folder is another writer's, not debris.
  mkdirSync(join(dir, `cache.partial-${process.pid}`));
  const live = skelact('prepare', 'ntu', '--raw', raw, '--out', out, '--force');
  t.is(live.code, 1);
  t.regex(
    live.stderr,
    new RegExp(`cache\\.partial-${process.pid} is being written by another skelact process \\(pid ${process.pid}\\)`),
  );
  t.true(existsSync(join(dir, `cache.partial-${process.pid}`)));
});

test('a deleted cache file or a garbled splits.json: eval and inspect name the file and the rebuild command, never a raw ENOENT or "Unexpected token"', (t) => {
  const { cache } = syntheticNtu();
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    ['labels.npy deleted', (d) => rmSync(join(d, 'labels.npy')), /labels\.npy is missing/],
    ['samples.jsonl deleted', (d) => rmSync(join(d, 'samples.jsonl')), /samples\.jsonl is missing/],
    [
      'splits.json garbled',
      (d) => writeFileSync(join(d, 'splits.json'), '{"ntu60-xsub": {"train": [0, 1,'),
      /splits\.json has \d+ bytes, the manifest records \d+/,
    ],
  ];
  for (const [what, damage, message] of cases) {
    const copy = join(tmp(), 'cache');
    cpSync(cache, copy, { recursive: true });
    damage(copy);
    const r = skelact('inspect', copy);
    t.is(r.code, 1, what);
    t.regex(r.stderr, message, what);
    t.regex(r.stderr, /rebuild it with: skelact prepare ntu --raw .* --out .* --force/, what);
    t.notRegex(r.stderr, /ENOENT|Unexpected token|at position/, what);
  }
  // A cache written before file sizes and digests were recorded: a garbled splits.json is still named.
  const old = join(tmp(), 'cache');
  cpSync(cache, old, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(old, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  for (const key of ['files', 'digests', 'manifestDigest']) delete manifest[key];
  writeFileSync(join(old, 'manifest.json'), JSON.stringify(manifest));
  const splits = readFileSync(join(old, 'splits.json'), 'utf8');
  writeFileSync(join(old, 'splits.json'), `${splits.slice(0, -3)}@@@`);
  const r = skelact('inspect', old);
  t.is(r.code, 1);
  t.regex(r.stderr, /splits\.json is not valid JSON .*; rebuild it with: skelact prepare ntu/);
});

test('inspect: a generic kinect-20 file is kinect-20, read on its own (a foreign a.json beside it is not named); a broken one is named', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 'my-app' }));
  writeFileSync(join(dir, 'b.jsonl'), `${genericLines().slice(0, 2).join('\n')}\n`);
  const r = skelact('inspect', join(dir, 'b.jsonl'), '--json', '--quiet');
  t.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { format: string; layout: string; samples: Array<{ joints: number }> };
  t.deepEqual([s.format, s.layout, s.samples.length, s.samples[0].joints], ['generic', 'kinect-20', 2, 20]);
  writeFileSync(join(dir, 'c.jsonl'), '{"name": "x", "layout": "kinect-20", "joints": [[[[1, 2]]]]}\n');
  const broken = skelact('inspect', join(dir, 'c.jsonl'));
  t.is(broken.code, 1);
  t.regex(broken.stderr, /c\.jsonl/);
  t.notRegex(broken.stderr, /a\.json/);
});

test("inspect reads skelact's own .poses.json (video, engine, tracks, plot) and names it when it is broken", (t) => {
  const dir = tmp();
  const file = join(dir, 'clip.poses.json');
  writeFileSync(file, JSON.stringify(poseFile(12)));
  writeFileSync(join(dir, 'a.json'), '{}');
  const r = skelact('inspect', file, '--json', '--quiet', '--plot', join(dir, 'p.svg'));
  t.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as {
    format: string;
    layout: string;
    poses: { video: string; frames: number; tracks: unknown[] };
    samples: Array<{ frames: number; joints: number }>;
  };
  t.deepEqual(
    [s.format, s.layout, s.poses.video, s.poses.frames, s.poses.tracks.length],
    ['poses', 'blazepose-33', 'clip.mp4', 12, 1],
  );
  t.deepEqual([s.samples[0].frames, s.samples[0].joints], [12, 33]);
  t.regex(readFileSync(join(dir, 'p.svg'), 'utf8'), /^<svg/);
  const bad = join(dir, 'bad.poses.json');
  writeFileSync(bad, JSON.stringify({ ...poseFile(2), landmarkLayout: 'coco-17' }));
  const e = skelact('inspect', bad);
  t.is(e.code, 1);
  t.regex(e.stderr, /bad\.poses\.json: field 'landmarkLayout'/);
});

const UTK = sharedPath('data', 'utkinect', 'joints_s01_e01.txt');
(existsSync(UTK) ? test : test.skip)(
  `inspect: a UTKinect recording without actionLabel.txt is one unlabelled sample${existsSync(UTK) ? '' : ` [skipped: ${UTK} is absent]`}`,
  (t) => {
    const dir = tmp();
    copyFileSync(UTK, join(dir, 'joints_s01_e01.txt'));
    const r = skelact('inspect', join(dir, 'joints_s01_e01.txt'), '--json', '--quiet');
    t.is(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      layout: string;
      samples: Array<{ name: string; label: number; frames: number; notes: string[] }>;
    };
    t.is(s.layout, 'kinect-20');
    t.is(s.samples.length, 1);
    t.deepEqual([s.samples[0].name, s.samples[0].label], ['s01_e01', -1]);
    // Every distinct frame number of the file (rows of a repeated frame number count once).
    const distinct = new Set(
      readFileSync(UTK, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => l.trim().split(/\s+/)[0]),
    ).size;
    t.is(s.samples[0].frames, distinct);
    t.deepEqual(readdirSync(dir), ['joints_s01_e01.txt']);
  },
);
