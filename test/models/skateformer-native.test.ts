/**
 * The fused Skate-MSA branch (ops.partitionedAttention: one native kernel forward, one
 * backward) against the composed path (gather → windowAttention → gather) on the cpu backend:
 * values, d chunk and d bias table for all four Skate-Types of real small configs, odd sizes
 * (B = 1, windows of 16, 20, 24 and 36 tokens, head dims 1 and 3, one case large enough to be
 * split over threads), with and without attention dropout
 * (the fused kernels draw the composed path's mask from the same seed, so the two must agree
 * exactly up to rounding); the fused G-Conv likewise; skateMix (G-Conv | T-Conv | the branches
 * on the unsplit mapping output, one buffer out) against the split, composed and concatenated
 * pieces; then one whole SkateFormer training step,
 * loss and every gradient,
 * native-fused on wasm against the cpu backend. Skipped with the reason without a built addon.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import * as ops from '../../src/models/ops.js';
import { registerNativeKernels } from '../../src/engine/native-kernels.js';
import { getLayout, skateformerJointOrder, skateTypeSizes, type SkateType } from '../../src/graph/index.js';
import { createSkateFormer, type SkateFormerConfigInput } from '../../src/models/skateformer/index.js';
import { gConv, skateAttention, skateBranch } from '../../src/models/skateformer/model.js';
import {
  assertWasmMatchesCpu,
  initBackends,
  randomTensor,
  relativeError,
  useBackend,
  valueAndGrads,
} from '../engine/backends.js';
import { recordKernelCalls } from '../engine/kernel-spy.js';
import { nativeLoad, nativeTest } from '../engine/native-test.js';

test.before(async () => {
  await initBackends();
  if (nativeLoad.addon) registerNativeKernels(nativeLoad.addon);
});

/** The four branches of one stage of a small real config: layout, persons, frames, partition frames. */
function branchesOf(layout: string, persons: number, T: number, partitionFrames: number, H: number, d: number) {
  const order = skateformerJointOrder(getLayout(layout), persons);
  const V = order.persons * order.jointsPerPerson;
  const sizes = skateTypeSizes(order, partitionFrames);
  const list = [sizes.type1, sizes.type2, sizes.type3, sizes.type4] as const;
  return {
    V,
    branches: list.map((size, i) => ({
      size,
      branch: skateBranch((i + 1) as SkateType, T, V, size, H, d, 'official'),
    })),
  };
}

function tableShape(type: SkateType, size: readonly [number, number], H: number): number[] {
  return type === 1 || type === 3 ? [2 * size[0] - 1, H] : [2 * size[0] - 1, size[1], size[1], H];
}

nativeTest(
  'fused Skate-MSA branch = composed path on cpu: values, d chunk, d bias table; four types, odd sizes, dropout',
  (t) => {
    const cases = [
      { layout: 'kinect-20', persons: 1, T: 8, pf: 4, B: 1, H: 1, d: 1, drop: 0 },
      { layout: 'kinect-20', persons: 1, T: 8, pf: 4, B: 2, H: 2, d: 3, drop: 0.5 },
      { layout: 'ntu-25', persons: 2, T: 6, pf: 3, B: 3, H: 1, d: 3, drop: 0 },
      { layout: 'ntu-25', persons: 2, T: 6, pf: 3, B: 1, H: 2, d: 1, drop: 0.3 },
      { layout: 'ntu-25', persons: 2, T: 12, pf: 3, B: 3, H: 2, d: 3, drop: 0.5 }, // enough work for 2 threads
    ];
    let seed = 1;
    for (const c of cases) {
      const { V, branches } = branchesOf(c.layout, c.persons, c.T, c.pf, c.H, c.d);
      for (const { size, branch } of branches) {
        const s = seed++;
        const make = () => [
          randomTensor([c.B, c.T, V, 3 * c.H * c.d], 100 + s),
          tf.mul(randomTensor(tableShape(branch.type, size, c.H), 200 + s), 2), // large enough that a wrong index shows
        ];
        const f = (chunk: tf.Tensor, table: tf.Tensor) =>
          skateAttention(chunk as tf.Tensor4D, branch, table, c.drop, 7000 + s);
        const label = `${c.layout} × ${c.persons}, T ${c.T}, type ${branch.type} [${size}] (n = ${branch.tokens}), B ${c.B}, H ${c.H}, d ${c.d}, dropout ${c.drop}`;
        // On wasm skateAttention takes the fused kernels; on cpu (none registered) the composed path.
        useBackend('wasm');
        t.true(ops.hasPartitionedAttention(), 'the fused kernels are registered on wasm');
        assertWasmMatchesCpu(
          t,
          () => valueAndGrads(f, make()),
          () => valueAndGrads(f, make()),
          1e-4,
          label,
        );
      }
    }
  },
);

