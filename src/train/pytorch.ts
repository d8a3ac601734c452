/**
 * PyTorch interop at the level of saved models.
 *
 * Import: an official PyTorch checkpoint as a skelact saved model: the weights through the family's
 * name table (src/models/pytorch), the model and the test-time data pipeline from a skelact
 * experiment config (the shipped configs/skateformer/*.json are the official recipes), so that
 * predict, eval, classify and the browser prepare clips as the checkpoint was trained on.
 *
 * Everything is read and checked before anything is written, and the folder is written
 * atomically: on any error nothing is left at `out`.
 *
 * Export: a saved model's weights under the official names and layouts as .safetensors, with
 * the official constructor's arguments in its metadata (`skateformer_args`), so that
 * `SkateFormer(**args).load_state_dict(load_file(path))` loads it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CLASS_TABLE_DATASETS, classNames as datasetClassNames, type ClassTableDataset } from '../data/classes.js';
import { isModelFolder, loadModel, saveModel, type ModelManifest, type ModelMeta } from '../models/io.js';
import { checkReplaceable } from '../util/replace.js';
import { createModelFromManifest } from '../models/registry.js';
import {
  officialSkateFormerArgs,
  readCheckpoint,
  skateFormerFromStateDict,
  skateFormerToStateDict,
  writeSafetensors,
  type ReadCheckpoint,
} from '../models/pytorch/index.js';
import type { SkateFormerModel } from '../models/skateformer/index.js';
import {
  PRESET_INPUTS,
  SKATEFORMER_PRESETS,
  resolveSkateFormerConfig,
  type SkateFormerPresetName,
} from '../models/skateformer/index.js';
import { loadExperiment } from './config.js';
import { SkelactError, optionName } from '../core/errors.js';

export const IMPORT_FAMILIES = ['skateformer'] as const;
export type ImportFamily = (typeof IMPORT_FAMILIES)[number];

export interface ImportOptions {
  /** torch.save archive or .safetensors file. */
  readonly checkpoint: string;
  readonly family: ImportFamily;
  /** skelact experiment config (model preset and data pipeline of the checkpoint's training). */
  readonly config: string;
  /** A shipped class table (ntu, nw-ucla, …) or a text file with one class name per line. */
  readonly classes: string;
  readonly out: string;
  /** Replace `out` if it already holds a saved model. */
  readonly force?: boolean;
}

export interface ImportResult {
  readonly manifest: ModelManifest;
  readonly checkpoint: ReadCheckpoint;
  readonly tensors: number;
  /** Wall time of reading, checking, converting and writing, in seconds. */
  readonly seconds: number;
}

export class ImportError extends SkelactError {
  readonly code = 'import';

  constructor(message: string) {
    super(`import: ${message}`);
  }
}

