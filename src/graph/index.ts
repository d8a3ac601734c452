/** Skeleton layouts and everything derived from them. */
export {
  LAYOUT_NAMES,
  PART_NAMES,
  GAP_PART_NAMES,
  LayoutError,
  buildLayout,
  getLayout,
  isLayoutName,
  jointIndex,
  jointDepths,
  ancestors,
  boneTreeOf,
  type Layout,
  type LayoutName,
  type PartName,
  type GapPartName,
} from './layout.js';
export {
  boneAdjacency,
  spatialPartition,
  normalizeDigraph,
  symmetricNormalizedAdjacency,
  hopDistances,
  kHopAdjacency,
  ancestorDifferenceMatrix,
  type DenseMatrix,
} from './adjacency.js';
export {
  skateformerJointOrder,
  skateTypeSizes,
  skateTypePartition,
  inversePartition,
  relativeBiasIndex,
  type BiasIndexMode,
  type SkateFormerJointOrder,
  type SkateTypeSizes,
  type SkateType,
  type PartitionTable,
} from './partitions.js';
export { partStream, gapPartJoints, bodyHalves, PART_STREAM_NAMES, type PartStream, type PartStreamName, type BoneTree } from './parts.js';
export {
  MODALITIES,
  MODALITY_TITLES,
  isModality,
  toModality,
  stackModalities,
  bones,
  skipBones,
  motion,
  ancestorDifference,
  jointsFromBones,
  selectJoints,
  flipLeftRight,
  type Modality,
} from './modalities.js';
export { type SkeletonClip, zeroClip, makeClip, clipOffset, cloneClip, isFrameEmpty, validFrameCount } from './clip.js';
