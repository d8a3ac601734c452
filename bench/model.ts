/**
 * Model benchmark (npm run bench:model). For each available TensorFlow.js backend (wasm with
 * 1 and 2 XNNPACK threads, the pure-JS cpu backend for the small models; tfjs-node where it is
 * installed), in a child process of its own because the wasm thread count is fixed per process:
 *   - forward latency at batch 1 (eval mode, median of many runs after a warm-up);
 *   - training throughput in samples/s at batch 16: forward, backward, gradient clipping and an
 *     AdamW step, as the trainer does them;
 *   - the tensor count after each of 100 training steps (it must stay flat: no leaks), at
 *     batch 16 for the small models and batch 1 for the NTU-sized ones (one step of those at
 *     batch 16 takes about a minute here); on one thread only (2 threads run the same kernels);
 *   - peak memory: the largest tf.memory().numBytes seen, and the process's peak RSS.
 * Models: SkateFormer (realtime, NTU with 2 and 1 persons, NW-UCLA), ST-GCN (tiny, standard),
 * part streams (small, psumnet).
 *
 * With --pytorch <checkout of the official SkateFormer repository>, the official model runs in a
 * Python child process (bench/pytorch.ts) for the SkateFormer cases: same shapes, batch sizes
 * and threads, each skelact run followed by a PyTorch run, and its figures replace the fixed
 * reference ones (which the table otherwise shows, saying so).
 * --native on|off|auto: skelact's native OpenBLAS kernels on wasm (src/engine/native-kernels.ts).
 * --profile: op-by-op time of one case's forward pass and training step (bench/kernel-profile.ts).
 *
 * ONNX Runtime rows (backends onnx, onnx-2: onnxruntime-node with 1 and 2 threads) come from
 * bench/onnx-rows.ts: forward at batch 1 and 16 of the exported model, beside tfjs wasm
 * with the same threads in the same process.
 *
 * Usage: node dist/bench/model.js [--backends wasm,wasm-2,cpu,onnx,onnx-2] [--steps 100] [--quick]
 *                                 [--only <substring>[,<substring>…]] [--json bench/results/model.json]
 *                                 [--native on|off|auto] [--pytorch <dir>] [--pytorch-blas <dir>] [--python <exe>]
 *        node dist/bench/model.js --profile [--only <substring>] [--batch 16] [--steps 2] [--threads 1] [--native on]
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendChoice, type NativeChoice } from '../src/engine/backend.js';
import { createModel, type ModelSection } from '../src/models/registry.js';
import type { SkeletonModel } from '../src/models/types.js';
import { classificationLoss, clipGradNorm } from '../src/train/loss.js';
import { Optimizer } from '../src/train/optimizer.js';
import { arg } from './args.js';
import { isOnnxRow, onnxRow, onnxTable } from './onnx-rows.js';
import { PytorchModel, type PytorchCase } from './pytorch.js';
import { KernelProfile } from './kernel-profile.js';

interface Case {
  readonly label: string;
  readonly section: ModelSection;
  readonly layout: 'ntu-25' | 'kinect-20';
  readonly classes: number;
  readonly persons?: number;
  /** NTU-sized: fewer timed steps, leak check at batch 2, not on the cpu backend. */
  readonly big: boolean;
  /** The official PyTorch code on the same machine (the project brief), where it was measured: fixed reference figures. */
  readonly pytorch?: { readonly forwardMs?: number; readonly trainSamplesPerSecond?: number };
  /** The official model's configuration for --pytorch (bench/pytorch_skateformer.py). */
  readonly pytorchCase?: PytorchCase;
}

