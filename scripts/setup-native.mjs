#!/usr/bin/env node
/**
 * npm run setup:native — what skelact's native kernels (native/, OpenBLAS under the wasm
 * backend) need beyond `npm ci`, then the build:
 *   1. Debian packages libopenblas-dev (OpenBLAS and its cblas.h) and build-essential (a C
 *      compiler and make), with apt-get when run as root; otherwise it prints the command.
 *   2. node scripts/build-native.mjs --strict (node-gyp from npm, Node's installed headers).
 *   3. A load of the built addon, printing the engine line it gives.
 * Exit status: non-zero only when everything the build needs is there and it still fails.
 * Usage: npm run setup:native [-- --no-apt]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { has, installDebianPackages } from './debian-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const say = (m) => process.stdout.write(`${m}\n`);
const cblas = () =>
  [
    '/usr/include/cblas.h',
    '/usr/include/x86_64-linux-gnu/cblas.h',
    '/usr/include/aarch64-linux-gnu/cblas.h',
    '/usr/include/openblas/cblas.h',
  ].some((p) => existsSync(p));

function debianPackages() {
  const missing = [];
  if (!cblas()) missing.push('libopenblas-dev');
  if (!has('cc') || !has('make') || !has('g++')) missing.push('build-essential');
  if (missing.length === 0) {
    say('Debian packages: libopenblas-dev and build-essential are installed');
    return true;
  }
  return installDebianPackages(missing, {
    args,
    withoutApt:
      "Install OpenBLAS with its headers (cblas.h) and a C compiler with make using your package manager, then run 'npm run setup:native' again.",
  });
}

const packagesOk = debianPackages();
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--strict'], {
  stdio: 'inherit',
});
if (build.status !== 0) {
  // Missing packages that could not be installed (no apt-get, not root): said above, and skelact
  // works on the stock kernels, so setup goes on (as setup:pose does). With every package
  // present, a failed build is a fault to fix: non-zero exit.
  say(
    `setup:native: the native kernels did not build${packagesOk ? '' : ' (the Debian packages above are missing)'}; skelact runs on the stock wasm kernels.`,
  );
  process.exit(packagesOk ? 1 : 0);
}
const backendJs = join(root, 'dist', 'src', 'engine', 'backend.js');
if (!existsSync(backendJs)) {
  say("setup:native: built; run 'npm run build' to compile skelact, then the engine line shows the native kernels");
  process.exit(0);
}
const check = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const b = await import(${JSON.stringify(backendJs)}); const i = await b.initBackend('wasm', { native: 'on' }); console.log('engine: ' + b.describeBackend(i));`,
  ],
  { stdio: 'inherit' },
);
process.exit(check.status ?? 1);
