/**
 * Rep counting with a trained pose model instead of samples (`skelact reps` without --samples):
 * the shipped `fitness` model as the counter's pose classifier. Its probabilities for a pose
 * are checked against `skelact eval`'s path (the prepared cache) on the held-out ML Kit poses,
 * and repetitions are counted between real held-out poses it was never trained on.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { prepare } from '../../src/data/prepare.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadModel } from '../../src/models/io.js';
import { createModelFromManifest } from '../../src/models/registry.js';
import { ModelPoseClassifier } from '../../src/serve/pose-model-classifier.js';
import { countRepetitions, EXERCISES, poseClassNamed } from '../../src/serve/reps.js';
import { testConfigOf } from '../../src/train/config.js';
import { evaluate } from '../../src/train/evaluate.js';
import { packageRoot } from '../../src/util/paths.js';
import { writePoseFile } from '../helpers/pose-file.js';
import { heldOutPoses, landmarksOf, MLKIT_CSV as CSV, repsBetween } from '../helpers/mlkit-poses.js';
import { sharedPath, testWithShared } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';

test.before(async () => {
  await initBackend('wasm');
});

test("pose class names: the exact name, else the one differing only in case, spaces and underscores; else the classifier's list", (t) => {
  const classes = ['pushups up', 'pushups down', 'squats up', 'squats down'];
  t.is(poseClassNamed(classes, 'squats down'), 'squats down');
  t.is(poseClassNamed(classes, EXERCISES.squat), 'squats down');
  t.is(poseClassNamed(['squats_down', 'squats down'], 'squats down'), 'squats down');
  t.throws(() => poseClassNamed(classes, 'lunges_down'), {
    message:
      "the pose classifier has no class 'lunges_down' to count (it has: pushups up, pushups down, squats up, squats down)",
  });
});

testWithShared(
  "the shipped fitness model as a pose classifier gives skelact eval's probabilities for every held-out ML Kit pose",
  CSV,
  async (t) => {
    const out = join(tempDir('skelact-reps-model-'), 'cache');
    await prepare({ dataset: 'mlkit-fitness', raw: sharedPath(CSV), out, workers: 0 });
    const cache = SkeletonCache.open(out);
    const { model, manifest } = loadModel('fitness', createModelFromManifest);
    const indices = [...cache.split('mlkit-fitness-holdout', 'test')];
    const evaluated = await evaluate({
      model,
      cache,
      config: testConfigOf(manifest, 'mlkit-fitness-holdout'),
      indices,
      batchSize: 32,
    });
    model.dispose();
    const poses = new Map(heldOutPoses().map((s) => [s.name, s]));
    const classifier = ModelPoseClassifier.load('fitness');
    t.deepEqual(classifier.classes, evaluated.classNames);
    const K = classifier.classes.length;
    let worst = 0;
    let right = 0;
    evaluated.names.forEach((name, i) => {
      const pose = poses.get(name);
      if (!pose) throw new Error(`no CSV row for ${name}`);
      const p = classifier.classify(landmarksOf(pose));
      const row = Array.from(classifier.classes, (c) => p.get(c)!);
      row.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - evaluated.scores[i * K + k]))));
      if (row.indexOf(Math.max(...row)) === evaluated.labels[i]) right++;
    });
    classifier.dispose();
    t.is(evaluated.names.length, 162);
    t.true(worst < 1e-5, `largest probability difference ${worst}`);
    t.is(right / evaluated.names.length, evaluated.top1);
  },
);

testWithShared(
  'squats and push-ups counted by the shipped fitness model between real held-out poses (12 up/down pairs each)',
  CSV,
  (t) => {
    const held = heldOutPoses();
    const classifier = ModelPoseClassifier.load('fitness');
    const counts: Record<string, number[]> = {};
    for (const exercise of ['squats', 'pushups']) {
      const ups = held.filter((s) => s.meta.className === `${exercise}_up`);
      const downs = held.filter((s) => s.meta.className === `${exercise}_down`);
      counts[exercise] = Array.from({ length: 12 }, (_, k) => {
        const frames = repsBetween(landmarksOf(ups[k]), landmarksOf(downs[k]), 5, 6, k);
        return countRepetitions(classifier, `${exercise}_down`, frames).count;
      });
    }
    classifier.dispose();
    t.log(counts);
    const all = [...counts.squats, ...counts.pushups];
    // A pair whose "down" pose the model misreads counts nothing; nothing may count extra reps.
    t.true(
      all.every((c) => c <= 5),
      'no pair counts more repetitions than were done',
    );
    t.true(all.filter((c) => c === 5).length >= 22, `${all.filter((c) => c === 5).length} of 24 pairs counted exactly`);
  },
);

testWithShared(
  'skelact reps without --samples counts with the shipped fitness model; bad --model and mixed options are refused',
  CSV,
  (t) => {
    const dir = tempDir('skelact-reps-model-cli-');
    const held = heldOutPoses();
    const up = landmarksOf(held.find((s) => s.meta.className === 'squats_up')!);
    const down = landmarksOf(held.find((s) => s.meta.className === 'squats_down')!);
    const frames = repsBetween(up, down, 4, 4, 3).map((f, i) => (i % 9 === 0 ? { ...f, landmarks: null } : f));
    const file = join(dir, 'squats.poses.json');
    writePoseFile(file, frames, 1280, 960);
    const skelact = (...args: string[]) =>
      spawnSync(process.execPath, [join(packageRoot(), 'bin', 'skelact.js'), 'reps', ...args], { encoding: 'utf8' });
    const run = skelact(file, '--exercise', 'squat', '--json');
    t.is(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { count: number; class: string; repetitions: Array<{ timestampMs: number }> };
    t.is(out.count, 4);
    t.is(out.class, 'squats down');
    // Rep k's bottom is at 1 s + 2 s·k; it is counted on the way up, before the next bottom.
    out.repetitions.forEach((r, k) => t.true(r.timestampMs > 1000 + 2000 * k && r.timestampMs < 3000 + 2000 * k));
    t.regex(run.stderr, /pose model fitness \(pushups up, pushups down, squats up, squats down\)/);

    const unknown = skelact(file, '--exercise', 'squat', '--model', 'no-such-model');
    t.is(unknown.status, 1);
    t.regex(unknown.stderr, /no-such-model.*fitness, nw-ucla, utkinect/s);
    const wrongLayout = skelact(file, '--exercise', 'squat', '--model', 'nw-ucla');
    t.is(wrongLayout.status, 1);
    t.regex(
      wrongLayout.stderr,
      /nw-ucla: a pose classifier .* needs a model on BlazePose-33 landmarks.*reads kinect-20/,
    );
    const both = skelact(file, '--exercise', 'squat', '--model', 'fitness', '--samples', sharedPath(CSV));
    t.is(both.status, 1);
    t.regex(both.stderr, /give --samples \(k-NN\) or --model \(a trained pose model\), not both/);
  },
);
