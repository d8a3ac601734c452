/**
 * The training loop: one experiment config, one model, one cache split.
 *
 * Per iteration: the loader's batch → forward (training mode, dropout seeded by the step) →
 * label-smoothing cross-entropy (summed over streams for multi-stream models) → gradients
 * (`tf.variableGrads`) → global-norm clipping → the learning rate of this step from the
 * schedule → optimiser update. Loss, accuracy and gradient norm are read back once per step,
 * and a non-finite loss or gradient norm stops the run before the update (a
 * TrainingDivergedError naming the step), leaving the last good checkpoint. Other loss terms
 * plug in as TrainingObjectives (./objective.ts), built by the caller: GAP's text loss for a
 * config with a `text` section (src/text-priors/objective.ts) adds its head's parameters to
 * the model before train() builds the optimiser.
 *
 * Per epoch: validation every `evalEvery` epochs and after the last one; the best model by
 * validation top-1 is saved to `<outDir>/best`; a line is appended to `metrics.jsonl`; a
 * checkpoint (see ./checkpoint.ts) is written atomically. `steps.jsonl` gets a line every
 * `logEvery` iterations (step, epoch, lr, loss, accuracy) for the training-curve plots.
 *
 * Resuming loads the checkpoint (weights, optimiser moments and step counts, counters) and
 * continues with the same batches, learning rates and dropout masks as an uninterrupted run,
 * so the weights come out bit for bit the same. An abort (the signal) writes a mid-epoch
 * checkpoint at the next iteration boundary, which resumes exactly too.
 */
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SkeletonCache } from '../data/cache/reader.js';
import { writeFileAtomic } from '../core/files.js';
import { type ModelMeta, saveModel } from '../models/io.js';
import type { SkeletonModel } from '../models/types.js';
import { type CheckpointData, type CheckpointState, type EpochMetrics, type RunningSums, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, findCheckpoint, readCheckpointState, restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { ExperimentConfig } from './config.js';
import { evaluateWithLoader } from './evaluate.js';
import { SkeletonLoader, disposeModelInputs, indicesByLabel, toModelInputs } from './loader.js';
import { classificationLoss, clipGradNorm } from './loss.js';
import { longTailLoss } from './long-tail-loss.js';
import { partialBodyMixup } from './mixup.js';
import { getLayout } from '../graph/layout.js';
import { Optimizer } from './optimizer.js';
import { RNG_SCHEME, randomStream, shuffled, streamSeed } from '../core/random.js';
import { scheduleFromConfig } from './schedule.js';
import type { ObjectiveTargets, TrainingObjective } from './objective.js';
import { SkelactError } from '../core/errors.js';
import { webgpuFault, type WebGpuFault } from '../engine/webgpu.js';

export const RUN_FILES = { metrics: 'metrics.jsonl', steps: 'steps.jsonl', best: 'best', config: 'config.json' } as const;


export type TrainEvent =
  | {
      readonly type: 'start';
      readonly epochs: number;
      readonly untilEpoch: number;
      readonly itersPerEpoch: number;
      readonly startEpoch: number;
      readonly startBatch: number;
      readonly trainSamples: number;
      readonly validationSamples: number;
      readonly schedule: string;
      readonly resumed: boolean;
    }
  | {
      readonly type: 'step';
      readonly epoch: number;
      readonly batch: number;
      readonly itersPerEpoch: number;
      readonly step: number;
      readonly lr: number;
      readonly loss: number;
      readonly accuracy: number;
      readonly gradNorm: number;
      readonly samplesPerSecond: number;
    }
  | { readonly type: 'validation'; readonly epoch: number; readonly done: number; readonly total: number }
  | { readonly type: 'epoch'; readonly metrics: EpochMetrics; readonly best: boolean }
  | { readonly type: 'checkpoint'; readonly dir: string; readonly epoch: number; readonly batch: number };

export interface TrainOptions {
  readonly config: ExperimentConfig;
  readonly model: SkeletonModel;
  readonly cache: SkeletonCache;
  readonly outDir: string;
  /**
   * Stop after this many epochs in all (default: config.optim.epochs). The schedule always
   * spans config.optim.epochs, so a run stopped early and resumed later is the same run.
   */
  readonly epochs?: number;
  /** Continue the run in outDir from its checkpoint. Without it, a folder holding a run is an error. */
  readonly resume?: boolean;
  /** Resume even when the checkpoint was written on another cache (a different fingerprint). */
  readonly allowOtherData?: boolean;
  readonly onProgress?: (event: TrainEvent) => void;
  /** Aborting stops at the next iteration boundary after writing a checkpoint there. */
  readonly signal?: AbortSignal;
  /** A steps.jsonl line every this many iterations (default 10). */
  readonly logEvery?: number;
  /** Batches the loader prepares ahead (default 1). */
  readonly prefetch?: number;
  /** Loss terms added to classification (e.g. the text objective a `text` config section needs). */
  readonly objectives?: readonly TrainingObjective[];
  /** Added to saved models' provenance (e.g. dataset, benchmark). */
  readonly provenance?: Readonly<Record<string, string | number>>;
}

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
        (lastCheckpoint ? `the last good checkpoint (epoch ${checkpointEpoch}) is ${lastCheckpoint}` : 'no checkpoint was written yet') +
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
    const kept = lastCheckpoint ? `The last checkpoint (epoch ${checkpointEpoch}) is kept: ${lastCheckpoint}; resume from it.` : 'No checkpoint was written yet.';
    const smaller = Math.max(1, Math.floor(passSize / 2));
    const what =
      fault.kind === 'device-lost'
        ? `the GPU device was lost ${where} (${fault.message}); training stopped.`
        : fault.kind === 'out-of-memory'
          ? `the GPU ran out of memory ${where} with ${passSize} samples per pass (${fault.message}). ` +
            (passSize > 1 ? `Try optim.microBatch ${smaller} (the same batch in ${Math.ceil(passSize / smaller)} passes, gradients summed) or optim.batchSize ${smaller}.` : 'One sample per pass does not fit: use a smaller model or a GPU with more memory.')
          : `the GPU device refused a call ${where} (${fault.message}), so its results would be wrong; training stopped. Please report this with the engine line.`;
    super(`${what} ${kept}`);
  }
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
  longTail?: { counts: readonly number[]; epoch: number; labelsB?: Int32Array; lambda?: Float32Array },
  objectives: ReadonlyArray<{ objective: TrainingObjective; targets?: ObjectiveTargets }> = [],
  signal?: AbortSignal,
): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap; correct: tf.Scalar } | undefined> {
  const B = inputs.labels.shape[0];
  const micro = Math.min(B, config.optim.microBatch ?? B);
  const sizes = Array.from({ length: Math.ceil(B / micro) }, (_, i) => Math.min(micro, B - i * micro));
  /**
   * A tensor's micro-batch pieces along its batch axis. `owned` tensors were made here from
   * host arrays: once split, the whole is disposed (the pieces are, in the finally below).
   */
  const split = <T extends tf.Tensor>(t: T | undefined, options: { axis?: number; owned?: boolean } = {}): T[] | undefined => {
    if (t === undefined) return undefined;
    if (sizes.length === 1) return [t];
    const pieces = tf.split(t, sizes, options.axis ?? 0) as T[];
    if (options.owned) t.dispose();
    return pieces;
  };
  const xs = split(inputs.batch.x)!;
  const indexTs = split(inputs.batch.indexT);
  const labels = split(inputs.labels)!;
  const labelsB = longTail?.labelsB ? split(tf.tensor1d(longTail.labelsB, 'int32'), { owned: true }) : undefined;
  const lambdas = longTail?.lambda ? split(tf.tensor1d(longTail.lambda), { owned: true }) : undefined;
  const objectiveTargets = objectives.map(({ targets }) => (targets ? split(targets.tensor, { axis: targets.batchAxis, owned: true }) : undefined));
  const lossOf = (out: ReturnType<SkeletonModel['forward']>, m: number): tf.Scalar =>
    objectives.reduce((loss, { objective }, k) => tf.add(loss, objective.loss(out, labels[m], objectiveTargets[k]?.[m])) as tf.Scalar, classLossOf(out, m));
  const classLossOf = (out: ReturnType<SkeletonModel['forward']>, m: number): tf.Scalar => {
    const lt = config.longTail;
    if (!lt || !longTail) return classificationLoss(out, labels[m], config.optim.labelSmoothing);
    const target = { labels: labels[m], labelsB: labelsB?.[m], lambda: lambdas?.[m] };
    const streams = out.streamLogits && out.streamLogits.length > 0 ? out.streamLogits : [out.logits];
    const losses = streams.map((l) => longTailLoss(l, target, longTail.counts, lt, config.optim.labelSmoothing, longTail.epoch));
    return (losses.length === 1 ? losses[0] : tf.addN(losses)) as tf.Scalar;
  };
  let value: tf.Scalar | undefined;
  let correct: tf.Scalar | undefined;
  let grads: tf.NamedTensorMap | undefined;
  // A split step can be stopped between its micro-batches; the forwards already run have moved
  // the batch-norm statistics, which a dropped step must not keep: they are put back.
  const statistics = sizes.length > 1 && signal ? model.params.entries().filter(([info]) => !info.trainable).map(([, v]) => [v, tf.clone(v)] as const) : [];
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
        const next = tf.tidy(() => ({ value: tf.add(value!, part.value) as tf.Scalar, correct: tf.add(correct!, c!) as tf.Scalar, grads: Object.fromEntries(Object.entries(grads!).map(([k, g]) => [k, tf.add(g, part.grads[k])])) }));
        tf.dispose([value, correct, c, part.value, ...Object.values(grads), ...Object.values(part.grads)]);
        ({ value, correct, grads } = next);
      }
    }
  } finally {
    tf.dispose(statistics.map(([, saved]) => saved));
    if (sizes.length > 1) tf.dispose([...xs, ...(indexTs ?? []), ...labels]);
    tf.dispose([...(labelsB ?? []), ...(lambdas ?? []), ...objectiveTargets.flatMap((t) => t ?? [])]);
  }
  return { value: value!, grads: grads!, correct: correct! };
}

