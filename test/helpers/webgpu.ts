/**
 * Tests of the webgpu backend (Dawn) run where Dawn finds an adapter (CI installs lavapipe with
 * `npm run setup:gpu-ci`) and register as skipped with Dawn's reason elsewhere. They compare
 * with tfjs's cpu backend, the reference.
 */
import test, { type ExecutionContext, type ImplementationFn } from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.js';

/** Why the webgpu backend cannot start here, or undefined (it is then initialised, and cpu too). */
export const webgpuUnavailable: string | undefined = await (async () => {
  try {
    await initBackend('webgpu');
    await initBackend('cpu');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
})();

/** A serial test where webgpu starts, else a skipped one saying why. */
export function testOnWebGpu(title: string, fn: ImplementationFn<[]>): void {
  if (webgpuUnavailable) test.skip(`${title} [skipped: ${webgpuUnavailable}]`, fn);
  else test.serial(title, fn);
}

export type Compared = 'webgpu' | 'cpu';

/** Switches backend synchronously (both are initialised). */
export function useBackend(name: Compared): void {
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`could not switch to ${name} synchronously`);
}

export interface Values {
  readonly label: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

/**
 * Runs fn on one backend and reads every returned tensor (labels name them in messages). The
 * reads are asynchronous: in Node, WebGPU has no synchronous read (dataSync needs a browser's
 * OffscreenCanvas).
 */
export async function runOn(name: Compared, fn: () => Record<string, tf.Tensor>): Promise<Values[]> {
  useBackend(name);
  try {
    const out = tf.tidy(fn);
    try {
      return await Promise.all(
        Object.entries(out).map(async ([label, t]) => ({
          label,
          shape: [...t.shape],
          values: Float32Array.from((await t.data()) as Float32Array),
        })),
      );
    } finally {
      tf.dispose(Object.values(out));
    }
  } finally {
    useBackend('cpu');
  }
}

/** max |a − b| / max(1e-6, max |b|): the error relative to the reference's largest value. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** Asserts that fn gives the same tensors on webgpu as on cpu (each within tol, relative). Returns the worst error. */
export async function assertWebGpuMatchesCpu(
  t: ExecutionContext,
  fn: () => Record<string, tf.Tensor>,
  tol: number,
  label = '',
): Promise<number> {
  const gpu = await runOn('webgpu', fn);
  const cpu = await runOn('cpu', fn);
  t.deepEqual(
    gpu.map((v) => `${v.label} ${v.shape.join('×')}`),
    cpu.map((v) => `${v.label} ${v.shape.join('×')}`),
    `${label} outputs and shapes`,
  );
  let worst = 0;
  const bad: string[] = [];
  cpu.forEach((c, i) => {
    const err = relativeError(gpu[i].values, c.values);
    worst = Math.max(worst, err);
    if (!(err <= tol)) bad.push(`${c.label}: ${err.toExponential(2)}`);
  });
  t.deepEqual(bad, [], `${label} outputs whose relative error exceeds ${tol}`);
  return worst;
}
