/**
 * Benchmark of `skelact prepare ntu` (npm run bench:prepare).
 *
 * Writes realistic synthetic NTU RGB+D `.skeleton` files (real NTU sizes: 1-body files
 * 150–250 KB, 2-body 320–375 KB; noise bodies in 25 % of files), then measures
 *   1. parse + denoise + normalise throughput on one core, in memory (no disk I/O);
 *   2. the whole prepare (read, process, write the cache) with 0, 1 and 2 worker threads,
 *      each in a fresh child process so its peak memory (max RSS) is its own;
 *   3. peak memory for a growing number of files (streaming: no clip is held in memory);
 *   4. peak memory of a prepare over NTU120's full file count (113,945 minimal files).
 *
 * Usage: node dist/bench/prepare.js [--files 1500] [--count 113945 (0 = skip)] [--dir /tmp/skelact-bench] [--json out.json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ntuSampleFromBytes } from '../src/data/ntu/sample.js';
import { prepare } from '../src/data/prepare.js';
import { syntheticClasses, writeSyntheticNtuDataset } from '../src/data/synthetic/index.js';
import { arg } from './args.js';

interface RunResult {
  readonly workers: number;
  readonly files: number;
  readonly megabytes: number;
  /** Wall time of the whole prepare, including starting the worker threads. */
  readonly seconds: number;
  /** Files per second from the first file done to the last (excludes start-up). */
  readonly steadyFilesPerSecond: number;
  readonly maxRssMiB: number;
  /** Main-thread heap still in use after a full GC once the cache is written (what the run retains). */
  readonly retainedHeapMiB: number;
}

