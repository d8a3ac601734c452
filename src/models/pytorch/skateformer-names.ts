/**
 * The official SkateFormer state dict (KAIST-VICLab/SkateFormer model/SkateFormer.py) against
 * skelact's parameter names, as data. One table serves every preset (NTU 2 × 24 joints,
 * NW-UCLA 1 × 20, any depth and width): rows are templates over the stage and block numbers,
 * and the shapes come from the model the config builds, so a checkpoint of another preset
 * fails on the shapes it does not share.
 *
 * Placeholders: {S} official stage index (0-based), {s} skelact stage (1-based); {B} / {b}
 * the same for blocks; {I} / {i} for the four Skate-Type attention branches.
 *
 * Official buffers that skelact derives instead of storing:
 *  - attention.{I}.relative_position_index, (N, N) int64 = n − n' + N − 1: checked on import
 *    (a different index would mean different code), written on export;
 *  - downsample.bn.num_batches_tracked: only counts training steps (unused in eval, and
 *    BatchNorm's momentum is set), ignored on import, written as 0 on export.
 */
import type { TensorLayout } from './layouts.js';

export interface NameRow {
  readonly official: string;
  readonly skelact: string;
  readonly layout: TensorLayout;
}

export interface BufferRow {
  readonly official: string;
  readonly buffer: 'relativePositionIndex' | 'batchesTracked';
}

export type MapRow = NameRow | BufferRow;

/** Before the stages. `embedding` rows apply with index_t on (jointPerson) or off (learned). */
export const SKATEFORMER_STEM: readonly NameRow[] = [
  { official: 'stem.0.weight', skelact: 'stem.conv1.w', layout: 'conv1x1' },
  { official: 'stem.0.bias', skelact: 'stem.conv1.b', layout: 'same' },
  { official: 'stem.2.weight', skelact: 'stem.conv2.w', layout: 'conv1x1' },
  { official: 'stem.2.bias', skelact: 'stem.conv2.b', layout: 'same' },
  { official: 'stem.4.weight', skelact: 'stem.conv3.w', layout: 'conv1x1' },
  { official: 'stem.4.bias', skelact: 'stem.conv3.b', layout: 'same' },
];

export const SKATEFORMER_EMBEDDING = {
  indexT: { official: 'joint_person_embedding', skelact: 'embedding.jointPerson', layout: 'transpose' },
  learned: {
    official: 'joint_person_temporal_embedding',
    skelact: 'embedding.jointPersonTemporal',
    layout: 'channelsFirstTable',
  },
} as const satisfies Record<string, NameRow>;

/** PatchMergingTconv, in the first block of stages 2, 3, … */
export const SKATEFORMER_MERGE: readonly MapRow[] = [
  {
    official: 'stages.{S}.blocks.0.downsample.reduction.weight',
    skelact: 'stage{s}.merge.conv.w',
    layout: 'temporalConv',
  },
  { official: 'stages.{S}.blocks.0.downsample.reduction.bias', skelact: 'stage{s}.merge.conv.b', layout: 'same' },
  { official: 'stages.{S}.blocks.0.downsample.bn.weight', skelact: 'stage{s}.merge.bn.gamma', layout: 'same' },
  { official: 'stages.{S}.blocks.0.downsample.bn.bias', skelact: 'stage{s}.merge.bn.beta', layout: 'same' },
  {
    official: 'stages.{S}.blocks.0.downsample.bn.running_mean',
    skelact: 'stage{s}.merge.bn.movingMean',
    layout: 'same',
  },
  {
    official: 'stages.{S}.blocks.0.downsample.bn.running_var',
    skelact: 'stage{s}.merge.bn.movingVariance',
    layout: 'same',
  },
  { official: 'stages.{S}.blocks.0.downsample.bn.num_batches_tracked', buffer: 'batchesTracked' },
];

const T = 'stages.{S}.blocks.{B}.transformer';
const K = 'stage{s}.block{b}';

