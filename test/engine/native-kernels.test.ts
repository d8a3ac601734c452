/**
 * skelact's native (OpenBLAS) kernels on the wasm backend against the cpu reference backend,
 * forward and backward, on odd shapes: sizes 1, sizes that are not multiples of 8, broadcast
 * batch axes, every transpose combination, strided/dilated/padded convolutions (k×1 ones on the
 * phase-split path without im2col, others through im2col). Without a
 * built addon the tests are registered as skipped with the reason.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../../src/engine/native.js';
import {
  isNativeKernel,
  NATIVE_ADAMW,
  NATIVE_BIAS_SOFTMAX,
  NATIVE_GELU,
  NATIVE_GELU_GRAD,
  NATIVE_KERNEL_NAMES,
  NATIVE_SOFTMAX_GRAD,
  nativeKernelsActive,
  nativeSelfCheck,
  registerNativeKernels,
  unregisterNativeKernels,
} from '../../src/engine/native-kernels.js';
import { gelu } from '../../src/models/ops.js';
import { ParameterStore } from '../../src/models/params.js';
import { Optimizer } from '../../src/train/optimizer.js';
import { assertSameOnBackends, assertWasmMatchesCpu, initBackends, randomTensor } from './backends.js';
import { CONV_CASES, convAndGradients, framePadding, type ConvCase } from './conv-cases.js';
import { nativeLoad, nativeTest } from './native-test.js';

const addon = nativeLoad.addon;

test.before(async () => {
  await initBackends();
  if (addon) registerNativeKernels(addon);
});

test.after.always(() => {
  if (addon) registerNativeKernels(addon); // leave them on for the other tests of this file's process
});

nativeTest('the native kernels are registered on wasm, once', (t) => {
  t.true(nativeKernelsActive());
  const before = NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'wasm'));
  registerNativeKernels(addon!);
  NATIVE_KERNEL_NAMES.forEach((n, i) => t.is(tf.getKernel(n, 'wasm'), before[i], `${n} wrapped twice`));
  t.deepEqual([...NATIVE_KERNEL_NAMES].sort(), [
    'BatchMatMul',
    'Conv2D',
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'GatherV2',
    'Mean',
    'Sum',
    '_FusedMatMul',
  ]);
});

/** [aShape, bShape] before transposition: a is […, M, K], b is […, K, N]. */
const matMulShapes: Array<[number[], number[]]> = [
  [
    [1, 1],
    [1, 1],
  ],
  [
    [5, 7],
    [7, 3],
  ],
  [
    [1, 9],
    [9, 1],
  ],
  [
    [3, 13, 17],
    [3, 17, 11],
  ],
  [
    [4, 6, 5],
    [1, 5, 9],
  ], // broadcast b
  [
    [1, 6, 5],
    [4, 5, 9],
  ], // broadcast a
  [
    [2, 1, 3, 4],
    [1, 3, 4, 5],
  ], // broadcast on both sides
  [
    [2, 3, 4, 10],
    [10, 6],
  ], // rank 4 by rank 2
  [
    [33, 1],
    [1, 65],
  ], // K = 1
];

function swapLast(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  return tf.transpose(x, [...Array(r - 2).keys(), r - 1, r - 2]);
}

nativeTest(
  'BatchMatMul matches cpu forward and backward: every transpose combination, broadcast batches, sizes 1',
  (t) => {
    t.true(isNativeKernel('BatchMatMul'));
    matMulShapes.forEach(([as, bs], i) => {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          // The reference broadcasts explicitly: tfjs's cpu BatchMatMul indexes a broadcast batch
          // modulo the flattened batch size, which is wrong when both operands broadcast.
          const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(as.slice(0, -2), bs.slice(0, -2));
          const sameBatch = JSON.stringify(as.slice(0, -2)) === JSON.stringify(bs.slice(0, -2));
          const run = (explicit: boolean) => () => {
            const a0 = randomTensor(as, 100 + i);
            const b0 = randomTensor(bs, 200 + i);
            const a1 = explicit ? tf.broadcastTo(a0, [...batchShape, ...as.slice(-2)]) : a0;
            const b1 = explicit ? tf.broadcastTo(b0, [...batchShape, ...bs.slice(-2)]) : b0;
            const a = ta ? swapLast(a1) : a1;
            const b = tb ? swapLast(b1) : b1;
            const y = tf.matMul(a, b, ta, tb);
            const dy = randomTensor(y.shape, 300 + i);
            // tfjs-core's BatchMatMul gradient does not sum over broadcast batch axes (on any backend): forward only there.
            const grads = sameBatch
              ? tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), dy)))([a, b])
              : [];
            return [y, ...grads];
          };
          assertWasmMatchesCpu(
            t,
            run(false),
            run(true),
            1e-5,
            `shapes ${JSON.stringify([as, bs])} transposeA=${ta} transposeB=${tb}`,
          );
        }
      }
    });
  },
);

