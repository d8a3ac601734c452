/**
 * What the BlazePose-33 → Kinect-20 path loses, measured on real Kinect skeletons: each NW-UCLA
 * frame is written as MediaPipe landmarks (bench/kinect-landmarks.ts), then mapped back with
 * `mapPose(…, 'kinect-20')`. What changes is what the mapping has to synthesise: HipCenter, Spine
 * and ShoulderCenter, rebuilt from the hips, shoulders and head with the ratios measured on
 * NW-UCLA. Pose-estimation error is NOT part of this: it measures the layout difference alone.
 *
 *   node dist/bench/kinect-roundtrip.js --raw ../shared/data/nw_ucla_train --out /tmp/ucla-roundtrip [--hip-centred | --restore [--fov 57]]
 *
 * writes NW-UCLA JSON files to --out (prepare them and evaluate a model on them) and prints the
 * per-joint displacement in centimetres.
 *
 * `--hip-centred` also does what MediaPipe's world landmarks do to every frame: put the hips'
 * midpoint at the origin, so the person's path through the room is gone (only the pose is
 * left). That is the larger loss for actions defined by moving about, such as "walk around".
 *
 * `--restore` hip-centres too, but also gives each frame image landmarks (the Kinect points
 * through a pinhole camera of Kinect v1's 640 × 480, 57° field of view) and restores the path
 * with `cameraTranslations` (src/pose/trajectory.ts), as `skelact classify` does; `--fov` is the
 * field of view the restoration assumes (default 57°, the true one; try 60 for a wrong guess).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLayout } from '../src/graph/layout.js';
import { mapPose } from '../src/pose/mapping.js';
import { cameraTranslations } from '../src/pose/trajectory.js';
import { arg } from './args.js';
import { KINECT_V1_CAMERA, kinectToBlazepose } from './kinect-landmarks.js';

const kinect = getLayout('kinect-20');

async function main(): Promise<void> {
  const raw = arg('raw', '../shared/data/nw_ucla_train');
  const out = arg('out', '/tmp/skelact-ucla-roundtrip');
  const restore = process.argv.includes('--restore');
  const hipCentred = restore || process.argv.includes('--hip-centred');
  const fov = Number(arg('fov', String(KINECT_V1_CAMERA.horizontalFovDegrees)));
  mkdirSync(out, { recursive: true });
  const files = readdirSync(raw).filter((f) => f.endsWith('.json'));
  const sums = new Float64Array(kinect.numJoints);
  let frames = 0;
  for (const f of files) {
    const record = JSON.parse(readFileSync(join(raw, f), 'utf8')) as {
      file_name: string;
      skeletons: number[][][];
      label: number;
    };
    const poses = record.skeletons.map((frame) =>
      kinectToBlazepose(frame, hipCentred, restore ? KINECT_V1_CAMERA : undefined),
    );
    const path = restore
      ? cameraTranslations(poses, KINECT_V1_CAMERA.width, KINECT_V1_CAMERA.height, { horizontalFovDegrees: fov })
      : null;
    const skeletons = record.skeletons.map((frame, t) => {
      const back = mapPose(poses[t], 'kinect-20', 1, 1, path?.[t]).joints;
      back.forEach((p, v) => (sums[v] += Math.hypot(p[0] - frame[v][0], p[1] - frame[v][1], p[2] - frame[v][2])));
      frames++;
      return back.map((p) => p.map((x) => Number(x.toFixed(6))));
    });
    writeFileSync(join(out, f), JSON.stringify({ ...record, skeletons }));
  }
  const how = restore
    ? ` (hip-centred, then the path restored from a pinhole projection, ${fov}° assumed)`
    : hipCentred
      ? ' (hip-centred every frame, as MediaPipe world landmarks)'
      : '';
  console.log(`${files.length} files, ${frames} frames → ${out}${how}`);
  const moved = kinect.jointNames.map((name, v) => ({ joint: name, cm: (100 * sums[v]) / frames }));
  if (hipCentred) {
    console.log(
      `  every joint moved ${(moved.reduce((a, j) => a + j.cm, 0) / moved.length).toFixed(1)} cm on average (HipCenter ${moved[0].cm.toFixed(1)} cm)`,
    );
    return;
  }
  const changed = moved.filter((j) => j.cm > 0.01);
  for (const j of changed) console.log(`  ${j.joint}: moved ${j.cm.toFixed(1)} cm on average`);
  console.log(`  other ${kinect.numJoints - changed.length} joints: unchanged (< 0.1 mm)`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
