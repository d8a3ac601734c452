/**
 * Reads a cache folder written by CacheWriter. Clips are read on demand from `clips.npy`
 * with positioned reads, so opening even an NTU120 cache (several GB) costs only the small
 * index files.
 */
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SkeletonClip, makeClip } from '../../graph/clip.js';
import { readDerivedSplits, type DerivedSplits } from './derived-splits.js';
import { CACHE_FILES, CACHE_FORMAT, CACHE_VERSION, type CacheManifest, type CacheSplits, type PrepareReport, type SampleRecord, manifestSchema, sampleRecordSchema, type SplitName } from './format.js';
import { type NpyInfo, readFully, readNpy, readNpyInfo } from './npy.js';
import { SkelactError, parseWith } from '../../core/errors.js';

export class CacheError extends SkelactError {
  readonly code = 'invalid-cache';

  constructor(dir: string, message: string) {
    super(`cache ${dir}: ${message}`);
  }
}

export interface CachedSample {
  readonly index: number;
  readonly name: string;
  readonly label: number;
  readonly clip: SkeletonClip;
}

export class SkeletonCache {
  readonly manifest: CacheManifest;
  readonly labels: Int32Array;
  private readonly offsets: BigInt64Array;
  private readonly shapes: Int32Array;
  private readonly clipsFd: number;
  private readonly clipsInfo: NpyInfo;
  private records?: SampleRecord[];
  private splitTable?: CacheSplits;

