/**
 * `skelact eval`, `skelact ensemble` and `skelact predict`: a saved model over a cache split,
 * the fusion of saved score runs, and the top classes of one raw skeleton file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { CacheWriter } from '../../data/cache/writer.js';
import { DATASETS, optionsForFile, type DatasetSpec } from '../../data/datasets/index.js';
import { loadModel, type ModelManifest } from '../../models/io.js';
import { createModelFromManifest } from '../../models/registry.js';
import { testConfigOf } from '../../train/config.js';
import {
  checkFiniteScores,
  evaluate,
  fuseScores,
  readScores,
  scoreMetrics,
  shotGroupAccuracy,
  writeScores,
  type EvaluationResult,
  type ScoreMetrics,
  type ShotGroupAccuracy,
} from '../../train/evaluate.js';
import { confusionMatrixSvg, writeSvg } from '../../train/plots.js';
import { createProgressBar } from '../progress.js';
import { checkWritable } from '../writable.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { detectFormat } from '../../pose/detect-format.js';
import { type Engine, engineOption, openModel } from '../model-engine.js';
import type { SkeletonModel } from '../../models/types.js';
import { descriptionsFor, loadDescriptionsFor, readDescriptions } from '../../text-priors/descriptions.js';
import { lazyUseLite } from '../../text-priors/encoder.js';
import { evaluateZeroShot } from '../../text-priors/zero-shot.js';

function checkModelFitsCache(manifest: ModelManifest, cache: SkeletonCache, modelDir: string): void {
  const m = cache.manifest;
  if (manifest.layout !== m.layout)
    throw new Error(`model ${modelDir} takes layout ${manifest.layout}, the cache ${cache.dir} holds ${m.layout}`);
  if (manifest.classNames.length !== m.classNames.length) {
    throw new Error(
      `model ${modelDir} has ${manifest.classNames.length} classes, the cache ${cache.dir} has ${m.classNames.length}`,
    );
  }
  const differing = manifest.classNames.findIndex((c, i) => c !== m.classNames[i]);
  if (differing >= 0)
    throw new Error(
      `model ${modelDir} class ${differing} is '${manifest.classNames[differing]}', the cache calls it '${m.classNames[differing]}'`,
    );
}

/** "many 91.2 % (23 classes) · medium 80.1 % (21) · few 60.3 % (16)" */
export function shotGroupText(groups: readonly ShotGroupAccuracy[], thresholds: readonly [number, number]): string {
  const label = {
    many: `many (> ${thresholds[0]})`,
    medium: `medium (${thresholds[1]}–${thresholds[0]})`,
    few: `few (< ${thresholds[1]})`,
  };
  return groups
    .map(
      (g) =>
        `${label[g.group]} ${g.accuracy === null ? '–' : `${(100 * g.accuracy).toFixed(2)} %`} (${g.classes} classes)`,
    )
    .join(' · ');
}

function printMetrics(
  metrics: ScoreMetrics,
  title: string,
  showClasses: boolean,
  groups?: { list: readonly ShotGroupAccuracy[]; thresholds: readonly [number, number] },
): void {
  print(
    `${title}: top-1 ${(100 * metrics.top1).toFixed(2)} %, top-5 ${(100 * metrics.top5).toFixed(2)} % over ${metrics.samples} samples`,
  );
  if (groups) print(`by training samples per class: ${shotGroupText(groups.list, groups.thresholds)}`);
  const rows = metrics.perClass.filter((c) => c.total > 0);
  const shown = showClasses ? rows : [...rows].sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0)).slice(0, 10);
  print(showClasses ? 'per-class accuracy:' : 'lowest per-class accuracy (--classes for all):');
  for (const c of shown)
    print(
      `  ${c.name.slice(0, 40).padEnd(40)} ${(100 * (c.accuracy ?? 0)).toFixed(1).padStart(6)} %  (${c.correct}/${c.total})`,
    );
}

