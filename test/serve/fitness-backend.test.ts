/**
 * The README's Node fitness backend (examples/fitness-backend.mjs), run as a user would: a
 * WebSocket client sends squat frames as MediaPipe results; the replies carry the stream
 * classifier's events and the repetition count.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { initBackend } from '../../src/engine/backend.js';
import { saveModel } from '../../src/models/io.js';
import { createModel } from '../../src/models/registry.js';
import { packageRoot } from '../../src/util/paths.js';
import { prng } from '../helpers/prng.js';
import { squatFigure } from '../helpers/squat-figure.js';
import { heldOutPoses, landmarksOf, MLKIT_CSV, repsBetween } from '../helpers/mlkit-poses.js';
import { testWithShared } from '../helpers/shared.js';
import type { Point3 } from '../../src/serve/reps.js';
import { classNames } from '../../src/data/classes.js';
import { tempDir } from '../helpers/temp.js';

test('examples/fitness-backend.mjs: landmarks over a WebSocket in, actions and repetition counts out', async (t) => {
  t.timeout(180_000);
  await initBackend('wasm');
  const dir = tempDir('skelact-ws-');
  const model = createModel(
    { kind: 'stgcn', preset: 'tiny' },
    { layout: 'ntu-25', classes: 3, frames: 16, persons: 1 },
    2,
  );
  await saveModel(join(dir, 'model'), model, {
    layout: 'ntu-25',
    classNames: ['squat', 'wave', 'walk'],
    modality: 'j',
    sampling: 'crop-resize',
    testCrop: 0.95,
    minLength: 16,
    fillMissingPersons: 'zeros',
    normalize: 'none',
    data: { benchmark: 'x', frames: 16 },
    preprocessing: { alignment: 'ctrgcn' },
  });
  model.dispose();
  const r = prng(3);
  const rows: string[] = [];
  for (let k = 0; k < 20; k++)
    for (const [cls, depth] of [
      ['up', 0.05 * r()],
      ['down', 0.9 + 0.1 * r()],
    ] as const)
      rows.push(
        [
          `${cls}${k}`,
          cls,
          ...squatFigure(depth, 3, r)
            .flat()
            .map((v) => v.toFixed(2)),
        ].join(','),
      );
  writeFileSync(join(dir, 'samples.csv'), `${rows.join('\n')}\n`);

  const rng = prng(9);
  const frames = Array.from({ length: 3 * 60 + 20 }, (_, i) => {
    // Three squats of 2 s at 30 fps.
    const depth = i >= 180 ? 0 : (1 - Math.cos((2 * Math.PI * (i % 60)) / 60)) / 2;
    return { timestampMs: (i * 1000) / 30, landmarks: squatFigure(depth, 2, rng) };
  });
  const replies = await backendReplies([join(dir, 'model'), join(dir, 'samples.csv'), 'down'], frames, 640, 640);
  t.is(replies.length, frames.length);
  t.is(replies[replies.length - 1].reps, 3);
  t.true(
    replies.some((m) => m.events.some((e) => e.type === 'scores')),
    'classifications came back',
  );
  t.true(replies.filter((m) => m.events.some((e) => e.type === 'scores')).length >= 15);
});

testWithShared(
  'examples/fitness-backend.mjs with the shipped models only (nw-ucla actions, squats counted by the fitness model) on real poses',
  MLKIT_CSV,
  async (t) => {
    t.timeout(180_000);
    const held = heldOutPoses();
    const up = landmarksOf(held.find((s) => s.meta.className === 'squats_up')!);
    const down = landmarksOf(held.find((s) => s.meta.className === 'squats_down')!);
    const frames = repsBetween(up, down, 3, 4, 2);
    const replies = await backendReplies(['nw-ucla', 'fitness', 'squats_down'], frames, 1280, 960);
    t.is(replies.length, frames.length);
    t.is(replies[replies.length - 1].reps, 3);
    const labels = new Set(replies.flatMap((m) => m.top.map((c) => c.label)));
    t.true(labels.size > 0 && [...labels].every((l) => NW_UCLA_CLASSES.includes(l)), [...labels].join(', '));
  },
);

const NW_UCLA_CLASSES = classNames('nw-ucla');

interface Reply {
  events: Array<{ type: string }>;
  reps: number | null;
  top: Array<{ label: string; score: number }>;
}

/** Starts the example with `args`, sends the poses (pixels) as MediaPipe results one by one, returns every reply. */
async function backendReplies(
  args: readonly string[],
  frames: ReadonlyArray<{ timestampMs: number; landmarks: readonly Point3[] }>,
  W: number,
  H: number,
): Promise<Reply[]> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(
    process.execPath,
    [join(packageRoot(), 'examples', 'fitness-backend.mjs'), ...args, String(port)],
    {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  server.stderr.on('data', (d) => (stderr += d));
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d) => String(d).includes('fitness backend on') && resolve());
      server.on('exit', (code) => reject(new Error(`the example exited (${code}): ${stderr}`)));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const replies: Reply[] = [];
    ws.on('message', (m) => replies.push(JSON.parse(String(m))));
    for (const f of frames)
      ws.send(
        JSON.stringify({
          timestampMs: f.timestampMs,
          width: W,
          height: H,
          landmarks: f.landmarks.map(([x, y, z]) => [x / W, y / H, z / W, 0.99]),
          worldLandmarks: f.landmarks.map(([x, y, z]) => [(x - W / 2) / 400, (y - H / 2) / 400, z / 400]),
        }),
      );
    await new Promise<void>((resolve) => {
      const check = () => (replies.length >= frames.length ? resolve() : setTimeout(check, 50));
      check();
    });
    ws.close();
    return replies;
  } finally {
    server.kill();
  }
}