nativeTest('fused Skate-MSA branch: dropout really drops, follows the seed, and is the same on recomputation', (t) => {
  useBackend('wasm');
  const { V, branches } = branchesOf('kinect-20', 1, 8, 4, 2, 3);
  const { branch, size } = branches[1];
  tf.tidy(() => {
    const chunk = randomTensor([2, 8, V, 18], 5);
    const table = randomTensor(tableShape(branch.type, size, 2), 6);
    const run = (rate: number, seed: number) =>
      ops.partitionedAttention(chunk, table, branch, rate, seed).dataSync() as Float32Array;
    const plain = run(0, 1);
    const a = run(0.5, 11);
    t.true(relativeError(a, plain) > 1e-2, 'dropout 0.5 changes the output');
    t.deepEqual(run(0.5, 11), a, 'the same seed gives the same output');
    t.true(relativeError(run(0.5, 12), a) > 1e-2, 'another seed another mask');
    // The backward kernel given the forward pass's mask = the backward kernel drawing it again.
    const attrs = {
      partition: branch.partition,
      biasIndex: branch.biasIndex,
      windows: branch.windows,
      tokens: branch.tokens,
      heads: branch.heads,
      headDim: branch.headDim,
      scale: branch.scale,
      rate: 0.5,
      seed: 11,
    } as unknown as tf.NamedAttrMap;
    const [out, mask] = tf.engine().runKernel('SkelactSkateAttention', { chunk, table }, attrs) as tf.Tensor[];
    t.is(mask.dtype, 'bool');
    t.is(mask.size, 2 * branch.windows * branch.heads * branch.tokens ** 2);
    const kept = (mask.dataSync() as Uint8Array).reduce((n, m) => n + m, 0) / mask.size;
    t.true(kept > 0.45 && kept < 0.55, `about half the entries kept: ${kept}`);
    const dy = randomTensor(out.shape, 7);
    const given = tf.engine().runKernel('SkelactSkateAttentionGrad', { chunk, table, dy, mask }, attrs) as tf.Tensor[];
    const drawn = tf.engine().runKernel('SkelactSkateAttentionGrad', { chunk, table, dy }, attrs) as tf.Tensor[];
    given.forEach((g, i) =>
      t.deepEqual(g.dataSync(), drawn[i].dataSync(), `gradient ${i}: the kept mask is the drawn one`),
    );
  });
});

nativeTest('fused Skate-MSA branch: one kernel each way, no gathers or products; no tensors leak', (t) => {
  useBackend('wasm');
  const { V, branches } = branchesOf('kinect-20', 1, 8, 4, 2, 3);
  const { branch, size } = branches[3];
  const step = () =>
    tf.tidy(() => {
      const chunk = randomTensor([2, 8, V, 18], 5);
      const table = tf.variable(randomTensor(tableShape(branch.type, size, 2), 6));
      const grads = valueAndGrads((c, b) => skateAttention(c as tf.Tensor4D, branch, b, 0.5, 3), [chunk, table]);
      grads.forEach((g) => g.dataSync());
      table.dispose();
    });
  const { calls } = recordKernelCalls(
    'wasm',
    ['SkelactSkateAttention', 'SkelactSkateAttentionGrad', 'GatherV2', 'BatchMatMul', 'Softmax', 'SkelactBiasSoftmax'],
    step,
  );
  t.deepEqual(
    calls.map((c) => c.name),
    ['SkelactSkateAttention', 'SkelactSkateAttention', 'SkelactSkateAttentionGrad'],
    'two forward passes (value, then under grads), one backward',
  );
  t.deepEqual(
    calls[2].inputShapes[3],
    [2 * branch.windows * branch.heads * branch.tokens ** 2],
    'the backward pass is handed the dropout mask of the forward pass',
  );
  step();
  const before = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  for (let i = 0; i < 3; i++) step();
  t.is(tf.memory().numTensors, before);
  t.is(tf.memory().numBytes, bytes);
});

