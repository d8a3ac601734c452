/**
 * PSUMNet's unified modality, computed inside the model from the joint input: each stream
 * stacks joint, bone, joint motion and bone motion along channels (3 → 12 for xyz).
 *
 *   bone    x[v] − x[parent(v)] with the stream's induced parents (the root's bone is 0)
 *   motion  x[t+1] − x[t], last frame 0 (CTR-GCN's `vel`)
 *
 * Only the input is gathered, so no gather gradient is ever needed.
 */
import * as tf from '@tensorflow/tfjs';
import type { PartStream } from '../../graph/parts.js';
import { gatherAxis } from '../ops.js';

/** Where a stream's joints and their parents sit on the flattened person-major joint axis. */
export interface StreamIndex {
  /** [P · Js]: input position (p · J + layout joint) of each stream token. */
  readonly joints: Int32Array;
  /** [P · Js]: stream token (p · Js + parent) of each token's parent, in the same person. */
  readonly parents: Int32Array;
}

export function streamIndex(stream: PartStream, jointsPerPerson: number, persons: number): StreamIndex {
  const n = stream.numJoints;
  const joints = new Int32Array(persons * n);
  const parents = new Int32Array(persons * n);
  for (let p = 0; p < persons; p++) {
    for (let j = 0; j < n; j++) {
      joints[p * n + j] = p * jointsPerPerson + stream.joints[j];
      parents[p * n + j] = p * n + stream.parents[j];
    }
  }
  return { joints, parents };
}

/** x[t+1] − x[t] along frames (axis 1) with the last frame 0. x: [B, T, V, C]. */
export function temporalMotion(x: tf.Tensor4D): tf.Tensor4D {
  const [B, T, V, C] = x.shape;
  if (T === 1) return tf.zerosLike(x);
  const frame = V * C;
  const flat = tf.reshape(x, [B, T * frame]); // frames as contiguous runs per sample
  const next = tf.slice(flat, [0, frame], [B, (T - 1) * frame]);
  const current = tf.slice(flat, [0, 0], [B, (T - 1) * frame]);
  return tf.reshape(
    tf.pad(tf.sub(next, current), [
      [0, 0],
      [0, frame],
    ]),
    [B, T, V, C],
  ) as tf.Tensor4D;
}

/** [B, T, P·J, C] joints → [B, T, P·Js, 4C] = j | b | jm | bm of one stream. */
export function unifiedModality(x: tf.Tensor4D, index: StreamIndex): tf.Tensor4D {
  const identity = index.joints.length === x.shape[2] && index.joints.every((j, i) => j === i);
  const joints = identity ? x : (gatherAxis(x, index.joints, 2) as tf.Tensor4D);
  const bones = tf.sub(joints, gatherAxis(joints, index.parents, 2)) as tf.Tensor4D;
  return tf.concat([joints, bones, temporalMotion(joints), temporalMotion(bones)], 3) as tf.Tensor4D;
}
