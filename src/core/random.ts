/**
 * skelact's one source of randomness: a small seeded PRNG (sfc32) and one hash that derives
 * independent child seeds from (seed, key, key, …). Every stage uses it: the synthetic data
 * generator, training's shuffles, sampling and augmentation, parameter initialisation and
 * dropout masks.
 *
 * Every random choice is drawn from a stream derived from the user's seed and where it is
 * used (a sample's class and index, an epoch and position, a parameter's name, a dropout
 * site), never from Math.random. So the same seed gives bit-identical output, a synthetic
 * sample does not change when other classes are added, and a resumed training run sees the
 * numbers an uninterrupted one saw: the "RNG state" a checkpoint needs is the seed and the
 * counters.
 */

/** A 32-bit seed from any safe integer (both halves of a 53-bit value are mixed in). */
export function seedFromNumber(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be a safe integer, got ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return mix32(low ^ mix32(high + 0x9e3779b9));
}

/** Derives a child seed from a parent seed and integer keys (order matters). */
export function deriveSeed(seed: number, ...keys: readonly number[]): number {
  let h = mix32(seed ^ 0x85ebca6b);
  for (const key of keys) h = mix32(h ^ mix32((key | 0) + 0x27d4eb2f));
  return h;
}

/** Integer key of a short string (e.g. an NTU action id 'A050'), for deriveSeed. */
export function stringKey(text: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The murmur3 finaliser: a bijective 32-bit avalanche. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, 128-bit state), seeded through
 * splitmix32 so that nearby seeds give unrelated streams.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second value of the last polar-method pair, or NaN when none is pending. */
  private spareNormal = Number.NaN;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    // The first outputs of a freshly seeded sfc32 are weakly mixed; discard them.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform over a [min, max) range given as a pair. */
  inRange(range: readonly [number, number]): number {
    return this.uniform(range[0], range[1]);
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal (Marsaglia's polar method, both values of each pair used). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return u * factor;
  }

  /**
   * Adds N(0, sigma²) noise to every element of `target`. The normals come from a table:
   * each 16-bit draw picks one of 65,536 equal-probability quantiles of N(0, 1)
   * (inverse-CDF sampling at probability resolution 2^-16, so values stop at ±4.3σ),
   * which is several times faster than normal() for the thousands of coordinates per clip.
   */
  addNormalNoise(target: Float64Array, sigma: number): void {
    const table = (normalQuantiles ??= buildNormalQuantiles());
    // The sfc32 state lives in locals for the loop (same sequence as nextUint32()).
    let a = this.a,
      b = this.b,
      c = this.c,
      d = this.d;
    for (let i = 0; i < target.length; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      target[i] += sigma * table[t >>> 16];
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /**
   * Fills `target` with dropout multipliers: 1/keep where a uniform draw u ≥ rate keeps the
   * element, else 0 (the sfc32 state in locals for the loop: the same sequence as next()).
   */
  fillDropoutMask(target: Float32Array, rate: number): void {
    const scale = Math.fround(1 / (1 - rate));
    const threshold = rate * 0x1_0000_0000;
    let a = this.a,
      b = this.b,
      c = this.c,
      d = this.d;
    for (let i = 0; i < target.length; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      target[i] = t >>> 0 >= threshold ? scale : 0;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** A child generator whose stream depends on this one's next output and the given keys. */
  fork(...keys: readonly number[]): Rng {
    return new Rng(deriveSeed(this.nextUint32(), ...keys));
  }
}

let normalQuantiles: Float64Array | undefined;

/** Φ⁻¹((i + 0.5) / 65536) for i = 0 … 65535. */
function buildNormalQuantiles(): Float64Array {
  const n = 1 << 16;
  const table = new Float64Array(n);
  for (let i = 0; i < n; i++) table[i] = inverseNormalCdf((i + 0.5) / n);
  return table;
}

/**
 * Inverse of the standard normal CDF, Acklam's rational approximation (relative error
 * below 1.2e-9), for p in (0, 1).
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`inverseNormalCdf: p must be in (0, 1), got ${p}`);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

// ---------------------------------------------------------------------------------------------
// Named streams: (seed, purpose, keys…) → an independent generator
// ---------------------------------------------------------------------------------------------

/** What a stream is for; part of its derivation so purposes never share numbers. */
export const STREAM = {
  shuffle: 1,
  sample: 2,
  dropout: 3,
  holdout: 4,
  evaluation: 5,
  text: 6,
  init: 7,
} as const;

export type StreamPurpose = keyof typeof STREAM;

/** A source of uniform numbers in [0, 1). */
export type UniformRandom = () => number;

/** A 32-bit seed for (seed, purpose, keys…). */
export function streamSeed(seed: number, purpose: StreamPurpose, ...keys: readonly number[]): number {
  return deriveSeed(seedFromNumber(seed), STREAM[purpose], ...keys);
}

/** A uniform [0, 1) source for (seed, purpose, keys…). */
export function randomStream(seed: number, purpose: StreamPurpose, ...keys: readonly number[]): UniformRandom {
  const rng = new Rng(streamSeed(seed, purpose, ...keys));
  return () => rng.next();
}

/** A seeded Fisher–Yates shuffle of `items` (a new array). */
export function shuffled<T>(items: readonly T[], random: UniformRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A description of the scheme, recorded in checkpoints: a resume under another scheme is refused. */
export const RNG_SCHEME = 'skelact-rng-2: sfc32 streams derived by murmur3 mixing from (seed, purpose, keys)';
