/**
 * The `mediapipe` engine: MediaPipe's PoseLandmarker (`@mediapipe/tasks-vision`, pinned to
 * 0.10.35, the release with per-landmark visibility) in VIDEO mode with the CPU delegate.
 *
 * tasks-vision hands every image to its graph as a WebGL2 texture, which plain Node does not
 * have, so it runs in headless Chromium (Debian's `chromium`, driven by `playwright-core`),
 * whose SwiftShader gives WebGL2 without a GPU. Node serves the page, the tasks-vision files
 * and the `.task` models from 127.0.0.1; for each detection the page fetches the frame's RGBA
 * bytes (the person's region only, when there is one) and returns the landmarks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { landmarkerTaskFile } from '../assets.js';
import { MissingToolError } from '../video.js';
import {
  BLAZEPOSE_LANDMARKS,
  type PersonPose,
  type PoseEngine,
  type PoseLandmarker,
  type PoseModel,
  type Region,
  type VideoFrame,
} from '../types.js';
import { landmarkBox } from './tfjs.js';
import { optionName } from '../../core/errors.js';

const require = createRequire(import.meta.url);

/** The tasks-vision release the page loads (package.json pins it). */
export const TASKS_VISION_VERSION = '0.10.35';

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: SKELACT_CHROMIUM, or Debian's. Undefined when none is installed. */
export function findChromium(): string | undefined {
  const env = process.env.SKELACT_CHROMIUM;
  if (env) return existsSync(env) ? env : undefined;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** Launch flags that work on a machine with no GPU and no network (SwiftShader WebGL2). */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-dev-shm-usage',
];

const PAGE = `<!doctype html><meta charset="utf-8"><title>skelact pose</title><script type="module">
import { FilesetResolver, PoseLandmarker } from '/mp/vision_bundle.mjs';
const fileset = await FilesetResolver.forVisionTasks('/mp/wasm');
const landmarkers = new Map();
window.skelact = {
  async create(id, model) {
    const lm = await PoseLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetPath: '/models/' + model + '.task', delegate: 'CPU' },
      runningMode: 'VIDEO', numPoses: 1, outputSegmentationMasks: false,
    });
    landmarkers.set(id, lm);
    return true;
  },
  async detect(id, job) {
    const lm = landmarkers.get(id);
    if (!lm) throw new Error('no landmarker ' + id);
    const bytes = new Uint8ClampedArray(await (await fetch('/frame/' + job.key)).arrayBuffer());
    if (bytes.length !== job.width * job.height * 4) throw new Error('frame ' + job.key + ': got ' + bytes.length + ' bytes');
    const t0 = performance.now();
    const r = lm.detectForVideo(new ImageData(bytes, job.width, job.height), job.timestampMs);
    const ms = performance.now() - t0;
    if (!r.landmarks || r.landmarks.length === 0) return { ms, pose: null };
    return { ms, pose: { image: r.landmarks[0].map((p) => [p.x, p.y, p.z, p.visibility ?? 0]), world: r.worldLandmarks[0].map((p) => [p.x, p.y, p.z]) } };
  },
  close(id) { landmarkers.get(id)?.close(); landmarkers.delete(id); return true; },
};
window.skelactReady = true;
</script>`;

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
  '.task': 'application/octet-stream',
};

interface Job {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly timestampMs: number;
}

/** The RGBA bytes of a region of a frame (a copy), and its integer bounds. */
function cropRgba(
  frame: VideoFrame,
  region: Region,
): { bytes: Uint8Array; x0: number; y0: number; w: number; h: number } {
  const x0 = Math.max(0, Math.floor(region.x0));
  const y0 = Math.max(0, Math.floor(region.y0));
  const x1 = Math.min(frame.width, Math.ceil(region.x1));
  const y1 = Math.min(frame.height, Math.ceil(region.y1));
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const bytes = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    bytes.set(frame.rgba.subarray(((y0 + y) * frame.width + x0) * 4, ((y0 + y) * frame.width + x0 + w) * 4), y * w * 4);
  return { bytes, x0, y0, w, h };
}

/** Page-side time spent inside detectForVideo, summed over all landmarkers (for the benchmark). */
export interface MediapipeStats {
  detectMs: number;
  detections: number;
}

