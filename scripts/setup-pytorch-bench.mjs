#!/usr/bin/env node
/**
 * npm run setup:pytorch-bench — what `bench:model --pytorch` needs beyond Debian's python3-torch:
 * the OpenMP build of OpenBLAS, unpacked (not installed) into .skelact-cache/openblas-openmp with
 * `apt-get download libopenblas0-openmp` and `dpkg -x`. Debian's torch otherwise runs its
 * matrix products on the slow reference BLAS, and the pthread build of OpenBLAS (the one
 * libopenblas-dev brings) fights torch's OpenMP threads. bench/pytorch.ts finds it there.
 * Nothing is installed system-wide; apt-get download needs no root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.skelact-cache', 'openblas-openmp');
const say = (m) => process.stdout.write(`${m}\n`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;

const libDir = () => {
  const base = join(target, 'usr', 'lib');
  if (!existsSync(base)) return undefined;
  for (const arch of readdirSync(base)) {
    const dir = join(base, arch, 'openblas-openmp');
    if (existsSync(join(dir, 'libblas.so.3'))) return dir;
  }
  return undefined;
};

if (libDir()) {
  say(`OpenMP OpenBLAS already unpacked: ${libDir()}`);
  process.exit(0);
}
if (!has('apt-get') || !has('dpkg')) {
  say(
    'setup:pytorch-bench: needs apt-get and dpkg (Debian or Ubuntu). Elsewhere, point --pytorch-blas at a folder holding an OpenMP build of libblas.so.3.',
  );
  process.exit(1);
}
mkdirSync(target, { recursive: true });
let r = spawnSync('apt-get', ['download', 'libopenblas0-openmp'], { cwd: target, stdio: 'inherit' });
if (r.status !== 0) {
  say('apt-get download failed; if the package lists are empty, run apt-get update (as root) and try again');
  process.exit(1);
}
const deb = readdirSync(target).find((f) => f.startsWith('libopenblas0-openmp') && f.endsWith('.deb'));
r = spawnSync('dpkg', ['-x', join(target, deb), target], { stdio: 'inherit' });
if (r.status !== 0 || !libDir()) {
  say('dpkg -x did not unpack libblas.so.3');
  process.exit(1);
}
say(
  `OpenMP OpenBLAS unpacked: ${libDir()} (bench:model --pytorch puts it first on the PyTorch process's LD_LIBRARY_PATH)`,
);
