/** The `skelact` command line: parse, call the library, print. One file per command. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BACKEND_CHOICES, type BackendChoice, describeBackend, initBackend } from '../engine/backend.js';
import { packageVersion } from '../util/version.js';
import { inspectCommand } from './commands/inspect.js';
import { prepareCommand } from './commands/prepare.js';
import { quickstartCommand } from './commands/quickstart.js';
import { synthCommand } from './commands/synth.js';
import { trainCommand } from './commands/train.js';
import { ensembleCommand, evalCommand, predictCommand } from './commands/eval.js';
import { modelInfoCommand } from './commands/model-info.js';
import { modelsCommand } from './commands/models.js';
import { extractCommand } from './commands/extract.js';
import { classifyCommand } from './commands/classify.js';
import { repsCommand } from './commands/reps.js';
import { exportCommand } from './commands/export.js';
import { demoWebCommand } from './commands/demo-web.js';
import { ltCommand } from './commands/lt.js';
import { searchCommand, textCommand } from './commands/text.js';
import type { GlobalOptions } from './output.js';

export async function main(argv: string[]): Promise<void> {
  // Output piped into a program that stops reading early (`| head`) ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  await yargs(argv)
    .scriptName('skelact')
    .usage('$0 <command> [options]\n\nSkeleton-based human action recognition: pose extraction, skeleton graphs, SkateFormer and part-stream models on TensorFlow.js.')
    .option('backend', { describe: 'TensorFlow.js engine (auto = the best that loads)', choices: BACKEND_CHOICES, default: 'auto', type: 'string', global: true })
    .option('json', { describe: 'machine-readable JSON on stdout', type: 'boolean', default: false, global: true })
    .option('quiet', { describe: 'no progress or summary on stderr', type: 'boolean', default: false, global: true })
    .option('threads', { describe: 'wasm backend: XNNPACK threads (default SKELACT_WASM_THREADS or 1; 2 makes the NTU-sized models about 1.5× faster on 2 cores, the small ones slower)', type: 'number', global: true })
    .middleware(async (args) => {
      // Every command states the engine it runs on (on stderr, so --json output stays clean).
      const info = await initBackend(args.backend as BackendChoice, args.threads !== undefined ? { threads: args.threads as number } : {});
      if (!args.quiet) process.stderr.write(`skelact ${packageVersion()} · backend: ${describeBackend(info)}\n`);
    })
    .command(quickstartCommand as never)
    .command(synthCommand as never)
    .command(prepareCommand as never)
    .command(inspectCommand as never)
    .command(trainCommand as never)
    .command(evalCommand as never)
    .command(ensembleCommand as never)
    .command(predictCommand as never)
    .command(modelInfoCommand as never)
    .command(modelsCommand as never)
    .command(extractCommand as never)
    .command(classifyCommand as never)
    .command(repsCommand as never)
    .command(exportCommand as never)
    .command(demoWebCommand as never)
    .command(ltCommand as never)
    .command(textCommand as never)
    .command(searchCommand as never)
    .demandCommand(1, 'choose a command (skelact --help lists them)')
    .strict()
    .version(packageVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((message, error, y) => {
      if (error) {
        process.stderr.write(`skelact: ${error.message}\n`);
        if (process.env.SKELACT_DEBUG) process.stderr.write(`${error.stack}\n`);
      } else {
        process.stderr.write(`${y.help() && ''}skelact: ${message}\nRun with --help for usage.\n`);
      }
      process.exit(1);
    })
    .parseAsync(argv);
}

export type { GlobalOptions };

main(hideBin(process.argv)).catch((e: Error) => {
  process.stderr.write(`skelact: ${e.message}\n`);
  if (process.env.SKELACT_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