const CASES: readonly Case[] = [
  {
    label: 'SkateFormer realtime (1 person, 64 frames)',
    section: { kind: 'skateformer', preset: 'realtime' },
    layout: 'ntu-25',
    classes: 60,
    big: false,
  },
  {
    label: 'SkateFormer NTU (2 persons × 24 joints, 64 frames)',
    section: { kind: 'skateformer', preset: 'ntu' },
    layout: 'ntu-25',
    classes: 60,
    big: true,
    pytorch: { forwardMs: 287, trainSamplesPerSecond: 0.66 },
    pytorchCase: 'ntu',
  },
  {
    label: 'SkateFormer NTU, 1 person (24 joints, 64 frames)',
    section: { kind: 'skateformer', preset: 'ntu', persons: 1 },
    layout: 'ntu-25',
    classes: 60,
    persons: 1,
    big: true,
    pytorch: { forwardMs: 134 },
    pytorchCase: 'ntu-1person',
  },
  {
    label: 'SkateFormer NW-UCLA (20 joints, 64 frames)',
    section: { kind: 'skateformer', preset: 'kinect20' },
    layout: 'kinect-20',
    classes: 10,
    big: true,
    pytorch: { trainSamplesPerSecond: 7.2 },
    pytorchCase: 'nwucla',
  },
  {
    label: 'ST-GCN tiny (2 persons, 64 frames)',
    section: { kind: 'stgcn', preset: 'tiny' },
    layout: 'ntu-25',
    classes: 60,
    big: false,
  },
  {
    label: 'ST-GCN standard (2 persons, 64 frames)',
    section: { kind: 'stgcn', preset: 'standard' },
    layout: 'ntu-25',
    classes: 60,
    big: true,
  },
  {
    label: 'part streams small (2 persons, 64 frames)',
    section: { kind: 'partstream', preset: 'small' },
    layout: 'ntu-25',
    classes: 60,
    big: false,
  },
  {
    label: 'part streams PSUMNet-size (2 persons, 64 frames)',
    section: { kind: 'partstream', preset: 'psumnet' },
    layout: 'ntu-25',
    classes: 60,
    big: true,
  },
];

interface Row {
  readonly backend: string;
  readonly model: string;
  readonly parameters?: number;
  readonly forwardMs?: number;
  readonly forwardRuns?: number;
  readonly trainSamplesPerSecond?: number;
  readonly trainSteps?: number;
  readonly leakSteps?: number;
  readonly leakBatch?: number;
  /** undefined: not checked on this backend (same kernels as another row). */
  readonly tensorsFlat?: boolean;
  readonly tensorsFirst?: number;
  readonly tensorsLast?: number;
  /** wasm: the size of the wasm heap, which grows to the peak of live tensors and never shrinks; else the largest tf.memory().numBytes seen. */
  readonly peakTfMiB?: number;
  readonly peakRssMiB?: number;
  readonly pytorch?: Case['pytorch'] & {
    readonly peakRssMiB?: number;
    readonly sameRun?: boolean;
    readonly blas?: string;
  };
  readonly note?: string;
}

function randomBatch(
  model: SkeletonModel,
  batch: number,
  classes: number,
): { x: tf.Tensor4D; indexT: tf.Tensor2D; labels: tf.Tensor1D } {
  const V = model.persons * model.jointOrder.length;
  return {
    x: tf.randomNormal([batch, model.frames, V, model.inChannels], 0, 0.3, 'float32', 1) as tf.Tensor4D,
    indexT: tf.tile(tf.expandDims(tf.linspace(-1, 1, model.frames), 0), [batch, 1]) as tf.Tensor2D,
    labels: tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % classes),
      'int32',
    ),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** `between` runs after each timed run (PyTorch's turn when interleaved), outside the timing. */
async function forwardLatency(
  model: SkeletonModel,
  runs: number,
  classes: number,
  between?: () => Promise<void>,
): Promise<number> {
  const { x, indexT, labels } = randomBatch(model, 1, classes);
  const once = async () => {
    const t0 = performance.now();
    const out = tf.tidy(() => model.forward({ x, indexT }, { training: false }).logits);
    await out.data();
    out.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) await once(); // warm-up (kernel set-up, weight upload, JIT)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(await once());
    await between?.();
  }
  tf.dispose([x, indexT, labels]);
  return median(times);
}

