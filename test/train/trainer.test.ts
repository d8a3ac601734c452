import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelFolder } from '../../src/models/io.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { TrainingDivergedError, experimentSplits, train, type TrainEvent } from '../../src/train/trainer.js';
import { experiment, syntheticCache, tinyModel, tmp, useBackend, weightBytes } from './helpers.js';

test.before(async () => {
  await useBackend();
});

const cache = syntheticCache({ perClass: 8 });
const classes = cache.manifest.classNames.length;
const model = (seed = 7, extra: Partial<Parameters<typeof tinyModel>[0]> = {}) =>
  tinyModel({ classes, seed, ...extra });
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l));
const bytes = (path: string) => new Uint8Array(readFileSync(path));

test.serial(
  'two epochs in one go equal one epoch plus a resumed epoch, bit for bit (weights, moments, metrics)',
  async (t) => {
    const config = experiment();
    const straightDir = tmp();
    const straight = model();
    const r1 = await train({ config, model: straight, data: cache, outDir: straightDir, epochs: 2 });
    t.is(r1.status, 'complete');
    t.is(r1.step, 12);

    const splitDir = tmp();
    const first = model();
    await train({ config, model: first, data: cache, outDir: splitDir, epochs: 1 });
    t.is(readCheckpointState(join(splitDir, 'checkpoint')).epoch, 1);
    first.dispose();
    const resumed = model(12345); // other initial values: everything must come from the checkpoint
    const r2 = await train({ config, model: resumed, data: cache, outDir: splitDir, epochs: 2, resume: true });
    t.is(r2.step, 12);

    t.deepEqual(await weightBytes(resumed), await weightBytes(straight));
    t.deepEqual(
      bytes(join(splitDir, 'checkpoint/model/weights.bin')),
      bytes(join(straightDir, 'checkpoint/model/weights.bin')),
    );
    t.deepEqual(
      bytes(join(splitDir, 'checkpoint/optimizer.bin')),
      bytes(join(straightDir, 'checkpoint/optimizer.bin')),
    );
    const [a, b] = [lines(join(straightDir, 'metrics.jsonl')), lines(join(splitDir, 'metrics.jsonl'))];
    t.is(a.length, 2);
    t.is(b.length, 2);
    t.is(b[1].trainLoss, a[1].trainLoss);
    t.is(b[1].lr, a[1].lr);
    t.deepEqual(
      lines(join(splitDir, 'steps.jsonl')).map((s) => s.loss),
      lines(join(straightDir, 'steps.jsonl')).map((s) => s.loss),
    );
    straight.dispose();
    resumed.dispose();
  },
);

test.serial(
  'an abort mid-epoch writes a checkpoint there, and resuming it reproduces the uninterrupted run exactly',
  async (t) => {
    const config = experiment({ optim: { optimizer: 'sgd', lr: 0.05, nesterov: true, weightDecay: 5e-4 } });
    const straight = model();
    await train({ config, model: straight, data: cache, outDir: tmp(), epochs: 2 });

    const dir = tmp();
    const controller = new AbortController();
    const interrupted = model();
    const r = await train({
      config,
      model: interrupted,
      data: cache,
      outDir: dir,
      epochs: 2,
      signal: controller.signal,
      onProgress: (e: TrainEvent) => {
        if (e.type === 'step' && e.step === 9) controller.abort();
      },
    });
    t.is(r.status, 'aborted');
    const state = readCheckpointState(join(dir, 'checkpoint'));
    t.deepEqual([state.epoch, state.batch, state.step], [1, 3, 9]);
    interrupted.dispose();
    const resumed = model(99);
    const done = await train({ config, model: resumed, data: cache, outDir: dir, epochs: 2, resume: true });
    t.is(done.status, 'complete');
    t.deepEqual(await weightBytes(resumed), await weightBytes(straight));
    const metrics = lines(join(dir, 'metrics.jsonl'));
    t.deepEqual(
      metrics.map((m) => m.epoch),
      [1, 2],
    );
    straight.dispose();
    resumed.dispose();
  },
);

