/** `skelact train --config <file> --data <cache> --out <dir>`: train a model from an experiment config. */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SkeletonCache } from '../../data/cache/reader.js';
import { createModel } from '../../models/registry.js';
import { loadExperiment, type ExperimentConfig } from '../../train/config.js';
import { experimentSplits, RUN_FILES, train } from '../../train/trainer.js';
import { confusionMatrixSvg, writeRunPlots, writeSvg } from '../../train/plots.js';
import { evaluate, writeScores } from '../../train/evaluate.js';
import { loadModel } from '../../models/io.js';
import { createModelFromManifest } from '../../models/registry.js';
import { textHeadParameterCount } from '../../models/text-head.js';
import { gapTextObjective } from '../../text-priors/objective.js';
import { createProgressBar, type ProgressBar } from '../progress.js';
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

/**
 * Checks that a config fits a cache before any work: the benchmark exists and has samples,
 * the model can be built for the cache's layout and classes.
 */
export function checkConfigAgainstCache(config: ExperimentConfig, cache: SkeletonCache, configFile: string): void {
  const m = cache.manifest;
  const benchmarks = Object.keys(cache.splits());
  if (!benchmarks.includes(config.data.benchmark)) {
    throw new Error(`${configFile}: data.benchmark '${config.data.benchmark}' is not in the cache ${cache.dir} (it has: ${benchmarks.join(', ') || 'none'}); prepare the data for that benchmark or change the config`);
  }
  if (cache.split(config.data.benchmark, 'train').length === 0) throw new Error(`${configFile}: benchmark '${config.data.benchmark}' has no training samples in ${cache.dir}`);
  if (m.classNames.length < 2) throw new Error(`cache ${cache.dir} has ${m.classNames.length} class(es); training needs labelled data with at least 2 classes`);
}

/** One training run as the CLI starts it (also used by quickstart). */
export interface TrainingRun extends Pick<GlobalOptions, 'json' | 'quiet'> {
  readonly configFile: string;
  readonly data: string;
  readonly out: string;
  readonly epochs?: number;
  readonly resume: boolean;
  readonly allowOtherData?: boolean;
  /** Called after each step with the steps done and to do in this run (a queue worker's progress). */
  readonly onStep?: (done: number, total: number) => void;
}

/** What a training run reports (the --json output of skelact train). */
export interface TrainingSummary {
  readonly run: string;
  readonly status: string;
  readonly epochs: number;
  readonly steps: number;
  readonly best: { readonly epoch: number; readonly top1: number } | null | undefined;
  readonly bestModel: string | null;
  readonly checkpoint: string | null;
  /** The signal that stopped the run early (SIGINT, SIGTERM), or null. */
  readonly stoppedBy: string | null;
  readonly plots: string[];
  readonly lastEpoch: unknown;
}

/**
 * Trains from a config file on a cache into a run folder: progress bar, per-epoch lines,
 * plots of the curves and the best model's confusion matrix, its saved scores.
 */
