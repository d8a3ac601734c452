import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseMlkitFitness, readMlkitFitness } from '../../../src/data/formats/index.js';
import { loadClassTable } from '../../../src/data/classes.js';
import { SkeletonFormatError, type ReadResult } from '../../../src/data/types.js';
import { sharedPath, testWithShared } from '../../helpers/shared.js';
import { assertMutationsHandled, assertVariationsTolerated } from './mutate.js';

const FILE = 'fitness_pose_samples.csv';

/** A CSV row whose landmark k has x = k + offset, y = 2k, z = −k. */
function row(name: string, cls: string, offset = 0): string {
  const values = Array.from({ length: 33 }, (_, k) => `${k + offset}.5,${2 * k},${-k}`);
  return [name, cls, ...values].join(',');
}

const SYNTHETIC =
  [row('a.png', 'pushups_up'), row('b.png', 'squats_down', 100), row('a.png', 'squats_up', 7)].join('\n') + '\n';

test('each row is one [1, 1, 33, 3] sample named <line>:<name> with the class index of its id', (t) => {
  const { samples, skipped } = parseMlkitFitness(SYNTHETIC, FILE);
  t.is(skipped.length, 0);
  t.deepEqual(
    samples.map((s) => [s.name, s.label]),
    [
      ['1:a.png', 0],
      ['2:b.png', 3],
      ['3:a.png', 2],
    ],
  );
  const [, second] = samples;
  t.is(second.layout, 'blazepose-33');
  t.deepEqual([second.clip.persons, second.clip.frames, second.clip.joints, second.clip.channels], [1, 1, 33, 3]);
  t.deepEqual([...second.clip.data.subarray(3 * 32, 3 * 33)], [132.5, 64, -32]);
  t.deepEqual(second.meta, { image: 'b.png', line: 2, className: 'squats_down' });
});

test("classes: 'any' takes your own class names, numbered in order of appearance", (t) => {
  const lines = SYNTHETIC.split('\n');
  lines[1] = row('b.png', 'jumping_jacks_open');
  const { samples, skipped } = parseMlkitFitness(lines.join('\n'), FILE, { classes: 'any' });
  t.is(skipped.length, 0);
  t.deepEqual(
    samples.map((s) => [s.label, s.meta.className]),
    [
      [0, 'pushups_up'],
      [1, 'jumping_jacks_open'],
      [2, 'squats_up'],
    ],
  );
});

test('a bad row is reported in skipped with its line; the other rows are read', (t) => {
  const lines = SYNTHETIC.split('\n');
  lines[1] = row('b.png', 'jumping_jacks');
  const { samples, skipped } = parseMlkitFitness(lines.join('\n'), FILE);
  t.deepEqual(
    samples.map((s) => s.name),
    ['1:a.png', '3:a.png'],
  );
  t.is(skipped.length, 1);
  t.is(skipped[0].file, FILE);
  t.is(
    skipped[0].reason,
    `${FILE}:2 (class): expected one of pushups_up, pushups_down, squats_up, squats_down, found "jumping_jacks"`,
  );
});

test('row errors name the file, the line, the field and what was expected', (t) => {
  const reasonFor = (badRow: string): string => {
    const { samples, skipped } = parseMlkitFitness(`${row('ok.png', 'squats_up')}\n${badRow}\n`, FILE);
    t.is(samples.length, 1);
    t.is(skipped.length, 1);
    return skipped[0].reason;
  };
  t.regex(
    reasonFor(row('x.png', 'squats_up').replace(/,-32$/, '')),
    /^fitness_pose_samples\.csv:2: expected 101 fields \(name, class, then 33 landmarks × x,y,z\), found "100"$/,
  );
  t.regex(
    reasonFor(row('x.png', 'squats_up').replace(',0.5,0,0,', ',0.5,abc,0,')),
    /^fitness_pose_samples\.csv:2 \(nose\.y\): expected a finite number, found "abc"$/,
  );
  t.regex(
    reasonFor(row('x.png', 'squats_up').replace(/,-32$/, ',1e999')),
    /:2 \(right_foot_index\.z\): expected a finite number, found "1e999"/,
  );
  t.regex(
    reasonFor(row('x.png', 'squats_up').replace(/,-32$/, ',')),
    /:2 \(right_foot_index\.z\): expected a finite number, found ""/,
  );
  t.regex(reasonFor(row('', 'squats_up')), /:2 \(name\): expected a non-empty sample name/);
  t.regex(reasonFor(`"x,${row('y.png', 'squats_up')}`), /:2: expected a closing double quote/);
});

