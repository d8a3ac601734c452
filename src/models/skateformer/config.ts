/**
 * SkateFormer's typed config, its strict schema and the presets.
 *
 * Defaults are the official `SkateFormer_()` constructor with the released configs
 * (config/train/ntu_cs/SkateFormer_j.yaml, config/train/nw_ucla/SkateFormer_j.yaml):
 * embed 96, depths (2,2,2,2), channels (96,192,192,192), 32 heads, kernel 7, windows of
 * 8 frames, MLP ratio 4 (1 for NW-UCLA), drop path 0.2, attention dropout 0.5, head
 * dropout 0, index_t on.
 */
import * as z from 'zod';
import { getLayout, skateformerJointOrder, skateTypeSizes } from '../../graph/index.js';
import {} from '../../core/errors.js';
import { ModelConfigError } from '../model-config-error.js';

/** Layouts that carry SkateFormer's joint groups. */
export const SKATEFORMER_LAYOUTS = ['ntu-25', 'kinect-20'] as const;

export const skateFormerConfigSchema = z
  .object({
    /** Skeleton layout; its `skateformer.groups` give the regrouped joint order and the partitions. */
    layout: z.enum(SKATEFORMER_LAYOUTS),
    /** Persons flattened into the token axis (NTU 2, NW-UCLA 1). */
    persons: z.number().int().min(1),
    classes: z.number().int().min(1),
    /** Input frames T (the official sampling gives 64). */
    frames: z.number().int().min(1).default(64),
    /** Input channels (3 for xyz). */
    inChannels: z.number().int().min(1).default(3),
    /** Stem output and Skate-Embedding width; must equal channels[0] (stage 1 has no merging). */
    embedDim: z.number().int().min(1).default(96),
    /** Blocks per stage. */
    depths: z.array(z.number().int().min(1)).min(1).default([2, 2, 2, 2]),
    /** Channels per stage; stages 2… start with a stride-2 temporal merging conv. */
    channels: z.array(z.number().int().min(1)).min(1).default([96, 192, 192, 192]),
    /** Heads of a block: G-Conv has heads/4 matrices, T-Conv heads/4 groups, each Skate-MSA branch heads/8 heads. */
    heads: z.number().int().min(8).default(32),
    /** Temporal kernel of T-Conv and of the merging conv. */
    kernel: z.number().int().min(1).default(7),
    /** Frames per partition window, N = M (official 8). */
    partitionFrames: z.number().int().min(1).default(8),
    /** MLP hidden width = floor(mlpRatio · C) (NTU 4, NW-UCLA 1). */
    mlpRatio: z.number().positive().default(4),
    /** Largest drop-path rate; block i of n gets dropPath · i / (n − 1). */
    dropPath: z.number().min(0).lt(1).default(0.2),
    /** Dropout on the attention weights. */
    attnDrop: z.number().min(0).lt(1).default(0.5),
    /** Dropout on the pooled feature before the head. */
    headDrop: z.number().min(0).lt(1).default(0),
    /** Skate-Embedding from the source frame index (true) or a learned (T, V, C) table (false). */
    indexT: z.boolean().default(true),
    /**
     * Types 1/3 relative bias: 'official' reproduces the official tiling (needed for official
     * weights); 'frame-offset' is the paper's frame-offset bias. See relativeBiasIndex.
     */
    biasMode: z.enum(['official', 'frame-offset']).default('official'),
    /**
     * Training recomputes each block in the backward pass instead of keeping its intermediates
     * (gradient checkpointing): about a third more time, a small fraction of the memory. The
     * NTU model's intermediates at batch 16 do not fit the wasm backend's 4 GB heap otherwise.
     * 'auto': for the blocks whose input (batch · frames · tokens · channels) is larger than
     * 1M activations, i.e. where memory matters (the NTU and NW-UCLA models at batch 16, not
     * the real-time one); 2M where native kernels fuse the Skate-MSA branches (they keep no
     * attention maps: NW-UCLA at batch 16 is then not checkpointed, NTU's first three stages are).
     */
    checkpoint: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    /**
     * Samples per piece when a checkpointed block runs forward and backward in pieces (blocks
     * treat samples independently, so the gradients are the same). 0 = by size: pieces of at most
     * 600k activations (2 samples at NTU's first stage), which bounds a training step's memory
     * whatever the batch size.
     */
    checkpointChunk: z.number().int().min(0).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.depths.length !== c.channels.length)
      fail('channels', `needs one entry per stage (depths has ${c.depths.length}, channels ${c.channels.length})`);
    if (c.embedDim !== c.channels[0])
      fail('embedDim', `must equal channels[0] (${c.channels[0]}): stage 1 has no merging conv to change the width`);
    if (c.heads % 8 !== 0)
      fail(
        'heads',
        `must be a multiple of 8 (four branches of heads/8 heads, G-Conv and T-Conv with heads/4 groups), got ${c.heads}`,
      );
    c.channels.forEach((C, i) => {
      if (C % c.heads !== 0) fail('channels', `channels[${i}] = ${C} must be a multiple of heads (${c.heads})`);
    });
    if (c.kernel % 2 !== 1) fail('kernel', `must be odd (symmetric padding), got ${c.kernel}`);
    let T = c.frames;
    for (let s = 0; s < c.channels.length; s++) {
      if (s > 0) T = Math.ceil(T / 2);
      if (T % c.partitionFrames !== 0) {
        fail(
          'frames',
          `stage ${s + 1} has ${T} frames, not a multiple of partitionFrames (${c.partitionFrames}); frames must be a multiple of ${c.partitionFrames * 2 ** (c.channels.length - 1)}`,
        );
        break;
      }
    }
  });

