import test from 'ava';
import fc from 'fast-check';
import { makeClip } from '../../../src/graph/clip.js';
import {
  gatherFrames,
  linearResize,
  linearResizeWeights,
  segmentIndices,
  uniformSampleIndices,
  validCropResize,
  validCropUniform,
} from '../../../src/data/transforms/sampling.js';
import { prng } from '../../helpers/prng.js';

/** A [1, T, 1, 1] clip whose value at frame t is f(t). */
const ramp = (T: number, f = (t: number) => 10 * t) =>
  makeClip(
    Float32Array.from({ length: T }, (_, t) => f(t)),
    1,
    T,
    1,
    1,
  );

test('linear resize matches hand-computed PyTorch align_corners=False values (up and down)', (t) => {
  t.deepEqual(Array.from(linearResize(ramp(4), 8).data), [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30]);
  t.deepEqual(Array.from(linearResize(ramp(8), 4).data), [5, 25, 45, 65]);
  t.deepEqual(Array.from(linearResize(ramp(1), 3).data), [0, 0, 0]);
});

test('property: linear resize equals an np.interp-style reference (clamped source coordinate)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 128 }), (T, out) => {
      const values = Array.from({ length: T }, (_, i) => Math.sin(i) * 3 + i * 0.1);
      const got = linearResize(makeClip(Float32Array.from(values), 1, T, 1, 1), out).data;
      for (let i = 0; i < out; i++) {
        const x = Math.min(T - 1, Math.max(0, ((i + 0.5) * T) / out - 0.5));
        const lo = Math.floor(x);
        const hi = Math.min(T - 1, lo + 1);
        const want = values[lo] + (values[hi] - values[lo]) * (x - lo);
        if (Math.abs(got[i] - want) > 1e-4) return false;
      }
      return true;
    }),
  );
  const w = linearResizeWeights(300, 64);
  t.true(w.w.every((x) => x >= 0 && x < 1));
});

test('test-time crop (p = 0.95) keeps the centre frames: bias int((1−p)·T/2) on both sides', (t) => {
  const r = validCropResize(
    ramp(100, (tt) => 10 * (tt + 1)),
    { window: 64, pInterval: [0.95] },
  );
  // 100 valid frames: bias 2, so frames 2..97 (96 frames) are resized to 64
  t.is(r.clip.frames, 64);
  t.is(r.validFrames, 100);
  const x0 = Math.max(0, (0.5 * 96) / 64 - 0.5);
  t.true(Math.abs(r.clip.data[0] - 10 * (3 + x0)) < 1e-4);
  t.true(Math.abs(r.sourceIndex[63] - (2 + Math.min(95, (63.5 * 96) / 64 - 0.5))) < 1e-4);
});

test('trailing all-zero frames are not valid frames (CTR-GCN valid_frame_num)', (t) => {
  const clip = ramp(80, (tt) => (tt < 50 ? tt + 1 : 0));
  const r = validCropResize(clip, { window: 64, pInterval: [1] });
  t.is(r.validFrames, 50);
  t.is(r.clip.data[63], 50); // last output frame = last valid frame (value 50)
});

test('property: random crops are reproducible, at least minLength long and inside the valid frames', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1e6 }), (T, seed) => {
      const a = validCropResize(
        ramp(T, (x) => x + 1),
        { window: 64, pInterval: [0.5, 1], random: prng(seed) },
      );
      const b = validCropResize(
        ramp(T, (x) => x + 1),
        { window: 64, pInterval: [0.5, 1], random: prng(seed) },
      );
      if (!a.clip.data.every((v, i) => v === b.clip.data[i])) return false;
      const first = a.sourceIndex[0];
      const last = a.sourceIndex[63];
      const span = last - first;
      // the crop covers ≥ min(64, T) frames, so the sampled span is close to that length
      return first >= 0 && last <= T - 1 + 1e-6 && span >= Math.min(64, T) * (63.0 / 64) - 1.5;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('SkateFormer test sampling: strided indices i·L//64 + bias, no interpolation when the crop has ≥ 64 frames', (t) => {
  const r = validCropUniform(
    ramp(100, (x) => x + 1),
    { window: 64, pInterval: [0.95], minLength: 64 },
  );
  const expected = Array.from({ length: 64 }, (_, i) => Math.floor((i * 95) / 64) + 2);
  t.deepEqual(Array.from(r.sourceIndex), expected);
  t.deepEqual(
    Array.from(r.clip.data),
    expected.map((i) => i + 1),
  );
});

test('SkateFormer sampling of a short clip interpolates data and source indices to 64 frames', (t) => {
  const r = validCropUniform(
    ramp(20, (x) => x + 1),
    { window: 64, pInterval: [0.95], minLength: 64 },
  );
  t.is(r.clip.frames, 64);
  // crop = all 20 frames (thres 64 > 20 → clipped to valid), bias int(0.05·20/2) = 0
  t.true(Math.abs(r.sourceIndex[0] - 0) < 1e-6);
  t.true(Math.abs(r.sourceIndex[63] - 19) < 1e-6);
  t.true(r.clip.data.every((v, i) => Math.abs(v - 1 - r.sourceIndex[i]) < 1e-5));
});

test('SkateFormer test crop can index past the valid frames, which read as zeros (zero-padded reference)', (t) => {
  // valid 64, p 0.95: length max(60, 64) = 64, bias int(1.6) = 1, last index 64 = past the end
  const r = validCropUniform(
    ramp(64, (x) => x + 1),
    { window: 64, pInterval: [0.95], minLength: 64 },
  );
  t.is(r.sourceIndex[63], 64);
  t.is(r.clip.data[63], 0);
  t.is(r.clip.data[0], 2);
});

test('property: segment indices are increasing, in range and one per segment', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 400 }),
      fc.integer({ min: 1, max: 100 }),
      fc.nat(),
      (length, window, seed) => {
        const idx = segmentIndices(length, window, prng(seed));
        if (length < window) return idx.length === length && idx.every((v, i) => v === i);
        if (idx.length !== window) return false;
        for (let i = 0; i < window; i++) {
          if (idx[i] < 0 || idx[i] >= length) return false;
          if (i > 0 && idx[i] <= idx[i - 1]) return false;
          if (length >= 2 * window) {
            const lo = Math.floor((i * length) / window);
            const hi = Math.floor(((i + 1) * length) / window);
            if (idx[i] < lo || idx[i] >= hi) return false;
          }
        }
        // between L and 2L frames exactly length − window frames are skipped in total
        return length >= 2 * window || idx[window - 1] - (window - 1) <= length - window;
      },
    ),
  );
  t.pass();
});

test('PYSKL uniform sampling loops short clips and is deterministic in test mode', (t) => {
  const short = uniformSampleIndices(5, 12, 1, prng(1), true);
  t.deepEqual(Array.from(short), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);
  const a = uniformSampleIndices(250, 100, 10, prng(255), true);
  const b = uniformSampleIndices(250, 100, 10, prng(255), true);
  t.deepEqual(Array.from(a), Array.from(b));
  t.is(a.length, 1000);
  t.true(a.every((i) => i >= 0 && i < 250));
});

test('gatherFrames reads frames past the end as zeros', (t) => {
  t.deepEqual(
    Array.from(
      gatherFrames(
        ramp(3, (x) => x + 1),
        [2, 3, -1, 0],
      ).data,
    ),
    [3, 0, 0, 1],
  );
});
