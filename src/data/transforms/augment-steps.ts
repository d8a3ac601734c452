/**
 * Augmentation as data: a config lists its steps, in order, as plain records
 *
 *   "augment": { "steps": [{ "type": "view", "degrees": 60 }, { "type": "drop-axis", "p": 0.5 }, …] }
 *
 * and each `type` is one row of AUGMENT_STEPS below (its schema and what it does). A step with
 * `p` draws one number and runs when it is below `p`; a step without `p` always runs and draws
 * nothing for that choice. `one-of` draws one number and runs the first of its choices whose
 * cumulative `p` exceeds it (or none). `view` steps make the random view transform that goes
 * between normalisation and frame sampling (the NW-UCLA feeder's); they come first in a list.
 * Every other step runs on the sampled joint clip, in training only, before the modality.
 *
 * The named presets (AUGMENT_PRESETS) expand to such lists: the names are listed there once,
 * and a preset's list draws the same random numbers in the same order as the hand-written
 * chains in ./augment.ts (ntuSkateformerAugment, …), so runs are unchanged.
 */
import * as z from 'zod';
import { validFrameCount } from '../../graph/clip.js';
import type { SkeletonClip } from '../../graph/clip.js';
import {
  type AugmentContext,
  type AugmentOptions,
  type AugmentPipeline,
  IDENTITY3,
  type Matrix3,
  NTU_DROP_JOINTS,
  UCLA_DROP_JOINTS,
  adainAnchor,
  applyMatrix,
  dropAxis,
  flipJoints,
  multiply3,
  padPersons,
  randint,
  randomDropJoints,
  randomRotXYZ,
  randomRotation,
  randomScale,
  randomShear,
  referenceFrames,
  skeletonAdaIN,
  swapPersons,
  uclaRandomView,
} from './augment.js';
import { type UniformRandom, gatherFrames } from './sampling.js';

const probability = z.number().min(0).max(1);
const range = z.tuple([z.number().int().min(0), z.number().int().min(0)]);

/** The steps a config may list: each one's fields (besides `type` and `p`) and what it does. */
const STEP_FIELDS = {
  /** Exchanges the first two person slots (clips with two or more). */
  'swap-persons': z.object({}),
  /** Shear with all six factors U(−range, range) (SkateFormer `shear`). */
  shear: z.object({ range: z.number().min(0).default(0.5) }),
  /** Rotation about a random axis by U(−degrees, degrees) (SkateFormer `rotate`). */
  rotate: z.object({ degrees: z.number().min(0).max(180).default(30) }),
  /** Per-axis scale 1 + U(−range, range) (SkateFormer `scale`). */
  scale: z.object({ range: z.number().min(0).default(0.2) }),
  /** Left/right: 'swap' exchanges joints only (the SkateFormer reference), 'mirror' also negates x. */
  flip: z.object({ mode: z.enum(['swap', 'mirror']).default('swap') }),
  /** Zeroes one random coordinate axis. */
  'drop-axis': z.object({}),
  /** Zeroes a random number of joints (inclusive range) in a random number of frames. */
  'drop-joints': z.object({ joints: range.default([5, 15]), frames: range.default([16, 32]) }),
  /** CTR-GCN `random_rot`: Rz·Ry·Rx with angles U(−theta, theta) radians. */
  'rotate-xyz': z.object({ theta: z.number().min(0).default(0.3) }),
  /** Skeleton-AdaIN with a random training sample of the same class (skipped where there is none). */
  'skeleton-adain': z.object({}),
  /** The NW-UCLA feeder's random view before sampling: x and y rotations of integer degrees, a scale. */
  view: z.object({
    degrees: z.number().min(0).max(180).default(60),
    scale: z.tuple([z.number().positive(), z.number().positive()]).default([0.5, 1.5]),
  }),
} as const;

export type AugmentStepType = keyof typeof STEP_FIELDS | 'one-of';
export const AUGMENT_STEP_TYPES = [...Object.keys(STEP_FIELDS), 'one-of'] as AugmentStepType[];

