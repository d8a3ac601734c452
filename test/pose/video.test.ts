/** Video decoding with ffmpeg: probing, fixed rate and size, and clear errors for bad files. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeGeometry, decodeVideo, probeVideo, VideoError } from '../../src/pose/video.js';
import { missing, testNeeding } from '../helpers/requirements.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('skelact-video-');
const ffmpeg = (args: string[]) => {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
};
let clip = '';
let audio = '';
if (!missing({ ffmpeg: true })) {
  // 2 s of ffmpeg's test pattern at 25 fps, 320×240; and a file with sound only.
  clip = join(dir, 'pattern.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-pix_fmt', 'yuv420p', clip]);
  audio = join(dir, 'sound.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', audio]);
  // A video with no frames at all.
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x64:rate=10',
    '-frames:v',
    '0',
    '-pix_fmt',
    'yuv420p',
    join(dir, 'zero.mp4'),
  ]);
}

testNeeding('probe reads size, rate and duration', { ffmpeg: true }, (t) => {
  const info = probeVideo(clip);
  t.like(info, { width: 320, height: 240, fps: 25, codec: 'h264', still: false });
  t.true(Math.abs(info.durationSeconds - 2) < 0.1);
});

testNeeding(
  'decoding gives frames at the asked rate and width, RGBA, aspect kept, timestamps from the rate',
  { ffmpeg: true },
  async (t) => {
    const info = probeVideo(clip);
    t.deepEqual(decodeGeometry(info, { fps: 10, width: 160 }), { fps: 10, width: 160, height: 120 });
    const frames = [];
    for await (const f of decodeVideo(info, { fps: 10, width: 160 })) frames.push(f);
    t.is(frames.length, 20);
    t.true(frames.every((f) => f.width === 160 && f.height === 120 && f.rgba.length === 160 * 120 * 4));
    t.deepEqual(
      frames.slice(0, 3).map((f) => f.timestampMs),
      [0, 100, 200],
    );
    t.true(
      frames.every((f) => f.rgba.every((v, i) => i % 4 !== 3 || v === 255)),
      'alpha is opaque',
    );
    // The test pattern moves: frames differ.
    t.notDeepEqual(frames[0].rgba, frames[10].rgba);
    // Default: the file's own rate (25, at most 30) and never wider than the source.
    t.deepEqual(decodeGeometry(info), { fps: 25, width: 320, height: 240 });
  },
);

testNeeding(
  'stopping early ends ffmpeg (no hanging process) and the next decode works',
  { ffmpeg: true },
  async (t) => {
    const info = probeVideo(clip);
    let n = 0;
    for await (const _ of decodeVideo(info, { fps: 25 })) if (++n === 3) break;
    t.is(n, 3);
    let m = 0;
    for await (const _ of decodeVideo(info, { fps: 5 })) m++;
    t.is(m, 10);
  },
);

testNeeding(
  'bad input: missing, empty, not a video, no video stream, bad options — each named',
  { ffmpeg: true },
  (t) => {
    t.throws(() => probeVideo(join(dir, 'nope.mp4')), { instanceOf: VideoError, message: /nope\.mp4: no such file/ });
    const empty = join(dir, 'empty.mp4');
    writeFileSync(empty, '');
    t.throws(() => probeVideo(empty), { message: /empty\.mp4: empty file \(0 bytes\), not a video/ });
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'these are not video frames\n'.repeat(50));
    t.throws(() => probeVideo(text), { message: /notes\.mp4: not a video or picture: its content is text/ });
    // An MP4 signature on junk passes the content check and is refused by ffprobe.
    const junk = join(dir, 'junk.mp4');
    writeFileSync(
      junk,
      Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(200, 0x01)]),
    );
    t.throws(() => probeVideo(junk), { instanceOf: VideoError, message: /junk\.mp4: not a video ffmpeg can read/ });
    t.throws(() => probeVideo(audio), { message: /sound\.mp4: has no video stream \(streams: audio\)/ });
    t.throws(() => probeVideo(join(dir, 'zero.mp4')), { message: /zero\.mp4: zero-length video/ });
    t.throws(() => probeVideo(dir), { message: /is a folder, not a video/ });
    const info = probeVideo(clip);
    t.throws(() => decodeGeometry(info, { width: 3 }), { message: /option `width` must be an integer of at least 16/ });
    t.throws(() => decodeGeometry(info, { fps: -1 }), { message: /option `fps` must be positive/ });
  },
);

test('a missing ffmpeg names the setup command', (t) => {
  // In a child process, so that this process's found binaries are not in the way.
  const module = new URL('../../src/pose/video.js', import.meta.url).href;
  const script = `import('${module}').then((m) => { try { m.probeVideo(process.argv[1]); } catch (e) { console.log(e.name + ': ' + e.message); } })`;
  // A file that starts like an MP4, so that it gets past the content check to ffprobe.
  const fake = join(tempDir('skelact-video-'), 'fake.mp4');
  writeFileSync(fake, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(64)]));
  const r = spawnSync(process.execPath, ['-e', script, fake], {
    encoding: 'utf8',
    env: { ...process.env, SKELACT_FFPROBE: '/nonexistent/ffprobe' },
  });
  t.regex(r.stdout, /MissingToolError: SKELACT_FFPROBE=\/nonexistent\/ffprobe does not run: run 'npm run setup:pose'/);
});