/** The mediapipe engine for one model size: starts Chromium and the local server. */
export async function createMediapipeEngine(
  model: PoseModel,
  options: { taskFile?: string } = {},
): Promise<PoseEngine & { readonly stats: MediapipeStats }> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new MissingToolError(
      `Chromium is not installed (the mediapipe engine runs MediaPipe in headless Chromium): run 'npm run setup:pose' (apt-get install chromium), set SKELACT_CHROMIUM to a Chromium binary, or use ${optionName('engine')} tfjs`,
    );
  }
  const taskFile = options.taskFile ?? landmarkerTaskFile(model);
  const mpDir = dirname(require.resolve('@mediapipe/tasks-vision'));
  const frames = new Map<string, Uint8Array>();
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const send = (status: number, body: Uint8Array | string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url === '/' || url === '/index.html') return send(200, PAGE, 'text/html');
    if (url.startsWith('/frame/')) {
      const key = url.slice('/frame/'.length);
      const bytes = frames.get(key);
      if (!bytes) return send(404, `no frame ${key}`);
      frames.delete(key);
      return send(200, bytes, 'application/octet-stream');
    }
    if (url === `/models/pose_landmarker_${model}.task`) return send(200, readFileSync(taskFile), TYPES['.task']);
    if (url.startsWith('/mp/')) {
      const path = normalize(join(mpDir, url.slice('/mp/'.length)));
      if (!path.startsWith(mpDir + sep) || !existsSync(path)) return send(404, 'not found');
      return send(200, readFileSync(path), TYPES[extname(path)] ?? 'application/octet-stream');
    }
    return send(404, 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const { chromium } = await import('playwright-core');
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  } catch (e) {
    server.close();
    throw new MissingToolError(
      `Chromium at ${executablePath} did not start (${(e as Error).message.split('\n')[0]}); reinstall it with 'npm run setup:pose', or use ${optionName('engine')} tfjs`,
    );
  }
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  try {
    await page.waitForFunction(
      () => (globalThis as unknown as { skelactReady?: boolean }).skelactReady === true,
      undefined,
      { timeout: 60_000 },
    );
  } catch {
    await browser.close();
    server.close();
    throw new Error(`MediaPipe did not load in Chromium: ${pageErrors.join('; ') || 'timed out'}`);
  }
  const version = browser.version();
  const stats: MediapipeStats = { detectMs: 0, detections: 0 };
  let nextId = 0;
  let nextKey = 0;

  class MediapipeLandmarker implements PoseLandmarker {
    private lastTimestamp = -Infinity;

    constructor(private readonly id: number) {}

    async detect(frame: VideoFrame, region?: Region): Promise<PersonPose | null> {
      if (!(frame.timestampMs > this.lastTimestamp))
        throw new Error(`pose timestamps must increase (got ${frame.timestampMs} ms after ${this.lastTimestamp} ms)`);
      this.lastTimestamp = frame.timestampMs;
      const crop = region
        ? cropRgba(frame, region)
        : { bytes: frame.rgba, x0: 0, y0: 0, w: frame.width, h: frame.height };
      const key = String(nextKey++);
      frames.set(key, crop.bytes);
      const job: Job = { key, width: crop.w, height: crop.h, timestampMs: Math.round(frame.timestampMs) };
      let result: { ms: number; pose: { image: number[][]; world: number[][] } | null };
      try {
        result = await page.evaluate(
          ([id, j]) =>
            (
              globalThis as unknown as { skelact: { detect(id: number, j: Job): Promise<typeof result> } }
            ).skelact.detect(id, j),
          [this.id, job] as const,
        );
      } finally {
        frames.delete(key);
      }
      stats.detectMs += result.ms;
      stats.detections++;
      const pose = result.pose;
      if (!pose || pose.image.length !== BLAZEPOSE_LANDMARKS) return null;
      const { width: W, height: H } = frame;
      // Landmarks come normalised to the crop: back to the full frame.
      const image = pose.image.map(
        ([x, y, z, v]) =>
          [(crop.x0 + x * crop.w) / W, (crop.y0 + y * crop.h) / H, (z * crop.w) / W, v] as [
            number,
            number,
            number,
            number,
          ],
      );
      const world = pose.world.map(([x, y, z]) => [x, y, z] as [number, number, number]);
      const score = image.reduce((s, p) => s + p[3], 0) / image.length;
      return {
        image,
        world,
        box: landmarkBox(
          image.map(([x, y]) => [x * W, y * H]),
          W,
          H,
        ),
        score,
      };
    }

    async close(): Promise<void> {
      await page
        .evaluate(
          (id) => (globalThis as unknown as { skelact: { close(id: number): boolean } }).skelact.close(id),
          this.id,
        )
        .catch(() => undefined);
    }
  }

  return {
    name: 'mediapipe',
    model,
    stats,
    description: `mediapipe: @mediapipe/tasks-vision ${TASKS_VISION_VERSION} PoseLandmarker (${model}, CPU delegate) in Chromium ${version}`,
    async createLandmarker() {
      const id = nextId++;
      try {
        await page.evaluate(
          ([i, m]) =>
            (globalThis as unknown as { skelact: { create(id: number, m: string): Promise<boolean> } }).skelact.create(
              i,
              m,
            ),
          [id, `pose_landmarker_${model}`] as const,
        );
      } catch (e) {
        throw new Error(
          `MediaPipe could not load pose_landmarker_${model}.task: ${(e as Error).message.split('\n')[0]}`,
        );
      }
      return new MediapipeLandmarker(id);
    },
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
