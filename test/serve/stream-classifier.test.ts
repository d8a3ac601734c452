/**
 * The stream classifier: events from a model whose answer is known (a fixture that reads the
 * mean x of the window), irregular and missing frames, gaps, bad frames, and a long run with a
 * real model (100,000 frames: memory and tensor count flat).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { getLayout } from '../../src/graph/layout.js';
import { saveModel, type ModelManifest } from '../../src/models/io.js';
import { ParameterStore } from '../../src/models/params.js';
import { createModel } from '../../src/models/registry.js';
import type { SkeletonModel } from '../../src/models/types.js';
import { StreamClassifier, timelineOf, type StreamEvent, type StreamFrame } from '../../src/serve/index.js';
import { tempDir } from '../helpers/temp.js';

test.before(async () => {
  await initBackend('wasm');
});

const NTU = getLayout('ntu-25');
const FRAMES = 16;

/**
 * A model whose logits are ±k · (mean x of the window): class 1 ('right') when people stand at
 * positive x, class 0 ('left') at negative x, unsure near 0. Counts its forwards.
 */
function meanXModel(k = 20): SkeletonModel & { forwards: number } {
  const store = new ParameterStore(1);
  const m = {
    kind: 'fixture',
    config: {},
    params: store,
    persons: 1,
    jointOrder: Int32Array.from({ length: NTU.numJoints }, (_, i) => i),
    inChannels: 3,
    frames: FRAMES,
    forwards: 0,
    forward(batch: { x: tf.Tensor4D }) {
      m.forwards++;
      const mx = tf.mean(tf.slice(batch.x, [0, 0, 0, 0], [-1, -1, -1, 1]), [1, 2, 3]); // [B]
      const logits = tf.stack([tf.mul(mx, -k), tf.mul(mx, k)], 1) as tf.Tensor2D;
      return { logits, pooled: logits, features: batch.x };
    },
    describe: () => [],
    dispose: () => m.params.dispose(),
  };
  return m;
}

const manifest = (): ModelManifest => ({
  format: 'skelact-model',
  version: 1,
  kind: 'fixture',
  config: {},
  layout: 'ntu-25',
  classNames: ['left', 'right'],
  persons: 1,
  jointOrder: Array.from({ length: 25 }, (_, i) => i),
  inChannels: 3,
  frames: FRAMES,
  modality: 'j',
  sampling: 'crop-resize',
  testCrop: 1,
  minLength: 1,
  fillMissingPersons: 'zeros',
  normalize: 'none',
  data: { benchmark: 'x', modality: 'j', frames: FRAMES, sampling: 'crop-resize', testCrop: 1, minLength: 1 },
  parameters: 0,
  weightsManifest: [{ paths: ['weights.bin'], weights: [] }],
});

/** One person at x = `x` (every joint), y and z spread a little. */
function at(timestampMs: number, x: number | null): StreamFrame {
  if (x === null) return { timestampMs, persons: null };
  return { timestampMs, persons: [Array.from({ length: 25 }, (_, j) => [x, j / 25, 3])] };
}

test('a person moving from the left to the right: left starts, left ends, right starts, flush ends it; scores every stride', (t) => {
  const model = meanXModel();
  const c = new StreamClassifier(model, manifest(), {
    stride: 4,
    smoothing: 1,
    startScore: 0.8,
    endScore: 0.5,
    alignment: 'none',
  });
  const events: StreamEvent[] = [];
  // 3 s at x = −0.5, then 3 s at x = +0.5, 30 fps.
  for (let i = 0; i < 180; i++) events.push(...c.push(at((i * 1000) / 30, i < 90 ? -0.5 : 0.5)));
  events.push(...c.flush());
  const kinds = events.flatMap((e) => (e.type === 'scores' || e.type === 'no-person' ? [] : [`${e.type} ${e.label}`]));
  t.deepEqual(kinds, ['start left', 'end left', 'start right', 'end right']);
  const timeline = timelineOf(events);
  t.is(timeline.length, 2);
  // Classification starts once half the 16-frame window is filled (frame 8) and runs every 4 frames.
  t.true(timeline[0].startMs < 400, `left starts at ${timeline[0].startMs} ms`);
  // The switch shows once the window's mean x turns positive: between 3.0 and 3.6 s.
  t.true(timeline[1].startMs > 3000 && timeline[1].startMs < 3600, `right starts at ${timeline[1].startMs} ms`);
  t.true(timeline[0].endMs <= timeline[1].startMs);
  const scores = events.filter((e) => e.type === 'scores');
  t.is(scores.length, Math.floor((180 - 8) / 4) + 1);
  t.is(model.forwards, scores.length);
  t.true(scores.every((s) => s.type === 'scores' && Math.abs(s.top[0].score + s.top[1].score - 1) < 1e-5));
});

