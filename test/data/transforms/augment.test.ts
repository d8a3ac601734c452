import test from 'ava';
import fc from 'fast-check';
import { type SkeletonClip, makeClip } from '../../../src/graph/clip.js';
import { getLayout, jointIndex } from '../../../src/graph/layout.js';
import {
  IDENTITY3,
  type Matrix3,
  adainAnchor,
  applyMatrix,
  axisRotation,
  centreOnFirstFrameJoint,
  dropAxis,
  dropJoints,
  flipJoints,
  minMaxNormalize,
  ntuSkateformerAugment,
  padPersons,
  randint,
  randomDropJoints,
  randomRotXYZ,
  randomRotation,
  randomScale,
  randomShear,
  referenceFrames,
  roundHalfEven,
  sampleSorted,
  scaleMatrix,
  shearMatrix,
  skeletonAdaIN,
  swapPersons,
  uclaNormalize,
  uclaRandomView,
  uclaViewMatrix,
} from '../../../src/data/transforms/augment.js';
import { AUGMENT_PRESETS } from '../../../src/train/config.js';
import { AUGMENT_PRESET_NAMES, augmentPreset } from '../../../src/data/transforms/augment-steps.js';
import { prng } from '../../helpers/prng.js';

const ntu = getLayout('ntu-25');
const kinect = getLayout('kinect-20');

/** A clip of random, non-zero coordinates. */
function randomClip(seed: number, persons = 2, frames = 64, joints = 25, channels = 3): SkeletonClip {
  const r = prng(seed);
  return makeClip(
    Float32Array.from(
      { length: persons * frames * joints * channels },
      () => (r() - 0.5) * 2 + (r() < 0.5 ? 0.01 : -0.01),
    ),
    persons,
    frames,
    joints,
    channels,
  );
}

const at = (clip: SkeletonClip, m: number, t: number, v: number) => {
  const o = ((m * clip.frames + t) * clip.joints + v) * clip.channels;
  return Array.from(clip.data.subarray(o, o + clip.channels));
};

/** Bone lengths from the layout's (child, parent) list, computed here independently. */
function lengths(clip: SkeletonClip, m: number, t: number): number[] {
  return ntu.bones.map(([c, p]) => Math.hypot(...at(clip, m, t, c).map((x, i) => x - at(clip, m, t, p)[i])));
}

const close = (a: readonly number[], b: readonly number[], tol = 1e-5) =>
  a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])));

function matVec(m: Matrix3, v: readonly number[]): number[] {
  return [0, 1, 2].map((r) => m[3 * r] * v[0] + m[3 * r + 1] * v[1] + m[3 * r + 2] * v[2]);
}

test('preset names match the config schema', (t) => {
  t.deepEqual([...AUGMENT_PRESET_NAMES], [...AUGMENT_PRESETS]);
});

test('axis rotations are the reference matrices: 90° about z maps x to −y, about x maps y to −z', (t) => {
  const one = makeClip(Float32Array.from([1, 0, 0, 0, 1, 0]), 1, 1, 2, 3);
  const rz = applyMatrix(one, axisRotation(2, Math.PI / 2));
  t.true(close(Array.from(rz.data), [0, -1, 0, 1, 0, 0], 1e-7));
  const rx = applyMatrix(one, axisRotation(0, Math.PI / 2));
  t.true(close(Array.from(rx.data), [1, 0, 0, 0, 0, -1], 1e-7));
  const ry = applyMatrix(makeClip(Float32Array.from([0, 0, 1]), 1, 1, 1, 3), axisRotation(1, Math.PI / 2));
  t.true(close(Array.from(ry.data), [-1, 0, 0], 1e-7)); // y row 0 is [c, 0, −s]
});

