/**
 * The local server of `skelact demo-web`: the demo page (./demo-page.ts), the browser bundle,
 * TensorFlow.js's wasm files, MediaPipe tasks-vision and its .task model, the saved skelact
 * model and, for repetition counting, a pose model (the shipped `fitness` by default) or a
 * samples CSV. Bound to 127.0.0.1; nothing comes from
 * the internet.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { readModelFolder } from '../models/io.js';
import { landmarkerTaskFile } from '../pose/assets.js';
import type { PoseModel } from '../pose/types.js';
import { packageRoot } from '../util/paths.js';
import { resolveModelDir } from '../models/pretrained.js';
import { DEMO_PAGE } from './demo-page.js';
import { poseFeedProblem } from './pose-frames.js';
import { DEFAULT_POSE_MODEL, poseClassNamed, poseModelProblem } from './reps.js';
import type { StreamClassifierOptions } from './stream-classifier.js';
import { optionName } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** How the page's repetition counter classifies poses, checked before serving; undefined: no counter. */
function repetitionCounterOf(
  options: Pick<DemoServerOptions, 'countClass' | 'samples' | 'repsModel'>,
): { kind: 'samples'; countClass: string } | { kind: 'model'; countClass: string; dir: string } | undefined {
  if (!options.countClass) return undefined;
  if (options.samples) return { kind: 'samples', countClass: options.countClass };
  const name = options.repsModel ?? DEFAULT_POSE_MODEL;
  const dir = resolveModelDir(name);
  const { manifest } = readModelFolder(dir);
  const problem = poseModelProblem(manifest);
  if (problem) throw new Error(`${name}: ${problem}`);
  return { kind: 'model', countClass: poseClassNamed(manifest.classNames, options.countClass), dir };
}

export interface DemoServerOptions {
  readonly modelDir: string;
  readonly poseModel?: PoseModel;
  /**
   * The class the repetition counter counts (no counter without one), and how it classifies a
   * pose: a samples CSV (k-NN), or a pose model (a folder or a shipped name; default `fitness`).
   */
  readonly countClass?: string;
  readonly samples?: string;
  readonly repsModel?: string;
  /** TensorFlow.js backend for the page (default: the fastest that starts). */
  readonly backend?: string;
  readonly classifier?: StreamClassifierOptions;
  readonly port?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.task': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.csv': 'text/csv',
};

/** The browser bundle (npm run build:browser); a clear error when it was not built. */
export function browserBundle(): string {
  const path = join(packageRoot(), 'dist', 'browser', 'skelact.browser.bundle.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run build' (it builds the browser bundle too)`);
  return path;
}

export async function startDemoServer(given: DemoServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const options = { ...given, modelDir: resolveModelDir(given.modelDir) }; // a shipped model's name, or a folder
  // A broken model folder, or a model the page cannot feed, is reported before serving.
  const { manifest } = readModelFolder(options.modelDir);
  const problem = poseFeedProblem(manifest);
  if (problem) throw new Error(`${given.modelDir}: the demo page cannot feed this model: ${problem}`);
  const poseModel = options.poseModel ?? 'lite';
  const task = landmarkerTaskFile(poseModel);
  const bundle = browserBundle();
  if ((options.samples || options.repsModel) && !options.countClass)
    throw new Error(
      `the repetition counter needs the class to count (${optionName('exercise')} or ${optionName('countClass')})`,
    );
  if (options.samples && options.repsModel)
    throw new Error(`give a samples CSV or a pose model for the repetition counter, not both`);
  if (options.samples && !existsSync(options.samples)) throw new Error(`${options.samples}: no such file`);
  const counter = repetitionCounterOf(options);
  const mpDir = dirname(require.resolve('@mediapipe/tasks-vision'));
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const config = JSON.stringify({
    poseModel,
    counter: counter?.kind ?? null,
    countClass: counter?.countClass ?? null,
    backend: options.backend ?? null,
    classifier: options.classifier ?? {},
  });
  const fileUnder = (root: string, rest: string) => {
    const path = normalize(join(root, rest));
    return path.startsWith(root + sep) && existsSync(path) && statSync(path).isFile() ? path : undefined;
  };
  const server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const send = (status: number, body: string | Uint8Array, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const file = (path: string | undefined) =>
      path ? send(200, readFileSync(path), TYPES[extname(path)] ?? 'application/octet-stream') : send(404, 'not found');
    if (url === '/' || url === '/index.html') return send(200, DEMO_PAGE, 'text/html');
    if (url === '/config.json') return send(200, config, 'application/json');
    if (url === '/skelact.js') return file(bundle);
    if (url === '/skelact.js.map') return file(`${bundle}.map`);
    if (url === `/models/pose_landmarker_${poseModel}.task`) return file(task);
    if (url === '/samples.csv' && options.samples) return file(options.samples);
    if (url.startsWith('/model/')) return file(fileUnder(options.modelDir, url.slice('/model/'.length)));
    if (url.startsWith('/reps-model/') && counter?.kind === 'model')
      return file(fileUnder(counter.dir, url.slice('/reps-model/'.length)));
    if (url.startsWith('/mp/')) return file(fileUnder(mpDir, url.slice('/mp/'.length)));
    if (url.startsWith('/tfjs-wasm/')) return file(fileUnder(wasmDir, url.slice('/tfjs-wasm/'.length)));
    return send(404, 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
