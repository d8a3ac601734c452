import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochMetrics } from '../../src/train/checkpoint.js';
import { confusionMatrixSvg, trainingCurvesSvg, writeRunPlots, type StepRecord } from '../../src/train/plots.js';
import { tmp } from './helpers.js';

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

const epochs: EpochMetrics[] = Array.from({ length: 6 }, (_, e) => ({
  epoch: e + 1,
  step: (e + 1) * 10,
  lr: 1e-3 * (1 - e / 6),
  trainLoss: 2 - e * 0.2,
  trainAccuracy: 0.3 + e * 0.1,
  ...(e % 2 === 1 ? { valTop1: 0.25 + e * 0.1, valTop5: 0.8, valLoss: 2.1 - e * 0.2 } : {}),
  seconds: 3,
  samplesPerSecond: 120,
}));
const steps: StepRecord[] = Array.from({ length: 12 }, (_, i) => ({
  step: (i + 1) * 5,
  epoch: (i + 1) / 2,
  lr: 1e-3,
  loss: 2 - i * 0.1,
  accuracy: 0.5,
}));

test('training curves: one SVG with loss, learning-rate and accuracy panels, series in the legends', async (t) => {
  const svg = await trainingCurvesSvg(epochs, steps, 'tiny run');
  t.true(svg.startsWith('<svg'));
  const labels = texts(svg);
  for (const label of [
    'tiny run',
    'Loss',
    'Learning rate',
    'Accuracy',
    'Epoch',
    'train (iteration)',
    'train (epoch mean)',
    'validation',
    'train',
    'validation top-1',
    'validation top-5',
  ])
    t.true(labels.includes(label), label);
  t.true((svg.match(/class="mark-line role-mark/g) ?? []).length >= 4); // loss ×2 layers, lr, accuracy
  await t.throwsAsync(trainingCurvesSvg([], []), { message: /nothing to plot/ });
});

test('confusion matrix, 10 classes: every class name on both axes, a cell per non-zero entry, counts printed', async (t) => {
  const names = [
    'drink water',
    'eat meal',
    'brushing teeth',
    'brushing hair',
    'drop',
    'pickup',
    'throw',
    'sitting down',
    'standing up',
    'clapping',
  ];
  const confusion = names.map((_, i) => names.map((_, j) => (i === j ? 18 : (i + j) % 4 === 0 ? 2 : 0)));
  const svg = await confusionMatrixSvg(confusion, names);
  const labels = texts(svg);
  for (const n of names) t.is(labels.filter((l) => l === n).length, 2, n);
  const nonZero = confusion.flat().filter((c) => c > 0).length;
  const rects = svg.match(/<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/)![1];
  t.is((rects.match(/<path/g) ?? []).length, nonZero);
  t.is(labels.filter((l) => l === '18').length, 10);
  t.true(labels.includes('True class') && labels.includes('Predicted class') && labels.includes('Share of row'));
  await t.throwsAsync(confusionMatrixSvg([[1]], ['a', 'b']), { message: /2×2/ });
});

test('confusion matrix, 120 classes: all names present, small cells, a file of reasonable size', async (t) => {
  const names = Array.from({ length: 120 }, (_, i) => `A${i + 1} action ${i}`);
  const confusion = names.map((_, i) => names.map((_, j) => (i === j ? 5 : (i * 7 + j) % 13 === 0 ? 1 : 0)));
  const svg = await confusionMatrixSvg(confusion, names);
  const labels = texts(svg);
  t.true(names.every((n) => labels.includes(n)));
  const width = Number(/width="(\d+)"/.exec(svg)![1]);
  t.true(width > 960 && width < 1600, `width ${width}`);
  t.true(svg.length < 400_000, `${svg.length} bytes`);
});

test('writeRunPlots draws curves.svg from a run folder', async (t) => {
  const dir = join(tmp(), 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'metrics.jsonl'), epochs.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'steps.jsonl'), steps.map((e) => JSON.stringify(e)).join('\n') + '\n{"cut');
  const path = await writeRunPlots(dir, 'from disk');
  t.true(existsSync(path));
  t.true(texts(readFileSync(path, 'utf8')).includes('from disk'));
});
