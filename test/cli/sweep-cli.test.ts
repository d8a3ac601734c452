/**
 * `skelact sweep`: 2 tiny configs × 2 seeds as training jobs on a real redis-server, one worker,
 * then `skelact ensemble <sweep folder>` over the finished runs, checked against a fusion
 * computed here by hand from the runs' saved scores.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openQueue, queueStatus } from '../../src/queue/index.js';
import { readScores } from '../../src/train/evaluate.js';
import { packageRoot } from '../../src/util/paths.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { missing, testNeeding } from '../helpers/requirements.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = packageRoot();
const BIN = join(ROOT, 'bin', 'skelact.js');
function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let redis: TestRedis | undefined;
test.before(async () => {
  if (!missing({ redis: true })) redis = await startRedis();
});
test.after.always(async () => {
  await redis?.stop();
});

testNeeding(
  'a sweep of 2 configs × 2 seeds runs as 4 jobs into their own run folders; ensemble fuses the finished ones',
  { redis: true },
  async (t) => {
    const work = tempDir('skelact-sweep-');
    for (const r of [
      skelact('synth', '--out', join(work, 'raw'), '--samples-per-class', '2', '--quiet'),
      skelact('prepare', 'ntu', '--raw', join(work, 'raw'), '--out', join(work, 'cache'), '--quiet'),
    ])
      t.is(r.code, 0, r.stderr);
    const base = JSON.parse(readFileSync(join(ROOT, 'configs/small/stgcn-synthetic.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    const config = (name: string, modality: string) => {
      const file = join(work, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          ...base,
          name,
          data: { ...base.data, modality, frames: 16, minLength: 16 },
          optim: { ...base.optim, epochs: 1, batchSize: 8 },
        }),
      );
      return file;
    };
    const url = redis!.url(3);
    const out = join(work, 'runs');
    const args = [
      'sweep',
      '--config',
      config('joint', 'j'),
      '--config',
      config('bone', 'b'),
      '--seeds',
      '2',
      '--data',
      join(work, 'cache'),
      '--out',
      out,
      '--queue',
      url,
      '--json',
    ];
    const added = skelact(...args);
    t.is(added.code, 0, added.stderr);
    const sweep = JSON.parse(added.stdout) as { added: number; runs: Array<{ dir: string; seed: number }> };
    t.is(sweep.added, 4);
    t.deepEqual(
      sweep.runs.map((r) => r.dir),
      ['joint-seed1', 'joint-seed2', 'bone-seed1', 'bone-seed2'],
    );
    // Before any worker: nothing to fuse, and ensemble says so.
    const early = skelact('ensemble', out);
    t.is(early.code, 1);
    t.regex(early.stderr, /no run of this sweep has finished yet/);

    const w = skelact('worker', '--queue', url, '--until-empty', '--quiet');
    t.is(w.code, 0, w.stderr);
    for (const r of sweep.runs) {
      t.true(existsSync(join(out, r.dir, 'best')), `${r.dir} has its best model`);
      t.is((JSON.parse(readFileSync(join(out, r.dir, 'config.json'), 'utf8')) as { seed: number }).seed, r.seed);
    }
    t.like(JSON.parse(skelact(...args).stdout), { added: 0, alreadyQueued: 4 });

    const fused = skelact('ensemble', out, '--json');
    t.is(fused.code, 0, fused.stderr);
    const result = JSON.parse(fused.stdout) as { runs: unknown[]; top1: number };
    t.is(result.runs.length, 4);
    // By hand: the sum of the four runs' scores, arg-max, against the labels.
    const runs = sweep.runs.map((r) => readScores(join(out, r.dir, 'scores-test')));
    const K = runs[0].classNames.length;
    let correct = 0;
    for (let i = 0; i < runs[0].names.length; i++) {
      let best = -1;
      let bestScore = -Infinity;
      for (let k = 0; k < K; k++) {
        const s = runs.reduce((sum, run) => sum + run.scores[i * K + k], 0);
        if (s > bestScore) [best, bestScore] = [k, s];
      }
      if (best === runs[0].labels[i]) correct++;
    }
    t.true(Math.abs(result.top1 - correct / runs[0].names.length) < 1e-9);
  },
);

testNeeding(
  'a training worker killed with SIGKILL mid-run: another worker resumes the run from its checkpoint, every epoch once',
  { redis: true },
  async (t) => {
    const work = tempDir('skelact-sweep-');
    for (const r of [
      skelact('synth', '--out', join(work, 'raw'), '--samples-per-class', '2', '--quiet'),
      skelact('prepare', 'ntu', '--raw', join(work, 'raw'), '--out', join(work, 'cache'), '--quiet'),
    ])
      t.is(r.code, 0, r.stderr);
    const base = JSON.parse(readFileSync(join(ROOT, 'configs/small/stgcn-synthetic.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    const file = join(work, 'long.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...base,
        name: 'long',
        data: { ...base.data, frames: 16, minLength: 16 },
        optim: { ...base.optim, epochs: 6, batchSize: 8 },
      }),
    );
    const url = redis!.url(4);
    const out = join(work, 'runs');
    t.is(
      skelact('sweep', '--config', file, '--data', join(work, 'cache'), '--out', out, '--queue', url, '--quiet').code,
      0,
    );
    const metrics = join(out, 'long-seed1', 'metrics.jsonl');
    const epochs = () =>
      existsSync(metrics)
        ? readFileSync(metrics, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { epoch: number }).epoch)
        : [];
    // Worker A trains until its second epoch is logged (and checkpointed), then is killed.
    const a = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--stall-seconds', '4', '--quiet'], {
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => a.once('exit', resolve));
    const opened = await openQueue(url, { record: false });
    let progress: { done: number; total: number } | null = null;
    for (let i = 0; i < 600 && epochs().length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      progress = (await queueStatus(opened)).running[0]?.progress ?? progress;
    }
    a.kill('SIGKILL');
    await opened.close();
    t.true(
      progress !== null && progress.done > 0 && progress.done <= progress.total,
      `the running job reported its steps (${JSON.stringify(progress)})`,
    );
    await exited;
    const before = epochs();
    t.true(before.length >= 2 && before.length < 6, `killed part way (after epochs ${before.join(', ')})`);
    const b = skelact('worker', '--queue', url, '--stall-seconds', '4', '--until-empty', '--quiet');
    t.is(b.code, 0, b.stderr);
    t.deepEqual(epochs(), [1, 2, 3, 4, 5, 6], 'each epoch logged once: B went on from the checkpoint');
    t.true(existsSync(join(out, 'long-seed1', 'scores-test', 'scores.json')));
    const status = JSON.parse(skelact('queue', 'status', '--queue', url, '--json').stdout) as {
      counts: Record<string, number>;
    };
    t.like(status.counts, { done: 1, failed: 0 });
  },
);
