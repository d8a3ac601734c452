/**
 * The convolutions both kernel test files (wasm-kernels, native-kernels) check against the cpu
 * backend: strides, paddings (same, valid, explicit and asymmetric), square and k×1 kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { randomTensor } from './backends.js';

export interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  strides: [number, number];
  dilations?: [number, number];
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}

/** Explicit padding of the frame axis only (`before` and `after` frames), as k×1 convolutions pad. */
export function framePadding(before: number, after: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [before, after],
    [0, 0],
    [0, 0],
  ];
}

export const CONV_CASES: readonly ConvCase[] = [
  { x: [2, 9, 5, 3], k: [3, 1], cout: 4, strides: [1, 1], pad: 'same' },
  { x: [2, 9, 5, 3], k: [3, 3], cout: 2, strides: [1, 1], pad: 'valid' },
  {
    x: [1, 8, 6, 4],
    k: [7, 1],
    cout: 5,
    strides: [1, 1],
    pad: framePadding(3, 3),
  },
  {
    x: [2, 10, 5, 3],
    k: [7, 1],
    cout: 4,
    strides: [2, 1],
    pad: framePadding(3, 3),
  },
  { x: [2, 9, 7, 2], k: [3, 3], cout: 3, strides: [2, 2], pad: 'same' },
  { x: [1, 11, 8, 3], k: [2, 3], cout: 2, strides: [3, 2], pad: 'valid' },
  {
    x: [1, 7, 7, 2],
    k: [3, 2],
    cout: 2,
    strides: [1, 2],
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
];

/**
 * conv2d of case `c` on seeded inputs (seeds 10, 20, 30 + i) and, without dilation, its input
 * and filter gradients (tfjs has no gradient for dilated convolutions).
 */
export function convAndGradients(c: ConvCase, i: number): tf.Tensor[] {
  const x = randomTensor(c.x, 10 + i) as tf.Tensor4D;
  const w = randomTensor([c.k[0], c.k[1], c.x[3], c.cout], 20 + i) as tf.Tensor4D;
  const conv = (a: tf.Tensor, b: tf.Tensor) =>
    tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations ?? 1);
  const y = conv(x, w);
  if (c.dilations) return [y];
  const dy = randomTensor(y.shape, 30 + i);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w]);
  return [y, dx, dw];
}
