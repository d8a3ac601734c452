/**
 * The training loop, built from parts: train({ config, model, data, objectives, callbacks }).
 *
 * Per iteration: the loader's batch → each objective's `prepare` (BRL's mixup, text targets)
 * → forward (training mode, dropout seeded by the step) → the objectives' losses, summed
 * (./objective.ts: classification or a long-tail loss, GAP's text loss, …) → gradients
 * (`tf.variableGrads`) → global-norm clipping → the learning rate of this step from the
 * schedule → optimiser update. Loss, accuracy and gradient norm are read back once per step,
 * and a non-finite loss or gradient norm stops the run before the update (a
 * TrainingDivergedError naming the step), leaving the last good checkpoint.
 *
 * Everything else is a callback (./callbacks.ts), called in the order given: resuming and
 * writing checkpoints, the JSON-lines logs, validation, the best model, plots and scores.
 * Without `callbacks`, a run with an `outDir` gets the run-folder set (checkpoints, logs,
 * validation, best model); src/train/run.ts adds the plots and scores for `skelact train`.
 *
 * Resuming (the checkpoints callback) loads the weights, optimiser moments and step counts,
 * and counters, and the run continues with the same batches, learning rates and dropout masks
 * as an uninterrupted run, so the weights come out bit for bit the same. An abort (the signal)
 * stops at the next iteration boundary, where the stop callbacks write a mid-epoch checkpoint,
 * which resumes exactly too.
 */
import * as tf from '@tensorflow/tfjs';
import type { SkeletonCache } from '../data/cache/reader.js';
import type { ModelMeta } from '../models/io.js';
import type { SkeletonModel } from '../models/types.js';
import type { EpochMetrics } from './checkpoint.js';
import type { ExperimentConfig } from './config.js';
import { type HostBatch, SkeletonLoader, disposeModelInputs, indicesByLabel, toModelInputs } from './loader.js';
import { clipGradNorm } from './loss.js';
import { getLayout } from '../graph/layout.js';
import { Optimizer } from './optimizer.js';
import { randomStream, shuffled, streamSeed } from '../core/random.js';
import { scheduleFromConfig } from './schedule.js';
import {
  type BatchPosition,
  type ObjectiveTargets,
  type TrainingObjective,
  classificationObjective,
} from './objective.js';
import { longTailObjective } from './long-tail-objective.js';
import { webgpuFault, type WebGpuFault } from '../engine/webgpu.js';
import {
  type RunEnd,
  type TrainEvent,
  type TrainingCallback,
  type TrainingRun,
  type ValidationScores,
  ZERO_SUMS,
  runFolderCallbacks,
} from './callbacks.js';
import { SkelactError } from '../core/errors.js';

export { RUN_FILES, type TrainEvent } from './callbacks.js';

/** What train() runs: the config, the model, the data, the loss terms and the callbacks. */
export interface TrainOptions {
  readonly config: ExperimentConfig;
  readonly model: SkeletonModel;
  /** The prepared cache the config's benchmark is in. */
  readonly data: SkeletonCache;
  /**
   * The loss terms, summed in order. When none of them classifies, the config's classification
   * term comes first (`objectivesFor`): cross-entropy, or the `longTail` section's loss.
   */
  readonly objectives?: readonly TrainingObjective[];
  /** What the run does besides stepping (./callbacks.ts); default: `runFolderCallbacks(outDir, …)`. */
  readonly callbacks?: readonly TrainingCallback[];
  /** The run folder of the default callbacks. */
  readonly outDir?: string;
  /** Default callbacks: continue the run in outDir from its checkpoint. Without it, a folder holding a run is an error. */
  readonly resume?: boolean;
  /** Default callbacks: resume even when the checkpoint was written on another cache (a different fingerprint). */
  readonly allowOtherData?: boolean;
  /** Default callbacks: a steps.jsonl line every this many iterations (default 10). */
  readonly logEvery?: number;
  /**
   * Stop after this many epochs in all (default: config.optim.epochs). The schedule always
   * spans config.optim.epochs, so a run stopped early and resumed later is the same run.
   */
  readonly epochs?: number;
  /** Called with each training event (start, step, validation, epoch, checkpoint). */
  readonly onProgress?: (event: TrainEvent) => void;
  /** Aborting stops at the next iteration boundary (where the checkpoints callback writes a checkpoint). */
  readonly signal?: AbortSignal;
  /** Batches the loader prepares ahead (default 1). */
  readonly prefetch?: number;
  /** Added to saved models' provenance (e.g. dataset, benchmark). */
  readonly provenance?: Readonly<Record<string, string | number>>;
}

