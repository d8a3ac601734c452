#!/usr/bin/env node
/**
 * Builds skelact's native kernels (native/: a Node-API addon calling OpenBLAS) with node-gyp.
 *
 *   node scripts/build-native.mjs            the `install` step of npm ci / npm install: never
 *                                            fails; without a compiler or OpenBLAS it prints one
 *                                            line and skelact runs on the stock wasm kernels
 *   node scripts/build-native.mjs --strict   exits non-zero when the build fails (setup:native)
 *
 * node-gyp is npm's own copy (npm_config_node_gyp under npm, else found beside npm) and builds
 * against the installed Node headers (npm_config_nodedir, else /usr where they exist): nothing
 * is downloaded. SKELACT_NATIVE_BUILD=0 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(root, 'native');
const strict = process.argv.includes('--strict');
const say = (m) => process.stdout.write(`skelact native kernels: ${m}\n`);

function skip(reason) {
  say(
    `not built (${reason}); skelact uses the stock wasm kernels. ${strict ? '' : "Run 'npm run setup:native' to install what the build needs and build them."}`.trim(),
  );
  process.exit(strict ? 1 : 0);
}

if (process.env.SKELACT_NATIVE_BUILD === '0') skip('SKELACT_NATIVE_BUILD=0');
if (process.platform !== 'linux' && process.platform !== 'darwin') skip(`no build recipe for ${process.platform}`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
if (!has('cc') && !has('gcc')) skip('no C compiler: install build-essential');
if (!has('make')) skip('no make: install build-essential');

const cblasHeader = [
  '/usr/include/cblas.h',
  '/usr/include/x86_64-linux-gnu/cblas.h',
  '/usr/include/aarch64-linux-gnu/cblas.h',
  '/usr/include/openblas/cblas.h',
].find((p) => existsSync(p));
if (!cblasHeader) skip('OpenBLAS headers not found: install libopenblas-dev');

function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    const npmCli = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
    candidates.push(join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // npm not on PATH: only the environment's candidate
  }
  candidates.push(
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  return candidates.find((p) => p && existsSync(p));
}

const gyp = nodeGyp();
if (!gyp) skip('node-gyp not found (it comes with npm; set npm_config_node_gyp to its bin/node-gyp.js)');
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
const env = { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) };
const args = [gyp, 'rebuild', '--directory', native, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
if (r.status !== 0) {
  rmSync(join(native, 'build'), { recursive: true, force: true }); // no half-built addon left behind
  const log = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const line =
    log
      .split('\n')
      .find((l) => /error|not found|cannot find|No such file/i.test(l))
      ?.trim() ?? `node-gyp exited with ${r.status}`;
  if (strict) process.stderr.write(log);
  skip(`build failed: ${line}`);
}
say(`built ${join('native', 'build', 'Release', 'skelact_native.node')} (OpenBLAS headers: ${cblasHeader})`);
