/**
 * Restoring the camera-space path of hip-centred world landmarks (src/pose/trajectory.ts),
 * against hand-computed pinhole cameras: a person moving at a known speed gives that speed back,
 * a static person gives no motion; and on a real NW-UCLA walk (../shared) the restored path is
 * the recorded one.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { KINECT_V1_CAMERA, kinectToBlazepose } from '../../bench/kinect-landmarks.js';
import { getLayout } from '../../src/graph/layout.js';
import { mapPose } from '../../src/pose/mapping.js';
import { toGenericRecord } from '../../src/pose/pose-file.js';
import {
  cameraTranslations,
  focalLengthPixels,
  imageScale,
  LiveTrajectory,
  type Translation,
} from '../../src/pose/trajectory.js';
import type { PersonPose, PoseFile } from '../../src/pose/types.js';
import { poseFileFrames } from '../../src/serve/pose-frames.js';
import { sharedPath, testWithShared } from '../helpers/shared.js';

const bp = getLayout('blazepose-33');
const kinect = getLayout('kinect-20');
const at = (name: string) => bp.jointNames.indexOf(name);
type Vec3 = [number, number, number];

/**
 * A standing body in MediaPipe world axes (x right, y down, z away; metres), hips' midpoint at
 * the origin. `depth` scales how far landmarks lie in front of or behind the hips (0: a flat
 * body, for which weak perspective is exact); `arm` raises the right arm by that angle (radians).
 */
function body(depth = 1, arm = 0): Vec3[] {
  const p: Vec3[] = bp.jointNames.map(() => [0, -0.65, -0.08 * depth]); // the face's landmarks, in front of the head
  const put = (name: string, x: number, y: number, z: number) => (p[at(name)] = [x, y, z * depth]);
  for (const [side, s] of [
    ['left', 1],
    ['right', -1],
  ] as const) {
    put(`${side}_ear`, 0.07 * s, -0.62, 0.02);
    put(`${side}_shoulder`, 0.19 * s, -0.48, 0.03);
    put(`${side}_hip`, 0.1 * s, 0, 0);
    put(`${side}_knee`, 0.11 * s, 0.45, -0.05);
    put(`${side}_ankle`, 0.11 * s, 0.88, 0.04);
    put(`${side}_heel`, 0.11 * s, 0.92, 0.08);
    put(`${side}_foot_index`, 0.12 * s, 0.93, -0.12);
    const up = side === 'right' ? arm : 0;
    const hand = (r: number): [number, number] => [0.19 * s + s * r * Math.sin(up), -0.48 + r * Math.cos(up)];
    put(`${side}_elbow`, ...hand(0.28), 0.05);
    put(`${side}_wrist`, ...hand(0.52), -0.02);
    for (const f of ['pinky', 'index', 'thumb']) put(`${side}_${f}`, ...hand(0.6), -0.04);
  }
  return p;
}

/** The pose a pinhole camera (width × height, horizontal field of view) sees of `world` placed at `t`. */
function seen(
  world: Vec3[],
  t: Vec3,
  width: number,
  height: number,
  fovDegrees: number,
  visibility = () => 1,
): PersonPose {
  const f = focalLengthPixels(width, fovDegrees);
  const image = world.map(
    ([x, y, z]) =>
      [
        (width / 2 + (f * (x + t[0])) / (z + t[2])) / width,
        (height / 2 + (f * (y + t[1])) / (z + t[2])) / height,
        0,
        visibility(),
      ] as const,
  );
  return { image, world, box: [0, 0, width, height], score: 1 };
}

const W = 640;
const H = 480;
const FPS = 30;
const speedOf = (a: Translation, b: Translation, seconds: number) =>
  Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]) / seconds;

