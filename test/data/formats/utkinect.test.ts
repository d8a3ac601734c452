import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import {
  parseUtkinect,
  parseUtkinectLabels,
  readUtkinect,
  readUtkinectLabels,
  type UtkinectLabels,
} from '../../../src/data/formats/index.js';
import { SkeletonFormatError, type ReadResult } from '../../../src/data/types.js';
import { clipOffset } from '../../../src/graph/clip.js';
import { getLayout, jointIndex } from '../../../src/graph/index.js';
import { sharedPath, testWithShared } from '../../helpers/shared.js';
import { assertMutationsHandled, assertVariationsTolerated } from './mutate.js';

const JOINTS_FILE = 'joints_s01_e01.txt';
const LABEL_FILE = 'actionLabel.txt';

/** A joints row: frameNo then 60 values that encode (frameNo, joint, axis). */
function row(frameNo: number, marker = 0): string {
  const values = Array.from({ length: 60 }, (_, k) =>
    (frameNo / 1000 + Math.floor(k / 3) / 100 + (k % 3) + marker).toFixed(6),
  );
  return `${frameNo}  ${values.join('  ')}`;
}

const SYNTHETIC_JOINTS = [row(10), row(12), row(12, 5), row(14), row(20), row(22), row(24), row(30)].join('\n') + '\n';
const SYNTHETIC_LABELS = 's01_e01\nwalk: 10 14\nsitDown: 20 24 \ncarry:  NaN NaN\nclapHands: 22 30\n';

const labels = (text = SYNTHETIC_LABELS): UtkinectLabels => parseUtkinectLabels(text, LABEL_FILE);
const read = (joints: string, labelText = SYNTHETIC_LABELS): ReadResult =>
  parseUtkinect(joints, JOINTS_FILE, labels(labelText));

function rejects(t: ExecutionContext, fn: () => unknown, file: string, pattern: RegExp): void {
  const err = t.throws(fn, { instanceOf: SkeletonFormatError });
  t.truthy(err?.message.startsWith(file), err?.message);
  t.regex(err?.message ?? '', pattern);
}

test('one sample per labelled action, frames between start and end, first row of a repeated frame kept', (t) => {
  const { samples, skipped } = read(SYNTHETIC_JOINTS);
  t.deepEqual(
    samples.map((s) => [s.name, s.label, s.clip.frames]),
    [
      ['s01_e01_walk', 0, 3],
      ['s01_e01_sitDown', 1, 3],
      ['s01_e01_clapHands', 9, 3],
    ],
  );
  const walk = samples[0];
  t.deepEqual(walk.meta, { subject: 1, take: 1, action: 'walk', startFrame: 10, endFrame: 14 });
  t.deepEqual([walk.clip.persons, walk.clip.joints, walk.clip.channels], [1, 20, 3]);
  // Frame 12 appears twice; the second row has every value +5. The first must be kept.
  const o = clipOffset(walk.clip, 0, 1, 0);
  t.is(walk.clip.data[o], Math.fround(0.012));
  t.true(
    walk.notes.some((n) => /dropped 1 repeated frame row/.test(n)),
    walk.notes.join('; '),
  );
  t.deepEqual(samples[1].notes, []);
  t.is(skipped.length, 1);
  t.is(skipped[0].file, JOINTS_FILE);
  t.regex(skipped[0].reason, /s01_e01_carry: .*"NaN NaN" at actionLabel\.txt:4/);
});

test('labelled frames are matched to the nearest recorded frame, ties to the earlier one', (t) => {
  const joints = [row(10), row(20), row(30), row(40)].join('\n');
  const { samples } = read(joints, 's01_e01\nwalk: 14 26\nsitDown: 15 35\npickUp: 0 1000\n');
  t.deepEqual(
    samples.map((s) => [s.meta.startFrame, s.meta.endFrame, s.clip.frames]),
    [
      [10, 30, 3],
      [10, 30, 3], // 15 is as far from 10 as from 20, and 35 as far from 30 as from 40: the earlier frame wins
      [10, 40, 4],
    ],
  );
  t.true(samples[0].notes.some((n) => n.includes('start frame 14 matched to the nearest recorded frame 10')));
});

