/**
 * Kinect-20 skeletons written as MediaPipe would report them, to measure the BlazePose-33 →
 * Kinect-20 path on real Kinect data without pose-estimation error (bench/kinect-roundtrip.ts
 * and test/pose/trajectory.test.ts use it).
 *
 * World landmarks: the 16 limb joints placed exactly; the ears at the Kinect head ± 7 cm
 * sideways; the index and pinky where the palm centre comes back as the Kinect hand; optionally
 * hip-centred as MediaPipe's are. Image landmarks: the same camera-space points through a pinhole
 * camera (principal point at the centre, square pixels, a given horizontal field of view), in
 * [0, 1] of the frame, visibility 1.
 */
import { getLayout, jointIndex } from '../src/graph/layout.js';
import { focalLengthPixels } from '../src/pose/trajectory.js';
import type { PersonPose } from '../src/pose/types.js';

type Vec3 = [number, number, number];
const kinect = getLayout('kinect-20');
const blaze = getLayout('blazepose-33');
const K = (name: string) => jointIndex(kinect, name);

/** Kinect camera axes → MediaPipe camera axes (the 180° turn about z is its own inverse). */
const toMediapipe = (p: readonly number[]): Vec3 => [-p[0], -p[1], p[2]];

/** The 33 landmarks of one Kinect-20 frame, in MediaPipe's camera axes, metres, not centred. */
export function kinectLandmarks(frame: readonly (readonly number[])[]): Vec3[] {
  const world: Vec3[] = blaze.jointNames.map(() => toMediapipe(frame[K('Head')]));
  const set = (name: string, p: Vec3) => (world[blaze.jointNames.indexOf(name)] = p);
  for (const side of ['Left', 'Right'] as const) {
    const s = side.toLowerCase();
    set(`${s}_shoulder`, toMediapipe(frame[K(`Shoulder${side}`)]));
    set(`${s}_elbow`, toMediapipe(frame[K(`Elbow${side}`)]));
    set(`${s}_wrist`, toMediapipe(frame[K(`Wrist${side}`)]));
    set(`${s}_hip`, toMediapipe(frame[K(`Hip${side}`)]));
    set(`${s}_knee`, toMediapipe(frame[K(`Knee${side}`)]));
    set(`${s}_ankle`, toMediapipe(frame[K(`Ankle${side}`)]));
    set(`${s}_heel`, toMediapipe(frame[K(`Ankle${side}`)]));
    set(`${s}_foot_index`, toMediapipe(frame[K(`Foot${side}`)]));
    // The mapping's palm centre is mean(wrist, pinky, index): pinky = index = (3·hand − wrist)/2 gives the hand back.
    const hand = toMediapipe(frame[K(`Hand${side}`)]);
    const wrist = toMediapipe(frame[K(`Wrist${side}`)]);
    const finger = hand.map((h, i) => (3 * h - wrist[i]) / 2) as Vec3;
    set(`${s}_pinky`, finger);
    set(`${s}_index`, finger);
    set(`${s}_thumb`, finger);
  }
  // Ears 7 cm either side of the head along the shoulder line, so their midpoint is the head.
  const head = toMediapipe(frame[K('Head')]);
  const sl = toMediapipe(frame[K('ShoulderLeft')]);
  const sr = toMediapipe(frame[K('ShoulderRight')]);
  const d = sl.map((x, i) => x - sr[i]);
  const n = Math.hypot(...d) || 1;
  set('left_ear', head.map((h, i) => h + (0.07 * d[i]) / n) as Vec3);
  set('right_ear', head.map((h, i) => h - (0.07 * d[i]) / n) as Vec3);
  return world;
}

export interface PinholeCamera {
  readonly width: number;
  readonly height: number;
  readonly horizontalFovDegrees: number;
}

/** Kinect v1's depth camera: 640 × 480, 57° horizontally. */
export const KINECT_V1_CAMERA: PinholeCamera = { width: 640, height: 480, horizontalFovDegrees: 57 };

/**
 * One Kinect-20 frame as a MediaPipe pose: image landmarks from `camera` (or all at the centre
 * when none is given), world landmarks hip-centred when `hipCentred`, else in camera space.
 */
export function kinectToBlazepose(
  frame: readonly (readonly number[])[],
  hipCentred = false,
  camera?: PinholeCamera,
): PersonPose {
  const points = kinectLandmarks(frame);
  const l = blaze.jointNames.indexOf('left_hip');
  const r = blaze.jointNames.indexOf('right_hip');
  const mid = [0, 1, 2].map((c) => (points[l][c] + points[r][c]) / 2);
  const world = hipCentred ? points.map((p) => p.map((x, c) => x - mid[c]) as Vec3) : points;
  if (!camera) return { image: world.map(() => [0.5, 0.5, 0, 1] as const), world, box: [0, 0, 1, 1], score: 1 };
  const f = focalLengthPixels(camera.width, camera.horizontalFovDegrees);
  // A point at or behind the camera (a missing Kinect joint is all zeros) is not seen.
  const image = points.map(([x, y, z]) =>
    z > 0.1
      ? ([
          (camera.width / 2 + (f * x) / z) / camera.width,
          (camera.height / 2 + (f * y) / z) / camera.height,
          0,
          1,
        ] as const)
      : ([0.5, 0.5, 0, 0] as const),
  );
  return { image, world, box: [0, 0, camera.width, camera.height], score: 1 };
}