/** How a training run ended: complete or stopped, epochs and steps done, the history and the best epoch. */
export interface TrainResult {
  readonly status: 'complete' | 'aborted';
  /** Epochs completed. */
  readonly epoch: number;
  readonly step: number;
  readonly history: readonly EpochMetrics[];
  readonly best: { readonly epoch: number; readonly top1: number } | null;
  readonly checkpoint: string | undefined;
}

/** Thrown when the loss (or the gradient norm) becomes NaN or infinite; nothing of that step is applied. */
export class TrainingDivergedError extends SkelactError {
  readonly code = 'training-diverged';

  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly loss: number,
    readonly lr: number,
    readonly lastCheckpoint: string | undefined,
    readonly checkpointEpoch: number | undefined,
    readonly gradNorm = 0,
  ) {
    const what = Number.isFinite(loss) ? `the gradient norm is ${gradNorm}` : `the loss is ${loss}`;
    super(
      `training diverged: ${what} at epoch ${epoch + 1}, step ${step + 1} (lr ${lr}); ` +
        (lastCheckpoint
          ? `the last good checkpoint (epoch ${checkpointEpoch}) is ${lastCheckpoint}`
          : 'no checkpoint was written yet') +
        '. Lower optim.lr, raise optim.warmupEpochs or turn on optim.clipGradNorm.',
    );
  }
}

/**
 * Thrown when the GPU device (the webgpu backend) reports a fault during training: it was lost
 * (driver reset, GPU removed, …), ran out of memory, or refused a call (a validation error: a kernel over a device limit). Nothing of that step
 * is applied and no checkpoint is written after it; the last checkpoint on disk is kept.
 */
export class GpuFaultError extends SkelactError {
  readonly code = 'gpu-fault';

  constructor(
    readonly fault: WebGpuFault,
    readonly epoch: number,
    readonly step: number,
    /** Samples per forward/backward pass when it happened (optim.microBatch, else optim.batchSize). */
    readonly passSize: number,
    readonly lastCheckpoint: string | undefined,
    readonly checkpointEpoch: number | undefined,
  ) {
    const where = `at epoch ${epoch + 1}, step ${step + 1}`;
    const kept = lastCheckpoint
      ? `The last checkpoint (epoch ${checkpointEpoch}) is kept: ${lastCheckpoint}; resume from it.`
      : 'No checkpoint was written yet.';
    const smaller = Math.max(1, Math.floor(passSize / 2));
    const what =
      fault.kind === 'device-lost'
        ? `the GPU device was lost ${where} (${fault.message}); training stopped.`
        : fault.kind === 'out-of-memory'
          ? `the GPU ran out of memory ${where} with ${passSize} samples per pass (${fault.message}). ` +
            (passSize > 1
              ? `Try optim.microBatch ${smaller} (the same batch in ${Math.ceil(passSize / smaller)} passes, gradients summed) or optim.batchSize ${smaller}.`
              : 'One sample per pass does not fit: use a smaller model or a GPU with more memory.')
          : `the GPU device refused a call ${where} (${fault.message}), so its results would be wrong; training stopped. Please report this with the engine line.`;
    super(`${what} ${kept}`);
  }
}

/**
 * On the webgpu backend, Dawn reports a lost device or a failed allocation on its own time: this
 * is checked after each step's read and before anything is saved, so a checkpoint is never
 * written from a broken device.
 */
