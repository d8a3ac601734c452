/**
 * GAP's text head: the part of a model that maps skeleton features into a sentence encoder's
 * space. Five slots, as GAP builds them: the global feature (the classifier's input) and four
 * body parts, each pooled from the last feature map over the part's joints (the layout's
 * `gapParts` table: head, hand, hip, foot), with its own linear projection to the text
 * dimension and a learnable logit scale.
 *
 * The head lives in the model's parameter store under `text.*`, so checkpoints, resuming and
 * saved models carry it; the manifest's `textHead` says how to rebuild it. The classifier
 * never reads it: inference costs nothing extra, and zero-shot recognition and text search
 * use it when it is there.
 *
 * Shapes: features [B, T', P·J, D] → mean over T' → part means [B, D] per part; pooled [B, D];
 * each projected to [B, E] and L2-normalised.
 */
import * as tf from '@tensorflow/tfjs';
import { GAP_PART_NAMES, getLayout, type LayoutName } from '../graph/layout.js';
import { linear } from './ops.js';
import type { ParameterStore } from './params.js';
import type { ModelOutput, SkeletonModel } from './types.js';

export const TEXT_SLOTS = ['global', ...GAP_PART_NAMES] as const;
export type TextSlot = (typeof TEXT_SLOTS)[number];

export interface TextHeadSpec {
  /** Text embedding dimension (512 for USE-lite and CLIP ViT-B/32). */
  readonly dim: number;
  /** Skeleton feature dimension D. */
  readonly featureDim: number;
  /** Positions of features' joint axis pooled for each part slot (slots 1…4), persons included. */
  readonly partPositions: readonly (readonly number[])[];
  /** The sentence encoder the head was trained against (its id). */
  readonly encoder: string;
}

/** Initial logit scale, log(1/0.07) as in CLIP and GAP. */
export const INITIAL_LOGIT_SCALE = Math.log(1 / 0.07);
/** CLIP's cap on the learned scale (exp(s) ≤ 100). */
const MAX_LOGIT_SCALE = Math.log(100);

/** Feature positions of each GAP part of a model (layout joints the model drops are skipped). */
export function textPartPositions(model: SkeletonModel, layoutName: LayoutName): number[][] {
  const layout = getLayout(layoutName);
  const joints = model.featureJoints ?? model.jointOrder;
  const J = joints.length;
  return GAP_PART_NAMES.map((part) => {
    const wanted = new Set(layout.gapParts[part]);
    const positions: number[] = [];
    for (let p = 0; p < model.persons; p++)
      for (let j = 0; j < J; j++) if (wanted.has(joints[j])) positions.push(p * J + j);
    if (positions.length === 0)
      throw new Error(
        `text head: the model's features hold no joint of GAP part '${part}' (${layout.gapParts[part].join(', ')})`,
      );
    return positions;
  });
}

/** The text head spec of a model: its feature dimension is read from one forward pass. */
export function textHeadSpecFor(
  model: SkeletonModel,
  layoutName: LayoutName,
  dim: number,
  encoder: string,
): TextHeadSpec {
  const featureDim = tf.tidy(() => {
    const V = model.persons * model.jointOrder.length;
    const out = model.forward(
      { x: tf.zeros([1, model.frames, V, model.inChannels]) as tf.Tensor4D },
      { training: false },
    );
    if (out.features.shape[3] !== out.pooled.shape[1])
      throw new Error(
        `text head: the model's pooled feature (${out.pooled.shape[1]}) and feature map (${out.features.shape[3]}) differ in width`,
      );
    return out.pooled.shape[1];
  });
  return { dim, featureDim, partPositions: textPartPositions(model, layoutName), encoder };
}

export function hasTextHead(params: ParameterStore): boolean {
  return params.entries().some(([info]) => info.name.startsWith('text.'));
}

/** Adds the head's parameters (PyTorch Linear init; logit scales at log(1/0.07)). */
export function addTextHead(params: ParameterStore, spec: TextHeadSpec): void {
  const bound = 1 / Math.sqrt(spec.featureDim);
  for (const slot of TEXT_SLOTS) {
    params.add(`text.${slot}.w`, [spec.featureDim, spec.dim], { kind: 'uniform', bound });
    params.add(`text.${slot}.b`, [spec.dim], { kind: 'uniform', bound }, { decay: false });
  }
  params.add(
    'text.logitScale',
    [TEXT_SLOTS.length],
    { kind: 'constant', value: INITIAL_LOGIT_SCALE },
    { decay: false },
  );
}

/** Trainable values of the head (reported apart from the model's own parameter count). */
export function textHeadParameterCount(spec: TextHeadSpec): number {
  return TEXT_SLOTS.length * (spec.featureDim + 1) * spec.dim + TEXT_SLOTS.length;
}

function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12))) as tf.Tensor2D;
}

/** The pooling matrix [P·J, 4]: column k averages part k's positions. */
function poolingMatrix(spec: TextHeadSpec, positions: number): tf.Tensor2D {
  const m = new Float32Array(positions * spec.partPositions.length);
  spec.partPositions.forEach((list, k) => {
    for (const v of list) m[v * spec.partPositions.length + k] = 1 / list.length;
  });
  return tf.tensor2d(m, [positions, spec.partPositions.length]);
}

/** The five slot embeddings of a batch, each [B, E] and unit length (global first). */
export function projectToText(
  params: ParameterStore,
  spec: TextHeadSpec,
  out: Pick<ModelOutput, 'pooled' | 'features'>,
): tf.Tensor2D[] {
  return tf.tidy(() => {
    const [B, , V, D] = out.features.shape;
    if (D !== spec.featureDim)
      throw new Error(`text head: features have width ${D}, the head expects ${spec.featureDim}`);
    // [B, T', V, D] → mean over T' → [B, D, V] → [B·D, V] · [V, 4] → [B, D, 4] → [B, 4, D]
    const perJoint = tf.transpose(tf.mean(out.features, 1), [0, 2, 1]);
    const pooledParts = tf.transpose(
      tf.reshape(tf.matMul(tf.reshape(perJoint, [B * D, V]), poolingMatrix(spec, V)), [
        B,
        D,
        spec.partPositions.length,
      ]),
      [0, 2, 1],
    );
    const partFeatures = tf.unstack(pooledParts, 1) as tf.Tensor2D[];
    const inputs = [out.pooled, ...partFeatures];
    return TEXT_SLOTS.map((slot, k) =>
      l2normalize(
        linear(
          inputs[k],
          params.get(`text.${slot}.w`) as tf.Tensor2D,
          params.get(`text.${slot}.b`) as tf.Tensor1D,
        ) as tf.Tensor2D,
      ),
    );
  });
}

/** exp(logit scale) per slot, capped at 100, [5]. */
export function logitScales(params: ParameterStore): tf.Tensor1D {
  return tf.tidy(() => tf.exp(tf.minimum(params.get('text.logitScale'), MAX_LOGIT_SCALE)) as tf.Tensor1D);
}
