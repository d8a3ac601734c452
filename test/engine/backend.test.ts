import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { describeBackend, initBackend } from '../../src/engine/backend.js';

const require = createRequire(import.meta.url);
const installed = (name: string) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};

test.serial('wasm can be chosen explicitly and computes like the cpu reference', async (t) => {
  const info = await initBackend('wasm');
  t.is(info.backend, 'wasm');
  t.is(tf.getBackend(), 'wasm');
  t.regex(describeBackend(info), /^wasm \((SIMD|no SIMD), 1 thread\)/);
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([0.5, -1, 2, 0, 1, 1], [3, 2]);
  const wasm = await tf.matMul(a, b).array();
  await initBackend('cpu');
  t.is(tf.getBackend(), 'cpu');
  const cpu = await tf
    .matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([0.5, -1, 2, 0, 1, 1], [3, 2]))
    .array();
  t.deepEqual(wasm, cpu);
  t.deepEqual(cpu, [
    [7.5, 2],
    [18, 2],
  ]);
});

test.serial('an explicit backend that is not installed fails with the reason and what to do', async (t) => {
  if (installed('@tensorflow/tfjs-node')) {
    t.pass('tfjs-node is installed here; nothing to check');
    return;
  }
  const err = await t.throwsAsync(initBackend('tensorflow'));
  t.regex(
    err!.message,
    /backend 'tensorflow' is not available \(tensorflow: not installed\).*npm install @tensorflow\/tfjs-node@4\.22\.0.*option `backend` wasm/,
  );
});

test.serial('auto picks the first backend that loads and says why the others were passed over', async (t) => {
  const info = await initBackend('auto');
  if (info.backend === 'webgpu') {
    // A machine with a real GPU and a Vulkan driver: auto never takes a CPU adapter.
    t.false(info.adapter!.cpu, describeBackend(info));
  } else {
    const expected =
      installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node') ? 'tensorflow' : 'wasm';
    t.is(info.tfBackend, expected);
    if (expected === 'wasm') {
      t.deepEqual(
        info.unavailable.map((u) => u.backend),
        ['tensorflow-gpu', 'webgpu', 'tensorflow'],
      );
      // webgpu: not installed, no adapter, or only a CPU adapter (lavapipe), each said as such.
      t.regex(
        describeBackend(info),
        /passed over: tensorflow-gpu \(not installed\), webgpu \((not installed|the optional 'webgpu' package|Dawn found no WebGPU adapter|the only WebGPU adapter is a CPU one|no GPU device on this machine).*\), tensorflow \(not installed\)/,
      );
    }
  }
  await t.throwsAsync(initBackend('quantum' as never), {
    message: /option `backend` must be one of auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu/,
  });
});
