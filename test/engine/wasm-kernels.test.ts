import test from 'ava';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import {
  isSkelactWasmKernel,
  registerWasmTrainingKernels,
  wasmTrainingKernelNames,
} from '../../src/engine/wasm-kernels.js';
import { canonicalTranspose, copySlice } from '../../src/engine/wasm-layout-kernels.js';
import { CONV_CASES, convAndGradients, type ConvCase } from './conv-cases.js';
import {
  assertSameOnBackends,
  assertWasmMatchesCpu,
  initBackends,
  randomTensor,
  relativeError,
  runOn,
  useBackend,
} from './backends.js';

test.before(async () => {
  await initBackends();
});

test.serial('every training kernel is registered on wasm, and registering again changes nothing', (t) => {
  const names = wasmTrainingKernelNames();
  for (const name of [
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'DepthwiseConv2dNativeBackpropInput',
    'DepthwiseConv2dNativeBackpropFilter',
    'UnsortedSegmentSum',
    'Einsum',
    'MaxPoolGrad',
  ]) {
    t.true(names.includes(name), name);
  }
  const before = names.map((n) => tf.getKernel(n, 'wasm'));
  registerWasmTrainingKernels();
  names.forEach((n, i) => {
    t.true(isSkelactWasmKernel(n), n);
    t.is(tf.getKernel(n, 'wasm'), before[i], `${n} replaced twice`);
  });
});

const convCases: ConvCase[] = [...CONV_CASES, { x: [2, 6, 4, 5], k: [1, 1], cout: 3, strides: [1, 1], pad: 'valid' }];

test.serial('conv2d forward and both gradients match the cpu backend (strides, paddings, kernel shapes)', (t) => {
  t.true(isSkelactWasmKernel('Conv2DBackpropFilter'));
  convCases.forEach((c, i) => {
    assertSameOnBackends(t, () => convAndGradients(c, i), 1e-4, `case ${i} ${JSON.stringify(c)}`);
  });
});

test.serial('conv2dTranspose (Conv2DBackpropInput as a forward op) matches cpu with stride 2', (t) => {
  assertSameOnBackends(t, () => {
    const x = randomTensor([2, 5, 4, 3], 1) as tf.Tensor4D;
    const w = randomTensor([3, 3, 2, 3], 2) as tf.Tensor4D;
    return tf.conv2dTranspose(x, w, [2, 10, 8, 2], [2, 2], 'same');
  });
});

interface DepthwiseCase {
  x: [number, number, number, number];
  k: [number, number];
  m: number;
  strides: [number, number];
  dilations: [number, number];
  pad: 'same' | 'valid';
}

const depthwiseCases: DepthwiseCase[] = [
  { x: [2, 9, 5, 3], k: [3, 1], m: 1, strides: [1, 1], dilations: [1, 1], pad: 'same' },
  { x: [2, 9, 5, 3], k: [3, 3], m: 2, strides: [1, 1], dilations: [1, 1], pad: 'valid' },
  { x: [1, 10, 6, 4], k: [3, 1], m: 1, strides: [2, 1], dilations: [1, 1], pad: 'same' },
  { x: [2, 9, 7, 2], k: [3, 3], m: 3, strides: [2, 2], dilations: [1, 1], pad: 'valid' },
  { x: [1, 12, 5, 3], k: [3, 1], m: 1, strides: [1, 1], dilations: [2, 1], pad: 'same' },
  { x: [1, 12, 9, 2], k: [2, 3], m: 2, strides: [1, 1], dilations: [3, 2], pad: 'valid' },
];