  private constructor(readonly dir: string) {
    const manifestPath = join(dir, CACHE_FILES.manifest);
    if (!existsSync(manifestPath)) {
      const partial = existsSync(dir) ? 'it has no manifest.json (an interrupted prepare, or not a cache)' : 'it does not exist';
      throw new CacheError(dir, `not a skelact cache: ${partial}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
    } catch (e) {
      throw new CacheError(dir, `manifest.json is not valid JSON (${(e as Error).message})`);
    }
    if (typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === CACHE_FORMAT && (raw as { version?: unknown }).version !== CACHE_VERSION) {
      throw new CacheError(dir, `cache format version ${(raw as { version: unknown }).version} is not supported by this skelact (expects ${CACHE_VERSION}); prepare it again`);
    }
    const validated = parseWith(manifestSchema, raw, join(dir, 'manifest.json'), (field, detail) => new CacheError(dir, `manifest.json field '${field ?? '(root)'}': ${detail}`));
    this.manifest = validated;
    const n = this.manifest.samples;
    const load = (name: string) => {
      try {
        return readNpy(join(dir, name));
      } catch (e) {
        throw new CacheError(dir, (e as Error).message);
      }
    };
    const offsets = load(CACHE_FILES.offsets);
    const shapes = load(CACHE_FILES.shapes);
    const labels = load(CACHE_FILES.labels);
    if (!(offsets.data instanceof BigInt64Array) || offsets.data.length !== n + 1) throw new CacheError(dir, `offsets.npy must be int64 [${n + 1}]`);
    if (!(shapes.data instanceof Int32Array) || shapes.data.length !== n * 4) throw new CacheError(dir, `shapes.npy must be int32 [${n}, 4]`);
    if (!(labels.data instanceof Int32Array) || labels.data.length !== n) throw new CacheError(dir, `labels.npy must be int32 [${n}]`);
    this.offsets = offsets.data;
    this.shapes = shapes.data;
    this.labels = labels.data;
    this.clipsFd = openSync(join(dir, CACHE_FILES.clips), 'r');
    try {
      this.clipsInfo = readNpyInfo(this.clipsFd, join(dir, CACHE_FILES.clips));
    } catch (e) {
      closeSync(this.clipsFd);
      throw new CacheError(dir, (e as Error).message);
    }
    if (this.clipsInfo.dtype !== '<f4' || this.clipsInfo.shape.length !== 1 || this.clipsInfo.shape[0] !== this.manifest.values) {
      closeSync(this.clipsFd);
      throw new CacheError(dir, `clips.npy must be float32 [${this.manifest.values}]`);
    }
    if (Number(this.offsets[n]) !== this.manifest.values) {
      closeSync(this.clipsFd);
      throw new CacheError(dir, `offsets.npy ends at ${this.offsets[n]} but clips.npy holds ${this.manifest.values} values`);
    }
  }

  static open(dir: string): SkeletonCache {
    return new SkeletonCache(dir);
  }

  get size(): number {
    return this.manifest.samples;
  }

  /** (persons, frames, joints, channels) of sample i. */
  shape(i: number): [number, number, number, number] {
    this.check(i);
    const s = this.shapes;
    return [s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]];
  }

  /** Reads the clip of sample i. */
  read(i: number): CachedSample {
    const [M, T, V, C] = this.shape(i);
    const start = Number(this.offsets[i]);
    const count = Number(this.offsets[i + 1]) - start;
    if (count !== M * T * V * C) throw new CacheError(this.dir, `sample ${i}: offsets give ${count} values, shape ${M}×${T}×${V}×${C}`);
    const data = new Float32Array(count);
    readFully(this.clipsFd, new Uint8Array(data.buffer), this.clipsInfo.dataOffset + start * 4);
    return { index: i, name: this.sample(i).name, label: this.labels[i], clip: makeClip(data, M, T, V, C) };
  }

  /** The per-sample records of samples.jsonl (read on first use). */
  samples(): readonly SampleRecord[] {
    if (!this.records) {
      const lines = readFileSync(join(this.dir, CACHE_FILES.samples), 'utf8').split('\n').filter((l) => l.length > 0);
      if (lines.length !== this.size) throw new CacheError(this.dir, `samples.jsonl has ${lines.length} lines, expected ${this.size}`);
      this.records = lines.map((line, i) => {
        return parseWith(sampleRecordSchema, JSON.parse(line), join(this.dir, 'samples.jsonl'), (field, detail) => new CacheError(this.dir, `samples.jsonl line ${i + 1}: ${field ?? '(root)'}: ${detail}`));
      });
    }
    return this.records;
  }

  sample(i: number): SampleRecord {
    this.check(i);
    return this.samples()[i];
  }

  /** Split membership of every benchmark in the cache, the derived ones (`skelact lt`) included. */
  splits(): CacheSplits {
    if (!this.splitTable) {
      const table = JSON.parse(readFileSync(join(this.dir, CACHE_FILES.splits), 'utf8')) as CacheSplits;
      for (const [name, d] of Object.entries(readDerivedSplits(this.dir))) {
        if (table[name]) throw new CacheError(this.dir, `derived benchmark '${name}' has the name of a prepared one`);
        for (const i of [...d.train, ...d.test]) if (i >= this.size) throw new CacheError(this.dir, `derived benchmark '${name}' names sample ${i}; the cache has ${this.size} (derived for another version of this cache?)`);
        table[name] = { train: d.train, test: d.test };
      }
      this.splitTable = table;
    }
    return this.splitTable;
  }

  /** The training counts a derived benchmark was made with (undefined for a prepared benchmark). */
  derivedInfo(benchmark: string): DerivedSplits[string]['info'] | undefined {
    return readDerivedSplits(this.dir)[benchmark]?.info;
  }

  /** Sample indices of one split; throws naming the available benchmarks when unknown. */
  split(benchmark: string, split: SplitName): number[] {
    const table = this.splits();
    const entry = table[benchmark];
    if (!entry) throw new CacheError(this.dir, `has no benchmark '${benchmark}' (it has: ${Object.keys(table).join(', ') || 'none'})`);
    return entry[split];
  }

  report(): PrepareReport {
    return JSON.parse(readFileSync(join(this.dir, CACHE_FILES.report), 'utf8')) as PrepareReport;
  }

  close(): void {
    closeSync(this.clipsFd);
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`sample index ${i} is outside 0..${this.size - 1}`);
  }
}
