/**
 * SkateFormer trains on the wasm backend: gradients reach every trainable parameter and agree
 * with finite differences, forward/backward leaks no tensors, and a few dozen Adam steps fit
 * a small synthetic problem. (The gradients of temporal convs and gathers come from ops.ts's
 * own backward paths; tfjs-backend-wasm has no Conv2DBackpropFilter / UnsortedSegmentSum.)
 */
import test from 'ava';
import { TINY_SKATEFORMER } from './tiny-skateformer.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.js';
import * as ops from '../../src/models/ops.js';
import { createSkateFormer } from '../../src/models/skateformer/index.js';
import { prng } from '../helpers/prng.js';

/** Whether gradients flow through temporalConv and gatherAxis on the active backend. */
function canTrainHere(): boolean {
  try {
    tf.tidy(() => {
      const x = tf.ones([1, 4, 2, 2]) as tf.Tensor4D;
      const w = tf.ones([3, 2, 2]) as tf.Tensor3D;
      const f = (a: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          ops.gatherAxis(
            ops.temporalConv(a as tf.Tensor4D, c as tf.Tensor3D, undefined, { stride: 2 }),
            Int32Array.from([1, 0, 1]),
            1,
          ),
        );
      tf.grads(f)([x, w]).forEach((g) => g.dataSync());
    });
    return true;
  } catch {
    return false;
  }
}

test.before(async () => {
  await initBackend('wasm');
  if (!canTrainHere())
    throw new Error('gradients do not flow through ops.temporalConv / ops.gatherAxis on the wasm backend');
});

const TINY = TINY_SKATEFORMER;

function batch(B: number, seed: number): { x: tf.Tensor4D; labels: number[] } {
  const r = prng(seed);
  const T = 16;
  const V = 20;
  const data = new Float32Array(B * T * V * 3);
  const labels: number[] = [];
  for (let b = 0; b < B; b++) {
    // class c: every joint oscillates at frequency c + 1 along axis c mod 3, with noise
    const c = b % 4;
    labels.push(c);
    const phase = r() * Math.PI * 2;
    for (let t = 0; t < T; t++)
      for (let v = 0; v < V; v++)
        for (let ch = 0; ch < 3; ch++) {
          const signal = ch === c % 3 ? Math.sin((2 * Math.PI * (c + 1) * t) / T + phase + 0.2 * v) : 0;
          data[((b * T + t) * V + v) * 3 + ch] = 0.8 * signal + 0.3 * (r() * 2 - 1);
        }
  }
  return { x: tf.tensor4d(data, [B, T, V, 3]), labels };
}

function lossOf(logits: tf.Tensor2D, labels: number[], classes: number): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), logits) as tf.Scalar;
}

test('gradients reach every trainable parameter (merging-conv biases excepted in training mode: BatchNorm cancels them)', (t) => {
  const model = createSkateFormer({ ...TINY, dropPath: 0, attnDrop: 0 }, 2);
  const { x, labels } = batch(4, 1);
  const vars = model.params.entries().filter(([i]) => i.trainable);
  const gradientMax = (training: boolean): Map<string, number> => {
    const { value, grads } = tf.variableGrads(
      () => lossOf(model.forward({ x }, { training, seed: 1 }).logits, labels, 4),
      vars.map(([, v]) => v),
    );
    const out = new Map(vars.map(([i, v]) => [i.name, tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0])]));
    tf.dispose([value, grads]);
    return out;
  };
  const train = gradientMax(true);
  const biasOfMerge = (name: string) => /^stage\d+\.merge\.conv\.b$/.test(name);
  const zero = [...train].filter(([name, g]) => !biasOfMerge(name) && !(g > 1e-9)).map(([name]) => name);
  t.deepEqual(zero, [], 'every parameter but the merging-conv biases has a non-zero gradient');
  const mergeBias = [...train].filter(([name]) => biasOfMerge(name));
  t.is(mergeBias.length, 1);
  // BN subtracts the batch mean per channel, so a per-channel bias before it has no effect
  for (const [name, g] of mergeBias) t.true(g < 1e-3 * train.get('stage2.merge.conv.w')!, `${name}: ${g}`);
  // in eval mode (running statistics) those biases do matter
  const evalMode = gradientMax(false);
  t.deepEqual(
    [...evalMode].filter(([, g]) => !(g > 1e-9)).map(([name]) => name),
    [],
  );
  // the biases of all four Skate-MSA branches are reached, per type
  for (const type of [1, 2, 3, 4]) t.true(train.get(`stage1.block1.attention.type${type}.biasTable`)! > 0);
  x.dispose();
  model.dispose();
});

