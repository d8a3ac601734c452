/**
 * Stopping a training run (item 13 of issue 12): SIGTERM (a scheduler's stop) and Ctrl-C (SIGINT)
 * stop at the next micro-batch, write a checkpoint and say where, exit 143 / 130, never "nothing
 * to plot"; the printed --resume command continues the run.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { packageRoot } from '../../src/util/paths.js';
import { skelact, skelactSignalled, tmp } from './cli-run.js';

const work = tmp('skelact-hostile-train-');
const cache = join(work, 'cache');
const config = join(work, 'config.json');

test.before(() => {
  const raw = join(work, 'raw');
  for (const args of [['synth', '--out', raw, '--samples-per-class', '3', '--quiet'], ['prepare', 'ntu', '--raw', raw, '--out', cache, '--quiet']]) {
    const r = skelact(args);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const base = JSON.parse(readFileSync(join(packageRoot(), 'configs/small/stgcn-synthetic.json'), 'utf8')) as { optim: object };
  // Many epochs of micro-batched steps: the run is still going when the signal comes.
  writeFileSync(config, JSON.stringify({ ...base, optim: { ...base.optim, epochs: 200, batchSize: 8, microBatch: 2 } }));
});

for (const [signal, code, said] of [['SIGTERM', 143, /stopped by SIGTERM/], ['SIGINT', 130, /interrupted \(Ctrl-C\)/]] as const) {
  test.serial(`${signal} during training: checkpoint written and named, exit ${code}, no "nothing to plot"`, async (t) => {
    const out = join(work, `run-${signal}`);
    const r = await skelactSignalled(['train', '--config', config, '--data', cache, '--out', out], /starting; \d+ iterations per epoch/, signal);
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
      const resumed = skelact(['train', '--config', config, '--data', cache, '--out', out, '--resume', '--epochs', String(state.epoch + 1), '--quiet', '--json']);
      t.is(resumed.code, 0, resumed.stderr);
      t.is((JSON.parse(resumed.stdout) as { epochs: number }).epochs, state.epoch + 1);
    }
  });
}
