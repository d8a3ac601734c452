import test from 'ava';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyNwUclaErrata, parseNwUcla, readNwUcla, readNwUclaErrata } from '../../../src/data/formats/index.js';
import { loadClassTable } from '../../../src/data/classes.js';
import { SkeletonFormatError } from '../../../src/data/types.js';
import { clipOffset } from '../../../src/graph/clip.js';
import { getLayout, jointIndex } from '../../../src/graph/index.js';
import { sharedPath, testWithShared } from '../../helpers/shared.js';
import { tempDir } from '../../helpers/temp.js';
import { datasetsPath } from '../../../src/util/paths.js';
import { assertMutationsHandled, assertVariationsTolerated } from './mutate.js';

const FILE = 'a03_s02_e01_v02.json';

/** A synthetic NW-UCLA record: T frames of 20 joints whose coordinates encode (t, v, c). */
function syntheticRecord(frames = 2, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const skeletons = Array.from({ length: frames }, (_, t) =>
    Array.from({ length: 20 }, (_, v) => [t + v / 100, -v / 10, 2 + t / 10]),
  );
  return { file_name: 'a03_s02_e01_v02', skeletons, label: 3, ...overrides };
}

const text = (record: Record<string, unknown>): string => JSON.stringify(record);

function rejects(t: import('ava').ExecutionContext, input: string, pattern: RegExp): void {
  const err = t.throws(() => parseNwUcla(input, FILE), { instanceOf: SkeletonFormatError });
  t.truthy(err?.message.startsWith(FILE), err?.message);
  t.regex(err?.message ?? '', pattern);
}

test('a synthetic record reads into one [1, T, 20, 3] sample with label and meta from the name', (t) => {
  const { samples, skipped } = parseNwUcla(text(syntheticRecord(3)), FILE);
  t.is(samples.length, 1);
  t.is(skipped.length, 0);
  const [s] = samples;
  t.is(s.name, 'a03_s02_e01_v02');
  t.is(s.label, 2);
  t.is(s.layout, 'kinect-20');
  t.deepEqual([...s.channels], ['x', 'y', 'z']);
  t.deepEqual([s.clip.persons, s.clip.frames, s.clip.joints, s.clip.channels], [1, 3, 20, 3]);
  t.deepEqual(s.meta, { action: 'a03', subject: 2, episode: 1, view: 2 });
  // (t=2, v=7) was written as [2.07, -0.7, 2.2]
  const o = clipOffset(s.clip, 0, 2, 7);
  t.deepEqual([...s.clip.data.subarray(o, o + 3)], [Math.fround(2.07), Math.fround(-0.7), Math.fround(2.2)]);
});

test('rejects a sequence with no frames', (t) =>
  rejects(t, text(syntheticRecord(0)), /\(skeletons\): expected at least one frame, found "0 items"/));

test('rejects a frame with the wrong joint count, naming the frame', (t) => {
  const record = syntheticRecord(4);
  (record.skeletons as unknown[][])[2].pop();
  rejects(t, text(record), /\(skeletons\[2\]\): expected 20 joints \(layout kinect-20\), found "19 items"/);
});

test('rejects a joint with the wrong coordinate count, naming the joint', (t) => {
  const record = syntheticRecord(2);
  (record.skeletons as number[][][])[0][5].push(1);
  rejects(t, text(record), /\(skeletons\[0\]\[5\]\): expected 3 coordinates \[x, y, z\], found "4 items"/);
});

test('rejects non-finite and non-numeric coordinates', (t) => {
  const overflow = text(syntheticRecord(2)).replace('[0,0,2]', '[0,1e999,2]');
  rejects(t, overflow, /\(skeletons\[0\]\[0\]\[1\]\): expected a finite number, found "Infinity"/);
  const record = syntheticRecord(2);
  (record.skeletons as unknown[][][])[1][3][2] = 'abc';
  rejects(t, text(record), /\(skeletons\[1\]\[3\]\[2\]\): expected a finite number, found "abc"/);
});

test('rejects labels outside 1..10', (t) => {
  rejects(t, text(syntheticRecord(1, { label: 0 })), /\(label\): expected a label in 1\.\.10, found "0"/);
  rejects(t, text(syntheticRecord(1, { label: 11 })), /\(label\): expected a label in 1\.\.10, found "11"/);
  rejects(t, text(syntheticRecord(1, { label: 2.5 })), /\(label\): expected an integer label 1\.\.10, found "2.5"/);
  rejects(
    t,
    text(syntheticRecord(1, { label: undefined })),
    /\(label\): expected an integer label 1\.\.10, found "nothing"/,
  );
});

