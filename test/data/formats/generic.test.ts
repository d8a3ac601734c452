import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseGeneric,
  parseGenericJson,
  parseGenericJsonl,
  readGeneric,
  readNwUcla,
  toGenericRecord,
  type GenericRecord,
} from '../../../src/data/formats/index.js';
import { SkeletonFormatError, type SkeletonSample } from '../../../src/data/types.js';
import { clipOffset } from '../../../src/graph/clip.js';
import { packageRoot } from '../../../src/util/paths.js';
import { sharedPath, testWithShared } from '../../helpers/shared.js';
import { assertMutationsHandled, assertVariationsTolerated } from './mutate.js';
import { tempDir } from '../../helpers/temp.js';

/** A kinect-20 record of `persons` × `frames` whose value at (m, t, v, c) is m·1000 + t·100 + v + c/10. */
function record(
  overrides: Partial<GenericRecord> & Record<string, unknown> = {},
  persons = 1,
  frames = 2,
): GenericRecord {
  const joints = Array.from({ length: persons }, (_, m) =>
    Array.from({ length: frames }, (_, t) =>
      Array.from({ length: 20 }, (_, v) => [0, 1, 2].map((c) => m * 1000 + t * 100 + v + c / 10)),
    ),
  );
  return { name: 'rec', layout: 'kinect-20', joints, ...overrides } as GenericRecord;
}

function rejects(t: ExecutionContext, fn: () => unknown, pattern: RegExp): void {
  const err = t.throws(fn, { instanceOf: SkeletonFormatError });
  t.regex(err?.message ?? '', pattern);
}

const sameSample = (t: ExecutionContext, a: SkeletonSample, b: SkeletonSample): void => {
  t.is(a.name, b.name);
  t.is(a.label, b.label);
  t.is(a.layout, b.layout);
  t.deepEqual([...a.channels], [...b.channels]);
  t.deepEqual(
    [a.clip.persons, a.clip.frames, a.clip.joints, a.clip.channels],
    [b.clip.persons, b.clip.frames, b.clip.joints, b.clip.channels],
  );
  t.deepEqual(a.clip.data, b.clip.data);
  t.deepEqual(a.meta, b.meta);
};

test('a .json file with one record reads into one sample in [persons, frames, joints, channels] order', (t) => {
  const { samples } = parseGeneric(
    JSON.stringify(record({ label: 3, split: 'train', fps: 30, meta: { subject: 'p7', camera: 2 } }, 2, 3)),
    'data.json',
  );
  t.is(samples.length, 1);
  const [s] = samples;
  t.deepEqual([s.clip.persons, s.clip.frames, s.clip.joints, s.clip.channels], [2, 3, 20, 3]);
  const o = clipOffset(s.clip, 1, 2, 7);
  t.deepEqual([...s.clip.data.subarray(o, o + 3)], [1207, 1207.1, 1207.2].map(Math.fround));
  t.is(s.label, 3);
  t.deepEqual(s.meta, { subject: 'p7', camera: 2, split: 'train', fps: 30 });
  t.deepEqual(s.notes, []);
});

test('a string label is kept as meta.labelName with label −1; custom channels are used', (t) => {
  const joints = [[Array.from({ length: 17 }, () => [1, 2])]];
  const [s] = parseGeneric(
    JSON.stringify({ name: 'a', layout: 'coco-17', label: 'squat', channels: ['x', 'y'], joints }),
    'a.json',
  ).samples;
  t.is(s.label, -1);
  t.is(s.meta.labelName, 'squat');
  t.deepEqual([...s.channels], ['x', 'y']);
  t.is(s.clip.channels, 2);
});

test('null joints and null frames become zeros and are noted', (t) => {
  const r = record({}, 2, 2);
  r.joints[0][1] = null;
  (r.joints[1][0] as Array<number[] | null>)[4] = null;
  const [s] = parseGeneric(JSON.stringify(r), 'a.json').samples;
  t.deepEqual([...s.clip.data.subarray(clipOffset(s.clip, 0, 1, 0), clipOffset(s.clip, 0, 2, 0))], Array(60).fill(0));
  const o = clipOffset(s.clip, 1, 0, 4);
  t.deepEqual([...s.clip.data.subarray(o, o + 3)], [0, 0, 0]);
  t.deepEqual(s.clip.data[clipOffset(s.clip, 1, 0, 5)], 1005);
  t.deepEqual(s.notes, ['1 missing (null) person-frame set to 0', '1 missing (null) joint set to 0']);
});

