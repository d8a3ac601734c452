/**
 * Noise bodies must trip exactly the SGN / CTR-GCN denoising rule they are made for
 * (reference data.md §1.5): drop bodies of ≤ 11 frames; drop bodies whose frames have
 * x-range > 0.8 · y-range in ≥ 69.754 % of them; keep the two with the largest motion.
 * Everything is measured here from the written text.
 */
import test from 'ava';
import {
  formatNtuSkeleton,
  generateSyntheticSamples,
  toNtuRecording,
  type NtuRecording,
} from '../../../src/data/synthetic/index.js';
import { parseSkeletonText, wideFrameShare } from './helpers.js';

interface BodyTrack {
  frames: number[][][];
}

/** Each body's xyz per frame, from the file text. */
function tracksOf(recording: NtuRecording): Map<string, BodyTrack> {
  const tracks = new Map<string, BodyTrack>();
  for (const bodies of parseSkeletonText(formatNtuSkeleton(recording.frames)).frames) {
    for (const body of bodies) {
      const track = tracks.get(body.id) ?? { frames: [] };
      track.frames.push(body.joints.map((values) => values.slice(0, 3).map(Number)));
      tracks.set(body.id, track);
    }
  }
  return tracks;
}

/** Σ over x, y, z of the variance over all joints and frames (the denoiser's "motion"). */
function motion(track: BodyTrack): number {
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const values = track.frames.flatMap((joints) => joints.map((p) => p[c]));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    total += values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  }
  return total;
}

const samples = generateSyntheticSamples({ seed: 41, samplesPerClass: 2 });

test('short noise bodies last at most 11 frames', (t) => {
  let count = 0;
  for (const sample of samples) {
    const recording = toNtuRecording(sample, {
      seed: 1,
      noiseBodies: { probability: 1, kinds: ['short'], maxPerFile: 2 },
    });
    const tracks = tracksOf(recording);
    for (const record of recording.bodies.filter((b) => b.role === 'short')) {
      const frames = tracks.get(record.id)?.frames.length ?? 0;
      t.true(frames >= 1 && frames <= 11, `${sample.name} body ${record.id}: ${frames} frames`);
      count++;
    }
  }
  t.true(count >= samples.length);
});

test('spread noise bodies are wider than 0.8 × their height in at least 70 % of their frames', (t) => {
  let count = 0;
  for (const sample of samples) {
    const recording = toNtuRecording(sample, {
      seed: 2,
      noiseBodies: { probability: 1, kinds: ['spread'], maxPerFile: 1 },
    });
    const tracks = tracksOf(recording);
    for (const record of recording.bodies.filter((b) => b.role === 'spread')) {
      const track = tracks.get(record.id);
      t.truthy(track);
      if (!track) continue;
      t.true(
        track.frames.length > 11,
        'long enough to pass the length rule, so the spread rule is the one that drops it',
      );
      const share = wideFrameShare(track.frames, 0.8);
      t.true(share >= 0.7, `${sample.name} body ${record.id}: ${(100 * share).toFixed(1)} % wide frames`);
      count++;
    }
  }
  t.is(count, samples.length);
});

test('actors pass both rules, and bystanders lose to them on motion', (t) => {
  for (const sample of samples) {
    const recording = toNtuRecording(sample, {
      seed: 3,
      noiseBodies: { probability: 1, kinds: ['bystander'], maxPerFile: 1 },
    });
    const tracks = tracksOf(recording);
    const actors = recording.bodies.filter((b) => b.role === 'actor');
    t.is(sample.meta.persons, actors.length);
    const actorMotion = Math.min(...actors.map((a) => motion(tracks.get(a.id) ?? { frames: [] })));
    for (const actor of actors) {
      const track = tracks.get(actor.id);
      if (!track) continue;
      t.true(track.frames.length > 11);
      const share = wideFrameShare(track.frames, 0.8);
      t.true(share < 0.69754, `${sample.name} actor ${actor.id}: ${(100 * share).toFixed(1)} % wide frames`);
    }
    for (const record of recording.bodies.filter((b) => b.role === 'bystander')) {
      const track = tracks.get(record.id);
      if (!track) continue;
      t.true(track.frames.length > 11);
      t.true(wideFrameShare(track.frames, 0.8) < 0.69754, 'a standing bystander is taller than wide');
      t.true(motion(track) < actorMotion, `${sample.name}: bystander motion ${motion(track)} vs actors ${actorMotion}`);
    }
  }
});

test('the recording says which bodies are noise', (t) => {
  let withNoise = 0;
  for (const sample of samples) {
    const recording = toNtuRecording(sample, { seed: 4 });
    const noise = recording.bodies.filter((b) => b.role !== 'actor').map((b) => b.id);
    t.deepEqual(recording.noiseBodyIds, noise);
    for (const id of noise)
      t.true(
        recording.notes.some((note) => note.includes(id)),
        `a note names ${id}`,
      );
    if (noise.length > 0) withNoise++;
    // Leading empty frames are counted in the file and noted.
    const empty = recording.frames.findIndex((frame) => frame.length > 0);
    if (empty > 0) t.true(recording.notes.some((note) => note.includes('leading frame')));
  }
  t.true(
    withNoise > 0 && withNoise < samples.length,
    `${withNoise} of ${samples.length} files have noise bodies by default`,
  );
});

test('a second actor tracked late is missing from the first frames only', (t) => {
  const twoPerson = samples.filter((s) => s.meta.persons === 2);
  for (const sample of twoPerson) {
    const recording = toNtuRecording(sample, {
      seed: 5,
      lateTrackingProbability: 1,
      noiseBodies: false,
      emptyLeadProbability: 0,
    });
    const second = recording.bodies.find((b) => b.role === 'actor' && b.actor === 1);
    t.truthy(second);
    if (!second) continue;
    t.true(second.firstFrame >= 1 && second.firstFrame <= 6);
    t.is(second.frames, sample.clip.frames - second.firstFrame);
    recording.frames.forEach((bodies, f) =>
      t.is(
        bodies.some((b) => b.bodyId === second.id),
        f >= second.firstFrame,
      ),
    );
  }
});
