/**
 * The saved-model format without file access (so that browsers can use it too): the manifest's
 * schema and its validation against the weight bytes, and building a model from the two.
 * Node's folder reading and writing is in ./io.ts; a browser fetches the same two files.
 *
 *   model.json    what the model is (family, config, layout, classes, input spec) plus the
 *                 TF.js weights manifest
 *   weights.bin   all parameters, float32 (or quantised to float16 / uint8 by
 *                 `skelact export`), in the order of the manifest
 */
import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import { LAYOUT_NAMES, type LayoutName } from '../graph/layout.js';
import { MODALITIES, type Modality } from '../graph/modalities.js';
import { type TextHeadSpec, addTextHead } from './text-head.js';
import type { SkeletonModel } from './types.js';
import { SkelactError, parseWith } from '../core/errors.js';

export const MODEL_FORMAT = 'skelact-model';
export const MODEL_VERSION = 1;
export const MODEL_FILES = { manifest: 'model.json', weights: 'weights.bin' } as const;

/** What a model needs besides its weights to be used on new data. */
export interface ModelMeta {
  readonly layout: LayoutName;
  readonly classNames: readonly string[];
  readonly modality: Modality;
  /** How clips are cut to `frames` at test time (see src/data/config.ts SAMPLINGS). */
  readonly sampling: string;
  readonly testCrop: number;
  readonly minLength: number;
  readonly fillMissingPersons: 'zeros' | 'copy';
  /** Test-time input normalisation (NW-UCLA min-max) or none. */
  readonly normalize: 'none' | 'ucla-minmax' | 'face-box' | 'box';
  /** The experiment's whole `data` section, so evaluation rebuilds the exact test-time pipeline. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Free-form provenance: experiment name, dataset, benchmark, accuracy, date. */
  readonly provenance?: Readonly<Record<string, string | number>>;
  /**
   * How the training data was prepared before caching (the cache manifest's `preprocessing`,
   * e.g. `{alignment: 'ctrgcn'}`), so that new data (a pose stream) is prepared the same way.
   */
  readonly preprocessing?: Readonly<Record<string, unknown>>;
  /** Training samples per class (label order), for many / medium / few reporting. */
  readonly trainCounts?: readonly number[];
  /** Many / medium / few thresholds in training samples (default 100, 20). */
  readonly shotGroups?: readonly [number, number];
  /** GAP text head (./text-head.ts), when the model was trained with text priors. */
  readonly textHead?: TextHeadSpec;
}

const weightSpecSchema = z
  .object({
    name: z.string(),
    shape: z.array(z.number().int().min(0)),
    dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
    /** Quantised weights (TF.js's own scheme): stored as float16 or uint8, read back as float32. */
    quantization: z
      .object({
        dtype: z.enum(['float16', 'uint8', 'uint16']),
        scale: z.number().optional(),
        min: z.number().optional(),
      })
      .strict()
      .optional(),
  })
  .passthrough();

export const modelManifestSchema = z
  .object({
    format: z.literal(MODEL_FORMAT),
    version: z.number().int(),
    kind: z.string().min(1),
    config: z.record(z.string(), z.unknown()),
    layout: z.enum(LAYOUT_NAMES),
    classNames: z.array(z.string()).min(1),
    persons: z.number().int().min(1),
    jointOrder: z.array(z.number().int().min(0)),
    inChannels: z.number().int().min(1),
    frames: z.number().int().min(1),
    modality: z.enum(MODALITIES),
    sampling: z.string(),
    testCrop: z.number(),
    minLength: z.number().int(),
    fillMissingPersons: z.enum(['zeros', 'copy']),
    normalize: z.enum(['none', 'ucla-minmax', 'face-box', 'box']),
    data: z.record(z.string(), z.unknown()).optional(),
    parameters: z.number().int().min(0),
    provenance: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    preprocessing: z.record(z.string(), z.unknown()).optional(),
    trainCounts: z.array(z.number().int().min(0)).optional(),
    shotGroups: z.tuple([z.number().int().min(1), z.number().int().min(1)]).optional(),
    textHead: z
      .object({
        dim: z.number().int().min(1),
        featureDim: z.number().int().min(1),
        partPositions: z.array(z.array(z.number().int().min(0)).min(1)).length(4),
        encoder: z.string().min(1),
      })
      .strict()
      .optional(),
    weightsManifest: z
      .array(z.object({ paths: z.array(z.string()).min(1), weights: z.array(weightSpecSchema) }).strict())
      .length(1),
  })
  .strict();

