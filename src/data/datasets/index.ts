/** The datasets `skelact prepare` knows, by name. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ntuDataset } from './ntu.js';
import { genericDataset, kineticsDataset, mlkitFitnessDataset, nwUclaDataset, utkinectDataset } from './others.js';
import type { DatasetSpec } from './spec.js';

// Options differ per dataset; the registry erases their type (each spec validates its own
// options in parseOptions, and method parameters are checked bivariantly).
type AnySpec = DatasetSpec<unknown>;

/** The raw datasets `prepare` reads, by name, with their files, layout and benchmarks. */
export const DATASETS: Record<string, AnySpec> = {
  ntu: ntuDataset,
  'nw-ucla': nwUclaDataset,
  utkinect: utkinectDataset,
  'kinetics-skeleton': kineticsDataset,
  'mlkit-fitness': mlkitFitnessDataset,
  generic: genericDataset,
};

export const DATASET_NAMES = Object.keys(DATASETS);

export function getDataset(name: string): AnySpec {
  const spec = DATASETS[name];
  if (!spec) throw new Error(`unknown dataset '${name}': expected one of ${Object.keys(DATASETS).join(', ')}`);
  return spec;
}

/**
 * A dataset's options for reading one raw file on its own (`skelact predict`, `inspect`): the
 * generic format takes its layout from this file (not from the first file of its folder);
 * a UTKinect recording without an actionLabel.txt beside it is read whole, unlabelled; the
 * others look beside the file as prepare looks in --raw.
 */
export function optionsForFile(dataset: string, file: string): unknown {
  const spec = getDataset(dataset);
  if (dataset === 'generic') return spec.parseOptions({}, file);
  if (dataset === 'utkinect')
    return spec.parseOptions(existsSync(join(dirname(file), 'actionLabel.txt')) ? {} : { labels: 'none' }, file);
  return spec.parseOptions({}, dirname(file));
}

export type { DatasetSpec, SourceFile, SplitAssignment } from './spec.js';
