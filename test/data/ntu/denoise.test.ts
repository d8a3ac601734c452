import test from 'ava';
import { bodyMotion, denoiseNtu } from '../../../src/data/ntu/denoise.js';
import { NTU_JOINTS, parseNtuSkeleton } from '../../../src/data/ntu/parser.js';
import { flatJoint, ntuFromBodies, personJoint, range } from '../../helpers/ntu-text.js';

const enc = (s: string) => new TextEncoder().encode(s);
const denoise = (text: string) => denoiseNtu(parseNtuSkeleton(enc(text), 't.skeleton'));
const V3 = NTU_JOINTS * 3;
/** Kinect body ids are 64-bit integers; name them for readability. */
const ID = {
  still: '72057594037931100',
  moving: '72057594037931101',
  first: '72057594037931102',
  second: '72057594037931103',
  partner: '72057594037931104',
  noise: '72057594037931105',
  a: '72057594037931106',
  b: '72057594037931107',
} as const;

test('one body: one actor, every frame kept, no notes', (t) => {
  const d = denoise(ntuFromBodies(30, [{ id: '1', frames: range(0, 30), joint: personJoint(0, 0.05) }]));
  t.is(d.actors, 1);
  t.is(d.frames, 30);
  t.deepEqual(d.notes, []);
});

test('bodies of 11 frames or fewer are dropped; 12 frames is kept', (t) => {
  const d = denoise(
    ntuFromBodies(40, [
      { id: '1', frames: range(0, 40), joint: personJoint(0, 0.05) },
      { id: '2', frames: range(5, 16), joint: personJoint(1, 0.3) }, // 11 frames
      { id: '3', frames: range(20, 32), joint: personJoint(2, 0.01) }, // 12 frames
    ]),
  );
  t.deepEqual(d.actorBodies, [['1'], ['3']]);
  t.true(d.notes.some((n) => /dropped body 2: only 11 frame/.test(n)));
});

test('a body spread (x-range > 0.8 y-range) in ≥ 69.754 % of its frames is dropped, even with the largest motion', (t) => {
  const d = denoise(
    ntuFromBodies(40, [
      { id: '1', frames: range(0, 40), joint: personJoint(0, 0.02) },
      { id: '2', frames: range(0, 40), joint: flatJoint(1) },
      { id: '3', frames: range(0, 40), joint: personJoint(-1, 0.01) },
    ]),
  );
  t.deepEqual(d.actorBodies, [['1'], ['3']]);
  t.true(d.notes.some((n) => /dropped body 2: 100\.0 % of its frames are spread/.test(n)));
});

test('spread threshold: 27 of 40 frames spread (67.5 %) keeps the body, 28 (70 %) drops it', (t) => {
  const mixed = (spread: number) => (f: number, j: number) =>
    f < spread ? flatJoint(0)(f, j) : personJoint(0, 0.02)(f, j);
  for (const [spread, kept] of [
    [27, true],
    [28, false],
  ] as const) {
    const d = denoise(
      ntuFromBodies(40, [
        { id: ID.a, frames: range(0, 40), joint: personJoint(3, 0.01) },
        { id: ID.b, frames: range(0, 40), joint: mixed(spread) },
      ]),
    );
    t.is(d.actorBodies.flat().includes(ID.b), kept, `${spread} spread frames`);
  }
});

test('actors are ordered by motion: the body that moves most is actor 1', (t) => {
  const d = denoise(
    ntuFromBodies(30, [
      { id: ID.still, frames: range(0, 30), joint: personJoint(0, 0.001) },
      { id: ID.moving, frames: range(0, 30), joint: personJoint(1, 0.2) },
    ]),
  );
  t.deepEqual(d.actorBodies, [[ID.moving], [ID.still]]);
  // actor 1's data is the moving body's: compare one joint with the generator
  const [x] = personJoint(1, 0.2)(0, 4);
  t.true(Math.abs(d.data[4 * 3] - x) < 1e-5);
});

test('a later body that does not overlap actor 1 continues actor 1; overlapping bodies go to actor 2; frames with no actor are removed', (t) => {
  const d = denoise(
    ntuFromBodies(60, [
      { id: ID.first, frames: range(0, 25), joint: personJoint(0, 0.2) },
      { id: ID.second, frames: range(30, 60), joint: personJoint(0.5, 0.1) },
      { id: ID.partner, frames: range(10, 50), joint: personJoint(1.5, 0.05) },
    ]),
  );
  t.deepEqual(d.actorBodies, [[ID.first, ID.second], [ID.partner]]);
  // frames 25..29 have only the partner: kept; no frame is empty of both actors here
  t.is(d.frames, 60);
  // actor 1 is zero in frames 25..29 and holds 'second' from frame 30
  const frame = (a: number, f: number) => d.data.subarray((a * d.frames + f) * V3, (a * d.frames + f + 1) * V3);
  t.true(frame(0, 27).every((x) => x === 0));
  t.true(Math.abs(frame(0, 30)[0] - personJoint(0.5, 0.1)(30, 0)[0]) < 1e-5);
});

test('frames where no selected actor is present are removed (multi-body files)', (t) => {
  const d = denoise(
    ntuFromBodies(50, [
      { id: ID.a, frames: range(0, 20), joint: personJoint(0, 0.2) },
      { id: ID.b, frames: range(5, 20), joint: personJoint(1, 0.1) },
      { id: ID.noise, frames: range(30, 35), joint: personJoint(2, 0.5) }, // 5 frames: dropped
    ]),
  );
  // file frames 20..29 and 35..49 have no body at all (dropped by the parser); 30..34 only noise
  t.is(d.frames, 20);
  t.true(d.notes.some((n) => /removed 5 frame\(s\) where no actor is present/.test(n)));
});

test('motion is the summed per-axis population variance over all joints and frames', (t) => {
  const joints = new Float32Array(2 * V3);
  for (let j = 0; j < NTU_JOINTS; j++) {
    joints[j * 3] = 0; // frame 0 x
    joints[V3 + j * 3] = 2; // frame 1 x
  }
  // x takes 0 and 2 equally often: variance 1; y, z constant
  t.is(bodyMotion(joints), 1);
});
