/**
 * The one place that picks the TensorFlow.js engine.
 *
 *   tensorflow-gpu  @tensorflow/tfjs-node-gpu (libtensorflow + CUDA), optional dependency
 *   webgpu          @tensorflow/tfjs-backend-webgpu on Dawn (the `webgpu` package), optional
 *                   dependencies; any GPU with a Vulkan driver (./webgpu.ts). `auto` takes it
 *                   only on a real GPU, never on a CPU adapter such as Mesa's lavapipe
 *   tensorflow      @tensorflow/tfjs-node (libtensorflow, CPU), optional dependency
 *   wasm            @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD), always installed
 *   cpu             tfjs's pure-JavaScript reference backend (slow; for tests)
 *
 * `auto` takes the first that loads, in that order (webgpu only on a GPU). The node packages download
 * libtensorflow at install time, so on machines without network access they are absent
 * and auto falls through to wasm.
 *
 * wasm gets skelact's kernels (./wasm-kernels.ts: the backward kernels it lacks, a correct
 * MaxPoolGrad, fast slices, transposes and reductions) and, opt-in, XNNPACK threads
 * (./wasm-threads.ts; `threads` option or SKELACT_WASM_THREADS, fixed once wasm has loaded).
 * On top of those, where the addon in native/ is built, OpenBLAS kernels for the products and
 * convolutions (./native-kernels.ts; `native` option or SKELACT_NATIVE: on, off, auto); then
 * `threads` goes to the addon's thread pool (products split into parts that OpenBLAS runs on one
 * thread each) and the wasm build stays single-threaded (wasmBuildThreads).
 */
import * as tf from '@tensorflow/tfjs';
import { describeOpenBlas, loadNativeAddon } from './native.js';
import { nativeSelfCheck, registerNativeKernels, unregisterNativeKernels } from './native-kernels.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';
import { prepareWasmThreads } from './wasm-threads.js';
import {
  describeAdapter,
  findWebGpuAdapter,
  startWebGpuBackend,
  webgpuFault,
  type WebGpuAdapterSummary,
} from './webgpu.js';

import { NoBackendError, registerBackend, resolveBackend } from './resolver.js';
import { optionName } from '../core/errors.js';
import {
  BACKEND_CHOICES,
  NATIVE_CHOICES,
  type BackendChoice,
  type ConcreteBackend,
  type NativeChoice,
} from './choices.js';

export { BACKEND_CHOICES, NATIVE_CHOICES, type BackendChoice, type ConcreteBackend, type NativeChoice };

/** Whether skelact's native (OpenBLAS) kernels run under the wasm backend, and if not, why. */
export interface NativeInfo {
  readonly active: boolean;
  /** "native OpenBLAS 0.3.21 (Haswell, 2 threads)" or "native kernels off (why)". */
  readonly description: string;
}

/** The backend running in Node: what was asked for, what runs, and what was passed over. */
export interface BackendInfo {
  /** What was asked for. */
  readonly requested: BackendChoice;
  /** What runs. */
  readonly backend: ConcreteBackend;
  /** tfjs's own backend name ('tensorflow', 'webgpu', 'wasm' or 'cpu'). */
  readonly tfBackend: string;
  /** Backends tried before it, with why they did not load. */
  readonly unavailable: ReadonlyArray<{ backend: ConcreteBackend; reason: string }>;
  /** One line for people: "wasm (SIMD, 1 thread)". */
  readonly description: string;
  /** Threads the backend computes with (wasm: the native kernels' pool with native kernels on, else XNNPACK's pool; others: 1 as far as we know). */
  readonly threads: number;
  /** wasm only: the threads of the wasm build (1 with native kernels on: the native pool gets the threads). */
  readonly wasmThreads?: number;
  /** wasm only: the native kernels' state. */
  readonly native?: NativeInfo;
  /** webgpu only: the adapter Dawn computes on. */
  readonly adapter?: WebGpuAdapterSummary;
}

