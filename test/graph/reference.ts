/**
 * Independent reference facts and naive computations for the graph tests.
 *
 * Everything here is written from the reference documents (docs/…/models.md, data.md) or
 * from first principles with plain loops; nothing calls src/graph to produce an
 * expectation. The raw layout JSON files are read directly (by joint *name*), so parent
 * maps built here do not depend on buildLayout.
 */
import { prng } from '../helpers/prng.js';
import ntu25 from '../../src/graph/layouts/ntu-25.json' with { type: 'json' };
import kinect20 from '../../src/graph/layouts/kinect-20.json' with { type: 'json' };
import coco17 from '../../src/graph/layouts/coco-17.json' with { type: 'json' };
import openpose18 from '../../src/graph/layouts/openpose-18.json' with { type: 'json' };
import blazepose33 from '../../src/graph/layouts/blazepose-33.json' with { type: 'json' };

export interface RawLayout {
  name: string;
  joints: string[];
  center: string;
  bones: [string, string][];
  mirror: [string, string][];
  mirrorAxis: number;
  parts: Record<string, string[]>;
  gapParts: Record<string, string | string[]>;
  skateformer?: { source: string; groups: string[][]; neighbourGroups: number };
  partStreams: { source: string; body: string; hand: string[]; leg: string[] };
  [key: string]: unknown;
}

export const RAW_LAYOUTS: Record<string, RawLayout> = {
  'ntu-25': ntu25 as unknown as RawLayout,
  'kinect-20': kinect20 as unknown as RawLayout,
  'blazepose-33': blazepose33 as unknown as RawLayout,
  'coco-17': coco17 as unknown as RawLayout,
  'openpose-18': openpose18 as unknown as RawLayout,
};

/** A deep copy of a shipped layout table, for mutation tests. */
export function rawCopy(name: string): RawLayout {
  return structuredClone(RAW_LAYOUTS[name]);
}

/** Joint counts of the five formats (data.md §1.2, §2; COCO 17, OpenPose 18, BlazePose 33). */
export const JOINT_COUNTS: Record<string, number> = {
  'ntu-25': 25,
  'kinect-20': 20,
  'blazepose-33': 33,
  'coco-17': 17,
  'openpose-18': 18,
};

/** data.md §1.2: the 25 Kinect v2 joints, NTU order. */
export const NTU_JOINTS = [
  'SpineBase',
  'SpineMid',
  'Neck',
  'Head',
  'ShoulderLeft',
  'ElbowLeft',
  'WristLeft',
  'HandLeft',
  'ShoulderRight',
  'ElbowRight',
  'WristRight',
  'HandRight',
  'HipLeft',
  'KneeLeft',
  'AnkleLeft',
  'FootLeft',
  'HipRight',
  'KneeRight',
  'AnkleRight',
  'FootRight',
  'SpineShoulder',
  'HandTipLeft',
  'ThumbLeft',
  'HandTipRight',
  'ThumbRight',
];

/** data.md §1.3: CTR-GCN `inward` (child, parent), 1-based, centre 21. */
export const NTU_BONES_1 = [
  [1, 2],
  [2, 21],
  [3, 21],
  [4, 3],
  [5, 21],
  [6, 5],
  [7, 6],
  [8, 7],
  [9, 21],
  [10, 9],
  [11, 10],
  [12, 11],
  [13, 1],
  [14, 13],
  [15, 14],
  [16, 15],
  [17, 1],
  [18, 17],
  [19, 18],
  [20, 19],
  [22, 23],
  [23, 8],
  [24, 25],
  [25, 12],
] as const;
export const NTU_CENTER_1 = 21;

/** data.md §2: the UTKinect / NW-UCLA Kinect v1 joint order. */
export const KINECT20_JOINTS = [
  'HipCenter',
  'Spine',
  'ShoulderCenter',
  'Head',
  'ShoulderLeft',
  'ElbowLeft',
  'WristLeft',
  'HandLeft',
  'ShoulderRight',
  'ElbowRight',
  'WristRight',
  'HandRight',
  'HipLeft',
  'KneeLeft',
  'AnkleLeft',
  'FootLeft',
  'HipRight',
  'KneeRight',
  'AnkleRight',
  'FootRight',
];

