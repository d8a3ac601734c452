/**
 * The ONNX engine in Node: onnxruntime-node, an optional dependency (its install script would
 * download CUDA libraries, so the project's .npmrc sets onnxruntime-node-install=skip; the CPU
 * runtime ships in the package). Imported only when a command chooses `--engine onnx`.
 */
import { readFileSync } from 'node:fs';
import { OnnxClassifier, type OrtModule } from './runner.js';
import { SkelactError, optionName } from '../../core/errors.js';

export class OnnxRuntimeMissingError extends SkelactError {
  readonly code = 'onnx-runtime-missing';

  constructor(reason: string) {
    super(
      `the ONNX engine needs onnxruntime-node, an optional dependency that is not available here (${reason}); install it with \`npm install onnxruntime-node\` (offline: add onnxruntime-node-install=skip to .npmrc), or use ${optionName('engine')} tfjs`,
    );
  }
}

let ort: Promise<OrtModule> | undefined;

/** onnxruntime-node, loaded once; a clear error when it is not installed. */
export function onnxRuntimeNode(): Promise<OrtModule> {
  ort ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: OrtModule }).default ?? m) as unknown as OrtModule,
    (e: NodeJS.ErrnoException) => {
      ort = undefined;
      throw new OnnxRuntimeMissingError(
        e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND' ? 'not installed' : e.message.split('\n')[0],
      );
    },
  );
  return ort;
}

export interface OnnxNodeOptions {
  /** Threads for one operator (ONNX Runtime's intra-op pool; default: ONNX Runtime's choice). */
  readonly threads?: number;
}

/** An exported .onnx file as a classifier on onnxruntime-node (CPU). */
export async function loadOnnxClassifier(path: string, options: OnnxNodeOptions = {}): Promise<OnnxClassifier> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(
      `ONNX model ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return OnnxClassifier.create(
    bytes,
    await onnxRuntimeNode(),
    path,
    options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {},
  );
}
