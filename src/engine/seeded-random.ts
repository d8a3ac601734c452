/**
 * The uniform generator behind tf.randomUniform(…, seed) and tf.dropout(…, seed), re-implemented
 * as a tight loop so that large dropout masks are cheap to draw.
 *
 * TensorFlow.js seeds Baagøe's Alea generator with String(seed) and draws one double per
 * element. The sequence is inherently serial (each draw's carry feeds the next), so it cannot be
 * vectorised; but a tight loop that writes the mask straight into wasm memory draws the 12.6M
 * entries of one SkateFormer attention map in ~150 ms where tf.dropout takes ~350 ms (and a
 * fresh 50 MB buffer costs ~350 ms more in page faults on this kind of machine). Masks built
 * here are bit-for-bit those of tf.dropout (checked in the tests).
 */
import * as tf from '@tensorflow/tfjs';

/** Baagøe's Mash hash, the seeding step of Alea: folds a string into a state in [0, 1). */
function makeMash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data: string) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    return (n >>> 0) * 2.3283064365386963e-10; // 2^-32
  };
}

/** Alea's state after seeding with `seed` (as tfjs does: String(seed)). */
function aleaState(seed: number | string): [number, number, number, number] {
  const mash = makeMash();
  let s0 = mash(' ');
  let s1 = mash(' ');
  let s2 = mash(' ');
  const key = String(seed);
  s0 -= mash(key);
  if (s0 < 0) s0 += 1;
  s1 -= mash(key);
  if (s1 < 0) s1 += 1;
  s2 -= mash(key);
  if (s2 < 0) s2 += 1;
  return [s0, s1, s2, 1];
}

/** n uniform numbers in [0, 1), float32, equal to tf.randomUniform([n], 0, 1, 'float32', seed). */
export function seededUniform(n: number, seed: number | string): Float32Array {
  const out = new Float32Array(n);
  let [s0, s1, s2, c] = aleaState(seed);
  for (let i = 0; i < n; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = Math.floor(t); // t is in [0, 2^21): floor is Alea's t | 0, and V8 compiles it better
    s2 = t - c;
    out[i] = s2;
  }
  return out;
}

/**
 * The smallest float32 u with fround(u + keep) ≥ 1, i.e. tf.dropout keeps an element iff its
 * uniform draw u ≥ this. (For keep = 0.5 it is 0.49999997, not 0.5: float32 rounding.)
 */
export function keepThreshold(keep: number): number {
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  const one = (b: number) => {
    bits[0] = b;
    return Math.fround(f[0] + keep) >= 1;
  };
  f[0] = 1;
  let lo = 0; // bits of 0.0
  let hi = bits[0]; // bits of 1.0; non-negative floats order like their bits
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (one(mid)) hi = mid;
    else lo = mid + 1;
  }
  bits[0] = lo;
  return f[0];
}

/**
 * tf.dropout's multiplier for n elements: floor(u + keep) / keep in float32, i.e. 0 or
 * 1/keep, with u drawn as tf.randomUniform does for `seed`.
 */
export function dropoutMultiplier(n: number, rate: number, seed: number | string): Float32Array {
  return fillDropoutMultiplier(new Float32Array(n), rate, seed);
}

/** Fills `out` with dropoutMultiplier(out.length, rate, seed). */
export function fillDropoutMultiplier(out: Float32Array, rate: number, seed: number | string): Float32Array {
  const keep = Math.fround(1 - rate);
  const scale = Math.fround(1 / keep);
  const threshold = keepThreshold(keep);
  let [s0, s1, s2, c] = aleaState(seed);
  for (let i = 0; i < out.length; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = Math.floor(t);
    s2 = t - c;
    out[i] = Math.fround(s2) >= threshold ? scale : 0;
  }
  return out;
}

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * tf.dropout's multiplier as a tensor of `shape`. On wasm it is drawn straight into a tensor
 * in wasm memory: a fresh JavaScript buffer of that size costs more in page faults than the
 * drawing itself (12.6M entries: ~350 ms on first touch).
 */
export function dropoutMultiplierTensor(shape: readonly number[], rate: number, seed: number | string): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (tf.getBackend() !== 'wasm') return tf.tensor(dropoutMultiplier(n, rate, seed), [...shape]);
  const backend = tf.backend() as unknown as HeapBackend;
  const info = backend.makeOutput([...shape], 'float32');
  fillDropoutMultiplier(backend.typedArrayFromHeap(info), rate, seed);
  return tf.engine().makeTensorFromTensorInfo(info);
}
