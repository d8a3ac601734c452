/**
 * Video in, poses out: decode (./video.ts), find people (one: the landmarker's own detector
 * on the whole frame; several: MoveNet MultiPose + the tracker, then one landmarker per tracked
 * person on that person's region), and collect a pose file (./types.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { packageVersion } from '../util/version.js';
import { writePoseFile } from './pose-file.js';
import { createPersonDetector, DETECTOR_DESCRIPTION, type PersonDetector } from './detector.js';
import { createMediapipeEngine, findChromium } from './engines/mediapipe.js';
import { createTfjsEngine } from './engines/tfjs.js';
import { PersonTracker, regionAround } from './tracker.js';
import {
  POSE_FILE_FORMAT,
  POSE_FILE_VERSION,
  type PoseEngine,
  type PoseEngineName,
  type PoseFile,
  type PoseFileFrame,
  type PoseLandmarker,
  type PoseModel,
  type VideoFrame,
} from './types.js';
import { decodeGeometry, decodeVideo, probeVideo, type VideoInfo } from './video.js';
import { optionName } from '../core/errors.js';

export type EngineChoice = PoseEngineName | 'auto';

/** `auto`: mediapipe where Chromium is installed, else tfjs; with the reason, for the user. */
export function resolveEngine(choice: EngineChoice): { engine: PoseEngineName; reason: string } {
  if (choice !== 'auto') return { engine: choice, reason: 'asked for' };
  const chromium = findChromium();
  return chromium
    ? { engine: 'mediapipe', reason: `Chromium found at ${chromium}` }
    : {
        engine: 'tfjs',
        reason: "Chromium is not installed (npm run setup:pose installs it); MediaPipe's own engine needs it",
      };
}

/** Starts a pose engine (its code is imported only when chosen). */
export async function createPoseEngine(engine: PoseEngineName, model: PoseModel): Promise<PoseEngine> {
  return engine === 'mediapipe' ? createMediapipeEngine(model) : createTfjsEngine(model);
}

export interface ExtractOptions {
  /** People to follow (default 1). More than one uses the multi-person detector and tracker. */
  readonly persons?: number;
  readonly fps?: number;
  readonly width?: number;
  /** Called after each frame. */
  readonly onFrame?: (done: number, total: number | undefined) => void;
  readonly signal?: AbortSignal;
  /** A detector to share across videos (made per call otherwise). */
  readonly detector?: PersonDetector;
}

export interface ExtractStats {
  readonly frames: number;
  /** Frames where at least one / at least `persons` people were found. */
  readonly framesWithPerson: number;
  readonly framesWithAll: number;
  /** Time spent waiting for decoded frames, in the landmarkers and in the person detector. */
  readonly waitDecodeMs: number;
  readonly landmarkMs: number;
  readonly detectorMs: number;
  readonly seconds: number;
}

/** Reads ahead up to `depth` frames, so ffmpeg decodes while the landmarker works. */
async function* prefetch<T>(source: AsyncGenerator<T>, depth = 3): AsyncGenerator<T> {
  const queue: Array<Promise<IteratorResult<T>>> = [];
  try {
    for (let i = 0; i < depth; i++) queue.push(source.next());
    for (;;) {
      const next = await queue.shift()!;
      if (next.done) return;
      queue.push(source.next());
      yield next.value;
    }
  } finally {
    await source.return(undefined);
  }
}

