/**
 * Modalities against plain loops over the [persons, frames, joints, channels] buffer, with
 * parents taken from the raw layout tables (or the data.md lists), and fast-check properties.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  LAYOUT_NAMES,
  MODALITIES,
  getLayout,
  partStream,
  bones,
  skipBones,
  motion,
  ancestorDifference,
  jointsFromBones,
  stackModalities,
  toModality,
  modalityChannels,
  rawChannelsOf,
  stackedParts,
  selectJoints,
  flipLeftRight,
  makeClip,
  type SkeletonClip,
  type LayoutName,
} from '../../src/graph/index.js';
import {
  NTU_BONES_1,
  RAW_LAYOUTS,
  at4,
  randomValues,
  treeFrom1Based,
  treeFromRaw,
  walkUpClamped,
} from './reference.js';

interface Dims {
  M: number;
  T: number;
  V: number;
  C: number;
}

function clipOf(d: Dims, seed: number): SkeletonClip {
  return makeClip(randomValues(d.M * d.T * d.V * d.C, seed), d.M, d.T, d.V, d.C);
}

/** Arbitrary clip for a joint count: values on a 1/1024 grid in ±4096, so sums and differences are exact in float32. */
function clipArb(
  V: number,
  channels: fc.Arbitrary<number> = fc.integer({ min: 1, max: 4 }),
): fc.Arbitrary<SkeletonClip> {
  return fc
    .record({ M: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 4 }), C: channels })
    .chain(({ M, T, C }) =>
      fc
        .array(fc.integer({ min: -(1 << 22), max: 1 << 22 }), { minLength: M * T * V * C, maxLength: M * T * V * C })
        .map((ints) =>
          makeClip(
            Float32Array.from(ints, (i) => i / 1024),
            M,
            T,
            V,
            C,
          ),
        ),
    );
}

/** Arbitrary clip with unconstrained float32 values in [−10, 10]. */
function floatClipArb(V: number): fc.Arbitrary<SkeletonClip> {
  return fc
    .record({ M: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 3 }) })
    .chain(({ M, T, C }) =>
      fc
        .array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: M * T * V * C, maxLength: M * T * V * C })
        .map((xs) => makeClip(Float32Array.from(xs), M, T, V, C)),
    );
}

function rootPositions(clip: SkeletonClip, root: number): Float32Array {
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const out = new Float32Array(M * T * C);
  for (let m = 0; m < M; m++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++) out[(m * T + t) * C + c] = clip.data[at4(T, V, C, m, t, root, c)];
  return out;
}

function sameBuffer(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === b[i])) return false;
  return true;
}

test('bones → jointsFromBones reconstructs the joints exactly (property, every layout and part stream)', (t) => {
  const cases = LAYOUT_NAMES.flatMap((name) => (['body', 'hand', 'leg'] as const).map((s) => [name, s] as const));
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.constantFrom(...cases).chain(([name, s]) => {
          const tree = partStream(getLayout(name), s);
          return clipArb(tree.numJoints).map((clip) => ({ tree, clip }));
        }),
        ({ tree, clip }) => {
          const rebuilt = jointsFromBones(bones(clip, tree), tree, rootPositions(clip, tree.center));
          return sameBuffer(rebuilt.data, clip.data);
        },
      ),
      { numRuns: 200 },
    ),
  );
});

test('bones → jointsFromBones is accurate to float32 rounding for arbitrary values', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc
          .constantFrom(...LAYOUT_NAMES)
          .chain((name) => floatClipArb(getLayout(name).numJoints).map((clip) => ({ name, clip }))),
        ({ name, clip }) => {
          const layout = getLayout(name);
          const rebuilt = jointsFromBones(bones(clip, layout), layout, rootPositions(clip, layout.center));
          for (let i = 0; i < clip.data.length; i++) if (Math.abs(rebuilt.data[i] - clip.data[i]) > 1e-4) return false;
          return true;
        },
      ),
      { numRuns: 100 },
    ),
  );
});

