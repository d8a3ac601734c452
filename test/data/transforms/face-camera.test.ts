import test from 'ava';
import { makeClip } from '../../../src/graph/clip.js';
import { getLayout, jointIndex } from '../../../src/graph/layout.js';
import {
  axisRotation,
  applyMatrix,
  boxNormalize,
  faceCamera,
  uclaNormalize,
} from '../../../src/data/transforms/augment.js';
import { prng } from '../../helpers/prng.js';

const kinect = getLayout('kinect-20');
const j = (name: string) => jointIndex(kinect, name);

/** A frontal Kinect-20 person (x to the sensor's left = the person's right, y up) with some jitter per frame. */
function frontalClip(frames: number, seed = 1) {
  const r = prng(seed);
  const pose: Record<string, [number, number, number]> = {
    HipCenter: [0, 0, 3],
    Spine: [0, 0.2, 3],
    ShoulderCenter: [0, 0.5, 3],
    Head: [0, 0.7, 3],
    ShoulderLeft: [-0.18, 0.45, 3],
    ElbowLeft: [-0.25, 0.2, 3],
    WristLeft: [-0.27, 0, 3],
    HandLeft: [-0.27, -0.08, 3],
    ShoulderRight: [0.18, 0.45, 3],
    ElbowRight: [0.25, 0.2, 3],
    WristRight: [0.27, 0, 3],
    HandRight: [0.27, -0.08, 3],
    HipLeft: [-0.1, -0.05, 3],
    KneeLeft: [-0.1, -0.45, 3],
    AnkleLeft: [-0.1, -0.85, 3],
    FootLeft: [-0.1, -0.9, 2.9],
    HipRight: [0.1, -0.05, 3],
    KneeRight: [0.1, -0.45, 3],
    AnkleRight: [0.1, -0.85, 3],
    FootRight: [0.1, -0.9, 2.9],
  };
  const data = new Float32Array(frames * 20 * 3);
  for (let t = 0; t < frames; t++) {
    kinect.jointNames.forEach((name, v) =>
      pose[name].forEach((x, c) => (data[(t * 20 + v) * 3 + c] = x + (r() - 0.5) * 0.01)),
    );
  }
  return makeClip(data, 1, frames, 20, 3);
}

const vec = (clip: ReturnType<typeof frontalClip>, t: number, a: string, b: string) =>
  [0, 1, 2].map((c) => clip.data[(t * 20 + j(a)) * 3 + c] - clip.data[(t * 20 + j(b)) * 3 + c]);
const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));

test('faceCamera: a person seen from the side or from above is turned to face the camera', (t) => {
  const frontal = frontalClip(20);
  // 70° about the vertical axis, then 25° about x: a side view from above.
  const turned = applyMatrix(
    applyMatrix(frontal, axisRotation(1, (70 * Math.PI) / 180)),
    axisRotation(0, (25 * Math.PI) / 180),
  );
  const faced = faceCamera(turned, kinect);
  const facedFrontal = faceCamera(frontal, kinect);
  for (let f = 0; f < 20; f += 7) {
    // Shoulders along +x, spine along +y, whatever the view was.
    const shoulders = unit(vec(faced, f, 'ShoulderRight', 'ShoulderLeft'));
    const spine = unit(vec(faced, f, 'ShoulderCenter', 'HipCenter'));
    t.true(shoulders[0] > 0.99, `frame ${f}: shoulders ${shoulders.map((x) => x.toFixed(3))}`);
    t.true(spine[1] > 0.99, `frame ${f}: spine ${spine.map((x) => x.toFixed(3))}`);
    // And the turned clip lands where the frontal one does (up to the jitter's effect on the mean directions).
    for (let v = 0; v < 20; v++) {
      for (let c = 0; c < 3; c++) {
        const a = faced.data[(f * 20 + v) * 3 + c];
        const b = facedFrontal.data[(f * 20 + v) * 3 + c];
        t.true(Math.abs(a - b) < 1e-3, `frame ${f} joint ${kinect.jointNames[v]} axis ${c}: ${a} vs ${b}`);
      }
    }
  }
});

