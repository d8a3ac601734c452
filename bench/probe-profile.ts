import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.js';
import { createModel } from '../src/models/registry.js';
await initBackend('wasm', { threads: 1 });
const which = process.env.P ?? 'ntu2p';
const sec: any = which === 'rt64' ? { kind: 'skateformer', preset: 'realtime', frames: 64 } : which === 'rt32' ? { kind: 'skateformer', preset: 'realtime' } : { kind: 'skateformer', preset: 'ntu' };
const m = createModel(sec, { layout: 'ntu-25', classes: 60 }, 1);
const V = m.persons * m.jointOrder.length;
const x = tf.randomNormal([1, m.frames, V, m.inChannels]) as tf.Tensor4D;
const indexT = tf.tile(tf.expandDims(tf.linspace(-1, 1, m.frames), 0), [1, 1]) as tf.Tensor2D;
const run = () => tf.tidy(() => m.forward({ x, indexT }, { training: false }).logits);
for (let i = 0; i < 2; i++) { const o = run(); await o.data(); o.dispose(); }
const prof = await tf.profile(async () => { const o = run(); await o.data(); o.dispose(); });
const by = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of prof.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  total += ms;
  const key = process.env.BYNAME ? k.name : k.name + (k.name === 'BatchMatMul' || k.name === '_FusedMatMul' ? ' ' + JSON.stringify(k.inputShapes) : '');
  const e = by.get(key) ?? { ms: 0, n: 0 }; e.ms += ms; e.n++; by.set(key, e);
}
console.log('total kernel ms', total.toFixed(1), 'kernels', prof.kernels.length);
[...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40).forEach(([k, v]) => console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(5), k));
process.exit(0);
