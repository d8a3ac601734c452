/**
 * The model ops with skelact's native kernels on: where products are native, linear's and
 * attention's backward passes use transposed matMuls directly and temporalConv's gradients run
 * the native Conv2DBackpropInput/Filter kernels; layerNorm runs one native kernel each way.
 * Values and gradients against the plain reference ops on the cpu backend; no leaks. Skipped with the reason without a built addon.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import * as ops from '../../src/models/ops.js';
import { referenceOps } from '../../src/models/ops.js';
import { registerNativeKernels } from '../../src/engine/native-kernels.js';
import { assertWasmMatchesCpu, initBackends, randomTensor, useBackend, valueAndGrads } from '../engine/backends.js';
import { recordKernelCalls } from '../engine/kernel-spy.js';
import { nativeLoad, nativeTest } from '../engine/native-test.js';

test.before(async () => {
  await initBackends();
  if (nativeLoad.addon) registerNativeKernels(nativeLoad.addon);
});

nativeTest(
  'linear on native kernels: values and gradients match the reference; the backward pass has no explicit transposes',
  (t) => {
    for (const [shape, cout, bias] of [
      [[2, 3, 4, 5], 6, true],
      [[7, 5], 3, false],
      [[1, 1], 1, true],
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
    const { calls } = recordKernelCalls('wasm', ['BatchMatMul', '_FusedMatMul', 'Transpose'], () =>
      tf.tidy(() => {
        tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.sum(ops.linear(x, w as tf.Tensor2D, b as tf.Tensor1D)),
        )([randomTensor([2, 3, 5], 1), randomTensor([5, 4], 2), randomTensor([4], 3)]);
      }),
    );
    t.deepEqual(
      calls.map((c) => [c.name, !!c.attrs.transposeA, !!c.attrs.transposeB]),
      [
        ['_FusedMatMul', false, false],
        ['BatchMatMul', false, true],
        ['BatchMatMul', true, false],
      ],
    );
  },
);

nativeTest(
  'temporalConv on native kernels: values and gradients match the reference (strides, groups, dilation, even kernels)',
  (t) => {
    const cases = [
      { T: 12, cin: 4, cout: 5, K: 7, stride: 1, groups: 1, dilation: 1, bias: true },
      { T: 12, cin: 4, cout: 6, K: 7, stride: 2, groups: 1, dilation: 1, bias: true },
      { T: 11, cin: 3, cout: 4, K: 3, stride: 3, groups: 1, dilation: 1, bias: false },
      { T: 12, cin: 8, cout: 8, K: 7, stride: 1, groups: 4, dilation: 1, bias: true },
      { T: 9, cin: 3, cout: 3, K: 4, stride: 1, groups: 1, dilation: 1, bias: false },
      { T: 13, cin: 3, cout: 2, K: 3, stride: 1, groups: 1, dilation: 2, bias: true },
      { T: 1, cin: 1, cout: 1, K: 1, stride: 1, groups: 1, dilation: 1, bias: true },
    ];
    cases.forEach((c, i) => {
      const make = () => [
        randomTensor([2, c.T, 3, c.cin], 10 + i),
        randomTensor([c.K, c.cin / c.groups, c.cout], 20 + i),
        ...(c.bias ? [randomTensor([c.cout], 30 + i)] : []),
      ];
      const opts = { stride: c.stride, groups: c.groups, dilation: c.dilation };
      // The reference takes no dilation: for the dilated case, the dilated filter written out with zeros.
      const reference = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => {
        const d = c.dilation;
        const [K, ci, co] = w.shape;
        const spread =
          d === 1
            ? w
            : tf.slice(
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
              );
        return referenceOps.temporalConv(x as tf.Tensor4D, spread as tf.Tensor3D, b as tf.Tensor1D | undefined, {
          stride: c.stride,
          groups: c.groups,
        });
      };
      assertWasmMatchesCpu(
        t,
        () =>
          valueAndGrads(
            (x, w, b) => ops.temporalConv(x as tf.Tensor4D, w as tf.Tensor3D, b as tf.Tensor1D | undefined, opts),
            make(),
          ),
        () => valueAndGrads(reference, make()),
        1e-4,
        `temporalConv ${JSON.stringify(c)}`,
      );
    });
  },
);

nativeTest(
  'windowAttention on native kernels: values and gradients match the reference, with dropout and broadcast bias',
  (t) => {
    const cases = [
      { W: 3, h: 2, N: 5, d: 3, bias: [1, 2, 5, 5], drop: 0 },
      { W: 3, h: 2, N: 5, d: 6, bias: [3, 2, 5, 5], drop: 0.5 },
      { W: 4, h: 1, N: 3, d: 1, bias: [1, 1, 1, 3], drop: 0.5 }, // bias not over whole maps: tfjs's softmax
      { W: 2, h: 3, N: 9, d: 4, bias: [9, 9], drop: 0 }, // rank-2 bias
      { W: 5, h: 2, N: 1, d: 2, bias: [5, 2, 1, 1], drop: 0 }, // one token per window
    ];
    cases.forEach((c, i) => {
      const make = () => [
        randomTensor([c.W, c.h, c.N, c.d], 10 + i),
        randomTensor([c.W, c.h, c.N, c.d], 20 + i),
        randomTensor([c.W, c.h, c.N, c.d], 30 + i),
        randomTensor(c.bias, 40 + i),
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
    // The native softmax forward and backward are what ran on wasm (not tfjs's Softmax, Add, Sub).
    useBackend('wasm');
    const { calls } = recordKernelCalls('wasm', ['SkelactBiasSoftmax', 'SkelactSoftmaxGrad', 'Softmax'], () =>
      tf.tidy(() =>
        valueAndGrads(attend3, [
          randomTensor([2, 2, 4, 3], 1),
          randomTensor([2, 2, 4, 3], 2),
          randomTensor([2, 2, 4, 3], 3),
          randomTensor([1, 2, 4, 4], 4),
        ]).forEach((x) => x.dataSync()),
      ),
    );
    t.deepEqual(
      calls.map((c) => c.name).sort(),
      ['SkelactBiasSoftmax', 'SkelactBiasSoftmax', 'SkelactSoftmaxGrad'],
      'two forward passes (value, then under grads), one backward',
    );
  },
);

const attend3 = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, b?: tf.Tensor) =>
  ops.windowAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, 0.7, b);

nativeTest(
  'layerNorm on native kernels: values and gradients (x, gamma, beta) match the reference on cpu; one kernel each way',
  (t) => {
    for (const shape of [
      [2, 3, 5],
      [1, 7],
      [4, 1],
      [3, 2, 192],
      [2, 1, 1, 33],
    ]) {
      const C = shape[shape.length - 1];
      const make = () => [
        tf.add(tf.mul(randomTensor(shape, 1), 3), 0.5), // off-centre, so a missing mean would show
        randomTensor([C], 2),
        randomTensor([C], 3),
      ];
      const f = (fn: typeof ops.layerNorm) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        fn(x, g as tf.Tensor1D, b as tf.Tensor1D);
      assertWasmMatchesCpu(
        t,
        () => valueAndGrads(f(ops.layerNorm), make()),
        () => valueAndGrads(f(referenceOps.layerNorm), make()),
        1e-4,
        `layerNorm ${shape}`,
      );
    }
    useBackend('wasm');
    const { calls } = recordKernelCalls('wasm', ['SkelactLayerNorm', 'SkelactLayerNormGrad', 'Mean', 'Sum'], () =>
      tf.tidy(() =>
        valueAndGrads(
          (x, g, b) => ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D),
          [randomTensor([2, 3, 4], 1), randomTensor([4], 2), randomTensor([4], 3)],
        ).forEach((x) => x.dataSync()),
      ),
    );
    t.deepEqual(
      calls.map((c) => c.name),
      ['SkelactLayerNorm', 'SkelactLayerNorm', 'Sum', 'SkelactLayerNormGrad'],
      'two forward passes (value, then under grads), then the loss of the test (Sum), one backward',
    );
  },
);

nativeTest('no tensors leak over training steps with native kernels', (t) => {
  useBackend('wasm');
  const step = () =>
    tf.tidy(() => {
      const x = randomTensor([2, 8, 3, 4], 1) as tf.Tensor4D;
      const cw = tf.variable(randomTensor([3, 4, 4], 3));
      const w = tf.variable(randomTensor([4, 5], 2));
      const { value, grads } = tf.variableGrads(() => {
        const h = ops.linear(
          ops.temporalConv(x, cw as unknown as tf.Tensor3D, undefined, { stride: 2 }),
          w as unknown as tf.Tensor2D,
        );
        const q = tf.reshape(h, [4, 2, 3, 5]) as tf.Tensor4D;
        return tf.sum(ops.windowAttention(q, q, q, 0.5, undefined, 0.5, 9)) as tf.Scalar;
      });
      tf.dispose([value, ...Object.values(grads), cw, w]);
    });
  step();
  const before = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  for (let i = 0; i < 4; i++) step();
  t.is(tf.memory().numTensors, before);
  t.is(tf.memory().numBytes, bytes);
});