nativeTest('BatchMatMul with an empty dimension and a mismatched inner size behaves as on cpu', (t) => {
  assertSameOnBackends(t, () => tf.matMul(tf.zeros([2, 0, 3]), randomTensor([2, 3, 4], 1)), 0, 'M = 0');
  assertSameOnBackends(t, () => tf.matMul(tf.ones([2, 3, 0]), tf.ones([2, 0, 4])), 0, 'K = 0 gives zeros');
  t.throws(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 2])), { message: /inner shapes \(3\) and \(4\)/ });
});

nativeTest('_FusedMatMul (bias, activations) matches cpu forward and backward', (t) => {
  const activations: Array<'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'sigmoid'> = [
    'linear',
    'relu',
    'relu6',
    'elu',
    'leakyrelu',
    'sigmoid',
  ];
  t.true(isNativeKernel('_FusedMatMul'));
  activations.forEach((activation, i) => {
    for (const [ta, tb] of [
      [false, false],
      [true, true],
      [false, true],
    ] as const) {
      assertSameOnBackends(
        t,
        () => {
          const a0 = tf.mul(randomTensor([3, 13, 9], 10 + i), 4);
          const b0 = randomTensor([3, 9, 7], 20 + i);
          const a = ta ? swapLast(a0) : a0;
          const b = tb ? swapLast(b0) : b0;
          const bias = randomTensor([7], 30 + i);
          const f = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
            tf.fused.matMul({
              a: p as tf.Tensor3D,
              b: q as tf.Tensor3D,
              transposeA: ta,
              transposeB: tb,
              bias: c,
              activation,
              leakyreluAlpha: 0.3,
            });
          const y = f(a, b, bias);
          const dy = randomTensor(y.shape, 40 + i);
          return [
            y,
            ...tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(p, q, c), dy)))([a, b, bias]),
          ];
        },
        1e-5,
        `${activation} transposeA=${ta} transposeB=${tb}`,
      );
    }
  });
  // Scalar bias and no bias.
  assertSameOnBackends(
    t,
    () =>
      tf.fused.matMul({
        a: randomTensor([5, 3], 1) as tf.Tensor2D,
        b: randomTensor([3, 4], 2) as tf.Tensor2D,
        bias: tf.scalar(0.7),
        activation: 'relu',
      }),
    1e-5,
    'scalar bias',
  );
  assertSameOnBackends(
    t,
    () => tf.fused.matMul({ a: randomTensor([5, 3], 1) as tf.Tensor2D, b: randomTensor([3, 4], 2) as tf.Tensor2D }),
    1e-5,
    'no bias',
  );
});

const convCases: ConvCase[] = [
  { x: [1, 1, 1, 1], k: [1, 1], cout: 1, strides: [1, 1], pad: 'valid' },
  ...CONV_CASES,
  { x: [3, 6, 4, 5], k: [1, 1], cout: 9, strides: [1, 1], pad: 'valid' },
  { x: [2, 13, 3, 11], k: [3, 1], cout: 17, strides: [1, 1], dilations: [2, 1], pad: 'same' },
  // Frame-only convolutions (k×1) take the phase-split path without im2col: odd frame counts,
  // strides 2 and 3, taps that fall wholly outside the input, asymmetric and no padding
  {
    x: [3, 9, 5, 6],
    k: [7, 1],
    cout: 10,
    strides: [2, 1],
    pad: framePadding(3, 3),
  },
  {
    x: [1, 1, 4, 3],
    k: [7, 1],
    cout: 2,
    strides: [2, 1],
    pad: framePadding(3, 3),
  },
  { x: [2, 11, 3, 5], k: [5, 1], cout: 7, strides: [3, 1], pad: 'valid' },
  {
    x: [2, 10, 2, 4],
    k: [4, 1],
    cout: 3,
    strides: [2, 1],
    pad: framePadding(1, 2),
  },
  { x: [2, 12, 3, 4], k: [3, 1], cout: 5, strides: [2, 1], dilations: [1, 1], pad: 'same' },
];