/** data.md §2: NW-UCLA graph edges (CTR-GCN graph/ucla.py), 1-based (child, parent); the root is 3. */
export const UCLA_BONES_1 = [
  [1, 2],
  [2, 3],
  [4, 3],
  [5, 3],
  [6, 5],
  [7, 6],
  [8, 7],
  [9, 3],
  [10, 9],
  [11, 10],
  [12, 11],
  [13, 1],
  [14, 13],
  [15, 14],
  [16, 15],
  [17, 1],
  [18, 17],
  [19, 18],
  [20, 19],
] as const;
export const UCLA_CENTER_1 = 3;

/** models.md §1.1: SkateFormer `new_idx` groups, 1-based, in the code's order. */
export const SKATEFORMER_NTU_GROUPS_1 = [
  [7, 8, 22, 23],
  [11, 12, 24, 25],
  [13, 14, 15, 16],
  [17, 18, 19, 20],
  [5, 9, 6, 10],
  [2, 3, 1, 4],
];
/** models.md §1.1: NW-UCLA groups, 1-based. */
export const SKATEFORMER_UCLA_GROUPS_1 = [
  [5, 6, 7, 8],
  [9, 10, 11, 12],
  [13, 14, 15, 16],
  [17, 18, 19, 20],
  [2, 3, 1, 4],
];

/** models.md §2: PSUMNet streams, 0-based NTU joints. */
export const PSUMNET_HAND_0 = [20, 4, 5, 6, 7, 21, 22, 8, 9, 10, 11, 23, 24];
export const PSUMNET_LEG_0 = [0, 12, 13, 14, 15, 16, 17, 18, 19];

/** models.md §3: GAP joint subsets, 0-based. */
export const GAP_NTU_0 = {
  head: [2, 3, 20],
  hand: [4, 5, 6, 7, 8, 9, 10, 11, 21, 22, 23, 24],
  hip: [0, 1, 2, 12, 16],
  foot: [12, 13, 14, 15, 16, 17, 18, 19],
};
export const GAP_UCLA_0 = {
  head: [2, 3],
  hand: [4, 5, 6, 7, 8, 9, 10, 11],
  hip: [0, 1, 12, 16],
  foot: [12, 13, 14, 15, 16, 17, 18, 19],
};

/** models.md §4: BRL partial mixup halves, 0-based NTU. */
export const BRL_UPPER_0 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20, 21, 22, 23, 24];
export const BRL_LOWER_0 = [0, 12, 13, 14, 15, 16, 17, 18, 19];

// ---------------------------------------------------------------------------------------
// Trees from raw tables
// ---------------------------------------------------------------------------------------

export interface RefTree {
  V: number;
  root: number;
  /** parent[v]; the root is its own parent. */
  parent: number[];
  /** undirected edges as index pairs (child, parent) */
  edges: [number, number][];
}

/** Parent map from 1-based (child, parent) pairs. */
export function treeFrom1Based(V: number, pairs: ReadonlyArray<readonly [number, number]>, root1: number): RefTree {
  const parent = new Array<number>(V).fill(-1);
  parent[root1 - 1] = root1 - 1;
  const edges: [number, number][] = [];
  for (const [c, p] of pairs) {
    parent[c - 1] = p - 1;
    edges.push([c - 1, p - 1]);
  }
  return { V, root: root1 - 1, parent, edges };
}

/** Parent map from a raw layout table's named bones (independent of buildLayout). */
export function treeFromRaw(raw: RawLayout): RefTree {
  const V = raw.joints.length;
  const at = (n: string): number => {
    const i = raw.joints.indexOf(n);
    if (i < 0) throw new Error(`reference: unknown joint ${n}`);
    return i;
  };
  const root = at(raw.center);
  const parent = new Array<number>(V).fill(-1);
  parent[root] = root;
  const edges: [number, number][] = [];
  for (const [c, p] of raw.bones) {
    parent[at(c)] = at(p);
    edges.push([at(c), at(p)]);
  }
  return { V, root, parent, edges };
}

/** Adjacency lists of an undirected edge list. */
export function neighbours(V: number, edges: ReadonlyArray<readonly [number, number]>): number[][] {
  const nb: number[][] = Array.from({ length: V }, () => []);
  for (const [a, b] of edges) {
    nb[a].push(b);
    nb[b].push(a);
  }
  return nb;
}

