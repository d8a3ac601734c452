import test from 'ava';
import { makeClip } from '../../src/graph/clip.js';
import { getLayout, jointIndex } from '../../src/graph/layout.js';
import { alignPyskl, alignmentJoints, centreOnFirstFrame, rotationMatrix } from '../../src/data/normalize.js';

const layout = getLayout('ntu-25');
const J = alignmentJoints(layout);
const V = 25;

function randomPerson(seed: number, frames: number, offset: [number, number, number]): number[] {
  let s = seed;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  const out: number[] = [];
  for (let t = 0; t < frames; t++)
    for (let v = 0; v < V; v++) out.push(offset[0] + rand(), offset[1] + rand(), offset[2] + rand());
  return out;
}

const point = (data: Float32Array, T: number, m: number, t: number, v: number) => {
  const o = ((m * T + t) * V + v) * 3;
  return [data[o], data[o + 1], data[o + 2]];
};
const sub = (a: number[], b: number[]) => a.map((x, i) => x - b[i]);
const norm = (a: number[]) => Math.hypot(...a);

test('CTR-GCN centring: SpineMid of person 0 in its first non-empty frame becomes the origin; missing frames stay zero', (t) => {
  const T = 6;
  const p0 = randomPerson(1, T, [1, 2, 3]);
  const p1 = randomPerson(2, T, [0, 0, 4]);
  for (let i = 0; i < V * 3; i++) p0[i] = 0; // person 0 missing in frame 0
  for (let i = 3 * V * 3; i < 4 * V * 3; i++) p1[i] = 0; // person 1 missing in frame 3
  const clip = makeClip(Float32Array.from([...p0, ...p1]), 2, T, V, 3);
  const out = centreOnFirstFrame(clip, J.centre).data;
  const origin = [p0[(1 * V + J.centre) * 3], p0[(1 * V + J.centre) * 3 + 1], p0[(1 * V + J.centre) * 3 + 2]];
  t.deepEqual(point(out, T, 0, 1, J.centre), [0, 0, 0]);
  t.true(point(out, T, 0, 0, 5).every((x) => x === 0));
  t.true(point(out, T, 1, 3, 5).every((x) => x === 0));
  const want = sub([p1[(2 * V + 7) * 3], p1[(2 * V + 7) * 3 + 1], p1[(2 * V + 7) * 3 + 2]], origin);
  point(out, T, 1, 2, 7).forEach((x, i) => t.true(Math.abs(x - want[i]) < 1e-5));
});

test('rotation matrix: rotating v about v×z by angle(v, z) lands on +z (the PYSKL convention)', (t) => {
  const v = [0.3, -0.5, 0.8];
  const axis: [number, number, number] = [v[1] * 1 - v[2] * 0, v[2] * 0 - v[0] * 1, 0];
  const angle = Math.acos(v[2] / norm(v));
  const r = rotationMatrix(axis, angle);
  const w = r.map((row) => row[0] * v[0] + row[1] * v[1] + row[2] * v[2]);
  t.true(Math.abs(w[0]) < 1e-12 && Math.abs(w[1]) < 1e-12);
  t.true(Math.abs(w[2] - norm(v)) < 1e-12);
  // orthonormal
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const dot = r[i][0] * r[j][0] + r[i][1] * r[j][1] + r[i][2] * r[j][2];
      t.true(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12);
    }
});

test('PYSKL alignment: shoulders (right → left) along +x, spine in the y–z plane, distances kept, zero joints kept at zero', (t) => {
  const T = 5;
  const data = randomPerson(7, T, [0.2, 0.1, 3]);
  // a plausible torso in frame 0 so the two axes are not degenerate
  const set = (v: number, p: number[]) => data.splice(v * 3, 3, ...p);
  set(J.spine[0], [0.1, -0.3, 3.1]);
  set(J.spine[1], [0.12, 0.0, 3.05]);
  set(jointIndex(layout, 'ShoulderLeft'), [-0.05, 0.25, 3.0]);
  set(jointIndex(layout, 'ShoulderRight'), [0.3, 0.22, 3.1]);
  data.splice((2 * V + 4) * 3, 3, 0, 0, 0); // a missing joint in frame 2
  const clip = makeClip(Float32Array.from(data), 1, T, V, 3);
  const out = alignPyskl(clip, J).data;
  const sh = sub(point(out, T, 0, 0, J.shoulders[0]), point(out, T, 0, 0, J.shoulders[1]));
  t.true(Math.abs(sh[1]) < 1e-5 && Math.abs(sh[2]) < 1e-5 && sh[0] > 0);
  t.deepEqual(
    point(out, T, 0, 0, J.centre).map((x) => Math.round(x * 1e6) / 1e6 + 0),
    [0, 0, 0],
  );
  t.deepEqual(point(out, T, 0, 2, 4), [0, 0, 0]);
  // rigid: pairwise distances within a frame are unchanged
  const before = norm(sub(point(clip.data, T, 0, 3, 10), point(clip.data, T, 0, 3, 17)));
  const after = norm(sub(point(out, T, 0, 3, 10), point(out, T, 0, 3, 17)));
  t.true(Math.abs(before - after) < 1e-5);
});

test('PYSKL alignment puts the person with more present frames first and drops frames where it is missing', (t) => {
  const T = 6;
  const a = randomPerson(3, T, [0, 0, 3]);
  const b = randomPerson(4, T, [1, 0, 3]);
  for (let f = 0; f < 3; f++) for (let i = 0; i < V * 3; i++) a[f * V * 3 + i] = 0; // person 0 present in 3 frames
  for (let i = 0; i < V * 3; i++) b[5 * V * 3 + i] = 0; // person 1 present in 5 frames
  const out = alignPyskl(makeClip(Float32Array.from([...a, ...b]), 2, T, V, 3), J);
  t.is(out.frames, 5);
  // new person 0 is old person 1: its centre joint is the origin in frame 0
  t.deepEqual(
    point(out.data, 5, 0, 0, J.centre).map((x) => Math.round(x * 1e6) / 1e6 + 0),
    [0, 0, 0],
  );
});
