/**
 * `skelact quickstart`: the whole pipeline on bundled (synthetic) data, no download needed:
 * write NTU-format recordings with noise bodies, prepare them with the NTU pipeline, show
 * what came out, then train a small SkateFormer on it and evaluate it on the held-out
 * subjects (configs/small/quickstart.json).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { RUN_FILES } from '../../train/trainer.js';
import { join, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { writeFileAtomic } from '../../core/files.js';
import { prepare } from '../../data/prepare.js';
import { syntheticClasses, writeSyntheticNtuDataset } from '../../data/synthetic/index.js';
import { getLayout } from '../../graph/layout.js';
import { checkReplaceable, SVG_OUTPUT } from '../../util/replace.js';
import { renderSkeletonSvg } from '../../viz/skeleton-svg.js';
import { createProgressBar } from '../progress.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { summariseCache } from '../../data/cache/summary.js';
import { trainWithProgress } from '../training.js';
import { configsPath } from '../../util/paths.js';

interface QuickstartArgs extends GlobalOptions {
  out: string;
  samplesPerClass: number;
  seed: number;
  train: boolean;
  epochs?: number;
  config: string;
}

export const quickstartCommand: CommandModule<GlobalOptions, QuickstartArgs> = {
  command: 'quickstart',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('out', {
        describe: 'working folder (raw files, cache, plot)',
        type: 'string',
        default: 'skelact-quickstart',
      })
      .option('samples-per-class', { describe: 'synthetic samples per action', type: 'number', default: 8 })
      .option('seed', { describe: 'random seed', type: 'number', default: 1 })
      .option('train', {
        describe: 'train and evaluate a model on the prepared data (--no-train stops after inspecting)',
        type: 'boolean',
        default: true,
      })
      .option('config', {
        describe: 'experiment config of the model to train',
        type: 'string',
        default: configsPath('small', 'quickstart.json'),
      })
      .option('epochs', {
        describe: "training epochs (default: the config's)",
        type: 'number',
      }) as unknown as Argv<QuickstartArgs>,
  handler: async (args: ArgumentsCamelCase<QuickstartArgs>) => {
    const out = resolve(args.out);
    const raw = join(out, 'raw-ntu');
    const cacheDir = join(out, 'cache-ntu');
    const classes = syntheticClasses();
    const total = classes.length * args.samplesPerClass;
    log(
      args,
      `1/4 writing ${total} synthetic NTU RGB+D .skeleton files (${classes.length} actions, noise bodies in 25 % of files) to ${raw}`,
    );
    const bar = createProgressBar({ total, unit: 'files', silent: args.json || args.quiet });
    await writeSyntheticNtuDataset(raw, {
      seed: args.seed,
      samplesPerClass: args.samplesPerClass,
      onFile: (_f, n) => bar.update(n),
    });
    bar.stop();

    log(
      args,
      `2/4 preparing them with the NTU pipeline (parse, denoise, two actors, CTR-GCN centring) into ${cacheDir}`,
    );
    const result = await prepare({ dataset: 'ntu', raw, out: cacheDir, force: true });
    log(
      args,
      `    ${result.manifest.samples} samples in ${result.seconds.toFixed(1)} s; ${result.report.skipped.length} skipped (official missing list), ${result.report.failed.length} failed, ${result.report.denoised.length} with denoising notes`,
    );

    log(args, '3/4 inspecting the cache');
    const summary = summariseCache(cacheDir);
    const cache = SkeletonCache.open(cacheDir);
    const plot = join(out, 'sample.svg');
    const index = cache.samples().findIndex((s) => s.label === 54); // a hug (A055) shows two people
    const { clip, name, label } = cache.read(Math.max(0, index));
    writeSvgPlot(
      plot,
      renderSkeletonSvg(clip, getLayout('ntu-25'), { title: `${name} · ${cache.manifest.classNames[label]}` }),
    );
    cache.close();

    let training: Awaited<ReturnType<typeof trainWithProgress>> | undefined;
    const runDir = join(out, 'run');
    if (args.train) {
      log(
        args,
        `4/4 training a small SkateFormer (${args.config}) on the ntu60-xsub training subjects, evaluating on the others, into ${runDir}`,
      );
      // A fresh run each time (the data was just rebuilt); only a previous run is removed, never anything else.
      if (existsSync(runDir) && readdirSync(runDir).length > 0 && !existsSync(join(runDir, RUN_FILES.config))) {
        throw new Error(
          `${runDir} exists and is not a skelact training run; skelact does not replace it (choose another --out)`,
        );
      }
      rmSync(runDir, { recursive: true, force: true });
      training = await trainWithProgress({
        configFile: args.config,
        data: cacheDir,
        out: runDir,
        epochs: args.epochs,
        resume: false,
        json: args.json,
        quiet: args.quiet,
      });
    }
    if (args.json) return printJson({ cache: cacheDir, plot, ...summary, training: training ?? null });
    print(
      `cache ${cacheDir}: ${summary.samples} samples, layout ${summary.layout}, ${summary.classes.length} class names (${classes.length} used)`,
    );
    print(
      `frames per sample: min ${summary.frames.min}, median ${summary.frames.median}, max ${summary.frames.max}; persons: ${Object.entries(
        summary.persons,
      )
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}`,
    );
    for (const [b, s] of Object.entries(summary.splits)) print(`${b}: ${s.train} train / ${s.test} test`);
    print(`plot of one sample: ${plot}`);
    if (training?.best && training.bestModel) {
      print(
        `model: ${training.bestModel}, top-1 ${(100 * training.best.top1).toFixed(1)} % on the held-out subjects (${classes.length} actions, chance ${(100 / classes.length).toFixed(1)} %) after ${training.epochs} epochs; plots: ${training.plots.join(', ')}`,
      );
      print(
        `next: skelact eval --model ${training.bestModel} --data ${cacheDir}   ·   skelact predict --model ${training.bestModel} ${join(raw, '<file>.skeleton')}`,
      );
    } else {
      print(
        `next: skelact inspect ${cacheDir} --classes   ·   skelact prepare ntu --raw <your nturgb+d_skeletons> --out <cache>`,
      );
    }
  },
};

/** Writes an SVG plot, replacing an SVG but nothing else (src/util/replace.ts). */
function writeSvgPlot(path: string, svg: string): void {
  checkReplaceable(path, SVG_OUTPUT);
  writeFileAtomic(path, svg);
}
