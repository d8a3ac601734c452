/**
 * Streams of hostile poses (item 12 of issue 12) into the stream classifier with a real saved
 * model: whatever mix of missing people, all-zero poses, degenerate poses (every joint at one
 * point) and ordinary poses arrives, push() never throws, every event is well formed, a window
 * without people says "no person"; and `skelact classify` on a pose file of all-zero poses
 * finishes and says so (it failed with "cannot crop a clip with no valid frame").
 */
import test from 'ava';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { saveModel } from '../../src/models/io.js';
import { createModel } from '../../src/models/registry.js';
import { writePoseFile } from '../../src/pose/pose-file.js';
import { POSE_FILE_FORMAT, POSE_FILE_VERSION, type PoseFile } from '../../src/pose/types.js';
import { StreamClassifier, type StreamEvent, type StreamFrame } from '../../src/serve/stream-classifier.js';
import { skelact, tmp } from './cli-run.js';

const FRAMES = 16;
const modelDir = join(tmp(), 'model');

test.before(async () => {
  await initBackend('wasm');
  const model = createModel(
    { kind: 'stgcn', preset: 'tiny' },
    { layout: 'ntu-25', classes: 3, frames: FRAMES, persons: 1 },
    2,
  );
  await saveModel(modelDir, model, {
    layout: 'ntu-25',
    classNames: ['a', 'b', 'c'],
    modality: 'j',
    sampling: 'skateformer',
    testCrop: 0.95,
    minLength: FRAMES,
    fillMissingPersons: 'zeros',
    normalize: 'none',
    data: { benchmark: 'x', frames: FRAMES, sampling: 'skateformer', minLength: FRAMES },
    preprocessing: { alignment: 'ctrgcn' },
  });
  model.dispose();
});

type Kind = 'none' | 'null-person' | 'zeros' | 'one-point' | 'pose';
const pose = (kind: Kind, seed: number): StreamFrame['persons'] => {
  if (kind === 'none') return null;
  if (kind === 'null-person') return [null];
  if (kind === 'zeros') return [Array.from({ length: 25 }, () => [0, 0, 0])];
  if (kind === 'one-point') return [Array.from({ length: 25 }, () => [seed, -seed, 2 * seed])];
  return [Array.from({ length: 25 }, (_, j) => [Math.sin(seed + j), Math.cos(seed * j), 2 + 0.1 * j])];
};

function checkEvents(t: { true: (v: boolean, m?: string) => void }, events: readonly StreamEvent[]): void {
  for (const e of events) {
    t.true(['scores', 'start', 'end', 'no-person'].includes(e.type), e.type);
    t.true(Number.isFinite(e.timestampMs));
    if (e.type === 'scores')
      t.true(e.top.every((c) => Number.isFinite(c.score) && c.score >= 0 && c.score <= 1 + 1e-6));
  }
}

test('any mix of missing, all-zero, one-point and ordinary poses: push never throws, events well formed, no tensor leak', (t) => {
  const classifier = StreamClassifier.load(modelDir, { stride: 2, startScore: 0.34, endScore: 0.2 });
  const tensors = tf.memory().numTensors;
  let clock = 0;
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.constantFrom<Kind>('none', 'null-person', 'zeros', 'one-point', 'pose'),
          fc.double({ min: -3, max: 3, noNaN: true }),
          fc.integer({ min: 1, max: 400 }),
        ),
        { minLength: 1, maxLength: 60 },
      ),
      (frames) => {
        classifier.reset();
        const events: StreamEvent[] = [];
        for (const [kind, seed, gap] of frames) {
          clock += gap;
          events.push(...classifier.push({ timestampMs: clock, persons: pose(kind, seed) }));
        }
        events.push(...classifier.flush());
        checkEvents(t, events);
      },
    ),
    { numRuns: 60, seed: 12 },
  );
  t.is(tf.memory().numTensors, tensors);
  classifier.dispose();
});

test('a stream of all-zero poses yields only "no person" events, once half the window has passed, then every stride', (t) => {
  const classifier = StreamClassifier.load(modelDir, { stride: 4 });
  const events: StreamEvent[] = [];
  for (let i = 0; i < 40; i++)
    events.push(...classifier.push({ timestampMs: (i * 1000) / 30, persons: pose('zeros', 0) }));
  t.deepEqual([...new Set(events.map((e) => e.type))], ['no-person']);
  t.is(events.length, Math.floor((40 - FRAMES / 2) / 4) + 1);
  // A person then: classification starts, and when the person is gone again the action ends for 'no-person'.
  const more: StreamEvent[] = [];
  for (let i = 40; i < 80; i++)
    more.push(...classifier.push({ timestampMs: (i * 1000) / 30, persons: pose('pose', i / 10) }));
  t.true(more.some((e) => e.type === 'scores'));
  classifier.dispose();
});

test('skelact classify on a pose file of all-zero poses: exit 0, "no person" said, nothing classified', (t) => {
  const dir = tmp();
  const frames = Array.from({ length: 45 }, (_, i) => ({
    index: i,
    timestampMs: (i * 1000) / 15,
    people: [
      {
        track: 0,
        image: Array.from({ length: 33 }, () => [0, 0, 0, 0] as [number, number, number, number]),
        world: Array.from({ length: 33 }, () => [0, 0, 0] as [number, number, number]),
        box: [0, 0, 0, 0] as [number, number, number, number],
        score: 0,
      },
    ],
  }));
  const poses: PoseFile = {
    format: POSE_FILE_FORMAT,
    version: POSE_FILE_VERSION,
    source: { file: 'zeros.mp4', width: 640, height: 480, fps: 15, durationSeconds: 3 },
    extraction: {
      engine: 'tfjs',
      engineDescription: 'test fixture',
      model: 'lite',
      fps: 15,
      width: 640,
      height: 480,
      persons: 1,
      detector: null,
      skelactVersion: '0.1.0',
      date: '2026-01-01T00:00:00Z',
    },
    landmarkLayout: 'blazepose-33',
    tracks: [{ id: 0, firstFrame: 0, lastFrame: 44, frames: 45 }],
    frames,
  };
  const file = join(dir, 'zeros.poses.json');
  writePoseFile(file, poses);
  const r = skelact(['classify', file, '--model', modelDir, '--json', '--quiet']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { classifications: number; noPerson: number; timeline: unknown[] };
  t.is(out.classifications, 0);
  t.true(out.noPerson > 0);
  t.deepEqual(out.timeline, []);
});