/** What callers write (defaults may be left out). */
export type SkateFormerConfigInput = z.input<typeof skateFormerConfigSchema>;
/** A validated config with every field present. */
export type SkateFormerConfig = Readonly<z.output<typeof skateFormerConfigSchema>>;

/** A SkateFormer config that does not validate (a ModelConfigError naming the field). */
export class SkateFormerConfigError extends ModelConfigError {
  constructor(path: string, message: string) {
    super('SkateFormer config', path || undefined, message);
  }
}

/** Validates a config; unknown or wrong fields throw an error that names the field. */
export function parseSkateFormerConfig(raw: unknown): SkateFormerConfig {
  const parsed = skateFormerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      throw new SkateFormerConfigError(
        keys[0],
        `unknown field${keys.length > 1 ? `s ${keys.map((k) => `'${k}'`).join(', ')}` : ''}`,
      );
    }
    throw new SkateFormerConfigError(issue.path.join('.'), issue.message);
  }
  return Object.freeze(parsed.data);
}

export const SKATEFORMER_PRESETS = ['ntu', 'kinect20', 'realtime'] as const;
export type SkateFormerPresetName = (typeof SKATEFORMER_PRESETS)[number];

/**
 * The presets (fields left out take the schema defaults above):
 *  - ntu: NTU RGB+D 60/120, 2 persons × 24 regrouped joints (V' = 48), the official model
 *    (3.616M parameters with 60 classes, 3.628M with 120).
 *  - kinect20: NW-UCLA / UTKinect, 1 person × 20 joints, 10 classes, MLP ratio 1 (official
 *    nw_ucla config, 1.93M parameters).
 *  - realtime: one person on ntu-25 (24 joints, e.g. MediaPipe landmarks converted to NTU),
 *    64 frames (about 2 s at 30 fps), 2 stages of one block at widths 32/64 with 16 heads
 *    (2 heads per Skate-MSA branch), MLP ratio 2: 66 035 parameters with 60 classes. Sized
 *    for a batch-1 forward of about 20 ms on the wasm backend of a 2-core machine
 *    (`npm run bench:model`), so a 30 fps stream can be classified several times a second.
 */
export const PRESET_INPUTS: Readonly<Record<SkateFormerPresetName, SkateFormerConfigInput>> = {
  ntu: { layout: 'ntu-25', persons: 2, classes: 60 },
  kinect20: { layout: 'kinect-20', persons: 1, classes: 10, mlpRatio: 1 },
  realtime: {
    layout: 'ntu-25',
    persons: 1,
    classes: 60,
    frames: 64,
    embedDim: 32,
    depths: [1, 1],
    channels: [32, 64],
    heads: 16,
    mlpRatio: 2,
    dropPath: 0.1,
  },
};

/** A preset with optional overrides (e.g. `skateFormerPreset('ntu', { classes: 120 })`), validated. */
export function skateFormerPreset(
  name: SkateFormerPresetName,
  overrides: Partial<SkateFormerConfigInput> = {},
): SkateFormerConfig {
  const base = PRESET_INPUTS[name];
  if (!base)
    throw new SkateFormerConfigError(
      'preset',
      `unknown preset '${String(name)}' (expected one of ${SKATEFORMER_PRESETS.join(', ')})`,
    );
  return parseSkateFormerConfig({ ...base, ...overrides });
}

/**
 * Resolves an experiment's model section: `{ preset?, ...fields }` (a `kind` field, if
 * present, is the caller's and is ignored). Fields override the preset and are validated
 * strictly.
 */
export function resolveSkateFormerConfig(spec: Record<string, unknown>): SkateFormerConfig {
  const { kind: _kind, preset, ...fields } = spec;
  if (preset === undefined) return parseSkateFormerConfig(fields);
  if (typeof preset !== 'string' || !(SKATEFORMER_PRESETS as readonly string[]).includes(preset)) {
    throw new SkateFormerConfigError(
      'preset',
      `expected one of ${SKATEFORMER_PRESETS.join(', ')}, got ${JSON.stringify(preset)}`,
    );
  }
  return skateFormerPreset(preset as SkateFormerPresetName, fields as Partial<SkateFormerConfigInput>);
}

/** Per-stage geometry derived from a config: frames, width, partition sizes. */
export interface StageGeometry {
  readonly frames: number;
  readonly channels: number;
  readonly depth: number;
}

/** Token count V' = persons · regrouped joints, and each stage's frames and width. */
export function skateFormerGeometry(config: SkateFormerConfig): { tokens: number; stages: StageGeometry[] } {
  const order = skateformerJointOrder(getLayout(config.layout), config.persons);
  const sizes = skateTypeSizes(order, config.partitionFrames);
  const tokens = order.persons * order.jointsPerPerson;
  for (const [type, [, b]] of Object.entries(sizes)) {
    if (tokens % b !== 0)
      throw new SkateFormerConfigError('persons', `${type} windows of ${b} tokens do not tile V' = ${tokens}`);
  }
  let T = config.frames;
  const stages = config.channels.map((C, s) => {
    if (s > 0) T = Math.ceil(T / 2);
    return { frames: T, channels: C, depth: config.depths[s] };
  });
  return { tokens, stages };
}
