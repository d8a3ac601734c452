/**
 * Experiment configs (`configs/*.json`): model, data, augmentation and training recipe in one
 * validated file. Unknown fields are errors that name the field, so a typo never silently
 * falls back to a default.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { parseWith } from '../core/errors.js';
import { ConfigError, type RecordedDataSettings, SAMPLINGS, dataSchema, testDataConfigOf } from '../data/config.js';
import { AUGMENT_PRESET_NAMES, augmentStepsSchema } from '../data/transforms/augment-steps.js';

export { ConfigError, SAMPLINGS };

/** The augmentation presets' names (defined once, in src/data/transforms/augment-steps.ts). */
export const AUGMENT_PRESETS = AUGMENT_PRESET_NAMES;

const modelSchema = z
  .object({
    /** Model family: 'skateformer' | 'stgcn' | 'partstream'. */
    kind: z.string().min(1),
    /** A preset of that family; the remaining fields override it. */
    preset: z.string().min(1).optional(),
  })
  .passthrough(); // the family's own schema validates the rest (strictly) when the model is built

/**
 * The augmentation: a preset (with the overrides below), or a list of steps
 * (src/data/transforms/augment-steps.ts); `"augment": "ntu-skateformer"` and
 * `"augment": [ … ]` are short for `{ "preset": … }` and `{ "steps": [ … ] }`.
 */
const augmentObjectSchema = z
  .object({
    preset: z.enum(AUGMENT_PRESET_NAMES).default('none'),
    /** The steps, in order, instead of a preset (then `preset` stays 'none' and the overrides below are not used). */
    steps: augmentStepsSchema.optional(),
    /** Probability that the intra-instance chain runs (SkateFormer intra_p 0.5). */
    intraProbability: z.number().min(0).max(1).optional(),
    /** Probability of the inter-instance Skeleton-AdaIN otherwise (inter_p 0.2). */
    interProbability: z.number().min(0).max(1).optional(),
    /** Left/right flip: 'swap' exchanges joints only (the SkateFormer reference), 'mirror' also negates x. */
    flip: z.enum(['swap', 'mirror']).default('swap'),
    /** 'ucla-skateformer': largest view rotation about x and y, in degrees (the feeder's 60). */
    viewDegrees: z.number().min(0).max(180).optional(),
    /** 'ucla-skateformer': the random view's scale range (the feeder's [0.5, 1.5]). */
    viewScale: z.tuple([z.number().positive(), z.number().positive()]).optional(),
    /** 'ucla-skateformer': probability of zeroing one coordinate axis (the feeder's 0.5). */
    dropAxisProbability: z.number().min(0).max(1).optional(),
    /** 'ucla-skateformer': probability of zeroing 4–12 joints in 16–32 frames (the feeder's 0.5). */
    dropJointsProbability: z.number().min(0).max(1).optional(),
  })
  .strict()
  .superRefine((section, ctx) => {
    if (section.steps && section.preset !== 'none')
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: `give either a preset ('${section.preset}') or a list of steps, not both`,
      });
  });

const augmentSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { preset: v } : Array.isArray(v) ? { steps: v } : v),
  augmentObjectSchema,
);

const optimSchema = z
  .object({
    optimizer: z.enum(['adamw', 'sgd']).default('adamw'),
    lr: z.number().positive(),
    weightDecay: z.number().min(0).default(0),
    /**
     * Which parameters weight decay applies to: 'flagged' (those whose ParameterStore entry has
     * `decay`: matrices, not biases/norms/position tables) or 'all' (what the official
     * SkateFormer and CTR-GCN scripts do: they hand every parameter to the optimiser).
     */
    decayParameters: z.enum(['flagged', 'all']).default('flagged'),
    betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.999]),
    eps: z.number().positive().default(1e-8),
    /** SGD only. */
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(true),
    batchSize: z.number().int().min(1),
    /**
     * Samples per forward/backward pass (default: batchSize). A batch is then split into
     * micro-batches whose gradients are summed (weighted by size) before one clipping and one
     * optimiser step: the batch's mean loss and gradient, in less memory. BatchNorm layers see
     * each micro-batch's statistics, as with PyTorch gradient accumulation.
     */
    microBatch: z.number().int().min(1).optional(),
    /** Batch size for validation and testing (default: batchSize). */
    evalBatchSize: z.number().int().min(1).optional(),
    epochs: z.number().int().min(1),
    /** Cosine schedule stepped per iteration, with linear warm-up (timm CosineLRScheduler, t_in_epochs = False). */
    schedule: z.enum(['cosine', 'constant']).default('cosine'),
    warmupEpochs: z.number().min(0).default(0),
    warmupLr: z.number().min(0).default(1e-7),
    minLr: z.number().min(0).default(0),
    labelSmoothing: z.number().min(0).max(1).default(0),
    /** Clip the global gradient norm to this (0 = off). */
    clipGradNorm: z.number().min(0).default(0),
  })
  .strict();

