/**
 * Adding TFLite metadata to the legacy BlazePose models of @mediapipe/pose (an npm dependency,
 * so always here): the metadata reads back, the old entries and every buffer are unchanged, and
 * the old file is kept byte for byte after the new block. (That MediaPipe runs the result, and
 * gives the official bundle's landmarks, is tested in engines.test.ts.)
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildTaskBundle, readTaskBundle } from '../../src/pose/assets.js';
import {
  TfliteFormatError,
  addTfliteMetadata,
  metadataNames,
  readTfliteBuffers,
  readTfliteMetadata,
} from '../../src/pose/tflite-metadata.js';

const require = createRequire(import.meta.url);
const mp = dirname(require.resolve('@mediapipe/pose/package.json'));
const legacy = new Uint8Array(readFileSync(join(mp, 'pose_landmark_lite.tflite')));

test('metadata added to a legacy model reads back; old metadata entries and all buffers are intact', (t) => {
  t.false(metadataNames(legacy).includes('TFLITE_METADATA'));
  t.is(readTfliteMetadata(legacy), undefined);
  const blob = Uint8Array.from({ length: 777 }, (_, i) => (i * 37) & 255);
  const patched = addTfliteMetadata(legacy, blob, 'lite');
  t.deepEqual(readTfliteMetadata(patched, 'patched'), blob);
  t.deepEqual(metadataNames(patched), ['TFLITE_METADATA', ...metadataNames(legacy)]);
  const before = readTfliteBuffers(legacy);
  const after = readTfliteBuffers(patched);
  t.is(after.length, before.length + 1);
  before.forEach((b, i) => t.deepEqual(after[i], b, `buffer ${i}`));
  t.deepEqual(after[before.length], blob);
  // The whole old file follows the new block, 64-byte aligned.
  const shift = patched.length - legacy.length;
  t.is(shift % 64, 0);
  t.deepEqual(patched.subarray(shift), legacy);
  // The metadata bytes are 16-byte aligned (the schema's force_align).
  const at = indexOf(patched, blob);
  t.is(at % 16, 0);
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

test('patching twice stacks: the newest metadata is found first', (t) => {
  const once = addTfliteMetadata(legacy, Uint8Array.of(1, 2, 3));
  const twice = addTfliteMetadata(once, Uint8Array.of(9, 9));
  t.deepEqual(readTfliteMetadata(twice), Uint8Array.of(9, 9));
  t.is(metadataNames(twice).filter((n) => n === 'TFLITE_METADATA').length, 2);
});

test('files that are not TFLite models are refused with the reason', (t) => {
  t.throws(() => readTfliteMetadata(new Uint8Array(4), 'tiny.bin'), {
    instanceOf: TfliteFormatError,
    message: /tiny\.bin: .*shorter than a FlatBuffer header/,
  });
  const wrong = Uint8Array.from(legacy);
  wrong.set(new TextEncoder().encode('ABCD'), 4);
  t.throws(() => addTfliteMetadata(wrong, Uint8Array.of(1), 'x.tflite'), {
    message: /x\.tflite: .*file identifier is 'ABCD', expected 'TFL3'/,
  });
});

test('task bundles: two models stored in a zip, read back exactly; a wrong bundle is refused', (t) => {
  const det = Uint8Array.of(1, 2, 3, 4);
  const bundle = buildTaskBundle(det, legacy);
  const back = readTaskBundle(bundle);
  t.deepEqual(back.detector, det);
  t.deepEqual(back.landmarks, legacy);
  // Stored, not compressed: the model bytes appear as they are in the zip.
  t.true(indexOf(bundle, legacy.subarray(0, 64)) > 0);
  t.throws(() => readTaskBundle(buildTaskBundle(det, det).subarray(0, 10), 'cut.task'));
});
