/**
 * Output places are checked before the work starts, so a long run never ends on EACCES with its
 * results lost: the check writes (and removes) a probe file where the output will go, which
 * also catches read-only file systems that permission bits do not show.
 */
import { closeSync, existsSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/** Why nothing can be written in folder `dir` (which exists), or undefined. */
function folderProblem(dir: string): string | undefined {
  const probe = join(dir, `.skelact-write-check-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    return undefined;
  } catch (e) {
    return `${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}

/**
 * Throws when `path` cannot be written as a `kind` (a file, or a folder that will hold files).
 * The message names the path (or `shown`, the output the user asked for), why, and `avoid`:
 * the option that writes elsewhere.
 */
export function checkWritable(path: string, kind: 'file' | 'folder', avoid: string, shown = path): void {
  const problem = writeProblem(path, kind);
  if (problem) throw new Error(`cannot write ${shown}: ${problem}; ${avoid}`);
}

/** Why `path` cannot be written as a `kind`, or undefined. */
export function writeProblem(path: string, kind: 'file' | 'folder'): string | undefined {
  const full = resolve(path);
  if (existsSync(full)) {
    const isDir = statSync(full).isDirectory();
    if (kind === 'folder') return isDir ? folderProblem(full) : `${path} is a file, not a folder`;
    if (isDir) return `${path} is a folder, not a file`;
    try {
      closeSync(openSync(full, 'r+'));
    } catch (e) {
      return `${path} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    // Files are replaced through a temporary file beside them, so the folder must be writable too.
    return folderProblem(dirname(full));
  }
  const base = nearestExisting(full);
  if (!statSync(base).isDirectory()) return `${base} is a file, not a folder`;
  return folderProblem(base);
}
