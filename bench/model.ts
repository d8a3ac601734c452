/**
 * Model benchmark (npm run bench:model): for each available TensorFlow.js backend,
 *   - forward latency at batch 1 of the one-person real-time SkateFormer preset and of the
 *     NTU preset (2 persons × 24 joints, 64 frames), median of several runs;
 *   - training throughput (samples/s) at batch 16: AdamW step with gradients;
 *   - peak memory (RSS and tfjs bytes) and the tensor count across 100 training steps (it
 *     must stay flat: no leaks).
 * Models: SkateFormer (realtime, ntu), ST-GCN (tiny, standard), part streams (small).
 *
 * Usage: node dist/bench/model.js [--backends wasm,cpu] [--steps 100] [--quick] [--json out.json]
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { initBackend, type BackendChoice } from '../src/engine/backend.js';
import { createModel, type ModelSection } from '../src/models/registry.js';
import type { SkeletonModel } from '../src/models/types.js';
import { classificationLoss, clipGradNorm } from '../src/train/loss.js';
import { Optimizer } from '../src/train/optimizer.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

interface Case {
  readonly label: string;
  readonly section: ModelSection;
  readonly layout: 'ntu-25' | 'kinect-20';
  readonly persons?: number;
}

const CASES: readonly Case[] = [
  { label: 'SkateFormer realtime (1 person, 32 frames)', section: { kind: 'skateformer', preset: 'realtime' }, layout: 'ntu-25' },
  { label: 'SkateFormer NTU (2 × 24 joints, 64 frames)', section: { kind: 'skateformer', preset: 'ntu' }, layout: 'ntu-25' },
  { label: 'ST-GCN tiny (2 persons, 64 frames)', section: { kind: 'stgcn', preset: 'tiny' }, layout: 'ntu-25' },
  { label: 'ST-GCN standard (2 persons, 64 frames)', section: { kind: 'stgcn', preset: 'standard' }, layout: 'ntu-25' },
  { label: 'part streams small (2 persons, 64 frames)', section: { kind: 'partstream', preset: 'small' }, layout: 'ntu-25' },
];

function randomBatch(model: SkeletonModel, batch: number): { x: tf.Tensor4D; indexT: tf.Tensor2D; labels: tf.Tensor1D } {
  const V = model.persons * model.jointOrder.length;
  return {
    x: tf.randomNormal([batch, model.frames, V, model.inChannels], 0, 0.3, 'float32', 1) as tf.Tensor4D,
    indexT: tf.tile(tf.expandDims(tf.linspace(-1, 1, model.frames), 0), [batch, 1]) as tf.Tensor2D,
    labels: tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function forwardLatency(model: SkeletonModel, runs: number): Promise<number> {
  const { x, indexT, labels } = randomBatch(model, 1);
  const once = async () => {
    const t0 = performance.now();
    const out = tf.tidy(() => model.forward({ x, indexT }, { training: false }).logits);
    await out.data();
    out.dispose();
    return performance.now() - t0;
  };
  await once(); // warm-up (kernel set-up, weight upload)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  tf.dispose([x, indexT, labels]);
  return median(times);
}

async function trainingThroughput(model: SkeletonModel, batch: number, steps: number): Promise<{ samplesPerSecond: number; tensors: number[]; peakBytes: number }> {
  const optimizer = new Optimizer(model.params, { kind: 'adamw', weightDecay: 0.1, decayParameters: 'all', betas: [0.9, 0.999], eps: 1e-8, momentum: 0.9, nesterov: true });
  const { x, indexT, labels } = randomBatch(model, batch);
  const tensors: number[] = [];
  let peakBytes = 0;
  const step = async (i: number) => {
    const { value, grads } = tf.variableGrads(() => classificationLoss(model.forward({ x, indexT }, { training: true, seed: i }), labels, 0.1), optimizer.variables());
    const clipped = clipGradNorm(grads, 1);
    optimizer.applyGradients(clipped.grads, 1e-4);
    await value.data();
    tf.dispose([value, clipped.norm, ...Object.values(grads), ...Object.values(clipped.grads)]);
    tensors.push(tf.memory().numTensors);
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
  };
  await step(0); // warm-up
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) await step(i);
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([x, indexT, labels]);
  optimizer.dispose();
  return { samplesPerSecond: (steps * batch) / seconds, tensors, peakBytes };
}

async function main(): Promise<void> {
  const backends = arg('backends', 'wasm').split(',') as BackendChoice[];
  const quick = process.argv.includes('--quick');
  const steps = Number(arg('steps', quick ? '10' : '100'));
  const rows: Array<Record<string, string | number>> = [];
  for (const backend of backends) {
    const info = await initBackend(backend);
    for (const c of CASES) {
      const big = c.section.preset === 'ntu' || c.section.preset === 'standard';
      if (backend === 'cpu' && big) {
        rows.push({ backend, model: c.label, note: 'skipped: the pure-JS cpu backend takes minutes per step at this size' });
        continue;
      }
      const model = createModel(c.section, { layout: c.layout, classes: 60 }, 1);
      const rssBefore = process.memoryUsage().rss;
      const forwardMs = await forwardLatency(model, big ? 5 : 20);
      // The NTU-sized models take seconds per training step on one core: fewer steps.
      const trainSteps = big ? Math.min(steps, quick ? 3 : 10) : steps;
      const tr = await trainingThroughput(model, 16, trainSteps);
      const flat = tr.tensors.length > 1 && tr.tensors.every((n) => n === tr.tensors[0]);
      const row = {
        backend: info.description,
        model: c.label,
        parameters: model.params.countTrainable(),
        forwardMs: Number(forwardMs.toFixed(1)),
        trainSamplesPerSecond: Number(tr.samplesPerSecond.toFixed(2)),
        trainSteps,
        tensorsFlat: flat ? `yes (${tr.tensors[0]} over ${tr.tensors.length} steps)` : `NO (${tr.tensors[0]} → ${tr.tensors[tr.tensors.length - 1]})`,
        peakTfMiB: Number((tr.peakBytes / 2 ** 20).toFixed(0)),
        rssMiB: Number((Math.max(process.memoryUsage().rss, rssBefore) / 2 ** 20).toFixed(0)),
      };
      rows.push(row);
      console.error(JSON.stringify(row));
      model.params.dispose();
    }
  }
  const jsonOut = arg('json', '');
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, rows }, null, 2)}\n`);
  console.log(`Machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, Node ${process.version}.\n`);
  console.log('| backend | model | parameters | forward, batch 1 (ms) | training, batch 16 (samples/s) | tensors across steps | peak tf memory (MiB) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.note) console.log(`| ${r.backend} | ${r.model} | – | – | – | ${r.note} | – |`);
    else console.log(`| ${r.backend} | ${r.model} | ${Number(r.parameters).toLocaleString('en-US')} | ${r.forwardMs} | ${r.trainSamplesPerSecond} (${r.trainSteps} steps) | ${r.tensorsFlat} | ${r.peakTfMiB} |`);
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
