import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { getLayout } from '../../src/graph/layout.js';
import { validCropUniform } from '../../src/data/transforms/sampling.js';
import { uclaNormalize } from '../../src/data/transforms/augment.js';
import { SkeletonLoader, disposeModelInputs, toModelInputs, uclaFrameIndices } from '../../src/train/loader.js';
import { experiment, syntheticCache, useBackend } from './helpers.js';

test.before(async () => {
  await useBackend();
});

const cache = syntheticCache({ perClass: 8 });
const ntu = getLayout('ntu-25');
const identity = Int32Array.from({ length: 25 }, (_, i) => i);
const spec = (jointOrder = identity, persons = 2) => ({ persons, jointOrder, inChannels: 3, frames: 16 });

const trainLoader = (seed = 3, repeat = 1, augment = 'ntu-skateformer', batchSize = 4) =>
  new SkeletonLoader({
    cache,
    indices: cache.split('bench', 'train'),
    config: experiment({ seed, data: { repeat }, augment: { preset: augment } }),
    model: spec(),
    training: true,
    batchSize,
  });

const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

test('training batches are a function of (seed, epoch, batch): same when recomputed, out of order or by another loader', (t) => {
  const a = trainLoader();
  const b = trainLoader();
  const late = a.batch(2, 3);
  const early = a.batch(2, 0);
  t.true(same(b.batch(2, 0).x, early.x));
  t.true(same(b.batch(2, 3).x, late.x));
  t.true(same(a.batch(2, 3).indexT, late.indexT));
  t.deepEqual(Array.from(b.batch(2, 3).samples), Array.from(late.samples));
  t.false(same(a.batch(3, 0).samples, early.samples) && same(a.batch(3, 0).x, early.x), 'another epoch, another order');
  t.false(same(trainLoader(4).batch(2, 0).x, early.x), 'another seed, other batches');
});

test('an epoch visits the repeated split once in a seeded shuffle and drops the last partial batch', (t) => {
  const loader = trainLoader(3, 3, 'none', 5);
  const train = cache.split('bench', 'train');
  t.is(loader.epochSize, train.length * 3);
  t.is(loader.batchesPerEpoch, Math.floor((train.length * 3) / 5));
  const order = Array.from(loader.order(0));
  for (const i of train) t.is(order.filter((x) => x === i).length, 3);
  t.notDeepEqual(order, Array.from(loader.order(1)));
  t.throws(() => loader.batch(0, loader.batchesPerEpoch), { instanceOf: RangeError });
});

test('evaluation batches: split order, every sample once (last batch partial), no randomness', (t) => {
  const test_ = cache.split('bench', 'test');
  const mk = (seed: number) =>
    new SkeletonLoader({
      cache,
      indices: test_,
      config: experiment({ seed }),
      model: spec(),
      training: false,
      batchSize: 3,
    });
  const a = mk(1);
  t.is(a.batchesPerEpoch, Math.ceil(test_.length / 3));
  const all = Array.from({ length: a.batchesPerEpoch }, (_, b) => a.batch(0, b));
  t.deepEqual(
    all.flatMap((b) => Array.from(b.samples)),
    test_,
  );
  t.is(all[all.length - 1].size, test_.length - 3 * (a.batchesPerEpoch - 1));
  const b = mk(99);
  t.true(same(b.batch(5, 1).x, a.batch(0, 1).x), 'no seed or epoch dependence in evaluation');
});