function stopOnGpuFault(run: TrainingRun): void {
  const fault = tf.getBackend() === 'webgpu' ? webgpuFault() : undefined;
  if (!fault) return;
  const { optim } = run.config;
  const passSize = Math.min(optim.batchSize, optim.microBatch ?? optim.batchSize);
  throw new GpuFaultError(
    fault,
    run.counters.epoch,
    run.counters.step,
    passSize,
    run.checkpoint?.dir,
    run.checkpoint?.epoch,
  );
}

/** One objective's part in a step: the term and its batch targets, when it has any. */
interface ObjectiveTerm {
  readonly objective: TrainingObjective;
  readonly targets?: ObjectiveTargets;
}

/**
 * The batch's mean loss, its gradients and the number of correct predictions; with
 * `optim.microBatch` smaller than the batch, summed over micro-batches, each weighted by its
 * share of the batch (so the result is the batch mean either way). Micro-batch 0 uses the
 * step's dropout seed, so a batch that is not split trains exactly as before.
 */
async function batchGradients(
  model: SkeletonModel,
  inputs: ReturnType<typeof toModelInputs>,
  variables: tf.Variable[],
  config: ExperimentConfig,
  step: number,
  position: BatchPosition,
  terms: readonly ObjectiveTerm[],
  signal?: AbortSignal,
): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap; correct: tf.Scalar } | undefined> {
  const B = inputs.labels.shape[0];
  const micro = Math.min(B, config.optim.microBatch ?? B);
  const sizes = Array.from({ length: Math.ceil(B / micro) }, (_, i) => Math.min(micro, B - i * micro));
  /**
   * A tensor's micro-batch pieces along its batch axis. `owned` tensors were made here from
   * host arrays: once split, the whole is disposed (the pieces are, in the finally below).
   */
  const split = <T extends tf.Tensor>(
    t: T | undefined,
    options: { axis?: number; owned?: boolean } = {},
  ): T[] | undefined => {
    if (t === undefined) return undefined;
    if (sizes.length === 1) return [t];
    const pieces = tf.split(t, sizes, options.axis ?? 0) as T[];
    if (options.owned) t.dispose();
    return pieces;
  };
  const xs = split(inputs.batch.x)!;
  const indexTs = split(inputs.batch.indexT);
  const labels = split(inputs.labels)!;
  const termTargets = terms.map(({ targets }) =>
    targets ? split(targets.tensor, { axis: targets.batchAxis, owned: true }) : undefined,
  );
  const lossOf = (out: ReturnType<SkeletonModel['forward']>, m: number): tf.Scalar => {
    const losses = terms.map(({ objective }, k) => objective.loss(out, labels[m], termTargets[k]?.[m], position));
    return losses.reduce((sum, loss) => tf.add(sum, loss) as tf.Scalar);
  };
  let value: tf.Scalar | undefined;
  let correct: tf.Scalar | undefined;
  let grads: tf.NamedTensorMap | undefined;
  // A split step can be stopped between its micro-batches; the forwards already run have moved
  // the batch-norm statistics, which a dropped step must not keep: they are put back.
  const statistics =
    sizes.length > 1 && signal
      ? model.params
          .entries()
          .filter(([info]) => !info.trainable)
          .map(([, v]) => [v, tf.clone(v)] as const)
      : [];
  try {
    for (const [m, size] of sizes.entries()) {
      if (m > 0) {
        // Between micro-batches the event loop runs, so Ctrl-C / SIGTERM is seen within one
        // micro-batch, not after the whole step (minutes on the NTU recipe); the step is then
        // dropped, its gradients never applied, and the checkpoint is at its start.
        await new Promise((resolve) => setImmediate(resolve));
        if (signal?.aborted) {
          tf.dispose([value, correct, ...(grads ? Object.values(grads) : [])]);
          for (const [variable, saved] of statistics) variable.assign(saved);
          return undefined;
        }
      }
      const seed = m === 0 ? streamSeed(config.seed, 'dropout', step) : streamSeed(config.seed, 'dropout', step, m);
      let c: tf.Scalar | undefined;
      const part = tf.variableGrads(() => {
        const out = model.forward({ x: xs[m], ...(indexTs ? { indexT: indexTs[m] } : {}) }, { training: true, seed });
        const loss = lossOf(out, m);
        c = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, 1), labels[m]), 'float32')) as tf.Scalar);
        return sizes.length === 1 ? loss : (tf.mul(loss, size / B) as tf.Scalar);
      }, variables);
      if (!value || !grads || !correct) {
        value = part.value;
        grads = part.grads;
        correct = c;
      } else {
        const next = tf.tidy(() => ({
          value: tf.add(value!, part.value) as tf.Scalar,
          correct: tf.add(correct!, c!) as tf.Scalar,
          grads: Object.fromEntries(Object.entries(grads!).map(([k, g]) => [k, tf.add(g, part.grads[k])])),
        }));
        tf.dispose([value, correct, c, part.value, ...Object.values(grads), ...Object.values(part.grads)]);
        ({ value, correct, grads } = next);
      }
    }
  } finally {
    tf.dispose(statistics.map(([, saved]) => saved));
    if (sizes.length > 1) tf.dispose([...xs, ...(indexTs ?? []), ...labels]);
    tf.dispose(termTargets.flatMap((t) => t ?? []));
  }
  return { value: value!, grads: grads!, correct: correct! };
}

