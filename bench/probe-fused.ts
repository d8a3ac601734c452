import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.js';
await initBackend('wasm', { threads: 1 });
for (const [m, k, n] of [[1536, 48, 96], [3072, 96, 384], [1536, 96, 192]]) {
  const x = tf.randomNormal([m, k]) as tf.Tensor2D; const w = tf.randomNormal([k, n]) as tf.Tensor2D; const b = tf.randomNormal([n]) as tf.Tensor1D;
  const time = (f: () => tf.Tensor) => { for (let i = 0; i < 5; i++) f().dispose(); const t0 = performance.now(); for (let i = 0; i < 50; i++) { const y = f(); y.dataSync(); y.dispose(); } return ((performance.now() - t0) / 50).toFixed(3); };
  console.log(m, k, n, 'matMul', time(() => tf.matMul(x, w)), 'matMul+add', time(() => tf.tidy(() => tf.add(tf.matMul(x, w), b))), 'fused', time(() => tf.fused.matMul({ a: x, b: w, bias: b })), 'add only', time(() => tf.add(x, x)));
}
process.exit(0);
