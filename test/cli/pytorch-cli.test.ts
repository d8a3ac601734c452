/**
 * `skelact import` and `skelact export --to pytorch` end to end on the official-code fixtures
 * (test/models/pytorch/fixtures, scripts/pytorch-fixtures.py): the saved model gives the
 * official logits and carries the recipe's data pipeline, the export gives the official state
 * dict and constructor arguments back, and bad input leaves nothing behind.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { loadModel } from '../../src/models/io.js';
import { parseSafetensors, readCheckpoint } from '../../src/models/pytorch/index.js';
import { createModelFromManifest } from '../../src/models/registry.js';
import { importPytorchCheckpoint } from '../../src/train/pytorch.js';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const FIXTURES = join(packageRoot(), 'test', 'models', 'pytorch', 'fixtures');
const tmp = () => tempDir('skelact-pytorch-');

function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--backend', 'cpu', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.before(async () => {
  await initBackend('cpu');
});

/** An experiment config for the NTU-shaped fixture: the official NTU recipe's data section at 16 frames. */
function ntuSmallConfig(dir: string): string {
  const file = join(dir, 'ntu-small.json');
  const official = JSON.parse(
    readFileSync(join(packageRoot(), 'configs', 'skateformer', 'ntu60-xsub-joint.json'), 'utf8'),
  );
  const config = {
    ...official,
    name: 'ntu-small',
    model: {
      kind: 'skateformer',
      preset: 'ntu',
      embedDim: 16,
      depths: [1, 1],
      channels: [16, 32],
      heads: 16,
      mlpRatio: 2,
    },
    data: { ...official.data, frames: 16, minLength: 16 },
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function classFile(dir: string, n: number): string {
  const file = join(dir, `classes-${n}.txt`);
  writeFileSync(file, `${Array.from({ length: n }, (_, i) => `action ${i + 1}`).join('\n')}\n`);
  return file;
}

test('import → saved model with the official logits and the recipe pipeline; export --to pytorch → the official state dict and constructor arguments', (t) => {
  const dir = tmp();
  const out = join(dir, 'model');
  const r = skelact(
    'import',
    join(FIXTURES, 'ntu-small.pt'),
    '--family',
    'skateformer',
    '--config',
    ntuSmallConfig(dir),
    '--classes',
    classFile(dir, 5),
    '--out',
    out,
    '--json',
  );
  t.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { parameters: number; classes: number; data: Record<string, unknown> };
  t.is(summary.parameters, 50284); // the official model's parameter count (generator output)
  t.is(summary.classes, 5);

  const { model, manifest } = loadModel(out, createModelFromManifest);
  try {
    t.is(manifest.sampling, 'skateformer');
    t.is(manifest.testCrop, 0.95);
    t.is(manifest.modality, 'j');
    t.is(manifest.data?.boneTree, 'skateformer');
    t.is(manifest.preprocessing?.alignment, 'ctrgcn');
    t.regex(String(manifest.provenance?.sha256), /^[0-9a-f]{64}$/);
    t.deepEqual(manifest.classNames, ['action 1', 'action 2', 'action 3', 'action 4', 'action 5']);
    // the saved folder computes the official logits
    const io = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'ntu-small.io.safetensors')))).tensors;
    const [B, C, T, V, M] = io.get('x')!.shape;
    const xo = io.get('x')!.data as Float32Array;
    const xs = new Float32Array(xo.length);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let f = 0; f < T; f++)
          for (let v = 0; v < V; v++)
            for (let m = 0; m < M; m++)
              xs[((b * T + f) * M * V + m * V + v) * C + c] = xo[(((b * C + c) * T + f) * V + v) * M + m];
    const logits = tf.tidy(() =>
      model
        .forward(
          {
            x: tf.tensor4d(xs, [B, T, M * V, C]),
            indexT: tf.tensor2d(io.get('index_t')!.data as Float32Array, [B, T]),
          },
          { training: false },
        )
        .logits.dataSync(),
    );
    const expected = io.get('logits')!.data as Float32Array;
    const err =
      Math.max(...Array.from(expected, (e, i) => Math.abs(e - logits[i]))) /
      Math.max(...Array.from(expected, Math.abs));
    t.true(err <= 1e-4, `relative error ${err}`);
  } finally {
    model.dispose();
  }

  const weights = join(dir, 'weights.safetensors');
  const e = skelact('export', out, '--to', 'pytorch', '--out', weights, '--json');
  t.is(e.code, 0, e.stderr);
  const exported = parseSafetensors(new Uint8Array(readFileSync(weights)));
  const original = readCheckpoint(new Uint8Array(readFileSync(join(FIXTURES, 'ntu-small.pt'))), 'ntu-small.pt').state;
  t.deepEqual([...exported.tensors.keys()].sort(), [...original.keys()].sort());
  for (const [name, tensor] of original) {
    if (name.endsWith('num_batches_tracked')) continue;
    t.deepEqual(
      Array.from(exported.tensors.get(name)!.data as ArrayLike<number | bigint>),
      Array.from(tensor.data as ArrayLike<number | bigint>),
      name,
    );
  }
  // the constructor arguments recorded for Python are the ones the fixture was built with
  const generatorArgs = JSON.parse(
    parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'ntu-small.io.safetensors')))).metadata.args,
  ) as Record<string, unknown>;
  const args = JSON.parse(exported.metadata.skateformer_args) as Record<string, unknown>;
  for (const [k, v] of Object.entries(generatorArgs)) t.deepEqual(args[k], v, k);

  // an existing file is not replaced without --force
  const again = skelact('export', out, '--to', 'pytorch', '--out', weights);
  t.is(again.code, 1);
  t.regex(again.stderr, /already exists; use --force/);
});

