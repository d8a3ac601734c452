import test from 'ava';
import { boneTreeOf, getLayout, LayoutError, buildLayout } from '../../src/graph/index.js';
import ntu from '../../src/graph/layouts/ntu-25.json' with { type: 'json' };

test('the SkateFormer bone tree equals the official joint2bone pairs (root SpineMid, tips and thumbs from the hand)', (t) => {
  // feeders/tools.py joint2bone, 0-based (child, parent); (1, 1) is the root
  const official = [
    [0, 1],
    [1, 1],
    [2, 20],
    [3, 2],
    [4, 20],
    [5, 4],
    [6, 5],
    [7, 6],
    [8, 20],
    [9, 8],
    [10, 9],
    [11, 10],
    [12, 0],
    [13, 12],
    [14, 13],
    [15, 14],
    [16, 0],
    [17, 16],
    [18, 17],
    [19, 18],
    [20, 1],
    [21, 7],
    [22, 7],
    [23, 11],
    [24, 11],
  ];
  const tree = boneTreeOf(getLayout('ntu-25'), 'skateformer');
  t.is(tree.center, 1);
  t.deepEqual(
    Array.from(tree.parents),
    official.map(([, p]) => p),
  );
});

test('the PYSKL tree differs from the default (CTR-GCN) tree only at the hand tips and thumbs', (t) => {
  const layout = getLayout('ntu-25');
  const def = boneTreeOf(layout);
  const pyskl = boneTreeOf(layout, 'pyskl');
  const differing = Array.from(def.parents)
    .map((p, v) => (p !== pyskl.parents[v] ? v : -1))
    .filter((v) => v >= 0);
  t.deepEqual(differing, [21, 23]); // HandTipLeft and HandTipRight: from the thumb in CTR-GCN, from the hand in PYSKL
  t.is(pyskl.parents[22], 7);
  t.is(pyskl.parents[24], 11);
  t.throws(() => boneTreeOf(layout, 'nope'), {
    message: /has no bone tree 'nope' \(it has: default, skateformer, pyskl\)/,
  });
});

test('a bone tree that does not reach its root is refused naming the field', (t) => {
  const bad = structuredClone(ntu) as typeof ntu;
  bad.boneTrees.skateformer.bones = bad.boneTrees.skateformer.bones.filter(([c]) => c !== 'HipLeft');
  t.throws(() => buildLayout(bad), {
    instanceOf: LayoutError,
    message: /field 'boneTrees\.skateformer\.bones': joint 'HipLeft' does not reach the root/,
  });
});
