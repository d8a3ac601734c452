/**
 * GAP-style text priors: class descriptions (data), the frozen sentence encoder and its
 * embedding cache, the multi-part loss the trainer adds, and recognition by description
 * (zero-shot scores, free-text search). The text head itself is model parameters:
 * src/models/text-head.ts.
 */
export {
  DESCRIPTION_PARTS,
  DescriptionError,
  descriptionsFor,
  loadDescriptionsFor,
  readDescriptions,
  shippedDescriptionsFile,
  type ClassDescription,
  type DescriptionPart,
  type DescriptionSet,
} from './descriptions.js';
export {
  TextEncoderUnavailableError,
  USE_LITE_PACKAGE,
  lazyUseLite,
  loadUseLite,
  useLiteId,
  type SentenceEncoder,
} from './encoder.js';
export { embedCached, textCacheDir, textKey, type EmbedReport } from './embedding-cache.js';
export { batchTextTargets, buildTextTable, classPrompts, type ClassPrompts, type TextTable } from './prompts.js';
export { TARGET_SHARPNESS, gapTextLoss, sameLabelTargets } from './text-loss.js';
export { prepareTextSupervision, type TextSupervision } from './supervision.js';
export {
  classTextScores,
  embedSequences,
  evaluateZeroShot,
  queryScores,
  zeroShotAccuracy,
  type SequenceTextEmbeddings,
  type ZeroShotResult,
} from './zero-shot.js';
export {
  TEXT_SLOTS,
  addTextHead,
  projectToText,
  textHeadSpecFor,
  type TextHeadSpec,
  type TextSlot,
} from '../models/text-head.js';