test('checkpointed blocks (recomputed in the backward pass) give the same loss, gradients and BatchNorm statistics, dropout on', (t) => {
  const run = (checkpoint: boolean) => {
    const model = createSkateFormer({ ...TINY, dropPath: 0.3, attnDrop: 0.4, checkpoint }, 3);
    const { x, labels } = batch(4, 2);
    const vars = model.params.entries().filter(([i]) => i.trainable);
    const { value, grads } = tf.variableGrads(
      () => lossOf(model.forward({ x }, { training: true, seed: 7 }).logits, labels, 4),
      vars.map(([, v]) => v),
    );
    const out = {
      loss: value.dataSync()[0],
      grads: new Map(vars.map(([i, v]) => [i.name, Float32Array.from(grads[v.name].dataSync())])),
      movingMean: Float32Array.from(
        model.params
          .entries()
          .find(([i]) => i.name === 'stage2.merge.bn.movingMean')![1]
          .dataSync(),
      ),
    };
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
    return out;
  };
  const plain = run(false);
  const recomputed = run(true);
  t.true(Math.abs(plain.loss - recomputed.loss) < 1e-6, `loss ${plain.loss} vs ${recomputed.loss}`);
  for (const [name, g] of plain.grads) {
    const h = recomputed.grads.get(name)!;
    let diff = 0;
    let scale = 1e-6;
    for (let i = 0; i < g.length; i++) {
      diff = Math.max(diff, Math.abs(g[i] - h[i]));
      scale = Math.max(scale, Math.abs(g[i]));
    }
    t.true(diff <= 1e-4 * scale, `${name}: max difference ${diff} (scale ${scale})`);
  }
  t.deepEqual(
    Array.from(recomputed.movingMean),
    Array.from(plain.movingMean),
    'the merging BatchNorm is outside the checkpointed blocks: updated once',
  );
});

test('checkpointed blocks run in pieces of the batch (checkpointChunk) give the same loss and gradients as the whole batch', (t) => {
  const run = (checkpointChunk: number) => {
    const model = createSkateFormer(
      { ...TINY, dropPath: 0, attnDrop: 0, checkpoint: checkpointChunk < 5, checkpointChunk },
      4,
    );
    const { x, labels } = batch(5, 3);
    const vars = model.params.entries().filter(([i]) => i.trainable);
    const { value, grads } = tf.variableGrads(
      () => lossOf(model.forward({ x }, { training: true, seed: 1 }).logits, labels, 4),
      vars.map(([, v]) => v),
    );
    const out = {
      loss: value.dataSync()[0],
      grads: vars.map(([i, v]) => [i.name, Float32Array.from(grads[v.name].dataSync())] as const),
    };
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
    return out;
  };
  const whole = run(5);
  for (const chunk of [1, 2]) {
    const pieces = run(chunk);
    t.true(Math.abs(whole.loss - pieces.loss) < 1e-5, `chunk ${chunk}: loss ${whole.loss} vs ${pieces.loss}`);
    whole.grads.forEach(([name, g], k) => {
      const h = pieces.grads[k][1];
      let diff = 0;
      let scale = 1e-6;
      for (let i = 0; i < g.length; i++) {
        diff = Math.max(diff, Math.abs(g[i] - h[i]));
        scale = Math.max(scale, Math.abs(g[i]));
      }
      // Plus an absolute floor: a bias followed by BatchNorm has a gradient that is zero in exact
      // arithmetic, i.e. float32 rounding noise (~1e-7), which differs with the order of the sums
      // (OpenBLAS's and the native column sums do not split like the stock wasm kernels).
      t.true(diff <= 1e-4 * scale + 1e-6, `chunk ${chunk}, ${name}: max difference ${diff} (scale ${scale})`);
    });
  }
});