/** One SkateFormerBlock. */
export const SKATEFORMER_BLOCK: readonly MapRow[] = [
  { official: `${T}.norm_1.weight`, skelact: `${K}.norm1.gamma`, layout: 'same' },
  { official: `${T}.norm_1.bias`, skelact: `${K}.norm1.beta`, layout: 'same' },
  { official: `${T}.mapping.weight`, skelact: `${K}.mapping.w`, layout: 'linear' },
  { official: `${T}.mapping.bias`, skelact: `${K}.mapping.b`, layout: 'same' },
  { official: `${T}.gconv`, skelact: `${K}.gconv`, layout: 'same' },
  { official: `${T}.tconv.weight`, skelact: `${K}.tconv.w`, layout: 'temporalConv' },
  { official: `${T}.tconv.bias`, skelact: `${K}.tconv.b`, layout: 'same' },
  { official: `${T}.proj.weight`, skelact: `${K}.proj.w`, layout: 'linear' },
  { official: `${T}.proj.bias`, skelact: `${K}.proj.b`, layout: 'same' },
  { official: `${T}.norm_2.weight`, skelact: `${K}.norm2.gamma`, layout: 'same' },
  { official: `${T}.norm_2.bias`, skelact: `${K}.norm2.beta`, layout: 'same' },
  { official: `${T}.mlp.fc1.weight`, skelact: `${K}.mlp.fc1.w`, layout: 'linear' },
  { official: `${T}.mlp.fc1.bias`, skelact: `${K}.mlp.fc1.b`, layout: 'same' },
  { official: `${T}.mlp.fc2.weight`, skelact: `${K}.mlp.fc2.w`, layout: 'linear' },
  { official: `${T}.mlp.fc2.bias`, skelact: `${K}.mlp.fc2.b`, layout: 'same' },
];

/** Each of the four Skate-MSA branches of a block ({I} = 0…3, {i} = 1…4). */
export const SKATEFORMER_ATTENTION: readonly MapRow[] = [
  {
    official: `${T}.attention.{I}.relative_position_bias_table`,
    skelact: `${K}.attention.type{i}.biasTable`,
    layout: 'same',
  },
  { official: `${T}.attention.{I}.relative_position_index`, buffer: 'relativePositionIndex' },
];

export const SKATEFORMER_HEAD: readonly NameRow[] = [
  { official: 'head.weight', skelact: 'head.w', layout: 'linear' },
  { official: 'head.bias', skelact: 'head.b', layout: 'same' },
];

const fill = (template: string, values: Record<string, number>) =>
  template.replace(/\{(\w)\}/g, (_, k: string) => String(values[k]));

/** The table written out for a model of `depths` stages with or without index_t. */
export function skateFormerNameMap(depths: readonly number[], indexT: boolean): MapRow[] {
  const rows: MapRow[] = [...SKATEFORMER_STEM, indexT ? SKATEFORMER_EMBEDDING.indexT : SKATEFORMER_EMBEDDING.learned];
  const instance = (row: MapRow, values: Record<string, number>): MapRow =>
    'buffer' in row
      ? { official: fill(row.official, values), buffer: row.buffer }
      : { official: fill(row.official, values), skelact: fill(row.skelact, values), layout: row.layout };
  depths.forEach((depth, S) => {
    const stage = { S, s: S + 1 };
    if (S > 0) rows.push(...SKATEFORMER_MERGE.map((r) => instance(r, stage)));
    for (let B = 0; B < depth; B++) {
      const block = { ...stage, B, b: B + 1 };
      rows.push(...SKATEFORMER_BLOCK.map((r) => instance(r, block)));
      for (let I = 0; I < 4; I++)
        rows.push(...SKATEFORMER_ATTENTION.map((r) => instance(r, { ...block, I, i: I + 1 })));
    }
  });
  rows.push(...SKATEFORMER_HEAD);
  return rows;
}
