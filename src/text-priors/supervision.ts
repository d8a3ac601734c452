/**
 * What training with text priors needs, prepared once before the first step: the class
 * descriptions, their embeddings (cached; see ./embedding-cache.ts) and the model's text head
 * (added to its parameters unless it has one already).
 */
import type { SkeletonCache } from '../data/cache/reader.js';
import type { LayoutName } from '../graph/layout.js';
import { type TextHeadSpec, addTextHead, hasTextHead, textHeadSpecFor } from '../models/text-head.js';
import type { SkeletonModel } from '../models/types.js';
import type { ExperimentConfig } from '../train/config.js';
import { loadDescriptionsFor, shippedDescriptionsFile } from './descriptions.js';
import type { EmbedReport } from './embedding-cache.js';
import { lazyUseLite } from './encoder.js';
import { type TextTable, buildTextTable } from './prompts.js';

export interface TextSupervision {
  readonly table: TextTable;
  readonly spec: TextHeadSpec;
  readonly weight: number;
  readonly randomGlobal: boolean;
  readonly sharpness: number;
  /** The description file used. */
  readonly descriptionsSource: string;
}

export async function prepareTextSupervision(
  config: ExperimentConfig,
  model: SkeletonModel,
  cache: SkeletonCache,
  onReport?: (r: EmbedReport) => void,
): Promise<TextSupervision> {
  const text = config.text;
  if (!text) throw new Error('prepareTextSupervision: the config has no text section');
  // Descriptions first: a missing class is reported before the encoder loads.
  const descriptions = loadDescriptionsFor(cache.manifest.dataset, cache.manifest.classNames, text.descriptions);
  const descriptionsSource = text.descriptions ?? shippedDescriptionsFile(cache.manifest.dataset) ?? '';
  const encoder = lazyUseLite();
  let table: TextTable;
  try {
    table = await buildTextTable(encoder, descriptions, { onReport });
  } finally {
    encoder.dispose(); // frozen and tabulated: its weights (28 MB) are not needed during training
  }
  const spec = textHeadSpecFor(model, cache.manifest.layout as LayoutName, table.dim, table.encoder);
  if (!hasTextHead(model.params)) addTextHead(model.params, spec);
  return {
    table,
    spec,
    weight: text.weight,
    randomGlobal: text.randomGlobal,
    sharpness: text.sharpness,
    descriptionsSource,
  };
}
