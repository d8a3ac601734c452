/**
 * Benchmark of the model ops on the wasm backend (node dist/bench/ops.js): forward + backward
 * of each op at SkateFormer sizes, and one Adam step of a toy transformer block, in three
 * set-ups:
 *
 *   stock    referenceOps on tfjs-backend-wasm's own kernels; the kernels it lacks run on the
 *            cpu backend through a bridge (the least one must do to train at all);
 *   kernels  referenceOps with skelact's wasm kernels (src/engine/wasm-kernels.ts);
 *   fast     skelact's ops (src/models/ops.ts) with skelact's wasm kernels: what models get.
 *
 * Times are the median of --runs runs after one warm-up, each ended by a dataSync of a scalar
 * that depends on every output. The cpu bridge's convolution filter gradient is too slow to
 * run at full size (~0.01 GFLOP/s): those stock entries are measured at batch 1 and scaled
 * to the full batch (marked ≈).
 *
 * --native on adds skelact's native OpenBLAS kernels to the kernels and fast set-ups.
 *
 * Usage: node dist/bench/ops.js [--runs 5] [--only substring] [--modes stock,kernels,fast] [--threads N] [--native on|off] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend, type NativeChoice } from '../src/engine/backend.js';
import { loadNativeAddon } from '../src/engine/native.js';
import { registerNativeKernels, unregisterNativeKernels } from '../src/engine/native-kernels.js';
import { registerWasmTrainingKernels, restoreBuiltinWasmKernels } from '../src/engine/wasm-kernels.js';
import { cpuBridge } from '../src/engine/wasm-layout-kernels.js';
import * as fast from '../src/models/ops.js';
import { referenceOps } from '../src/models/ops.js';
import { arg } from './args.js';

type Ops = typeof referenceOps;
type Mode = 'stock' | 'kernels' | 'fast';
const MODES: readonly Mode[] = ['stock', 'kernels', 'fast'];

/** Kernels the stock wasm backend lacks; in stock mode they run on the cpu backend. */
const MISSING_ON_WASM = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'UnsortedSegmentSum',
  'Einsum',
];

let currentMode: Mode | undefined;
/** --native on: the kernels and fast set-ups also run skelact's native OpenBLAS kernels (stock never does). */
let withNative = false;

function setMode(mode: Mode): Ops {
  if (mode !== currentMode && mode === 'stock') {
    unregisterNativeKernels();
    restoreBuiltinWasmKernels();
    for (const name of MISSING_ON_WASM)
      if (!tf.getKernel(name, 'wasm'))
        tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: cpuBridge(name) });
  } else if (mode !== currentMode) {
    registerWasmTrainingKernels();
    const addon = loadNativeAddon().addon;
    if (withNative && addon) registerNativeKernels(addon);
  }
  currentMode = mode;
  return mode === 'fast' ? (fast as unknown as Ops) : referenceOps;
}

function randn(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
}

/** One benchmark: builds its inputs for a batch size, returns a step that computes its outputs. */
interface Case {
  readonly name: string;
  readonly batch: number;
  /** Stock mode runs this batch instead and scales the time (the cpu-bridged filter gradient). */
  readonly stockBatch?: number;
  readonly make: (ops: Ops, batch: number) => { step: () => tf.Tensor[]; dispose: () => void };
}

/** Forward + backward of f w.r.t. its inputs, against a fixed random output gradient. */
function forwardBackward(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
): { step: () => tf.Tensor[]; dispose: () => void } {
  const dy = tf.tidy(() => randn(f(...inputs).shape, 7));
  const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)));
  return { step: () => g(inputs), dispose: () => tf.dispose([...inputs, dy]) };
}

function convCase(name: string, cin: number, cout: number, stride: number, groups: number): Case {
  return {
    name,
    batch: 16,
    stockBatch: 1,
    make: (ops, B) => {
      const x = randn([B, 64, 48, cin], 1);
      const w = randn([7, cin / groups, cout], 2, 0.1);
      const b = randn([cout], 3);
      return forwardBackward(
        (xi, wi, bi) => ops.temporalConv(xi as tf.Tensor4D, wi as tf.Tensor3D, bi as tf.Tensor1D, { stride, groups }),
        [x, w, b],
      );
    },
  };
}

function attentionCase(name: string, windowsPerSample: number, n: number, d: number, drop: number): Case {
  return {
    name,
    batch: 16,
    make: (ops, B) => {
      const shape = [B * windowsPerSample, 4, n, d];
      const [q, k, v] = [randn(shape, 1), randn(shape, 2), randn(shape, 3)];
      const bias = randn([1, 4, n, n], 4, 0.1);
      return forwardBackward(
        (qi, ki, vi, bi) =>
          ops.windowAttention(qi as tf.Tensor4D, ki as tf.Tensor4D, vi as tf.Tensor4D, 0.5, bi, drop, 11),
        [q, k, v, bias],
      );
    },
  };
}

