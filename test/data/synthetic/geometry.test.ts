import test from 'ava';
import { getLayout, jointIndex } from '../../../src/graph/index.js';
import { SYNTHETIC_CLASSES, generateSyntheticSamples } from '../../../src/data/synthetic/index.js';
import { distance, jointAt, median, standardDeviation } from './helpers.js';

const ntu = getLayout('ntu-25');
const J = (name: string): number => jointIndex(ntu, name);
const clean = { jointNoise: 0, jitter: { probability: 0 } } as const;

/** Bone lengths over time, from the positions and the layout's parents: lengths[bone][frame]. */
function boneLengths(sample: ReturnType<typeof generateSyntheticSamples>[number], person: number): number[][] {
  const { clip } = sample;
  return ntu.bones.map(([child, parent]) =>
    Array.from({ length: clip.frames }, (_, f) =>
      distance(jointAt(clip, person, f, child), jointAt(clip, person, f, parent)),
    ),
  );
}

/**
 * Plausible lengths in metres (reference data.md §1.3: torso 0.45 with SpineMid at 0.57 of
 * it, upper arm 0.28, forearm 0.25, thigh and shin 0.4) for a body scale of 0.85–1.15 and
 * ±5 % per limb, with some margin; other bones (hands, feet, clavicles, hips, neck) 2–20 cm.
 */
const EXPECTED: Readonly<Record<string, readonly [number, number]>> = {
  'SpineBase-SpineMid': [0.2, 0.33],
  'SpineMid-SpineShoulder': [0.15, 0.25],
  'ElbowLeft-ShoulderLeft': [0.22, 0.35],
  'ElbowRight-ShoulderRight': [0.22, 0.35],
  'WristLeft-ElbowLeft': [0.19, 0.31],
  'WristRight-ElbowRight': [0.19, 0.31],
  'KneeLeft-HipLeft': [0.32, 0.5],
  'KneeRight-HipRight': [0.32, 0.5],
  'AnkleLeft-KneeLeft': [0.32, 0.5],
  'AnkleRight-KneeRight': [0.32, 0.5],
};

test('bone lengths stay constant over time (noise off) and are plausible', (t) => {
  const samples = generateSyntheticSamples({ seed: 21, samplesPerClass: 2, ...clean });
  for (const sample of samples) {
    for (let m = 0; m < SYNTHETIC_CLASSES[sample.label].persons; m++) {
      boneLengths(sample, m).forEach((lengths, b) => {
        const [child, parent] = ntu.bones[b];
        const key = `${ntu.jointNames[child]}-${ntu.jointNames[parent]}`;
        const spread = Math.max(...lengths) - Math.min(...lengths);
        t.true(spread < 2e-4, `${sample.name} person ${m} bone ${key} varies by ${spread}`);
        const [low, high] = EXPECTED[key] ?? [0.02, 0.2];
        t.true(lengths[0] >= low && lengths[0] <= high, `${sample.name} bone ${key} = ${lengths[0].toFixed(3)} m`);
      });
    }
  }
});

test('with sensor noise, bone lengths vary only by about the noise', (t) => {
  const samples = generateSyntheticSamples({ seed: 22, samplesPerClass: 2, jitter: { probability: 0 } });
  for (const sample of samples) {
    for (const lengths of boneLengths(sample, 0)) {
      // Two points with σ = 1 cm per coordinate: the length varies by about 1.4 cm.
      const sd = standardDeviation(lengths);
      t.true(sd > 0.004 && sd < 0.025, `${sample.name}: bone length sd ${sd.toFixed(4)}`);
    }
  }
});

test('trunk and head proportions follow the NTU measurements', (t) => {
  const samples = generateSyntheticSamples({
    seed: 23,
    samplesPerClass: 4,
    actions: ['A001', 'A023', 'A031'],
    ...clean,
  });
  for (const s of samples) {
    const p = (name: string): [number, number, number] => jointAt(s.clip, 0, 0, J(name));
    const torso = distance(p('SpineBase'), p('SpineShoulder'));
    const neckHead = distance(p('SpineShoulder'), p('Head'));
    const shoulders = distance(p('ShoulderLeft'), p('ShoulderRight'));
    const hips = distance(p('HipLeft'), p('HipRight'));
    // 0.45 m, 0.17 m, 0.26 m and 0.10–0.2 m for scale 1; the scale is 0.85–1.15.
    t.true(torso > 0.45 * 0.8 && torso < 0.45 * 1.2, `torso ${torso}`);
    t.true(neckHead > 0.17 * 0.8 && neckHead < 0.17 * 1.2, `SpineShoulder–Head ${neckHead}`);
    t.true(shoulders > 0.26 * 0.8 && shoulders < 0.26 * 1.2, `shoulder width ${shoulders}`);
    t.true(hips > 0.1 && hips < 0.2, `hip width ${hips}`);
    // SpineMid sits 0.57 of the way SpineBase→SpineShoulder, Neck 0.37 of SpineShoulder→Head.
    const spineMid =
      distance(p('SpineBase'), p('SpineMid')) /
      (distance(p('SpineBase'), p('SpineMid')) + distance(p('SpineMid'), p('SpineShoulder')));
    const neck =
      distance(p('SpineShoulder'), p('Neck')) /
      (distance(p('SpineShoulder'), p('Neck')) + distance(p('Neck'), p('Head')));
    t.true(Math.abs(spineMid - 0.57) < 0.03, `SpineMid fraction ${spineMid}`);
    t.true(Math.abs(neck - 0.37) < 0.03, `Neck fraction ${neck}`);
  }
});

