/**
 * skelact: skeleton-based human action recognition. This entry point (`import … from 'skelact'`)
 * is the part that runs anywhere, a web page included: skeleton layouts and clips, saved models
 * from a URL or from memory, the stream classifier, repetition counting, the pose mappings,
 * the backend resolver and the error family. Files, data preparation, training and pose
 * extraction from video are in `skelact/node`; a page that wants everything bundled loads
 * `skelact/browser` (dist/browser/skelact.browser.js), which re-exports this module.
 *
 * Every name is documented where it is defined; `npm run docs:api` renders the page
 * (docs/api/). Count the names with `node scripts/count-exports.mjs`.
 *
 * @packageDocumentation
 */

// Skeletons: layouts (joints, bones, parts) and clips [persons, frames, joints, channels].
export { getLayout, LAYOUT_NAMES, type Layout, type LayoutName } from './graph/layout.js';
export { makeClip, type SkeletonClip } from './graph/clip.js';
export { toModality, MODALITIES, type Modality } from './graph/modalities.js';

// Saved models, from a URL or from memory; the model interface.
export { loadModelFromUrl, loadModelFromBuffers } from './models/remote.js';
export { createModelFromManifest } from './models/registry.js';
export type { ModelManifest } from './models/manifest.js';
export type { SkeletonModel, ModelOutput } from './models/types.js';

// Classifying a live pose stream.
export {
  StreamClassifier,
  type StreamClassifierOptions,
  type StreamEvent,
  type StreamFrame,
  type ClassScore,
} from './serve/stream-classifier.js';
export { streamClassifierFromUrl, poseClassifierFromCsv, poseModelClassifierFromUrl } from './serve/remote.js';
export { ModelPoseClassifier } from './serve/pose-model-classifier.js';
export { timelineOf, type TimelineSegment } from './serve/timeline.js';
export { poseFileFrames, poseLayoutFor } from './serve/pose-frames.js';

// Counting repetitions (ML Kit's pose classifier).
export {
  countRepetitions,
  EmaSmoothing,
  EXERCISES,
  PoseClassifier,
  poseClassNamed,
  poseEmbedding,
  RepetitionCounter,
  type Point3,
  type PoseConfidenceSource,
} from './serve/reps.js';

// Pose landmarks (BlazePose) onto skelact's layouts.
export { mapPose, mappingTo, MAPPED_LAYOUTS } from './pose/mapping.js';
export { cameraTranslations, LiveTrajectory, type TrajectoryOptions, type Translation } from './pose/trajectory.js';

// Backends: each environment registers its candidates (skelact/node, the browser bundle); apps may add their own.
export {
  registerBackend,
  resolveBackend,
  NoBackendError,
  type BackendCandidate,
  type ResolvedBackend,
} from './engine/resolver.js';

// Errors: one family with stable codes; one validation step.
export { SkelactError, ValidationError, parseWith } from './core/errors.js';
