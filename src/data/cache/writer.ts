/**
 * Writes a cache folder atomically: everything goes into `<out>.partial-<pid>`, and only a
 * fully written folder (manifest last) is renamed to `<out>`. A killed run leaves at most a
 * `.partial-*` folder, which never looks like a cache and is removed by the next run.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { LayoutName } from '../../graph/layout.js';
import type { SkeletonSample } from '../types.js';
import {
  CACHE_DATA_FILES,
  CACHE_DIGESTED_FILES,
  CACHE_FILES,
  CACHE_FORMAT,
  manifestDigestOf,
  CACHE_VERSION,
  type CacheManifest,
  type CacheSplits,
  type PrepareReport,
  type SampleRecord,
  type SplitName,
} from './format.js';
import { NpyStreamWriter, writeNpy } from './npy.js';
import { checkReplaceable } from '../../util/replace.js';
import { optionName } from '../../core/errors.js';

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

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether `dir` holds a skelact cache (its manifest.json says so). */
export function isCacheFolder(dir: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(join(dir, CACHE_FILES.manifest), 'utf8')) as { format?: unknown }).format ===
      CACHE_FORMAT
    );
  } catch {
    return false;
  }
}

/** Whether a process with this id is running (signal 0 tests without sending anything). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/**
 * Removes leftovers of interrupted runs next to `outDir` (`<out>.partial-<pid>`,
 * `<out>.old-<pid>`) whose process is gone; one whose process still runs is another prepare
 * writing the same cache, and is an error rather than something to delete.
 */
export function removeStaleCacheFolders(outDir: string): string[] {
  const parent = dirname(outDir);
  if (!existsSync(parent)) return [];
  const base = basename(outDir);
  const removed: string[] = [];
  for (const entry of readdirSync(parent)) {
    const prefix = [`${base}.partial-`, `${base}.old-`].find((p) => entry.startsWith(p));
    if (!prefix) continue;
    const pid = Number.parseInt(entry.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
      if (pid === process.pid) continue;
      throw new Error(
        `${join(parent, entry)} is being written by another skelact process (pid ${pid}); wait for it to finish, or stop it`,
      );
    }
    rmSync(join(parent, entry), { recursive: true, force: true });
    removed.push(entry);
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
    if (sample.layout !== this.header.layout)
      throw new Error(`${source}: sample layout ${sample.layout} differs from the cache layout ${this.header.layout}`);
    if (clip.channels !== this.header.channels.length) {
      throw new Error(
        `${source}: sample has ${clip.channels} channels, the cache has ${this.header.channels.length} (${this.header.channels.join(',')})`,
      );
    }
    if (this.joints === -1) this.joints = clip.joints;
    else if (clip.joints !== this.joints)
      throw new Error(`${source}: sample has ${clip.joints} joints, the cache has ${this.joints}`);
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
      classNames = [
        ...new Set(
          this.records.map((r) => r.meta.labelName).filter((x): x is string => typeof x === 'string' && x.length > 0),
        ),
      ].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      const index = new Map(classNames.map((c, i) => [c, i]));
      this.records.forEach((r, i) => {
        const name = r.meta.labelName;
        const label = typeof name === 'string' ? (index.get(name) ?? -1) : -1;
        r.label = label;
        this.labels[i] = label;
      });
    } else classNames = [...this.header.classNames];
    writeFileSync(
      join(this.partialDir, CACHE_FILES.samples),
      this.records.map((r) => JSON.stringify(r)).join('\n') + (n > 0 ? '\n' : ''),
    );
    const dir = this.partialDir;
    const write = (name: string, dtype: '<i4' | '<i8', shape: number[], data: Int32Array | BigInt64Array) => {
      const fd = openSync(join(dir, name), 'w');
      try {
        writeNpy(fd, dtype, shape, data);
      } finally {
        closeSync(fd);
      }
    };
    write(
      CACHE_FILES.offsets,
      '<i8',
      [n + 1],
      BigInt64Array.from(this.offsets, (x) => BigInt(x)),
    );
    write(CACHE_FILES.shapes, '<i4', [n, 4], Int32Array.from(this.shapes));
    write(CACHE_FILES.labels, '<i4', [n], Int32Array.from(this.labels));
    // Keep exactly the benchmarks the dataset says these samples support (a subset of NTU120
    // files, say, must not pose as a complete NTU120 benchmark).
    const splits = Object.fromEntries(benchmarks.map((b) => [b, this.splits[b] ?? { train: [], test: [] }]));
    writeFileSync(join(dir, CACHE_FILES.splits), JSON.stringify(splits));
    writeFileSync(join(dir, CACHE_FILES.report), JSON.stringify(report, null, 1));
    const files = Object.fromEntries(CACHE_DATA_FILES.map((name) => [name, statSync(join(dir, name)).size]));
    const digests = Object.fromEntries(
      CACHE_DIGESTED_FILES.map((name) => [name, sha256(readFileSync(join(dir, name)))]),
    );
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
      files,
      digests,
    };
    manifest.manifestDigest = manifestDigestOf(manifest, (text) => sha256(Buffer.from(text, 'utf8')));
    writeFileSync(join(dir, CACHE_FILES.manifest), `${JSON.stringify(manifest, null, 1)}\n`);
    // Swap into place: an existing cache is moved aside first and removed after the rename.
    // Only a cache (or an empty folder) is ever replaced; anything else stays where it is.
    checkReplaceable(this.outDir, {
      kind: 'a skelact cache',
      isOwnKind: isCacheFolder,
      replace: true,
      howToAvoid: `choose another ${optionName('out')}`,
    });
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