test('y is up: the head is above the feet in every frame of every class', (t) => {
  const samples = generateSyntheticSamples({ seed: 24, samplesPerClass: 2 });
  for (const s of samples) {
    for (let m = 0; m < SYNTHETIC_CLASSES[s.label].persons; m++) {
      for (let f = 0; f < s.clip.frames; f++) {
        const head = jointAt(s.clip, m, f, J('Head'))[1];
        const feet = Math.max(jointAt(s.clip, m, f, J('FootLeft'))[1], jointAt(s.clip, m, f, J('FootRight'))[1]);
        t.true(head > feet + 0.3, `${s.name} person ${m} frame ${f}: head y ${head} vs feet ${feet}`);
      }
    }
  }
});

test('a subject facing the sensor at heading 0 has its left shoulder at the smaller x', (t) => {
  const samples = generateSyntheticSamples({
    seed: 25,
    samplesPerClass: 3,
    actions: SYNTHETIC_CLASSES.filter((c) => c.persons === 1).map((c) => c.id),
    viewpoint: { heading: [0, 0] },
  });
  for (const s of samples) {
    t.is(s.meta.heading, 0);
    for (let f = 0; f < s.clip.frames; f++) {
      const left = jointAt(s.clip, 0, f, J('ShoulderLeft'));
      const right = jointAt(s.clip, 0, f, J('ShoulderRight'));
      t.true(left[0] < right[0], `${s.name} frame ${f}`);
    }
    // Facing the sensor, the toes point at it: the foot joints are nearer than the ankles.
    t.true(
      jointAt(s.clip, 0, 0, J('FootLeft'))[2] < jointAt(s.clip, 0, 0, J('AnkleLeft'))[2],
      `${s.name}: toes towards the sensor`,
    );
  }
});

test('subjects stand 2.5–4 m from the sensor, as in NTU', (t) => {
  const samples = generateSyntheticSamples({ seed: 26, samplesPerClass: 3, actions: ['A001', 'A010', 'A035'] });
  for (const s of samples) {
    const depths = Array.from({ length: s.clip.frames }, (_, f) => jointAt(s.clip, 0, f, J('SpineBase'))[2]);
    const d = median(depths);
    t.true(d > 2.3 && d < 4.3, `${s.name}: depth ${d}`);
    t.true(Math.abs(d - Number(s.meta.distance)) < 0.3);
  }
});

test('kinect-20 clips hold the same positions as the corresponding ntu-25 joints', (t) => {
  const options = { seed: 27, samplesPerClass: 2 };
  const ntuSamples = generateSyntheticSamples(options);
  const kinectSamples = generateSyntheticSamples({ ...options, layout: 'kinect-20' });
  const kinect = getLayout('kinect-20');
  const renamed: Record<string, string> = {
    HipCenter: 'SpineBase',
    Spine: 'SpineMid',
    ShoulderCenter: 'SpineShoulder',
  };
  kinectSamples.forEach((k, i) => {
    const n = ntuSamples[i];
    t.is(k.name, n.name);
    t.is(k.layout, 'kinect-20');
    t.is(k.clip.joints, 20);
    for (let m = 0; m < k.clip.persons; m++) {
      for (let f = 0; f < k.clip.frames; f++) {
        kinect.jointNames.forEach((name, v) => {
          t.deepEqual(jointAt(k.clip, m, f, v), jointAt(n.clip, m, f, J(renamed[name] ?? name)));
        });
      }
    }
  });
});

test('the left-handed variant uses the left hand', (t) => {
  const samples = generateSyntheticSamples({ seed: 28, samplesPerClass: 30, actions: ['A001'], ...clean });
  let left = 0;
  for (const s of samples) {
    // Nearest approach of each hand to the head during the action.
    const approach = (hand: string): number =>
      Math.min(
        ...Array.from({ length: s.clip.frames }, (_, f) =>
          distance(jointAt(s.clip, 0, f, J(hand)), jointAt(s.clip, 0, f, J('Head'))),
        ),
      );
    const drinkingHand = approach('HandLeft') < approach('HandRight') ? 'left' : 'right';
    t.is(s.meta.handedness, drinkingHand, s.name);
    if (drinkingHand === 'left') left++;
    // The mouth is about 11 cm from the head joint (the centre of the head).
    t.true(Math.min(approach('HandLeft'), approach('HandRight')) < 0.2, `${s.name}: the hand comes up to the mouth`);
  }
  t.true(left > 0 && left < samples.length);
});

test('sitting down ends low and standing up ends high', (t) => {
  const samples = generateSyntheticSamples({ seed: 29, samplesPerClass: 5, actions: ['A008', 'A009'], ...clean });
  for (const s of samples) {
    const hipHeight = (f: number): number =>
      jointAt(s.clip, 0, f, J('SpineBase'))[1] - jointAt(s.clip, 0, f, J('AnkleLeft'))[1];
    const change = hipHeight(s.clip.frames - 1) - hipHeight(0);
    if (s.meta.action === 8) t.true(change < -0.25, `${s.name}: sitting changes hip height by ${change}`);
    else t.true(change > 0.25, `${s.name}: standing changes hip height by ${change}`);
  }
});