/** Train and validation sample indices of an experiment. */
export function experimentSplits(
  cache: SkeletonCache,
  config: ExperimentConfig,
): { train: number[]; validation: number[] } {
  const train = cache.split(config.data.benchmark, 'train');
  const share = config.data.validationShare;
  if (share <= 0) return { train: [...train], validation: [...cache.split(config.data.benchmark, 'test')] };
  // A stratified hold-out: the same share of every class, chosen by the experiment seed.
  const byLabel = indicesByLabel(train, cache.labels);
  const held = new Set<number>();
  for (const [label, list] of [...byLabel].sort((a, b) => a[0] - b[0])) {
    const picked = shuffled(list, randomStream(config.seed, 'holdout', label)).slice(
      0,
      Math.round(share * list.length),
    );
    for (const i of picked) held.add(i);
  }
  return { train: train.filter((i) => !held.has(i)), validation: train.filter((i) => held.has(i)) };
}

/** Training samples per class (label order): the long-tail losses' n_c, and what evaluation groups classes by. */
export function trainCountsOf(cache: SkeletonCache, train: readonly number[]): number[] {
  const counts = new Array<number>(cache.manifest.classNames.length).fill(0);
  for (const i of train) if (cache.labels[i] >= 0) counts[cache.labels[i]]++;
  return counts;
}

/** The config's classification term: its `longTail` loss (with BRL's mixup) when it has that section, else cross-entropy. */
export function objectivesFor(
  config: ExperimentConfig,
  model: SkeletonModel,
  cache: SkeletonCache,
  trainCounts: readonly number[],
): TrainingObjective[] {
  if (!config.longTail) return [classificationObjective(config.optim.labelSmoothing)];
  return [
    longTailObjective({
      config: { ...config, longTail: config.longTail },
      counts: trainCounts,
      layout: getLayout(cache.manifest.layout),
      model,
    }),
  ];
}