interface EvalArgs extends GlobalOptions {
  model: string;
  data: string;
  split: 'train' | 'test';
  benchmark?: string;
  batchSize: number;
  scores?: string;
  plot?: string;
  classes: boolean;
  zeroShot: boolean;
  unseen?: string;
  descriptions?: string;
  engine?: Engine;
}

/** `eval --zero-shot`: unseen classes recognised from their descriptions through the model's text head. */
async function zeroShotEval(
  args: ArgumentsCamelCase<EvalArgs>,
  model: ReturnType<typeof loadModel>['model'],
  manifest: ModelManifest,
  cache: SkeletonCache,
): Promise<void> {
  const spec = manifest.textHead;
  if (!spec)
    throw new Error(
      `model ${args.model} has no text head: zero-shot recognition needs a model trained with a 'text' section in its config`,
    );
  const names = cache.manifest.classNames;
  const counts = manifest.trainCounts;
  const config = testConfigOf(manifest, args.benchmark);
  const splitIndices = cache.split(config.data.benchmark, args.split);
  // Default: the classes the model had no training sample of that this split has samples of.
  const present = new Set(splitIndices.map((i) => cache.labels[i]));
  const unseen = args.unseen
    ? args.unseen
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : counts
      ? names.filter((_, c) => counts[c] === 0 && present.has(c))
      : [];
  if (unseen.length === 0)
    throw new Error(
      `no unseen classes: pass --unseen "<class>,<class>" (the model records no class without training samples that the ${args.split} split has)`,
    );
  const missing = unseen.filter((u) => !names.includes(u));
  if (missing.length > 0)
    throw new Error(`--unseen names classes the cache does not have: ${missing.map((m) => `'${m}'`).join(', ')}`);
  const trained = counts ? unseen.filter((u) => counts[names.indexOf(u)] > 0) : [];
  if (trained.length > 0)
    log(
      args,
      `warning: the model trained on ${trained.map((u) => `'${u}'`).join(', ')}; that is not zero-shot for them`,
    );
  const descriptions = args.descriptions
    ? descriptionsFor(readDescriptions(args.descriptions), unseen)
    : loadDescriptionsFor(cache.manifest.dataset, unseen);
  const encoder = lazyUseLite();
  if (encoder.id !== spec.encoder)
    log(args, `note: the model was trained against ${spec.encoder}, the installed encoder is ${encoder.id}`);
  let bar: ReturnType<typeof createProgressBar> | undefined;
  let result;
  try {
    result = await evaluateZeroShot({
      model,
      spec,
      cache,
      config,
      indices: splitIndices,
      unseen,
      descriptions,
      encoder,
      batchSize: args.batchSize,
      onProgress: (done, total) => {
        bar ??= createProgressBar({ total, unit: 'samples', silent: args.json || args.quiet });
        bar.update(done);
      },
    });
  } finally {
    bar?.stop();
    encoder.dispose();
  }
  if (args.json)
    return printJson({
      model: args.model,
      benchmark: config.data.benchmark,
      split: args.split,
      zeroShot: true,
      encoder: encoder.id,
      ...result,
    });
  print(
    `${args.model} zero-shot on ${config.data.benchmark} ${args.split}: top-1 ${(100 * result.top1).toFixed(2)} % over ${result.samples} samples of ${unseen.length} unseen classes (chance ${(100 * result.chance).toFixed(1)} %)`,
  );
  for (const c of result.perClass)
    print(
      `  ${c.name.slice(0, 40).padEnd(40)} ${(100 * (c.accuracy ?? 0)).toFixed(1).padStart(6)} %  (${c.correct}/${c.total})`,
    );
}

