/**
 * A saved model is one folder that TensorFlow.js can load in Node and in a browser:
 *
 *   model.json    what the model is (family, config, layout, classes, input spec) plus the
 *                 TF.js weights manifest
 *   weights.bin   all parameters, float32, in the order of the manifest
 *
 * Both are written to a temporary folder that is renamed into place, so a folder either holds
 * a whole model or nothing. Loading checks everything (format, version, sizes, shapes) before
 * any work starts and says what is wrong.
 */
import type * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { LAYOUT_NAMES, type LayoutName } from '../graph/layout.js';
import { MODALITIES, type Modality } from '../graph/modalities.js';
import type { SkeletonModel } from './types.js';

export const MODEL_FORMAT = 'skelact-model';
export const MODEL_VERSION = 1;
export const MODEL_FILES = { manifest: 'model.json', weights: 'weights.bin' } as const;

/** What a model needs besides its weights to be used on new data. */
export interface ModelMeta {
  readonly layout: LayoutName;
  readonly classNames: readonly string[];
  readonly modality: Modality;
  /** How clips are cut to `frames` at test time (see src/train/config.ts SAMPLINGS). */
  readonly sampling: string;
  readonly testCrop: number;
  readonly minLength: number;
  readonly fillMissingPersons: 'zeros' | 'copy';
  /** Test-time input normalisation (NW-UCLA min-max) or none. */
  readonly normalize: 'none' | 'ucla-minmax';
  /** The experiment's whole `data` section, so evaluation rebuilds the exact test-time pipeline. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Free-form provenance: experiment name, dataset, benchmark, accuracy, date. */
  readonly provenance?: Readonly<Record<string, string | number>>;
  /**
   * How the training data was prepared before caching (the cache manifest's `preprocessing`,
   * e.g. `{alignment: 'ctrgcn'}`), so that new data (a pose stream) is prepared the same way.
   */
  readonly preprocessing?: Readonly<Record<string, unknown>>;
}

const weightSpecSchema = z
  .object({
    name: z.string(),
    shape: z.array(z.number().int().min(0)),
    dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
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
    normalize: z.enum(['none', 'ucla-minmax']),
    data: z.record(z.string(), z.unknown()).optional(),
    parameters: z.number().int().min(0),
    provenance: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    preprocessing: z.record(z.string(), z.unknown()).optional(),
    weightsManifest: z.array(z.object({ paths: z.array(z.string()).min(1), weights: z.array(weightSpecSchema) }).strict()).length(1),
  })
  .strict();

export type ModelManifest = z.infer<typeof modelManifestSchema>;

export class ModelFolderError extends Error {
  constructor(dir: string, message: string) {
    super(`model ${dir}: ${message}`);
    this.name = 'ModelFolderError';
  }
}

/** Writes a model folder atomically (replacing an existing one only once the new one is complete). */
export async function saveModel(dir: string, model: SkeletonModel, meta: ModelMeta): Promise<ModelManifest> {
  const { specs, data } = await model.params.toWeights();
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    kind: model.kind,
    config: model.config as Record<string, unknown>,
    layout: meta.layout,
    classNames: [...meta.classNames],
    persons: model.persons,
    jointOrder: Array.from(model.jointOrder),
    inChannels: model.inChannels,
    frames: model.frames,
    modality: meta.modality,
    sampling: meta.sampling,
    testCrop: meta.testCrop,
    minLength: meta.minLength,
    fillMissingPersons: meta.fillMissingPersons,
    normalize: meta.normalize,
    data: meta.data ? { ...meta.data } : undefined,
    parameters: model.params.countTrainable(),
    provenance: meta.provenance ? { ...meta.provenance } : undefined,
    preprocessing: meta.preprocessing ? { ...meta.preprocessing } : undefined,
    weightsManifest: [{ paths: [MODEL_FILES.weights], weights: specs.map((s) => ({ ...s })) }],
  };
  if (manifest.provenance === undefined) delete (manifest as { provenance?: unknown }).provenance;
  if (manifest.data === undefined) delete (manifest as { data?: unknown }).data;
  if (manifest.preprocessing === undefined) delete (manifest as { preprocessing?: unknown }).preprocessing;
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, MODEL_FILES.weights), new Uint8Array(data));
    writeFileSync(join(tmp, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 1)}\n`);
    if (existsSync(dir)) {
      const old = `${dir}.old-${process.pid}-${Date.now()}`;
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      mkdirSync(dirname(dir), { recursive: true });
      renameSync(tmp, dir);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return manifest;
}

/** Reads and validates a model folder (manifest and weight bytes), without building the model. */
export function readModelFolder(dir: string): { manifest: ModelManifest; specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const manifestPath = join(dir, MODEL_FILES.manifest);
  if (!existsSync(manifestPath)) throw new ModelFolderError(dir, `no ${MODEL_FILES.manifest} (not a skelact model folder, or an interrupted save)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new ModelFolderError(dir, `${MODEL_FILES.manifest} is not valid JSON (${(e as Error).message})`);
  }
  const r = raw as { format?: unknown; version?: unknown };
  if (r && r.format === MODEL_FORMAT && r.version !== MODEL_VERSION) {
    throw new ModelFolderError(dir, `saved by a skelact with model format version ${String(r.version)}; this skelact reads version ${MODEL_VERSION}`);
  }
  const parsed = modelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFolderError(dir, `${MODEL_FILES.manifest} field '${issue.path.join('.')}': ${issue.message}`);
  }
  const manifest = parsed.data;
  const group = manifest.weightsManifest[0];
  if (group.paths.length !== 1 || group.paths[0] !== MODEL_FILES.weights) throw new ModelFolderError(dir, `weights must be in one file, ${MODEL_FILES.weights}`);
  const weightsPath = join(dir, MODEL_FILES.weights);
  if (!existsSync(weightsPath)) throw new ModelFolderError(dir, `${MODEL_FILES.weights} is missing`);
  const bytes = readFileSync(weightsPath);
  const expected = group.weights.reduce((s, w) => {
    if (w.dtype !== 'float32') throw new ModelFolderError(dir, `weight '${w.name}' has dtype ${w.dtype}; skelact models are float32`);
    return s + w.shape.reduce((a, b) => a * b, 1) * 4;
  }, 0);
  if (bytes.length !== expected) {
    throw new ModelFolderError(dir, `${MODEL_FILES.weights} has ${bytes.length} bytes but the manifest describes ${expected} (truncated or corrupt)`);
  }
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { manifest, specs: group.weights as tf.io.WeightsManifestEntry[], data };
}

/** Builds a model of a family from its saved config (src/models/registry.ts provides this). */
export type ModelFactory = (manifest: ModelManifest, seed: number) => SkeletonModel;

/** Loads a model folder: validates it, rebuilds the model from its config and loads the weights. */
export function loadModel(dir: string, create: ModelFactory): { model: SkeletonModel; manifest: ModelManifest } {
  const { manifest, specs, data } = readModelFolder(dir);
  const model = create(manifest, 0);
  try {
    if (model.persons !== manifest.persons || model.inChannels !== manifest.inChannels || model.frames !== manifest.frames) {
      throw new ModelFolderError(dir, `the saved input spec (persons ${manifest.persons}, channels ${manifest.inChannels}, frames ${manifest.frames}) does not match the rebuilt model`);
    }
    model.params.loadWeights(specs, data);
  } catch (e) {
    model.params.dispose();
    throw e instanceof ModelFolderError ? e : new ModelFolderError(dir, (e as Error).message);
  }
  return { model, manifest };
}
