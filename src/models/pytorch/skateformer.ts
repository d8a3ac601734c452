/**
 * Official SkateFormer weights in and out: a PyTorch state dict (./checkpoint.ts) becomes a
 * skelact SkateFormer through the name table of ./skateformer-names.ts, and a skelact
 * SkateFormer becomes the official state dict again (for `safetensors.torch.load_file` and
 * `model.load_state_dict`). Every tensor is checked before any is loaded: missing, left-over
 * and wrongly shaped tensors are reported together.
 */
import * as tf from '@tensorflow/tfjs';
import { getLayout, skateformerJointOrder, skateTypeSizes } from '../../graph/index.js';
import {
  createSkateFormer,
  parseSkateFormerConfig,
  type SkateFormerConfig,
  type SkateFormerConfigInput,
  type SkateFormerModel,
} from '../skateformer/index.js';
import { officialShape, toOfficial, toSkelact } from './layouts.js';
import { skateFormerNameMap, type MapRow } from './skateformer-names.js';
import { sizeOf, type HostTensor, type StateDict } from './tensors.js';
import { SkelactError } from '../../core/errors.js';

export class StateDictMismatchError extends SkelactError {
  readonly code = 'state-dict-mismatch';

  constructor(
    readonly family: string,
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly wrongShape: readonly string[],
    hint = '',
  ) {
    const parts = [
      missing.length > 0 ? `missing ${missing.length}: ${missing.join(', ')}` : '',
      unexpected.length > 0 ? `left over ${unexpected.length}: ${unexpected.join(', ')}` : '',
      wrongShape.length > 0 ? `wrong shape ${wrongShape.length}: ${wrongShape.join('; ')}` : '',
    ].filter(Boolean);
    super(`the state dict does not fit ${family}${hint ? ` (${hint})` : ''}: ${parts.join(' | ')}`);
  }
}

/** The relative_position_index buffer of the official attention: (N, N), n − n' + N − 1. */
function relativePositionIndex(N: number): HostTensor {
  const data = new BigInt64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) data[i * N + j] = BigInt(i - j + N - 1);
  return { dtype: 'int64', shape: [N, N], data };
}

