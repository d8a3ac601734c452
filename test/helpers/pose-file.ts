/** Writes a skelact pose file (what `skelact extract` writes) holding given BlazePose-33 poses in pixels. */
import { writeFileSync } from 'node:fs';
import type { Point3 } from '../../src/serve/reps.js';

/** One person per frame (null: no person), image landmarks normalised by the frame size. */
export function writePoseFile(
  path: string,
  poses: ReadonlyArray<{ timestampMs: number; landmarks: readonly Point3[] | null }>,
  width: number,
  height: number,
): void {
  const frames = poses.map((f, index) => ({
    index,
    timestampMs: f.timestampMs,
    people: f.landmarks
      ? [
          {
            track: 0,
            image: f.landmarks.map(([x, y, z]) => [x / width, y / height, z / width, 0.99]),
            world: f.landmarks.map(() => [0, 0, 0]),
            box: [0, 0, width, height],
            score: 0.99,
          },
        ]
      : [],
  }));
  const withPerson = frames.filter((f) => f.people.length).length;
  writeFileSync(
    path,
    JSON.stringify({
      format: 'skelact-poses',
      version: 1,
      source: { file: 'synthetic.mp4', width, height, fps: 30, durationSeconds: frames.length / 30 },
      extraction: {
        engine: 'tfjs',
        engineDescription: 'synthetic',
        model: 'full',
        fps: 30,
        width,
        height,
        persons: 1,
        detector: null,
        skelactVersion: '0',
        date: '2026-01-01',
      },
      landmarkLayout: 'blazepose-33',
      tracks: [{ id: 0, firstFrame: 0, lastFrame: frames.length - 1, frames: withPerson }],
      frames,
    }),
  );
}
