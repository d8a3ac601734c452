/**
 * The fast ops of src/models/ops.ts against their plain references: the fast op runs on wasm
 * (with skelact's kernels), the reference on the cpu backend; forward values and gradients
 * must agree to float rounding.
 */
import test from 'ava';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import * as ops from '../../src/models/ops.js';
import { referenceOps } from '../../src/models/ops.js';
import { Rng } from '../../src/core/random.js';
import { dropoutMultiplier } from '../../src/engine/seeded-random.js';
import {
  assertWasmMatchesCpu,
  initBackends,
  randomTensor,
  relativeError,
  runOn,
  useBackend,
  valueAndGrads,
} from '../engine/backends.js';
import { recordKernelCalls } from '../engine/kernel-spy.js';

test.before(async () => {
  await initBackends();
});

test.serial(
  'linear: values and gradients of x, w, b match the reference; the backward pass uses only untransposed 2D matMuls',
  (t) => {
    for (const [shape, cout, bias] of [
      [[2, 3, 4, 5], 6, true],
      [[7, 5], 3, false],
      [[2, 1, 8], 4, true],
    ] as Array<[number[], number, boolean]>) {
      const cin = shape[shape.length - 1];
      const make = () => [
        randomTensor(shape, 1),
        randomTensor([cin, cout], 2),
        ...(bias ? [randomTensor([cout], 3)] : []),
      ];
      assertWasmMatchesCpu(
        t,
        () => valueAndGrads((x, w, b) => ops.linear(x, w as tf.Tensor2D, b as tf.Tensor1D | undefined), make()),
        () =>
          valueAndGrads((x, w, b) => referenceOps.linear(x, w as tf.Tensor2D, b as tf.Tensor1D | undefined), make()),
        1e-5,
        `linear ${shape} → ${cout}`,
      );
    }
    useBackend('wasm');
    const { calls } = recordKernelCalls('wasm', ['BatchMatMul', '_FusedMatMul'], () =>
      tf.tidy(() => {
        tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.sum(ops.linear(x, w as tf.Tensor2D, b as tf.Tensor1D)),
        )([randomTensor([2, 3, 5], 1), randomTensor([5, 4], 2), randomTensor([4], 3)]);
      }),
    );
    t.is(calls.length, 3, 'forward, dx and dw');
    t.is(calls.filter((c) => c.name === '_FusedMatMul').length, 1, 'the forward adds its bias inside the matMul');
    for (const c of calls) {
      t.false(!!c.attrs.transposeA || !!c.attrs.transposeB, 'no transposed matMul');
      // (tf.fused.matMul hands the kernel [1, M, K] · [1, K, N]: a batch of one is XNNPACK's fast path too)
      t.true(
        c.inputShapes.slice(0, 2).every((s) => s.slice(0, -2).every((d) => d === 1)),
        'no batched matMul',
      );
    }
  },
);