test('rows out of frame order are sorted by frame number', (t) => {
  const { samples } = read([row(30), row(10), row(20)].join('\n'), 's01_e01\nwalk: 10 30\n');
  const { clip } = samples[0];
  t.deepEqual(
    [0, 1, 2].map((f) => clip.data[clipOffset(clip, 0, f, 0)]),
    [0.01, 0.02, 0.03].map(Math.fround),
  );
});

test('joints errors name the file, the line and what was expected', (t) => {
  const short = SYNTHETIC_JOINTS.split('\n');
  short[3] = short[3].split(/\s+/).slice(0, 59).join(' ');
  rejects(
    t,
    () => read(short.join('\n')),
    JOINTS_FILE,
    /^joints_s01_e01\.txt:4: expected 61 numbers \(frameNo then 20 joints × x y z\), found "59"$/,
  );
  const bad = SYNTHETIC_JOINTS.split('\n');
  const tokens = bad[1].split(/\s+/);
  tokens[1 + 4 * 3 + 1] = 'abc'; // ShoulderLeft.y
  bad[1] = tokens.join(' ');
  rejects(
    t,
    () => read(bad.join('\n')),
    JOINTS_FILE,
    /^joints_s01_e01\.txt:2 \(ShoulderLeft\.y\): expected a finite number, found "abc"$/,
  );
  rejects(
    t,
    () => read(SYNTHETIC_JOINTS.replace(/^10 /, '1.5 ')),
    JOINTS_FILE,
    /:1 \(frameNo\): expected a non-negative integer frame number, found "1.5"/,
  );
  rejects(
    t,
    () => read(SYNTHETIC_JOINTS.replace('0.010000', '1e999')),
    JOINTS_FILE,
    /:1 \(HipCenter\.x\): expected a finite number, found "1e999"/,
  );
  rejects(
    t,
    () => read(SYNTHETIC_JOINTS.replace('0.010000', '5e38')),
    JOINTS_FILE,
    /:1 \(HipCenter\.x\): expected a finite number, found "5e38"/,
  ); // Infinity as float32
  rejects(t, () => read(' \n\n'), JOINTS_FILE, /expected at least one frame row/);
  rejects(
    t,
    () => parseUtkinect(SYNTHETIC_JOINTS, 'joints.txt', labels()),
    'joints.txt',
    /expected a file name joints_sNN_eMM\.txt/,
  );
  rejects(
    t,
    () => parseUtkinect(SYNTHETIC_JOINTS, 'joints_s02_e01.txt', labels()),
    'joints_s02_e01.txt',
    /expected an entry for take s02_e01 in actionLabel\.txt/,
  );
});

test('label file errors name the file, the line and what was expected', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['walk: 1 2\n', /^actionLabel\.txt:1: expected a take line "sNN_eMM" before the first action line/],
    ['s01_e01\nrun: 1 2\n', /^actionLabel\.txt:2: expected an action id \(walk, sitDown, .*clapHands\), found "run"/],
    [
      's01_e01\nwalk: 1 abc\n',
      /^actionLabel\.txt:2: expected two non-negative integer frame numbers \(or "NaN NaN" for an unlabelled action\), found "1 abc"/,
    ],
    ['s01_e01\nwalk: NaN 12\n', /^actionLabel\.txt:2: expected two non-negative integer frame numbers/],
    ['s01_e01\nwalk: 9 3\n', /^actionLabel\.txt:2: expected startFrame ≤ endFrame, found "9 3"/],
    ['s01_e01\nwalk: 1 2\nwalk: 3 4\n', /^actionLabel\.txt:3: expected each action once per take/],
    ['s01_e01\nwalk: 1 2\ns01_e01\n', /^actionLabel\.txt:3: expected each take sNN_eMM to be listed once/],
    [
      's01_e01\nwalk 1 2\n',
      /^actionLabel\.txt:2: expected a take "sNN_eMM" or a line "action: startFrame endFrame", found "walk 1 2"/,
    ],
    ['\n\n', /^actionLabel\.txt: expected at least one take/],
  ];
  for (const [input, pattern] of cases) rejects(t, () => labels(input), LABEL_FILE, pattern);
});

