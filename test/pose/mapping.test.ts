/** BlazePose-33 → NTU-25 / COCO-17 mapping tables, against hand-computed cases. */
import test from 'ava';
import { getLayout } from '../../src/graph/layout.js';
import { mapPose, mappingTo, parseMapping } from '../../src/pose/mapping.js';
import type { PersonPose } from '../../src/pose/types.js';
import toNtu from '../../src/pose/mappings/blazepose-33_to_ntu-25.json' with { type: 'json' };

const bp = getLayout('blazepose-33');
const ntu = getLayout('ntu-25');
const coco = getLayout('coco-17');
const at = (name: string) => bp.jointNames.indexOf(name);

/** A pose whose world landmark i is (i, 2i, 3i) / 100 and image landmark (i/40, i/50, 0, vis). */
function syntheticPose(visibility = (i: number) => 0.5 + i / 100): PersonPose {
  const world = Array.from(
    { length: 33 },
    (_, i) => [i / 100, (2 * i) / 100, (3 * i) / 100] as [number, number, number],
  );
  const image = Array.from(
    { length: 33 },
    (_, i) => [i / 40, i / 50, 0, visibility(i)] as [number, number, number, number],
  );
  return { world, image, box: [0, 0, 1, 1], score: 1 };
}

const ntuJoint = (joints: number[][], name: string) => joints[ntu.jointNames.indexOf(name)];

test('NTU-25: direct joints are the BlazePose world landmark turned 180° about z, (−x, −y, z)', (t) => {
  const pose = syntheticPose();
  const { joints } = mapPose(pose, 'ntu-25', 640, 400);
  for (const [n, b] of [
    ['ShoulderLeft', 'left_shoulder'],
    ['WristRight', 'right_wrist'],
    ['KneeLeft', 'left_knee'],
    ['AnkleRight', 'right_ankle'],
  ]) {
    const [x, y, z] = pose.world[at(b)];
    t.deepEqual(ntuJoint(joints, n), [-x, -y, z], n);
  }
  t.is(joints.length, 25);
});

test('NTU-25: synthesised spine and head joints follow data.md §5 (midpoints and the measured 0.57 / 0.37 ratios)', (t) => {
  const pose = syntheticPose();
  const { joints } = mapPose(pose, 'ntu-25', 640, 400);
  const mid = (a: number[], b: number[]) => a.map((v, k) => (v + b[k]) / 2);
  const lerp = (a: number[], b: number[], s: number) => a.map((v, k) => v + s * (b[k] - v));
  const close = (a: number[], b: number[], what: string) =>
    a.forEach((v, k) => t.true(Math.abs(v - b[k]) < 1e-9, `${what}[${k}]: ${v} vs ${b[k]}`));
  const spineBase = mid(ntuJoint(joints, 'HipLeft'), ntuJoint(joints, 'HipRight'));
  const spineShoulder = mid(ntuJoint(joints, 'ShoulderLeft'), ntuJoint(joints, 'ShoulderRight'));
  const ears = mid(
    ...([at('left_ear'), at('right_ear')].map((i) => [-pose.world[i][0], -pose.world[i][1], pose.world[i][2]]) as [
      number[],
      number[],
    ]),
  );
  close(ntuJoint(joints, 'SpineBase'), spineBase, 'SpineBase');
  close(ntuJoint(joints, 'SpineShoulder'), spineShoulder, 'SpineShoulder');
  close(ntuJoint(joints, 'SpineMid'), lerp(spineBase, spineShoulder, 0.57), 'SpineMid');
  close(ntuJoint(joints, 'Head'), ears, 'Head');
  close(ntuJoint(joints, 'Neck'), lerp(spineShoulder, ears, 0.37), 'Neck');
  const palm = [at('left_wrist'), at('left_pinky'), at('left_index')].map((i) => [
    -pose.world[i][0],
    -pose.world[i][1],
    pose.world[i][2],
  ]);
  close(
    ntuJoint(joints, 'HandLeft'),
    [0, 1, 2].map((k) => (palm[0][k] + palm[1][k] + palm[2][k]) / 3),
    'HandLeft',
  );
});

