/**
 * The CLI loads only what the chosen command needs: `--help`, `--version` and the commands that
 * compute no tensors never import TensorFlow.js, the pose engines or mathjs. Checked by a module
 * resolution hook that records every package the process imports.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const HEAVY = [
  'bullmq',
  'ioredis',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  'mathjs',
  '@mediapipe/tasks-vision',
  '@tensorflow-models/pose-detection',
  'playwright-core',
  'vega',
];

/** Runs skelact with a resolve hook and returns the bare package specifiers it imported. */
function importedPackages(...args: string[]): { code: number | null; packages: Set<string>; stderr: string } {
  const dir = tempDir('skelact-lazy-');
  const log = join(dir, 'imports.txt');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (!specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:') && !specifier.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, specifier + '\\n');
  return next(specifier, context);
}\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], { encoding: 'utf8' });
  const packages = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
  return { code: r.status, packages, stderr: r.stderr };
}

for (const args of [
  ['--help'],
  ['--version'],
  ['prepare', '--help'],
  ['inspect', '--help'],
  ['synth', '--help'],
  ['lt', '--help'],
]) {
  test(`skelact ${args.join(' ')} loads no TensorFlow.js, pose engine or mathjs`, (t) => {
    const r = importedPackages(...args);
    t.is(r.code, 0, r.stderr);
    // yargs itself is require()d (its CommonJS build wraps --help well); its helpers are imported.
    t.true(r.packages.has('yargs/helpers'), 'the hook records imports');
    t.deepEqual(
      HEAVY.filter((p) => r.packages.has(p)),
      [],
    );
  });
}

test('the queue commands load the queue client but no TensorFlow.js or pose engine', (t) => {
  for (const args of [
    ['queue', '--help'],
    ['sweep', '--help'],
  ]) {
    const r = importedPackages(...args);
    t.is(r.code, 0, r.stderr);
    t.true(r.packages.has('bullmq'), args.join(' '));
    t.deepEqual(
      HEAVY.filter((p) => p !== 'bullmq' && p !== 'ioredis' && r.packages.has(p)),
      [],
      args.join(' '),
    );
  }
});

test('a command that computes with tensors does load TensorFlow.js (the hook sees it)', (t) => {
  const r = importedPackages('model-info', '--help');
  t.is(r.code, 0, r.stderr);
  t.true(r.packages.has('@tensorflow/tfjs'));
});
