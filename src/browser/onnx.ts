/**
 * skelact's ONNX engine in a web page, built apart from the main bundle (dist/browser/skelact.onnx.js)
 * so that pages that do not choose it load nothing of it. The page brings onnxruntime-web itself
 * and passes it in, e.g.
 *
 *   import * as ort from 'onnxruntime-web';
 *   import { loadOnnxModelFromUrl } from 'skelact/browser/onnx';
 *   import { StreamClassifier } from 'skelact/browser';
 *   const model = await loadOnnxModelFromUrl('model.onnx', ort);          // wasm; { executionProviders: ['webgpu'] } for WebGPU
 *   const classifier = new StreamClassifier(model, model.manifest);
 *   const events = await classifier.pushAsync(frame);                     // one frame at a time
 */
import { OnnxClassifier, type OrtModule } from '../models/onnx/runner.js';

export { OnnxClassifier, type OnnxManifest, type OrtModule, type OrtSession } from '../models/onnx/runner.js';
export {
  METADATA_KEYS,
  ONNX_FORMAT,
  ONNX_FORMAT_VERSION,
  OnnxModelError,
  readOnnxMetadata,
} from '../models/onnx/metadata.js';

/** An exported model (`skelact export --format onnx`) from a URL, on the given onnxruntime-web. */
export async function loadOnnxModelFromUrl(
  url: string,
  ort: OrtModule,
  sessionOptions: Record<string, unknown> = {},
  fetcher: typeof fetch = fetch,
): Promise<OnnxClassifier> {
  const response = await fetcher(url);
  if (!response.ok) throw new Error(`ONNX model ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return OnnxClassifier.create(bytes, ort, url, { executionProviders: ['wasm'], ...sessionOptions });
}
