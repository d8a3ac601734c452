/**
 * ST-GCN baseline: config validation, shapes on every layout, the graph convolution against a
 * plain loop, parameter counts against a formula written from the paper's layer list,
 * per-person processing, wasm against the cpu reference backend, gradients, checkpointing,
 * determinism, tensor leaks and a small learning problem. Runs on wasm.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend.js';
import { LAYOUT_NAMES, getLayout, jointIndex, spatialPartition, type DenseMatrix } from '../../src/graph/index.js';
import {
  STGCN_PRESETS,
  STGCN_PRESET_NAMES,
  createStgcn,
  graphConv,
  parseStgcnConfig,
  stgcnPreset,
  type StgcnConfigInput,
} from '../../src/models/stgcn/index.js';
import { subsampleFrames } from '../../src/models/stgcn/layers.js';
import type { ModelOutput, SkeletonModel } from '../../src/models/types.js';
import { prng } from '../helpers/prng.js';

await initBackend('wasm');

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);
}

// ---------------------------------------------------------------------------------------------
// Config

test.serial('presets parse and a parsed config parses to itself', (t) => {
  for (const name of STGCN_PRESET_NAMES) {
    const config = stgcnPreset(name, { layout: 'ntu-25', classes: 60 });
    t.deepEqual(parseStgcnConfig(JSON.parse(JSON.stringify(config))), config);
    t.is(config.persons, 2);
    t.is(config.temporalKernel, 9);
  }
  t.deepEqual(
    STGCN_PRESETS.standard.blocks!.map((b) => `${b.channels}${b.stride === 2 ? 's2' : ''}`),
    ['64', '64', '64', '64', '128s2', '128', '128', '256s2', '256', '256'],
  );
});

test.serial('config errors name the field', (t) => {
  const base = { layout: 'ntu-25', classes: 10, blocks: [{ channels: 8 }] };
  const cases: Array<[unknown, string]> = [
    [{ ...base, blocks: [{ channels: 8 }, { channels: 16, stride: 3 }] }, "'blocks.1.stride'"],
    [{ ...base, temporalKernel: 4 }, "'temporalKernel'"],
    [{ ...base, layout: 'ntu-24' }, "'layout'"],
    [{ ...base, width: 2 }, 'width'],
    [{ ...base, blocks: [{ channels: 8, kernel: 3 }] }, "'blocks.0'"],
    [{ ...base, graph: 'learned' }, "'graph'"],
    [{ layout: 'ntu-25', blocks: [{ channels: 8 }] }, "'classes'"],
  ];
  for (const [raw, field] of cases) {
    const error = t.throws(() => parseStgcnConfig(raw));
    t.true(error!.message.includes(field), `${error!.message} should name ${field}`);
    t.true(error!.message.startsWith('stgcn config'));
  }
  t.throws(() => stgcnPreset('huge' as 'tiny', { layout: 'ntu-25', classes: 3 }), { message: /preset/ });
});

// ---------------------------------------------------------------------------------------------
// Graph convolution

/** y[n,t,u,o] = Σ_k Σ_v Σ_c a[k][u][v] · x[n,t,v,c] · w[k·C + c][o], as plain loops. */
function naiveGraphConv(
  x: Float32Array,
  dims: [number, number, number, number],
  a: readonly DenseMatrix[],
  w: Float32Array,
  cout: number,
): Float32Array {
  const [N, T, V, C] = dims;
  const K = a.length;
  const y = new Float32Array(N * T * V * cout);
  for (let n = 0; n < N; n++)
    for (let t = 0; t < T; t++)
      for (let u = 0; u < V; u++)
        for (let o = 0; o < cout; o++) {
          let s = 0;
          for (let k = 0; k < K; k++)
            for (let v = 0; v < V; v++) {
              if (a[k][u][v] === 0) continue;
              for (let c = 0; c < C; c++)
                s += a[k][u][v] * x[((n * T + t) * V + v) * C + c] * w[(k * C + c) * cout + o];
            }
          y[((n * T + t) * V + u) * cout + o] = s;
        }
  return y;
}

