/**
 * Rep counting (ML Kit's method): the embedding's invariances, the k-NN classifier, smoothing
 * and the hysteresis counter by hand, counting on synthetic squat sequences with a known number
 * of repetitions (with jitter and missed frames), and on the real ML Kit samples.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMlkitFitness } from '../../src/data/formats/mlkit-fitness.js';
import {
  EMBEDDING_VECTORS,
  EmaSmoothing,
  PoseClassifier,
  RepetitionCounter,
  countRepetitions,
  poseEmbedding,
  type Point3,
} from '../../src/serve/reps.js';
import { packageRoot } from '../../src/util/paths.js';
import { prng } from '../helpers/prng.js';
import { writePoseFile } from '../helpers/pose-file.js';
import { squatFigure } from '../helpers/squat-figure.js';
import { sharedPath, testWithShared } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';

function syntheticSamples(): PoseClassifier {
  const r = prng(7);
  const samples = [];
  for (let k = 0; k < 25; k++) {
    samples.push({ name: `up${k}`, className: 'squats_up', embedding: poseEmbedding(squatFigure(0.05 * r(), 3, r)) });
    samples.push({
      name: `down${k}`,
      className: 'squats_down',
      embedding: poseEmbedding(squatFigure(0.9 + 0.1 * r(), 3, r)),
    });
  }
  return new PoseClassifier(samples);
}

/** `reps` squats at 30 fps, 2 s each (down at mid-rep), with jitter; every `dropEvery`-th frame missing. */
function squatSequence(reps: number, jitter: number, dropEvery = 0, seed = 3) {
  const r = prng(seed);
  const frames = [];
  const perRep = 60;
  for (let i = 0; i < reps * perRep + 30; i++) {
    const phase = (i % perRep) / perRep;
    const depth = i >= reps * perRep ? 0 : (1 - Math.cos(2 * Math.PI * phase)) / 2;
    frames.push({
      timestampMs: (i * 1000) / 30,
      landmarks: dropEvery && i % dropEvery === 0 ? null : squatFigure(depth, jitter, r),
    });
  }
  return frames;
}

test('embedding: 23 vectors; the same for a moved and scaled pose; hips→shoulders first', (t) => {
  const pose = squatFigure(0.3);
  const e = poseEmbedding(pose);
  t.is(EMBEDDING_VECTORS, 23);
  t.is(e.length, 69);
  const moved = poseEmbedding(pose.map(([x, y, z]) => [2 * x + 100, 2 * y - 50, 2 * z] as Point3));
  e.forEach((v, i) => t.true(Math.abs(v - moved[i]) < 1e-9, `coordinate ${i}`));
  // Hand-computed first vector: shoulders' mid minus hips' mid, in units of 1/100 of the pose size.
  const hips = [(pose[23][0] + pose[24][0]) / 2, (pose[23][1] + pose[24][1]) / 2];
  const shoulders = [(pose[11][0] + pose[12][0]) / 2, (pose[11][1] + pose[12][1]) / 2];
  const torso = Math.hypot(shoulders[0] - hips[0], shoulders[1] - hips[1]);
  const far = Math.max(...pose.map((p) => Math.hypot(p[0] - hips[0], p[1] - hips[1])));
  const size = Math.max(2.5 * torso, far);
  t.true(Math.abs(e[1] - ((shoulders[1] - hips[1]) / size) * 100) < 1e-9);
  t.throws(() => poseEmbedding(pose.slice(0, 17)), { message: /33 BlazePose landmarks/ });
});

test('k-NN: a clear pose gets all 10 votes; its mirror image is recognised too', (t) => {
  const c = syntheticSamples();
  t.is(c.classify(squatFigure(1)).get('squats_down'), 10);
  t.is(c.classify(squatFigure(0)).get('squats_up'), 10);
  const mirrored = squatFigure(1).map(([x, y, z]) => [640 - x, y, z] as Point3);
  t.is(c.classify(mirrored).get('squats_down'), 10);
});

test('EMA smoothing: hand-computed weights; a pause longer than the reset time restarts it', (t) => {
  const s = new EmaSmoothing(3, 0.5, 100);
  const m = (v: number) => new Map([['a', v]]);
  t.is(s.add(m(10), 0).get('a'), 10);
  t.is(s.add(m(0), 30).get('a'), (0 + 0.5 * 10) / 1.5);
  t.is(s.add(m(4), 60).get('a'), (4 + 0.5 * 0 + 0.25 * 10) / 1.75);
  t.is(s.add(m(8), 90).get('a'), (8 + 0.5 * 4 + 0.25 * 0) / 1.75, 'window of 3: the oldest dropped');
  t.is(s.add(m(2), 500).get('a'), 2, 'reset after 410 ms');
});

test('counter: enter above 6, count below 4, and nothing for a dip that never entered', (t) => {
  const c = new RepetitionCounter('down', 6, 4);
  const feed = (v: number) => c.add(new Map([['down', v]]));
  t.deepEqual([5, 7, 5, 4.5, 3].map(feed), [false, false, false, false, true]);
  t.is(c.count, 1);
  t.deepEqual([5.9, 3, 7, 8, 2].map(feed), [false, false, false, false, true]);
  t.is(c.count, 2);
  t.throws(() => new RepetitionCounter('x', 4, 6), { message: /exit threshold/ });
});

