import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.js';
await initBackend('wasm', { threads: 1 });
for (const [n, d] of [[36864, 3], [18432, 6], [3072*12, 3]]) {
  const x = tf.randomNormal([1, n, d]);
  const perm = Int32Array.from({ length: n }, (_, i) => i).sort(() => Math.random() - 0.5);
  const idx = tf.tensor1d(perm, 'int32');
  for (let r = 0; r < 3; r++) { const y = tf.gather(x, idx, 1); y.dataSync(); y.dispose(); }
  const t0 = performance.now();
  for (let r = 0; r < 20; r++) { const y = tf.gather(x, idx, 1); y.dataSync(); y.dispose(); }
  const t1 = performance.now();
  for (let r = 0; r < 20; r++) { const y = tf.transpose(tf.reshape(x, [1, 64, n / 64, d]), [0, 2, 1, 3]); y.dataSync(); y.dispose(); }
  const t2 = performance.now();
  console.log(n, d, 'gather ms', ((t1 - t0) / 20).toFixed(2), 'transpose ms', ((t2 - t1) / 20).toFixed(2));
}
process.exit(0);
