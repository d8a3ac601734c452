/** Weight quantisation for export: float16 bits by hand, uint8 error bounds, and a quantised model loading back. */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { MODEL_FILES, loadModel, readModelFolder, saveModel, writeModelFolder } from '../../src/models/io.js';
import { fromFloat16Bits, quantizeWeights, toFloat16Bits } from '../../src/models/quantize.js';
import { createModel, createModelFromManifest } from '../../src/models/registry.js';
import { tempDir } from '../helpers/temp.js';

test.before(async () => {
  await initBackend('wasm');
});

test('float16 bits: hand-checked values, rounding to nearest even, subnormals, overflow', (t) => {
  const cases: Array<[number, number]> = [
    [0, 0x0000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [1e6, 0x7c00], // overflow → +Inf
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: up
  ];
  for (const [v, bits] of cases) t.is(toFloat16Bits(v), bits, `${v}`);
  for (const [v, bits] of cases.slice(0, 8)) t.is(fromFloat16Bits(bits), v === 1e6 ? Infinity : v);
  t.true(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN))));
});

test('quantised weights decode (tf.io.decodeWeights) within their precision', (t) => {
  const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 + 0.001 * i);
  const specs: tf.io.WeightsManifestEntry[] = [{ name: 'w', shape: [10, 100], dtype: 'float32' }];
  for (const [to, tol, bytes] of [
    ['float16', 3 * 2 ** -11 * 4, 2000],
    ['uint8', (7 / 255) * 0.51, 1000],
  ] as const) {
    const q = quantizeWeights(specs, values.buffer, to);
    t.is(q.data.byteLength, bytes);
    const decoded = tf.io.decodeWeights(q.data, q.specs);
    const back = decoded.w.dataSync();
    let err = 0;
    for (let i = 0; i < values.length; i++) err = Math.max(err, Math.abs(back[i] - values[i]));
    t.true(err <= tol, `${to}: max error ${err} > ${tol}`);
    tf.dispose(Object.values(decoded));
  }
});

test('a quantised model folder validates, loads and gives nearly the same scores; sizes shrink', async (t) => {
  const dir = tempDir('skelact-quant-');
  const model = createModel(
    { kind: 'skateformer', preset: 'realtime', frames: 16 },
    { layout: 'ntu-25', classes: 5, frames: 16, persons: 1 },
    4,
  );
  const meta = {
    layout: 'ntu-25' as const,
    classNames: ['a', 'b', 'c', 'd', 'e'],
    modality: 'j' as const,
    sampling: 'crop-resize',
    testCrop: 0.95,
    minLength: 16,
    fillMissingPersons: 'zeros' as const,
    normalize: 'none' as const,
  };
  await saveModel(join(dir, 'f32'), model, meta);
  const x = tf.randomNormal([2, 16, 24, 3], 0, 0.3, 'float32', 5) as tf.Tensor4D;
  const reference = tf.tidy(() => tf.softmax(model.forward({ x }, { training: false }).logits).dataSync());
  model.dispose();
  const original = readModelFolder(join(dir, 'f32'));
  for (const [to, tol, ratio] of [
    ['float16', 2e-3, 0.5],
    ['uint8', 5e-2, 0.25],
  ] as const) {
    const q = quantizeWeights(original.specs, original.data, to);
    writeModelFolder(
      join(dir, to),
      { ...original.manifest, weightsManifest: [{ paths: [MODEL_FILES.weights], weights: q.specs as never }] },
      q.data,
    );
    const { model: loaded } = loadModel(join(dir, to), createModelFromManifest);
    const scores = tf.tidy(() => tf.softmax(loaded.forward({ x }, { training: false }).logits).dataSync());
    let diff = 0;
    for (let i = 0; i < scores.length; i++) diff = Math.max(diff, Math.abs(scores[i] - reference[i]));
    t.true(diff < tol, `${to}: probabilities differ by ${diff}`);
    const size =
      statSync(join(dir, to, MODEL_FILES.weights)).size / statSync(join(dir, 'f32', MODEL_FILES.weights)).size;
    t.true(Math.abs(size - ratio) < 0.01, `${to}: ${size} of the float32 size`);
    loaded.dispose();
  }
  x.dispose();
});