/** A saved model's `model.json`: what the model is (family, config, layout, classes, input) and its weights manifest. */
export type ModelManifest = z.infer<typeof modelManifestSchema>;

export class ModelFolderError extends SkelactError {
  readonly code = 'invalid-model-folder';

  constructor(dir: string, message: string) {
    super(`model ${dir}: ${message}`);
  }
}

/** Bytes a weight takes in weights.bin (4 per float32 value, less when quantised). */
export function storedByteLength(spec: {
  shape: readonly number[];
  dtype: string;
  quantization?: { dtype: string };
}): number {
  const perValue = spec.quantization ? (spec.quantization.dtype === 'uint8' ? 1 : 2) : 4;
  return spec.shape.reduce((a, b) => a * b, 1) * perValue;
}

/**
 * A model's weights without its text head (`text.*`, training-time only): what an app that
 * only classifies needs. Zero-shot evaluation and search need the head.
 */
export function withoutTextHead(
  manifest: ModelManifest,
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
): { manifest: ModelManifest; specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const kept: tf.io.WeightsManifestEntry[] = [];
  const pieces: ArrayBuffer[] = [];
  let offset = 0;
  for (const spec of specs) {
    const bytes = storedByteLength(spec);
    if (!spec.name.startsWith('text.')) {
      kept.push(spec);
      pieces.push(data.slice(offset, offset + bytes));
    }
    offset += bytes;
  }
  const { textHead: _dropped, ...rest } = manifest;
  return {
    manifest: {
      ...rest,
      weightsManifest: [
        { paths: manifest.weightsManifest[0].paths, weights: kept as (typeof manifest.weightsManifest)[0]['weights'] },
      ],
    },
    specs: kept,
    data: tf.io.CompositeArrayBuffer.join(pieces),
  };
}

/**
 * Validates a manifest (parsed JSON) and its weight bytes; `where` names the model in errors
 * (a folder or a URL).
 */
export function parseModelFiles(
  raw: unknown,
  weights: ArrayBuffer,
  where: string,
  options: { checkSize?: boolean } = {},
): { manifest: ModelManifest; specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const r = raw as { format?: unknown; version?: unknown };
  if (r && r.format === MODEL_FORMAT && r.version !== MODEL_VERSION) {
    throw new ModelFolderError(
      where,
      `saved by a skelact with model format version ${String(r.version)}; this skelact reads version ${MODEL_VERSION}`,
    );
  }
  const validated = parseWith(
    modelManifestSchema,
    raw,
    `${where}/${MODEL_FILES.manifest}`,
    (field, detail) => new ModelFolderError(where, `${MODEL_FILES.manifest} field '${field ?? '(root)'}': ${detail}`),
  );
  const manifest = validated;
  const group = manifest.weightsManifest[0];
  if (group.paths.length !== 1 || group.paths[0] !== MODEL_FILES.weights)
    throw new ModelFolderError(where, `weights must be in one file, ${MODEL_FILES.weights}`);
  const expected = group.weights.reduce((s, w) => {
    if (w.dtype !== 'float32')
      throw new ModelFolderError(where, `weight '${w.name}' has dtype ${w.dtype}; skelact models are float32`);
    return s + storedByteLength(w);
  }, 0);
  if (options.checkSize !== false && weights.byteLength !== expected) {
    throw new ModelFolderError(
      where,
      `${MODEL_FILES.weights} has ${weights.byteLength} bytes but the manifest describes ${expected} (truncated or corrupt)`,
    );
  }
  if (options.checkSize !== false) {
    const bad = nonFiniteWeight(group.weights, weights);
    if (bad)
      throw new ModelFolderError(
        where,
        `weight '${bad.name}' holds ${bad.count} non-finite value${bad.count === 1 ? '' : 's'} (${bad.first} at index ${bad.index}); the model cannot give meaningful scores (did training diverge?): retrain, or use an earlier checkpoint`,
      );
  }
  return { manifest, specs: group.weights as tf.io.WeightsManifestEntry[], data: weights };
}

