/**
 * The ONNX engine end to end: a trained model exported with `skelact export --format onnx`
 * (checked on ONNX Runtime before it is written), then `eval` and `predict` with --engine onnx
 * give the scores that --engine tfjs gives (read from the score files), the stream classifier
 * gives the same events on either engine, and bad exports and engine choices are refused.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../src/data/cache/npy.js';
import { initBackend } from '../../src/engine/backend.js';
import { getLayout } from '../../src/graph/layout.js';
import { saveModel, loadModel } from '../../src/models/io.js';
import { loadOnnxClassifier } from '../../src/models/onnx/node.js';
import { createModel, createModelFromManifest } from '../../src/models/registry.js';
import { StreamClassifier, type StreamEvent, type StreamFrame } from '../../src/serve/index.js';
import { packageRoot } from '../../src/util/paths.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = packageRoot();
const BIN = join(ROOT, 'bin', 'skelact.js');
function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const work = tempDir('skelact-onnx-cli-');
const raw = join(work, 'raw');
const cache = join(work, 'cache');
const run = join(work, 'run');

test.before(() => {
  const config = join(work, 'config.json');
  const base = JSON.parse(readFileSync(join(ROOT, 'configs/small/stgcn-synthetic.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  writeFileSync(config, JSON.stringify({ ...base, optim: { ...(base.optim as object), epochs: 1, batchSize: 8 } }));
  for (const r of [
    skelact('synth', '--out', raw, '--samples-per-class', '3', '--quiet'),
    skelact('prepare', 'ntu', '--raw', raw, '--out', cache, '--quiet'),
    skelact('train', '--config', config, '--data', cache, '--out', run, '--quiet'),
  ]) {
    if (r.code !== 0) throw new Error(r.stderr);
  }
});

function maxRelative(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return a.length === b.length ? diff / scale : Infinity;
}

test.serial("export --format onnx, then eval and predict with --engine onnx give --engine tfjs's scores", (t) => {
  const onnx = join(work, 'model.onnx');
  let r = skelact('export', join(run, 'best'), '--format', 'onnx', '--out', onnx, '--json');
  t.is(r.code, 0, r.stderr);
  const ex = JSON.parse(r.stdout) as { bytes: number; check: { runtime: string; relative: number }; opset: number };
  t.true(existsSync(onnx));
  t.is(ex.check.runtime, 'onnxruntime-node');
  t.true(ex.check.relative <= 1e-4);
  t.is(ex.opset, 17);

  r = skelact('eval', '--model', join(run, 'best'), '--data', cache, '--scores', join(work, 'scores-tfjs'), '--json');
  t.is(r.code, 0, r.stderr);
  const tfjs = JSON.parse(r.stdout) as { top1: number; engine: string };
  r = skelact(
    'eval',
    '--model',
    onnx,
    '--engine',
    'onnx',
    '--data',
    cache,
    '--scores',
    join(work, 'scores-onnx'),
    '--plot',
    join(work, 'confusion-onnx.svg'),
    '--json',
  );
  t.is(r.code, 0, r.stderr);
  const viaOnnx = JSON.parse(r.stdout) as { top1: number; engine: string; samples: number };
  t.is(tfjs.engine, 'tfjs');
  t.is(viaOnnx.engine, 'onnx');
  t.is(viaOnnx.top1, tfjs.top1);
  const a = readNpy(join(work, 'scores-tfjs', 'scores.npy')).data as Float32Array;
  const b = readNpy(join(work, 'scores-onnx', 'scores.npy')).data as Float32Array;
  t.true(a.length > 0);
  t.true(maxRelative(a, b) <= 1e-4, `scores differ by ${maxRelative(a, b)}`);

  const file = join(
    raw,
    readdirSync(raw).find((f) => f.endsWith('.skeleton'))!,
  );
  const predict = (model: string) => {
    const p = skelact('predict', '--model', model, file, '--top', '3', '--json');
    t.is(p.code, 0, p.stderr);
    return JSON.parse(p.stdout) as {
      engine: string;
      predictions: Array<{ top: Array<{ class: string; probability: number }> }>;
    };
  };
  const pt = predict(join(run, 'best'));
  const po = predict(onnx);
  t.is(po.engine, 'onnx', '.onnx files default to the ONNX engine');
  t.deepEqual(
    po.predictions[0].top.map((x) => x.class),
    pt.predictions[0].top.map((x) => x.class),
  );
  for (let i = 0; i < 3; i++)
    t.true(Math.abs(po.predictions[0].top[i].probability - pt.predictions[0].top[i].probability) <= 1e-5);

  // Human output names what ran.
  r = skelact('export', join(run, 'best'), '--format', 'onnx', '--out', join(work, 'q.onnx'), '--quantize', 'uint8');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /q\.onnx: [\d.]+ MB ONNX \(opset 17, batch dynamic, \d+ weights as uint8\)/);
  t.regex(r.stderr, /checked on onnxruntime-node: logits within/);
});

test.serial('bad choices are refused: engine and file kind, ONNX quantisation, batch, opset; nothing written', (t) => {
  let r = skelact('eval', '--model', join(run, 'best'), '--engine', 'onnx', '--data', cache);
  t.is(r.code, 1);
  t.regex(r.stderr, /--engine onnx takes an \.onnx file/);
  const out = join(work, 'never.onnx');
  for (const [flags, message] of [
    [['--quantize', 'float16'], /ONNX export quantises to uint8 only/],
    [['--batch', 'many'], /--batch: expected 'dynamic' or a positive integer, got 'many'/],
    [['--opset', '9'], /opset 9 is not supported \(expected 13…21\)/],
  ] as const) {
    r = skelact('export', join(run, 'best'), '--format', 'onnx', '--out', out, ...flags);
    t.is(r.code, 1);
    t.regex(r.stderr, message);
    t.false(existsSync(out));
  }
  const manifest = join(work, 'old-model');
  spawnSync('cp', ['-r', join(run, 'best'), manifest]);
  writeFileSync(
    join(manifest, 'model.json'),
    readFileSync(join(manifest, 'model.json'), 'utf8').replace('"version": 1', '"version": 4'),
  );
  r = skelact('export', manifest, '--format', 'onnx', '--out', out);
  t.is(r.code, 1);
  t.regex(r.stderr, /model format version 4; this skelact reads version 1/);
  t.false(existsSync(out));
});

test.serial('the stream classifier gives the same events on the ONNX engine (pushAsync) as on tfjs', async (t) => {
  await initBackend('wasm');
  const dir = join(work, 'stream');
  const model = createModel(
    { kind: 'skateformer', preset: 'realtime', frames: 32 },
    { layout: 'ntu-25', classes: 3, frames: 32, persons: 1 },
    9,
  );
  await saveModel(join(dir, 'model'), model, {
    layout: 'ntu-25',
    classNames: ['kick', 'wave', 'sit'],
    modality: 'j',
    sampling: 'skateformer',
    testCrop: 0.95,
    minLength: 32,
    fillMissingPersons: 'zeros',
    normalize: 'none',
    data: { benchmark: 'x', frames: 32, sampling: 'skateformer', minLength: 32 },
    preprocessing: { alignment: 'ctrgcn' },
  });
  model.dispose();
  const r = skelact('export', join(dir, 'model'), '--format', 'onnx', '--out', join(dir, 'model.onnx'), '--quiet');
  t.is(r.code, 0, r.stderr);
  const joints = getLayout('ntu-25').numJoints;
  const random = prng(5);
  const frames: StreamFrame[] = Array.from({ length: 120 }, (_, i) => ({
    timestampMs: i * 33.4,
    persons:
      i % 37 === 5
        ? null
        : [
            Array.from({ length: joints }, (_, j) => [
              Math.sin(i / 9 + j) + 0.1 * random(),
              j / 10 + 0.1 * random(),
              2 + 0.05 * random(),
            ]),
          ],
  }));
  const options = { stride: 8, smoothing: 0.6, startScore: 0.34, endScore: 0.2 };
  const tfjsModel = loadModel(join(dir, 'model'), createModelFromManifest);
  const onnxModel = await loadOnnxClassifier(join(dir, 'model.onnx'));
  const viaTfjs = new StreamClassifier(tfjsModel.model, tfjsModel.manifest, options);
  const viaOnnx = new StreamClassifier(onnxModel, onnxModel.manifest, options);
  t.throws(() => viaOnnx.push(frames[0]), { message: /an ONNX model runs asynchronously; use pushAsync/ });
  const a: StreamEvent[] = [];
  const b: StreamEvent[] = [];
  for (const f of frames) {
    a.push(...viaTfjs.push(f));
    b.push(...(await viaOnnx.pushAsync(f)));
  }
  viaTfjs.dispose();
  viaOnnx.dispose();
  const scores = (events: StreamEvent[]) =>
    events.filter((e): e is Extract<StreamEvent, { type: 'scores' }> => e.type === 'scores');
  t.true(scores(a).length >= 10);
  t.deepEqual(
    b.map((e) => [e.type, e.timestampMs]),
    a.map((e) => [e.type, e.timestampMs]),
  );
  scores(a).forEach((e, i) => {
    const o = scores(b)[i];
    t.deepEqual(
      o.top.map((c) => c.index),
      e.top.map((c) => c.index),
    );
    for (let k = 0; k < e.top.length; k++)
      t.true(Math.abs(o.top[k].score - e.top[k].score) <= 1e-5, `${o.top[k].score} vs ${e.top[k].score}`);
  });
});