function bufferValue(row: MapRow & { buffer: string }, config: SkateFormerConfig): HostTensor {
  return row.buffer === 'relativePositionIndex'
    ? relativePositionIndex(config.partitionFrames)
    : { dtype: 'int64', shape: [], data: new BigInt64Array(1) };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const shapeText = (s: readonly number[]) => `(${s.join(', ')})`;

/**
 * Builds a SkateFormer of `config` and loads an official state dict into it. Throws
 * StateDictMismatchError (listing every problem) before loading anything.
 */
export function skateFormerFromStateDict(
  state: StateDict,
  input: SkateFormerConfig | SkateFormerConfigInput,
): SkateFormerModel {
  const config = parseSkateFormerConfig(input);
  if (config.biasMode !== 'official')
    throw new Error(
      `SkateFormer config: field 'biasMode' is '${config.biasMode}'; official weights need 'official' (the official code's bias tiling)`,
    );
  const model = createSkateFormer(config, 0);
  try {
    const rows = skateFormerNameMap(config.depths, config.indexT);
    const known = new Set(rows.map((r) => r.official));
    const missing: string[] = [];
    const wrongShape: string[] = [];
    const problems: string[] = [];
    for (const row of rows) {
      const t = state.get(row.official);
      if (!t) {
        missing.push(row.official);
        continue;
      }
      if ('buffer' in row) {
        const expected = bufferValue(row, config);
        if (!same(t.shape, expected.shape))
          wrongShape.push(`${row.official} is ${shapeText(t.shape)}, expected ${shapeText(expected.shape)}`);
        else if (t.dtype !== 'int64') problems.push(`${row.official} is ${t.dtype}, expected int64`);
        else if (
          row.buffer === 'relativePositionIndex' &&
          !(t.data as BigInt64Array).every((v, i) => v === (expected.data as BigInt64Array)[i])
        )
          problems.push(`${row.official} differs from the official index n − n' + N − 1 (weights of modified code?)`);
        continue;
      }
      const shape = officialShape(row.layout, model.params.get(row.skelact).shape);
      if (!same(t.shape, shape))
        wrongShape.push(`${row.official} is ${shapeText(t.shape)}, expected ${shapeText(shape)}`);
      else if (t.dtype !== 'float32') problems.push(`${row.official} is ${t.dtype}, expected a float tensor`);
    }
    const unexpected = [...state.keys()].filter((k) => !known.has(k));
    if (missing.length + unexpected.length + wrongShape.length > 0) {
      const hint =
        missing.length === rows.length
          ? 'none of its tensors has an official SkateFormer name: another family?'
          : wrongShape.length > 0
            ? `the config is ${config.layout}, ${config.persons} person(s), ${config.classes} classes, channels [${config.channels.join(', ')}], depths [${config.depths.join(', ')}], MLP ratio ${config.mlpRatio}: a checkpoint of another preset?`
            : '';
      throw new StateDictMismatchError('the official SkateFormer', missing, unexpected, wrongShape, hint);
    }
    if (problems.length > 0)
      throw new Error(`the state dict does not fit the official SkateFormer: ${problems.join('; ')}`);
    for (const row of rows) {
      if ('buffer' in row) continue;
      const variable = model.params.get(row.skelact);
      const values = toSkelact(state.get(row.official)!, row.layout, variable.shape);
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
    }
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** A skelact SkateFormer's weights as the official state dict (official names and layouts). */
export function skateFormerToStateDict(model: SkateFormerModel): StateDict {
  const { config } = model;
  if (config.biasMode !== 'official')
    throw new Error(
      `a SkateFormer with biasMode '${config.biasMode}' computes something the official code does not; only 'official' models can be exported to PyTorch`,
    );
  const out: StateDict = new Map();
  for (const row of skateFormerNameMap(config.depths, config.indexT)) {
    if ('buffer' in row) {
      out.set(row.official, bufferValue(row, config));
      continue;
    }
    const variable = model.params.get(row.skelact);
    const values = toOfficial(variable.dataSync() as Float32Array, row.layout, variable.shape);
    const shape = officialShape(row.layout, variable.shape);
    if (sizeOf(shape) !== values.length)
      throw new Error(`${row.official}: ${values.length} values for ${shapeText(shape)}`);
    out.set(row.official, { dtype: 'float32', shape, data: Float32Array.from(values) });
  }
  return out;
}

/**
 * The keyword arguments of the official `SkateFormer(...)` constructor that builds the same
 * network (eval-time: the dropout rates are carried over for training).
 */
export function officialSkateFormerArgs(input: SkateFormerConfig | SkateFormerConfigInput): Record<string, unknown> {
  const config = parseSkateFormerConfig(input);
  const order = skateformerJointOrder(getLayout(config.layout), config.persons);
  const sizes = skateTypeSizes(order, config.partitionFrames);
  return {
    in_channels: config.inChannels,
    depths: [...config.depths],
    channels: [...config.channels],
    num_classes: config.classes,
    embed_dim: config.embedDim,
    num_people: config.persons,
    num_frames: config.frames,
    num_points: order.jointsPerPerson,
    kernel_size: config.kernel,
    num_heads: config.heads,
    type_1_size: [...sizes.type1],
    type_2_size: [...sizes.type2],
    type_3_size: [...sizes.type3],
    type_4_size: [...sizes.type4],
    attn_drop: config.attnDrop,
    head_drop: config.headDrop,
    drop_path: config.dropPath,
    rel: true,
    mlp_ratio: config.mlpRatio,
    index_t: config.indexT,
    global_pool: 'avg',
  };
}
