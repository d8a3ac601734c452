/**
 * `skelact sweep --config a.json --config b.json --seeds 3 --data <cache> --out <folder> --queue …`:
 * one training run per config and seed, added to a queue for `skelact worker`. Each run trains
 * into <out>/<config name>-seed<seed>/; <out>/sweep.json lists them, and `skelact ensemble <out>`
 * fuses the test-split scores of those that have finished.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../../core/files.js';
import { addJobs, openQueue } from '../../queue/index.js';
import { loadExperiment } from '../../train/config.js';
import { trainJob } from '../queue-jobs.js';
import { readSweep, SWEEP_FILE, SWEEP_FORMAT, type SweepFile } from '../sweep-file.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { checkWritable } from '../writable.js';

interface SweepArgs extends GlobalOptions {
  config: string[];
  seeds: number;
  data: string;
  out: string;
  queue: string;
  queueName: string;
  epochs?: number;
}

export const sweepCommand: CommandModule<GlobalOptions, SweepArgs> = {
  command: 'sweep',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('config', {
        describe: 'experiment config (repeat for several: e.g. the joint, bone and motion streams)',
        type: 'string',
        array: true,
        demandOption: true,
      })
      .option('seeds', {
        describe: 'runs per config, with seeds config.seed, config.seed+1, …',
        type: 'number',
        default: 1,
      })
      .option('data', {
        describe: 'prepared cache (skelact prepare); at the same path on every worker',
        type: 'string',
        demandOption: true,
      })
      .option('out', {
        describe: 'folder of the runs (<config name>-seed<seed>/) and sweep.json; at the same path on every worker',
        type: 'string',
        demandOption: true,
      })
      .option('queue', { describe: 'the Redis queue: redis://host:port/db', type: 'string', demandOption: true })
      .option('queue-name', { describe: 'the queue in that Redis database', type: 'string', default: 'skelact' })
      .option('epochs', {
        describe: 'stop each run after this many epochs (as skelact train --epochs)',
        type: 'number',
      })
      .example(
        '$0 sweep --config configs/small/stgcn-synthetic.json --config configs/small/partstream-synthetic.json --seeds 3 --data cache --out runs/sweep --queue redis://127.0.0.1:6379/0',
        '6 runs as jobs; then: skelact worker …, skelact ensemble runs/sweep',
      ) as unknown as Argv<SweepArgs>,
  handler: async (args: ArgumentsCamelCase<SweepArgs>) => {
    if (!(Number.isInteger(args.seeds) && args.seeds >= 1))
      throw new Error(`--seeds must be a whole number of at least 1, got ${args.seeds}`);
    if (args.epochs !== undefined && !(Number.isInteger(args.epochs) && args.epochs >= 1))
      throw new Error(`--epochs must be a whole number of at least 1, got ${args.epochs}`);
    if (!existsSync(join(args.data, 'manifest.json')))
      throw new Error(`--data ${args.data}: not a prepared cache (no manifest.json); make one with skelact prepare`);
    const out = resolve(args.out);
    checkWritable(out, 'folder', 'choose a writable place with --out');
    const runs: SweepFile['runs'] = [];
    const jobs = [];
    const names = new Map<string, string>();
    for (const file of args.config) {
      const config = loadExperiment(file);
      const other = names.get(config.name);
      if (other !== undefined && other !== resolve(file))
        throw new Error(
          `${file} and ${other} are both named '${config.name}': their runs would share folders; give one another "name"`,
        );
      names.set(config.name, resolve(file));
      for (let k = 0; k < args.seeds; k++) {
        const seed = config.seed + k;
        const dir = join(out, `${config.name}-seed${seed}`);
        const job = trainJob({
          config: { ...config, seed },
          configFile: resolve(file),
          seed,
          data: resolve(args.data),
          out: dir,
          ...(args.epochs !== undefined ? { epochs: args.epochs } : {}),
        });
        jobs.push(job);
        runs.push({ name: config.name, config: resolve(file), seed, dir: relative(out, dir), job: job.id });
      }
    }
    const opened = await openQueue(args.queue, { name: args.queueName });
    try {
      const { added, existing } = await addJobs(opened, jobs);
      // The sweep file keeps runs added earlier (another sweep into the same folder).
      mkdirSync(out, { recursive: true });
      const before = existsSync(join(out, SWEEP_FILE)) ? readSweep(out).runs : [];
      const all = [...before.filter((r) => !runs.some((n) => n.dir === r.dir)), ...runs];
      writeFileAtomic(
        join(out, SWEEP_FILE),
        `${JSON.stringify({ format: SWEEP_FORMAT, version: 1, runs: all }, null, 2)}\n`,
      );
      if (args.json)
        return printJson({
          queue: opened.address.display,
          queueName: opened.name,
          sweep: join(out, SWEEP_FILE),
          runs,
          added: added.length,
          alreadyQueued: existing.length,
        });
      log(args, `${runs.length} run(s): ${args.config.length} config(s) × ${args.seeds} seed(s) into ${out}`);
      print(
        `${added.length} training job(s) added to ${opened.address.display} (queue ${opened.name})${existing.length > 0 ? `; ${existing.length} already there, not added again` : ''}. Run workers with: skelact worker --queue ${opened.address.display}; then: skelact ensemble ${args.out}`,
      );
    } finally {
      await opened.close();
    }
  },
};
