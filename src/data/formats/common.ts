/**
 * Helpers the format readers share: reading text, parsing numbers strictly, turning JSON
 * and zod failures into SkeletonFormatError with the file, line and field path.
 * Internal to src/data/formats (not exported from the package).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as z from 'zod';
import { SkeletonFormatError } from '../types.js';

/**
 * Reads a text file and returns it with the name used in error messages (the base name:
 * messages stay short and match what users see in their folder listings).
 */
export function readTextFile(path: string): { text: string; fileName: string } {
  return { text: readFileSync(path, 'utf8'), fileName: basename(path) };
}

/** Splits text into lines, tolerating CRLF and a UTF-8 byte-order mark. Line i is line number i + 1. */
export function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return body.split(/\r?\n|\r/);
}

// A plain decimal number: no hex, no `Infinity`, no `NaN`, no digit separators (all of which Number() accepts or
// half-accepts), so a corrupted token is reported instead of silently becoming a different value.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The largest finite float32; clips are Float32Array, where anything larger becomes ±Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The value of a decimal token, or undefined when the token is not one or would not be finite
 * once stored as float32 (`1e999`, `5e38`).
 */
export function parseDecimal(token: string): number | undefined {
  if (!DECIMAL.test(token)) return undefined;
  const value = Number(token);
  return Math.abs(value) <= FLOAT32_MAX ? value : undefined;
}

/** Parses JSON, reporting a syntax error as a SkeletonFormatError at the line where V8 found it. */
export function parseJsonText(text: string, fileName: string, line?: number): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    // V8 reports "… at position N" for most syntax errors; turn that into a line number when we have none.
    const position = /position (\d+)/.exec(detail);
    const errorLine = line ?? (position ? lineOfOffset(body, Number(position[1])) : undefined);
    throw new SkeletonFormatError({ file: fileName, line: errorLine, expected: 'valid JSON', detail });
  }
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A zod path as users write it: `skeletons[12][3]`, `data[4].skeleton[0].pose`. `base` is a path it continues. */
export function formatFieldPath(path: ReadonlyArray<PropertyKey>, base = ''): string {
  let out = base;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * What a JSON value is, for the "found …" part of a message (SkeletonFormatError quotes it):
 * `19 items`, `abc`, `null`, `Infinity`, `an object`, `nothing` (a missing field).
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a finite number',
  int: 'an integer',
  string: 'a string',
  array: 'an array',
  object: 'an object',
  boolean: 'true or false',
  null: 'null',
};

/**
 * The "expected …" text for a zod issue that carries no message of its own. Schemas give
 * their own wording where the generic one would be vague (e.g. `20 joints (layout kinect-20)`).
 */
function expectedText(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_WORDS[issue.expected] ?? issue.expected;
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') return issue.exact ? `${min} items` : `at least ${min} item${min === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return min === 1 ? 'a non-empty string' : `a string of at least ${min} characters`;
      return `a number ${issue.inclusive ? '≥' : '>'} ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array') return issue.exact ? `${max} items` : `at most ${max} items`;
      if (issue.origin === 'string') return `a string of at most ${max} characters`;
      return `a number ${issue.inclusive ? '≤' : '<'} ${max}`;
    }
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `no fields other than the documented ones (unknown: ${issue.keys.join(', ')})`;
    case 'invalid_format':
      return `a string in the format ${issue.format}`;
    default:
      return 'a valid value';
  }
}

/**
 * Validates parsed JSON with a zod schema. The first issue becomes a SkeletonFormatError naming
 * the file, the line (for JSON Lines), the field path and what was expected and found.
 */
export function parseWithSchema<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: {
    fileName: string;
    line?: number;
    /** Path of `value` inside the file, e.g. `joints` when validating a record's joints on their own. */
    basePath?: string;
    /** Text before the field path, e.g. `record 3: ` for the fourth record of a JSON array. */
    recordLabel?: string;
  },
): z.output<Schema> {
  const result = schema.safeParse(value, { error: (issue) => expectedText(issue) });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const found = issue.code === 'unrecognized_keys' ? undefined : describeValue(valueAt(value, issue.path));
  const path = formatFieldPath(issue.path, where.basePath);
  const field = `${where.recordLabel ?? ''}${path || (where.recordLabel ? 'the record' : '')}`;
  throw new SkeletonFormatError({
    file: where.fileName,
    line: where.line,
    field: field || undefined,
    expected: issue.message,
    found,
  });
}

/**
 * A JSON number that stays finite as float32. zod 4's number() already rejects ±Infinity (what
 * JSON.parse makes of `1e999`); the bounds catch values like 1e300 that overflow float32.
 */
export const finiteNumber = z
  .number({ error: 'a finite number' })
  .min(-FLOAT32_MAX, { error: 'a finite number within float32 range (±3.4e38)' })
  .max(FLOAT32_MAX, { error: 'a finite number within float32 range (±3.4e38)' });

/**
 * Checks that `value` is an array of `length` numbers that are finite as float32 and returns it.
 * The hot path of the JSON readers (pose and score arrays): a direct loop is several times
 * faster than a zod schema on large files, with the same messages.
 */
export function checkNumberArray(
  value: unknown,
  length: number,
  where: { fileName: string; line?: number; field: string; expected: string },
): readonly number[] {
  const fail = (field: string, expected: string, found: unknown): never => {
    throw new SkeletonFormatError({
      file: where.fileName,
      line: where.line,
      field,
      expected,
      found: describeValue(found),
    });
  };
  if (!Array.isArray(value)) return fail(where.field, where.expected, value);
  const values = value as unknown[];
  if (values.length !== length) fail(where.field, where.expected, values);
  for (let i = 0; i < length; i++) {
    const x = values[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${where.field}[${i}]`, 'a finite number', x);
    else if (Math.abs(x) > FLOAT32_MAX)
      fail(`${where.field}[${i}]`, 'a finite number within float32 range (±3.4e38)', x);
  }
  return values as number[];
}
