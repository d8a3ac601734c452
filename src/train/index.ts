/** Training, evaluation and their files: what the CLI commands (train, evaluate, ensemble, plot) build on. */
export {
  AUGMENT_PRESETS,
  ConfigError,
  SAMPLINGS,
  experimentSchema,
  loadExperiment,
  parseExperiment,
  type ExperimentConfig,
} from './config.js';
export {
  GpuFaultError,
  RUN_FILES,
  TrainingDivergedError,
  experimentSplits,
  objectivesFor,
  train,
  type TrainEvent,
  type TrainOptions,
  type TrainResult,
} from './trainer.js';
export {
  bestModel,
  bestModelScores,
  checkpoints,
  jsonLines,
  plots,
  runFolderCallbacks,
  validation,
  type TrainingCallback,
  type TrainingRun,
} from './callbacks.js';
export { classificationObjective, type TrainingObjective } from './objective.js';
export { longTailObjective } from './long-tail-objective.js';
export { checkConfigAgainstCache, runTraining, type TrainingRunOptions, type TrainingSummary } from './run.js';
export {
  CHECKPOINT_DIR,
  CheckpointError,
  findCheckpoint,
  readCheckpointState,
  type CheckpointState,
  type EpochMetrics,
} from './checkpoint.js';
export {
  SCORE_FILES,
  ScoresError,
  evaluate,
  evaluateWithLoader,
  fuseScores,
  readScores,
  scoreMetrics,
  writeScores,
  type ClassAccuracy,
  type EvaluateOptions,
  type EvaluationResult,
  type ScoreMetrics,
  type ScoreRun,
} from './evaluate.js';
export {
  SkeletonLoader,
  disposeModelInputs,
  toModelInputs,
  uclaFrameIndices,
  type HostBatch,
  type LoaderModelSpec,
  type LoaderOptions,
} from './loader.js';
export {
  Optimizer,
  createOptimizer,
  type OptimizerKind,
  type OptimizerOptions,
  type OptimizerState,
} from './optimizer.js';
export { constantSchedule, cosineSchedule, scheduleFromConfig, type LrSchedule } from './schedule.js';
export { classificationLoss, clipGradNorm, labelSmoothingCrossEntropy } from './loss.js';
export { confusionMatrixSvg, trainingCurvesSvg, writeRunPlots, writeSvg, type StepRecord } from './plots.js';
export { randomStream, streamSeed } from '../core/random.js';
export {
  importPytorchCheckpoint,
  exportPytorchWeights,
  IMPORT_FAMILIES,
  ImportError,
  type ImportOptions,
  type ImportResult,
  type ExportResult,
} from './pytorch.js';
