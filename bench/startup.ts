/**
 * npm run bench:startup — how long the CLI takes to start, against yargs alone.
 *
 *   node -e "import('yargs')"      the floor: Node plus the argument parser
 *   skelact --help / --version     must stay within 3× the floor (issue 16)
 *   skelact prepare (210 files)    wall time against the work time prepare itself reports
 *
 * Each is run --runs times (default 7), interleaved, and the median reported, so a busy
 * machine slows all of them alike. Results: bench/results/startup.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const runs = Number(arg('runs', '7'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(args: string[]): { ms: number; stdout: string } {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const work = mkdtempSync(join(tmpdir(), 'skelact-bench-startup-'));
try {
  const raw = join(work, 'raw');
  // 210 NTU files: 10 for each of the 21 synthetic actions.
  timed([BIN, 'synth', '--out', raw, '--samples-per-class', '10', '--quiet']);
  const samples: Record<string, number[]> = { yargs: [], help: [], version: [], prepareWall: [], prepareWork: [] };
  for (let i = 0; i < runs; i++) {
    samples.yargs.push(timed(['-e', "await import('yargs')"]).ms);
    samples.help.push(timed([BIN, '--help']).ms);
    samples.version.push(timed([BIN, '--version']).ms);
    const out = join(work, `cache-${i}`);
    const p = timed([BIN, 'prepare', 'ntu', '--raw', raw, '--out', out, '--json', '--quiet']);
    samples.prepareWall.push(p.ms);
    samples.prepareWork.push((JSON.parse(p.stdout) as { seconds: number }).seconds * 1000);
    rmSync(out, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof samples,
    number
  >;
  const rows = [
    ['node -e "import(\'yargs\')"', m.yargs, '1.00×', ''],
    ['skelact --help', m.help, `${(m.help / m.yargs).toFixed(2)}× yargs`, '≤ 3× yargs'],
    ['skelact --version', m.version, `${(m.version / m.yargs).toFixed(2)}× yargs`, '≤ 3× yargs'],
    [
      'skelact prepare ntu (210 files), wall',
      m.prepareWall,
      `${(m.prepareWall / m.prepareWork).toFixed(2)}× its work`,
      '≤ 1.5× its work',
    ],
    ["  of which prepare's own work time", m.prepareWork, '', ''],
  ] as const;
  process.stdout.write(`startup, median of ${runs} interleaved runs (ms)\n`);
  for (const [what, ms, ratio, target] of rows)
    process.stdout.write(`${what.padEnd(42)} ${ms.toFixed(0).padStart(6)}  ${ratio.padEnd(18)} ${target}\n`);
  mkdirSync(join(packageRoot(), 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(packageRoot(), 'bench', 'results', 'startup.json'),
    `${JSON.stringify({ date: new Date().toISOString(), runs, medianMs: m, samplesMs: samples }, null, 2)}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
