/**
 * Export to a file (Node): the graph is built, loaded on onnxruntime-node (its checker and
 * shape inference run at session creation) and compared with the TensorFlow.js model, and only
 * then written, through a temporary file renamed into place: an error leaves nothing behind.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModelManifest } from '../manifest.js';
import type { SkeletonModel } from '../types.js';
import { compareEngines, type ScoreAgreement } from './compare.js';
import { exportOnnx, type OnnxExport, type OnnxExportOptions } from './export.js';
import { OnnxRuntimeMissingError, onnxRuntimeNode } from './node.js';
import { OnnxClassifier } from './runner.js';

/** Largest relative logit error accepted for an unquantised export (maxAbs / max |logit|). */
export const ONNX_TOLERANCE = 1e-4;

export type ExportCheck =
  (ScoreAgreement & { readonly runtime: 'onnxruntime-node' }) | { readonly runtime: 'none'; readonly skipped: string };

export async function writeOnnxExport(
  path: string,
  model: SkeletonModel,
  manifest: ModelManifest,
  options: OnnxExportOptions = {},
): Promise<OnnxExport & { check: ExportCheck }> {
  const result = exportOnnx(model, manifest, options);
  let check: ExportCheck;
  try {
    const onnx = await OnnxClassifier.create(result.bytes, await onnxRuntimeNode(), path);
    try {
      const clips = options.batch === undefined || options.batch === 'dynamic' ? 3 : options.batch;
      check = { runtime: 'onnxruntime-node', ...(await compareEngines(model, onnx, clips)) };
    } finally {
      await onnx.dispose();
    }
    if (!options.quantize && check.relative > ONNX_TOLERANCE) {
      throw new Error(
        `ONNX export: ONNX Runtime's logits differ from skelact's by ${check.relative.toExponential(2)} (relative; at most ${ONNX_TOLERANCE} expected); nothing written`,
      );
    }
  } catch (e) {
    if (!(e instanceof OnnxRuntimeMissingError)) throw e;
    check = { runtime: 'none', skipped: e.message };
  }
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, result.bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return { ...result, check };
}