/** Plain BFS distances from one source (Infinity when unreachable). */
export function bfs(V: number, edges: ReadonlyArray<readonly [number, number]>, src: number): number[] {
  const nb = neighbours(V, edges);
  const dist = new Array<number>(V).fill(Infinity);
  dist[src] = 0;
  const queue = [src];
  for (let h = 0; h < queue.length; h++) {
    const u = queue[h];
    for (const w of nb[u]) {
      if (dist[w] === Infinity) {
        dist[w] = dist[u] + 1;
        queue.push(w);
      }
    }
  }
  return dist;
}

/** k-th ancestor by walking parents, or -1 when the walk leaves the tree above the root. */
export function walkUp(tree: RefTree, v: number, k: number): number {
  let u = v;
  for (let i = 0; i < k; i++) {
    if (u === tree.root) return -1;
    u = tree.parent[u];
  }
  return u;
}

/** k-th ancestor by walking parents, staying at the root once reached. */
export function walkUpClamped(tree: RefTree, v: number, k: number): number {
  let u = v;
  for (let i = 0; i < k; i++) u = tree.parent[u];
  return u;
}

// ---------------------------------------------------------------------------------------
// Torch view/permute emulation (row-major, contiguous)
// ---------------------------------------------------------------------------------------

/**
 * `x.view(shape).permute(perm).contiguous()` on a flat row-major buffer: returns the
 * permuted tensor, flattened row-major. This is the definition of the PyTorch ops, written
 * out with an odometer over the output dimensions.
 */
