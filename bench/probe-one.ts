import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.js';
import { createModel } from '../src/models/registry.js';
await initBackend('wasm', { threads: Number(process.env.T ?? 1) });
const sec = JSON.parse(process.env.SEC ?? '{"kind":"skateformer","preset":"ntu"}');
const facts = JSON.parse(process.env.FACTS ?? '{"layout":"ntu-25","classes":60}');
const m = createModel(sec, facts, 1);
const B = Number(process.env.B ?? 1);
const V = m.persons * m.jointOrder.length;
const x = tf.randomNormal([B, m.frames, V, m.inChannels]) as tf.Tensor4D;
const indexT = tf.tile(tf.expandDims(tf.linspace(-1, 1, m.frames), 0), [B, 1]) as tf.Tensor2D;
const times: number[] = [];
const N = Number(process.env.N ?? 10);
for (let i = 0; i < N + 1; i++) {
  const t0 = performance.now();
  const out = tf.tidy(() => m.forward({ x, indexT }, { training: false }).logits);
  await out.data(); out.dispose();
  times.push(performance.now() - t0);
}
times.shift();
const st=[...times].sort((a,b)=>a-b); console.log(m.params.countTrainable(), "p25", st[Math.floor(st.length/4)].toFixed(1), 'median', [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)].toFixed(1));
process.exit(0);