test('property: a random rotation keeps every bone length and is orthonormal with det 1 and angle ≤ 30°', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
      const clip = randomClip(seed, 1, 3);
      const R = randomRotation(prng(seed + 1));
      const out = applyMatrix(clip, R);
      for (let f = 0; f < 3; f++) if (!close(lengths(out, 0, f), lengths(clip, 0, f), 1e-5)) return false;
      const RtR = [0, 1, 2].flatMap((i) =>
        [0, 1, 2].map((j) => R[i] * R[j] + R[3 + i] * R[3 + j] + R[6 + i] * R[6 + j]),
      );
      if (!close(RtR, [...IDENTITY3], 1e-12)) return false;
      const det =
        R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
      const angle = Math.acos(Math.min(1, (R[0] + R[4] + R[8] - 1) / 2));
      return Math.abs(det - 1) < 1e-12 && angle <= (30 * Math.PI) / 180 + 1e-12;
    }),
    { numRuns: 60 },
  );
  t.pass();
});

test('CTR-GCN random_rot is Rz·Ry·Rx with angles within ±0.3 rad and keeps bone lengths', (t) => {
  const R = randomRotXYZ(prng(4));
  const clip = randomClip(9, 1, 2);
  const out = applyMatrix(clip, R);
  t.true(close(lengths(out, 0, 1), lengths(clip, 0, 1), 1e-5));
  // Recover the angles from the matrix: Rz·Ry·Rx has R[2] = −sin(y)·… check via the y angle: row 2 col 0 of Rz·Ry·Rx is sin(ay).
  const ay = Math.asin(R[6]);
  t.true(Math.abs(ay) <= 0.3 + 1e-12);
  // Hand product for fixed angles.
  const ax = 0.1,
    by = -0.2,
    az = 0.25;
  const mul = (a: Matrix3, b: Matrix3) =>
    [0, 1, 2].flatMap((i) =>
      [0, 1, 2].map((j) => a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j]),
    ) as unknown as Matrix3;
  const expected = mul(axisRotation(2, az), mul(axisRotation(1, by), axisRotation(0, ax)));
  const seq = [ax, by, az].map((a) => (a + 0.3) / 0.6);
  let i = 0;
  t.true(close([...randomRotXYZ(() => seq[i++])], [...expected], 1e-12));
});

test('shear and scale matrices act as written (hand-computed point)', (t) => {
  const S = shearMatrix([0.1, 0.2, 0.3], [-0.4, 0.5, -0.1]);
  // x' = x + 0.1y − 0.4z; y' = 0.2x + y + 0.5z; z' = 0.3x − 0.1y + z
  const p = [1, 2, 3];
  t.true(close(matVec(S, p), [1 + 0.2 - 1.2, 0.2 + 2 + 1.5, 0.3 - 0.2 + 3], 1e-12));
  const out = applyMatrix(makeClip(Float32Array.from(p), 1, 1, 1, 3), S);
  t.true(close(Array.from(out.data), [0, 3.7, 3.1], 1e-6));
  const sc = applyMatrix(makeClip(Float32Array.from([1, -2, 4, 7]), 1, 1, 1, 4), scaleMatrix([2, 0.5, -1]));
  t.deepEqual(Array.from(sc.data), [2, -1, -4, 7]); // the 4th channel (a score) is kept
});

test('random shear and scale stay in the reference ranges', (t) => {
  const r = prng(11);
  for (let i = 0; i < 200; i++) {
    const S = randomShear(r);
    t.deepEqual([S[0], S[4], S[8]], [1, 1, 1]);
    t.true([S[1], S[2], S[3], S[5], S[6], S[7]].every((s) => s >= -0.5 && s < 0.5));
    const K = randomScale(r);
    t.true([K[0], K[4], K[8]].every((s) => s >= 0.8 && s < 1.2));
    t.deepEqual([K[1], K[2], K[3], K[5], K[6], K[7]], [0, 0, 0, 0, 0, 0]);
  }
});

