#!/usr/bin/env node
/**
 * npm run check:pack — the published package's `bin` works: packs skelact as `npm publish`
 * would (npm pack), installs the tarball into a new empty project from npm's local cache only
 * (--offline: the cache `npm ci` filled; nothing is downloaded), and runs `npx skelact --help`
 * and `npx skelact --version` there. Run it after `npm ci` (or `npm run build`): the tarball
 * takes the compiled dist/ as it is. Exits non-zero, with what failed, when any step fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const work = mkdtempSync(join(tmpdir(), 'skelact-pack-'));
const say = (m) => process.stdout.write(`${m}\n`);

function run(what, cmd, args, cwd) {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stderr.write(
      `check:pack: ${what} failed (exit ${r.status}, ${seconds} s): ${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}\n`,
    );
    process.exit(1);
  }
  say(`${what}: ok (${seconds} s)`);
  return r.stdout;
}

try {
  // --ignore-scripts: dist/ is already built; `prepare` would rebuild it.
  const packed = JSON.parse(
    run('npm pack', 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root),
  );
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  for (const needed of [
    'bin/skelact.js',
    'dist/src/cli/main.js',
    'dist/src/data/prepare-worker-entry.cjs',
    'LICENSE',
  ]) {
    if (!files.includes(needed)) {
      process.stderr.write(`check:pack: the tarball lacks ${needed}\n`);
      process.exit(1);
    }
  }
  say(`tarball: ${packed[0].filename}, ${files.length} files, ${(packed[0].size / 1e6).toFixed(1)} MB`);
  const project = join(work, 'project');
  run('new project', 'mkdir', ['-p', project]);
  // The new project depends on the tarball; its lockfile is skelact's own (the same versions,
  // with their resolved URLs and integrity), so `npm ci --offline` installs from the cache
  // alone: npm install would need the registry's metadata, which `npm ci` never cached.
  const dependency = `file:${tarball}`;
  const overrides = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).overrides;
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'skelact-pack-check', version: '1.0.0', private: true, dependencies: { skelact: dependency }, overrides }, null, 2)}\n`,
  );
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const own = lock.packages[''];
  const packages = { '': { name: 'skelact-pack-check', version: '1.0.0', dependencies: { skelact: dependency } } };
  // Optional dependencies (tfjs-node, the text encoders) are left out: --help needs none of them.
  packages['node_modules/skelact'] = {
    version,
    resolved: dependency,
    integrity: packed[0].integrity,
    license: own.license,
    dependencies: own.dependencies,
    optionalDependencies: own.optionalDependencies,
    bin: own.bin,
    engines: own.engines,
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  writeFileSync(
    join(project, 'package-lock.json'),
    `${JSON.stringify({ name: 'skelact-pack-check', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
  run(
    'npm ci --offline (the tarball and its dependencies)',
    'npm',
    ['ci', '--offline', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'],
    project,
  );
  const help = run('npx skelact --help', 'npx', ['--no-install', 'skelact', '--help'], project);
  if (!/skelact <command> \[options\]/.test(help) || !/^ {2}skelact extract /m.test(help)) {
    process.stderr.write(`check:pack: npx skelact --help printed something else:\n${help}\n`);
    process.exit(1);
  }
  const printed = run('npx skelact --version', 'npx', ['--no-install', 'skelact', '--version'], project).trim();
  if (printed !== version) {
    process.stderr.write(`check:pack: npx skelact --version printed '${printed}', expected ${version}\n`);
    process.exit(1);
  }
  say(`the packed package's bin works: npx skelact --help and --version (${version}) in a new project`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
