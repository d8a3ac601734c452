import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.js';
import { createModel } from '../src/models/registry.js';
const threads = Number(process.env.T ?? 1);
await initBackend('wasm', { threads });
const cases: Array<[string, any, any]> = [
  ['realtime32', { kind: 'skateformer', preset: 'realtime' }, { layout: 'ntu-25', classes: 60 }],
  ['realtime64', { kind: 'skateformer', preset: 'realtime', frames: 64 }, { layout: 'ntu-25', classes: 60 }],
  ['ntu1p', { kind: 'skateformer', preset: 'ntu', persons: 1 }, { layout: 'ntu-25', classes: 60, persons: 1 }],
  ['ntu2p', { kind: 'skateformer', preset: 'ntu' }, { layout: 'ntu-25', classes: 60 }],
];
for (const [name, sec, facts] of cases) {
  const m = createModel(sec, facts, 1);
  const V = m.persons * m.jointOrder.length;
  const x = tf.randomNormal([1, m.frames, V, m.inChannels]) as tf.Tensor4D;
  const indexT = tf.tile(tf.expandDims(tf.linspace(-1, 1, m.frames), 0), [1, 1]) as tf.Tensor2D;
  const times: number[] = [];
  for (let i = 0; i < (name.startsWith('ntu') ? 6 : 25); i++) {
    const t0 = performance.now();
    const out = tf.tidy(() => m.forward({ x, indexT }, { training: false }).logits);
    await out.data(); out.dispose();
    times.push(performance.now() - t0);
  }
  times.shift(); times.sort((a, b) => a - b);
  console.log(name, m.params.countTrainable(), 'median ms', times[Math.floor(times.length / 2)].toFixed(1), 'min', times[0].toFixed(1));
  m.params.dispose();
}
process.exit(0);
