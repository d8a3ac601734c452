import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { ParameterStore } from '../../src/models/params.js';
import { Optimizer, type OptimizerOptions } from '../../src/train/optimizer.js';
import { prng } from '../helpers/prng.js';
import { useBackend } from './helpers.js';

test.before(async () => {
  await useBackend();
});

function store(seed = 1): ParameterStore {
  const s = new ParameterStore(seed);
  s.add('w', [2, 3], { kind: 'normal', std: 0.5 }); // decays by default (rank 2)
  s.add('b', [3], { kind: 'uniform', bound: 0.3 }); // no decay by default (vector)
  s.add('stat', [3], { kind: 'ones' }, { trainable: false });
  return s;
}

type Values = Record<string, number[]>;

const valuesOf = (s: ParameterStore): Values =>
  Object.fromEntries(s.entries().map(([i, v]) => [i.name, Array.from(v.dataSync())]));

/** torch.optim.AdamW / torch.optim.SGD in plain numbers (float64), one parameter at a time. */
class Reference {
  private readonly m: Record<string, number[]> = {};
  private readonly v: Record<string, number[]> = {};
  private readonly t: Record<string, number> = {};
  constructor(
    readonly p: Values,
    readonly o: Required<Pick<OptimizerOptions, 'kind' | 'weightDecay' | 'betas' | 'eps' | 'momentum' | 'nesterov'>>,
    readonly decays: Record<string, boolean>,
  ) {}
  step(grads: Record<string, number[]>, lr: number): void {
    for (const [name, g] of Object.entries(grads)) {
      const p = this.p[name];
      this.t[name] = (this.t[name] ?? 0) + 1;
      const wd = this.decays[name] ? this.o.weightDecay : 0;
      if (this.o.kind === 'adamw') {
        const [b1, b2] = this.o.betas;
        const m = (this.m[name] ??= p.map(() => 0));
        const v = (this.v[name] ??= p.map(() => 0));
        const t = this.t[name];
        for (let i = 0; i < p.length; i++) {
          p[i] *= 1 - lr * wd;
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
          const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + this.o.eps;
          p[i] -= (lr / (1 - b1 ** t)) * (m[i] / denom);
        }
      } else {
        const mu = this.o.momentum;
        const d = g.map((x, i) => x + wd * p[i]);
        let buf = this.m[name];
        buf = this.m[name] = buf ? buf.map((b, i) => mu * b + d[i]) : [...d];
        for (let i = 0; i < p.length; i++) p[i] -= lr * (this.o.nesterov ? d[i] + mu * buf[i] : buf[i]);
      }
    }
  }
}

function randomGrads(r: () => number, skipBias: boolean): Record<string, number[]> {
  const g: Record<string, number[]> = { w: Array.from({ length: 6 }, () => (r() - 0.5) * 2) };
  if (!skipBias) g.b = Array.from({ length: 3 }, () => (r() - 0.5) * 0.2);
  return g;
}

function runAgainstReference(t: import('ava').ExecutionContext, options: OptimizerOptions): void {
  const s = store();
  const opt = new Optimizer(s, options);
  const full = { ...opt.options };
  const decays = { w: full.weightDecay > 0, b: full.weightDecay > 0 && full.decayParameters === 'all' };
  const ref = new Reference(valuesOf(s), full, decays);
  const byName = Object.fromEntries(s.entries().map(([i, v]) => [i.name, v.name]));
  const r = prng(42);
  const lrs = [0.1, 0.05, 0.02, 0.2, 0.01, 0.03];
  for (let k = 0; k < lrs.length; k++) {
    const g = randomGrads(r, k === 2); // step 3: 'b' gets no gradient (PyTorch skips it entirely)
    const tensors = Object.fromEntries(
      Object.entries(g).map(([n, x]) => [byName[n], tf.tensor(x, n === 'w' ? [2, 3] : [3])]),
    );
    opt.applyGradients(tensors, lrs[k]);
    tf.dispose(Object.values(tensors));
    ref.step(g, lrs[k]);
    const got = valuesOf(s);
    for (const name of ['w', 'b']) {
      got[name].forEach((x, i) =>
        t.true(
          Math.abs(x - ref.p[name][i]) <= 2e-6 * Math.max(1, Math.abs(ref.p[name][i])),
          `${options.kind} step ${k + 1} ${name}[${i}]: ${x} vs ${ref.p[name][i]}`,
        ),
      );
    }
    t.deepEqual(got.stat, [1, 1, 1]); // never touched
  }
  opt.dispose();
  s.dispose();
}

test('AdamW matches PyTorch AdamW over several steps (decay on flagged parameters only)', (t) => {
  runAgainstReference(t, { kind: 'adamw', weightDecay: 0.1, betas: [0.9, 0.999], eps: 1e-8 });
});

test('AdamW with decayParameters all decays the bias too (the official SkateFormer behaviour)', (t) => {
  runAgainstReference(t, { kind: 'adamw', weightDecay: 0.3, decayParameters: 'all', betas: [0.8, 0.99], eps: 1e-6 });
});