/** A dilated filter written out as a dense one with zeros between the taps. */
function dilateFilter(w: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  const [kh, kw, c, m] = w.shape;
  const spread = tf.pad(tf.reshape(w, [kh, 1, kw, 1, c, m]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  return tf.slice(tf.reshape(spread, [kh * dh, kw * dw, c, m]), 0, [
    (kh - 1) * dh + 1,
    (kw - 1) * dw + 1,
    c,
    m,
  ]) as tf.Tensor4D;
}

test.serial('depthwise conv gradients match cpu (strides, dilations, channel multipliers)', (t) => {
  depthwiseCases.forEach((c, i) => {
    const label = `case ${i} ${JSON.stringify(c)}`;
    const inputs = () => {
      const x = randomTensor(c.x, 40 + i) as tf.Tensor4D;
      const w = randomTensor([c.k[0], c.k[1], c.x[3], c.m], 50 + i) as tf.Tensor4D;
      const y = tf.depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations);
      return { x, w, y, dy: randomTensor(y.shape, 60 + i) };
    };
    // On wasm: the backprop kernels themselves (tfjs's gradient refuses dilations > 1).
    const onWasm = () => {
      const { x, w, y, dy } = inputs();
      const attrs = {
        strides: c.strides,
        pad: c.pad,
        dilations: c.dilations,
        dimRoundingMode: undefined as unknown as string,
      };
      const dx = tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x }) as tf.Tensor;
      const dw = tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor;
      return [y, dx, dw];
    };
    // On cpu: the cpu kernels ignore dilations, so the reference differentiates an undilated
    // convolution with the dilated filter written out densely.
    const onCpu = () => {
      const { x, w, y, dy } = inputs();
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.depthwiseConv2d(a as tf.Tensor4D, dilateFilter(b as tf.Tensor4D, c.dilations), c.strides, c.pad),
            dy,
          ),
        ),
      )([x, w]);
      return [y, dx, dw];
    };
    assertWasmMatchesCpu(t, onWasm, onCpu, 1e-4, label);
    if (c.dilations[0] === 1 && c.dilations[1] === 1) {
      assertSameOnBackends(
        t,
        () => {
          const { x, w, dy } = inputs();
          return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), dy)),
          )([x, w]);
        },
        1e-4,
        `${label} via tf.grads`,
      );
    }
  });
});

test.serial(
  'MaxPoolGrad routes the gradient of windows with a negative maximum (the built-in wasm kernel does not)',
  (t) => {
    const f = () => {
      const x = tf.tensor4d([-1, -5, -3, -2, 0.5, -7], [1, 6, 1, 1]);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, [2, 1], [2, 1], 'valid')))(x);
    };
    const [wasm] = runOn('wasm', f);
    t.deepEqual(Array.from(wasm.values), [1, 0, 0, 1, 1, 0]);
    const cases: Array<{
      x: [number, number, number, number];
      size: [number, number];
      strides: [number, number];
      pad: 'same' | 'valid';
    }> = [
      { x: [2, 8, 6, 3], size: [2, 2], strides: [2, 2], pad: 'valid' },
      { x: [2, 7, 5, 2], size: [3, 3], strides: [1, 1], pad: 'same' },
      { x: [1, 9, 4, 3], size: [3, 1], strides: [2, 1], pad: 'same' },
    ];
    cases.forEach((c, i) => {
      assertSameOnBackends(
        t,
        () => {
          // Shifted negative so that many windows have negative maxima, and with ties.
          const x = tf.round(tf.mul(tf.sub(randomTensor(c.x, 70 + i), 0.5), 4));
          const dy = randomTensor(tf.maxPool(x as tf.Tensor4D, c.size, c.strides, c.pad).shape, 80 + i);
          return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad), dy)))(
            x,
          );
        },
        1e-6,
        `maxpool case ${i}`,
      );
    });
  },
);

test.serial('UnsortedSegmentSum and gather gradients match cpu; ids outside the range are dropped', (t) => {
  assertSameOnBackends(t, () => {
    const x = randomTensor([7, 3, 2], 1);
    const ids = tf.tensor1d([0, 2, 2, 5, -1, 4, 0], 'int32');
    return tf.unsortedSegmentSum(x, ids, 5);
  });
  assertSameOnBackends(t, () => {
    const x = randomTensor([4, 6, 5], 2);
    const idx = tf.tensor1d([5, 0, 0, 3, 5, 5, 1], 'int32');
    const dy = randomTensor([4, 7, 5], 3);
    return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, idx, 1), dy)))(x);
  });
});