/** Class names: `count` from a shipped table, or every line of a file (which must hold `count`). */
export function importClassNames(spec: string, count: number): string[] {
  if ((CLASS_TABLE_DATASETS as readonly string[]).includes(spec)) {
    const all = datasetClassNames(spec as ClassTableDataset);
    if (count > all.length)
      throw new ImportError(
        `${optionName('classes')} ${spec} has ${all.length} classes, the checkpoint's head has ${count}`,
      );
    return all.slice(0, count);
  }
  if (!existsSync(spec))
    throw new ImportError(
      `${optionName('classes')} '${spec}' is neither a shipped class table (${CLASS_TABLE_DATASETS.join(', ')}) nor a file`,
    );
  const names = readFileSync(spec, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (names.length !== count)
    throw new ImportError(`${spec} lists ${names.length} class names, the checkpoint's head has ${count} classes`);
  return names;
}

/** How the official data was prepared before the feeder: NTU from the SGN / CTR-GCN pipeline. */
function preprocessingOf(layout: string): Record<string, unknown> {
  if (layout === 'ntu-25') {
    return {
      alignment: 'ctrgcn',
      source:
        'official SkateFormer NTU data: SGN / CTR-GCN seq_transformation (denoised, centred on the first frame, NTU60_CS.npz)',
    };
  }
  return {
    coordinates: 'raw Kinect v1 camera coordinates (the official NW-UCLA feeder normalises per clip: data.normalize)',
  };
}

/** Reads, checks and converts a checkpoint, then writes the saved model. */
export async function importPytorchCheckpoint(options: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  if (!(IMPORT_FAMILIES as readonly string[]).includes(options.family))
    throw new ImportError(
      `${optionName('family')} ${options.family} is not supported (expected one of ${IMPORT_FAMILIES.join(', ')})`,
    );
  // The one rule of every writer (src/util/replace.ts): a saved model is replaced only with
  // --force, anything else never; checked before the work and again when writing.
  const replace = {
    replace: options.force ?? false,
    howToReplace: `use ${optionName('force')} to replace it`,
    howToAvoid: `choose another ${optionName('out')}`,
  };
  checkReplaceable(options.out, { kind: 'a saved skelact model', isOwnKind: isModelFolder, ...replace });

  const experiment = loadExperiment(options.config);
  if (experiment.model.kind !== options.family)
    throw new ImportError(`${options.config} describes a '${experiment.model.kind}' model, not ${options.family}`);
  if (!existsSync(options.checkpoint)) throw new ImportError(`${options.checkpoint} does not exist`);
  const bytes = new Uint8Array(readFileSync(options.checkpoint));
  const checkpoint = readCheckpoint(bytes, options.checkpoint);

  // The head's rows say how many classes the checkpoint has; the config's preset says the rest.
  const head = checkpoint.state.get('head.weight');
  const classes = head && head.shape.length === 2 ? head.shape[0] : undefined;
  const { kind: _kind, preset, ...fields } = experiment.model as Record<string, unknown>;
  const presetName = (preset ?? 'ntu') as SkateFormerPresetName;
  if (!(SKATEFORMER_PRESETS as readonly string[]).includes(presetName))
    throw new ImportError(
      `${options.config}: model preset '${String(preset)}' is not a SkateFormer preset (${SKATEFORMER_PRESETS.join(', ')})`,
    );
  const config = resolveSkateFormerConfig({
    preset: presetName,
    frames: experiment.data.frames,
    ...fields,
    ...(classes !== undefined ? { classes } : {}),
  });

  let model;
  try {
    model = skateFormerFromStateDict(checkpoint.state, config);
  } catch (e) {
    throw new ImportError(`${options.checkpoint} with ${options.config}: ${(e as Error).message}`);
  }
  try {
    const names = importClassNames(options.classes, config.classes);
    const data = experiment.data;
    const meta: ModelMeta = {
      layout: config.layout ?? PRESET_INPUTS[presetName].layout,
      classNames: names,
      modality: data.modality,
      sampling: data.sampling,
      testCrop: data.testCrop,
      minLength: data.minLength,
      fillMissingPersons: data.fillMissingPersons,
      normalize: data.normalize,
      data: { ...data },
      preprocessing: preprocessingOf(config.layout),
      provenance: {
        importedFrom: basename(options.checkpoint),
        sha256: createHash('sha256').update(bytes).digest('hex'),
        family: `${options.family} (official PyTorch weights)`,
        format:
          checkpoint.format +
          (checkpoint.wrappedIn ? `, weights under '${checkpoint.wrappedIn}'` : '') +
          (checkpoint.strippedPrefix ? `, '${checkpoint.strippedPrefix}' prefix removed` : ''),
        config: basename(options.config),
        experiment: experiment.name,
      },
    };
    const manifest = await saveModel(options.out, model, meta, replace);
    return { manifest, checkpoint, tensors: checkpoint.state.size, seconds: (performance.now() - started) / 1000 };
  } finally {
    model.dispose();
  }
}

export interface ExportResult {
  readonly out: string;
  readonly tensors: number;
  readonly bytes: number;
  /** The official constructor's keyword arguments. */
  readonly args: Record<string, unknown>;
}

/**
 * Writes a saved SkateFormer's weights as official-named .safetensors (atomically; an existing
 * file is replaced only with `force`).
 */
export function exportPytorchWeights(modelDir: string, out: string, force = false): ExportResult {
  if (existsSync(out) && !force)
    throw new ImportError(`${out} already exists; use ${optionName('force')} to replace it`);
  const { model, manifest } = loadModel(modelDir, createModelFromManifest);
  try {
    if (manifest.kind !== 'skateformer')
      throw new ImportError(
        `${modelDir} is a '${manifest.kind}' model; only SkateFormer has official PyTorch names (${IMPORT_FAMILIES.join(', ')})`,
      );
    const sf = model as SkateFormerModel;
    const state = skateFormerToStateDict(sf);
    const args = officialSkateFormerArgs(sf.config);
    const bytes = writeSafetensors(state, {
      format: 'pt',
      skateformer_args: JSON.stringify(args),
      class_names: JSON.stringify(manifest.classNames),
      data: JSON.stringify({
        modality: manifest.modality,
        sampling: manifest.sampling,
        frames: manifest.frames,
        layout: manifest.layout,
        jointOrder: manifest.jointOrder,
      }),
      exported_by: 'skelact export --to pytorch',
    });
    const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
    try {
      writeFileSync(tmp, bytes);
      renameSync(tmp, out);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return { out, tensors: state.size, bytes: bytes.length, args };
  } finally {
    model.dispose();
  }
}
