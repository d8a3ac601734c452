/**
 * Test helper: records the calls of some kernels on one backend while fn runs, by swapping in
 * recording wrappers and restoring the registered configs afterwards.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

export interface KernelCall {
  readonly name: string;
  readonly inputShapes: number[][];
  readonly attrs: NamedAttrMap;
}

export function recordKernelCalls<T>(
  backendName: string,
  names: readonly string[],
  fn: () => T,
): { result: T; calls: KernelCall[] } {
  const calls: KernelCall[] = [];
  const originals = new Map<string, KernelConfig>();
  for (const name of names) {
    const original = tf.getKernel(name, backendName);
    if (!original) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const inputs = Array.isArray(args.inputs) ? (args.inputs as TensorInfo[]) : Object.values(args.inputs);
        calls.push({
          name,
          inputShapes: inputs.filter((i): i is TensorInfo => !!i).map((i) => [...i.shape]),
          attrs: { ...(args.attrs ?? {}) },
        });
        return original.kernelFunc(args);
      },
    });
  }
  try {
    return { result: fn(), calls };
  } finally {
    for (const [name, original] of originals) {
      tf.unregisterKernel(name, backendName);
      tf.registerKernel(original);
    }
  }
}