test('flip: swap exchanges left/right joints only, mirror also negates x; each twice is the identity', (t) => {
  const clip = randomClip(3);
  const L = jointIndex(ntu, 'ShoulderLeft');
  const R = jointIndex(ntu, 'ShoulderRight');
  const head = jointIndex(ntu, 'Head');
  const swapped = flipJoints(clip, ntu, 'swap');
  t.deepEqual(at(swapped, 1, 5, L), at(clip, 1, 5, R));
  t.deepEqual(at(swapped, 1, 5, head), at(clip, 1, 5, head));
  const mirrored = flipJoints(clip, ntu, 'mirror');
  const [x, y, z] = at(clip, 0, 7, R);
  t.deepEqual(at(mirrored, 0, 7, L), [-x, y, z]);
  t.deepEqual(at(mirrored, 0, 7, head), [-at(clip, 0, 7, head)[0], ...at(clip, 0, 7, head).slice(1)]);
  t.deepEqual(Array.from(flipJoints(swapped, ntu, 'swap').data), Array.from(clip.data));
  t.deepEqual(Array.from(flipJoints(mirrored, ntu, 'mirror').data), Array.from(clip.data));
  // The mirror keeps bone lengths (the tree is symmetric).
  t.true(close(lengths(mirrored, 0, 3).sort(), lengths(clip, 0, 3).sort(), 1e-5));
});

test('drop axis zeroes exactly one coordinate', (t) => {
  const clip = randomClip(5, 2, 4);
  const out = dropAxis(clip, 1);
  for (let p = 0; p < clip.data.length; p += 3) {
    t.is(out.data[p + 1], 0);
    t.is(out.data[p], clip.data[p]);
    t.is(out.data[p + 2], clip.data[p + 2]);
  }
  t.throws(() => dropAxis(clip, 3));
});

test('drop joints zeroes the (joint, frame) product set for every person and nothing else', (t) => {
  const clip = randomClip(6, 2, 10);
  const out = dropJoints(clip, [1, 4], [0, 9]);
  for (let m = 0; m < 2; m++) {
    for (let f = 0; f < 10; f++) {
      for (let v = 0; v < 25; v++) {
        const dropped = (v === 1 || v === 4) && (f === 0 || f === 9);
        t.deepEqual(at(out, m, f, v), dropped ? [0, 0, 0] : at(clip, m, f, v));
      }
    }
  }
});

test('random drop joints: 5–15 joints over 16–32 frames (NTU), counts seen across seeds', (t) => {
  const clip = randomClip(7, 1, 64);
  const jointCounts = new Set<number>();
  const frameCounts = new Set<number>();
  for (let s = 0; s < 300; s++) {
    const out = randomDropJoints(clip, prng(100 + s));
    const zeroJ = new Set<number>();
    const zeroF = new Set<number>();
    let cells = 0;
    for (let f = 0; f < 64; f++) {
      for (let v = 0; v < 25; v++) {
        if (at(out, 0, f, v).every((x) => x === 0)) {
          zeroJ.add(v);
          zeroF.add(f);
          cells++;
        }
      }
    }
    t.true(zeroJ.size >= 5 && zeroJ.size <= 15, `joints ${zeroJ.size}`);
    t.true(zeroF.size >= 16 && zeroF.size <= 32, `frames ${zeroF.size}`);
    t.is(cells, zeroJ.size * zeroF.size);
    jointCounts.add(zeroJ.size);
    frameCounts.add(zeroF.size);
  }
  t.true(jointCounts.has(5) && jointCounts.has(15), 'both ends of the joint range occur');
  t.true(frameCounts.has(16) && frameCounts.has(32), 'both ends of the frame range occur');
});

test('randint and sampleSorted: inclusive ranges, distinct sorted picks, uniform-looking', (t) => {
  const r = prng(3);
  const seen = new Array(7).fill(0);
  for (let i = 0; i < 7000; i++) seen[randint(r, 2, 8) - 2]++;
  t.true(
    seen.every((c) => c > 850 && c < 1150),
    seen.join(','),
  );
  for (let i = 0; i < 50; i++) {
    const s = sampleSorted(r, 6400, 64);
    t.is(new Set(s).size, 64);
    t.deepEqual(
      s,
      [...s].sort((a, b) => a - b),
    );
    t.true(s.every((x) => x >= 0 && x < 6400));
  }
  t.deepEqual(sampleSorted(r, 5, 9), [0, 1, 2, 3, 4]);
});

