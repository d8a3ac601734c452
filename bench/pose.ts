/**
 * Pose benchmark (npm run bench:pose): frames per second of each engine and model size on a
 * real clip at 640 px, decoding and inference measured separately, plus the multi-person path.
 *
 *   decode        ffmpeg alone: frames/s of decoding to RGBA at 640 px (no inference);
 *   inference     ms per frame inside the landmarker (for mediapipe: in the page, and the
 *                 round trip with the frame transfer);
 *   end to end    frames/s of `extractPoses` (decode, transfer, inference, results), after the
 *                 engine has started; startup separately.
 *
 * Usage: node dist/bench/pose.js [--video ../shared/media/messi_panzoom.mp4] [--engines mediapipe,tfjs]
 *                                [--models lite,full,heavy] [--json bench/results/pose.json]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { initBackend } from '../src/engine/backend.js';
import { createMediapipeEngine, findChromium } from '../src/pose/engines/mediapipe.js';
import { createTfjsEngine } from '../src/pose/engines/tfjs.js';
import { extractPoses } from '../src/pose/extract.js';
import type { PoseEngine, PoseEngineName, PoseModel } from '../src/pose/types.js';
import { decodeVideo, ffmpegVersion, probeVideo } from '../src/pose/video.js';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';

interface Row {
  readonly engine: string;
  readonly model: string;
  readonly video: string;
  readonly persons: number;
  readonly frames: number;
  readonly startupSeconds: number;
  readonly inferenceMsPerFrame: number;
  readonly pageMsPerFrame?: number;
  readonly endToEndFps: number;
  readonly framesWithPerson: number;
  readonly framesWithAll: number;
}

async function decodeFps(video: string, width: number): Promise<{ fps: number; frames: number }> {
  const info = probeVideo(video);
  const t0 = performance.now();
  let frames = 0;
  for await (const _ of decodeVideo(info, { width })) frames++;
  return { fps: frames / ((performance.now() - t0) / 1000), frames };
}

async function run(engineName: PoseEngineName, model: PoseModel, video: string, persons: number): Promise<Row> {
  const t0 = performance.now();
  const engine: PoseEngine & { stats?: { detectMs: number; detections: number } } =
    engineName === 'mediapipe' ? await createMediapipeEngine(model) : await createTfjsEngine(model);
  // Startup: the engine (Chromium and the page, or nothing) and its first landmarker (model load).
  await (await engine.createLandmarker()).close();
  const startupSeconds = (performance.now() - t0) / 1000;
  try {
    // One short warm-up (model compilation, first-frame set-up), then the measured run.
    await extractPoses(video, engine, { fps: 2, width: 640, persons });
    const before = engine.stats ? { ...engine.stats } : undefined;
    const { stats } = await extractPoses(video, engine, { width: 640, persons });
    const pageMs =
      engine.stats && before
        ? (engine.stats.detectMs - before.detectMs) / Math.max(1, engine.stats.detections - before.detections)
        : undefined;
    return {
      engine: engine.description,
      model,
      video: video.split('/').pop() as string,
      persons,
      frames: stats.frames,
      startupSeconds: Number(startupSeconds.toFixed(1)),
      inferenceMsPerFrame: Number(((stats.landmarkMs + stats.detectorMs) / stats.frames).toFixed(1)),
      ...(pageMs !== undefined ? { pageMsPerFrame: Number(pageMs.toFixed(1)) } : {}),
      endToEndFps: Number((stats.frames / stats.seconds).toFixed(1)),
      framesWithPerson: stats.framesWithPerson,
      framesWithAll: stats.framesWithAll,
    };
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const shared = join(packageRoot(), '..', 'shared', 'media');
  const video = arg('video', join(shared, 'messi_panzoom.mp4'));
  const crowd = arg('crowd', join(shared, 'vtest_crop.mp4'));
  if (!existsSync(video)) throw new Error(`${video} is missing: give a clip of one person with --video`);
  await initBackend('wasm');
  const engines = arg('engines', findChromium() ? 'mediapipe,tfjs' : 'tfjs').split(',') as PoseEngineName[];
  const models = arg('models', 'lite,full,heavy').split(',') as PoseModel[];
  const decode = await decodeFps(video, 640);
  console.error(`decode: ${decode.fps.toFixed(0)} frames/s (${decode.frames} frames at 640 px, ${ffmpegVersion()})`);
  const rows: Row[] = [];
  for (const engine of engines) {
    for (const model of models) {
      const row = await run(engine, model, video, 1);
      rows.push(row);
      console.error(JSON.stringify(row));
    }
    if (existsSync(crowd)) {
      const row = await run(engine, 'lite', crowd, 2);
      rows.push(row);
      console.error(JSON.stringify(row));
    }
  }
  const out = arg('json', '');
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, ffmpeg: ffmpegVersion(), decode, rows }, null, 2)}\n`,
    );
  }
  console.log(
    `Machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, Node ${process.version}; ${ffmpegVersion()}.\n`,
  );
  console.log(`Decoding alone (ffmpeg to RGBA, 640 px): ${decode.fps.toFixed(0)} frames/s.\n`);
  console.log(
    '| engine | model | clip | persons | inference (ms/frame) | end to end (frames/s) | frames with a person / all persons | startup (s) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const inference =
      r.pageMsPerFrame !== undefined
        ? `${r.inferenceMsPerFrame} (${r.pageMsPerFrame} in MediaPipe)`
        : `${r.inferenceMsPerFrame}`;
    console.log(
      `| ${r.engine.split(':')[0]} | ${r.model} | ${r.video} | ${r.persons} | ${inference} | ${r.endToEndFps} | ${r.framesWithPerson} / ${r.framesWithAll} of ${r.frames} | ${r.startupSeconds} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
