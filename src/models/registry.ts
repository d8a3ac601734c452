/**
 * Builds a model from the `model` section of an experiment config (family + preset +
 * overrides) and the facts that come from the data (layout, number of classes, persons,
 * frames). An explicit switch, so a reader sees exactly which class runs.
 */
import type { LayoutName } from '../graph/layout.js';
import type { ModelManifest } from './io.js';
import {
  createPartStream,
  PART_STREAM_PRESET_NAMES,
  partStreamPreset,
  type PartStreamPresetName,
} from './partstream/index.js';
import {
  createSkateFormer,
  PRESET_INPUTS,
  SKATEFORMER_PRESETS,
  skateFormerPreset,
  type SkateFormerPresetName,
} from './skateformer/index.js';
import { createStgcn, STGCN_PRESET_NAMES, stgcnPreset, type StgcnPresetName } from './stgcn/index.js';
import { createStreams, parseStreamsSection, type StreamsConfig } from './streams/index.js';
import type { SkeletonModel } from './types.js';
import { ModelConfigError } from './model-config-error.js';

export const MODEL_KINDS = ['skateformer', 'stgcn', 'partstream', 'streams'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The `model` section of an experiment config. */
export interface ModelSection {
  readonly kind: string;
  readonly preset?: string;
  readonly [field: string]: unknown;
}

/** What the data decides: the model must fit the cache it trains on. */
export interface DataFacts {
  readonly layout: LayoutName;
  readonly classes: number;
  /** Persons in the input (default: the preset's or 2). */
  readonly persons?: number;
  readonly frames?: number;
}

export { ModelConfigError };

function checkPreset<T extends string>(kind: string, preset: string | undefined, names: readonly T[], fallback: T): T {
  const name = preset ?? fallback;
  if (!(names as readonly string[]).includes(name))
    throw new ModelConfigError(
      'model config',
      'preset',
      `${kind} has no preset '${name}' (expected one of ${names.join(', ')})`,
    );
  return name as T;
}

/** A family and its complete, validated config: what a saved model's manifest holds. */
export interface ResolvedModelConfig {
  readonly kind: string;
  readonly config: Record<string, unknown>;
}

/** The complete config of a section for the given data (presets merged, validated), without building. */
export function resolveModelConfig(section: ModelSection, data: DataFacts): ResolvedModelConfig {
  const { kind, preset, ...overrides } = section;
  if (overrides.layout !== undefined && overrides.layout !== data.layout) {
    throw new ModelConfigError(
      'model config',
      'layout',
      `is ${String(overrides.layout)}, but the data is on layout ${data.layout}`,
    );
  }
  const facts: Record<string, unknown> = { layout: data.layout, classes: data.classes };
  if (data.persons !== undefined) facts.persons = data.persons;
  if (data.frames !== undefined) facts.frames = data.frames;
  switch (kind) {
    case 'skateformer': {
      const name = checkPreset(kind, preset, SKATEFORMER_PRESETS, 'ntu') as SkateFormerPresetName;
      // SkateFormer presets are built for one layout (its joint groups); the data must match.
      const wanted = (overrides.layout as string | undefined) ?? PRESET_INPUTS[name].layout;
      if (wanted !== data.layout) {
        throw new ModelConfigError(
          'model config',
          'preset',
          `SkateFormer preset '${name}' takes layout ${wanted}, but the data is on layout ${data.layout}; use a preset for ${data.layout} (${SKATEFORMER_PRESETS.filter((p) => PRESET_INPUTS[p].layout === data.layout).join(', ') || 'none'})`,
        );
      }
      return { kind, config: skateFormerPreset(name, { ...facts, ...overrides }) };
    }
    case 'stgcn': {
      const name = checkPreset(kind, preset, STGCN_PRESET_NAMES, 'tiny') as StgcnPresetName;
      return { kind, config: stgcnPreset(name, { ...facts, ...overrides } as Parameters<typeof stgcnPreset>[1]) };
    }
    case 'partstream': {
      const name = checkPreset(kind, preset, PART_STREAM_PRESET_NAMES, 'small') as PartStreamPresetName;
      return {
        kind,
        config: partStreamPreset(name, { ...facts, ...overrides } as Parameters<typeof partStreamPreset>[1]),
      };
    }
    case 'streams': {
      // Each stream's network is the member section with that stream's channel width as input.
      const { streams, member, fusionWeights } = parseStreamsSection(section);
      const config: StreamsConfig = {
        streams: streams.map((s) => ({
          ...s,
          ...resolveModelConfig({ ...member, inChannels: s.channels[1] - s.channels[0] }, data),
        })),
        fusionWeights: fusionWeights ?? streams.map(() => 1),
      };
      return { kind, config };
    }
    default:
      throw new ModelConfigError(
        'model config',
        'kind',
        `unknown model family '${kind}' (expected one of ${MODEL_KINDS.join(', ')})`,
      );
  }
}

/** Builds the model of a config section for the given data (validated by the family's schema). */
export function createModel(section: ModelSection, data: DataFacts, seed: number): SkeletonModel {
  return buildModel(resolveModelConfig(section, data), seed);
}

/** Rebuilds a saved model from its manifest (its config is complete, so no preset is needed). */
export function createModelFromManifest(manifest: Pick<ModelManifest, 'kind' | 'config'>, seed: number): SkeletonModel {
  return buildModel(manifest, seed, 'saved model');
}

function buildModel({ kind, config }: ResolvedModelConfig, seed: number, source = 'model config'): SkeletonModel {
  switch (kind) {
    case 'skateformer':
      return createSkateFormer(config as Parameters<typeof createSkateFormer>[0], seed);
    case 'stgcn':
      return createStgcn(config as Parameters<typeof createStgcn>[0], seed);
    case 'partstream':
      return createPartStream(config as Parameters<typeof createPartStream>[0], seed);
    case 'streams':
      return createStreams(config, seed, (memberKind, memberConfig, memberSeed) =>
        buildModel({ kind: memberKind, config: memberConfig }, memberSeed, source),
      );
    default:
      throw new ModelConfigError(
        source,
        'kind',
        `family '${kind}' is not known to this skelact (expected one of ${MODEL_KINDS.join(', ')})`,
      );
  }
}
