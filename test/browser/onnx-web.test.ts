/**
 * The ONNX engine in headless Chromium: every family's exported file runs on onnxruntime-web
 * (wasm) through dist/browser/skelact.onnx.js and gives skelact's logits (Node, tfjs wasm
 * backend) on the same clips within 1e-4 (relative). The page loads onnxruntime-web itself,
 * as an app choosing the ONNX engine does.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import type { ModelManifest } from '../../src/models/manifest.js';
import { exportOnnx } from '../../src/models/onnx/export.js';
import { createModel, type ModelSection } from '../../src/models/registry.js';
import { packageRoot } from '../../src/util/paths.js';
import { launchChromium } from '../helpers/chromium.js';
import { testNeeding } from '../helpers/requirements.js';

const CASES: Array<{ name: string; section: ModelSection; layout: 'ntu-25' | 'kinect-20'; frames: number }> = [
  {
    name: 'skateformer-ntu',
    section: {
      kind: 'skateformer',
      preset: 'ntu',
      embedDim: 16,
      channels: [16, 16, 32, 32],
      depths: [1, 1, 1, 1],
      heads: 8,
    },
    layout: 'ntu-25',
    frames: 64,
  },
  {
    name: 'skateformer-kinect20',
    section: {
      kind: 'skateformer',
      preset: 'kinect20',
      embedDim: 16,
      channels: [16, 32],
      depths: [1, 1],
      heads: 8,
      frames: 32,
    },
    layout: 'kinect-20',
    frames: 32,
  },
  {
    name: 'skateformer-realtime',
    section: { kind: 'skateformer', preset: 'realtime', frames: 32 },
    layout: 'ntu-25',
    frames: 32,
  },
  { name: 'partstream-small', section: { kind: 'partstream', preset: 'small' }, layout: 'ntu-25', frames: 16 },
  { name: 'partstream-psumnet', section: { kind: 'partstream', preset: 'psumnet' }, layout: 'ntu-25', frames: 16 },
  { name: 'stgcn-tiny', section: { kind: 'stgcn', preset: 'tiny' }, layout: 'ntu-25', frames: 16 },
  { name: 'stgcn-standard', section: { kind: 'stgcn', preset: 'standard' }, layout: 'ntu-25', frames: 16 },
];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
  '.onnx': 'application/octet-stream',
};

testNeeding(
  "onnxruntime-web (wasm) in headless Chromium gives skelact's logits for every family and preset",
  { chromium: true },
  async (t) => {
    t.timeout(300_000);
    const bundle = join(packageRoot(), 'dist', 'browser', 'skelact.onnx.js');
    t.true(existsSync(bundle), 'npm run build made dist/browser/skelact.onnx.js');
    await initBackend('wasm');
    const ortDir = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-web')), '.');
    const files = new Map<string, Uint8Array>();
    const expected = new Map<string, { x: number[]; indexT: number[]; batch: number; logits: Float32Array }>();
    for (const c of CASES) {
      const model = createModel(c.section, { layout: c.layout, classes: 4, frames: c.frames }, 13);
      try {
        const manifest = {
          format: 'skelact-model',
          version: 1,
          kind: model.kind,
          config: model.config,
          layout: c.layout,
          classNames: ['a', 'b', 'c', 'd'],
          persons: model.persons,
          jointOrder: Array.from(model.jointOrder),
          inChannels: model.inChannels,
          frames: model.frames,
          modality: 'j',
          sampling: 'skateformer',
          testCrop: 0.95,
          minLength: 8,
          fillMissingPersons: 'zeros',
          normalize: 'none',
          parameters: 0,
          weightsManifest: [],
        } as unknown as ModelManifest;
        files.set(`/models/${c.name}.onnx`, exportOnnx(model, manifest).bytes);
        const batch = 2;
        const V = model.persons * model.jointOrder.length;
        const x = tf.randomUniform([batch, model.frames, V, model.inChannels], -1, 1, 'float32', 3);
        const indexT = tf.tidy(() =>
          tf.tile(tf.linspace(-0.9, 0.95, model.frames).reshape([1, model.frames]), [batch, 1]),
        );
        const logits = tf.tidy(
          () =>
            model
              .forward({ x: x as tf.Tensor4D, indexT: indexT as tf.Tensor2D }, { training: false })
              .logits.dataSync() as Float32Array,
        );
        expected.set(c.name, { x: Array.from(x.dataSync()), indexT: Array.from(indexT.dataSync()), batch, logits });
        tf.dispose([x, indexT]);
      } finally {
        model.dispose();
      }
    }
    const server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      let body: Uint8Array | string | undefined;
      if (path === '/') body = '<!doctype html><title>onnx</title>';
      else if (path === '/skelact.onnx.js') body = readFileSync(bundle);
      else if (path.startsWith('/ort/') && existsSync(join(ortDir, path.slice(5))))
        body = readFileSync(join(ortDir, path.slice(5)));
      else body = files.get(path);
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'text/html' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(base);
      for (const c of CASES) {
        const want = expected.get(c.name)!;
        const got = await page.evaluate(
          async ([name, x, indexT, batch]) => {
            // An app that chooses the ONNX engine: onnxruntime-web and skelact's runner, nothing else.
            const ort = await import('/ort/ort.wasm.min.mjs' as string);
            ort.env.wasm.wasmPaths = '/ort/';
            ort.env.wasm.numThreads = 1;
            const skelact = await import('/skelact.onnx.js' as string);
            const model = await skelact.loadOnnxModelFromUrl(`/models/${name}.onnx`, ort);
            const logits = await model.logits(Float32Array.from(x), Float32Array.from(indexT), batch);
            await model.dispose();
            return { logits: Array.from(logits as Float32Array), classNames: model.classNames as string[] };
          },
          [c.name, want.x, want.indexT, want.batch] as const,
        );
        t.deepEqual(got.classNames, ['a', 'b', 'c', 'd']);
        let diff = 0;
        let scale = 0;
        want.logits.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(v - got.logits[i]));
          scale = Math.max(scale, Math.abs(v));
        });
        t.is(got.logits.length, want.logits.length);
        t.true(diff / scale <= 1e-4, `${c.name}: relative error ${diff / scale}`);
        t.log(`${c.name}: onnxruntime-web (wasm) vs skelact, relative error ${(diff / scale).toExponential(2)}`);
      }
      t.deepEqual(errors, []);
    } finally {
      await browser.close();
      server.close();
    }
  },
);
