/**
 * Pose extraction: video in, per-frame body landmarks out (MediaPipe PoseLandmarker in
 * Chromium, or BlazePose in-process with TensorFlow.js), several people tracked across frames,
 * mapped onto skelact's layouts.
 */
export { POSE_ENGINES, POSE_MODELS, BLAZEPOSE_LANDMARKS, POSE_FILE_FORMAT, POSE_FILE_VERSION } from './types.js';
export type {
  PersonPose,
  PoseEngine,
  PoseEngineName,
  PoseFile,
  PoseFileFrame,
  PoseLandmarker,
  PoseModel,
  Region,
  VideoFrame,
  PersonDetection,
} from './types.js';
export {
  createPoseEngine,
  extractPoses,
  extractToPoseFile,
  resolveEngine,
  type EngineChoice,
  type ExtractOptions,
  type ExtractStats,
} from './extract.js';
export { createPersonDetector, type PersonDetector } from './detector.js';
export { PersonTracker, regionAround, iou, keypointSimilarity, type Track, type TrackerOptions } from './tracker.js';
export { MAPPED_LAYOUTS, mapPose, mappingTo, parseMapping, type LayoutMapping, type MappedLayout } from './mapping.js';
export {
  cameraTranslations,
  focalLengthPixels,
  imageScale,
  LiveTrajectory,
  trackTranslations,
  DEFAULT_HORIZONTAL_FOV_DEGREES,
  type TrajectoryOptions,
  type Translation,
} from './trajectory.js';
export {
  isPoseFile,
  poseFileName,
  readPoseFile,
  toGenericRecord as poseFileToGenericRecord,
  writePoseFile,
  PoseFileError,
  type GenericOptions,
} from './pose-file.js';
export {
  decodeVideo,
  probeVideo,
  decodeGeometry,
  ffmpegVersion,
  MissingToolError,
  VideoError,
  type VideoInfo,
  type DecodeOptions,
} from './video.js';
export { mediaFileProblem, sniffContainer, VIDEO_EXTENSIONS, IMAGE_EXTENSIONS } from './media-type.js';
export { poseAssetsDir, poseAssetsReady, preparePoseAssets, MissingModelError, SETUP_HINT } from './assets.js';
export { findChromium } from './engines/mediapipe.js';
