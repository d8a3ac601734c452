#!/usr/bin/env node
/**
 * npm run setup:onnx-checker — Debian's python3-onnx (the official ONNX checker and shape
 * inference, for /usr/bin/python3), which the ONNX export tests use as an independent check of
 * the exported files besides ONNX Runtime. Installs it with apt-get when run as root; otherwise
 * prints the command. The tests skip that check, saying why, where it is missing.
 */
import { spawnSync } from 'node:child_process';

const say = (m) => process.stdout.write(`${m}\n`);
const python = process.env.SKELACT_PYTHON ?? '/usr/bin/python3';
const installed = () => spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
const command = ['install', '-y', '--no-install-recommends', 'python3-onnx'];

if (installed()) {
  say(`ONNX checker: python3-onnx is installed (${python})`);
} else if (spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) {
  say('ONNX checker: apt-get is not available here; install the onnx Python package for /usr/bin/python3 (or set SKELACT_PYTHON) to run the checker tests');
} else if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  say(`ONNX checker: not root, so install it with: sudo apt-get update && sudo apt-get ${command.join(' ')}`);
} else {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', command, { stdio: 'inherit', env });
  if (r.status !== 0) {
    say('apt-get install failed; updating the package lists and trying again');
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', command, { stdio: 'inherit', env });
  }
  say(r.status === 0 && installed() ? 'ONNX checker: python3-onnx installed' : `ONNX checker: apt-get could not install python3-onnx (exit ${r.status}); install it by hand: sudo apt-get ${command.join(' ')}`);
}