test.serial('graph conv equals a plain loop over partitions, joints and channels', (t) => {
  for (const layoutName of ['kinect-20', 'coco-17'] as const) {
    const { self, inward, outward } = spatialPartition(getLayout(layoutName));
    const r = prng(3);
    // Learned mask / additive part: perturb every entry so orientation mistakes show.
    const a = [self, inward, outward].map((m) =>
      m.map((row) => row.map((value) => value * (0.5 + r()) + 0.1 * (r() - 0.5))),
    );
    const V = a[0].length;
    const dims: [number, number, number, number] = [2, 3, V, 4];
    const cout = 5;
    const x = randomArray(
      dims.reduce((p, q) => p * q, 1),
      11,
    );
    const w = randomArray(3 * dims[3] * cout, 12);
    const got = tf.tidy(() =>
      graphConv(
        tf.tensor4d(x, dims),
        tf.tensor3d(a.flat(2), [3, V, V]),
        tf.tensor2d(w, [3 * dims[3], cout]),
      ).dataSync(),
    );
    const want = naiveGraphConv(x, dims, a, w, cout);
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    t.true(maxDiff < 1e-4, `${layoutName}: max |diff| ${maxDiff}`);
  }
});

test.serial('graph conv orientation: the inward partition carries a child joint to its parent', (t) => {
  const layout = getLayout('ntu-25');
  const { self, inward, outward } = spatialPartition(layout);
  const V = layout.numJoints;
  const elbow = jointIndex(layout, 'ElbowLeft');
  const shoulder = jointIndex(layout, 'ShoulderLeft');
  const x = new Float32Array(V);
  x[elbow] = 1;
  // One channel in, one channel out per partition: w selects the inward partition only.
  const out = tf.tidy(() =>
    graphConv(
      tf.tensor4d(x, [1, 1, V, 1]),
      tf.tensor3d([self, inward, outward].flat(2), [3, V, V]),
      tf.tensor2d([0, 1, 0], [3, 1]),
    ).dataSync(),
  );
  const nonzero = [...out.keys()].filter((v) => out[v] !== 0);
  t.deepEqual(nonzero, [shoulder]);
});

test.serial('frame subsampling keeps frames 0, s, 2s, … as a strided 1×1 conv does', (t) => {
  const x = randomArray(2 * 7 * 3 * 2, 5);
  const got = tf.tidy(() => subsampleFrames(tf.tensor4d(x, [2, 7, 3, 2]), 2).arraySync());
  t.deepEqual([got.length, got[0].length], [2, 4]);
  const want = tf.tidy(() =>
    tf
      .conv2d(tf.tensor4d(x, [2, 7, 3, 2]), tf.eye(2).reshape([1, 1, 2, 2]) as tf.Tensor4D, [2, 1], 'valid')
      .arraySync(),
  );
  t.deepEqual(got, want);
});

// ---------------------------------------------------------------------------------------------
// Model structure

/** ST-GCN's trainable values from its layer list: data BN, per block gcn (3 partitions + edge mask), BNs, 9×1 conv, projection shortcut; fc. */
function expectedParameters(
  J: number,
  C: number,
  blocks: ReadonlyArray<{ channels: number; stride?: number }>,
  classes: number,
): number {
  let n = 2 * J * C;
  let cin = C;
  blocks.forEach((b, i) => {
    const cout = b.channels;
    n += 3 * cin * cout + 3 * J * J + 2 * cout; // graph conv + BN
    n += 9 * cout * cout + 2 * cout; // temporal conv + BN
    if (i > 0 && (cin !== cout || (b.stride ?? 1) !== 1)) n += cin * cout + 2 * cout;
    cin = cout;
  });
  return n + cin * classes + classes;
}

