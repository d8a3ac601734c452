/**
 * Config of a multi-stream model: the same network trained on several slices of the input
 * channels (joint | bone from modality `jb`), fused by its softmax scores. Two forms:
 *
 * - the experiment config's `model` section: `{ kind: 'streams', streams: [{ name, channels }],
 *   member: { kind, preset, …overrides }, fusionWeights? }`; the member section is completed by
 *   the registry for each stream (its `inChannels` is the width of its slice);
 * - the saved model's config: every stream with its member family and complete config, so a
 *   model rebuilds without presets.
 */
import * as z from 'zod';
import { parseConfig } from '../stgcn/validate.js';

const streamSchema = z
  .object({
    /** Names the stream in parameter names and reports, e.g. "joint". */
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter'),
    /** [first, end) of the input channels the stream reads (end exclusive). */
    channels: z
      .tuple([z.number().int().min(0), z.number().int().min(1)])
      .refine(([a, b]) => b > a, 'the end channel must come after the first'),
  })
  .strict();

function checkStreams(
  c: { streams: ReadonlyArray<{ name: string }>; fusionWeights?: readonly number[] },
  ctx: z.RefinementCtx,
): void {
  const names = c.streams.map((s) => s.name);
  if (new Set(names).size !== names.length)
    ctx.addIssue({ code: 'custom', path: ['streams'], message: `a stream name is used twice (${names.join(', ')})` });
  if (c.fusionWeights !== undefined) {
    if (c.fusionWeights.length !== c.streams.length)
      ctx.addIssue({
        code: 'custom',
        path: ['fusionWeights'],
        message: `needs one weight per stream (${c.streams.length}), got ${c.fusionWeights.length}`,
      });
    else if (c.fusionWeights.every((w) => w === 0))
      ctx.addIssue({ code: 'custom', path: ['fusionWeights'], message: 'at least one stream needs a positive weight' });
  }
}

/** The `model` section of an experiment config with `kind: 'streams'`. */
export const streamsSectionSchema = z
  .object({
    kind: z.literal('streams'),
    streams: z.array(streamSchema).min(2),
    /** The network every stream builds: a model section of another family (not `streams`). */
    member: z
      .object({ kind: z.string().min(1), preset: z.string().optional() })
      .passthrough()
      .refine((m) => m.kind !== 'streams', 'a stream cannot itself be a streams model')
      .refine((m) => !('inChannels' in m), 'set no inChannels here: each stream takes the width of its channels'),
    /** Late-fusion weight of each stream's softmax scores (default 1 each: a plain score ensemble). */
    fusionWeights: z.array(z.number().min(0)).optional(),
  })
  .strict()
  .superRefine(checkStreams);

export type StreamsSection = z.output<typeof streamsSectionSchema>;

/** The saved (complete) config. */
export const streamsConfigSchema = z
  .object({
    streams: z
      .array(
        streamSchema.extend({
          /** The member's family and its complete config (as its own saved model would hold). */
          kind: z.string().min(1),
          config: z.record(z.string(), z.unknown()),
        }),
      )
      .min(2),
    fusionWeights: z.array(z.number().min(0)),
  })
  .strict()
  .superRefine(checkStreams);

export type StreamsConfig = z.output<typeof streamsConfigSchema>;

export function parseStreamsSection(raw: unknown): StreamsSection {
  return parseConfig(streamsSectionSchema, raw, 'streams');
}

export function parseStreamsConfig(raw: unknown): StreamsConfig {
  return parseConfig(streamsConfigSchema, raw, 'streams');
}
