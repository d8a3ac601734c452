/**
 * Stopping a training run (item 13 of issue 12): SIGTERM (a scheduler's stop) and Ctrl-C (SIGINT)
 * stop at the next micro-batch, write a checkpoint and say where, exit 143 / 130, never "nothing
 * to plot"; the printed --resume command continues the run. And (item 8) train and eval refuse
 * outputs they cannot write before the work, naming the path and the option.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { initBackend } from '../../src/engine/backend.js';
import { saveModel } from '../../src/models/io.js';
import { createModel } from '../../src/models/registry.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { packageRoot } from '../../src/util/paths.js';
import { skelact, skelactSignalled, tmp } from './cli-run.js';

const work = tmp('skelact-hostile-train-');
const cache = join(work, 'cache');
const config = join(work, 'config.json');

test.before(() => {
  const raw = join(work, 'raw');
  for (const args of [
    ['synth', '--out', raw, '--samples-per-class', '3', '--quiet'],
    ['prepare', 'ntu', '--raw', raw, '--out', cache, '--quiet'],
  ]) {
    const r = skelact(args);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const base = JSON.parse(readFileSync(join(packageRoot(), 'configs/small/stgcn-synthetic.json'), 'utf8')) as {
    optim: object;
  };
  // Many epochs of micro-batched steps: the run is still going when the signal comes.
  writeFileSync(
    config,
    JSON.stringify({ ...base, optim: { ...base.optim, epochs: 200, batchSize: 8, microBatch: 2 } }),
  );
});

for (const [signal, code, said] of [
  ['SIGTERM', 143, /stopped by SIGTERM/],
  ['SIGINT', 130, /interrupted \(Ctrl-C\)/],
] as const) {
  test.serial(
    `${signal} during training: checkpoint written and named, exit ${code}, no "nothing to plot"`,
    async (t) => {
      const out = join(work, `run-${signal}`);
      const r = await skelactSignalled(
        ['train', '--config', config, '--data', cache, '--out', out],
        /starting; \d+ iterations per epoch/,
        signal,
      );
      t.is(r.code, code, r.stderr);
      t.regex(r.stderr, said);
      t.regex(r.stderr, new RegExp(`checkpoint written: ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/checkpoint`));
      t.regex(r.stderr, /continue with: npx skelact train --config .* --resume/);
      t.notRegex(r.stderr, /nothing to plot/);
      t.true(existsSync(join(out, 'checkpoint')));
      const state = readCheckpointState(join(out, 'checkpoint'));
      t.true(state.epoch < 200);
      if (signal === 'SIGTERM') {
        // The printed command continues the run from the checkpoint.
        const resumed = skelact([
          'train',
          '--config',
          config,
          '--data',
          cache,
          '--out',
          out,
          '--resume',
          '--epochs',
          String(state.epoch + 1),
          '--quiet',
          '--json',
        ]);
        t.is(resumed.code, 0, resumed.stderr);
        t.is((JSON.parse(resumed.stdout) as { epochs: number }).epochs, state.epoch + 1);
      }
    },
  );
}

test.serial(
  'eval and train refuse outputs they cannot write before any work, naming the path and the option',
  async (t) => {
    await initBackend('wasm');
    const opened = SkeletonCache.open(cache);
    const classNames = [...opened.manifest.classNames];
    opened.close();
    const modelDir = join(work, 'model');
    const model = createModel(
      { kind: 'stgcn', preset: 'tiny' },
      { layout: 'ntu-25', classes: classNames.length, frames: 16, persons: 2 },
      2,
    );
    await saveModel(modelDir, model, {
      layout: 'ntu-25',
      classNames,
      modality: 'j',
      sampling: 'crop-resize',
      testCrop: 0.95,
      minLength: 16,
      fillMissingPersons: 'zeros',
      normalize: 'none',
      data: { benchmark: 'ntu60-xsub', frames: 16, sampling: 'crop-resize', minLength: 16 },
    });
    model.dispose();
    writeFileSync(join(work, 'a-file'), 'x');
    const scores = skelact(['eval', '--model', modelDir, '--data', cache, '--scores', join(work, 'a-file', 'scores')]);
    t.is(scores.code, 1, scores.stderr);
    t.regex(
      scores.stderr,
      /cannot write .*a-file\/scores: .*a-file is a file, not a folder; write the scores elsewhere with --scores <folder>/,
    );
    t.notRegex(scores.stderr, /samples \(100 %\)|top-1/, 'refused before evaluating');
    const plot = skelact(['eval', '--model', modelDir, '--data', cache, '--plot', '/sys/skelact-confusion.svg']);
    t.is(plot.code, 1);
    t.regex(plot.stderr, /cannot write \/sys\/skelact-confusion\.svg: \/sys is not writable .*--plot <file\.svg>/);
    t.false(existsSync(join(modelDir, 'scores-ntu60-xsub-test')), 'nothing half-written in the model folder');
    const train = skelact(['train', '--config', config, '--data', cache, '--out', '/sys/skelact-run']);
    t.is(train.code, 1);
    t.regex(
      train.stderr,
      /cannot write \/sys\/skelact-run: \/sys is not writable .*choose a writable run folder with --out/,
    );
  },
);
