/** Real poses for the rep-counting tests: ML Kit's held-out fitness rows, and repetitions between two of them. */
import { readMlkitFitness } from '../../src/data/formats/mlkit-fitness.js';
import type { SkeletonSample } from '../../src/data/types.js';
import type { Point3 } from '../../src/serve/reps.js';
import { prng } from './prng.js';
import { sharedPath } from './shared.js';

export const MLKIT_CSV = 'data/mlkit_fitness/fitness_pose_samples.csv';

/** A CSV row's 33 landmarks (image pixels). */
export const landmarksOf = (s: SkeletonSample): Point3[] =>
  Array.from({ length: 33 }, (_, j) => [s.clip.data[3 * j], s.clip.data[3 * j + 1], s.clip.data[3 * j + 2]] as Point3);

/** The ML Kit rows the shipped fitness model was not trained on (benchmark mlkit-fitness-holdout: every 5th row). */
export function heldOutPoses(): SkeletonSample[] {
  const { samples } = readMlkitFitness(sharedPath(MLKIT_CSV), { classes: 'any' });
  return samples.filter((s) => Number(s.name.split(':')[0]) % 5 === 0);
}

/** `reps` repetitions at 30 fps, 2 s each, moving from `up` to `down` and back, then 20 frames of `up`. */
export function repsBetween(up: readonly Point3[], down: readonly Point3[], reps: number, jitter = 0, seed = 1) {
  const r = prng(seed);
  return Array.from({ length: reps * 60 + 20 }, (_, i) => {
    const w = i >= reps * 60 ? 0 : (1 - Math.cos((2 * Math.PI * (i % 60)) / 60)) / 2;
    return {
      timestampMs: (i * 1000) / 30,
      landmarks: up.map(
        (p, k) =>
          [
            p[0] + w * (down[k][0] - p[0]) + (r() - 0.5) * jitter,
            p[1] + w * (down[k][1] - p[1]) + (r() - 0.5) * jitter,
            p[2] + w * (down[k][2] - p[2]),
          ] as Point3,
      ),
    };
  });
}
