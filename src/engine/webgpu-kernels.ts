/**
 * Kernels registered on TensorFlow.js's webgpu backend where tfjs-backend-webgpu 4.22 fails on
 * skelact's models (found by test/engine/webgpu-models.test.ts against the cpu backend).
 *
 * Fails, wrapped:  AddN with more inputs than the device's storage buffers per shader stage
 *                  (each input is one buffer, plus the output): the gradient of a tensor used
 *                  by many ops sums that many tensors, and WebGPU's default limit is 8. The
 *                  pipeline is then invalid and the sum silently wrong. Summed in chunks that fit.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

const OURS = Symbol.for('skelact.webgpuKernel');

interface WebGpuBackendLike {
  readonly device: { readonly limits: { readonly maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

/** AddN in chunks of at most (storage buffers per stage − 1) inputs. */
function addNKernel(original: KernelConfig): KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WebGpuBackendLike;
    const chunk = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    let terms = Object.values(args.inputs) as TensorInfo[];
    if (terms.length <= chunk) return original.kernelFunc(args);
    const partial: TensorInfo[] = [];
    while (terms.length > chunk) {
      const next: TensorInfo[] = [];
      for (let i = 0; i < terms.length; i += chunk) {
        const group = terms.slice(i, i + chunk);
        if (group.length === 1) {
          next.push(group[0]);
          continue;
        }
        const sum = original.kernelFunc({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap }) as TensorInfo;
        partial.push(sum);
        next.push(sum);
      }
      terms = next;
    }
    const result = original.kernelFunc({ ...args, inputs: terms as unknown as tf.NamedTensorInfoMap }) as TensorInfo;
    for (const t of partial) backend.disposeData(t.dataId);
    return result;
  };
}

const MAKERS: ReadonlyArray<{ name: string; make: (original: KernelConfig) => KernelFunc }> = [
  { name: tf.AddN, make: addNKernel },
];

/** The kernels registerWebGpuKernels replaces on 'webgpu'. */
export function webgpuKernelNames(): string[] {
  return MAKERS.map((k) => k.name);
}

/** Whether the 'webgpu' kernel `name` is skelact's. */
export function isSkelactWebGpuKernel(name: string): boolean {
  return !!(tf.getKernel(name, 'webgpu') as unknown as Record<symbol, boolean> | undefined)?.[OURS];
}

/** Replaces the kernels above on 'webgpu' (tfjs-backend-webgpu must be imported). Idempotent. */
export function registerWebGpuKernels(): void {
  for (const { name, make } of MAKERS) {
    if (isSkelactWebGpuKernel(name)) continue;
    const original = tf.getKernel(name, 'webgpu');
    if (!original) throw new Error(`tfjs-backend-webgpu has no ${name} kernel to wrap`);
    const config = { ...original, kernelFunc: make(original), [OURS]: true } as KernelConfig;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel(config);
  }
}
