/**
 * Pose extraction types: what an engine returns for one frame, and the pose file that
 * `skelact extract` writes (one per video).
 *
 * Landmarks follow MediaPipe's PoseLandmarker: 33 BlazePose landmarks (src/graph/layouts/
 * blazepose-33.json), image landmarks with x, y normalised to [0, 1] of the whole frame, z a
 * relative depth on the scale of x, and a visibility score; world landmarks in metres, origin
 * at the hip centre, x right, y down, z away from the camera.
 */

/** Model sizes of BlazePose (MediaPipe's lite, full and heavy landmark models). */
export const POSE_MODELS = ['lite', 'full', 'heavy'] as const;
export type PoseModel = (typeof POSE_MODELS)[number];

/** The engines behind the extractor interface. */
export const POSE_ENGINES = ['mediapipe', 'tfjs'] as const;
export type PoseEngineName = (typeof POSE_ENGINES)[number];

/** Number of BlazePose landmarks. */
export const BLAZEPOSE_LANDMARKS = 33;

/** One person in one frame. */
export interface PersonPose {
  /** Image landmarks: 33 × [x, y, z, visibility], x and y in [0, 1] of the full frame. */
  readonly image: ReadonlyArray<readonly [number, number, number, number]>;
  /** World landmarks: 33 × [x, y, z] in metres (hip-centred). */
  readonly world: ReadonlyArray<readonly [number, number, number]>;
  /** Box around the image landmarks, [x0, y0, x1, y1] in pixels. */
  readonly box: readonly [number, number, number, number];
  /** Mean visibility of the landmarks (a pose-level score). */
  readonly score: number;
}

/** A frame as decoded: RGBA bytes, row-major. */
export interface VideoFrame {
  readonly index: number;
  readonly timestampMs: number;
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/** A region of a frame, in pixels (x0, y0 inclusive; x1, y1 exclusive). */
export interface Region {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/**
 * A single-person landmarker: one instance per tracked person (engines keep per-person
 * tracking and smoothing state across frames, as MediaPipe's VIDEO mode does).
 */
export interface PoseLandmarker {
  /**
   * The pose in `frame` (inside `region` if given: the landmarker sees only that crop, and
   * the result is returned in full-frame coordinates), or null if no person is found.
   * Timestamps must increase from call to call.
   */
  detect(frame: VideoFrame, region?: Region): Promise<PersonPose | null>;
  close(): Promise<void>;
}

/** An engine makes landmarkers of one model size. */
export interface PoseEngine {
  readonly name: PoseEngineName;
  readonly model: PoseModel;
  /** One line for people: "mediapipe 0.10.35 in Chromium 150 (CPU delegate), full model". */
  readonly description: string;
  createLandmarker(): Promise<PoseLandmarker>;
  close(): Promise<void>;
}

/** A person found by the multi-person detector: a box and a score (and COCO-17 keypoints). */
export interface PersonDetection {
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  /** 17 × [x, y, score] in pixels (MoveNet's COCO keypoints). */
  readonly keypoints: ReadonlyArray<readonly [number, number, number]>;
}

export const POSE_FILE_FORMAT = 'skelact-poses';
export const POSE_FILE_VERSION = 1;

/** One frame of a pose file: the people found (empty when nobody was). */
export interface PoseFileFrame {
  readonly index: number;
  readonly timestampMs: number;
  readonly people: ReadonlyArray<PersonPose & { readonly track: number }>;
}

/** What `skelact extract` writes for one video (`<name>.poses.json`). */
export interface PoseFile {
  readonly format: typeof POSE_FILE_FORMAT;
  readonly version: number;
  readonly source: {
    readonly file: string;
    readonly width: number;
    readonly height: number;
    /** Frame rate of the file itself. */
    readonly fps: number;
    readonly durationSeconds: number;
  };
  /** How the frames were decoded and the poses found. */
  readonly extraction: {
    readonly engine: PoseEngineName;
    readonly engineDescription: string;
    readonly model: PoseModel;
    /** Frames were decoded at this rate and size. */
    readonly fps: number;
    readonly width: number;
    readonly height: number;
    readonly persons: number;
    readonly detector: string | null;
    readonly skelactVersion: string;
    readonly date: string;
  };
  readonly landmarkLayout: 'blazepose-33';
  /** Tracks: identities kept across frames. */
  readonly tracks: ReadonlyArray<{
    readonly id: number;
    readonly firstFrame: number;
    readonly lastFrame: number;
    readonly frames: number;
  }>;
  readonly frames: readonly PoseFileFrame[];
}
