/**
 * `skelact export --format onnx`: a saved model's inference graph as one ONNX file.
 *
 *   1. trace     the forward pass runs once at the kernel level (./trace.ts); for a dynamic
 *                batch it runs at two batch sizes and the dimensions that differ scale with it;
 *   2. translate each TensorFlow.js kernel becomes ONNX operators (./translate.ts);
 *   3. quantize  optionally, float weights as uint8 with DequantizeLinear (weight-only QDQ);
 *   4. write     an onnx.ModelProto encoded by protobufjs from the official onnx.proto3
 *                (schemas/onnx.proto3, ONNX 1.23), metadata in metadata_props (./metadata.ts).
 *
 * Inputs: `x` float32 [batch, frames, persons·joints, channels] (persons person-major, joints in
 * the manifest's jointOrder: the model layout of src/models/types.ts) and, for SkateFormer,
 * `index_t` float32 [batch, frames] (each sampled frame's source position in [−1, 1]).
 * Output: `logits` float32 [batch, classes] (softmax gives skelact's scores).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../../util/paths.js';
import { packageVersion } from '../../util/version.js';
import type { ModelManifest } from '../manifest.js';
import type { SkeletonModel } from '../types.js';
import { METADATA_KEYS, ONNX_FORMAT, ONNX_FORMAT_VERSION, type OnnxInputSpec } from './metadata.js';
import { type TracedGraph, traceForward } from './trace.js';
import { DATA_TYPES, OnnxGraphBuilder, type OnnxInitializer, translateNode } from './translate.js';
import { optionName } from '../../core/errors.js';

export const ONNX_OPSETS = { min: 13, max: 21, default: 17 } as const;
export const ONNX_QUANTIZATIONS = ['uint8'] as const;

export interface OnnxExportOptions {
  /** Default ONNX_OPSETS.default. */
  readonly opset?: number;
  /** 'dynamic' (default) or a fixed batch size. */
  readonly batch?: 'dynamic' | number;
  /** uint8: weights of at least `QUANTIZE_MIN_SIZE` values stored as uint8 (per-tensor affine) with DequantizeLinear. */
  readonly quantize?: (typeof ONNX_QUANTIZATIONS)[number];
}

/** Smaller weights (biases, norms, scales) stay float32: they are a small part of the file and sensitive. */
export const QUANTIZE_MIN_SIZE = 256;

export interface OnnxExport {
  readonly bytes: Uint8Array;
  readonly nodes: number;
  readonly initializers: number;
  /** ONNX operators used, with counts. */
  readonly ops: Record<string, number>;
  readonly weightsQuantized: number;
}

let schema: protobuf.Root | undefined;
/** onnx.proto3 as shipped in schemas/ (the official file, unchanged). */
function onnxSchema(): protobuf.Root {
  schema ??= protobuf.parse(readFileSync(join(packageRoot(), 'schemas', 'onnx.proto3'), 'utf8'), {
    keepCase: false,
  }).root;
  return schema;
}

function randomBatch(model: SkeletonModel, batch: number, seed: number): { x: tf.Tensor4D; indexT: tf.Tensor2D } {
  const V = model.persons * model.jointOrder.length;
  const x = tf.randomNormal([batch, model.frames, V, model.inChannels], 0, 1, 'float32', seed) as tf.Tensor4D;
  const indexT = tf.tidy(() =>
    tf.tile(tf.linspace(-1, 1, model.frames).reshape([1, model.frames]), [batch, 1]),
  ) as tf.Tensor2D;
  return { x, indexT };
}

function traceAt(model: SkeletonModel, batch: number, withIndexT: boolean): TracedGraph {
  const { x, indexT } = randomBatch(model, batch, 7 + batch);
  try {
    return traceForward(model, withIndexT ? { x, indexT } : { x });
  } finally {
    tf.dispose([x, indexT]);
  }
}

