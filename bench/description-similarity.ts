/**
 * How far apart the text priors hold a dataset's classes: the cosine similarity of every pair of
 * class prototypes that GAP's text loss pulls the features towards (the global slot's mean
 * of name, synonyms and description, and each body-part slot), embedded by the frozen USE-lite
 * encoder, exactly as training builds them (src/text-priors/prompts.ts). Prints, per slot, the
 * mean and largest off-diagonal similarity and the closest pair, and the global slot's matrix as
 * a table; writes a heatmap SVG (docs/nw-ucla-accuracy.md, item 3).
 *
 *   node dist/bench/description-similarity.js [--dataset nw-ucla] [--svg docs/img/x.svg] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import type * as vl from 'vega-lite';
import { initBackend } from '../src/engine/backend.js';
import { TEXT_SLOTS } from '../src/models/text-head.js';
import { readDescriptions, shippedDescriptionsFile } from '../src/text-priors/descriptions.js';
import { loadUseLite } from '../src/text-priors/encoder.js';
import { buildTextTable } from '../src/text-priors/prompts.js';
import { renderVegaLiteSvg, writeSvg } from '../src/train/plots.js';
import { arg } from './args.js';

async function main(): Promise<void> {
  const dataset = arg('dataset', 'nw-ucla');
  const file = shippedDescriptionsFile(dataset);
  if (!file) throw new Error(`no shipped descriptions for '${dataset}'`);
  await initBackend('wasm');
  const set = readDescriptions(file);
  const encoder = await loadUseLite();
  const table = await buildTextTable(encoder, [...set.classes.values()]);
  encoder.dispose();
  const C = table.classNames.length;
  const { dim } = table;
  const matrices = table.prototypes.map((p) => {
    const m: number[][] = [];
    for (let a = 0; a < C; a++) {
      m.push([]);
      for (let b = 0; b < C; b++) {
        let s = 0;
        for (let i = 0; i < dim; i++) s += p[a * dim + i] * p[b * dim + i];
        m[a].push(s);
      }
    }
    return m;
  });
  const summary = TEXT_SLOTS.map((slot, k) => {
    const m = matrices[k];
    let sum = 0;
    let n = 0;
    let max = -1;
    let pair = ['', ''];
    for (let a = 0; a < C; a++) {
      for (let b = a + 1; b < C; b++) {
        sum += m[a][b];
        n++;
        if (m[a][b] > max) [max, pair] = [m[a][b], [table.classNames[a], table.classNames[b]]];
      }
    }
    return { slot, meanOffDiagonal: sum / n, maxOffDiagonal: max, closestPair: pair };
  });
  for (const s of summary)
    console.log(
      `${s.slot}: mean off-diagonal cosine ${s.meanOffDiagonal.toFixed(3)}, largest ${s.maxOffDiagonal.toFixed(3)} (${s.closestPair.join(' / ')})`,
    );
  const g = matrices[0];
  console.log(
    `\n| global slot | ${table.classNames.map((_, i) => i + 1).join(' | ')} |\n|---|${table.classNames.map(() => '---|').join('')}`,
  );
  table.classNames.forEach((name, a) =>
    console.log(`| ${a + 1} ${name} | ${g[a].map((x) => x.toFixed(2)).join(' | ')} |`),
  );

  const svgPath = arg('svg', '');
  if (svgPath) {
    const rows = g.flatMap((r, a) => r.map((value, b) => ({ a: table.classNames[a], b: table.classNames[b], value })));
    const order = [...table.classNames];
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: {
        text: `${dataset}: cosine similarity of the text priors' class prototypes (global slot, USE-lite)`,
        anchor: 'start',
      },
      data: { values: rows },
      width: 360,
      height: 360,
      encoding: {
        x: { field: 'b', type: 'nominal', sort: order, title: null, axis: { labelAngle: -40 } },
        y: { field: 'a', type: 'nominal', sort: order, title: null },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: {
              field: 'value',
              type: 'quantitative',
              title: 'cosine',
              scale: { domain: [0, 1], scheme: 'blues' },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: {
            text: { field: 'value', type: 'quantitative', format: '.2f' },
            color: { condition: { test: 'datum.value > 0.7', value: 'white' }, value: 'black' },
          },
        },
      ],
    } as unknown as vl.TopLevelSpec;
    writeSvg(svgPath, await renderVegaLiteSvg(spec));
    console.log(`→ ${svgPath}`);
  }
  const jsonPath = arg('json', '');
  if (jsonPath)
    writeFileSync(
      jsonPath,
      `${JSON.stringify({ dataset, encoder: table.encoder, classes: table.classNames, slots: summary, global: g }, null, 1)}\n`,
    );
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