/** Train and validation sample indices of an experiment. */
export function experimentSplits(cache: SkeletonCache, config: ExperimentConfig): { train: number[]; validation: number[] } {
  const train = cache.split(config.data.benchmark, 'train');
  const share = config.data.validationShare;
  if (share <= 0) return { train: [...train], validation: [...cache.split(config.data.benchmark, 'test')] };
  // A stratified hold-out: the same share of every class, chosen by the experiment seed.
  const byLabel = indicesByLabel(train, cache.labels);
  const held = new Set<number>();
  for (const [label, list] of [...byLabel].sort((a, b) => a[0] - b[0])) {
    const picked = shuffled(list, randomStream(config.seed, 'holdout', label)).slice(0, Math.round(share * list.length));
    for (const i of picked) held.add(i);
  }
  return { train: train.filter((i) => !held.has(i)), validation: train.filter((i) => held.has(i)) };
}

const ZERO_SUMS: RunningSums = { lossSum: 0, correct: 0, seen: 0, batches: 0, trainSeconds: 0, seconds: 0, lastLr: 0 };

function configDifferences(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => configDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
}

function readJsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line cut by a crash
      }
    });
}

function writeJsonLines(path: string, records: readonly object[]): void {
  writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Trains `model` as `config` says; see the module comment. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, model, cache, outDir } = options;
  const untilEpoch = options.epochs ?? config.optim.epochs;
  if (!Number.isInteger(untilEpoch) || untilEpoch < 1) throw new Error(`epochs must be a positive integer, got ${untilEpoch}`);
  if (untilEpoch > config.optim.epochs) throw new Error(`epochs (${untilEpoch}) exceeds the config's optim.epochs (${config.optim.epochs}), which sizes the schedule`);
  const logEvery = options.logEvery ?? 10;
  const classNames = cache.manifest.classNames;
  const splits = experimentSplits(cache, config);
  const trainLoader = new SkeletonLoader({ cache, indices: splits.train, config, model, training: true, batchSize: config.optim.batchSize, referencePool: splits.train });
  const valLoader =
    splits.validation.length > 0
      ? new SkeletonLoader({ cache, indices: splits.validation, config, model, training: false, batchSize: config.optim.evalBatchSize ?? config.optim.batchSize })
      : undefined;
  const itersPerEpoch = trainLoader.batchesPerEpoch;
  // Training samples per class: the long-tail losses' n_c, and what evaluation groups classes by.
  const trainCounts = new Array<number>(cache.manifest.classNames.length).fill(0);
  for (const i of splits.train) if (cache.labels[i] >= 0) trainCounts[cache.labels[i]]++;
  const layout = getLayout(cache.manifest.layout);
  const schedule = scheduleFromConfig(config.optim, itersPerEpoch);
  let meta: ModelMeta = {
    layout: cache.manifest.layout,
    classNames,
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
      ...(options.provenance ?? {}),
    },
  };
  // Objectives (the text loss, …) were built by the caller, their parameters already in the model.
  const objectives = options.objectives ?? [];
  for (const section of ['text'] as const) {
    if (config[section] && !objectives.some((o) => o.section === section)) {
      throw new Error(`the config's '${section}' section needs its training objective in train({ objectives }) (for 'text': gapTextObjective from src/text-priors)`);
    }
  }
  for (const o of objectives) meta = { ...meta, ...o.modelMeta };
  const optimizer = new Optimizer(model.params, {
    kind: config.optim.optimizer,
    weightDecay: config.optim.weightDecay,
    decayParameters: config.optim.decayParameters,
    betas: config.optim.betas,
    eps: config.optim.eps,
    momentum: config.optim.momentum,
    nesterov: config.optim.nesterov,
  });

  try {
    mkdirSync(outDir, { recursive: true });
    const metricsPath = join(outDir, RUN_FILES.metrics);
    const stepsPath = join(outDir, RUN_FILES.steps);
    let epoch = 0;
    let batch = 0;
    let step = 0;
    let running: RunningSums = ZERO_SUMS;
    let best: CheckpointState['best'] = null;
    let history: EpochMetrics[] = [];
    let lastCheckpoint: string | undefined;
    let checkpointEpoch: number | undefined;
    // On the webgpu backend, Dawn reports a lost device or a failed allocation on its own time:
    // checked after each step's read and before anything is saved, so a checkpoint is never
    // written from a broken device.
    const passSize = Math.min(config.optim.batchSize, config.optim.microBatch ?? config.optim.batchSize);
    const stopOnGpuFault = () => {
      const fault = tf.getBackend() === 'webgpu' ? webgpuFault() : undefined;
      if (fault) throw new GpuFaultError(fault, epoch, step, passSize, lastCheckpoint, checkpointEpoch);
    };

    const existing = findCheckpoint(outDir);
    if (options.resume) {
      if (!existing) throw new Error(`nothing to resume in ${outDir}: it has no checkpoint`);
      const saved = restoreCheckpointChecked(existing, model, optimizer, config, itersPerEpoch, cache, options.allowOtherData ?? false);
      ({ epoch, batch, step, running, best } = saved);
      history = [...saved.history];
      lastCheckpoint = existing;
      checkpointEpoch = saved.epoch;
      // Logs may run ahead of the checkpoint after a crash; cut them back to it.
      writeJsonLines(metricsPath, history);
      writeJsonLines(
        stepsPath,
        readJsonLines(stepsPath).filter((r) => typeof r.step === 'number' && r.step <= step),
      );
    } else {
      if (existing) throw new Error(`${outDir} already holds a training run (${existing}); resume it or choose another folder`);
      writeJsonLines(metricsPath, []);
      writeJsonLines(stepsPath, []);
      writeFileAtomic(join(outDir, RUN_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    }

    options.onProgress?.({
      type: 'start',
      epochs: config.optim.epochs,
      untilEpoch,
      itersPerEpoch,
      startEpoch: epoch,
      startBatch: batch,
      trainSamples: trainLoader.epochSize,
      validationSamples: valLoader?.epochSize ?? 0,
      schedule: schedule.description,
      resumed: Boolean(options.resume),
    });

    const stateNow = (): CheckpointState => ({
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      config,
      epoch,
      batch,
      step,
      itersPerEpoch,
      rng: { seed: config.seed, scheme: RNG_SCHEME },
      running,
      best,
      history,
      data: checkpointData(cache),
    });

    while (epoch < untilEpoch) {
      const epochStarted = performance.now() - running.seconds * 1000;
      let trainStarted = performance.now();
      let trainSeconds = running.trainSeconds;
      for await (const host of trainLoader.epoch(epoch, { from: batch, prefetch: options.prefetch })) {
        // Let the event loop run (signal handlers) between steps.
        await new Promise((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) {
          trainSeconds += (performance.now() - trainStarted) / 1000;
          running = { ...running, trainSeconds, seconds: (performance.now() - epochStarted) / 1000 };
          lastCheckpoint = await writeCheckpoint(outDir, model, meta, optimizer, stateNow());
          options.onProgress?.({ type: 'checkpoint', dir: lastCheckpoint, epoch, batch });
          return { status: 'aborted', epoch, step, history, best, checkpoint: lastCheckpoint };
        }
        const lr = schedule.lr(step);
        const mixed = config.longTail?.mixup ? partialBodyMixup(host, model, layout, trainCounts, config.longTail.mixup, randomStream(config.seed, 'shuffle', epoch, batch, 7)) : undefined;
        const inputs = toModelInputs(mixed?.host ?? host, model);
        const kept: { correct?: tf.Scalar } = {};
        let grads: tf.NamedTensorMap | undefined;
        let value: tf.Scalar | undefined;
        let clipped: ReturnType<typeof clipGradNorm> | undefined;
        let stats: Float32Array;
        try {
          const labels = (mixed?.host ?? host).labels;
          const terms = objectives.map((objective) => ({ objective, targets: objective.targets?.(labels, { epoch, batch }) }));
          const computed = await batchGradients(model, inputs, optimizer.variables(), config, step, config.longTail ? { counts: trainCounts, epoch, labelsB: mixed?.labelsB, lambda: mixed?.lambda } : undefined, terms, options.signal);
          if (!computed) {
            // Interrupted between micro-batches: this batch is not done; the checkpoint resumes at it.
            trainSeconds += (performance.now() - trainStarted) / 1000;
            running = { ...running, trainSeconds, seconds: (performance.now() - epochStarted) / 1000 };
            lastCheckpoint = await writeCheckpoint(outDir, model, meta, optimizer, stateNow());
            options.onProgress?.({ type: 'checkpoint', dir: lastCheckpoint, epoch, batch });
            return { status: 'aborted', epoch, step, history, best, checkpoint: lastCheckpoint };
          }
          ({ value, grads, correct: kept.correct } = computed);
          clipped = clipGradNorm(grads, config.optim.clipGradNorm);
          const packed = tf.stack([value, kept.correct!, clipped.norm]);
          stats = (await packed.data()) as Float32Array;
          packed.dispose();
          stopOnGpuFault();
          const [loss, , norm] = stats;
          if (!Number.isFinite(loss) || !Number.isFinite(norm)) throw new TrainingDivergedError(epoch, step, loss, lr, lastCheckpoint, checkpointEpoch, norm);
          optimizer.applyGradients(clipped.grads, lr);
        } catch (e) {
          // A lost device rejects reads with an empty error: say what happened instead.
          stopOnGpuFault();
          throw e;
        } finally {
          disposeModelInputs(inputs);
          tf.dispose([value, kept.correct, clipped?.norm, ...(grads ? Object.values(grads) : []), ...(clipped ? Object.values(clipped.grads) : [])]);
        }
        const [loss, correct, gradNorm] = stats;
        step++;
        batch++;
        const now = performance.now();
        running = {
          lossSum: running.lossSum + loss,
          correct: running.correct + correct,
          seen: running.seen + host.size,
          batches: running.batches + 1,
          trainSeconds: trainSeconds + (now - trainStarted) / 1000,
          seconds: (now - epochStarted) / 1000,
          lastLr: lr,
        };
        if (step % logEvery === 0) appendFileSync(stepsPath, `${JSON.stringify({ step, epoch: epoch + (batch / itersPerEpoch), lr, loss, accuracy: correct / host.size })}\n`);
        options.onProgress?.({
          type: 'step',
          epoch,
          batch,
          itersPerEpoch,
          step,
          lr,
          loss,
          accuracy: correct / host.size,
          gradNorm,
          samplesPerSecond: running.seen / Math.max(1e-9, running.trainSeconds),
        });
      }
      trainSeconds = running.trainSeconds;
      trainStarted = performance.now();

      // End of epoch: validation, best model, metrics, checkpoint.
      const completed = epoch + 1;
      let val: { top1: number; top5: number; loss: number } | undefined;
      if (valLoader && (completed % config.evalEvery === 0 || completed === config.optim.epochs || completed === untilEpoch)) {
        try {
          const result = await evaluateWithLoader(model, valLoader, classNames, cache, (done, total) => options.onProgress?.({ type: 'validation', epoch, done, total }), options.signal);
          val = { top1: result.top1, top5: result.top5, loss: result.loss };
        } catch (e) {
          stopOnGpuFault();
          if (!options.signal?.aborted) throw e;
        }
      }
      stopOnGpuFault();
      if (options.signal?.aborted) {
        // Every batch of the epoch is done; a resume goes straight to its validation.
        running = { ...running, seconds: (performance.now() - epochStarted) / 1000 };
        lastCheckpoint = await writeCheckpoint(outDir, model, meta, optimizer, stateNow());
        options.onProgress?.({ type: 'checkpoint', dir: lastCheckpoint, epoch, batch });
        return { status: 'aborted', epoch, step, history, best, checkpoint: lastCheckpoint };
      }
      let isBest = false;
      if (val && (best === null || val.top1 > best.top1)) {
        best = { epoch: completed, top1: val.top1 };
        isBest = true;
        // The run's own best model replaces the previous best (and nothing else: see saveModel).
        await saveModel(join(outDir, RUN_FILES.best), model, { ...meta, provenance: { ...meta.provenance, epoch: completed, step, valTop1: val.top1, valTop5: val.top5 } }, { replace: true });
      }
      const metrics: EpochMetrics = {
        epoch: completed,
        step,
        lr: running.lastLr,
        trainLoss: running.batches > 0 ? running.lossSum / running.batches : Number.NaN,
        trainAccuracy: running.seen > 0 ? running.correct / running.seen : Number.NaN,
        ...(val ? { valTop1: val.top1, valTop5: val.top5, valLoss: val.loss } : {}),
        seconds: (performance.now() - epochStarted) / 1000,
        samplesPerSecond: running.seen / Math.max(1e-9, running.trainSeconds),
      };
      history = [...history, metrics];
      appendFileSync(metricsPath, `${JSON.stringify(metrics)}\n`);
      epoch = completed;
      batch = 0;
      running = ZERO_SUMS;
      lastCheckpoint = await writeCheckpoint(outDir, model, meta, optimizer, stateNow());
      checkpointEpoch = epoch;
      options.onProgress?.({ type: 'epoch', metrics, best: isBest });
      options.onProgress?.({ type: 'checkpoint', dir: lastCheckpoint, epoch, batch });
    }
    return { status: 'complete', epoch, step, history, best, checkpoint: lastCheckpoint ?? existing };
  } finally {
    optimizer.dispose();
  }
}

function checkpointData(cache: SkeletonCache): CheckpointData {
  const m = cache.manifest;
  return { fingerprint: m.fingerprint, dataset: m.dataset, samples: m.samples, source: m.source, createdAt: m.createdAt, dir: cache.dir, preprocessing: m.preprocessing };
}

/** What differs between the cache a checkpoint trained on and the one given now, in words. */
export function dataDifferences(saved: CheckpointData, now: CheckpointData): string[] {
  const out: string[] = [];
  if (saved.dataset !== now.dataset) out.push(`dataset ${saved.dataset} → ${now.dataset}`);
  if (saved.samples !== now.samples) out.push(`${saved.samples} → ${now.samples} samples`);
  if (saved.source !== now.source) out.push(`raw files ${saved.source} → ${now.source}`);
  const before = saved.preprocessing ?? {};
  const after = now.preprocessing ?? {};
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out.push(`preprocessing ${key} ${JSON.stringify(before[key]) ?? 'unset'} → ${JSON.stringify(after[key]) ?? 'unset'}`);
  }
  if (out.length === 0) out.push(`the raw files or preparation options (cache fingerprint ${saved.fingerprint.slice(0, 12)} → ${now.fingerprint.slice(0, 12)}, prepared ${saved.createdAt} → ${now.createdAt})`);
  return out;
}

function restoreCheckpointChecked(dir: string, model: SkeletonModel, optimizer: Optimizer, config: ExperimentConfig, itersPerEpoch: number, cache: SkeletonCache, allowOtherData: boolean): CheckpointState {
  const state = readCheckpointState(dir);
  const now = checkpointData(cache);
  if (state.data && state.data.fingerprint !== now.fingerprint && !allowOtherData) {
    throw new Error(
      `cannot resume ${dir}: it was trained on cache ${state.data.dir}, and --data ${cache.dir} holds other data (${dataDifferences(state.data, now).join('; ')}). ` +
        'Resume with the cache it was trained on, or add --allow-other-data if you mean to continue on this one',
    );
  }
  const differences = configDifferences(state.config, config);
  if (differences.length > 0) {
    throw new Error(`cannot resume ${dir}: it was trained with another config (differs in ${differences.slice(0, 6).join(', ')}${differences.length > 6 ? ', …' : ''})`);
  }
  if (state.itersPerEpoch !== itersPerEpoch) throw new Error(`cannot resume ${dir}: it had ${state.itersPerEpoch} iterations per epoch, the data now gives ${itersPerEpoch} (was the cache prepared again?)`);
  return restoreCheckpoint(dir, model, optimizer);
}