export const evalCommand: CommandModule<GlobalOptions, EvalArgs> = {
  command: 'eval',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('model', {
        describe: "model folder (a run's best/ or checkpoint/model)",
        type: 'string',
        demandOption: true,
      })
      .option('data', { describe: 'prepared cache', type: 'string', demandOption: true })
      .option('split', { describe: 'split of the benchmark', choices: ['train', 'test'], default: 'test' as const })
      .option('benchmark', { describe: 'benchmark (default: the one the model was trained on)', type: 'string' })
      .option('batch-size', { describe: 'samples per forward pass', type: 'number', default: 32 })
      .option('scores', {
        describe:
          'folder for the per-sample scores (for skelact ensemble); default <model>/scores-<benchmark>-<split> (for a shipped model, <name>-eval/ in the working folder)',
        type: 'string',
      })
      .option('plot', {
        describe: 'confusion matrix SVG; default <model>/confusion-<benchmark>-<split>.svg',
        type: 'string',
      })
      .option('classes', { describe: "print every class's accuracy", type: 'boolean', default: false })
      .option('zero-shot', {
        describe: 'recognise unseen classes from their descriptions (a model trained with text priors)',
        type: 'boolean',
        default: false,
      })
      .option('unseen', {
        describe:
          'zero-shot: comma-separated unseen class names (default: the classes the model had no training samples of)',
        type: 'string',
      })
      .option('descriptions', {
        describe: "zero-shot: a description file (default: the dataset's shipped one)",
        type: 'string',
      })
      .option('engine', engineOption)
      .example('$0 eval --model runs/sf-j/best --data cache/ntu60 --json', 'metrics as JSON')
      .example('$0 eval --model sf-j.onnx --data cache/ntu60', 'the exported ONNX file on onnxruntime-node')
      .example(
        '$0 eval --model runs/utk-zs/best --data cache/utk --zero-shot',
        'accuracy on the classes held out of training',
      ) as unknown as Argv<EvalArgs>,
  handler: async (args: ArgumentsCamelCase<EvalArgs>) => {
    const opened = await openModel(args.model, args.engine, args.threads);
    const { model } = opened;
    const manifest = opened.manifest as ModelManifest;
    const cache = SkeletonCache.open(args.data);
    try {
      checkModelFitsCache(manifest, cache, args.model);
      if (args.zeroShot) {
        if (opened.engine !== 'tfjs')
          throw new Error('--zero-shot needs the model folder with its text head (--engine tfjs)');
        return await zeroShotEval(args, model as SkeletonModel, manifest, cache);
      }
      const config = testConfigOf(manifest, args.benchmark);
      const indices = cache.split(config.data.benchmark, args.split);
      if (indices.length === 0)
        throw new Error(`benchmark '${config.data.benchmark}' has no ${args.split} samples in ${args.data}`);
      const tag = `${config.data.benchmark}-${args.split}`;
      // A shipped model's folder is part of the installed package: its outputs go to the working folder instead.
      const outputDir = existsSync(args.model) ? args.model : `${args.model}-eval`;
      const scoresDir = args.scores ?? join(outputDir, `scores-${tag}`);
      const plot = args.plot ?? join(outputDir, `confusion-${tag}.svg`);
      // Checked before the evaluation, which can take minutes (the default places are inside the model folder).
      checkWritable(scoresDir, 'folder', 'write the scores elsewhere with --scores <folder>');
      checkWritable(plot, 'file', 'write the confusion matrix elsewhere with --plot <file.svg>');
      const bar = createProgressBar({ total: indices.length, unit: 'samples', silent: args.json || args.quiet });
      let result: EvaluationResult;
      try {
        result = await evaluate({
          model,
          cache,
          config,
          indices,
          batchSize: args.batchSize,
          onProgress: (done) => bar.update(done),
        });
      } finally {
        bar.stop();
      }
      checkFiniteScores(result, args.model);
      writeScores(scoresDir, result, { model: args.model, benchmark: config.data.benchmark, split: args.split });
      const thresholds = (manifest.shotGroups ?? [100, 20]) as [number, number];
      const groups = shotGroupAccuracy(result, manifest.trainCounts, thresholds);
      writeSvg(
        plot,
        await confusionMatrixSvg(
          result.confusion,
          result.classNames,
          `${manifest.kind} on ${config.data.benchmark} (${args.split}): top-1 ${(100 * result.top1).toFixed(2)} %${groups ? ` · ${shotGroupText(groups, thresholds)}` : ''}`,
        ),
      );
      const summary = {
        model: args.model,
        engine: opened.engine,
        benchmark: config.data.benchmark,
        split: args.split,
        samples: result.samples,
        top1: result.top1,
        top5: result.top5,
        loss: result.loss,
        seconds: result.seconds,
        ...(groups ? { shotGroups: { thresholds, groups } } : {}),
        perClass: result.perClass,
        confusion: result.confusion,
        scores: scoresDir,
        plot,
      };
      if (args.json) return printJson(summary);
      printMetrics(
        result,
        `${args.model} on ${config.data.benchmark} ${args.split}`,
        args.classes,
        groups ? { list: groups, thresholds } : undefined,
      );
      log(args, `scores: ${scoresDir} · confusion matrix: ${plot} · ${result.seconds.toFixed(1)} s`);
    } finally {
      cache.close();
      await opened.dispose();
    }
  },
};

