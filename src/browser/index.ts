/**
 * skelact in a web page: `skelact` (src/index.ts: saved models from a URL, the stream
 * classifier, repetition counting, layouts and the MediaPipe mapping) with TensorFlow.js's
 * page backends registered with the resolver. Built by
 * `npm run build:browser` into dist/browser/ (scripts/build-browser.mjs):
 *   skelact.browser.js          this module alone; @tensorflow/tfjs stays an import (for apps
 *                               that bundle TensorFlow.js themselves);
 *   skelact.browser.bundle.js   with TensorFlow.js and its WebGL, WebGPU and wasm backends.
 */
import * as tf from '@tensorflow/tfjs';
// The backends beyond tfjs's own WebGL and cpu: wasm (every browser) and WebGPU (where there is an adapter).
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { NoBackendError, registerBackend, resolveBackend } from '../engine/resolver.js';

// Everything of `skelact` (src/index.ts), plus TensorFlow.js and the page's backend choice.
export * from '../index.js';
export { tf };
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

// A page's candidates for the one resolver (src/engine/resolver.ts), fastest first.
for (const [name, priority, description] of [
  ['webgpu', 40, 'WebGPU'],
  ['webgl', 30, 'WebGL'],
  ['wasm', 20, 'wasm (XNNPACK)'],
  ['cpu', 10, 'cpu (pure JavaScript, slow)'],
] as const) {
  registerBackend({
    name,
    priority,
    async start() {
      if (!tf.engine().registryFactory[name]) throw new Error('not in this bundle');
      // No adapter, no WebGL2, …: setBackend says false or throws.
      if (!(await tf.setBackend(name))) throw new Error('did not start here');
      await tf.ready();
      return { tfBackend: name, description };
    },
  });
}

/** The first TensorFlow.js backend that starts, in order of speed: WebGPU, WebGL, wasm, cpu. */
export async function chooseBackend(order: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu']): Promise<string> {
  try {
    return (await resolveBackend(order)).name;
  } catch (e) {
    if (e instanceof NoBackendError)
      throw new Error(
        `none of the TensorFlow.js backends ${order.join(', ')} started (${e.unavailable.map((u) => `${u.backend}: ${u.reason}`).join('; ')})`,
      );
    throw e;
  }
}
