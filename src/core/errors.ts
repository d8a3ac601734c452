/**
 * One family of errors. Every error skelact throws on purpose extends SkelactError and carries
 * a stable `code` that programs can test (`err.code === 'validation'`) while messages are free
 * to improve. Messages name the file, field or tensor and what was expected; they do not
 * mention command-line flags (the CLI adds those where it knows them).
 */
import type * as z from 'zod';

/** The base of every error skelact throws on purpose; `code` is stable, the message may improve. */
export abstract class SkelactError extends Error {
  /** Stable identifier of the kind of failure. */
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A value (a file's content, a config, an option) that does not have the expected shape. */
export class ValidationError extends SkelactError {
  readonly code: string = 'validation';

  /**
   * @param what   the file or object checked ('configs/a.json', 'SkateFormer config')
   * @param field  dotted path of the offending field, when there is one
   * @param detail what was wrong, and what was expected
   */
  constructor(
    readonly what: string,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    super(`${what}: ${field ? `field '${field}': ` : ''}${detail}`);
  }
}

type ValidationErrorClass = new (what: string, field: string | undefined, detail: string) => ValidationError;

/**
 * The one validation step: parses `value` with a zod schema, or throws for its first issue,
 * naming `what` and the field's path: a ValidationError, the given subclass, or the error a
 * stage makes of it (a damaged checkpoint stays a CheckpointError).
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  onError: ValidationErrorClass | ((field: string | undefined, detail: string) => Error) = ValidationError,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? ` (${(issue as { keys: string[] }).keys.join(', ')})` : '';
  const field = issue.path.length > 0 ? issue.path.join('.') : undefined;
  const detail = `${issue.message}${keys}`;
  if (onError.prototype instanceof ValidationError || onError === ValidationError)
    throw new (onError as ValidationErrorClass)(what, field, detail);
  throw (onError as (field: string | undefined, detail: string) => Error)(field, detail);
}

/**
 * How a library message names one of its options ("option `raw`"), so that it speaks of the
 * library's fields, never of a command line; the CLI shows its flag there instead
 * (src/cli/flags.ts: `raw` → `--raw`, `alignment` → `--align`).
 */
export function optionName(field: string): string {
  return `option \`${field}\``;
}

/** Matches what optionName writes; the field is group 1. */
export const OPTION_NAME = /option `([A-Za-z][A-Za-z0-9]*)`/g;
