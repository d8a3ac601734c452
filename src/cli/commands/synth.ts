/** `skelact synth`: write a seeded synthetic dataset (NTU `.skeleton` files or generic records). */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { toGenericRecord } from '../../data/formats/generic.js';
import { ntuSplit } from '../../data/ntu/benchmarks.js';
import {
  iterateSyntheticSamples,
  resolveSyntheticOptions,
  syntheticClasses,
  writeSyntheticNtuDataset,
} from '../../data/synthetic/index.js';
import { createProgressBar } from '../progress.js';
import { type GlobalOptions, log, printJson } from '../output.js';

interface SynthArgs extends GlobalOptions {
  out: string;
  format: 'ntu' | 'generic';
  layout: 'ntu-25' | 'kinect-20';
  samplesPerClass: number;
  seed: number;
  actions?: string[];
  noiseBodies: number;
  realisticSize: boolean;
}

export const synthCommand: CommandModule<GlobalOptions, SynthArgs> = {
  command: 'synth',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('out', { describe: 'folder to write', type: 'string', demandOption: true })
      .option('format', {
        describe: 'ntu: one NTU RGB+D .skeleton file per sample; generic: skelact generic JSON Lines',
        choices: ['ntu', 'generic'],
        default: 'ntu',
      })
      .option('layout', {
        describe: 'skeleton layout (generic format only; .skeleton files are ntu-25)',
        choices: ['ntu-25', 'kinect-20'],
        default: 'ntu-25',
      })
      .option('samples-per-class', { describe: 'samples of each action', type: 'number', default: 10 })
      .option('seed', { describe: 'random seed (same seed, same bytes)', type: 'number', default: 1 })
      .option('actions', { describe: 'subset of actions by NTU id (A001) or name', type: 'array', string: true })
      .option('noise-bodies', {
        describe: 'NTU format: share of files with extra noise bodies (ghosts, flat objects)',
        type: 'number',
        default: 0.25,
      })
      .option('realistic-size', {
        describe: 'NTU format: frame counts that give files of real NTU size (150–375 KB)',
        type: 'boolean',
        default: false,
      })
      .example('$0 synth --out data/synthetic-ntu --samples-per-class 20', 'NTU-format files for `skelact prepare ntu`')
      .example(
        '$0 synth --out data/ucla-like --format generic --layout kinect-20',
        'Kinect v1 records for `skelact prepare generic`',
      ) as unknown as Argv<SynthArgs>,
  handler: async (args: ArgumentsCamelCase<SynthArgs>) => {
    if (!(args.noiseBodies >= 0 && args.noiseBodies <= 1))
      throw new Error(`--noise-bodies must be a share between 0 and 1, got ${args.noiseBodies}`);
    const options = { seed: args.seed, samplesPerClass: args.samplesPerClass, actions: args.actions };
    const resolved = resolveSyntheticOptions({ ...options, layout: args.format === 'ntu' ? 'ntu-25' : args.layout });
    const classes = syntheticClasses({ ...options });
    const total = classes.length * resolved.samplesPerClass;
    const bar = createProgressBar({ total, unit: 'samples', silent: args.json || args.quiet });
    const started = performance.now();
    let bytes = 0;
    if (args.format === 'ntu') {
      const files = await writeSyntheticNtuDataset(args.out, {
        ...options,
        realisticSize: args.realisticSize,
        noiseBodies: args.noiseBodies > 0 ? { probability: args.noiseBodies } : false,
        onFile: (_f, n) => bar.update(n),
      });
      bytes = files.reduce((s, f) => s + f.bytes, 0);
    } else {
      // One JSON Lines file, written to a temporary name and renamed.
      mkdirSync(args.out, { recursive: true });
      const path = join(args.out, `synthetic-${args.layout}.jsonl`);
      const tmp = `${path}.tmp-${process.pid}`;
      const lines: string[] = [];
      let n = 0;
      try {
        for (const sample of iterateSyntheticSamples({ ...options, layout: args.layout })) {
          const record = toGenericRecord(sample);
          // Split by the NTU60 cross-subject rule on the synthetic performer ids.
          lines.push(
            JSON.stringify({
              ...record,
              label: classes[sample.label].name,
              split: ntuSplit('ntu60-xsub', sample.name) ?? 'test',
            }),
          );
          bar.update(++n);
        }
        const text = `${lines.join('\n')}\n`;
        writeFileSync(tmp, text);
        renameSync(tmp, path);
        bytes = Buffer.byteLength(text);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
    }
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      out: args.out,
      format: args.format,
      samples: total,
      classes: classes.map((c) => `${c.id} ${c.name}`),
      megabytes: bytes / 1e6,
      seconds,
    };
    if (args.json) return printJson(summary);
    log(
      args,
      `wrote ${total} samples of ${classes.length} actions (${(bytes / 1e6).toFixed(1)} MB) to ${args.out} in ${seconds.toFixed(1)} s`,
    );
    log(args, `next: skelact prepare ${args.format === 'ntu' ? 'ntu' : 'generic'} --raw ${args.out} --out <cache>`);
  },
};
