/**
 * What the BlazePose-33 → Kinect-20 mapping loses, measured on real Kinect skeletons: each
 * NW-UCLA frame is written as MediaPipe world landmarks (the 16 limb joints placed exactly; the
 * ears at the Kinect head ± 7 cm sideways; the index and pinky where the palm centre comes back
 * as the Kinect hand), then mapped back with `mapPose(…, 'kinect-20')`. What changes is what the
 * mapping has to synthesise: HipCenter, Spine and ShoulderCenter, rebuilt from the hips,
 * shoulders and head with the ratios measured on NW-UCLA. Pose-estimation error is NOT part of
 * this: it measures the layout difference alone.
 *
 *   node dist/bench/kinect-roundtrip.js --raw ../shared/data/nw_ucla_train --out /tmp/ucla-roundtrip
 *
 * writes NW-UCLA JSON files to --out (prepare them and evaluate a model on both caches:
 * `npm run bench:accuracy` does) and prints the per-joint displacement in centimetres.
 *
 * `--hip-centred` also does what MediaPipe's world landmarks do to every frame: put the hips'
 * midpoint at the origin, so the person's path through the room is gone (only the pose is
 * left). That is the larger loss for actions defined by moving about, such as "walk around".
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLayout, jointIndex } from '../src/graph/layout.js';
import { mapPose } from '../src/pose/mapping.js';
import type { PersonPose } from '../src/pose/types.js';
import { arg } from './args.js';

type Vec3 = [number, number, number];
const kinect = getLayout('kinect-20');
const blaze = getLayout('blazepose-33');
const K = (name: string) => jointIndex(kinect, name);

/** Kinect camera axes → MediaPipe world axes (the 180° turn about z is its own inverse). */
const toMediapipe = (p: readonly number[]): Vec3 => [-p[0], -p[1], p[2]];

/** One Kinect-20 frame as 33 MediaPipe world landmarks (see the module comment). */
export function kinectToBlazepose(frame: readonly (readonly number[])[], hipCentred = false): PersonPose {
  if (hipCentred) {
    const mid = [0, 1, 2].map((c) => (frame[K('HipLeft')][c] + frame[K('HipRight')][c]) / 2);
    frame = frame.map((p) => p.map((x, c) => x - mid[c]));
  }
  const world: Vec3[] = blaze.jointNames.map(() => toMediapipe(frame[K('Head')]));
  const set = (name: string, p: Vec3) => (world[blaze.jointNames.indexOf(name)] = p);
  for (const side of ['Left', 'Right'] as const) {
    const s = side.toLowerCase();
    set(`${s}_shoulder`, toMediapipe(frame[K(`Shoulder${side}`)]));
    set(`${s}_elbow`, toMediapipe(frame[K(`Elbow${side}`)]));
    set(`${s}_wrist`, toMediapipe(frame[K(`Wrist${side}`)]));
    set(`${s}_hip`, toMediapipe(frame[K(`Hip${side}`)]));
    set(`${s}_knee`, toMediapipe(frame[K(`Knee${side}`)]));
    set(`${s}_ankle`, toMediapipe(frame[K(`Ankle${side}`)]));
    set(`${s}_heel`, toMediapipe(frame[K(`Ankle${side}`)]));
    set(`${s}_foot_index`, toMediapipe(frame[K(`Foot${side}`)]));
    // The mapping's palm centre is mean(wrist, pinky, index): pinky = index = (3·hand − wrist)/2 gives the hand back.
    const hand = toMediapipe(frame[K(`Hand${side}`)]);
    const wrist = toMediapipe(frame[K(`Wrist${side}`)]);
    const finger = hand.map((h, i) => (3 * h - wrist[i]) / 2) as Vec3;
    set(`${s}_pinky`, finger);
    set(`${s}_index`, finger);
    set(`${s}_thumb`, finger);
  }
  // Ears 7 cm either side of the head along the shoulder line, so their midpoint is the head.
  const head = toMediapipe(frame[K('Head')]);
  const sl = toMediapipe(frame[K('ShoulderLeft')]);
  const sr = toMediapipe(frame[K('ShoulderRight')]);
  const d = sl.map((x, i) => x - sr[i]);
  const n = Math.hypot(...d) || 1;
  set('left_ear', head.map((h, i) => h + (0.07 * d[i]) / n) as Vec3);
  set('right_ear', head.map((h, i) => h - (0.07 * d[i]) / n) as Vec3);
  return { image: world.map(() => [0.5, 0.5, 0, 1] as const), world, box: [0, 0, 1, 1], score: 1 };
}

async function main(): Promise<void> {
  const raw = arg('raw', '../shared/data/nw_ucla_train');
  const out = arg('out', '/tmp/skelact-ucla-roundtrip');
  const hipCentred = process.argv.includes('--hip-centred');
  mkdirSync(out, { recursive: true });
  const files = readdirSync(raw).filter((f) => f.endsWith('.json'));
  const sums = new Float64Array(kinect.numJoints);
  let frames = 0;
  for (const f of files) {
    const record = JSON.parse(readFileSync(join(raw, f), 'utf8')) as { file_name: string; skeletons: number[][][]; label: number };
    const skeletons = record.skeletons.map((frame) => {
      const back = mapPose(kinectToBlazepose(frame, hipCentred), 'kinect-20', 1, 1).joints;
      if (!hipCentred) back.forEach((p, v) => (sums[v] += Math.hypot(p[0] - frame[v][0], p[1] - frame[v][1], p[2] - frame[v][2])));
      frames++;
      return back.map((p) => p.map((x) => Number(x.toFixed(6))));
    });
    writeFileSync(join(out, f), JSON.stringify({ ...record, skeletons }));
  }
  const moved = kinect.jointNames.map((name, v) => ({ joint: name, cm: (100 * sums[v]) / frames })).filter((j) => j.cm > 0.01);
  console.log(`${files.length} files, ${frames} frames → ${out}${hipCentred ? ' (hip-centred every frame, as MediaPipe world landmarks)' : ''}`);
  if (hipCentred) return;
  for (const j of moved) console.log(`  ${j.joint}: moved ${j.cm.toFixed(1)} cm on average`);
  console.log(`  other ${kinect.numJoints - moved.length} joints: unchanged (< 0.1 mm)`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
