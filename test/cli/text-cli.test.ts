/**
 * The text-prior commands as a user runs them: text embed / similar / split, training with a
 * text section, eval --zero-shot, search, and the errors for bad description files.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = packageRoot();
const BIN = join(ROOT, 'bin', 'skelact.js');
const work = tempDir('skelact-text-cli-');
const env = { ...process.env, SKELACT_TEXT_CACHE: join(work, 'text-cache') };

function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const command of [['text', 'embed'], ['text', 'similar'], ['text', 'split'], ['search']]) {
  test(`${command.join(' ')} --help exits 0 and documents its options`, (t) => {
    const r = skelact(...command, '--help');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, new RegExp(`skelact ${command.join(' ')}`));
  });
}

test('text embed gives 512-d vectors as JSON; text similar ranks drink water first for the cup phrase', (t) => {
  let r = skelact('text', 'embed', 'drink water', 'kick something', '--json', '--quiet');
  t.is(r.code, 0, r.stderr);
  const embedded = JSON.parse(r.stdout) as { dim: number; sentences: Array<{ text: string; vector: number[] }> };
  t.is(embedded.dim, 512);
  t.is(embedded.sentences[1].vector.length, 512);
  r = skelact(
    'text',
    'similar',
    'a person raises a cup to the mouth',
    '--classes',
    'ntu',
    '--top',
    '3',
    '--json',
    '--quiet',
  );
  t.is(r.code, 0, r.stderr);
  const similar = JSON.parse(r.stdout) as { classes: Array<{ name: string; similarity: number }> };
  t.is(similar.classes.length, 3);
  t.is(similar.classes[0].name, 'drink water');
  t.true(similar.classes[0].similarity >= similar.classes[1].similarity);
});

test('text split → train with text → eval --zero-shot → search, end to end; a description file missing a class stops training first', (t) => {
  const raw = join(work, 'raw');
  const cache = join(work, 'cache');
  for (const r of [
    skelact('synth', '--out', raw, '--samples-per-class', '3', '--quiet'),
    skelact('prepare', 'ntu', '--raw', raw, '--out', cache, '--quiet'),
  ])
    t.is(r.code, 0, r.stderr);
  let r = skelact(
    'text',
    'split',
    '--data',
    cache,
    '--benchmark',
    'ntu60-xsub',
    '--unseen',
    'jump up,hand waving',
    '--json',
    '--quiet',
  );
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout) as { benchmark: string }).benchmark, 'ntu60-xsub-zs');

  const base = JSON.parse(readFileSync(join(ROOT, 'configs/small/stgcn-synthetic.json'), 'utf8')) as Record<
    string,
    object
  >;
  const config = join(work, 'text.json');
  writeFileSync(
    config,
    JSON.stringify({
      ...base,
      data: { ...base.data, benchmark: 'ntu60-xsub-zs', frames: 16, minLength: 16 },
      optim: { ...base.optim, epochs: 2, batchSize: 8 },
      text: { weight: 0.8 },
    }),
  );
  const out = join(work, 'run');
  r = skelact('train', '--config', config, '--data', cache, '--out', out, '--quiet');
  t.is(r.code, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'best', 'model.json'), 'utf8')) as {
    textHead?: { dim: number; encoder: string };
  };
  t.is(manifest.textHead?.dim, 512);
  t.regex(manifest.textHead?.encoder ?? '', /^use-lite@/);

  r = skelact('eval', '--model', join(out, 'best'), '--data', cache, '--zero-shot', '--json', '--quiet');
  t.is(r.code, 0, r.stderr);
  const zs = JSON.parse(r.stdout) as {
    zeroShot: boolean;
    classes: string[];
    chance: number;
    samples: number;
    top1: number;
    confusion: number[][];
  };
  t.true(zs.zeroShot);
  // By default: every class without training samples that the test split has (the held-out
  // two, and any class whose few synthetic samples all fell on test subjects).
  t.true(zs.classes.includes('hand waving') && zs.classes.includes('jump up'), zs.classes.join(', '));
  t.is(zs.chance, 1 / zs.classes.length);
  r = skelact(
    'eval',
    '--model',
    join(out, 'best'),
    '--data',
    cache,
    '--zero-shot',
    '--unseen',
    'jump up,hand waving',
    '--json',
    '--quiet',
  );
  t.is(r.code, 0, r.stderr);
  const two = JSON.parse(r.stdout) as {
    classes: string[];
    chance: number;
    samples: number;
    perClass: Array<{ total: number }>;
  };
  t.deepEqual(two.classes, ['jump up', 'hand waving']);
  t.is(two.chance, 0.5);
  t.is(
    two.perClass.reduce((s, c) => s + c.total, 0),
    two.samples,
  );
  t.true(zs.samples > 0);
  t.is(
    zs.confusion.flat().reduce((a, b) => a + b, 0),
    zs.samples,
  );
  r = skelact(
    'eval',
    '--model',
    join(out, 'best'),
    '--data',
    cache,
    '--zero-shot',
    '--unseen',
    'jump up,flying',
    '--quiet',
  );
  t.is(r.code, 1);
  t.regex(r.stderr, /--unseen names classes the cache does not have: 'flying'/);

  r = skelact(
    'search',
    'a person jumps up with both feet',
    '--model',
    join(out, 'best'),
    '--data',
    cache,
    '--top',
    '3',
    '--json',
    '--quiet',
  );
  t.is(r.code, 0, r.stderr);
  const search = JSON.parse(r.stdout) as {
    searched: number;
    hits: Array<{ rank: number; sample: string; similarity: number }>;
  };
  t.is(search.hits.length, 3);
  t.true(search.searched >= 3);
  t.true(search.hits[0].similarity >= search.hits[2].similarity);
  t.regex(search.hits[0].sample, /^S\d{3}C\d{3}P\d{3}R\d{3}A\d{3}$/);

  // A model without a text head cannot search.
  const plainConfig = join(work, 'plain.json');
  writeFileSync(
    plainConfig,
    JSON.stringify({
      ...base,
      data: { ...base.data, frames: 16, minLength: 16 },
      optim: { ...base.optim, epochs: 1, batchSize: 8 },
    }),
  );
  r = skelact('train', '--config', plainConfig, '--data', cache, '--out', join(work, 'plain'), '--quiet');
  t.is(r.code, 0, r.stderr);
  r = skelact('search', 'anything', '--model', join(work, 'plain', 'best'), '--data', cache, '--quiet');
  t.is(r.code, 1);
  t.regex(r.stderr, /has no text head: train it with a 'text' section/);

  // Own descriptions that miss classes: a clear error before any training step.
  const partial = join(work, 'partial.json');
  const parts = Object.fromEntries(['head', 'hands', 'arms', 'hips', 'legs', 'feet'].map((p) => [p, `The ${p} move.`]));
  writeFileSync(
    partial,
    JSON.stringify({ classes: [{ name: 'drink water', description: 'drinking from a cup', parts }] }),
  );
  const badConfig = join(work, 'bad.json');
  writeFileSync(
    badConfig,
    JSON.stringify({
      ...base,
      data: { ...base.data, frames: 16, minLength: 16 },
      optim: { ...base.optim, epochs: 1 },
      text: { descriptions: 'partial.json' },
    }),
  );
  r = skelact('train', '--config', badConfig, '--data', cache, '--out', join(work, 'bad'), '--quiet');
  t.is(r.code, 1);
  t.regex(r.stderr, /partial\.json: no description for \d+ classes of the data: .*'pickup'/);
});