nativeTest('Conv2D and its input and filter gradients match cpu (strides, dilations, paddings, 1×1, sizes 1)', (t) => {
  for (const name of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) t.true(isNativeKernel(name), name);
  convCases.forEach((c, i) => {
    assertSameOnBackends(t, () => convAndGradients(c, i), 1e-5, `case ${i} ${JSON.stringify(c)}`);
  });
});

nativeTest('the wasm heap growing inside a kernel (a large output) does not break the zero-copy views', (t) => {
  assertSameOnBackends(
    t,
    () => {
      const a = randomTensor([8, 300, 40], 1);
      const b = randomTensor([8, 40, 2000], 2); // 19 MB of output: more than the heap had spare
      return tf.sum(tf.matMul(a, b), 1);
    },
    1e-5,
  );
});

nativeTest('taking the native kernels off restores the kernels they wrapped', (t) => {
  const wrapped = tf.getKernel('BatchMatMul', 'wasm');
  unregisterNativeKernels();
  try {
    t.false(nativeKernelsActive());
    t.not(tf.getKernel('BatchMatMul', 'wasm'), wrapped);
    assertSameOnBackends(
      t,
      () => tf.matMul(randomTensor([2, 5, 3], 1), randomTensor([2, 3, 4], 2), false, false),
      1e-5,
      'stock',
    );
  } finally {
    registerNativeKernels(addon!);
  }
  t.true(nativeKernelsActive());
});

nativeTest('the start-up self-check passes on the real addon and catches one that computes wrong products', (t) => {
  t.is(nativeSelfCheck(addon!), null);
  const broken: NativeAddon = {
    ...addon!,
    gemm: (heap, ta, tb, m, n, k, ao, bo, co) => {
      addon!.gemm(heap, ta, tb, m, n, k, ao, bo, co);
      heap[co[0]] += 0.5; // one wrong element, as a miscompiled kernel might give
    },
  };
  t.regex(nativeSelfCheck(broken) ?? '', /differs from the stock kernel by 0\.5/);
});

nativeTest('the addon refuses operands outside the heap instead of writing there', (t) => {
  const heap = new Float32Array(16);
  t.throws(() => addon!.gemm(heap, false, false, 4, 4, 4, Uint32Array.of(0), Uint32Array.of(0), Uint32Array.of(8)), {
    message: /outside the heap/,
  });
  t.throws(() => addon!.conv2d(heap, 0, 0, 0, Int32Array.of(1, 4, 4, 1, 4, 4, 2, 1, 1, 1, 1, 1, 1, 0, 0)), {
    message: /outside the heap/,
  });
});

nativeTest(
  'Sum and Mean over a run of axes before the last match cpu (keepDims, negative axes, sizes 1, the pooling of [B, T, V, C]); other reductions are handed on',
  (t) => {
    t.true(isNativeKernel('Sum'));
    t.true(isNativeKernel('Mean'));
    const cases: Array<[number[], number | number[], boolean]> = [
      [[37, 13], 0, false],
      [[3, 5, 7, 9], [0, 1, 2], false],
      [[3, 5, 7, 9], [1, 0], true],
      [[1, 1, 1], [0, 1], false],
      [[4, 6], [-2], true],
      [[3, 8, 20, 19], [1, 2], false], // SkateFormer's pooling: a run in the middle
      [[3, 8, 20, 19], [2, 1], true],
      [[2, 5, 3, 4], [-2], false],
      [[4, 6, 5], [1, 2], false], // the run reaches the last axis: the wrapped kernel
      [[4, 6, 5], [0, 2], false], // not a run: the wrapped kernel
    ];
    cases.forEach(([shape, axis, keepDims], i) => {
      for (const [name, reduce] of [
        ['sum', tf.sum],
        ['mean', tf.mean],
      ] as const)
        assertSameOnBackends(
          t,
          () => reduce(randomTensor(shape, 50 + i), axis, keepDims),
          1e-5,
          `${name} ${JSON.stringify([shape, axis, keepDims])}`,
        );
    });
    assertSameOnBackends(t, () => tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0), 0, 'int32');
    // Mean's gradient (a broadcast divide) through the native forward
    assertSameOnBackends(
      t,
      () =>
        tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.mean(x, [1, 2]), tf.range(1, 8))))(randomTensor([2, 3, 4, 7], 9)),
      1e-5,
      'mean gradient',
    );
  },
);

