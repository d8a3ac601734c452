/**
 * Part streams (PSUMNet, models.md §2), GAP part sets (§3) and BRL body halves (§4).
 */
import test from 'ava';
import {
  LAYOUT_NAMES,
  PART_STREAM_NAMES,
  getLayout,
  partStream,
  gapPartJoints,
  bodyHalves,
} from '../../src/graph/index.js';
import {
  BRL_LOWER_0,
  BRL_UPPER_0,
  GAP_NTU_0,
  GAP_UCLA_0,
  PSUMNET_HAND_0,
  PSUMNET_LEG_0,
  RAW_LAYOUTS,
  bfs,
  range,
  treeFromRaw,
} from './reference.js';

const sorted = (a: ArrayLike<number>): number[] => Array.from(a).sort((x, y) => x - y);

test('NTU hand and leg streams equal the PSUMNet 0-based lists', (t) => {
  const ntu = getLayout('ntu-25');
  t.deepEqual(Array.from(partStream(ntu, 'hand').joints), PSUMNET_HAND_0);
  t.deepEqual(Array.from(partStream(ntu, 'leg').joints), PSUMNET_LEG_0);
  t.deepEqual(Array.from(partStream(ntu, 'body').joints), range(0, 25));
  t.is(partStream(ntu, 'hand').numJoints, 13);
  t.is(partStream(ntu, 'leg').numJoints, 9);
});

test('NTU leg stream bones: knee to same-side hip, foot to own ankle, hips to SpineBase', (t) => {
  const leg = partStream(getLayout('ntu-25'), 'leg');
  const pairs = new Set(leg.bones.map(([c, p]) => `${leg.jointNames[c]}>${leg.jointNames[p]}`));
  const want = [
    'HipLeft>SpineBase',
    'KneeLeft>HipLeft',
    'AnkleLeft>KneeLeft',
    'FootLeft>AnkleLeft',
    'HipRight>SpineBase',
    'KneeRight>HipRight',
    'AnkleRight>KneeRight',
    'FootRight>AnkleRight',
  ];
  t.deepEqual([...pairs].sort(), want.sort());
  t.is(leg.jointNames[leg.center], 'SpineBase');
  // the official kinect_leg_pairs defect (right hip joined to the left foot) must be absent
  t.false(pairs.has('FootLeft>HipRight'));
  t.false(pairs.has('HipRight>FootLeft'));
});

test('NTU hand stream bones follow the CTR-GCN hand edges within the stream', (t) => {
  const hand = partStream(getLayout('ntu-25'), 'hand');
  const pairs = new Set(hand.bones.map(([c, p]) => `${hand.jointNames[c]}>${hand.jointNames[p]}`));
  for (const s of ['Left', 'Right']) {
    t.true(pairs.has(`Shoulder${s}>SpineShoulder`));
    t.true(pairs.has(`Elbow${s}>Shoulder${s}`));
    t.true(pairs.has(`Wrist${s}>Elbow${s}`));
    t.true(pairs.has(`Hand${s}>Wrist${s}`));
    t.true(pairs.has(`Thumb${s}>Hand${s}`));
    t.true(pairs.has(`HandTip${s}>Thumb${s}`));
  }
  t.is(pairs.size, 12);
  t.is(hand.jointNames[hand.center], 'SpineShoulder');
});

test('every part stream of every layout is a tree with consistent parents', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    for (const s of PART_STREAM_NAMES) {
      const ps = partStream(layout, s);
      const n = ps.numJoints;
      t.is(ps.joints.length, n);
      t.is(new Set(ps.joints).size, n, `${name}/${s}: distinct joints`);
      t.deepEqual(
        ps.jointNames,
        Array.from(ps.joints, (j) => layout.jointNames[j]),
      );
      t.is(ps.bones.length, n - 1, `${name}/${s}: n−1 bones`);
      t.is(ps.parents[ps.center], ps.center, `${name}/${s}: root is its own parent`);
      for (const [c, p] of ps.bones) t.is(ps.parents[c], p);
      const dist = bfs(n, ps.bones, ps.center);
      t.true(dist.every(Number.isFinite), `${name}/${s}: connected`);
      // Expected parents by hand: the nearest layout ancestor inside the stream; joints with
      // none are subset roots, and they hang from the stream root (the layout centre when it is
      // in the stream, else the first listed subset root).
      const ref = treeFromRaw(RAW_LAYOUTS[name]);
      const local = new Map(Array.from(ps.joints, (j, i) => [j, i] as const));
      const nearest = Array.from(ps.joints, (j) => {
        for (let u = j; u !== ref.root;) {
          u = ref.parent[u];
          if (local.has(u)) return local.get(u)!;
        }
        return -1;
      });
      const roots = nearest.flatMap((p, i) => (p < 0 ? [i] : []));
      const root = local.has(ref.root) ? local.get(ref.root)! : roots[0];
      const want = nearest.map((p, i) => (p >= 0 ? p : root));
      t.is(ps.center, root, `${name}/${s}: root`);
      t.deepEqual(Array.from(ps.parents), want, `${name}/${s}: parents`);
    }
  }
});

test('the body stream is the whole layout with the layout tree', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const body = partStream(layout, 'body');
    t.deepEqual(Array.from(body.parents), Array.from(layout.parents), name);
    t.is(body.center, layout.center);
  }
});

test('GAP part sets equal models.md §3 for NTU (joint stream) and NW-UCLA', (t) => {
  const ntu = gapPartJoints(getLayout('ntu-25'));
  for (const p of ['head', 'hand', 'hip', 'foot'] as const)
    t.deepEqual(sorted(ntu[p]), sorted(GAP_NTU_0[p]), `NTU ${p}`);
  const ucla = gapPartJoints(getLayout('kinect-20'));
  for (const p of ['head', 'hand', 'hip', 'foot'] as const)
    t.deepEqual(sorted(ucla[p]), sorted(GAP_UCLA_0[p]), `UCLA ${p}`);
});

test('BRL body halves for NTU equal models.md §4, and halves cover every layout', (t) => {
  const { upper, lower } = bodyHalves(getLayout('ntu-25'));
  t.deepEqual(sorted(upper), BRL_UPPER_0);
  t.deepEqual(sorted(lower), BRL_LOWER_0);
  t.is(BRL_UPPER_0.length / 25, 0.64); // BRL's λ = 16/25
  for (const name of LAYOUT_NAMES) {
    const h = bodyHalves(getLayout(name));
    t.deepEqual(sorted([...h.upper, ...h.lower]), range(0, getLayout(name).numJoints), name);
  }
});
