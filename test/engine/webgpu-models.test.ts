/**
 * Every model family on the webgpu backend (Dawn; on CI Mesa's lavapipe) against tfjs's cpu
 * backend: inference logits, the training loss and every parameter's gradient, at small sizes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExecutionContext } from 'ava';
import { webgpuFault } from '../../src/engine/webgpu.js';
import { createModel, type ModelSection } from '../../src/models/registry.js';
import { TEXT_SLOTS, addTextHead, projectToText, textHeadSpecFor } from '../../src/models/text-head.js';
import { gapTextLoss } from '../../src/text-priors/text-loss.js';
import { relativeError, testOnWebGpu, useBackend, type Compared } from '../helpers/webgpu.js';

interface StepResult {
  readonly loss: number;
  readonly logits: Float32Array;
  readonly grads: Array<{ name: string; values: Float32Array }>;
}

/** One training step's loss and gradients, and the inference logits, of a freshly made model. */
async function step(
  backend: Compared,
  section: ModelSection,
  batch: number,
  frames: number,
  text: boolean,
): Promise<StepResult> {
  useBackend(backend);
  const model = createModel(section, { layout: 'ntu-25', classes: 5, frames, persons: 1 }, 3);
  try {
    const spec = text ? textHeadSpecFor(model, 'ntu-25', 8, 'test') : undefined;
    if (spec) addTextHead(model.params, spec);
    const trainable = model.params.entries().filter(([info]) => info.trainable);
    const { value, logits, grads } = tf.tidy(() => {
      const V = model.jointOrder.length * model.persons;
      const x = tf.randomUniform([batch, frames, V, model.inChannels], -1, 1, 'float32', 5) as tf.Tensor4D;
      const classes = Array.from({ length: batch }, (_, i) => i % 5);
      const labels = tf.oneHot(tf.tensor1d(classes, 'int32'), 5);
      const texts = TEXT_SLOTS.map((_, k) => {
        const r = tf.randomNormal([batch, 8], 0, 1, 'float32', 10 + k);
        return tf.div(r, tf.norm(r, 'euclidean', 1, true)) as tf.Tensor2D;
      });
      const { value, grads } = tf.variableGrads(
        () => {
          const out = model.forward({ x }, { training: true, seed: 7 });
          const ce = tf.losses.softmaxCrossEntropy(labels, out.logits) as tf.Scalar;
          if (!spec) return ce;
          return tf.add(
            ce,
            gapTextLoss(
              projectToText(model.params, spec, out),
              texts,
              tf.tensor1d(classes, 'int32'),
              tf.exp(model.params.get('text.logitScale')) as tf.Tensor1D,
            ),
          ) as tf.Scalar;
        },
        trainable.map(([, v]) => v),
      );
      return {
        value,
        logits: model.forward({ x }, { training: false }).logits,
        grads: trainable.map(([, v]) => grads[v.name]),
      };
    });
    try {
      return {
        loss: (await value.data())[0],
        logits: Float32Array.from((await logits.data()) as Float32Array),
        grads: await Promise.all(
          trainable.map(async ([info], k) => ({
            name: info.name,
            values: Float32Array.from((await grads[k].data()) as Float32Array),
          })),
        ),
      };
    } finally {
      tf.dispose([value, logits, ...grads]);
    }
  } finally {
    model.dispose();
    useBackend('cpu');
  }
}

/**
 * tol: the largest gradient difference allowed, relative to the model's largest gradient (a
 * parameter whose gradient vanishes carries only rounding noise). The GPU sums in another
 * order than the cpu backend's loops; on lavapipe the differences measured were below 1e-5
 * (the test logs them), and a wrong kernel gives errors of order 1.
 */
async function compare(
  t: ExecutionContext,
  section: ModelSection,
  batch: number,
  frames: number,
  tol: number,
  text = false,
): Promise<void> {
  const started = performance.now();
  const gpu = await step('webgpu', section, batch, frames, text);
  const gpuMs = performance.now() - started;
  const cpu = await step('cpu', section, batch, frames, text);
  const cpuMs = performance.now() - started - gpuMs;
  t.true(Math.abs(gpu.loss - cpu.loss) <= 1e-5 * Math.abs(cpu.loss), `loss ${gpu.loss} on webgpu, ${cpu.loss} on cpu`);
  const logitError = relativeError(gpu.logits, cpu.logits);
  t.true(logitError <= 1e-5, `inference logits differ by ${logitError} (relative to the largest)`);
  t.deepEqual(
    gpu.grads.map((g) => g.name),
    cpu.grads.map((g) => g.name),
  );
  let largest = 0;
  for (const g of cpu.grads) for (const v of g.values) largest = Math.max(largest, Math.abs(v));
  t.true(largest > 0, 'the loss has a gradient');
  const bad = cpu.grads
    .map((g, k) => {
      let diff = 0;
      g.values.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - gpu.grads[k].values[i]))));
      if (gpu.grads[k].values.some(Number.isNaN)) diff = Number.POSITIVE_INFINITY;
      return [g.name, diff / largest] as const;
    })
    .filter(([, e]) => !(e <= tol));
  t.deepEqual(bad, [], 'parameters whose gradient on webgpu differs from the cpu backend');
  const worst =
    Math.max(
      ...cpu.grads.map((g, k) => g.values.reduce((m, v, i) => Math.max(m, Math.abs(v - gpu.grads[k].values[i])), 0)),
    ) / largest;
  t.log(
    `loss ${gpu.loss} vs ${cpu.loss}; logits ${logitError.toExponential(1)}; gradients ${worst.toExponential(1)} (of the largest); webgpu ${gpuMs.toFixed(0)} ms, cpu ${cpuMs.toFixed(0)} ms`,
  );
  t.is(webgpuFault(), undefined, 'the device reported no error');
}

testOnWebGpu(
  'ST-GCN (two blocks): loss, every gradient and inference logits on webgpu equal the cpu backend',
  async (t) => {
    await compare(
      t,
      { kind: 'stgcn', preset: 'tiny', blocks: [{ channels: 16 }, { channels: 16, stride: 2 }] } as ModelSection,
      8,
      8,
      1e-4,
    );
  },
);

testOnWebGpu(
  'SkateFormer (realtime, small): loss, every gradient and inference logits on webgpu equal the cpu backend',
  async (t) => {
    await compare(
      t,
      {
        kind: 'skateformer',
        preset: 'realtime',
        frames: 16,
        embedDim: 16,
        channels: [16, 32],
        depths: [1, 1],
        heads: 8,
      } as ModelSection,
      4,
      16,
      1e-4,
    );
  },
);

testOnWebGpu(
  'part streams (small): loss, every gradient and inference logits on webgpu equal the cpu backend',
  async (t) => {
    await compare(t, { kind: 'partstream', preset: 'small', frames: 16 } as ModelSection, 4, 16, 1e-4);
  },
);

testOnWebGpu(
  'the text head (on ST-GCN): the GAP text loss and its gradients on webgpu equal the cpu backend',
  async (t) => {
    await compare(t, { kind: 'stgcn', preset: 'tiny', blocks: [{ channels: 16 }] } as ModelSection, 4, 8, 1e-4, true);
  },
);
