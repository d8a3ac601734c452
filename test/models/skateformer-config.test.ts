/**
 * SkateFormer config validation, presets and parameter counts against the official model.
 *
 * The official counts are summed here by hand from the layer shapes of the official code
 * (model/SkateFormer.py with config/train/ntu_cs/SkateFormer_j.yaml and
 * config/train/nw_ucla/SkateFormer_j.yaml), PyTorch shapes written out:
 *
 * Stem  Conv2d(3,6,1): 3·6+6 = 24;  Conv2d(6,9,1): 6·9+9 = 63;  Conv2d(9,96,1): 9·96+96 = 960  → 1 047
 * Skate-Embedding  joint_person_embedding (96, V·M)                               NTU 96·48 = 4 608
 * Block at width C, tokens V', heads 32, windows N=8 × L, K (NTU L=8, K=12):
 *   norm_1 2C; mapping C·2C + 2C; gconv (8, V', V'); tconv Conv2d(C/4, C/4, (7,1), groups 8)
 *   = (C/4)·(C/4/8)·7 + C/4; attention: 4 heads per branch, types 1/3 tables (15, 4) = 60
 *   each, types 2/4 (15, K, K, 4); proj C·C + C; norm_2 2C; mlp C·rC + rC + rC·C + C.
 *   NTU, C=96:  192 + 18 624 + 18 432 + 528 + (60+8 640+60+8 640 = 17 400) + 9 312 + 192 + 74 208 = 138 888
 *   NTU, C=192: 384 + 74 112 + 18 432 + 2 064 + 17 400 + 37 056 + 384 + 295 872                  = 445 704
 * PatchMergingTconv Conv2d(Cin, Cout, (7,1)) + BN (γ, β; running stats are buffers):
 *   96→192: 96·192·7 + 192 + 2·192 = 129 600;  192→192: 192·192·7 + 192 + 384 = 258 624
 * Stages (2,2,2,2): 2·138 888 = 277 776;  129 600 + 2·445 704 = 1 021 008;  258 624 + 891 408 = 1 150 032 (×2)
 * Head Linear(192, 60): 11 580;  Linear(192, 120): 23 160
 * NTU60:  1 047 + 4 608 + 277 776 + 1 021 008 + 1 150 032 + 1 150 032 + 11 580 = 3 616 083  (official "3.616M")
 * NTU120: 3 616 083 − 11 580 + 23 160                                           = 3 627 663  (official "3.628M")
 * NW-UCLA (V' = 20, L = 4, K = 5, mlp_ratio 1, 10 classes): gconv 8·20·20 = 3 200; attention
 *   60+1 500+60+1 500 = 3 120; block C=96: 192 + 18 624 + 3 200 + 528 + 3 120 + 9 312 + 192 + 18 624 = 53 792;
 *   C=192: 384 + 74 112 + 3 200 + 2 064 + 3 120 + 37 056 + 384 + 74 112 = 194 432;
 *   total 1 047 + 1 920 + 107 584 + (129 600 + 388 864) + 2·(258 624 + 388 864) + 1 930 = 1 925 921 (official "1.93M")
 */
import test from 'ava';
import { initBackend } from '../../src/engine/backend.js';
import {
  SKATEFORMER_PRESETS,
  createSkateFormer,
  parseSkateFormerConfig,
  resolveSkateFormerConfig,
  skateFormerPreset,
} from '../../src/models/skateformer/index.js';

test.before(async () => {
  await initBackend('wasm');
});

const NTU60_OFFICIAL = 3_616_083;
const NTU120_OFFICIAL = 3_627_663;
const UCLA_OFFICIAL = 1_925_921;

function countOf(config: Parameters<typeof createSkateFormer>[0]) {
  const model = createSkateFormer(config, 1);
  const trainable = model.params.countTrainable();
  const all = model.params.entries().reduce((s, [i]) => s + i.shape.reduce((a, b) => a * b, 1), 0);
  const byPrefix = (p: string) =>
    model.params
      .entries()
      .filter(([i]) => i.trainable && i.name.startsWith(p))
      .reduce((s, [i]) => s + i.shape.reduce((a, b) => a * b, 1), 0);
  const parts = {
    stem: byPrefix('stem.'),
    embedding: byPrefix('embedding.'),
    s1: byPrefix('stage1.'),
    s2: byPrefix('stage2.'),
    s3: byPrefix('stage3.'),
    s4: byPrefix('stage4.'),
    head: byPrefix('head.'),
  };
  model.dispose();
  return { trainable, all, parts };
}

test('NTU60 preset has exactly the official trainable parameter count (3 616 083), stage by stage', (t) => {
  const c = countOf(skateFormerPreset('ntu'));
  t.is(c.trainable, NTU60_OFFICIAL);
  t.deepEqual(c.parts, {
    stem: 1_047,
    embedding: 4_608,
    s1: 277_776,
    s2: 1_021_008,
    s3: 1_150_032,
    s4: 1_150_032,
    head: 11_580,
  });
  // BatchNorm running statistics of the three merging layers are stored but not trainable
  t.is(c.all - c.trainable, 3 * 2 * 192);
});

test('NTU120 and NW-UCLA presets match the official counts (3 627 663; 1 925 921)', (t) => {
  t.is(countOf(skateFormerPreset('ntu', { classes: 120 })).trainable, NTU120_OFFICIAL);
  t.is(countOf(skateFormerPreset('kinect20')).trainable, UCLA_OFFICIAL);
});