/** Value id → dimensions that differ between two traces of the same model at different batch sizes. */
function batchDimensions(a: TracedGraph, b: TracedGraph): Map<number, Set<number>> {
  const dims = new Map<number, Set<number>>();
  const where = (i: number) => `kernel ${a.nodes[i].kernel} in model part ${a.nodes[i].part}`;
  if (a.nodes.length !== b.nodes.length)
    throw new Error(
      `ONNX export: the forward pass runs ${a.nodes.length} kernels at one batch size and ${b.nodes.length} at another; a dynamic batch is not possible (use ${optionName('batch')} N)`,
    );
  const mark = (va: { id: number; shape: number[] }, vb: { shape: number[] }, what: string) => {
    if (va.shape.length !== vb.shape.length)
      throw new Error(`ONNX export: ${what} changes rank with the batch size; use ${optionName('batch')} N`);
    const set = new Set<number>();
    va.shape.forEach((d, k) => {
      if (d !== vb.shape[k]) set.add(k);
    });
    if (set.size) dims.set(va.id, set);
  };
  a.inputs.forEach((input, i) => mark(input.value, b.inputs[i].value, `input ${input.name}`));
  a.nodes.forEach((na, i) => {
    const nb = b.nodes[i];
    if (na.kernel !== nb.kernel || na.outputs.length !== nb.outputs.length)
      throw new Error(
        `ONNX export: the forward pass differs between batch sizes at ${where(i)}; use ${optionName('batch')} N`,
      );
    na.outputs.forEach((o, k) => mark(o, nb.outputs[k], where(i)));
    na.inputs.forEach(([, v], k) => {
      const w = nb.inputs[k][1];
      if (v && a.constants.has(v.id) && w && v.shape.join() !== w.shape.join()) {
        throw new Error(
          `ONNX export: ${where(i)} uses a constant whose shape depends on the batch size ([${v.shape.join(', ')}] vs [${w.shape.join(', ')}]); use ${optionName('batch')} N`,
        );
      }
    });
  });
  return dims;
}

/** uint8 per-tensor affine quantisation of one weight: q = round(v / scale) + zeroPoint. */
function quantizeUint8(values: Float32Array): { q: Uint8Array; scale: number; zeroPoint: number } {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // The range includes 0 so that zero stays exact (ONNX's convention for zero points).
  const scale = max > min ? (max - min) / 255 : 1;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-min / scale)));
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.max(0, Math.min(255, Math.round(values[i] / scale) + zeroPoint));
  return { q, scale, zeroPoint };
}