nativeTest('fused Skate-MSA branch: bad tables and shapes give clear errors, and nothing leaks', (t) => {
  useBackend('wasm');
  const { V, branches } = branchesOf('kinect-20', 1, 8, 4, 2, 3);
  const { branch, size } = branches[0];
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const chunk = randomTensor([1, 8, V, 18], 5);
    const table = randomTensor(tableShape(branch.type, size, 2), 6);
    const repeated = Int32Array.from(branch.partition);
    repeated[1] = repeated[0];
    t.throws(() => ops.partitionedAttention(chunk, table, { ...branch, partition: repeated }), {
      message: new RegExp(`partition must list each of the ${8 * V} tokens once`),
    });
    t.throws(() => ops.partitionedAttention(randomTensor([1, 8, V, 12], 1), table, branch), {
      message: /chunk \[B, \d+·\d+ tokens, 18\]/,
    });
    const farRow = Int32Array.from(branch.biasIndex);
    farRow[0] = 1000;
    t.throws(() => ops.partitionedAttention(chunk, table, { ...branch, biasIndex: farRow }), {
      message: /bias index is not a row of the table/,
    });
    t.throws(() => ops.partitionedAttention(chunk, table, branch, 1, 0), { message: /rate must be in \[0, 1\)/ });
  });
  t.is(tf.memory().numTensors, before);
});

nativeTest(
  'fused G-Conv (ops.groupMix) = the composed G-Conv on cpu: values, dx, dA; groups of 1–3 channels, one row',
  (t) => {
    const cases: Array<[number[], number]> = [
      [[1, 1, 5, 4], 2], // one row (the composed path cannot take one group: tfjs's Unpack gradient)
      [[2, 3, 5, 6], 2], // groups of 3 channels
      [[2, 2, 7, 3], 3], // groups of 1 channel
      [[1, 4, 48, 24], 8], // NTU's first stage: 8 groups of 3
    ];
    cases.forEach(([shape, G], i) => {
      const V = shape[2];
      const make = () => [randomTensor(shape, 10 + i), randomTensor([G, V, V], 20 + i)];
      const f = (x: tf.Tensor, a: tf.Tensor) => gConv(x as tf.Tensor4D, a as tf.Tensor3D);
      useBackend('wasm');
      t.true(ops.hasGroupMix(), 'the fused kernels are registered on wasm');
      assertWasmMatchesCpu(
        t,
        () => valueAndGrads(f, make()),
        () => valueAndGrads(f, make()),
        1e-4,
        `G-Conv [${shape}], ${G} groups`,
      );
    });
    useBackend('wasm');
    const { calls } = recordKernelCalls(
      'wasm',
      ['SkelactGroupMix', 'SkelactGroupMixGrad', 'BatchMatMul', 'Transpose'],
      () =>
        tf.tidy(() =>
          valueAndGrads(
            (x, a) => gConv(x as tf.Tensor4D, a as tf.Tensor3D),
            [randomTensor([1, 2, 5, 6], 1), randomTensor([2, 5, 5], 2)],
          ).forEach((g) => g.dataSync()),
        ),
    );
    t.deepEqual(
      calls.map((c) => c.name),
      ['SkelactGroupMix', 'SkelactGroupMix', 'SkelactGroupMixGrad'],
      'two forward passes (value, then under grads), one backward; no products or transposes',
    );
  },
);

/** The block's middle composed from the split pieces (what skateMix replaces), for the cpu backend. */
function composedMix(
  gC: number,
  tC: number,
  groups: number,
  branches: ReturnType<typeof skateBranch>[],
  drop: number,
  seeds: number[],
) {
  return (f: tf.Tensor, A: tf.Tensor, w: tf.Tensor, b: tf.Tensor, ...tables: tf.Tensor[]) => {
    const [B, T, V] = f.shape;
    const at = (col: number, width: number) => tf.slice(f, [0, 0, 0, col], [B, T, V, width]) as tf.Tensor4D;
    let col = gC + tC;
    const parts = branches.map((branch, i) => {
      const width = 3 * branch.heads * branch.headDim;
      const y = skateAttention(at(col, width), branch, tables[i], drop, seeds[i]);
      col += width;
      return y;
    });
    return tf.concat(
      [
        gConv(at(0, gC), A as tf.Tensor3D),
        ops.temporalConv(at(gC, tC), w as tf.Tensor3D, b as tf.Tensor1D, { groups }),
        ...parts,
      ],
      3,
    );
  };
}