test('realtime preset: 66 035 parameters, summed by hand from its layer shapes', (t) => {
  // 1 person × 24 joints (V' = 24), windows L = 8, K = 6; 16 heads → 2 per branch: tables (15, 2) and (15, 6, 6, 2)
  // stem 24 + 63 + (9·32 + 32) = 407; embedding 24·32 = 768
  // block C=32: 64 + (32·64 + 64) + 4·24·24 + (7·2·8 + 8) + (30 + 1 080 + 30 + 1 080) + (32·32 + 32) + 64 + (32·64 + 64 + 64·32 + 32) = 12 132
  // merge 32→64: 32·64·7 + 64 + 2·64 = 14 528
  // block C=64: 128 + 8 320 + 2 304 + (7·4·16 + 16) + 2 220 + 4 160 + 128 + (8 320 + 8 256) = 34 300
  // head 64·60 + 60 = 3 900
  const c = countOf(skateFormerPreset('realtime'));
  t.deepEqual(c.parts, { stem: 407, embedding: 768, s1: 12_132, s2: 14_528 + 34_300, s3: 0, s4: 0, head: 3_900 });
  t.is(c.trainable, 66_035);
});

test('indexT off replaces the (V, C) joint-person table by a learned (T, V, C) table', (t) => {
  const c = countOf(skateFormerPreset('ntu', { indexT: false }));
  t.is(c.parts.embedding, 64 * 48 * 96);
  t.is(c.trainable, NTU60_OFFICIAL - 4_608 + 64 * 48 * 96);
});

test('preset definitions: defaults are the official model; UCLA uses mlp ratio 1; realtime is one person', (t) => {
  const ntu = skateFormerPreset('ntu');
  t.like(ntu, {
    layout: 'ntu-25',
    persons: 2,
    classes: 60,
    frames: 64,
    inChannels: 3,
    embedDim: 96,
    heads: 32,
    kernel: 7,
    partitionFrames: 8,
    mlpRatio: 4,
    dropPath: 0.2,
    attnDrop: 0.5,
    headDrop: 0,
    indexT: true,
    biasMode: 'official',
  });
  t.deepEqual(ntu.depths, [2, 2, 2, 2]);
  t.deepEqual(ntu.channels, [96, 192, 192, 192]);
  t.like(skateFormerPreset('kinect20'), { layout: 'kinect-20', persons: 1, classes: 10, mlpRatio: 1 });
  const rt = skateFormerPreset('realtime');
  t.like(rt, { layout: 'ntu-25', persons: 1, frames: 64 });
  t.deepEqual(rt.channels, [32, 64]);
  for (const name of SKATEFORMER_PRESETS) t.notThrows(() => skateFormerPreset(name));
});

test('unknown fields are rejected with a message that names the field', (t) => {
  const err = t.throws(() => parseSkateFormerConfig({ layout: 'ntu-25', persons: 2, classes: 60, numHeads: 32 }));
  t.regex(err!.message, /numHeads/);
  t.regex(err!.message, /unknown field/);
  t.throws(() => skateFormerPreset('ntu', { mlp_ratio: 4 } as never), { message: /mlp_ratio/ });
});

test('invalid values and combinations name the field', (t) => {
  const base = { layout: 'ntu-25', persons: 2, classes: 60 } as const;
  t.throws(() => parseSkateFormerConfig({ ...base, heads: 12 }), { message: /field 'heads'/ });
  t.throws(() => parseSkateFormerConfig({ ...base, embedDim: 64 }), { message: /field 'embedDim'.*channels\[0\]/ });
  t.throws(() => parseSkateFormerConfig({ ...base, frames: 48 }), { message: /field 'frames'.*multiple of 64/ });
  t.throws(() => parseSkateFormerConfig({ ...base, channels: [96, 192] }), { message: /field 'channels'/ });
  t.throws(() => parseSkateFormerConfig({ ...base, channels: [96, 200, 192, 192] }), {
    message: /channels\[1\] = 200/,
  });
  t.throws(() => parseSkateFormerConfig({ ...base, kernel: 6 }), { message: /field 'kernel'/ });
  t.throws(() => parseSkateFormerConfig({ ...base, layout: 'coco-17' }), { message: /field 'layout'/ });
  t.throws(() => parseSkateFormerConfig({ ...base, biasMode: 'paper' }), { message: /field 'biasMode'/ });
  t.throws(() => parseSkateFormerConfig({ layout: 'ntu-25', classes: 60 }), { message: /field 'persons'/ });
});

test('an experiment model section resolves through its preset (kind ignored, fields override, strict)', (t) => {
  const c = resolveSkateFormerConfig({ kind: 'skateformer', preset: 'ntu', classes: 120 });
  t.is(c.classes, 120);
  t.is(c.persons, 2);
  t.throws(() => resolveSkateFormerConfig({ kind: 'skateformer', preset: 'ntu', clases: 120 }), { message: /clases/ });
  t.throws(() => resolveSkateFormerConfig({ preset: 'huge' }), { message: /field 'preset'/ });
  t.is(resolveSkateFormerConfig({ layout: 'kinect-20', persons: 1, classes: 10 }).mlpRatio, 4);
});

test('weight decay flags: bias tables are decayed (as the official AdamW does), BN statistics are not trainable', (t) => {
  const model = createSkateFormer(skateFormerPreset('kinect20'), 1);
  const info = new Map(model.params.entries().map(([i]) => [i.name, i]));
  const tables = [...info.values()].filter((i) => i.name.includes('biasTable'));
  t.is(tables.length, 8 * 4);
  t.true(tables.every((i) => i.decay && i.trainable));
  t.deepEqual(info.get('stage1.block1.attention.type1.biasTable')!.shape, [15, 4]);
  t.deepEqual(info.get('stage1.block1.attention.type2.biasTable')!.shape, [15, 5, 5, 4]);
  t.false(info.get('stage2.merge.bn.movingMean')!.trainable);
  t.false(info.get('stage2.merge.bn.movingVariance')!.trainable);
  model.dispose();
});
