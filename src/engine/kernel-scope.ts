/**
 * Helpers for writing TensorFlow.js kernels for the wasm backend out of other kernels.
 *
 * A kernel function receives TensorInfos (a data id, a shape and a dtype), not Tensors, and
 * must not call tf ops (they would go through the engine again). Composite kernels here call
 * other registered kernels' functions directly, as the backends' own composite kernels do,
 * and free every intermediate result with the backend's reference counts.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** What a kernel needs to know about the wasm backend (BackendWasm's public members). */
export interface WasmBackendLike {
  readonly dataIdMap: {
    get(
      dataId: object,
    ): { id: number; memoryOffset: number; shape: number[]; dtype: DataType; refCount: number } | undefined;
  };
  makeOutput(
    shape: number[],
    dtype: DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  readSync(dataId: object): tf.backend_util.BackendValues;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  readonly wasm: { readonly HEAPU8: Uint8Array };
}

export type KernelArgs<I = NamedTensorInfoMap, A = NamedAttrMap> = { inputs: I; backend: unknown; attrs?: A };

/** The backend argument of a wasm kernel, typed. */
export function wasmBackendOf(args: { backend: unknown }): WasmBackendLike {
  return args.backend as WasmBackendLike;
}

/** A TensorInfo with another shape over the same data (no copy, no reference taken). */
export function view(info: TensorInfo, shape: readonly number[]): TensorInfo {
  return { dataId: info.dataId, shape: [...shape], dtype: info.dtype };
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Runs registered kernels of one backend inside another kernel and frees what they return,
 * except the results handed to `keep`.
 */
export class KernelScope {
  private readonly temps: TensorInfo[] = [];

  constructor(
    readonly backend: WasmBackendLike,
    private readonly backendName = 'wasm',
  ) {}

  /** Runs the kernel registered under `kernelName`; its output is freed by `dispose` unless kept. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const config = tf.getKernel(kernelName, this.backendName);
    if (!config) throw new Error(`kernel '${kernelName}' is not registered for backend '${this.backendName}'`);
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned several outputs`);
    this.temps.push(out);
    return out;
  }

  /** Takes a result out of the scope: it becomes the caller's (usually the kernel's output). */
  keep(info: TensorInfo): TensorInfo {
    const i = this.temps.indexOf(info);
    if (i < 0) throw new Error('KernelScope.keep: not a result of this scope');
    this.temps.splice(i, 1);
    return info;
  }

  /** Reshape as a kernel (takes a reference, so the result can be returned or freed like any other). */
  reshape(x: TensorInfo, shape: readonly number[]): TensorInfo {
    return this.run(tf.Reshape, { x }, { shape: [...shape] });
  }

  transpose(x: TensorInfo, perm: readonly number[]): TensorInfo {
    return this.run(tf.Transpose, { x }, { perm: [...perm] });
  }

  /** Zero padding where an amount is positive, cropping where it is negative. */
  padOrCrop(x: TensorInfo, amounts: ReadonlyArray<readonly [number, number]>): TensorInfo {
    let cur = x;
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = amounts.map(([a, b], i) => x.shape[i] - Math.max(0, -a) - Math.max(0, -b));
      cur = this.run(tf.Slice, { x: cur }, { begin, size });
    }
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      cur = this.run(tf.PadV2, { x: cur }, { paddings, constantValue: 0 });
    }
    return cur;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs `body` with a scope and frees everything it did not keep, also when it throws. */
export function withScope<T>(backend: WasmBackendLike, body: (scope: KernelScope) => T): T {
  const scope = new KernelScope(backend);
  try {
    return body(scope);
  } finally {
    scope.dispose();
  }
}
