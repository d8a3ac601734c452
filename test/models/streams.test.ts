/**
 * Multi-stream models (`kind: 'streams'`, a joint + bone ensemble in one model folder): each
 * stream against its own network built apart and fed its channel slice by a plain loop, the
 * fused scores against a hand computation of the weighted mean of softmax scores, the trainer's
 * loss against the sum of the streams' losses, a save/load round trip, gradients, leaks and the
 * config errors. Runs on wasm.
 */
import test from 'ava';
import { TINY_SKATEFORMER_DROPOUT } from './tiny-skateformer.js';
import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { loadModel, saveModel } from '../../src/models/io.js';
import { createModel, createModelFromManifest, resolveModelConfig } from '../../src/models/registry.js';
import { memberSeed, type StreamsModel } from '../../src/models/streams/index.js';
import { classificationLoss, labelSmoothingCrossEntropy } from '../../src/train/loss.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp.js';

await initBackend('wasm');

const DATA = { layout: 'kinect-20', classes: 4, persons: 1, frames: 16 } as const;

/** The tiny SkateFormer of the model tests as a member section, dropout on (training mode differs). */
const TINY_SKATEFORMER = { kind: 'skateformer', preset: 'kinect20', ...TINY_SKATEFORMER_DROPOUT };

const JOINT_BONE = [
  { name: 'joint', channels: [0, 3] },
  { name: 'bone', channels: [3, 6] },
];

function streamsModel(member: Record<string, unknown> = TINY_SKATEFORMER, fusionWeights?: number[], seed = 3) {
  return createModel(
    { kind: 'streams', streams: JOINT_BONE, member, ...(fusionWeights ? { fusionWeights } : {}) },
    DATA,
    seed,
  ) as StreamsModel;
}

function randomArray(n: number, seed: number): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

/** Channels [a, b) of a [B, T, V, C] array, by a plain loop. */
function channelSlice(x: Float32Array, shape: readonly number[], a: number, b: number): Float32Array {
  const [B, T, V, C] = shape;
  const out = new Float32Array(B * T * V * (b - a));
  let o = 0;
  for (let i = 0; i < B * T * V; i++) for (let c = a; c < b; c++) out[o++] = x[i * C + c];
  return out;
}

function softmax(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const z = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / z);
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

for (const { name, member, fusionWeights } of [
  { name: 'SkateFormer members, equal weights', member: TINY_SKATEFORMER, fusionWeights: undefined },
  { name: 'ST-GCN members, weights 1 and 3', member: { kind: 'stgcn', preset: 'tiny' }, fusionWeights: [1, 3] },
]) {
  test.serial(
    `${name}: each stream is its own network on its channels, and the fused scores are the weighted mean of their softmax`,
    (t) => {
      const model = streamsModel(member, fusionWeights);
      const shape = [3, 16, 20, 6];
      const x = randomArray(3 * 16 * 20 * 6, 11);
      const indexT = Float32Array.from({ length: 3 * 16 }, (_, i) => -1 + (2 * (i % 16)) / 15);
      const out = tf.tidy(() => {
        const o = model.forward(
          { x: tf.tensor4d(x, shape as [number, number, number, number]), indexT: tf.tensor2d(indexT, [3, 16]) },
          { training: false },
        );
        return { fused: o.logits.arraySync(), streams: o.streamLogits!.map((l) => l.arraySync()) };
      });
      t.is(out.streams.length, 2);
      const weights = fusionWeights ?? [1, 1];
      JOINT_BONE.forEach((s, i) => {
        // The same network built apart, from its saved config and its stream's seed.
        const alone = createModelFromManifest(
          { kind: model.config.streams[i].kind, config: model.config.streams[i].config },
          memberSeed(3, s.name),
        );
        t.is(alone.inChannels, 3);
        const want = tf.tidy(() =>
          alone
            .forward(
              {
                x: tf.tensor4d(channelSlice(x, shape, s.channels[0], s.channels[1]), [3, 16, 20, 3]),
                indexT: tf.tensor2d(indexT, [3, 16]),
              },
              { training: false },
            )
            .logits.dataSync(),
        );
        t.true(maxDiff(out.streams[i].flat(), want) < 1e-5, `${s.name}: ${maxDiff(out.streams[i].flat(), want)}`);
        alone.dispose();
      });
      for (let b = 0; b < 3; b++) {
        const p = out.streams.map((l) => softmax(l[b]));
        const total = weights[0] + weights[1];
        for (let c = 0; c < 4; c++) {
          const want = Math.log((weights[0] * p[0][c] + weights[1] * p[1][c]) / total);
          t.true(
            Math.abs(out.fused[b][c] - want) < 1e-5 * Math.max(1, Math.abs(want)),
            `${out.fused[b][c]} vs ${want}`,
          );
        }
      }
      // The two streams are different networks (independent initial weights).
      t.true(maxDiff(out.streams[0].flat(), out.streams[1].flat()) > 1e-3);
      model.dispose();
    },
  );
}