interface ConvCase {
  T: number;
  cin: number;
  cout: number;
  K: number;
  stride?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

/** The reference for any dilation: an undilated conv with the dilated filter written out (zeros between taps). */
function referenceConv(x: tf.Tensor4D, w: tf.Tensor3D, b: tf.Tensor1D | undefined, c: ConvCase): tf.Tensor4D {
  const d = c.dilation ?? 1;
  const [K, ci, co] = w.shape;
  const spread =
    d === 1
      ? w
      : (tf.slice(
          tf.reshape(
            tf.pad(tf.reshape(w, [K, 1, ci, co]), [
              [0, 0],
              [0, d - 1],
              [0, 0],
              [0, 0],
            ]),
            [K * d, ci, co],
          ),
          0,
          (K - 1) * d + 1,
        ) as tf.Tensor3D);
  return referenceOps.temporalConv(x, spread, b, { stride: c.stride, groups: c.groups });
}

/** Runs the op on wasm and the reference on cpu; returns the outputs' shape mismatches and relative errors. */
function compareConv(c: ConvCase, seed: number): { shapesMatch: boolean; errors: number[] } {
  const groups = c.groups ?? 1;
  const make = () => [
    randomTensor([2, c.T, 3, c.cin], seed),
    randomTensor([c.K, c.cin / groups, c.cout], seed + 1),
    ...(c.bias ? [randomTensor([c.cout], seed + 2)] : []),
  ];
  const opts = { stride: c.stride, dilation: c.dilation, groups: c.groups };
  const wasm = runOn('wasm', () =>
    valueAndGrads(
      (x, w, b) => ops.temporalConv(x as tf.Tensor4D, w as tf.Tensor3D, b as tf.Tensor1D | undefined, opts),
      make(),
      seed + 3,
    ),
  );
  const cpu = runOn('cpu', () =>
    valueAndGrads(
      (x, w, b) => referenceConv(x as tf.Tensor4D, w as tf.Tensor3D, b as tf.Tensor1D | undefined, c),
      make(),
      seed + 3,
    ),
  );
  return {
    shapesMatch: wasm.length === cpu.length && wasm.every((v, i) => v.shape.join() === cpu[i].shape.join()),
    errors: wasm.map((v, i) => relativeError(v.values, cpu[i].values)),
  };
}

function checkConv(t: import('ava').ExecutionContext, c: ConvCase, seed: number): void {
  const { shapesMatch, errors } = compareConv(c, seed);
  t.true(shapesMatch, `temporalConv ${JSON.stringify(c)}: shapes`);
  errors.forEach((e, i) => t.true(e <= 1e-4, `temporalConv ${JSON.stringify(c)}: output ${i} relative error ${e}`));
}

test.serial(
  'temporalConv: values and gradients match the reference for strides, dilations, groups and even kernels',
  (t) => {
    const cases: ConvCase[] = [
      { T: 12, cin: 4, cout: 5, K: 7, bias: true },
      { T: 12, cin: 4, cout: 6, K: 7, stride: 2, bias: true },
      { T: 11, cin: 3, cout: 4, K: 3, stride: 3 },
      { T: 12, cin: 8, cout: 8, K: 7, groups: 4, bias: true }, // SkateFormer's T-Conv shape, scaled down
      { T: 10, cin: 6, cout: 4, K: 3, groups: 2, stride: 2 },
      { T: 13, cin: 3, cout: 2, K: 3, dilation: 2, bias: true },
      { T: 14, cin: 4, cout: 4, K: 3, dilation: 3, groups: 2 },
      { T: 13, cin: 2, cout: 3, K: 3, dilation: 2, stride: 2, bias: true },
      { T: 9, cin: 3, cout: 3, K: 4 }, // even kernel: one more frame of padding after than before
      { T: 8, cin: 5, cout: 2, K: 1, bias: true },
    ];
    cases.forEach((c, i) => checkConv(t, c, 100 + 10 * i));
  },
);

test.serial('temporalConv: random configurations match the reference', (t) => {
  fc.assert(
    fc.property(
      fc.record({
        K: fc.integer({ min: 1, max: 5 }),
        stride: fc.integer({ min: 1, max: 3 }),
        dilation: fc.integer({ min: 1, max: 2 }),
        groups: fc.constantFrom(1, 2),
        T: fc.integer({ min: 6, max: 12 }),
        bias: fc.boolean(),
      }),
      (r) => {
        const { shapesMatch, errors } = compareConv({ ...r, cin: 2 * r.groups, cout: 2 * r.groups }, 7);
        return shapesMatch && errors.every((e) => e <= 1e-4);
      },
    ),
    { numRuns: 25 },
  );
  t.pass();
});

test.serial(
  'gatherAxis: permutations, repeated selections and tables gathered many times match tf.gather, without UnsortedSegmentSum',
  (t) => {
    const cases: Array<{ shape: number[]; axis: number; indices: number[] }> = [
      { shape: [2, 5, 3], axis: 1, indices: [3, 0, 4, 1, 2] }, // permutation
      { shape: [2, 5, 3], axis: -2, indices: [4, 4, 0, 2] }, // selection, repeats ≤ 8, negative axis
      { shape: [6], axis: 0, indices: Array.from({ length: 40 }, (_, i) => (i * 7) % 3) }, // 3 entries used ~13 times: one-hot
      { shape: [3, 4], axis: 0, indices: [2, 2, 2, 1] },
      { shape: [2, 3, 4], axis: 2, indices: [3, 2, 1, 0] },
    ];
    for (const c of cases) {
      const idx = Int32Array.from(c.indices);
      assertWasmMatchesCpu(
        t,
        () => valueAndGrads((x) => ops.gatherAxis(x, idx, c.axis), [randomTensor(c.shape, 5)]),
        () => valueAndGrads((x) => referenceOps.gatherAxis(x, idx, c.axis), [randomTensor(c.shape, 5)]),
        1e-6,
        `gatherAxis ${JSON.stringify(c)}`,
      );
      useBackend('wasm');
      const { calls } = recordKernelCalls('wasm', ['UnsortedSegmentSum'], () =>
        tf.tidy(() => void valueAndGrads((x) => ops.gatherAxis(x, idx, c.axis), [randomTensor(c.shape, 5)])),
      );
      t.is(calls.length, 0);
    }
    t.throws(() => ops.gatherAxis(tf.zeros([3]), Int32Array.from([0, 3]), 0), { message: /outside \[0, 3\)/ });
  },
);

test.serial('gatherAxis: random index tables match tf.gather', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 2 }),
      (indices, axis) => {
        const shape = [3, 3, 3];
        shape[axis] = 6;
        const idx = Int32Array.from(indices);
        const [w] = [runOn('wasm', () => valueAndGrads((x) => ops.gatherAxis(x, idx, axis), [randomTensor(shape, 3)]))];
        const c = runOn('cpu', () =>
          valueAndGrads((x) => referenceOps.gatherAxis(x, idx, axis), [randomTensor(shape, 3)]),
        );
        return w.every((v, i) => relativeError(v.values, c[i].values) < 1e-6);
      },
    ),
    { numRuns: 40 },
  );
  t.pass();
});

