/**
 * Saved models (src/models/manifest.ts) without the file system: from a URL (a web page, a
 * CDN) or from the two files' contents already in memory.
 */
import { MODEL_FILES, type ModelManifest, modelFromFiles, parseModelFiles } from './manifest.js';
import { createModelFromManifest } from './registry.js';
import type { SkeletonModel } from './types.js';

/**
 * A model from the contents of its two files: `model.json` (parsed or as text) and
 * `weights.bin`. `where` names it in errors.
 */
export function loadModelFromBuffers(
  manifest: unknown,
  weights: ArrayBuffer,
  where = 'model',
): { model: SkeletonModel; manifest: ModelManifest } {
  const raw = typeof manifest === 'string' ? (JSON.parse(manifest) as unknown) : manifest;
  return modelFromFiles(parseModelFiles(raw, weights, where), createModelFromManifest, where);
}

/** A model saved by `skelact train` (or `skelact export`), fetched from `baseUrl` (the folder's URL). */
export async function loadModelFromUrl(
  baseUrl: string,
  fetcher: typeof fetch = fetch,
): Promise<{ model: SkeletonModel; manifest: ModelManifest }> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (name: string) => {
    const r = await fetcher(base + name);
    if (!r.ok) throw new Error(`model ${baseUrl}: ${name}: HTTP ${r.status}`);
    return r;
  };
  const raw = (await (await get(MODEL_FILES.manifest)).json()) as unknown;
  const weights = await (await get(MODEL_FILES.weights)).arrayBuffer();
  return loadModelFromBuffers(raw, weights, baseUrl);
}
