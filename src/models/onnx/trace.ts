/**
 * A model's inference graph, recorded at the TensorFlow.js kernel level: the forward pass runs
 * once with `engine.runKernel` and `engine.makeTensor` watched, and every kernel call becomes a
 * node (kernel name, attributes, input and output tensors, the model part that called it).
 * Variables become weights; tensors made from JavaScript values during the pass (index tables,
 * masks) and tensors that existed before it (cached constants) become constants. A kernel whose
 * inputs are all weights or constants is folded: its traced output is kept as a constant (so
 * e.g. relative-bias gathers from a learned table are exported as the gathered bias).
 *
 * Each node's `part` is the innermost model function that called it, read from the call stack
 * (e.g. `skateAttention (skateformer/model)`), so errors and node names say where in the
 * model a kernel comes from.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelBatch, SkeletonModel } from '../types.js';
import { SkelactError } from '../../core/errors.js';

export type AttrValue = number | boolean | string | null | undefined | number[] | number[][] | boolean[];

/** A value in the traced graph. */
export interface TracedValue {
  readonly id: number;
  readonly shape: number[];
  readonly dtype: tf.DataType;
}

export interface TracedNode {
  readonly kernel: string;
  readonly attrs: Record<string, AttrValue>;
  /** Inputs by the kernel's input names, in the order the op passed them (undefined: left out). */
  readonly inputs: Array<[string, TracedValue | undefined]>;
  readonly outputs: TracedValue[];
  /** The model function that ran the kernel, e.g. `skateAttention (skateformer/model)`. */
  readonly part: string;
}

export interface TracedConstant {
  readonly value: TracedValue;
  /** Parameter name for model weights; undefined for constants. */
  readonly weight?: string;
  readonly data: Float32Array | Int32Array | Uint8Array;
}

export interface TracedGraph {
  readonly inputs: Array<{ name: string; value: TracedValue }>;
  readonly outputs: Array<{ name: string; value: TracedValue }>;
  readonly nodes: TracedNode[];
  /** Weights and constants by value id. */
  readonly constants: Map<number, TracedConstant>;
}

export class TraceError extends SkelactError {
  readonly code = 'trace';

  constructor(message: string) {
    super(message);
  }
}

type Engine = {
  runKernel: (
    name: string,
    inputs: Record<string, tf.Tensor | undefined>,
    attrs?: Record<string, unknown>,
  ) => tf.Tensor | tf.Tensor[];
  makeTensor: (...args: unknown[]) => tf.Tensor;
};

const MODEL_FILE = /[/\\]models[/\\]((?:skateformer|partstream|stgcn)[/\\][\w-]+|ops|text-head)\.[jt]s:/;

/** The innermost model function on the stack (not ops.ts helpers when a family function is above them). */
function modelPart(): string {
  const stack = new Error().stack?.split('\n').slice(2) ?? [];
  let helper: string | undefined;
  for (const line of stack) {
    const file = MODEL_FILE.exec(line);
    if (!file) continue;
    const fn = /at (?:async )?([\w.$<>]+) \(/.exec(line)?.[1] ?? '<anonymous>';
    const where = `${fn.replace(/^(Object|Module)\./, '')} (${file[1].replace(/\\/g, '/')})`;
    if (file[1] === 'ops') {
      helper ??= where;
      continue;
    }
    return helper ? `${where} → ${helper.split(' ')[0]}` : where;
  }
  if (helper) return helper;
  // A model defined elsewhere (an app's own): the first caller outside tfjs and this exporter.
  for (const line of stack) {
    if (/node_modules|tfjs|@tensorflow|[/\\]models[/\\]onnx[/\\]|node:internal/.test(line)) continue;
    const m = /at (?:async )?([\w.$<>]+) \((?:.*[/\\])?([^/\\]+?):\d+:\d+\)/.exec(line);
    if (m) return `${m[1].replace(/^(Object|Module)\./, '')} (${m[2].replace(/\.[jt]s$/, '')})`;
  }
  return 'model';
}

function valueOf(t: tf.Tensor): TracedValue {
  return { id: t.id, shape: [...t.shape], dtype: t.dtype };
}

function copyAttrs(attrs: Record<string, unknown> | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v instanceof tf.Tensor) throw new TraceError(`attribute '${k}' is a tensor`);
    out[k] = Array.isArray(v) ? (JSON.parse(JSON.stringify(v)) as number[]) : (v as AttrValue);
  }
  return out;
}

/**
 * Runs `model.forward` on `batch` (inference mode) with kernel recording on, and returns the
 * graph from the batch's tensors to the logits. Tensors made during the pass are disposed.
 */
