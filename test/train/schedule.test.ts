import test from 'ava';
import { constantSchedule, cosineSchedule, scheduleFromConfig } from '../../src/train/schedule.js';
import { experiment } from './helpers.js';

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);

test('cosine schedule: hand-computed timm values at warm-up start/middle/end, after warm-up, middle and end', (t) => {
  // timm CosineLRScheduler(t_initial=100, lr_min=1e-5, warmup_t=10, warmup_lr_init=1e-7), base 1e-3, t_in_epochs=False.
  const s = cosineSchedule({ baseLr: 1e-3, totalSteps: 100, warmupSteps: 10, warmupLr: 1e-7, minLr: 1e-5 });
  const expected: Array<[number, number]> = [
    [0, 1e-7], // warm-up start: warmup_lr_init
    [5, 0.00050005], // 1e-7 + 5·(1e-3 − 1e-7)/10
    [9, 0.00090001], // last warm-up step
    [10, 0.0009757729755661011], // cosine at t = 10 (no warm-up prefix): 1e-5 + ½·9.9e-4·(1 + cos 0.1π)
    [50, 0.000505], // middle: lr_min + ½(base − lr_min)
    [99, 1.0244252618962858e-5], // last step of the cycle
    [100, 1e-5], // after the cycle: lr_min
    [150, 1e-5],
  ];
  for (const [step, lr] of expected) t.true(near(s.lr(step), lr), `step ${step}: ${s.lr(step)} vs ${lr}`);
  t.throws(() => s.lr(-1));
  t.throws(() => s.lr(1.5));
});

test('cosine schedule without warm-up starts at the base rate and is monotone', (t) => {
  const s = cosineSchedule({ baseLr: 0.1, totalSteps: 20 });
  t.is(s.lr(0), 0.1);
  for (let i = 1; i < 25; i++) t.true(s.lr(i) <= s.lr(i - 1));
  t.true(near(s.lr(10), 0.05));
});

test('schedule from a config: t_initial = epochs·iters, warmup_t = trunc(warmupEpochs·iters); constant with warm-up', (t) => {
  const config = experiment({ optim: { epochs: 500, warmupEpochs: 25, lr: 1e-3, warmupLr: 1e-7, minLr: 1e-5 } });
  const s = scheduleFromConfig(config.optim, 3);
  t.is(s.totalSteps, 1500);
  t.true(near(s.lr(75), 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + Math.cos(Math.PI * 0.05))));
  t.true(near(s.lr(74), 1e-7 + (74 * (1e-3 - 1e-7)) / 75));
  const half = scheduleFromConfig(experiment({ optim: { epochs: 2, warmupEpochs: 0.5 } }).optim, 3);
  t.true(near(half.lr(0), 1e-4)); // one warm-up step (trunc 1.5), then the cosine
  t.true(near(half.lr(1), 1e-5 + 0.5 * (3e-3 - 1e-5) * (1 + Math.cos(Math.PI / 6))));
  const c = constantSchedule(0.1, 10, 4, 0.02);
  t.deepEqual(
    [0, 1, 2, 3, 4, 9, 20].map((i) => c.lr(i)).map((x) => Number(x.toFixed(12))),
    [0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1],
  );
  t.throws(() => scheduleFromConfig(config.optim, 0), { message: /at least one iteration/ });
});
