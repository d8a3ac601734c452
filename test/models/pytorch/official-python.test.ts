/**
 * The other direction, against the official code itself, generated on the fly: a skelact
 * SkateFormer (random weights, the small real-time shape and an NW-UCLA shape) is saved,
 * exported with `exportPytorchWeights`, loaded by the official PyTorch code
 * (`SkateFormer(**args).load_state_dict(..., strict=True)` in scripts/pytorch-fixtures.py
 * `check`) and run on the same inputs: the logits must agree (relative error ≤ 1e-4).
 *
 * Needs a Python with PyTorch (SKELACT_TORCH_PYTHON, else /usr/bin/python3, else python3) and a
 * checkout of KAIST-VICLab/SkateFormer (SKELACT_SKATEFORMER_REPO); skipped with the reason
 * otherwise. The committed fixtures (skateformer-official.test.ts) cover the import direction
 * everywhere.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend.js';
import { saveModel } from '../../../src/models/io.js';
import { writeSafetensors, type HostTensor } from '../../../src/models/pytorch/index.js';
import { createSkateFormer, type SkateFormerConfigInput } from '../../../src/models/skateformer/index.js';
import { exportPytorchWeights } from '../../../src/train/pytorch.js';
import { packageRoot } from '../../../src/util/paths.js';
import { prng } from '../../helpers/prng.js';
import { tempDir } from '../../helpers/temp.js';

function torchPython(): string | undefined {
  for (const candidate of [process.env.SKELACT_TORCH_PYTHON, '/usr/bin/python3', 'python3']) {
    if (candidate && spawnSync(candidate, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  return undefined;
}

const python = torchPython();
const repo = process.env.SKELACT_SKATEFORMER_REPO;
const why = !python
  ? 'no Python with PyTorch (set SKELACT_TORCH_PYTHON or install python3-torch)'
  : !repo || !existsSync(join(repo, 'model', 'SkateFormer.py'))
    ? 'SKELACT_SKATEFORMER_REPO does not name a checkout of the official SkateFormer code'
    : undefined;

const CASES: Record<string, SkateFormerConfigInput> = {
  // the realtime preset's widths (2 stages, 16 heads) at 32 frames
  realtime: {
    layout: 'ntu-25',
    persons: 1,
    classes: 7,
    frames: 32,
    embedDim: 32,
    depths: [1, 1],
    channels: [32, 64],
    heads: 16,
    mlpRatio: 2,
  },
  'nw-ucla-shaped': {
    layout: 'kinect-20',
    persons: 1,
    classes: 4,
    frames: 16,
    embedDim: 16,
    depths: [1, 1],
    channels: [16, 16],
    heads: 8,
    mlpRatio: 1,
  },
};

for (const [name, config] of Object.entries(CASES)) {
  const title = `${name}: a skelact SkateFormer exported to PyTorch gives the same logits in the official code`;
  const body = async (t: import('ava').ExecutionContext) => {
    await initBackend('cpu');
    const dir = tempDir('skelact-torch-');
    const model = createSkateFormer(config, 42);
    try {
      // random BatchNorm statistics, so the exported running mean / variance matter
      for (const [info, variable] of model.params.entries()) {
        if (/movingMean|movingVariance/.test(info.name)) {
          const r = prng(7);
          variable.assign(
            tf.tensor(
              Float32Array.from({ length: variable.size }, () =>
                info.name.includes('Variance') ? 0.5 + r() : r() - 0.5,
              ),
              variable.shape,
            ),
          );
        }
      }
      const B = 2;
      const { frames: T } = model;
      const V = model.tokens;
      const C = model.inChannels;
      const r = prng(11);
      const xs = Float32Array.from({ length: B * T * V * C }, () => r() * 2 - 1);
      const indexT = Float32Array.from({ length: B * T }, (_, i) => (2 * (i % T)) / T - 1);
      const logits = tf.tidy(() =>
        model
          .forward({ x: tf.tensor4d(xs, [B, T, V, C]), indexT: tf.tensor2d(indexT, [B, T]) }, { training: false })
          .logits.dataSync(),
      );

      await saveModel(join(dir, 'model'), model, {
        layout: config.layout,
        classNames: Array.from({ length: config.classes }, (_, i) => `c${i}`),
        modality: 'j',
        sampling: 'skateformer',
        testCrop: 0.95,
        minLength: 64,
        fillMissingPersons: 'zeros',
        normalize: 'none',
      });
      exportPytorchWeights(join(dir, 'model'), join(dir, 'weights.safetensors'));
      // skelact [B, T, M·V, C] → official (B, C, T, V, M)
      const M = config.persons;
      const J = V / M;
      const xo = new Float32Array(xs.length);
      for (let b = 0; b < B; b++)
        for (let f = 0; f < T; f++)
          for (let m = 0; m < M; m++)
            for (let j = 0; j < J; j++)
              for (let c = 0; c < C; c++)
                xo[(((b * C + c) * T + f) * J + j) * M + m] = xs[((b * T + f) * V + m * J + j) * C + c];
      const io = new Map<string, HostTensor>([
        ['x', { dtype: 'float32', shape: [B, C, T, J, M], data: xo }],
        ['index_t', { dtype: 'float32', shape: [B, T], data: indexT }],
      ]);
      writeFileSync(join(dir, 'io.safetensors'), writeSafetensors(io));
      const run = spawnSync(
        python!,
        [
          join(packageRoot(), 'scripts', 'pytorch-fixtures.py'),
          'check',
          repo!,
          join(dir, 'weights.safetensors'),
          join(dir, 'io.safetensors'),
        ],
        { encoding: 'utf8' },
      );
      t.is(run.status, 0, run.stderr);
      const official = (JSON.parse(run.stdout) as { logits: number[][]; parameters: number }).logits.flat();
      t.is(official.length, logits.length);
      const err = Math.max(...official.map((v, i) => Math.abs(v - logits[i]))) / Math.max(...official.map(Math.abs));
      t.log(`relative error ${err.toExponential(2)}`);
      t.true(err <= 1e-4, `relative error ${err}`);
      t.is(JSON.parse(run.stdout).parameters, model.params.countTrainable());
    } finally {
      model.dispose();
    }
  };
  if (why) test.skip(`${title} [skipped: ${why}]`, body);
  else test.serial(title, body);
}
