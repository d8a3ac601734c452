/** Serving: real-time classification of pose streams with saved models. */
export {
  StreamClassifier,
  type ClassScore,
  type StreamClassifierOptions,
  type StreamEvent,
  type StreamFrame,
} from './stream-classifier.js';
export { poseFeedProblem, poseFileFrames, poseLayoutFor, POSE_FEED_CHANNELS } from './pose-frames.js';
export { timelineOf, type TimelineSegment } from './timeline.js';
export {
  countRepetitions,
  EmaSmoothing,
  EXERCISES,
  PoseClassifier,
  poseClassNamed,
  poseEmbedding,
  RepetitionCounter,
  EMBEDDING_VECTORS,
  type ClassConfidence,
  type Point3,
  type PoseConfidenceSource,
  type PoseSample,
  type Repetition,
} from './reps.js';
export { ModelPoseClassifier } from './pose-model-classifier.js';
