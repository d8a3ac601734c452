import test, { type ExecutionContext } from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  kineticsClassNames,
  parseKineticsLabels,
  parseKineticsSkeleton,
  readKineticsLabels,
  readKineticsSkeleton,
  type KineticsSkeletonOptions,
} from '../../../src/data/formats/index.js';
import { SkeletonFormatError, type SkeletonSample } from '../../../src/data/types.js';
import { clipOffset, isFrameEmpty } from '../../../src/graph/clip.js';
import { sharedPath, testWithShared } from '../../helpers/shared.js';
import { assertMutationsHandled, assertVariationsTolerated } from './mutate.js';

const FILE = 'clip_0001.json';

interface Person {
  pose: number[];
  score: number[];
}

/** A person whose 18 joints all sit at (x, y) with the given score. */
function person(x: number, y: number, score: number): Person {
  return { pose: Array.from({ length: 36 }, (_, k) => (k % 2 === 0 ? x : y)), score: Array(18).fill(score) };
}

/**
 * Hand-built clip: frames 1, 2 and 4 (frame 3 empty → T = 4).
 *   frame 1: A (score 0.5), B (0.9), C (0.1)  → per-frame order B, A, C
 *   frame 2: A (0.8), B (0.2)                 → per-frame order A, B
 *   frame 4: A (0.3, joint 0 has score 0)     → per-frame order A
 * Slot totals over the clip: slot 0 (A) = 18·0.5 + 18·0.8 + 17·0.3 = 28.5, slot 1 (B) = 18·0.9 + 18·0.2 = 19.8, slot 2 (C) = 1.8.
 */
function syntheticClip(): Record<string, unknown> {
  const lastA = person(0.7, 0.25, 0.3);
  lastA.score[0] = 0; // joint 0 missing: its x, y (0.7, 0.25) must become 0
  return {
    data: [
      { frame_index: 1, skeleton: [person(0.6, 0.4, 0.5), person(0.2, 0.3, 0.9), person(0.9, 0.9, 0.1)] },
      { frame_index: 2, skeleton: [person(0.65, 0.45, 0.8), person(0.25, 0.35, 0.2)] },
      { frame_index: 4, skeleton: [lastA] },
    ],
    label: 'jumping into pool',
    label_index: 0,
  };
}

const parse = (record: Record<string, unknown>, options?: KineticsSkeletonOptions): SkeletonSample => {
  const { samples } = parseKineticsSkeleton(JSON.stringify(record), FILE, options);
  if (samples.length !== 1) throw new Error(`expected one sample, got ${samples.length}`);
  return samples[0];
};

/** [x, y, score] of (person, frame, joint). */
function joint(sample: SkeletonSample, m: number, f: number, v: number): number[] {
  const o = clipOffset(sample.clip, m, f, v);
  return [...sample.clip.data.subarray(o, o + 3)];
}

const f32 = (values: number[]): number[] => values.map(Math.fround);

function rejects(t: ExecutionContext, input: string, pattern: RegExp, options?: KineticsSkeletonOptions): void {
  const err = t.throws(() => parseKineticsSkeleton(input, FILE, options), { instanceOf: SkeletonFormatError });
  t.truthy(err?.message.startsWith(FILE), err?.message);
  t.regex(err?.message ?? '', pattern);
}

test('T is the largest frame_index, 1-based; a frame with no skeleton stays zero', (t) => {
  const s = parse(syntheticClip());
  t.is(s.name, 'clip_0001');
  t.is(s.layout, 'openpose-18');
  t.deepEqual([...s.channels], ['x', 'y', 'score']);
  t.deepEqual([s.clip.persons, s.clip.frames, s.clip.joints, s.clip.channels], [2, 4, 18, 3]);
  t.true(isFrameEmpty(s.clip, 0, 2) && isFrameEmpty(s.clip, 1, 2));
  t.is(s.label, 0);
  t.deepEqual(s.meta, { labelName: 'jumping into pool' });
});