/** Training steps as the trainer runs them; returns samples/s and the tensor count after each step. */
async function trainingSteps(
  model: SkeletonModel,
  batch: number,
  steps: number,
  classes: number,
  peak: { bytes: number },
  between?: () => Promise<void>,
): Promise<{ samplesPerSecond: number; tensors: number[] }> {
  const optimizer = new Optimizer(model.params, {
    kind: 'adamw',
    weightDecay: 0.1,
    decayParameters: 'all',
    betas: [0.9, 0.999],
    eps: 1e-8,
    momentum: 0.9,
    nesterov: true,
  });
  const { x, indexT, labels } = randomBatch(model, batch, classes);
  const tensors: number[] = [];
  const step = async (i: number) => {
    const { value, grads } = tf.variableGrads(
      () => classificationLoss(model.forward({ x, indexT }, { training: true, seed: i }), labels, 0.1),
      optimizer.variables(),
    );
    peak.bytes = Math.max(peak.bytes, tf.memory().numBytes);
    const clipped = clipGradNorm(grads, 1);
    optimizer.applyGradients(clipped.grads, 1e-4);
    await value.data();
    tf.dispose([value, clipped.norm, ...Object.values(grads), ...Object.values(clipped.grads)]);
    tensors.push(tf.memory().numTensors);
  };
  await step(0); // warm-up
  let seconds = 0;
  for (let i = 1; i <= steps; i++) {
    const t0 = performance.now();
    await step(i);
    seconds += (performance.now() - t0) / 1000;
    await between?.();
  }
  tf.dispose([x, indexT, labels]);
  optimizer.dispose();
  return { samplesPerSecond: (steps * batch) / seconds, tensors };
}

function wasmHeapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
}

