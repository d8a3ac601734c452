/**
 * TensorFlow.js kernels → ONNX operators: one entry per kernel in KERNELS, each a function
 * that emits the ONNX nodes computing a traced kernel call (./trace.ts). A kernel without an
 * entry, or an attribute an entry cannot express, is an UnsupportedKernelError naming the kernel
 * and the model part that ran it.
 *
 * Layout differences handled here: tfjs convolutions are NHWC with [fh, fw, Cin, Cout] filters,
 * ONNX's are NCHW with [Cout, Cin, fh, fw] (constant filters are transposed once, at export;
 * activations get a Transpose on each side, which ONNX Runtime's transpose optimiser mostly
 * cancels). Reductions take their axes as an attribute before opset 18 and as an input from 18.
 *
 * Dynamic batch: the graph is traced at two batch sizes; the dimensions of each value that
 * differ between the traces (`batchDims`) scale with the batch, and shape-carrying kernels
 * (Reshape, Slice) write −1 or an open end there instead of the traced number.
 */
import type { AttrValue, TracedConstant, TracedNode, TracedValue } from './trace.js';
import { SkelactError } from '../../core/errors.js';

export const DATA_TYPES = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 } as const;
export type OnnxDataType = keyof typeof DATA_TYPES;

export type OnnxAttr = { name: string; type: 'INT' | 'INTS' | 'FLOAT' | 'STRING'; value: number | number[] | string };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attrs: OnnxAttr[];
  readonly name: string;
}

export interface OnnxInitializer {
  readonly name: string;
  readonly dtype: OnnxDataType;
  readonly dims: number[];
  readonly data: Float32Array | Int32Array | Uint8Array | BigInt64Array;
  /** A model parameter (or a value folded from parameters) rather than a small shape constant. */
  readonly weight: boolean;
}

export class UnsupportedKernelError extends SkelactError {
  readonly code = 'unsupported-kernel';

  constructor(
    readonly kernel: string,
    readonly part: string,
    detail: string,
  ) {
    super(`ONNX export: kernel ${kernel} in model part ${part}: ${detail}`);
  }
}