test('per-frame ranking (ST-GCN): each frame keeps its two highest-scoring skeletons, centred by −0.5', (t) => {
  const s = parse(syntheticClip());
  t.deepEqual(joint(s, 0, 0, 5), f32([0.2 - 0.5, 0.3 - 0.5, 0.9]), 'frame 1, person 0 = B');
  t.deepEqual(joint(s, 1, 0, 5), f32([0.6 - 0.5, 0.4 - 0.5, 0.5]), 'frame 1, person 1 = A');
  t.deepEqual(joint(s, 0, 1, 5), f32([0.65 - 0.5, 0.45 - 0.5, 0.8]), 'frame 2, person 0 = A');
  t.deepEqual(joint(s, 1, 1, 5), f32([0.25 - 0.5, 0.35 - 0.5, 0.2]), 'frame 2, person 1 = B');
  t.deepEqual(joint(s, 0, 3, 5), f32([0.7 - 0.5, 0.25 - 0.5, 0.3]), 'frame 4, person 0 = A');
  t.true(isFrameEmpty(s.clip, 1, 3), 'frame 4 has one skeleton only');
});

test('a joint with score 0 is zero in every channel', (t) => {
  const s = parse(syntheticClip());
  t.deepEqual(joint(s, 0, 3, 0), [0, 0, 0]);
  t.deepEqual(joint(s, 0, 3, 1), f32([0.2, -0.25, 0.3]));
});

test('whole-clip ranking keeps the slots with the largest score summed over the clip', (t) => {
  const s = parse(syntheticClip(), { personRanking: 'whole-clip' });
  // Slot 0 (28.5) then slot 1 (19.8): A stays person 0 in every frame, B person 1.
  t.deepEqual(joint(s, 0, 0, 5), f32([0.1, -0.1, 0.5]));
  t.deepEqual(joint(s, 1, 0, 5), f32([-0.3, -0.2, 0.9]));
  t.deepEqual(joint(s, 0, 1, 5), f32([0.15, -0.05, 0.8]));
  t.deepEqual(joint(s, 1, 1, 5), f32([-0.25, -0.15, 0.2]));
});

test('personsIn limits the skeletons considered per frame, personsOut the persons kept', (t) => {
  const onlyFirst = parse(syntheticClip(), { personsIn: 1 });
  t.is(onlyFirst.clip.persons, 2);
  t.deepEqual(joint(onlyFirst, 0, 0, 5), f32([0.1, -0.1, 0.5]), 'B is the second listed and is ignored');
  t.true(isFrameEmpty(onlyFirst.clip, 1, 0));
  t.true(
    onlyFirst.notes.some((n) => n.includes('more than 1 skeletons')),
    onlyFirst.notes.join('; '),
  );
  const three = parse(syntheticClip(), { personsOut: 3 });
  t.is(three.clip.persons, 3);
  t.deepEqual(joint(three, 2, 0, 5), f32([0.4, 0.4, 0.1]), 'frame 1, person 2 = C');
  const one = parse(syntheticClip(), { personsOut: 1 });
  t.is(one.clip.persons, 1);
  t.deepEqual(joint(one, 0, 0, 5), f32([-0.3, -0.2, 0.9]));
  t.throws(() => parse(syntheticClip(), { personsOut: 0 }), { instanceOf: RangeError });
});

test('a clip without any skeleton is skipped with the reason', (t) => {
  const empty = { data: [{ frame_index: 1, skeleton: [] }], label: 'x', label_index: 3 };
  const result = parseKineticsSkeleton(JSON.stringify(empty), FILE);
  t.is(result.samples.length, 0);
  t.regex(result.skipped[0].reason, /^clip_0001: no frame has a skeleton/);
  t.is(parseKineticsSkeleton('{"data": []}', FILE).skipped.length, 1);
});