interface EnsembleArgs extends GlobalOptions {
  scores: string[];
  weights?: string;
  out?: string;
  classes: boolean;
}

export const ensembleCommand: CommandModule<GlobalOptions, EnsembleArgs> = {
  command: 'ensemble <scores..>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('scores', {
        describe: 'score folders written by skelact eval, or the folder of a sweep (its finished runs)',
        type: 'string',
        array: true,
        demandOption: true,
      })
      .option('weights', { describe: 'comma-separated weights, one per run (default all 1)', type: 'string' })
      .option('out', { describe: 'write the fused scores here', type: 'string' })
      .option('classes', { describe: "print every class's accuracy", type: 'boolean', default: false })
      .example(
        '$0 ensemble runs/j/best/scores-ntu60-xsub-test runs/b/best/scores-ntu60-xsub-test --weights 1,1',
        'the E2 joint+bone ensemble',
      ) as unknown as Argv<EnsembleArgs>,
  handler: async (args: ArgumentsCamelCase<EnsembleArgs>) => {
    // A sweep's folder stands for the test-split scores of its finished runs.
    const { readSweep, sweepScores, SWEEP_FILE } = await import('../sweep-file.js');
    args.scores = args.scores.flatMap((dir) => {
      if (!existsSync(join(dir, SWEEP_FILE))) return [dir];
      const { finished, unfinished } = sweepScores(dir);
      log(
        args,
        `${dir}: ${finished.length} of ${readSweep(dir).runs.length} runs of the sweep have finished${unfinished.length > 0 ? ` (not yet: ${unfinished.join(', ')})` : ''}`,
      );
      if (finished.length === 0)
        throw new Error(
          `${dir}: no run of this sweep has finished yet (skelact queue status shows how far the workers are)`,
        );
      return finished;
    });
    const runs = args.scores.map((dir) => readScores(dir));
    const weights = args.weights?.split(',').map((w) => {
      const x = Number(w.trim());
      if (!Number.isFinite(x)) throw new Error(`--weights: '${w}' is not a number`);
      return x;
    });
    runs.forEach((r, i) => checkFiniteScores(r, args.scores[i]));
    const fused = fuseScores(runs, weights);
    const metrics = scoreMetrics(fused);
    const single = runs.map((r, i) => ({ run: args.scores[i], top1: scoreMetrics(r).top1 }));
    if (args.out)
      writeScores(args.out, fused, {
        ensemble: args.scores.join(' '),
        weights: (weights ?? runs.map(() => 1)).join(','),
      });
    if (args.json)
      return printJson({
        runs: single,
        weights: weights ?? runs.map(() => 1),
        top1: metrics.top1,
        top5: metrics.top5,
        samples: metrics.samples,
        perClass: metrics.perClass,
        out: args.out ?? null,
      });
    for (const s of single) print(`${s.run}: top-1 ${(100 * s.top1).toFixed(2)} %`);
    printMetrics(metrics, `ensemble (weights ${(weights ?? runs.map(() => 1)).join(', ')})`, args.classes);
  },
};

