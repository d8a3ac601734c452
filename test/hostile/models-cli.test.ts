/**
 * Hostile input through the CLI, for saved models and runs (issue 12, items 1, 4, 6, 7, 11):
 * exit code, message, and what is left on disk.
 */
import test from 'ava';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { type ModelMeta, saveModel } from '../../src/models/io.js';
import { createModel } from '../../src/models/registry.js';
import { sharedPath } from '../helpers/shared.js';
import { skelact as runCli } from './cli-run.js';
import { ROOT, skelact, snapshot, syntheticNtu, tmp } from './data-helpers.js';

/** A tiny ST-GCN saved for the synthetic NTU cache (its class names, ntu-25), or for kinect-20. */
test.before(async () => {
  await initBackend('wasm');
});

async function tinyModel(dir: string, layout: 'ntu-25' | 'kinect-20', classNames: string[]): Promise<string> {
  const model = createModel(
    { kind: 'stgcn', preset: 'tiny' },
    { layout, classes: classNames.length, frames: 16, persons: layout === 'ntu-25' ? 2 : 1 },
    3,
  );
  const meta: ModelMeta = {
    layout,
    classNames,
    modality: 'j',
    sampling: 'crop-resize',
    testCrop: 0.95,
    minLength: 16,
    fillMissingPersons: 'zeros',
    normalize: 'none',
    data: { benchmark: 'ntu60-xsub', frames: 16 },
  };
  await saveModel(dir, model, meta);
  model.dispose();
  return dir;
}

function ntuClassNames(cache: string): string[] {
  return (JSON.parse(readFileSync(join(cache, 'manifest.json'), 'utf8')) as { classNames: string[] }).classNames;
}

test('export --out never deletes what is there: a cache or documents are refused untouched; a model only with --force', async (t) => {
  const { cache } = syntheticNtu();
  const dir = tmp();
  const model = await tinyModel(join(dir, 'model'), 'ntu-25', ntuClassNames(cache));
  const victims = { cache: join(dir, 'cache'), documents: join(dir, 'documents') };
  cpSync(cache, victims.cache, { recursive: true });
  mkdirSync(victims.documents);
  writeFileSync(join(victims.documents, 'thesis.txt'), 'three years of work');
  for (const [what, path] of Object.entries(victims)) {
    const before = snapshot(path);
    // --force does not change that: it replaces a saved model, nothing else.
    const r = skelact('export', '--model', model, '--out', path, '--force');
    t.is(r.code, 1, what);
    t.regex(
      r.stderr,
      /exists and is not a saved skelact model \(it is a folder of \d+ entr(y|ies)\); skelact does not replace it: choose another --out/,
    );
    t.deepEqual(snapshot(path), before, what);
  }
  const other = await tinyModel(join(dir, 'other'), 'ntu-25', ntuClassNames(cache));
  const before = snapshot(other);
  const refused = skelact('export', '--model', model, '--out', other, '--quantize', 'float16');
  t.is(refused.code, 1);
  t.regex(refused.stderr, /already holds a saved skelact model: add --force to replace it, or choose another --out/);
  t.deepEqual(snapshot(other), before);
  const forced = skelact('export', '--model', model, '--out', other, '--quantize', 'float16', '--force', '--quiet');
  t.is(forced.code, 0, forced.stderr);
  t.notDeepEqual(snapshot(other), before);
  mkdirSync(join(dir, 'empty'));
  t.is(skelact('export', '--model', model, '--out', join(dir, 'empty'), '--quiet').code, 0);
  t.true(existsSync(join(dir, 'empty', 'model.json')));
  t.is(skelact('export', '--model', model, '--out', model).code, 1);
});

