import test from 'ava';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import {
  KINECT_V2_CAMERA,
  formatKinectFloat,
  formatNtuSkeleton,
  generateSyntheticSamples,
  toNtuRecording,
  writeSyntheticNtuDataset,
  type NtuFrame,
} from '../../../src/data/synthetic/index.js';
import { getLayout } from '../../../src/graph/index.js';
import { parseSkeletonText } from './helpers.js';
import { tempDir } from '../../helpers/temp.js';

const LEAF_JOINTS = ['Head', 'HandTipLeft', 'ThumbLeft', 'HandTipRight', 'ThumbRight', 'FootLeft', 'FootRight'];
const ntu = getLayout('ntu-25');
/** A number as the files write it: optional sign, digits, optional fraction without trailing zeros, optional E±dd. */
const NUMBER = /^-?(0|[1-9]\d*)(\.\d*[1-9])?(E[+-]\d{2})?$/;

function significantDigits(token: string): number {
  const digits = token.replace(/E.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '');
  return digits.length;
}

test('formatKinectFloat writes 7 significant digits like the original files', (t) => {
  t.is(formatKinectFloat(0.2181153), '0.2181153');
  t.is(formatKinectFloat(-0.06342101), '-0.06342101');
  t.is(formatKinectFloat(3.785884), '3.785884');
  t.is(formatKinectFloat(277.93594), '277.9359');
  t.is(formatKinectFloat(1066.1174), '1066.117');
  t.is(formatKinectFloat(0), '0');
  t.is(formatKinectFloat(1), '1');
  t.is(formatKinectFloat(-2.5), '-2.5');
  t.is(formatKinectFloat(0.0001), '0.0001');
  t.is(formatKinectFloat(0.00001234567), '1.234567E-05');
  t.is(formatKinectFloat(-5.960464e-8), '-5.960464E-08');
  t.is(formatKinectFloat(0.99999996), '1');
  t.is(formatKinectFloat(12345678), '1.234568E+07');
  t.throws(() => formatKinectFloat(Number.NaN));
  const f32 = new Float32Array(1);
  for (let i = 0; i < 2000; i++) {
    f32[0] = Math.sin(i * 12.9898) * 10 ** ((i % 9) - 4);
    const text = formatKinectFloat(f32[0]);
    t.regex(text, NUMBER);
    t.true(significantDigits(text) <= 7, text);
    t.true(Math.abs(Number(text) - f32[0]) <= 5.01e-7 * Math.abs(f32[0]), `${f32[0]} → ${text}`);
  }
});

test('a written recording parses back: counts, ids, line structure, CRLF and xyz', (t) => {
  const samples = generateSyntheticSamples({ seed: 31, samplesPerClass: 1 });
  for (const sample of samples) {
    const recording = toNtuRecording(sample, {
      seed: 31,
      noiseBodies: { probability: 0.5, kinds: ['short', 'spread', 'bystander'] },
    });
    const text = formatNtuSkeleton(recording.frames);
    const parsed = parseSkeletonText(text);

    // Line structure: 1 + Σ frames (1 + Σ bodies (2 + 25)), every line ending in CRLF.
    const expectedLines = 1 + recording.frames.reduce((sum, frame) => sum + 1 + frame.length * 27, 0);
    t.true(text.endsWith('\r\n'));
    const lines = text.slice(0, -2).split('\r\n');
    t.is(lines.length, expectedLines, sample.name);
    t.is(text.split('\n').length - 1, expectedLines, 'no bare LF');
    t.is(lines[0], String(recording.frames.length));

    t.is(parsed.frames.length, recording.frames.length);
    const seenFrames = new Map<string, number>();
    parsed.frames.forEach((bodies, f) => {
      t.deepEqual(
        bodies.map((b) => b.id),
        recording.frames[f].map((b) => b.bodyId),
      );
      for (const body of bodies) seenFrames.set(body.id, (seenFrames.get(body.id) ?? 0) + 1);
    });
    for (const record of recording.bodies) {
      t.regex(record.id, /^7205759403\d{7}$/, 'a 17-digit Kinect tracking id');
      t.is(seenFrames.get(record.id), record.frames, `${sample.name} body ${record.id} frame count`);
      t.is(
        parsed.frames[record.firstFrame].some((b) => b.id === record.id),
        true,
      );
    }
    t.is(new Set(recording.bodies.map((b) => b.id)).size, recording.bodies.length, 'ids are unique');

    // Actor joints round-trip to the clip's float32 values (1e-6 relative).
    const clip = sample.clip;
    const lead = recording.frames.findIndex((frame) => frame.length > 0);
    for (const record of recording.bodies.filter((b) => b.role === 'actor')) {
      const m = record.actor ?? 0;
      parsed.frames.forEach((bodies, f) => {
        const body = bodies.find((b) => b.id === record.id);
        if (!body) return;
        const clipFrame = f - lead;
        body.joints.forEach((values, v) => {
          for (let c = 0; c < 3; c++) {
            const expected = clip.data[((m * clip.frames + clipFrame) * clip.joints + v) * 3 + c];
            const got = Number(values[c]);
            if (Math.abs(got - expected) > 1e-6 * Math.abs(expected) + 1e-12)
              t.fail(`${sample.name} frame ${f} joint ${v} channel ${c}: ${got} vs ${expected}`);
          }
        });
      });
    }
  }
});

