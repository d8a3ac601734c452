/**
 * SVG plots of a run, drawn with vega-lite (compiled to vega, rendered headless to SVG):
 *
 *  - `trainingCurvesSvg`: loss per iteration (thin) and per epoch (points), the learning rate
 *    per iteration, and train / validation accuracy per epoch, stacked, on a shared epoch axis.
 *  - `confusionMatrixSvg`: a heatmap of the row-normalised confusion matrix (true class rows,
 *    predicted class columns) with class names; cells and fonts shrink with the class count so
 *    10 to 120 classes stay readable, and counts are printed in the cells up to 30 classes.
 *
 * `writeSvg` writes atomically; `writeRunPlots` draws the curves of a run folder from its
 * metrics.jsonl and steps.jsonl.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { writeFileAtomic } from '../core/files.js';
import { checkReplaceable, SVG_OUTPUT } from '../util/replace.js';
import type { EpochMetrics } from './checkpoint.js';

/** One line of steps.jsonl. */
export interface StepRecord {
  readonly step: number;
  /** Fractional epoch (epochs completed when the step ended). */
  readonly epoch: number;
  readonly lr: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** A Vega-Lite chart as SVG text (the renderer every plot here and in the benchmarks uses). */
export async function renderVegaLiteSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes an SVG atomically. */
export function writeSvg(path: string, svg: string): void {
  checkReplaceable(path, SVG_OUTPUT);
  // Its folder may not exist yet: `eval --model <shipped name>` writes beside the working folder's `<name>-eval/`.
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, svg);
}

const finite = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Training curves: loss, learning rate and accuracy (see module comment). */
export async function trainingCurvesSvg(
  epochs: readonly EpochMetrics[],
  steps: readonly StepRecord[],
  title = 'Training',
): Promise<string> {
  if (epochs.length === 0 && steps.length === 0) throw new Error('nothing to plot: the run has no metrics yet');
  const lossRows = [
    ...steps.filter((s) => finite(s.loss)).map((s) => ({ epoch: s.epoch, loss: s.loss, series: 'train (iteration)' })),
    ...epochs
      .filter((e) => finite(e.trainLoss))
      .map((e) => ({ epoch: e.epoch, loss: e.trainLoss, series: 'train (epoch mean)' })),
    ...epochs.filter((e) => finite(e.valLoss)).map((e) => ({ epoch: e.epoch, loss: e.valLoss!, series: 'validation' })),
  ];
  const lrRows =
    steps.length > 0
      ? steps.map((s) => ({ epoch: s.epoch, lr: s.lr }))
      : epochs.map((e) => ({ epoch: e.epoch, lr: e.lr }));
  const accRows = [
    ...epochs
      .filter((e) => finite(e.trainAccuracy))
      .map((e) => ({ epoch: e.epoch, accuracy: e.trainAccuracy, series: 'train' })),
    ...epochs
      .filter((e) => finite(e.valTop1))
      .map((e) => ({ epoch: e.epoch, accuracy: e.valTop1!, series: 'validation top-1' })),
    ...epochs
      .filter((e) => finite(e.valTop5))
      .map((e) => ({ epoch: e.epoch, accuracy: e.valTop5!, series: 'validation top-5' })),
  ];
  const width = 560;
  const x = { field: 'epoch', type: 'quantitative', title: 'Epoch', scale: { zero: true } } as const;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, anchor: 'start' },
    vconcat: [
      {
        title: 'Loss',
        width,
        height: 180,
        data: { values: lossRows },
        encoding: {
          x,
          y: { field: 'loss', type: 'quantitative', title: 'Loss' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top-right' } },
        },
        layer: [
          {
            transform: [{ filter: "datum.series === 'train (iteration)'" }],
            mark: { type: 'line', strokeWidth: 1, opacity: 0.55 },
          },
          {
            transform: [{ filter: "datum.series !== 'train (iteration)'" }],
            mark: { type: 'line', point: { size: 20 }, strokeWidth: 1.6 },
          },
        ],
      },
      {
        title: 'Learning rate',
        width,
        height: 110,
        data: { values: lrRows },
        mark: { type: 'line', strokeWidth: 1.2 },
        encoding: { x, y: { field: 'lr', type: 'quantitative', title: 'Learning rate', axis: { format: '.1e' } } },
      },
      {
        title: 'Accuracy',
        width,
        height: 180,
        data: { values: accRows },
        mark: { type: 'line', point: { size: 24 } },
        encoding: {
          x,
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'Accuracy',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom-right' } },
        },
      },
    ],
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  } as unknown as vl.TopLevelSpec;
  return renderVegaLiteSvg(spec);
}

