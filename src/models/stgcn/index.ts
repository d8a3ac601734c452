/** ST-GCN-style baseline: config, presets and the model factory. */
export { createStgcn, type StgcnModel } from './model.js';
export {
  STGCN_PRESETS,
  STGCN_PRESET_NAMES,
  parseStgcnConfig,
  stgcnConfigSchema,
  stgcnPreset,
  type StgcnBlockConfig,
  type StgcnConfig,
  type StgcnConfigInput,
  type StgcnPresetName,
} from './config.js';
export { GRAPH_MODES, graphConv, temporalMaxPool3, subsampleFrames, type GraphMode } from './layers.js';
export { ModelConfigError } from './validate.js';