test('person swap exchanges persons 0 and 1 and is an involution; padding fills zeros or copies', (t) => {
  const clip = randomClip(8, 2, 3);
  const s = swapPersons(clip);
  t.deepEqual(at(s, 0, 2, 4), at(clip, 1, 2, 4));
  t.deepEqual(Array.from(swapPersons(s).data), Array.from(clip.data));
  const one = randomClip(9, 1, 3);
  t.throws(() => swapPersons(one), { message: /pad it first/ });
  const zeros = padPersons(one, 2, 'zeros');
  t.deepEqual(at(zeros, 1, 1, 3), [0, 0, 0]);
  const copy = padPersons(one, 2, 'copy');
  t.deepEqual(at(copy, 1, 1, 3), at(one, 0, 1, 3));
  t.is(padPersons(clip, 1).persons, 1);
});

test('Skeleton-AdaIN gives the reference bone lengths, keeps bone directions, and pins the anchor to the reference', (t) => {
  const input = randomClip(21, 2, 6);
  const reference = randomClip(22, 2, 6);
  const anchor = adainAnchor(ntu);
  t.is(anchor, jointIndex(ntu, 'SpineMid'));
  const out = skeletonAdaIN(input, reference, ntu, anchor);
  for (let m = 0; m < 2; m++) {
    for (let f = 0; f < 6; f++) {
      t.true(close(lengths(out, m, f), lengths(reference, m, f), 1e-4), `lengths person ${m} frame ${f}`);
      t.true(close(at(out, m, f, anchor), at(reference, m, f, anchor), 1e-5));
      for (const [c, p] of ntu.bones) {
        const a = at(input, m, f, c).map((x, i) => x - at(input, m, f, p)[i]);
        const b = at(out, m, f, c).map((x, i) => x - at(out, m, f, p)[i]);
        const cos = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (Math.hypot(...a) * Math.hypot(...b));
        t.true(cos > 1 - 1e-4, `bone ${c} direction`);
      }
    }
  }
});

test('Skeleton-AdaIN against an empty reference person shrinks that person to the reference anchor (as the reference)', (t) => {
  const input = randomClip(31, 2, 2);
  const reference = padPersons(randomClip(32, 1, 2), 2, 'zeros');
  const out = skeletonAdaIN(input, reference, ntu, adainAnchor(ntu));
  for (let v = 0; v < 25; v++) t.true(at(out, 1, 0, v).every((x) => Math.abs(x) < 1e-3));
});

test('reference frames follow round((index_t + 1)·valid/2) with numpy rounding (half to even)', (t) => {
  t.is(roundHalfEven(2.5), 2);
  t.is(roundHalfEven(3.5), 4);
  t.is(roundHalfEven(-0.5), -0);
  t.is(roundHalfEven(1.2), 1);
  // index_t = −1 → 0; 0 → valid/2; (x+1)·10/2 with x = −0.5 → 2.5 → 2
  t.deepEqual(Array.from(referenceFrames(Float32Array.from([-1, 0, -0.5, 0.5]), 10)), [0, 5, 2, 8]);
});

test('UCLA view transform equals X·(Ry·Rx·S) on row vectors; min-max maps each axis onto [−1, 1]', (t) => {
  const ax = 37,
    ay = -52,
    s = 1.3;
  const rad = (d: number) => (d * Math.PI) / 180;
  const Rx = [
    [1, 0, 0],
    [0, Math.cos(rad(ax)), Math.sin(rad(ax))],
    [0, -Math.sin(rad(ax)), Math.cos(rad(ax))],
  ];
  const Ry = [
    [Math.cos(rad(ay)), 0, -Math.sin(rad(ay))],
    [0, 1, 0],
    [Math.sin(rad(ay)), 0, Math.cos(rad(ay))],
  ];
  const mm = (a: number[][], b: number[][]) =>
    a.map((row) => b[0].map((_, j) => row.reduce((acc, x, k) => acc + x * b[k][j], 0)));
  const M = mm(
    Ry,
    mm(Rx, [
      [s, 0, 0],
      [0, s, 0],
      [0, 0, s],
    ]),
  );
  const X = [0.3, -1.2, 2.5];
  const rowTimes = [0, 1, 2].map((j) => X[0] * M[0][j] + X[1] * M[1][j] + X[2] * M[2][j]);
  t.true(close(matVec(uclaViewMatrix(ax, ay, s), X), rowTimes, 1e-12));

  const clip = makeClip(Float32Array.from([0, 10, -1, 2, 20, -1, 4, 15, 5]), 1, 3, 1, 3);
  t.deepEqual(Array.from(minMaxNormalize(clip).data), [-1, -1, -1, 0, 1, -1, 1, 0, 1]);
  const centred = centreOnFirstFrameJoint(randomClip(2, 1, 3, 20), 1);
  t.deepEqual(at(centred, 0, 0, 1), [0, 0, 0]);
});

