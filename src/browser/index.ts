/**
 * skelact in a web page: the inference side (saved models from a URL, the stream classifier,
 * repetition counting, layouts and the MediaPipe mapping), with no Node APIs. Built by
 * `npm run build:browser` into dist/browser/ (scripts/build-browser.mjs):
 *   skelact.browser.js          this module alone; @tensorflow/tfjs stays an import (for apps
 *                               that bundle TensorFlow.js themselves);
 *   skelact.browser.bundle.js   with TensorFlow.js and its WebGL, WebGPU and wasm backends.
 */
import * as tf from '@tensorflow/tfjs';
// The backends beyond tfjs's own WebGL and cpu: wasm (every browser) and WebGPU (where there is an adapter).
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { MODEL_FILES, modelFromFiles, parseModelFiles, type ModelManifest } from '../models/manifest.js';
import { createModelFromManifest } from '../models/registry.js';
import type { SkeletonModel } from '../models/types.js';
import { StreamClassifier, type StreamClassifierOptions } from '../serve/stream-classifier.js';
import { parseMlkitFitness } from '../data/formats/mlkit-fitness.js';
import { PoseClassifier } from '../serve/reps.js';

export { StreamClassifier, type StreamClassifierOptions, type StreamEvent, type StreamFrame, type ClassScore } from '../serve/stream-classifier.js';
export { timelineOf, type TimelineSegment } from '../serve/timeline.js';
export { poseFileFrames, poseLayoutFor } from '../serve/pose-frames.js';
export { countRepetitions, EmaSmoothing, EXERCISES, PoseClassifier, poseEmbedding, RepetitionCounter, type Point3 } from '../serve/reps.js';
export { mapPose, mappingTo, MAPPED_LAYOUTS } from '../pose/mapping.js';
export { getLayout } from '../graph/layout.js';
export { tf };
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The first TensorFlow.js backend that starts, in order of speed: WebGPU, WebGL, wasm, cpu. */
export async function chooseBackend(order: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu']): Promise<string> {
  for (const name of order) {
    if (!tf.engine().registryFactory[name]) continue;
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // not available here (no adapter, no WebGL2, …): try the next
    }
  }
  throw new Error(`none of the TensorFlow.js backends ${order.join(', ')} started`);
}

/** A model saved by `skelact train` (or `skelact export`), fetched from `baseUrl` (the folder's URL). */
export async function loadModelFromUrl(baseUrl: string, fetcher: typeof fetch = fetch): Promise<{ model: SkeletonModel; manifest: ModelManifest }> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (name: string) => {
    const r = await fetcher(base + name);
    if (!r.ok) throw new Error(`model ${baseUrl}: ${name}: HTTP ${r.status}`);
    return r;
  };
  const raw = (await (await get(MODEL_FILES.manifest)).json()) as unknown;
  const weights = await (await get(MODEL_FILES.weights)).arrayBuffer();
  return modelFromFiles(parseModelFiles(raw, weights, baseUrl), createModelFromManifest, baseUrl);
}

/** A stream classifier for a model at a URL. */
export async function streamClassifierFromUrl(baseUrl: string, options: StreamClassifierOptions = {}): Promise<StreamClassifier> {
  const { model, manifest } = await loadModelFromUrl(baseUrl);
  return new StreamClassifier(model, manifest, options);
}

/** A pose classifier for repetition counting from the text of a samples CSV (ML Kit's format, any class names). */
export function poseClassifierFromCsv(text: string, fileName = 'samples.csv'): PoseClassifier {
  const { samples } = parseMlkitFitness(text, fileName, { classes: 'any' });
  return PoseClassifier.fromCsvSamples(samples);
}