test('model layout: person-major joints in the model order, test-time sampling and index_t = 2·src/valid − 1', (t) => {
  const order = Int32Array.from([3, 0, 24, 7]);
  const idx = cache.split('bench', 'test').slice(0, 2);
  const loader = new SkeletonLoader({
    cache,
    indices: idx,
    config: experiment({ augment: { preset: 'ntu-skateformer' } }),
    model: spec(order),
    training: false,
    batchSize: 2,
  });
  const batch = loader.batch(0, 0);
  const P = 2,
    T = 16,
    J = order.length,
    C = 3;
  idx.forEach((sample, b) => {
    const clip = cache.read(sample).clip;
    const s = validCropUniform(clip, { window: T, pInterval: [0.95], minLength: 16 });
    for (let p = 0; p < P; p++) {
      for (let tt = 0; tt < T; tt++) {
        for (let j = 0; j < J; j++) {
          for (let c = 0; c < C; c++) {
            const want = p < s.clip.persons ? s.clip.data[((p * T + tt) * 25 + order[j]) * C + c] : 0;
            const got = batch.x[(((b * T + tt) * P + p) * J + j) * C + c];
            if (got !== want) t.fail(`sample ${b} p${p} t${tt} j${j} c${c}: ${got} vs ${want}`);
          }
        }
      }
      for (let tt = 0; tt < T; tt++)
        t.is(batch.indexT[b * T + tt], Math.fround((2 * s.sourceIndex[tt]) / s.validFrames - 1));
    }
  });
  t.true(batch.indexT.every((x) => x >= -1 && x < 1));
  t.deepEqual(
    Array.from(batch.labels),
    idx.map((i) => cache.labels[i]),
  );
});

test('the bone modality is joint minus parent (layout tree) of the same sampled joints', (t) => {
  const idx = cache.split('bench', 'test').slice(0, 3);
  const mk = (modality: string) =>
    new SkeletonLoader({
      cache,
      indices: idx,
      config: experiment({ data: { modality } }),
      model: spec(),
      training: false,
      batchSize: 3,
    }).batch(0, 0).x;
  const j = mk('j');
  const bx = mk('b');
  for (let f = 0; f < 3 * 16 * 2; f++) {
    for (let v = 0; v < 25; v++) {
      for (let c = 0; c < 3; c++) {
        const want = Math.fround(j[(f * 25 + v) * 3 + c] - j[(f * 25 + ntu.parents[v]) * 3 + c]);
        if (bx[(f * 25 + v) * 3 + c] !== want) t.fail(`frame ${f} joint ${v}`);
      }
    }
  }
  t.pass();
});

test('the jb modality is the joint batch and the bone batch interleaved per joint (6 channels)', (t) => {
  const idx = cache.split('bench', 'test').slice(0, 3);
  const mk = (modality: string, inChannels: number) =>
    new SkeletonLoader({
      cache,
      indices: idx,
      config: experiment({ data: { modality } }),
      model: { ...spec(), inChannels },
      training: false,
      batchSize: 3,
    }).batch(0, 0).x;
  const j = mk('j', 3);
  const b = mk('b', 3);
  const jb = mk('jb', 6);
  t.is(jb.length, 2 * j.length);
  for (let p = 0; p < j.length / 3; p++) {
    for (let c = 0; c < 3; c++) {
      if (jb[p * 6 + c] !== j[p * 3 + c] || jb[p * 6 + 3 + c] !== b[p * 3 + c]) t.fail(`point ${p} channel ${c}`);
    }
  }
  // A jb model must say it takes 6 channels.
  t.throws(() => mk('jb', 3), { message: /modality 'jb' makes 6: set model.inChannels to 6/ });
  t.pass();
});

test('UCLA frame choice: evenly spaced at test time (hand values), sorted draws with repeats in training', (t) => {
  t.deepEqual(Array.from(uclaFrameIndices(10, 4, undefined)), [0, 3, 6, 9]);
  t.deepEqual(Array.from(uclaFrameIndices(5, 8, undefined)), [0, 0, 1, 1, 2, 2, 3, 4]); // floor(linspace(0, 4, 8))
  let r = 1;
  const random = () => (r = (r * 16807) % 2147483647) / 2147483647;
  const idx = Array.from(uclaFrameIndices(7, 64, random));
  t.is(idx.length, 64);
  t.deepEqual(
    idx,
    [...idx].sort((a, b) => a - b),
  );
  t.true(idx.every((i) => i >= 0 && i < 7));
  t.is(new Set(idx).size, 7, 'a short clip is covered with repeats');
});

