/**
 * Test helpers: run the same computation on the wasm backend (with skelact's kernels) and on
 * the cpu reference backend, synchronously, and compare.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { ExecutionContext } from 'ava';
import { registerWasmTrainingKernels } from '../../src/engine/wasm-kernels.js';
import { prng } from '../helpers/prng.js';

let ready: Promise<void> | undefined;

/** Initialises wasm (with our kernels) and cpu once per process. */
export function initBackends(): Promise<void> {
  ready ??= (async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('cpu');
    await tf.setBackend('wasm');
    await tf.ready();
  })();
  return ready;
}

/** Switches backend synchronously (both are initialised, so setBackend completes at once). */
export function useBackend(name: 'wasm' | 'cpu'): void {
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`could not switch to ${name} synchronously`);
}

export interface Values {
  readonly shape: number[];
  readonly values: Float32Array;
}

/** Runs fn on one backend inside tidy and reads every returned tensor. */
export function runOn(name: 'wasm' | 'cpu', fn: () => tf.Tensor | tf.Tensor[]): Values[] {
  const previous = tf.getBackend() as 'wasm' | 'cpu';
  useBackend(name);
  try {
    return tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).map((t) => ({
        shape: [...t.shape],
        values: Float32Array.from(t.dataSync() as Float32Array),
      }));
    });
  } finally {
    useBackend(previous);
  }
}

/** Largest |a − b| relative to max(1, max |b|). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
  }
  return diff / scale;
}

/** Asserts that fn gives the same tensors (shapes and values within tol) on wasm and cpu. */
export function assertSameOnBackends(
  t: ExecutionContext,
  fn: () => tf.Tensor | tf.Tensor[],
  tol = 1e-4,
  label = '',
): Values[] {
  return assertWasmMatchesCpu(t, fn, fn, tol, label);
}

/** Asserts that wasmFn on wasm gives the tensors that cpuFn (an independent reference) gives on cpu. */
export function assertWasmMatchesCpu(
  t: ExecutionContext,
  wasmFn: () => tf.Tensor | tf.Tensor[],
  cpuFn: () => tf.Tensor | tf.Tensor[],
  tol = 1e-4,
  label = '',
): Values[] {
  const wasm = runOn('wasm', wasmFn);
  const cpu = runOn('cpu', cpuFn);
  t.is(wasm.length, cpu.length, `${label} number of outputs`);
  for (let i = 0; i < cpu.length; i++) {
    t.deepEqual(wasm[i].shape, cpu[i].shape, `${label} output ${i} shape`);
    const err = relativeError(wasm[i].values, cpu[i].values);
    t.true(err <= tol, `${label} output ${i}: relative error ${err} > ${tol}`);
  }
  return cpu;
}

/** Seeded random values in [-1, 1). */
export function randomValues(n: number, seed: number): Float32Array {
  const r = prng(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 2 * r() - 1;
  return v;
}

export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

/** Value and gradients (w.r.t. every input) of sum(f(inputs) · dy) for a fixed random dy. */
export function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed = 99): tf.Tensor[] {
  const y = f(...inputs);
  const dy = randomTensor(y.shape, seed);
  return [y, ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs)];
}
