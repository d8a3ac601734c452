/**
 * Multithreaded tfjs-backend-wasm in Node (opt-in).
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD binary but never loads it in Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false there), and it could not: Emscripten
 * starts its pthread workers from `blob:` URLs, which Node's worker_threads cannot load. While
 * the backend initialises, this:
 *   1. sets the flag and the thread count;
 *   2. substitutes a worker_threads.Worker subclass that starts the worker script from a file
 *      (the script tfjs would have put in a blob), points the worker's `load` message at the
 *      threaded module's own file, and keeps the workers unref'd so that they do not keep the
 *      process alive (no process.exit() needed);
 *   3. makes os.cpus() report enough cores: the backend caps its threads at half of them.
 * Everything patched is put back once the backend is up (Emscripten keeps its own reference
 * to the Worker subclass).
 *
 * XNNPACK then splits convolutions and untransposed 2D matMuls over the threads; batched
 * matMuls and elementwise kernels stay single-threaded.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

interface WasmPackage {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** The worker script tfjs would load from a blob, written once to a file in the temp folder. */
function workerScriptFile(wasmOut: string): string {
  const raw = (require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string })
    .wasmWorkerContents;
  const contents = raw.replace(/\n/g, '\\n'); // as tfjs does before making its blob: the newlines are inside string literals
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `skelact-tfjs-wasm-worker-${hash}.cjs`);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== contents) writeFileSync(file, contents);
  return file;
}

/**
 * Prepares the next initialisation of the wasm backend to run `threads` threads; returns the
 * function that undoes the patches (call it once setBackend('wasm') has resolved).
 */
export function prepareWasmThreads(threads: number): () => void {
  if (tf.engine().registry.wasm) {
    throw new Error(
      'the wasm backend is already initialised in this process; threads must be chosen before it first loads',
    );
  }
  const wasm = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const mainScript = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const workerFile = workerScriptFile(wasmOut);

  const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads') & { Worker: unknown };
  const os = require('node:os') as typeof import('node:os') & { cpus: unknown };
  const RealWorker = workerThreads.Worker as typeof import('node:worker_threads').Worker;
  const realCpus = os.cpus as typeof import('node:os').cpus;

  class FileWorker extends RealWorker {
    constructor(url: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      super(typeof url === 'string' && url.startsWith('blob:') ? workerFile : url, options);
      this.unref();
    }

    /**
     * Emscripten ref()s a worker while its pthread runs, and XNNPACK's pool threads run for
     * ever, so the process would never exit by itself. Every computation of the backend is
     * synchronous on the main thread (it blocks until the pool is done), so nothing is lost
     * when the process ends with the workers idle: keep them unref'd.
     */
    override ref(): void {}

    override postMessage(message: unknown, transfer?: readonly import('node:worker_threads').TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      const fixed =
        m && m.cmd === 'load' && typeof m.urlOrBlob !== 'string' ? { ...m, urlOrBlob: mainScript } : message;
      super.postMessage(fixed, transfer);
    }
  }

  workerThreads.Worker = FileWorker;
  os.cpus = () => {
    const cores = realCpus();
    while (cores.length < 2 * threads) cores.push(cores[0]);
    return cores;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  return () => {
    workerThreads.Worker = RealWorker;
    os.cpus = realCpus;
  };
}