/** Trains `model` as `config` says; see the module comment. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, model, data: cache } = options;
  const untilEpoch = options.epochs ?? config.optim.epochs;
  if (!Number.isInteger(untilEpoch) || untilEpoch < 1)
    throw new Error(`epochs must be a positive integer, got ${untilEpoch}`);
  if (untilEpoch > config.optim.epochs)
    throw new Error(
      `epochs (${untilEpoch}) exceeds the config's optim.epochs (${config.optim.epochs}), which sizes the schedule`,
    );
  const splits = experimentSplits(cache, config);
  const trainLoader = new SkeletonLoader({
    cache,
    indices: splits.train,
    config,
    model,
    training: true,
    batchSize: config.optim.batchSize,
    referencePool: splits.train,
  });
  const itersPerEpoch = trainLoader.batchesPerEpoch;
  const trainCounts = trainCountsOf(cache, splits.train);
  const schedule = scheduleFromConfig(config.optim, itersPerEpoch);
  // Objectives (the text loss, …) were built by the caller, their parameters already in the model.
  const given = options.objectives ?? [];
  const objectives = given.some((o) => o.classifies)
    ? [...given]
    : [...objectivesFor(config, model, cache, trainCounts), ...given];
  checkSectionObjectives(config, objectives);
  const meta = modelMetaOf(config, cache, trainCounts, objectives, options.provenance);
  let callbacks = options.callbacks;
  if (!callbacks) {
    if (options.outDir === undefined)
      throw new Error('train() needs callbacks or an outDir (the run folder of the default callbacks)');
    callbacks = runFolderCallbacks(options.outDir, options);
  }
  const optimizer = optimizerOf(config, model);
  const report = (event: TrainEvent) => options.onProgress?.(event);
  const run: TrainingRun = {
    config,
    model,
    optimizer,
    data: cache,
    splits,
    itersPerEpoch,
    untilEpoch,
    meta,
    signal: options.signal,
    report,
    counters: { epoch: 0, batch: 0, step: 0, running: ZERO_SUMS, best: null, history: [] },
    resumed: false,
  };
  /** Runs one hook of every callback, in order; reports a checkpoint one of them wrote. */
  const each = async (hook: (callback: TrainingCallback) => unknown) => {
    const before = run.checkpoint;
    for (const callback of callbacks) await hook(callback);
    if (run.checkpoint && run.checkpoint !== before)
      report({ type: 'checkpoint', dir: run.checkpoint.dir, epoch: run.counters.epoch, batch: run.counters.batch });
  };
  const finish = async (status: RunEnd['status']): Promise<TrainResult> => {
    const { epoch, step, history, best } = run.counters;
    await each((c) => c.end?.(run, { status, best }));
    return { status, epoch, step, history, best, checkpoint: run.checkpoint?.dir };
  };
  try {
    for (const callback of callbacks) await callback.start?.(run);
    report({
      type: 'start',
      epochs: config.optim.epochs,
      untilEpoch,
      itersPerEpoch,
      startEpoch: run.counters.epoch,
      startBatch: run.counters.batch,
      trainSamples: trainLoader.epochSize,
      validationSamples: splits.validation.length,
      schedule: schedule.description,
      resumed: run.resumed,
    });
    const c = run.counters;
    /** Stops at an iteration boundary: the stop callbacks (a checkpoint), then the end ones. */
    const stop = async (epochStarted: number, trainSeconds?: number): Promise<TrainResult> => {
      c.running = {
        ...c.running,
        ...(trainSeconds !== undefined ? { trainSeconds } : {}),
        seconds: (performance.now() - epochStarted) / 1000,
      };
      await each((cb) => cb.stop?.(run));
      return finish('aborted');
    };

    while (c.epoch < untilEpoch) {
      const epoch = c.epoch;
      const epochStarted = performance.now() - c.running.seconds * 1000;
      const trainStarted = performance.now();
      const trainSecondsBefore = c.running.trainSeconds;
      const trainSecondsNow = () => trainSecondsBefore + (performance.now() - trainStarted) / 1000;
      for await (const loaded of trainLoader.epoch(epoch, { from: c.batch, prefetch: options.prefetch })) {
        // Let the event loop run (signal handlers) between steps.
        await new Promise((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) return await stop(epochStarted, trainSecondsNow());
        const lr = schedule.lr(c.step);
        const done = await optimiserStep(run, objectives, loaded, lr);
        // Interrupted between micro-batches: this batch is not done; the checkpoint resumes at it.
        if (!done) return await stop(epochStarted, trainSecondsNow());
        const { host, stats } = done;
        const [loss, correct, gradNorm] = stats;
        c.step++;
        c.batch++;
        const now = performance.now();
        c.running = {
          lossSum: c.running.lossSum + loss,
          correct: c.running.correct + correct,
          seen: c.running.seen + host.size,
          batches: c.running.batches + 1,
          trainSeconds: trainSecondsNow(),
          seconds: (now - epochStarted) / 1000,
          lastLr: lr,
        };
        const record = {
          step: c.step,
          epoch: epoch + c.batch / itersPerEpoch,
          lr,
          loss,
          accuracy: correct / host.size,
        };
        for (const callback of callbacks) callback.step?.(run, record);
        report({
          type: 'step',
          epoch,
          batch: c.batch,
          itersPerEpoch,
          step: c.step,
          lr,
          loss,
          accuracy: correct / host.size,
          gradNorm,
          samplesPerSecond: c.running.seen / Math.max(1e-9, c.running.trainSeconds),
        });
      }

      // End of epoch: validation, then the callbacks (best model, logs, checkpoint).
      let val: ValidationScores | undefined;
      try {
        for (const callback of callbacks) val = (await callback.validate?.(run, epoch)) ?? val;
      } catch (e) {
        stopOnGpuFault(run);
        throw e;
      }
      stopOnGpuFault(run);
      // Every batch of the epoch is done; a resume goes straight to its validation.
      if (options.signal?.aborted) return await stop(epochStarted);
      const { metrics, best } = closeEpoch(run, val, epochStarted);
      const before = run.checkpoint;
      for (const callback of callbacks) await callback.epochEnd?.(run, { metrics, best });
      report({ type: 'epoch', metrics, best });
      if (run.checkpoint && run.checkpoint !== before)
        report({ type: 'checkpoint', dir: run.checkpoint.dir, epoch: c.epoch, batch: c.batch });
    }
    return await finish('complete');
  } finally {
    optimizer.dispose();
  }
}