/**
 * A pre-LN transformer block over B × 1600 tokens (64 frames × 25 joints) of width 64 with
 * 4-head attention in windows of 64 tokens, a GELU MLP (4×), dropout 0.1, mean pooling and a
 * 60-class head; one Adam step (optimizer.minimize) per run.
 */
function transformerStep(ops: Ops, B: number): { step: () => tf.Tensor[]; dispose: () => void } {
  const D = 64;
  const tokens = 1600;
  const n = 64;
  const heads = 4;
  const d = D / heads;
  const W = (B * tokens) / n;
  const m = (shape: [number, number], seed: number, scale: number) =>
    tf.variable(randn(shape, seed, scale)) as tf.Variable<tf.Rank.R2>;
  const c = (size: number, value: number) => tf.variable(tf.fill([size], value)) as tf.Variable<tf.Rank.R1>;
  const p = {
    ln1g: c(D, 1),
    ln1b: c(D, 0),
    qkv: m([D, 3 * D], 1, 0.1),
    qkvb: c(3 * D, 0),
    proj: m([D, D], 2, 0.1),
    projb: c(D, 0),
    ln2g: c(D, 1),
    ln2b: c(D, 0),
    fc1: m([D, 4 * D], 3, 0.1),
    fc1b: c(4 * D, 0),
    fc2: m([4 * D, D], 4, 0.05),
    fc2b: c(D, 0),
    head: m([D, 60], 5, 0.1),
    headb: c(60, 0),
  };
  const x = randn([B, tokens, D], 6);
  const labels = tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        Array.from({ length: B }, (_, i) => (i * 7) % 60),
        'int32',
      ),
      60,
    ),
  );
  const optimizer = tf.train.adam(1e-3);
  let seed = 0;
  const loss = () => {
    seed++;
    const a = ops.layerNorm(x, p.ln1g, p.ln1b);
    const qkv = ops.linear(a, p.qkv, p.qkvb); //                              [B, 1600, 3D]
    const split = tf.transpose(tf.reshape(qkv, [W, n, 3, heads, d]), [2, 0, 3, 1, 4]); // [3, W, h, n, d]
    const [q, k, vv] = tf.unstack(split).map((t) => t as tf.Tensor4D);
    const att = ops.windowAttention(q, k, vv, d ** -0.5, undefined, 0.1, seed); //   [W, h, n, d]
    const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B, tokens, D]);
    const h = tf.add(x, ops.dropout(ops.linear(merged, p.proj, p.projb), 0.1, seed + 1000));
    const m = ops.linear(ops.gelu(ops.linear(ops.layerNorm(h, p.ln2g, p.ln2b), p.fc1, p.fc1b)), p.fc2, p.fc2b);
    const out = tf.add(h, ops.dropout(m, 0.1, seed + 2000));
    const logits = ops.linear(tf.mean(out, 1), p.head, p.headb);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  return {
    step: () => [optimizer.minimize(loss, true) as tf.Scalar],
    dispose: () => {
      optimizer.dispose();
      tf.dispose([x, labels, ...Object.values(p)]);
    },
  };
}

const CASES: Case[] = [
  {
    name: 'linear [16·64·48, 96] → 192',
    batch: 16,
    make: (ops, B) => {
      const x = randn([B * 64 * 48, 96], 1);
      const w = randn([96, 192], 2, 0.1);
      const b = randn([192], 3);
      return forwardBackward((xi, wi, bi) => ops.linear(xi, wi as tf.Tensor2D, bi as tf.Tensor1D), [x, w, b]);
    },
  },
  convCase('temporalConv 7×1, 96 → 96, stride 1, [16, 64, 48, 96]', 96, 96, 1, 1),
  convCase('temporalConv 7×1, 96 → 192, stride 2, [16, 64, 48, 96]', 96, 192, 2, 1),
  convCase('T-Conv 7×1, 24 → 24, 8 groups, [16, 64, 48, 24]', 24, 24, 1, 8),
  {
    name: 'layerNorm [16·64·48, 96]',
    batch: 16,
    make: (ops, B) =>
      forwardBackward(
        (x, g, b) => ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D),
        [randn([B * 64 * 48, 96], 1), randn([96], 2), randn([96], 3)],
      ),
  },
  {
    name: 'batchNorm (training) [16, 64, 48, 96]',
    batch: 16,
    make: (ops, B) => {
      const state = {
        gamma: tf.variable(randn([96], 2)),
        beta: tf.variable(randn([96], 3)),
        movingMean: tf.variable(tf.zeros([96])),
        movingVariance: tf.variable(tf.ones([96])),
      };
      const fb = forwardBackward(
        (x, g, b) => ops.batchNorm(x, { ...state, gamma: g as tf.Variable, beta: b as tf.Variable }, true),
        [randn([B, 64, 48, 96], 1), state.gamma, state.beta],
      );
      return { step: fb.step, dispose: () => (fb.dispose(), tf.dispose([state.movingMean, state.movingVariance])) };
    },
  },
  attentionCase('windowAttention type 1/3: 16·48 windows × 4 heads, N 64, d 3, drop 0.5', 48, 64, 3, 0.5),
  attentionCase('windowAttention type 2/4: 16·32 windows × 4 heads, N 96, d 3, drop 0.5', 32, 96, 3, 0.5),
  attentionCase('windowAttention stage 2: 16·24 windows × 4 heads, N 64, d 6, drop 0.5', 24, 64, 6, 0.5),
  attentionCase('windowAttention 16·48 windows, N 64, d 3, no dropout', 48, 64, 3, 0),
  {
    name: 'Adam step, toy transformer block (B 16, 1600 tokens, D 64, 4 heads, windows of 64)',
    batch: 16,
    make: transformerStep,
  },
];

