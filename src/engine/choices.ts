/**
 * The backend names a user can ask for. Kept apart from ./backend.ts so that the CLI can offer
 * them (`--backend`) without loading TensorFlow.js.
 */
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** A backend a user can ask for in Node (or auto). */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type ConcreteBackend = Exclude<BackendChoice, 'auto'>;

/** skelact's native (OpenBLAS) kernels under the wasm backend: where built, always, never. */
export const NATIVE_CHOICES = ['auto', 'on', 'off'] as const;
export type NativeChoice = (typeof NATIVE_CHOICES)[number];
