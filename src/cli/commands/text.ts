/**
 * `skelact text embed|similar|split` (inspecting the text priors and making zero-shot
 * benchmarks) and `skelact search` (sequences ranked by a free-text query).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { saveDerivedSplit } from '../../data/cache/derived-splits.js';
import { deriveZeroShotSplit } from '../../data/long-tail.js';
import { loadModel } from '../../models/io.js';
import { createModelFromManifest } from '../../models/registry.js';
import { TEXT_SLOTS } from '../../models/text-head.js';
import { readDescriptions, shippedDescriptionsFile } from '../../text-priors/descriptions.js';
import { embedCached } from '../../text-priors/embedding-cache.js';
import { lazyUseLite } from '../../text-priors/encoder.js';
import { buildTextTable, normalised } from '../../text-priors/prompts.js';
import { embedSequences, queryScores } from '../../text-priors/zero-shot.js';
import { createProgressBar } from '../progress.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { testConfigOf } from '../../train/config.js';

const unit = normalised;
const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i], 0);

interface EmbedArgs extends GlobalOptions {
  sentences: string[];
}

const embedCommand: CommandModule<GlobalOptions, EmbedArgs> = {
  command: 'embed <sentences..>',
  describe: 'Embed sentences with the frozen encoder (USE-lite, 512-d); prints their cosine similarities',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('sentences', { describe: 'one or more sentences', type: 'string', array: true, demandOption: true })
      .example(
        '$0 text embed "drink water" "a person raises a cup to the mouth" --json',
        'vectors as JSON',
      ) as unknown as Argv<EmbedArgs>,
  handler: async (args: ArgumentsCamelCase<EmbedArgs>) => {
    const encoder = lazyUseLite();
    const vectors = await embedCached(encoder, args.sentences);
    encoder.dispose();
    if (args.json)
      return printJson({
        encoder: encoder.id,
        dim: encoder.dim,
        sentences: args.sentences.map((s, i) => ({ text: s, vector: Array.from(vectors[i]) })),
      });
    print(`${encoder.id}, ${encoder.dim} dimensions`);
    args.sentences.forEach((s, i) => {
      const v = vectors[i];
      const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      print(
        `  [${i + 1}] ${s}  (norm ${norm.toFixed(3)}; ${Array.from(v.slice(0, 4), (x) => x.toFixed(4)).join(', ')}, …)`,
      );
    });
    if (args.sentences.length > 1) {
      const units = vectors.map(unit);
      print('cosine similarity:');
      units.forEach((u, i) => print(`  [${i + 1}] ${units.map((w) => dot(u, w).toFixed(3).padStart(7)).join('')}`));
    }
  },
};

interface SimilarArgs extends GlobalOptions {
  sentence: string;
  classes: string;
  slot: string;
  top: number;
}

const similarCommand: CommandModule<GlobalOptions, SimilarArgs> = {
  command: 'similar <sentence>',
  describe: "Rank a dataset's classes by how close their descriptions are to a sentence",
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('sentence', { type: 'string', demandOption: true })
      .option('classes', {
        describe: 'a dataset with shipped descriptions (ntu, nw-ucla, utkinect, mlkit-fitness) or a description file',
        type: 'string',
        demandOption: true,
      })
      .option('slot', {
        describe: "compare with this slot's class texts (global = name, synonyms and description)",
        choices: [...TEXT_SLOTS],
        default: 'global',
      })
      .option('top', { describe: 'classes to list', type: 'number', default: 10 })
      .example(
        '$0 text similar "a person raises a cup to the mouth" --classes ntu',
        'drink water comes first',
      ) as unknown as Argv<SimilarArgs>,
  handler: async (args: ArgumentsCamelCase<SimilarArgs>) => {
    const file = args.classes.endsWith('.json') ? args.classes : shippedDescriptionsFile(args.classes);
    if (!file)
      throw new Error(
        `no descriptions for '${args.classes}': give a dataset with shipped descriptions (ntu, nw-ucla, utkinect, mlkit-fitness) or a description file`,
      );
    const set = readDescriptions(file);
    const encoder = lazyUseLite();
    const table = await buildTextTable(encoder, [...set.classes.values()]);
    const [query] = await embedCached(encoder, [args.sentence]);
    encoder.dispose();
    const q = unit(query);
    const slot = TEXT_SLOTS.indexOf(args.slot as (typeof TEXT_SLOTS)[number]);
    const ranked = table.classNames
      .map((name, c) => ({
        name,
        similarity: dot(q, table.prototypes[slot].subarray(c * table.dim, (c + 1) * table.dim)),
      }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, Math.max(1, args.top));
    if (args.json)
      return printJson({
        sentence: args.sentence,
        descriptions: file,
        slot: args.slot,
        encoder: encoder.id,
        classes: ranked,
      });
    print(`closest classes to "${args.sentence}" (${args.slot} texts of ${file}):`);
    ranked.forEach((r, i) => print(`  ${String(i + 1).padStart(3)}. ${r.similarity.toFixed(3)}  ${r.name}`));
  },
};

interface SplitArgs extends GlobalOptions {
  data: string;
  benchmark: string;
  unseen: string;
  name?: string;
}

const splitCommand: CommandModule<GlobalOptions, SplitArgs> = {
  command: 'split',
  describe: 'Add a zero-shot benchmark to a cache: the training split without some classes, the test split whole',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('data', { describe: 'prepared cache', type: 'string', demandOption: true })
      .option('benchmark', { describe: 'benchmark to derive from', type: 'string', demandOption: true })
      .option('unseen', {
        describe: 'comma-separated class names held out of training',
        type: 'string',
        demandOption: true,
      })
      .option('name', { describe: 'name of the new benchmark (default <benchmark>-zs)', type: 'string' })
      .example(
        '$0 text split --data cache/utk --benchmark utkinect-xsub --unseen "throw,clap hands"',
        'then train with data.benchmark utkinect-xsub-zs and a text section',
      ) as unknown as Argv<SplitArgs>,
  handler: (args: ArgumentsCamelCase<SplitArgs>) => {
    const cache = SkeletonCache.open(args.data);
    try {
      const unseen = args.unseen
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const split = deriveZeroShotSplit(cache, { benchmark: args.benchmark, unseen, name: args.name });
      saveDerivedSplit(args.data, split);
      if (args.json)
        return printJson({
          cache: args.data,
          benchmark: split.name,
          source: split.source,
          unseen: split.unseen,
          trainSamples: split.train.length,
          testSamples: split.test.length,
        });
      print(
        `${args.data}: benchmark ${split.name} — ${split.train.length} training samples without ${unseen.map((u) => `'${u}'`).join(', ')}; ${split.test.length} test samples as in ${split.source}`,
      );
      print(
        `train with data.benchmark: "${split.name}" and a text section, then: skelact eval --model <run>/best --data ${args.data} --zero-shot`,
      );
    } finally {
      cache.close();
    }
  },
};

export const textCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'text <command>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .command(embedCommand as never)
      .command(similarCommand as never)
      .command(splitCommand as never)
      .demandCommand(1, 'choose: embed, similar or split') as Argv<GlobalOptions>,
  handler: () => {},
};

interface SearchArgs extends GlobalOptions {
  query: string;
  model: string;
  data: string;
  split: 'train' | 'test';
  benchmark?: string;
  top: number;
  batchSize: number;
}

export const searchCommand: CommandModule<GlobalOptions, SearchArgs> = {
  command: 'search <query>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('query', { describe: 'what the sequences should show', type: 'string', demandOption: true })
      .option('model', { describe: 'model folder trained with a text section', type: 'string', demandOption: true })
      .option('data', { describe: 'prepared cache', type: 'string', demandOption: true })
      .option('split', { choices: ['train', 'test'], default: 'test' as const })
      .option('benchmark', { describe: "benchmark (default: the model's)", type: 'string' })
      .option('top', { describe: 'sequences to list', type: 'number', default: 10 })
      .option('batch-size', { type: 'number', default: 32 })
      .example(
        '$0 search "a person sits down on a chair" --model runs/utk-text/best --data cache/utk',
        'the closest sequences first',
      ) as unknown as Argv<SearchArgs>,
  handler: async (args: ArgumentsCamelCase<SearchArgs>) => {
    const { model, manifest } = loadModel(args.model, createModelFromManifest);
    const cache = SkeletonCache.open(args.data);
    try {
      if (!manifest.textHead)
        throw new Error(
          `model ${args.model} has no text head: train it with a 'text' section in its config to search by description`,
        );
      if (manifest.layout !== cache.manifest.layout)
        throw new Error(
          `model ${args.model} takes layout ${manifest.layout}, the cache ${args.data} holds ${cache.manifest.layout}`,
        );
      const encoder = lazyUseLite();
      if (encoder.id !== manifest.textHead.encoder)
        log(
          args,
          `note: the model was trained against ${manifest.textHead.encoder}, the installed encoder is ${encoder.id}`,
        );
      const [query] = await embedCached(encoder, [args.query]);
      encoder.dispose();
      const config = testConfigOf(manifest, args.benchmark);
      const indices = cache.split(config.data.benchmark, args.split);
      const bar = createProgressBar({ total: indices.length, unit: 'samples', silent: args.json || args.quiet });
      let embeddings;
      try {
        embeddings = await embedSequences({
          model,
          spec: manifest.textHead,
          cache,
          config,
          indices,
          batchSize: args.batchSize,
          onProgress: (done) => bar.update(done),
        });
      } finally {
        bar.stop();
      }
      const scores = queryScores(embeddings, unit(query));
      const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a]).slice(0, Math.max(1, args.top));
      const names = cache.manifest.classNames;
      const hits = order.map((n, rank) => ({
        rank: rank + 1,
        sample: cache.sample(embeddings.indices[n]).name,
        label: embeddings.labels[n] >= 0 ? names[embeddings.labels[n]] : null,
        similarity: scores[n],
      }));
      if (args.json)
        return printJson({
          query: args.query,
          model: args.model,
          benchmark: config.data.benchmark,
          split: args.split,
          searched: scores.length,
          hits,
        });
      print(`"${args.query}": ${scores.length} sequences of ${config.data.benchmark} ${args.split}, closest first`);
      for (const h of hits)
        print(
          `  ${String(h.rank).padStart(3)}. ${h.similarity.toFixed(3)}  ${h.sample}${h.label ? `  (${h.label})` : ''}`,
        );
    } finally {
      cache.close();
      model.dispose();
    }
  },
};
