/**
 * Loss terms that plug into training from outside the trainer. The trainer knows only
 * classification (and the long-tail losses that replace it); anything else that supervises a
 * model — GAP's text loss in src/text-priors is one — comes in as a TrainingObjective, built
 * by the caller before train() and passed in `objectives`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelMeta } from '../models/io.js';
import type { ModelOutput } from '../models/types.js';

/** Host-side data an objective needs for one batch, as one tensor with the batch on `batchAxis`. */
export interface ObjectiveTargets {
  readonly tensor: tf.Tensor;
  readonly batchAxis: number;
}

export interface TrainingObjective {
  /** The experiment config section it serves ('text'): train() refuses that section without it. */
  readonly section: string;
  /** Added to every saved model's manifest (e.g. the text head's spec). */
  readonly modelMeta?: Partial<ModelMeta>;
  /**
   * The batch's targets, made before the forward pass from its labels; the trainer splits them
   * into micro-batches along `batchAxis` and disposes them. `position` seeds any random choice,
   * so a resumed run draws the same targets.
   */
  targets?(labels: Int32Array, position: { readonly epoch: number; readonly batch: number }): ObjectiveTargets;
  /** The term (already weighted) for one micro-batch, added to the classification loss. */
  loss(output: ModelOutput, labels: tf.Tensor1D, targets: tf.Tensor | undefined): tf.Scalar;
}
