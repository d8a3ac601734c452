/**
 * TensorFlow.js's WebGPU backend in Node, through Dawn (the `webgpu` npm package, optional).
 *
 * The one place that sets Dawn up:
 *   1. `webgpu` loads dawn.node and gives `create()` (a GPU object) and `globals` (GPUBufferUsage,
 *      GPUMapMode, …), which tfjs-backend-webgpu reads from globalThis; `navigator.gpu` must
 *      exist before @tensorflow/tfjs-backend-webgpu is imported, or it registers nothing.
 *   2. skelact asks Dawn for the adapter itself (high-performance first), so that it can say
 *      which one it is and refuse a CPU adapter (Mesa's lavapipe/llvmpipe, SwiftShader) under
 *      `auto`: those are Vulkan drivers that run on the CPU, slower than wasm.
 *   3. The 'webgpu' backend is registered again with a factory that opens a device on that
 *      adapter and watches it: `device.lost` and uncaptured out-of-memory errors are recorded
 *      (webgpuFault) for the trainer, which stops on them with a message (src/train/trainer.ts).
 *
 * Dawn runs on Vulkan on Linux: a machine needs a Vulkan driver (NVIDIA's driver ships one;
 * Mesa's mesa-vulkan-drivers has lavapipe, which Dawn accepts from Mesa 23 on). No CUDA.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { SkelactError } from '../core/errors.js';
import { registerWebGpuKernels } from './webgpu-kernels.js';

/** What skelact says about a WebGPU adapter. */
export interface WebGpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  /** Dawn's description: the driver and its version ("llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)", "NVIDIA: 550.54"). */
  readonly driver: string;
  /** A Vulkan driver that computes on the CPU (lavapipe/llvmpipe, SwiftShader), or Dawn's fallback adapter. */
  readonly cpu: boolean;
}

/** A fault of the GPU device, recorded as it happens (Dawn reports both asynchronously). */
export interface WebGpuFault {
  /** validation: a kernel the device refused (its results are wrong), e.g. over a device limit. */
  readonly kind: 'device-lost' | 'out-of-memory' | 'validation';
  /** Dawn's words. */
  readonly message: string;
}

/** Lavapipe (Mesa's llvmpipe for Vulkan), SwiftShader: Vulkan on the CPU. */
const CPU_DRIVERS = /llvmpipe|lavapipe|swiftshader/i;

interface DawnGpu {
  requestAdapter(options?: {
    powerPreference?: 'high-performance' | 'low-power';
    forceFallbackAdapter?: boolean;
  }): Promise<DawnAdapter | null>;
}
interface DawnAdapter {
  readonly info: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter?: boolean;
  };
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  requestDevice(descriptor: {
    requiredFeatures: string[];
    requiredLimits: Record<string, number>;
  }): Promise<DawnDevice>;
}
interface DawnDevice {
  readonly lost: Promise<{ reason: string; message: string }>;
  addEventListener(
    type: 'uncapturederror',
    listener: (event: { error: { message: string; constructor: { name: string } } }) => void,
  ): void;
  destroy(): void;
}

let dawn: Promise<DawnGpu> | undefined;
let fault: WebGpuFault | undefined;
let openDevice: DawnDevice | undefined;

/** Loads dawn.node once and puts `navigator.gpu` and the WebGPU globals where tfjs looks for them. */
function loadDawn(): Promise<DawnGpu> {
  dawn ??= (async () => {
    let webgpu: { create(flags: string[]): DawnGpu; globals: Record<string, unknown> };
    try {
      webgpu = (await import('webgpu' as string)) as typeof webgpu;
    } catch (e) {
      dawn = undefined;
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        throw new Error(
          "the optional 'webgpu' package (Dawn) is not installed: npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0",
        );
      throw e;
    }
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    const g = globalThis as { navigator?: { gpu?: unknown } };
    // Node 21+ has a navigator of its own (without gpu); Node 20 has none.
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return gpu;
  })();
  return dawn;
}

export function summariseAdapter(adapter: DawnAdapter): WebGpuAdapterSummary {
  const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info;
  const cpu = isFallbackAdapter === true || architecture === 'software' || CPU_DRIVERS.test(`${device} ${description}`);
  return { vendor, architecture, device, driver: description, cpu };
}