/** The graph under construction: nodes, initializers and names of traced values. */
export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly names = new Map<number, string>();
  private readonly constantCache = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly opset: number,
    /** Traced constants by value id (weights and folded values). */
    readonly constants: Map<number, TracedConstant>,
    /** Value id → dimensions that scale with the batch (empty for a fixed batch). */
    readonly batchDims: Map<number, Set<number>>,
  ) {}

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  bind(value: TracedValue, name: string): void {
    this.names.set(value.id, name);
  }

  /** The ONNX name of a kernel output (made on first use). */
  define(value: TracedValue): string {
    const known = this.names.get(value.id);
    if (known) return known;
    const name = this.fresh('v');
    this.names.set(value.id, name);
    return name;
  }

  /** The ONNX name of a traced value, adding an initializer for a weight or constant on first use. */
  nameOf(value: TracedValue): string {
    const known = this.names.get(value.id);
    if (known) return known;
    const constant = this.constants.get(value.id);
    if (!constant) throw new Error(`ONNX export: traced value ${value.id} has no producer`);
    const name = constant.weight ?? this.fresh('const');
    const dtype: OnnxDataType = value.dtype === 'int32' ? 'int32' : value.dtype === 'bool' ? 'bool' : 'float32';
    this.initializers.push({ name, dtype, dims: [...value.shape], data: constant.data, weight: dtype === 'float32' });
    this.names.set(value.id, name);
    return name;
  }

  /** The data of a traced value when it is a weight or constant (undefined when computed). */
  constantData(value: TracedValue): Float32Array | Int32Array | Uint8Array | undefined {
    return this.constants.get(value.id)?.data;
  }

  /** An int64 constant (shapes, axes, pads), shared between nodes that need the same one. */
  int64(values: readonly number[], hint = 'shape'): string {
    const key = `i64:${values.join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    const name = this.fresh(hint);
    this.initializers.push({
      name,
      dtype: 'int64',
      dims: [values.length],
      data: BigInt64Array.from(values, (v) => BigInt(v)),
      weight: false,
    });
    this.constantCache.set(key, name);
    return name;
  }

  /** A float32 constant: a scalar (dims []) or a given shape. */
  float(values: Float32Array | readonly number[], dims: number[], hint = 'const', weight = false): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dtype: 'float32', dims, data: Float32Array.from(values), weight });
    return name;
  }

  node(op: string, inputs: string[], attrs: OnnxAttr[] = [], outputs?: string[], part = ''): string[] {
    const outs = outputs ?? [this.fresh(op.toLowerCase())];
    this.nodes.push({ op, inputs, outputs: outs, attrs, name: `${part}${part ? '/' : ''}${op}_${this.nodes.length}` });
    return outs;
  }

  batchDimsOf(value: TracedValue): Set<number> {
    return this.batchDims.get(value.id) ?? new Set();
  }
}

const ints = (name: string, value: number[]): OnnxAttr => ({ name, type: 'INTS', value });
const int = (name: string, value: number): OnnxAttr => ({ name, type: 'INT', value });
const float = (name: string, value: number): OnnxAttr => ({ name, type: 'FLOAT', value });

/** Context of one kernel call for its translation. */
interface Call {
  readonly g: OnnxGraphBuilder;
  readonly node: TracedNode;
  /** ONNX names of the present inputs, in order. */
  readonly ins: string[];
  readonly inValues: TracedValue[];
  readonly out: TracedValue[];
  /** Short model-part label for node names. */
  readonly part: string;
  readonly attr: <T extends AttrValue>(name: string) => T;
  readonly fail: (detail: string) => never;
  readonly emit: (op: string, inputs: string[], attrs?: OnnxAttr[], outputs?: string[]) => string[];
}

type Translation = (c: Call) => string[];

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function axesOf(raw: AttrValue, rank: number): number[] {
  const list = Array.isArray(raw) ? (raw as number[]) : [raw as number];
  return list.map((a) => normAxis(a, rank));
}

/** ReduceX over `axes` (attribute before opset 18, input from 18; ReduceSum takes an input from 13). */
function reduce(c: Call, op: string, axes: number[], keepDims: boolean): string[] {
  const keep = int('keepdims', keepDims ? 1 : 0);
  if (op === 'ReduceSum' || c.g.opset >= 18)
    return c.emit(op, [c.ins[0], c.g.int64(axes, 'axes')], [keep], [c.g.define(c.out[0])]);
  return c.emit(op, [c.ins[0]], [ints('axes', axes), keep], [c.g.define(c.out[0])]);
}

function unary(op: string): Translation {
  return (c) => c.emit(op, [c.ins[0]], [], [c.g.define(c.out[0])]);
}

function binary(op: string): Translation {
  return (c) => c.emit(op, [c.ins[0], c.ins[1]], [], [c.g.define(c.out[0])]);
}

/** The ONNX activation after a fused matMul or conv. */
function activation(c: Call, y: string, kind: string | undefined, out: string): string[] {
  switch (kind ?? 'linear') {
    case 'linear':
      return c.emit('Identity', [y], [], [out]);
    case 'relu':
      return c.emit('Relu', [y], [], [out]);
    case 'sigmoid':
      return c.emit('Sigmoid', [y], [], [out]);
    case 'elu':
      return c.emit('Elu', [y], [], [out]);
    default:
      return c.fail(`fused activation '${kind}' is not translated`);
  }
}

/** Swaps the last two axes (for transposeA / transposeB). */
function swapLast(c: Call, x: string, rank: number): string {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.emit('Transpose', [x], [ints('perm', perm)])[0];
}

function matMul(c: Call, withBias: boolean): string[] {
  const [a, b] = c.inValues;
  const ta = c.attr<boolean>('transposeA') ? swapLast(c, c.ins[0], a.shape.length) : c.ins[0];
  const tb = c.attr<boolean>('transposeB') ? swapLast(c, c.ins[1], b.shape.length) : c.ins[1];
  const out = c.g.define(c.out[0]);
  const names = c.node.inputs.filter(([, v]) => v !== undefined).map(([n]) => n);
  if (names.includes('preluActivationWeights')) c.fail('prelu activation is not translated');
  if (!withBias) return c.emit('MatMul', [ta, tb], [], [out]);
  let y = c.emit('MatMul', [ta, tb])[0];
  const biasAt = names.indexOf('bias');
  if (biasAt >= 0) y = c.emit('Add', [y, c.ins[biasAt]])[0];
  return activation(c, y, c.attr<string>('activation'), out);
}

/** NHWC Conv2D / DepthwiseConv2dNative as NCHW ONNX Conv between two transposes. */
function conv(c: Call, depthwise: boolean): string[] {
  const [x, filter] = c.inValues;
  if (c.attr<string>('dataFormat') !== 'NHWC' && c.attr<string>('dataFormat') !== 'channelsLast')
    c.fail(`data format ${String(c.attr('dataFormat'))}`);
  const [fh, fw, cin, mult] = filter.shape;
  const strides = (c.attr<number[] | number>('strides') as number[] | number) ?? 1;
  const dil = (c.attr<number[] | number>('dilations') as number[] | number) ?? 1;
  const pair = (v: number[] | number) => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);
  const pad = c.attr<AttrValue>('pad');
  let pads: number[];
  if (Array.isArray(pad)) {
    const p = pad as number[][];
    pads = [p[1][0], p[2][0], p[1][1], p[2][1]];
  } else if (pad === 'valid' || pad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (typeof pad === 'number') {
    pads = [pad, pad, pad, pad];
  } else {
    // 'same': computed from the traced shapes, as tfjs does (the extra row/column at the end).
    const [sh, sw] = pair(strides);
    const [dh, dw] = pair(dil);
    const outH = c.out[0].shape[1];
    const outW = c.out[0].shape[2];
    const totalH = Math.max((outH - 1) * sh + (fh - 1) * dh + 1 - x.shape[1], 0);
    const totalW = Math.max((outW - 1) * sw + (fw - 1) * dw + 1 - x.shape[2], 0);
    pads = [
      Math.floor(totalH / 2),
      Math.floor(totalW / 2),
      totalH - Math.floor(totalH / 2),
      totalW - Math.floor(totalW / 2),
    ];
  }
  // ONNX weight [Cout, Cin / group, fh, fw].
  const group = depthwise ? cin : 1;
  const cout = depthwise ? cin * mult : mult;
  const constant = c.g.constantData(filter);
  let w: string;
  if (constant) {
    const src = constant as Float32Array;
    const dst = new Float32Array(src.length);
    for (let i = 0; i < fh; i++)
      for (let j = 0; j < fw; j++)
        for (let ci = 0; ci < cin; ci++)
          for (let m = 0; m < mult; m++) {
            const from = ((i * fw + j) * cin + ci) * mult + m;
            const o = depthwise ? ci * mult + m : m;
            const inC = depthwise ? 0 : ci;
            dst[((o * (cin / group) + inC) * fh + i) * fw + j] = src[from];
          }
    w = c.g.float(dst, [cout, cin / group, fh, fw], 'conv_w', true);
  } else {
    if (depthwise) c.fail('a depthwise filter computed in the graph is not translated');
    w = c.emit('Transpose', [c.ins[1]], [ints('perm', [3, 2, 0, 1])])[0];
  }
  const xNchw = c.emit('Transpose', [c.ins[0]], [ints('perm', [0, 3, 1, 2])])[0];
  const attrs = [
    ints('kernel_shape', [fh, fw]),
    ints('strides', pair(strides)),
    ints('dilations', pair(dil)),
    ints('pads', pads),
    int('group', group),
  ];
  const names = c.node.inputs.filter(([, v]) => v !== undefined).map(([n]) => n);
  const biasAt = names.indexOf('bias');
  const y = c.emit('Conv', biasAt >= 0 ? [xNchw, w, c.ins[biasAt]] : [xNchw, w], attrs)[0];
  const out = c.g.define(c.out[0]);
  if (c.node.kernel.startsWith('Fused')) {
    const z = c.emit('Transpose', [y], [ints('perm', [0, 2, 3, 1])])[0];
    return activation(c, z, c.attr<string>('activation'), out);
  }
  return c.emit('Transpose', [y], [ints('perm', [0, 2, 3, 1])], [out]);
}

/** Split along `axis` into the traced outputs' sizes (opset 13+: sizes as an input). */
function split(c: Call, axis: number, outputs: string[], sizes = c.out.map((o) => o.shape[axis])): string[] {
  if (c.g.batchDimsOf(c.inValues[0]).has(axis)) c.fail('splitting along the batch axis');
  return c.emit('Split', [c.ins[0], c.g.int64(sizes, 'split')], [int('axis', axis)], outputs);
}

export const KERNELS: Readonly<Record<string, Translation>> = {
  Identity: unary('Identity'),
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  Erf: unary('Erf'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Sqrt: unary('Sqrt'),
  Abs: unary('Abs'),
  Neg: unary('Neg'),
  Relu: unary('Relu'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Floor: unary('Floor'),
  Reciprocal: unary('Reciprocal'),
  Square: (c) => c.emit('Mul', [c.ins[0], c.ins[0]], [], [c.g.define(c.out[0])]),
  Rsqrt: (c) => c.emit('Reciprocal', [c.emit('Sqrt', [c.ins[0]])[0]], [], [c.g.define(c.out[0])]),
  AddN: (c) => c.emit('Sum', c.ins, [], [c.g.define(c.out[0])]),
  Cast: (c) => {
    const to = c.attr<string>('dtype');
    const code =
      to === 'float32'
        ? DATA_TYPES.float32
        : to === 'int32'
          ? DATA_TYPES.int32
          : to === 'bool'
            ? DATA_TYPES.bool
            : c.fail(`cast to ${to}`);
    return c.emit('Cast', [c.ins[0]], [int('to', code)], [c.g.define(c.out[0])]);
  },
  BatchMatMul: (c) => matMul(c, false),
  _FusedMatMul: (c) => matMul(c, true),
  Conv2D: (c) => conv(c, false),
  FusedConv2D: (c) => conv(c, false),
  DepthwiseConv2dNative: (c) => conv(c, true),
  FusedDepthwiseConv2D: (c) => conv(c, true),
  FusedBatchNorm: (c) => {
    // y = (x − mean) · scale / sqrt(var + ε) + offset, folded into x · a + b when the statistics are constants.
    const names = c.node.inputs.filter(([, v]) => v !== undefined).map(([n]) => n);
    const at = (n: string) => names.indexOf(n);
    const eps = c.attr<number>('varianceEpsilon');
    const stats = ['mean', 'variance', 'scale', 'offset'].map((n) =>
      at(n) >= 0 ? c.g.constantData(c.inValues[at(n)]) : null,
    );
    const out = c.g.define(c.out[0]);
    if (stats.every((s) => s !== undefined)) {
      const [mean, variance, scale, offset] = stats as Array<Float32Array | null>;
      const n = Math.max(mean!.length, variance!.length, scale?.length ?? 1, offset?.length ?? 1);
      const pick = (a: Float32Array | null, i: number, fallback: number) => (a ? a[a.length === 1 ? 0 : i] : fallback);
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        a[i] = pick(scale, i, 1) / Math.sqrt(pick(variance, i, 0) + eps);
        b[i] = pick(offset, i, 0) - pick(mean, i, 0) * a[i];
      }
      const y = c.emit('Mul', [c.ins[0], c.g.float(a, [n], 'bn_scale', true)])[0];
      return c.emit('Add', [y, c.g.float(b, [n], 'bn_shift', true)], [], [out]);
    }
    const centred = c.emit('Sub', [c.ins[0], c.ins[at('mean')]])[0];
    const std = c.emit('Sqrt', [c.emit('Add', [c.ins[at('variance')], c.g.float([eps], [], 'eps')])[0]])[0];
    let y = c.emit('Div', [centred, std])[0];
    if (at('scale') >= 0) y = c.emit('Mul', [y, c.ins[at('scale')]])[0];
    if (at('offset') >= 0) y = c.emit('Add', [y, c.ins[at('offset')]])[0];
    return c.emit('Identity', [y], [], [out]);
  },
  Reshape: (c) => {
    const out = c.out[0];
    const dynamic = c.g.batchDimsOf(out);
    if (dynamic.size > 1)
      c.fail(`a reshape to [${out.shape.join(', ')}] has ${dynamic.size} dimensions that scale with the batch`);
    const shape = out.shape.map((d, i) => (dynamic.has(i) ? -1 : d));
    return c.emit('Reshape', [c.ins[0], c.g.int64(shape)], [], [c.g.define(out)]);
  },
  ExpandDims: (c) => {
    const rank = c.out[0].shape.length;
    return c.emit(
      'Unsqueeze',
      [c.ins[0], c.g.int64([normAxis(c.attr<number>('dim'), rank)], 'axes')],
      [],
      [c.g.define(c.out[0])],
    );
  },
  Squeeze: (c) => {
    const rank = c.inValues[0].shape.length;
    const axes = axesOf(c.attr('axis') ?? [], rank);
    return c.emit(
      'Squeeze',
      axes.length ? [c.ins[0], c.g.int64(axes, 'axes')] : [c.ins[0]],
      [],
      [c.g.define(c.out[0])],
    );
  },
  Transpose: (c) => c.emit('Transpose', [c.ins[0]], [ints('perm', c.attr<number[]>('perm'))], [c.g.define(c.out[0])]),
  Mean: (c) => reduce(c, 'ReduceMean', axesOf(c.attr('axis'), c.inValues[0].shape.length), c.attr<boolean>('keepDims')),
  Sum: (c) => reduce(c, 'ReduceSum', axesOf(c.attr('axis'), c.inValues[0].shape.length), c.attr<boolean>('keepDims')),
  Max: (c) =>
    reduce(c, 'ReduceMax', axesOf(c.attr('reductionIndices'), c.inValues[0].shape.length), c.attr<boolean>('keepDims')),
  Min: (c) => reduce(c, 'ReduceMin', axesOf(c.attr('axis'), c.inValues[0].shape.length), c.attr<boolean>('keepDims')),
  Softmax: (c) =>
    c.emit(
      'Softmax',
      [c.ins[0]],
      [int('axis', normAxis(c.attr<number>('dim'), c.inValues[0].shape.length))],
      [c.g.define(c.out[0])],
    ),
  Concat: (c) =>
    c.emit(
      'Concat',
      c.ins,
      [int('axis', normAxis(c.attr<number>('axis'), c.out[0].shape.length))],
      [c.g.define(c.out[0])],
    ),
  SplitV: (c) =>
    split(
      c,
      normAxis(c.attr<number>('axis'), c.inValues[0].shape.length),
      c.out.map((o) => c.g.define(o)),
    ),
  Unpack: (c) => {
    const axis = normAxis(c.attr<number>('axis'), c.inValues[0].shape.length);
    const pieces = split(
      c,
      axis,
      c.out.map(() => c.g.fresh('piece')),
      c.out.map(() => 1),
    );
    return pieces.flatMap((p, i) => c.emit('Squeeze', [p, c.g.int64([axis], 'axes')], [], [c.g.define(c.out[i])]));
  },
  Pack: (c) => {
    const axis = normAxis(c.attr<number>('axis'), c.out[0].shape.length);
    const expanded = c.ins.map((x) => c.emit('Unsqueeze', [x, c.g.int64([axis], 'axes')])[0]);
    return c.emit('Concat', expanded, [int('axis', axis)], [c.g.define(c.out[0])]);
  },
  GatherV2: (c) => {
    if ((c.attr<number>('batchDims') ?? 0) !== 0) c.fail('batchDims other than 0');
    return c.emit(
      'Gather',
      [c.ins[0], c.ins[1]],
      [int('axis', normAxis(c.attr<number>('axis'), c.inValues[0].shape.length))],
      [c.g.define(c.out[0])],
    );
  },
  Slice: (c) => {
    const x = c.inValues[0];
    const begin = c.attr<number[]>('begin');
    const size = c.attr<number[]>('size');
    const dynamic = c.g.batchDimsOf(c.out[0]);
    const ends = begin.map((b, i) => {
      const n = size[i] === -1 ? x.shape[i] - b : size[i];
      if (dynamic.has(i)) {
        if (b !== 0 || n !== x.shape[i]) c.fail('a slice that cuts the batch axis');
        return 2 ** 31 - 1;
      }
      return b + n;
    });
    const axes = begin.map((_, i) => i);
    return c.emit(
      'Slice',
      [c.ins[0], c.g.int64(begin, 'starts'), c.g.int64(ends, 'ends'), c.g.int64(axes, 'axes')],
      [],
      [c.g.define(c.out[0])],
    );
  },
  PadV2: (c) => {
    const paddings = c.attr<number[][]>('paddings');
    const pads = [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])];
    const value = c.g.float([c.attr<number>('constantValue') ?? 0], [], 'pad_value');
    return c.emit(
      'Pad',
      [c.ins[0], c.g.int64(pads, 'pads'), value],
      [{ name: 'mode', type: 'STRING', value: 'constant' }],
      [c.g.define(c.out[0])],
    );
  },
  Tile: (c) => {
    if (c.g.batchDimsOf(c.out[0]).size > 0 && c.g.batchDimsOf(c.inValues[0]).size === 0)
      c.fail('tiling to the batch size');
    return c.emit('Tile', [c.ins[0], c.g.int64(c.attr<number[]>('reps'), 'reps')], [], [c.g.define(c.out[0])]);
  },
  LeakyRelu: (c) => c.emit('LeakyRelu', [c.ins[0]], [float('alpha', c.attr<number>('alpha'))], [c.g.define(c.out[0])]),
};

/** Translates one traced kernel call into ONNX nodes on `g`. */
export function translateNode(g: OnnxGraphBuilder, node: TracedNode): void {
  const label = node.part.split(' ')[0].replace(/[^\w.→-]/g, '');
  const fail = (detail: string): never => {
    throw new UnsupportedKernelError(node.kernel, node.part, detail);
  };
  const translation = KERNELS[node.kernel];
  if (!translation)
    fail(`no ONNX translation for this TensorFlow.js kernel (translated: ${Object.keys(KERNELS).sort().join(', ')})`);
  const present = node.inputs.filter(([, v]) => v !== undefined) as Array<[string, TracedValue]>;
  const call: Call = {
    g,
    node,
    ins: present.map(([, v]) => g.nameOf(v)),
    inValues: present.map(([, v]) => v),
    out: node.outputs,
    part: label,
    attr: <T extends AttrValue>(name: string) => node.attrs[name] as T,
    fail,
    emit: (op, inputs, attrs = [], outputs) => g.node(op, inputs, attrs, outputs, label),
  };
  translation(call);
}