test('bad clips are rejected naming the file, field and expectation', (t) => {
  const withPerson = (p: unknown, frameIndex: unknown = 1): string =>
    JSON.stringify({ data: [{ frame_index: frameIndex, skeleton: [p] }], label: 'x', label_index: 0 });
  const p = person(0.5, 0.5, 0.5);
  rejects(
    t,
    withPerson({ ...p, pose: p.pose.slice(1) }),
    /\(data\[0\]\.skeleton\[0\]\.pose\): expected 36 numbers x0,y0,…,x17,y17, found "35 items"/,
  );
  rejects(
    t,
    withPerson({ ...p, score: p.score.slice(1) }),
    /\(data\[0\]\.skeleton\[0\]\.score\): expected 18 scores \(one per joint of layout openpose-18\), found "17 items"/,
  );
  rejects(t, withPerson(42), /\(data\[0\]\.skeleton\[0\]\): expected an object \{pose, score\}, found "42"/);
  rejects(
    t,
    withPerson({ score: p.score }),
    /\(data\[0\]\.skeleton\[0\]\.pose\): expected 36 numbers .*, found "nothing"/,
  );
  rejects(t, withPerson(p, 0), /\(data\[0\]\.frame_index\): expected a 1-based frame_index ≥ 1, found "0"/);
  rejects(t, withPerson(p, 301), /\(data\[0\]\.frame_index\): expected a frame_index ≤ 300 \(maxFrames\), found "301"/);
  t.is(parseKineticsSkeleton(withPerson(p, 301), FILE, { maxFrames: 400 }).samples[0].clip.frames, 301);
  rejects(
    t,
    withPerson(p).replace('0.5', '1e999'),
    /\(data\[0\]\.skeleton\[0\]\.pose\[0\]\): expected a finite number, found "Infinity"/,
  );
  rejects(
    t,
    withPerson(p).replace('"label_index":0', '"label_index":"0"'),
    /\(label_index\): expected an integer label_index, found "0"/,
  );
  const twice = {
    data: [
      { frame_index: 2, skeleton: [p] },
      { frame_index: 2, skeleton: [] },
    ],
  };
  rejects(t, JSON.stringify(twice), /\(data\[1\]\.frame_index\): expected each frame_index once, found "2"/);
  rejects(t, '{"data": [', /clip_0001\.json: expected valid JSON/);
});

test('label file: class names by index, placeholders for gaps, conflicts rejected', (t) => {
  const table = parseKineticsLabels(
    JSON.stringify({
      vidA: { has_skeleton: true, label: 'abseiling', label_index: 0 },
      vidB: { has_skeleton: false, label: 'archery', label_index: 2 },
      vidC: { has_skeleton: true, label: 'abseiling', label_index: 0 },
    }),
    'labels.json',
  );
  t.deepEqual(kineticsClassNames(table), ['abseiling', 'class 1', 'archery']);
  const conflict = parseKineticsLabels(
    JSON.stringify({
      a: { has_skeleton: true, label: 'x', label_index: 0 },
      b: { has_skeleton: true, label: 'y', label_index: 0 },
    }),
    'labels.json',
  );
  t.throws(() => kineticsClassNames(conflict, 'labels.json'), {
    instanceOf: SkeletonFormatError,
    message: /^labels\.json \(b\.label\): expected "x" \(the name of label_index 0 in other entries\), found "y"/,
  });
  t.throws(() => parseKineticsLabels('{"a": {"has_skeleton": true, "label": "x"}}', 'labels.json'), {
    message: /^labels\.json \(a\.label_index\): expected an integer label_index, found "nothing"/,
  });
});