test('gradients agree with central finite differences along the gradient, parameter by parameter (eval mode)', (t) => {
  const model = createSkateFormer({ ...TINY, dropPath: 0, attnDrop: 0 }, 5);
  // larger-than-init tables, so their gradients are well above float32 noise
  tf.tidy(() => {
    for (const [info, v] of model.params.entries())
      if (info.name.endsWith('biasTable') || info.name.endsWith('gconv')) v.assign(tf.mul(v, 20));
  });
  const { x, labels } = batch(2, 6);
  const loss = () => lossOf(model.forward({ x }, { training: false }).logits, labels, 4);
  const vars = model.params.entries().filter(([i]) => i.trainable);
  const { value, grads } = tf.variableGrads(
    loss,
    vars.map(([, v]) => v),
  );
  value.dispose();
  const checked: string[] = [];
  const skipped: string[] = [];
  const bad: string[] = [];
  for (const [info, v] of vars) {
    const g = grads[v.name];
    const norm = tf.tidy(() => tf.norm(g).dataSync()[0]);
    if (norm < 1e-4) {
      skipped.push(`${info.name} (${norm.toExponential(1)})`);
      continue; // below what float32 loss differences resolve
    }
    const eps = 0.1 / norm; // a step of length 0.1 along the unit direction g/|g|
    const original = v.clone();
    const at = (sign: number) => {
      v.assign(tf.tidy(() => tf.add(original, tf.mul(g, sign * eps))));
      return tf.tidy(() => loss().dataSync()[0]);
    };
    const numeric = (at(1) - at(-1)) / (2 * eps * norm); // directional derivative along g/|g|
    v.assign(original);
    original.dispose();
    checked.push(info.name);
    if (Math.abs(numeric - norm) > 0.05 * norm + 1e-4)
      bad.push(`${info.name}: analytic ${norm.toExponential(3)}, numeric ${numeric.toExponential(3)}`);
  }
  tf.dispose(grads);
  t.log(`${checked.length} of ${vars.length} parameters checked (wasm)`);
  t.log(`gradient too small to check: ${skipped.join(', ')}`);
  t.true(checked.length > 0.8 * vars.length);
  const mustCheck = [1, 2, 3, 4].map((k) => `stage2.block1.attention.type${k}.biasTable`);
  mustCheck.push(
    'stage1.block1.gconv',
    'stage1.block1.tconv.w',
    'stage1.block1.mapping.w',
    'stage2.merge.conv.w',
    'stage2.merge.bn.gamma',
    'embedding.jointPerson',
    'stem.conv1.w',
  );
  for (const name of mustCheck) t.true(checked.includes(name), `${name} was checked`);
  t.deepEqual(bad, []);
  x.dispose();
  model.dispose();
});

test('repeated forward/backward passes leak no tensors', (t) => {
  const model = createSkateFormer(TINY, 3);
  const { x, labels } = batch(2, 2);
  const vars = model.params.trainable();
  const counts: number[] = [];
  for (let step = 0; step < 4; step++) {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => lossOf(model.forward({ x }, { training: true, seed: step }).logits, labels, 4),
        vars,
      );
      value.dataSync();
      tf.dispose(grads);
    });
    counts.push(tf.memory().numTensors);
  }
  t.deepEqual(counts.slice(1), [counts[1], counts[1], counts[1]]);
  x.dispose();
  model.dispose();
});

test('it learns: a few dozen Adam steps fit a small synthetic 4-class problem and generalise to new clips', (t) => {
  const started = Date.now();
  const model = createSkateFormer({ ...TINY, attnDrop: 0.1, dropPath: 0.1 }, 4);
  const train = batch(8, 3);
  const heldOut = batch(16, 77);
  const optimizer = tf.train.adam(2e-3);
  const vars = model.params.trainable();
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) {
    const loss = optimizer.minimize(
      () => lossOf(model.forward({ x: train.x }, { training: true, seed: step }).logits, train.labels, 4),
      true,
      vars,
    );
    losses.push(loss!.dataSync()[0]);
    loss!.dispose();
  }
  // BatchNorm running statistics trail fast-moving weights (momentum 0.1); refresh them with a
  // few training-mode passes without updates before evaluating, as one does after short runs.
  for (let i = 0; i < 20; i++) tf.tidy(() => model.forward({ x: train.x }, { training: true, seed: 1000 + i }).logits);
  const heldOutLoss = tf.tidy(
    () => lossOf(model.forward({ x: heldOut.x }, { training: false }).logits, heldOut.labels, 4).dataSync()[0],
  );
  const elapsed = Date.now() - started;
  t.log(
    `wasm: training loss ${losses[0].toFixed(3)} → ${losses.at(-1)!.toFixed(3)}; held-out eval loss ${heldOutLoss.toFixed(3)}; ${elapsed} ms`,
  );
  t.true(losses[0] > 1.2, `starts near ln 4: ${losses[0]}`);
  const lastThree = (losses.at(-1)! + losses.at(-2)! + losses.at(-3)!) / 3;
  t.true(lastThree < 0.4 * losses[0], `training loss ${losses[0]} → ${lastThree}`);
  t.true(heldOutLoss < 0.5 * losses[0], `held-out loss ${heldOutLoss}`);
  optimizer.dispose();
  tf.dispose([train.x, heldOut.x]);
  model.dispose();
});
