/** `skelact lt <cache> --benchmark <b> --imbalance <IF>`: a long-tailed training split (BRL's profile) added to a cache. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { saveDerivedSplit } from '../../data/cache/derived-splits.js';
import { deriveLongTail, shotGroups } from '../../data/long-tail.js';
import { type GlobalOptions, print, printJson } from '../output.js';

interface LtArgs extends GlobalOptions {
  cache: string;
  benchmark: string;
  imbalance: number;
  maxPerClass?: number;
  seed: number;
  name?: string;
}

export const ltCommand: CommandModule<GlobalOptions, LtArgs> = {
  command: 'lt <cache>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('cache', { describe: 'a prepared cache', type: 'string', demandOption: true })
      .option('benchmark', {
        describe: 'benchmark whose training split is thinned',
        type: 'string',
        demandOption: true,
      })
      .option('imbalance', {
        describe: 'imbalance factor IF = n_max / n_min (BRL: 10, 50, 100)',
        type: 'number',
        demandOption: true,
      })
      .option('max-per-class', {
        describe:
          "samples of the first class, n_max (default: the smallest class's count; BRL: 600 for NTU60, 400 for NTU120 X-Set)",
        type: 'number',
      })
      .option('seed', { describe: 'seed of the sample choice', type: 'number', default: 0 })
      .option('name', { describe: 'name of the new benchmark (default <benchmark>-lt<IF>)', type: 'string' })
      .example(
        '$0 lt cache/ntu60 --benchmark ntu60-xsub --imbalance 100 --max-per-class 600',
        'NTU60-LT X-Sub: 600 → 6 per class, 7,892 samples',
      )
      .example(
        '$0 train --config configs/long-tail/stgcn-ntu60-xsub-lt100-bs.json --data cache/ntu60 --out runs/lt',
        'then train on it',
      ) as unknown as Argv<LtArgs>,
  handler: (args: ArgumentsCamelCase<LtArgs>) => {
    const cache = SkeletonCache.open(args.cache);
    try {
      const split = deriveLongTail(cache, {
        benchmark: args.benchmark,
        imbalance: args.imbalance,
        maxPerClass: args.maxPerClass,
        seed: args.seed,
        name: args.name,
      });
      saveDerivedSplit(args.cache, split);
      const groups = shotGroups(split.counts);
      const tally = {
        many: groups.filter((g) => g === 'many').length,
        medium: groups.filter((g) => g === 'medium').length,
        few: groups.filter((g) => g === 'few').length,
      };
      if (args.json)
        return printJson({
          cache: args.cache,
          benchmark: split.name,
          source: split.source,
          imbalance: split.imbalance,
          maxPerClass: split.maxPerClass,
          trainSamples: split.train.length,
          testSamples: split.test.length,
          groups: tally,
          counts: Object.fromEntries(
            split.classNames.map((c, i) => [c, split.counts[i]]).filter(([, n]) => (n as number) > 0),
          ),
        });
      print(
        `${args.cache}: benchmark ${split.name} — ${split.train.length} training samples (IF ${split.imbalance}, ${split.maxPerClass} → ${Math.min(...split.counts.filter((n) => n > 0))} per class), ${split.test.length} test samples as in ${split.source}`,
      );
      print(`classes with > 100 / 20–100 / < 20 training samples: ${tally.many} / ${tally.medium} / ${tally.few}`);
      split.classNames.forEach(
        (c, i) => split.counts[i] > 0 && print(`  ${String(split.counts[i]).padStart(5)}  ${c}`),
      );
      print(`train on it with data.benchmark: "${split.name}" (saved in ${args.cache}/derived-splits.json)`);
    } finally {
      cache.close();
    }
  },
};