test('UCLA normalisation: deterministic, each axis spans exactly [−1, 1], the random view scale is undone', (t) => {
  const clip = randomClip(41, 1, 30, 20);
  const a = uclaNormalize(clip, kinect);
  t.deepEqual(Array.from(uclaNormalize(clip, kinect).data), Array.from(a.data));
  const view = uclaRandomView(prng(3));
  const b = uclaNormalize(clip, kinect, view);
  // The view's uniform scale is undone by the min-max step: a pure rotation gives the same result.
  const scale = Math.cbrt(
    Math.abs(
      view[0] * (view[4] * view[8] - view[5] * view[7]) -
        view[1] * (view[3] * view[8] - view[5] * view[6]) +
        view[2] * (view[3] * view[7] - view[4] * view[6]),
    ),
  );
  t.true(scale >= 0.5 && scale < 1.5);
  const rotationOnly = uclaNormalize(clip, kinect, view.map((x) => x / scale) as unknown as Matrix3);
  t.true(close(Array.from(b.data), Array.from(rotationOnly.data), 1e-4));
  for (const out of [a, b]) {
    for (let c = 0; c < 3; c++) {
      const vals = Array.from(out.data).filter((_, i) => i % 3 === c);
      t.true(Math.abs(Math.min(...vals) + 1) < 1e-6 && Math.abs(Math.max(...vals) - 1) < 1e-6);
    }
  }
  t.notDeepEqual(Array.from(b.data), Array.from(a.data));
});

test('the NTU chain is deterministic per seed, and its branch frequencies follow intra_p 0.5 / inter_p 0.2', (t) => {
  const clip = randomClip(51, 2, 64);
  const indexT = Float32Array.from({ length: 64 }, (_, i) => (2 * i) / 64 - 1);
  let references = 0;
  const context = {
    layout: ntu,
    indexT,
    sameClassReference: () => {
      references++;
      return randomClip(52, 2, 80);
    },
  };
  const a = ntuSkateformerAugment(clip, context, prng(7));
  const b = ntuSkateformerAugment(clip, context, prng(7));
  t.deepEqual(Array.from(a.data), Array.from(b.data));
  references = 0;
  let unchanged = 0;
  const N = 3000;
  for (let s = 0; s < N; s++) {
    const out = ntuSkateformerAugment(clip, context, prng(1000 + s));
    if (out === clip) unchanged++;
  }
  // Unchanged: the 0.3 "nothing" branch plus the intra branch with all seven steps skipped (0.5·2⁻⁷).
  const expectUnchanged = 0.3 + 0.5 / 128;
  t.true(Math.abs(unchanged / N - expectUnchanged) < 0.035, `unchanged share ${unchanged / N}`);
  t.true(Math.abs(references / N - 0.2) < 0.03, `AdaIN share ${references / N}`);
  // Probabilities 0: nothing ever changes.
  const none = ntuSkateformerAugment(clip, context, prng(1), { intraProbability: 0, interProbability: 0 });
  t.is(none, clip);
});

test('presets: none is the identity, ucla has a random view, rotate keeps bone lengths', (t) => {
  const clip = randomClip(61, 2, 8);
  const context = { layout: ntu, indexT: new Float32Array(8) };
  t.is(augmentPreset('none').afterSampling(clip, context, prng(1)), clip);
  const view = augmentPreset('ucla-skateformer').randomView!(prng(5));
  t.is(view.length, 9);
  t.falsy(augmentPreset('ntu-skateformer').randomView);
  const rotated = augmentPreset('rotate').afterSampling(clip, context, prng(2));
  t.true(close(lengths(rotated, 1, 4), lengths(clip, 1, 4), 1e-5));
  t.throws(() => augmentPreset('nope' as never));
});
