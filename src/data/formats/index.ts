/**
 * Readers for the raw dataset formats other than NTU RGB+D. Each returns a ReadResult
 * (samples plus skipped entries with reasons) and throws SkeletonFormatError for bad input;
 * each `parseXxx(text, fileName)` is the same reader on text already in memory.
 */
export {
  readNwUcla,
  parseNwUcla,
  readNwUclaErrata,
  parseNwUclaErrata,
  applyNwUclaErrata,
  type NwUclaErrata,
} from './nw-ucla.js';
export {
  readUtkinect,
  parseUtkinect,
  readUtkinectLabels,
  parseUtkinectLabels,
  type UtkinectLabels,
  type UtkinectSegment,
} from './utkinect.js';
export {
  readKineticsSkeleton,
  parseKineticsSkeleton,
  readKineticsLabels,
  parseKineticsLabels,
  kineticsClassNames,
  type KineticsSkeletonOptions,
  type KineticsPersonRanking,
  type KineticsLabelTable,
  type KineticsLabelEntry,
} from './kinetics-skeleton.js';
export { readMlkitFitness, parseMlkitFitness } from './mlkit-fitness.js';
export {
  readGeneric,
  parseGeneric,
  parseGenericJson,
  parseGenericJsonl,
  toGenericRecord,
  type GenericRecord,
} from './generic.js';