for (const [label, file, pattern] of [
  ['a file that is not a checkpoint', 'not-a-checkpoint.json', /not a PyTorch checkpoint/],
  ['a truncated zip', 'truncated.pt', /the zip archive cannot be read \(truncated or damaged\?\)/],
  ['a pickle with a foreign global', 'foreign-global.pt', /refusing global posix\.system/],
  [
    'a state dict of another preset',
    'ucla-small.pt',
    /does not fit the official SkateFormer .*another preset\?.*wrong shape/,
  ],
  ['a state dict of another family', 'misc.pt', /another family\?/],
] as const) {
  test(`import of ${label}: a clear error, nothing written`, async (t) => {
    const dir = tmp();
    writeFileSync(join(dir, 'not-a-checkpoint.json'), '{"weights": [1, 2, 3]}\n');
    const whole = readFileSync(join(FIXTURES, 'ntu-small.pt'));
    writeFileSync(join(dir, 'truncated.pt'), whole.subarray(0, whole.length - 5000));
    const source = existsSync(join(dir, file)) ? join(dir, file) : join(FIXTURES, file);
    const config = ntuSmallConfig(dir);
    const classes = classFile(dir, 5);
    const before = readdirSync(dir).sort();
    const out = join(dir, 'model');
    if (file === 'not-a-checkpoint.json') {
      // once through the command line: exit status 1 and the message on stderr
      const r = skelact(
        'import',
        source,
        '--family',
        'skateformer',
        '--config',
        config,
        '--classes',
        classes,
        '--out',
        out,
      );
      t.is(r.code, 1);
      t.regex(r.stderr, pattern);
      t.regex(r.stderr, /not-a-checkpoint\.json/);
    } else {
      const e = await t.throwsAsync(
        importPytorchCheckpoint({ checkpoint: source, family: 'skateformer', config, classes, out }),
      );
      t.regex(e!.message, pattern);
      t.true(e!.message.includes(file), e!.message);
    }
    t.false(existsSync(out));
    // nothing else appeared either (no temporary folders left)
    t.deepEqual(readdirSync(dir).sort(), before);
  });
}

test('import never replaces a folder that is not a saved model, and a saved model only with force', async (t) => {
  const dir = tmp();
  const config = ntuSmallConfig(dir);
  const classes = classFile(dir, 5);
  const checkpoint = join(FIXTURES, 'ntu-small.pt');
  const other = join(dir, 'photos');
  mkdirSync(other);
  writeFileSync(join(other, 'keep.txt'), 'mine');
  const run = (out: string, force = false, names = classes) =>
    importPytorchCheckpoint({ checkpoint, family: 'skateformer', config, classes: names, out, force });
  await t.throwsAsync(run(other), {
    message:
      /exists and is not a saved skelact model \(it is a folder of 1 entry\); skelact does not replace it: choose another option `out`/,
  });
  t.deepEqual(readdirSync(other), ['keep.txt']);

  const out = join(dir, 'model');
  await run(out);
  await t.throwsAsync(run(out), { message: /already holds a saved skelact model: use option `force` to replace it/ });
  const first = readFileSync(join(out, 'model.json'), 'utf8');
  await run(out, true);
  t.is(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).parameters, JSON.parse(first).parameters);

  // class names that do not match the head
  await t.throwsAsync(run(join(dir, 'm2'), false, classFile(dir, 7)), {
    message: /lists 7 class names, the checkpoint's head has 5 classes/,
  });
  t.false(existsSync(join(dir, 'm2')));
  // a shipped class table gives the first classes of the head's size
  await run(join(dir, 'm3'), false, 'ntu');
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'm3', 'model.json'), 'utf8')).classNames, [
    'drink water',
    'eat meal/snack',
    'brushing teeth',
    'brushing hair',
    'drop',
  ]);
});