test('SGD with Nesterov momentum and L2 weight decay matches PyTorch SGD; plain momentum too', (t) => {
  runAgainstReference(t, { kind: 'sgd', weightDecay: 5e-4, momentum: 0.9, nesterov: true, decayParameters: 'all' });
  runAgainstReference(t, { kind: 'sgd', weightDecay: 0.01, momentum: 0.5, nesterov: false });
  runAgainstReference(t, { kind: 'sgd', weightDecay: 0, momentum: 0 });
});

test('hand checks of the first step: AdamW moves each weight by ≈ lr·sign(g) after decay; Nesterov SGD by lr·(1+μ)·(g + wd·p)', (t) => {
  const s = store(3);
  const w0 = valuesOf(s).w;
  const name = s.get('w').name;
  const opt = new Optimizer(s, { kind: 'adamw', weightDecay: 0.1 });
  const g = [1, -2, 0.5, -0.1, 3, -4];
  const gt = tf.tensor(g, [2, 3]);
  opt.applyGradients({ [name]: gt }, 0.01);
  const w1 = valuesOf(s).w;
  w0.forEach((p, i) => t.true(Math.abs(w1[i] - (p * (1 - 0.001) - 0.01 * Math.sign(g[i]))) < 1e-6));
  opt.dispose();
  const s2 = store(3);
  const sgd = new Optimizer(s2, { kind: 'sgd', weightDecay: 0.1, momentum: 0.9, nesterov: true });
  sgd.applyGradients({ [s2.get('w').name]: gt }, 0.01);
  const w2 = valuesOf(s2).w;
  w0.forEach((p, i) => t.true(Math.abs(w2[i] - (p - 0.01 * 1.9 * (g[i] + 0.1 * p))) < 1e-6));
  gt.dispose();
  sgd.dispose();
  s.dispose();
  s2.dispose();
});

test('the optimiser state round-trips exactly: save after 3 steps, restore into a copy, 3 more steps give identical bits', async (t) => {
  for (const kind of ['adamw', 'sgd'] as const) {
    const a = store(5);
    const optA = new Optimizer(a, { kind, weightDecay: 0.05, nesterov: kind === 'sgd' });
    const r = prng(9);
    const grads = Array.from({ length: 6 }, (_, k) => randomGrads(r, k === 1));
    const apply = (s: ParameterStore, o: Optimizer, g: Record<string, number[]>, lr: number) => {
      const tensors = Object.fromEntries(
        Object.entries(g).map(([n, x]) => [s.get(n).name, tf.tensor(x, n === 'w' ? [2, 3] : [3])]),
      );
      o.applyGradients(tensors, lr);
      tf.dispose(Object.values(tensors));
    };
    for (let k = 0; k < 3; k++) apply(a, optA, grads[k], 0.05);
    const state = await optA.getState();
    t.is(state.json.steps.w, 3);
    t.is(state.json.steps.b, 2); // skipped once
    const b = store(77); // other initial values: everything comes from the saved state
    const weights = await a.toWeights();
    b.loadWeights(weights.specs, weights.data);
    const optB = new Optimizer(b, { kind, weightDecay: 0.05, nesterov: kind === 'sgd' });
    // Through JSON and a copied buffer, as a checkpoint on disk would be.
    optB.setState({
      json: JSON.parse(JSON.stringify(state.json)),
      specs: JSON.parse(JSON.stringify(state.specs)),
      data: state.data.slice(0),
    });
    for (let k = 3; k < 6; k++) {
      apply(a, optA, grads[k], 0.02);
      apply(b, optB, grads[k], 0.02);
    }
    t.deepEqual(new Uint8Array((await b.toWeights()).data), new Uint8Array((await a.toWeights()).data), kind);
    const before = tf.memory().numTensors;
    t.throws(() => optB.setState({ ...state, json: { ...state.json, kind: kind === 'sgd' ? 'adamw' : 'sgd' } }), {
      message: /state is for/,
    });
    t.throws(() => optB.setState({ ...state, json: { ...state.json, steps: { ...state.json.steps, extra: 1 } } }), {
      message: /lacks: extra/,
    });
    t.is(tf.memory().numTensors, before);
    [optA, optB].forEach((o) => o.dispose());
    [a, b].forEach((s) => s.dispose());
  }
});

test('optimiser updates keep the tensor count flat', (t) => {
  const s = store(2);
  const opt = new Optimizer(s, { kind: 'adamw', weightDecay: 0.1 });
  const g = { [s.get('w').name]: tf.ones([2, 3]), [s.get('b').name]: tf.ones([3]) };
  opt.applyGradients(g, 0.1); // creates the moments
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) opt.applyGradients(g, 0.1);
  t.is(tf.memory().numTensors, before);
  t.throws(() => opt.applyGradients({ nope: g[s.get('w').name] }, 0.1), { message: /not a trainable parameter/ });
  t.throws(() => opt.applyGradients(g, Number.NaN));
  tf.dispose(Object.values(g));
  opt.dispose();
  s.dispose();
});
