/**
 * Dropout masks from skelact's one generator (src/core/random.ts), drawn by a tight loop
 * straight into wasm memory.
 *
 * The draws are inherently serial (sfc32's state feeds the next), but a tight loop that writes
 * the mask into a tensor's memory draws the 12.6M entries of one SkateFormer attention map in
 * well under tf.dropout's time, and on wasm it avoids a fresh 50 MB JavaScript buffer, which
 * costs ~350 ms in page faults on this kind of machine.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/random.js';

/** Dropout multipliers for n elements: 1/(1 − rate) where kept, 0 where dropped; seeded. */
export function dropoutMultiplier(n: number, rate: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  new Rng(seed).fillDropoutMask(out, rate);
  return out;
}

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * dropoutMultiplier as a tensor of `shape`. On wasm it is drawn straight into a tensor in wasm
 * memory (12.6M entries in a fresh JavaScript buffer: ~350 ms of page faults on first touch).
 */
export function dropoutMultiplierTensor(shape: readonly number[], rate: number, seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (tf.getBackend() !== 'wasm') return tf.tensor(dropoutMultiplier(n, rate, seed), [...shape]);
  const backend = tf.backend() as unknown as HeapBackend;
  const info = backend.makeOutput([...shape], 'float32');
  new Rng(seed).fillDropoutMask(backend.typedArrayFromHeap(info), rate);
  return tf.engine().makeTensorFromTensorInfo(info);
}
