#!/usr/bin/env node
/**
 * npm run build:browser — the browser bundles of src/browser/index.ts (and the ONNX engine's
 * src/browser/onnx.ts, skelact.onnx.js, loaded only by pages that choose it) with esbuild (ESM,
 * minified). Node built-ins that modules import for their Node-only functions (reading files)
 * are replaced by a stub that throws if called, so nothing Node-only runs in a page; the
 * build fails if a bundle still names a node: module. The stub exports exactly the names the
 * bundled modules import (esbuild fails on a missing one, so a new Node import in a
 * browser-reachable module is noticed here, and a name nobody imports any more is removed).
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'browser');
mkdirSync(out, { recursive: true });

const NODE_BUILTINS =
  /^(node:)?(fs|path|url|os|module|crypto|child_process|worker_threads|perf_hooks|util|stream|http|net|zlib|buffer)$/;
const stubNode = {
  name: 'stub-node-builtins',
  setup(b) {
    b.onResolve({ filter: NODE_BUILTINS }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
      contents: `const fail = () => { throw new Error('${args.path.replace('node:', 'Node module ')} is not available in a browser (a Node-only skelact function was called)'); };
export default new Proxy({}, { get: () => fail });
export const readFileSync = fail, writeFileSync = fail, existsSync = () => false, statSync = fail, readdirSync = fail, mkdirSync = fail, renameSync = fail, rmSync = fail;
export const basename = (p) => String(p).split('/').pop(), dirname = fail, join = (...p) => p.join('/');
export const fileURLToPath = fail;`,
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  plugins: [stubNode],
  logLevel: 'warning',
  legalComments: 'none',
};
const results = [];
const main = join(root, 'src/browser/index.ts');
// skelact.onnx.js: the ONNX engine's runner alone (onnxruntime-web is the page's), so the main bundles do not grow.
const onnx = join(root, 'src/browser/onnx.ts');
for (const [file, entry, external] of [
  ['skelact.browser.js', main, ['@tensorflow/tfjs', '@tensorflow/*']],
  ['skelact.browser.bundle.js', main, []],
  ['skelact.onnx.js', onnx, ['onnxruntime-web']],
]) {
  const outfile = join(out, file);
  await build({ ...common, entryPoints: [entry], outfile, external, metafile: false });
  const text = readFileSync(outfile, 'utf8');
  if (/(from|import|require)\s*\(?\s*["'`]node:/.test(text)) throw new Error(`${file} still imports a node: module`);
  results.push({ file: `dist/browser/${file}`, bytes: statSync(outfile).size });
}
writeFileSync(join(out, 'sizes.json'), `${JSON.stringify(results, null, 2)}\n`);
for (const r of results) process.stdout.write(`${r.file}: ${(r.bytes / 1024).toFixed(1)} KiB\n`);