test('eval --scores and inspect --plot never overwrite a folder or a file of another kind', async (t) => {
  const { cache } = syntheticNtu();
  const dir = tmp();
  const model = await tinyModel(join(dir, 'model'), 'ntu-25', ntuClassNames(cache));
  mkdirSync(join(dir, 'documents'));
  writeFileSync(join(dir, 'documents', 'notes.txt'), 'mine');
  writeFileSync(join(dir, 'report.docx'), 'not an svg');
  const r = skelact(
    'eval',
    '--model',
    model,
    '--data',
    cache,
    '--scores',
    join(dir, 'documents'),
    '--plot',
    join(dir, 'c.svg'),
  );
  t.is(r.code, 1);
  t.regex(r.stderr, /documents exists and is not a scores folder .*: choose another --scores folder/);
  t.deepEqual([...snapshot(join(dir, 'documents')).keys()], ['notes.txt']);
  const p = skelact('inspect', cache, '--plot', join(dir, 'report.docx'));
  t.is(p.code, 1);
  t.regex(p.stderr, /report\.docx exists and is not an SVG file/);
  t.is(readFileSync(join(dir, 'report.docx'), 'utf8'), 'not an svg');
});

test('non-finite weights are refused at load naming the tensor; finite weights that overflow give no NaN accuracy or "NaN %"', async (t) => {
  const { raw, cache } = syntheticNtu();
  const dir = tmp();
  const model = await tinyModel(join(dir, 'model'), 'ntu-25', ntuClassNames(cache));
  const manifest = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ weights: Array<{ name: string; shape: number[] }> }>;
  };
  const specs = manifest.weightsManifest[0].weights;
  const offsetOf = (k: number) => specs.slice(0, k).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  const last = specs.length - 1;
  const withValue = (name: string, k: number, value: number) => {
    const out = join(dir, name);
    cpSync(model, out, { recursive: true });
    const bytes = readFileSync(join(out, 'weights.bin'));
    bytes.writeFloatLE(value, offsetOf(k) + 4);
    writeFileSync(join(out, 'weights.bin'), bytes);
    return out;
  };
  const nan = withValue('nan', last, Number.NaN);
  const file = join(
    raw,
    readdirSync(raw).find((f) => f.endsWith('.skeleton'))!,
  );
  for (const args of [
    ['eval', '--model', nan, '--data', cache],
    ['predict', '--model', nan, file],
  ]) {
    const r = skelact(...args);
    t.is(r.code, 1, args[0]);
    t.regex(
      r.stderr,
      new RegExp(`weight '${specs[last].name.replace(/\./g, '\\.')}' holds 1 non-finite value \\(NaN at index 1\\)`),
      args[0],
    );
    t.notRegex(r.stdout, /NaN/);
  }
  // Every weight of the first layer at 3e38: finite, but the scores overflow to NaN.
  const huge = join(dir, 'huge');
  cpSync(model, huge, { recursive: true });
  const bytes = readFileSync(join(huge, 'weights.bin'));
  for (let k = 0; k < specs.length; k++)
    if (!/bn|beta|gamma|mean|var/.test(specs[k].name))
      for (let o = offsetOf(k); o < offsetOf(k + 1); o += 4) bytes.writeFloatLE(3e38, o);
  writeFileSync(join(huge, 'weights.bin'), bytes);
  for (const args of [
    ['eval', '--model', huge, '--data', cache],
    ['predict', '--model', huge, file],
  ]) {
    const r = skelact(...args);
    t.is(r.code, 1, `${args[0]}: ${r.stdout}`);
    t.regex(r.stderr, /gave non-finite scores \(NaN or Infinity\) for \d+ of \d+ samples/, args[0]);
    t.notRegex(r.stdout, /NaN|top-1/);
  }
});

test('--resume on a cache with other data says what changed; --allow-other-data continues', (t) => {
  const { raw, cache } = syntheticNtu();
  const dir = tmp();
  const base = JSON.parse(readFileSync(join(ROOT, 'configs/small/stgcn-synthetic.json'), 'utf8')) as {
    optim: Record<string, unknown>;
  };
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ ...base, optim: { ...base.optim, epochs: 2, batchSize: 8 } }));
  const run = join(dir, 'run');
  const first = skelact('train', '--config', config, '--data', cache, '--out', run, '--epochs', '1', '--quiet');
  t.is(first.code, 0, first.stderr);
  const other = join(dir, 'cache-pyskl');
  t.is(skelact('prepare', 'ntu', '--raw', raw, '--out', other, '--align', 'pyskl', '--quiet').code, 0);
  const state = readFileSync(join(run, 'checkpoint', 'state.json'), 'utf8');
  const refused = skelact('train', '--config', config, '--data', other, '--out', run, '--resume');
  t.is(refused.code, 1);
  t.regex(
    refused.stderr,
    /cannot resume .*checkpoint: it was trained on cache .*cache, and --data .*cache-pyskl holds other data \(preprocessing alignment "ctrgcn" → "pyskl"\)\. .*--allow-other-data/,
  );
  t.is(readFileSync(join(run, 'checkpoint', 'state.json'), 'utf8'), state, 'a refused resume changes nothing');
  const allowed = skelact(
    'train',
    '--config',
    config,
    '--data',
    other,
    '--out',
    run,
    '--resume',
    '--allow-other-data',
    '--json',
    '--quiet',
  );
  t.is(allowed.code, 0, allowed.stderr);
  t.is((JSON.parse(allowed.stdout) as { epochs: number }).epochs, 2);
});

