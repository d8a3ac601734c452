/** SkeletonModel.dispose() frees every weight of each model family, and nothing else. */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../src/models/registry.js';
import { useBackend } from '../train/helpers.js';

for (const model of [
  { kind: 'stgcn', preset: 'tiny' },
  { kind: 'skateformer', preset: 'realtime' },
  { kind: 'partstream', preset: 'small' },
] as const) {
  test.serial(`${model.kind}: dispose() frees exactly the model's weights`, async (t) => {
    await useBackend();
    const kept = tf.scalar(1); // a tensor that is not the model's must survive
    const before = tf.memory().numTensors;
    const m = createModel(model, { layout: 'ntu-25', classes: 5, frames: 16, persons: 1 }, 3);
    const weights = m.params.entries().length;
    t.true(weights > 0);
    t.is(tf.memory().numTensors, before + weights);
    m.dispose();
    t.is(tf.memory().numTensors, before);
    t.is(kept.dataSync()[0], 1);
    kept.dispose();
  });
}