test.serial('forward shapes for each preset on every layout; parameter counts follow the layer list', (t) => {
  const counts: string[] = [];
  for (const preset of STGCN_PRESET_NAMES) {
    for (const layoutName of LAYOUT_NAMES) {
      const J = getLayout(layoutName).numJoints;
      const model = createStgcn(stgcnPreset(preset, { layout: layoutName, classes: 7, frames: 12 }), 1);
      const blocks = STGCN_PRESETS[preset].blocks!;
      const strides = blocks.filter((b) => b.stride === 2).length;
      const D = blocks[blocks.length - 1].channels;
      const out = tf.tidy(() => {
        const o = model.forward({ x: tf.randomNormal([3, 12, 2 * J, 3]) }, { training: false });
        return {
          logits: o.logits.shape,
          pooled: o.pooled.shape,
          features: o.features.shape,
          finite: tf.all(tf.isFinite(o.logits)).dataSync()[0],
        };
      });
      t.deepEqual(out.logits, [3, 7]);
      t.deepEqual(out.pooled, [3, D]);
      t.deepEqual(out.features, [3, Math.ceil(12 / 2 ** strides), 2 * J, D]);
      t.is(out.finite, 1);
      t.is(model.params.countTrainable(), expectedParameters(J, 3, blocks, 7));
      const stages = model.describe();
      t.is(
        stages.reduce((s, st) => s + st.parameters, 0),
        model.params.countTrainable(),
      );
      t.deepEqual(stages.at(-1), { name: 'fc', shape: [1, 7], parameters: D * 7 + 7 });
      if (layoutName === 'ntu-25') counts.push(`${preset}: ${model.params.countTrainable()}`);
      model.dispose();
    }
  }
  // ST-GCN on NTU (60 classes) is about 3.1M parameters (Yan et al. 2018).
  t.true(Math.abs(expectedParameters(25, 3, STGCN_PRESETS.standard.blocks!, 60) - 3.1e6) < 0.02e6);
  t.log(`parameters on ntu-25 with 7 classes: ${counts.join(', ')}`);
});

test.serial('wrong input shapes are refused with the expected shape', (t) => {
  const model = createStgcn(stgcnPreset('tiny', { layout: 'coco-17', classes: 3, persons: 1 }), 1);
  t.throws(
    () => tf.tidy(() => void model.forward({ x: tf.zeros([1, 8, 34, 3]) as tf.Tensor4D }, { training: false })),
    { message: /\[B, T, 1·17, 3\]/ },
  );
  model.dispose();
});

test.serial(
  'every person runs through the network alone: swapping persons swaps the features and keeps the scores',
  (t) => {
    const layout = getLayout('ntu-25');
    const J = layout.numJoints;
    const model = createStgcn(
      { layout: 'ntu-25', classes: 5, frames: 8, blocks: [{ channels: 8 }, { channels: 16, stride: 2 }] },
      4,
    );
    // Move the BN statistics away from the identity first, so inference mode is not trivial.
    tf.tidy(() => {
      model.forward(
        { x: tf.mul(tf.randomNormal([4, 8, 2 * J, 3], 0, 1, 'float32', 9), 2) as tf.Tensor4D },
        { training: true },
      );
    });
    const x = randomArray(2 * 8 * 2 * J * 3, 21);
    const swapped = new Float32Array(x.length);
    for (let b = 0; b < 2; b++)
      for (let f = 0; f < 8; f++)
        for (let p = 0; p < 2; p++) {
          const from = ((b * 8 + f) * 2 + p) * J * 3;
          const to = ((b * 8 + f) * 2 + (1 - p)) * J * 3;
          swapped.set(x.subarray(from, from + J * 3), to);
        }
    const [a, s] = [x, swapped].map((data) =>
      tf.tidy(() => {
        const o = model.forward({ x: tf.tensor4d(data, [2, 8, 2 * J, 3]) }, { training: false });
        return { logits: o.logits.arraySync(), features: o.features.arraySync() };
      }),
    );
    for (let b = 0; b < 2; b++) for (let c = 0; c < 5; c++) t.true(Math.abs(a.logits[b][c] - s.logits[b][c]) < 1e-4);
    t.true(Math.abs(a.logits[0][0] - a.logits[1][0]) > 1e-6, 'different clips give different scores');
    // Equal up to float32 rounding: OpenBLAS (native kernels) may round a row differently by its
    // position in the product; mixing persons would differ by far more than 1e-5.
    for (let f = 0; f < 4; f++)
      for (let j = 0; j < J; j++) {
        const p = a.features[1][f][j];
        const q = s.features[1][f][J + j];
        t.is(p.length, q.length);
        t.true(
          p.every((v: number, i: number) => Math.abs(v - q[i]) <= 1e-5 * Math.max(1, Math.abs(q[i]))),
          `frame ${f}, joint ${j}`,
        );
      }
    model.dispose();
  },
);