test.serial('the config: parameters are prefixed by stream, members take their slice width, counts add up', (t) => {
  const model = streamsModel();
  const resolved = resolveModelConfig({ ...TINY_SKATEFORMER }, { ...DATA });
  const single = createModelFromManifest({ kind: 'skateformer', config: { ...resolved.config, inChannels: 3 } }, 1);
  t.is(model.inChannels, 6);
  t.deepEqual(
    model.config.streams.map((s) => [s.name, s.kind, s.config.inChannels]),
    [
      ['joint', 'skateformer', 3],
      ['bone', 'skateformer', 3],
    ],
  );
  t.deepEqual(model.config.fusionWeights, [1, 1]);
  t.is(model.params.countTrainable(), 2 * single.params.countTrainable());
  const names = model.params.entries().map(([i]) => i.name);
  t.true(names.every((n) => n.startsWith('joint.') || n.startsWith('bone.')));
  t.is(names.filter((n) => n.startsWith('joint.')).length, single.params.entries().length);
  t.is(model.members.length, 2);
  const rows = model.describe();
  t.deepEqual(rows[rows.length - 1], { name: 'fusion', shape: [1, 4], parameters: 0 });
  t.true(rows.some((r) => r.name === 'bone.head'));
  single.dispose();
  model.dispose();
});

test.serial(
  'training: the loss is the sum of the streams’ losses, gradients reach both streams, no tensors leak',
  (t) => {
    const model = streamsModel();
    const x = tf.randomNormal([2, 16, 20, 6], 0, 1, 'float32', 5) as tf.Tensor4D;
    const labels = tf.tensor1d([1, 3], 'int32');
    const output = model.forward({ x }, { training: true, seed: 7 });
    const loss = classificationLoss(output, labels, 0.1).dataSync()[0];
    const parts = output.streamLogits!.map((l) => labelSmoothingCrossEntropy(l, labels, 0.1).dataSync()[0]);
    t.true(Math.abs(loss - (parts[0] + parts[1])) < 1e-5, `${loss} vs ${parts[0]} + ${parts[1]}`);
    tf.dispose([output.logits, output.pooled, output.features, ...output.streamLogits!]);

    const trainable = model.params.trainable();
    const { value, grads } = tf.variableGrads(
      () => classificationLoss(model.forward({ x }, { training: true, seed: 1 }), labels, 0.1),
      trainable,
    );
    for (const prefix of ['joint.', 'bone.']) {
      const moved = model.params
        .entries()
        .filter(([i]) => i.trainable && i.name.startsWith(prefix))
        .filter(([, v]) => tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]) > 0);
      t.true(moved.length > 10, `${prefix}: ${moved.length} parameters with a gradient`);
    }
    tf.dispose([value, ...Object.values(grads)]);

    const optimizer = tf.train.adam(1e-3);
    const step = (seed: number) =>
      optimizer.minimize(
        () => classificationLoss(model.forward({ x }, { training: true, seed }), labels, 0.1),
        false,
        trainable,
      );
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 2; i++) step(i);
    tf.tidy(() => void model.forward({ x }, { training: false }));
    t.is(tf.memory().numTensors, before, 'tensors leaked');
    optimizer.dispose();
    tf.dispose([x, labels]);
    model.dispose();
    t.is(model.params.entries().length, 0, 'dispose frees every member variable through the union store, once');
  },
);

