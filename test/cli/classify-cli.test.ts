/** `skelact classify` on a pose file with a saved model: timeline, scores JSON and the HTML page. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { saveModel } from '../../src/models/io.js';
import { createModel } from '../../src/models/registry.js';
import { packageRoot } from '../../src/util/paths.js';
import { testNeeding } from '../helpers/requirements.js';
import { sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// One backend start for the file: two tests starting the wasm backend at once race.
test.before(async () => {
  await initBackend('wasm');
});

test('classify --help documents the window, stride, thresholds and outputs', (t) => {
  const r = skelact('classify', '--help');
  t.is(r.code, 0, r.stderr);
  for (const o of [
    '--model',
    '--window',
    '--stride',
    '--smoothing',
    '--start-score',
    '--end-score',
    '--scores',
    '--html',
  ])
    t.regex(r.stdout, new RegExp(o));
});

testNeeding(
  'a video: poses extracted, classified as a stream, timeline JSON, per-window scores and an HTML overlay',
  { ffmpeg: true, poseModels: true, shared: ['media/messi_panzoom.mp4'] },
  async (t) => {
    await initBackend('wasm');
    const dir = tempDir('skelact-classify-');
    const modelDir = join(dir, 'model');
    const model = createModel(
      { kind: 'skateformer', preset: 'realtime', frames: 32 },
      { layout: 'ntu-25', classes: 3, frames: 32, persons: 1 },
      2,
    );
    await saveModel(modelDir, model, {
      layout: 'ntu-25',
      classNames: ['kick', 'wave', 'sit'],
      modality: 'j',
      sampling: 'skateformer',
      testCrop: 0.95,
      minLength: 32,
      fillMissingPersons: 'zeros',
      normalize: 'none',
      data: { benchmark: 'x', frames: 32, sampling: 'skateformer', minLength: 32 },
      preprocessing: { alignment: 'ctrgcn' },
    });
    model.dispose();
    const video = join(dir, 'clip.mp4');
    spawnSync('cp', [sharedPath('media/messi_panzoom.mp4'), video]);
    const scores = join(dir, 'scores.json');
    const html = join(dir, 'page.html');
    const r = skelact(
      'classify',
      video,
      '--model',
      modelDir,
      '--engine',
      'tfjs',
      '--pose-model',
      'lite',
      '--stride',
      '8',
      '--start-score',
      '0.34',
      '--end-score',
      '0.2',
      '--scores',
      scores,
      '--html',
      html,
      '--json',
    );
    t.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      frames: number;
      classifications: number;
      timeline: Array<{ label: string; startMs: number; endMs: number }>;
    };
    t.is(out.frames, 150);
    // 6 s at 25 fps on the 30 fps grid: 180 slots; the first classification once 16 slots hold a person, then every 8.
    t.is(out.classifications, Math.floor((180 - 16) / 8) + 1);
    // Three classes, start score just above a third: an untrained model names some action.
    t.true(out.timeline.length >= 1);
    t.true(out.timeline.every((s) => ['kick', 'wave', 'sit'].includes(s.label) && s.endMs >= s.startMs));
    const written = JSON.parse(readFileSync(scores, 'utf8')) as {
      classifications: Array<{ timestampMs: number; top: Array<{ label: string; score: number }> }>;
    };
    t.is(written.classifications.length, out.classifications);
    t.true(existsSync(html));
    const page = readFileSync(html, 'utf8');
    t.regex(page, /<video id="video" src="clip\.mp4"/);
    t.regex(page, /"bones":\[\[/);
  },
);

test('a model on a layout MediaPipe poses cannot be mapped to is refused before any work', async (t) => {
  await initBackend('wasm');
  const dir = tempDir('skelact-classify-');
  const modelDir = join(dir, 'model');
  const model = createModel(
    { kind: 'stgcn', preset: 'tiny' },
    { layout: 'openpose-18', classes: 2, frames: 16, persons: 1 },
    2,
  );
  await saveModel(modelDir, model, {
    layout: 'openpose-18',
    classNames: ['a', 'b'],
    modality: 'j',
    sampling: 'crop-resize',
    testCrop: 0.95,
    minLength: 16,
    fillMissingPersons: 'zeros',
    normalize: 'none',
  });
  model.dispose();
  const poses = join(dir, 'x.poses.json');
  require_file(poses);
  const r = skelact('classify', poses, '--model', modelDir);
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /the model's layout is openpose-18, which MediaPipe poses cannot be mapped to; models that fit: ntu-25/,
  );
});

function require_file(path: string): void {
  spawnSync('sh', ['-c', `echo '{}' > '${path}'`]);
}

/** A pose file of `frames` frames at 30 fps; `person` gives frame i's world landmarks, or none. */
function poseFile(path: string, frames: number, person: (i: number) => number[][] | null): void {
  const list = Array.from({ length: frames }, (_, index) => {
    const world = person(index);
    return {
      index,
      timestampMs: (index * 1000) / 30,
      people: world
        ? [{ track: 0, image: world.map(() => [0.5, 0.5, 0, 0.99]), world, box: [0, 0, 10, 10], score: 0.99 }]
        : [],
    };
  });
  const withPerson = list.filter((f) => f.people.length).length;
  writeFileSync(
    path,
    JSON.stringify({
      format: 'skelact-poses',
      version: 1,
      source: { file: 'none.mp4', width: 100, height: 100, fps: 30, durationSeconds: frames / 30 },
      extraction: {
        engine: 'tfjs',
        engineDescription: 'synthetic',
        model: 'full',
        fps: 30,
        width: 100,
        height: 100,
        persons: 1,
        detector: null,
        skelactVersion: '0',
        date: '2026-01-01',
      },
      landmarkLayout: 'blazepose-33',
      tracks: withPerson ? [{ id: 0, firstFrame: 0, lastFrame: frames - 1, frames: withPerson }] : [],
      frames: list,
    }),
  );
}

