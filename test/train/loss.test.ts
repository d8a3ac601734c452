import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { classificationLoss, clipGradNorm, labelSmoothingCrossEntropy } from '../../src/train/loss.js';
import { prng } from '../helpers/prng.js';
import { useBackend } from './helpers.js';

test.before(async () => {
  await useBackend();
});

/** timm LabelSmoothingCrossEntropy in plain numbers. */
function lsceReference(logits: number[][], labels: number[], eps: number): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const row = logits[i];
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    const logp = row.map((x) => x - lse);
    const nll = -logp[labels[i]];
    const smooth = -logp.reduce((a, b) => a + b, 0) / row.length;
    total += (1 - eps) * nll + eps * smooth;
  }
  return total / logits.length;
}

test('label-smoothing cross-entropy equals the timm formula (ε = 0 is plain cross-entropy)', (t) => {
  const r = prng(1);
  const logits = Array.from({ length: 6 }, () => Array.from({ length: 5 }, () => (r() - 0.5) * 8));
  const labels = [0, 4, 2, 2, 1, 3];
  for (const eps of [0, 0.1, 0.5]) {
    const got = tf.tidy(
      () => labelSmoothingCrossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), eps).dataSync()[0],
    );
    t.true(Math.abs(got - lsceReference(logits, labels, eps)) < 1e-5, `ε ${eps}: ${got}`);
  }
  // Hand value: two classes, logits (0, 0): log p = −ln 2 everywhere, so the loss is ln 2 for any ε.
  const flat = tf.tidy(
    () => labelSmoothingCrossEntropy(tf.zeros([1, 2]) as tf.Tensor2D, tf.tensor1d([1], 'int32'), 0.3).dataSync()[0],
  );
  t.true(Math.abs(flat - Math.LN2) < 1e-6);
  t.throws(() => labelSmoothingCrossEntropy(tf.zeros([1, 2]) as tf.Tensor2D, tf.tensor1d([1], 'int32'), 1.5));
});

test('multi-stream outputs: the loss is the sum of the streams, not the fused logits', (t) => {
  const a = [
    [1, 2, 0.5],
    [0, -1, 3],
  ];
  const b = [
    [-2, 0, 1],
    [1, 1, 1],
  ];
  const labels = [1, 2];
  const got = tf.tidy(() => {
    const s = [tf.tensor2d(a), tf.tensor2d(b)];
    return classificationLoss(
      { logits: tf.zeros([2, 3]) as tf.Tensor2D, streamLogits: s },
      tf.tensor1d(labels, 'int32'),
      0.1,
    ).dataSync()[0];
  });
  t.true(Math.abs(got - (lsceReference(a, labels, 0.1) + lsceReference(b, labels, 0.1))) < 1e-5);
  const single = tf.tidy(
    () => classificationLoss({ logits: tf.tensor2d(a) }, tf.tensor1d(labels, 'int32')).dataSync()[0],
  );
  t.true(Math.abs(single - lsceReference(a, labels, 0)) < 1e-5);
});

/** torch.nn.utils.clip_grad_norm_ in plain numbers. */
function clipReference(grads: number[][], maxNorm: number): { norm: number; grads: number[][] } {
  const norms = grads.map((g) => Math.sqrt(g.reduce((s, x) => s + x * x, 0)));
  const norm = Math.sqrt(norms.reduce((s, x) => s + x * x, 0));
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, grads: grads.map((g) => g.map((x) => x * coef)) };
}

test('gradient clipping follows clip_grad_norm_: total 2-norm, scale min(1, max/(norm + 1e-6))', (t) => {
  const g = { a: [3, 0, -4, 1], b: [2, 2], c: [0.5] };
  for (const maxNorm of [1, 100, 0]) {
    const before = tf.memory().numTensors;
    const inputs = { a: tf.tensor1d(g.a), b: tf.tensor1d(g.b), c: tf.tensor1d(g.c) };
    const out = clipGradNorm(inputs, maxNorm);
    const ref = clipReference([g.a, g.b, g.c], maxNorm > 0 ? maxNorm : Infinity);
    t.true(Math.abs(out.norm.dataSync()[0] - ref.norm) < 1e-5);
    t.true(Math.abs(ref.norm - Math.sqrt(9 + 16 + 1 + 8 + 0.25)) < 1e-12); // hand value
    (['a', 'b', 'c'] as const).forEach((k, i) => {
      const got = Array.from(out.grads[k].dataSync());
      ref.grads[i].forEach((x, j) => t.true(Math.abs(got[j] - x) < 1e-6, `${k}[${j}] with max ${maxNorm}`));
    });
    tf.dispose([out.norm, ...Object.values(out.grads), ...Object.values(inputs)]);
    t.is(tf.memory().numTensors, before);
  }
});
