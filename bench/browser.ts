/**
 * Browser benchmark (npm run bench:browser): per-window classification latency of the one-person
 * real-time SkateFormer preset in headless Chromium, on each TensorFlow.js backend the page can
 * start (wasm, WebGL on SwiftShader here, WebGPU where there is an adapter).
 *
 * The page is the demo page of `skelact demo-web` (the browser bundle); a stream of synthetic
 * one-person frames goes through its stream classifier with stride 1, so every pushed frame
 * after the first window is one classification: window → test-time pipeline → model → scores.
 *
 * Usage: node dist/bench/browser.js [--windows 60] [--json bench/results/browser.json]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { initBackend } from '../src/engine/backend.js';
import { saveModel } from '../src/models/io.js';
import { createModel } from '../src/models/registry.js';
import { findChromium } from '../src/pose/engines/mediapipe.js';
import { startDemoServer } from '../src/serve/demo-server.js';
import { arg } from './args.js';

async function main(): Promise<void> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('Chromium is not installed: run npm run setup:pose');
  const windows = Number(arg('windows', '60'));
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'skelact-bench-browser-'));
  const model = createModel(
    { kind: 'skateformer', preset: 'realtime' },
    { layout: 'ntu-25', classes: 60, persons: 1 },
    1,
  );
  await saveModel(join(dir, 'model'), model, {
    layout: 'ntu-25',
    classNames: Array.from({ length: 60 }, (_, i) => `class ${i + 1}`),
    modality: 'j',
    sampling: 'skateformer',
    testCrop: 0.95,
    minLength: 64,
    fillMissingPersons: 'zeros',
    normalize: 'none',
    data: { benchmark: 'x', frames: 64, sampling: 'skateformer', minLength: 64 },
    preprocessing: { alignment: 'ctrgcn' },
  });
  model.dispose();
  const server = await startDemoServer({ modelDir: join(dir, 'model'), backend: 'wasm' });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const rows: Array<{ backend: string; windows: number; msPerWindow: number; msMedian: number; started: boolean }> = [];
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(
      () => (globalThis as any).skelactDemo?.ready || (globalThis as any).skelactDemo?.error,
      undefined,
      { timeout: 120_000 },
    );
    for (const backend of ['wasm', 'webgl', 'webgpu']) {
      const started = await page.evaluate(
        (b) =>
          (globalThis as any).skelactDemo.setBackend(b).then(
            () => true,
            () => false,
          ),
        backend,
      );
      if (!started) {
        rows.push({ backend, windows: 0, msPerWindow: Number.NaN, msMedian: Number.NaN, started });
        console.error(`${backend}: did not start in headless Chromium`);
        continue;
      }
      const result = await page.evaluate(
        ([n]) => {
          const demo = (globalThis as any).skelactDemo;
          // A swaying person, 30 fps, NTU-25 joints in metres.
          const frame = (i: number) =>
            ({
              timestampMs: (i * 1000) / 30,
              persons: [Array.from({ length: 25 }, (_, j) => [0.3 * Math.sin(i / 15 + j / 10), j / 25, 3])],
            }) as const;
          const frames = Array.from({ length: 64 + n }, (_, i) => frame(i));
          // Warm-up (shader compilation, weight upload), then the timed run: one classification per frame after the first window.
          demo.classifyFrames(frames.slice(0, 80), { stride: 1 });
          const t0 = performance.now();
          const events = demo.classifyFrames(frames, { stride: 1, minFilled: 1 });
          const total = performance.now() - t0;
          const count = events.filter((e: { type: string }) => e.type === 'scores').length;
          return { count, ms: total / Math.max(1, count) };
        },
        [windows] as const,
      );
      // Median over three runs of the whole stream.
      const more = [result.ms];
      for (let r = 0; r < 2; r++)
        more.push(
          (await page.evaluate(
            ([n]) => {
              const demo = (globalThis as any).skelactDemo;
              const frames = Array.from({ length: 64 + n }, (_, i) => ({
                timestampMs: (i * 1000) / 30,
                persons: [Array.from({ length: 25 }, (_, j) => [0.3 * Math.sin(i / 15 + j / 10), j / 25, 3])],
              }));
              const t0 = performance.now();
              const events = demo.classifyFrames(frames, { stride: 1, minFilled: 1 });
              return (
                (performance.now() - t0) /
                Math.max(1, events.filter((e: { type: string }) => e.type === 'scores').length)
              );
            },
            [windows] as const,
          )) as number,
        );
      more.sort((a, b) => a - b);
      rows.push({
        backend,
        windows: result.count,
        msPerWindow: Number(result.ms.toFixed(1)),
        msMedian: Number(more[1].toFixed(1)),
        started,
      });
      console.error(JSON.stringify(rows[rows.length - 1]));
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const out = arg('json', '');
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ date: new Date().toISOString(), chromium: executablePath, rows }, null, 2)}\n`,
    );
  }
  console.log('| backend in headless Chromium | classification per window (ms, median of 3 runs) | windows per run |');
  console.log('|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.backend} | ${r.started ? r.msMedian : 'did not start'} | ${r.started ? r.windows : '–'} |`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
