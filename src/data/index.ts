/** The data stage: reading raw skeleton datasets, the prepared-data cache and clip sampling. */
export {
  SkeletonFormatError,
  XYZ,
  XY_SCORE,
  type SkeletonSample,
  type ReadResult,
  type FailedFile,
  type ChannelNames,
} from './types.js';
export {
  classNames,
  loadClassTable,
  CLASS_TABLE_DATASETS,
  type ClassTable,
  type ClassTableDataset,
} from './classes.js';
export { prepare, listFiles, type PrepareOptions, type PrepareResult, type PrepareProgress } from './prepare.js';
export { DATASETS, DATASET_NAMES, getDataset, type DatasetSpec, type SourceFile } from './datasets/index.js';
export { ntuMissingSamples } from './datasets/ntu.js';
export { SkeletonCache, CacheError, type CachedSample } from './cache/reader.js';
export { CacheWriter, type CacheHeader } from './cache/writer.js';
export { writeFileAtomic } from '../core/files.js';
export {
  CACHE_FILES,
  CACHE_FORMAT,
  CACHE_VERSION,
  type CacheManifest,
  type SampleRecord,
  type CacheSplits,
  type PrepareReport,
  type SplitName,
} from './cache/format.js';
export {
  parseNtuSkeleton,
  parseNtuName,
  NTU_JOINTS,
  type NtuRawSkeleton,
  type NtuBody,
  type NtuSampleName,
} from './ntu/parser.js';
export { denoiseNtu, DENOISE, type DenoisedSkeleton } from './ntu/denoise.js';
export { ntuSampleFromBytes, NTU_ALIGNMENTS, type NtuAlignment } from './ntu/sample.js';
export {
  NTU_BENCHMARKS,
  NTU_BENCHMARK_SIZES,
  NTU_BENCHMARK_CLASSES,
  NTU60_XSUB_TRAIN,
  NTU120_XSUB_TRAIN,
  ntuSplit,
  isNtuBenchmark,
  isNtu60Sample,
  type NtuBenchmark,
} from './ntu/benchmarks.js';
export { centreOnFirstFrame, alignPyskl, alignmentJoints, rotationMatrix, type AlignmentJoints } from './normalize.js';
export {
  validCropResize,
  validCropUniform,
  uniformSampleIndices,
  segmentIndices,
  linearResize,
  gatherFrames,
  type SampledClip,
  type CropOptions,
  type UniformRandom,
} from './transforms/sampling.js';
export * from './formats/index.js';
export * as synthetic from './synthetic/index.js';
