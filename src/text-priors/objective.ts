/**
 * GAP's text supervision as a training objective: the descriptions embedded once, the text head
 * added to the model, and per batch the multi-part text loss, weighted, added to the
 * classification term (src/train/objective.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { randomStream } from '../core/random.js';
import type { SkeletonCache } from '../data/cache/reader.js';
import { logitScales, projectToText } from '../models/text-head.js';
import type { SkeletonModel } from '../models/types.js';
import type { ExperimentConfig } from '../train/config.js';
import type { TrainingObjective } from '../train/objective.js';
import type { EmbedReport } from './embedding-cache.js';
import { batchTextTargets } from './prompts.js';
import { type TextSupervision, prepareTextSupervision } from './supervision.js';
import { gapTextLoss } from './text-loss.js';

export interface TextObjective extends TrainingObjective {
  readonly supervision: TextSupervision;
  /** How many texts were embedded now and how many came from the embedding cache. */
  readonly embedded: EmbedReport | undefined;
}

/** Which global-slot text each sample of a batch trains on: a seeded random candidate, or the name. */
function textChoice(text: TextSupervision, random: () => number): (classIndex: number) => number {
  if (!text.randomGlobal) return () => 0;
  return (c) => Math.floor(random() * text.table.globalCandidates[c].length);
}

/** Prepares the text supervision of `config.text` for `model` (adding its text head) on `cache`. */
export async function gapTextObjective(
  config: ExperimentConfig,
  model: SkeletonModel,
  cache: SkeletonCache,
): Promise<TextObjective> {
  let embedded: EmbedReport | undefined;
  const supervision = await prepareTextSupervision(config, model, cache, (r) => (embedded = r));
  const dim = supervision.table.dim;
  return {
    name: 'text',
    section: 'text',
    modelMeta: { textHead: supervision.spec },
    supervision,
    embedded,
    prepare({ labels }, { epoch, batch }) {
      const targets = batchTextTargets(
        supervision.table,
        labels,
        textChoice(supervision, randomStream(config.seed, 'text', epoch, batch)),
      );
      const B = labels.length;
      // [slots, B, E]: the batch is axis 1.
      return { targets: { tensor: tf.tensor3d(targets, [targets.length / (B * dim), B, dim]), batchAxis: 1 } };
    },
    loss(output, labels, targets) {
      if (!targets) throw new Error('the text objective needs its batch targets');
      const textLoss = gapTextLoss(
        projectToText(model.params, supervision.spec, output),
        tf.unstack(targets) as tf.Tensor2D[],
        labels,
        logitScales(model.params),
        supervision.sharpness,
      );
      return tf.mul(textLoss, supervision.weight) as tf.Scalar;
    },
  };
}