export interface InitBackendOptions {
  /**
   * wasm only: threads for XNNPACK's convolutions and matMuls. Default: the environment
   * variable SKELACT_WASM_THREADS, else 1.
   */
  readonly threads?: number;
  /**
   * wasm only: skelact's native OpenBLAS kernels. auto (default; the environment variable
   * SKELACT_NATIVE overrides it): use them where the addon loads and passes its self-check;
   * on: the same, but an error where they cannot run; off: the stock kernels.
   */
  readonly native?: NativeChoice;
  /**
   * The caller reads tensors synchronously (dataSync, arraySync), which the webgpu backend
   * cannot do in Node: `auto` then passes webgpu over (an explicit 'webgpu' still runs, and
   * such a read fails saying so).
   */
  readonly syncReads?: boolean;
}

/** What the Node candidates are started with: the options and what the user asked for. */
type StartOptions = InitBackendOptions & { readonly requested?: BackendChoice };

const AUTO_ORDER: readonly ConcreteBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

let current: BackendInfo | undefined;
const nativeWarnings = new Set<string>();

/** The native choice asked for: the option, else SKELACT_NATIVE, else auto. */
export function requestedNative(options: InitBackendOptions = {}): NativeChoice {
  const raw = options.native ?? (process.env.SKELACT_NATIVE || 'auto');
  if (!(NATIVE_CHOICES as readonly string[]).includes(raw))
    throw new Error(
      `native kernels: expected one of ${NATIVE_CHOICES.join(', ')}, got '${raw}'${options.native === undefined ? ' (SKELACT_NATIVE)' : ''}`,
    );
  return raw as NativeChoice;
}

/**
 * Puts the native kernels on (or takes them off) the running wasm backend. A failure under
 * `auto` is a reason in the engine line (and, for a failed self-check, a warning); under `on`
 * it is an error.
 */
function applyNative(choice: NativeChoice, threads: number): NativeInfo {
  if (choice === 'off') {
    unregisterNativeKernels();
    return { active: false, description: `native kernels off (${optionName('native')} off)` };
  }
  const load = loadNativeAddon();
  let reason: string | undefined;
  if (!load.addon) {
    reason = load.reason;
  } else {
    load.addon.setThreads(threads);
    registerNativeKernels(load.addon);
    const wrong = nativeSelfCheck(load.addon);
    if (wrong) {
      unregisterNativeKernels();
      reason = `self-check failed: ${wrong}`;
      if (!nativeWarnings.has(reason)) {
        nativeWarnings.add(reason);
        process.emitWarning(
          `skelact native kernels computed a wrong product and are switched off (${wrong}); the stock kernels run. Rebuild them with 'npm run setup:native' and report this.`,
        );
      }
    }
  }
  if (reason !== undefined) {
    if (choice === 'on') throw new Error(`${optionName('native')} on: the native kernels cannot run: ${reason}`);
    return { active: false, description: `native kernels off: ${reason}` };
  }
  const { version, core } = describeOpenBlas(load.addon!);
  return { active: true, description: `native ${version} (${core}, ${threads} thread${threads === 1 ? '' : 's'})` };
}

/** The wasm thread count asked for: the option, else SKELACT_WASM_THREADS, else 1. */
export function requestedWasmThreads(options: InitBackendOptions = {}): number {
  const raw = options.threads ?? (process.env.SKELACT_WASM_THREADS ? Number(process.env.SKELACT_WASM_THREADS) : 1);
  if (!Number.isInteger(raw) || raw < 1)
    throw new Error(
      `wasm threads must be a positive integer, got ${options.threads ?? `SKELACT_WASM_THREADS=${process.env.SKELACT_WASM_THREADS}`}`,
    );
  return raw;
}