nativeTest(
  'skateMix (the block middle as one op, no split or concat) = G-Conv | T-Conv | branches composed on cpu: values and every gradient',
  (t) => {
    const cases = [
      // branches of different heads and head dims, so every channel offset differs; grouped T-Conv
      {
        layout: 'kinect-20',
        persons: 1,
        T: 8,
        pf: 4,
        B: 1,
        hd: [
          [1, 1],
          [2, 3],
          [1, 3],
          [2, 1],
        ],
        G: 2,
        gC: 4,
        tC: 6,
        K: 3,
        groups: 2,
        drop: 0,
      },
      {
        layout: 'kinect-20',
        persons: 1,
        T: 8,
        pf: 4,
        B: 2,
        hd: [
          [2, 3],
          [1, 1],
          [2, 1],
          [1, 3],
        ],
        G: 2,
        gC: 6,
        tC: 4,
        K: 3,
        groups: 4,
        drop: 0.5,
      },
      {
        layout: 'ntu-25',
        persons: 2,
        T: 6,
        pf: 3,
        B: 3,
        hd: [
          [2, 3],
          [2, 3],
          [2, 3],
          [2, 3],
        ],
        G: 3,
        gC: 3,
        tC: 5,
        K: 5,
        groups: 1,
        drop: 0.3,
      },
    ];
    cases.forEach((c, ci) => {
      const branches = c.hd.map(([H, d], i) => branchesOf(c.layout, c.persons, c.T, c.pf, H, d).branches[i]);
      const V = branchesOf(c.layout, c.persons, c.T, c.pf, 1, 1).V;
      const fC = c.gC + c.tC + branches.reduce((n, { branch }) => n + 3 * branch.heads * branch.headDim, 0);
      const seeds = branches.map((_, i) => 500 + 10 * ci + i);
      const make = () => [
        randomTensor([c.B, c.T, V, fC], 30 + ci),
        randomTensor([c.G, V, V], 40 + ci),
        randomTensor([c.K, c.tC / c.groups, c.tC], 50 + ci),
        randomTensor([c.tC], 60 + ci),
        ...branches.map(({ branch, size }, i) =>
          tf.mul(randomTensor(tableShape(branch.type, size, branch.heads), 70 + i), 2),
        ),
      ];
      const fused = (f: tf.Tensor, A: tf.Tensor, w: tf.Tensor, b: tf.Tensor, ...tables: tf.Tensor[]) =>
        ops.skateMix(
          f as tf.Tensor4D,
          A as tf.Tensor3D,
          { w: w as tf.Tensor3D, b: b as tf.Tensor1D, groups: c.groups },
          branches.map(({ branch }, i) => ({
            plan: branch,
            table: tables[i],
            attentionDropout: c.drop,
            seed: seeds[i],
          })),
        );
      const composed = composedMix(
        c.gC,
        c.tC,
        c.groups,
        branches.map((b) => b.branch),
        c.drop,
        seeds,
      );
      useBackend('wasm');
      t.true(ops.hasSkateMix(), 'the kernels are registered on wasm');
      assertWasmMatchesCpu(
        t,
        () => valueAndGrads(fused as (...xs: tf.Tensor[]) => tf.Tensor, make()),
        () => valueAndGrads(composed as (...xs: tf.Tensor[]) => tf.Tensor, make()),
        1e-4,
        `case ${ci}: ${c.layout}, B ${c.B}, f ${fC} channels, dropout ${c.drop}`,
      );
    });
  },
);