type Output<K extends keyof typeof STEP_FIELDS> = z.output<(typeof STEP_FIELDS)[K]>;
// A step without fields of its own parses to an index type; it has none.
type Fields<K extends keyof typeof STEP_FIELDS> = string extends keyof Output<K>
  ? object
  : {
      readonly [F in keyof Output<K>]: Output<K>[F] extends [number, number] ? readonly [number, number] : Output<K>[F];
    };
type PlainStep = {
  [K in keyof typeof STEP_FIELDS]: { readonly type: K; readonly p?: number } & Fields<K>;
}[keyof typeof STEP_FIELDS];
export interface OneOfStep {
  readonly type: 'one-of';
  readonly choices: ReadonlyArray<{ readonly p: number; readonly steps: readonly AugmentStep[] }>;
}
export type AugmentStep = PlainStep | OneOfStep;

/** One step of a config's list: a zod discriminated union over the table above (and `one-of`). */
export const augmentStepSchema: z.ZodType<AugmentStep> = z.lazy(() =>
  z.discriminatedUnion('type', [
    ...Object.entries(STEP_FIELDS).map(([type, fields]) =>
      fields.extend({ type: z.literal(type), p: probability.optional() }).strict(),
    ),
    z
      .object({
        type: z.literal('one-of'),
        choices: z.array(z.object({ p: probability, steps: z.array(augmentStepSchema) }).strict()).min(1),
      })
      .strict(),
  ] as unknown as [z.ZodObject, ...z.ZodObject[]]),
) as unknown as z.ZodType<AugmentStep>;

export const augmentStepsSchema = z.array(augmentStepSchema).superRefine((steps, ctx) => {
  const firstClipStep = steps.findIndex((s) => s.type !== 'view');
  steps.forEach((s, i) => {
    if (s.type === 'view' && firstClipStep >= 0 && i > firstClipStep)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'type'],
        message: "a 'view' step runs before frame sampling: list it before the other steps",
      });
  });
});

/** The named chains of the experiment configs, listed once: each expands to a list of steps. */
export const AUGMENT_PRESETS = {
  none: (): AugmentStep[] => [],
  /** SkateFormer's NTU chain (`a123489`): the intra-instance steps, or else Skeleton-AdaIN. */
  'ntu-skateformer': (o: AugmentOptions): AugmentStep[] => [
    {
      type: 'one-of',
      choices: [
        {
          p: o.intraProbability ?? 0.5,
          steps: [
            { type: 'swap-persons', p: 0.5 },
            { type: 'shear', p: 0.5, range: 0.5 },
            { type: 'rotate', p: 0.5, degrees: 30 },
            { type: 'scale', p: 0.5, range: 0.2 },
            { type: 'flip', p: 0.5, mode: o.flip ?? 'swap' },
            { type: 'drop-axis', p: 0.5 },
            { type: 'drop-joints', p: 0.5, joints: NTU_DROP_JOINTS.joints, frames: NTU_DROP_JOINTS.frames },
          ],
        },
        { p: o.interProbability ?? 0.2, steps: [{ type: 'skeleton-adain' }] },
      ],
    },
  ],
  /** The SkateFormer NW-UCLA feeder: a random view before sampling, then dropped axes and joints. */
  'ucla-skateformer': (o: AugmentOptions): AugmentStep[] => [
    { type: 'view', degrees: o.viewDegrees ?? 60, scale: o.viewScale ?? [0.5, 1.5] },
    { type: 'drop-axis', p: o.dropAxisProbability ?? 0.5 },
    {
      type: 'drop-joints',
      p: o.dropJointsProbability ?? 0.5,
      joints: UCLA_DROP_JOINTS.joints,
      frames: UCLA_DROP_JOINTS.frames,
    },
  ],
  /** CTR-GCN's random rotation. */
  rotate: (): AugmentStep[] => [{ type: 'rotate-xyz', theta: 0.3 }],
} satisfies Record<string, (options: AugmentOptions) => readonly AugmentStep[]>;

export type AugmentPresetName = keyof typeof AUGMENT_PRESETS;
export const AUGMENT_PRESET_NAMES = Object.keys(AUGMENT_PRESETS) as [AugmentPresetName, ...AugmentPresetName[]];

