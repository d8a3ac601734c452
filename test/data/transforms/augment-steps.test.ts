import test from 'ava';
import { type SkeletonClip, makeClip } from '../../../src/graph/clip.js';
import { getLayout } from '../../../src/graph/layout.js';
import {
  applyMatrix,
  ntuSkateformerAugment,
  randomRotXYZ,
  uclaRandomView,
  uclaSkateformerAugment,
} from '../../../src/data/transforms/augment.js';
import {
  AUGMENT_PRESET_NAMES,
  augmentPipeline,
  augmentPipelineOf,
  augmentPreset,
  augmentStepsSchema,
  presetSteps,
} from '../../../src/data/transforms/augment-steps.js';
import { ConfigError, parseExperiment } from '../../../src/train/config.js';
import { prng } from '../../helpers/prng.js';

const ntu = getLayout('ntu-25');

function randomClip(seed: number, persons = 2, frames = 32): SkeletonClip {
  const r = prng(seed);
  return makeClip(
    Float32Array.from({ length: persons * frames * 25 * 3 }, () => r() * 2 - 1),
    persons,
    frames,
    25,
    3,
  );
}

/** Runs `f` on a fresh generator and returns its result with the generator's next draw (so the number of draws is compared too). */
function withNext<T>(seed: number, f: (random: () => number) => T): { out: T; next: number } {
  const random = prng(seed);
  const out = f(random);
  return { out, next: random() };
}

test('each preset as a list of steps draws the same numbers and gives the same clips as the hand-written chains', (t) => {
  const clip = randomClip(1);
  const indexT = Float32Array.from({ length: 32 }, (_, i) => (2 * i) / 32 - 1);
  const context = {
    layout: ntu,
    indexT,
    sameClassReference: (r: () => number) => randomClip(2 + Math.floor(r() * 3), 2, 40),
  };
  for (const options of [{}, { intraProbability: 0.7, interProbability: 0.3, flip: 'mirror' as const }]) {
    const pipeline = augmentPreset('ntu-skateformer', options);
    for (let s = 0; s < 120; s++) {
      const ours = withNext(s, (r) => pipeline.afterSampling(clip, context, r));
      const reference = withNext(s, (r) => ntuSkateformerAugment(clip, context, r, options));
      t.deepEqual(Array.from(ours.out.data), Array.from(reference.out.data), `ntu seed ${s}`);
      t.is(ours.next, reference.next, `ntu seed ${s}: the same number of draws`);
    }
  }
  for (const options of [
    {},
    {
      viewDegrees: 20,
      viewScale: [0.9, 1.1] as [number, number],
      dropAxisProbability: 0.9,
      dropJointsProbability: 0.1,
    },
  ]) {
    const pipeline = augmentPreset('ucla-skateformer', options);
    for (let s = 0; s < 60; s++) {
      t.deepEqual(
        withNext(s, (r) => pipeline.randomView!(r)),
        withNext(s, (r) => uclaRandomView(r, options.viewDegrees, options.viewScale)),
      );
      const ours = withNext(s, (r) => pipeline.afterSampling(clip, context, r));
      const reference = withNext(s, (r) => uclaSkateformerAugment(clip, r, options));
      t.deepEqual(Array.from(ours.out.data), Array.from(reference.out.data), `ucla seed ${s}`);
      t.is(ours.next, reference.next);
    }
  }
  const rotated = withNext(9, (r) => augmentPreset('rotate').afterSampling(clip, context, r));
  const byHand = withNext(9, (r) => applyMatrix(clip, randomRotXYZ(r)));
  t.deepEqual(Array.from(rotated.out.data), Array.from(byHand.out.data));
  t.deepEqual(presetSteps('none'), []);
});

test('a step list validates each step by its type and says which field is wrong', (t) => {
  const good = augmentStepsSchema.parse([
    { type: 'view' },
    { type: 'shear', p: 0.5 },
    { type: 'one-of', choices: [{ p: 0.5, steps: [{ type: 'flip', mode: 'mirror' }] }] },
  ]);
  t.deepEqual(good[0], { type: 'view', degrees: 60, scale: [0.5, 1.5] });
  t.deepEqual(good[1], { type: 'shear', p: 0.5, range: 0.5 });
  const bad = (steps: unknown) => augmentStepsSchema.safeParse(steps);
  t.false(bad([{ type: 'warp' }]).success);
  t.false(bad([{ type: 'shear', p: 1.5 }]).success);
  t.false(bad([{ type: 'shear', rnage: 0.1 }]).success, 'an unknown field is an error');
  const late = bad([{ type: 'shear' }, { type: 'view' }]);
  t.false(late.success);
  t.deepEqual(late.error?.issues[0].path, [1, 'type']);
});

test('a config gives a preset name or a list of steps (or the object forms); not both', (t) => {
  const base = {
    name: 'x',
    model: { kind: 'tiny' },
    data: { benchmark: 'b' },
    optim: { lr: 1, batchSize: 1, epochs: 1 },
  };
  t.is(parseExperiment({ ...base, augment: 'rotate' }).augment.preset, 'rotate');
  const listed = parseExperiment({ ...base, augment: [{ type: 'rotate-xyz' }] }).augment;
  t.deepEqual(listed.steps, [{ type: 'rotate-xyz', theta: 0.3 }]);
  // The same steps as the preset: the same pipeline output.
  const clip = randomClip(4);
  const context = { layout: ntu, indexT: new Float32Array(32) };
  t.deepEqual(
    Array.from(augmentPipelineOf(listed).afterSampling(clip, context, prng(3)).data),
    Array.from(augmentPreset('rotate').afterSampling(clip, context, prng(3)).data),
  );
  t.deepEqual(
    Array.from(augmentPipeline(presetSteps('rotate')).afterSampling(clip, context, prng(3)).data),
    Array.from(augmentPreset('rotate').afterSampling(clip, context, prng(3)).data),
  );
  const both = t.throws(() => parseExperiment({ ...base, augment: { preset: 'rotate', steps: [] } }, 'c.json'), {
    instanceOf: ConfigError,
  });
  t.regex(both!.message, /c\.json: field 'augment\.steps': give either a preset/);
  const unknown = t.throws(() => parseExperiment({ ...base, augment: [{ type: 'warp' }] }, 'c.json'), {
    instanceOf: ConfigError,
  });
  t.regex(unknown!.message, /augment\.steps\.0\.type/);
  t.true(AUGMENT_PRESET_NAMES.includes('ntu-skateformer'));
});
