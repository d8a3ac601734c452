/**
 * Layout tables checked against the reference documents (data.md §1.2–1.3 and §2,
 * models.md §1.1–§4) and against plain graph algorithms written here.
 */
import test from 'ava';
import { LAYOUT_NAMES, LayoutError, buildLayout, getLayout, jointDepths, ancestors } from '../../src/graph/index.js';
import {
  JOINT_COUNTS,
  KINECT20_JOINTS,
  NTU_BONES_1,
  NTU_CENTER_1,
  NTU_JOINTS,
  RAW_LAYOUTS,
  UCLA_BONES_1,
  UCLA_CENTER_1,
  bfs,
  rawCopy,
  treeFromRaw,
  walkUpClamped,
  type RawLayout,
} from './reference.js';

const key = (a: number, b: number): string => `${a},${b}`;

test('joint counts and joint orders of the five layouts', (t) => {
  t.deepEqual([...LAYOUT_NAMES].sort(), Object.keys(JOINT_COUNTS).sort());
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    t.is(layout.name, name);
    t.is(layout.numJoints, JOINT_COUNTS[name], name);
    t.is(layout.jointNames.length, JOINT_COUNTS[name], name);
    t.is(new Set(layout.jointNames).size, layout.numJoints, `${name}: joint names are unique`);
  }
  t.deepEqual([...getLayout('ntu-25').jointNames], NTU_JOINTS);
  t.deepEqual([...getLayout('kinect-20').jointNames], KINECT20_JOINTS);
});

test('every joint is reachable from the centre by BFS over the bones', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const dist = bfs(layout.numJoints, layout.bones, layout.center);
    const unreachable = dist.flatMap((d, v) => (d === Infinity ? [layout.jointNames[v]] : []));
    t.deepEqual(unreachable, [], name);
  }
});

test('bones form a tree: V−1 edges, no cycle (union-find), parents agree with the bones', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const V = layout.numJoints;
    t.is(layout.bones.length, V - 1, `${name}: edge count`);
    const root = Array.from({ length: V }, (_, i) => i);
    const find = (x: number): number => (root[x] === x ? x : (root[x] = find(root[x])));
    let cycles = 0;
    for (const [a, b] of layout.bones) {
      const ra = find(a);
      const rb = find(b);
      if (ra === rb) cycles++;
      else root[ra] = rb;
    }
    t.is(cycles, 0, `${name}: no cycle`);
    t.is(new Set(Array.from({ length: V }, (_, i) => find(i))).size, 1, `${name}: one component`);
    // parents[] agrees with the bone list, and the centre is its own parent
    t.is(layout.parents[layout.center], layout.center, `${name}: centre is its own parent`);
    for (const [c, p] of layout.bones) t.is(layout.parents[c], p, `${name}: parent of ${layout.jointNames[c]}`);
    // and with the raw table read by name
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    t.deepEqual(Array.from(layout.parents), ref.parent, `${name}: parents vs raw table`);
  }
});

test('NTU bones equal CTR-GCN inward list (data.md §1.3), centre SpineShoulder (21)', (t) => {
  const layout = getLayout('ntu-25');
  t.is(layout.center + 1, NTU_CENTER_1);
  t.is(layout.jointNames[layout.center], 'SpineShoulder');
  const got = new Set(layout.bones.map(([c, p]) => key(c + 1, p + 1)));
  const want = new Set(NTU_BONES_1.map(([c, p]) => key(c, p)));
  t.is(NTU_BONES_1.length, 24);
  t.deepEqual([...got].sort(), [...want].sort());
});

test('Kinect-20 bones equal the NW-UCLA edge list (data.md §2), root ShoulderCenter (3)', (t) => {
  const layout = getLayout('kinect-20');
  t.is(layout.center + 1, UCLA_CENTER_1);
  t.is(layout.jointNames[layout.center], 'ShoulderCenter');
  const got = new Set(layout.bones.map(([c, p]) => key(c + 1, p + 1)));
  const want = new Set(UCLA_BONES_1.map(([c, p]) => key(c, p)));
  t.is(UCLA_BONES_1.length, 19);
  t.deepEqual([...got].sort(), [...want].sort());
});

