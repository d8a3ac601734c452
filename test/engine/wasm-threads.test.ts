/**
 * Multithreaded wasm (opt-in): the thread count is fixed when the backend first loads, so each
 * configuration runs in its own child process; their results must equal the 1-thread ones.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Computes a few XNNPACK-heavy things (the ops the threads split) and prints them as JSON. */
const script = (threadsOption: string) => `
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend } from ${JSON.stringify(new URL('../../src/engine/backend.js', import.meta.url).href)};
import * as ops from ${JSON.stringify(new URL('../../src/models/ops.js', import.meta.url).href)};
const info = await initBackend('wasm'${threadsOption});
const r = (shape, seed) => tf.randomUniform(shape, -1, 1, 'float32', seed);
const x = r([4, 24, 10, 16], 1), w = r([7, 16, 32], 2), b = r([32], 3), lw = r([32, 48], 4);
const f = (xi, wi, bi, li) => tf.sum(tf.square(ops.linear(ops.temporalConv(xi, wi, bi, { stride: 2 }), li)));
const grads = tf.grads(f)([x, w, b, lw]);
const y = ops.temporalConv(x, w, b, { stride: 2 });
const out = { description: describeBackend(info), threads: info.threads, values: [y, ...grads].map((t) => Array.from(t.dataSync())) };
process.stdout.write(JSON.stringify(out));
`;

async function child(
  threadsOption: string,
  env: Record<string, string> = {},
): Promise<{ description: string; threads: number; values: number[][] }> {
  // No process.exit in the script: the child must also end on its own (the workers are unref'd).
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script(threadsOption)], {
    cwd: new URL('../../../', import.meta.url).pathname,
    // XNNPACK's threads are checked bit for bit, on the stock kernels: OpenBLAS's threads may
    // split a product differently (test/engine/native-backend.test.ts checks those to 1e-5).
    env: { ...process.env, SKELACT_NATIVE: 'off', ...env },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
}

test('2 wasm threads (option or SKELACT_WASM_THREADS) give exactly the 1-thread results, and the process exits by itself', async (t) => {
  const [one, two, fromEnv] = await Promise.all([
    child(''),
    child(', { threads: 2 }'),
    child('', { SKELACT_WASM_THREADS: '2' }),
  ]);
  t.is(one.threads, 1);
  t.regex(one.description, /^wasm \(SIMD, 1 thread\)/);
  t.is(two.threads, 2);
  t.regex(two.description, /^wasm \(SIMD, 2 threads\)/);
  t.is(fromEnv.threads, 2);
  t.is(two.values.length, one.values.length);
  one.values.forEach((v, i) => {
    t.is(two.values[i].length, v.length);
    t.deepEqual(two.values[i], v, `output ${i}`);
    t.deepEqual(fromEnv.values[i], v, `output ${i} (env)`);
  });
});

test('a bad thread count is refused with the reason', async (t) => {
  const err = await t.throwsAsync(child('', { SKELACT_WASM_THREADS: 'two' }));
  t.regex(String(err?.message), /wasm threads must be a positive integer, got SKELACT_WASM_THREADS=two/);
});