test('quoted names may hold commas; CRLF and spaces around fields are accepted', (t) => {
  const text = `${row('"pose, take ""2"".png"', 'pushups_down')}\r\n ${row('c.png', 'squats_up').replace(/,/g, ' , ')} \r\n`;
  const { samples, skipped } = parseMlkitFitness(text, FILE);
  t.deepEqual(skipped, []);
  t.deepEqual(
    samples.map((s) => s.name),
    ['1:pose, take "2".png', '2:c.png'],
  );
});

test('an empty file is an error, not an empty dataset', (t) => {
  t.throws(() => parseMlkitFitness('\n \n', FILE), {
    instanceOf: SkeletonFormatError,
    message: /^fitness_pose_samples\.csv: expected at least one row/,
  });
});

testWithShared(
  'the real ML Kit CSV: 812 rows, 201/195/191/225 per class, values as written',
  'data/mlkit_fitness',
  (t) => {
    const path = sharedPath('data', 'mlkit_fitness', FILE);
    const { samples, skipped } = readMlkitFitness(path);
    t.is(samples.length, 812);
    t.deepEqual(skipped, []);
    const ids = loadClassTable('mlkit-fitness').classes.map((c) => c.id);
    const counts = Object.fromEntries(ids.map((id, label) => [id, samples.filter((s) => s.label === label).length]));
    t.deepEqual(counts, { pushups_up: 201, pushups_down: 195, squats_up: 191, squats_down: 225 });
    t.is(new Set(samples.map((s) => s.name)).size, 812);
    const lastLine = readFileSync(path, 'utf8').trimEnd().split(/\r?\n/).at(-1)?.split(',') ?? [];
    const last = samples[811];
    t.is(last.name, `812:${lastLine[0]}`);
    t.is(ids[last.label], lastLine[1]);
    t.deepEqual(
      [...last.clip.data],
      lastLine.slice(2).map((v) => Math.fround(Number(v))),
    );
  },
);

testWithShared(
  'the real ML Kit CSV with two corrupted rows: 810 samples, the two lines reported',
  'data/mlkit_fitness',
  (t) => {
    const lines = readFileSync(sharedPath('data', 'mlkit_fitness', FILE), 'utf8').split('\n');
    lines[4] = lines[4].replace(/,(pushups|squats)_(up|down),/, ',lunges_down,');
    const fields = lines[8].split(',');
    fields[3] = 'abc'; // nose.y
    lines[8] = fields.join(',');
    const { samples, skipped } = parseMlkitFitness(lines.join('\n'), FILE);
    t.is(samples.length, 810);
    t.deepEqual(
      skipped.map((s) => s.reason.split(' ')[0]),
      [`${FILE}:5`, `${FILE}:9`],
    );
  },
);

test('property: corrupted synthetic CSV is read well-formed or rejected naming the file', (t) => {
  // Bad rows go to `skipped` rather than failing the file, so a result with skipped rows counts as a rejection.
  const rowRejected = (result: ReadResult): boolean => result.skipped.length > 0;
  assertMutationsHandled(t, SYNTHETIC, FILE, (input) => parseMlkitFitness(input, FILE), 300, rowRejected);
  assertVariationsTolerated(t, SYNTHETIC, ',', (input) => parseMlkitFitness(input, FILE));
});

testWithShared(
  'property: corrupted real CSV rows are read well-formed or rejected naming the file',
  'data/mlkit_fitness',
  (t) => {
    const head = readFileSync(sharedPath('data', 'mlkit_fitness', FILE), 'utf8')
      .split('\n')
      .slice(0, 12)
      .join('\n');
    assertMutationsHandled(
      t,
      head,
      FILE,
      (input) => parseMlkitFitness(input, FILE),
      100,
      (result) => result.skipped.length > 0,
    );
    assertVariationsTolerated(t, head, ',', (input) => parseMlkitFitness(input, FILE), 10);
  },
);