/** One backend and one case in this process (so peak memory is the case's own): a JSON row on stdout. */
async function runCase(spec: string, caseIndex: number, quick: boolean, steps: number): Promise<void> {
  const [name, threadsText] = spec.split('-');
  const threads = threadsText ? Number(threadsText) : 1;
  // ONNX Runtime rows (bench/onnx-rows.ts): the exported model on onnxruntime-node.
  if (name === 'onnx')
    return void process.stdout.write(`${JSON.stringify(await onnxRow(CASES[caseIndex], threads, quick))}\n`);
  const native = arg('native', 'auto') as NativeChoice;
  const info = await initBackend(name as BackendChoice, { threads, ...(name === 'wasm' ? { native } : {}) });
  if (info.backend !== name) throw new Error(`asked for ${name}, got ${info.backend}`);
  const backend = info.description;
  {
    const c = CASES[caseIndex];
    if (name === 'cpu' && c.big) {
      process.stdout.write(
        `${JSON.stringify({ backend, model: c.label, note: 'not run: the pure-JS cpu backend takes minutes per training step at this size' } satisfies Row)}\n`,
      );
      return;
    }
    const model = createModel(
      c.section,
      { layout: c.layout, classes: c.classes, ...(c.persons ? { persons: c.persons } : {}) },
      1,
    );
    const peak = { bytes: 0 };
    const checkout = arg('pytorch', '');
    const torch =
      checkout && c.pytorchCase
        ? await PytorchModel.start(c.pytorchCase, {
            checkout,
            threads,
            ...(arg('python', '') ? { python: arg('python', '') } : {}),
            ...(arg('pytorch-blas', '') ? { blasDir: arg('pytorch-blas', '') } : {}),
          })
        : undefined;
    const torchForward: number[] = [];
    const torchTrain: number[] = [];
    // --forward-only: latency at batch 1 only (a quick side-by-side; no training, no leak check).
    const forwardOnly = process.argv.includes('--forward-only');
    if (torch) {
      await torch.forward(2); // warm-up
      if (!forwardOnly) await torch.train(16, 1);
    }
    // The cpu backend is a pure-JS reference (a training step of the realtime model at batch 2
    // takes about 7 s here): fewer runs, and the leak check over 5 steps at batch 2.
    const slow = name === 'cpu';
    const forwardRuns = slow ? 3 : c.big ? (quick ? 3 : 9) : quick ? 10 : 41;
    const forwardMs = await forwardLatency(
      model,
      forwardRuns,
      c.classes,
      torch ? async () => void torchForward.push(...(await torch.forward(1))) : undefined,
    );
    const timedSteps = slow ? 1 : c.big ? (quick ? 1 : 3) : quick ? 3 : 10;
    const throughput = forwardOnly
      ? undefined
      : await trainingSteps(
          model,
          16,
          timedSteps,
          c.classes,
          peak,
          torch ? async () => void torchTrain.push(...(await torch.train(16, 1))) : undefined,
        );
    const measured = torch
      ? {
          forwardMs: Number(median(torchForward).toFixed(1)),
          ...(torchTrain.length
            ? {
                trainSamplesPerSecond: Number(
                  ((16 * torchTrain.length * 1000) / torchTrain.reduce((a, b) => a + b, 0)).toFixed(2),
                ),
              }
            : {}),
          peakRssMiB: Math.round(await torch.peakRssMiB()),
          sameRun: true,
          blas: torch.blas,
        }
      : undefined;
    torch?.close();
    // NTU-sized models: the leak check at batch 1 (100 steps at batch 16 would take over an
    // hour each). With 2 threads the kernels are the same as with one: not repeated.
    const leakBatch = c.big ? 1 : slow ? 2 : 16;
    const leakSteps = threads > 1 || forwardOnly ? 0 : slow ? 5 : quick ? Math.min(steps, 10) : steps;
    const leak =
      leakSteps > 0
        ? await trainingSteps(model, leakBatch, leakSteps, c.classes, peak)
        : { tensors: [] as number[], samplesPerSecond: 0 };
    const first = leak.tensors[0];
    const last = leak.tensors[leak.tensors.length - 1];
    const row: Row = {
      backend,
      model: c.label,
      parameters: model.params.countTrainable(),
      forwardMs: Number(forwardMs.toFixed(1)),
      forwardRuns,
      ...(throughput
        ? { trainSamplesPerSecond: Number(throughput.samplesPerSecond.toFixed(2)), trainSteps: timedSteps }
        : {}),
      leakSteps,
      leakBatch,
      tensorsFlat: leak.tensors.length > 0 ? leak.tensors.every((n) => n === first) : undefined,
      tensorsFirst: first,
      tensorsLast: last,
      peakTfMiB: Number(((name === 'wasm' ? wasmHeapBytes() : peak.bytes) / 2 ** 20).toFixed(0)),
      peakRssMiB: Number((process.resourceUsage().maxRSS / 1024).toFixed(0)),
      pytorch: measured ?? c.pytorch,
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
    model.dispose();
  }
}

function ratio(ours: number | undefined, theirs: number | undefined, higherIsBetter: boolean): string {
  if (ours === undefined || theirs === undefined) return '';
  const r = higherIsBetter ? ours / theirs : theirs / ours;
  return ` (${r >= 1 ? `${r.toFixed(2)}× faster` : `${(1 / r).toFixed(2)}× slower`})`;
}

function table(rows: Row[]): string {
  const lines = [
    '| backend | model | parameters | forward, batch 1 (ms) | training, batch 16 (samples/s) | PyTorch 1.13 CPU (official code) | tensors over training steps | peak tensor memory (MiB) | peak RSS (MiB) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.note) {
      lines.push(`| ${r.backend} | ${r.model} | – | – | – | – | ${r.note} | – | – |`);
      continue;
    }
    const pt = r.pytorch
      ? [
          r.pytorch.forwardMs ? `${r.pytorch.forwardMs} ms` : '',
          r.pytorch.trainSamplesPerSecond ? `${r.pytorch.trainSamplesPerSecond} samples/s` : '',
          r.pytorch.peakRssMiB ? `peak RSS ${r.pytorch.peakRssMiB} MiB` : '',
        ]
          .filter(Boolean)
          .join(', ') +
        (r.pytorch.sameRun ? ' (same run, interleaved)' : ' (fixed reference figure from an earlier run)')
      : '';
    const flat =
      r.trainSamplesPerSecond === undefined
        ? 'not run (--forward-only)'
        : r.tensorsFlat === undefined
          ? 'not repeated (the 1-thread kernels)'
          : r.tensorsFlat
            ? `flat: ${r.tensorsFirst} over ${r.leakSteps} steps (batch ${r.leakBatch})`
            : `**grew** ${r.tensorsFirst} → ${r.tensorsLast} over ${r.leakSteps} steps`;
    lines.push(
      `| ${r.backend} | ${r.model} | ${Number(r.parameters).toLocaleString('en-US')} | ${r.forwardMs}${ratio(r.forwardMs, r.pytorch?.forwardMs, false)} | ${r.trainSamplesPerSecond ?? '–'}${ratio(r.trainSamplesPerSecond, r.pytorch?.trainSamplesPerSecond, true)} | ${pt} | ${flat} | ${r.peakTfMiB} | ${r.peakRssMiB} |`,
    );
  }
  return lines.join('\n');
}