test('jointDepths and ancestors agree with a walk up the raw table', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    const dist = bfs(ref.V, ref.edges, ref.root);
    t.deepEqual(Array.from(jointDepths(layout)), dist, `${name}: depth = BFS distance from the centre`);
    for (const k of [0, 1, 2, 3, 5]) {
      const want = Array.from({ length: ref.V }, (_, v) => walkUpClamped(ref, v, k));
      t.deepEqual(Array.from(ancestors(layout, k)), want, `${name}: ancestors k=${k}`);
    }
  }
});

/** The name of a joint's mirror twin, from its name alone. */
function twinName(n: string): string {
  if (n.includes('Left')) return n.replace('Left', 'Right');
  if (n.includes('Right')) return n.replace('Right', 'Left');
  if (n.includes('left')) return n.replace('left', 'right');
  if (n.includes('right')) return n.replace('right', 'left');
  return n;
}

test('mirror permutation is an involution that maps every Left joint to its Right twin by name', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const perm = layout.flipPermutation;
    let sided = 0;
    for (let v = 0; v < layout.numJoints; v++) {
      t.is(perm[perm[v]], v, `${name}: involution at ${layout.jointNames[v]}`);
      const n = layout.jointNames[v];
      t.is(layout.jointNames[perm[v]], twinName(n), `${name}: flip of ${n}`);
      if (twinName(n) !== n) sided++;
    }
    t.true(sided >= 8, `${name}: has sided joints`);
    t.is(layout.mirrorAxis, 0, `${name}: mirror axis is x`);
    // a mirror pair maps a left joint and a right joint
    for (const [a, b] of layout.mirrorPairs) t.is(layout.jointNames[b], twinName(layout.jointNames[a]));
  }
});

test('upper_body and lower_body are disjoint and cover every joint exactly once', (t) => {
  for (const name of LAYOUT_NAMES) {
    const { upper_body: up, lower_body: low } = getLayout(name).parts;
    const count = new Array<number>(getLayout(name).numJoints).fill(0);
    for (const v of [...up, ...low]) count[v]++;
    t.deepEqual(
      count,
      count.map(() => 1),
      name,
    );
  }
});

test('the other named parts are disjoint and lie in the layout', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const parts = ['head', 'hands', 'arms', 'torso', 'hips', 'legs', 'feet'] as const;
    const all = parts.flatMap((p) => [...layout.parts[p]]);
    t.is(new Set(all).size, all.length, `${name}: small parts are disjoint`);
    t.true(
      all.every((v) => Number.isInteger(v) && v >= 0 && v < layout.numJoints),
      name,
    );
  }
});

// --- bad tables ------------------------------------------------------------------------

function expectLayoutError(t: import('ava').ExecutionContext, raw: RawLayout, field: string, what: string): void {
  const err = t.throws(() => buildLayout(raw), { instanceOf: LayoutError }, what);
  if (err)
    t.true(err.message.includes(`field '${field}'`), `${what}: message names field '${field}', got: ${err.message}`);
}

test('the unmodified copies build (control for the mutation tests)', (t) => {
  for (const name of LAYOUT_NAMES) t.notThrows(() => buildLayout(rawCopy(name)), name);
});

