/**
 * skelact: skeleton-based human action recognition for Node and the browser.
 * Stages: graph (layouts and everything derived from them) → data (datasets, cache,
 * sampling) → engine (TensorFlow.js backend selection).
 */
export * from './graph/index.js';
export * from './data/index.js';
export { initBackend, currentBackend, describeBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo } from './engine/backend.js';