/** Distinct frame numbers of the raw rows, computed without the reader: a plain scan of the text. */
function rawFrameNumbers(text: string): number[] {
  const seen = new Set<number>();
  for (const line of text.split('\n')) if (line.trim()) seen.add(Number(line.trim().split(/\s+/)[0]));
  return [...seen].sort((a, b) => a - b);
}

/** Nearest recorded frame by a linear scan (first minimum on ties, as MATLAB's min). */
function nearestByScan(frames: number[], target: number): number {
  let best = frames[0];
  for (const f of frames) if (Math.abs(f - target) < Math.abs(best - target)) best = f;
  return best;
}

testWithShared(
  'the label file: 20 takes of 10 actions, one NaN entry (s10_e02 carry), the modified file changes 7 ranges',
  'data/utkinect',
  (t) => {
    const original = readUtkinectLabels(sharedPath('data', 'utkinect', 'actionLabel.txt'));
    const modified = readUtkinectLabels(sharedPath('data', 'utkinect', 'actionLabel_modified.txt'));
    t.is(original.takes.size, 20);
    t.true([...original.takes.values()].every((segments) => segments.length === 10));
    const unlabelled = [...original.takes].flatMap(([take, segments]) =>
      segments.filter((s) => s.start === null).map((s) => `${take} ${s.action}`),
    );
    t.deepEqual(unlabelled, ['s10_e02 carry']);
    let changed = 0;
    for (const [take, segments] of original.takes) {
      segments.forEach((s, i) => {
        const m = modified.takes.get(take)?.[i];
        if (m?.start !== s.start || m?.end !== s.end) changed++;
      });
    }
    t.is(changed, 7);
  },
);

testWithShared('UTKinect s01_e01: 10 samples whose frame counts match the raw text', 'data/utkinect', (t) => {
  const labelFile = readUtkinectLabels(sharedPath('data', 'utkinect', 'actionLabel.txt'));
  const path = sharedPath('data', 'utkinect', 'joints_s01_e01.txt');
  const { samples, skipped } = readUtkinect(path, labelFile);
  t.is(samples.length, 10);
  t.is(skipped.length, 0);
  const rawText = readFileSync(path, 'utf8');
  const frames = rawFrameNumbers(rawText);
  const rawRows = rawText
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/).map(Number));
  for (const [i, segment] of (labelFile.takes.get('s01_e01') ?? []).entries()) {
    const start = nearestByScan(frames, segment.start ?? NaN);
    const end = nearestByScan(frames, segment.end ?? NaN);
    const expectedFrames = frames.filter((f) => f >= start && f <= end).length;
    const sample = samples[i];
    t.is(sample.name, `s01_e01_${segment.action}`);
    t.is(sample.clip.frames, expectedFrames, sample.name);
    const rowsInRange = rawRows.filter((r) => r[0] >= start && r[0] <= end).length;
    const repeats = rowsInRange - expectedFrames;
    t.is(
      sample.notes.some((n) => n.includes(`dropped ${repeats} repeated`)),
      repeats > 0,
      `${sample.name}: ${sample.notes.join('; ')}`,
    );
  }
  // Frame 320 (inside walk, 252–390) is recorded twice with different values: the first row is kept.
  const walk = samples[0];
  const rows320 = rawRows.filter((r) => r[0] === 320);
  t.is(rows320.length, 2);
  t.notDeepEqual(rows320[0], rows320[1]);
  const index320 = frames.filter((f) => f >= 252 && f < 320).length;
  const o = clipOffset(walk.clip, 0, index320, 0);
  t.deepEqual([...walk.clip.data.subarray(o, o + 60)], rows320[0].slice(1).map(Math.fround));
});

testWithShared(
  'UTKinect, all 20 takes: 199 samples, the NaN entry skipped, every frame count matches the raw text',
  'data/utkinect',
  (t) => {
    const labelFile = readUtkinectLabels(sharedPath('data', 'utkinect', 'actionLabel.txt'));
    let total = 0;
    const skippedNames: string[] = [];
    for (const take of labelFile.takes.keys()) {
      const path = sharedPath('data', 'utkinect', `joints_${take}.txt`);
      const { samples, skipped } = readUtkinect(path, labelFile);
      total += samples.length;
      skippedNames.push(...skipped.map((s) => s.reason.split(':')[0]));
      const frames = rawFrameNumbers(readFileSync(path, 'utf8'));
      for (const sample of samples) {
        const segment = labelFile.takes.get(take)?.find((s) => sample.name === `${take}_${s.action}`);
        const start = nearestByScan(frames, segment?.start ?? NaN);
        const end = nearestByScan(frames, segment?.end ?? NaN);
        t.is(sample.clip.frames, frames.filter((f) => f >= start && f <= end).length, sample.name);
      }
    }
    t.is(total, 199);
    t.deepEqual(skippedNames, ['s10_e02_carry']);
  },
);

