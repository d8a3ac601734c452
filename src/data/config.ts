/**
 * The `data` section of an experiment config: which benchmark, which input modality, and how
 * clips are normalised, cut to the model's frame count and padded to its persons. Training
 * (src/train/config.ts embeds this schema) and serving (a saved model records its section) both
 * read it from here, so a stream classifier in a web page needs neither the training recipe's
 * schema nor Node's file access.
 */
import * as z from 'zod';
import { MODALITIES, type Modality } from '../graph/modalities.js';
import { ValidationError, parseWith } from '../core/errors.js';

/**
 * How clips are cut to the model's frame count (see ./transforms/sampling.ts and
 * ./transforms/test-time.ts): 'crop-resize' CTR-GCN, 'skateformer' SkateFormer NTU
 * (valid_crop_uniform), 'uniform' PYSKL UniformSample, 'ucla' the SkateFormer NW-UCLA feeder
 * (training: frames drawn with replacement, sorted; test: evenly spaced).
 */
export const SAMPLINGS = ['crop-resize', 'skateformer', 'uniform', 'ucla'] as const;

/** Spatial normalisations of a clip before sampling (the `normalize` field below). */
export const NORMALIZATIONS = ['none', 'ucla-minmax', 'face-box', 'box'] as const;

export const dataSchema = z
  .object({
    /** Benchmark in the cache (e.g. ntu60-xsub, nw-ucla, utkinect-xsub). */
    benchmark: z.string().min(1),
    /**
     * The labels the cache must hold, as its manifest records them (`preprocessing.labels`),
     * e.g. 'corrected by label-errata.json' for NW-UCLA prepared with `--labels audited`.
     * Checked before training, so a recipe cannot silently train on other labels.
     */
    labels: z.string().min(1).optional(),
    /** Input modality computed on the fly: j, b, k, jm, bm, km, jb (joint ‖ bone: model.inChannels 6) or jbjmbm (joint, bone and their motions: 12). */
    modality: z.enum(MODALITIES).default('j'),
    /** Bone tree of the bone modalities: the layout's ('default', CTR-GCN) or one of its boneTrees ('skateformer', 'pyskl'). */
    boneTree: z.string().min(1).default('default'),
    /** Frames fed to the model. */
    frames: z.number().int().min(1).default(64),
    sampling: z.enum(SAMPLINGS).default('crop-resize'),
    /**
     * Spatial normalisation of each clip before sampling, in training and testing:
     * 'ucla-minmax' is the SkateFormer NW-UCLA feeder's (centre on the first frame's spine
     * joint, min-max each axis to [−1, 1]; the 'ucla-skateformer' augmentation's random view
     * goes between the two in training). 'face-box' first turns each clip so that the
     * person faces the camera (averaged shoulder and hip directions, spine up), which takes the
     * camera angle out of the input, and scales it into [−1, 1]³ by one factor, keeping the
     * body's proportions (skelact's CPU recipes for Kinect data). 'box' only centres and
     * scales by one factor (any layout, e.g. BlazePose pixels).
     */
    normalize: z.enum(NORMALIZATIONS).default('none'),
    /** Training crop ratio range (CTR-GCN / SkateFormer p_interval). */
    trainCrop: z.tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)]).default([0.5, 1]),
    /** Test-time centre crop ratio. */
    testCrop: z.number().gt(0).max(1).default(0.95),
    /** Random crops are at least this long (CTR-GCN 64; SkateFormer thres). */
    minLength: z.number().int().min(1).default(64),
    /** Persons the model sees; clips with fewer are padded with zeros or copies of person 0. */
    fillMissingPersons: z.enum(['zeros', 'copy']).default('zeros'),
    /** Repeat the training split this many times per epoch (NW-UCLA recipe: 10). */
    repeat: z.number().int().min(1).default(1),
    /** Hold out this share of the training split for validation when the benchmark's test split is the final test. 0 = validate on the test split, as the reference papers report. */
    validationShare: z.number().min(0).max(0.5).default(0),
  })
  .strict();

export type DataConfig = z.infer<typeof dataSchema>;

/** An experiment config (or the data section a model recorded) that does not validate: names the file and the field. */
export class ConfigError extends ValidationError {
  override readonly code = 'invalid-config';
}

/** What a saved model records about its test-time input (a subset of its manifest). */
export interface RecordedDataSettings {
  readonly modality: Modality;
  readonly frames: number;
  readonly sampling: string;
  readonly testCrop: number;
  readonly minLength: number;
  readonly fillMissingPersons: 'zeros' | 'copy';
  readonly normalize: (typeof NORMALIZATIONS)[number];
  /** The experiment's whole `data` section, when the model was trained by skelact. */
  readonly data?: Readonly<Record<string, unknown>>;
}

const recordedSchema = z.object({ data: dataSchema }).strict();

/**
 * The test-time data section of a saved model, with the defaults filled exactly as in training;
 * errors name `what` (the model's manifest) and the field (`data.…`).
 */
export function testDataConfigOf(recorded: RecordedDataSettings, benchmark?: string, what = 'model.json'): DataConfig {
  const data = {
    ...(recorded.data ?? {}),
    benchmark: benchmark ?? (recorded.data?.benchmark as string | undefined) ?? 'unknown',
    modality: recorded.modality,
    frames: recorded.frames,
    sampling: recorded.sampling,
    testCrop: recorded.testCrop,
    minLength: recorded.minLength,
    fillMissingPersons: recorded.fillMissingPersons,
    normalize: recorded.normalize,
  };
  return parseWith(recordedSchema, { data }, what, ConfigError).data;
}
