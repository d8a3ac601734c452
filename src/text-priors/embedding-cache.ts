/**
 * Sentence embeddings computed once and kept on disk, keyed by a hash of (encoder id, text):
 * training, zero-shot evaluation and search never embed the same description twice, and a
 * changed description or another encoder simply misses the cache.
 *
 * One JSON file per encoder under `<package>/.skelact-cache/text-embeddings/` (or
 * SKELACT_TEXT_CACHE): `{format, encoder, dim, entries: {sha256: base64 float32}}`, rewritten
 * atomically (temporary file, then rename) when new texts are added. A corrupt file is
 * reported and rebuilt, never trusted.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/files.js';
import { packageRoot } from '../util/paths.js';
import type { SentenceEncoder } from './encoder.js';

const FORMAT = 'skelact-text-embeddings';

export function textCacheDir(): string {
  const env = process.env.SKELACT_TEXT_CACHE;
  return env && env.length > 0 ? env : join(packageRoot(), '.skelact-cache', 'text-embeddings');
}

export function textKey(encoderId: string, text: string): string {
  return createHash('sha256').update(encoderId).update('\0').update(text).digest('hex');
}

export interface EmbedReport {
  readonly texts: number;
  readonly computed: number;
  readonly file: string;
  /** Set when an unreadable cache file was replaced. */
  readonly warning?: string;
}

/**
 * Embeddings of `texts` (duplicates allowed), from the cache where present; the missing ones are
 * embedded in one pass and the cache file is updated.
 */
export async function embedCached(
  encoder: SentenceEncoder,
  texts: readonly string[],
  options: { dir?: string; onReport?: (r: EmbedReport) => void } = {},
): Promise<Float32Array[]> {
  const dir = options.dir ?? textCacheDir();
  const file = join(dir, `${encoder.id.replace(/[^A-Za-z0-9_.-]+/g, '_')}.json`);
  let entries: Record<string, string> = {};
  let warning: string | undefined;
  if (existsSync(file)) {
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as {
        format?: string;
        encoder?: string;
        dim?: number;
        entries?: Record<string, string>;
      };
      if (
        raw.format !== FORMAT ||
        raw.encoder !== encoder.id ||
        raw.dim !== encoder.dim ||
        typeof raw.entries !== 'object' ||
        raw.entries === null
      )
        throw new Error('not an embedding cache of this encoder');
      entries = raw.entries;
    } catch (e) {
      warning = `text embedding cache ${file} is unreadable (${(e as Error).message}); rebuilding it`;
      entries = {};
    }
  }
  const keys = texts.map((t) => textKey(encoder.id, t));
  const decode = (b64: string): Float32Array | undefined => {
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.byteLength !== encoder.dim * 4) return undefined;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  const out: Array<Float32Array | undefined> = keys.map((k) => (entries[k] ? decode(entries[k]) : undefined));
  const missing = [...new Set(texts.filter((_, i) => out[i] === undefined))];
  if (missing.length > 0) {
    const vectors = await encoder.embed(missing);
    const byText = new Map(missing.map((t, i) => [t, vectors[i]]));
    for (let i = 0; i < texts.length; i++) {
      if (out[i] !== undefined) continue;
      const v = byText.get(texts[i])!;
      out[i] = v;
      entries[keys[i]] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    }
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, JSON.stringify({ format: FORMAT, encoder: encoder.id, dim: encoder.dim, entries }));
  }
  options.onReport?.({ texts: texts.length, computed: missing.length, file, ...(warning ? { warning } : {}) });
  return out as Float32Array[];
}