/** The steps of a preset, with a config's overrides. */
export function presetSteps(name: AugmentPresetName, options: AugmentOptions = {}): readonly AugmentStep[] {
  const expand = AUGMENT_PRESETS[name] as ((o: AugmentOptions) => readonly AugmentStep[]) | undefined;
  if (!expand)
    throw new Error(
      `unknown augmentation preset '${name as string}': expected one of ${AUGMENT_PRESET_NAMES.join(', ')}`,
    );
  return expand(options);
}

function runStep(step: AugmentStep, clip: SkeletonClip, context: AugmentContext, random: UniformRandom): SkeletonClip {
  if (step.type === 'one-of') {
    const u = random();
    let cumulative = 0;
    for (const choice of step.choices) {
      cumulative += choice.p;
      if (u < cumulative) return runSteps(choice.steps, clip, context, random);
    }
    return clip;
  }
  if (step.p !== undefined && !(random() < step.p)) return clip;
  switch (step.type) {
    case 'swap-persons':
      return clip.persons >= 2 ? swapPersons(clip) : clip;
    case 'shear':
      return applyMatrix(clip, randomShear(random, step.range));
    case 'rotate':
      return applyMatrix(clip, randomRotation(random, step.degrees));
    case 'scale':
      return applyMatrix(clip, randomScale(random, step.range));
    case 'flip':
      return flipJoints(clip, context.layout, step.mode);
    case 'drop-axis':
      return dropAxis(clip, randint(random, 0, 2));
    case 'drop-joints':
      return randomDropJoints(clip, random, { joints: step.joints, frames: step.frames });
    case 'rotate-xyz':
      return applyMatrix(clip, randomRotXYZ(random, step.theta));
    case 'skeleton-adain': {
      if (!context.sameClassReference) return clip;
      const reference = context.sameClassReference(random);
      const frames = referenceFrames(context.indexT, validFrameCount(reference));
      const sampled = gatherFrames(padPersons(reference, clip.persons), frames);
      return skeletonAdaIN(clip, sampled, context.layout, adainAnchor(context.layout));
    }
    case 'view':
      throw new Error("a 'view' step runs before frame sampling, not on the sampled clip (list it first)");
  }
}

function runSteps(
  steps: readonly AugmentStep[],
  clip: SkeletonClip,
  context: AugmentContext,
  random: UniformRandom,
): SkeletonClip {
  let x = clip;
  for (const step of steps) x = runStep(step, x, context, random);
  return x;
}

/** The pipeline of a list of steps: its leading `view` steps before sampling, the rest after. */
export function augmentPipeline(steps: readonly AugmentStep[], name = 'steps'): AugmentPipeline {
  const firstClipStep = steps.findIndex((s) => s.type !== 'view');
  const views = (firstClipStep < 0 ? steps : steps.slice(0, firstClipStep)) as Array<
    Extract<AugmentStep, { type: 'view' }>
  >;
  const rest = firstClipStep < 0 ? [] : steps.slice(firstClipStep);
  return {
    name,
    ...(views.length > 0
      ? {
          randomView: (random: UniformRandom): Matrix3 =>
            views.reduce<Matrix3 | undefined>((m, v) => {
              if (v.p !== undefined && !(random() < v.p)) return m;
              const view = uclaRandomView(random, v.degrees, v.scale);
              return m ? multiply3(view, m) : view;
            }, undefined) ?? IDENTITY3,
        }
      : {}),
    afterSampling: (clip, context, random) => runSteps(rest, clip, context, random),
  };
}

/** The pipeline of a named preset (with a config's overrides). */
export function augmentPreset(name: AugmentPresetName, options: AugmentOptions = {}): AugmentPipeline {
  return augmentPipeline(presetSteps(name, options), name);
}

/** A config's augment section: its steps, or its preset with the overrides. */
export interface AugmentSection extends AugmentOptions {
  readonly preset: AugmentPresetName;
  readonly steps?: readonly AugmentStep[];
}

/** The pipeline of a config's augment section. */
export function augmentPipelineOf(section: AugmentSection): AugmentPipeline {
  if (section.steps) return augmentPipeline(section.steps);
  const { preset, ...options } = section;
  return augmentPreset(preset, options);
}
