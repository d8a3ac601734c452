/** Shared CLI plumbing: global options, human output to stderr, JSON to stdout. */
export interface GlobalOptions {
  backend: string;
  json: boolean;
  quiet: boolean;
  threads?: number;
}

/** Human-readable progress and results go to stderr so stdout stays clean for --json. */
export function log(args: Pick<GlobalOptions, 'quiet' | 'json'>, message: string): void {
  if (!args.quiet) process.stderr.write(`${message}\n`);
}

/** Human-readable result text (stdout), unless --json. */
export function print(message: string): void {
  process.stdout.write(`${message}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
