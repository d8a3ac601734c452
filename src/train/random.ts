/**
 * Training randomness as pure functions of (seed, purpose, epoch, position): every random
 * choice of a run — the epoch's shuffle, one sample's frame sampling and augmentation, one
 * step's dropout masks — comes from its own stream derived from the experiment seed and
 * where it is used. Nothing carries state from one step to the next, so a resumed run (or a
 * loader preparing batches out of order) sees exactly the numbers an uninterrupted run saw,
 * and the "RNG state" a checkpoint needs is just the seed and the counters.
 *
 * The generator is the project's sfc32 (src/data/synthetic/random.ts).
 */
import type { UniformRandom } from '../data/transforms/sampling.js';
import { Rng, deriveSeed, seedFromNumber } from '../data/synthetic/random.js';

/** What a stream is for; part of its derivation so purposes never share numbers. */
export const STREAM = {
  shuffle: 1,
  sample: 2,
  dropout: 3,
  holdout: 4,
  evaluation: 5,
  text: 6,
} as const;

export type StreamPurpose = keyof typeof STREAM;

/** A 32-bit seed for (experiment seed, purpose, keys…). */
export function streamSeed(seed: number, purpose: StreamPurpose, ...keys: readonly number[]): number {
  return deriveSeed(seedFromNumber(seed), STREAM[purpose], ...keys);
}

/** A uniform [0, 1) source for (experiment seed, purpose, keys…). */
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
