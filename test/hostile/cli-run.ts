/** Running the skelact CLI as a user would, for the hostile-input suite (cli-*.test.ts, pose-*.test.ts). */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

export const BIN = join(packageRoot(), 'bin', 'skelact.js');

export interface CliResult {
  /** Exit code; null when the process was killed (by a signal or the timeout). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `skelact ...args` to the end (at most `timeoutMs`). */
export function skelact(
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts `skelact ...args`, waits until its stderr matches `ready`, sends `signal`, and returns
 * how it ended. Rejects if it ends before `ready` or takes longer than `timeoutMs` in all.
 */
export function skelactSignalled(
  args: readonly string[],
  ready: RegExp,
  signal: NodeJS.Signals,
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!sent && ready.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (!sent) reject(new Error(`ended (code ${code}) before ${ready}; stderr: ${stderr}`));
      else resolve({ code, signal: sig, stdout, stderr });
    });
  });
}

export const tmp = (prefix = 'skelact-hostile-') => tempDir(prefix);

/** Characters a terminal would act on: C0/C1 controls but newline and tab, DEL, and U+FFFD (a raw invalid byte). */
// eslint-disable-next-line no-control-regex
export const RAW_BYTES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/;