test('bones are joint minus parent by the data.md list; the centre bone is 0', (t) => {
  const d = { M: 2, T: 3, V: 25, C: 3 };
  const clip = clipOf(d, 11);
  const ref = treeFrom1Based(25, NTU_BONES_1, 21);
  const b = bones(clip, getLayout('ntu-25'));
  for (let m = 0; m < d.M; m++)
    for (let f = 0; f < d.T; f++)
      for (let v = 0; v < d.V; v++)
        for (let c = 0; c < d.C; c++) {
          const want = Math.fround(
            clip.data[at4(d.T, d.V, d.C, m, f, v, c)] - clip.data[at4(d.T, d.V, d.C, m, f, ref.parent[v], c)],
          );
          if (b.data[at4(d.T, d.V, d.C, m, f, v, c)] !== want) t.fail(`bone m${m} t${f} v${v} c${c}`);
        }
  for (let m = 0; m < d.M; m++)
    for (let f = 0; f < d.T; f++) for (let c = 0; c < d.C; c++) t.is(b.data[at4(d.T, d.V, d.C, m, f, 20, c)], 0);
  t.deepEqual([b.persons, b.frames, b.joints, b.channels], [2, 3, 25, 3]);
});

test('skip bones are joint minus grandparent (walked by hand; centre children get joint − centre)', (t) => {
  for (const name of LAYOUT_NAMES) {
    const ref = treeFromRaw(RAW_LAYOUTS[name]);
    const d = { M: 1, T: 2, V: ref.V, C: 3 };
    const clip = clipOf(d, 23);
    const k = skipBones(clip, getLayout(name));
    for (let f = 0; f < d.T; f++)
      for (let v = 0; v < d.V; v++) {
        const g = walkUpClamped(ref, v, 2);
        for (let c = 0; c < d.C; c++) {
          const want = Math.fround(
            clip.data[at4(d.T, d.V, d.C, 0, f, v, c)] - clip.data[at4(d.T, d.V, d.C, 0, f, g, c)],
          );
          t.is(k.data[at4(d.T, d.V, d.C, 0, f, v, c)], want, `${name} t${f} ${RAW_LAYOUTS[name].joints[v]} c${c}`);
        }
      }
    // ancestorDifference with k = 3 likewise
    const k3 = ancestorDifference(clip, getLayout(name), 3);
    for (let v = 0; v < d.V; v++) {
      const a = walkUpClamped(ref, v, 3);
      t.is(
        k3.data[at4(d.T, d.V, d.C, 0, 1, v, 0)],
        Math.fround(clip.data[at4(d.T, d.V, d.C, 0, 1, v, 0)] - clip.data[at4(d.T, d.V, d.C, 0, 1, a, 0)]),
      );
    }
  }
  // hand case: NTU KneeLeft (13) − SpineBase (0)
  const clip = clipOf({ M: 1, T: 1, V: 25, C: 1 }, 5);
  t.is(skipBones(clip, getLayout('ntu-25')).data[13], Math.fround(clip.data[13] - clip.data[0]));
});

test('motion is x[t+1] − x[t] per person, last frame 0', (t) => {
  const d = { M: 2, T: 5, V: 4, C: 3 };
  const clip = clipOf(d, 3);
  const mo = motion(clip);
  for (let m = 0; m < d.M; m++)
    for (let f = 0; f < d.T; f++)
      for (let v = 0; v < d.V; v++)
        for (let c = 0; c < d.C; c++) {
          const i = at4(d.T, d.V, d.C, m, f, v, c);
          const want = f + 1 < d.T ? Math.fround(clip.data[at4(d.T, d.V, d.C, m, f + 1, v, c)] - clip.data[i]) : 0;
          t.is(mo.data[i], want, `m${m} t${f} v${v} c${c}`);
        }
  // a single frame has zero motion
  t.true(motion(clipOf({ M: 1, T: 1, V: 3, C: 2 }, 1)).data.every((x) => x === 0));
});

test('toModality: bm and km are motion of b and k; j is the clip itself', (t) => {
  const layout = getLayout('kinect-20');
  const clip = clipOf({ M: 1, T: 4, V: 20, C: 3 }, 9);
  t.is(toModality(clip, layout, 'j'), clip);
  t.deepEqual(toModality(clip, layout, 'bm').data, motion(bones(clip, layout)).data);
  t.deepEqual(toModality(clip, layout, 'km').data, motion(skipBones(clip, layout)).data);
  t.deepEqual(toModality(clip, layout, 'jm').data, motion(clip).data);
  t.deepEqual([...MODALITIES], ['j', 'b', 'k', 'jm', 'bm', 'km', 'jb', 'jbjmbm']);
});

