/** The tiny SkateFormer the model tests share: kinect-20, one person, 4 classes, 16 frames, windows of 4 frames. */
import type { SkateFormerConfigInput } from '../../src/models/skateformer/index.js';

export const TINY_SKATEFORMER: SkateFormerConfigInput = {
  layout: 'kinect-20',
  persons: 1,
  classes: 4,
  frames: 16,
  partitionFrames: 4,
  embedDim: 16,
  depths: [1, 1],
  channels: [16, 32],
  heads: 8,
  mlpRatio: 2,
};

/** The same with every dropout on, so that training mode differs from inference. */
export const TINY_SKATEFORMER_DROPOUT: SkateFormerConfigInput = {
  ...TINY_SKATEFORMER,
  dropPath: 0.3,
  attnDrop: 0.3,
  headDrop: 0.3,
};
