#!/usr/bin/env node
/**
 * npm run setup:onnx-checker — Debian's python3-onnx (the official ONNX checker and shape
 * inference, for /usr/bin/python3), which the ONNX export tests use as an independent check of
 * the exported files besides ONNX Runtime. Installs it with apt-get when run as root; otherwise
 * prints the command. The tests skip that check, saying why, where it is missing.
 */
import { spawnSync } from 'node:child_process';
import { installDebianPackages } from './debian-packages.mjs';

const say = (m) => process.stdout.write(`${m}\n`);
const python = process.env.SKELACT_PYTHON ?? '/usr/bin/python3';
const installed = () => spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
if (installed()) {
  say(`ONNX checker: python3-onnx is installed (${python})`);
} else if (
  installDebianPackages(['python3-onnx'], {
    label: 'ONNX checker',
    withoutApt:
      'Install the onnx Python package for /usr/bin/python3 (or set SKELACT_PYTHON) to run the checker tests.',
  }) &&
  installed()
) {
  say('ONNX checker: python3-onnx installed');
}
