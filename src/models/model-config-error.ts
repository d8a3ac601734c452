/** A model config (family, preset, sizes) that cannot build a model: one error for every family. */
import { ValidationError } from '../core/errors.js';

export class ModelConfigError extends ValidationError {
  override readonly code = 'invalid-model-config';
}
