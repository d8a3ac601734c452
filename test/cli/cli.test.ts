import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const tmp = () => tempDir('skelact-cli-');

function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const command of ['quickstart', 'synth', 'prepare', 'inspect']) {
  test(`${command} --help describes the command and exits 0`, (t) => {
    const r = skelact(command, '--help');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, new RegExp(`skelact ${command}`));
    t.regex(r.stdout, /--backend/);
  });
}

test('synth → prepare → inspect, with --json output; commands without tensors say they start no backend', (t) => {
  const dir = tmp();
  const raw = join(dir, 'raw');
  const synth = skelact('synth', '--out', raw, '--samples-per-class', '2', '--json');
  t.is(synth.code, 0, synth.stderr);
  const s = JSON.parse(synth.stdout) as { samples: number; classes: string[] };
  t.is(s.samples, 42);
  t.is(readdirSync(raw).filter((f) => f.endsWith('.skeleton')).length, 42);
  t.regex(synth.stderr, /backend: not started \(synth computes no tensors\)/);

  const cache = join(dir, 'cache');
  const prep = skelact('prepare', 'ntu', '--raw', raw, '--out', cache, '--json');
  t.is(prep.code, 0, prep.stderr);
  const p = JSON.parse(prep.stdout) as {
    samples: number;
    skipped: number;
    failed: unknown[];
    splits: Record<string, { train: number; test: number }>;
  };
  t.is(p.samples + p.skipped, 42);
  t.deepEqual(p.failed, []);
  t.is(p.splits['ntu60-xsub'].train + p.splits['ntu60-xsub'].test, p.samples);

  const again = skelact('prepare', 'ntu', '--raw', raw, '--out', cache);
  t.is(again.code, 0);
  t.regex(again.stderr, /is up to date/);

  const inspect = skelact('inspect', cache, '--json', '--plot', join(dir, 'plot.svg'), '--sample', '0');
  t.is(inspect.code, 0, inspect.stderr);
  const i = JSON.parse(inspect.stdout) as { kind: string; samples: number; layout: string };
  t.deepEqual([i.kind, i.samples, i.layout], ['cache', p.samples, 'ntu-25']);
  t.regex(readFileSync(join(dir, 'plot.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<line /);

  const file = join(
    raw,
    readdirSync(raw).find((f) => f.endsWith('.skeleton'))!,
  );
  const raw1 = skelact('inspect', file, '--json');
  t.is(raw1.code, 0, raw1.stderr);
  const r1 = JSON.parse(raw1.stdout) as {
    format: string;
    ntu: { bodies: unknown[] };
    samples: Array<{ joints: number }>;
  };
  t.is(r1.format, 'ntu');
  t.true(r1.ntu.bodies.length >= 1);
  t.is(r1.samples[0].joints, 25);
});

test('generic records from synth --format generic prepare into a kinect-20 cache with the records split', (t) => {
  const dir = tmp();
  t.is(
    skelact(
      'synth',
      '--out',
      join(dir, 'raw'),
      '--format',
      'generic',
      '--layout',
      'kinect-20',
      '--samples-per-class',
      '2',
      '--quiet',
    ).code,
    0,
  );
  const r = skelact('prepare', 'generic', '--raw', join(dir, 'raw'), '--out', join(dir, 'cache'), '--json');
  t.is(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as {
    layout: string;
    samples: number;
    classes: number;
    splits: Record<string, { train: number; test: number }>;
  };
  t.is(p.layout, 'kinect-20');
  t.is(p.samples, 42);
  t.is(p.classes, 21);
  t.is(p.splits.records.train + p.splits.records.test, 42);
});

test('bad input: a clear message and exit code 1, no stack trace', (t) => {
  const dir = tmp();
  const missing = skelact('prepare', 'ntu', '--raw', join(dir, 'nope'), '--out', join(dir, 'c'));
  t.is(missing.code, 1);
  t.regex(missing.stderr, /skelact: --raw .*nope does not exist/);
  t.notRegex(missing.stderr, /\n\s+at /);
  const unknown = skelact('frobnicate');
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /Unknown argument|choose a command/);
  const badBackend = skelact('inspect', dir, '--backend', 'quantum');
  t.is(badBackend.code, 1);
  t.regex(badBackend.stderr, /Invalid values|--backend/);
  const notCache = skelact('inspect', dir);
  t.is(notCache.code, 1);
  t.regex(notCache.stderr, /not a skelact cache: it has no manifest\.json/);
  t.false(existsSync(join(dir, 'c')));
});