/** Confusion-matrix heatmap (rows: true class, columns: predicted; colour: share of the row). */
export async function confusionMatrixSvg(
  confusion: readonly (readonly number[])[],
  classNames: readonly string[],
  title = 'Confusion matrix',
): Promise<string> {
  const K = classNames.length;
  if (K === 0) throw new Error('a confusion matrix needs at least one class');
  if (confusion.length !== K || confusion.some((r) => r.length !== K))
    throw new Error(`the confusion matrix must be ${K}×${K} for ${K} class names`);
  if (new Set(classNames).size !== K) throw new Error('class names must be unique to label the confusion matrix');
  const cell = K <= 15 ? 36 : K <= 30 ? 22 : K <= 60 ? 12 : 8;
  const font = K <= 30 ? 11 : K <= 60 ? 8 : 6.5;
  const labelLimit = K <= 30 ? 200 : 140;
  const rows: Array<{ truth: string; predicted: string; count: number; share: number }> = [];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) =>
      rows.push({ truth: classNames[i], predicted: classNames[j], count, share: total > 0 ? count / total : 0 }),
    );
  });
  const axisCommon = { labelFontSize: font, labelLimit, titleFontSize: 12, ticks: false, domain: false };
  const base = {
    x: {
      field: 'predicted',
      type: 'ordinal',
      title: 'Predicted class',
      scale: { domain: [...classNames] },
      axis: { ...axisCommon, labelAngle: -60, orient: 'bottom' },
    },
    y: { field: 'truth', type: 'ordinal', title: 'True class', scale: { domain: [...classNames] }, axis: axisCommon },
  };
  // Only non-empty cells are drawn (on a background of the scale's zero colour), and without
  // per-mark ARIA labels, so a 120-class matrix stays a small file.
  const layers: object[] = [
    {
      transform: [{ filter: 'datum.count > 0' }],
      mark: { type: 'rect', aria: false },
      encoding: {
        ...base,
        color: {
          field: 'share',
          type: 'quantitative',
          title: 'Share of row',
          scale: { scheme: 'blues', domain: [0, 1] },
          legend: { format: '.0%' },
        },
      },
    },
  ];
  if (K <= 30) {
    layers.push({
      transform: [{ filter: 'datum.count > 0' }],
      mark: { type: 'text', fontSize: Math.max(7, font - 1), aria: false },
      encoding: {
        ...base,
        text: { field: 'count', type: 'quantitative' },
        color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
      },
    });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, anchor: 'start' },
    data: { values: rows },
    width: cell * K,
    height: cell * K,
    view: { fill: '#f7fbff', stroke: '#ddd' },
    layer: layers,
  } as unknown as vl.TopLevelSpec;
  return renderVegaLiteSvg(spec);
}

function readLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return [];
      }
    });
}

/** Draws `<runDir>/curves.svg` from metrics.jsonl and steps.jsonl; returns its path. */
export async function writeRunPlots(runDir: string, title?: string): Promise<string> {
  const epochs = readLines<EpochMetrics>(join(runDir, 'metrics.jsonl'));
  const steps = readLines<StepRecord>(join(runDir, 'steps.jsonl'));
  const path = join(runDir, 'curves.svg');
  writeSvg(path, await trainingCurvesSvg(epochs, steps, title));
  return path;
}
