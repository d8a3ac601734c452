/**
 * skelact for Node (`import … from 'skelact/node'`): what needs files, processes or native
 * code — the TensorFlow.js backend choice for Node, data preparation and the cache, saved
 * model folders, experiment configs, training from parts, evaluation and scores, PyTorch and
 * ONNX interchange, pose extraction from video. Loading it registers Node's backends
 * (tensorflow-gpu, tensorflow, wasm, cpu) with the resolver. The parts that run anywhere
 * (layouts, the stream classifier, repetition counting, …) are in `skelact`.
 *
 * @packageDocumentation
 */

// The backend in Node: registers the candidates, picks one (auto: the fastest that loads).
export {
  initBackend,
  describeBackend,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
} from './engine/backend.js';

// Raw datasets → a prepared cache.
export { prepare, type PrepareOptions, type PrepareResult } from './data/prepare.js';
export { DATASETS } from './data/datasets/index.js';
export { SkeletonCache } from './data/cache/reader.js';
export { writeSyntheticNtuDataset } from './data/synthetic/index.js';
export { readGeneric, toGenericRecord } from './data/formats/generic.js';

// Saved model folders.
export { loadModel, saveModel, type ModelMeta } from './models/io.js';
export { createModel } from './models/registry.js';

// Experiment configs.
export { loadExperiment, parseExperiment, type ExperimentConfig } from './train/config.js';

// Training, from parts: train({ config, model, data, objectives, callbacks }).
export { train, type TrainOptions, type TrainResult, type TrainEvent } from './train/trainer.js';
export { classificationObjective, type TrainingObjective } from './train/objective.js';
export { longTailObjective } from './train/long-tail-objective.js';
export { gapTextObjective } from './text-priors/objective.js';
export {
  checkpoints,
  jsonLines,
  validation,
  bestModel,
  plots,
  bestModelScores,
  runFolderCallbacks,
  type TrainingCallback,
} from './train/callbacks.js';
export { runTraining, type TrainingRunOptions, type TrainingSummary } from './train/run.js';

// Evaluation and score files.
export { evaluate, writeScores, readScores, fuseScores, type EvaluationResult } from './train/evaluate.js';

// PyTorch and ONNX interchange.
export { importPytorchCheckpoint, exportPytorchWeights } from './train/pytorch.js';
export { exportOnnx } from './models/onnx/export.js';

// Video → poses.
export { createPoseEngine, extractPoses } from './pose/extract.js';
export { readPoseFile, writePoseFile } from './pose/pose-file.js';
