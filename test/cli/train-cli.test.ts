import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = packageRoot();
const BIN = join(ROOT, 'bin', 'skelact.js');

function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const work = tempDir('skelact-train-cli-');
const raw = join(work, 'raw');
const cache = join(work, 'cache');
let prepared = false;
function prepareOnce(): void {
  if (prepared) return;
  for (const r of [
    skelact('synth', '--out', raw, '--samples-per-class', '3', '--quiet'),
    skelact('prepare', 'ntu', '--raw', raw, '--out', cache, '--quiet'),
  ]) {
    if (r.code !== 0) throw new Error(r.stderr);
  }
  prepared = true;
}

/** A 1-epoch tiny ST-GCN config on the synthetic cache. */
function tinyConfig(extra: Record<string, unknown> = {}): string {
  const file = join(work, `config-${Math.random().toString(36).slice(2)}.json`);
  const base = JSON.parse(readFileSync(join(ROOT, 'configs/small/stgcn-synthetic.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  writeFileSync(
    file,
    JSON.stringify({ ...base, optim: { ...(base.optim as object), epochs: 2, batchSize: 8 }, ...extra }),
  );
  return file;
}

for (const command of ['train', 'eval', 'ensemble', 'predict', 'model-info']) {
  test(`${command} --help exits 0 and documents its options`, (t) => {
    const r = skelact(command, '--help');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, new RegExp(`skelact ${command}`));
  });
}

test('every shipped config validates and builds its model; SkateFormer NTU has the official 3,616,083 parameters', (t) => {
  const files = ['skateformer', 'skateformer-text', 'small', 'long-tail', 'cpu', 'compare'].flatMap((d) =>
    readdirSync(join(ROOT, 'configs', d)).map((f) => join(ROOT, 'configs', d, f)),
  );
  t.true(files.length >= 20);
  for (const file of files) {
    const r = skelact(
      'model-info',
      '--config',
      file,
      '--json',
      '--quiet',
      ...(file.includes('ntu60') ? ['--classes', '60'] : []),
    );
    t.is(r.code, 0, `${file}: ${r.stderr}`);
    const info = JSON.parse(r.stdout) as { parameters: number; stages: unknown[] };
    t.true(info.parameters > 1000 && info.stages.length > 2, file);
    if (file.endsWith('skateformer/ntu60-xsub-joint.json')) t.is(info.parameters, 3_616_083);
    // The official SkateFormer class built with this config's arguments (scripts/official-nw-ucla-train.py) has 101,553.
    if (file.endsWith('compare/nw-ucla-official-view1-view2.json')) t.is(info.parameters, 101_553);
  }
});

test('a config with an unknown field or a wrong value fails before any work, naming the field', (t) => {
  prepareOnce();
  const typo = tinyConfig({ optimiser: { lr: 1 } });
  let r = skelact('train', '--config', typo, '--data', cache, '--out', join(work, 'never'));
  t.is(r.code, 1);
  t.regex(r.stderr, /config-.*\.json: .*optimiser/);
  const badBenchmark = tinyConfig({ data: { benchmark: 'ntu60-xset', frames: 32 } });
  r = skelact('train', '--config', badBenchmark, '--data', cache, '--out', join(work, 'never'));
  t.is(r.code, 1);
  t.regex(r.stderr, /data\.benchmark 'ntu60-xset' is not in the cache .* \(it has: ntu60-xsub, ntu60-xview\)/);
  const wrongLayout = tinyConfig({ model: { kind: 'skateformer', preset: 'kinect20' } });
  r = skelact('train', '--config', wrongLayout, '--data', cache, '--out', join(work, 'never'));
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /SkateFormer preset 'kinect20' takes layout kinect-20, but the data is on layout ntu-25; use a preset for ntu-25 \(ntu, realtime\)/,
  );
  t.false(existsSync(join(work, 'never', 'checkpoint')));
});

test('train → resume → eval → ensemble → predict, with checkpoints, best model, metrics and plots', (t) => {
  prepareOnce();
  const out = join(work, 'run');
  const config = tinyConfig();
  let r = skelact('train', '--config', config, '--data', cache, '--out', out, '--epochs', '1', '--json');
  t.is(r.code, 0, r.stderr);
  let summary = JSON.parse(r.stdout) as {
    epochs: number;
    status: string;
    plots: string[];
    best: { top1: number } | null;
  };
  t.is(summary.epochs, 1);
  for (const f of [
    'checkpoint/model/model.json',
    'checkpoint/state.json',
    'best/model.json',
    'best/weights.bin',
    'metrics.jsonl',
    'curves.svg',
    'confusion.svg',
  ])
    t.true(existsSync(join(out, f)), f);
  t.regex(readFileSync(join(out, 'curves.svg'), 'utf8'), /^<svg/);
  t.is(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
  r = skelact('train', '--config', config, '--data', cache, '--out', out, '--json');
  t.is(r.code, 1, 'a second run into the same folder needs --resume');
  t.regex(r.stderr, /already holds a run; add --resume/);
  r = skelact('train', '--config', config, '--data', cache, '--out', out, '--resume', '--json');
  t.is(r.code, 0, r.stderr);
  summary = JSON.parse(r.stdout);
  t.is(summary.epochs, 2);
  t.is(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);

  r = skelact('eval', '--model', join(out, 'best'), '--data', cache, '--json');
  t.is(r.code, 0, r.stderr);
  const ev = JSON.parse(r.stdout) as {
    top1: number;
    top5: number;
    samples: number;
    perClass: unknown[];
    confusion: number[][];
    scores: string;
    plot: string;
  };
  t.true(ev.top1 >= 0 && ev.top1 <= ev.top5 && ev.top5 <= 1);
  t.is(
    ev.confusion.flat().reduce((a, b) => a + b, 0),
    ev.samples,
  );
  t.true(existsSync(join(ev.scores, 'scores.npy')) && existsSync(ev.plot));

  r = skelact('ensemble', ev.scores, ev.scores, '--weights', '1,3', '--json');
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout) as { top1: number }).top1, ev.top1, 'fusing a run with itself keeps its ranking');

  const file = join(
    raw,
    readdirSync(raw).find((f) => f.endsWith('.skeleton'))!,
  );
  r = skelact('predict', '--model', join(out, 'best'), file, '--top', '3', '--json');
  t.is(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as { predictions: Array<{ top: Array<{ probability: number; class: string }> }> };
  t.is(p.predictions.length, 1);
  t.is(p.predictions[0].top.length, 3);
  t.true(p.predictions[0].top[0].probability >= p.predictions[0].top[1].probability);

  r = skelact('model-info', '--model', join(out, 'best'), '--json');
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout) as { kind: string }).kind, 'stgcn');
});

test('a model folder with a truncated weight file or from another version is refused with a clear error', (t) => {
  prepareOnce();
  const out = join(work, 'run-bad');
  t.is(skelact('train', '--config', tinyConfig(), '--data', cache, '--out', out, '--epochs', '1', '--quiet').code, 0);
  const weights = join(out, 'best', 'weights.bin');
  truncateSync(weights, statSync(weights).size - 8);
  let r = skelact('eval', '--model', join(out, 'best'), '--data', cache);
  t.is(r.code, 1);
  t.regex(r.stderr, /weights\.bin has \d+ bytes but the manifest describes \d+ \(truncated or corrupt\)/);
  const manifest = join(out, 'checkpoint', 'model', 'model.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"version": 1', '"version": 7'));
  r = skelact('eval', '--model', join(out, 'checkpoint', 'model'), '--data', cache);
  t.is(r.code, 1);
  t.regex(r.stderr, /model format version 7; this skelact reads version 1/);
});
