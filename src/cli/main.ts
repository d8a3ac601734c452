/** The `skelact` command line: parse, call the library, print. One file per command. */
import { createRequire } from 'node:module';
import type yargsFactory from 'yargs';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BACKEND_CHOICES, NATIVE_CHOICES, type BackendChoice, type NativeChoice } from '../engine/choices.js';
import { packageVersion } from '../util/version.js';
import { printableMessage } from '../util/printable.js';
import { withFlags } from './flags.js';
import { COMMANDS, findCommand } from './command-table.js';
import { copyableExamples, terminalWidth } from './help.js';
import type { GlobalOptions } from './output.js';

// yargs is loaded through require: its ES module build lays out --help with a cliui that breaks
// lines every N characters, inside words; the CommonJS build wraps between words (wrap-ansi).
const yargs = createRequire(import.meta.url)('yargs') as typeof yargsFactory;

/** Global options that take a value (`--backend wasm`), so the command word is found after them. */
const GLOBAL_OPTIONS_WITH_VALUES = ['--backend', '--threads', '--native'];

/** The first word of argv that is not an option or a global option's value: the command asked for. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (GLOBAL_OPTIONS_WITH_VALUES.includes(token)) i++;
    else if (!token.startsWith('-')) return token;
  }
  return undefined;
}

/** Starts the TensorFlow.js backend (only for commands that compute with tensors) and says which runs. */
async function startBackend(args: Record<string, unknown>, webgpu: boolean): Promise<void> {
  if (args.help) return; // --help starts no engine
  const { describeBackend, initBackend } = await import('../engine/backend.js');
  const info = await initBackend(args.backend as BackendChoice, {
    syncReads: !webgpu,
    ...(args.threads !== undefined ? { threads: args.threads as number } : {}),
    ...(args.native !== undefined ? { native: args.native as NativeChoice } : {}),
  });
  // On stderr, so --json output stays clean.
  if (!args.quiet) process.stderr.write(`skelact ${packageVersion()} · backend: ${withFlags(describeBackend(info))}\n`);
}

/** Commands without tensors start no engine; the line says so, where the others name theirs. */
function sayNoBackend(args: Record<string, unknown>, command: string): void {
  if (!args.help && !args.quiet)
    process.stderr.write(`skelact ${packageVersion()} · backend: not started (${command} computes no tensors)\n`);
}

/**
 * The configured command line, not yet parsed (tests read its --help). The command asked for is
 * registered with its code, loaded now; for `--help`, an unknown word or none, every command is
 * registered by name and description only, so nothing heavy is loaded.
 */
export async function createCli(argv: string[]): Promise<Argv<GlobalOptions>> {
  const cli = copyableExamples(yargs(argv))
    .scriptName('skelact')
    .usage(
      '$0 <command> [options]\n\nSkeleton-based human action recognition: pose extraction, skeleton graphs, SkateFormer and part-stream models on TensorFlow.js.',
    )
    .option('backend', {
      describe: 'TensorFlow.js engine (auto = the best that loads)',
      choices: BACKEND_CHOICES,
      default: 'auto',
      type: 'string',
      global: true,
    })
    .option('json', { describe: 'machine-readable JSON on stdout', type: 'boolean', default: false, global: true })
    .option('quiet', { describe: 'no progress or summary on stderr', type: 'boolean', default: false, global: true })
    .option('threads', {
      describe:
        "wasm backend threads (default SKELACT_WASM_THREADS or 1): the native kernels' pool where they run, else XNNPACK's; on an idle 2-core machine 2 make training about 1.4× faster",
      type: 'number',
      global: true,
    })
    .option('native', {
      describe:
        "wasm backend: skelact's native OpenBLAS kernels for products and convolutions (default SKELACT_NATIVE or auto: where built; 'npm run setup:native' builds them); they run --threads threads",
      choices: NATIVE_CHOICES,
      type: 'string',
      global: true,
    }) as unknown as Argv<GlobalOptions>;
  const chosen = findCommand(commandWord(argv));
  const withCommands = chosen
    ? cli
        .command({ ...(await chosen.load()), describe: chosen.describe } as never)
        .middleware(
          (args) =>
            (typeof chosen.tensors === 'function' ? chosen.tensors(args) : chosen.tensors)
              ? startBackend(args, chosen.webgpu === true)
              : sayNoBackend(args, chosen.name),
          false,
        )
    : COMMANDS.reduce((y, c) => y.command(c.name, c.describe, {}, () => {}), cli);
  return (
    withCommands
      .demandCommand(1, 'choose a command (skelact --help lists them)')
      .strict()
      .version(packageVersion())
      .help()
      .alias('h', 'help')
      // The terminal's width (80 when output is not a terminal).
      .wrap(terminalWidth())
      .fail((message, error, y) => {
        if (error) {
          process.stderr.write(`skelact: ${withFlags(printableMessage(error.message))}\n`);
          if (process.env.SKELACT_DEBUG) process.stderr.write(`${error.stack}\n`);
        } else {
          process.stderr.write(`${y.help() && ''}skelact: ${printableMessage(message)}\nRun with --help for usage.\n`);
        }
        process.exit(1);
      })
  );
}

export async function main(argv: string[]): Promise<void> {
  // Output piped into a program that stops reading early (`| head`) ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  await (await createCli(argv)).parseAsync(argv);
}

export type { GlobalOptions };

/** Runs the command line of this process (bin/skelact.js). */
export function run(): Promise<void> {
  return main(hideBin(process.argv)).catch((e: Error) => {
    process.stderr.write(`skelact: ${withFlags(printableMessage(e.message))}\n`);
    if (process.env.SKELACT_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}