test('smoothing averages over classifications; hysteresis keeps an action through a dip between the thresholds', (t) => {
  const c = new StreamClassifier(meanXModel(4), manifest(), {
    stride: 16,
    smoothing: 0.5,
    startScore: 0.7,
    endScore: 0.3,
    window: 16,
    alignment: 'none',
  });
  const events: StreamEvent[] = [];
  const xs = [...Array(64).fill(0.5), ...Array(32).fill(0.05), ...Array(64).fill(0.5)];
  xs.forEach((x, i) => events.push(...c.push(at((i * 1000) / 30, x))));
  const starts = events.filter((e) => e.type === 'start');
  const ends = events.filter((e) => e.type === 'end');
  t.is(starts.length, 1, 'one action throughout: the dip to ~0.55 stays above the end score');
  t.is(ends.length, 0);
  const s = events
    .filter((e): e is Extract<StreamEvent, { type: 'scores' }> => e.type === 'scores')
    .map((e) => e.top.find((q) => q.label === 'right')!.score);
  // With smoothing 0.5 the first score is the raw one, then each is the mean of the new and the last.
  t.true(s[1] >= s[0] - 1e-6);
});

test('irregular frames fill the time grid; a long gap clears the window and ends the action', (t) => {
  const model = meanXModel();
  const c = new StreamClassifier(model, manifest(), {
    stride: 4,
    smoothing: 1,
    fps: 30,
    maxGapMs: 500,
    alignment: 'none',
  });
  const events: StreamEvent[] = [];
  // 15 fps input: each frame covers two grid slots, so the window fills in half the frames.
  for (let i = 0; i < 8; i++) events.push(...c.push(at((i * 1000) / 15, 0.5)));
  t.true(
    events.some((e) => e.type === 'start' && e.label === 'right'),
    'classified after 8 frames at 15 fps (16 grid slots)',
  );
  // A 2 s hole: the action ends with reason 'gap', and classification waits for a new half window.
  const gap = c.push(at(3000, 0.5));
  t.deepEqual(
    gap.filter((e) => e.type === 'end').map((e) => e.type === 'end' && e.reason),
    ['gap'],
  );
  t.false(gap.some((e) => e.type === 'scores'));
});

test('frames without a person count as missing: too few people in the window, no classification', (t) => {
  const model = meanXModel();
  const c = new StreamClassifier(model, manifest(), { stride: 1, minFilled: 0.5, alignment: 'none' });
  const events: StreamEvent[] = [];
  for (let i = 0; i < 40; i++) events.push(...c.push(at(i * 33, i % 4 === 0 ? 0.5 : null)));
  t.deepEqual(
    [...new Set(events.map((e) => e.type))],
    ['no-person'],
    'a person in a quarter of the frames only: nothing classified, "no person" said',
  );
  // Said once the window has seen half its frames (8 of 16), then every stride (1 frame).
  t.is(events.length, 40 - 8 + 1);
  t.is(model.forwards, 0);
});