test('with a label file: the entry must exist and agree; has_skeleton false is skipped', (t) => {
  const labels = parseKineticsLabels(
    JSON.stringify({
      clip_0001: { has_skeleton: true, label: 'jumping into pool', label_index: 0 },
      clip_0002: { has_skeleton: false, label: 'x', label_index: 1 },
    }),
    'labels.json',
  );
  t.is(parse(syntheticClip(), { labels }).label, 0);
  rejects(
    t,
    JSON.stringify({ ...syntheticClip(), label_index: 5 }),
    /\(label_index\): expected 0 \(the label file's label_index\), found "5"/,
    { labels },
  );
  const other = parseKineticsSkeleton(JSON.stringify({ ...syntheticClip(), label_index: 1 }), 'clip_0002.json', {
    labels,
  });
  t.is(other.samples.length, 0);
  t.regex(other.skipped[0].reason, /has_skeleton is false/);
  t.throws(() => parseKineticsSkeleton(JSON.stringify(syntheticClip()), 'clip_0003.json', { labels }), {
    message: /^clip_0003\.json: expected an entry "clip_0003" in the label file/,
  });
});

testWithShared('the five real Kinetics clips: T, labels, centring and zeroed joints', 'data/kinetics_skeleton', (t) => {
  const dir = sharedPath('data', 'kinetics_skeleton', 'kinetics_val');
  const labels = readKineticsLabels(sharedPath('data', 'kinetics_skeleton', 'kinetics_val_label.json'));
  const names = kineticsClassNames(labels);
  t.is(names.length, 5);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  t.is(files.length, 5);
  for (const file of files) {
    const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      data: Array<{ frame_index: number; skeleton: Person[] }>;
      label: string;
      label_index: number;
    };
    const [s] = readKineticsSkeleton(join(dir, file), { labels }).samples;
    t.is(s.clip.frames, Math.max(...raw.data.map((d) => d.frame_index)), file);
    t.true(s.clip.frames >= 240 && s.clip.frames <= 299);
    t.is(s.label, raw.label_index);
    t.is(names[s.label], raw.label);
    t.is(s.meta.labelName, raw.label);
    let emptyFrames = 0;
    for (const frame of raw.data) {
      const f = frame.frame_index - 1;
      if (frame.skeleton.length === 0) {
        emptyFrames++;
        t.true(isFrameEmpty(s.clip, 0, f) && isFrameEmpty(s.clip, 1, f));
        continue;
      }
      // Person 0 of the frame is the listed skeleton with the largest summed score (per-frame ranking).
      const candidates = frame.skeleton.slice(0, 5);
      const sums = candidates.map((p) => p.score.reduce((a, b) => a + b, 0));
      const best = candidates[sums.indexOf(Math.max(...sums))];
      for (let v = 0; v < 18; v++) {
        const [x, y, score] = joint(s, 0, f, v);
        if (best.score[v] === 0) t.deepEqual([x, y, score], [0, 0, 0]);
        else t.deepEqual([x, y, score], f32([best.pose[2 * v] - 0.5, best.pose[2 * v + 1] - 0.5, best.score[v]]));
      }
    }
    if (file === '__0muxHV-Uw.json') t.is(emptyFrames, 261, 'this clip starts with many empty frames');
  }
});

testWithShared(
  'property: corrupted real Kinetics JSON (trimmed to 8 frames) is read well-formed or rejected naming the file',
  'data/kinetics_skeleton',
  (t) => {
    const file = '___qijXy2f0.json';
    const raw = JSON.parse(readFileSync(sharedPath('data', 'kinetics_skeleton', 'kinetics_val', file), 'utf8')) as {
      data: unknown[];
    };
    const trimmed = JSON.stringify({ ...raw, data: raw.data.slice(0, 8) }, null, 1);
    assertMutationsHandled(t, trimmed, file, (input) => parseKineticsSkeleton(input, file), 60);
    assertVariationsTolerated(t, trimmed, ',:', (input) => parseKineticsSkeleton(input, file), 10);
  },
);

test('property: corrupted synthetic Kinetics JSON is read well-formed or rejected naming the file', (t) => {
  const text = JSON.stringify(syntheticClip(), null, 1);
  assertMutationsHandled(t, text, FILE, (input) => parseKineticsSkeleton(input, FILE), 200);
  assertVariationsTolerated(t, text, ',:', (input) => parseKineticsSkeleton(input, FILE));
});

test('property: corrupted label files are read or rejected naming the file', (t) => {
  const text = JSON.stringify(
    { a: { has_skeleton: true, label: 'x', label_index: 0 }, b: { has_skeleton: false, label: 'y', label_index: 1 } },
    null,
    1,
  );
  assertMutationsHandled(
    t,
    text,
    'labels.json',
    (input) => {
      const table = parseKineticsLabels(input, 'labels.json');
      kineticsClassNames(table, 'labels.json');
      return { samples: [], skipped: [] };
    },
    200,
  );
});