test("model-info --config takes the layout and class count from the config's dataset", (t) => {
  // (SkateFormer's NTU partitions use 24 of the 25 joints.)
  const cases: Array<[string, number, number]> = [
    ['configs/skateformer/utkinect-joint.json', 20, 10],
    ['configs/skateformer/ntu120-xsub-joint.json', 24, 120],
  ];
  for (const [config, joints, classes] of cases) {
    const r = skelact('model-info', '--config', join(ROOT, config), '--json', '--quiet');
    t.is(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as {
      joints: number;
      stages: Array<{ shape: number[] }>;
      data: { classes: number };
    };
    t.is(info.joints, joints, config);
    t.is(info.data.classes, classes, config);
    t.is(info.stages[info.stages.length - 1].shape.at(-1), classes, `${config}: the classifier's output width`);
  }
  const flagged = JSON.parse(
    skelact('model-info', '--config', join(ROOT, cases[0][0]), '--classes', '7', '--json', '--quiet').stdout,
  ) as { data: { classes: number; classesFrom: string } };
  t.deepEqual([flagged.data.classes, flagged.data.classesFrom], [7, 'flag']);
});

const UTK = sharedPath('data', 'utkinect', 'joints_s01_e01.txt');
(existsSync(UTK) ? test : test.skip)(
  `predict on an unlabelled UTKinect recording needs no --labels${existsSync(UTK) ? '' : ` [skipped: ${UTK} is absent]`}`,
  async (t) => {
    const dir = tmp();
    copyFileSync(UTK, join(dir, 'joints_s01_e01.txt'));
    const model = await tinyModel(join(dir, 'model'), 'kinect-20', ['walk', 'sitDown', 'standUp']);
    const r = skelact('predict', '--model', model, join(dir, 'joints_s01_e01.txt'), '--json', '--quiet');
    t.is(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as { predictions: Array<{ name: string; top: Array<{ probability: number }> }> };
    t.is(p.predictions.length, 1);
    t.is(p.predictions[0].name, 's01_e01');
    const sum = p.predictions[0].top.reduce((s, x) => s + x.probability, 0);
    t.true(Math.abs(sum - 1) < 1e-4, `probabilities of all 3 classes sum to 1 (got ${sum})`);
  },
);

const UTK_DIR = sharedPath('data', 'utkinect');
(existsSync(UTK_DIR) ? test : test.skip)(
  `eval of a shipped model by name creates <name>-eval/ in the working folder for its confusion matrix${existsSync(UTK_DIR) ? '' : ` [skipped: ${UTK_DIR} is absent]`}`,
  (t) => {
    const dir = tmp();
    const prepared = skelact('prepare', 'utkinect', '--raw', UTK_DIR, '--out', join(dir, 'cache'), '--quiet');
    t.is(prepared.code, 0, prepared.stderr);
    // Only --scores is given: the plot's default folder does not exist yet (it once failed with ENOENT).
    const r = runCli(
      [
        'eval',
        '--model',
        'utkinect',
        '--data',
        join(dir, 'cache'),
        '--scores',
        join(dir, 'scores'),
        '--json',
        '--quiet',
      ],
      { cwd: dir },
    );
    t.is(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { plot: string; samples: number };
    t.is(summary.plot, join('utkinect-eval', 'confusion-utkinect-xsub-test.svg'));
    t.regex(readFileSync(join(dir, summary.plot), 'utf8'), /<svg/);
    t.true(summary.samples > 0 && existsSync(join(dir, 'scores')));
  },
);