interface PredictArgs extends GlobalOptions {
  model: string;
  file: string;
  format?: string;
  top: number;
  engine?: Engine;
}

export const predictCommand: CommandModule<GlobalOptions, PredictArgs> = {
  command: 'predict <file>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('file', {
        describe: 'a raw skeleton file (.skeleton, NW-UCLA/Kinetics/generic JSON, .jsonl, UTKinect joints_*.txt)',
        type: 'string',
        demandOption: true,
      })
      .option('model', { describe: 'model folder', type: 'string', demandOption: true })
      .option('format', {
        describe: 'raw format when the name does not tell',
        choices: Object.keys(DATASETS),
        type: 'string',
      })
      .option('top', { describe: 'classes to print per sequence', type: 'number', default: 5 })
      .option('engine', engineOption)
      .example(
        '$0 predict --model runs/sf-j/best S001C001P001R001A001.skeleton',
        'top 5 classes',
      ) as unknown as Argv<PredictArgs>,
  handler: async (args: ArgumentsCamelCase<PredictArgs>) => {
    const opened = await openModel(args.model, args.engine, args.threads);
    const { model } = opened;
    const manifest = opened.manifest as ModelManifest;
    const dataset = args.format ?? detectFormat(args.file);
    if (dataset === 'poses')
      throw new Error(
        `${args.file} is a pose file of skelact extract: classify it with skelact classify --model ${args.model} ${args.file}`,
      );
    const spec = DATASETS[dataset] as DatasetSpec<unknown>;
    // The raw file goes through the dataset's reader, then into a temporary one-file cache so
    // that the exact test-time pipeline of evaluation (sampling, modality, person padding) runs.
    const options = optionsForFile(dataset, args.file);
    const read = spec.readFile(readFileSync(args.file), args.file, options);
    const reasons = [...read.skipped, ...(read.failed ?? [])].map((s) => s.reason);
    if (read.samples.length === 0)
      throw new Error(`${args.file} holds no sequence${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
    for (const f of read.failed ?? []) log(args, `skipped a bad record: ${f.reason}`);
    const layout = spec.layoutFor ? spec.layoutFor(options).layout : spec.layout;
    if (layout !== manifest.layout)
      throw new Error(
        `${args.file} is a ${dataset} file on layout ${layout}; model ${args.model} takes ${manifest.layout}`,
      );
    const dir = mkdtempSync(join(tmpdir(), 'skelact-predict-'));
    try {
      const writer = new CacheWriter(join(dir, 'cache'), {
        dataset,
        layout,
        channels: read.samples[0].channels,
        classNames: manifest.classNames,
        preprocessing: {},
        fingerprint: 'predict',
        source: args.file,
        skelactVersion: '0',
      });
      for (const s of read.samples) writer.add({ ...s, label: -1 }, { predict: 'test' }, args.file);
      writer.commit({ skipped: [], failed: [], denoised: [] }, ['predict']);
      const cache = SkeletonCache.open(join(dir, 'cache'));
      try {
        const config = testConfigOf(manifest, 'predict');
        const result = await evaluate({ model, cache, config, indices: cache.split('predict', 'test'), batchSize: 16 });
        checkFiniteScores(result, args.model);
        const K = result.classNames.length;
        const predictions = result.names.map((name, i) => {
          const row = Array.from(result.scores.subarray(i * K, (i + 1) * K));
          const order = row
            .map((p, c) => [p, c] as const)
            .sort((a, b) => b[0] - a[0])
            .slice(0, args.top);
          return { name, top: order.map(([p, c]) => ({ class: result.classNames[c], index: c, probability: p })) };
        });
        if (args.json) return printJson({ model: args.model, engine: opened.engine, file: args.file, predictions });
        for (const p of predictions) {
          print(`${p.name}:`);
          for (const t of p.top) print(`  ${(100 * t.probability).toFixed(1).padStart(5)} %  ${t.class}`);
        }
      } finally {
        cache.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await opened.dispose();
    }
  },
};
