/**
 * SkateFormer joint regrouping and Skate-Type partitions against a naive emulation of the
 * official PyTorch `view`/`permute` code (reference.ts) and the facts of models.md §1.1–1.2.
 */
import test from 'ava';
import {
  getLayout,
  skateformerJointOrder,
  skateTypeSizes,
  skateTypePartition,
  inversePartition,
  relativeBiasIndex,
  type SkateType,
} from '../../src/graph/index.js';
import {
  SKATEFORMER_NTU_GROUPS_1,
  SKATEFORMER_UCLA_GROUPS_1,
  documentedBiasIndex,
  officialBiasIndex,
  officialPartition,
  officialReverse,
} from './reference.js';

const TYPES: SkateType[] = [1, 2, 3, 4];
const NTU_SIZES: Record<SkateType, [number, number]> = { 1: [8, 8], 2: [8, 12], 3: [8, 8], 4: [8, 12] };
const UCLA_SIZES: Record<SkateType, [number, number]> = { 1: [8, 4], 2: [8, 5], 3: [8, 4], 4: [8, 5] };
const STAGE_T = [64, 32, 16, 8];
const NTU_NEW_IDX_0 = SKATEFORMER_NTU_GROUPS_1.flat().map((j) => j - 1);
const UCLA_NEW_IDX_0 = SKATEFORMER_UCLA_GROUPS_1.flat().map((j) => j - 1);

const CASES = [
  { what: 'NTU', V: 48, sizes: NTU_SIZES },
  { what: 'Kinect-20', V: 20, sizes: UCLA_SIZES },
];

test('partition tables equal the official view/permute order (NTU V=48, Kinect-20 V=20; T = 64, 32, 16, 8)', (t) => {
  for (const { what, V, sizes } of CASES) {
    for (const T of STAGE_T) {
      for (const type of TYPES) {
        const size = sizes[type];
        const table = skateTypePartition(type, T, V, size);
        const want = officialPartition(type, T, V, size);
        t.deepEqual(Array.from(table.index), want, `${what} type ${type} T=${T}`);
        t.is(table.type, type);
        t.is(table.tokensPerWindow, size[0] * size[1], `${what} type ${type} T=${T}: tokens per window`);
        t.is(table.windows, (T * V) / (size[0] * size[1]), `${what} type ${type} T=${T}: windows`);
        // window-local coordinates follow `.view(-1, a·b)`: token k is (k div b, k mod b)
        t.deepEqual(
          Array.from(table.tokenRow),
          Array.from({ length: size[0] * size[1] }, (_, k) => Math.floor(k / size[1])),
        );
        t.deepEqual(
          Array.from(table.tokenCol),
          Array.from({ length: size[0] * size[1] }, (_, k) => k % size[1]),
        );
      }
    }
  }
});

test('each table covers every grid token exactly once, and inversePartition equals the official reverse', (t) => {
  for (const { what, V, sizes } of CASES) {
    for (const T of STAGE_T) {
      for (const type of TYPES) {
        const table = skateTypePartition(type, T, V, sizes[type]);
        const seen = new Array<number>(T * V).fill(0);
        for (const p of table.index) seen[p]++;
        t.true(
          seen.every((c) => c === 1),
          `${what} type ${type} T=${T}: every token once`,
        );
        const inv = inversePartition(table);
        t.deepEqual(Array.from(inv), officialReverse(type, T, V, sizes[type]), `${what} type ${type} T=${T}: reverse`);
        for (let p = 0; p < table.index.length; p++) if (inv[table.index[p]] !== p) t.fail(`inverse fails at ${p}`);
        for (let g = 0; g < T * V; g++) if (table.index[inv[g]] !== g) t.fail(`inverse fails at token ${g}`);
      }
    }
  }
});

