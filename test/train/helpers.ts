/**
 * Fixtures for the training tests: a tiny model written with the ops layer over a
 * ParameterStore (so these tests do not depend on the real model families), and a small
 * synthetic NTU-layout cache with separable classes.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { CacheWriter } from '../../src/data/cache/writer.js';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { generateSyntheticSamples } from '../../src/data/synthetic/generator.js';
import { initBackend } from '../../src/engine/backend.js';
import { type BatchNormState, batchNorm, dropout, gelu, linear } from '../../src/models/ops.js';
import { ParameterStore } from '../../src/models/params.js';
import type { ModelBatch, ModelOutput, SkeletonModel } from '../../src/models/types.js';
import { parseExperiment, type ExperimentConfig } from '../../src/train/config.js';
import { tempDir } from '../helpers/temp.js';

export async function useBackend(): Promise<void> {
  await initBackend('wasm');
}

export const tmp = (prefix = 'skelact-train-') => tempDir(prefix);

export interface TinyOptions {
  readonly persons?: number;
  readonly jointOrder?: Int32Array;
  readonly frames?: number;
  readonly channels?: number;
  readonly classes: number;
  readonly hidden?: number;
  readonly seed?: number;
  /** Two extra heads returned as streamLogits (the fused logits are their mean). */
  readonly streams?: boolean;
  /** From this many training forwards on, the logits are NaN. */
  readonly nanAfter?: number;
  /** No batch norm and no dropout: every sample is computed on its own (for micro-batching tests). */
  readonly independent?: boolean;
}

export interface TinyModel extends SkeletonModel<{ hidden: number }> {
  trainingForwards: number;
}

/** x [B,T,V,C] → linear+GELU per token → mean over frames → flatten (V·H) → batch norm → dropout → linear. */
export function tinyModel(options: TinyOptions): TinyModel {
  const persons = options.persons ?? 2;
  const jointOrder = options.jointOrder ?? Int32Array.from({ length: 25 }, (_, i) => i);
  const frames = options.frames ?? 16;
  const C = options.channels ?? 3;
  const H = options.hidden ?? 8;
  const K = options.classes;
  const D = persons * jointOrder.length * H;
  const store = new ParameterStore(options.seed ?? 7);
  const w1 = store.add('embed.w', [C, H], { kind: 'uniform', bound: 1 / Math.sqrt(C) });
  const b1 = store.add('embed.b', [H], { kind: 'zeros' });
  const bn: BatchNormState = {
    gamma: store.add('norm.gamma', [D], { kind: 'ones' }),
    beta: store.add('norm.beta', [D], { kind: 'zeros' }),
    movingMean: store.add('norm.mean', [D], { kind: 'zeros' }, { trainable: false }),
    movingVariance: store.add('norm.var', [D], { kind: 'ones' }, { trainable: false }),
  };
  const heads = options.streams ? ['head0', 'head1'] : ['head'];
  const headParams = heads.map((h) => ({
    w: store.add(`${h}.w`, [D, K], { kind: 'uniform', bound: 1 / Math.sqrt(D) }),
    b: store.add(`${h}.b`, [K], { kind: 'zeros' }),
  }));
  const model: TinyModel = {
    kind: 'tiny',
    config: { hidden: H },
    params: store,
    persons,
    jointOrder,
    inChannels: C,
    frames,
    trainingForwards: 0,
    forward(batch: ModelBatch, fo): ModelOutput {
      if (fo.training) model.trainingForwards++;
      const h = gelu(linear(batch.x, w1 as tf.Tensor2D, b1 as tf.Tensor1D)) as tf.Tensor4D;
      let pooled = tf.reshape(tf.mean(h, 1), [-1, D]) as tf.Tensor2D;
      if (!options.independent) {
        pooled = batchNorm(pooled, bn, fo.training) as tf.Tensor2D;
        if (fo.training) pooled = dropout(pooled, 0.2, fo.seed ?? 0) as tf.Tensor2D;
      }
      const streamLogits = headParams.map(
        ({ w, b }) => linear(pooled, w as tf.Tensor2D, b as tf.Tensor1D) as tf.Tensor2D,
      );
      let logits =
        streamLogits.length === 1
          ? streamLogits[0]
          : (tf.div(tf.addN(streamLogits), streamLogits.length) as tf.Tensor2D);
      if (options.nanAfter !== undefined && fo.training && model.trainingForwards > options.nanAfter)
        logits = tf.mul(logits, Number.NaN) as tf.Tensor2D;
      return { logits, pooled, features: h, ...(options.streams ? { streamLogits } : {}) };
    },
    describe: () => [],
    dispose: () => store.dispose(),
  };
  return model;
}

/** Weight bytes of a model, for bit-exact comparisons. */
export async function weightBytes(model: SkeletonModel): Promise<Uint8Array> {
  return new Uint8Array((await model.params.toWeights()).data);
}

let cacheCounter = 0;

/**
 * A synthetic NTU cache: `perClass` samples of each of `actions`, 40–90 frames, two person
 * slots, benchmark 'bench' with every 4th sample of each class in the test split.
 */
export function syntheticCache(
  options: { actions?: readonly string[]; perClass?: number; seed?: number } = {},
): SkeletonCache {
  const actions = options.actions ?? ['A008', 'A009', 'A023', 'A024'];
  const samples = generateSyntheticSamples({
    seed: options.seed ?? 5,
    actions,
    samplesPerClass: options.perClass ?? 8,
    frames: [40, 90],
    personSlots: 2,
    jointNoise: 0.005,
  });
  const dir = join(tmp('skelact-train-cache-'), `c${cacheCounter++}`);
  const writer = new CacheWriter(dir, {
    dataset: 'synthetic',
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    classNames: actions.map((a) => `action ${a}`),
    preprocessing: { note: 'test fixture' },
    fingerprint: 'test',
    source: 'generated',
    skelactVersion: '0.0.0',
  });
  samples.forEach((s, i) =>
    writer.add(s, { bench: Math.floor(i / actions.length) % 4 === 3 ? 'test' : 'train' }, s.name),
  );
  writer.commit({ skipped: [], failed: [], denoised: [] }, ['bench']);
  return SkeletonCache.open(dir);
}

/** A small valid experiment config; `overrides` are merged per section. */
export function experiment(
  overrides: { data?: object; optim?: object; augment?: object; seed?: number; evalEvery?: number } = {},
): ExperimentConfig {
  return parseExperiment({
    name: 'tiny',
    seed: overrides.seed ?? 3,
    model: { kind: 'tiny' },
    data: { benchmark: 'bench', frames: 16, sampling: 'skateformer', minLength: 16, ...overrides.data },
    augment: { preset: 'ntu-skateformer', ...overrides.augment },
    optim: {
      optimizer: 'adamw',
      lr: 3e-3,
      weightDecay: 0.05,
      batchSize: 4,
      epochs: 4,
      warmupEpochs: 1,
      warmupLr: 1e-4,
      minLr: 1e-5,
      labelSmoothing: 0.1,
      clipGradNorm: 1,
      ...overrides.optim,
    },
    ...(overrides.evalEvery ? { evalEvery: overrides.evalEvery } : {}),
  });
}