test('rejects a label that disagrees with the action in file_name', (t) => {
  // label 4 is a04; the name says a03, whose label is 3
  rejects(
    t,
    text(syntheticRecord(1, { label: 4 })),
    /\(label\): expected 3 \(the label of action a03 in file_name\), found "4 \(action a04\)"/,
  );
  // a07 is not one of the ten NW-UCLA actions
  rejects(
    t,
    text(syntheticRecord(1, { file_name: 'a07_s02_e01_v02', label: 7 })),
    /\(label\): expected file_name to name one of the actions a01, .*a12/,
  );
});

test('rejects a file_name that is not aAA_sSS_eEE_vVV', (t) => {
  rejects(
    t,
    text(syntheticRecord(1, { file_name: 'a03-s02-e01-v02' })),
    /\(file_name\): expected a name aAA_sSS_eEE_vVV .*found "a03-s02-e01-v02"/,
  );
  rejects(
    t,
    text(syntheticRecord(1, { file_name: 17 })),
    /\(file_name\): expected a string "aAA_sSS_eEE_vVV", found "17"/,
  );
});

test('rejects invalid JSON with the line of the syntax error', (t) => {
  rejects(t, '{\n"file_name": "a03_s02_e01_v02",\n"label": 3,,\n}', /^a03_s02_e01_v02\.json:3: expected valid JSON/);
});