testWithShared(
  'real UTKinect geometry is plausible: shins 0.3–0.5 m, y up, left shoulder at smaller x',
  'data/utkinect',
  (t) => {
    const labelFile = readUtkinectLabels(sharedPath('data', 'utkinect', 'actionLabel_modified.txt'));
    const layout = getLayout('kinect-20');
    const [kneeL, ankleL, kneeR, ankleR, shoulderL, shoulderR, head, hip] = [
      'KneeLeft',
      'AnkleLeft',
      'KneeRight',
      'AnkleRight',
      'ShoulderLeft',
      'ShoulderRight',
      'Head',
      'HipCenter',
    ].map((j) => jointIndex(layout, j));
    const shins: number[] = [];
    let frames = 0;
    let leftAtSmallerX = 0;
    let headAbove = 0;
    for (const take of ['s01_e01', 's05_e02', 's09_e01']) {
      for (const { clip } of readUtkinect(sharedPath('data', 'utkinect', `joints_${take}.txt`), labelFile).samples) {
        const at = (f: number, v: number, c: number): number => clip.data[clipOffset(clip, 0, f, v) + c];
        const dist = (f: number, a: number, b: number): number =>
          Math.hypot(at(f, a, 0) - at(f, b, 0), at(f, a, 1) - at(f, b, 1), at(f, a, 2) - at(f, b, 2));
        for (let f = 0; f < clip.frames; f++) {
          frames++;
          shins.push(dist(f, kneeL, ankleL), dist(f, kneeR, ankleR));
          if (at(f, shoulderL, 0) < at(f, shoulderR, 0)) leftAtSmallerX++;
          if (at(f, head, 1) > at(f, hip, 1)) headAbove++;
        }
      }
    }
    shins.sort((a, b) => a - b);
    const median = shins[Math.floor(shins.length / 2)];
    t.true(median > 0.3 && median < 0.5, `median shin ${median} m`);
    // Checked on the data first: 99.7% of all UTKinect frames face the sensor (Kinect x points to its left).
    t.true(leftAtSmallerX / frames > 0.95, `left shoulder at smaller x in ${leftAtSmallerX}/${frames} frames`);
    t.true(headAbove / frames > 0.99, `head above hips in ${headAbove}/${frames} frames`);
  },
);

test('property: corrupted synthetic joints text is read well-formed or rejected naming the file', (t) => {
  assertMutationsHandled(t, SYNTHETIC_JOINTS, JOINTS_FILE, (input) => read(input), 300);
});

test('property: corrupted label text is read or rejected naming the label file', (t) => {
  assertMutationsHandled(t, SYNTHETIC_LABELS, LABEL_FILE, (input) => read(SYNTHETIC_JOINTS, input), 300);
});

test('property: CRLF and extra spaces in joints and label text are tolerated', (t) => {
  assertVariationsTolerated(t, SYNTHETIC_JOINTS, ' ', (input) => read(input));
  assertVariationsTolerated(t, SYNTHETIC_LABELS, ' :', (input) => read(SYNTHETIC_JOINTS, input));
});

testWithShared(
  'property: corrupted real UTKinect rows are read well-formed or rejected naming the file',
  'data/utkinect',
  (t) => {
    // The first 25 rows of s01_e01 (frames 190–254) with the real label line of walk cut to them.
    const head = readFileSync(sharedPath('data', 'utkinect', JOINTS_FILE), 'utf8')
      .split('\n')
      .slice(0, 25)
      .join('\n');
    const labelText = 's01_e01\nwalk: 200 252\n';
    assertMutationsHandled(t, head, JOINTS_FILE, (input) => read(input, labelText), 60);
    assertVariationsTolerated(t, head, ' ', (input) => read(input, labelText), 10);
  },
);
