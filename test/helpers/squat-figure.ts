/** A synthetic squatting stick figure in BlazePose-33 image pixels, shared by the rep-counting tests. */
import type { Point3 } from '../../src/serve/reps.js';
import { prng } from './prng.js';

/**
 * A front-facing stick figure in image pixels (y down) between standing (depth 0) and a deep
 * squat (depth 1): the hips drop and go back, the knees bend forward and out.
 */
export function squatFigure(depth: number, jitter = 0, random = prng(1)): Point3[] {
  const j = () => (random() * 2 - 1) * jitter;
  const p: Point3[] = Array.from({ length: 33 }, () => [320, 100, 0] as Point3);
  const hipY = 300 + 90 * depth;
  const kneeY = 400 + 10 * depth;
  const set = (i: number, x: number, y: number, z = 0) => (p[i] = [x + j(), y + j(), z + j()]);
  for (let i = 0; i <= 10; i++) set(i, 320 + (i % 3) * 4 - 4, 90 + i, 0); // face
  set(11, 360, 160 + 60 * depth); // shoulders follow the hips down
  set(12, 280, 160 + 60 * depth);
  set(13, 380, 230 + 40 * depth); // arms forward in the squat
  set(14, 260, 230 + 40 * depth);
  set(15, 385, 300 - 40 * depth, -60 * depth);
  set(16, 255, 300 - 40 * depth, -60 * depth);
  for (const [i, side] of [
    [17, 1],
    [19, 1],
    [21, 1],
    [18, -1],
    [20, -1],
    [22, -1],
  ] as const)
    set(i, 320 + side * 67, 305 - 40 * depth);
  set(23, 345, hipY, 40 * depth);
  set(24, 295, hipY, 40 * depth);
  set(25, 350 + 20 * depth, kneeY, -50 * depth);
  set(26, 290 - 20 * depth, kneeY, -50 * depth);
  set(27, 350, 500);
  set(28, 290, 500);
  set(29, 352, 510);
  set(30, 288, 510);
  set(31, 355, 515, -20);
  set(32, 285, 515, -20);
  return p;
}
