/**
 * The check that `skelact export --format onnx` runs before writing: the exported graph on ONNX
 * Runtime against the TensorFlow.js model on the same random clips.
 */
import * as tf from '@tensorflow/tfjs';
import type { SkeletonModel } from '../types.js';
import type { OnnxClassifier } from './runner.js';

export interface ScoreAgreement {
  readonly clips: number;
  /** max |onnx − tfjs| over all logits. */
  readonly maxAbs: number;
  /** maxAbs / max |tfjs logit|: the relative error the tests bound by 1e-4. */
  readonly relative: number;
  /** Clips whose arg-max class differs. */
  readonly top1Changes: number;
}

/** Logits of both engines on `clips` seeded random clips (index_t a uniform ramp). */
export async function compareEngines(
  model: SkeletonModel,
  onnx: OnnxClassifier,
  clips = 3,
  seed = 11,
): Promise<ScoreAgreement> {
  const T = model.frames;
  const V = model.persons * model.jointOrder.length;
  const x = tf.randomNormal([clips, T, V, model.inChannels], 0, 1, 'float32', seed) as tf.Tensor4D;
  const indexT = tf.tidy(() => tf.tile(tf.linspace(-1, 1, T).reshape([1, T]), [clips, 1])) as tf.Tensor2D;
  try {
    const reference = tf.tidy(
      () => model.forward({ x, indexT }, { training: false }).logits.dataSync() as Float32Array,
    );
    const got = await onnx.logits(x.dataSync() as Float32Array, indexT.dataSync() as Float32Array, clips);
    const K = reference.length / clips;
    let maxAbs = 0;
    let scale = 0;
    let top1Changes = 0;
    for (let c = 0; c < clips; c++) {
      let bestRef = 0;
      let bestGot = 0;
      for (let k = 0; k < K; k++) {
        const i = c * K + k;
        maxAbs = Math.max(maxAbs, Math.abs(reference[i] - got[i]));
        scale = Math.max(scale, Math.abs(reference[i]));
        if (reference[i] > reference[c * K + bestRef]) bestRef = k;
        if (got[i] > got[c * K + bestGot]) bestGot = k;
      }
      if (bestRef !== bestGot) top1Changes++;
    }
    return { clips, maxAbs, relative: scale > 0 ? maxAbs / scale : maxAbs, top1Changes };
  } finally {
    tf.dispose([x, indexT]);
  }
}