test.serial(
  'windowAttention: values and gradients of q, k, v and bias match the reference, with and without dropout',
  (t) => {
    const cases = [
      { W: 3, h: 2, N: 5, d: 3, bias: [1, 2, 5, 5], drop: 0 },
      { W: 3, h: 2, N: 5, d: 6, bias: [3, 2, 5, 5], drop: 0.5 },
      { W: 2, h: 4, N: 4, d: 3, bias: [4, 4, 4], drop: 0 },
      { W: 2, h: 2, N: 6, d: 18, bias: undefined, drop: 0.3 }, // head dim above the broadcast threshold: batched matMul
      { W: 2, h: 2, N: 6, d: 9, bias: [2, 1, 6, 6], drop: 0 }, // products summed in groups
      { W: 4, h: 1, N: 3, d: 1, bias: [1, 1, 1, 3], drop: 0.5 },
    ];
    cases.forEach((c, i) => {
      const make = () => [
        randomTensor([c.W, c.h, c.N, c.d], 10 + i),
        randomTensor([c.W, c.h, c.N, c.d], 20 + i),
        randomTensor([c.W, c.h, c.N, c.d], 30 + i),
        ...(c.bias ? [randomTensor(c.bias, 40 + i)] : []),
      ];
      const attend = (f: typeof ops.windowAttention) => (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, b?: tf.Tensor) =>
        f(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, 0.7, b, c.drop, 1234 + i);
      assertWasmMatchesCpu(
        t,
        () => valueAndGrads(attend(ops.windowAttention), make()),
        () => valueAndGrads(attend(referenceOps.windowAttention), make()),
        1e-4,
        `windowAttention ${JSON.stringify(c)}`,
      );
    });
  },
);