test('hand-picked windows (NTU, T=64)', (t) => {
  const T = 64;
  const V = 48;
  const tok = (f: number, v: number): number => f * V + v;
  const window = (type: SkateType, w: number): number[] => {
    const tb = skateTypePartition(type, T, V, NTU_SIZES[type]);
    return Array.from(tb.index.slice(w * tb.tokensPerWindow, (w + 1) * tb.tokensPerWindow));
  };
  // type 1, window 0: frames 0..7 × tokens 0..7; window 1: frames 0..7 × tokens 8..15
  t.deepEqual(window(1, 0).slice(0, 10), [
    tok(0, 0),
    tok(0, 1),
    tok(0, 2),
    tok(0, 3),
    tok(0, 4),
    tok(0, 5),
    tok(0, 6),
    tok(0, 7),
    tok(1, 0),
    tok(1, 1),
  ]);
  t.deepEqual(window(1, 1).slice(0, 2), [tok(0, 8), tok(0, 9)]);
  t.deepEqual(window(1, 6).slice(0, 2), [tok(8, 0), tok(8, 1)]); // 48/8 = 6 joint blocks per frame block
  // type 2, window 0: frames 0..7 × tokens 0, 4, 8, …, 44; window 1 starts at token 1
  t.deepEqual(window(2, 0).slice(0, 13), [...Array.from({ length: 12 }, (_, k) => tok(0, 4 * k)), tok(1, 0)]);
  t.deepEqual(window(2, 1).slice(0, 3), [tok(0, 1), tok(0, 5), tok(0, 9)]);
  t.deepEqual(window(2, 4).slice(0, 2), [tok(8, 0), tok(8, 4)]);
  // type 3 (stride 64/8 = 8 frames), window 0: frames 0, 8, …, 56 × tokens 0..7; window 6: frames 1, 9, …
  t.deepEqual(window(3, 0).slice(0, 10), [
    tok(0, 0),
    tok(0, 1),
    tok(0, 2),
    tok(0, 3),
    tok(0, 4),
    tok(0, 5),
    tok(0, 6),
    tok(0, 7),
    tok(8, 0),
    tok(8, 1),
  ]);
  t.deepEqual(window(3, 0).slice(-1), [tok(56, 7)]);
  t.deepEqual(window(3, 6).slice(0, 1), [tok(1, 0)]);
  // type 4, window 0: frames 0, 8, …, 56 × tokens 0, 4, …, 44
  t.deepEqual(window(4, 0).slice(0, 13), [...Array.from({ length: 12 }, (_, k) => tok(0, 4 * k)), tok(8, 0)]);
  t.deepEqual(window(4, 5).slice(0, 2), [tok(1, 1), tok(1, 5)]); // window (frame offset 1, joint offset 1)
});

test('at T=8 (stage 4) types 1 and 3 (and 2 and 4) cover the same windows', (t) => {
  for (const { V, sizes } of CASES) {
    t.deepEqual(
      Array.from(skateTypePartition(1, 8, V, sizes[1]).index),
      Array.from(skateTypePartition(3, 8, V, sizes[3]).index),
    );
    t.deepEqual(
      Array.from(skateTypePartition(2, 8, V, sizes[2]).index),
      Array.from(skateTypePartition(4, 8, V, sizes[4]).index),
    );
  }
  // and they differ at T=64
  t.notDeepEqual(
    Array.from(skateTypePartition(1, 64, 48, [8, 8]).index),
    Array.from(skateTypePartition(3, 64, 48, [8, 8]).index),
  );
});

test('indivisible grids are rejected', (t) => {
  t.throws(() => skateTypePartition(1, 60, 48, [8, 8]), { message: /T=60/ });
  t.throws(() => skateTypePartition(2, 64, 50, [8, 12]), { message: /V=50/ });
});

test('NTU regrouping with 2 persons: new_idx order, SpineShoulder dropped, person-major tokens', (t) => {
  const ntu = getLayout('ntu-25');
  const order = skateformerJointOrder(ntu, 2);
  t.deepEqual(NTU_NEW_IDX_0, [6, 7, 21, 22, 10, 11, 23, 24, 12, 13, 14, 15, 16, 17, 18, 19, 4, 8, 5, 9, 1, 2, 0, 3]);
  t.deepEqual(Array.from(order.jointOrder), NTU_NEW_IDX_0);
  t.is(order.jointsPerPerson, 24);
  t.is(order.groupSize, 4);
  t.is(order.groupsPerPerson, 6);
  t.is(order.persons, 2);
  t.false(Array.from(order.jointOrder).includes(20), 'SpineShoulder (0-based 20) is absent');
  t.is(ntu.jointNames[20], 'SpineShoulder');
  t.deepEqual(Array.from(order.tokenPerson), [...new Array<number>(24).fill(0), ...new Array<number>(24).fill(1)]);
  t.deepEqual(Array.from(order.tokenJoint), [...NTU_NEW_IDX_0, ...NTU_NEW_IDX_0]);
  const sizes = skateTypeSizes(order);
  t.deepEqual(
    [sizes.type1, sizes.type2, sizes.type3, sizes.type4],
    [NTU_SIZES[1], NTU_SIZES[2], NTU_SIZES[3], NTU_SIZES[4]],
  );
});