testWithShared(
  'the six real NW-UCLA samples: labels, meta and frames match their names and contents',
  'data/nw_ucla_samples',
  (t) => {
    const dir = sharedPath('data', 'nw_ucla_samples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    t.is(files.length, 6);
    const ids = loadClassTable('nw-ucla').classes.map((c) => c.id);
    for (const file of files) {
      const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { skeletons: number[][][]; label: number };
      const { samples } = readNwUcla(join(dir, file));
      const [s] = samples;
      const [action, subject, episode, view] = file.replace('.json', '').split('_');
      t.is(s.name, file.replace('.json', ''));
      t.is(ids[s.label], action, file);
      t.is(s.label, raw.label - 1);
      t.deepEqual(s.meta, {
        action,
        subject: Number(subject.slice(1)),
        episode: Number(episode.slice(1)),
        view: Number(view.slice(1)),
      });
      t.is(s.clip.frames, raw.skeletons.length);
      const last = raw.skeletons.length - 1;
      const o = clipOffset(s.clip, 0, last, 19);
      t.deepEqual([...s.clip.data.subarray(o, o + 3)], raw.skeletons[last][19].map(Math.fround));
    }
  },
);

testWithShared(
  'real NW-UCLA geometry is plausible: shins 0.3–0.5 m, left shoulder at smaller x, head above hips',
  'data/nw_ucla_samples',
  (t) => {
    const layout = getLayout('kinect-20');
    const [knee, ankle, shoulderL, shoulderR, head, hip] = [
      'KneeLeft',
      'AnkleLeft',
      'ShoulderLeft',
      'ShoulderRight',
      'Head',
      'HipCenter',
    ].map((j) => jointIndex(layout, j));
    const dir = sharedPath('data', 'nw_ucla_samples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const { clip } = readNwUcla(join(dir, file)).samples[0];
      const at = (tt: number, v: number, c: number): number => clip.data[clipOffset(clip, 0, tt, v) + c];
      const shins: number[] = [];
      let leftAtSmallerX = 0;
      let headAbove = 0;
      for (let f = 0; f < clip.frames; f++) {
        shins.push(
          Math.hypot(
            at(f, knee, 0) - at(f, ankle, 0),
            at(f, knee, 1) - at(f, ankle, 1),
            at(f, knee, 2) - at(f, ankle, 2),
          ),
        );
        if (at(f, shoulderL, 0) < at(f, shoulderR, 0)) leftAtSmallerX++;
        if (at(f, head, 1) > at(f, hip, 1)) headAbove++;
      }
      shins.sort((a, b) => a - b);
      const median = shins[Math.floor(shins.length / 2)];
      t.true(median > 0.3 && median < 0.5, `${file}: median shin ${median}`);
      // Kinect v1 camera space has x towards the sensor's left: a subject facing it has the left shoulder at smaller x.
      t.is(leftAtSmallerX, clip.frames, file);
      t.is(headAbove, clip.frames, file);
    }
  },
);

test('property: corrupted synthetic NW-UCLA JSON is read well-formed or rejected naming the file', (t) => {
  assertMutationsHandled(
    t,
    JSON.stringify(syntheticRecord(2), null, 1),
    FILE,
    (input) => parseNwUcla(input, FILE),
    300,
  );
});

test('property: CRLF and extra spaces in NW-UCLA JSON are tolerated', (t) => {
  assertVariationsTolerated(t, JSON.stringify(syntheticRecord(2), null, 1), ',:', (input) => parseNwUcla(input, FILE));
});

testWithShared(
  'property: corrupted real NW-UCLA JSON is read well-formed or rejected naming the file',
  'data/nw_ucla_samples/a11_s09_e03_v02.json',
  (t) => {
    const real = readFileSync(sharedPath('data', 'nw_ucla_samples', 'a11_s09_e03_v02.json'), 'utf8');
    assertMutationsHandled(t, real, 'a11_s09_e03_v02.json', (input) => parseNwUcla(input, 'a11_s09_e03_v02.json'), 100);
    assertVariationsTolerated(t, real, ',:', (input) => parseNwUcla(input, 'a11_s09_e03_v02.json'), 10);
  },
);

test('label errata: the shipped file reads, and every clip names a real action other than its own', (t) => {
  const errata = readNwUclaErrata(datasetsPath('nw-ucla', 'label-errata.json'));
  const ids = loadClassTable('nw-ucla').classes.map((c) => c.id);
  t.is(errata.clips.size, 25);
  for (const [name, entry] of errata.clips) {
    t.true(ids.includes(entry.label), name);
    t.not(entry.label, name.slice(0, 3), `${name} is "corrected" to its own action`);
  }
});

test('label errata: a bad file is refused naming the entry and what was expected', (t) => {
  const dir = tempDir('skelact-errata-');
  const write = (clips: unknown[], evidence: Record<string, string> = { e: 'why' }) => {
    const path = join(dir, 'errata.json');
    writeFileSync(path, JSON.stringify({ dataset: 'nw-ucla', evidence, clips }));
    return path;
  };
  const ok = { name: 'a05_s04_e00_v02', label: 'a06', evidence: 'e' };
  t.is(readNwUclaErrata(write([ok])).clips.get('a05_s04_e00_v02')?.label, 'a06');
  t.throws(() => readNwUclaErrata(write([{ ...ok, label: 'a07' }])), {
    instanceOf: SkeletonFormatError,
    message: /clips\[0\]\.label.*one of the actions a01, a02/s,
  });
  t.throws(() => readNwUclaErrata(write([{ ...ok, evidence: 'nope' }])), {
    message: /clips\[0\]\.evidence.*a key of "evidence" \(e\)/s,
  });
  t.throws(() => readNwUclaErrata(write([ok, ok])), { message: /clips\[1\]\.name.*each clip listed once/s });
  t.throws(() => readNwUclaErrata(write([{ ...ok, name: 'sit' }])), { message: /clips\[0\]\.name.*aAA_sSS_eEE_vVV/s });
});

test('label errata: applying them relabels a listed clip with a note and keeps the published label in meta', (t) => {
  const dir = tempDir('skelact-errata-');
  const path = join(dir, 'errata.json');
  writeFileSync(
    path,
    JSON.stringify({
      dataset: 'nw-ucla',
      evidence: { swap: 'why' },
      clips: [{ name: 'a03_s02_e01_v02', label: 'a11', evidence: 'swap' }],
    }),
  );
  const errata = readNwUclaErrata(path);
  const [listed] = parseNwUcla(JSON.stringify(syntheticRecord()), FILE).samples;
  const fixed = applyNwUclaErrata(listed, errata);
  t.is(loadClassTable('nw-ucla').classes[fixed.label].name, 'throw');
  t.is(fixed.meta.publishedLabel, listed.label);
  t.deepEqual(fixed.notes, ['label corrected by errata.json (swap): drop trash -> throw']);
  t.is(fixed.clip, listed.clip);
  const [other] = parseNwUcla(JSON.stringify(syntheticRecord(2, { file_name: 'a03_s02_e02_v02' })), FILE).samples;
  t.is(applyNwUclaErrata(other, errata), other);
});
