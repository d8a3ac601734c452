/**
 * Seeded synthetic NTU-like skeleton data: a kinematic body on the ntu-25 layout, a table
 * of parametric actions named after NTU classes, a sample generator (whole sets or a
 * stream), and a writer of NTU RGB+D `.skeleton` files with realistic noise bodies.
 */
export {
  generateSyntheticSamples,
  iterateSyntheticSamples,
  resolveSyntheticOptions,
  syntheticClasses,
  ntuSampleName,
  SYNTHETIC_DEFAULTS,
  type SyntheticOptions,
  type ResolvedSyntheticOptions,
  type FrameRange,
  type FrameRangesByPersons,
  type ViewpointOptions,
  type JitterOptions,
  type RecordingContext,
} from './generator.js';
export {
  SYNTHETIC_ACTIONS,
  SYNTHETIC_CLASSES,
  STANDING,
  selectActions,
  type ActionSpec,
  type Keyframe,
  type Pose,
  type RootKey,
  type SyntheticClass,
} from './actions.js';
export {
  BodyModel,
  AVERAGE_BODY,
  DOF_NAMES,
  SEGMENTS,
  randomBodyShape,
  worldToCamera,
  kinect20FromNtu25,
  type BodyShape,
  type DofName,
  type Segment,
  type Placement,
  type SensorPose,
  type FootAnchor,
  type RootMotion,
} from './kinematics.js';
export { Motion, DEFAULT_VARIATION, type MotionVariation, type MotionChoices } from './timeline.js';
export { Rng, deriveSeed, seedFromNumber, stringKey } from '../../core/random.js';
export {
  NOISE_BODY_KINDS,
  NTU_DENOISING_RULES,
  makeNoiseBody,
  type NoiseBodyKind,
  type NoiseBodyTrack,
  type NoiseBodyContext,
} from './noise-bodies.js';
export {
  formatNtuSkeleton,
  encodeNtuSkeleton,
  formatKinectFloat,
  KINECT_V2_CAMERA,
  type KinectCameraModel,
  type NtuBodyFrame,
  type NtuBodyInfo,
  type NtuFrame,
  type NtuFormatOptions,
} from './ntu-writer.js';
export {
  toNtuRecording,
  writeSyntheticNtuDataset,
  REALISTIC_NTU_FRAMES,
  type NoiseBodyOptions,
  type NtuRecordingOptions,
  type NtuRecording,
  type NtuBodyRecord,
  type NtuBodyRole,
  type SyntheticNtuDatasetOptions,
  type WrittenSkeletonFile,
} from './ntu-dataset.js';
