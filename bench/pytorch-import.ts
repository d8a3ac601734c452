/**
 * A full-size official SkateFormer (NTU60: 3.616M parameters) through `skelact import`: the
 * import time, and skelact's logits against the official PyTorch logits on the same inputs.
 * With --repo, the model is also exported back (`--to pytorch`), loaded by the official code
 * (load_state_dict strict) and run again, so the logits of the round trip are compared too.
 *
 * The checkpoint is made with the official code (randomly initialised, not committed):
 *   /usr/bin/python3 scripts/pytorch-fixtures.py full <SkateFormer checkout> /tmp/skateformer-full
 * Usage: node dist/bench/pytorch-import.js --dir /tmp/skateformer-full [--repo <SkateFormer checkout>]
 *                                          [--backend wasm] [--json bench/results/pytorch-import.json]
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeBackend, initBackend, type BackendChoice } from '../src/engine/backend.js';
import { loadModel } from '../src/models/io.js';
import { parseSafetensors } from '../src/models/pytorch/index.js';
import { createModelFromManifest } from '../src/models/registry.js';
import { exportPytorchWeights, importPytorchCheckpoint } from '../src/train/pytorch.js';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

const argmaxRows = (x: ArrayLike<number>, cols: number) =>
  Array.from({ length: x.length / cols }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + best]) best = c;
    return best;
  });

async function main() {
  const dir = arg('dir', join(tmpdir(), 'skateformer-full'));
  const repo = arg('repo', '');
  const info = await initBackend(arg('backend', 'auto') as BackendChoice);
  const work = mkdtempSync(join(tmpdir(), 'skelact-import-'));
  try {
    const root = packageRoot();
    const started = performance.now();
    const result = await importPytorchCheckpoint({
      checkpoint: join(dir, 'checkpoint.pt'),
      family: 'skateformer',
      config: join(root, 'configs', 'skateformer', 'ntu60-xsub-joint.json'),
      classes: 'ntu',
      out: join(work, 'model'),
    });
    const importSeconds = (performance.now() - started) / 1000;

    const io = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'io.safetensors')))).tensors;
    const x = io.get('x')!;
    const [B, C, T, V, M] = x.shape;
    // official (B, C, T, V, M) → skelact [B, T, M·V, C], persons flattened person-major
    const xs = new Float32Array(x.data.length);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let t = 0; t < T; t++)
          for (let v = 0; v < V; v++)
            for (let m = 0; m < M; m++)
              xs[((b * T + t) * M * V + m * V + v) * C + c] = (x.data as Float32Array)[
                (((b * C + c) * T + t) * V + v) * M + m
              ];
    const { model } = loadModel(join(work, 'model'), createModelFromManifest);
    const forwardStart = performance.now();
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
    const forwardSeconds = (performance.now() - forwardStart) / 1000;
    model.dispose();
    const official = io.get('logits')!.data as Float32Array;
    const classes = official.length / B;
    const row: Record<string, unknown> = {
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model ?? 'unknown',
      backend: describeBackend(info),
      parameters: result.manifest.parameters,
      tensors: result.tensors,
      checkpointBytes: readFileSync(join(dir, 'checkpoint.pt')).length,
      importSeconds: Number(importSeconds.toFixed(3)),
      forwardSecondsBatch: Number(forwardSeconds.toFixed(3)),
      batch: B,
      logits: official.length,
      relativeError: relativeError(logits, official),
      maxAbsDiff: Math.max(...Array.from(official, (v, i) => Math.abs(v - logits[i]))),
      top1Agrees: argmaxRows(logits, classes).every((c, i) => c === argmaxRows(official, classes)[i]),
    };

    if (repo) {
      // Back to PyTorch: export, load with the official code, run the same inputs.
      const weights = join(work, 'exported.safetensors');
      exportPytorchWeights(join(work, 'model'), weights);
      const out = execFileSync(
        arg('python', '/usr/bin/python3'),
        [join(root, 'scripts', 'pytorch-fixtures.py'), 'check', repo, weights, join(dir, 'io.safetensors')],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const back = (JSON.parse(out) as { logits: number[][] }).logits.flat();
      row.roundTripRelativeError = relativeError(back, official);
    }
    console.log(JSON.stringify(row, null, 1));
    const json = arg('json', '');
    if (json) {
      mkdirSync(dirname(json), { recursive: true });
      writeFileSync(json, `${JSON.stringify(row, null, 1)}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
