/** Locating files that ship with the package (datasets/, layouts) from compiled or source code. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root: the nearest ancestor folder of this module whose package.json is skelact's. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'skelact') return (root = dir);
      } catch {
        // not our package.json; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the skelact package root (no package.json named skelact above this module)');
    dir = parent;
  }
}

/** Absolute path of a file under the package's datasets/ folder. */
export function datasetsPath(...parts: string[]): string {
  return join(packageRoot(), 'datasets', ...parts);
}

/** Absolute path of a file under the package's configs/ folder (experiment configs). */
export function configsPath(...parts: string[]): string {
  return join(packageRoot(), 'configs', ...parts);
}
