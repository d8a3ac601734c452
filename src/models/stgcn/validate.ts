/**
 * Strict config parsing shared by the graph-convolution model families: the first problem
 * becomes one error that names the model and the field.
 */
import type { z } from 'zod';
import { parseWith } from '../../core/errors.js';
import { ModelConfigError } from '../model-config-error.js';

export { ModelConfigError };

/** Parses with a (strict) zod schema; throws ModelConfigError naming the model and the first bad field. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, model: string): z.output<S> {
  return parseWith(schema, raw, `${model} config`, ModelConfigError);
}
