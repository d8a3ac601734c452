/** Models: SkateFormer, part streams and ST-GCN on TensorFlow.js, built from configs; saved-model folders. */
export {
  createModel,
  createModelFromManifest,
  MODEL_KINDS,
  ModelConfigError,
  type DataFacts,
  type ModelKind,
  type ModelSection,
} from './registry.js';
export {
  loadModel,
  readModelFolder,
  saveModel,
  ModelFolderError,
  MODEL_FILES,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelManifest,
  type ModelMeta,
} from './io.js';
export {
  createSkateFormer,
  skateFormerPreset,
  SKATEFORMER_PRESETS,
  type SkateFormerConfig,
} from './skateformer/index.js';
export { createPartStream, partStreamPreset, PART_STREAM_PRESET_NAMES } from './partstream/index.js';
export { createStgcn, stgcnPreset, STGCN_PRESET_NAMES } from './stgcn/index.js';
export type { ForwardOptions, ModelBatch, ModelOutput, SkeletonModel, StageInfo } from './types.js';
export {
  TEXT_SLOTS,
  addTextHead,
  hasTextHead,
  projectToText,
  textHeadSpecFor,
  type TextHeadSpec,
} from './text-head.js';
export {
  readCheckpoint,
  parseSafetensors,
  writeSafetensors,
  skateFormerFromStateDict,
  skateFormerToStateDict,
  officialSkateFormerArgs,
  TorchCheckpointError,
  StateDictMismatchError,
  type StateDict,
  type HostTensor,
} from './pytorch/index.js';
