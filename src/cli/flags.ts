/**
 * The library names its options by field (`optionName('alignment')` → "option `alignment`",
 * src/core/errors.ts); the CLI shows the flag a user types instead. A field's flag is its
 * kebab-case name unless this table says otherwise.
 */
import { OPTION_NAME } from '../core/errors.js';

/** Fields whose flag is not their kebab-case name. */
const FLAG_OF: Readonly<Record<string, string>> = {
  alignment: '--align',
  benchmarkIndices: '--benchmark',
  scoresDir: '--scores',
  countClass: '--class',
};

/** The flag of a library option field. */
export function flagOf(field: string): string {
  return FLAG_OF[field] ?? `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A library message with its option names shown as the CLI's flags. */
export function withFlags(message: string): string {
  return message.replace(OPTION_NAME, (_, field: string) => flagOf(field));
}