/**
 * --profile: one case (--only), op by op: forward passes at batch 1 and training steps at
 * --batch (default 16) on wasm with --threads and --native, each after a warm-up.
 */
async function profile(): Promise<void> {
  const only = arg('only', 'SkateFormer NTU (2');
  const c = CASES.find((k) => k.label.includes(only));
  if (!c) throw new Error(`--only '${only}' matches none of: ${CASES.map((k) => k.label).join('; ')}`);
  const threads = Number(arg('threads', '1'));
  const batch = Number(arg('batch', '16'));
  const steps = Number(arg('steps', '2'));
  const info = await initBackend('wasm', { threads, native: arg('native', 'auto') as NativeChoice });
  const model = createModel(
    c.section,
    { layout: c.layout, classes: c.classes, ...(c.persons ? { persons: c.persons } : {}) },
    1,
  );
  const recorder = new KernelProfile('wasm');
  const optimizer = new Optimizer(model.params, {
    kind: 'adamw',
    weightDecay: 0.1,
    decayParameters: 'all',
    betas: [0.9, 0.999],
    eps: 1e-8,
    momentum: 0.9,
    nesterov: true,
  });
  const one = randomBatch(model, 1, c.classes);
  const big = randomBatch(model, batch, c.classes);
  const forward = async () => {
    const out = tf.tidy(() => model.forward({ x: one.x, indexT: one.indexT }, { training: false }).logits);
    await out.data();
    out.dispose();
  };
  const train = async (i: number) => {
    const { value, grads } = tf.variableGrads(
      () =>
        classificationLoss(
          model.forward({ x: big.x, indexT: big.indexT }, { training: true, seed: i }),
          big.labels,
          0.1,
        ),
      optimizer.variables(),
    );
    const clipped = clipGradNorm(grads, 1);
    optimizer.applyGradients(clipped.grads, 1e-4);
    await value.data();
    tf.dispose([value, clipped.norm, ...Object.values(grads), ...Object.values(clipped.grads)]);
  };
  console.log(
    `${c.label} on ${info.description}; ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  await forward();
  const fwdRuns = 5;
  const fwdMs = await recorder.record(async () => {
    for (let i = 0; i < fwdRuns; i++) await forward();
  });
  console.log(`### Forward, batch 1 (${fwdRuns} runs)\n\n${recorder.table(fwdMs, fwdRuns)}\n`);
  recorder.reset();
  await train(0);
  const trainMs = await recorder.record(async () => {
    for (let i = 1; i <= steps; i++) await train(i);
  });
  console.log(
    `### Training step, batch ${batch} (${steps} steps; ${((steps * batch * 1000) / trainMs).toFixed(2)} samples/s)\n\n${recorder.table(trainMs, steps)}`,
  );
  tf.dispose([one.x, one.indexT, one.labels, big.x, big.indexT, big.labels]);
  optimizer.dispose();
  model.dispose();
}

async function main(): Promise<void> {
  if (process.argv.includes('--profile')) return profile();
  const quick = process.argv.includes('--quick');
  const steps = Number(arg('steps', '100'));
  const only = arg('only', '');
  const worker = arg('worker', '');
  if (worker) return runCase(worker, Number(arg('case', '0')), quick, steps);
  const merge = arg('merge', '');
  if (merge) {
    // --merge old.json,new.json [--json out.json]: rows of the later files replace rows of the same backend and model.
    const files = merge
      .split(',')
      .map((f) => JSON.parse(readFileSync(f, 'utf8')) as { rows: Row[] } & Record<string, unknown>);
    const rows: Row[] = [];
    for (const f of files) {
      for (const r of f.rows) {
        const i = rows.findIndex((q) => q.backend === r.backend && q.model === r.model);
        if (i >= 0) rows[i] = r;
        else rows.push(r);
      }
    }
    const order = (r: Row) => [
      r.backend.startsWith('wasm (SIMD, 1') ? 0 : r.backend.startsWith('wasm') ? 1 : 2,
      CASES.findIndex((c) => c.label === r.model),
    ];
    rows.sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]);
    const jsonOut = arg('json', '');
    if (jsonOut)
      writeFileSync(
        jsonOut,
        `${JSON.stringify({ ...files[files.length - 1], date: new Date().toISOString(), merged: merge.split(','), rows }, null, 2)}\n`,
      );
    console.log(table(rows));
    return;
  }

  const requested = arg('backends', 'tensorflow,wasm,wasm-2,cpu,onnx,onnx-2').split(',');
  const rows: Row[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const spec of requested) {
    for (let i = 0; i < CASES.length; i++) {
      if (only && !only.split(',').some((o) => CASES[i].label.includes(o))) continue;
      const passOn = ['native', 'pytorch', 'python', 'pytorch-blas'].flatMap((k) =>
        arg(k, '') ? [`--${k}`, arg(k, '')] : [],
      );
      const flags = ['--quick', '--forward-only'].filter((f) => process.argv.includes(f));
      const args = [self, '--worker', spec, '--case', String(i), '--steps', String(steps), ...passOn, ...flags];
      let out: string;
      try {
        out = execFileSync(process.execPath, args, {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          maxBuffer: 1 << 26,
        });
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        const reason =
          (err.stderr ?? err.message)
            .split('\n')
            .find((l) => /asked for|not available|Cannot find|not installed/.test(l)) ?? err.message.split('\n')[0];
        console.error(`${spec}: not run (${reason.trim()})`);
        if (/not available|asked for/.test(reason)) break; // the backend is missing: no point trying its other cases
        continue;
      }
      for (const line of out.split('\n').filter((l) => l.startsWith('{'))) {
        const row = JSON.parse(line) as Row;
        rows.push(row);
        console.error(JSON.stringify(row));
      }
    }
  }
  const jsonOut = arg('json', '');
  if (jsonOut) {
    mkdirSync(dirname(jsonOut), { recursive: true });
    writeFileSync(
      jsonOut,
      `${JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, quick, rows }, null, 2)}\n`,
    );
  }
  console.log(
    `Machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, Node ${process.version}, load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.`,
  );
  console.log(
    arg('pytorch', '')
      ? `PyTorch: the official SkateFormer from ${arg('pytorch', '')}, timed in the same run, alternating with skelact run by run, same shapes, batch sizes and threads.\n`
      : 'PyTorch: fixed reference figures from an earlier run on this kind of machine (pass --pytorch <official SkateFormer checkout> to time it in the same run).\n',
  );
  console.log(table(rows.filter((r) => !isOnnxRow(r))));
  const onnx = rows.filter(isOnnxRow);
  if (onnx.length) console.log(`\n${onnxTable(onnx)}`);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
