/**
 * The native kernels as the engine chooses them: the engine line, `native` on/off/auto, the
 * fallbacks with a reason (no addon, a file that is not a loadable addon), and the threaded
 * wasm build. The addon is loaded once per process, so each case runs in a child process.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeOpenBlas, loadNativeAddon, type NativeAddon } from '../../src/engine/native.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const built = loadNativeAddon();

/** A batched, transposed product and its gradients (the shapes attention has), and the engine line. */
const script = (options: string, first?: string) => `
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend } from ${JSON.stringify(new URL('../../src/engine/backend.js', import.meta.url).href)};
let info;
try {
  ${first ? `await initBackend('wasm', ${first});` : ''}
  info = await initBackend('wasm', ${options});
} catch (e) {
  process.stdout.write(JSON.stringify({ error: e.message }));
  process.exit(0);
}
const r = (shape, seed) => tf.randomUniform(shape, -1, 1, 'float32', seed);
const q = r([6, 4, 37, 5], 1), k = r([6, 4, 37, 5], 2), w = r([6, 4, 5, 9], 3);
const f = (a, b, c) => tf.sum(tf.square(tf.matMul(tf.matMul(a, b, false, true), tf.matMul(b, c))));
const grads = tf.grads(f)([q, k, w]);
const conv = tf.conv2d(r([2, 11, 5, 3], 4), r([3, 1, 3, 7], 5), [2, 1], 'same');
// Large enough (M·N·K = 2^25) for OpenBLAS's threads; the products above run on one (native sgemm's cut-off).
const large = tf.sum(tf.matMul(r([512, 256], 6), r([256, 256], 7)), 0);
process.stdout.write(JSON.stringify({ description: describeBackend(info), native: info.native, values: [...grads, conv, large].map((t) => Array.from(t.dataSync())) }));
`;

interface Result {
  error?: string;
  description: string;
  native?: { active: boolean; description: string };
  values: number[][];
}

/** `first`: options of an earlier initBackend call in the same process (the wasm build's threads are fixed by the first). */
async function child(options: string, env: Record<string, string> = {}, first?: string): Promise<Result> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script(options, first)], {
    cwd: new URL('../../../', import.meta.url).pathname,
    env: { ...process.env, SKELACT_NATIVE: '', ...env },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
}

function maxRelativeDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((v, i) => {
    const scale = Math.max(1, ...b[i].map(Math.abs));
    v.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i][j]) / scale)));
  });
  return worst;
}

test('without an addon, or with a file that is not one, wasm runs the stock kernels and says why in one line', async (t) => {
  const dir = tempDir('skelact-native-');
  const junk = join(dir, 'skelact_native.node');
  writeFileSync(junk, 'this is not a shared object');
  const [missing, broken, forced] = await Promise.all([
    child('{}', { SKELACT_NATIVE_ADDON: join(dir, 'absent.node') }),
    child('{}', { SKELACT_NATIVE_ADDON: junk }),
    child("{ native: 'on' }", { SKELACT_NATIVE_ADDON: join(dir, 'absent.node') }),
  ]);
  t.regex(
    missing.description,
    /^wasm \(SIMD, 1 thread\); native kernels off: no addon at SKELACT_NATIVE_ADDON=.*absent\.node$/,
  );
  t.false(missing.native!.active);
  t.regex(
    broken.description,
    /^wasm \(SIMD, 1 thread\); native kernels off: the addon at .* did not load: .*(invalid ELF header|file too short)/,
  );
  t.notRegex(broken.description, /\n/);
  t.is(missing.values.length, 5);
  t.deepEqual(broken.values, missing.values);
  t.regex(forced.error ?? '', /option `native` on: the native kernels cannot run: no addon at SKELACT_NATIVE_ADDON/);
});

if (built.addon) {
  test('native on, off and auto: the engine line names OpenBLAS and its threads, and results agree with the stock kernels', async (t) => {
    const [auto, off, fromEnv, threaded, shared] = await Promise.all([
      child('{}'),
      child("{ native: 'off' }"),
      child('{}', { SKELACT_NATIVE: 'off' }),
      child("{ native: 'on', threads: 2 }"),
      child("{ native: 'on', threads: 2 }", {}, "{ native: 'off', threads: 2 }"),
    ]);
    t.regex(auto.description, /^wasm \(SIMD, 1 thread\) \+ native OpenBLAS [\d.]+ \([\w -]+, 1 thread\)$/);
    t.true(auto.native!.active);
    t.is(off.description, 'wasm (SIMD, 1 thread); native kernels off (option `native` off)');
    t.is(fromEnv.description, off.description);
    // Threads go to OpenBLAS alone: the wasm build stays single-threaded (one pool, not two).
    t.regex(threaded.description, /^wasm \(SIMD, 1 thread\) \+ native OpenBLAS [\d.]+ \([\w -]+, 2 threads\)$/);
    // A wasm build already threaded (native off first): its heap is a SharedArrayBuffer, and the zero-copy views work there too.
    t.regex(shared.description, /^wasm \(SIMD, 2 threads\) \+ native OpenBLAS [\d.]+ \([\w -]+, 2 threads\)$/);
    t.true(maxRelativeDiff(shared.values, auto.values) < 1e-5, 'threaded wasm build with native kernels vs 1 thread');
    const stockVsNative = maxRelativeDiff(auto.values, off.values);
    t.true(stockVsNative < 1e-5, `native vs stock: ${stockVsNative}`);
    const threads = maxRelativeDiff(threaded.values, auto.values);
    t.true(threads < 1e-5, `2 threads vs 1: ${threads}`);
  });
} else {
  test.skip(`native on, off and auto: engine line and agreement with the stock kernels [skipped: native kernels not available: ${built.reason}]`, () => {});
}

test('the engine line says when OPENBLAS_CORETYPE chose the kernels, and when that leaves AVX-512 unused', (t) => {
  const addon = (corename: string, avx512?: boolean) =>
    ({
      info: () => ({ config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH', corename, threads: 1, avx512 }),
    }) as unknown as NativeAddon;
  t.deepEqual(describeOpenBlas(addon('Cooperlake', true), {}), { version: 'OpenBLAS 0.3.21', core: 'Cooperlake' });
  t.is(describeOpenBlas(addon('Haswell', false), {}).core, 'Haswell');
  t.is(
    describeOpenBlas(addon('Haswell', true), { OPENBLAS_CORETYPE: 'Haswell' }).core,
    'Haswell by OPENBLAS_CORETYPE though the CPU has AVX-512',
  );
  t.is(
    describeOpenBlas(addon('SkylakeX', true), { OPENBLAS_CORETYPE: 'SkylakeX' }).core,
    'SkylakeX by OPENBLAS_CORETYPE',
  );
  t.is(
    describeOpenBlas(addon('Haswell', false), { OPENBLAS_CORETYPE: 'Haswell' }).core,
    'Haswell by OPENBLAS_CORETYPE',
  );
  // An addon built before the avx512 field: nothing claimed about the CPU.
  t.is(describeOpenBlas(addon('Haswell'), { OPENBLAS_CORETYPE: 'Haswell' }).core, 'Haswell by OPENBLAS_CORETYPE');
  if (built.addon) t.is(typeof built.addon.info().avx512, 'boolean', 'this build reports the CPU');
});

test('a bad SKELACT_NATIVE value is an error that names the variable', async (t) => {
  const r = await child('{}', { SKELACT_NATIVE: 'maybe' });
  t.regex(r.error ?? '', /native kernels: expected one of auto, on, off, got 'maybe' \(SKELACT_NATIVE\)/);
});