test('imageScale: a hand-computed four-landmark pose gives its pixels per metre and hip pixel; too few or coincident landmarks give none', (t) => {
  // World corners (±0.5, ±0.5) m appear ±100 px around (320, 240): 200 px per metre.
  const world: Vec3[] = bp.jointNames.map(() => [0, 0, 0]);
  const image = bp.jointNames.map(() => [0.5, 0.5, 0, 0] as [number, number, number, number]);
  const corners: Array<[number, number]> = [
    [-0.5, -0.5],
    [0.5, -0.5],
    [0.5, 0.5],
    [-0.5, 0.5],
  ];
  ['left_hip', 'right_hip', 'left_shoulder', 'right_shoulder'].forEach((name, k) => {
    world[at(name)] = [corners[k][0], corners[k][1], 0];
    image[at(name)] = [(320 + 200 * corners[k][0]) / W, (240 + 200 * corners[k][1]) / H, 0, 0.9];
  });
  const scale = imageScale({ image, world, box: [0, 0, W, H], score: 1 }, W, H);
  t.truthy(scale);
  t.true(Math.abs(scale!.pixelsPerMetre - 200) < 1e-9, String(scale!.pixelsPerMetre));
  // Hips are corners 0 and 1: their midpoint is (320, 140).
  t.true(Math.abs(scale!.hip[0] - 320) < 1e-9 && Math.abs(scale!.hip[1] - 140) < 1e-9, String(scale!.hip));
  image[at('right_shoulder')] = [0.5, 0.5, 0, 0.2];
  t.is(imageScale({ image, world, box: [0, 0, W, H], score: 1 }, W, H), null, 'three visible landmarks');
  const flat = bp.jointNames.map(() => [0.3, 0.3, 0, 1] as const);
  t.is(
    imageScale({ image: flat, world: bp.jointNames.map(() => [0, 0, 0] as const), box: [0, 0, 1, 1], score: 0 }, W, H),
    null,
    'all-zero world landmarks',
  );
});

test('a flat body walking sideways at 1.2 m/s, 4 m away: every frame’s position and the speed come back exactly', (t) => {
  const truth = Array.from({ length: 31 }, (_, i): Vec3 => [-0.6 + (1.2 * i) / FPS, 0.3, 4]);
  const path = cameraTranslations(
    truth.map((p) => seen(body(0), p, W, H, 60)),
    W,
    H,
    { horizontalFovDegrees: 60 },
  );
  path.forEach((p, i) =>
    p!.forEach((v, c) => t.true(Math.abs(v - truth[i][c]) < 1e-9, `frame ${i} axis ${c}: ${v} vs ${truth[i][c]}`)),
  );
  t.true(Math.abs(speedOf(path[0]!, path[30]!, 1) - 1.2) < 1e-9);
});

test('a flat body walking towards the camera at 1 m/s from 6 m: depth and speed come back exactly, also through the depth smoothing', (t) => {
  const truth = Array.from({ length: 61 }, (_, i): Vec3 => [0.2, 0.4, 6 - i / FPS]);
  for (const depthSmoothingFrames of [1, 9, 31]) {
    const path = cameraTranslations(
      truth.map((p) => seen(body(0), p, W, H, 60)),
      W,
      H,
      { depthSmoothingFrames },
    );
    path.forEach((p, i) =>
      p!.forEach((v, c) =>
        t.true(
          Math.abs(v - truth[i][c]) < 1e-9,
          `window ${depthSmoothingFrames}, frame ${i} axis ${c}: ${v} vs ${truth[i][c]}`,
        ),
      ),
    );
    t.true(Math.abs(speedOf(path[0]!, path[60]!, 2) - 1) < 1e-9);
  }
});

test('a body with depth, walking diagonally at 1.4 m/s: the speed comes back within 3 % and each position within 12 cm (weak perspective)', (t) => {
  const v: Vec3 = [1.4 * Math.cos(0.6), 0, -1.4 * Math.sin(0.6)];
  const truth = Array.from({ length: 61 }, (_, i): Vec3 => [-1.2 + (v[0] * i) / FPS, 0.5, 5.5 + (v[2] * i) / FPS]);
  const path = cameraTranslations(
    truth.map((p) => seen(body(1), p, W, H, 60)),
    W,
    H,
  );
  const speed = speedOf(path[0]!, path[60]!, 2);
  t.true(Math.abs(speed - 1.4) / 1.4 < 0.03, `speed ${speed}`);
  const worst = Math.max(
    ...path.map((p, i) => Math.hypot(p![0] - truth[i][0], p![1] - truth[i][1], p![2] - truth[i][2])),
  );
  t.true(worst < 0.12, `worst position error ${worst} m`);
});

test('a static person gives zero motion; waving an arm on the spot moves the estimate by under 5 cm', (t) => {
  const still = cameraTranslations(
    Array.from({ length: 20 }, () => seen(body(1), [0.3, 0.2, 3.5], W, H, 60)),
    W,
    H,
  );
  for (const p of still) p!.forEach((v, c) => t.true(Math.abs(v - still[0]![c]) < 1e-12, `${v} vs ${still[0]![c]}`));
  const waving = cameraTranslations(
    Array.from({ length: 40 }, (_, i) =>
      seen(body(1, (Math.PI * 0.9 * (1 - Math.cos((2 * Math.PI * i) / 20))) / 2), [0.3, 0.2, 3.5], W, H, 60),
    ),
    W,
    H,
  );
  const drift = Math.max(
    ...waving.map((p) => Math.hypot(p![0] - waving[0]![0], p![1] - waving[0]![1], p![2] - waving[0]![2])),
  );
  t.true(drift < 0.05, `drift ${drift} m`);
  t.true(drift > 0, 'the fit does see the arm (weak perspective is not exact for a body with depth)');
});

