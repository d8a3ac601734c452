/**
 * `skelact prepare`: raw dataset files → a training-ready cache folder.
 *
 * Files are read in worker threads (one per core by default) and written in file-name
 * order, so the cache is the same whatever the number of workers. At most a few files
 * per worker are in flight, so memory does not grow with the size of the dataset. A bad
 * file is reported and skipped; the batch goes on.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join, relative, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { CacheError, cacheDamage, SkeletonCache } from './cache/reader.js';
import { CACHE_FILES, CACHE_FORMAT, CACHE_VERSION, type CacheManifest, type PrepareReport } from './cache/format.js';
import { CacheWriter, removeStaleCacheFolders } from './cache/writer.js';
import { writeFileAtomic } from '../core/files.js';
import { deriveLongTail, deriveZeroShotSplit } from './long-tail.js';
import {
  DERIVED_SPLITS_FILE,
  readDerivedSplits,
  saveDerivedSplit,
  type DerivedSplits,
} from './cache/derived-splits.js';
import { getDataset, type SourceFile } from './datasets/index.js';
import { type ReadTask, type ReadTaskResult, readTask } from './prepare-worker.js';
import { packageVersion } from '../util/version.js';
import { optionName } from '../core/errors.js';

export interface PrepareProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly samples: number;
  readonly failed: number;
}

/** The dataset, the raw folder, the cache folder and how to prepare the clips. */
export interface PrepareOptions {
  readonly dataset: string;
  /** Folder of raw files (searched recursively) or a single file. */
  readonly raw: string;
  readonly out: string;
  readonly benchmark?: string;
  /** Dataset-specific options (e.g. `{alignment: 'pyskl'}` for NTU). */
  readonly datasetOptions?: Readonly<Record<string, unknown>>;
  /** Worker threads; 0 reads in this thread. Default: one per core. */
  readonly workers?: number;
  /** Rebuild even when the cache is up to date. */
  readonly force?: boolean;
  /** Called as files are done. */
  readonly onProgress?: (progress: PrepareProgress) => void;
  /** Called once the file list is known (before reading starts). */
  readonly onStart?: (info: { files: number; bytes: number; skipped: number }) => void;
  readonly signal?: AbortSignal;
}

/** The cache's manifest, what was skipped or failed, and the time taken. */
export interface PrepareResult {
  readonly manifest: CacheManifest;
  readonly report: PrepareReport;
  /** True when an existing cache matched the inputs and nothing was rewritten. */
  readonly upToDate: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  /** What a rebuild did with the benchmarks derived from the old cache (absent when up to date). */
  readonly derived?: DerivedCarry;
}

export interface DerivedCarry {
  /** Carried over unchanged (the rebuilt cache holds the same samples). */
  readonly kept: string[];
  /** Derived again from their recorded recipe (the samples changed). */
  readonly rebuilt: string[];
  /** Could not be derived again from the new samples. */
  readonly dropped: Array<{ name: string; reason: string }>;
}