/** One run: the step, then a dataSync of a scalar that depends on every output. */
function runOnce(step: () => tf.Tensor[]): number {
  const t0 = performance.now();
  tf.tidy(() => {
    const outs = step();
    tf.addN(outs.map((o) => tf.sum(o))).dataSync();
  });
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const runs = Number(arg('runs', '5'));
  const only = arg('only', '');
  const threads = Number(arg('threads', '1'));
  const modes = arg('modes', MODES.join(',')).split(',') as Mode[];
  if (modes.some((m) => !MODES.includes(m))) throw new Error(`--modes takes some of ${MODES.join(', ')}`);
  const native = arg('native', 'off') as NativeChoice;
  const info = await initBackend('wasm', { threads, native });
  withNative = !!info.native?.active;
  const results: Array<{ name: string; ms: Partial<Record<Mode, number>>; scaled: boolean }> = [];
  for (const c of CASES.filter((k) => k.name.includes(only))) {
    // The three set-ups run in turn within each round, so that load from other processes
    // falls on all of them alike.
    const setups = modes.map((mode) => {
      const batch = mode === 'stock' && c.stockBatch ? c.stockBatch : c.batch;
      return { mode, batch, ...c.make(setMode(mode), batch), times: [] as number[] };
    });
    for (const s of setups) {
      setMode(s.mode);
      runOnce(s.step); // warm-up: compiles, grows the wasm heap, fills caches
    }
    for (let r = 0; r < runs; r++) {
      for (const s of setups) {
        // The cpu-bridged stock convolutions take a minute a run: fewer of them.
        if (s.batch !== c.batch && r >= Math.min(runs, 2)) continue;
        setMode(s.mode);
        s.times.push(runOnce(s.step));
      }
    }
    const ms: Partial<Record<Mode, number>> = {};
    for (const s of setups) {
      s.dispose();
      ms[s.mode] = (median(s.times) * c.batch) / s.batch;
      process.stderr.write(
        `${c.name} [${s.mode}${s.batch !== c.batch ? ` at batch ${s.batch}` : ''}]: ${s.times.map((t) => t.toFixed(0)).join(' ')} ms\n`,
      );
    }
    results.push({ name: c.name, ms, scaled: setups.some((s) => s.batch !== c.batch) });
  }
  registerWasmTrainingKernels();
  const fmt = (v: number | undefined, approx: boolean) =>
    v === undefined ? '–' : `${approx ? '≈' : ''}${v >= 10000 ? (v / 1000).toFixed(1) + ' s' : v.toFixed(0) + ' ms'}`;
  console.log(`\nForward + backward on ${info.description}, median of ${runs} runs (node ${process.version}).\n`);
  console.log('| op | stock wasm (reference ops) | + skelact kernels | skelact ops (after) | speed-up |');
  console.log('|---|---|---|---|---|');
  for (const r of results) {
    const speedUp =
      r.ms.stock !== undefined && r.ms.fast !== undefined ? `${(r.ms.stock / r.ms.fast).toFixed(1)}×` : '–';
    console.log(
      `| ${r.name} | ${fmt(r.ms.stock, r.scaled)} | ${fmt(r.ms.kernels, false)} | ${fmt(r.ms.fast, false)} | ${speedUp} |`,
    );
  }
  const json = arg('json', '');
  if (json) writeFileSync(json, JSON.stringify({ backend: info.description, runs, results }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