test('Kinect-20 regrouping with 1 person: UCLA groups and sizes [8,4],[8,5]', (t) => {
  const order = skateformerJointOrder(getLayout('kinect-20'), 1);
  t.deepEqual(Array.from(order.jointOrder), UCLA_NEW_IDX_0);
  t.is(order.jointsPerPerson, 20);
  const sizes = skateTypeSizes(order);
  t.deepEqual(
    [sizes.type1, sizes.type2, sizes.type3, sizes.type4],
    [UCLA_SIZES[1], UCLA_SIZES[2], UCLA_SIZES[3], UCLA_SIZES[4]],
  );
  t.throws(() => skateformerJointOrder(getLayout('coco-17'), 1), { message: /no SkateFormer groups/ });
  t.throws(() => skateformerJointOrder(getLayout('ntu-25'), 0));
});

test('NTU type-2 windows hold the j-th joint of every part of both persons', (t) => {
  const order = skateformerJointOrder(getLayout('ntu-25'), 2);
  const V = 48;
  const table = skateTypePartition(2, 64, V, [8, 12]);
  for (let w = 0; w < table.windows; w++) {
    const toks = Array.from(table.index.slice(w * 96, (w + 1) * 96));
    const frames = new Set(toks.map((g) => Math.floor(g / V)));
    t.is(frames.size, 8);
    t.is(Math.max(...frames) - Math.min(...frames), 7, 'consecutive frames');
    // one frame's 12 tokens: (person, part) all 12 combinations, same position j in the part
    const first = toks.slice(0, 12).map((g) => g % V);
    const j = first[0] % 4;
    const pairs = new Set<string>();
    for (const v of first) {
      const person = Math.floor(v / 24);
      const part = Math.floor((v % 24) / 4);
      t.is(v % 4, j, `window ${w}: same position in the part`);
      pairs.add(`${person}:${part}`);
      // the layout joint at this token is the j-th joint of part `part` (models.md §1.1)
      t.is(order.tokenJoint[v], SKATEFORMER_NTU_GROUPS_1[part][j] - 1);
      t.is(order.tokenPerson[v], person);
    }
    t.is(pairs.size, 12, `window ${w}: 6 parts × 2 persons`);
  }
});

test('NTU type-1 windows (L=8) hold two adjacent groups of one person', (t) => {
  const order = skateformerJointOrder(getLayout('ntu-25'), 2);
  const V = 48;
  const table = skateTypePartition(1, 64, V, [8, 8]);
  const seenPairs = new Set<string>();
  for (let w = 0; w < table.windows; w++) {
    const vs = new Set(Array.from(table.index.slice(w * 64, (w + 1) * 64), (g) => g % V));
    const persons = new Set([...vs].map((v) => order.tokenPerson[v]));
    t.is(persons.size, 1, `window ${w}: one person`);
    const groups = [...new Set([...vs].map((v) => Math.floor((v % 24) / 4)))].sort((a, b) => a - b);
    t.is(groups.length, 2);
    t.is(groups[1], groups[0] + 1, 'adjacent groups');
    t.is(groups[0] % 2, 0, 'pairs (0,1), (2,3), (4,5)');
    seenPairs.add(`${[...persons][0]}:${groups.join(',')}`);
  }
  t.is(seenPairs.size, 6);
  // the pairs by content: wrists/hands of both sides, both legs, shoulders/elbows with the spine+head
  const names = getLayout('ntu-25').jointNames;
  const pairJoints = (g: number): string[] =>
    [...SKATEFORMER_NTU_GROUPS_1[g], ...SKATEFORMER_NTU_GROUPS_1[g + 1]].map((j) => names[j - 1]);
  t.true(pairJoints(0).every((n) => /Wrist|Hand|Thumb/.test(n)));
  t.true(pairJoints(2).every((n) => /Hip|Knee|Ankle|Foot/.test(n)));
  t.true(pairJoints(4).every((n) => /Shoulder|Elbow|Spine|Neck|Head/.test(n)));
});