test('UCLA pipeline: min-max normalisation of the whole clip, then evenly spaced frames at test time', (t) => {
  const idx = cache.split('bench', 'test').slice(0, 2);
  const config = experiment({
    data: { normalize: 'ucla-minmax', sampling: 'ucla' },
    augment: { preset: 'ucla-skateformer' },
  });
  const batch = new SkeletonLoader({ cache, indices: idx, config, model: spec(), training: false, batchSize: 2 }).batch(
    0,
    0,
  );
  idx.forEach((sample, b) => {
    const clip = uclaNormalize(cache.read(sample).clip, ntu);
    const frames = uclaFrameIndices(clip.frames, 16, undefined);
    for (let tt = 0; tt < 16; tt++) {
      for (let v = 0; v < 25; v++) {
        for (let c = 0; c < 3; c++) {
          if (batch.x[((b * 16 + tt) * 2 * 25 + v) * 3 + c] !== clip.data[(frames[tt] * 25 + v) * 3 + c])
            t.fail(`sample ${b} frame ${tt} joint ${v}`);
        }
      }
      t.is(batch.indexT[b * 16 + tt], Math.fround((2 * frames[tt]) / clip.frames - 1));
    }
  });
  t.true(batch.x.every((x) => x >= -1 && x <= 1));
  // Training: random views differ per sample and epoch, and values stay in [−1, 1].
  const train = new SkeletonLoader({
    cache,
    indices: cache.split('bench', 'train'),
    config,
    model: spec(),
    training: true,
    batchSize: 4,
  });
  t.true(train.batch(0, 0).x.every((x) => x >= -1 && x <= 1));
  t.false(same(train.batch(0, 0).x, train.batch(1, 0).x));
});

test('the prefetching epoch iterator yields exactly batch(e, b) in order, from any batch, for any prefetch depth', async (t) => {
  const loader = trainLoader();
  for (const prefetch of [0, 1, 3]) {
    let b = 2;
    for await (const host of loader.epoch(1, { from: 2, prefetch })) {
      t.is(host.batch, b);
      t.true(same(host.x, loader.batch(1, b).x));
      b++;
    }
    t.is(b, loader.batchesPerEpoch);
  }
  // Stopping early leaves no dangling work that throws.
  for await (const host of loader.epoch(0, { prefetch: 3 })) {
    t.is(host.batch, 0);
    break;
  }
  await new Promise((resolve) => setImmediate(resolve));
});

test('tensors: toModelInputs makes x [B,T,V,C], indexT [B,T], int32 labels, and disposing frees them all', (t) => {
  const loader = trainLoader();
  const host = loader.batch(0, 0);
  const before = tf.memory().numTensors;
  const inputs = toModelInputs(host, spec());
  t.deepEqual(inputs.batch.x.shape, [4, 16, 50, 3]);
  t.deepEqual(inputs.batch.indexT!.shape, [4, 16]);
  t.is(inputs.labels.dtype, 'int32');
  disposeModelInputs(inputs);
  t.is(tf.memory().numTensors, before);
});

test('clear errors: channel, frame or joint mismatch with the model, a split smaller than a batch', (t) => {
  const indices = cache.split('bench', 'train');
  const config = experiment();
  t.throws(
    () =>
      new SkeletonLoader({ cache, indices, config, model: { ...spec(), inChannels: 6 }, training: true, batchSize: 2 }),
    { message: /6 input channels/ },
  );
  t.throws(
    () =>
      new SkeletonLoader({ cache, indices, config, model: { ...spec(), frames: 32 }, training: true, batchSize: 2 }),
    { message: /32 frames/ },
  );
  t.throws(
    () =>
      new SkeletonLoader({ cache, indices, config, model: spec(Int32Array.from([30])), training: true, batchSize: 2 }),
    { message: /joint 30/ },
  );
  t.throws(() => new SkeletonLoader({ cache, indices, config, model: spec(), training: true, batchSize: 1000 }), {
    message: /fewer than one batch/,
  });
});
