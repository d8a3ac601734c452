import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { classNames } from '../../src/data/classes.js';
import { readNwUcla, readNwUclaErrata } from '../../src/data/formats/index.js';
import type { SkeletonSample } from '../../src/data/types.js';
import { makeClip } from '../../src/graph/clip.js';
import type { ScoreRun } from '../../src/train/evaluate.js';
import { consensusErrors, consensusGroups, heightChange, heightContradictions } from '../../src/train/label-audit.js';
import { datasetsPath } from '../../src/util/paths.js';
import { sharedPath, testWithShared } from '../helpers/shared.js';

const NAMES = classNames('nw-ucla');
const HEAD = 3; // Kinect-20: HipCenter, Spine, ShoulderCenter, Head

/** A Kinect-20 clip whose head height follows `head(t)`; every other joint stays at 0. */
function clipWithHead(name: string, label: string, frames: number, head: (t: number) => number): SkeletonSample {
  const data = new Float32Array(frames * 20 * 3);
  for (let t = 0; t < frames; t++) data[(t * 20 + HEAD) * 3 + 1] = head(t);
  return {
    name,
    label: NAMES.indexOf(label),
    layout: 'kinect-20',
    channels: ['x', 'y', 'z'],
    clip: makeClip(data, 1, frames, 20, 3),
    meta: {},
    notes: [],
  };
}

test('heightChange: the last eighth of the frames against the first, by hand', (t) => {
  // 16 frames: eighths of 2 frames; head 1.0 - 0.05 t: first (1.0 + 0.95) / 2, last (0.30 + 0.25) / 2.
  const clip = clipWithHead('c', 'sit down', 16, (f) => 1 - 0.05 * f);
  t.true(Math.abs(heightChange(clip, 'Head') - (0.275 - 0.975)) < 1e-6);
  // Fewer than 8 frames still compare one frame at each end.
  t.true(
    Math.abs(
      heightChange(
        clipWithHead('d', 'sit down', 5, (f) => f),
        'Head',
      ) - 4,
    ) < 1e-6,
  );
});

test('heightContradictions: sit down that rises and stand up that falls, beyond the threshold only', (t) => {
  const samples = [
    clipWithHead('sits', 'sit down', 16, (f) => 0.9 - 0.03 * f), // falls 0.42: right
    clipWithHead('rises', 'sit down', 16, (f) => 0.4 + 0.03 * f), // rises: contradicts
    clipWithHead('small', 'sit down', 16, (f) => 0.4 + 0.005 * f), // rises 0.07: under the threshold
    clipWithHead('falls', 'stand up', 16, (f) => 0.9 - 0.03 * f), // falls: contradicts
    clipWithHead('walks', 'walk around', 16, (f) => 0.9 - 0.03 * f), // not a height action
  ];
  const found = heightContradictions(samples, NAMES, { lowering: 'sit down', raising: 'stand up' });
  t.deepEqual(
    found.map((f) => [f.name, f.label]),
    [
      ['rises', 'sit down'],
      ['falls', 'stand up'],
    ],
  );
  t.deepEqual(
    heightContradictions(samples, NAMES, { lowering: 'sit down', raising: 'stand up', threshold: 0.05 }).map(
      (f) => f.name,
    ),
    ['rises', 'small', 'falls'],
  );
});

/** A score run over `names` with these labels whose top class per row is `top`. */
function run(names: string[], labels: number[], top: number[], classes = ['a', 'b', 'c']): ScoreRun {
  const scores = new Float32Array(names.length * classes.length).fill(0.1);
  top.forEach((k, i) => (scores[i * classes.length + k] = 0.8));
  return { classNames: classes, names, labels: Int32Array.from(labels), scores };
}

test('consensusErrors: only samples every run puts in the same other class, whatever the row order', (t) => {
  const names = ['right', 'all-b', 'split', 'one-right'];
  const labels = [0, 0, 0, 0];
  const runs = [
    run(names, labels, [0, 1, 1, 1]),
    // The same samples listed in reverse: one-right 0 (right), split 1, all-b 1, right 0.
    run([...names].reverse(), labels, [0, 1, 1, 0]),
    run(names, labels, [0, 1, 2, 1]),
  ];
  t.deepEqual(consensusErrors(runs), [{ name: 'all-b', label: 'a', predicted: 'b' }]);
  t.deepEqual(
    consensusErrors([runs[0]]).map((e) => e.name),
    ['all-b', 'split', 'one-right'],
  );
});

test('consensusErrors refuses runs that do not score the same samples and classes', (t) => {
  const a = run(['x', 'y'], [0, 1], [1, 0]);
  t.throws(() => consensusErrors([a, run(['x'], [0], [1])]), { message: /run 2 has no row for y/ });
  t.throws(() => consensusErrors([a, run(['x', 'y'], [0, 1], [1, 0], ['a', 'b', 'd'])]), {
    message: /other classes/,
  });
  t.throws(() => consensusErrors([a, run(['x', 'y'], [0, 2], [1, 0])]), { message: /disagree on the label of y/ });
  t.throws(() => consensusErrors([]), { message: /at least one/ });
});

test("consensusGroups: errors per group and label over the group's clips of that label, whole groups first", (t) => {
  const names = ['g1-1', 'g1-2', 'g1-3', 'g2-1', 'g2-2', 'g2-3', 'g2-4'];
  const labels = [0, 0, 1, 0, 0, 0, 0];
  const r = run(names, labels, [1, 1, 1, 2, 0, 0, 0]);
  const groups = consensusGroups(r, consensusErrors([r]), (n) => n.slice(0, 2));
  t.deepEqual(groups, [
    { group: 'g1', label: 'a', predicted: 'b', errors: 2, clips: 2 },
    { group: 'g2', label: 'a', predicted: 'c', errors: 1, clips: 4 },
  ]);
});

testWithShared(
  'NW-UCLA: the head rule flags all of subject 4\'s view-2 "sit down" clips, and every errata entry that cites the head',
  'data/nw_ucla_train',
  (t) => {
    const dir = sharedPath('data/nw_ucla_train');
    const samples = readdirSync(dir)
      .filter((f) => f.startsWith('a05_') || f.startsWith('a06_'))
      .flatMap((f) => readNwUcla(join(dir, f)).samples);
    const flagged = new Set(
      heightContradictions(samples, NAMES, { lowering: 'sit down', raising: 'stand up' }).map((h) => h.name),
    );
    const s04SitDown = samples.filter((s) => /^a05_s04_e\d+_v02$/.test(s.name)).map((s) => s.name);
    t.is(s04SitDown.length, 6);
    for (const name of s04SitDown) t.true(flagged.has(name), name);
    // Few clips break the rule: the rule is not flagging ordinary noise.
    t.true(flagged.size <= 15, `${flagged.size} flagged of ${samples.length}`);
    const errata = readNwUclaErrata(datasetsPath('nw-ucla', 'label-errata.json'));
    const single = [...errata.clips].filter(([, e]) => e.evidence.endsWith('head-rises')).map(([n]) => n);
    t.true(single.length > 0);
    for (const name of single) t.true(flagged.has(name), name);
  },
);