test.serial(
  'an abort during a step stops at the next micro-batch: the step is dropped, the checkpoint is at its start, the resume is exact',
  async (t) => {
    // 4 micro-batches of 1 per step; the abort comes in the 2nd micro-batch of step 9 (0-based).
    const config = experiment({ optim: { microBatch: 1 } });
    const straight = model();
    await train({ config, model: straight, data: cache, outDir: tmp(), epochs: 2 });

    const dir = tmp();
    const controller = new AbortController();
    const tensorsBefore = tf.memory().numTensors;
    const interrupted = model();
    const forward = interrupted.forward.bind(interrupted);
    interrupted.forward = (batch, options) => {
      const out = forward(batch, options);
      if (options.training && interrupted.trainingForwards === 9 * 4 + 2) controller.abort();
      return out;
    };
    const r = await train({
      config,
      model: interrupted,
      data: cache,
      outDir: dir,
      epochs: 2,
      signal: controller.signal,
    });
    t.is(r.status, 'aborted');
    t.is(interrupted.trainingForwards, 9 * 4 + 2, 'no micro-batch after the abort');
    const state = readCheckpointState(join(dir, 'checkpoint'));
    t.deepEqual(
      [state.epoch, state.batch, state.step],
      [1, 3, 9],
      'the checkpoint is at the start of the dropped step',
    );
    interrupted.dispose();
    t.is(tf.memory().numTensors, tensorsBefore, 'the dropped step leaks no tensor');
    const resumed = model(99);
    const done = await train({ config, model: resumed, data: cache, outDir: dir, epochs: 2, resume: true });
    t.is(done.status, 'complete');
    t.deepEqual(await weightBytes(resumed), await weightBytes(straight));
    straight.dispose();
    resumed.dispose();
  },
);

test.serial(
  'an abort during validation checkpoints the finished epoch; the resume validates it and goes on identically',
  async (t) => {
    const config = experiment({ evalEvery: 1 });
    const straightDir = tmp();
    const straight = model();
    await train({ config, model: straight, data: cache, outDir: straightDir, epochs: 2 });
    const dir = tmp();
    const controller = new AbortController();
    const m = model();
    const r = await train({
      config,
      model: m,
      data: cache,
      outDir: dir,
      epochs: 2,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'validation' && e.epoch === 0) controller.abort();
      },
    });
    t.is(r.status, 'aborted');
    const state = readCheckpointState(join(dir, 'checkpoint'));
    t.deepEqual([state.epoch, state.batch, state.step], [0, 6, 6]);
    m.dispose();
    const resumed = model(1);
    await train({ config, model: resumed, data: cache, outDir: dir, epochs: 2, resume: true });
    t.deepEqual(await weightBytes(resumed), await weightBytes(straight));
    t.deepEqual(
      lines(join(dir, 'metrics.jsonl')).map((x) => x.valTop1),
      lines(join(straightDir, 'metrics.jsonl')).map((x) => x.valTop1),
    );
    straight.dispose();
    resumed.dispose();
  },
);