export async function runTraining(args: TrainingRun): Promise<TrainingSummary> {
  const config = loadExperiment(args.configFile);
  const cache = SkeletonCache.open(args.data);
  try {
    checkConfigAgainstCache(config, cache, args.configFile);
    if (!args.resume && existsSync(join(args.out, 'checkpoint'))) {
      throw new Error(`${args.out} already holds a run; add --resume to continue it, or choose another --out`);
    }
    const model = createModel(config.model, { layout: cache.manifest.layout, classes: cache.manifest.classNames.length, frames: config.data.frames }, config.seed);
    const splits = experimentSplits(cache, config);
    log(args, `${config.name}: ${model.kind} with ${(model.params.countTrainable() / 1e6).toFixed(3)} M parameters on ${cache.manifest.dataset} (${config.data.benchmark}, modality ${config.data.modality}): ${splits.train.length} training / ${splits.validation.length} validation samples`);
    // Text priors: descriptions embedded once, the text head added before training builds its optimiser.
    const objectives = [];
    if (config.text) {
      const text = await gapTextObjective(config, model, cache);
      const { texts = 0, computed = 0 } = text.embedded ?? {};
      log(args, `text priors: ${cache.manifest.classNames.length} classes, ${texts} texts from ${text.supervision.descriptionsSource}; ${computed} embedded by ${text.supervision.table.encoder}, ${texts - computed} from the cache; text head ${textHeadParameterCount(text.supervision.spec).toLocaleString('en-US')} parameters (not used at inference), loss weight ${text.supervision.weight}`);
      objectives.push(text);
    }
    let bar: ProgressBar | undefined;
    let firstStep = 0;
    let totalSteps = 0;
    const controller = new AbortController();
    // Ctrl-C and SIGTERM (a scheduler's stop) both stop at the next micro-batch and write a
    // checkpoint; a second signal ends the process at once.
    let stoppedBy: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      stoppedBy = signal;
      log(args, `\n${signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : `stopped by ${signal}`}: stopping at the next micro-batch and writing a checkpoint (a second ${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} stops without one)`);
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result;
    try {
      result = await train({
        config,
        model,
        cache,
        outDir: args.out,
        epochs: args.epochs,
        resume: args.resume,
        allowOtherData: args.allowOtherData,
        signal: controller.signal,
        objectives,
        provenance: { cache: cache.dir },
        onProgress: (event) => {
          switch (event.type) {
            case 'start': {
              const total = (event.untilEpoch - event.startEpoch) * event.itersPerEpoch - event.startBatch;
              firstStep = event.startEpoch * event.itersPerEpoch + event.startBatch;
              totalSteps = total;
              log(args, `${event.resumed ? `resuming at epoch ${event.startEpoch + 1}, batch ${event.startBatch + 1}` : 'starting'}; ${event.itersPerEpoch} iterations per epoch, epochs ${event.startEpoch + 1}..${event.untilEpoch} of ${event.epochs}; schedule ${event.schedule}`);
              bar = createProgressBar({ total, unit: 'it', extraFormat: '| epoch {epoch} | loss {loss} | acc {acc} | lr {lr} | {sps} samples/s', extra: { epoch: event.startEpoch + 1, loss: '-', acc: '-', lr: '-', sps: '-' }, silent: args.json || args.quiet });
              break;
            }
            case 'step':
              args.onStep?.(event.step - firstStep, totalSteps);
              bar?.update(event.step - firstStep, {
                epoch: event.epoch + 1,
                loss: event.loss.toFixed(3),
                acc: (100 * event.accuracy).toFixed(1),
                lr: event.lr.toExponential(2),
                sps: event.samplesPerSecond.toFixed(1),
              });
              break;
            case 'epoch':
              if (!args.json && !args.quiet) {
                const m = event.metrics;
                const val = m.valTop1 !== undefined ? `, validation top-1 ${(100 * m.valTop1).toFixed(2)} % top-5 ${(100 * (m.valTop5 ?? 0)).toFixed(2)} %${event.best ? ' (best)' : ''}` : '';
                process.stderr.write(`\nepoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, accuracy ${(100 * m.trainAccuracy).toFixed(2)} %${val}, ${m.samplesPerSecond.toFixed(1)} samples/s (${m.seconds.toFixed(0)} s)\n`);
              }
              break;
            default:
              break;
          }
        },
      });
    } finally {
      bar?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const plots: string[] = [];
    const logged = (file: string) => existsSync(join(args.out, file)) && statSync(join(args.out, file)).size > 0;
    if (result.status === 'aborted' && !logged('steps.jsonl') && !logged('metrics.jsonl')) {
      // Stopped before the first logged step: no curves yet.
    } else {
      plots.push(await writeRunPlots(args.out, config.name));
    }
    // The confusion matrix of the best model on the validation split (not after a stop: it takes a validation pass).
    if (result.best && splits.validation.length > 0 && result.status !== 'aborted') {
      const { model: best } = loadModel(join(args.out, RUN_FILES.best), createModelFromManifest);
      try {
        const evaluation = await evaluate({ model: best, cache, config, indices: splits.validation, batchSize: config.optim.evalBatchSize ?? config.optim.batchSize });
        const confusion = join(args.out, 'confusion.svg');
        writeSvg(confusion, await confusionMatrixSvg(evaluation.confusion, evaluation.classNames, `${config.name}: best model (epoch ${result.best.epoch}), ${config.data.benchmark} ${config.data.validationShare > 0 ? 'validation' : 'test'} split, top-1 ${(100 * evaluation.top1).toFixed(2)} %`));
        writeScores(join(args.out, 'scores'), evaluation, { experiment: config.name, benchmark: config.data.benchmark, epoch: result.best.epoch });
        plots.push(confusion);
      } finally {
        best.dispose();
      }
    }
    writeFileSync(join(args.out, RUN_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    const summary: TrainingSummary = {
      run: args.out,
      status: result.status,
      epochs: result.epoch,
      steps: result.step,
      best: result.best,
      bestModel: result.best ? join(args.out, RUN_FILES.best) : null,
      checkpoint: result.checkpoint ?? null,
      stoppedBy: stoppedBy ?? null,
      plots,
      lastEpoch: result.history[result.history.length - 1] ?? null,
    };
    model.dispose();
    return summary;
  } finally {
    cache.close();
  }
}

export const trainCommand: CommandModule<GlobalOptions, TrainArgs> = {
  command: 'train',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('config', { describe: 'experiment config (configs/*.json)', type: 'string', demandOption: true })
      .option('data', { describe: 'prepared cache (skelact prepare)', type: 'string', demandOption: true })
      .option('out', { describe: 'run folder: checkpoint/, best/, metrics.jsonl, plots', type: 'string', demandOption: true })
      .option('epochs', { describe: 'stop after this many epochs in all (the schedule still spans the config\'s epochs, so --resume continues the same run)', type: 'number' })
      .option('resume', { describe: 'continue the run in --out from its last checkpoint, exactly', type: 'boolean', default: false })
      .option('allow-other-data', { describe: 'with --resume: continue even though --data is not the cache the checkpoint was trained on', type: 'boolean', default: false })
      .example('$0 train --config configs/skateformer/ntu60-xsub-joint.json --data cache/ntu60 --out runs/sf-j', 'the official SkateFormer recipe')
      .example('$0 train --config configs/small/skateformer-synthetic.json --data skelact-quickstart/cache-ntu --out runs/quick --epochs 5', 'a few epochs of a CPU-sized model') as unknown as Argv<TrainArgs>,
  handler: async (args: ArgumentsCamelCase<TrainArgs>) => {
    checkWritable(args.out, 'folder', 'choose a writable run folder with --out');
    const summary = await runTraining({ ...args, configFile: args.config });
    if (summary.stoppedBy) process.exitCode = summary.stoppedBy === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
    if (args.json) return printJson(summary);
    log(args, `${summary.status === 'complete' ? 'finished' : 'stopped'} after ${summary.epochs} epoch(s), ${summary.steps} iterations`);
    if (summary.status === 'aborted' && summary.checkpoint) {
      log(args, `checkpoint written: ${summary.checkpoint}`);
      log(args, `continue with: npx skelact train --config ${args.config} --data ${args.data} --out ${args.out} --resume`);
    }
    if (summary.best) log(args, `best validation top-1 ${(100 * summary.best.top1).toFixed(2)} % at epoch ${summary.best.epoch}: ${summary.bestModel}`);
    log(args, `metrics: ${join(args.out, RUN_FILES.metrics)}${summary.plots.length ? ` · plots: ${summary.plots.join(', ')}` : ' (no plots: stopped before the first logged step)'}`);
    log(args, `evaluate with: skelact eval --model ${summary.bestModel ?? join(args.out, RUN_FILES.best)} --data ${args.data}`);
  },
};