const longTailSchema = z
  .object({
    /** The loss (src/train/long-tail-loss.ts). */
    loss: z.enum(['ce', 'balanced-softmax', 'logit-adjust', 'focal', 'ldam']).default('ce'),
    /** Logit adjustment's τ. */
    tau: z.number().positive().default(1),
    /** Focal loss's γ. */
    gamma: z.number().min(0).default(2),
    /** LDAM's largest margin and logit scale. */
    ldamMaxMargin: z.number().positive().default(0.5),
    ldamScale: z.number().positive().default(30),
    /** Class-balanced re-weighting (Cui et al.), from `reweightFromEpoch` (deferred re-weighting). */
    reweight: z.enum(['none', 'class-balanced']).default('none'),
    beta: z.number().min(0).lt(1).default(0.999),
    reweightFromEpoch: z.number().int().min(0).default(0),
    /** Training order: uniform over samples, uniform over classes, or classes ∝ √n_c. */
    sampler: z.enum(['uniform', 'class-balanced', 'sqrt']).default('uniform'),
    /**
     * BRL's partial-body mixup: this share of each batch gets the upper body of one sample and
     * the lower body of another; the label weight is λ (the upper body's share of the joints)
     * and 1 − λ, all of it to the rarer class when one class has over `tailRatio` × the other's count.
     */
    mixup: z
      .object({
        share: z
          .number()
          .gt(0)
          .max(1)
          .default(1 / 16),
        lambda: z.number().min(0).max(1).default(0.64),
        tailRatio: z.number().min(1).default(3),
      })
      .strict()
      .optional(),
    /** Many / medium / few thresholds in training samples (many: more than the first; few: fewer than the second). */
    groups: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([100, 20]),
  })
  .strict();

const textSchema = z
  .object({
    /** Weight α of GAP's multi-part text loss next to cross-entropy (GAP: 0.8). */
    weight: z.number().min(0).default(0.8),
    /** A description file (docs/descriptions-format.md); default: the dataset's shipped one. */
    descriptions: z.string().min(1).optional(),
    /** The frozen sentence encoder. */
    encoder: z.enum(['use-lite']).default('use-lite'),
    /** Train the global slot on a random one of {name, synonyms, description} (GAP: a random synonym); false: the name only. */
    randomGlobal: z.boolean().default(true),
    /** Sharpness of the same-label soft targets, softmax(s · G) (GAP: 10). */
    sharpness: z.number().positive().default(10),
  })
  .strict();

export const experimentSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The paper/code this recipe follows, for people reading the file. */
    source: z.string().optional(),
    seed: z.number().int().default(1),
    model: modelSchema,
    data: dataSchema,
    augment: augmentSchema.default({ preset: 'none', flip: 'swap' }),
    optim: optimSchema,
    /** Long-tailed training: losses, re-weighting, samplers, BRL's mixup (off when absent). */
    longTail: longTailSchema.optional(),
    /** GAP-style text priors: part descriptions embedded by a frozen sentence encoder supervise the features (off when absent). */
    text: textSchema.optional(),
    /** Evaluate on the validation split every N epochs (and after the last). */
    evalEvery: z.number().int().min(1).default(1),
  })
  .strict();

/** An experiment config: model, data, augmentation, optimiser and the optional long-tail and text sections. */
export type ExperimentConfig = z.infer<typeof experimentSchema>;

/** Validates a parsed config object; errors name the file and the field. */
export function parseExperiment(raw: unknown, file = 'config'): ExperimentConfig {
  return parseWith(experimentSchema, raw, file, ConfigError);
}

/** Reads and validates an experiment config file; errors name the file and the field. */
export function loadExperiment(file: string): ExperimentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(file, '', `cannot read it as JSON (${(e as Error).message})`);
  }
  const config = parseExperiment(raw, file);
  // A description file named in a config is found next to the config, wherever it runs from.
  if (config.text?.descriptions && !isAbsolute(config.text.descriptions))
    return { ...config, text: { ...config.text, descriptions: resolve(dirname(file), config.text.descriptions) } };
  return config;
}

/** The test-time part of an experiment config, rebuilt from what a model folder recorded. */
export function testConfigOf(
  manifest: RecordedDataSettings,
  benchmark?: string,
): Pick<ExperimentConfig, 'seed' | 'data' | 'augment'> {
  const data = testDataConfigOf(manifest, benchmark);
  // The augment section's defaults, as training fills them (no augmentation at test time).
  return { seed: 0, data, augment: { ...augmentObjectSchema.parse({}), preset: 'none' } };
}