nativeTest(
  'GELU and its gradient run natively on wasm and match the cpu backend (composed tfjs ops) on odd shapes, without leaks',
  async (t) => {
    t.truthy(tf.getKernel(NATIVE_GELU, 'wasm'));
    t.truthy(tf.getKernel(NATIVE_GELU_GRAD, 'wasm'));
    const shapes = [[1], [7], [3, 5, 13], [2, 1, 9, 17], [1, 1, 1, 1]];
    shapes.forEach((shape, i) =>
      assertSameOnBackends(
        t,
        () => {
          // Values out to ±10: both tails (erf saturating, exp underflowing) and zero.
          const x = tf.mul(randomTensor(shape, 70 + i), 10);
          const dy = randomTensor(shape, 80 + i);
          return [gelu(x), ...tf.grads((p: tf.Tensor) => tf.sum(tf.mul(gelu(p), dy)))([x])];
        },
        1e-5,
        `gelu ${JSON.stringify(shape)}`,
      ),
    );
    // The native kernels are the ones that ran on wasm.
    const x = tf.tensor1d([-1, 0, 1, 3]);
    const profile = await tf.profile(() => tf.grads((p: tf.Tensor) => tf.sum(gelu(p)))([x]));
    t.true(
      profile.kernelNames.includes(NATIVE_GELU) && profile.kernelNames.includes(NATIVE_GELU_GRAD),
      profile.kernelNames.join(','),
    );
    t.false(profile.kernelNames.includes('Erf'));
    // Hand-computed: GELU(x) = x·Φ(x), GELU'(x) = Φ(x) + x·φ(x).
    const y = tf.tidy(() => gelu(x));
    const [dx] = tf.grads((p: tf.Tensor) => tf.sum(gelu(p)))([x]);
    const expectY = [-0.15865525, 0, 0.84134475, 2.99595031];
    const expectDx = [-0.08331547, 0.5, 1.08331547, 1.01194565];
    Array.from(y.dataSync()).forEach((v, i) =>
      t.true(Math.abs(v - expectY[i]) < 2e-6, `gelu(${[-1, 0, 1, 3][i]}) = ${v}`),
    );
    Array.from(dx.dataSync()).forEach((v, i) =>
      t.true(Math.abs(v - expectDx[i]) < 2e-6, `gelu'(${[-1, 0, 1, 3][i]}) = ${v}`),
    );
    tf.dispose([x, y, dx, ...(profile.result as tf.Tensor[])]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const init = tf.ones([4, 5]);
      const p = tf.variable(init);
      const { value, grads } = tf.variableGrads(() => tf.sum(gelu(p)) as tf.Scalar, [p]);
      tf.dispose([init, p, value, ...Object.values(grads)]);
    }
    t.is(tf.memory().numTensors, before, 'no tensors leak through the native GELU and its gradient');
    const heap = new Float32Array(8);
    t.throws(() => addon!.gelu(heap, 0, 4, 5), { message: /outside the heap/ });
    t.throws(() => addon!.geluGrad(heap, 0, 0, 6, 3), { message: /outside the heap/ });
  },
);