test('the field of view changes only the depth: sideways and vertical positions are the same, depth scales with the focal length', (t) => {
  const track = Array.from({ length: 15 }, (_, i) => seen(body(0), [-0.5 + i / 10, 0.1 * i, 4 + i / 20], W, H, 60));
  const at60 = cameraTranslations(track, W, H, { horizontalFovDegrees: 60 });
  const at90 = cameraTranslations(track, W, H, { horizontalFovDegrees: 90 });
  const ratio = focalLengthPixels(W, 90) / focalLengthPixels(W, 60);
  at60.forEach((p, i) => {
    t.true(Math.abs(p![0] - at90[i]![0]) < 1e-9 && Math.abs(p![1] - at90[i]![1]) < 1e-9, `frame ${i}`);
    t.true(Math.abs(at90[i]![2] - ratio * p![2]) < 1e-9, `frame ${i} depth`);
  });
});

test('missing frames stay missing; a frame without a measurable scale borrows its neighbours’ depth; nothing is NaN', (t) => {
  const truth = Array.from({ length: 9 }, (_, i): Vec3 => [i / 10, 0, 4]);
  const poses: Array<PersonPose | null> = truth.map((p) => seen(body(0), p, W, H, 60));
  poses[2] = null;
  // Frame 5: only the hips visible (no scale), its hips still in the picture.
  const hipsOnly = seen(body(0), truth[5], W, H, 60);
  poses[5] = {
    ...hipsOnly,
    image: hipsOnly.image.map(
      (l, k) => [l[0], l[1], l[2], k === at('left_hip') || k === at('right_hip') ? 1 : 0] as const,
    ),
  };
  const path = cameraTranslations(poses, W, H, { depthSmoothingFrames: 3 });
  t.is(path[2], null);
  path.forEach(
    (p, i) => i !== 2 && p!.forEach((v, c) => t.true(Math.abs(v - truth[i][c]) < 1e-9, `frame ${i} axis ${c}: ${v}`)),
  );
  const unseen = bp.jointNames.map(() => [0.5, 0.5, 0, 0] as const);
  const blind = cameraTranslations([{ image: unseen, world: body(0), box: [0, 0, 1, 1], score: 0 }], W, H);
  t.deepEqual(blind, [null]);
  t.throws(() => cameraTranslations(poses, W, H, { horizontalFovDegrees: 180 }), {
    instanceOf: RangeError,
    message: /field of view.*180/,
  });
  t.throws(() => cameraTranslations(poses, W, H, { depthSmoothingFrames: 4 }), {
    instanceOf: RangeError,
    message: /odd number/,
  });
});

test('mapPose adds the translation before turning into Kinect axes; poseFileFrames restores the walk, or not with trajectory false', (t) => {
  const pose = seen(body(1), [0, 0, 3], W, H, 60);
  const plain = mapPose(pose, 'kinect-20', W, H).joints;
  const moved = mapPose(pose, 'kinect-20', W, H, [0.5, -0.2, 3]).joints;
  plain.forEach((j, v) =>
    t.deepEqual(
      moved[v].map((x, c) => Number((x - j[c]).toFixed(12))),
      [-0.5, 0.2, 3],
    ),
  );
  const truth = Array.from({ length: 30 }, (_, i): Vec3 => [-1 + (1.5 * i) / FPS, 0.4, 5]);
  const file: PoseFile = {
    format: 'skelact-poses',
    version: 1,
    source: { file: 'walk.mp4', width: W, height: H, fps: FPS, durationSeconds: 1 },
    extraction: {
      engine: 'mediapipe',
      engineDescription: 'test',
      model: 'full',
      fps: FPS,
      width: W,
      height: H,
      persons: 1,
      detector: null,
      skelactVersion: '0',
      date: '2026-01-01',
    },
    landmarkLayout: 'blazepose-33',
    tracks: [{ id: 0, firstFrame: 0, lastFrame: 29, frames: 30 }],
    frames: truth.map((p, i) => ({
      index: i,
      timestampMs: (1000 * i) / FPS,
      people: [{ ...seen(body(0), p, W, H, 60), track: 0 }],
    })),
  };
  const hip = kinect.jointNames.indexOf('HipLeft');
  const restored = poseFileFrames(file, 'kinect-20', 1).map((f) => f.persons![0]![hip]);
  const centred = poseFileFrames(file, 'kinect-20', 1, false).map((f) => f.persons![0]![hip]);
  // Kinect x points the other way: walking to the camera's right is −x.
  t.true(Math.abs(restored[0][0] - restored[29][0] - (1.5 * 29) / FPS) < 1e-9, `${restored[0][0] - restored[29][0]}`);
  t.true(Math.abs(restored[0][2] - 5) < 1e-9);
  t.deepEqual(centred[29], centred[0]);
  // The generic records of `extract --generic` go the same way.
  const record = toGenericRecord(file, { layout: 'kinect-20', name: 'walk' });
  const flat = toGenericRecord(file, { layout: 'kinect-20', name: 'walk', trajectory: false });
  t.deepEqual(
    record.joints[0].map((f) => f![hip]),
    restored,
  );
  t.deepEqual(
    flat.joints[0].map((f) => f![hip]),
    centred,
  );
  t.regex(String(record.meta!.trajectory), /restored .* 60° assumed/);
  t.regex(String(flat.meta!.trajectory), /hip-centred/);
});