/** "llvmpipe-llvm-15-0-6-256-bits-, driver llvmpipe: Mesa 25.0.7 …; a CPU adapter (…)". */
export function describeAdapter(a: WebGpuAdapterSummary): string {
  const name = a.device || [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}, driver ${a.driver || 'unknown'}${a.cpu ? '; a CPU adapter (Vulkan on the CPU: correctness only, slower than wasm)' : ''}`;
}

/**
 * The adapter Dawn offers (high-performance first), or why there is none. `allowCpu` false
 * (under `auto`) refuses lavapipe and the like with a reason.
 */
export async function findWebGpuAdapter(
  allowCpu: boolean,
): Promise<{ adapter: DawnAdapter; summary: WebGpuAdapterSummary }> {
  // Without a GPU device node Dawn can only offer a CPU adapter, which `auto` refuses anyway;
  // not loading Dawn then saves its start-up and the limit warnings it prints on lavapipe.
  if (!allowCpu && !linuxHasGpuDevice())
    throw new Error('no GPU device on this machine (no /dev/dri render node, /dev/nvidia0 or /dev/dxg)');
  const gpu = await loadDawn();
  const adapter =
    (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ??
    (allowCpu ? await gpu.requestAdapter({ forceFallbackAdapter: true }) : null);
  if (!adapter) {
    throw new Error(
      "Dawn found no WebGPU adapter: no Vulkan driver that Dawn accepts (a GPU needs its driver's Vulkan part, e.g. the NVIDIA driver; lavapipe on the CPU needs Mesa ≥ 23: 'npm run setup:gpu-ci')",
    );
  }
  const summary = summariseAdapter(adapter);
  if (summary.cpu && !allowCpu)
    throw new Error(
      `the only WebGPU adapter is a CPU one (${summary.device || summary.driver}); '--backend webgpu' runs on it anyway`,
    );
  return { adapter, summary };
}

/**
 * Whether a Linux machine shows a GPU to user space: a DRM render node (Mesa, AMD, Intel,
 * NVIDIA's open driver), NVIDIA's /dev/nvidia0, or WSL's /dev/dxg. Other systems: true (not checked).
 */
export function linuxHasGpuDevice(): boolean {
  if (process.platform !== 'linux') return true;
  if (existsSync('/dev/nvidia0') || existsSync('/dev/dxg')) return true;
  try {
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** Records the first fault of the device tfjs computes on: its loss, or an uncaptured error (out of memory, validation). */
function watch(device: DawnDevice): void {
  openDevice = device;
  void device.lost.then((info) => {
    // A device replaced by a later initialisation is not a fault of the running one.
    if (openDevice === device)
      fault ??= { kind: 'device-lost', message: `${info.reason}${info.message ? `: ${info.message}` : ''}` };
  });
  device.addEventListener('uncapturederror', (event) => {
    // Dawn also prints these; without a record the computation would go on with wrong values.
    const kind = event.error.constructor.name === 'GPUOutOfMemoryError' ? 'out-of-memory' : 'validation';
    fault ??= { kind, message: event.error.message.split('\n')[0] };
  });
}

/**
 * Registers the 'webgpu' backend on `adapter` (replacing tfjs-backend-webgpu's own factory,
 * which would pick its own adapter) and initialises it.
 */
export async function startWebGpuBackend(adapter: DawnAdapter): Promise<void> {
  const { WebGPUBackend } = (await import('@tensorflow/tfjs-backend-webgpu' as string)) as {
    WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend;
  };
  registerWebGpuKernels();
  const registry = tf.engine().registry as Record<string, unknown>;
  if (registry.webgpu && !fault) {
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
    return;
  }
  // tfjs-backend-webgpu's own factory (registered on import), or a backend whose device was lost.
  try {
    tf.removeBackend('webgpu');
  } catch {
    // Disposing a backend whose device is gone may fail; it is replaced all the same.
  }
  fault = undefined;
  tf.registerBackend(
    'webgpu',
    async () => {
      const limits = adapter.limits;
      // tfjs's shaders need the adapter's larger limits (the default device limits are the web's minimums).
      const requiredLimits: Record<string, number> = {};
      // maxStorageBuffersPerShaderStage: the kernels with many inputs (AddN, Concat) split by it.
      for (const name of [
        'maxComputeWorkgroupStorageSize',
        'maxComputeWorkgroupsPerDimension',
        'maxStorageBufferBindingSize',
        'maxBufferSize',
        'maxComputeWorkgroupSizeX',
        'maxComputeInvocationsPerWorkgroup',
        'maxStorageBuffersPerShaderStage',
      ])
        requiredLimits[name] = limits[name];
      const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
      const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
      watch(device);
      const backend = new WebGPUBackend(device, adapter.info) as tf.KernelBackend;
      // tfjs reads GPU data synchronously through a browser's OffscreenCanvas; Node has none.
      const readSync = backend.readSync.bind(backend);
      backend.readSync = (dataId: object) => {
        try {
          return readSync(dataId);
        } catch (e) {
          if (e instanceof ReferenceError && /OffscreenCanvas/.test(e.message)) {
            throw new Error(
              'the webgpu backend cannot read a tensor synchronously in Node (dataSync, arraySync, bufferSync): WebGPU reads are asynchronous; use await tensor.data() / array()',
            );
          }
          throw e;
        }
      };
      return backend;
    },
    0,
  );
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
}

/** The fault of the running WebGPU device, if one happened. */
export function webgpuFault(): WebGpuFault | undefined {
  return fault;
}

/** A fault of the GPU device while computing something other than training steps (the trainer says more: GpuFaultError). */
export class GpuDeviceError extends SkelactError {
  readonly code = 'gpu-fault';

  constructor(
    readonly fault: WebGpuFault,
    what: string,
  ) {
    const happened =
      fault.kind === 'device-lost'
        ? 'the GPU device was lost'
        : fault.kind === 'out-of-memory'
          ? 'the GPU ran out of memory (try a smaller batch size)'
          : 'the GPU device refused a call';
    super(`${what} stopped: ${happened} (${fault.message}); its results would be wrong`);
  }
}

/** Throws GpuDeviceError where the running backend is webgpu and its device reported a fault. */
export function throwOnWebGpuFault(what: string): void {
  if (fault && tf.getBackend() === 'webgpu') throw new GpuDeviceError(fault, what);
}

/** The device tfjs's 'webgpu' backend computes on (tests use it to lose the device on purpose). */
export function webgpuDevice(): DawnDevice | undefined {
  return openDevice;
}
