/**
 * `--engine tfjs|onnx` of predict, eval and classify: a saved model folder on TensorFlow.js, or
 * an exported .onnx file on onnxruntime-node. Default: onnx for a path ending in .onnx.
 */
import type { ModelManifest } from '../models/io.js';
import { loadModel } from '../models/io.js';
import { loadOnnxClassifier } from '../models/onnx/node.js';
import type { OnnxClassifier, OnnxManifest } from '../models/onnx/runner.js';
import { createModelFromManifest } from '../models/registry.js';
import type { SkeletonModel } from '../models/types.js';

export const ENGINES = ['tfjs', 'onnx'] as const;
export type Engine = (typeof ENGINES)[number];

export const engineOption = {
  describe:
    'what runs the model: tfjs (a saved model folder) or onnx (a file from `skelact export --format onnx`, on onnxruntime-node); default onnx for *.onnx',
  choices: ENGINES,
  type: 'string',
} as const;

export interface OpenedModel {
  readonly engine: Engine;
  readonly model: SkeletonModel | OnnxClassifier;
  readonly manifest: OnnxManifest | ModelManifest;
  dispose(): Promise<void>;
}

export async function openModel(path: string, engine: Engine | undefined, threads?: number): Promise<OpenedModel> {
  const chosen = engine ?? (path.toLowerCase().endsWith('.onnx') ? 'onnx' : 'tfjs');
  if (chosen === 'onnx') {
    if (!path.toLowerCase().endsWith('.onnx'))
      throw new Error(`--engine onnx takes an .onnx file from \`skelact export --format onnx\`, got ${path}`);
    const onnx = await loadOnnxClassifier(path, { threads });
    return { engine: 'onnx', model: onnx, manifest: onnx.manifest, dispose: () => onnx.dispose() };
  }
  if (path.toLowerCase().endsWith('.onnx')) throw new Error(`${path} is an ONNX file: run it with --engine onnx`);
  const { model, manifest } = loadModel(path, createModelFromManifest);
  return { engine: 'tfjs', model, manifest, dispose: async () => model.dispose() };
}
