/**
 * Both pose engines on real video (../shared/media): a person is found where one is visible,
 * the landmarks are plausible (limb lengths in metres, left/right order), the engines agree,
 * the .task bundles skelact builds give the official bundle's landmarks, and the multi-person
 * path finds both people of a pair.
 */
import test, { type ExecutionContext } from 'ava';
import { initBackend } from '../../src/engine/backend.js';
import { poseAsset } from '../../src/pose/assets.js';
import { createMediapipeEngine } from '../../src/pose/engines/mediapipe.js';
import { createTfjsEngine } from '../../src/pose/engines/tfjs.js';
import { extractPoses } from '../../src/pose/extract.js';
import type { PoseEngine, PoseFile } from '../../src/pose/types.js';
import { testNeeding, type Needs } from '../helpers/requirements.js';
import { sharedPath } from '../helpers/shared.js';

const MESSI = 'media/messi_panzoom.mp4';
const VTEST = 'media/vtest_crop.mp4';
const BASKETBALL = 'media/basketball1.png';
const base: Needs = { ffmpeg: true, poseModels: true };

test.before(async () => {
  await initBackend('wasm');
});

// BlazePose indices.
const L = { shoulder: 11, elbow: 13, wrist: 15, hip: 23, knee: 25, ankle: 27 };
const R = { shoulder: 12, elbow: 14, wrist: 16, hip: 24, knee: 26, ankle: 28 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dist3 = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Plausibility of one engine's poses of one person. */
function checkPlausible(t: ExecutionContext, poses: PoseFile, label: string): void {
  const people = poses.frames.flatMap((f) => f.people);
  const limbs: Array<[string, number, number, number, number]> = [
    ['upper arm', L.shoulder, L.elbow, 0.18, 0.42],
    ['forearm', L.elbow, L.wrist, 0.15, 0.38],
    ['thigh', L.hip, L.knee, 0.28, 0.6],
    ['shin', R.knee, R.ankle, 0.28, 0.6],
    ['shoulder width', L.shoulder, R.shoulder, 0.22, 0.5],
  ];
  for (const [name, a, b, lo, hi] of limbs) {
    const m = median(people.map((p) => dist3(p.world[a], p.world[b])));
    t.true(m > lo && m < hi, `${label}: median ${name} ${m.toFixed(3)} m, expected ${lo}–${hi}`);
  }
  // The subject's left shoulder and left hip are on the same side of the body.
  const consistent = people.filter(
    (p) =>
      Math.sign(p.image[L.shoulder][0] - p.image[R.shoulder][0]) === Math.sign(p.image[L.hip][0] - p.image[R.hip][0]),
  ).length;
  t.true(
    consistent >= 0.9 * people.length,
    `${label}: left/right order consistent in ${consistent} of ${people.length} frames`,
  );
  // World landmarks are hip-centred.
  const hipMid = median(
    people.map((p) =>
      Math.hypot((p.world[L.hip][0] + p.world[R.hip][0]) / 2, (p.world[L.hip][1] + p.world[R.hip][1]) / 2),
    ),
  );
  t.true(hipMid < 0.05, `${label}: hip centre ${hipMid.toFixed(3)} m from the origin`);
  // Visibility scores are in [0, 1] and high for a clearly visible player.
  t.true(people.every((p) => p.image.every((l) => l[3] >= 0 && l[3] <= 1)));
  t.true(median(people.map((p) => p.score)) > 0.6, `${label}: median pose visibility`);
}

async function extractWith(
  make: () => Promise<PoseEngine>,
  video: string,
  options: Parameters<typeof extractPoses>[2] = {},
): Promise<PoseFile> {
  const engine = await make();
  try {
    return (await extractPoses(sharedPath(video), engine, options)).poses;
  } finally {
    await engine.close();
  }
}

testNeeding(
  'tfjs engine (BlazePose full, in-process): a person in every frame of the player clip, plausible landmarks',
  { ...base, shared: [MESSI] },
  async (t) => {
    const poses = await extractWith(() => createTfjsEngine('full'), MESSI, { fps: 10 });
    t.is(poses.frames.length, 60);
    const found = poses.frames.filter((f) => f.people.length === 1).length;
    t.true(found >= 57, `a person in ${found} of 60 frames`);
    checkPlausible(t, poses, 'tfjs');
    t.deepEqual(
      poses.tracks.map((tr) => tr.id),
      [0],
    );
  },
);

testNeeding(
  'mediapipe engine (PoseLandmarker full in Chromium): a person in every frame, plausible landmarks',
  { ...base, chromium: true, shared: [MESSI] },
  async (t) => {
    const poses = await extractWith(() => createMediapipeEngine('full'), MESSI, { fps: 10 });
    const found = poses.frames.filter((f) => f.people.length === 1).length;
    t.true(found >= 57, `a person in ${found} of 60 frames`);
    checkPlausible(t, poses, 'mediapipe');
    t.regex(poses.extraction.engineDescription, /tasks-vision 0\.10\.35 .*Chromium/);
  },
);

/** Mean 2D distance (pixels) between two runs' landmarks, over landmarks visible in `a`, and a's mean torso length. */
function agreement(a: PoseFile, b: PoseFile): { meanPx: number; torsoPx: number; points: number } {
  const { width: W, height: H } = a.extraction;
  let sum = 0;
  let n = 0;
  const torso: number[] = [];
  a.frames.forEach((fa, i) => {
    const pa = fa.people[0];
    const pb = b.frames[i]?.people[0];
    if (!pa || !pb) return;
    const mid = (p: typeof pa, i1: number, i2: number) => [
      ((p.image[i1][0] + p.image[i2][0]) / 2) * W,
      ((p.image[i1][1] + p.image[i2][1]) / 2) * H,
    ];
    const s = mid(pa, L.shoulder, R.shoulder);
    const h = mid(pa, L.hip, R.hip);
    torso.push(Math.hypot(s[0] - h[0], s[1] - h[1]));
    pa.image.forEach((l, k) => {
      if (l[3] < 0.5) return;
      sum += Math.hypot((l[0] - pb.image[k][0]) * W, (l[1] - pb.image[k][1]) * H);
      n++;
    });
  });
  return {
    meanPx: sum / Math.max(1, n),
    torsoPx: torso.reduce((x, y) => x + y, 0) / Math.max(1, torso.length),
    points: n,
  };
}

testNeeding(
  'the two engines agree on real video: mean landmark error under 5 % of the torso length (full models)',
  { ...base, chromium: true, shared: [MESSI] },
  async (t) => {
    const mp = await extractWith(() => createMediapipeEngine('full'), MESSI);
    const tj = await extractWith(() => createTfjsEngine('full'), MESSI);
    const { meanPx, torsoPx, points } = agreement(mp, tj);
    t.log(
      `mean 2D difference ${meanPx.toFixed(2)} px over ${points} visible landmarks; torso ${torsoPx.toFixed(1)} px: ${((100 * meanPx) / torsoPx).toFixed(2)} %`,
    );
    t.true(points > 1000);
    t.true(meanPx < 0.05 * torsoPx, `${((100 * meanPx) / torsoPx).toFixed(2)} % of the torso`);
  },
);

testNeeding(
  "the full .task skelact builds from @mediapipe/pose gives the official bundle's landmarks",
  { ...base, chromium: true, shared: [MESSI] },
  async (t) => {
    const built = await extractWith(() => createMediapipeEngine('full'), MESSI, { fps: 10 });
    const official = await extractWith(
      () => createMediapipeEngine('full', { taskFile: poseAsset('pose_landmarker_full.official.task') }),
      MESSI,
      { fps: 10 },
    );
    const { meanPx, points } = agreement(official, built);
    t.log(`built vs official: ${meanPx.toFixed(4)} px over ${points} landmarks`);
    t.true(points > 500);
    t.true(meanPx < 0.5, `${meanPx} px apart`);
  },
);

testNeeding(
  'lite and heavy bundles load and find the player too',
  { ...base, chromium: true, shared: [MESSI] },
  async (t) => {
    for (const model of ['lite', 'heavy'] as const) {
      const poses = await extractWith(() => createMediapipeEngine(model), MESSI, { fps: 2 });
      t.true(poses.frames.filter((f) => f.people.length === 1).length >= 11, `${model}: ${poses.frames.length} frames`);
    }
  },
);

testNeeding(
  'several people: both players of the basketball picture are found, with separate boxes',
  { ...base, shared: [BASKETBALL] },
  async (t) => {
    const poses = await extractWith(() => createTfjsEngine('full'), BASKETBALL, { persons: 2 });
    t.is(poses.frames.length, 1);
    const people = poses.frames[0].people;
    t.is(people.length, 2, 'two people');
    const [a, b] = people;
    t.not(a.track, b.track);
    const overlapX = Math.min(a.box[2], b.box[2]) - Math.max(a.box[0], b.box[0]);
    t.true(
      overlapX < 0.5 * Math.min(a.box[2] - a.box[0], b.box[2] - b.box[0]),
      'the two boxes are two different people',
    );
  },
);

testNeeding(
  'several people on the pedestrian clip: tracks keep identities, two or more people in most frames',
  { ...base, shared: [VTEST] },
  async (t) => {
    const poses = await extractWith(() => createTfjsEngine('lite'), VTEST, { persons: 3, fps: 5 });
    const frames = poses.frames.length;
    const two = poses.frames.filter((f) => f.people.length >= 2).length;
    const one = poses.frames.filter((f) => f.people.length >= 1).length;
    t.log(
      `${frames} frames: a person in ${one}, two or more in ${two}; ${poses.tracks.length} tracks, longest ${Math.max(...poses.tracks.map((tr) => tr.frames))} frames`,
    );
    t.true(one >= 0.9 * frames);
    t.true(two >= 0.5 * frames);
    // Within a frame, people have distinct tracks; a track is never in two places at once.
    t.true(poses.frames.every((f) => new Set(f.people.map((p) => p.track)).size === f.people.length));
    t.true(Math.max(...poses.tracks.map((tr) => tr.frames)) >= 20, 'someone is followed for 4 s or more');
  },
);