test('several clips: a clip with no person is reported and the next one is classified (kinect-20 model, MediaPipe landmarks mapped)', async (t) => {
  await initBackend('wasm');
  const dir = tempDir('skelact-classify-');
  const modelDir = join(dir, 'model');
  const model = createModel(
    { kind: 'stgcn', preset: 'tiny' },
    { layout: 'kinect-20', classes: 2, frames: 16, persons: 1 },
    2,
  );
  await saveModel(modelDir, model, {
    layout: 'kinect-20',
    classNames: ['a', 'b'],
    modality: 'j',
    sampling: 'ucla',
    testCrop: 0.95,
    minLength: 16,
    fillMissingPersons: 'zeros',
    normalize: 'face-box',
  });
  model.dispose();
  const nobody = join(dir, 'nobody.poses.json');
  const someone = join(dir, 'someone.poses.json');
  poseFile(nobody, 40, () => null);
  // A standing figure swaying a little: every landmark somewhere in a 1.7 m tall box.
  poseFile(someone, 60, (i) =>
    Array.from({ length: 33 }, (_, k) => [
      0.3 * Math.sin(k) + 0.02 * Math.sin(i / 5),
      -0.8 + (1.7 * k) / 33,
      0.1 * Math.cos(k),
    ]),
  );
  const r = skelact('classify', nobody, someone, '--model', modelDir, '--json');
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Array<{
    input: string;
    framesWithPerson: number;
    classifications: number;
    mostLikely: { label: string } | null;
  }>;
  t.is(out.length, 2);
  t.is(out[0].framesWithPerson, 0);
  t.is(out[0].classifications, 0);
  t.is(out[0].mostLikely, null);
  t.is(out[1].framesWithPerson, 60);
  t.true(out[1].classifications > 0);
  t.true(['a', 'b'].includes(out[1].mostLikely!.label));
  const text = skelact('classify', nobody, someone, '--model', modelDir);
  t.regex(text.stdout, /nobody\.poses\.json: no person found in any of its 40 frames/);
  t.regex(text.stdout, /someone\.poses\.json: 60 frames \(a person in 60\)/);
});

test('a field of view outside (0°, 180°) is refused, naming --fov', (t) => {
  const dir = tempDir('skelact-classify-');
  const poses = join(dir, 'x.poses.json');
  poseFile(poses, 3, () => null);
  const r = skelact('classify', poses, '--model', 'nw-ucla', '--fov', '180');
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /--fov: expected the camera's horizontal field of view in degrees, between 0 and 180 \(exclusive\), got 180/,
  );
});

test('an unknown model name lists the shipped models', (t) => {
  const dir = tempDir('skelact-classify-');
  const poses = join(dir, 'x.poses.json');
  poseFile(poses, 3, () => null);
  const r = skelact('classify', poses, '--model', 'no-such-model');
  t.is(r.code, 1);
  t.regex(r.stderr, /'no-such-model' is neither a model folder nor a shipped model; shipped models: /);
});