test.serial('windowAttention with head dim 3 runs q·kᵀ and dO·vᵀ without the batched matMul', (t) => {
  useBackend('wasm');
  const { calls } = recordKernelCalls('wasm', ['BatchMatMul', '_FusedMatMul'], () =>
    tf.tidy(() => {
      const mk = (s: number) => randomTensor([4, 2, 8, 3], s) as tf.Tensor4D;
      const dy = randomTensor([4, 2, 8, 3], 4);
      tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
        tf.sum(tf.mul(ops.windowAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, 0.5), dy)),
      )([mk(1), mk(2), mk(3)]);
    }),
  );
  // P·v forward, then Pᵀ·dO and dS·k and dSᵀ·q backward: all with an N-wide inner dimension.
  t.is(calls.length, 4);
  t.true(calls.every((c) => !c.attrs.transposeB));
});

test.serial(
  'layerNorm, gelu and batchNorm: values and gradients match the reference; batch statistics update alike',
  (t) => {
    const make = () => [randomTensor([2, 3, 4, 6], 1), randomTensor([6], 2), randomTensor([6], 3)];
    assertWasmMatchesCpu(
      t,
      () => valueAndGrads((x, g, b) => ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D), make()),
      () => valueAndGrads((x, g, b) => referenceOps.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D), make()),
      1e-4,
      'layerNorm',
    );
    const make2d = () => [tf.mul(randomTensor([9, 5], 11), 4), randomTensor([5], 12), randomTensor([5], 13)];
    assertWasmMatchesCpu(
      t,
      () => valueAndGrads((x, g, b) => ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3), make2d()),
      () => valueAndGrads((x, g, b) => referenceOps.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3), make2d()),
      1e-4,
      'layerNorm 2D',
    );
    assertWasmMatchesCpu(
      t,
      () => valueAndGrads((x) => ops.gelu(tf.mul(x, 3)), [randomTensor([5, 7], 4)]),
      () => valueAndGrads((x) => referenceOps.gelu(tf.mul(x, 3)), [randomTensor([5, 7], 4)]),
      1e-5,
      'gelu',
    );
    const bn =
      (f: typeof ops.batchNorm, shape = [2, 3, 4, 6]) =>
      () => {
        const state = {
          gamma: tf.variable(randomTensor([6], 5)),
          beta: tf.variable(randomTensor([6], 6)),
          movingMean: tf.variable(tf.zeros([6])),
          movingVariance: tf.variable(tf.ones([6])),
        };
        const out = valueAndGrads(
          (x, g, b) => f(x, { ...state, gamma: g as tf.Variable, beta: b as tf.Variable }, true),
          [tf.add(tf.mul(randomTensor(shape, 7), 3), 1), state.gamma, state.beta],
        );
        const stats = [
          tf.clone(state.movingMean),
          tf.clone(state.movingVariance),
          f(randomTensor(shape, 8), state, false),
        ];
        tf.dispose(Object.values(state));
        return [...out, ...stats];
      };
    assertWasmMatchesCpu(t, bn(ops.batchNorm), bn(referenceOps.batchNorm), 1e-4, 'batchNorm');
    assertWasmMatchesCpu(t, bn(ops.batchNorm, [10, 6]), bn(referenceOps.batchNorm, [10, 6]), 1e-4, 'batchNorm 2D');
  },
);

test.serial(
  'dropout draws exactly the reference mask (one Rng.next() per element), and its gradient is that mask',
  (t) => {
    for (const [rate, seed] of [
      [0.5, 7],
      [0.1, 123456],
      [0.9, 0],
    ]) {
      const w = runOn('wasm', () => valueAndGrads((x) => ops.dropout(x, rate, seed), [randomTensor([64, 33], 1)]));
      const r = runOn('wasm', () =>
        valueAndGrads((x) => referenceOps.dropout(x, rate, seed), [randomTensor([64, 33], 1)]),
      );
      w.forEach((v, i) =>
        t.deepEqual(Array.from(v.values), Array.from(r[i].values), `rate ${rate} seed ${seed} output ${i}`),
      );
      const kept = w[0].values.filter((v) => v !== 0).length / w[0].values.length;
      t.true(Math.abs(kept - (1 - rate)) < 0.05, `kept fraction ${kept}`);
    }
    const c = runOn('cpu', () => ops.dropout(randomTensor([10, 10], 2), 0.5, 3));
    const cr = runOn('cpu', () => referenceOps.dropout(randomTensor([10, 10], 2), 0.5, 3));
    t.deepEqual(Array.from(c[0].values), Array.from(cr[0].values));
    t.is(runOn('wasm', () => ops.dropout(tf.ones([3]), 0, 1))[0].values.join(), '1,1,1');
  },
);

