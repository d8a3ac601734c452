/**
 * Temporary folders for tests, removed when the test process ends (ava runs each test file in
 * its own process), so a test run leaves nothing behind in the system's temp folder. Set
 * SKELACT_KEEP_TEST_FILES=1 to keep them for a look after a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

process.on('exit', () => {
  if (process.env.SKELACT_KEEP_TEST_FILES) return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the temp folder, named `<prefix>XXXXXX`, removed at process exit. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