nativeTest(
  'the attention softmax (bias add included) and its backward match tfjs on cpu: broadcast biases, sizes 1, no bias',
  (t) => {
    const run = (name: string, inputs: Record<string, tf.Tensor>) =>
      tf.engine().runKernel(name, inputs, {}) as tf.Tensor;
    const cases: Array<[number[], number[] | null]> = [
      [[1, 1], null],
      [
        [3, 7],
        [3, 7],
      ],
      [
        [2, 3, 5, 9],
        [1, 3, 5, 9],
      ],
      [
        [2, 3, 5, 9],
        [5, 9],
      ],
      [
        [4, 1, 1, 13],
        [4, 1, 1, 13],
      ],
      [[2, 2, 6, 17], null],
    ];
    cases.forEach(([shape, biasShape], i) => {
      // Logits out to ±20 so that the max subtraction matters.
      const make = () => [
        tf.mul(randomTensor(shape, 90 + i), 20),
        ...(biasShape ? [tf.mul(randomTensor(biasShape, 95 + i), 3)] : []),
      ];
      assertWasmMatchesCpu(
        t,
        () => {
          const [x, b] = make();
          return run(NATIVE_BIAS_SOFTMAX, b ? { x, bias: b } : { x });
        },
        () => {
          const [x, b] = make();
          return tf.softmax(b ? tf.add(x, b) : x, -1);
        },
        1e-5,
        `softmax ${JSON.stringify([shape, biasShape])}`,
      );
      const grads = (native: boolean) => () => {
        const p = tf.softmax(randomTensor(shape, 100 + i), -1);
        const dp = randomTensor(shape, 110 + i);
        const r = randomTensor([...shape.slice(0, -1), 1], 120 + i);
        return native ? run(NATIVE_SOFTMAX_GRAD, { p, dp, r }) : tf.mul(p, tf.sub(dp, r));
      };
      assertWasmMatchesCpu(t, grads(true), grads(false), 1e-5, `softmax backward ${JSON.stringify(shape)}`);
    });
    t.throws(() => run(NATIVE_BIAS_SOFTMAX, { x: tf.ones([2, 3, 4]), bias: tf.ones([3, 5]) }), {
      message: /must end in \[3, 4\]/,
    });
    t.throws(() => run(NATIVE_BIAS_SOFTMAX, { x: tf.ones([2, 3, 4]), bias: tf.ones([3, 3, 4]) }));
    t.throws(() => run(NATIVE_SOFTMAX_GRAD, { p: tf.ones([2, 3]), dp: tf.ones([2, 3]), r: tf.ones([3, 1]) }), {
      message: /one value per row/,
    });
    const heap = new Float32Array(8);
    t.throws(() => addon!.softmax(heap, Uint32Array.of(0), new Uint32Array(0), Uint32Array.of(4), 1, 5), {
      message: /outside the heap/,
    });
    t.throws(() => addon!.softmaxGrad(heap, 0, 0, 7, 0, 2, 4), { message: /outside the heap/ });
  },
);

nativeTest(
  'GatherV2 matches cpu forward and backward: every axis, rows of 1, 3 and 17 floats, 2-D and repeated indices, sizes 1; bad indices are an error',
  (t) => {
    t.true(isNativeKernel('GatherV2'));
    const cases: Array<[number[], number[], number[], number]> = [
      // x shape, indices, indices shape, axis
      [[7], [6, 0, 3, 3], [4], 0],
      [[5, 3], [4, 4, 0, 1, 2], [5], 0],
      [[2, 9, 3], [8, 1, 1, 0, 5, 2], [2, 3], 1],
      [[3, 4, 17], [3, 0], [2], 1],
      [[2, 3, 5], [4, 0, 4], [3], -1],
      [[1, 1, 1], [0], [1], 2],
    ];
    cases.forEach(([shape, idx, idxShape, axis], i) =>
      assertSameOnBackends(
        t,
        () => {
          const x = randomTensor(shape, 130 + i);
          const indices = tf.tensor(idx, idxShape, 'int32');
          const dy = randomTensor(tf.gather(x, indices, axis).shape, 140 + i);
          return [
            tf.gather(x, indices, axis),
            ...tf.grads((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, indices, axis), dy)))([x]),
          ];
        },
        1e-6,
        `gather ${JSON.stringify([shape, idx, axis])}`,
      ),
    );
    assertSameOnBackends(
      t,
      () => tf.gather(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [1, 0]),
      0,
      'int32 values: the wrapped kernel',
    );
    tf.tidy(() => {
      const before = tf.memory().numTensors;
      t.throws(() => tf.gather(tf.ones([4, 2]), tf.tensor1d([0, 4], 'int32')), {
        message: /index value 4 is not in \[0, 3\]/,
      });
      t.throws(() => tf.gather(tf.ones([4, 2]), tf.tensor1d([-1], 'int32')), { message: /index value -1/ });
      t.is(tf.memory().numTensors, before + 4, 'the failed gathers leave no output behind');
    });
    t.throws(() => addon!.gather(new Float32Array(8), 0, 6, 0, 1, 4, 1, 4), { message: /outside the heap/ });
  },
);

