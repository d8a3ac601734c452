import test from 'ava';
import { loadClassTable } from '../../../src/data/classes.js';
import {
  SYNTHETIC_CLASSES,
  generateSyntheticSamples,
  iterateSyntheticSamples,
  resolveSyntheticOptions,
  syntheticClasses,
} from '../../../src/data/synthetic/index.js';
import { isAbsent } from './helpers.js';

/** NTU60 cross-subject training performers (reference data.md §1.4), written out here on purpose. */
const XSUB_TRAIN = new Set([1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38]);

const sameBytes = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('the same seed gives bit-identical samples; another seed different ones', (t) => {
  const options = { seed: 1234, samplesPerClass: 2 };
  const a = generateSyntheticSamples(options);
  const b = generateSyntheticSamples(options);
  const c = generateSyntheticSamples({ ...options, seed: 1235 });
  t.is(a.length, b.length);
  a.forEach((sample, i) => {
    t.is(sample.name, b[i].name);
    t.deepEqual(sample.meta, b[i].meta);
    t.deepEqual(sample.notes, b[i].notes);
    t.true(sameBytes(sample.clip.data, b[i].clip.data), `${sample.name} differs between two runs`);
  });
  const differing = a.filter((sample, i) => !sameBytes(sample.clip.data, c[i].clip.data)).length;
  t.is(differing, a.length, 'every sample changes with the seed');
});

test('the stream yields the same samples as the batch call, class-interleaved', (t) => {
  const options = { seed: 9, samplesPerClass: 2, actions: ['A008', 'A009', 'A055'] };
  const batch = generateSyntheticSamples(options);
  const streamed = [...iterateSyntheticSamples(options)];
  t.deepEqual(
    streamed.map((s) => s.name),
    batch.map((s) => s.name),
  );
  t.deepEqual(
    batch.map((s) => s.label),
    [0, 1, 2, 0, 1, 2],
  );
  streamed.forEach((s, i) => t.true(sameBytes(s.clip.data, batch[i].clip.data)));
});

test('a sample does not change when other classes are requested with it', (t) => {
  const alone = generateSyntheticSamples({ seed: 5, samplesPerClass: 3, actions: ['A010'] });
  const together = generateSyntheticSamples({ seed: 5, samplesPerClass: 3, actions: ['A001', 'A010'], personSlots: 1 });
  const clapping = together.filter((s) => s.meta.action === 10);
  t.deepEqual(
    clapping.map((s) => s.name),
    alone.map((s) => s.name),
  );
  clapping.forEach((s, i) => {
    t.is(s.label, 1);
    t.is(alone[i].label, 0);
    t.true(sameBytes(s.clip.data, alone[i].clip.data));
  });
});

test('the class list imitates NTU classes by id and name, with look-alikes and interactions', (t) => {
  const ntu = new Map(loadClassTable('ntu').classes.map((c) => [c.id, c]));
  t.true(SYNTHETIC_CLASSES.length >= 12);
  for (const c of SYNTHETIC_CLASSES) {
    const original = ntu.get(c.id);
    t.truthy(original, `${c.id} is an NTU class`);
    t.is(original?.name, c.name);
    t.is(original?.persons ?? 1, c.persons, `${c.id} person count`);
    t.is(c.action, Number(c.id.slice(1)));
  }
  const ids = SYNTHETIC_CLASSES.map((c) => c.id);
  for (const required of [
    'A001',
    'A008',
    'A009',
    'A010',
    'A022',
    'A023',
    'A024',
    'A026',
    'A027',
    'A031',
    'A035',
    'A040',
    'A050',
    'A052',
    'A055',
    'A059',
  ]) {
    t.true(ids.includes(required), `${required} present`);
  }
  t.true(SYNTHETIC_CLASSES.filter((c) => c.persons === 2).length >= 3);
  t.deepEqual(
    syntheticClasses({ actions: ['A059', 'jump up', 8] }).map((c) => c.id),
    ['A059', 'A027', 'A008'],
    'a subset keeps the requested order, found by id, name or number',
  );
});

test('names follow SsssCcccPpppRrrrAaaa, agree with meta and never repeat', (t) => {
  const samples = generateSyntheticSamples({ seed: 77, samplesPerClass: 30 });
  const names = new Set<string>();
  for (const s of samples) {
    const match = /^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$/.exec(s.name);
    t.truthy(match, s.name);
    if (!match) continue;
    const [setup, camera, performer, replication, action] = match.slice(1).map(Number);
    t.deepEqual(
      {
        setup: s.meta.setup,
        camera: s.meta.camera,
        performer: s.meta.performer,
        replication: s.meta.replication,
        action: s.meta.action,
      },
      { setup, camera, performer, replication, action },
    );
    t.true(
      setup >= 1 &&
        setup <= 17 &&
        camera >= 1 &&
        camera <= 3 &&
        performer >= 1 &&
        performer <= 40 &&
        replication >= 1 &&
        replication <= 2,
    );
    t.is(SYNTHETIC_CLASSES[s.label].action, action);
    t.false(names.has(s.name), `duplicate ${s.name}`);
    names.add(s.name);
  }
});

