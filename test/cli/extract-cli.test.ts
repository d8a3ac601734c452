/** `skelact extract` from the command line: one video, a folder with a bad file, generic records → prepare. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPoseFile } from '../../src/pose/pose-file.js';
import { packageRoot } from '../../src/util/paths.js';
import { testNeeding } from '../helpers/requirements.js';
import { sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';

const BIN = join(packageRoot(), 'bin', 'skelact.js');
const tmp = () => tempDir('skelact-extract-');
function skelact(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const MESSI = 'media/messi_panzoom.mp4';

test('extract --help documents the engines, models, persons and outputs', (t) => {
  const r = skelact('extract', '--help');
  t.is(r.code, 0, r.stderr);
  for (const option of [
    '--engine',
    '--pose-model',
    '--persons',
    '--fps',
    '--width',
    '--generic',
    '--layout',
    '--label-from-folder',
  ])
    t.regex(r.stdout, new RegExp(option));
});

test('extract refuses a missing input and an empty folder with what is wrong', (t) => {
  const dir = tmp();
  const a = skelact('extract', join(dir, 'none.mp4'), '--out', join(dir, 'x.poses.json'));
  t.is(a.code, 1);
  t.regex(a.stderr, /none\.mp4: no such file or folder/);
  mkdirSync(join(dir, 'empty'));
  const b = skelact('extract', join(dir, 'empty'), '--out', join(dir, 'out'));
  t.is(b.code, 1);
  t.regex(b.stderr, /no video files in this folder/);
});

testNeeding(
  'a folder: every video extracted, a bad file reported and skipped, generic records that prepare reads',
  { ffmpeg: true, poseModels: true, shared: [MESSI] },
  (t) => {
    const dir = tmp();
    const videos = join(dir, 'videos');
    mkdirSync(join(videos, 'kick'), { recursive: true });
    mkdirSync(join(videos, 'wave'), { recursive: true });
    copyFileSync(sharedPath(MESSI), join(videos, 'kick', 'a.mp4'));
    copyFileSync(sharedPath(MESSI), join(videos, 'wave', 'b.mp4'));
    writeFileSync(join(videos, 'wave', 'broken.mp4'), 'not a video at all\n'.repeat(20));
    const out = join(dir, 'poses');
    const generic = join(dir, 'dataset.jsonl');
    const r = skelact(
      'extract',
      videos,
      '--out',
      out,
      '--engine',
      'tfjs',
      '--pose-model',
      'lite',
      '--fps',
      '2',
      '--generic',
      generic,
      '--label-from-folder',
      '--json',
    );
    t.is(r.code, 3, r.stderr); // some inputs failed (broken.mp4): the good ones are written
    t.regex(r.stderr, /pose engine: tfjs: BlazePose lite/);
    const report = JSON.parse(r.stdout) as {
      videos: Array<{ file: string; frames: number; framesWithPerson: number }>;
      failed: Array<{ file: string; error: string }>;
    };
    t.is(report.videos.length, 2);
    t.true(report.videos.every((v) => v.frames === 12 && v.framesWithPerson >= 11));
    t.is(report.failed.length, 1);
    t.regex(report.failed[0].file, /broken\.mp4$/);
    t.regex(report.failed[0].error, /broken\.mp4: not a video or picture: its content is text/);
    t.deepEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).failed, report.failed);
    const poses = readPoseFile(join(out, 'kick', 'a.poses.json'));
    t.is(poses.frames.length, 12);
    t.like(poses.extraction, { engine: 'tfjs', model: 'lite', fps: 2, width: 640, height: 400, persons: 1 });
    t.false(existsSync(join(out, 'wave', 'broken.poses.json')), 'nothing half-written for the bad file');
    // The generic records become a dataset: one sample per video, labelled by folder, NTU-25 metres.
    const lines = readFileSync(generic, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; label: string; layout: string; meta: Record<string, string> });
    t.deepEqual(
      lines.map((l) => [l.name, l.label, l.layout]),
      [
        ['kick/a', 'kick', 'ntu-25'],
        ['wave/b', 'wave', 'ntu-25'],
      ],
    );
    t.regex(lines[0].meta.synthesisedJoints, /SpineMid/);
    const cache = join(dir, 'cache');
    const p = skelact('prepare', 'generic', '--raw', generic, '--out', cache, '--json');
    t.is(p.code, 0, p.stderr);
    t.like(JSON.parse(p.stdout), { samples: 2 });
  },
);

testNeeding(
  'one video that is not a video: exit 1 and a message naming the file',
  { ffmpeg: true, poseModels: true },
  (t) => {
    const dir = tmp();
    const bad = join(dir, 'clip.mp4');
    writeFileSync(bad, 'hello');
    const r = skelact('extract', bad, '--out', join(dir, 'clip.poses.json'), '--engine', 'tfjs');
    t.is(r.code, 1);
    t.regex(r.stderr, /clip\.mp4: not a video or picture: its content is text/);
  },
);

test('extract --shard needs i/n with i < n', (t) => {
  const dir = tmp();
  mkdirSync(join(dir, 'videos'));
  writeFileSync(join(dir, 'videos', 'a.mp4'), 'x');
  for (const shard of ['2/2', '1', 'a/b', '0/0']) {
    const r = skelact('extract', join(dir, 'videos'), '--out', join(dir, 'out'), '--shard', shard);
    t.is(r.code, 1, shard);
    t.regex(r.stderr, /--shard .*: expected i\/n with 0 <= i < n/, shard);
  }
});

testNeeding(
  'extract --shard 0/2 and 1/2 together extract every video of the folder once, each shard its own report',
  { ffmpeg: true, poseModels: true, shared: [MESSI] },
  (t) => {
    const dir = tmp();
    const videos = join(dir, 'videos');
    mkdirSync(videos);
    for (let i = 0; i < 3; i++) {
      const r = spawnSync('ffmpeg', [
        '-loglevel',
        'error',
        '-y',
        '-ss',
        String(i),
        '-i',
        sharedPath(MESSI),
        '-frames:v',
        '2',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        join(videos, `v${i}.mp4`),
      ]);
      t.is(r.status, 0);
    }
    const out = join(dir, 'poses');
    const files = ['0/2', '1/2'].map((shard) => {
      const r = skelact(
        'extract',
        videos,
        '--out',
        out,
        '--shard',
        shard,
        '--engine',
        'tfjs',
        '--pose-model',
        'lite',
        '--width',
        '256',
        '--json',
      );
      t.is(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { videos: Array<{ file: string }> }).videos.map((v) => v.file.split('/').pop());
    });
    t.deepEqual(files, [['v0.mp4', 'v2.mp4'], ['v1.mp4']]);
    t.true(existsSync(join(out, 'report-0-of-2.json')) && existsSync(join(out, 'report-1-of-2.json')));
    for (const v of ['v0', 'v1', 'v2']) t.is(readPoseFile(join(out, `${v}.poses.json`)).frames.length, 2);
  },
);