test('stackModalities puts modality i in channels [i·C, (i+1)·C) (PSUMNet j|b|jm|bm)', (t) => {
  const ntu = getLayout('ntu-25');
  const ref = treeFrom1Based(25, NTU_BONES_1, 21);
  const d = { M: 2, T: 3, V: 25, C: 3 };
  const clip = clipOf(d, 42);
  const st = stackModalities(clip, ntu, ['j', 'b', 'jm', 'bm']);
  t.deepEqual([st.persons, st.frames, st.joints, st.channels], [2, 3, 25, 12]);
  const x = (m: number, f: number, v: number, c: number): number => clip.data[at4(d.T, d.V, d.C, m, f, v, c)];
  const bone = (m: number, f: number, v: number, c: number): number =>
    Math.fround(x(m, f, v, c) - x(m, f, ref.parent[v], c));
  for (let m = 0; m < d.M; m++)
    for (let f = 0; f < d.T; f++)
      for (let v = 0; v < d.V; v++)
        for (let c = 0; c < d.C; c++) {
          const last = f + 1 === d.T;
          const want = [
            x(m, f, v, c),
            bone(m, f, v, c),
            last ? 0 : Math.fround(x(m, f + 1, v, c) - x(m, f, v, c)),
            last ? 0 : Math.fround(bone(m, f + 1, v, c) - bone(m, f, v, c)),
          ];
          for (let i = 0; i < 4; i++) {
            const got = st.data[at4(d.T, d.V, 12, m, f, v, i * 3 + c)];
            if (got !== want[i]) t.fail(`m${m} t${f} v${v} modality ${i} c${c}: ${got} vs ${want[i]}`);
          }
        }
  t.pass();
});

/** Flip permutation from joint names alone. */
function flipByName(names: readonly string[]): number[] {
  const twin = (n: string): string =>
    n.includes('Left')
      ? n.replace('Left', 'Right')
      : n.includes('Right')
        ? n.replace('Right', 'Left')
        : n.includes('left')
          ? n.replace('left', 'right')
          : n.includes('right')
            ? n.replace('right', 'left')
            : n;
  return names.map((n) => names.indexOf(twin(n)));
}

test('flipLeftRight swaps twins by name and negates x only', (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = getLayout(name);
    const perm = flipByName(RAW_LAYOUTS[name].joints);
    t.false(perm.includes(-1), name);
    const d = { M: 2, T: 2, V: layout.numJoints, C: 4 }; // x, y, z, score
    const clip = clipOf(d, 17);
    const fl = flipLeftRight(clip, layout);
    for (let m = 0; m < d.M; m++)
      for (let f = 0; f < d.T; f++)
        for (let v = 0; v < d.V; v++)
          for (let c = 0; c < d.C; c++) {
            const src = clip.data[at4(d.T, d.V, d.C, m, f, perm[v], c)];
            t.is(fl.data[at4(d.T, d.V, d.C, m, f, v, c)], c === 0 ? -src : src, `${name} m${m} t${f} v${v} c${c}`);
          }
  }
});

test('flipLeftRight twice is the identity (property, every layout)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc
          .constantFrom(...LAYOUT_NAMES)
          .chain((name) => floatClipArb(getLayout(name).numJoints).map((clip) => ({ name, clip }))),
        ({ name, clip }) => {
          const layout = getLayout(name as LayoutName);
          return sameBuffer(flipLeftRight(flipLeftRight(clip, layout), layout).data, clip.data);
        },
      ),
      { numRuns: 200 },
    ),
  );
});

test('selectJoints picks the listed joints in order for every person and frame', (t) => {
  const d = { M: 2, T: 3, V: 25, C: 3 };
  const clip = clipOf(d, 99);
  const pick = [20, 4, 5, 24, 0, 4];
  const s = selectJoints(clip, pick);
  t.deepEqual([s.persons, s.frames, s.joints, s.channels], [2, 3, 6, 3]);
  for (let m = 0; m < d.M; m++)
    for (let f = 0; f < d.T; f++)
      for (let j = 0; j < pick.length; j++)
        for (let c = 0; c < d.C; c++)
          t.is(s.data[at4(d.T, pick.length, d.C, m, f, j, c)], clip.data[at4(d.T, d.V, d.C, m, f, pick[j], c)]);
});