test('.json arrays and .jsonl files (blank lines, CRLF) read every record in order', (t) => {
  const records = [record({ name: 'a' }), record({ name: 'b', label: 'wave' }), record({ name: 'c' }, 1, 1)];
  t.deepEqual(
    parseGenericJson(JSON.stringify(records), 'all.json').samples.map((s) => s.name),
    ['a', 'b', 'c'],
  );
  const jsonl = `${records.map((r) => JSON.stringify(r)).join('\r\n\r\n')}\r\n`;
  const fromLines = parseGeneric(jsonl, 'all.jsonl').samples;
  t.deepEqual(
    fromLines.map((s) => [s.name, s.clip.frames]),
    [
      ['a', 2],
      ['b', 2],
      ['c', 1],
    ],
  );
  t.deepEqual(parseGeneric(jsonl, 'ALL.NDJSON').samples.length, 3);
});

test('round trip: sample → toGenericRecord → JSON → reader gives the same sample', (t) => {
  const original = parseGeneric(
    JSON.stringify(record({ label: 'clap', split: 'test', fps: 15, meta: { subject: 4 } }, 2, 3)),
    'a.json',
  ).samples[0];
  const again = parseGeneric(JSON.stringify(toGenericRecord(original)), 'b.json').samples[0];
  sameSample(t, again, original);
  const numeric = parseGeneric(JSON.stringify(record({ label: 2 })), 'a.json').samples[0];
  sameSample(t, parseGeneric(JSON.stringify(toGenericRecord(numeric)), 'b.json').samples[0], numeric);
});

testWithShared('round trip of real NW-UCLA samples through the generic format', 'data/nw_ucla_samples', (t) => {
  const dir = sharedPath('data', 'nw_ucla_samples');
  const samples = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readNwUcla(join(dir, f)).samples[0]);
  const jsonl = samples.map((s) => JSON.stringify(toGenericRecord(s))).join('\n');
  const back = parseGeneric(jsonl, 'ucla.jsonl').samples;
  t.is(back.length, 6);
  back.forEach((s, i) => sameSample(t, s, samples[i]));
});