test('relative-bias indices follow models.md: frame offset (types 1/3), offset × part pair (types 2/4)', (t) => {
  for (const { what, V, sizes } of CASES) {
    for (const type of TYPES) {
      const size = sizes[type];
      const [N, W] = size;
      const table = skateTypePartition(type, 64, V, size);
      const { index, tableSize } = relativeBiasIndex(table, 'frame-offset');
      t.deepEqual(Array.from(index), documentedBiasIndex(type, size), `${what} type ${type}`);
      const distinct = new Set(index);
      if (type === 1 || type === 3) {
        t.is(tableSize, 2 * N - 1);
        t.is(distinct.size, 2 * N - 1, `${what} type ${type}: 2N−1 values used`);
        // depends only on the frame offset of the two tokens
        const byOffset = new Map<number, number>();
        for (let q = 0; q < N * W; q++) {
          for (let k = 0; k < N * W; k++) {
            const off = Math.floor(q / W) - Math.floor(k / W);
            const v = index[q * N * W + k];
            if (!byOffset.has(off)) byOffset.set(off, v);
            else if (byOffset.get(off) !== v) t.fail(`${what} type ${type}: offset ${off} maps to two indices`);
          }
        }
        t.is(byOffset.size, 2 * N - 1);
      } else {
        t.is(tableSize, (2 * N - 1) * W * W);
        t.is(distinct.size, (2 * N - 1) * W * W, `${what} type ${type}: every (offset, kq, kk) used once-distinct`);
      }
      t.true(Array.from(index).every((i) => i >= 0 && i < tableSize));
    }
  }
  // literal values, NTU
  const b1 = relativeBiasIndex(skateTypePartition(1, 64, 48, [8, 8]), 'frame-offset').index;
  t.is(b1[0 * 64 + 63], 0); // query frame 0, key frame 7: offset −7 → 0
  t.is(b1[63 * 64 + 0], 14); // offset +7 → 14
  t.is(b1[9 * 64 + 15], 7); // both frame 1 → 7
  const b2 = relativeBiasIndex(skateTypePartition(2, 64, 48, [8, 12])).index;
  t.is(b2[13 * 96 + 0], (8 * 12 + 1) * 12 + 0); // q = (n1, k1), key = (n0, k0)
  t.is(b2[0 * 96 + 95], (0 * 12 + 0) * 12 + 11); // q = (n0, k0), key = (n7, k11)
  t.is(b2[95 * 96 + 95], (7 * 12 + 11) * 12 + 11);
});

test('types 2/4 bias indices equal the official gather (op-by-op emulation)', (t) => {
  for (const { what, V, sizes } of CASES) {
    for (const type of [2, 4] as const) {
      const { index } = relativeBiasIndex(skateTypePartition(type, 64, V, sizes[type]));
      t.deepEqual(Array.from(index), officialBiasIndex(type, sizes[type]), `${what} type ${type}`);
    }
  }
});

// The official types 1/3 bias is `unsqueeze(1).unsqueeze(3).repeat(1, L, 1, L, 1, 1)` on a
// 5-d tensor; the six repeat sizes make torch tile rather than interleave, so the official
// gather index is index1d[q mod N][k mod N] (for NTU, N = L = 8, the joint offset within the
// window). skelact's default 'official' mode copies it; 'frame-offset' is the paper's reading.
test('types 1/3 bias indices equal the official gather in the default official mode (tiling quirk)', (t) => {
  for (const { what, V, sizes } of CASES) {
    for (const type of [1, 3] as const) {
      const { index } = relativeBiasIndex(skateTypePartition(type, 64, V, sizes[type]));
      t.deepEqual(Array.from(index), officialBiasIndex(type, sizes[type]), `${what} type ${type}`);
    }
  }
});