nativeTest(
  'the thread pool: 300 products in a row, split over 2 and 3 threads by rows or by columns, equal a naive loop (every transpose, sizes that are not multiples of 16)',
  (t) => {
    // Straight through the addon, on a heap of our own: each product is one pool job (several
    // parts claimed by the caller and the workers), so jobs follow each other as in a forward pass.
    const heap = new Float32Array(1 << 20);
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    for (let i = 0; i < heap.length; i++) heap[i] = next();
    const shapes: Array<[number, number, number]> = [
      [161, 37, 129], // rows
      [33, 250, 70], // columns (M < N)
      [1, 700, 900], // one row: columns
      [517, 3, 400], // rows, a thin C
      [80, 80, 81],
    ];
    let worst = 0;
    let jobs = 0;
    try {
      for (const threads of [2, 3]) {
        addon!.setThreads(threads);
        for (let round = 0; round < 15; round++) {
          for (const [M, N, K] of shapes) {
            for (const [ta, tb] of [
              [false, false],
              [true, false],
              [false, true],
              [true, true],
            ] as const) {
              const a = (round * 4099) % 1000;
              const b = 200_000 + ((round * 7919) % 1000);
              const c = 850_000; // past the largest B (900 × 700)
              addon!.gemm(heap, ta, tb, M, N, K, Uint32Array.of(a), Uint32Array.of(b), Uint32Array.of(c));
              jobs++;
              const lda = ta ? M : K;
              const ldb = tb ? K : N;
              for (let m = 0; m < M; m += 7)
                for (let n = 0; n < N; n += 5) {
                  let want = 0;
                  for (let k = 0; k < K; k++)
                    want += heap[a + (ta ? k * lda + m : m * lda + k)] * heap[b + (tb ? n * ldb + k : k * ldb + n)];
                  worst = Math.max(worst, Math.abs(heap[c + m * N + n] - want) / (1 + Math.abs(want)));
                }
            }
          }
        }
      }
    } finally {
      addon!.setThreads(1);
    }
    t.is(jobs, 2 * 15 * shapes.length * 4);
    t.true(worst < 1e-5, `largest relative error ${worst}`);
  },
);

nativeTest(
  'AdamW as one native kernel per parameter equals the composed tfjs ops over 5 steps (decay and none, 1 and 1,001 values), and is what the optimiser runs',
  async (t) => {
    const make = () => {
      const s = new ParameterStore(3);
      s.add('w', [7, 143], { kind: 'normal', std: 0.5 }); // decays (a matrix)
      s.add('b', [1], { kind: 'uniform', bound: 0.3 }); // does not
      return s;
    };
    const run = async (fused: boolean) => {
      if (!fused) tf.unregisterKernel(NATIVE_ADAMW, 'wasm');
      try {
        const s = make();
        const opt = new Optimizer(s, { kind: 'adamw', weightDecay: 0.05 });
        const names = Object.fromEntries(s.entries().map(([i, v]) => [i.name, v.name]));
        let kernels: string[] = [];
        for (let step = 0; step < 5; step++) {
          const grads = {
            [names.w]: randomTensor([7, 143], 300 + step),
            [names.b]: randomTensor([1], 400 + step),
          };
          const profile = await tf.profile(() => opt.applyGradients(grads, 0.01 * (step + 1)));
          kernels = profile.kernels.map((k) => k.name);
          tf.dispose(Object.values(grads));
        }
        const values = s.entries().map(([, v]) => Array.from(v.dataSync()));
        opt.dispose();
        s.dispose();
        return { values, kernels };
      } finally {
        if (!fused) registerNativeKernels(addon!);
      }
    };
    const fused = await run(true);
    const composed = await run(false);
    t.deepEqual([...new Set(fused.kernels)], [NATIVE_ADAMW], 'one kernel per parameter');
    t.true(composed.kernels.length > 20 && !composed.kernels.includes(NATIVE_ADAMW));
    let worst = 0;
    fused.values.forEach((row, i) =>
      row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - composed.values[i][j]) / Math.max(1, Math.abs(x))))),
    );
    t.true(worst < 1e-6, `fused vs composed: ${worst}`);
    const start = make();
    const before = start.entries().map(([, v]) => Array.from(v.dataSync()));
    start.dispose();
    t.true(
      fused.values[0].some((x, j) => x !== before[0][j]),
      'the parameters moved',
    );
  },
);
