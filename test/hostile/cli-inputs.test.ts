/**
 * Hostile inputs through the CLI (items 5, 8, 9 of issue 12): a text file given to extract, a
 * folder of videos with a text file and binary junk named .mp4, outputs that cannot be written,
 * and a .skeleton batch with binary and truncated files. Each case checks the exit code, the
 * message (the file, what is wrong, the option that avoids it; no raw bytes) and what is left on disk.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { testNeeding } from '../helpers/requirements.js';
import { RAW_BYTES, skelact, tmp } from './cli-run.js';

/** Bytes a terminal would act on: escape sequences, NUL, DEL, C1 controls, invalid UTF-8. */
const JUNK = Buffer.from([
  0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x52, 0x45, 0x44, 0x7f, 0xc2, 0x9b, 0x07, 0x0d,
]);
/** A place no user can write: sysfs refuses new files, even to root. */
const UNWRITABLE = '/sys/skelact-hostile-out';

test('extract on a text file: an error naming it as text, before any decoding or engine start; nothing written', (t) => {
  const dir = tmp();
  const labels = join(dir, 'actionLabel.txt');
  writeFileSync(labels, Array.from({ length: 20 }, (_, i) => `walk: ${i * 30} ${i * 30 + 29}`).join('\n'));
  const out = join(dir, 'labels.poses.json');
  const r = skelact(['extract', labels, '--out', out]);
  // Before: ffmpeg's tty demuxer decoded it as a 16-frame "video", exit 0.
  t.is(r.code, 1, r.stderr);
  t.regex(
    r.stderr,
    /actionLabel\.txt: not a video or picture: its content is text and \.txt is not a video extension \(videos: \.mp4/,
  );
  t.notRegex(r.stderr, /pose engine:/, 'refused before the pose engine started');
  t.false(existsSync(out));
  // A text file named .mp4 is refused by its content.
  const fake = join(dir, 'clip.mp4');
  writeFileSync(fake, 'this is not a video\n');
  const r2 = skelact(['extract', fake, '--out', out]);
  t.is(r2.code, 1);
  t.regex(r2.stderr, /clip\.mp4: not a video or picture: its content is text \(videos:/);
  t.false(existsSync(out));
});

test('extract into a place that cannot be written fails before the work, naming the path and --out', (t) => {
  const dir = tmp();
  const videos = join(dir, 'videos');
  mkdirSync(videos);
  writeFileSync(join(videos, 'a.mp4'), JUNK);
  const r = skelact(['extract', videos, '--out', UNWRITABLE]);
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    new RegExp(`cannot write ${UNWRITABLE}: /sys is not writable \\(E[A-Z]+\\); choose a writable place with --out`),
  );
  t.notRegex(r.stderr, /pose engine:/);
  // Under a file (ENOTDIR), and a --generic file in an unwritable place.
  writeFileSync(join(dir, 'a-file'), 'x');
  const r2 = skelact(['extract', videos, '--out', join(dir, 'a-file', 'poses')]);
  t.is(r2.code, 1);
  t.regex(r2.stderr, /a-file is a file, not a folder; choose a writable place with --out/);
  const r3 = skelact(['extract', videos, '--out', join(dir, 'poses'), '--generic', join(UNWRITABLE, 'x.jsonl')]);
  t.is(r3.code, 1);
  t.regex(r3.stderr, /choose a writable file with --generic/);
});

testNeeding(
  'extract over a folder with junk: the good video written, each bad file reported by name, exit 3, no raw bytes echoed',
  { ffmpeg: true, poseModels: true },
  (t) => {
    const dir = tmp();
    const videos = join(dir, 'videos');
    mkdirSync(videos);
    // A 1 s test-pattern video (no person in it: the extraction still succeeds, with no tracks).
    const ff = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=4:duration=1',
      '-pix_fmt',
      'yuv420p',
      join(videos, 'good.mp4'),
    ]);
    t.is(ff.status, 0, String(ff.stderr));
    writeFileSync(join(videos, 'notes.mp4'), 'meeting notes\nnot a video\n');
    writeFileSync(join(videos, 'junk.mp4'), Buffer.concat([JUNK, JUNK, JUNK]));
    const out = join(dir, 'poses');
    const r = skelact(['extract', videos, '--out', out, '--engine', 'tfjs', '--pose-model', 'lite', '--fps', '2']);
    t.is(r.code, 3, r.stderr);
    t.regex(r.stdout, /1 of 3 videos extracted/);
    t.regex(
      r.stdout,
      /failed: .*junk\.mp4: not a video or picture: its first bytes \(\\x00\\xff\\xfe\\x1b\[31m\) are no video or picture format/,
    );
    t.regex(r.stdout, /failed: .*notes\.mp4: not a video or picture: its content is text/);
    t.notRegex(r.stdout + r.stderr, RAW_BYTES);
    t.deepEqual(readdirSync(out).sort(), ['good.poses.json', 'report.json']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { failed: Array<{ file: string }> };
    t.deepEqual(report.failed.map((f) => f.file.split('/').pop()).sort(), ['junk.mp4', 'notes.mp4']);
  },
);

test('prepare on a .skeleton batch with a binary and a corrupted file: good files cached, exit 3, failures named, no raw bytes', (t) => {
  const dir = tmp();
  const raw = join(dir, 'raw');
  const synth = skelact(['synth', '--out', raw, '--samples-per-class', '1', '--actions', 'A001', 'A006', '--quiet']);
  t.is(synth.code, 0, synth.stderr);
  const good = readdirSync(raw).filter((f) => f.endsWith('.skeleton'));
  t.is(good.length, 2);
  writeFileSync(join(raw, 'S001C001P001R001A008.skeleton'), Buffer.concat(Array.from({ length: 20 }, () => JUNK)));
  const text = readFileSync(join(raw, good[0]));
  writeFileSync(
    join(raw, 'S001C001P001R001A009.skeleton'),
    Buffer.concat([text.subarray(0, 100), Buffer.from('12\n'), JUNK]),
  );
  const cache = join(dir, 'cache');
  const r = skelact(['prepare', 'ntu', '--raw', raw, '--out', cache, '--workers', '0']);
  // Before: exit 0, and the binary bytes (an escape sequence among them) written to the terminal.
  t.is(r.code, 3, r.stderr);
  t.notRegex(r.stdout + r.stderr, RAW_BYTES);
  t.regex(r.stderr, /failed: S001C001P001R001A008\.skeleton:1: expected a frame count .*found binary data/);
  t.regex(r.stderr, /failed: S001C001P001R001A009\.skeleton:\d+: expected/);
  t.regex(r.stderr, /exit code 3: 2 file\(s\) failed/);
  const c = SkeletonCache.open(cache);
  t.is(c.manifest.samples, 2, 'the good files are in the cache');
  c.close();
  // --json: the same code, and the failures in the JSON.
  const j = skelact([
    'prepare',
    'ntu',
    '--raw',
    raw,
    '--out',
    join(dir, 'cache2'),
    '--workers',
    '0',
    '--json',
    '--quiet',
  ]);
  t.is(j.code, 3);
  t.is((JSON.parse(j.stdout) as { failed: unknown[] }).failed.length, 2);
  // Into an unwritable place: refused before reading anything.
  const u = skelact(['prepare', 'ntu', '--raw', raw, '--out', UNWRITABLE]);
  t.is(u.code, 1);
  t.regex(u.stderr, new RegExp(`cannot write ${UNWRITABLE}: /sys is not writable .*--out`));
});