/** Each config section that needs an objective has one (the text section: GAP's text loss). */
function checkSectionObjectives(config: ExperimentConfig, objectives: readonly TrainingObjective[]): void {
  for (const section of ['text'] as const) {
    if (config[section] && !objectives.some((o) => o.section === section)) {
      throw new Error(
        `the config's '${section}' section needs its training objective in train({ objectives }) (for 'text': gapTextObjective from src/text-priors)`,
      );
    }
  }
}

/** What every model a run saves records besides its weights (the objectives add theirs). */
function modelMetaOf(
  config: ExperimentConfig,
  cache: SkeletonCache,
  trainCounts: number[],
  objectives: readonly TrainingObjective[],
  provenance?: Readonly<Record<string, string | number>>,
): ModelMeta {
  let meta: ModelMeta = {
    layout: cache.manifest.layout,
    classNames: cache.manifest.classNames,
    modality: config.data.modality,
    sampling: config.data.sampling,
    testCrop: config.data.testCrop,
    minLength: config.data.minLength,
    fillMissingPersons: config.data.fillMissingPersons,
    normalize: config.data.normalize,
    data: { ...config.data },
    preprocessing: { ...cache.manifest.preprocessing },
    trainCounts,
    shotGroups: config.longTail?.groups ?? [100, 20],
    provenance: {
      experiment: config.name,
      dataset: cache.manifest.dataset,
      benchmark: config.data.benchmark,
      ...(provenance ?? {}),
    },
  };
  for (const o of objectives) meta = { ...meta, ...o.modelMeta };
  return meta;
}

function optimizerOf(config: ExperimentConfig, model: SkeletonModel): Optimizer {
  return new Optimizer(model.params, {
    kind: config.optim.optimizer,
    weightDecay: config.optim.weightDecay,
    decayParameters: config.optim.decayParameters,
    betas: config.optim.betas,
    eps: config.optim.eps,
    momentum: config.optim.momentum,
    nesterov: config.optim.nesterov,
  });
}

