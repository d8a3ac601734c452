/**
 * The person's path through the room, restored for world landmarks.
 *
 * MediaPipe's world landmarks are centred on the hips in every frame: the pose is there, the
 * person's movement through space is not (a walk becomes walking on the spot). Kinect skeletons
 * (NW-UCLA, UTKinect, NTU) are in camera space, and models trained on them lean on that path.
 * The image landmarks still hold it: where the hips are in the picture, and how large the body
 * is there. Under a pinhole camera with focal length f (pixels), a body part at camera-space
 * point (X, Y, Z) appears at u = cx + f·X/Z, v = cy + f·Y/Z. For a body whose depth extent is
 * small against its distance (weak perspective), every landmark's image position is
 *
 *   (u, v) ≈ (u_hip, v_hip) + s · (x_world, y_world),   s = f / Z_hip   (pixels per metre),
 *
 * so a least-squares fit of the image landmarks against the world landmarks gives s, the depth
 * is Z = f / s, and the hip centre's camera-space position is
 *
 *   X = (u_hip − cx) / s,   Y = (v_hip − cy) / s,   Z = f / s.
 *
 * The field of view enters only through f = (width / 2) / tan(fov / 2), and only Z depends on it:
 * sideways and vertical motion come out in metres whatever the field of view. It is an assumption
 * (a pose file does not know its camera; default 60°, a common webcam's; Kinect v1's is 57°) and
 * is configurable. The depth from one frame is noisy (a 5 % error in s is a 5 % error in Z), so
 * Z is averaged over a few neighbouring frames before X and Y are computed with it.
 *
 * Axes are MediaPipe's camera axes (x right, y down, z away from the camera), the axes of the
 * world landmarks themselves (they are oriented as the image is; only their origin moves with the
 * hips, which is what the fit relies on): adding the translation to each world landmark puts the person
 * where the camera saw them; src/pose/mapping.ts then turns the result into Kinect's axes.
 */
import type { PersonPose, PoseFile } from './types.js';

/** BlazePose's hips (src/graph/layouts/blazepose-33.json): their midpoint is the world origin. */
const LEFT_HIP = 23;
const RIGHT_HIP = 24;

/** The assumed horizontal field of view when none is given, in degrees. */
export const DEFAULT_HORIZONTAL_FOV_DEGREES = 60;

export interface TrajectoryOptions {
  /** Horizontal field of view of the camera, degrees in (0, 180). Default 60. Only the depth depends on it. */
  readonly horizontalFovDegrees?: number;
  /**
   * Frames over which the depth is averaged (a centred moving average over the frames that have
   * an estimate; odd; 1 = none). Default 9 (0.3 s at 30 fps). A linear change of depth passes
   * through unchanged.
   */
  readonly depthSmoothingFrames?: number;
  /** Landmarks below this visibility are left out of the scale fit. Default 0.5. */
  readonly minVisibility?: number;
}

/** A camera-space translation in metres, MediaPipe camera axes (x right, y down, z away). */
export type Translation = readonly [number, number, number];

/** Focal length in pixels of a frame `width` pixels wide with this horizontal field of view. */
export function focalLengthPixels(width: number, horizontalFovDegrees: number): number {
  if (!(horizontalFovDegrees > 0 && horizontalFovDegrees < 180))
    throw new RangeError(
      `horizontal field of view: expected degrees between 0 and 180 (exclusive), got ${horizontalFovDegrees}`,
    );
  return width / 2 / Math.tan((horizontalFovDegrees * Math.PI) / 360);
}

/**
 * One frame's image scale: pixels per metre `s` (least squares of the visible image landmarks,
 * in pixels, against the world landmarks' x and y, both centred on their visibility-weighted
 * means) and the hips' midpoint in pixels. Null when fewer than 4 landmarks are visible or
 * they have no spread (nothing to measure a scale from).
 */
export function imageScale(
  pose: PersonPose,
  width: number,
  height: number,
  minVisibility = 0.5,
): { pixelsPerMetre: number; hip: readonly [number, number] } | null {
  let n = 0;
  let mu = 0;
  let mv = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < pose.image.length; i++) {
    if (pose.image[i][3] < minVisibility) continue;
    n++;
    mu += pose.image[i][0] * width;
    mv += pose.image[i][1] * height;
    mx += pose.world[i][0];
    my += pose.world[i][1];
  }
  if (n < 4) return null;
  mu /= n;
  mv /= n;
  mx /= n;
  my /= n;
  let cross = 0;
  let spread = 0;
  for (let i = 0; i < pose.image.length; i++) {
    if (pose.image[i][3] < minVisibility) continue;
    const dx = pose.world[i][0] - mx;
    const dy = pose.world[i][1] - my;
    cross += (pose.image[i][0] * width - mu) * dx + (pose.image[i][1] * height - mv) * dy;
    spread += dx * dx + dy * dy;
  }
  // Below 1 cm² of spread (summed) the landmarks are one point: no scale.
  if (!(spread > 1e-4) || !(cross > 0)) return null;
  const hip = [
    ((pose.image[LEFT_HIP][0] + pose.image[RIGHT_HIP][0]) / 2) * width,
    ((pose.image[LEFT_HIP][1] + pose.image[RIGHT_HIP][1]) / 2) * height,
  ] as const;
  return { pixelsPerMetre: cross / spread, hip };
}

