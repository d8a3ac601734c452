/**
 * Sanity check that the classes differ: a nearest-class-mean classifier on a hand-made
 * feature, trained and tested on different seeds (so different performers' bodies,
 * cameras and timings). Not the ≥ 95 % target of a real model, just clearly above chance.
 */
import test from 'ava';
import { SYNTHETIC_CLASSES, generateSyntheticSamples } from '../../../src/data/synthetic/index.js';
import type { SkeletonSample } from '../../../src/data/types.js';

/**
 * Per person slot and joint: the spread of the joint's motion (sqrt of its summed x, y, z
 * variances over time) and its vertical change (last quarter mean y − first quarter mean y).
 */
function features(sample: SkeletonSample): number[] {
  const { persons, frames, joints, data } = sample.clip;
  const out: number[] = [];
  for (let m = 0; m < 2; m++) {
    for (let v = 0; v < joints; v++) {
      const value = (f: number, c: number): number => (m < persons ? data[((m * frames + f) * joints + v) * 3 + c] : 0);
      let variance = 0;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let sumSq = 0;
        for (let f = 0; f < frames; f++) {
          sum += value(f, c);
          sumSq += value(f, c) ** 2;
        }
        variance += Math.max(0, sumSq / frames - (sum / frames) ** 2);
      }
      const quarter = Math.max(1, Math.floor(frames / 4));
      let first = 0;
      let last = 0;
      for (let f = 0; f < quarter; f++) {
        first += value(f, 1);
        last += value(frames - 1 - f, 1);
      }
      out.push(Math.sqrt(variance), (last - first) / quarter);
    }
  }
  return out;
}

test('a nearest-class-mean classifier separates the classes well above chance on held-out seeds', (t) => {
  const train = generateSyntheticSamples({ seed: 101, samplesPerClass: 20 });
  const held = generateSyntheticSamples({ seed: 202, samplesPerClass: 10 });
  const trainFeatures = train.map(features);
  const dims = trainFeatures[0].length;
  const mean = new Array<number>(dims).fill(0);
  const scale = new Array<number>(dims).fill(0);
  for (const x of trainFeatures) x.forEach((v, i) => (mean[i] += v / trainFeatures.length));
  for (const x of trainFeatures) x.forEach((v, i) => (scale[i] += (v - mean[i]) ** 2 / trainFeatures.length));
  const standardize = (x: number[]): number[] => x.map((v, i) => (v - mean[i]) / (Math.sqrt(scale[i]) || 1));

  const classes = SYNTHETIC_CLASSES.length;
  const centroids = Array.from({ length: classes }, () => new Array<number>(dims).fill(0));
  const counts = new Array<number>(classes).fill(0);
  train.forEach((s, i) => {
    counts[s.label]++;
    standardize(trainFeatures[i]).forEach((v, k) => (centroids[s.label][k] += v));
  });
  centroids.forEach((c, label) => c.forEach((v, k) => (c[k] = v / counts[label])));

  let correct = 0;
  const perClass = new Array<number>(classes).fill(0);
  for (const s of held) {
    const x = standardize(features(s));
    let best = -1;
    let bestDistance = Infinity;
    centroids.forEach((c, label) => {
      const d = c.reduce((sum, v, k) => sum + (v - x[k]) ** 2, 0);
      if (d < bestDistance) {
        bestDistance = d;
        best = label;
      }
    });
    if (best === s.label) {
      correct++;
      perClass[s.label]++;
    }
  }
  const accuracy = correct / held.length;
  const chance = 1 / classes;
  t.log(`nearest-class-mean accuracy ${(100 * accuracy).toFixed(1)} % (chance ${(100 * chance).toFixed(1)} %)`);
  t.true(accuracy > 7 * chance, `accuracy ${accuracy}`);
  t.true(perClass.filter((n) => n > 0).length >= classes - 3, 'nearly every class is recognised at least once');
});
