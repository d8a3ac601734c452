/**
 * Part-stream (PSUMNet-style) model config: typed, validated strictly, defaults merged here.
 */
import * as z from 'zod';
import { LAYOUT_NAMES } from '../../graph/layout.js';
import { PART_STREAM_NAMES } from '../../graph/parts.js';
import { parseConfig } from '../stgcn/validate.js';
import { PSUMNET_FUSION_WEIGHTS } from './constants.js';

const weightSchema = z.number().min(0);

export const partStreamConfigSchema = z
  .object({
    layout: z.enum(LAYOUT_NAMES),
    classes: z.number().int().min(1),
    persons: z.number().int().min(1).default(2),
    frames: z.number().int().min(1).default(64),
    /** Input channels per joint: xyz (3) or image keypoints (2); the model stacks j|b|jm|bm itself. */
    inChannels: z.number().int().min(1).default(3),
    /** Streams to build, in output order (`streamLogits` follows it). */
    streams: z
      .array(z.enum(PART_STREAM_NAMES))
      .min(1)
      .refine((s) => new Set(s).size === s.length, 'a stream is listed twice')
      .default([...PART_STREAM_NAMES]),
    /** Width of layers l1–l4 (64 in PSUMNet); l5–l7 are 2×, l8–l10 4×. */
    baseChannels: z.number().int().min(1).default(64),
    /** Temporal kernel of the dilated branches (5 in PSUMNet's TRM). */
    temporalKernel: z
      .number()
      .int()
      .min(1)
      .refine((k) => k % 2 === 1, 'must be odd')
      .default(5),
    /** One temporal branch per dilation. */
    dilations: z.array(z.number().int().min(1)).min(1).default([1, 2]),
    /** The 3×1 max-pool branch (its backward goes through Maximum, not MaxPoolGrad). */
    poolBranch: z.boolean().default(true),
    /** Late-fusion weights of the streams' softmax scores (default NTU60 X-Sub). */
    fusionWeights: z
      .object({ body: weightSchema, hand: weightSchema, leg: weightSchema })
      .strict()
      .default({ ...PSUMNET_FUSION_WEIGHTS['ntu60-xsub'] }),
    /** Dropout before each stream's classifier (CTR-GCN default 0). */
    dropout: z.number().min(0).lt(1).default(0),
    /** Training recomputes each block in the backward pass instead of keeping its intermediates (about +30% time, a fraction of the memory). */
    checkpoint: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    const branches = c.dilations.length + (c.poolBranch ? 1 : 0) + 1;
    if (c.baseChannels % branches !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseChannels'],
        message: `must be divisible by the ${branches} temporal branches (dilations, pool, 1×1), got ${c.baseChannels}`,
      });
    }
    if (c.streams.every((s) => c.fusionWeights[s] === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fusionWeights'],
        message: 'at least one built stream needs a positive weight',
      });
    }
  });

export type PartStreamConfigInput = z.input<typeof partStreamConfigSchema>;
export type PartStreamConfig = z.output<typeof partStreamConfigSchema>;

export const PART_STREAM_PRESET_NAMES = ['small', 'psumnet'] as const;
export type PartStreamPresetName = (typeof PART_STREAM_PRESET_NAMES)[number];

export const PART_STREAM_PRESETS: Record<PartStreamPresetName, Pick<PartStreamConfigInput, 'baseChannels'>> = {
  /** Quarter width (16/32/64) for CPU tests. */
  small: { baseChannels: 16 },
  /** The paper's widths (64/128/256). */
  psumnet: { baseChannels: 64 },
};

export function parsePartStreamConfig(raw: unknown): PartStreamConfig {
  return parseConfig(partStreamConfigSchema, raw, 'partstream');
}

/** A preset with the data-dependent fields (and any overrides) merged in, validated. */
export function partStreamPreset(name: PartStreamPresetName, fields: PartStreamConfigInput): PartStreamConfig {
  if (!(PART_STREAM_PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(
      `partstream config: field 'preset': expected one of ${PART_STREAM_PRESET_NAMES.join(', ')}, got '${name}'`,
    );
  }
  return parsePartStreamConfig({ ...PART_STREAM_PRESETS[name], ...fields });
}
