/**
 * The long-tail losses (./long-tail-loss.ts) as the run's classification term, with BRL's
 * partial-body mixup (./mixup.ts) of the batch when the config's `longTail.mixup` asks.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layout } from '../graph/layout.js';
import { randomStream } from '../core/random.js';
import type { ExperimentConfig } from './config.js';
import type { LoaderModelSpec } from './loader.js';
import { longTailLoss } from './long-tail-loss.js';
import { partialBodyMixup } from './mixup.js';
import type { TrainingObjective } from './objective.js';

export interface LongTailObjectiveOptions {
  readonly config: Pick<ExperimentConfig, 'seed' | 'optim'> & {
    readonly longTail: NonNullable<ExperimentConfig['longTail']>;
  };
  /** Training samples per class, in label order (n_c). */
  readonly counts: readonly number[];
  /** For the mixup: which joints are upper and lower body, and the model's input. */
  readonly layout: Layout;
  readonly model: LoaderModelSpec;
}

/** The config's long-tail loss, summed over a multi-stream model's streams. */
export function longTailObjective(options: LongTailObjectiveOptions): TrainingObjective {
  const { config, counts, layout, model } = options;
  const lt = config.longTail;
  const smoothing = config.optim.labelSmoothing;
  return {
    name: `long-tail ${lt.loss}`,
    classifies: true,
    prepare(host, { epoch, batch }) {
      if (!lt.mixup) return {};
      const mixed = partialBodyMixup(
        host,
        model,
        layout,
        counts,
        lt.mixup,
        randomStream(config.seed, 'shuffle', epoch, batch, 7),
      );
      // [2, B]: the second label of each sample (exact as float32) and its weight.
      const targets = new Float32Array(2 * host.size);
      targets.set(mixed.labelsB, 0);
      targets.set(mixed.lambda, host.size);
      return { host: mixed.host, targets: { tensor: tf.tensor2d(targets, [2, host.size]), batchAxis: 1 } };
    },
    loss(output, labels, targets, { epoch }) {
      const mix = targets ? (tf.unstack(targets) as tf.Tensor1D[]) : undefined;
      const target = { labels, labelsB: mix ? (tf.cast(mix[0], 'int32') as tf.Tensor1D) : undefined, lambda: mix?.[1] };
      const streams = output.streamLogits && output.streamLogits.length > 0 ? output.streamLogits : [output.logits];
      const losses = streams.map((l) => longTailLoss(l, target, counts, lt, smoothing, epoch));
      return (losses.length === 1 ? losses[0] : tf.addN(losses)) as tf.Scalar;
    },
  };
}
