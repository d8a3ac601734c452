/**
 * Graph matrices against hand-built versions: the CTR-GCN spatial partition built from the
 * data.md bone list, BFS hop distances, MS-G3D k-hop adjacency and the InfoGCN/GAP
 * (I − A_out^k) input transform, all written with plain loops here.
 */
import test from 'ava';
import {
  LAYOUT_NAMES,
  getLayout,
  boneAdjacency,
  spatialPartition,
  normalizeDigraph,
  symmetricNormalizedAdjacency,
  hopDistances,
  kHopAdjacency,
  ancestorDifferenceMatrix,
} from '../../src/graph/index.js';
import { NTU_BONES_1, RAW_LAYOUTS, UCLA_BONES_1, bfs, prng, treeFrom1Based, treeFromRaw, walkUp } from './reference.js';

const zeros = (V: number): number[][] => Array.from({ length: V }, () => new Array<number>(V).fill(0));

/** CTR-GCN `edge2mat`: for each edge (i, j), A[j][i] = 1. */
function edge2mat(V: number, edges: ReadonlyArray<readonly [number, number]>): number[][] {
  const a = zeros(V);
  for (const [i, j] of edges) a[j][i] = 1;
  return a;
}

/** CTR-GCN `normalize_digraph`: A · diag(1 / column sum), zero columns left zero. */
function normalizeColumns(a: number[][]): number[][] {
  const V = a.length;
  const out = zeros(V);
  for (let j = 0; j < V; j++) {
    let s = 0;
    for (let i = 0; i < V; i++) s += a[i][j];
    for (let i = 0; i < V; i++) out[i][j] = s > 0 ? a[i][j] / s : 0;
  }
  return out;
}

function assertClose(
  t: import('ava').ExecutionContext,
  got: number[][],
  want: number[][],
  what: string,
  tol = 1e-12,
): void {
  t.is(got.length, want.length, `${what}: rows`);
  let worst = 0;
  let where = '';
  for (let i = 0; i < want.length; i++) {
    t.is(got[i].length, want[i].length, `${what}: row ${i} length`);
    for (let j = 0; j < want[i].length; j++) {
      const d = Math.abs(got[i][j] - want[i][j]);
      if (!(d <= tol) && !(got[i][j] === want[i][j])) {
        worst = Math.max(worst, Number.isFinite(d) ? d : Infinity);
        where ||= `[${i}][${j}] got ${got[i][j]} want ${want[i][j]}`;
      }
    }
  }
  t.is(where, '', `${what}: first mismatch`);
}

test('NTU spatial partition equals the CTR-GCN construction from the data.md bone list', (t) => {
  const V = 25;
  const inward = NTU_BONES_1.map(([c, p]) => [c - 1, p - 1] as const);
  const outward = inward.map(([c, p]) => [p, c] as const);
  const identity = Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => (i === j ? 1 : 0)));
  const want = {
    self: identity,
    inward: normalizeColumns(edge2mat(V, inward)),
    outward: normalizeColumns(edge2mat(V, outward)),
  };
  const got = spatialPartition(getLayout('ntu-25'));
  assertClose(t, got.self, want.self, 'self');
  assertClose(t, got.inward, want.inward, 'inward');
  assertClose(t, got.outward, want.outward, 'outward');
  // Spot values by hand: inward row 20 (SpineShoulder) gathers from its 5 children, each column
  // holding a single 1; outward column 20 spreads over those 5 children with 1/5 each.
  t.is(got.inward[20][1], 1); // SpineMid → SpineShoulder
  t.is(got.inward[1][20], 0);
  t.is(got.outward[1][20], 1 / 4); // SpineShoulder has 4 children: SpineMid, Neck, ShoulderLeft, ShoulderRight
  t.is(got.outward[4][20], 1 / 4);
  t.is(got.outward[12][0], 1 / 2); // SpineBase has 2 children: the hips
  t.is(got.outward[22][7], 1); // HandLeft's only child is ThumbLeft (CTR-GCN hand edges)
});

test('Kinect-20 spatial partition equals the CTR-GCN construction from the UCLA edge list', (t) => {
  const V = 20;
  const inward = UCLA_BONES_1.map(([c, p]) => [c - 1, p - 1] as const);
  const outward = inward.map(([c, p]) => [p, c] as const);
  const got = spatialPartition(getLayout('kinect-20'));
  assertClose(t, got.inward, normalizeColumns(edge2mat(V, inward)), 'inward');
  assertClose(t, got.outward, normalizeColumns(edge2mat(V, outward)), 'outward');
});

test('normalizeDigraph divides every column by its sum (hand example)', (t) => {
  const a = [
    [0, 1, 1],
    [1, 0, 1],
    [0, 0, 2],
  ];
  t.deepEqual(normalizeDigraph(a), [
    [0, 1, 0.25],
    [1, 0, 0.25],
    [0, 0, 0.5],
  ]);
  t.deepEqual(
    normalizeDigraph([
      [0, 0],
      [0, 0],
    ]),
    [
      [0, 0],
      [0, 0],
    ],
  );
});

test('column sums of the normalised inward/outward matrices are 0 or 1, as the tree dictates', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    const { inward, outward } = spatialPartition(layout);
    const V = layout.numJoints;
    for (let j = 0; j < V; j++) {
      let si = 0;
      let so = 0;
      for (let i = 0; i < V; i++) {
        si += inward[i][j];
        so += outward[i][j];
      }
      const hasChildren = ref.parent.some((p, c) => c !== ref.root && p === j);
      t.true(Math.abs(si - (j === ref.root ? 0 : 1)) < 1e-12, `${name}: inward column ${j} sums to ${si}`);
      t.true(Math.abs(so - (hasChildren ? 1 : 0)) < 1e-12, `${name}: outward column ${j} sums to ${so}`);
    }
  }
});

