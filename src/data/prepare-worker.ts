/**
 * Worker-thread entry of `prepare`: reads one raw file into samples. Results go back with
 * their Float32Arrays transferred, not copied.
 */
import { readFileSync } from 'node:fs';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { getDataset } from './datasets/index.js';
import { SkeletonFormatError, type SkeletonSample } from './types.js';

export interface ReadTask {
  readonly dataset: string;
  /** Absolute path to read. */
  readonly file: string;
  /** How messages name the file (its path relative to --raw). */
  readonly displayName: string;
  readonly options: unknown;
}

export type ReadTaskResult =
  | {
      readonly ok: true;
      readonly samples: SkeletonSample[];
      readonly skipped: Array<{ file: string; reason: string }>;
      readonly failed: Array<{ file: string; reason: string }>;
      readonly bytes: number;
    }
  | { readonly ok: false; readonly reason: string; readonly formatError: boolean; readonly bytes: number };

/** Reads and converts one file; never throws (errors become a result). */
export function readTask(task: ReadTask): ReadTaskResult {
  let bytes = 0;
  try {
    const data = readFileSync(task.file);
    bytes = data.length;
    const result = getDataset(task.dataset).readFile(data, task.displayName, task.options);
    return { ok: true, samples: result.samples, skipped: result.skipped, failed: result.failed ?? [], bytes };
  } catch (e) {
    const err = e as Error;
    const formatError = err instanceof SkeletonFormatError;
    return { ok: false, reason: formatError ? err.message : `${task.displayName}: ${err.message}`, formatError, bytes };
  }
}

/**
 * Piscina calls the default export with a batch of files (fewer round trips between
 * threads than one file per task); the clip buffers are transferred back, not copied.
 */
export default function run(tasks: ReadTask[]): unknown {
  const results = tasks.map(readTask);
  // Several samples may view one buffer; each buffer can be transferred only once.
  const buffers = [...new Set(results.flatMap((r) => (r.ok ? r.samples.map((s) => s.clip.data.buffer) : [])))];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: results } as unknown as ArrayBuffer);
}
