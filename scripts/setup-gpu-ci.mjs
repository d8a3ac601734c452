#!/usr/bin/env node
/**
 * npm run setup:gpu-ci — a WebGPU adapter for CI on a machine without a GPU: Mesa's lavapipe
 * (Vulkan on the CPU), which Dawn accepts only from Mesa 23 on. Debian bookworm ships Mesa 22.3,
 * whose lavapipe Dawn refuses ("shaderUniform*ArrayDynamicIndexing required"), so this
 *   1. adds Debian's bookworm-backports suite (a sources file) where the system is bookworm and
 *      lacks it, and runs apt-get update;
 *   2. installs mesa-vulkan-drivers and libvulkan1 from bookworm-backports (Mesa 25) with
 *      apt-get, as root; otherwise it prints the commands;
 *   3. asks Dawn for an adapter and prints the engine line `--backend webgpu` gives.
 * It skips the install quickly where a Mesa ≥ 23 lavapipe is already there. Machines with a
 * GPU need none of this: their driver's Vulkan part is what Dawn uses.
 * Exit status: non-zero only when the packages are installed and Dawn still finds no adapter.
 * Usage: npm run setup:gpu-ci [-- --no-apt]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { has } from './debian-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const say = (m) => process.stdout.write(`${m}\n`);
const SOURCES = '/etc/apt/sources.list.d/skelact-bookworm-backports.sources';
const PACKAGES = ['mesa-vulkan-drivers', 'libvulkan1'];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** The installed version of a Debian package, or undefined. */
function installedVersion(name) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', name], { encoding: 'utf8' });
  const m = r.status === 0 ? /install ok installed (\S+)/.exec(r.stdout) : null;
  return m?.[1];
}

/** Mesa's major version from a Debian version such as "25.0.7-2~bpo12+1". */
const mesaMajor = (version) => Number(/^(?:\d+:)?(\d+)\./.exec(version ?? '')?.[1] ?? 0);

function codename() {
  try {
    return /^VERSION_CODENAME=(\S+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Whether some apt source already names bookworm-backports. */
function hasBackports() {
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync('/etc/apt/sources.list.d')
      ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f))
      : []),
  ];
  return files.some((f) => {
    try {
      return /bookworm-backports/.test(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
}

function install() {
  const mesa = installedVersion('mesa-vulkan-drivers');
  if (mesaMajor(mesa) >= 23 && installedVersion('libvulkan1')) {
    say(`Debian packages: mesa-vulkan-drivers ${mesa} (lavapipe, Mesa ≥ 23) and libvulkan1 are installed`);
    return true;
  }
  const command = `apt-get install -y --no-install-recommends -t bookworm-backports ${PACKAGES.join(' ')}`;
  const howTo = `add Debian's bookworm-backports suite to apt's sources, then: sudo apt-get update && sudo ${command}`;
  if (mesa) say(`mesa-vulkan-drivers ${mesa} is installed, but Dawn needs Mesa ≥ 23 for lavapipe`);
  if (args.includes('--no-apt')) {
    say(`Debian packages: skipped (--no-apt). To get lavapipe: ${howTo}`);
    return false;
  }
  if (!has('apt-get')) {
    say(
      'Debian packages: apt-get is not available on this system. Install Mesa ≥ 23 with its Vulkan drivers (lavapipe) with your package manager, or use a machine with a GPU and its Vulkan driver.',
    );
    return false;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    say(`Debian packages: this is not root; to get lavapipe, ${howTo}`);
    return false;
  }
  const release = codename();
  if (release !== 'bookworm') {
    // Other releases: their own Mesa (trixie has 25) may already be new enough.
    say(
      `Debian packages: this is ${release ?? 'not Debian'}, not bookworm; installing ${PACKAGES.join(' ')} from its own suites`,
    );
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], {
      stdio: 'inherit',
      env,
    });
    return r.status === 0;
  }
  if (!hasBackports()) {
    say(`apt: adding Debian's bookworm-backports suite (${SOURCES})`);
    writeFileSync(
      SOURCES,
      [
        'Types: deb',
        'URIs: http://deb.debian.org/debian',
        'Suites: bookworm-backports',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
      ].join('\n'),
    );
  }
  say('apt: apt-get update');
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  say(`Debian packages: installing ${PACKAGES.join(', ')} from bookworm-backports (${command})`);
  const r = spawnSync('apt-get', command.split(' ').slice(1), { stdio: 'inherit', env });
  if (r.status !== 0) {
    say(`Debian packages: apt-get could not install them (exit ${r.status}); by hand: ${howTo}`);
    return false;
  }
  return true;
}

const packagesOk = install();
const backendJs = join(root, 'dist', 'src', 'engine', 'backend.js');
if (!existsSync(backendJs)) {
  say("setup:gpu-ci: run 'npm run build' to compile skelact, then 'npm run setup:gpu-ci' again to check the adapter");
  process.exit(0);
}
const check = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const b = await import(${JSON.stringify(backendJs)}); const i = await b.initBackend('webgpu'); console.log('engine: ' + b.describeBackend(i));`,
  ],
  { encoding: 'utf8' },
);
if (check.status === 0) {
  process.stdout.write(check.stdout);
  process.exit(0);
}
const why = /Error: (.*)/.exec(check.stderr)?.[1] ?? check.stderr.trim();
say(`setup:gpu-ci: --backend webgpu does not start here: ${why}`);
say('The WebGPU tests skip with this reason; skelact runs on wasm.');
process.exit(packagesOk ? 1 : 0);
