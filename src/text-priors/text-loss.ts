/**
 * GAP's multi-part contrastive loss (models.md §3, `KLLoss.py`): for each slot k, cosine
 * logits s_k · cos(f_i, t_j) between the batch's skeleton embeddings f and text embeddings t,
 * in both directions (skeleton→text: rows; text→skeleton: the transpose), each matched by a
 * KL divergence to soft targets softmax(10 · G) over the same-label matrix G, and averaged:
 *
 *   L_k = ½ [KL(target ‖ softmax(logits)) + KL(target ‖ softmax(logitsᵀ))],
 *   KL(p ‖ q) = (1/B) Σ_ij p_ij (log p_ij − log q_ij)        (KLDivLoss(mean) × B in GAP)
 *   L_text = mean_k L_k;   L = L_CE + α · L_text, α = 0.8.
 */
import * as tf from '@tensorflow/tfjs';

/** GAP's sharpness of the same-label soft targets. */
export const TARGET_SHARPNESS = 10;

/** softmax(sharpness · [labels_i = labels_j]) row by row, [B, B]. */
export function sameLabelTargets(labels: tf.Tensor1D, sharpness = TARGET_SHARPNESS): tf.Tensor2D {
  return tf.tidy(() => {
    const same = tf.cast(tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32');
    return tf.softmax(tf.mul(same, sharpness)) as tf.Tensor2D;
  });
}

/** (1/B) Σ p (log p − log_softmax(logits)), rows of [B, B]. */
function klToTargets(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const B = logits.shape[0];
  const logq = tf.logSoftmax(logits, -1);
  const logp = tf.log(tf.maximum(targets, 1e-30));
  return tf.div(tf.sum(tf.mul(targets, tf.sub(logp, logq))), B) as tf.Scalar;
}

/**
 * The mean over slots of GAP's loss. `skeleton[k]` and `texts[k]` are [B, E] unit vectors,
 * `scales` [slots] the (already exponentiated) logit scales.
 */
export function gapTextLoss(
  skeleton: readonly tf.Tensor2D[],
  texts: readonly tf.Tensor2D[],
  labels: tf.Tensor1D,
  scales: tf.Tensor1D,
  sharpness = TARGET_SHARPNESS,
): tf.Scalar {
  if (skeleton.length !== texts.length)
    throw new Error(`gapTextLoss: ${skeleton.length} skeleton slots but ${texts.length} text slots`);
  return tf.tidy(() => {
    const targets = sameLabelTargets(labels, sharpness);
    const perSlot = tf.unstack(scales);
    const losses = skeleton.map((f, k) => {
      // t is a constant (the frozen encoder): only f and the scale get gradients.
      const logits = tf.mul(tf.matMul(f, tf.transpose(texts[k])), perSlot[k]) as tf.Tensor2D;
      return tf.mul(tf.add(klToTargets(logits, targets), klToTargets(tf.transpose(logits), targets)), 0.5);
    });
    return tf.div(tf.addN(losses), losses.length) as tf.Scalar;
  });
}
