import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { npyHeader, readNpy } from '../../src/data/cache/npy.js';
import {
  evaluate,
  fuseScores,
  readScores,
  scoreMetrics,
  writeScores,
  type ScoreRun,
} from '../../src/train/evaluate.js';
import { experiment, syntheticCache, tinyModel, tmp, useBackend } from './helpers.js';

test.before(async () => {
  await useBackend();
});

const K7 = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

/** Five samples over seven classes; the last is unlabelled. Rows are scores, not necessarily normalised. */
function handRun(): ScoreRun {
  const rows = [
    [9, 1, 1, 1, 1, 1, 1], // label 0: correct
    [1, 5, 2, 1, 8, 6, 0], // label 1: 3rd (behind 4 and 5) → top-1 miss, top-5 hit, predicted 4
    [7, 6, 1, 5, 4, 9, 3], // label 2: 7th → misses both, predicted 5
    [0, 0, 3, 0, 0, 0, 0], // label 2: correct
    [1, 2, 3, 4, 5, 6, 7], // unlabelled: ignored
  ];
  return {
    classNames: K7,
    names: ['a', 'b', 'c', 'd', 'e'],
    labels: Int32Array.from([0, 1, 2, 2, -1]),
    scores: Float32Array.from(rows.flat()),
  };
}

test('metrics by hand: top-1, top-5, per-class accuracy (null without samples), confusion (true rows, predicted columns)', (t) => {
  const m = scoreMetrics(handRun());
  t.is(m.samples, 4);
  t.is(m.top1, 0.5);
  t.is(m.top5, 0.75);
  t.deepEqual(
    m.perClass.map((c) => c.accuracy),
    [1, 0, 0.5, null, null, null, null],
  );
  t.deepEqual(
    m.perClass.map((c) => c.total),
    [1, 1, 2, 0, 0, 0, 0],
  );
  const expected = K7.map(() => K7.map(() => 0));
  expected[0][0] = 1;
  expected[1][4] = 1;
  expected[2][5] = 1;
  expected[2][2] = 1;
  t.deepEqual(m.confusion, expected);
  // Ties count in the label's favour for top-k and go to the lowest index for the prediction.
  const tie = scoreMetrics({
    classNames: ['x', 'y'],
    names: ['s'],
    labels: Int32Array.from([1]),
    scores: Float32Array.from([1, 1]),
  });
  t.is(tie.top1, 0);
  t.is(tie.top5, 1);
  t.throws(() => scoreMetrics({ ...handRun(), labels: Int32Array.from([0, 1, 9, 2, -1]) }), { message: /label 9/ });
});

test('scores.npy + scores.json round-trip, and the npy is a float32 [N, K] numpy array', (t) => {
  const dir = tmp();
  const run = { ...handRun(), indices: Int32Array.from([4, 3, 2, 1, 0]) };
  writeScores(dir, run, { model: 'tiny' });
  const npy = readNpy(join(dir, 'scores.npy'));
  t.is(npy.info.dtype, '<f4');
  t.deepEqual(npy.info.shape, [5, 7]);
  const back = readScores(dir);
  t.deepEqual(back.names, run.names);
  t.deepEqual(Array.from(back.labels), Array.from(run.labels));
  t.deepEqual(Array.from(back.indices!), [4, 3, 2, 1, 0]);
  t.deepEqual(Array.from(back.scores), Array.from(run.scores));
  t.is(JSON.parse(readFileSync(join(dir, 'scores.json'), 'utf8')).provenance.model, 'tiny');
  // A score file that does not match its metadata is refused with both shapes named.
  writeFileSync(join(dir, 'scores.npy'), Buffer.concat([npyHeader('<f4', [4, 7]), Buffer.alloc(4 * 28)]));
  t.throws(() => readScores(dir), { message: /must be float32 \[5, 7\].*\[4, 7\]/ });
  t.throws(() => readScores(tmp()), { message: /run evaluate first/ });
  const meta = JSON.parse(readFileSync(join(dir, 'scores.json'), 'utf8'));
  writeFileSync(join(dir, 'scores.json'), JSON.stringify({ ...meta, version: 2 }));
  t.throws(() => readScores(dir), { message: /version 2 is not supported/ });
});

test('fusion is the weighted sum of the runs (hand values) and checks samples, order, labels and classes', (t) => {
  const a: ScoreRun = {
    classNames: ['x', 'y'],
    names: ['s1', 's2'],
    labels: Int32Array.from([0, 1]),
    scores: Float32Array.from([0.9, 0.1, 0.6, 0.4]),
  };
  const b: ScoreRun = { ...a, scores: Float32Array.from([0.2, 0.8, 0.1, 0.9]) };
  const fused = fuseScores([a, b], [2, 1]);
  [2.0, 1.0, 1.3, 1.7].forEach((x, i) => t.true(Math.abs(fused.scores[i] - x) < 1e-6));
  t.is(scoreMetrics(fused).top1, 1);
  t.is(scoreMetrics(a).top1, 0.5);
  [0.55, 0.45, 0.35, 0.65].forEach((x, i) => t.true(Math.abs(fuseScores([a, b]).scores[i] - 2 * x) < 1e-6));
  t.throws(() => fuseScores([a, { ...b, names: ['s2', 's1'] }]), { message: /same samples, other order/ });
  t.throws(() => fuseScores([a, { ...b, names: ['s1', 'zz'] }]), { message: /run 1 does not have it/ });
  t.throws(
    () => fuseScores([a, { ...b, names: ['s1'], labels: Int32Array.from([0]), scores: Float32Array.from([1, 0]) }]),
    { message: /1 samples, run 1 has 2/ },
  );
  t.throws(() => fuseScores([a, { ...b, labels: Int32Array.from([1, 1]) }]), { message: /labels sample 's1'/ });
  t.throws(() => fuseScores([a, { ...b, classNames: ['x', 'z'] }]), { message: /other classes/ });
  t.throws(() => fuseScores([a, b], [1]), { message: /2 runs but 1 weights/ });
  t.throws(() => fuseScores([]), { message: /at least one/ });
});

test('evaluate runs a model over a split: softmax rows, every sample once in split order, deterministic, no tensor leak', async (t) => {
  const cache = syntheticCache({ perClass: 6 });
  const model = tinyModel({ classes: 4, seed: 2 });
  const indices = cache.split('bench', 'test');
  const config = experiment();
  const before = tf.memory().numTensors;
  const r = await evaluate({ model, cache, config, indices, batchSize: 4 });
  t.is(tf.memory().numTensors, before);
  t.is(r.names.length, indices.length);
  t.deepEqual(Array.from(r.indices!), indices);
  t.deepEqual(
    r.names,
    indices.map((i) => cache.sample(i).name),
  );
  for (let i = 0; i < indices.length; i++) {
    const row = Array.from(r.scores.subarray(i * 4, i * 4 + 4));
    t.true(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    t.true(row.every((p) => p > 0));
  }
  const confusionTotal = r.confusion.flat().reduce((a, b) => a + b, 0);
  t.is(confusionTotal, indices.length);
  t.is(r.top1, r.confusion.reduce((s, row, k) => s + row[k], 0) / indices.length);
  // Mean cross-entropy from the probabilities themselves.
  const ce = indices.reduce((s, _, i) => s - Math.log(r.scores[i * 4 + r.labels[i]]), 0) / indices.length;
  t.true(Math.abs(r.loss - ce) < 1e-4);
  const again = await evaluate({ model, cache, config: experiment({ seed: 77 }), indices, batchSize: 3 });
  t.deepEqual(Array.from(again.scores), Array.from(r.scores));
  model.dispose();
});
