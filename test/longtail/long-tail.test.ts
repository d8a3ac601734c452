/**
 * Long-tailed training: BRL's profile (its released totals), the derived split, the losses
 * against hand-computed values, class-balanced weights and LDAM margins, the samplers, BRL's
 * partial-body mixup, and many/medium/few reporting.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { getLayout } from '../../src/graph/layout.js';
import { bodyHalves } from '../../src/graph/parts.js';
import { readDerivedSplits, saveDerivedSplit } from '../../src/data/cache/derived-splits.js';
import { deriveLongTail, longTailCounts, shotGroups } from '../../src/data/long-tail.js';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { initBackend } from '../../src/engine/backend.js';
import { parseExperiment } from '../../src/train/config.js';
import { shotGroupAccuracy } from '../../src/train/evaluate.js';
import {
  classBalancedWeights,
  ldamMargins,
  longTailLoss,
  perSampleLoss,
  type LongTailConfig,
} from '../../src/train/long-tail-loss.js';
import { SkeletonLoader } from '../../src/train/loader.js';
import { partialBodyMixup } from '../../src/train/mixup.js';
import { prng } from '../helpers/prng.js';
import { experiment, syntheticCache } from '../train/helpers.js';

test.before(async () => {
  await initBackend('wasm');
});

const lt = (over: Partial<LongTailConfig> = {}): LongTailConfig =>
  parseExperiment({ ...baseConfig, longTail: { ...over } }).longTail!;
const baseConfig = {
  name: 'x',
  model: { kind: 'tiny' },
  data: { benchmark: 'bench', frames: 16, minLength: 16 },
  optim: { lr: 1e-3, batchSize: 4, epochs: 1 },
};

test("BRL's exponential profile reproduces its released totals and many/medium/few counts", (t) => {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const tally = (xs: number[]) => {
    const g = shotGroups(xs);
    return [
      g.filter((x) => x === 'many').length,
      g.filter((x) => x === 'medium').length,
      g.filter((x) => x === 'few').length,
    ];
  };
  const ntu60 = longTailCounts(60, 600, 100);
  t.is(ntu60[0], 600);
  t.is(ntu60[59], 6);
  t.is(sum(ntu60), 7892);
  t.deepEqual(tally(ntu60), [23, 21, 16]);
  t.is(sum(longTailCounts(60, 600, 10)), 14142);
  t.is(sum(longTailCounts(120, 600, 100)), 15600);
  t.deepEqual(tally(longTailCounts(120, 600, 100)), [47, 41, 32]);
  t.is(sum(longTailCounts(120, 400, 100)), 10378);
  t.deepEqual(tally(longTailCounts(120, 400, 100)), [36, 42, 42]);
  t.throws(() => longTailCounts(60, 600, 0.5), { message: /imbalance factor must be at least 1/ });
});

test('a derived long-tailed split: the profile per class, seeded, test untouched; saved beside the cache and listed as a benchmark', (t) => {
  const cache = syntheticCache({ perClass: 12, actions: ['A008', 'A009', 'A023', 'A024'] });
  const train = cache.split('bench', 'train');
  const split = deriveLongTail(cache, { benchmark: 'bench', imbalance: 4, seed: 1 });
  t.is(split.name, 'bench-lt4');
  const perClass = [0, 1, 2, 3].map((c) => split.train.filter((i) => cache.labels[i] === c).length);
  t.deepEqual(perClass, longTailCounts(4, split.maxPerClass, 4));
  t.deepEqual(split.counts.slice(0, 4), perClass);
  t.true(split.train.every((i) => train.includes(i)));
  t.deepEqual(split.test, cache.split('bench', 'test'));
  t.deepEqual(
    deriveLongTail(cache, { benchmark: 'bench', imbalance: 4, seed: 1 }).train,
    split.train,
    'same seed, same samples',
  );
  t.notDeepEqual(deriveLongTail(cache, { benchmark: 'bench', imbalance: 4, seed: 2 }).train, split.train);
  saveDerivedSplit(cache.dir, split);
  t.true('bench-lt4' in readDerivedSplits(cache.dir));
  const reopened = SkeletonCache.open(cache.dir);
  t.deepEqual(reopened.split('bench-lt4', 'train'), split.train);
  t.like(reopened.derivedInfo('bench-lt4'), { source: 'bench', imbalance: 4 });
  reopened.close();
  // A class that cannot give its count is named, with the shortfall.
  const e = t.throws(() => deriveLongTail(cache, { benchmark: 'bench', imbalance: 2, maxPerClass: 50 }));
  t.regex(e!.message, /action A008 has \d+, needs 50 \(short by \d+\)/);
  cache.close();
});

test('losses per sample equal the hand-computed formulas', (t) => {
  const logits = tf.tensor2d([
    [2, 0.5, -1],
    [0.1, 0.2, 0.3],
  ]);
  const labels = tf.tensor1d([0, 2], 'int32');
  const counts = [90, 9, 1];
  const z = [
    [2, 0.5, -1],
    [0.1, 0.2, 0.3],
  ];
  const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
  const ce = (r: number[], y: number) => lse(r) - r[y];
  const prior = counts.map((n) => Math.log(n / 100));
  const close = (a: ArrayLike<number>, b: number[], what: string) =>
    b.forEach((v, i) => t.true(Math.abs(a[i] - v) < 1e-5, `${what}[${i}]: ${a[i]} vs ${v}`));
  close(perSampleLoss(logits, labels, counts, lt(), 0).dataSync(), [ce(z[0], 0), ce(z[1], 2)], 'ce');
  close(
    perSampleLoss(logits, labels, counts, lt({ loss: 'balanced-softmax' }), 0).dataSync(),
    z.map((r, i) =>
      ce(
        r.map((v, k) => v + prior[k]),
        [0, 2][i],
      ),
    ),
    'balanced softmax',
  );
  close(
    perSampleLoss(logits, labels, counts, lt({ loss: 'logit-adjust', tau: 0.5 }), 0).dataSync(),
    z.map((r, i) =>
      ce(
        r.map((v, k) => v + 0.5 * prior[k]),
        [0, 2][i],
      ),
    ),
    'logit adjustment',
  );
  const focal = z.map((r, i) => {
    const y = [0, 2][i];
    const p = Math.exp(r[y] - lse(r));
    return (1 - p) ** 2 * -Math.log(p);
  });
  close(perSampleLoss(logits, labels, counts, lt({ loss: 'focal' }), 0).dataSync(), focal, 'focal');
  const m = ldamMargins(counts, 0.5);
  t.true(
    Math.abs(m[2] - 0.5) < 1e-12 && Math.abs(m[0] - 0.5 * (90 ** -0.25 / 1)) < 1e-12,
    'LDAM: the rarest class gets the largest margin',
  );
  const ldam = z.map((r, i) => {
    const y = [0, 2][i];
    return ce(
      r.map((v, k) => 30 * (v - (k === y ? m[y] : 0))),
      y,
    );
  });
  close(perSampleLoss(logits, labels, counts, lt({ loss: 'ldam' }), 0).dataSync(), ldam, 'ldam');
  tf.dispose([logits, labels]);
});

test('class-balanced weights (Cui et al.) sum to the number of classes; deferred re-weighting starts at its epoch; mixup weights the two labels', (t) => {
  const counts = [90, 9, 1];
  const w = classBalancedWeights(counts, 0.999);
  const raw = counts.map((n) => (1 - 0.999) / (1 - 0.999 ** n));
  w.forEach((v, k) => t.true(Math.abs(v - (3 * raw[k]) / (raw[0] + raw[1] + raw[2])) < 1e-9));
  t.true(Math.abs(w.reduce((a, b) => a + b, 0) - 3) < 1e-9);
  t.true(w[2] > w[1] && w[1] > w[0]);
  const logits = tf.tensor2d([
    [1, 0, 0],
    [0, 0, 2],
  ]);
  const labels = tf.tensor1d([0, 2], 'int32');
  const cfg = lt({ reweight: 'class-balanced', reweightFromEpoch: 2 });
  const plain = perSampleLoss(logits, labels, counts, cfg, 0).dataSync();
  t.true(
    Math.abs(longTailLoss(logits, { labels }, counts, cfg, 0, 1).dataSync()[0] - (plain[0] + plain[1]) / 2) < 1e-6,
    'before the DRW epoch: unweighted',
  );
  t.true(
    Math.abs(
      longTailLoss(logits, { labels }, counts, cfg, 0, 2).dataSync()[0] - (w[0] * plain[0] + w[2] * plain[1]) / 2,
    ) < 1e-6,
    'from it: class-balanced',
  );
  const labelsB = tf.tensor1d([1, 2], 'int32');
  const lambda = tf.tensor1d([0.64, 1]);
  const againstB = perSampleLoss(logits, labelsB, counts, lt(), 0).dataSync();
  const mixed = longTailLoss(logits, { labels, labelsB, lambda }, counts, lt(), 0, 0).dataSync()[0];
  t.true(Math.abs(mixed - (0.64 * plain[0] + 0.36 * againstB[0] + plain[1]) / 2) < 1e-6);
  tf.dispose([logits, labels, labelsB, lambda]);
});

test('samplers: class-balanced draws every class about equally, sqrt ∝ √n_c, uniform follows the data', (t) => {
  const cache = syntheticCache({ perClass: 20, actions: ['A008', 'A009', 'A023', 'A024'] });
  const split = deriveLongTail(cache, { benchmark: 'bench', imbalance: 10, seed: 3 });
  const counts = [0, 1, 2, 3].map((c) => split.train.filter((i) => cache.labels[i] === c).length);
  const share = (sampler: 'uniform' | 'class-balanced' | 'sqrt') => {
    const config = experiment({ optim: { batchSize: 4 }, data: { repeat: 50 } });
    const loader = new SkeletonLoader({
      cache,
      indices: split.train,
      config: { ...config, longTail: lt({ sampler }) },
      model: { persons: 2, jointOrder: Int32Array.from({ length: 25 }, (_, i) => i), inChannels: 3, frames: 16 },
      training: true,
      batchSize: 4,
    });
    const order = loader.order(0);
    t.is(order.length, split.train.length * 50);
    return [0, 1, 2, 3].map((c) => Array.from(order).filter((i) => cache.labels[i] === c).length / order.length);
  };
  const total = counts.reduce((a, b) => a + b, 0);
  share('uniform').forEach((s, c) => t.true(Math.abs(s - counts[c] / total) < 1e-9, 'uniform: the data'));
  share('class-balanced').forEach((s) => t.true(Math.abs(s - 0.25) < 0.05, `balanced share ${s}`));
  const root = counts.map(Math.sqrt);
  const rootSum = root.reduce((a, b) => a + b, 0);
  share('sqrt').forEach((s, c) =>
    t.true(Math.abs(s - root[c] / rootSum) < 0.05, `sqrt share ${s} vs ${root[c] / rootSum}`),
  );
  cache.close();
});

test("BRL's partial-body mixup: lower body from the partner, label weight to the rarer class beyond 3×", (t) => {
  const layout = getLayout('ntu-25');
  const { upper, lower } = bodyHalves(layout);
  t.deepEqual(
    [...lower].sort((a, b) => a - b),
    [0, 12, 13, 14, 15, 16, 17, 18, 19],
    'BRL: lower body = SpineBase and the legs',
  );
  const model = { persons: 1, jointOrder: Int32Array.from({ length: 25 }, (_, i) => i), inChannels: 3, frames: 2 };
  const B = 4;
  const x = new Float32Array(B * 2 * 25 * 3);
  for (let b = 0; b < B; b++) x.fill(b + 1, b * 150, (b + 1) * 150); // sample b is all (b + 1)
  const host = {
    epoch: 0,
    batch: 0,
    size: B,
    x,
    indexT: new Float32Array(B * 2),
    labels: Int32Array.of(0, 1, 2, 1),
    samples: Int32Array.of(0, 1, 2, 3),
  };
  const counts = [100, 40, 10];
  const out = partialBodyMixup(host, model, layout, counts, { share: 1, lambda: 0.64, tailRatio: 3 }, prng(4));
  for (let a = 0; a < B; a++) {
    const partner = out.labelsB[a];
    const v = (t2: number, j: number) => out.host.x[((a * 2 + t2) * 25 + j) * 3];
    const lowerValue = v(0, lower[0]);
    for (const j of upper) t.is(v(1, j), a + 1, 'upper body kept');
    for (const j of lower) t.is(v(1, j), lowerValue, 'the whole lower body from one partner');
    t.not(lowerValue, a + 1, 'the lower body came from another sample');
    const na = counts[host.labels[a]];
    const nb = counts[partner];
    const expected = na > 3 * nb ? 0 : nb > 3 * na ? 1 : 0.64;
    t.true(Math.abs(out.lambda[a] - expected) < 1e-7, `sample ${a}: λ ${out.lambda[a]}, expected ${expected}`);
  }
  t.deepEqual(Array.from(host.x.subarray(0, 3)), [1, 1, 1], 'the input batch is not modified');
});

test('many / medium / few accuracy from training counts; none when the split is balanced', (t) => {
  const perClass = [
    { name: 'a', total: 10, correct: 9, accuracy: 0.9 },
    { name: 'b', total: 10, correct: 5, accuracy: 0.5 },
    { name: 'c', total: 10, correct: 2, accuracy: 0.2 },
    { name: 'd', total: 0, correct: 0, accuracy: null },
  ];
  const g = shotGroupAccuracy({ perClass }, [500, 50, 5, 0])!;
  t.deepEqual(
    g.map((x) => [x.group, x.classes, x.accuracy]),
    [
      ['many', 1, 0.9],
      ['medium', 1, 0.5],
      ['few', 1, 0.2],
    ],
  );
  t.is(shotGroupAccuracy({ perClass }, [50, 50, 40, 0]), undefined);
  t.deepEqual(
    shotGroupAccuracy({ perClass }, [9, 3, 1, 0], [5, 2])!.map((x) => x.accuracy),
    [0.9, 0.5, 0.2],
  );
});
