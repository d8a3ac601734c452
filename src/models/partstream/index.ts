/** PSUMNet-style part-stream model: config, presets, PSUMNet's tables and the model factory. */
export { createPartStream, streamPartition, type PartStreamModel } from './model.js';
export {
  PART_STREAM_PRESETS,
  PART_STREAM_PRESET_NAMES,
  parsePartStreamConfig,
  partStreamConfigSchema,
  partStreamPreset,
  type PartStreamConfig,
  type PartStreamConfigInput,
  type PartStreamPresetName,
} from './config.js';
export {
  PSUMNET_FUSION_WEIGHTS,
  PSUMNET_LAYERS,
  STREAM_LAYERS,
  UNIFIED_MODALITIES,
  type FusionWeights,
  type PsumnetLayerName,
} from './constants.js';
export { streamIndex, temporalMotion, unifiedModality, type StreamIndex } from './modality.js';