test.serial(
  'run folder: metrics.jsonl fields, steps.jsonl, best model by validation top-1, loadable checkpoint model, config',
  async (t) => {
    const dir = tmp();
    const m = model();
    const events: TrainEvent[] = [];
    const result = await train({
      config: experiment({ evalEvery: 1 }),
      model: m,
      data: cache,
      outDir: dir,
      epochs: 3,
      logEvery: 4,
      onProgress: (e) => events.push(e),
    });
    const metrics = lines(join(dir, 'metrics.jsonl'));
    t.deepEqual(
      metrics.map((x) => x.epoch),
      [1, 2, 3],
    );
    for (const x of metrics) {
      for (const k of [
        'epoch',
        'step',
        'lr',
        'trainLoss',
        'trainAccuracy',
        'valTop1',
        'valTop5',
        'valLoss',
        'seconds',
        'samplesPerSecond',
      ])
        t.true(typeof x[k] === 'number' && Number.isFinite(x[k]), k);
      t.true(x.valTop1 <= x.valTop5);
    }
    const bestEpoch = metrics.reduce((b, x) => (x.valTop1 > b.valTop1 ? x : b), metrics[0]);
    t.deepEqual(result.best, { epoch: bestEpoch.epoch, top1: bestEpoch.valTop1 });
    const best = readModelFolder(join(dir, 'best'));
    t.is(best.manifest.provenance?.epoch, bestEpoch.epoch);
    t.is(best.manifest.kind, 'tiny');
    t.deepEqual(best.manifest.classNames, cache.manifest.classNames);
    t.is(readModelFolder(join(dir, 'checkpoint/model')).manifest.sampling, 'skateformer');
    t.deepEqual(
      lines(join(dir, 'steps.jsonl')).map((s) => s.step),
      [4, 8, 12, 16],
    );
    t.true(existsSync(join(dir, 'config.json')));
    t.is(events.filter((e) => e.type === 'epoch').length, 3);
    t.is(events.filter((e) => e.type === 'step').length, 18);
    const start = events[0];
    t.true(
      start.type === 'start' && start.itersPerEpoch === 6 && start.trainSamples === 24 && start.validationSamples === 8,
    );
    m.dispose();
  },
);

test.serial('the tensor count stays flat over 100+ steps (with validation and checkpoints in between)', async (t) => {
  const m = model(3, { streams: true });
  const counts: number[] = [];
  await train({
    config: experiment({ optim: { batchSize: 2, epochs: 9 }, evalEvery: 3 }),
    model: m,
    data: cache,
    outDir: tmp(),
    onProgress: (e) => {
      if (e.type === 'step') counts.push(tf.memory().numTensors);
    },
  });
  t.is(counts.length, 108);
  t.true(
    counts.every((c) => c === counts[0]),
    `tensor counts ${[...new Set(counts)].join(', ')}`,
  );
  m.dispose();
});

test.serial(
  'a NaN loss stops with a clear error before the update and leaves the last good checkpoint; no tensors leak',
  async (t) => {
    const dir = tmp();
    const m = model(5, { nanAfter: 8 });
    const before = tf.memory().numTensors;
    const error = await t.throwsAsync(train({ config: experiment(), model: m, data: cache, outDir: dir, epochs: 3 }), {
      instanceOf: TrainingDivergedError,
    });
    t.regex(error!.message, /loss is NaN at epoch 2, step 9/);
    t.regex(error!.message, /last good checkpoint \(epoch 1\)/);
    t.is(readCheckpointState(join(dir, 'checkpoint')).epoch, 1);
    t.is(lines(join(dir, 'metrics.jsonl')).length, 1);
    t.is(tf.memory().numTensors, before);
    m.dispose();
  },
);

test.serial(
  'refusals: resume without a checkpoint, a new run over an old one, a resume with another config',
  async (t) => {
    const dir = tmp();
    const m = model();
    await t.throwsAsync(train({ config: experiment(), model: m, data: cache, outDir: dir, resume: true }), {
      message: /nothing to resume/,
    });
    await train({ config: experiment(), model: m, data: cache, outDir: dir, epochs: 1 });
    await t.throwsAsync(train({ config: experiment(), model: m, data: cache, outDir: dir, epochs: 2 }), {
      message: /already holds a training run/,
    });
    await t.throwsAsync(
      train({
        config: experiment({ optim: { lr: 0.1 } }),
        model: m,
        data: cache,
        outDir: dir,
        epochs: 2,
        resume: true,
      }),
      { message: /another config \(differs in optim\.lr\)/ },
    );
    await t.throwsAsync(train({ config: experiment(), model: m, data: cache, outDir: tmp(), epochs: 9 }), {
      message: /exceeds the config's optim.epochs/,
    });
    // A corrupt optimiser file is reported, not half-loaded.
    writeFileSync(join(dir, 'checkpoint/optimizer.bin'), new Uint8Array(10));
    await t.throwsAsync(train({ config: experiment(), model: m, data: cache, outDir: dir, epochs: 2, resume: true }), {
      message: /optimizer.bin has 10 bytes/,
    });
    m.dispose();
  },
);

