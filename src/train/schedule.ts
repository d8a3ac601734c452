/**
 * Learning-rate schedules, evaluated per iteration (optimiser step), as pure functions of
 * the global step so a resumed run needs no scheduler state.
 *
 * `cosineSchedule` is timm's `CosineLRScheduler` with one cycle, `t_in_epochs=False` and
 * `warmup_prefix=False`, which is how SkateFormer's `main.py` builds it
 * (t_initial = epochs · iters, warmup_t = warmupEpochs · iters, both truncated to integers)
 * and calls `step_update(global_step)` before each iteration:
 *
 *   t < warmup_t:  lr = warmup_lr_init + t · (base − warmup_lr_init) / warmup_t
 *   t < t_initial: lr = lr_min + ½ (base − lr_min) (1 + cos(π t / t_initial))
 *   otherwise:     lr = lr_min
 *
 * Because the warm-up is not a prefix, the cosine already counts from t = 0: the first
 * step after warm-up gets the cosine value at warmup_t, slightly below base.
 */
import type { ExperimentConfig } from './config.js';

export interface LrSchedule {
  /** Learning rate of the step with this 0-based global index. */
  lr(step: number): number;
  readonly totalSteps: number;
  readonly description: string;
}

export interface CosineScheduleOptions {
  readonly baseLr: number;
  /** t_initial: steps of the cosine cycle (epochs · iterations per epoch). */
  readonly totalSteps: number;
  /** warmup_t in steps (0 = none). */
  readonly warmupSteps?: number;
  /** warmup_lr_init. */
  readonly warmupLr?: number;
  /** lr_min. */
  readonly minLr?: number;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be a non-negative integer, got ${step}`);
}

export function cosineSchedule(options: CosineScheduleOptions): LrSchedule {
  const { baseLr, totalSteps } = options;
  const warmupSteps = options.warmupSteps ?? 0;
  const warmupLr = options.warmupLr ?? 0;
  const minLr = options.minLr ?? 0;
  if (!(totalSteps > 0) || !Number.isInteger(totalSteps))
    throw new Error(`the cosine schedule needs a positive whole number of steps, got ${totalSteps}`);
  if (!(warmupSteps >= 0) || !Number.isInteger(warmupSteps))
    throw new Error(`warm-up steps must be a non-negative integer, got ${warmupSteps}`);
  const warmupSlope = warmupSteps > 0 ? (baseLr - warmupLr) / warmupSteps : 0;
  return {
    totalSteps,
    description: `cosine ${baseLr} → ${minLr} over ${totalSteps} steps${warmupSteps > 0 ? `, linear warm-up from ${warmupLr} over ${warmupSteps} steps` : ''}`,
    lr(step: number): number {
      checkStep(step);
      if (step < warmupSteps) return warmupLr + step * warmupSlope;
      const cycle = Math.floor(step / totalSteps);
      if (cycle >= 1) return minLr;
      return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos((Math.PI * step) / totalSteps));
    },
  };
}

/** A constant rate, after the same linear warm-up as the cosine schedule when one is asked for. */
export function constantSchedule(baseLr: number, totalSteps: number, warmupSteps = 0, warmupLr = 0): LrSchedule {
  const slope = warmupSteps > 0 ? (baseLr - warmupLr) / warmupSteps : 0;
  return {
    totalSteps,
    description: `constant ${baseLr}${warmupSteps > 0 ? `, linear warm-up from ${warmupLr} over ${warmupSteps} steps` : ''}`,
    lr(step: number): number {
      checkStep(step);
      return step < warmupSteps ? warmupLr + step * slope : baseLr;
    },
  };
}

/** The schedule of an experiment, given the iterations of one epoch (as SkateFormer's main.py sizes it). */
export function scheduleFromConfig(optim: ExperimentConfig['optim'], itersPerEpoch: number): LrSchedule {
  if (!Number.isInteger(itersPerEpoch) || itersPerEpoch < 1)
    throw new Error(`an epoch must have at least one iteration, got ${itersPerEpoch}`);
  const totalSteps = Math.trunc(optim.epochs * itersPerEpoch);
  const warmupSteps = Math.trunc(optim.warmupEpochs * itersPerEpoch);
  return optim.schedule === 'cosine'
    ? cosineSchedule({ baseLr: optim.lr, totalSteps, warmupSteps, warmupLr: optim.warmupLr, minLr: optim.minLr })
    : constantSchedule(optim.lr, totalSteps, warmupSteps, optim.warmupLr);
}