export function traceForward(model: SkeletonModel, batch: ModelBatch): TracedGraph {
  // skelact's own fused kernels (the native GELU and attention softmax, named Skelact*) have
  // no ONNX translation: while tracing they are taken off, and the ops run as tfjs kernels.
  const own = tf.getKernelsForBackend(tf.getBackend()).filter((k) => k.kernelName.startsWith('Skelact'));
  for (const k of own) tf.unregisterKernel(k.kernelName, k.backendName);
  try {
    return traceComposed(model, batch);
  } finally {
    for (const k of own) tf.registerKernel(k);
  }
}

function traceComposed(model: SkeletonModel, batch: ModelBatch): TracedGraph {
  const engine = tf.engine() as unknown as Engine;
  const weights = new Map<number, string>();
  for (const [info, v] of model.params.entries()) weights.set(v.id, info.name);
  const inputs = [
    { name: 'x', value: valueOf(batch.x) },
    ...(batch.indexT ? [{ name: 'index_t', value: valueOf(batch.indexT) }] : []),
  ];
  const inputIds = new Set(inputs.map((i) => i.value.id));
  const firstId = tf.tensor1d([0]);
  const idBefore = firstId.id;
  firstId.dispose();

  const nodes: TracedNode[] = [];
  const produced = new Set<number>(inputIds);
  const madeInTrace = new Set<number>();
  /** Tensors whose values are known without the input: weights, constants, folded kernels. */
  const known = new Map<number, tf.Tensor>();
  const constants = new Map<number, TracedConstant>();
  let depth = 0;

  const originalRun = engine.runKernel;
  const originalMake = engine.makeTensor;
  const keepConstant = (t: tf.Tensor, weight?: string) => {
    if (constants.has(t.id)) return;
    const data = t.dataSync() as Float32Array | Int32Array | Uint8Array;
    constants.set(t.id, { value: valueOf(t), weight, data: data.slice() as typeof data });
  };
  const classify = (name: string, t: tf.Tensor, kernel: string): TracedValue => {
    if (produced.has(t.id)) return valueOf(t);
    const weight = weights.get(t.id);
    if (weight !== undefined || madeInTrace.has(t.id) || t.id < idBefore) {
      keepConstant(t, weight);
      return valueOf(t);
    }
    throw new TraceError(
      `kernel ${kernel} input '${name}' comes from outside the traced pass (tensor ${t.id}, shape [${t.shape.join(', ')}]): the exporter cannot tell what computes it`,
    );
  };
  engine.makeTensor = function (this: unknown, ...args: unknown[]) {
    const t = originalMake.apply(this, args);
    if (depth === 0) madeInTrace.add(t.id);
    return t;
  };
  engine.runKernel = function (
    this: unknown,
    kernel: string,
    ins: Record<string, tf.Tensor | undefined>,
    attrs?: Record<string, unknown>,
  ) {
    if (depth > 0) return originalRun.call(this, kernel, ins, attrs);
    depth++;
    let out: tf.Tensor | tf.Tensor[];
    try {
      out = originalRun.call(this, kernel, ins, attrs);
    } finally {
      depth--;
    }
    const outs = Array.isArray(out) ? out : [out];
    const part = modelPart();
    const tracedInputs: Array<[string, TracedValue | undefined]> = [];
    let foldable = true;
    for (const [name, t] of Object.entries(ins)) {
      if (t === undefined || t === null) {
        tracedInputs.push([name, undefined]);
        continue;
      }
      const v = classify(name, t, kernel);
      tracedInputs.push([name, v]);
      if (produced.has(t.id) && !known.has(t.id)) foldable = false;
    }
    if (foldable) {
      // Only weights and constants in: the outputs are constants too (their traced values).
      for (const o of outs) {
        madeInTrace.add(o.id);
        known.set(o.id, o);
      }
      return out;
    }
    for (const o of outs) produced.add(o.id);
    nodes.push({ kernel, attrs: copyAttrs(attrs), inputs: tracedInputs, outputs: outs.map(valueOf), part });
    return out;
  };
  let logits: tf.Tensor;
  // Enough stack frames to reach the model function below tfjs's own.
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  try {
    logits = tf.tidy(() => {
      const out = model.forward(batch, { training: false });
      return out.logits;
    });
  } finally {
    engine.runKernel = originalRun;
    engine.makeTensor = originalMake;
    Error.stackTraceLimit = stackLimit;
  }
  logits.dispose();
  if (!produced.has(logits.id)) throw new TraceError('the logits do not depend on the input');
  return { inputs, outputs: [{ name: 'logits', value: valueOf(logits) }], nodes, constants };
}