function tensorProto(init: OnnxInitializer) {
  const d = init.data;
  return {
    name: init.name,
    dims: init.dims,
    dataType: DATA_TYPES[init.dtype],
    rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}

function valueInfo(name: string, dtype: number, shape: ReadonlyArray<number | string>) {
  return {
    name,
    type: {
      tensorType: {
        elemType: dtype,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * The ONNX file of a loaded model. `manifest` is the saved model's (its metadata goes into
 * the file). Runs the model (twice for a dynamic batch); nothing is written here.
 */
export function exportOnnx(model: SkeletonModel, manifest: ModelManifest, options: OnnxExportOptions = {}): OnnxExport {
  const opset = options.opset ?? ONNX_OPSETS.default;
  if (!Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max)
    throw new Error(`ONNX export: opset ${opset} is not supported (expected ${ONNX_OPSETS.min}…${ONNX_OPSETS.max})`);
  const batch = options.batch ?? 'dynamic';
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch >= 1))
    throw new Error(`ONNX export: batch must be 'dynamic' or a positive integer, got ${String(batch)}`);
  // SkateFormer (alone or as the members of a streams model) reads the frames' source times.
  const withIndexT = (model.members ?? [model]).some((m) => m.kind === 'skateformer');
  const graph = traceAt(model, batch === 'dynamic' ? 2 : batch, withIndexT);
  const dims =
    batch === 'dynamic' ? batchDimensions(graph, traceAt(model, 3, withIndexT)) : new Map<number, Set<number>>();

  const g = new OnnxGraphBuilder(opset, graph.constants, dims);
  for (const input of graph.inputs) g.bind(input.value, input.name);
  for (const node of graph.nodes) translateNode(g, node);
  const logits = graph.outputs[0].value;
  // The last node writes the graph output under its ONNX name; give it the public name.
  g.node('Identity', [g.nameOf(logits)], [], ['logits'], 'head');

  // Only what the nodes read (a conv's NHWC filter is replaced by its transposed copy, etc.).
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  let initializers = g.initializers.filter((i) => used.has(i.name));
  const extra: typeof g.nodes = [];
  let weightsQuantized = 0;
  if (options.quantize === 'uint8') {
    initializers = initializers.flatMap((init) => {
      if (!init.weight || init.dtype !== 'float32' || init.data.length < QUANTIZE_MIN_SIZE) return [init];
      const { q, scale, zeroPoint } = quantizeUint8(init.data as Float32Array);
      weightsQuantized++;
      const qName = `${init.name}.uint8`;
      extra.push({
        op: 'DequantizeLinear',
        inputs: [qName, `${init.name}.scale`, `${init.name}.zero_point`],
        outputs: [init.name],
        attrs: [],
        name: `dequantize/${init.name}`,
      });
      return [
        { name: qName, dtype: 'uint8' as const, dims: init.dims, data: q, weight: true },
        {
          name: `${init.name}.scale`,
          dtype: 'float32' as const,
          dims: [],
          data: Float32Array.of(scale),
          weight: false,
        },
        {
          name: `${init.name}.zero_point`,
          dtype: 'uint8' as const,
          dims: [],
          data: Uint8Array.of(zeroPoint),
          weight: false,
        },
      ];
    });
  }
  const nodes = [...extra, ...g.nodes];

  const batchDim = batch === 'dynamic' ? 'batch' : batch;
  const inputs: OnnxInputSpec[] = graph.inputs.map((i) => ({
    name: i.name,
    shape: i.value.shape.map((d, k) => (k === 0 ? batchDim : d)),
    layout:
      i.name === 'x'
        ? 'batch, frames, persons·joints (person-major, joints in jointOrder), channels'
        : 'batch, frames: source position of each sampled frame in [−1, 1]',
  }));
  const { weightsManifest: _weights, ...described } = manifest;
  const meta: Record<string, string> = {
    [METADATA_KEYS.format]: ONNX_FORMAT,
    [METADATA_KEYS.version]: String(ONNX_FORMAT_VERSION),
    [METADATA_KEYS.inputs]: JSON.stringify(inputs),
    [METADATA_KEYS.classNames]: JSON.stringify(manifest.classNames),
    [METADATA_KEYS.manifest]: JSON.stringify(described),
    [METADATA_KEYS.quantization]: options.quantize
      ? `${options.quantize} weights (per-tensor affine, DequantizeLinear), activations float32`
      : 'none',
  };

  const root = onnxSchema();
  const ModelProto = root.lookupType('onnx.ModelProto');
  const attrType = root.lookupEnum('onnx.AttributeProto.AttributeType').values;
  const encodeAttr = (a: (typeof nodes)[number]['attrs'][number]) => {
    switch (a.type) {
      case 'INT':
        return { name: a.name, type: attrType.INT, i: a.value as number };
      case 'INTS':
        return { name: a.name, type: attrType.INTS, ints: a.value as number[] };
      case 'FLOAT':
        return { name: a.name, type: attrType.FLOAT, f: a.value as number };
      case 'STRING':
        return { name: a.name, type: attrType.STRING, s: new TextEncoder().encode(a.value as string) };
    }
  };
  const message = ModelProto.fromObject({
    irVersion: opset >= 21 ? 10 : opset >= 19 ? 9 : 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'skelact',
    producerVersion: packageVersion(),
    docString: `skelact ${manifest.kind} model: ${manifest.classNames.length} classes on layout ${manifest.layout}`,
    graph: {
      name: `skelact-${manifest.kind}`,
      node: nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: n.attrs.map(encodeAttr),
      })),
      initializer: initializers.map(tensorProto),
      input: inputs.map((i) => valueInfo(i.name, DATA_TYPES.float32, i.shape)),
      output: [valueInfo('logits', DATA_TYPES.float32, [batchDim, manifest.classNames.length])],
    },
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  });
  const invalid = ModelProto.verify(message);
  if (invalid) throw new Error(`ONNX export: the model message is invalid (${invalid})`);
  const bytes = ModelProto.encode(message).finish();
  const ops: Record<string, number> = {};
  for (const n of nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  return { bytes, nodes: nodes.length, initializers: initializers.length, ops, weightsQuantized };
}