test('every field is well formed: info line, projections, quaternions, tracking states', (t) => {
  const [sample] = generateSyntheticSamples({ seed: 32, samplesPerClass: 1, actions: ['A023'] });
  const recording = toNtuRecording(sample, { noiseBodies: false });
  const parsed = parseSkeletonText(formatNtuSkeleton(recording.frames));
  const leaves = new Set(LEAF_JOINTS.map((n) => ntu.jointNames.indexOf(n)));
  const depthX: number[] = [];
  const colorX: number[] = [];
  for (const bodies of parsed.frames) {
    for (const body of bodies) {
      const [clipedEdges, hlc, hls, hrc, hrs, restricted, leanX, leanY, tracking] = body.info;
      for (const field of [clipedEdges, hlc, hls, hrc, hrs, restricted, tracking]) t.regex(field, /^\d+$/);
      t.true(Number(hls) <= 4 && Number(hrs) <= 4 && Number(hlc) <= 1 && Number(hrc) <= 1);
      t.is(tracking, '2');
      t.true(Math.abs(Number(leanX)) <= 1 && Math.abs(Number(leanY)) <= 1);
      body.joints.forEach((values, v) => {
        for (const token of values.slice(0, 11)) {
          t.regex(token, NUMBER);
          if (significantDigits(token) > 7) t.fail(`${token} has more than 7 significant digits`);
        }
        const [x, y, z, dx, dy, cx, cy, qw, qx, qy, qz] = values.slice(0, 11).map(Number);
        t.true(values[11] === '1' || values[11] === '2', 'joint tracking state');
        // Pinhole projection into the 512×424 depth image (mirrored: u grows with x).
        t.true(Math.abs(dx - (KINECT_V2_CAMERA.depth.cx + (KINECT_V2_CAMERA.depth.fx * x) / z)) < 1e-3);
        t.true(Math.abs(dy - (KINECT_V2_CAMERA.depth.cy - (KINECT_V2_CAMERA.depth.fy * y) / z)) < 1e-3);
        t.true(dx > 0 && dx < 512 && dy > 0 && dy < 424, `depth pixel ${dx}, ${dy}`);
        t.true(cx > 0 && cx < 1920 && cy > 0 && cy < 1080, `colour pixel ${cx}, ${cy}`);
        depthX.push(dx);
        colorX.push(cx);
        const norm = Math.hypot(qw, qx, qy, qz);
        if (leaves.has(v)) t.deepEqual(values.slice(7, 11), ['0', '0', '0', '0'], `${ntu.jointNames[v]} is a leaf`);
        else t.true(Math.abs(norm - 1) < 1e-5, `${ntu.jointNames[v]} quaternion norm ${norm}`);
      });
    }
  }
  // The 5 cm colour–depth baseline adds a parallax of fx·b/z, which varies a little with depth.
  t.true(linearityResidual(depthX, colorX) < 4, 'depthX → colorX is close to linear');
});

/** Largest deviation of ys from their least-squares line over xs. */
function linearityResidual(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return Math.max(...xs.map((x, i) => Math.abs(my + slope * (x - mx) - ys[i])));
}

