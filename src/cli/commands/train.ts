/** `skelact train --config <file> --data <cache> --out <dir>`: train a model from an experiment config. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CHECKPOINT_DIR } from '../../train/checkpoint.js';
import { RUN_FILES } from '../../train/trainer.js';
import { trainWithProgress } from '../training.js';
import { EXIT, type GlobalOptions, log, printJson } from '../output.js';
import { checkWritable } from '../writable.js';

interface TrainArgs extends GlobalOptions {
  config: string;
  data: string;
  out: string;
  epochs?: number;
  resume: boolean;
  allowOtherData: boolean;
}

export const trainCommand: CommandModule<GlobalOptions, TrainArgs> = {
  command: 'train',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('config', { describe: 'experiment config (configs/*.json)', type: 'string', demandOption: true })
      .option('data', { describe: 'prepared cache (skelact prepare)', type: 'string', demandOption: true })
      .option('out', {
        describe: 'run folder: checkpoint/, best/, metrics.jsonl, plots',
        type: 'string',
        demandOption: true,
      })
      .option('epochs', {
        describe:
          "stop after this many epochs in all (the schedule still spans the config's epochs, so --resume continues the same run)",
        type: 'number',
      })
      .option('resume', {
        describe: 'continue the run in --out from its last checkpoint, exactly',
        type: 'boolean',
        default: false,
      })
      .option('allow-other-data', {
        describe: 'with --resume: continue even though --data is not the cache the checkpoint was trained on',
        type: 'boolean',
        default: false,
      })
      .example(
        '$0 train --config configs/skateformer/ntu60-xsub-joint.json --data cache/ntu60 --out runs/sf-j',
        'the official SkateFormer recipe',
      )
      .example(
        '$0 train --config configs/small/skateformer-synthetic.json --data skelact-quickstart/cache-ntu --out runs/quick --epochs 5',
        'a few epochs of a CPU-sized model',
      ) as unknown as Argv<TrainArgs>,
  handler: async (args: ArgumentsCamelCase<TrainArgs>) => {
    checkWritable(args.out, 'folder', 'choose a writable run folder with --out');
    if (!args.resume && existsSync(join(args.out, CHECKPOINT_DIR))) {
      throw new Error(`${args.out} already holds a run; add --resume to continue it, or choose another --out`);
    }
    const summary = await trainWithProgress({ ...args, configFile: args.config });
    if (summary.stoppedBy) process.exitCode = summary.stoppedBy === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
    if (args.json) return printJson(summary);
    log(
      args,
      `${summary.status === 'complete' ? 'finished' : 'stopped'} after ${summary.epochs} epoch(s), ${summary.steps} iterations`,
    );
    if (summary.status === 'aborted' && summary.checkpoint) {
      log(args, `checkpoint written: ${summary.checkpoint}`);
      log(
        args,
        `continue with: npx skelact train --config ${args.config} --data ${args.data} --out ${args.out} --resume`,
      );
    }
    if (summary.best)
      log(
        args,
        `best validation top-1 ${(100 * summary.best.top1).toFixed(2)} % at epoch ${summary.best.epoch}: ${summary.bestModel}`,
      );
    log(
      args,
      `metrics: ${join(args.out, RUN_FILES.metrics)}${summary.plots.length ? ` · plots: ${summary.plots.join(', ')}` : ' (no plots: stopped before the first logged step)'}`,
    );
    log(
      args,
      `evaluate with: skelact eval --model ${summary.bestModel ?? join(args.out, RUN_FILES.best)} --data ${args.data}`,
    );
  },
};