test('bad frames are refused with what is wrong', (t) => {
  const c = new StreamClassifier(meanXModel(), manifest(), { alignment: 'none' });
  c.push(at(100, 0));
  t.throws(() => c.push(at(100, 0)), { message: /timestamps must increase \(100 ms after 100 ms\)/ });
  t.throws(() => c.push({ timestampMs: 200, persons: [[[0, 0, 0]]] }), {
    message: /person 0 has 1 joints; the model's layout ntu-25 has 25/,
  });
  t.throws(() => c.push({ timestampMs: 300, persons: [Array.from({ length: 25 }, () => [0, Number.NaN, 0])] }), {
    message: /non-finite value/,
  });
  t.throws(() => new StreamClassifier(meanXModel(), manifest(), { stride: 0 }), {
    message: /stride must be a positive integer/,
  });
  t.throws(() => new StreamClassifier(meanXModel(), manifest(), { startScore: 0.3, endScore: 0.5 }), {
    message: /endScore \(0\.5\) must not exceed startScore/,
  });
});

test('100,000 frames through a real saved model: memory fixed, tensor count flat, no leak', async (t) => {
  t.timeout(300_000);
  const dir = join(tempDir('skelact-stream-'), 'model');
  const model = createModel(
    { kind: 'stgcn', preset: 'tiny' },
    { layout: 'ntu-25', classes: 5, frames: FRAMES, persons: 1 },
    3,
  );
  await saveModel(dir, model, {
    layout: 'ntu-25',
    classNames: ['a', 'b', 'c', 'd', 'e'],
    modality: 'j',
    sampling: 'crop-resize',
    testCrop: 0.95,
    minLength: FRAMES,
    fillMissingPersons: 'zeros',
    normalize: 'none',
    data: { benchmark: 'x', frames: FRAMES },
    preprocessing: { alignment: 'ctrgcn' },
  });
  model.dispose();
  const c = StreamClassifier.load(dir, { stride: 32 });
  const bytes = c.bufferBytes;
  let classifications = 0;
  const counts: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    // A person swaying, missing now and then, with jittered timestamps around 30 fps.
    const x = Math.sin(i / 20) * 0.3;
    const ts = (i * 1000) / 30 + ((i * 7919) % 10) - 5 + 10;
    for (const e of c.push(i % 50 === 0 ? at(ts, null) : at(ts, x))) if (e.type === 'scores') classifications++;
    if (i % 10_000 === 0) counts.push(tf.memory().numTensors);
  }
  t.log(`${classifications} classifications; tensors ${counts.join(', ')}; ${c.bufferBytes} bytes of frame buffer`);
  t.true(classifications > 3000);
  t.true(
    counts.every((n) => n === counts[0]),
    `tensor count changed: ${counts.join(', ')}`,
  );
  t.is(c.bufferBytes, bytes);
  c.dispose();
});

test('a joint ‖ bone (jb) model is fed xyz pose frames and sees 6 channels: the joints, then joint minus parent', (t) => {
  let seen: number[][][][] | undefined;
  const base = meanXModel();
  const model: SkeletonModel = {
    ...base,
    inChannels: 6,
    forward(batch, options) {
      seen ??= batch.x.arraySync();
      return base.forward(batch, options);
    },
  };
  const c = new StreamClassifier(
    model,
    { ...manifest(), inChannels: 6, modality: 'jb' },
    { stride: 16, alignment: 'none' },
  );
  // Frames carry 3 values per joint (what pose files give); the classifier must not ask for 6.
  for (let i = 0; i < 16; i++) c.push(at((i * 1000) / 30, 0.25));
  t.truthy(seen, 'the model ran');
  const frame = seen![0][FRAMES - 1];
  t.is(frame.length, 25);
  for (let v = 0; v < 25; v++) {
    const p = NTU.parents[v];
    t.is(frame[v].length, 6);
    t.deepEqual(
      frame[v].slice(0, 3).map((x) => Math.fround(x)),
      [0.25, v / 25, 3].map(Math.fround),
      `joint ${v}`,
    );
    const bone = frame[v].slice(3);
    t.true(
      Math.abs(bone[0]) < 1e-6 && Math.abs(bone[1] - (v - p) / 25) < 1e-6 && Math.abs(bone[2]) < 1e-6,
      `bone ${v}`,
    );
  }
  base.dispose();
});
