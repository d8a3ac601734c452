/** Locating installed npm packages (Node only). */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The folder of an installed npm package (the one holding its package.json), as this module
 * resolves it. Throws when the package is not installed.
 */
export function installedPackageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // Packages whose exports hide package.json: walk up from the main file.
    let dir = dirname(require.resolve(name));
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    return dir;
  }
}