test.serial(
  'gather (GatherV2 replaced) matches cpu exactly on every axis, narrow and wide rows, int32 data, repeats',
  (t) => {
    t.true(isSkelactWasmKernel('GatherV2'));
    const cases: Array<{ shape: number[]; axis: number; idx: number[] }> = [
      { shape: [5], axis: 0, idx: [4, 0, 0, 2] },
      { shape: [6, 3], axis: 0, idx: [5, 1, 1, 0, 3] },
      { shape: [2, 9, 3], axis: 1, idx: [8, 0, 4, 4, 7, 1, 2, 3, 5, 6] },
      { shape: [3, 4, 40], axis: 1, idx: [3, 2, 2, 0] }, // rows of 40: the block-copy path
      { shape: [2, 3, 4, 5], axis: 3, idx: [4, 0, 1] },
      { shape: [4, 2], axis: 1, idx: [] },
    ];
    for (const c of cases) {
      const values = assertSameOnBackends(
        t,
        () => tf.gather(randomTensor(c.shape, 7), tf.tensor1d(c.idx, 'int32'), c.axis),
        0,
        JSON.stringify(c),
      );
      t.true(values.length === 1);
    }
    // A 2-D index tensor and int32 data.
    assertSameOnBackends(
      t,
      () =>
        tf.gather(
          tf.tensor2d(
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
            [2, 3],
            'int32',
          ),
          tf.tensor2d(
            [
              [2, 0],
              [1, 1],
            ],
            [2, 2],
            'int32',
          ),
          1,
        ),
      0,
      'int32',
    );
    // Hand-computed.
    useBackend('wasm');
    t.deepEqual(
      Array.from(
        tf
          .gather(
            tf.tensor2d([
              [1, 2],
              [3, 4],
              [5, 6],
            ]),
            tf.tensor1d([2, 0, 2], 'int32'),
            0,
          )
          .dataSync(),
      ),
      [5, 6, 1, 2, 5, 6],
    );
    t.throws(() => tf.gather(tf.tensor1d([1, 2, 3]), tf.tensor1d([3], 'int32'), 0).dataSync(), {
      message: /index 3 .* not in \[0, 3\)/,
    });
  },
);

test.serial('einsum runs on wasm and matches cpu', (t) => {
  assertSameOnBackends(t, () => {
    const a = randomTensor([3, 4, 5], 1);
    const b = randomTensor([5, 2], 2);
    return [tf.einsum('ntu,uv->ntv', a, b), tf.einsum('ij,ij->i', randomTensor([3, 4], 3), randomTensor([3, 4], 4))];
  });
});

test('copySlice copies a hand-computed 3D slice', (t) => {
  const src = Float32Array.from({ length: 24 }, (_, i) => i); // shape [2, 3, 4]
  const dst = new Float32Array(2 * 2 * 2);
  copySlice(src, [2, 3, 4], [0, 1, 1], [2, 2, 2], dst);
  t.deepEqual(Array.from(dst), [5, 6, 9, 10, 17, 18, 21, 22]);
});

test.serial('slice, split, unstack and stridedSlice match cpu on random shapes', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 0, max: 1000 }),
      (shape, seed) => {
        const r = (n: number, k: number) => (seed * 7919 + k * 104729) % n;
        const begin = shape.map((d, i) => r(d, i));
        const size = shape.map((d, i) => 1 + r(d - begin[i], i + 10));
        const axis = r(shape.length, 99);
        const f = () => {
          const x = randomTensor(shape, seed);
          const outs = [
            tf.slice(x, begin, size),
            ...tf.unstack(x, axis),
            ...tf.split(
              x,
              [begin[axis], shape[axis] - begin[axis]].filter((s) => s > 0),
              axis,
            ),
          ];
          outs.push(
            tf.stridedSlice(
              x,
              begin,
              begin.map((b, i) => b + size[i]),
              shape.map(() => 1),
            ),
          );
          outs.push(
            tf.stridedSlice(
              x,
              begin,
              shape,
              shape.map((_, i) => (i === axis ? 2 : 1)),
            ),
          );
          // Concat's and pad's gradients are slices.
          outs.push(
            tf.grad((a: tf.Tensor) =>
              tf.sum(
                tf.mul(
                  tf.concat([a, tf.mul(a, 2)], axis),
                  randomTensor(
                    shape.map((d, i) => (i === axis ? 2 * d : d)),
                    seed + 1,
                  ),
                ),
              ),
            )(x),
          );
          return outs;
        };
        const wasm = runOn('wasm', f);
        const cpu = runOn('cpu', f);
        return (
          wasm.length === cpu.length &&
          wasm.every((w, i) => w.shape.join() === cpu[i].shape.join() && relativeError(w.values, cpu[i].values) === 0)
        );
      },
    ),
    { numRuns: 40 },
  );
  t.pass();
});