test('the NTU benchmark rules split the samples sensibly', (t) => {
  const samples = generateSyntheticSamples({ seed: 3, samplesPerClass: 40 });
  const classes = SYNTHETIC_CLASSES.length;
  const labelsOf = (keep: (s: (typeof samples)[number]) => boolean): Set<number> =>
    new Set(samples.filter(keep).map((s) => s.label));
  const xsubTrain = samples.filter((s) => XSUB_TRAIN.has(Number(s.meta.performer)));
  const share = xsubTrain.length / samples.length;
  t.true(share > 0.6 && share < 0.8, `x-sub training share ${share} (NTU60: 0.71)`);
  t.is(labelsOf((s) => XSUB_TRAIN.has(Number(s.meta.performer))).size, classes);
  t.is(labelsOf((s) => !XSUB_TRAIN.has(Number(s.meta.performer))).size, classes);
  t.is(labelsOf((s) => s.meta.camera !== 1).size, classes, 'x-view train (cameras 2, 3) has every class');
  t.is(labelsOf((s) => s.meta.camera === 1).size, classes, 'x-view test (camera 1) has every class');
  t.is(labelsOf((s) => Number(s.meta.setup) % 2 === 0).size, classes, 'x-set train (even setups)');
  t.is(labelsOf((s) => Number(s.meta.setup) % 2 === 1).size, classes, 'x-set test (odd setups)');
  const performers = new Set(samples.map((s) => s.meta.performer));
  t.true(performers.size >= 35, `${performers.size} performers used`);
});

test('clips have the documented shape, frame range and person slots', (t) => {
  const samples = generateSyntheticSamples({ seed: 8, samplesPerClass: 3, frames: [50, 120] });
  for (const s of samples) {
    const { clip } = s;
    t.is(clip.persons, 2, 'slots = most people in any chosen action');
    t.is(clip.joints, 25);
    t.is(clip.channels, 3);
    t.deepEqual(s.channels, ['x', 'y', 'z']);
    t.is(s.layout, 'ntu-25');
    t.true(clip.frames >= 50 && clip.frames <= 120, `${s.name}: ${clip.frames} frames`);
    t.is(clip.data.length, clip.persons * clip.frames * clip.joints * clip.channels);
    const persons = SYNTHETIC_CLASSES[s.label].persons;
    t.is(s.meta.persons, persons);
    for (let f = 0; f < clip.frames; f++) {
      t.false(isAbsent(clip, 0, f));
      t.is(isAbsent(clip, 1, f), persons === 1, `${s.name} frame ${f}: second slot`);
    }
  }
  const single = generateSyntheticSamples({ seed: 8, samplesPerClass: 1, actions: ['A001', 'A010'] });
  t.true(single.every((s) => s.clip.persons === 1));
});

test('the default frame range is NTU-like (60–140 at 30 fps) and speeds vary 0.7–1.4×', (t) => {
  const samples = generateSyntheticSamples({ seed: 4, samplesPerClass: 10 });
  const frames = samples.map((s) => s.clip.frames);
  t.true(Math.min(...frames) >= 60 && Math.max(...frames) <= 140);
  t.true(new Set(frames).size > 30, 'lengths vary');
  const speeds = samples.map((s) => Number(s.meta.speed));
  // Performer tempo (±10 %) widens the 0.7–1.4 range slightly.
  t.true(Math.min(...speeds) >= 0.63 && Math.max(...speeds) <= 1.54);
  t.true(Math.min(...speeds) < 0.8 && Math.max(...speeds) > 1.25, 'the whole range is used');
  t.true(samples.some((s) => s.meta.handedness === 'left') && samples.some((s) => s.meta.handedness === 'right'));
  const reps = new Set(samples.filter((s) => s.meta.action === 10).map((s) => s.meta.reps));
  t.true(reps.size >= 3, 'clapping repeats a varying number of times');
});

test('options are validated with errors that name the field', (t) => {
  t.throws(() => resolveSyntheticOptions({ samplesPerClass: 0 }), { message: /'samplesPerClass'/ });
  t.throws(() => resolveSyntheticOptions({ cameras: [4] }), { message: /'cameras'/ });
  t.throws(() => resolveSyntheticOptions({ frames: [100, 50] }), { message: /'frames'/ });
  t.throws(() => resolveSyntheticOptions({ actions: ['A999'] }), { message: /'actions\[0\]'/ });
  t.throws(() => resolveSyntheticOptions({ actions: ['A001', 'A001'] }), { message: /listed twice/ });
  t.throws(() => resolveSyntheticOptions({ seed: 0.5 }), { message: /'seed'/ });
  t.throws(() => resolveSyntheticOptions({ personSlots: 1 }), { message: /'personSlots'/ });
  t.throws(() => resolveSyntheticOptions({ viewpoint: { heading: [10, -10] } }), { message: /'viewpoint.heading'/ });
  t.throws(
    () =>
      resolveSyntheticOptions({ performers: [1], setups: [1], cameras: [1], replications: [1], samplesPerClass: 2 }),
    { message: /'samplesPerClass'/ },
  );
});

test('iterating yields every sample of every class once, each with frames (its rate is logged, not asserted: speed belongs in benchmarks)', (t) => {
  const options = { seed: 2, samplesPerClass: 20 };
  const start = performance.now();
  const names: string[] = [];
  for (const sample of iterateSyntheticSamples(options)) if (sample.clip.frames > 0) names.push(sample.name);
  t.log(`${(names.length / ((performance.now() - start) / 1000)).toFixed(0)} samples/s`);
  t.is(names.length, syntheticClasses(options).length * 20);
  t.is(new Set(names).size, names.length);
});
