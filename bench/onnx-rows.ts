/**
 * bench:model's ONNX Runtime rows (called from bench/model.ts, one case per child process): the
 * model exported with a dynamic batch (src/models/onnx/export.ts) and run on onnxruntime-node's
 * CPU provider with 1 or 2 intra-op threads: median forward latency at batch 1 and batch 16 (the
 * ONNX session after a warm-up), the file size, and the logits' relative error against the
 * TensorFlow.js model on the same clips; and, in the same process on the same clips, the
 * TensorFlow.js model's forward on the wasm backend with the same number of threads.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.js';
import type { ModelManifest } from '../src/models/manifest.js';
import { compareEngines } from '../src/models/onnx/compare.js';
import { exportOnnx } from '../src/models/onnx/export.js';
import { onnxRuntimeNode } from '../src/models/onnx/node.js';
import { OnnxClassifier } from '../src/models/onnx/runner.js';
import { createModel, type ModelSection } from '../src/models/registry.js';

export interface OnnxCase {
  readonly label: string;
  readonly section: ModelSection;
  readonly layout: 'ntu-25' | 'kinect-20';
  readonly classes: number;
  readonly persons?: number;
  readonly big: boolean;
}

export interface OnnxRow {
  readonly backend: string;
  readonly model: string;
  readonly onnx: {
    readonly forwardMs: number;
    readonly forward16Ms: number;
    readonly runs: number;
    readonly fileMB: number;
    readonly relativeError: number;
    readonly exportSeconds: number;
  };
  /** The same model on TensorFlow.js (wasm, same threads), same process. */
  readonly tfjs: { readonly backend: string; readonly forwardMs: number; readonly forward16Ms: number };
}

export function isOnnxRow(row: object): row is OnnxRow {
  return 'onnx' in row;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median time of `runs` forwards at `batch` (after 2 warm-ups) of an engine's logits function. */
async function latency(
  spec: { frames: number; persons: number; jointOrder: Int32Array; inChannels: number },
  logits: (x: Float32Array, indexT: Float32Array, batch: number) => Promise<unknown>,
  batch: number,
  runs: number,
): Promise<number> {
  const T = spec.frames;
  const V = spec.persons * spec.jointOrder.length;
  const x = Float32Array.from({ length: batch * T * V * spec.inChannels }, (_, i) => Math.sin(i * 0.37) * 0.3);
  const indexT = Float32Array.from({ length: batch * T }, (_, i) => (2 * (i % T)) / T - 1);
  for (let i = 0; i < 2; i++) await logits(x, indexT, batch);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await logits(x, indexT, batch);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** One case on onnxruntime-node with `threads` intra-op threads. */
export async function onnxRow(c: OnnxCase, threads: number, quick: boolean): Promise<OnnxRow> {
  const info = await initBackend('wasm', { threads });
  const model = createModel(
    c.section,
    { layout: c.layout, classes: c.classes, ...(c.persons ? { persons: c.persons } : {}) },
    1,
  );
  try {
    const manifest = {
      format: 'skelact-model',
      version: 1,
      kind: model.kind,
      config: model.config,
      layout: c.layout,
      classNames: Array.from({ length: c.classes }, (_, k) => `class ${k}`),
      persons: model.persons,
      jointOrder: Array.from(model.jointOrder),
      inChannels: model.inChannels,
      frames: model.frames,
      modality: 'j',
      sampling: 'skateformer',
      testCrop: 0.95,
      minLength: 32,
      fillMissingPersons: 'zeros',
      normalize: 'none',
      parameters: model.params.countTrainable(),
      weightsManifest: [],
    } as unknown as ModelManifest;
    const t0 = performance.now();
    const { bytes } = exportOnnx(model, manifest);
    const exportSeconds = (performance.now() - t0) / 1000;
    const onnx = await OnnxClassifier.create(bytes, await onnxRuntimeNode(), c.label, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    try {
      const agreement = await compareEngines(model, onnx, 2);
      const runs = c.big ? (quick ? 3 : 9) : quick ? 10 : 41;
      const runs16 = c.big ? 3 : quick ? 3 : 9;
      const viaOnnx = (x: Float32Array, indexT: Float32Array, batch: number) => onnx.logits(x, indexT, batch);
      const forwardMs = await latency(onnx, viaOnnx, 1, runs);
      const forward16Ms = await latency(onnx, viaOnnx, 16, runs16);
      const T = model.frames;
      const V = model.persons * model.jointOrder.length;
      const viaTfjs = async (x: Float32Array, indexT: Float32Array, batch: number) => {
        const out = tf.tidy(
          () =>
            model.forward(
              { x: tf.tensor4d(x, [batch, T, V, model.inChannels]), indexT: tf.tensor2d(indexT, [batch, T]) },
              { training: false },
            ).logits,
        );
        await out.data();
        out.dispose();
      };
      const tfjs = {
        backend: info.description,
        forwardMs: Number((await latency(model, viaTfjs, 1, runs)).toFixed(1)),
        forward16Ms: Number((await latency(model, viaTfjs, 16, runs16)).toFixed(1)),
      };
      return {
        tfjs,
        backend: `onnxruntime-node ${(await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default.version} (CPU, ${threads} thread${threads > 1 ? 's' : ''})`,
        model: c.label,
        onnx: {
          forwardMs: Number(forwardMs.toFixed(1)),
          forward16Ms: Number(forward16Ms.toFixed(1)),
          runs,
          fileMB: Number((bytes.length / 1e6).toFixed(2)),
          relativeError: Number(agreement.relative.toExponential(2)),
          exportSeconds: Number(exportSeconds.toFixed(1)),
        },
      };
    } finally {
      await onnx.dispose();
    }
  } finally {
    model.dispose();
    tf.disposeVariables();
  }
}

/** The ONNX rows as a Markdown table, with the tfjs wasm forward of the same process beside them. */
export function onnxTable(rows: readonly OnnxRow[]): string {
  const lines = [
    '| engine | model | ONNX file (MB) | forward, batch 1 (ms) | forward, batch 16 (ms) | tfjs wasm, same threads: batch 1 / 16 (ms) | logits vs tfjs (relative) |',
    '|---|---|---|---|---|---|---|',
  ];
  const speed = (tfjs: number, ort: number) => `${(tfjs / ort).toFixed(1)}×`;
  for (const r of rows) {
    lines.push(
      `| ${r.backend} | ${r.model} | ${r.onnx.fileMB} | ${r.onnx.forwardMs} (${speed(r.tfjs.forwardMs, r.onnx.forwardMs)}) | ${r.onnx.forward16Ms} (${speed(r.tfjs.forward16Ms, r.onnx.forward16Ms)}) | ${r.tfjs.forwardMs} / ${r.tfjs.forward16Ms} | ${r.onnx.relativeError} |`,
    );
  }
  return lines.join('\n');
}