test('live, one pose at a time: sideways walking exact at once; a steady approach reads (window − 1) / 2 frames late in depth; reset forgets', (t) => {
  const live = new LiveTrajectory(W, H, { depthSmoothingFrames: 5 });
  const side = Array.from({ length: 10 }, (_, i): Vec3 => [-0.5 + (1.2 * i) / FPS, 0.3, 4]);
  side.forEach((p, i) =>
    live.push(seen(body(0), p, W, H, 60))!.forEach((v, c) => t.true(Math.abs(v - p[c]) < 1e-9, `frame ${i} axis ${c}`)),
  );
  live.reset();
  const towards = Array.from({ length: 20 }, (_, i): Vec3 => [0, 0, 6 - i / FPS]);
  const out = towards.map((p) => live.push(seen(body(0), p, W, H, 60))!);
  // After the window fills, the trailing mean of a linear depth is the depth 2 frames back.
  for (let i = 4; i < 20; i++)
    t.true(Math.abs(out[i][2] - towards[i - 2][2]) < 1e-9, `frame ${i}: ${out[i][2]} vs ${towards[i - 2][2]}`);
  const blind = new LiveTrajectory(W, H);
  t.is(
    blind.push({
      image: bp.jointNames.map(() => [0.5, 0.5, 0, 0] as const),
      world: body(0),
      box: [0, 0, 1, 1],
      score: 0,
    }),
    null,
  );
});

testWithShared(
  'a real NW-UCLA walk, hip-centred and seen by a Kinect-like pinhole camera: the restored path is the recorded one',
  'data/nw_ucla_samples/a06_s05_e00_v01.json',
  (t) => {
    const record = JSON.parse(readFileSync(sharedPath('data', 'nw_ucla_samples', 'a06_s05_e00_v01.json'), 'utf8')) as {
      skeletons: number[][][];
    };
    const poses = record.skeletons.map((frame) => kinectToBlazepose(frame, true, KINECT_V1_CAMERA));
    const path = cameraTranslations(poses, KINECT_V1_CAMERA.width, KINECT_V1_CAMERA.height, {
      horizontalFovDegrees: KINECT_V1_CAMERA.horizontalFovDegrees,
    });
    const [l, r] = ['HipLeft', 'HipRight'].map((n) => kinect.jointNames.indexOf(n));
    const hips = record.skeletons.map((f) => [0, 1, 2].map((c) => (f[l][c] + f[r][c]) / 2));
    // In Kinect axes the restored hip centre is (−x, −y, z) of the translation.
    const errors = path.map((p, i) => Math.hypot(-p![0] - hips[i][0], -p![1] - hips[i][1], p![2] - hips[i][2]));
    const walked = Math.hypot(...[0, 1, 2].map((c) => hips[hips.length - 1][c] - hips[0][c]));
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    t.log(`mean hip-centre error ${(100 * mean).toFixed(1)} cm, walked ${walked.toFixed(2)} m`);
    t.true(walked > 0.5, `the clip walks ${walked} m`);
    t.true(mean < 0.1, `mean hip-centre error ${mean} m over ${walked.toFixed(2)} m walked`);
  },
);