nativeTest('skateMix: one kernel each way, no split or concat; bad layouts give clear errors; nothing leaks', (t) => {
  useBackend('wasm');
  const { V, branches } = branchesOf('kinect-20', 1, 8, 4, 1, 3);
  const plans = branches.map(({ branch }) => branch);
  const tables = () =>
    branches.map(({ branch, size }, i) => tf.variable(randomTensor(tableShape(branch.type, size, 1), 9 + i)));
  const step = () =>
    tf.tidy(() => {
      const ts = tables();
      const f = randomTensor([2, 8, V, 4 + 4 + 36], 5);
      const A = randomTensor([2, V, V], 6);
      const w = randomTensor([3, 2, 4], 7);
      const b = randomTensor([4], 8);
      valueAndGrads(
        (fi, Ai, wi, bi, ...tsi) =>
          ops.skateMix(
            fi as tf.Tensor4D,
            Ai as tf.Tensor3D,
            { w: wi as tf.Tensor3D, b: bi as tf.Tensor1D, groups: 2 },
            plans.map((plan, i) => ({ plan, table: tsi[i], attentionDropout: 0.5, seed: 3 + i })),
          ),
        [f, A, w, b, ...ts],
      ).forEach((g) => g.dataSync());
      ts.forEach((v) => v.dispose());
    });
  const { calls } = recordKernelCalls(
    'wasm',
    ['SkelactSkateMix', 'SkelactSkateMixGrad', 'SkelactSkateAttention', 'SplitV', 'Concat', 'Slice'],
    step,
  );
  t.deepEqual(
    calls.map((c) => c.name),
    ['SkelactSkateMix', 'SkelactSkateMix', 'SkelactSkateMixGrad'],
    'two forward passes (value, then under grads), one backward; no split, no concat, no slice',
  );
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) step();
  t.is(tf.memory().numTensors, before, 'no tensors leak');
  tf.tidy(() => {
    const ts = tables();
    const mix = (fC: number, tconvW = randomTensor([3, 2, 4], 7)) =>
      ops.skateMix(
        randomTensor([1, 8, V, fC], 5) as tf.Tensor4D,
        randomTensor([2, V, V], 6) as tf.Tensor3D,
        { w: tconvW as tf.Tensor3D, b: randomTensor([4], 8) as tf.Tensor1D, groups: 2 },
        plans.map((plan, i) => ({ plan, table: ts[i], attentionDropout: 0, seed: 0 })),
      );
    t.throws(() => mix(4 + 36), { message: /leaves 0 for G-Conv/ });
    t.throws(() => mix(44, randomTensor([2, 2, 4], 7)), { message: /odd kernel/ });
    t.throws(() => mix(45), { message: /leaves 5 for G-Conv/ });
    ts.forEach((v) => v.dispose());
  });
  t.is(tf.memory().numTensors, before, 'nothing leaks on the errors');
});

const SMALL: SkateFormerConfigInput = {
  layout: 'kinect-20',
  persons: 1,
  classes: 5,
  frames: 16,
  partitionFrames: 4,
  embedDim: 24,
  depths: [1, 1],
  channels: [24, 24],
  heads: 8, // 1 head per branch, head dim 3
  mlpRatio: 2,
  attnDrop: 0.5,
  dropPath: 0.2,
  checkpoint: false,
};

nativeTest('one SkateFormer training step, native-fused on wasm = cpu backend: loss and every gradient', (t) => {
  const B = 2;
  const stepOn = () => {
    const model = createSkateFormer(SMALL, 3);
    try {
      const x = randomTensor([B, 16, 20, 3], 8) as tf.Tensor4D;
      const labels = tf.oneHot(tf.tensor1d([1, 4], 'int32'), 5);
      const variables = model.params
        .entries()
        .filter(([i]) => i.trainable)
        .map(([, v]) => v);
      const { value, grads } = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(labels, model.forward({ x }, { training: true, seed: 42 }).logits) as tf.Scalar,
        variables,
      );
      return [value, ...variables.map((v) => grads[v.name])];
    } finally {
      model.dispose();
    }
  };
  let fusedBackward = 0;
  let splitsAndConcats = 0;
  const [fused] = assertWasmMatchesCpu(
    t,
    () => {
      const { result, calls } = recordKernelCalls('wasm', ['SkelactSkateMixGrad', 'SplitV', 'Concat'], stepOn);
      fusedBackward = calls.filter((c) => c.name === 'SkelactSkateMixGrad').length;
      splitsAndConcats = calls.length - fusedBackward;
      return result;
    },
    stepOn,
    2e-4,
    'training step',
  );
  t.is(fusedBackward, 2, 'the wasm step ran the fused block-middle backward once per block');
  t.is(splitsAndConcats, 0, 'no split and no concat in the wasm step');
  t.true(Number.isFinite(fused.values[0]) && fused.values[0] > 0, `loss ${fused.values[0]}`);
});