export function viewPermute(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): number[] {
  const total = shape.reduce((a, b) => a * b, 1);
  if (total !== data.length) throw new Error(`view: ${shape.join('x')} does not match ${data.length} values`);
  if ([...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new Error('permute: not a permutation');
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  const outShape = perm.map((p) => shape[p]);
  const idx = new Array<number>(outShape.length).fill(0);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    let off = 0;
    for (let d = 0; d < idx.length; d++) off += idx[d] * strides[perm[d]];
    out.push(data[off]);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * The official `type_k_partition` of a (B=1, C=1, T, V) grid of token ids t·V + v, with the
 * exact view shapes and permute orders of SkateFormer's model file (models.md §1.2):
 *   type 1: view(B,C,T/N,N,V/L,L)  permute(0,2,4,3,5,1)
 *   type 2: view(B,C,T/N,N,K,V/K)  permute(0,2,5,3,4,1)
 *   type 3: view(B,C,M,T/M,V/L,L)  permute(0,3,4,2,5,1)
 *   type 4: view(B,C,M,T/M,K,V/K)  permute(0,3,5,2,4,1)
 * followed by view(-1, a·b): the flat result lists windows one after another.
 */
export function officialPartition(
  type: 1 | 2 | 3 | 4,
  T: number,
  V: number,
  size: readonly [number, number],
): number[] {
  const [a, b] = size;
  const grid = Array.from({ length: T * V }, (_, i) => i);
  const B = 1;
  const C = 1;
  switch (type) {
    case 1:
      return viewPermute(grid, [B, C, T / a, a, V / b, b], [0, 2, 4, 3, 5, 1]);
    case 2:
      return viewPermute(grid, [B, C, T / a, a, b, V / b], [0, 2, 5, 3, 4, 1]);
    case 3:
      return viewPermute(grid, [B, C, a, T / a, V / b, b], [0, 3, 4, 2, 5, 1]);
    case 4:
      return viewPermute(grid, [B, C, a, T / a, b, V / b], [0, 3, 5, 2, 4, 1]);
  }
}

/**
 * The official `type_k_reverse` applied to a partitioned buffer whose value at position p
 * is p: the result, read as a (T, V) grid, tells for every token where it sits in the
 * partitioned buffer, i.e. the inverse permutation.
 *   reverse view: (B, T/a, V/b, a, b, C), then permute
 *   type 1 (0,5,1,3,2,4), type 2 (0,5,1,3,4,2), type 3 (0,5,3,1,2,4), type 4 (0,5,3,1,4,2)
 */
export function officialReverse(type: 1 | 2 | 3 | 4, T: number, V: number, size: readonly [number, number]): number[] {
  const [a, b] = size;
  const positions = Array.from({ length: T * V }, (_, i) => i);
  const shape = [1, T / a, V / b, a, b, 1];
  const perms: Record<number, number[]> = {
    1: [0, 5, 1, 3, 2, 4],
    2: [0, 5, 1, 3, 4, 2],
    3: [0, 5, 3, 1, 2, 4],
    4: [0, 5, 3, 1, 4, 2],
  };
  return viewPermute(positions, shape, perms[type]);
}

/** SkateFormer's `get_relative_position_index_1d(N)`: index1d[i][j] = i − j + N − 1. */
function index1d(N: number, i: number, j: number): number {
  return i - j + N - 1;
}

/**
 * The relative-bias gather index of every (query, key) pair of a window, as models.md §1.2
 * describes it: types 1/3 index a (2N−1) table by the frame offset n_q − n_k only; types 2/4
 * index a (2N−1)·K·K table by frame offset and the (query column, key column) pair, flat
 * index (offset·K + k_q)·K + k_k. Window tokens are ordered (row, column) row-major, as
 * `.view(-1, a·b, C)` orders them.
 */
export function documentedBiasIndex(type: 1 | 2 | 3 | 4, size: readonly [number, number]): number[] {
  const [N, W] = size;
  const out: number[] = [];
  for (let q = 0; q < N * W; q++) {
    for (let k = 0; k < N * W; k++) {
      const nq = Math.floor(q / W);
      const nk = Math.floor(k / W);
      const off = index1d(N, nq, nk);
      out.push(type === 1 || type === 3 ? off : (off * W + (q % W)) * W + (k % W));
    }
  }
  return out;
}

/**
 * The gather index that the official `_get_relative_positional_bias` really produces,
 * emulated op by op:
 *  - types 2/4: table[index1d] viewed (N, N, K, K, h), permute(0,2,1,3,4), view (NK, NK, h).
 *  - types 1/3: table[index1d] viewed (N, N, h), unsqueeze(1).unsqueeze(3) → (N,1,N,1,h), then
 *    `.repeat(1, L, 1, L, 1, 1)`: six repeat sizes for a five-dimensional tensor, so torch
 *    treats it as (1,N,1,N,1,h) and *tiles* (like np.tile) to (1, N·L, 1, N·L, 1, h); viewed
 *    (NL, NL, h) the entry for tokens (q, k) is index1d[q mod N][k mod N].
 */
export function officialBiasIndex(type: 1 | 2 | 3 | 4, size: readonly [number, number]): number[] {
  const [N, W] = size;
  if (type === 1 || type === 3) {
    // x: (1, N, 1, N, 1) holding index1d; torch.repeat tiles: out[i] = x[i mod size].
    const x = (i: number, j: number): number => index1d(N, i, j);
    const tiled: number[] = [];
    for (let i = 0; i < N * W; i++) for (let j = 0; j < N * W; j++) tiled.push(x(i % N, j % N));
    return tiled; // view (NL, NL): already row-major over (i, j)
  }
  // Gathered G[nq][nk][kq][kk] = flat index (index1d(nq,nk)·K + kq)·K + kk, row-major.
  const gathered: number[] = [];
  for (let nq = 0; nq < N; nq++)
    for (let nk = 0; nk < N; nk++)
      for (let kq = 0; kq < W; kq++)
        for (let kk = 0; kk < W; kk++) gathered.push((index1d(N, nq, nk) * W + kq) * W + kk);
  return viewPermute(gathered, [N, N, W, W], [0, 2, 1, 3]);
}

// ---------------------------------------------------------------------------------------
// Deterministic random numbers
// ---------------------------------------------------------------------------------------

export { prng };

/** Float32 buffer of n values in [−2, 2) from a seed. */
export function randomValues(n: number, seed: number): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: n }, () => 4 * r() - 2);
}

/** Index of element [m][t][v][c] in a [M][T][V][C] row-major buffer. */
export function at4(T: number, V: number, C: number, m: number, t: number, v: number, c: number): number {
  return ((m * T + t) * V + v) * C + c;
}

export function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
