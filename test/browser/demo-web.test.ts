/**
 * The browser side in a real headless Chromium: the demo page with a fake camera fed from a
 * real video (Chromium's fake-capture flags with a .y4m made by ffmpeg from ../shared/media)
 * draws landmarks, shows a label and scores that update, counts with the repetition counter,
 * and its classifier gives Node's scores on the same pose sequence. A screenshot is saved to
 * test-artifacts/demo-web.png.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { loadModel, saveModel } from '../../src/models/io.js';
import { createModel, createModelFromManifest } from '../../src/models/registry.js';
import { createTfjsEngine } from '../../src/pose/engines/tfjs.js';
import { extractPoses } from '../../src/pose/extract.js';
import { readMlkitFitness } from '../../src/data/formats/mlkit-fitness.js';
import { startDemoServer } from '../../src/serve/demo-server.js';
import { ModelPoseClassifier } from '../../src/serve/pose-model-classifier.js';
import { EXERCISES, type Point3 } from '../../src/serve/reps.js';
import { poseFileFrames } from '../../src/serve/pose-frames.js';
import { StreamClassifier, type StreamEvent } from '../../src/serve/stream-classifier.js';
import { packageRoot } from '../../src/util/paths.js';
import { testNeeding } from '../helpers/requirements.js';
import { sharedPath } from '../helpers/shared.js';
import { prng } from '../helpers/prng.js';
import { squatFigure } from '../helpers/squat-figure.js';
import { tempDir } from '../helpers/temp.js';
import { launchChromium, openDemoPage } from '../helpers/chromium.js';

const MESSI = 'media/messi_panzoom.mp4';
const FITNESS_CSV = 'data/mlkit_fitness/fitness_pose_samples.csv';

testNeeding(
  'demo page in headless Chromium: fake camera → landmarks drawn, label and scores update, same scores as Node',
  { chromium: true, ffmpeg: true, poseModels: true, shared: [MESSI] },
  async (t) => {
    t.timeout(300_000);
    await initBackend('wasm');
    const dir = tempDir('skelact-demo-');
    const modelDir = join(dir, 'model');
    const model = createModel(
      { kind: 'skateformer', preset: 'realtime', frames: 32 },
      { layout: 'ntu-25', classes: 4, frames: 32, persons: 1 },
      5,
    );
    await saveModel(modelDir, model, {
      layout: 'ntu-25',
      classNames: ['kick', 'wave', 'sit', 'walk'],
      modality: 'j',
      sampling: 'skateformer',
      testCrop: 0.95,
      minLength: 32,
      fillMissingPersons: 'zeros',
      normalize: 'none',
      data: { benchmark: 'x', frames: 32, sampling: 'skateformer', minLength: 32 },
      preprocessing: { alignment: 'ctrgcn' },
    });
    model.dispose();
    const y4m = join(dir, 'camera.y4m');
    const ff = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-i',
      sharedPath(MESSI),
      '-vf',
      'scale=640:400',
      '-pix_fmt',
      'yuv420p',
      y4m,
    ]);
    t.is(ff.status, 0, String(ff.stderr));

    const server = await startDemoServer({
      modelDir,
      backend: 'wasm',
      classifier: { stride: 8, startScore: 0.3, endScore: 0.2 },
    });
    const browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${y4m}`,
    ]);
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      t.is(await openDemoPage(page, server.url), null, 'the page started');
      await page.waitForFunction(
        () =>
          (globalThis as any).skelactDemo.drawn >= 40 &&
          (globalThis as any).skelactDemo.events.filter((e: { type: string }) => e.type === 'scores').length >= 3,
        undefined,
        { timeout: 120_000 },
      );
      const state = await page.evaluate(() => {
        const s = (globalThis as any).skelactDemo;
        return {
          backend: s.backend,
          frames: s.frames,
          posesFound: s.posesFound,
          drawn: s.drawn,
          label: s.label,
          scores: s.events
            .filter((e: { type: string }) => e.type === 'scores')
            .map((e: { top: Array<{ score: number }> }) => e.top[0].score),
          text: (globalThis as any).document.getElementById('top').textContent,
        };
      });
      t.log(
        `page: backend ${state.backend}, ${state.frames} frames, a pose in ${state.posesFound}, ${state.scores.length} classifications, label '${state.label}'`,
      );
      t.is(state.backend, 'wasm');
      t.true(state.posesFound >= 0.9 * state.frames, 'the player is found in the camera frames');
      t.true(state.drawn >= 40);
      t.regex(state.text ?? '', /(kick|wave|sit|walk) \d\.\d\d/);
      t.true(new Set(state.scores.map((s: number) => s.toFixed(5))).size > 1, 'scores update');
      // A canvas with the skeleton drawn: some opaque red pixels.
      const red = await page.evaluate(() => {
        const c = (globalThis as any).document.getElementById('canvas') as {
          getContext(k: string): {
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          };
          width: number;
          height: number;
        };
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] < 100 && d[i + 3] > 200) n++;
        return n;
      });
      t.true(red > 200, `skeleton pixels on the overlay: ${red}`);
      const artefacts = join(packageRoot(), 'test-artifacts');
      mkdirSync(artefacts, { recursive: true });
      await page.screenshot({ path: join(artefacts, 'demo-web.png') });
      t.log(`screenshot: ${join(artefacts, 'demo-web.png')}`);

      // The same pose sequence through the page's classifier and Node's.
      const engine = await createTfjsEngine('lite');
      const { poses } = await extractPoses(sharedPath(MESSI), engine, { fps: 10 });
      await engine.close();
      const frames = poseFileFrames(poses, 'ntu-25', 1);
      const options = { stride: 4, startScore: 0.3, endScore: 0.2 };
      const pageEvents = (await page.evaluate(([f, o]) => (globalThis as any).skelactDemo.classifyFrames(f, o), [
        frames,
        options,
      ] as const)) as StreamEvent[];
      const { model: nodeModel, manifest } = loadModel(modelDir, createModelFromManifest);
      const node = new StreamClassifier(nodeModel, manifest, options);
      const nodeEvents: StreamEvent[] = [];
      for (const f of frames) nodeEvents.push(...node.push(f));
      nodeEvents.push(...node.flush());
      node.dispose();
      const scoresOf = (events: StreamEvent[]) =>
        events.flatMap((e) => (e.type === 'scores' ? [e.top.map((c) => [c.index, c.score] as const)] : []));
      const [a, b] = [scoresOf(pageEvents), scoresOf(nodeEvents)];
      t.is(a.length, b.length);
      t.true(a.length >= 5);
      let diff = 0;
      a.forEach((top, i) =>
        top.forEach(([index, score], k) => {
          t.is(index, b[i][k][0], `classification ${i}, rank ${k}`);
          diff = Math.max(diff, Math.abs(score - b[i][k][1]));
        }),
      );
      t.log(`page vs Node: ${a.length} classifications, largest score difference ${diff.toExponential(2)}`);
      t.true(diff < 1e-4, `scores differ by ${diff}`);
      // And on WebGL (SwiftShader here): float32 shaders, the same scores within 1e-4.
      if (
        await page.evaluate(() =>
          (globalThis as any).skelactDemo.setBackend('webgl').then(
            () => true,
            () => false,
          ),
        )
      ) {
        const webgl = scoresOf(
          (await page.evaluate(([f, o]) => (globalThis as any).skelactDemo.classifyFrames(f, o), [
            frames,
            options,
          ] as const)) as StreamEvent[],
        );
        let d = 0;
        webgl.forEach((top, i) => top.forEach(([, score], k) => (d = Math.max(d, Math.abs(score - b[i][k][1])))));
        t.log(`page on WebGL vs Node: largest score difference ${d.toExponential(2)}`);
        t.is(webgl.length, b.length);
        t.true(d < 1e-4, `WebGL scores differ by ${d}`);
      }
      t.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
);

testNeeding(
  'demo page without a camera: a dropped video file is analysed; the repetition counter runs',
  { chromium: true, poseModels: true, shared: [MESSI] },
  async (t) => {
    t.timeout(240_000);
    await initBackend('wasm');
    const dir = tempDir('skelact-demo-file-');
    const modelDir = join(dir, 'model');
    const model = createModel(
      { kind: 'stgcn', preset: 'tiny' },
      { layout: 'ntu-25', classes: 2, frames: 16, persons: 1 },
      5,
    );
    await saveModel(modelDir, model, {
      layout: 'ntu-25',
      classNames: ['a', 'b'],
      modality: 'j',
      sampling: 'crop-resize',
      testCrop: 0.95,
      minLength: 16,
      fillMissingPersons: 'zeros',
      normalize: 'none',
      data: { benchmark: 'x', frames: 16 },
    });
    model.dispose();
    const r = prng(1);
    const rows = Array.from(
      { length: 20 },
      (_, k) =>
        [
          [`u${k}`, 'up', squatFigure(0.05 * r(), 3, r)],
          [`d${k}`, 'down', squatFigure(0.95, 3, r)],
        ] as const,
    )
      .flat()
      .map(([n, c, f]) => [n, c, ...f.flat().map((v) => v.toFixed(2))].join(','));
    writeFileSync(join(dir, 'samples.csv'), `${rows.join('\n')}\n`);
    const server = await startDemoServer({
      modelDir,
      backend: 'wasm',
      samples: join(dir, 'samples.csv'),
      countClass: 'down',
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      t.is(await openDemoPage(page, server.url), null, 'the page started');
      t.regex((await page.textContent('#status')) ?? '', /no camera/);
      await page.setInputFiles('#file', sharedPath(MESSI));
      await page.waitForFunction(() => (globalThis as any).skelactDemo.drawn >= 20, undefined, { timeout: 120_000 });
      const s = await page.evaluate(() => ({
        drawn: (globalThis as any).skelactDemo.drawn,
        reps: (globalThis as any).document.getElementById('reps').textContent,
      }));
      t.true(s.drawn >= 20);
      t.regex(s.reps, /^down: \d+ repetitions?$/);
    } finally {
      await browser.close();
      await server.close();
    }
  },
);

testNeeding(
  'demo page out of the box with the shipped models: nw-ucla actions, squats counted by the fitness model as Node counts',
  { chromium: true, poseModels: true, shared: [MESSI, FITNESS_CSV] },
  async (t) => {
    t.timeout(240_000);
    await initBackend('wasm');
    // No model folder and no samples: the names of shipped models, as a new user types them.
    const server = await startDemoServer({ modelDir: 'nw-ucla', backend: 'wasm', countClass: EXERCISES.squat });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      t.is(await openDemoPage(page, server.url), null, 'the page started');
      t.is(await page.evaluate(() => (globalThis as any).skelactDemo.countClass), 'squats down');
      await page.setInputFiles('#file', sharedPath(MESSI));
      await page.waitForFunction(() => (globalThis as any).skelactDemo.drawn >= 20, undefined, { timeout: 120_000 });
      t.regex((await page.textContent('#reps')) ?? '', /^squats down: \d+ repetitions?$/);
      // The page's pose classifier is the fitness model: Node's probabilities on real held-out poses.
      const { samples } = readMlkitFitness(sharedPath(FITNESS_CSV), { classes: 'any' });
      const poses = samples
        .filter((s) => Number(s.name.split(':')[0]) % 5 === 0)
        .slice(0, 12)
        .map((s) => Array.from({ length: 33 }, (_, j) => Array.from(s.clip.data.subarray(3 * j, 3 * j + 3))));
      const inPage = (await page.evaluate(
        (ps) => ps.map((p) => (globalThis as any).skelactDemo.classifyPose(p)),
        poses,
      )) as Array<Record<string, number>>;
      const node = ModelPoseClassifier.load('fitness');
      let diff = 0;
      poses.forEach((p, i) => {
        for (const [c, v] of node.classify(p as unknown as Point3[])) diff = Math.max(diff, Math.abs(v - inPage[i][c]));
      });
      node.dispose();
      t.log(
        `page vs Node, fitness model on ${poses.length} held-out poses: largest difference ${diff.toExponential(2)}`,
      );
      t.true(diff < 1e-4, `probabilities differ by ${diff}`);
      t.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
);
