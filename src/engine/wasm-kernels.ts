/**
 * Kernels registered on TensorFlow.js's wasm backend so that models train on it, and train
 * fast. tfjs-backend-wasm 4.22 lacks several backward kernels, gets MaxPoolGrad wrong, and
 * has a few data-movement kernels that are slow enough to dominate a training step (see
 * docs in wasm-layout-kernels.ts and wasm-conv-kernels.ts).
 *
 * Missing, added:        Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput/Filter,
 *                        UnsortedSegmentSum, Einsum (cpu bridge).
 * Wrong, replaced:       MaxPoolGrad.
 * Slow, replaced:        Conv2DBackpropInput, Slice, SplitV, Unpack, StridedSlice (contiguous
 *                        case), Transpose (tall 2D case), Sum/Mean/Max/Min/Prod/All/Any over
 *                        outer axes, BatchMatMul with transposeA/B and no batch.
 *
 * A replaced kernel keeps the built-in one's setupFunc (which binds its wasm function) and
 * falls back to the built-in for the cases it does not handle.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { sizeOf, wasmBackendOf, withScope } from './kernel-scope.js';
import { convKernels } from './wasm-conv-kernels.js';
import { layoutKernels } from './wasm-layout-kernels.js';

const OURS = Symbol.for('skelact.wasmKernel');
const NATIVE = Symbol.for('skelact.nativeKernel');

/** The built-in configs replaced (undefined: the kernel was missing), for restoreBuiltinWasmKernels. */
const builtins = new Map<string, KernelConfig | undefined>();

type Maker = { name: string; make: (original: KernelConfig | undefined) => KernelFunc };

/** BatchMatMul without batch and with transposeA/transposeB: explicit transposes, then XNNPACK. */
function batchMatMulKernel(original: KernelConfig | undefined): KernelFunc {
  if (!original) throw new Error('wasm has no built-in BatchMatMul kernel to wrap');
  return (args) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    const unbatched = sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1;
    if ((!attrs.transposeA && !attrs.transposeB) || !unbatched) return original.kernelFunc(args);
    return withScope(wasmBackendOf(args), (scope) => {
      const swapLast = (rank: number) => [...Array(rank - 2).keys(), rank - 1, rank - 2];
      const a2 = attrs.transposeA ? scope.transpose(a, swapLast(a.shape.length)) : a;
      const b2 = attrs.transposeB ? scope.transpose(b, swapLast(b.shape.length)) : b;
      return original.kernelFunc({
        inputs: { a: a2, b: b2 },
        backend: args.backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    });
  };
}

function allKernels(): Maker[] {
  return [...layoutKernels(), ...convKernels(), { name: tf.BatchMatMul, make: batchMatMulKernel }];
}

/** The kernels that registerWasmTrainingKernels adds or replaces on 'wasm'. */
export function wasmTrainingKernelNames(): string[] {
  return allKernels().map((k) => k.name);
}

/**
 * Registers the training kernels on the 'wasm' backend. Idempotent. The wasm backend package
 * must have been imported (its kernels are the ones wrapped); call before or after
 * setBackend('wasm').
 */
export function registerWasmTrainingKernels(): void {
  if (!tf.getKernel(tf.Conv2D, 'wasm')) {
    throw new Error(
      "registerWasmTrainingKernels: import '@tensorflow/tfjs-backend-wasm' first (its kernels are not registered)",
    );
  }
  for (const { name, make } of allKernels()) {
    const original = tf.getKernel(name, 'wasm');
    // Ours already, or a native kernel (src/engine/native-kernels.ts) wrapping ours: nothing to do.
    if (
      original &&
      ((original as unknown as Record<symbol, boolean>)[OURS] ||
        (original as unknown as Record<symbol, boolean>)[NATIVE])
    )
      continue;
    const config: KernelConfig = {
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: make(original),
      setupFunc: original?.setupFunc,
      disposeFunc: original?.disposeFunc,
    };
    (config as unknown as Record<symbol, boolean>)[OURS] = true;
    if (!builtins.has(name)) builtins.set(name, original);
    if (original) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
}

/**
 * Puts tfjs-backend-wasm's own kernels back (and removes the added ones): the state before
 * registerWasmTrainingKernels. For benchmarks and tests that measure the stock backend.
 */
export function restoreBuiltinWasmKernels(): void {
  for (const [name, original] of builtins) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    if (original) tf.registerKernel(original);
  }
}

/** Whether the kernel registered under `name` on wasm is one of ours. */
export function isSkelactWasmKernel(name: string): boolean {
  const k = tf.getKernel(name, 'wasm');
  return !!k && !!(k as unknown as Record<symbol, boolean>)[OURS];
}