/**
 * The first weight holding NaN or ±Infinity, or undefined. Float32 values are read as they are
 * stored; float16 values by their exponent bits (all ones is Inf or NaN); a uint8 weight is
 * finite when its scale and offset are.
 */
export function nonFiniteWeight(
  specs: ReadonlyArray<{
    name: string;
    shape: readonly number[];
    dtype: string;
    quantization?: { dtype: string; scale?: number; min?: number };
  }>,
  data: ArrayBuffer,
): { name: string; count: number; index: number; first: string } | undefined {
  let offset = 0;
  for (const spec of specs) {
    const bytes = storedByteLength(spec);
    const n = bytes / (spec.quantization ? (spec.quantization.dtype === 'uint8' ? 1 : 2) : 4);
    let count = 0;
    let index = -1;
    let first = '';
    if (!spec.quantization) {
      const values = new Float32Array(data.slice(offset, offset + bytes));
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(values[i])) {
          if (count++ === 0) [index, first] = [i, String(values[i])];
        }
      }
    } else if (spec.quantization.dtype === 'float16') {
      const halves = new Uint16Array(data.slice(offset, offset + bytes));
      for (let i = 0; i < n; i++) {
        if ((halves[i] & 0x7c00) === 0x7c00) {
          if (count++ === 0)
            [index, first] = [i, halves[i] & 0x03ff ? 'NaN' : halves[i] & 0x8000 ? '-Infinity' : 'Infinity'];
        }
      }
    } else {
      const { scale, min } = spec.quantization;
      if (!Number.isFinite(scale) || !Number.isFinite(min))
        [count, index, first] = [n, 0, `quantisation scale ${scale}, min ${min}`];
    }
    if (count > 0) return { name: spec.name, count, index, first };
    offset += bytes;
  }
  return undefined;
}

/** Builds a model of a family from its saved config (src/models/registry.ts provides this). */
export type ModelFactory = (manifest: ModelManifest, seed: number) => SkeletonModel;

/** A model from validated files: rebuilt from its config, weights loaded. */
export function modelFromFiles(
  files: { manifest: ModelManifest; specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer },
  create: ModelFactory,
  where: string,
): { model: SkeletonModel; manifest: ModelManifest } {
  const { manifest, specs, data } = files;
  let model: SkeletonModel;
  try {
    model = create(manifest, 0);
  } catch (e) {
    // The saved config cannot build a model (an edited or damaged model.json): say which folder.
    throw new ModelFolderError(
      where,
      `${MODEL_FILES.manifest} describes a model that cannot be built: ${(e as Error).message}`,
    );
  }
  try {
    if (
      model.persons !== manifest.persons ||
      model.inChannels !== manifest.inChannels ||
      model.frames !== manifest.frames
    ) {
      throw new ModelFolderError(
        where,
        `the saved input spec (persons ${manifest.persons}, channels ${manifest.inChannels}, frames ${manifest.frames}) does not match the rebuilt model`,
      );
    }
    if (manifest.textHead) addTextHead(model.params, manifest.textHead);
    model.params.loadWeights(specs, data);
  } catch (e) {
    model.dispose();
    throw e instanceof ModelFolderError ? e : new ModelFolderError(where, (e as Error).message);
  }
  return { model, manifest };
}
