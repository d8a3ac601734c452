/** Running the Python/numpy reference scripts, when python3 with numpy is available. */
import { spawnSync } from 'node:child_process';

let available: boolean | undefined;

export function hasNumpy(): boolean {
  if (available === undefined) {
    const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
    available = r.status === 0;
  }
  return available;
}

export const NUMPY_SKIP_REASON =
  '[skipped: python3 with numpy is not installed; it is only an independent cross-check]';

/** Runs python3 with a script and arguments; throws with stderr on failure. */
export function runPython(args: string[], input?: string): string {
  const r = spawnSync('python3', args, { encoding: 'utf8', input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