/** Child-process mode: run one prepare and print its timing and peak memory. */
async function child(): Promise<void> {
  const raw = arg('raw', '');
  const out = arg('out', '');
  const workers = Number(arg('workers', '0'));
  let firstDone = 0;
  let lastDone = 0;
  const r = await prepare({
    dataset: 'ntu',
    raw,
    out,
    workers,
    force: true,
    onProgress: (p) => {
      const now = performance.now();
      if (p.filesDone === 1) firstDone = now;
      lastDone = now;
    },
  });
  const result: RunResult = {
    workers,
    files: r.files,
    megabytes: r.bytes / 1e6,
    seconds: r.seconds,
    steadyFilesPerSecond: (r.files - 1) / Math.max(1e-9, (lastDone - firstDone) / 1000),
    // maxRSS covers the main thread and its worker threads (one process).
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    retainedHeapMiB: retainedHeap(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Heap in use after a forced full GC (the child runs with --expose-gc). */
function retainedHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function runChild(raw: string, out: string, workers: number): RunResult {
  const self = fileURLToPath(import.meta.url);
  const text = execFileSync(
    process.execPath,
    ['--expose-gc', self, '--child', '--raw', raw, '--out', out, '--workers', String(workers)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  return JSON.parse(text.trim().split('\n').pop()!) as RunResult;
}

/** Generates `files` realistic files into dir (reused when already there). */
async function ensureFiles(dir: string, files: number, seed: number): Promise<void> {
  const marker = join(dir, `.complete-${files}-${seed}`);
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  const perClass = Math.ceil(files / syntheticClasses().length);
  const written = await writeSyntheticNtuDataset(dir, { seed, samplesPerClass: perClass, realisticSize: true });
  // Keep exactly `files` files (the generator works in whole rounds of classes).
  for (const f of written.slice(files)) rmSync(f.path);
  writeFileSync(marker, '');
}

function subset(src: string, dst: string, count: number): void {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  const names = readdirSync(src)
    .filter((n) => n.endsWith('.skeleton'))
    .sort()
    .slice(0, count);
  for (const n of names) writeFileSync(join(dst, n), readFileSync(join(src, n)));
}

/**
 * NTU120 has 113,945 usable files. Writing that many realistic files would take 23 GB, so the
 * count test writes that many minimal valid files (one body, one frame, real NTU names) to
 * show what the per-sample bookkeeping costs at full scale.
 */
function writeTinyNtuFiles(dir: string, count: number): void {
  const marker = join(dir, `.complete-tiny-${count}`);
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const joint = '0.1234567 0.2345678 3.456789 250.1 200.2 900.3 500.4 0.5 0.5 0.5 0.5 2';
  const text =
    ['1', '1', '72057594037931101 0 1 1 1 1 0 0.1 -0.2 2', '25', ...Array.from({ length: 25 }, () => joint)].join(
      '\r\n',
    ) + '\r\n';
  let n = 0;
  for (let setup = 1; setup <= 32 && n < count; setup++) {
    for (let performer = 1; performer <= 106 && n < count; performer++) {
      for (let action = 1; action <= 120 && n < count; action++) {
        for (let camera = 1; camera <= 3 && n < count; camera++) {
          const name = `S${String(setup).padStart(3, '0')}C${String(camera).padStart(3, '0')}P${String(performer).padStart(3, '0')}R001A${String(action).padStart(3, '0')}`;
          writeFileSync(join(dir, `${name}.skeleton`), text);
          n++;
        }
      }
    }
  }
  writeFileSync(marker, '');
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) return child();
  const files = Number(arg('files', '1500'));
  const base = arg('dir', join(tmpdir(), 'skelact-bench-prepare'));
  const raw = join(base, 'raw');
  mkdirSync(base, { recursive: true });
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.error(`generating ${files} realistic synthetic NTU files in ${raw} …`);
  await ensureFiles(raw, files, 2026);
  const names = readdirSync(raw)
    .filter((n) => n.endsWith('.skeleton'))
    .sort();
  const totalBytes = names.reduce((s, n) => s + statSync(join(raw, n)).size, 0);
  console.error(
    `${names.length} files, ${(totalBytes / 1e6).toFixed(0)} MB (${(totalBytes / names.length / 1e3).toFixed(0)} KB per file)`,
  );

  // 1. In-memory processing throughput on one core (no disk I/O in the timed part).
  const sampleFiles = names
    .slice(0, Math.min(300, names.length))
    .map((n) => ({ name: n, bytes: readFileSync(join(raw, n)) }));
  const sampleBytes = sampleFiles.reduce((s, f) => s + f.bytes.length, 0);
  for (const f of sampleFiles.slice(0, 20)) ntuSampleFromBytes(f.bytes, f.name, { alignment: 'ctrgcn' }); // warm up
  const rounds = 3;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++)
    for (const f of sampleFiles) ntuSampleFromBytes(f.bytes, f.name, { alignment: 'ctrgcn' });
  const coreSeconds = (performance.now() - t0) / 1000;
  const core = { files: (rounds * sampleFiles.length) / coreSeconds, mbps: (rounds * sampleBytes) / 1e6 / coreSeconds };
  console.error(
    `in-memory parse + denoise + centre, 1 core: ${core.mbps.toFixed(0)} MB/s, ${core.files.toFixed(0)} files/s`,
  );

  // 2. Whole prepare with 0, 1, 2 workers.
  const runs: RunResult[] = [];
  for (const workers of [0, 1, Math.max(2, availableParallelism())]) {
    const r = runChild(raw, join(base, `cache-w${workers}`), workers);
    runs.push(r);
    console.error(
      `prepare, ${workers} worker thread(s): ${(r.megabytes / r.seconds).toFixed(0)} MB/s, ${(r.files / r.seconds).toFixed(0)} files/s (steady ${r.steadyFilesPerSecond.toFixed(0)} files/s), peak RSS ${r.maxRssMiB.toFixed(0)} MiB`,
    );
  }

  // 3. Peak memory against the number of files.
  const scaling: RunResult[] = [];
  for (const share of [0.125, 0.25, 0.5, 1]) {
    const count = Math.max(1, Math.round(names.length * share));
    const dir = join(base, `subset-${count}`);
    if (count < names.length) subset(raw, dir, count);
    const r = runChild(count < names.length ? dir : raw, join(base, `cache-scale-${count}`), 2);
    scaling.push(r);
    console.error(
      `  ${count} files: peak RSS ${r.maxRssMiB.toFixed(0)} MiB, heap retained after GC ${r.retainedHeapMiB.toFixed(1)} MiB`,
    );
  }
  // 4. Full NTU120 file count with minimal files: the per-sample bookkeeping at scale.
  const countTest = Number(arg('count', '113945'));
  let count: RunResult | undefined;
  if (countTest > 0) {
    const dir = join(base, `tiny-${countTest}`);
    console.error(`writing ${countTest} minimal NTU files in ${dir} …`);
    writeTinyNtuFiles(dir, countTest);
    count = runChild(dir, join(base, 'cache-tiny'), Math.max(2, availableParallelism()));
    console.error(`  ${count.files} files: ${count.seconds.toFixed(0)} s, peak RSS ${count.maxRssMiB.toFixed(0)} MiB`);
  }

  const result = {
    date: new Date().toISOString(),
    cpu,
    cores: availableParallelism(),
    node: process.version,
    files: names.length,
    megabytes: totalBytes / 1e6,
    core,
    runs,
    scaling,
    count,
  };
  const jsonOut = arg('json', '');
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
  // Markdown for the README.
  console.log(
    `Machine: ${cpu}, ${availableParallelism()} cores, Node ${process.version}; ${names.length} synthetic NTU files, ${(totalBytes / 1e6).toFixed(0)} MB.\n`,
  );
  const perFileMB = totalBytes / 1e6 / names.length;
  console.log('| run | MB/s (wall) | files/s (wall) | MB/s (steady) | peak RSS (MiB) |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| parse + denoise + centre, in memory, 1 core | ${core.mbps.toFixed(0)} | ${core.files.toFixed(0)} | – | – |`,
  );
  for (const r of runs) {
    const label =
      r.workers === 0 ? 'prepare, main thread only' : `prepare, ${r.workers} worker thread${r.workers > 1 ? 's' : ''}`;
    console.log(
      `| ${label} | ${(r.megabytes / r.seconds).toFixed(0)} | ${(r.files / r.seconds).toFixed(0)} | ${(r.steadyFilesPerSecond * perFileMB).toFixed(0)} | ${r.maxRssMiB.toFixed(0)} |`,
    );
  }
  console.log(
    '\n"wall" includes start-up (worker threads, module loading); "steady" is the rate from the first file done to the last.',
  );
  console.log(
    `\nPeak RSS against the number of files (2 workers): ${scaling.map((x) => `${x.files} files ${x.maxRssMiB.toFixed(0)} MiB`).join(', ')}.`,
  );
  if (count) {
    console.log(
      `Full NTU120 file count (${count.files} minimal one-frame files with NTU names, 2 workers): ${count.seconds.toFixed(0)} s, ${(count.files / count.seconds).toFixed(0)} files/s, peak RSS ${count.maxRssMiB.toFixed(0)} MiB.`,
    );
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
