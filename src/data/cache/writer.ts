/**
 * Writes a cache folder atomically: everything goes into `<out>.partial-<pid>`, and only a
 * fully written folder (manifest last) is renamed to `<out>`. A killed run leaves at most a
 * `.partial-*` folder, which never looks like a cache and is removed by the next run.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { LayoutName } from '../../graph/layout.js';
import type { SkeletonSample } from '../types.js';
import { CACHE_FILES, CACHE_FORMAT, CACHE_VERSION, type CacheManifest, type CacheSplits, type PrepareReport, type SampleRecord, type SplitName } from './format.js';
import { NpyStreamWriter, writeNpy } from './npy.js';

export interface CacheHeader {
  readonly dataset: string;
  readonly layout: LayoutName;
  readonly channels: readonly string[];
  /** Class names in label order, or 'discover': collect them from each sample's `meta.labelName` (sorted). */
  readonly classNames: readonly string[] | 'discover';
  readonly preprocessing: Record<string, unknown>;
  readonly fingerprint: string;
  readonly source: string;
  readonly skelactVersion: string;
}

/** Removes leftovers of interrupted runs next to `outDir` (`<out>.partial-*`, `<out>.old-*`). */
export function removeStaleCacheFolders(outDir: string): string[] {
  const parent = dirname(outDir);
  if (!existsSync(parent)) return [];
  const base = basename(outDir);
  const removed: string[] = [];
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(`${base}.partial-`) || entry.startsWith(`${base}.old-`)) {
      rmSync(join(parent, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}

export class CacheWriter {
  readonly partialDir: string;
  private readonly clips: NpyStreamWriter;
  private readonly records: SampleRecord[] = [];
  private readonly offsets: number[] = [0];
  private readonly shapes: number[] = [];
  private readonly labels: number[] = [];
  private readonly splits: CacheSplits = {};
  private maxPersons = 0;
  private joints = -1;
  private closed = false;

  constructor(
    readonly outDir: string,
    private readonly header: CacheHeader,
  ) {
    mkdirSync(dirname(outDir), { recursive: true });
    this.partialDir = `${outDir}.partial-${process.pid}`;
    rmSync(this.partialDir, { recursive: true, force: true });
    mkdirSync(this.partialDir);
    this.clips = new NpyStreamWriter(join(this.partialDir, CACHE_FILES.clips));
  }

  get count(): number {
    return this.labels.length;
  }

  /** Appends one sample; `splits` says which split of each benchmark it is in. Returns its index. */
  add(sample: SkeletonSample, splits: Readonly<Record<string, SplitName | undefined>>, source: string): number {
    if (this.closed) throw new Error('cache writer is closed');
    const { clip } = sample;
    if (sample.layout !== this.header.layout) throw new Error(`${source}: sample layout ${sample.layout} differs from the cache layout ${this.header.layout}`);
    if (clip.channels !== this.header.channels.length) {
      throw new Error(`${source}: sample has ${clip.channels} channels, the cache has ${this.header.channels.length} (${this.header.channels.join(',')})`);
    }
    if (this.joints === -1) this.joints = clip.joints;
    else if (clip.joints !== this.joints) throw new Error(`${source}: sample has ${clip.joints} joints, the cache has ${this.joints}`);
    const { classNames } = this.header;
    let label = sample.label;
    let meta: Record<string, string | number> = { ...sample.meta };
    if (classNames === 'discover') {
      // Class names are collected from the samples and sorted at commit; a numeric label
      // without a name becomes the class "class N".
      if (typeof meta.labelName !== 'string' && label >= 0) meta = { ...meta, labelName: `class ${label}` };
      label = typeof meta.labelName === 'string' && meta.labelName.length > 0 ? 0 : -1; // resolved at commit
    } else if (label >= classNames.length) {
      throw new Error(`${source}: label ${label} is outside the ${classNames.length} classes of the cache`);
    }
    const index = this.labels.length;
    this.clips.append(clip.data);
    this.offsets.push(this.clips.length);
    this.shapes.push(clip.persons, clip.frames, clip.joints, clip.channels);
    this.labels.push(label);
    this.maxPersons = Math.max(this.maxPersons, clip.persons);
    for (const [benchmark, split] of Object.entries(splits)) {
      if (!split) continue;
      const entry = (this.splits[benchmark] ??= { train: [], test: [] });
      entry[split].push(index);
    }
    this.records.push({
      index,
      name: sample.name,
      label,
      persons: clip.persons,
      frames: clip.frames,
      source,
      meta,
    });
    return index;
  }

  /** Finishes every file, writes the manifest last and moves the folder into place. */
  commit(report: PrepareReport, benchmarks: readonly string[]): CacheManifest {
    if (this.closed) throw new Error('cache writer is closed');
    this.closed = true;
    this.clips.close();
    const n = this.labels.length;
    let classNames: string[];
    if (this.header.classNames === 'discover') {
      classNames = [...new Set(this.records.map((r) => r.meta.labelName).filter((x): x is string => typeof x === 'string' && x.length > 0))].sort((a, b) =>
        a.localeCompare(b, 'en', { numeric: true }),
      );
      const index = new Map(classNames.map((c, i) => [c, i]));
      this.records.forEach((r, i) => {
        const name = r.meta.labelName;
        const label = typeof name === 'string' ? (index.get(name) ?? -1) : -1;
        r.label = label;
        this.labels[i] = label;
      });
    } else classNames = [...this.header.classNames];
    writeFileSync(join(this.partialDir, CACHE_FILES.samples), this.records.map((r) => JSON.stringify(r)).join('\n') + (n > 0 ? '\n' : ''));
    const dir = this.partialDir;
    const write = (name: string, dtype: '<i4' | '<i8', shape: number[], data: Int32Array | BigInt64Array) => {
      const fd = openSync(join(dir, name), 'w');
      try {
        writeNpy(fd, dtype, shape, data);
      } finally {
        closeSync(fd);
      }
    };
    write(CACHE_FILES.offsets, '<i8', [n + 1], BigInt64Array.from(this.offsets, (x) => BigInt(x)));
    write(CACHE_FILES.shapes, '<i4', [n, 4], Int32Array.from(this.shapes));
    write(CACHE_FILES.labels, '<i4', [n], Int32Array.from(this.labels));
    // Keep exactly the benchmarks the dataset says these samples support (a subset of NTU120
    // files, say, must not pose as a complete NTU120 benchmark).
    const splits = Object.fromEntries(benchmarks.map((b) => [b, this.splits[b] ?? { train: [], test: [] }]));
    writeFileSync(join(dir, CACHE_FILES.splits), JSON.stringify(splits));
    writeFileSync(join(dir, CACHE_FILES.report), JSON.stringify(report, null, 1));
    const manifest: CacheManifest = {
      format: CACHE_FORMAT,
      version: CACHE_VERSION,
      dataset: this.header.dataset,
      layout: this.header.layout,
      channels: [...this.header.channels],
      classNames,
      samples: n,
      values: this.clips.length,
      maxPersons: this.maxPersons,
      benchmarks: [...benchmarks],
      preprocessing: this.header.preprocessing,
      fingerprint: this.header.fingerprint,
      source: this.header.source,
      createdAt: new Date().toISOString(),
      skelactVersion: this.header.skelactVersion,
    };
    writeFileSync(join(dir, CACHE_FILES.manifest), `${JSON.stringify(manifest, null, 1)}\n`);
    // Swap into place: an existing cache is moved aside first and removed after the rename.
    if (existsSync(this.outDir)) {
      const old = `${this.outDir}.old-${process.pid}`;
      renameSync(this.outDir, old);
      renameSync(dir, this.outDir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(dir, this.outDir);
    }
    return manifest;
  }

  /** Drops the partial folder (after an error or an interrupt). */
  abort(): void {
    if (!this.closed) {
      this.closed = true;
      try {
        this.clips.close();
      } catch {
        // already closed
      }
    }
    rmSync(this.partialDir, { recursive: true, force: true });
  }
}
