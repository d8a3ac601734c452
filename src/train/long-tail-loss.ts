/**
 * Losses for long-tailed training (config `longTail`), as the papers define them and BRL's
 * code implements them (../shared/reference/models.md §4), per sample so that BRL's partial
 * mixup can weigh two labels:
 *
 *   ce                  cross-entropy (with label smoothing when the config asks);
 *   balanced-softmax    CE on logits + log n_c (Ren et al. 2020), from the first epoch;
 *   logit-adjust        CE on logits + τ · log π_c (Menon et al. 2021; τ = 1 is balanced softmax);
 *   focal               −(1 − p_y)^γ · log p_y (γ = 2);
 *   ldam                CE on s · (logits − m_y · 1_y), m_c ∝ n_c^(−1/4) scaled to `ldamMaxMargin`
 *                       (Cao et al. 2019; s = 30, max margin 0.5).
 *
 * Re-weighting (`reweight: 'class-balanced'`): w_c = (1 − β) / (1 − β^n_c), normalised to sum C
 * (Cui et al. 2019), applied from `reweightFromEpoch` on (deferred re-weighting, DRW). BRL's
 * code flips the β list in place every epoch after its DRW epoch, so its weights alternate
 * between class-balanced and nearly uniform; here they stay class-balanced.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from './config.js';

export type LongTailConfig = NonNullable<ExperimentConfig['longTail']>;

/** Class-balanced weights from training counts (classes with no samples get weight 0). */
export function classBalancedWeights(counts: readonly number[], beta: number): number[] {
  const raw = counts.map((n) => (n > 0 ? (1 - beta) / (1 - beta ** n) : 0));
  const present = counts.filter((n) => n > 0).length;
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => (sum > 0 ? (w * present) / sum : 0));
}

/** LDAM margins m_c = C · n_c^(−1/4), scaled so the largest is `maxMargin`. */
export function ldamMargins(counts: readonly number[], maxMargin: number): number[] {
  const raw = counts.map((n) => (n > 0 ? n ** -0.25 : 0));
  const top = Math.max(...raw);
  return raw.map((m) => (top > 0 ? (m * maxMargin) / top : 0));
}

/** Per-sample loss [B] of logits [B, K] against labels [B] under a long-tail config. */
export function perSampleLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  counts: readonly number[],
  lt: LongTailConfig,
  smoothing: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const K = logits.shape[1];
    if (counts.length !== K) throw new Error(`long-tail loss: ${counts.length} class counts for ${K} classes`);
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), K) as tf.Tensor2D;
    const total = counts.reduce((a, b) => a + b, 0);
    // Classes without training samples get a very low prior (not −∞, which would give NaN gradients).
    const logPrior = tf.tensor1d(counts.map((n) => Math.log(Math.max(n, 1e-3) / Math.max(total, 1))));
    let z: tf.Tensor2D = logits;
    switch (lt.loss) {
      case 'balanced-softmax':
        z = tf.add(logits, logPrior) as tf.Tensor2D;
        break;
      case 'logit-adjust':
        z = tf.add(logits, tf.mul(logPrior, lt.tau)) as tf.Tensor2D;
        break;
      case 'ldam': {
        const m = tf.tensor1d(ldamMargins(counts, lt.ldamMaxMargin));
        z = tf.mul(tf.sub(logits, tf.mul(onehot, m)), lt.ldamScale) as tf.Tensor2D;
        break;
      }
      default:
        break;
    }
    const logp = tf.logSoftmax(z, -1);
    const nll = tf.neg(tf.sum(tf.mul(logp, onehot), -1)) as tf.Tensor1D;
    if (lt.loss === 'focal') {
      const pt = tf.exp(tf.neg(nll));
      return tf.mul(tf.pow(tf.sub(1, pt), lt.gamma), nll) as tf.Tensor1D;
    }
    if (smoothing === 0) return nll;
    return tf.add(tf.mul(nll, 1 - smoothing), tf.mul(tf.neg(tf.mean(logp, -1)), smoothing)) as tf.Tensor1D;
  });
}

/**
 * The batch loss: per-sample losses against label a (weight λ) and label b (weight 1 − λ; BRL's
 * mixup), times the class weights of the re-weighting when it is active this epoch, averaged.
 */
export function longTailLoss(
  logits: tf.Tensor2D,
  target: { labels: tf.Tensor1D; labelsB?: tf.Tensor1D; lambda?: tf.Tensor1D },
  counts: readonly number[],
  lt: LongTailConfig,
  smoothing: number,
  epoch: number,
): tf.Scalar {
  return tf.tidy(() => {
    const weighted =
      lt.reweight === 'class-balanced' && epoch >= lt.reweightFromEpoch
        ? classBalancedWeights(counts, lt.beta)
        : undefined;
    const weightOf = (labels: tf.Tensor1D) =>
      weighted ? tf.gather(tf.tensor1d(weighted), tf.cast(labels, 'int32')) : undefined;
    const term = (labels: tf.Tensor1D) => {
      const l = perSampleLoss(logits, labels, counts, lt, smoothing);
      const w = weightOf(labels);
      return w ? tf.mul(l, w) : l;
    };
    let loss: tf.Tensor = term(target.labels);
    if (target.labelsB && target.lambda)
      loss = tf.add(tf.mul(loss, target.lambda), tf.mul(term(target.labelsB), tf.sub(1, target.lambda)));
    return tf.mean(loss) as tf.Scalar;
  });
}