test('faceCamera: a rotation only (bone lengths kept), the identity for an exactly frontal clip', (t) => {
  const frontal = frontalClip(5, 3);
  const faced = faceCamera(applyMatrix(frontal, axisRotation(1, 1.1)), kinect);
  for (const [a, b] of [
    ['ElbowLeft', 'ShoulderLeft'],
    ['KneeRight', 'HipRight'],
    ['Head', 'HipCenter'],
  ]) {
    t.true(Math.abs(Math.hypot(...vec(faced, 2, a, b)) - Math.hypot(...vec(frontal, 2, a, b))) < 1e-5);
  }
  // No jitter: shoulders exactly along x and the spine exactly along y → nothing moves.
  const exact = makeClip(
    frontalClip(1, 5).data.map((x) => Math.round(x * 20) / 20),
    1,
    1,
    20,
    3,
  );
  const left = exact.data[j('ShoulderLeft') * 3 + 1];
  exact.data[j('ShoulderRight') * 3 + 1] = left; // level shoulders
  exact.data[j('HipRight') * 3 + 1] = exact.data[j('HipLeft') * 3 + 1];
  exact.data[j('HipRight') * 3 + 2] = exact.data[j('HipLeft') * 3 + 2];
  exact.data[j('ShoulderRight') * 3 + 2] = exact.data[j('ShoulderLeft') * 3 + 2];
  exact.data[j('ShoulderCenter') * 3] = exact.data[j('HipCenter') * 3];
  exact.data[j('ShoulderCenter') * 3 + 2] = exact.data[j('HipCenter') * 3 + 2];
  const same = faceCamera(exact, kinect);
  same.data.forEach((x, i) => t.true(Math.abs(x - exact.data[i]) < 1e-6, `value ${i}: ${x} vs ${exact.data[i]}`));
});

test("uclaNormalize with face: the camera's angle no longer changes the normalised input", (t) => {
  const frontal = frontalClip(12, 7);
  const side = applyMatrix(frontal, axisRotation(1, (-50 * Math.PI) / 180));
  const a = uclaNormalize(frontal, kinect, undefined, true);
  const b = uclaNormalize(side, kinect, undefined, true);
  const plainA = uclaNormalize(frontal, kinect);
  const plainB = uclaNormalize(side, kinect);
  const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
  t.true(maxDiff(a.data, b.data) < 1e-3, `faced: ${maxDiff(a.data, b.data)}`);
  t.true(maxDiff(plainA.data, plainB.data) > 0.1, 'without facing, the view changes the input');
});

test('faceCamera: layouts without a defined body frame are refused', (t) => {
  const coco = makeClip(new Float32Array(17 * 3), 1, 1, 17, 3);
  t.throws(() => faceCamera(coco, getLayout('coco-17')), { message: /kinect-20 and ntu-25/ });
});

test('boxNormalize: the bounding box is centred and its longest side spans [−1, 1], proportions kept', (t) => {
  // Two points: a box 2 m wide (x), 1 m tall (y), 0.5 m deep (z) centred at (1, 2, 3).
  const clip = makeClip(Float32Array.from([0, 1.5, 2.75, 2, 2.5, 3.25]), 1, 1, 2, 3);
  const out = boxNormalize(clip);
  // Hand-computed: subtract (1, 2, 3), divide by the largest half-side 1.
  t.deepEqual(Array.from(out.data), [-1, -0.5, -0.25, 1, 0.5, 0.25]);
  const scaled = boxNormalize(
    makeClip(
      clip.data.map((x) => 3 * x + 1),
      1,
      1,
      2,
      3,
    ),
  );
  scaled.data.forEach((x, i) => t.true(Math.abs(x - out.data[i]) < 1e-6, 'scale and offset do not change the result'));
});