test('readGeneric reads from disk by extension', (t) => {
  const dir = tempDir('skelact-generic-');
  try {
    writeFileSync(
      join(dir, 'x.jsonl'),
      `${JSON.stringify(record({ name: 'x1' }))}\n${JSON.stringify(record({ name: 'x2' }))}\n`,
    );
    t.deepEqual(
      readGeneric(join(dir, 'x.jsonl')).samples.map((s) => s.name),
      ['x1', 'x2'],
    );
    writeFileSync(join(dir, 'x.txt'), '{}');
    rejects(t, () => readGeneric(join(dir, 'x.txt')), /^x\.txt: expected a \.json, \.jsonl or \.ndjson file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The file reads, with exactly one good sample and one failed record whose reason matches. */
function failsRecord(t: ExecutionContext, read: () => unknown, reason: RegExp): void {
  const result = read() as ReturnType<typeof parseGeneric>;
  t.is(result.samples.length, 1);
  t.is(result.failed?.length, 1);
  t.regex(result.failed![0].reason, reason);
}

test('validation errors name the file, the record or line, the field and the expectation', (t) => {
  const json =
    (r: unknown): (() => unknown) =>
    () =>
      parseGeneric(JSON.stringify(r), 'mine.json');
  const inArray =
    (r: unknown): (() => unknown) =>
    () =>
      parseGeneric(JSON.stringify([record({ name: 'ok' }), r]), 'mine.json');
  const jsonl =
    (r: unknown): (() => unknown) =>
    () =>
      parseGeneric(`${JSON.stringify(record({ name: 'ok' }))}\n\n${JSON.stringify(r)}\n`, 'mine.jsonl');

  rejects(
    t,
    json(record({ layout: 'kinect-21' as GenericRecord['layout'] })),
    /^mine\.json \(layout\): expected a layout name \(ntu-25, kinect-20, blazepose-33, coco-17, openpose-18\), found "kinect-21"$/,
  );
  const fewJoints = record();
  (fewJoints.joints[0][1] as unknown[]).pop();
  // A bad record next to a good one is skipped and reported; the good one is kept.
  failsRecord(
    t,
    inArray(fewJoints),
    /^mine\.json \(record 1: joints\[0\]\[1\]\): expected 20 joints \(layout kinect-20\), found "19 items"$/,
  );
  const twoChannels = record();
  (twoChannels.joints[0][0] as number[][])[3] = [1, 2];
  failsRecord(
    t,
    jsonl(twoChannels),
    /^mine\.jsonl:3 \(joints\[0\]\[0\]\[3\]\): expected 3 values \(x, y, z\), found "2 items"$/,
  );
  rejects(
    t,
    json(record({ channels: ['x', 'y'] })),
    /\(joints\[0\]\[0\]\[0\]\): expected 2 values \(x, y\), found "3 items"/,
  );
  rejects(
    t,
    () => parseGeneric(JSON.stringify(record()).replace('[0,0.1,0.2]', '[0,1e999,0.2]'), 'mine.json'),
    /\(joints\[0\]\[0\]\[0\]\[1\]\): expected a finite number, found "Infinity"/,
  );
  // 1e300 is a finite double but would be Infinity in the float32 clip.
  rejects(
    t,
    () => parseGeneric(JSON.stringify(record()).replace('[0,0.1,0.2]', '[0,1e300,0.2]'), 'mine.json'),
    /\(joints\[0\]\[0\]\[0\]\[1\]\): expected a finite number within float32 range \(±3\.4e38\), found "1e\+300"/,
  );
  rejects(
    t,
    () => parseGeneric(JSON.stringify(record()).replace('[0,0.1,0.2]', '[0,null,0.2]'), 'mine.json'),
    /\(joints\[0\]\[0\]\[0\]\[1\]\): expected a finite number, found "null"/,
  );
  const unequal = record({}, 2, 2);
  unequal.joints[1].pop();
  rejects(
    t,
    json(unequal),
    /\(joints\[1\]\): expected 2 frames \(every person has as many frames as joints\[0\]\), found "1"/,
  );
  rejects(t, json(record({ joints: [] })), /\(joints\): expected at least one person, found "0 items"/);
  rejects(t, json(record({ joints: [[]] })), /\(joints\[0\]\): expected at least one frame, found "0 items"/);
  rejects(
    t,
    json(record({ joints: undefined })),
    /\(joints\): expected an array \[persons\]\[frames\]\[joints\]\[channels\], found "nothing"/,
  );
  rejects(t, json(record({ name: '' })), /\(name\): expected a non-empty sample name/);
  rejects(t, json(record({ label: -1 })), /\(label\): expected a class index ≥ 0, found "-1"/);
  rejects(
    t,
    json(record({ label: 1.5 })),
    /\(label\): expected a class name \(non-empty string\) or a 0-based class index \(integer ≥ 0\), found "1.5"/,
  );
  rejects(t, json(record({ fps: 0 })), /\(fps\): expected a frame rate > 0, found "0"/);
  rejects(
    t,
    json(record({ split: 3 as unknown as string })),
    /\(split\): expected a split name such as "train" or "test", found "3"/,
  );
  rejects(
    t,
    json(record({ channels: ['x', 'x', 'y'] })),
    /\(channels\): expected distinct channel names, found "x,x,y"/,
  );
  rejects(
    t,
    json(record({ meta: { ok: true } as unknown as Record<string, string> })),
    /\(meta\.ok\): expected a string or a finite number, found "true"/,
  );
  rejects(
    t,
    json(record({ split: 'train', meta: { split: 'test' } })),
    /\(meta\.split\): expected no "split" in meta when the record has a top-level split/,
  );
  rejects(
    t,
    json(record({ label: 'wave', meta: { labelName: 'clap' } })),
    /\(meta\.labelName\): expected no "labelName" in meta when the record has a top-level string label/,
  );
  rejects(
    t,
    json({ ...record(), lable: 2 }),
    /^mine\.json: expected no fields other than the documented ones \(unknown: lable\)$/,
  );
  failsRecord(
    t,
    inArray(record({ name: 'ok' })),
    /^mine\.json \(record 1: name\): expected a name unique in the file \(already used at record 0\), found "ok"$/,
  );
  failsRecord(
    t,
    jsonl(record({ name: 'ok' })),
    /^mine\.jsonl:3 \(name\): expected a name unique in the file \(already used at line 1\), found "ok"$/,
  );
  failsRecord(
    t,
    () => parseGeneric(`${JSON.stringify(record())}\n{"name": "b",, }\n`, 'mine.jsonl'),
    /^mine\.jsonl:2: expected valid JSON/,
  );
  rejects(
    t,
    () => parseGeneric('[]', 'mine.json'),
    /^mine\.json: expected at least one record, found "an empty array"/,
  );
  rejects(
    t,
    () => parseGeneric('42', 'mine.json'),
    /^mine\.json: expected a record object or an array of records, found "42"/,
  );
  rejects(t, () => parseGeneric('\n\n', 'mine.jsonl'), /^mine\.jsonl: expected at least one record/);
  rejects(
    t,
    () => parseGeneric('[42]', 'mine.json'),
    /^mine\.json \(record 0: the record\): expected an object, found "42"/,
  );
});

/** The fenced code block of the given language that follows `heading` in docs/generic-format.md. */
function docsBlock(language: string, heading: string): string {
  const doc = readFileSync(join(packageRoot(), 'docs', 'generic-format.md'), 'utf8');
  const section = doc.slice(doc.indexOf(heading));
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section);
  if (!match) throw new Error(`no ${language} block after "${heading}" in docs/generic-format.md`);
  return match[1];
}

test('the example in docs/generic-format.md reads as documented', (t) => {
  const [s] = parseGeneric(docsBlock('json', '## Example'), 'example.json').samples;
  t.is(s.name, 'alice_squat_001');
  t.is(s.layout, 'coco-17');
  t.deepEqual([s.clip.persons, s.clip.frames, s.clip.joints, s.clip.channels], [1, 2, 17, 3]);
  t.deepEqual(s.meta, { subject: 'alice', camera: 1, labelName: 'squat', split: 'train', fps: 30 });
  t.deepEqual(s.notes, ['2 missing (null) joints set to 0']);
});

test('the MediaPipe conversion script in docs/generic-format.md produces a valid blazepose-33 record', (t) => {
  const dir = tempDir('skelact-mediapipe-');
  try {
    const frames = join(dir, 'frames');
    mkdirSync(frames);
    const landmarks = (shift: number) =>
      Array.from({ length: 33 }, (_, k) => ({ x: k / 100 + shift, y: -k / 50, z: 0.1, visibility: 0.9 }));
    // Frame 10 must come after frame 2 (numeric order), and frame 2 has no pose.
    writeFileSync(join(frames, 'frame_1.json'), JSON.stringify({ landmarks: [], worldLandmarks: [landmarks(0)] }));
    writeFileSync(join(frames, 'frame_2.json'), JSON.stringify({ landmarks: [], worldLandmarks: [] }));
    writeFileSync(join(frames, 'frame_10.json'), JSON.stringify({ worldLandmarks: [landmarks(1), landmarks(2)] }));
    const script = join(dir, 'mediapipe-to-generic.mjs');
    writeFileSync(script, docsBlock('js', '## Converting MediaPipe PoseLandmarker output'));
    const output = execFileSync(process.execPath, [script, frames, 'take1', 'squat'], { encoding: 'utf8' });
    const [s] = parseGeneric(output, 'take1.jsonl').samples;
    t.deepEqual([s.clip.persons, s.clip.frames, s.clip.joints, s.clip.channels], [2, 3, 33, 3]);
    t.is(s.layout, 'blazepose-33');
    t.is(s.meta.labelName, 'squat');
    t.is(s.clip.data[clipOffset(s.clip, 0, 0, 5)], Math.fround(0.05));
    t.is(s.clip.data[clipOffset(s.clip, 0, 2, 5)], Math.fround(1.05));
    t.is(s.clip.data[clipOffset(s.clip, 1, 2, 5)], Math.fround(2.05));
    t.deepEqual(s.notes, ['3 missing (null) person-frames set to 0']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('property: corrupted .jsonl and .json generic files are read well-formed or rejected naming the file', (t) => {
  const small = (name: string, label: string | number): GenericRecord => {
    const r = record({ name, label, meta: { subject: 3 } }, 1, 1);
    (r.joints[0][0] as Array<number[] | null>)[2] = null;
    return r;
  };
  const jsonl = [small('a', 'wave'), small('b', 1)].map((r) => JSON.stringify(r)).join('\n');
  assertMutationsHandled(t, jsonl, 'mine.jsonl', (input) => parseGenericJsonl(input, 'mine.jsonl'), 200);
  const json = JSON.stringify([small('a', 'wave'), small('b', 1)], null, 1);
  assertMutationsHandled(t, json, 'mine.json', (input) => parseGenericJson(input, 'mine.json'), 200);
});

test('property: CRLF and extra spaces in generic files are tolerated', (t) => {
  const json = JSON.stringify([record({ name: 'a' }, 1, 1), record({ name: 'b', label: 'x' }, 1, 1)], null, 1);
  assertVariationsTolerated(t, json, ',:', (input) => parseGenericJson(input, 'mine.json'));
  const jsonl = [record({ name: 'a' }, 1, 1), record({ name: 'b' }, 1, 1)].map((r) => JSON.stringify(r)).join('\n');
  assertVariationsTolerated(t, jsonl, ',:', (input) => parseGenericJsonl(input, 'mine.jsonl'));
});
