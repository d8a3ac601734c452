#!/usr/bin/env node
/**
 * node scripts/count-exports.mjs [--list] — how many names each public entry point of the
 * package exports (package.json "exports", read through its TypeScript source with the
 * compiler's own export resolution, so `export *` chains count what they really export).
 * Entry points without types (the browser bundles) are counted from their source entry.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const list = process.argv.includes('--list');

/** dist/src/x/index.d.ts or dist/browser/skelact.browser.js → src/x/index.ts */
function sourceOf(target) {
  const path = typeof target === 'string' ? target : (target.types ?? target.default);
  if (path.includes('skelact.browser')) return 'src/browser/index.ts';
  if (path.includes('skelact.onnx')) return 'src/browser/onnx.ts';
  return path.replace(/^\.\/dist\//, '').replace(/\.d\.ts$|\.js$/, '.ts');
}

const entries = Object.entries(pkg.exports)
  .filter(([name]) => name !== './package.json')
  .map(([name, target]) => ({
    name: name === '.' ? 'skelact' : `skelact/${name.slice(2)}`,
    file: join(root, sourceOf(target)),
  }));
const program = ts.createProgram(
  entries.map((e) => e.file),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
    allowJs: false,
  },
);
const checker = program.getTypeChecker();
let total = 0;
const rows = [];
for (const e of entries) {
  const source = program.getSourceFile(e.file);
  const symbol = source && checker.getSymbolAtLocation(source);
  const names = symbol
    ? checker
        .getExportsOfModule(symbol)
        .map((s) => s.getName())
        .sort()
    : [];
  total += names.length;
  rows.push({ entry: e.name, names: names.length });
  if (list) process.stdout.write(`${e.name} (${names.length}): ${names.join(', ')}\n`);
}
if (!list) for (const r of rows) process.stdout.write(`${r.entry.padEnd(24)} ${r.names}\n`);
process.stdout.write(`${'all entry points'.padEnd(24)} ${total}\n`);
