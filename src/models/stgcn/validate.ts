/**
 * Strict config parsing shared by the graph-convolution model families: the first problem
 * becomes one error that names the model and the field.
 */
import type { z } from 'zod';

export class ModelConfigError extends Error {
  constructor(
    readonly model: string,
    readonly field: string,
    message: string,
  ) {
    super(`${model} config: ${field ? `field '${field}': ` : ''}${message}`);
    this.name = 'ModelConfigError';
  }
}

/** Parses with a (strict) zod schema; throws ModelConfigError naming the first bad field. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, model: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === 'unrecognized_keys' ? ` (${(issue as { keys: string[] }).keys.join(', ')})` : '';
    throw new ModelConfigError(model, issue.path.map(String).join('.'), `${issue.message}${keys}`);
  }
  return parsed.data;
}
