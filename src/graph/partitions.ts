/**
 * SkateFormer's joint regrouping and the index tables of its four Skate-Type partitions,
 * derived from a layout's `skateformer.groups` table.
 *
 * Token axis convention (as the official model flattens persons into joints): token
 * v' = person · J' + j, where j runs over the regrouped joints (groups concatenated).
 * A partition of a [T, V'] token grid is a list of windows; each window lists its
 * tokens as flat indices t · V' + v'. The window and token orders follow the official
 * `type_k_partition` view/permute orders, so a model that gathers with these tables
 * and scatters back with their inverse reproduces the official code.
 */
import type { Layout } from './layout.js';

export interface SkateFormerJointOrder {
  /** Number of persons flattened into the token axis. */
  readonly persons: number;
  /** Regrouped joints per person (J'), e.g. 24 for NTU (SpineShoulder dropped). */
  readonly jointsPerPerson: number;
  /** Joints in one group (4 for NTU and Kinect-20). */
  readonly groupSize: number;
  /** Groups per person (6 for NTU, 5 for Kinect-20). */
  readonly groupsPerPerson: number;
  /** Layout joint index of each regrouped joint (length J'). */
  readonly jointOrder: Int32Array;
  /** Person and layout joint of each token v' (length persons · J'). */
  readonly tokenPerson: Int32Array;
  readonly tokenJoint: Int32Array;
  /** Groups of adjacent joints that form one type-1/3 window (L = groupSize · neighbourGroups). */
  readonly neighbourGroups: number;
}

/** SkateFormer's regrouped token order for a layout and person count. */
export function skateformerJointOrder(layout: Layout, persons: number): SkateFormerJointOrder {
  if (!layout.skateformer) throw new Error(`layout '${layout.name}' defines no SkateFormer groups`);
  if (!Number.isInteger(persons) || persons < 1) throw new Error(`persons must be a positive integer, got ${persons}`);
  const { groups, neighbourGroups } = layout.skateformer;
  const jointOrder = Int32Array.from(groups.flat());
  const J = jointOrder.length;
  const tokenPerson = new Int32Array(persons * J);
  const tokenJoint = new Int32Array(persons * J);
  for (let m = 0; m < persons; m++) {
    for (let j = 0; j < J; j++) {
      tokenPerson[m * J + j] = m;
      tokenJoint[m * J + j] = jointOrder[j];
    }
  }
  return {
    persons,
    jointsPerPerson: J,
    groupSize: groups[0].length,
    groupsPerPerson: groups.length,
    jointOrder,
    tokenPerson,
    tokenJoint,
    neighbourGroups,
  };
}

export type SkateType = 1 | 2 | 3 | 4;

/** Partition sizes [frames per window, joints per window] for each Skate-Type. */
export interface SkateTypeSizes {
  readonly type1: readonly [number, number]; // [N, L]
  readonly type2: readonly [number, number]; // [N, K]
  readonly type3: readonly [number, number]; // [M, L]
  readonly type4: readonly [number, number]; // [M, K]
}

/**
 * The official sizes: N = M = framesPerWindow (8), L = groupSize · neighbourGroups
 * (NTU 8, Kinect-20 4), K = groups · persons (NTU two persons 12, Kinect-20 5).
 */
export function skateTypeSizes(order: SkateFormerJointOrder, framesPerWindow = 8): SkateTypeSizes {
  const L = order.groupSize * order.neighbourGroups;
  const K = order.groupsPerPerson * order.persons;
  return {
    type1: [framesPerWindow, L],
    type2: [framesPerWindow, K],
    type3: [framesPerWindow, L],
    type4: [framesPerWindow, K],
  };
}

export interface PartitionTable {
  readonly type: SkateType;
  readonly windows: number;
  readonly tokensPerWindow: number;
  /** [windows · tokensPerWindow] flat token indices t · V + v. */
  readonly index: Int32Array;
  /** Window-local (row, column) of each token: (n, l) / (n, k) / (m, l) / (m, k). */
  readonly tokenRow: Int32Array;
  readonly tokenCol: Int32Array;
}