test('a part stream clip: selectJoints then bones equals the stream-local bone of each joint', (t) => {
  const ntu = getLayout('ntu-25');
  const leg = partStream(ntu, 'leg');
  const d = { M: 1, T: 2, V: 25, C: 3 };
  const clip = clipOf(d, 1234);
  const b = bones(selectJoints(clip, leg.joints), leg);
  // KneeRight (17) − HipRight (16): the leg stream's fixed pair
  const j = Array.from(leg.joints).indexOf(17);
  for (let c = 0; c < 3; c++)
    t.is(
      b.data[at4(d.T, 9, 3, 0, 1, j, c)],
      Math.fround(clip.data[at4(d.T, 25, 3, 0, 1, 17, c)] - clip.data[at4(d.T, 25, 3, 0, 1, 16, c)]),
    );
  // FootLeft (15) − AnkleLeft (14)
  const k = Array.from(leg.joints).indexOf(15);
  t.is(
    b.data[at4(d.T, 9, 3, 0, 0, k, 0)],
    Math.fround(clip.data[at4(d.T, 25, 3, 0, 0, 15, 0)] - clip.data[at4(d.T, 25, 3, 0, 0, 14, 0)]),
  );
});

test('shape checks: wrong joint counts and root buffers are rejected', (t) => {
  const clip = clipOf({ M: 1, T: 2, V: 20, C: 3 }, 1);
  t.throws(() => bones(clip, getLayout('ntu-25')), { message: /20 joints/ });
  t.throws(() => flipLeftRight(clip, getLayout('coco-17')));
  t.throws(() => jointsFromBones(clip, getLayout('kinect-20'), new Float32Array(5)), { message: /rootPositions/ });
});

test('jb: joint ‖ bone on a hand-computed 3-joint chain, 2 frames', (t) => {
  // Chain 0 ← 1 ← 2 rooted at 0: the bone of joint v is x[v] − x[parent(v)], the root's is 0.
  const tree = { numJoints: 3, parents: Int32Array.from([0, 0, 1]), center: 0 };
  const clip = makeClip(
    Float32Array.from([
      // frame 0: joints (1,2,3), (4,6,8), (5,5,5)
      1, 2, 3, 4, 6, 8, 5, 5, 5,
      // frame 1: joints (0,0,0), (1,1,1), (3,2,1)
      0, 0, 0, 1, 1, 1, 3, 2, 1,
    ]),
    1,
    2,
    3,
    3,
  );
  const jb = toModality(clip, tree, 'jb');
  t.deepEqual([jb.persons, jb.frames, jb.joints, jb.channels], [1, 2, 3, 6]);
  t.deepEqual(
    [...jb.data],
    [
      // frame 0: (joint, bone) per joint
      1, 2, 3, 0, 0, 0, 4, 6, 8, 3, 4, 5, 5, 5, 5, 1, -1, -3,
      // frame 1
      0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 3, 2, 1, 2, 1, 0,
    ],
  );
  t.is(modalityChannels('jb', 3), 6);
  t.is(modalityChannels('b', 3), 3);
  t.is(rawChannelsOf('jb', 6), 3);
  t.is(rawChannelsOf('j', 3), 3);
  t.throws(() => rawChannelsOf('jb', 3), { message: /multiple of 2 channels, not 3/ });

  // joint | bone | joint motion | bone motion: motion is x[t+1] − x[t], the last frame 0.
  const four = toModality(clip, tree, 'jbjmbm');
  t.deepEqual([four.persons, four.frames, four.joints, four.channels], [1, 2, 3, 12]);
  t.deepEqual(
    [...four.data],
    [
      // frame 0, per joint: joint, bone, joint(1) − joint(0), bone(1) − bone(0)
      1, 2, 3, 0, 0, 0, -1, -2, -3, 0, 0, 0, 4, 6, 8, 3, 4, 5, -3, -5, -7, -2, -3, -4, 5, 5, 5, 1, -1, -3, -2, -3, -4,
      1, 2, 3,
      // frame 1: the motions are 0
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 3, 2, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0,
    ],
  );
  t.is(modalityChannels('jbjmbm', 3), 12);
  t.is(rawChannelsOf('jbjmbm', 12), 3);
  t.deepEqual(stackedParts('jbjmbm'), ['j', 'b', 'jm', 'bm']);
  t.deepEqual(stackedParts('b'), ['b']);
});