/**
 * The camera-space position of the hip centre in each frame of one person's track (null where
 * the person is absent or no scale could be measured; such frames borrow the depth of their
 * neighbours when any frame within the smoothing window has one, else stay null). Frames are in
 * time order; `width` × `height` is the frame size in pixels (image landmarks are in [0, 1]).
 */
export function cameraTranslations(
  track: ReadonlyArray<PersonPose | null>,
  width: number,
  height: number,
  options: TrajectoryOptions = {},
): Array<Translation | null> {
  const f = focalLengthPixels(width, options.horizontalFovDegrees ?? DEFAULT_HORIZONTAL_FOV_DEGREES);
  const window = options.depthSmoothingFrames ?? 9;
  if (!(Number.isInteger(window) && window >= 1 && window % 2 === 1))
    throw new RangeError(`depth smoothing: expected an odd number of frames ≥ 1, got ${window}`);
  const half = (window - 1) / 2;
  const scales = track.map((p) => (p ? imageScale(p, width, height, options.minVisibility ?? 0.5) : null));
  const depth = scales.map((s) => (s ? f / s.pixelsPerMetre : null));
  const cx = width / 2;
  const cy = height / 2;
  return track.map((p, t) => {
    if (!p) return null;
    // Centred average over the frames with a depth, the window shrunk symmetrically at the ends
    // of the track so that a steady approach is not bent there.
    const reach = Math.min(half, t, track.length - 1 - t);
    let sum = 0;
    let count = 0;
    for (let k = t - reach; k <= t + reach; k++) {
      const z = depth[k];
      if (z !== null) {
        sum += z;
        count++;
      }
    }
    if (count === 0) return null;
    const z = sum / count;
    // Without a scale of its own a frame still has its hips in the picture.
    const hip = scales[t]?.hip ?? [
      ((p.image[LEFT_HIP][0] + p.image[RIGHT_HIP][0]) / 2) * width,
      ((p.image[LEFT_HIP][1] + p.image[RIGHT_HIP][1]) / 2) * height,
    ];
    return [((hip[0] - cx) * z) / f, ((hip[1] - cy) * z) / f, z] as const;
  });
}

/**
 * `cameraTranslations` for one track of a pose file: one entry per frame of the file (null where
 * the track has no pose). The frame size is the extraction's, to which the image landmarks refer.
 */
export function trackTranslations(
  poses: PoseFile,
  track: number,
  options: TrajectoryOptions = {},
): Array<Translation | null> {
  const people = poses.frames.map((f) => f.people.find((p) => p.track === track) ?? null);
  return cameraTranslations(people, poses.extraction.width, poses.extraction.height, options);
}

/**
 * The same restoration for a live stream, one pose at a time: the depth is averaged over the last
 * `depthSmoothingFrames` frames that had one (a trailing average, since later frames are not there
 * yet; a steady approach at v m/s reads (window − 1) / 2 frames late in depth). `reset` forgets.
 */
export class LiveTrajectory {
  private readonly f: number;
  private readonly window: number;
  private readonly minVisibility: number;
  private readonly depths: number[] = [];

  constructor(
    private readonly width: number,
    private readonly height: number,
    options: TrajectoryOptions = {},
  ) {
    this.f = focalLengthPixels(width, options.horizontalFovDegrees ?? DEFAULT_HORIZONTAL_FOV_DEGREES);
    this.window = options.depthSmoothingFrames ?? 9;
    if (!(Number.isInteger(this.window) && this.window >= 1))
      throw new RangeError(`depth smoothing: expected a number of frames ≥ 1, got ${this.window}`);
    this.minVisibility = options.minVisibility ?? 0.5;
  }

  /** The hip centre's camera-space position for this frame's pose; null while no depth has been measured. */
  push(pose: PersonPose): Translation | null {
    const scale = imageScale(pose, this.width, this.height, this.minVisibility);
    if (scale) {
      this.depths.push(this.f / scale.pixelsPerMetre);
      if (this.depths.length > this.window) this.depths.shift();
    }
    if (this.depths.length === 0) return null;
    const z = this.depths.reduce((a, b) => a + b, 0) / this.depths.length;
    const hip = scale?.hip ?? [
      ((pose.image[LEFT_HIP][0] + pose.image[RIGHT_HIP][0]) / 2) * this.width,
      ((pose.image[LEFT_HIP][1] + pose.image[RIGHT_HIP][1]) / 2) * this.height,
    ];
    return [((hip[0] - this.width / 2) * z) / this.f, ((hip[1] - this.height / 2) * z) / this.f, z];
  }

  reset(): void {
    this.depths.length = 0;
  }
}
