/**
 * Property tests over what pose extraction and the stream tools read (issue 12, hostile-input
 * suite): video inputs (text, random bytes, real videos truncated or with flipped bytes) and
 * pose files (a valid file with a field deleted, retyped or the text cut). Each must give a
 * clear error or a correct result: never a crash (TypeError, RangeError), never text taken as video.
 */
import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLayout } from '../../src/graph/layout.js';
import { mediaFileProblem, sniffContainer } from '../../src/pose/media-type.js';
import { PoseFileError, readPoseFile, writePoseFile } from '../../src/pose/pose-file.js';
import { POSE_FILE_FORMAT, POSE_FILE_VERSION, type PoseFile } from '../../src/pose/types.js';
import { probeVideo, VideoError } from '../../src/pose/video.js';
import { poseFileFrames } from '../../src/serve/pose-frames.js';
import { testNeeding } from '../helpers/requirements.js';
import { tmp } from './cli-run.js';

const dir = tmp('skelact-hostile-pose-');
let counter = 0;
const file = (name: string, data: string | Uint8Array) => {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, data);
  return path;
};

test('any text, under any video name, is refused as text; never decoded', (t) => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 600 }),
      fc.constantFrom('a.mp4', 'a.mov', 'a.png', 'a.txt', 'noext'),
      (text, name) => {
        const problem = mediaFileProblem(file(name, text));
        t.truthy(problem);
        t.regex(problem!, /not a video or picture: its content is text|empty file/);
      },
    ),
    { numRuns: 200, seed: 5 },
  );
});

test('random bytes: accepted only when they start with a container signature; the message shows bytes escaped', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => {
      const problem = mediaFileProblem(file('x.mp4', bytes));
      if (problem === undefined) t.truthy(sniffContainer(bytes));
      // eslint-disable-next-line no-control-regex
      else t.notRegex(problem, /[\u0000-\u001f\u007f-\u009f\ufffd]/);
    }),
    { numRuns: 300, seed: 6 },
  );
});

testNeeding(
  'a real video truncated or with bytes flipped: probeVideo gives its facts or a VideoError naming the file, nothing else',
  { ffmpeg: true },
  (t) => {
    const video = join(dir, 'real.mp4');
    const ff = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=5:duration=1',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    t.is(ff.status, 0, String(ff.stderr));
    const bytes = new Uint8Array(readFileSync(video));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
        (cut, flips) => {
          const mutated = bytes.slice(0, cut);
          for (const [at, value] of flips) if (mutated.length > 0) mutated[at % mutated.length] = value;
          const path = file('mutated.mp4', mutated);
          try {
            const info = probeVideo(path);
            t.true(info.width > 0 && info.height > 0 && info.fps > 0, JSON.stringify(info));
          } catch (e) {
            t.true(e instanceof VideoError, `${(e as Error).name}: ${(e as Error).message}`);
            t.true((e as Error).message.startsWith(path), (e as Error).message);
          }
        },
      ),
      { numRuns: 25, seed: 7 },
    );
  },
);

/** A valid two-person pose file of a few frames. */
function validPoseFile(): PoseFile {
  const person = (track: number, k: number) => ({
    track,
    image: Array.from(
      { length: 33 },
      (_, j) => [0.3 + 0.01 * j + 0.1 * track, 0.2 + 0.02 * j, 0.01 * k, 0.9] as [number, number, number, number],
    ),
    world: Array.from({ length: 33 }, (_, j) => [0.01 * j - 0.1, 0.02 * j - 0.3, 0.01 * k] as [number, number, number]),
    box: [100, 50, 300, 400] as [number, number, number, number],
    score: 0.9,
  });
  return {
    format: POSE_FILE_FORMAT,
    version: POSE_FILE_VERSION,
    source: { file: 'clip.mp4', width: 640, height: 480, fps: 30, durationSeconds: 1 },
    extraction: {
      engine: 'tfjs',
      engineDescription: 'fixture',
      model: 'lite',
      fps: 10,
      width: 640,
      height: 480,
      persons: 2,
      detector: null,
      skelactVersion: '0.1.0',
      date: '2026-01-01T00:00:00Z',
    },
    landmarkLayout: 'blazepose-33',
    tracks: [
      { id: 0, firstFrame: 0, lastFrame: 5, frames: 6 },
      { id: 1, firstFrame: 2, lastFrame: 5, frames: 4 },
    ],
    frames: Array.from({ length: 6 }, (_, i) => ({
      index: i,
      timestampMs: i * 100,
      people: [person(0, i), ...(i >= 2 ? [person(1, i)] : [])],
    })),
  };
}

/** Every path (as keys) into a JSON value. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

test('a pose file with a field deleted, retyped or its text cut: a PoseFileError naming the file and field, or frames for every layout', (t) => {
  const original = validPoseFile();
  const all = paths(original).filter((p) => p.length > 0);
  const base = join(dir, 'valid.poses.json');
  writePoseFile(base, original);
  const text = readFileSync(base, 'utf8');
  fc.assert(
    fc.property(
      fc.oneof(
        fc.record({
          kind: fc.constant('set' as const),
          at: fc.constantFrom(...all),
          value: fc.oneof(
            fc.constant(null),
            fc.string({ maxLength: 4 }),
            fc.double(),
            fc.integer({ min: -5, max: 5 }),
            fc.constant([]),
            fc.constant({}),
          ),
        }),
        fc.record({ kind: fc.constant('delete' as const), at: fc.constantFrom(...all) }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.integer({ min: 0, max: text.length - 1 }) }),
      ),
      (mutation) => {
        let data: string;
        if (mutation.kind === 'cut') data = text.slice(0, mutation.at);
        else {
          const copy = JSON.parse(text) as Record<string | number, unknown>;
          let node = copy as Record<string | number, unknown>;
          for (const k of mutation.at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
          const last = mutation.at[mutation.at.length - 1];
          if (mutation.kind === 'delete') {
            if (Array.isArray(node)) node.splice(last as number, 1);
            else delete node[last];
          } else node[last] = mutation.value;
          data = JSON.stringify(copy);
        }
        const path = file('m.poses.json', data);
        let poses: PoseFile;
        try {
          poses = readPoseFile(path);
        } catch (e) {
          t.true(e instanceof PoseFileError, `${(e as Error).name}: ${(e as Error).message}`);
          t.true((e as Error).message.startsWith(`${path}: `));
          return;
        }
        for (const layout of ['ntu-25', 'coco-17', 'blazepose-33'] as const) {
          const frames = poseFileFrames(poses, layout, 2);
          t.is(frames.length, poses.frames.length);
          const joints = getLayout(layout).numJoints;
          for (const f of frames) for (const p of f.persons ?? []) if (p) t.is(p.length, joints);
        }
      },
    ),
    { numRuns: 300, seed: 8 },
  );
});