test('mapped visibility is the lowest of the sources; the synthesised and approximate joints are listed', (t) => {
  const pose = syntheticPose((i) => (i === at('right_ear') ? 0.1 : 0.9));
  const { visibility } = mapPose(pose, 'ntu-25', 640, 400);
  t.is(visibility[ntu.jointNames.indexOf('Head')], 0.1);
  t.is(visibility[ntu.jointNames.indexOf('Neck')], 0.1);
  t.is(visibility[ntu.jointNames.indexOf('SpineBase')], 0.9);
  const m = mappingTo('ntu-25');
  t.deepEqual(
    [...m.synthesised].sort(),
    ['Head', 'HandLeft', 'HandRight', 'Neck', 'SpineBase', 'SpineMid', 'SpineShoulder'].sort(),
  );
  t.deepEqual(
    [...m.approximate].sort(),
    ['FootLeft', 'FootRight', 'HandTipLeft', 'HandTipRight', 'ThumbLeft', 'ThumbRight'].sort(),
  );
});

test('COCO-17 is BlazePose [0,2,5,7,8,11,12,13,14,15,16,23,24,25,26,27,28] in pixels with the visibility as score', (t) => {
  const pose = syntheticPose();
  const { joints } = mapPose(pose, 'coco-17', 640, 400);
  const expected = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];
  t.is(joints.length, coco.numJoints);
  expected.forEach((b, k) => {
    t.true(Math.abs(joints[k][0] - pose.image[b][0] * 640) < 1e-9);
    t.true(Math.abs(joints[k][1] - pose.image[b][1] * 400) < 1e-9);
    t.is(joints[k][2], pose.image[b][3]);
  });
});

test('a bad mapping table is refused with what is wrong', (t) => {
  const copy = () =>
    JSON.parse(JSON.stringify(toNtu)) as { joints: Record<string, { kind: string; from: Array<[string, number]> }> };
  const missingJoint = copy();
  delete missingJoint.joints.Neck;
  t.throws(() => parseMapping(missingJoint, 'x.json'), { message: /x\.json: no entry for ntu-25 joint\(s\) Neck/ });
  const badWeights = copy();
  badWeights.joints.Head.from = [
    ['left_ear', 0.5],
    ['right_ear', 0.4],
  ];
  t.throws(() => parseMapping(badWeights, 'x.json'), { message: /joint Head: weights sum to 0\.9/ });
  const badName = copy();
  badName.joints.Head.from = [['left_eyebrow', 1]];
  t.throws(() => parseMapping(badName, 'x.json'), { message: /'left_eyebrow' is not a blazepose-33 landmark/ });
  const extra = copy();
  extra.joints.Tail = { kind: 'direct', from: [['nose', 1]] };
  t.throws(() => parseMapping(extra, 'x.json'), { message: /Tail is not ntu-25 joint/ });
});

test('Kinect-20: direct joints turned (−x, −y, z); HipCenter, Spine and ShoulderCenter at the ratios measured on NW-UCLA', (t) => {
  const kinect = getLayout('kinect-20');
  const pose = syntheticPose();
  const { joints } = mapPose(pose, 'kinect-20', 640, 400);
  t.is(joints.length, 20);
  const j = (name: string) => joints[kinect.jointNames.indexOf(name)];
  const turned = (b: string) => [-pose.world[at(b)][0], -pose.world[at(b)][1], pose.world[at(b)][2]];
  t.deepEqual(j('ElbowLeft'), turned('left_elbow'));
  t.deepEqual(j('KneeRight'), turned('right_knee'));
  const mid = (a: number[], b: number[]) => a.map((v, k) => (v + b[k]) / 2);
  const lerp = (a: number[], b: number[], s: number) => a.map((v, k) => v + s * (b[k] - v));
  const close = (a: number[], b: number[], what: string) =>
    a.forEach((v, k) => t.true(Math.abs(v - b[k]) < 1e-9, `${what}[${k}]: ${v} vs ${b[k]}`));
  const hips = mid(turned('left_hip'), turned('right_hip'));
  const shoulders = mid(turned('left_shoulder'), turned('right_shoulder'));
  const head = mid(turned('left_ear'), turned('right_ear'));
  close(j('HipCenter'), lerp(hips, shoulders, 0.18), 'HipCenter');
  close(j('Spine'), lerp(hips, shoulders, 0.35), 'Spine');
  close(j('ShoulderCenter'), lerp(shoulders, head, 0.35), 'ShoulderCenter');
  close(j('Head'), head, 'Head');
  t.deepEqual(
    [...mappingTo('kinect-20').synthesised],
    ['HipCenter', 'Spine', 'ShoulderCenter', 'Head', 'HandLeft', 'HandRight'],
  );
});
