/**
 * SkateFormer as a SkeletonModel on the wasm backend: output shapes for every preset,
 * describe(), input checks, determinism, and what training mode changes (dropout, drop path,
 * BatchNorm) and what it must not.
 */
import test from 'ava';
import { TINY_SKATEFORMER_DROPOUT } from './tiny-skateformer.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.js';
import { getLayout } from '../../src/graph/index.js';
import {
  createSkateFormer,
  skateFormerPreset,
  type SkateFormerConfigInput,
} from '../../src/models/skateformer/index.js';
import { defaultIndexT } from '../../src/models/skateformer/model.js';
import type { ModelOutput } from '../../src/models/types.js';
import { prng } from '../helpers/prng.js';

test.before(async () => {
  await initBackend('wasm');
});

function input(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const r = prng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(
    Float32Array.from({ length: size }, () => r() * 2 - 1),
    shape,
  );
}

function values(out: ModelOutput): { logits: Float32Array; pooled: Float32Array; features: Float32Array } {
  return {
    logits: out.logits.dataSync() as Float32Array,
    pooled: out.pooled.dataSync() as Float32Array,
    features: out.features.dataSync() as Float32Array,
  };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** A tiny SkateFormer (kinect-20, 16 frames, windows of 4 frames) with dropout on, for behaviour tests. */
const TINY = TINY_SKATEFORMER_DROPOUT;

const PRESET_CASES = [
  // (NTU120 differs from NTU60 only in the head, whose shape the count test checks)
  { name: 'ntu (NTU60)', config: skateFormerPreset('ntu'), B: 1, V: 48, T: 8, C: 192, classes: 60 },
  { name: 'kinect20', config: skateFormerPreset('kinect20'), B: 2, V: 20, T: 8, C: 192, classes: 10 },
  { name: 'realtime', config: skateFormerPreset('realtime'), B: 3, V: 24, T: 32, C: 64, classes: 60 },
];

for (const c of PRESET_CASES) {
  test(`forward shapes: ${c.name}`, (t) => {
    const model = createSkateFormer(c.config, 1);
    t.is(model.tokens, c.V);
    const x = input([c.B, model.frames, model.tokens, model.inChannels], 3);
    const shapes = tf.tidy(() => {
      const out = model.forward({ x }, { training: false });
      t.true(Array.from(out.logits.dataSync()).every(Number.isFinite));
      return { logits: out.logits.shape, pooled: out.pooled.shape, features: out.features.shape };
    });
    t.deepEqual(shapes.logits, [c.B, c.classes]);
    t.deepEqual(shapes.pooled, [c.B, c.C]);
    t.deepEqual(shapes.features, [c.B, c.T, c.V, c.C]);
    x.dispose();
    model.dispose();
  });
}

test('describe() lists the shape and parameter count after each step; the counts add up', (t) => {
  const model = createSkateFormer(skateFormerPreset('kinect20'), 1);
  model.describe(); // the first pass may cache constant index tensors in ops.ts
  const before = tf.memory().numTensors;
  const rows = model.describe();
  t.is(tf.memory().numTensors, before);
  t.deepEqual(
    rows.map((r) => [r.name, r.shape.join('×')]),
    [
      ['input', '1×64×20×3'],
      ['stem', '1×64×20×96'],
      ['skate-embedding', '1×64×20×96'],
      ['stage1', '1×64×20×96'],
      ['stage2', '1×32×20×192'],
      ['stage3', '1×16×20×192'],
      ['stage4', '1×8×20×192'],
      ['pool', '1×192'],
      ['head', '1×10'],
    ],
  );
  t.deepEqual(
    rows.map((r) => r.parameters),
    [0, 1_047, 1_920, 107_584, 518_464, 647_488, 647_488, 0, 1_930],
  );
  t.is(
    rows.reduce((s, r) => s + r.parameters, 0),
    model.params.countTrainable(),
  );
  model.dispose();
});

test('model metadata: persons, regrouped joint order from the layout, frames, channels', (t) => {
  const model = createSkateFormer(skateFormerPreset('ntu'), 1);
  const ntu = getLayout('ntu-25');
  t.is(model.kind, 'skateformer');
  t.is(model.persons, 2);
  t.is(model.frames, 64);
  t.is(model.inChannels, 3);
  // models.md §1.1: new_idx (1-based) [7,8,22,23],[11,12,24,25],[13..16],[17..20],[5,9,6,10],[2,3,1,4]
  t.deepEqual(
    Array.from(model.jointOrder),
    [7, 8, 22, 23, 11, 12, 24, 25, 13, 14, 15, 16, 17, 18, 19, 20, 5, 9, 6, 10, 2, 3, 1, 4].map((j) => j - 1),
  );
  t.false(Array.from(model.jointOrder).includes(ntu.jointNames.indexOf('SpineShoulder')));
  model.dispose();
});

test('wrong input shapes are rejected with the expected shape in the message', (t) => {
  const model = createSkateFormer(TINY, 1);
  const bad = tf.zeros([1, 16, 25, 3]) as tf.Tensor4D;
  t.throws(() => model.forward({ x: bad }, { training: false }), { message: /\[B, 16, 20, 3\]/ });
  const x = tf.zeros([2, 16, 20, 3]) as tf.Tensor4D;
  t.throws(() => model.forward({ x, indexT: tf.zeros([2, 8]) as tf.Tensor2D }, { training: false }), {
    message: /indexT must be \[2, 16\]/,
  });
  tf.dispose([bad, x]);
  model.dispose();
});

test('determinism: same seed ⇒ same parameters and outputs; another seed differs', (t) => {
  const a = createSkateFormer(TINY, 5);
  const b = createSkateFormer(TINY, 5);
  const c = createSkateFormer(TINY, 6);
  const x = input([2, 16, 20, 3], 9);
  for (const [[ia, va], [, vb]] of a.params.entries().map((e, i) => [e, b.params.entries()[i]] as const)) {
    t.deepEqual(va.dataSync(), vb.dataSync(), ia.name);
  }
  const run = (m: typeof a, training: boolean, seed?: number) =>
    tf.tidy(() => values(m.forward({ x }, { training, seed })));
  t.deepEqual(run(a, false), run(b, false));
  t.true(maxDiff(run(a, false).logits, run(c, false).logits) > 1e-4);
  // training mode: the forward seed fixes every dropout / drop-path mask
  t.deepEqual(run(a, true, 11), run(b, true, 11));
  t.true(maxDiff(run(a, true, 11).logits, run(a, true, 12).logits) > 1e-4);
  tf.dispose(x);
  [a, b, c].forEach((m) => m.dispose());
});

test('training mode differs from eval mode only through dropout, drop path and BatchNorm', (t) => {
  const x = input([2, 16, 20, 3], 21);
  const noDrop = { ...TINY, dropPath: 0, attnDrop: 0, headDrop: 0 };
  const run = (config: SkateFormerConfigInput, training: boolean, seed = 1) => {
    const m = createSkateFormer(config, 3);
    const out = tf.tidy(() => values(m.forward({ x }, { training, seed })));
    m.dispose();
    return out;
  };
  // one stage (no BatchNorm) and no dropout: identical
  const oneStage = { ...noDrop, depths: [2], channels: [16] };
  t.deepEqual(run(oneStage, true), run(oneStage, false));
  // dropout rates only act in training: eval output does not depend on them or on the seed
  const evalDrop = run(TINY, false, 1);
  t.deepEqual(evalDrop, run(noDrop, false, 1));
  t.deepEqual(evalDrop, run(TINY, false, 2));
  t.true(
    maxDiff(run({ ...oneStage, attnDrop: 0.3 }, true).features, run(oneStage, false).features) > 1e-4,
    'attention dropout acts in training',
  );
  t.true(
    maxDiff(run({ ...oneStage, dropPath: 0.5 }, true).features, run(oneStage, false).features) > 1e-4,
    'drop path acts in training',
  );
  t.true(
    maxDiff(run({ ...oneStage, headDrop: 0.5 }, true).logits, run(oneStage, false).logits) > 1e-4,
    'head dropout acts in training',
  );
  t.deepEqual(
    run({ ...oneStage, headDrop: 0.5 }, true).features,
    run(oneStage, false).features,
    'head dropout acts after the features',
  );
  // two stages: the merging BatchNorm uses batch statistics in training
  t.true(maxDiff(run(noDrop, true).features, run(noDrop, false).features) > 1e-4);
  tf.dispose(x);
});

test('BatchNorm running statistics move in training and stay put in eval', (t) => {
  const model = createSkateFormer(TINY, 4);
  const x = input([2, 16, 20, 3], 5);
  const mean = model.params.get('stage2.merge.bn.movingMean');
  const variance = model.params.get('stage2.merge.bn.movingVariance');
  const m0 = mean.dataSync().slice();
  const v0 = variance.dataSync().slice();
  tf.tidy(() => model.forward({ x }, { training: false }).logits);
  t.deepEqual(mean.dataSync(), m0);
  t.deepEqual(variance.dataSync(), v0);
  tf.tidy(() => model.forward({ x }, { training: true, seed: 1 }).logits);
  t.true(maxDiff(mean.dataSync(), m0) > 1e-4);
  t.true(maxDiff(variance.dataSync(), v0) > 1e-4);
  tf.dispose(x);
  model.dispose();
});

test('index_t: a missing indexT means 2t/T − 1; another indexT changes the output', (t) => {
  const model = createSkateFormer(TINY, 8);
  const x = input([2, 16, 20, 3], 6);
  const implicit = tf.tidy(() => model.forward({ x }, { training: false }).logits.dataSync());
  const ramp = tf.tensor2d(
    Array.from({ length: 32 }, (_, i) => (2 * (i % 16)) / 16 - 1),
    [2, 16],
  );
  t.deepEqual(Array.from(defaultIndexT(2, 16).dataSync()), Array.from(ramp.dataSync()));
  t.deepEqual(
    tf.tidy(() => model.forward({ x, indexT: ramp }, { training: false }).logits.dataSync()),
    implicit,
  );
  const other = tf.mul(ramp, 0.5) as tf.Tensor2D;
  t.true(
    maxDiff(
      tf.tidy(() => model.forward({ x, indexT: other }, { training: false }).logits.dataSync()),
      implicit,
    ) > 1e-6,
  );
  tf.dispose([x, ramp, other]);
  model.dispose();
});

test('repeated eval forwards leak no tensors', (t) => {
  const model = createSkateFormer(skateFormerPreset('realtime'), 1);
  const x = input([1, model.frames, model.tokens, 3], 1);
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    tf.tidy(() => model.forward({ x }, { training: false }).logits.dataSync());
    tf.tidy(() => model.forward({ x }, { training: true, seed: i }).logits.dataSync());
    counts.push(tf.memory().numTensors);
  }
  t.deepEqual(counts.slice(1), [counts[1], counts[1], counts[1]]);
  tf.dispose(x);
  model.dispose();
});