/** Every file under `root` with one of the extensions, sorted by path. */
export function listFiles(root: string, extensions: readonly string[]): SourceFile[] {
  const st = statSync(root);
  if (st.isFile()) return [{ path: resolve(root), size: st.size, mtimeMs: st.mtimeMs }];
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && extensions.includes(extname(entry.name).toLowerCase())) {
        const s = statSync(path);
        out.push({ path: resolve(path), size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Reads an existing cache's manifest if `dir` holds one (a manifest.json of skelact's cache format). */
function existingManifest(dir: string): CacheManifest | undefined {
  const path = join(dir, CACHE_FILES.manifest);
  if (!existsSync(path)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as CacheManifest;
    return raw?.format === CACHE_FORMAT ? raw : undefined;
  } catch {
    return undefined;
  }
}

function readDerivedSplitsOrNone(dir: string): DerivedSplits {
  try {
    return readDerivedSplits(dir);
  } catch {
    return {}; // a damaged derived-splits.json is not carried over; the result says nothing was kept
  }
}

/**
 * Puts the derived benchmarks of the cache before a rebuild into the new one: unchanged when the
 * new cache holds the same samples (same fingerprint), derived again from their recorded
 * recipe otherwise; one that cannot be derived again is dropped with the reason.
 */
function carryDerivedSplits(dir: string, before: DerivedSplits, sameSamples: boolean): DerivedCarry {
  const result: DerivedCarry = { kept: [], rebuilt: [], dropped: [] };
  const names = Object.keys(before);
  if (names.length === 0) return result;
  if (sameSamples) {
    writeFileAtomic(join(dir, DERIVED_SPLITS_FILE), `${JSON.stringify(before)}\n`);
    return { ...result, kept: names };
  }
  const cache = SkeletonCache.open(dir);
  try {
    for (const name of names) {
      const { info } = before[name];
      try {
        const unseen = (info as { unseen?: unknown }).unseen;
        const split = Array.isArray(unseen)
          ? deriveZeroShotSplit(cache, { benchmark: info.source, unseen: unseen as string[], name })
          : deriveLongTail(cache, {
              benchmark: info.source,
              imbalance: info.imbalance,
              maxPerClass: info.maxPerClass,
              seed: info.seed,
              name,
            });
        saveDerivedSplit(dir, split);
        result.rebuilt.push(name);
      } catch (e) {
        result.dropped.push({ name, reason: (e as Error).message });
      }
    }
  } finally {
    cache.close();
  }
  return result;
}

/** Reads a raw dataset folder and writes a prepared cache (clips, labels, splits, a manifest), in worker threads. */
export async function prepare(options: PrepareOptions): Promise<PrepareResult> {
  const started = performance.now();
  const spec = getDataset(options.dataset);
  const raw = resolve(options.raw);
  const out = resolve(options.out);
  if (!existsSync(raw)) throw new Error(`${optionName('raw')} ${options.raw} does not exist`);
  if (options.benchmark !== undefined && !spec.benchmarks.includes(options.benchmark)) {
    throw new Error(
      `dataset '${spec.name}' has no benchmark '${options.benchmark}': expected one of ${spec.benchmarks.join(', ') || '(none)'}`,
    );
  }
  const datasetOptions = spec.parseOptions(options.datasetOptions ?? {}, raw);
  const all = listFiles(raw, spec.fileExtensions);
  if (all.length === 0) throw new Error(`no ${spec.fileExtensions.join('/')} files under ${raw}`);
  const { selected, skipped } = spec.selectFiles(all, options.benchmark, datasetOptions);
  const bytesTotal = selected.reduce((s, f) => s + f.size, 0);
  const relativeName = (p: string) => (statSync(raw).isFile() ? p.replace(/^.*[\\/]/, '') : relative(raw, p));

  const print = fingerprint({
    cacheVersion: CACHE_VERSION,
    dataset: spec.name,
    benchmark: options.benchmark ?? null,
    options: datasetOptions,
    files: selected.map((f) => [relativeName(f.path), f.size, Math.round(f.mtimeMs)]),
  });

  const existing = existingManifest(out);
  if (existsSync(out) && !existing && readdirSync(out).length > 0) {
    throw new CacheError(
      out,
      `exists and is not a skelact cache (no skelact manifest.json); choose another ${optionName('out')} or remove it`,
    );
  }
  // Leftovers of a killed prepare of this cache go first (never those of a live one).
  removeStaleCacheFolders(out);
  if (existing && existing.fingerprint === print && !options.force) {
    // Up to date only when every file is there with the size (and, for the small files, the SHA-256) the manifest records.
    const damage = cacheDamage(out, existing, { digests: true });
    if (damage)
      throw new CacheError(
        out,
        `matches the raw files but is damaged: ${damage}; rebuild it with ${optionName('force')}`,
      );
    return {
      manifest: existing,
      report: JSON.parse(readFileSync(join(out, CACHE_FILES.report), 'utf8')) as PrepareReport,
      upToDate: true,
      files: selected.length,
      bytes: bytesTotal,
      seconds: (performance.now() - started) / 1000,
    };
  }
  if (selected.length === 0)
    throw new Error(
      `none of the ${all.length} files under ${raw} belongs to ${options.benchmark ?? spec.name} (${skipped.length} skipped)`,
    );
  // Benchmarks derived from the old cache (skelact lt, zero-shot splits) are carried over the rebuild.
  const derivedBefore = existing ? readDerivedSplitsOrNone(out) : {};
  options.onStart?.({ files: selected.length, bytes: bytesTotal, skipped: skipped.length });

  const { layout, channels } = spec.layoutFor
    ? spec.layoutFor(datasetOptions)
    : { layout: spec.layout, channels: spec.channels };
  const writer = new CacheWriter(out, {
    dataset: spec.name,
    layout,
    channels,
    classNames: spec.classNames(selected, options.benchmark, datasetOptions),
    preprocessing: { ...spec.preprocessing(datasetOptions), benchmark: options.benchmark ?? null },
    fingerprint: print,
    source: raw,
    skelactVersion: packageVersion(),
  });
  const report: {
    skipped: Array<{ file: string; reason: string }>;
    failed: Array<{ file: string; reason: string }>;
    denoised: Array<{ name: string; notes: string[] }>;
  } = {
    skipped: skipped.map((s) => ({ file: relativeName(s.file), reason: s.reason })),
    failed: [],
    denoised: [],
  };
  const workers = options.workers ?? availableParallelism();
  const pool =
    workers > 0
      ? new Piscina({
          filename: new URL('./prepare-worker-entry.cjs', import.meta.url).href,
          minThreads: workers,
          maxThreads: workers,
          idleTimeout: 1000,
        })
      : undefined;
  let filesDone = 0;
  let bytesDone = 0;
  const consume = (file: SourceFile, result: ReadTaskResult) => {
    filesDone++;
    bytesDone += file.size;
    const rel = relativeName(file.path);
    if (!result.ok) {
      report.failed.push({ file: rel, reason: result.reason });
    } else {
      for (const s of result.skipped) report.skipped.push({ file: s.file, reason: s.reason }); // already display names
      // Records of the file that could not be read (the file's good records are kept): one entry each.
      for (const f of result.failed) report.failed.push({ file: rel, reason: f.reason });
      for (const sample of result.samples) {
        writer.add(sample, spec.splits(sample, datasetOptions), rel);
        if (sample.notes.length > 0) report.denoised.push({ name: sample.name, notes: [...sample.notes] });
      }
    }
    options.onProgress?.({
      filesDone,
      filesTotal: selected.length,
      bytesDone,
      bytesTotal,
      samples: writer.count,
      failed: report.failed.length,
    });
  };

  try {
    if (!pool) {
      for (const file of selected) {
        if (options.signal?.aborted) throw new Error('prepare was interrupted');
        consume(
          file,
          readTask({
            dataset: spec.name,
            file: file.path,
            displayName: relativeName(file.path),
            options: datasetOptions,
          }),
        );
      }
    } else {
      // Files go to the workers in batches (fewer thread round trips), and results are
      // consumed in file order with a bounded window of batches in flight, so memory stays flat.
      const batchSize = Math.max(1, Math.min(16, Math.ceil(selected.length / (workers * 8))));
      const batches: SourceFile[][] = [];
      for (let i = 0; i < selected.length; i += batchSize) batches.push(selected.slice(i, i + batchSize));
      const window = workers * 3;
      const pending = new Map<number, Promise<ReadTaskResult[]>>();
      let next = 0;
      const submit = () => {
        while (next < batches.length && pending.size < window) {
          const tasks: ReadTask[] = batches[next].map((f) => ({
            dataset: spec.name,
            file: f.path,
            displayName: relativeName(f.path),
            options: datasetOptions,
          }));
          pending.set(next, pool.run(tasks) as Promise<ReadTaskResult[]>);
          next++;
        }
      };
      submit();
      for (let b = 0; b < batches.length; b++) {
        if (options.signal?.aborted) throw new Error('prepare was interrupted');
        const results = await pending.get(b)!;
        pending.delete(b);
        submit();
        results.forEach((result, k) => consume(batches[b][k], result));
      }
    }
    if (writer.count === 0) {
      const first = report.failed[0]?.reason ?? 'no samples in the files';
      throw new Error(`no sample could be read from ${raw}: ${report.failed.length} file(s) failed; first: ${first}`);
    }
    const benchmarks = spec.benchmarksFor ? spec.benchmarksFor(selected, options.benchmark) : spec.benchmarks;
    const manifest = writer.commit(report, benchmarks);
    const derived = carryDerivedSplits(out, derivedBefore, existing?.fingerprint === manifest.fingerprint);
    return {
      manifest,
      report,
      upToDate: false,
      files: selected.length,
      bytes: bytesTotal,
      seconds: (performance.now() - started) / 1000,
      derived,
    };
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    await pool?.destroy();
  }
}
