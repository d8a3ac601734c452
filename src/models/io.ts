/**
 * A saved model is one folder that TensorFlow.js can load in Node and in a browser (the format:
 * ./manifest.ts): `model.json` and `weights.bin`, written to a temporary folder that is renamed
 * into place, so a folder either holds a whole model or nothing. Loading checks everything
 * (format, version, sizes, shapes) before any work starts and says what is wrong.
 */
import type * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  MODEL_FILES,
  MODEL_FORMAT,
  MODEL_VERSION,
  ModelFolderError,
  modelFromFiles,
  parseModelFiles,
  type ModelFactory,
  type ModelManifest,
  type ModelMeta,
} from './manifest.js';
import type { SkeletonModel } from './types.js';
import { textHeadParameterCount } from './text-head.js';
import { checkReplaceable } from '../util/replace.js';
import { resolveModelDir } from './pretrained.js';

export * from './manifest.js';

/** What may happen to an existing folder at the target path (see src/util/replace.ts). */
export interface SaveOptions {
  /** Replace a saved model already there (never anything else); default false. */
  readonly replace?: boolean;
  /** Told to the user when a model is in the way, e.g. 'add --force to replace it'. */
  readonly howToReplace?: string;
  /** Told to the user when something is in the way, e.g. 'choose another --out'. */
  readonly howToAvoid?: string;
}

/** Whether `dir` holds a saved skelact model (its model.json says so). */
export function isModelFolder(dir: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(join(dir, MODEL_FILES.manifest), 'utf8')) as { format?: unknown }).format ===
      MODEL_FORMAT
    );
  } catch {
    return false;
  }
}

/**
 * Writes a model folder atomically (replacing an existing one only once the new one is
 * complete). An existing folder is replaced only when it is a saved model and
 * `options.replace` is set; anything else there is an error and stays untouched.
 */
export async function saveModel(
  dir: string,
  model: SkeletonModel,
  meta: ModelMeta,
  options: SaveOptions = {},
): Promise<ModelManifest> {
  checkModelTarget(dir, options);
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
    // The model's own count: a text head (training-time only) is reported apart.
    parameters: model.params.countTrainable() - (meta.textHead ? textHeadParameterCount(meta.textHead) : 0),
    provenance: meta.provenance ? { ...meta.provenance } : undefined,
    preprocessing: meta.preprocessing ? { ...meta.preprocessing } : undefined,
    trainCounts: meta.trainCounts ? [...meta.trainCounts] : undefined,
    shotGroups: meta.shotGroups ? [meta.shotGroups[0], meta.shotGroups[1]] : undefined,
    textHead: meta.textHead
      ? { ...meta.textHead, partPositions: meta.textHead.partPositions.map((p) => [...p]) }
      : undefined,
    weightsManifest: [{ paths: [MODEL_FILES.weights], weights: specs.map((s) => ({ ...s })) }],
  };
  if (manifest.provenance === undefined) delete (manifest as { provenance?: unknown }).provenance;
  if (manifest.data === undefined) delete (manifest as { data?: unknown }).data;
  for (const key of ['preprocessing', 'trainCounts', 'shotGroups', 'textHead'] as const)
    if (manifest[key] === undefined) delete (manifest as Record<string, unknown>)[key];
  writeModelFolder(dir, manifest, data, options);
  return manifest;
}

function checkModelTarget(dir: string, options: SaveOptions): void {
  checkReplaceable(dir, {
    kind: 'a saved skelact model',
    isOwnKind: isModelFolder,
    replace: options.replace ?? false,
    howToReplace: options.howToReplace,
    howToAvoid: options.howToAvoid,
  });
}

/**
 * Writes a manifest and its weight bytes as a model folder, atomically (replacing an existing
 * model only once complete, and only with `options.replace`).
 */
export function writeModelFolder(
  dir: string,
  manifest: ModelManifest,
  data: ArrayBuffer,
  options: SaveOptions = {},
): void {
  checkModelTarget(dir, options);
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, MODEL_FILES.weights), new Uint8Array(data));
    writeFileSync(join(tmp, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 1)}\n`);
    if (existsSync(dir)) {
      checkModelTarget(dir, options); // again: the folder may have changed while the weights were written
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
}

/** Reads and validates a model folder (manifest and weight bytes), without building the model. */
export function readModelFolder(nameOrDir: string): {
  manifest: ModelManifest;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
} {
  // A shipped model may be named instead of a folder (`--model nw-ucla`).
  const dir = resolveModelDir(nameOrDir);
  const manifestPath = join(dir, MODEL_FILES.manifest);
  if (!existsSync(manifestPath))
    throw new ModelFolderError(dir, `no ${MODEL_FILES.manifest} (not a skelact model folder, or an interrupted save)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new ModelFolderError(dir, `${MODEL_FILES.manifest} is not valid JSON (${(e as Error).message})`);
  }
  const weightsPath = join(dir, MODEL_FILES.weights);
  // The manifest is checked first, so a folder from another version says so before anything else.
  parseModelFiles(raw, new ArrayBuffer(0), dir, { checkSize: false });
  if (!existsSync(weightsPath)) throw new ModelFolderError(dir, `${MODEL_FILES.weights} is missing`);
  const bytes = readFileSync(weightsPath);
  return parseModelFiles(
    raw,
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    dir,
  );
}

/** Loads a model folder: validates it, rebuilds the model from its config and loads the weights. */
export function loadModel(nameOrDir: string, create: ModelFactory): { model: SkeletonModel; manifest: ModelManifest } {
  return modelFromFiles(readModelFolder(nameOrDir), create, nameOrDir);
}