test.serial('scores on wasm equal those of the cpu reference backend (one and two persons, batch 32)', async (t) => {
  for (const persons of [1, 2]) {
    const x = randomArray(32 * 8 * persons * 25 * 3, 17 + persons);
    const scores: Float32Array[] = [];
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const model = createStgcn(
        { layout: 'ntu-25', classes: 5, persons, frames: 8, blocks: [{ channels: 8 }, { channels: 16, stride: 2 }] },
        4,
      );
      for (const training of [false, true])
        scores.push(
          tf.tidy(
            () =>
              model
                .forward({ x: tf.tensor4d(x, [32, 8, persons * 25, 3]) }, { training })
                .logits.dataSync() as Float32Array,
          ),
        );
      model.dispose();
    }
    await tf.setBackend('wasm');
    t.true(maxDiff(scores[0], scores[2]) < 1e-3, `${persons} person(s), inference: ${maxDiff(scores[0], scores[2])}`);
    t.true(maxDiff(scores[1], scores[3]) < 1e-3, `${persons} person(s), training: ${maxDiff(scores[1], scores[3])}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Determinism, gradients, leaks, learning

const small: StgcnConfigInput = {
  layout: 'ntu-25',
  classes: 4,
  persons: 2,
  frames: 8,
  blocks: [{ channels: 8 }, { channels: 16, stride: 2 }, { channels: 16 }],
  dropout: 0.3,
};

test.serial('same seed, same model and scores; another seed differs; dropout replays with the step seed', (t) => {
  const x = tf.tensor4d(randomArray(2 * 8 * 50 * 3, 8), [2, 8, 50, 3]);
  const logits = (seed: number, options: { training: boolean; seed?: number }) => {
    const model = createStgcn(small, seed);
    const out = tf.tidy(() => model.forward({ x }, options).logits.dataSync());
    model.dispose();
    return Array.from(out);
  };
  t.deepEqual(logits(5, { training: false }), logits(5, { training: false }));
  t.notDeepEqual(logits(5, { training: false }), logits(6, { training: false }));
  t.deepEqual(logits(5, { training: true, seed: 3 }), logits(5, { training: true, seed: 3 }));
  t.notDeepEqual(logits(5, { training: true, seed: 3 }), logits(5, { training: true, seed: 4 }));
  x.dispose();
});

test.serial('gradients reach every trainable parameter, and repeated steps leak no tensors', (t) => {
  for (const graph of ['importance', 'adaptive'] as const) {
    const model = createStgcn({ ...small, graph }, 2);
    const x = tf.randomNormal([2, 8, 50, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 4);
    const loss = (seed: number) =>
      tf.losses.softmaxCrossEntropy(labels, model.forward({ x }, { training: true, seed }).logits) as tf.Scalar;
    const trainable = model.params.trainable();
    const { value, grads } = tf.variableGrads(() => loss(1), trainable);
    const names = model.params.entries().filter(([i]) => i.trainable);
    t.is(Object.keys(grads).length, trainable.length);
    const dead = names.filter(([, v]) => {
      const g = grads[v.name];
      return !g || !(tf.tidy(() => tf.norm(g).dataSync()[0]) > 0);
    });
    t.deepEqual(
      dead.map(([i]) => i.name),
      [],
      `${graph}: parameters without gradient`,
    );
    tf.dispose([value, ...Object.values(grads)]);

    const optimizer = tf.train.adam(1e-3);
    const step = (seed: number) => optimizer.minimize(() => loss(seed), false, trainable);
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 2; i++) step(i);
    for (let i = 0; i < 2; i++) tf.tidy(() => void model.forward({ x }, { training: false }));
    t.is(tf.memory().numTensors, before, `${graph}: tensors leaked`);
    optimizer.dispose();
    tf.dispose([x, labels]);
    model.dispose();
  }
});

test.serial('checkpointed blocks give the same loss, gradients and BN statistics as kept intermediates', (t) => {
  const x = tf.randomNormal([2, 8, 50, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 4) as tf.Tensor2D;
  const run = (checkpoint: boolean) => {
    const model = createStgcn({ ...small, checkpoint }, 9);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.losses.softmaxCrossEntropy(labels, model.forward({ x }, { training: true, seed: 5 }).logits) as tf.Scalar,
      model.params.trainable(),
    );
    const named = model.params
      .entries()
      .map(([info, v]) => [info.name, Array.from((info.trainable ? grads[v.name] : v).dataSync())] as const);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
    return { loss, named };
  };
  const kept = run(false);
  const recomputed = run(true);
  t.true(Math.abs(kept.loss - recomputed.loss) < 1e-6);
  t.deepEqual(
    recomputed.named.map(([n]) => n),
    kept.named.map(([n]) => n),
  );
  const worst = kept.named.map(([n, g], i) => {
    const h = recomputed.named[i][1];
    const scale = Math.max(1e-6, ...g.map(Math.abs));
    return [n, Math.max(...g.map((v, j) => Math.abs(v - h[j]))) / scale] as const;
  });
  const bad = worst.filter(([, d]) => d > 1e-4);
  t.deepEqual(bad, [], 'gradients (and moving statistics) that differ');
  tf.dispose([x, labels]);
});

/**
 * A four-class toy problem: the whole body oscillates (1–2 cycles, random phase) along x, y,
 * z, or x and y together, with a fixed per-joint gain (so bones move too), over a per-sample
 * pose (fixed pose + 0.1 jitter per joint) with frame noise. [n, T, P·J, 3], person 0 only.
 */
function toyBatch(n: number, T: number, persons: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const J = getLayout('ntu-25').numJoints;
  const pose = randomArray(J * 3, 1234, 0.5);
  const gain = randomArray(J, 4321).map((v) => 0.6 + 0.4 * v);
  const r = prng(seed);
  const x = new Float32Array(n * T * persons * J * 3);
  const labels = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const label = b % 4;
    labels[b] = label;
    const phase = 2 * Math.PI * r();
    const freq = 1 + r();
    const jitter = randomArray(J * 3, seed * 1000 + b, 0.1);
    for (let f = 0; f < T; f++) {
      const offset = 0.3 * Math.sin(phase + (2 * Math.PI * freq * f) / T);
      for (let j = 0; j < J; j++)
        for (let c = 0; c < 3; c++) {
          const moving = label < 3 ? c === label : c !== 2;
          x[(((b * T + f) * persons + 0) * J + j) * 3 + c] =
            pose[j * 3 + c] + jitter[j * 3 + c] + (moving ? gain[j] * offset : 0) + 0.01 * (2 * r() - 1);
        }
    }
  }
  return { x, labels };
}

/**
 * 40 Adam steps (lr 0.01) cycling through four batches of 16 toy clips, then accuracy on 32
 * new clips, with batch statistics and in inference mode (moving statistics).
 */
function trainToy(
  model: SkeletonModel,
  T: number,
  lossOf: (o: ModelOutput, y: tf.Tensor2D) => tf.Scalar,
): { losses: number[]; batchStats: number; inference: number } {
  const batches = [1, 5, 7, 9].map((seed) => {
    const b = toyBatch(16, T, 1, seed);
    return { x: tf.tensor4d(b.x, [16, T, 25, 3]), y: tf.oneHot(tf.tensor1d(b.labels, 'int32'), 4) as tf.Tensor2D };
  });
  const optimizer = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) {
    const { x, y } = batches[step % batches.length];
    const cost = optimizer.minimize(
      () => lossOf(model.forward({ x }, { training: true, seed: step }), y),
      true,
      model.params.trainable(),
    )!;
    losses.push(cost.dataSync()[0]);
    cost.dispose();
  }
  const held = toyBatch(32, T, 1, 2);
  const accuracy = (training: boolean) =>
    tf.tidy(() => {
      const predicted = tf
        .argMax(model.forward({ x: tf.tensor4d(held.x, [32, T, 25, 3]) }, { training }).logits, 1)
        .dataSync();
      return predicted.filter((p, i) => p === held.labels[i]).length / held.labels.length;
    });
  const inference = accuracy(false);
  const batchStats = accuracy(true);
  optimizer.dispose();
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  return { losses, batchStats, inference };
}

test.serial('learns a small synthetic problem in a few dozen Adam steps', (t) => {
  const started = Date.now();
  const T = 8;
  const model = createStgcn(
    { layout: 'ntu-25', classes: 4, persons: 1, frames: T, blocks: [{ channels: 16 }, { channels: 16, stride: 2 }] },
    3,
  );
  const result = trainToy(model, T, (o, y) => tf.losses.softmaxCrossEntropy(y, o.logits) as tf.Scalar);
  t.log(
    `loss ${result.losses[0].toFixed(3)} → ${result.losses.at(-1)!.toFixed(3)}; held-out accuracy ${result.batchStats} (batch statistics), ${result.inference} (inference); ${((Date.now() - started) / 1000).toFixed(1)} s on ${tf.getBackend()}`,
  );
  t.true(result.losses.at(-1)! < 0.1 * result.losses[0]);
  t.true(result.batchStats >= 0.9);
  t.true(result.inference >= 0.75); // the moving BN statistics still lag a little after 40 steps
  model.dispose();
});