test('depthX → colorX is linear to within 2 px for a salute, as on the real NTU sample (A038)', (t) => {
  const [sample] = generateSyntheticSamples({ seed: 35, samplesPerClass: 1, actions: ['A038'] });
  const parsed = parseSkeletonText(formatNtuSkeleton(toNtuRecording(sample, { noiseBodies: false }).frames));
  const joints = parsed.frames.flatMap((bodies) => bodies.flatMap((b) => b.joints));
  const residual = linearityResidual(
    joints.map((v) => Number(v[3])),
    joints.map((v) => Number(v[5])),
  );
  t.true(residual < 2, `residual ${residual} px`);
});

test('frames with no body and bodies missing from some frames are written as such', (t) => {
  const joints = (dx: number): Float32Array =>
    Float32Array.from({ length: 75 }, (_, i) => (i % 3 === 2 ? 3 : (i % 3 === 0 ? dx : 0.5) + i * 0.001));
  const a = { bodyId: '72057594037931101', joints: joints(0) };
  const b = { bodyId: '72057594037931103', joints: joints(0.8) };
  const frames: NtuFrame[] = [[], [a], [a, b], [b], []];
  const text = formatNtuSkeleton(frames, { lineEnding: 'lf' });
  t.false(text.includes('\r'));
  const lines = text.split('\n');
  t.is(lines.length - 1, 1 + 5 + 4 * 27);
  t.deepEqual([lines[0], lines[1], lines[2]], ['5', '0', '1']);
  const parsed = parseSkeletonText(text);
  t.deepEqual(
    parsed.frames.map((f) => f.map((body) => body.id)),
    [[], ['72057594037931101'], ['72057594037931101', '72057594037931103'], ['72057594037931103'], []],
  );
  t.throws(() => formatNtuSkeleton([[{ bodyId: '7205x', joints: joints(0) }]]), { message: /bodyID/ });
  t.throws(() => formatNtuSkeleton([[{ bodyId: '1', joints: new Float32Array(74) }]]), { message: /75 joint values/ });
});

test('the same seed writes the same text', (t) => {
  const text = (): string => {
    const [sample] = generateSyntheticSamples({ seed: 33, samplesPerClass: 1, actions: ['A052'] });
    return formatNtuSkeleton(toNtuRecording(sample, { seed: 4, noiseBodies: { probability: 1 } }).frames);
  };
  t.is(text(), text());
});

test('writeSyntheticNtuDataset writes <name>.skeleton files of real NTU size, atomically', async (t) => {
  const dir = tempDir('skelact-synth-');
  try {
    const written = await writeSyntheticNtuDataset(dir, {
      seed: 34,
      samplesPerClass: 2,
      realisticSize: true,
      noiseBodies: false,
      lateTrackingProbability: 0,
    });
    const listing = readdirSync(dir).sort();
    t.deepEqual(
      listing,
      written.map((w) => `${w.name}.skeleton`).sort(),
      'only the final files remain (no temporary files)',
    );
    const oneBody: number[] = [];
    const twoBody: number[] = [];
    for (const w of written) {
      t.is(statSync(w.path).size, w.bytes);
      const actors = w.bodies.filter((b) => b.role === 'actor').length;
      (actors === 1 ? oneBody : twoBody).push(w.bytes / 1024);
      const text = readFileSync(w.path, 'latin1');
      t.true(text.includes('\r\n'));
      t.is(parseSkeletonText(text).frames.length, w.frames);
    }
    t.log(
      `1-body files ${Math.min(...oneBody).toFixed(0)}–${Math.max(...oneBody).toFixed(0)} KB, 2-body ${Math.min(...twoBody).toFixed(0)}–${Math.max(...twoBody).toFixed(0)} KB`,
    );
    // Real NTU files: 1 body 144–240 KB (~150–250 KB at ~100 frames), 2 bodies 320–375 KB.
    t.true(
      oneBody.every((kb) => kb >= 145 && kb <= 250),
      `1-body sizes ${oneBody.map((k) => k.toFixed(0))}`,
    );
    t.true(
      twoBody.every((kb) => kb >= 320 && kb <= 375),
      `2-body sizes ${twoBody.map((k) => k.toFixed(0))}`,
    );
    await t.throwsAsync(writeSyntheticNtuDataset(dir, { realisticSize: true, frames: [60, 80] }), {
      message: /realisticSize/,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
