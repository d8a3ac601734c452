/**
 * What every skelact model is: a typed config plus a pure forward function from
 * parameters and a batch to logits and features.
 *
 * Tensor layout inside models (named once, here): x is [B, T, V, C], channels last, with
 * persons flattened into the joint axis person-major (V = persons · joints per person, in
 * the model's own joint order). `toModelBatch` in ./input.ts is the one place that turns
 * library clips ([persons, frames, joints, channels]) into this layout.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ParameterStore } from './params.js';

export interface ModelBatch {
  /** [B, T, V, C] float32. */
  readonly x: tf.Tensor4D;
  /** [B, T]: real source frame of each sampled frame, normalised to [−1, 1] (SkateFormer's index_t). */
  readonly indexT?: tf.Tensor2D;
}

export interface ForwardOptions {
  /** Training mode: dropout, drop path and batch-norm batch statistics are on. */
  readonly training: boolean;
  /** Seed of this step's dropout masks (training only), so a step can be replayed exactly. */
  readonly seed?: number;
}

/** What a model's forward pass returns: the logits, per-stream logits of multi-stream models, and features. */
export interface ModelOutput {
  /** [B, classes]. */
  readonly logits: tf.Tensor2D;
  /** Pooled feature before the classifier, [B, D]. */
  readonly pooled: tf.Tensor2D;
  /** Last feature map before pooling, [B, T', V, D] (GAP-style part pooling uses it). */
  readonly features: tf.Tensor4D;
  /**
   * Multi-stream models (part streams): each stream's own logits. The trainer then adds
   * every stream's cross-entropy, as if the streams were trained separately, while `logits`
   * holds the fused scores used for evaluation.
   */
  readonly streamLogits?: readonly tf.Tensor2D[];
}

/** One row of `skelact model-info`: a named step and the tensor shape after it. */
export interface StageInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly parameters: number;
}

/** A model: a typed config, its parameters and a pure forward function from a batch to logits; `dispose()` frees its weights. */
export interface SkeletonModel<Config = unknown> {
  readonly kind: string;
  readonly config: Config;
  readonly params: ParameterStore;
  /** Persons and layout joints (per person, in model order) the input must hold. */
  readonly persons: number;
  readonly jointOrder: Int32Array;
  /**
   * Layout joint of each position of `features`' joint axis, per person (the axis holds
   * persons · featureJoints.length, person-major). Default: jointOrder.
   */
  readonly featureJoints?: Int32Array;
  /** Multi-stream models (`streams`): the member networks, in stream order; absent for one network. */
  readonly members?: readonly SkeletonModel[];
  /** Input channels (3 for xyz; 12 for PSUMNet-style j|b|jm|bm stacks). */
  readonly inChannels: number;
  readonly frames: number;
  /** Forward pass; call inside tf.tidy or an optimiser's gradient function. */
  forward(batch: ModelBatch, options: ForwardOptions): ModelOutput;
  /** Shapes stage by stage for a batch of one (runs a forward pass). */
  describe(): StageInfo[];
  /** Frees the model's weights (its ParameterStore's variables). */
  dispose(): void;
}