/**
 * Index table of one Skate-Type partition of a [T, V] token grid.
 *  - type 1: N consecutive frames × L consecutive tokens
 *  - type 2: N consecutive frames × K tokens spaced V/K apart (the same joint of every group)
 *  - type 3: M frames spaced T/M apart × L consecutive tokens
 *  - type 4: M frames spaced T/M apart × K tokens spaced V/K apart
 */
export function skateTypePartition(
  type: SkateType,
  T: number,
  V: number,
  size: readonly [number, number],
): PartitionTable {
  const [a, b] = size;
  if (T % a !== 0) throw new Error(`Skate-Type ${type}: T=${T} is not divisible by ${a}`);
  if (V % b !== 0) throw new Error(`Skate-Type ${type}: V=${V} is not divisible by ${b}`);
  const tOuter = T / a; // number of frame blocks (types 1,2) or stride (types 3,4)
  const vOuter = V / b; // number of joint blocks (types 1,3) or stride (types 2,4)
  const windows = tOuter * vOuter;
  const tokensPerWindow = a * b;
  const index = new Int32Array(windows * tokensPerWindow);
  const tokenRow = new Int32Array(tokensPerWindow);
  const tokenCol = new Int32Array(tokensPerWindow);
  let w = 0;
  for (let to = 0; to < tOuter; to++) {
    for (let vo = 0; vo < vOuter; vo++, w++) {
      for (let r = 0; r < a; r++) {
        for (let c = 0; c < b; c++) {
          const t = type === 1 || type === 2 ? to * a + r : r * tOuter + to;
          const v = type === 1 || type === 3 ? vo * b + c : c * vOuter + vo;
          const k = r * b + c;
          index[w * tokensPerWindow + k] = t * V + v;
          tokenRow[k] = r;
          tokenCol[k] = c;
        }
      }
    }
  }
  return { type, windows, tokensPerWindow, index, tokenRow, tokenCol };
}

/** Inverse of a partition table: position (window · tokens + k) of every grid token. */
export function inversePartition(table: PartitionTable): Int32Array {
  const inv = new Int32Array(table.index.length).fill(-1);
  for (let p = 0; p < table.index.length; p++) inv[table.index[p]] = p;
  return inv;
}

/**
 * How the types 1/3 bias is gathered:
 *  - 'official': as the official SkateFormer code does it. Its `.repeat(1, L, 1, L, 1, 1)` on
 *    an (N, 1, N, 1, H) tensor tiles rather than interleaves, so token q reads row q mod N of
 *    the N×N frame-offset index; with N = L (NTU) that is the offset between the two tokens'
 *    joint positions in the window, not their frame offset. Needed to match official weights.
 *  - 'frame-offset': the paper's description, the frame offset n_q − n_k.
 * Types 2/4 are the same in both modes.
 */
export type BiasIndexMode = 'official' | 'frame-offset';

/**
 * Relative-position-bias index of every (query, key) token pair of a window, into the
 * official tables: types 1/3 index a (2N−1) table (see BiasIndexMode); types 2/4 index a
 * (2N−1)·K·K table by frame offset and the absolute (query column, key column) pair.
 */
export function relativeBiasIndex(
  table: PartitionTable,
  mode: BiasIndexMode = 'official',
): { index: Int32Array; tableSize: number } {
  const n = table.tokensPerWindow;
  const rows = Math.max(...table.tokenRow) + 1;
  const cols = Math.max(...table.tokenCol) + 1;
  const out = new Int32Array(n * n);
  const joint = table.type === 2 || table.type === 4;
  for (let q = 0; q < n; q++) {
    for (let k = 0; k < n; k++) {
      if (joint) {
        const offset = table.tokenRow[q] - table.tokenRow[k] + rows - 1;
        out[q * n + k] = (offset * cols + table.tokenCol[q]) * cols + table.tokenCol[k];
      } else if (mode === 'official') {
        out[q * n + k] = (q % rows) - (k % rows) + rows - 1;
      } else {
        out[q * n + k] = table.tokenRow[q] - table.tokenRow[k] + rows - 1;
      }
    }
  }
  return { index: out, tableSize: joint ? (2 * rows - 1) * cols * cols : 2 * rows - 1 };
}