/**
 * The threads the wasm build itself starts. With native kernels on, 1, whatever `threads`
 * says: the products and convolutions, the only kernels XNNPACK splits over threads, then run
 * in the addon, whose pool gets the threads instead. Two pools (XNNPACK's wasm workers and
 * OpenBLAS's pthreads, before the addon had its own) each spinning while they wait
 * oversubscribed the 2 cores here and made 2 threads slower than 1 (README, "Native kernels
 * against PyTorch").
 */
function wasmBuildThreads(options: InitBackendOptions = {}): number {
  const threads = requestedWasmThreads(options);
  if (threads === 1 || requestedNative(options) === 'off') return threads;
  return loadNativeAddon().addon ? 1 : threads;
}

/** "wasm (SIMD, 1 thread) + native OpenBLAS 0.3.21 (Haswell, 1 thread)", or with why native is off. */
function wasmDescription(threads: number, native?: NativeInfo): string {
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const base = `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
  if (!native) return base;
  return native.active ? `${base} + ${native.description}` : `${base}; ${native.description}`;
}

async function tryLoad(
  backend: ConcreteBackend,
  options: StartOptions,
): Promise<{ tfBackend: string; description: string; adapter?: WebGpuAdapterSummary }> {
  switch (backend) {
    case 'webgpu': {
      if (options.requested === 'auto' && options.syncReads)
        throw new Error('not tried: the caller reads tensors synchronously, which WebGPU cannot do in Node');
      // A CPU adapter (lavapipe) only when asked for by name: under auto, wasm is faster.
      const { adapter, summary } = await findWebGpuAdapter(options.requested === 'webgpu');
      await startWebGpuBackend(adapter);
      return { tfBackend: 'webgpu', description: `webgpu (Dawn on ${describeAdapter(summary)})`, adapter: summary };
    }
    case 'tensorflow-gpu':
      await import('@tensorflow/tfjs-node-gpu' as string);
      if (!(await tf.setBackend('tensorflow')))
        throw new Error('tfjs-node-gpu loaded but its backend did not initialise');
      return { tfBackend: 'tensorflow', description: 'tensorflow-gpu (libtensorflow with CUDA)' };
    case 'tensorflow':
      await import('@tensorflow/tfjs-node' as string);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node loaded but its backend did not initialise');
      return { tfBackend: 'tensorflow', description: 'tensorflow (libtensorflow, CPU)' };
    case 'wasm': {
      const threads = wasmBuildThreads(options);
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Missing backward kernels, a wrong MaxPoolGrad and slow data movement: src/engine/wasm-kernels.ts.
      registerWasmTrainingKernels();
      const undoThreadPatches = threads > 1 && !tf.engine().registry.wasm ? prepareWasmThreads(threads) : undefined;
      try {
        if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
      } finally {
        undoThreadPatches?.();
      }
      if (wasm.getThreadsCount() !== threads) {
        throw new Error(
          `wasm was already loaded in this process with ${wasm.getThreadsCount()} thread(s); the thread count (${threads} asked) is fixed when it first loads`,
        );
      }
      return { tfBackend: 'wasm', description: wasmDescription(wasm.getThreadsCount()) };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      return { tfBackend: 'cpu', description: 'cpu (pure JavaScript reference backend, slow)' };
  }
}

/**
 * tfjs's cpu backend prints a banner urging tfjs-node on its first tensor in Node (tensors such
 * as the dropout masks' are made there). skelact already says which backend runs and why the
 * others did not load, so the banner is switched off (its `firstUse` flag).
 */
function quietCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

// Node's candidates for the resolver (./resolver.ts), best first.
for (const [priority, name] of [...AUTO_ORDER].reverse().entries()) {
  registerBackend<StartOptions | undefined>({
    name,
    priority: 10 * (priority + 1),
    async start(options = {}) {
      const { tfBackend, description, adapter } = await tryLoad(name, options);
      await tf.ready();
      const threads = name === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : 1;
      quietCpuBanner();
      return { tfBackend, description, threads, ...(adapter ? { adapter } : {}) };
    },
  });
}

/**
 * Selects and initialises a backend. An explicit choice that cannot load is an error that
 * says why; `auto` falls through the list and records why each one was passed over.
 */
export async function initBackend(
  requested: BackendChoice = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(requested)) {
    throw new Error(`${optionName('backend')} must be one of ${BACKEND_CHOICES.join(', ')}, got '${requested}'`);
  }
  if (
    current &&
    (current.requested === requested || current.backend === requested) &&
    !(current.backend === 'webgpu' && webgpuFault())
  ) {
    // Either count is fine: the threads asked for, or 1 where native kernels take them over.
    if (
      current.backend === 'wasm' &&
      current.wasmThreads !== requestedWasmThreads(options) &&
      current.wasmThreads !== wasmBuildThreads(options)
    ) {
      throw new Error(
        `the wasm backend already runs ${current.wasmThreads} thread(s) in this process; its thread count is fixed when it first loads`,
      );
    }
    await tf.setBackend(current.tfBackend);
    if (current.backend === 'wasm') {
      const threads = requestedWasmThreads(options);
      const native = applyNative(requestedNative(options), threads);
      current = {
        ...current,
        threads: native.active ? threads : current.wasmThreads!,
        native,
        description: wasmDescription(current.wasmThreads!, native),
      };
    }
    return current;
  }
  const nativeChoice = requestedNative(options);
  let resolved;
  try {
    resolved = await resolveBackend<StartOptions>(requested === 'auto' ? AUTO_ORDER : [requested], {
      ...options,
      requested,
    });
  } catch (e) {
    if (!(e instanceof NoBackendError)) throw e;
    return noBackend(requested, e.unavailable as Array<{ backend: ConcreteBackend; reason: string }>);
  }
  const backend = resolved.name as ConcreteBackend;
  const { tfBackend, description } = resolved;
  const threads = resolved.threads ?? 1;
  const unavailable = resolved.unavailable as Array<{ backend: ConcreteBackend; reason: string }>;
  if (backend === 'wasm') {
    // After the resolver: `native on` that cannot be honoured is an error, not a reason to pass wasm over.
    const computeThreads = requestedWasmThreads(options);
    const native = applyNative(nativeChoice, computeThreads);
    current = {
      requested,
      backend,
      tfBackend,
      unavailable,
      description: wasmDescription(threads, native),
      threads: native.active ? computeThreads : threads,
      wasmThreads: threads,
      native,
    };
  } else {
    const { adapter } = resolved as { adapter?: WebGpuAdapterSummary };
    current = { requested, backend, tfBackend, unavailable, description, threads, ...(adapter ? { adapter } : {}) };
  }
  return current;
}

function noBackend(
  requested: BackendChoice,
  unavailable: ReadonlyArray<{ backend: ConcreteBackend; reason: string }>,
): never {
  const why = unavailable.map((u) => `${u.backend}: ${u.reason}`).join('; ');
  if (requested === 'auto') throw new Error(`no TensorFlow.js backend could be loaded (${why})`);
  const hint =
    requested === 'tensorflow' || requested === 'tensorflow-gpu'
      ? ` – install it with 'npm install @tensorflow/tfjs-node${requested === 'tensorflow-gpu' ? '-gpu' : ''}@4.22.0' on a machine that can download libtensorflow, or use ${optionName('backend')} wasm`
      : '';
  throw new Error(`backend '${requested}' is not available (${why})${hint}`);
}

/** The backend chosen by the last initBackend call, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/** "wasm (SIMD, 1 thread); not available: tensorflow-gpu (not installed), tensorflow (not installed)". */
export function describeBackend(info: BackendInfo): string {
  const passed =
    info.unavailable.length > 0
      ? `; passed over: ${info.unavailable.map((u) => `${u.backend} (${u.reason})`).join(', ')}`
      : '';
  return `${info.description}${passed}`;
}