test('synthetic squats: the known count, with jitter and missed frames; each rep timed after its bottom', (t) => {
  const classifier = syntheticSamples();
  for (const [reps, jitter, drop] of [
    [5, 2, 0],
    [7, 6, 10],
    [3, 4, 3],
  ] as const) {
    const frames = squatSequence(reps, jitter, drop);
    const { count, repetitions } = countRepetitions(classifier, 'squats_down', frames);
    t.is(count, reps, `${reps} reps, jitter ${jitter} px, every ${drop || 'no'} frame missing`);
    repetitions.forEach((r, k) => {
      // Rep k's bottom is at 1 s + 2 s·k; it is counted on the way up, before the next bottom.
      t.true(r.timestampMs > 1000 + 2000 * k && r.timestampMs < 3000 + 2000 * k, `rep ${k + 1} at ${r.timestampMs} ms`);
    });
  }
  t.throws(() => countRepetitions(classifier, 'pushups_down', []), {
    message: /no class 'pushups_down'.*squats_up, squats_down/,
  });
});

const CSV = 'data/mlkit_fitness/fitness_pose_samples.csv';

testWithShared(
  'the real ML Kit samples: leave-one-out k-NN accuracy, and squats counted between two real poses',
  CSV,
  (t) => {
    const { samples } = readMlkitFitness(sharedPath(CSV), { classes: 'any' });
    const all = PoseClassifier.fromCsvSamples(samples);
    t.deepEqual([...all.classes].sort(), ['pushups_down', 'pushups_up', 'squats_down', 'squats_up']);
    // Leave one out over every 4th sample.
    let right = 0;
    let n = 0;
    for (let i = 0; i < samples.length; i += 4) {
      const rest = PoseClassifier.fromCsvSamples(samples.filter((_, k) => k !== i));
      const d = samples[i].clip.data;
      const votes = rest.classify(
        Array.from({ length: 33 }, (_, j) => [d[3 * j], d[3 * j + 1], d[3 * j + 2]] as Point3),
      );
      const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0];
      if (best === samples[i].meta.className) right++;
      n++;
    }
    t.log(`leave-one-out: ${right} of ${n} right (${((100 * right) / n).toFixed(1)} %)`);
    t.true(right / n > 0.9);
    // A squat sequence moving between a real "up" and a real "down" pose, with 4 px jitter.
    const pose = (cls: string) => {
      const d = samples.find((s) => s.meta.className === cls)!.clip.data;
      return Array.from({ length: 33 }, (_, j) => [d[3 * j], d[3 * j + 1], d[3 * j + 2]] as Point3);
    };
    const [up, down] = [pose('squats_up'), pose('squats_down')];
    const r = prng(11);
    const frames = Array.from({ length: 6 * 60 + 20 }, (_, i) => {
      const a = i >= 360 ? 0 : (1 - Math.cos((2 * Math.PI * (i % 60)) / 60)) / 2;
      return {
        timestampMs: (i * 1000) / 30,
        landmarks: up.map(
          (p, k) =>
            [
              p[0] + a * (down[k][0] - p[0]) + (r() - 0.5) * 8,
              p[1] + a * (down[k][1] - p[1]) + (r() - 0.5) * 8,
              p[2] + a * (down[k][2] - p[2]),
            ] as Point3,
        ),
      };
    });
    t.is(countRepetitions(all, 'squats_down', frames).count, 6);
  },
);

test('skelact reps on a pose file with your own samples: the count and the time of each rep', (t) => {
  const dir = tempDir('skelact-reps-');
  const r = prng(5);
  const rows: string[] = [];
  for (let k = 0; k < 20; k++) {
    for (const [cls, depth] of [
      ['stand', 0.05 * r()],
      ['deep', 0.9 + 0.1 * r()],
    ] as const)
      rows.push(
        [
          `${cls}${k}.png`,
          cls,
          ...squatFigure(depth, 3, r)
            .flat()
            .map((v) => v.toFixed(2)),
        ].join(','),
      );
  }
  writeFileSync(join(dir, 'samples.csv'), `${rows.join('\n')}\n`);
  // A pose file holding 4 squats (every 7th frame without a person).
  writePoseFile(join(dir, 'squats.poses.json'), squatSequence(4, 3, 7), 640, 640);
  const run = spawnSync(
    process.execPath,
    [
      join(packageRoot(), 'bin', 'skelact.js'),
      'reps',
      join(dir, 'squats.poses.json'),
      '--class',
      'deep',
      '--samples',
      join(dir, 'samples.csv'),
      '--json',
    ],
    { encoding: 'utf8' },
  );
  t.is(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { count: number; repetitions: Array<{ timestampMs: number }> };
  t.is(out.count, 4);
  t.is(out.repetitions.length, 4);
  const bad = spawnSync(
    process.execPath,
    [
      join(packageRoot(), 'bin', 'skelact.js'),
      'reps',
      join(dir, 'squats.poses.json'),
      '--exercise',
      'squat',
      '--samples',
      join(dir, 'samples.csv'),
    ],
    { encoding: 'utf8' },
  );
  t.is(bad.status, 1);
  t.regex(bad.stderr, /no class 'squats_down' to count \(it has: stand, deep\)/);
});
