/**
 * Reads a cache folder written by CacheWriter. Clips are read on demand from `clips.npy`
 * with positioned reads, so opening even an NTU120 cache (several GB) costs only the small
 * index files.
 */
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import * as z from 'zod';
import { join } from 'node:path';
import { type SkeletonClip, makeClip } from '../../graph/clip.js';
import { DERIVED_SPLITS_FILE, readDerivedSplits, type DerivedSplits } from './derived-splits.js';
import {
  CACHE_DATA_FILES,
  CACHE_FILES,
  CACHE_FORMAT,
  manifestDigestOf,
  CACHE_VERSION,
  type CacheManifest,
  type CacheSplits,
  type PrepareReport,
  type SampleRecord,
  manifestSchema,
  sampleRecordSchema,
  type SplitName,
} from './format.js';
import { type NpyInfo, readFully, readNpy, readNpyInfo } from './npy.js';
import { sha256 } from './writer.js';
import { SkelactError, parseWith } from '../../core/errors.js';

export class CacheError extends SkelactError {
  readonly code = 'invalid-cache';

  constructor(dir: string, message: string) {
    super(`cache ${dir}: ${message}`);
  }
}

/** How to rebuild a damaged cache, from what its manifest records. */
export function rebuildHint(dir: string, manifest?: Pick<CacheManifest, 'dataset' | 'source'>): string {
  return manifest
    ? `rebuild it with: skelact prepare ${manifest.dataset} --raw ${manifest.source} --out ${dir} --force`
    : `rebuild it with skelact prepare … --out ${dir} --force`;
}

/**
 * What is wrong with the files of a cache, or undefined when every file exists with the size
 * its manifest records (for a cache written before sizes were recorded: when every file exists)
 * and, with `digests`, every small file has the recorded SHA-256.
 */