test.serial('concat and stack match cpu along every axis, narrow and wide blocks, with empty inputs', (t) => {
  for (const axis of [0, 1, 2, -1]) {
    assertSameOnBackends(
      t,
      () => {
        const a = randomTensor([3, 4, 40], 1);
        const b = randomTensor([3, 4, 40], 2);
        const widths = [3, 4, 40].map((d, i) => (i === (axis + 3) % 3 ? 5 : d));
        const c = randomTensor(widths, 3);
        const empty = tf.zeros([3, 4, 40].map((d, i) => (i === (axis + 3) % 3 ? 0 : d)));
        const ints = tf.cast(
          tf.concat([tf.cast(tf.mul(a, 9), 'int32'), tf.cast(tf.mul(b, 9), 'int32')], axis),
          'float32',
        );
        return [tf.concat([a, c, empty, b], axis), tf.stack([a, b, tf.mul(a, b)], axis), tf.stack([a, b], 3), ints];
      },
      0,
      `axis ${axis}`,
    );
  }
});

test('canonicalTranspose drops unit axes and merges axes that stay neighbours', (t) => {
  t.deepEqual(canonicalTranspose([16, 64, 48, 96], [3, 0, 1, 2]), { shape: [49152, 96], perm: [1, 0] });
  t.deepEqual(canonicalTranspose([2, 1, 3, 4], [0, 3, 1, 2]), { shape: [2, 3, 4], perm: [0, 2, 1] });
  t.deepEqual(canonicalTranspose([5, 6], [0, 1]), { shape: [30], perm: [0] });
  t.deepEqual(canonicalTranspose([32, 8, 1, 75], [0, 2, 1, 3]), { shape: [19200], perm: [0] }); // only a unit axis moves
  t.deepEqual(canonicalTranspose([1, 1], [1, 0]), { shape: [], perm: [] });
});

test.serial('transposes (tall 2D ones rerouted) match cpu exactly', (t) => {
  const cases: Array<[number[], number[]]> = [
    [
      [4096, 6],
      [1, 0],
    ],
    [
      [1031, 5],
      [1, 0],
    ], // prime row count: no reroute
    [
      [2, 512, 3, 4],
      [1, 2, 3, 0],
    ],
    [
      [3, 4, 5, 6],
      [3, 1, 2, 0],
    ],
    [
      [8, 16, 3],
      [0, 2, 1],
    ],
    [
      [300, 1, 7],
      [2, 1, 0],
    ],
    [
      [4, 300, 5],
      [0, 2, 1],
    ], // rerouted through a 4D transpose
    [
      [5, 64, 3, 4, 6],
      [2, 0, 3, 1, 4],
    ], // rank 5: copied in JavaScript
    [
      [3, 5, 4, 2, 6, 2],
      [5, 3, 1, 0, 4, 2],
    ],
    [
      [2, 3, 1, 4, 5],
      [4, 2, 0, 3, 1],
    ],
  ];
  for (const [shape, perm] of cases) {
    const f = () => {
      const x = randomTensor(shape, 5);
      return [
        tf.transpose(x, perm),
        tf.cast(tf.transpose(tf.cast(tf.mul(x, 100), 'int32'), perm), 'float32'),
        tf.cast(tf.transpose(tf.greater(x, 0), perm), 'float32'),
      ];
    };
    const w = runOn('wasm', f);
    const c = runOn('cpu', f);
    w.forEach((v, i) => {
      t.deepEqual(v.shape, c[i].shape);
      t.is(relativeError(v.values, c[i].values), 0, `${shape} ${perm} output ${i}`);
    });
  }
});