/** Extracts the poses of one video with an engine (which the caller closes). */
export async function extractPoses(
  file: string,
  engine: PoseEngine,
  options: ExtractOptions = {},
): Promise<{ poses: PoseFile; stats: ExtractStats; info: VideoInfo }> {
  const persons = options.persons ?? 1;
  if (!(Number.isInteger(persons) && persons >= 1 && persons <= 6))
    throw new Error(
      `${optionName('persons')} must be an integer from 1 to 6 (MoveNet finds at most six people), got ${options.persons}`,
    );
  const info = probeVideo(file);
  const geometry = decodeGeometry(info, options);
  const total = info.still ? 1 : Math.max(1, Math.round(info.durationSeconds * geometry.fps));
  const started = performance.now();
  const multi = persons > 1;
  const detector = multi ? (options.detector ?? (await createPersonDetector())) : undefined;
  const tracker = multi ? new PersonTracker({ maxTracks: persons }) : undefined;
  const landmarkers = new Map<number, PoseLandmarker>();
  const frames: PoseFileFrame[] = [];
  let waitDecodeMs = 0;
  let landmarkMs = 0;
  let detectorMs = 0;
  let framesWithPerson = 0;
  let framesWithAll = 0;
  const single = { firstFrame: -1, lastFrame: -1, frames: 0 };
  const landmarkerFor = async (id: number) => {
    let lm = landmarkers.get(id);
    if (!lm) landmarkers.set(id, (lm = await engine.createLandmarker()));
    return lm;
  };
  try {
    const source = prefetch(decodeVideo(info, options, options.signal));
    let waitStart = performance.now();
    for await (const frame of source) {
      waitDecodeMs += performance.now() - waitStart;
      const people: Array<PoseFileFrame['people'][number]> = [];
      if (!multi) {
        const lm = await landmarkerFor(0);
        const t0 = performance.now();
        const pose = await lm.detect(frame);
        landmarkMs += performance.now() - t0;
        if (pose) {
          people.push({ track: 0, ...pose });
          if (single.firstFrame < 0) single.firstFrame = frame.index;
          single.lastFrame = frame.index;
          single.frames++;
        }
      } else {
        const t0 = performance.now();
        const detections = await detector!.detect(frame);
        detectorMs += performance.now() - t0;
        const tracks = tracker!.update(frame.index, frame.timestampMs, detections);
        for (const track of tracks) {
          const lm = await landmarkerFor(track.id);
          const t1 = performance.now();
          const pose = await lm.detect(frame, regionAround(track.box, frame.width, frame.height));
          landmarkMs += performance.now() - t1;
          if (pose) people.push({ track: track.id, ...pose });
        }
        // Landmarkers of people who left are closed (their tracking state is of no more use).
        const live = new Set(tracker!.liveIds());
        for (const [id, lm] of landmarkers) {
          if (!live.has(id)) {
            await lm.close();
            landmarkers.delete(id);
          }
        }
      }
      if (people.length > 0) framesWithPerson++;
      if (people.length >= persons) framesWithAll++;
      frames.push({ index: frame.index, timestampMs: frame.timestampMs, people });
      options.onFrame?.(frames.length, total);
      waitStart = performance.now();
    }
  } finally {
    for (const lm of landmarkers.values()) await lm.close();
    if (detector && !options.detector) detector.close();
  }
  const tracks = multi
    ? tracker!.history
        .map((t) => ({
          id: t.id,
          firstFrame: t.firstFrame,
          lastFrame: t.lastFrame,
          frames: frames.filter((f) => f.people.some((p) => p.track === t.id)).length,
        }))
        .filter((t) => t.frames > 0)
    : single.frames > 0
      ? [{ id: 0, ...single }]
      : [];
  const poses: PoseFile = {
    format: POSE_FILE_FORMAT,
    version: POSE_FILE_VERSION,
    source: { file, width: info.width, height: info.height, fps: info.fps, durationSeconds: info.durationSeconds },
    extraction: {
      engine: engine.name,
      engineDescription: engine.description,
      model: engine.model,
      fps: geometry.fps,
      width: geometry.width,
      height: geometry.height,
      persons,
      detector: multi ? DETECTOR_DESCRIPTION : null,
      skelactVersion: packageVersion(),
      date: new Date().toISOString(),
    },
    landmarkLayout: 'blazepose-33',
    tracks,
    frames,
  };
  const stats: ExtractStats = {
    frames: frames.length,
    framesWithPerson,
    framesWithAll,
    waitDecodeMs,
    landmarkMs,
    detectorMs,
    seconds: (performance.now() - started) / 1000,
  };
  return { poses, stats, info };
}

/**
 * Extracts one video into its pose file (written atomically: a reader never sees half of it).
 * `skelact extract` and the queue's workers both go through here, so they write the same files.
 */
export async function extractToPoseFile(
  video: string,
  out: string,
  engine: PoseEngine,
  options: ExtractOptions = {},
): Promise<{ poses: PoseFile; stats: ExtractStats; info: VideoInfo }> {
  const result = await extractPoses(video, engine, options);
  mkdirSync(dirname(out), { recursive: true });
  writePoseFile(out, result.poses);
  return result;
}

export type { VideoFrame };