test('boneAdjacency is the symmetric 0/1 matrix of the raw bones; symmetric normalisation by hand', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    const V = ref.V;
    const a = zeros(V);
    for (const [c, p] of ref.edges) a[c][p] = a[p][c] = 1;
    t.deepEqual(boneAdjacency(layout), a, name);
    const deg = a.map((row, i) => row.reduce((s, x) => s + x, 0) + 1);
    const want = a.map((row, i) => row.map((x, j) => (i === j ? 1 : x) / Math.sqrt(deg[i] * deg[j])));
    assertClose(t, symmetricNormalizedAdjacency(layout), want, `${name}: D^-1/2 (A+I) D^-1/2`);
  }
});

test('hop distances equal BFS distances for every layout', (t) => {
  for (const name of LAYOUT_NAMES) {
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    const want = Array.from({ length: ref.V }, (_, s) => bfs(ref.V, ref.edges, s));
    t.deepEqual(hopDistances(getLayout(name)), want, name);
  }
});

test('hop distances beyond maxHop are Infinity', (t) => {
  const ref = treeFromRaw(RAW_LAYOUTS['ntu-25']);
  const got = hopDistances(getLayout('ntu-25'), 2);
  for (let s = 0; s < ref.V; s++) {
    const d = bfs(ref.V, ref.edges, s);
    t.deepEqual(
      got[s],
      d.map((x) => (x <= 2 ? x : Infinity)),
      `row ${s}`,
    );
  }
  // hand check: HandTipLeft (21) → ThumbLeft → HandLeft → WristLeft → ElbowLeft → ShoulderLeft → SpineShoulder is 6 hops; twice that to HandTipRight (23)
  t.is(hopDistances(getLayout('ntu-25'))[21][23], 12);
});

test('k-hop adjacency (MS-G3D) equals [dist == k] (+ I with self) for every layout', (t) => {
  for (const name of LAYOUT_NAMES) {
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    const dist = Array.from({ length: ref.V }, (_, s) => bfs(ref.V, ref.edges, s));
    const layout = getLayout(name);
    for (const k of [1, 2, 3, 4, 6]) {
      for (const withSelf of [false, true]) {
        const want = dist.map((row, i) => row.map((d, j) => (d === k ? 1 : 0) + (withSelf && i === j ? 1 : 0)));
        t.deepEqual(kHopAdjacency(layout, k, withSelf), want, `${name} k=${k} self=${withSelf}`);
      }
    }
    // MS-G3D returns I for k = 0, with or without self loops.
    const eye = dist.map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
    t.deepEqual(kHopAdjacency(layout, 0), eye, `${name} k=0`);
    t.deepEqual(kHopAdjacency(layout, 0, true), eye, `${name} k=0 with self`);
  }
  t.throws(() => kHopAdjacency(getLayout('ntu-25'), -1));
  t.throws(() => kHopAdjacency(getLayout('ntu-25'), 1.5));
});

/**
 * InfoGCN/GAP semantics of (I − A_out^k)·x with A_out[child][parent] = 1 (nilpotent):
 * a joint whose k-th ancestor exists gets x − x[ancestor_k]; a joint less than k below the
 * centre (the centre included) has an all-zero row in A_out^k and keeps x.
 */
test('ancestorDifferenceMatrix · x equals joint minus its k-th ancestor (walked by hand)', (t) => {
  const r = prng(7);
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    const V = ref.V;
    const C = 3;
    const x = Array.from({ length: V }, () => Array.from({ length: C }, () => 2 * r() - 1));
    for (const k of [1, 2, 3, 8]) {
      const m = ancestorDifferenceMatrix(layout, k);
      for (let v = 0; v < V; v++) {
        const anc = walkUp(ref, v, k);
        for (let c = 0; c < C; c++) {
          let got = 0;
          for (let u = 0; u < V; u++) got += m[v][u] * x[u][c];
          const want = anc >= 0 ? x[v][c] - x[anc][c] : x[v][c];
          t.true(
            Math.abs(got - want) < 1e-12,
            `${name} k=${k} joint ${layout.jointNames[v]} channel ${c}: ${got} vs ${want}`,
          );
        }
      }
    }
  }
});

test('ancestorDifferenceMatrix for NTU k=1 and k=2, hand-checked rows', (t) => {
  const m1 = ancestorDifferenceMatrix(getLayout('ntu-25'), 1);
  // HandTipLeft (21) − ThumbLeft (22)  (CTR-GCN hand edges)
  t.is(m1[21][21], 1);
  t.is(m1[21][22], -1);
  t.is(
    m1[21].reduce((s, x) => s + Math.abs(x), 0),
    2,
  );
  // the centre row is e_centre
  t.deepEqual(
    m1[20],
    Array.from({ length: 25 }, (_, j) => (j === 20 ? 1 : 0)),
  );
  const m2 = ancestorDifferenceMatrix(getLayout('ntu-25'), 2);
  // KneeLeft (13) − SpineBase (0): KneeLeft → HipLeft → SpineBase
  t.is(m2[13][13], 1);
  t.is(m2[13][0], -1);
  t.is(m2[13][12], 0);
  // Neck (2) is one below the centre: kept as is with k=2
  t.deepEqual(
    m2[2],
    Array.from({ length: 25 }, (_, j) => (j === 2 ? 1 : 0)),
  );
  const tree = treeFrom1Based(25, NTU_BONES_1, 21);
  t.is(walkUp(tree, 13, 2), 0);
});
