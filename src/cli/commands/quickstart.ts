/**
 * `skelact quickstart`: the whole pipeline on bundled (synthetic) data, no download needed:
 * write NTU-format recordings with noise bodies, prepare them with the NTU pipeline, and
 * show what came out.
 */
import { join, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { writeFileAtomic } from '../../data/cache/writer.js';
import { prepare } from '../../data/prepare.js';
import { syntheticClasses, writeSyntheticNtuDataset } from '../../data/synthetic/index.js';
import { getLayout } from '../../graph/layout.js';
import { renderSkeletonSvg } from '../../viz/skeleton-svg.js';
import { createProgressBar } from '../progress.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { summariseCache } from './inspect.js';

interface QuickstartArgs extends GlobalOptions {
  out: string;
  samplesPerClass: number;
  seed: number;
}

export const quickstartCommand: CommandModule<GlobalOptions, QuickstartArgs> = {
  command: 'quickstart',
  describe: 'Run the pipeline on bundled synthetic NTU-format data: generate → prepare → inspect (and plot one sample)',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('out', { describe: 'working folder (raw files, cache, plot)', type: 'string', default: 'skelact-quickstart' })
      .option('samples-per-class', { describe: 'synthetic samples per action', type: 'number', default: 8 })
      .option('seed', { describe: 'random seed', type: 'number', default: 1 }) as unknown as Argv<QuickstartArgs>,
  handler: async (args: ArgumentsCamelCase<QuickstartArgs>) => {
    const out = resolve(args.out);
    const raw = join(out, 'raw-ntu');
    const cacheDir = join(out, 'cache-ntu');
    const classes = syntheticClasses();
    const total = classes.length * args.samplesPerClass;
    log(args, `1/3 writing ${total} synthetic NTU RGB+D .skeleton files (${classes.length} actions, noise bodies in 25 % of files) to ${raw}`);
    const bar = createProgressBar({ total, unit: 'files', silent: args.json || args.quiet });
    await writeSyntheticNtuDataset(raw, { seed: args.seed, samplesPerClass: args.samplesPerClass, onFile: (_f, n) => bar.update(n) });
    bar.stop();

    log(args, `2/3 preparing them with the NTU pipeline (parse, denoise, two actors, CTR-GCN centring) into ${cacheDir}`);
    const result = await prepare({ dataset: 'ntu', raw, out: cacheDir, force: true });
    log(args, `    ${result.manifest.samples} samples in ${result.seconds.toFixed(1)} s; ${result.report.skipped.length} skipped (official missing list), ${result.report.failed.length} failed, ${result.report.denoised.length} with denoising notes`);

    log(args, '3/3 inspecting the cache');
    const summary = summariseCache(cacheDir);
    const cache = SkeletonCache.open(cacheDir);
    const plot = join(out, 'sample.svg');
    const index = cache.samples().findIndex((s) => s.label === 54); // a hug (A055) shows two people
    const { clip, name, label } = cache.read(Math.max(0, index));
    writeFileAtomic(plot, renderSkeletonSvg(clip, getLayout('ntu-25'), { title: `${name} · ${cache.manifest.classNames[label]}` }));
    cache.close();
    if (args.json) return printJson({ cache: cacheDir, plot, ...summary });
    print(`cache ${cacheDir}: ${summary.samples} samples, layout ${summary.layout}, ${summary.classes.length} class names (${classes.length} used)`);
    print(`frames per sample: min ${summary.frames.min}, median ${summary.frames.median}, max ${summary.frames.max}; persons: ${Object.entries(summary.persons).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    for (const [b, s] of Object.entries(summary.splits)) print(`${b}: ${s.train} train / ${s.test} test`);
    print(`plot of one sample: ${plot}`);
    print(`next: skelact inspect ${cacheDir} --classes   ·   skelact prepare ntu --raw <your nturgb+d_skeletons> --out <cache>`);
  },
};