export function cacheDamage(
  dir: string,
  manifest: Pick<CacheManifest, 'files' | 'digests' | 'manifestDigest'>,
  options: { digests?: boolean } = {},
): string | undefined {
  const problems: string[] = [];
  if (
    options.digests &&
    manifest.manifestDigest !== undefined &&
    manifestDigestOf(manifest as Record<string, unknown>, (text) => sha256(Buffer.from(text, 'utf8'))) !==
      manifest.manifestDigest
  ) {
    problems.push('manifest.json was changed after prepare wrote it (its SHA-256 differs)');
  }
  for (const name of CACHE_DATA_FILES) {
    const path = join(dir, name);
    if (!existsSync(path)) {
      problems.push(`${name} is missing`);
      continue;
    }
    const expected = manifest.files?.[name];
    const size = statSync(path).size;
    if (expected !== undefined && size !== expected)
      problems.push(`${name} has ${size} bytes, the manifest records ${expected} (truncated or changed)`);
    else if (
      options.digests &&
      manifest.digests?.[name] !== undefined &&
      sha256(readFileSync(path)) !== manifest.digests[name]
    )
      problems.push(`${name} is not the file prepare wrote (its SHA-256 differs)`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

const indexList = z.array(z.number().int().min(0));
const splitsSchema = z.record(z.string(), z.object({ train: indexList, test: indexList }).strict());
const fileReason = z.object({ file: z.string(), reason: z.string() }).passthrough();
const reportSchema = z
  .object({
    skipped: z.array(fileReason),
    failed: z.array(fileReason),
    denoised: z.array(z.object({ name: z.string(), notes: z.array(z.string()) }).passthrough()),
  })
  .passthrough();

export interface CachedSample {
  readonly index: number;
  readonly name: string;
  readonly label: number;
  readonly clip: SkeletonClip;
}

/** A prepared cache, read-only: sample clips by index, labels, splits and the manifest. */
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
      const partial = existsSync(dir)
        ? 'it has no manifest.json (an interrupted prepare, or not a cache)'
        : 'it does not exist';
      throw new CacheError(dir, `not a skelact cache: ${partial}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
    } catch (e) {
      throw new CacheError(dir, `manifest.json is not valid JSON (${(e as Error).message})`);
    }
    if (
      typeof raw === 'object' &&
      raw !== null &&
      (raw as { format?: unknown }).format === CACHE_FORMAT &&
      (raw as { version?: unknown }).version !== CACHE_VERSION
    ) {
      throw new CacheError(
        dir,
        `cache format version ${(raw as { version: unknown }).version} is not supported by this skelact (expects ${CACHE_VERSION}); prepare it again`,
      );
    }
    this.manifest = parseWith(
      manifestSchema,
      raw,
      join(dir, 'manifest.json'),
      (field, detail) => new CacheError(dir, `manifest.json field '${field ?? '(root)'}': ${detail}`),
    );
    if (
      this.manifest.manifestDigest !== undefined &&
      manifestDigestOf(raw as Record<string, unknown>, (text) => sha256(Buffer.from(text, 'utf8'))) !==
        this.manifest.manifestDigest
    ) {
      throw new CacheError(
        dir,
        `is damaged: manifest.json was changed after prepare wrote it (its SHA-256 differs); ${rebuildHint(dir, this.manifest)}`,
      );
    }
    // Every file is checked before any is read, so damage is named once, with the fix.
    const damage = cacheDamage(dir, this.manifest);
    if (damage) throw new CacheError(dir, `is damaged: ${damage}; ${rebuildHint(dir, this.manifest)}`);
    const n = this.manifest.samples;
    const load = (name: string) => {
      this.checkDigest(name, readFileSync(join(dir, name)));
      try {
        return readNpy(join(dir, name));
      } catch (e) {
        throw new CacheError(dir, (e as Error).message);
      }
    };
    const offsets = load(CACHE_FILES.offsets);
    const shapes = load(CACHE_FILES.shapes);
    const labels = load(CACHE_FILES.labels);
    if (!(offsets.data instanceof BigInt64Array) || offsets.data.length !== n + 1)
      throw new CacheError(dir, `offsets.npy must be int64 [${n + 1}]`);
    if (!(shapes.data instanceof Int32Array) || shapes.data.length !== n * 4)
      throw new CacheError(dir, `shapes.npy must be int32 [${n}, 4]`);
    if (!(labels.data instanceof Int32Array) || labels.data.length !== n)
      throw new CacheError(dir, `labels.npy must be int32 [${n}]`);
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
    if (
      this.clipsInfo.dtype !== '<f4' ||
      this.clipsInfo.shape.length !== 1 ||
      this.clipsInfo.shape[0] !== this.manifest.values
    ) {
      closeSync(this.clipsFd);
      throw new CacheError(dir, `clips.npy must be float32 [${this.manifest.values}]`);
    }
    if (Number(this.offsets[n]) !== this.manifest.values) {
      closeSync(this.clipsFd);
      throw new CacheError(
        dir,
        `offsets.npy ends at ${this.offsets[n]} but clips.npy holds ${this.manifest.values} values`,
      );
    }
  }

  /** Opens the cache in `dir`, checking its manifest and files. */
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
    if (count !== M * T * V * C)
      throw new CacheError(this.dir, `sample ${i}: offsets give ${count} values, shape ${M}×${T}×${V}×${C}`);
    const data = new Float32Array(count);
    readFully(this.clipsFd, new Uint8Array(data.buffer), this.clipsInfo.dataOffset + start * 4);
    return { index: i, name: this.sample(i).name, label: this.labels[i], clip: makeClip(data, M, T, V, C) };
  }

  /** The per-sample records of samples.jsonl (read on first use). */
  samples(): readonly SampleRecord[] {
    if (!this.records) {
      const lines = this.readText(CACHE_FILES.samples)
        .split('\n')
        .filter((l) => l.length > 0);
      if (lines.length !== this.size)
        throw new CacheError(
          this.dir,
          `samples.jsonl has ${lines.length} lines, expected ${this.size}; ${rebuildHint(this.dir, this.manifest)}`,
        );
      this.records = lines.map((line, i) => {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (e) {
          throw new CacheError(
            this.dir,
            `samples.jsonl line ${i + 1} is not valid JSON (${(e as Error).message}); ${rebuildHint(this.dir, this.manifest)}`,
          );
        }
        return parseWith(
          sampleRecordSchema,
          value,
          join(this.dir, 'samples.jsonl'),
          (field, detail) =>
            new CacheError(
              this.dir,
              `samples.jsonl line ${i + 1}: ${field ?? '(root)'}: ${detail}; ${rebuildHint(this.dir, this.manifest)}`,
            ),
        );
      });
    }
    return this.records;
  }

  /** Sample `i`'s record: name, label, shape and where its data is. */
  sample(i: number): SampleRecord {
    this.check(i);
    return this.samples()[i];
  }

  /** Split membership of every benchmark in the cache, the derived ones (`skelact lt`) included. */
  splits(): CacheSplits {
    if (!this.splitTable) {
      const table = this.readJson(CACHE_FILES.splits, splitsSchema) as CacheSplits;
      for (const [benchmark, s] of Object.entries(table)) {
        for (const i of [...s.train, ...s.test])
          if (i >= this.size)
            throw new CacheError(
              this.dir,
              `splits.json: benchmark '${benchmark}' names sample ${i}; the cache has ${this.size}; ${rebuildHint(this.dir, this.manifest)}`,
            );
      }
      let derived: ReturnType<typeof readDerivedSplits>;
      try {
        derived = readDerivedSplits(this.dir);
      } catch (e) {
        throw new CacheError(
          this.dir,
          `${(e as Error).message}; remove ${DERIVED_SPLITS_FILE} and derive the benchmarks again (skelact lt)`,
        );
      }
      for (const [name, d] of Object.entries(derived)) {
        if (table[name]) throw new CacheError(this.dir, `derived benchmark '${name}' has the name of a prepared one`);
        for (const i of [...d.train, ...d.test])
          if (i >= this.size)
            throw new CacheError(
              this.dir,
              `derived benchmark '${name}' names sample ${i}; the cache has ${this.size} (derived for another version of this cache?)`,
            );
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
    if (!entry)
      throw new CacheError(
        this.dir,
        `has no benchmark '${benchmark}' (it has: ${Object.keys(table).join(', ') || 'none'})`,
      );
    return entry[split];
  }

  /** What preparation skipped, failed or denoised. */
  report(): PrepareReport {
    return this.readJson(CACHE_FILES.report, reportSchema) as PrepareReport;
  }

  /** A text file of the cache; a missing or unreadable one is a CacheError naming it and the fix. */
  private readText(name: string): string {
    try {
      const bytes = readFileSync(join(this.dir, name));
      this.checkDigest(name, bytes);
      return bytes.toString('utf8');
    } catch (e) {
      if (e instanceof CacheError) throw e;
      const reason =
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`;
      throw new CacheError(this.dir, `${name} ${reason}; ${rebuildHint(this.dir, this.manifest)}`);
    }
  }

  /** A file whose bytes differ from those the manifest's digest records (same size, other content) is damaged. */
  private checkDigest(name: string, bytes: Uint8Array): void {
    const expected = this.manifest.digests?.[name];
    if (expected !== undefined && sha256(bytes) !== expected)
      throw new CacheError(
        this.dir,
        `is damaged: ${name} is not the file prepare wrote (its SHA-256 differs); ${rebuildHint(this.dir, this.manifest)}`,
      );
  }

  /** A JSON file of the cache, validated; errors name the file, the field and the fix. */
  private readJson(name: string, schema: z.ZodType): unknown {
    let value: unknown;
    try {
      value = JSON.parse(this.readText(name));
    } catch (e) {
      if (e instanceof CacheError) throw e;
      throw new CacheError(
        this.dir,
        `${name} is not valid JSON (${(e as Error).message}); ${rebuildHint(this.dir, this.manifest)}`,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new CacheError(
        this.dir,
        `${name} field '${parsed.error.issues[0].path.join('.')}': ${parsed.error.issues[0].message}; ${rebuildHint(this.dir, this.manifest)}`,
      );
    return parsed.data;
  }

  /** Closes the cache's files. */
  close(): void {
    closeSync(this.clipsFd);
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size)
      throw new RangeError(`sample index ${i} is outside 0..${this.size - 1}`);
  }
}
