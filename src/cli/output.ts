/** Shared CLI plumbing: global options, human output to stderr, JSON to stdout, exit codes. */
import { printableMessage } from '../util/printable.js';
import { withFlags } from './flags.js';

/**
 * Exit codes (documented in the README, "Exit codes"): 0 all done; 1 an error, nothing written
 * (or a usage error); 3 a batch finished but some of its inputs failed: the good ones were
 * written, the failed ones are listed; 130 / 143 stopped by Ctrl-C / SIGTERM (train writes its
 * checkpoint first).
 */
export const EXIT = { ok: 0, error: 1, someInputsFailed: 3, interrupted: 130, terminated: 143 } as const;

/** Ends a batch that had failed inputs with EXIT.someInputsFailed, once its output is written. */
export function exitWithFailures(failed: number): void {
  if (failed > 0) process.exitCode = EXIT.someInputsFailed;
}
export interface GlobalOptions {
  backend: string;
  json: boolean;
  quiet: boolean;
  threads?: number;
}

/** Human-readable progress and results go to stderr so stdout stays clean for --json. */
export function log(args: Pick<GlobalOptions, 'quiet' | 'json'>, message: string): void {
  if (!args.quiet) process.stderr.write(`${withFlags(printableMessage(message))}\n`);
}

/** Human-readable result text (stdout), unless --json. */
export function print(message: string): void {
  process.stdout.write(`${withFlags(printableMessage(message))}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
