/**
 * Training losses and gradient clipping, with the semantics of the PyTorch code the recipes
 * come from.
 *
 * - `labelSmoothingCrossEntropy`: timm / SkateFormer `LabelSmoothingCrossEntropy`,
 *   mean over the batch of (1 − ε)·(−log p_y) + ε·mean_k(−log p_k). ε = 0 is plain
 *   cross-entropy.
 * - `classificationLoss`: that loss on the logits, or, for multi-stream models
 *   (`streamLogits`), the sum of every stream's loss (the streams train as if separately;
 *   the fused `logits` only serve evaluation).
 * - `clipGradNorm`: `torch.nn.utils.clip_grad_norm_` (2-norm): the total norm is the norm
 *   of the per-parameter norms, and every gradient is multiplied by
 *   min(1, maxNorm / (total + 1e-6)).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelOutput } from '../models/types.js';

/** logits [B, K]; labels [B] int32 class indices. Returns a scalar. */
export function labelSmoothingCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  if (!(smoothing >= 0 && smoothing <= 1)) throw new Error(`label smoothing must lie in [0, 1], got ${smoothing}`);
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const logp = tf.logSoftmax(logits, -1);
    const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.cast(labels, 'int32'), classes)), -1));
    if (smoothing === 0) return tf.mean(nll) as tf.Scalar;
    const smooth = tf.neg(tf.mean(logp, -1));
    return tf.mean(tf.add(tf.mul(nll, 1 - smoothing), tf.mul(smooth, smoothing))) as tf.Scalar;
  });
}

/** The training loss of one model output (sum over streams when the model has several). */
export function classificationLoss(
  output: Pick<ModelOutput, 'logits' | 'streamLogits'>,
  labels: tf.Tensor1D,
  smoothing = 0,
): tf.Scalar {
  const streams = output.streamLogits;
  if (!streams || streams.length === 0) return labelSmoothingCrossEntropy(output.logits, labels, smoothing);
  return tf.tidy(() => tf.addN(streams.map((s) => labelSmoothingCrossEntropy(s, labels, smoothing))) as tf.Scalar);
}

export interface ClippedGradients<K extends string = string> {
  /** New gradient tensors (the caller disposes them and the originals). */
  readonly grads: Record<K, tf.Tensor>;
  /** Total 2-norm before clipping. */
  readonly norm: tf.Scalar;
}

/**
 * PyTorch `clip_grad_norm_(parameters, maxNorm)` on named gradients. With maxNorm ≤ 0 the
 * gradients are returned unscaled (copies) with their norm. A non-finite norm makes every
 * gradient non-finite, as in PyTorch (the trainer stops on the loss before that happens).
 */
export function clipGradNorm<K extends string>(grads: Record<K, tf.Tensor>, maxNorm: number): ClippedGradients<K> {
  return tf.tidy(() => {
    const names = Object.keys(grads) as K[];
    if (names.length === 0) return { grads: {} as Record<K, tf.Tensor>, norm: tf.scalar(0) };
    const norms = names.map((k) => tf.sqrt(tf.sum(tf.square(grads[k]))));
    const norm = tf.sqrt(tf.sum(tf.square(tf.stack(norms)))) as tf.Scalar;
    const out = {} as Record<K, tf.Tensor>;
    if (maxNorm > 0) {
      const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
      for (const k of names) out[k] = tf.mul(grads[k], coef);
    } else {
      for (const k of names) out[k] = tf.clone(grads[k]);
    }
    return { grads: out, norm };
  });
}
