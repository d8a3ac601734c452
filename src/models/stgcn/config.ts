/**
 * ST-GCN baseline config: typed, validated strictly (unknown fields are errors that name
 * the field), with defaults merged here and nowhere else.
 */
import * as z from 'zod';
import { LAYOUT_NAMES } from '../../graph/layout.js';
import { GRAPH_MODES } from './layers.js';
import { parseConfig } from './validate.js';

const blockSchema = z
  .object({
    /** Output channels of the block. */
    channels: z.number().int().min(1),
    /** Temporal stride (2 where the width grows, as ST-GCN). */
    stride: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();

export const stgcnConfigSchema = z
  .object({
    layout: z.enum(LAYOUT_NAMES),
    classes: z.number().int().min(1),
    /** Persons in the input; each runs through the network separately, then scores are averaged. */
    persons: z.number().int().min(1).default(2),
    frames: z.number().int().min(1).default(64),
    /** Input channels per joint (3 for xyz, 2 for image keypoints, 12 for a j|b|jm|bm stack). */
    inChannels: z.number().int().min(1).default(3),
    blocks: z.array(blockSchema).min(1),
    /** Temporal kernel (9 in ST-GCN); odd, so 'same' padding is symmetric. */
    temporalKernel: z
      .number()
      .int()
      .min(1)
      .refine((k) => k % 2 === 1, 'must be odd')
      .default(9),
    /** 'importance': ST-GCN's learnable edge-importance mask; 'adaptive': an additive learned matrix. */
    graph: z.enum(GRAPH_MODES).default('importance'),
    /** Dropout after each temporal conv (ST-GCN uses 0.5 on NTU; 0 here by default). */
    dropout: z.number().min(0).lt(1).default(0),
    /** Training recomputes each block in the backward pass instead of keeping its intermediates (about +30% time, a fraction of the memory). */
    checkpoint: z.boolean().default(true),
  })
  .strict();

export type StgcnConfigInput = z.input<typeof stgcnConfigSchema>;
export type StgcnConfig = z.output<typeof stgcnConfigSchema>;
export type StgcnBlockConfig = StgcnConfig['blocks'][number];

export const STGCN_PRESET_NAMES = ['tiny', 'standard'] as const;
export type StgcnPresetName = (typeof STGCN_PRESET_NAMES)[number];

/** The architecture part of each preset; layout, classes, persons and frames come from the data. */
export const STGCN_PRESETS: Record<StgcnPresetName, Pick<StgcnConfigInput, 'blocks' | 'temporalKernel' | 'graph'>> = {
  /** Three blocks for CPU tests and sanity checks. */
  tiny: {
    blocks: [
      { channels: 32, stride: 1 },
      { channels: 64, stride: 2 },
      { channels: 64, stride: 1 },
    ],
  },
  /** ST-GCN (Yan et al. 2018): 64×4, 128×3, 256×3, stride 2 where the width grows. */
  standard: {
    blocks: [
      { channels: 64, stride: 1 },
      { channels: 64, stride: 1 },
      { channels: 64, stride: 1 },
      { channels: 64, stride: 1 },
      { channels: 128, stride: 2 },
      { channels: 128, stride: 1 },
      { channels: 128, stride: 1 },
      { channels: 256, stride: 2 },
      { channels: 256, stride: 1 },
      { channels: 256, stride: 1 },
    ],
  },
};

/** Validates a full config; errors name the field. */
export function parseStgcnConfig(raw: unknown): StgcnConfig {
  return parseConfig(stgcnConfigSchema, raw, 'stgcn');
}

/** A preset with the data-dependent fields (and any overrides) merged in, validated. */
export function stgcnPreset(
  name: StgcnPresetName,
  fields: Omit<StgcnConfigInput, 'blocks'> & Partial<Pick<StgcnConfigInput, 'blocks'>>,
): StgcnConfig {
  if (!(STGCN_PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`stgcn config: field 'preset': expected one of ${STGCN_PRESET_NAMES.join(', ')}, got '${name}'`);
  }
  return parseStgcnConfig({ ...STGCN_PRESETS[name], ...fields });
}
