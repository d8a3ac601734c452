/**
 * The webgpu backend (Dawn; on CI Mesa's lavapipe) in training: skelact's kernel fixes against
 * the cpu backend, a few trainer steps giving the cpu backend's loss curve, and the faults the
 * trainer stops on (a lost device, GPU out of memory) with the last checkpoint kept.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { GpuDeviceError, webgpuDevice, webgpuFault } from '../../src/engine/webgpu.js';
import { isSkelactWebGpuKernel, webgpuKernelNames } from '../../src/engine/webgpu-kernels.js';
import { createModel, type ModelSection } from '../../src/models/registry.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { evaluate } from '../../src/train/evaluate.js';
import { GpuFaultError, train } from '../../src/train/trainer.js';
import { experiment, syntheticCache, tmp } from '../train/helpers.js';
import { assertWebGpuMatchesCpu, testOnWebGpu, useBackend } from '../helpers/webgpu.js';
import { randomTensor } from './backends.js';

testOnWebGpu(
  'AddN of more tensors than a shader stage has storage buffers equals the cpu backend (and the gradient of a tensor used 40 times)',
  async (t) => {
    t.deepEqual(webgpuKernelNames(), ['AddN']);
    t.true(isSkelactWebGpuKernel('AddN'));
    const limit = (webgpuDevice() as unknown as { limits: { maxStorageBuffersPerShaderStage: number } }).limits
      .maxStorageBuffersPerShaderStage;
    for (const n of [2, limit - 1, limit, 2 * limit + 3, 40]) {
      await assertWebGpuMatchesCpu(
        t,
        () => ({ sum: tf.addN(Array.from({ length: n }, (_, i) => randomTensor([3, 5], i))) }),
        1e-6,
        `${n} terms`,
      );
    }
    await assertWebGpuMatchesCpu(
      t,
      () => {
        const x = randomTensor([4, 6], 99);
        const g = tf.grad((v: tf.Tensor) =>
          tf.addN(Array.from({ length: 40 }, (_, i) => tf.sum(tf.mul(tf.sin(tf.mul(v, i + 1)), i)))),
        )(x);
        return { gradient: g };
      },
      1e-5,
      'gradient',
    );
    t.is(webgpuFault(), undefined, 'the device reported no error');
  },
);

testOnWebGpu('dataSync on a GPU tensor says that Node reads WebGPU asynchronously', (t) => {
  useBackend('webgpu');
  try {
    const y = tf.matMul(randomTensor([8, 8], 1), randomTensor([8, 8], 2));
    t.throws(() => y.dataSync(), { message: /cannot read a tensor synchronously in Node.*await tensor\.data\(\)/ });
    y.dispose();
  } finally {
    useBackend('cpu');
  }
});

test.serial('auto passes webgpu over for callers that read synchronously, saying why', async (t) => {
  const info = await initBackend('auto', { syncReads: true });
  t.not(info.backend, 'webgpu');
  t.deepEqual(
    info.unavailable.filter((u) => u.backend === 'webgpu'),
    [
      {
        backend: 'webgpu',
        reason: 'not tried: the caller reads tensors synchronously, which WebGPU cannot do in Node',
      },
    ],
  );
  await initBackend('cpu');
});

const cache = syntheticCache({ perClass: 6 });
const classes = cache.manifest.classNames.length;
const stgcn = { kind: 'stgcn', preset: 'tiny', blocks: [{ channels: 8 }, { channels: 8, stride: 2 }] } as ModelSection;
const config = experiment({ data: { frames: 8, minLength: 8 }, optim: { batchSize: 4, epochs: 2 } });
const makeModel = () => createModel(stgcn, { layout: 'ntu-25', classes, frames: 8, persons: 2 }, 11);

testOnWebGpu(
  'trainer steps on webgpu give the loss curve of the cpu backend; the tensor count stays flat',
  async (t) => {
    const curves: Record<string, number[]> = {};
    const counts: number[] = [];
    const backends = new Set<string>();
    for (const backend of ['webgpu', 'cpu'] as const) {
      await initBackend(backend);
      const model = makeModel();
      const losses: number[] = [];
      await train({
        config,
        model,
        data: cache,
        outDir: tmp(),
        epochs: 1,
        onProgress: (e) => {
          if (e.type !== 'step') return;
          losses.push(e.loss);
          backends.add(tf.getBackend());
          if (backend === 'webgpu') counts.push(tf.memory().numTensors);
        },
      });
      model.dispose();
      curves[backend] = losses;
    }
    await initBackend('cpu');
    t.deepEqual([...backends], ['webgpu', 'cpu'], 'the runs trained on the backends asked for');
    t.true(curves.cpu.length >= 3, `${curves.cpu.length} steps`);
    t.is(curves.webgpu.length, curves.cpu.length);
    const worst = Math.max(...curves.cpu.map((l, i) => Math.abs(l - curves.webgpu[i]) / Math.abs(l)));
    t.true(worst <= 1e-4, `losses ${curves.webgpu.join(', ')} on webgpu against ${curves.cpu.join(', ')} on cpu`);
    t.true(curves.cpu.at(-1)! !== curves.cpu[0], 'the loss moves');
    t.true(
      counts.every((c) => c === counts[0]),
      `tensor counts ${[...new Set(counts)].join(', ')}`,
    );
    t.log(
      `losses on webgpu ${curves.webgpu.join(' ')}; on cpu ${curves.cpu.join(' ')}; largest relative difference ${worst.toExponential(1)}`,
    );
  },
);

testOnWebGpu(
  'a device lost mid-training stops with a message, nothing is saved after it, and the last checkpoint is kept',
  async (t) => {
    await initBackend('webgpu');
    const model = makeModel();
    const dir = tmp();
    let lostAt = -1;
    const error = await t.throwsAsync(
      train({
        config,
        model,
        data: cache,
        outDir: dir,
        onProgress: (e) => {
          // The second step of epoch 2: epoch 1's checkpoint is on disk.
          if (e.type === 'step' && e.epoch === 1 && e.batch === 2 && lostAt < 0) {
            lostAt = e.step;
            webgpuDevice()!.destroy();
          }
        },
      }),
      { instanceOf: GpuFaultError },
    );
    t.true(lostAt > 0);
    t.regex(error!.message, new RegExp(`the GPU device was lost at epoch 2, step ${lostAt + 1} \\(destroyed`));
    t.regex(error!.message, /The last checkpoint \(epoch 1\) is kept: .*checkpoint; resume from it/);
    t.is((error as GpuFaultError).fault.kind, 'device-lost');
    t.is(readCheckpointState(join(dir, 'checkpoint')).epoch, 1);
    t.false(existsSync(join(dir, 'final')), 'no model is saved from the lost device');
    // A new initialisation opens a new device.
    await initBackend('webgpu');
    t.is(webgpuFault(), undefined);
    t.deepEqual(Array.from(await tf.add(tf.tensor1d([1, 2]), 1).data()), [2, 3]);
    await initBackend('cpu');
    model.dispose();
  },
);

testOnWebGpu('GPU out of memory during training names the batch size to try', async (t) => {
  await initBackend('webgpu');
  const model = makeModel();
  const error = await t.throwsAsync(
    train({
      config,
      model,
      data: cache,
      outDir: tmp(),
      onProgress: (e) => {
        // Dawn reports a failed allocation as an uncaptured GPUOutOfMemoryError event on the
        // device; one is dispatched there as the driver would (a real one needs a full GPU).
        if (e.type === 'step' && e.step === 1) {
          const g = globalThis as unknown as {
            GPUUncapturedErrorEvent: new (type: string, init: object) => Event;
            GPUOutOfMemoryError: new (message: string) => Error;
          };
          (webgpuDevice() as unknown as EventTarget).dispatchEvent(
            new g.GPUUncapturedErrorEvent('uncapturederror', {
              error: new g.GPUOutOfMemoryError('Allocation failed (test)'),
            }),
          );
        }
      },
    }),
    { instanceOf: GpuFaultError },
  );
  t.regex(
    error!.message,
    /the GPU ran out of memory at epoch 1, step 2 with 4 samples per pass \(Allocation failed \(test\)\)\. Try optim\.microBatch 2 .* or optim\.batchSize 2\. No checkpoint was written yet\./,
  );
  await initBackend('webgpu');
  t.is(webgpuFault(), undefined);
  await initBackend('cpu');
  model.dispose();
});

testOnWebGpu(
  'a call the device refuses (a Dawn validation error) is recorded and stops training: its results would be wrong',
  async (t) => {
    await initBackend('webgpu');
    const model = makeModel();
    const error = await t.throwsAsync(
      train({
        config,
        model,
        data: cache,
        outDir: tmp(),
        onProgress: (e) => {
          // A buffer with no usage is invalid: Dawn raises a real uncaptured validation error.
          if (e.type === 'step' && e.step === 1)
            (webgpuDevice() as unknown as { createBuffer(d: object): unknown }).createBuffer({ size: 4, usage: 0 });
        },
      }),
      { instanceOf: GpuFaultError },
    );
    t.is((error as GpuFaultError).fault.kind, 'validation');
    t.regex(
      error!.message,
      /the GPU device refused a call at epoch 1, step 2 \(.*usage.*\), so its results would be wrong; training stopped/i,
    );
    await initBackend('webgpu');
    t.is(webgpuFault(), undefined);
    await initBackend('cpu');
    model.dispose();
  },
);

testOnWebGpu(
  'evaluation (eval, predict) on webgpu gives the cpu scores, and stops with the reason when the device is lost',
  async (t) => {
    const indices = Array.from({ length: 8 }, (_, i) => i);
    const scores: Record<string, Float32Array> = {};
    for (const backend of ['webgpu', 'cpu'] as const) {
      await initBackend(backend);
      const model = makeModel();
      scores[backend] = (await evaluate({ model, cache, config, indices, batchSize: 4 })).scores;
      model.dispose();
    }
    const worst = Math.max(...scores.cpu.map((v, i) => Math.abs(v - scores.webgpu[i])));
    t.true(worst <= 1e-5, `probabilities differ by ${worst}`);
    await initBackend('webgpu');
    const model = makeModel();
    webgpuDevice()!.destroy();
    const error = await t.throwsAsync(evaluate({ model, cache, config, indices, batchSize: 4 }), {
      instanceOf: GpuDeviceError,
    });
    t.regex(
      error!.message,
      /^evaluation stopped: the GPU device was lost \(destroyed.*\); its results would be wrong$/,
    );
    await initBackend('webgpu');
    t.is(webgpuFault(), undefined);
    await initBackend('cpu');
    model.dispose();
  },
);
