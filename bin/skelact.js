#!/usr/bin/env node
// skelact command line. The TypeScript sources are compiled to dist/ by `npm install`
// (the `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('skelact: the compiled CLI is missing (dist/src/cli/main.js). Run `npm run build` in the skelact folder.\n');
  process.exit(1);
}
const { run } = await import(entry.href);
await run();