test('Rng.fillDropoutMask equals a naive loop over Rng.next(), keeps about 1 − rate, and differs between seeds', (t) => {
  for (const rate of [0.5, 0.1, 0.3, 0.9, 1e-3]) {
    for (const seed of [0, 1, 987654321]) {
      const fast = new Float32Array(2000);
      new Rng(seed).fillDropoutMask(fast, rate);
      const rng = new Rng(seed);
      const naive = Float32Array.from({ length: 2000 }, () => (rng.next() >= rate ? 1 / (1 - rate) : 0));
      t.deepEqual(Array.from(fast), Array.from(naive), `rate ${rate} seed ${seed}`);
      const kept = fast.filter((v) => v !== 0).length / fast.length;
      t.true(Math.abs(kept - (1 - rate)) < 0.05, `rate ${rate}: kept share ${kept}`);
    }
  }
  const a = dropoutMultiplier(100, 0.5, 1);
  const b = dropoutMultiplier(100, 0.5, 2);
  t.notDeepEqual(Array.from(a), Array.from(b));
});

test.serial('dropPath matches the reference', (t) => {
  assertWasmMatchesCpu(
    t,
    () => valueAndGrads((x) => ops.dropPath(x, 0.4, 5), [randomTensor([6, 2, 3], 1)]),
    () => valueAndGrads((x) => referenceOps.dropPath(x, 0.4, 5), [randomTensor([6, 2, 3], 1)]),
    1e-6,
    'dropPath',
  );
});

test.serial('no op leaks tensors over repeated forward and backward passes', (t) => {
  useBackend('wasm');
  const idx = Int32Array.from([2, 0, 1, 1]);
  const perm = Int32Array.from([1, 2, 0]);
  const step = () =>
    tf.tidy(() => {
      const x = randomTensor([2, 8, 3, 4], 1) as tf.Tensor4D;
      const w = tf.variable(randomTensor([4, 5], 2), true, undefined);
      const cw = tf.variable(randomTensor([3, 2, 4], 3));
      const cb = tf.variable(randomTensor([4], 4));
      const g = tf.variable(tf.ones([4]));
      const be = tf.variable(tf.zeros([4]));
      const state = {
        gamma: g,
        beta: be,
        movingMean: tf.variable(tf.zeros([4])),
        movingVariance: tf.variable(tf.ones([4])),
      };
      const { value, grads } = tf.variableGrads(() => {
        let h = ops.temporalConv(x, cw as unknown as tf.Tensor3D, cb as unknown as tf.Tensor1D, {
          groups: 2,
          stride: 2,
        });
        h = ops.batchNorm(h, state, true) as tf.Tensor4D;
        h = ops.gatherAxis(ops.gatherAxis(h, perm, 2), idx, 2) as tf.Tensor4D;
        const y = ops.gelu(
          ops.linear(
            ops.layerNorm(h, g as unknown as tf.Tensor1D, be as unknown as tf.Tensor1D),
            w as unknown as tf.Tensor2D,
          ),
        );
        const q = tf.reshape(ops.dropout(y, 0.2, 3), [4, 2, 4, 5]) as tf.Tensor4D;
        const a = ops.windowAttention(q, q, q, 0.5, tf.zeros([1, 2, 4, 4]), 0.5, 9);
        return tf.sum(ops.dropPath(a, 0.3, 4)) as tf.Scalar;
      });
      tf.dispose([value, ...Object.values(grads), w, cw, cb, g, be, state.movingMean, state.movingVariance]);
    });
  step(); // caches index tables and masks
  const before = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  for (let i = 0; i < 4; i++) step();
  t.is(tf.memory().numTensors, before);
  t.is(tf.memory().numBytes, bytes);
});
