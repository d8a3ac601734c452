/**
 * Access to ../shared (real sample data and media beside the clone). A user's clone has no
 * ../shared, so tests that need it are registered as skipped with the reason in the title.
 */
import test, { type ImplementationFn } from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

export const SHARED_DIR = process.env.SKELACT_SHARED ?? join(packageRoot(), '..', 'shared');

/** Absolute path inside ../shared (it may not exist). */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/** Registers a test that needs the given ../shared path, or a skipped test that says why. */
export function testWithShared(title: string, needs: string, fn: ImplementationFn<[]>): void {
  const path = sharedPath(needs);
  if (existsSync(path)) test(title, fn);
  else test.skip(`${title} [skipped: ${path} is absent; it holds real data that is not part of the project]`, fn);
}