test.serial('save and load: one folder, the same scores', async (t) => {
  const dir = tempDir('skelact-streams-');
  try {
    const model = streamsModel();
    const x = tf.randomNormal([2, 16, 20, 6], 0, 1, 'float32', 9) as tf.Tensor4D;
    const before = tf.tidy(() => model.forward({ x }, { training: false }).logits.dataSync());
    await saveModel(join(dir, 'm'), model, {
      layout: 'kinect-20',
      classNames: ['a', 'b', 'c', 'd'],
      modality: 'jb',
      sampling: 'ucla',
      testCrop: 1,
      minLength: 1,
      fillMissingPersons: 'zeros',
      normalize: 'face-box',
    });
    const { model: loaded, manifest } = loadModel(join(dir, 'm'), createModelFromManifest);
    t.is(manifest.kind, 'streams');
    t.is(manifest.inChannels, 6);
    t.is(manifest.parameters, model.params.countTrainable());
    const after = tf.tidy(() => loaded.forward({ x }, { training: false }).logits.dataSync());
    t.is(maxDiff(before, after), 0);
    tf.dispose(x);
    model.dispose();
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('config errors name the field and what was expected', (t) => {
  const errorOf = (section: Record<string, unknown>) =>
    t.throws(() => createModel({ kind: 'streams', ...section }, DATA, 1))?.message ?? '';
  t.regex(errorOf({ streams: [JOINT_BONE[0]], member: TINY_SKATEFORMER }), /streams/);
  t.regex(
    errorOf({ streams: [JOINT_BONE[0], { ...JOINT_BONE[1], name: 'joint' }], member: TINY_SKATEFORMER }),
    /stream name is used twice/,
  );
  t.regex(
    errorOf({ streams: JOINT_BONE, member: TINY_SKATEFORMER, fusionWeights: [1] }),
    /fusionWeights.*one weight per stream/,
  );
  t.regex(errorOf({ streams: JOINT_BONE, member: TINY_SKATEFORMER, fusionWeights: [0, 0] }), /positive weight/);
  t.regex(errorOf({ streams: JOINT_BONE, member: { ...TINY_SKATEFORMER, inChannels: 3 } }), /inChannels/);
  t.regex(errorOf({ streams: JOINT_BONE, member: { kind: 'streams' } }), /cannot itself be a streams model/);
  t.regex(
    errorOf({ streams: [JOINT_BONE[0], { name: 'bone', channels: [3, 3] }], member: TINY_SKATEFORMER }),
    /channels.*end channel must come after/,
  );
  t.regex(errorOf({ streams: JOINT_BONE, member: { kind: 'nonesuch' } }), /unknown model family 'nonesuch'/);

  // A saved config whose member does not read its stream's width, or whose members take other clips.
  const member = resolveModelConfig({ ...TINY_SKATEFORMER, inChannels: 3 }, DATA);
  const saved = (second: Record<string, unknown>, channels: [number, number]) => () =>
    createModelFromManifest(
      {
        kind: 'streams',
        config: {
          streams: [
            { name: 'joint', channels: [0, 3], ...member },
            { name: 'bone', channels, kind: 'skateformer', config: second },
          ],
          fusionWeights: [1, 1],
        },
      },
      1,
    );
  t.throws(saved(member.config, [3, 5]), { message: /streams\.1\.config\.inChannels.*reads 2 channels/ });
  t.throws(saved({ ...member.config, frames: 8, partitionFrames: 4 }, [3, 6]), {
    message: /stream 'bone' takes 1 person\(s\), 8 frames.*every stream must take the same clip/,
  });

  const model = streamsModel();
  const wrong = tf.zeros([1, 16, 20, 3]) as tf.Tensor4D;
  t.throws(() => model.forward({ x: wrong }, { training: false }), {
    message: /input must be \[B, 16, V, 6\].*joint 0–2, bone 3–5.*got \[1, 16, 20, 3\]/,
  });
  wrong.dispose();
  model.dispose();
});
