/** SkateFormer: config, presets and the model factory. */
export {
  SKATEFORMER_LAYOUTS,
  SKATEFORMER_PRESETS,
  PRESET_INPUTS,
  SkateFormerConfigError,
  parseSkateFormerConfig,
  resolveSkateFormerConfig,
  skateFormerPreset,
  skateFormerConfigSchema,
  skateFormerGeometry,
  type SkateFormerConfig,
  type SkateFormerConfigInput,
  type SkateFormerPresetName,
} from './config.js';
export { createSkateFormer, type SkateFormerModel } from './model.js';
