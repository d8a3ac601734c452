/** `skelact prepare <dataset> --raw <dir> --out <dir>`: raw files → training-ready cache. */
import { dirname, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { prepare, type PrepareResult } from '../../data/prepare.js';
import { DATASET_NAMES, getDataset } from '../../data/datasets/index.js';
import { createProgressBar } from '../progress.js';
import { exitWithFailures, type GlobalOptions, log, printJson } from '../output.js';
import { checkWritable } from '../writable.js';

interface PrepareArgs extends GlobalOptions {
  dataset: string;
  raw: string;
  out: string;
  benchmark?: string;
  align?: string;
  labels?: string;
  persons?: number;
  classes?: string;
  workers?: number;
  force: boolean;
}

export const prepareCommand: CommandModule<GlobalOptions, PrepareArgs> = {
  command: 'prepare <dataset>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('dataset', { describe: 'raw format', choices: DATASET_NAMES, type: 'string', demandOption: true })
      .option('raw', {
        describe: 'folder of raw files (searched recursively) or one file',
        type: 'string',
        demandOption: true,
      })
      .option('out', {
        describe: 'cache folder to write (replaced atomically when it is rebuilt)',
        type: 'string',
        demandOption: true,
      })
      .option('benchmark', {
        describe:
          'keep only the samples of this benchmark (e.g. ntu60-xsub); splits of every benchmark the samples support are stored',
        type: 'string',
      })
      .option('align', {
        describe:
          "NTU: ctrgcn = centre on SpineMid of actor 1's first frame (CTR-GCN/SkateFormer); pyskl = PreNormalize3D rotation alignment; none",
        choices: ['ctrgcn', 'pyskl', 'none'],
        type: 'string',
      })
      .option('labels', {
        describe:
          'UTKinect: actionLabel file (default actionLabel.txt in --raw); Kinetics: label JSON; NW-UCLA: published (default), audited (corrects 25 training-view clips whose motion contradicts their label, docs/nw-ucla-accuracy.md) or an errata JSON',
        type: 'string',
      })
      .option('persons', { describe: 'Kinetics: persons kept per clip (ST-GCN keeps 2)', type: 'number' })
      .option('classes', {
        describe: 'generic: JSON array of class names (label order); default: sorted label names found',
        type: 'string',
      })
      .option('workers', {
        describe: 'worker threads (0 = read in the main thread); default one per core',
        type: 'number',
      })
      .option('force', { describe: 'rebuild even if the cache is up to date', type: 'boolean', default: false })
      .example(
        '$0 prepare ntu --raw nturgb+d_skeletons --out cache/ntu60 --benchmark ntu60-xsub',
        'NTU RGB+D 60, cross-subject, CTR-GCN preprocessing',
      )
      .example('$0 prepare nw-ucla --raw all_sqe --out cache/ucla', 'NW-UCLA JSON files')
      .example(
        '$0 prepare nw-ucla --raw all_sqe --out cache/ucla-audited --labels audited',
        'NW-UCLA with the audited labels of the training views (the CPU recipe)',
      ) as unknown as Argv<PrepareArgs>,
  handler: async (args: ArgumentsCamelCase<PrepareArgs>) => {
    const spec = getDataset(args.dataset);
    // The cache is built beside --out (<out>.partial-<pid>) and renamed into place.
    checkWritable(dirname(resolve(args.out)), 'folder', 'choose a writable place with --out', args.out);
    const datasetOptions: Record<string, unknown> = {};
    if (args.align !== undefined) datasetOptions.alignment = args.align;
    if (args.labels !== undefined) datasetOptions.labels = args.labels;
    if (args.persons !== undefined) datasetOptions.persons = args.persons;
    if (args.classes !== undefined) datasetOptions.classes = args.classes;
    let bar: ReturnType<typeof createProgressBar> | undefined;
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    let result: PrepareResult;
    const started = performance.now();
    try {
      result = await prepare({
        dataset: args.dataset,
        raw: args.raw,
        out: args.out,
        benchmark: args.benchmark,
        datasetOptions,
        workers: args.workers,
        force: args.force,
        signal: controller.signal,
        onStart: ({ files, bytes, skipped }) => {
          log(
            args,
            `${spec.title}: ${files} file(s), ${(bytes / 1e6).toFixed(1)} MB to read${skipped ? `, ${skipped} skipped` : ''}`,
          );
          bar = createProgressBar({
            total: files,
            unit: 'files',
            extraFormat: '| {mbps} MB/s | {samples} samples, {failed} failed',
            extra: { mbps: '0.0', samples: 0, failed: 0 },
            silent: args.json || args.quiet,
          });
        },
        onProgress: (p) => {
          const seconds = (performance.now() - started) / 1000;
          bar?.update(p.filesDone, {
            mbps: (p.bytesDone / 1e6 / Math.max(1e-3, seconds)).toFixed(1),
            samples: p.samples,
            failed: p.failed,
          });
        },
      });
    } finally {
      bar?.stop();
      process.off('SIGINT', onSignal);
    }
    const { manifest, report } = result;
    const cache = SkeletonCache.open(args.out);
    const splitSizes = Object.fromEntries(
      Object.entries(cache.splits()).map(([b, s]) => [b, { train: s.train.length, test: s.test.length }]),
    );
    cache.close();
    if (args.json) {
      printJson({
        cache: args.out,
        upToDate: result.upToDate,
        dataset: manifest.dataset,
        layout: manifest.layout,
        samples: manifest.samples,
        classes: manifest.classNames.length,
        benchmarks: manifest.benchmarks,
        splits: splitSizes,
        files: result.files,
        megabytes: result.bytes / 1e6,
        seconds: result.seconds,
        skipped: report.skipped.length,
        failed: report.failed,
        denoised: report.denoised.length,
        derived: result.derived ?? null,
      });
      exitWithFailures(report.failed.length);
      return;
    }
    if (result.upToDate) {
      log(args, `${args.out} is up to date (same files and options); nothing rewritten. Use --force to rebuild.`);
    } else {
      log(
        args,
        `wrote ${args.out}: ${manifest.samples} samples, ${manifest.classNames.length} classes, layout ${manifest.layout}, ${result.files} files in ${result.seconds.toFixed(1)} s (${(result.bytes / 1e6 / result.seconds).toFixed(1)} MB/s)`,
      );
    }
    for (const [b, n] of Object.entries(splitSizes)) log(args, `  ${b}: ${n.train} train / ${n.test} test`);
    const derived = result.derived;
    if (derived && derived.kept.length > 0)
      log(args, `derived benchmarks kept (same samples): ${derived.kept.join(', ')}`);
    if (derived && derived.rebuilt.length > 0)
      log(args, `derived benchmarks derived again from the new samples: ${derived.rebuilt.join(', ')}`);
    for (const d of derived?.dropped ?? [])
      log(args, `warning: derived benchmark ${d.name} could not be derived again and was dropped: ${d.reason}`);
    log(
      args,
      `skipped ${report.skipped.length}, failed ${report.failed.length}, with preprocessing notes (denoising, repeated frames, alignment, label corrections) ${report.denoised.length} (details in ${args.out}/report.json)`,
    );
    for (const f of report.failed.slice(0, 10)) log(args, `  failed: ${f.reason}`);
    if (report.failed.length > 10) log(args, `  … and ${report.failed.length - 10} more`);
    log(args, `inspect it with: skelact inspect ${args.out}`);
    // The good files are in the cache; the exit code still tells a script that some failed.
    if (report.failed.length > 0)
      log(args, `exit code 3: ${report.failed.length} file(s) failed (listed above and in ${args.out}/report.json)`);
    exitWithFailures(report.failed.length);
  },
};
