/**
 * Graph matrices derived from a layout's bone tree: the ST-GCN/CTR-GCN spatial
 * partition (self, inward, outward), k-hop adjacency and hop distances.
 *
 * These are small V×V matrices computed once per model, so mathjs does the
 * matrix algebra; tensor work stays in TensorFlow.js. Only the three functions used are built,
 * through mathjs's factory functions (`create` with their dependencies), so a bundler keeps
 * those and leaves the rest of mathjs (its parser, units, big numbers, …) out.
 */
import { type Matrix, create, identityDependencies, matrixDependencies, multiplyDependencies } from 'mathjs';
import type { Layout } from './layout.js';

let algebra:
  | {
      identity: (n: number) => unknown;
      matrix: (rows: number[][]) => Matrix;
      multiply: (a: Matrix, b: Matrix) => unknown;
    }
  | undefined;

/** The three mathjs functions, built on first use (a bundle that never calls them drops mathjs). */
function mathjs(): NonNullable<typeof algebra> {
  return (algebra ??= create({ identityDependencies, matrixDependencies, multiplyDependencies }) as NonNullable<
    typeof algebra
  >);
}

/** A dense square matrix as rows of numbers. */
export type DenseMatrix = number[][];

function toRows(m: Matrix): DenseMatrix {
  return m.toArray() as number[][];
}

/** Undirected 0/1 adjacency of the bone tree (no self loops). */
export function boneAdjacency(layout: Layout): DenseMatrix {
  const V = layout.numJoints;
  const a: DenseMatrix = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const [c, p] of layout.bones) {
    a[c][p] = 1;
    a[p][c] = 1;
  }
  return a;
}

/**
 * Directed edge matrix in CTR-GCN's `edge2mat` convention: for each edge (i, j),
 * A[j][i] = 1, so row j gathers from joint i.
 */
function edgeMatrix(V: number, edges: ReadonlyArray<readonly [number, number]>): DenseMatrix {
  const a: DenseMatrix = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const [i, j] of edges) a[j][i] = 1;
  return a;
}

/** Column normalisation A·D⁻¹ with D the column sums (CTR-GCN `normalize_digraph`). */
export function normalizeDigraph(a: DenseMatrix): DenseMatrix {
  const V = a.length;
  const colSum = new Array<number>(V).fill(0);
  for (let i = 0; i < V; i++) for (let j = 0; j < V; j++) colSum[j] += a[i][j];
  return a.map((row) => row.map((x, j) => (colSum[j] > 0 ? x / colSum[j] : 0)));
}

/**
 * The spatial partition [I, norm(A_in), norm(A_out)] with inward edges (child → parent,
 * towards the centre) and outward edges (parent → child), as ST-GCN/CTR-GCN build it.
 */
export function spatialPartition(layout: Layout): { self: DenseMatrix; inward: DenseMatrix; outward: DenseMatrix } {
  const V = layout.numJoints;
  const inwardEdges = layout.bones.map(([c, p]) => [c, p] as const);
  const outwardEdges = layout.bones.map(([c, p]) => [p, c] as const);
  return {
    self: Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => (i === j ? 1 : 0))),
    inward: normalizeDigraph(edgeMatrix(V, inwardEdges)),
    outward: normalizeDigraph(edgeMatrix(V, outwardEdges)),
  };
}

/** Symmetrically normalised adjacency D^-1/2 (A + I) D^-1/2 (GCN of Kipf & Welling). */
export function symmetricNormalizedAdjacency(layout: Layout): DenseMatrix {
  const a = boneAdjacency(layout).map((row, i) => row.map((x, j) => (i === j ? 1 : x)));
  const deg = a.map((row) => row.reduce((s, x) => s + x, 0));
  return a.map((row, i) => row.map((x, j) => x / Math.sqrt(deg[i] * deg[j])));
}

/**
 * Hop distance between every pair of joints along bones; Infinity beyond maxHop
 * (ST-GCN `get_hop_distance`, computed from powers of A with mathjs).
 */
export function hopDistances(layout: Layout, maxHop = layout.numJoints): DenseMatrix {
  const V = layout.numJoints;
  const { identity, matrix, multiply } = mathjs();
  const a = matrix(boneAdjacency(layout));
  const dist: DenseMatrix = Array.from({ length: V }, () => new Array<number>(V).fill(Infinity));
  let power = identity(V) as Matrix; // A^0
  for (let d = 0; d <= maxHop; d++) {
    const reach = toRows(power);
    for (let i = 0; i < V; i++)
      for (let j = 0; j < V; j++) if (reach[i][j] > 0 && dist[i][j] === Infinity) dist[i][j] = d;
    power = multiply(power, a) as Matrix;
  }
  return dist;
}

/**
 * Adjacency of joints exactly k hops apart (MS-G3D `k_adjacency`):
 * min((A+I)^k, 1) − min((A+I)^(k−1), 1), plus I when withSelf.
 */
export function kHopAdjacency(layout: Layout, k: number, withSelf = false): DenseMatrix {
  if (!Number.isInteger(k) || k < 0) throw new Error(`kHopAdjacency: k must be a non-negative integer, got ${k}`);
  const V = layout.numJoints;
  const { identity, matrix, multiply } = mathjs();
  const eye = identity(V) as Matrix;
  if (k === 0) return toRows(eye);
  const aI = matrix(boneAdjacency(layout).map((row, i) => row.map((x, j) => (i === j ? 1 : x))));
  let prev = eye;
  for (let i = 0; i < k - 1; i++) prev = multiply(prev, aI) as Matrix;
  const cur = multiply(prev, aI) as Matrix;
  const p = toRows(prev);
  const c = toRows(cur);
  return c.map((row, i) => row.map((x, j) => Math.min(x, 1) - Math.min(p[i][j], 1) + (withSelf && i === j ? 1 : 0)));
}

/**
 * I − A_out^k with A_out the binary "row gathers from parent" matrix (InfoGCN/GAP's k-hop
 * input transform): applied to joint features it gives joint minus k-th ancestor for joints
 * at least k levels below the centre; joints closer to the centre (and the centre itself)
 * keep their own position, unlike `bones()`, which gives 0 at the centre. InfoGCN and GAP
 * root their tree at SpineMid, so pass the matching tree to reproduce them exactly.
 */
export function ancestorDifferenceMatrix(layout: Layout, k: number): DenseMatrix {
  const V = layout.numJoints;
  const toParent: DenseMatrix = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const [c, p] of layout.bones) toParent[c][p] = 1;
  const { identity, matrix, multiply } = mathjs();
  let power = identity(V) as Matrix;
  for (let i = 0; i < k; i++) power = multiply(power, matrix(toParent)) as Matrix;
  const pk = toRows(power);
  return pk.map((row, i) => row.map((x, j) => (i === j ? 1 : 0) - x));
}
