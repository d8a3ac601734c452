/**
 * Puts groups of training runs side by side: one SVG with the training loss, training accuracy
 * and validation top-1 of every run against epochs (thin lines per seed, a thick line for the
 * group's mean), and a table of the last epoch's validation top-1 (mean ± sample sd over the
 * seeds) and of the per-class accuracy (summed over the seeds). Used for skelact against the
 * official SkateFormer code (docs/nw-ucla-accuracy.md), but any run folders with a skelact-style
 * metrics.jsonl work.
 *
 *   node dist/bench/compare-runs.js --runs 'skelact=/tmp/a,/tmp/b;official=/tmp/c,/tmp/d' \
 *     --svg docs/img/x.svg --title '…' [--data <cache>] [--json out.json]
 *
 * Per-class accuracy comes from <run>/per-class.json where present (written by
 * scripts/official-nw-ucla-train.py), else from `skelact eval` of <run>/checkpoint/model (the
 * last epoch's model) on --data.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as vl from 'vega-lite';
import { renderVegaLiteSvg, writeSvg } from '../src/train/plots.js';
import { packageRoot } from '../src/util/paths.js';
import { arg } from './args.js';

interface Epoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valTop1?: number;
}

interface ClassCount {
  name: string;
  correct: number;
  count: number;
}

function metricsOf(dir: string): Epoch[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) throw new Error(`${path}: no metrics.jsonl (not a finished run folder)`);
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Epoch;
      } catch {
        throw new Error(`${path}:${i + 1}: not a JSON line`);
      }
    });
}

function perClassOf(dir: string, data: string): ClassCount[] {
  const file = join(dir, 'per-class.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { classes: ClassCount[] }).classes;
  const model = join(dir, 'checkpoint', 'model');
  if (!data) throw new Error(`${dir}: no per-class.json, and no --data cache to evaluate ${model} on`);
  const r = spawnSync(
    process.execPath,
    [
      join(packageRoot(), 'bin', 'skelact.js'),
      'eval',
      '--model',
      model,
      '--data',
      data,
      '--json',
      '--quiet',
      '--scores',
      join(dir, 'eval-scores'),
      '--plot',
      join(dir, 'eval-confusion.svg'),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`skelact eval of ${model} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { perClass: Array<{ name: string; correct: number; total: number }> };
  return out.perClass.map((c) => ({ name: c.name, correct: c.correct, count: c.total }));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const pct = (x: number) => (100 * x).toFixed(1);

async function main(): Promise<void> {
  const spec = arg('runs', '');
  if (!spec) throw new Error("--runs is required: 'label=dir,dir;label=dir,…'");
  const groups = spec.split(';').map((g) => {
    const [label, dirs] = g.split('=');
    if (!label || !dirs) throw new Error(`--runs: '${g}' is not label=dir,dir`);
    return { label, dirs: dirs.split(',') };
  });
  const data = arg('data', '');
  const rows: Array<Record<string, unknown>> = [];
  const summary: Array<Record<string, unknown>> = [];
  for (const { label, dirs } of groups) {
    const runs = dirs.map((dir) => ({ dir, epochs: metricsOf(dir) }));
    runs.forEach(({ epochs }, seed) => {
      for (const e of epochs) {
        rows.push({
          group: label,
          seed: `${label} ${seed + 1}`,
          epoch: e.epoch,
          metric: 'training loss',
          value: e.trainLoss,
        });
        rows.push({
          group: label,
          seed: `${label} ${seed + 1}`,
          epoch: e.epoch,
          metric: 'training accuracy (augmented batches)',
          value: e.trainAccuracy,
        });
        if (e.valTop1 !== undefined)
          rows.push({
            group: label,
            seed: `${label} ${seed + 1}`,
            epoch: e.epoch,
            metric: 'validation top-1',
            value: e.valTop1,
          });
      }
    });
    const last = runs.map(({ epochs }) => epochs[epochs.length - 1]);
    const top1 = last.map((e) => e.valTop1 ?? Number.NaN);
    const perClass = runs.map(({ dir }) => perClassOf(dir, data));
    const classes = perClass[0].map((c, i) => ({
      name: c.name,
      correct: perClass.reduce((a, p) => a + p[i].correct, 0),
      count: perClass.reduce((a, p) => a + p[i].count, 0),
    }));
    summary.push({
      label,
      seeds: runs.length,
      epochs: last.map((e) => e.epoch),
      lastTop1: top1,
      mean: mean(top1),
      sd: sd(top1),
      lastTrainAccuracy: last.map((e) => e.trainAccuracy),
      classes,
    });
    console.log(
      `${label}: last-epoch validation top-1 ${top1.map(pct).join(', ')} % → ${pct(mean(top1))} ± ${pct(sd(top1))} % (${runs.length} seeds); training accuracy ${last.map((e) => pct(e.trainAccuracy)).join(', ')} %`,
    );
  }
  console.log(`\n| class | ${summary.map((s) => s.label).join(' | ')} |\n|---|${summary.map(() => '---|').join('')}`);
  const names = (summary[0].classes as ClassCount[]).map((c) => c.name);
  names.forEach((name, i) => {
    console.log(
      `| ${name} | ${summary
        .map((s) => {
          const c = (s.classes as ClassCount[])[i];
          return `${pct(c.correct / c.count)} % (${c.correct}/${c.count})`;
        })
        .join(' | ')} |`,
    );
  });

  const svgPath = arg('svg', '');
  if (svgPath) {
    const x = { field: 'epoch', type: 'quantitative', title: 'Epoch' } as const;
    const panel = (metric: string, yTitle: string, domain?: [number, number]) => ({
      title: metric,
      width: 520,
      height: 170,
      data: { values: rows },
      transform: [{ filter: { field: 'metric', equal: metric } }],
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1, opacity: 0.35 },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: yTitle, ...(domain ? { scale: { domain } } : {}) },
            color: { field: 'group', type: 'nominal', title: null },
            detail: { field: 'seed' },
          },
        },
        {
          mark: { type: 'line', strokeWidth: 2.4 },
          encoding: {
            x,
            y: { aggregate: 'mean', field: 'value', type: 'quantitative' },
            color: { field: 'group', type: 'nominal', title: null },
          },
        },
      ],
    });
    const chart = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: {
        text: arg('title', 'Runs compared'),
        subtitle: 'thin: one seed; thick: mean over seeds',
        anchor: 'start',
      },
      vconcat: [
        panel('training loss', 'Loss'),
        panel('training accuracy (augmented batches)', 'Accuracy', [0, 1]),
        panel('validation top-1', 'Top-1', [0, 1]),
      ],
    } as unknown as vl.TopLevelSpec;
    writeSvg(svgPath, await renderVegaLiteSvg(chart));
    console.log(`→ ${svgPath}`);
  }
  const jsonPath = arg('json', '');
  if (jsonPath)
    writeFileSync(jsonPath, `${JSON.stringify({ date: new Date().toISOString(), groups: summary }, null, 1)}\n`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
