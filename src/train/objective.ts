/**
 * Loss terms, each owning its loss. A training run sums the terms it is given, in order:
 * one that classifies (plain cross-entropy, `classificationObjective`, or a long-tail loss,
 * `longTailObjective` in ./long-tail-objective.ts) and any others — GAP's text loss in
 * src/text-priors is one — built by the caller before train() and passed in `objectives`.
 * The trainer itself knows no loss: it runs the forward pass, adds the terms, steps.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelMeta } from '../models/io.js';
import type { ModelOutput } from '../models/types.js';
import type { ExperimentConfig } from './config.js';
import type { HostBatch } from './loader.js';
import { classificationLoss } from './loss.js';

/** Host-side data an objective needs for one batch, as one tensor with the batch on `batchAxis`. */
export interface ObjectiveTargets {
  readonly tensor: tf.Tensor;
  readonly batchAxis: number;
}

/** Where a batch sits in the run: seeds any random choice, so a resumed run draws the same. */
export interface BatchPosition {
  readonly epoch: number;
  readonly batch: number;
}

/** A loss term of a training run: it prepares its batch targets and computes its (weighted) loss. */
export interface TrainingObjective {
  /** What the term is, for messages ('classification', 'long-tail ldam', 'text'). */
  readonly name: string;
  /** True for the term that classifies: a run has exactly one (the trainer adds the config's when none is given). */
  readonly classifies?: boolean;
  /** The experiment config section it serves ('text'): train() refuses that section without it. */
  readonly section?: string;
  /** Added to every saved model's manifest (e.g. the text head's spec). */
  readonly modelMeta?: Partial<ModelMeta>;
  /**
   * Before the batch becomes tensors: a replacement for the host batch (BRL's partial-body
   * mixup) and the term's targets, made from the batch's labels. Terms see the batch as the
   * terms before them left it. The trainer splits the targets into micro-batches along
   * `batchAxis` and disposes them.
   */
  prepare?(
    host: HostBatch,
    position: BatchPosition,
  ): { readonly host?: HostBatch; readonly targets?: ObjectiveTargets };
  /** The term (already weighted) for one micro-batch. */
  loss(output: ModelOutput, labels: tf.Tensor1D, targets: tf.Tensor | undefined, position: BatchPosition): tf.Scalar;
}

/** Label-smoothed cross-entropy, summed over the streams of a multi-stream model. */
export function classificationObjective(labelSmoothing = 0): TrainingObjective {
  return {
    name: 'classification',
    classifies: true,
    loss: (output, labels) => classificationLoss(output, labels, labelSmoothing),
  };
}
