/** The datasets `skelact prepare` knows, by name. */
import { ntuDataset } from './ntu.js';
import { genericDataset, kineticsDataset, mlkitFitnessDataset, nwUclaDataset, utkinectDataset } from './others.js';
import type { DatasetSpec } from './spec.js';

// Options differ per dataset; the registry erases their type (each spec validates its own
// options in parseOptions, and method parameters are checked bivariantly).
type AnySpec = DatasetSpec<unknown>;

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

export type { DatasetSpec, SourceFile, SplitAssignment } from './spec.js';