test('unknown joint names throw LayoutError naming the field', (t) => {
  let raw = rawCopy('ntu-25');
  raw.bones[3][0] = 'Haed';
  expectLayoutError(t, raw, 'bones[3][0]', 'bone child');
  raw = rawCopy('ntu-25');
  raw.bones[5][1] = 'Shoulderleft';
  expectLayoutError(t, raw, 'bones[5][1]', 'bone parent');
  raw = rawCopy('coco-17');
  raw.center = 'neck';
  expectLayoutError(t, raw, 'center', 'centre');
  raw = rawCopy('kinect-20');
  raw.mirror[2][1] = 'WristRigth';
  expectLayoutError(t, raw, 'mirror[2][1]', 'mirror');
  raw = rawCopy('ntu-25');
  raw.parts.head = ['Neck', 'Nose'];
  expectLayoutError(t, raw, 'parts.head[1]', 'part');
  raw = rawCopy('ntu-25');
  raw.skateformer!.groups[1][2] = 'HandTip';
  expectLayoutError(t, raw, 'skateformer.groups[1][2]', 'skateformer group');
  raw = rawCopy('ntu-25');
  raw.partStreams.leg[0] = 'Pelvis';
  expectLayoutError(t, raw, 'partStreams.leg[0]', 'part stream');
  raw = rawCopy('ntu-25');
  (raw.gapParts.hip as string[])[0] = 'Hip';
  expectLayoutError(t, raw, 'gapParts.hip[0]', 'gap part');
});

test('a cycle in the bones throws LayoutError on field bones', (t) => {
  const raw = rawCopy('ntu-25');
  // SpineBase → SpineMid (bones[0]); make SpineMid → SpineBase: a 2-cycle cut off from the centre.
  t.deepEqual(raw.bones[1], ['SpineMid', 'SpineShoulder']);
  raw.bones[1] = ['SpineMid', 'SpineBase'];
  expectLayoutError(t, raw, 'bones', 'two-cycle');
  // A longer cycle in an arm: ShoulderLeft → HandLeft closes ShoulderLeft-Elbow-Wrist-Hand.
  const raw2 = rawCopy('kinect-20');
  const i = raw2.bones.findIndex(([c]) => c === 'ShoulderLeft');
  raw2.bones[i] = ['ShoulderLeft', 'HandLeft'];
  expectLayoutError(t, raw2, 'bones', 'four-cycle');
});

test('a joint with two parents throws LayoutError naming the bone', (t) => {
  const raw = rawCopy('ntu-25');
  raw.bones.push(['HandLeft', 'ElbowLeft']);
  expectLayoutError(t, raw, 'bones[24]', 'second parent');
  const raw2 = rawCopy('openpose-18');
  raw2.bones.push(['neck', 'nose']);
  expectLayoutError(t, raw2, 'bones[17]', 'centre given a parent');
});

test('a joint without a parent throws LayoutError on field bones', (t) => {
  const raw = rawCopy('coco-17');
  raw.bones.splice(0, 1); // left_ankle loses its bone
  expectLayoutError(t, raw, 'bones', 'orphan');
});

test('a joint used by two mirror pairs (or paired with itself) throws LayoutError naming the pair', (t) => {
  const raw = rawCopy('ntu-25');
  raw.mirror.push(['ShoulderLeft', 'HipRight']);
  expectLayoutError(t, raw, 'mirror[10]', 'joint in two pairs');
  const raw2 = rawCopy('blazepose-33');
  raw2.mirror[0] = ['nose', 'nose'];
  expectLayoutError(t, raw2, 'mirror[0]', 'self pair');
});

test('unequal or overlapping SkateFormer groups throw LayoutError on skateformer.groups', (t) => {
  const raw = rawCopy('ntu-25');
  raw.skateformer!.groups[0].pop();
  expectLayoutError(t, raw, 'skateformer.groups', 'unequal sizes');
  const raw2 = rawCopy('kinect-20');
  raw2.skateformer!.groups[1][0] = 'ShoulderLeft'; // also in group 0
  expectLayoutError(t, raw2, 'skateformer.groups', 'joint in two groups');
  const raw3 = rawCopy('ntu-25');
  raw3.skateformer!.neighbourGroups = 4; // 6 groups not divisible by 4
  expectLayoutError(t, raw3, 'skateformer.neighbourGroups', 'neighbour groups');
});

test('schema errors name the field too', (t) => {
  const raw = rawCopy('ntu-25');
  raw.mirrorAxis = 3;
  expectLayoutError(t, raw, 'mirrorAxis', 'axis out of range');
  const raw2 = rawCopy('ntu-25');
  raw2.joints[4] = 'SpineBase';
  expectLayoutError(t, raw2, 'joints[4]', 'duplicate joint');
});