/**
 * One optimiser step on a loaded batch: the objectives prepare it, gradients (by micro-batch),
 * clipping, the update. Returns the batch as the objectives left it and [loss, correct, gradient
 * norm], or undefined when the run was stopped between micro-batches (nothing applied).
 */
async function optimiserStep(
  run: TrainingRun,
  objectives: readonly TrainingObjective[],
  loaded: HostBatch,
  lr: number,
): Promise<{ host: HostBatch; stats: Float32Array } | undefined> {
  const { config, model, optimizer, counters: c } = run;
  const position = { epoch: c.epoch, batch: c.batch };
  let host = loaded;
  const terms = objectives.map((objective) => {
    const prepared = objective.prepare?.(host, position) ?? {};
    if (prepared.host) host = prepared.host;
    return { objective, targets: prepared.targets };
  });
  const inputs = toModelInputs(host, model);
  const kept: { correct?: tf.Scalar } = {};
  let grads: tf.NamedTensorMap | undefined;
  let value: tf.Scalar | undefined;
  let clipped: ReturnType<typeof clipGradNorm> | undefined;
  try {
    const computed = await batchGradients(
      model,
      inputs,
      optimizer.variables(),
      config,
      c.step,
      position,
      terms,
      run.signal,
    );
    if (!computed) return undefined;
    ({ value, grads, correct: kept.correct } = computed);
    clipped = clipGradNorm(grads, config.optim.clipGradNorm);
    const packed = tf.stack([value, kept.correct!, clipped.norm]);
    const stats = (await packed.data()) as Float32Array;
    packed.dispose();
    stopOnGpuFault(run);
    const [loss, , norm] = stats;
    if (!Number.isFinite(loss) || !Number.isFinite(norm))
      throw new TrainingDivergedError(c.epoch, c.step, loss, lr, run.checkpoint?.dir, run.checkpoint?.epoch, norm);
    optimizer.applyGradients(clipped.grads, lr);
    return { host, stats };
  } catch (e) {
    // A lost device rejects reads with an empty error: say what happened instead.
    stopOnGpuFault(run);
    throw e;
  } finally {
    disposeModelInputs(inputs);
    // Targets the objectives made for a step that never ran (an error before batchGradients split them).
    tf.dispose(terms.flatMap(({ targets }) => (targets && !targets.tensor.isDisposed ? [targets.tensor] : [])));
    tf.dispose([
      value,
      kept.correct,
      clipped?.norm,
      ...(grads ? Object.values(grads) : []),
      ...(clipped ? Object.values(clipped.grads) : []),
    ]);
  }
}

/**
 * The end of an epoch's batches: its metrics (with the validation scores), the best epoch so
 * far, and the counters moved on to the next epoch (what a checkpoint then saves).
 */
function closeEpoch(
  run: TrainingRun,
  val: ValidationScores | undefined,
  epochStarted: number,
): { metrics: EpochMetrics; best: boolean } {
  const c = run.counters;
  const completed = c.epoch + 1;
  let best = false;
  if (val && (c.best === null || val.top1 > c.best.top1)) {
    c.best = { epoch: completed, top1: val.top1 };
    best = true;
  }
  const metrics: EpochMetrics = {
    epoch: completed,
    step: c.step,
    lr: c.running.lastLr,
    trainLoss: c.running.batches > 0 ? c.running.lossSum / c.running.batches : Number.NaN,
    trainAccuracy: c.running.seen > 0 ? c.running.correct / c.running.seen : Number.NaN,
    ...(val ? { valTop1: val.top1, valTop5: val.top5, valLoss: val.loss } : {}),
    seconds: (performance.now() - epochStarted) / 1000,
    samplesPerSecond: c.running.seen / Math.max(1e-9, c.running.trainSeconds),
  };
  c.history = [...c.history, metrics];
  c.epoch = completed;
  c.batch = 0;
  c.running = ZERO_SUMS;
  return { metrics, best };
}
