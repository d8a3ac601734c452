/**
 * A multi-stream model: one member network per slice of the input channels, each with its own
 * parameters, fused late as a score ensemble:
 *
 *   logits = log Σ_s α_s · softmax(logits_s)        (α = fusionWeights, normalised to sum 1)
 *
 * so softmax(logits) is the weighted mean of the streams' probabilities, which is exactly what
 * `skelact ensemble` computes from two separate runs. `streamLogits` holds each stream's logits,
 * so the trainer gives every stream its own cross-entropy and the streams learn as if trained
 * apart (CTR-GCN's and SkateFormer's joint + bone ensembles), while the result ships, loads and
 * runs as one model folder. `pooled` and `features` are the first stream's.
 */
import * as tf from '@tensorflow/tfjs';
import { stringKey, streamSeed } from '../../core/random.js';
import { ModelConfigError } from '../model-config-error.js';
import { ParameterStore } from '../params.js';
import type { ForwardOptions, ModelBatch, ModelOutput, SkeletonModel, StageInfo } from '../types.js';
import { parseStreamsConfig, type StreamsConfig } from './config.js';

/** Builds a member network from its family and complete config (the registry's factory). */
export type MemberFactory = (kind: string, config: Record<string, unknown>, seed: number) => SkeletonModel;

export interface StreamsModel extends SkeletonModel<StreamsConfig> {
  readonly kind: 'streams';
  /** The member networks, in stream order. */
  readonly members: readonly SkeletonModel[];
}

/** Seed of stream `name`'s parameters: independent per stream, fixed by the model seed. */
export function memberSeed(seed: number, name: string): number {
  return streamSeed(seed, 'init', stringKey(`stream:${name}`));
}

export function createStreams(input: unknown, seed: number, createMember: MemberFactory): StreamsModel {
  const config = parseStreamsConfig(input);
  const members: SkeletonModel[] = [];
  try {
    for (const s of config.streams) members.push(createMember(s.kind, s.config, memberSeed(seed, s.name)));
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
  const first = members[0];
  const fail = (field: string, message: string): never => {
    for (const m of members) m.dispose();
    throw new ModelConfigError('streams config', field, message);
  };
  config.streams.forEach((s, i) => {
    const m = members[i];
    const width = s.channels[1] - s.channels[0];
    if (m.inChannels !== width)
      fail(`streams.${i}.config.inChannels`, `is ${m.inChannels}, but stream '${s.name}' reads ${width} channels`);
    if (m.persons !== first.persons || m.frames !== first.frames || m.jointOrder.join() !== first.jointOrder.join())
      fail(
        `streams.${i}`,
        `stream '${s.name}' takes ${m.persons} person(s), ${m.frames} frames and joints [${[...m.jointOrder].join(', ')}]; stream '${config.streams[0].name}' takes ${first.persons}, ${first.frames} and [${[...first.jointOrder].join(', ')}]: every stream must take the same clip`,
      );
  });
  const inChannels = Math.max(...config.streams.map((s) => s.channels[1]));
  const total = config.fusionWeights.reduce((a, b) => a + b, 0);
  const logWeights = config.fusionWeights.map((w) => (w > 0 ? Math.log(w / total) : -Infinity));
  const params = ParameterStore.union(
    seed,
    config.streams.map((s, i) => [s.name, members[i].params] as const),
  );

  function forward(batch: ModelBatch, options: ForwardOptions): ModelOutput {
    const { x } = batch;
    if (x.rank !== 4 || x.shape[3] !== inChannels)
      throw new Error(
        `streams: input must be [B, ${first.frames}, V, ${inChannels}] (the channels of every stream: ${config.streams.map((s) => `${s.name} ${s.channels[0]}–${s.channels[1] - 1}`).join(', ')}), got [${x.shape.join(', ')}]`,
      );
    const [B, T, V] = x.shape;
    const outs = config.streams.map((s, i) => {
      const [a, b] = s.channels;
      const slice = a === 0 && b === inChannels ? x : (tf.slice(x, [0, 0, 0, a], [B, T, V, b - a]) as tf.Tensor4D);
      // Each stream draws its own dropout masks: the streams are separate networks.
      const seed = options.seed === undefined ? undefined : streamSeed(options.seed, 'dropout', stringKey(s.name));
      return members[i].forward({ x: slice, indexT: batch.indexT }, { training: options.training, seed });
    });
    const streamLogits = outs.map((o) => o.logits);
    const terms = outs.flatMap((o, i) =>
      logWeights[i] > -Infinity ? [tf.add(tf.logSoftmax(o.logits), logWeights[i])] : [],
    );
    const logits = (terms.length === 1 ? terms[0] : tf.logSumExp(tf.stack(terms), 0)) as tf.Tensor2D;
    return { logits, pooled: outs[0].pooled, features: outs[0].features, streamLogits };
  }

  return {
    kind: 'streams',
    config,
    params,
    members,
    persons: first.persons,
    jointOrder: first.jointOrder,
    featureJoints: first.featureJoints,
    inChannels,
    frames: first.frames,
    forward,
    describe(): StageInfo[] {
      const rows: StageInfo[] = [
        { name: 'input', shape: [1, first.frames, first.jointOrder.length * first.persons, inChannels], parameters: 0 },
      ];
      config.streams.forEach((s, i) => {
        for (const row of members[i].describe()) rows.push({ ...row, name: `${s.name}.${row.name}` });
      });
      rows.push({ name: 'fusion', shape: [1, rows[rows.length - 1].shape[1]], parameters: 0 });
      return rows;
    },
    // The union store owns every member's variables; members are not disposed twice.
    dispose: () => params.dispose(),
  };
}