test.serial('transposes of random shapes (with unit axes) and permutations match cpu exactly', (t) => {
  fc.assert(
    fc.property(
      fc
        .array(fc.constantFrom<number>(1, 1, 2, 3, 5, 16, 40, 300), { minLength: 1, maxLength: 6 })
        .filter((s) => s.reduce((a, b) => a * b, 1) <= 200_000),
      fc.integer({ min: 0, max: 1e9 }),
      (shape, seed) => {
        const perm = shape.map((_, i) => i);
        for (let i = perm.length - 1, r = seed; i > 0; i--, r = Math.floor(r / 7) + 13 * i) {
          const j = r % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const f = () => tf.transpose(randomTensor(shape, seed % 1000), perm);
        const [w] = runOn('wasm', f);
        const [c] = runOn('cpu', f);
        return w.shape.join() === c.shape.join() && relativeError(w.values, c.values) === 0;
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

test.serial('reductions over any axes, with and without keepDims, match cpu', (t) => {
  const shape = [5, 4, 3, 6];
  const axesList: Array<number | number[]> = [0, 1, 3, -1, [0, 1], [0, 1, 2], [1, 2], [0, 2], [0, 3], [0, 1, 2, 3]];
  for (const axes of axesList) {
    for (const keepDims of [false, true]) {
      assertSameOnBackends(
        t,
        () => {
          const x = randomTensor(shape, 9);
          const b = tf.greater(x, 0);
          return [
            tf.sum(x, axes, keepDims),
            tf.mean(x, axes, keepDims),
            tf.max(x, axes, keepDims),
            tf.min(x, axes, keepDims),
            tf.prod(tf.add(tf.mul(x, 0.2), 1), axes, keepDims),
            tf.cast(tf.all(b, axes, keepDims), 'float32'),
            tf.cast(tf.any(b, axes, keepDims), 'float32'),
          ];
        },
        1e-5,
        `axes ${JSON.stringify(axes)} keepDims ${keepDims}`,
      );
    }
  }
});

test.serial('matMul with transposes (2D rerouted to XNNPACK, batched kept) and its gradients match cpu', (t) => {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    assertSameOnBackends(
      t,
      () => {
        const a = randomTensor(ta ? [7, 5] : [5, 7], 1);
        const b = randomTensor(tb ? [3, 7] : [7, 3], 2);
        const a3 = randomTensor(ta ? [2, 7, 5] : [2, 5, 7], 3);
        const b3 = randomTensor(tb ? [2, 3, 7] : [2, 7, 3], 4);
        const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, ta, tb))))([a, b]);
        return [tf.matMul(a, b, ta, tb), tf.matMul(a3, b3, ta, tb), ...g];
      },
      1e-5,
      `transposeA ${ta} transposeB ${tb}`,
    );
  }
});

test.serial('the new kernels free their intermediates', (t) => {
  useBackend('wasm');
  const x = randomTensor([2, 9, 5, 3], 1) as tf.Tensor4D;
  const w = randomTensor([3, 1, 3, 4], 2) as tf.Tensor4D;
  const step = () =>
    tf
      .tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'same'))),
        )([x, w]);
        const d = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(
            tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, tf.reshape(b, [3, 1, 3, 4]) as tf.Tensor4D, 1, 'same')),
          ),
        )([x, w]);
        const s = tf.sum(x, [0, 1, 2]);
        const m = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'same')))(x);
        return tf.add(tf.add(tf.sum(g[0]), tf.sum(g[1])), tf.add(tf.add(tf.sum(d[0]), tf.sum(s)), tf.sum(m)));
      })
      .dispose();
  step();
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  const dataIds = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  for (let i = 0; i < 5; i++) step();
  t.is(tf.memory().numTensors, tensors);
  t.is(tf.memory().numBytes, bytes);
  t.is((tf.backend() as unknown as { numDataIds(): number }).numDataIds(), dataIds);
  tf.dispose([x, w]);
});