test.serial(
  "micro-batches (optim.microBatch) sum to the whole batch's gradient: the same weights and losses as one pass",
  async (t) => {
    const runWith = async (microBatch?: number) => {
      const m = tinyModel({ classes, seed: 9, independent: true });
      const dir = tmp();
      await train({
        config: experiment({
          optim: { batchSize: 4, ...(microBatch ? { microBatch } : {}) },
          augment: { preset: 'none' },
        }),
        model: m,
        data: cache,
        outDir: dir,
        epochs: 1,
      });
      const w = Float32Array.from(new Float32Array((await m.params.toWeights()).data));
      m.dispose();
      return {
        w,
        steps: lines(join(dir, 'steps.jsonl')).map((s) => s.loss as number),
        metrics: lines(join(dir, 'metrics.jsonl'))[0],
      };
    };
    const whole = await runWith();
    for (const micro of [1, 3]) {
      const split = await runWith(micro);
      let diff = 0;
      for (let i = 0; i < whole.w.length; i++) diff = Math.max(diff, Math.abs(whole.w[i] - split.w[i]));
      t.true(diff < 1e-5, `microBatch ${micro}: weights differ by ${diff}`);
      split.steps.forEach((l, i) =>
        t.true(Math.abs(l - whole.steps[i]) < 1e-5, `microBatch ${micro}, step ${i}: loss ${l} vs ${whole.steps[i]}`),
      );
      t.is(split.metrics.trainAccuracy, whole.metrics.trainAccuracy);
    }
    const before = tf.memory().numTensors;
    await runWith(3);
    t.is(
      tf.memory().numTensors,
      before,
      `no tensors leak with micro-batches (${before} before, ${tf.memory().numTensors} after)`,
    );
  },
);

test.serial('a hold-out validation share is stratified, disjoint from training and seeded', (t) => {
  const config = experiment({ data: { validationShare: 0.25 } });
  const { train: tr, validation } = experimentSplits(cache, config);
  const all = cache.split('bench', 'train');
  t.deepEqual(
    [...tr, ...validation].sort((a, b) => a - b),
    [...all].sort((a, b) => a - b),
  );
  t.is(new Set([...tr, ...validation]).size, all.length);
  for (let k = 0; k < classes; k++) t.is(validation.filter((i) => cache.labels[i] === k).length, 2); // 25% of 6 per class, rounded
  t.deepEqual(experimentSplits(cache, config).validation, validation);
  t.notDeepEqual(
    experimentSplits(cache, experiment({ seed: 99, data: { validationShare: 0.25 } })).validation,
    validation,
  );
  t.deepEqual(experimentSplits(cache, experiment()).validation, cache.split('bench', 'test'));
});

test.serial('training learns the separable synthetic classes (loss falls, train accuracy rises)', async (t) => {
  const m = model(11, { hidden: 16 });
  const result = await train({
    config: experiment({
      augment: { preset: 'none' },
      optim: { lr: 0.02, epochs: 12, warmupEpochs: 0, batchSize: 6, labelSmoothing: 0, clipGradNorm: 0 },
      evalEvery: 12,
    }),
    model: m,
    data: cache,
    outDir: tmp(),
  });
  const h = result.history;
  t.true(h[h.length - 1].trainLoss < h[0].trainLoss * 0.8, `loss ${h[0].trainLoss} → ${h[h.length - 1].trainLoss}`);
  t.true(h[h.length - 1].trainAccuracy > 0.5, `accuracy ${h[h.length - 1].trainAccuracy}`);
  m.dispose();
});
