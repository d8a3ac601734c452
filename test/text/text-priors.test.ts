/**
 * Text priors: the real USE-lite encoder, the embedding cache, the description files, GAP's
 * loss against a plain-loop reference, the text head's part pooling, training with text end
 * to end, and zero-shot scoring.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheWriter } from '../../src/data/cache/writer.js';
import { SkeletonCache } from '../../src/data/cache/reader.js';
import { saveDerivedSplit } from '../../src/data/cache/derived-splits.js';
import { deriveZeroShotSplit } from '../../src/data/long-tail.js';
import { ntuSplit } from '../../src/data/ntu/benchmarks.js';
import { generateSyntheticSamples, syntheticClasses } from '../../src/data/synthetic/index.js';
import { getLayout } from '../../src/graph/layout.js';
import { loadModel, readModelFolder, saveModel, withoutTextHead, writeModelFolder } from '../../src/models/io.js';
import { createModel, createModelFromManifest } from '../../src/models/registry.js';
import {
  TEXT_SLOTS,
  addTextHead,
  projectToText,
  textHeadSpecFor,
  textPartPositions,
} from '../../src/models/text-head.js';
import { ParameterStore } from '../../src/models/params.js';
import {
  DESCRIPTION_PARTS,
  DescriptionError,
  descriptionsFor,
  readDescriptions,
  shippedDescriptionsFile,
} from '../../src/text-priors/descriptions.js';
import { embedCached } from '../../src/text-priors/embedding-cache.js';
import { TextEncoderUnavailableError, loadUseLite, type SentenceEncoder } from '../../src/text-priors/encoder.js';
import { batchTextTargets, buildTextTable, classPrompts } from '../../src/text-priors/prompts.js';
import { gapTextLoss } from '../../src/text-priors/text-loss.js';
import { classTextScores, zeroShotAccuracy, type SequenceTextEmbeddings } from '../../src/text-priors/zero-shot.js';
import { parseExperiment } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { gapTextObjective } from '../../src/text-priors/objective.js';
import { datasetsPath } from '../../src/util/paths.js';
import { prng } from '../helpers/prng.js';
import { tmp, useBackend, weightBytes } from '../train/helpers.js';

test.before(async () => {
  await useBackend();
  process.env.SKELACT_TEXT_CACHE = tmp('skelact-text-cache-');
});

const cosine = (a: Float32Array, b: Float32Array) => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
};

test.serial(
  'USE-lite: 512-d, a text gives the same vector alone and in a batch, and the cup phrase is nearer drinking than kicking',
  async (t) => {
    const encoder = await loadUseLite();
    const batch = await encoder.embed(['drink water', 'a person raises a cup to the mouth', 'kick something']);
    const [alone] = await encoder.embed(['a person raises a cup to the mouth']);
    t.is(encoder.dim, 512);
    t.is(batch.length, 3);
    for (const v of batch) t.is(v.length, 512);
    let maxDiff = 0;
    for (let i = 0; i < 512; i++) maxDiff = Math.max(maxDiff, Math.abs(alone[i] - batch[1][i]));
    t.true(maxDiff < 1e-5, `alone vs batch differ by ${maxDiff}`);
    const drink = cosine(batch[1], batch[0]);
    const kick = cosine(batch[1], batch[2]);
    t.true(drink > kick + 0.1, `cos(cup, drink) ${drink.toFixed(3)} vs cos(cup, kick) ${kick.toFixed(3)}`);
    t.true(encoder.id.startsWith('use-lite@'));
  },
);

test.serial('a corrupt or missing encoder is a clear error naming what is wrong', async (t) => {
  const dist = join(datasetsPath('..'), 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');
  const broken = tmp('skelact-broken-use-');
  for (const f of readdirSync(dist))
    if (!f.endsWith('.d.ts') && !f.endsWith('.js')) copyFileSync(join(dist, f), join(broken, f));
  truncateSync(join(broken, 'group1-shard3of7'), 1000);
  const before = process.env.SKELACT_TEXT_ENCODER_DIR;
  try {
    process.env.SKELACT_TEXT_ENCODER_DIR = broken;
    const e = await t.throwsAsync(loadUseLite(), { instanceOf: TextEncoderUnavailableError });
    t.regex(e!.message, /corrupt or incomplete \(weight shards hold \d+ bytes, model\.json describes 27903656\)/);
    t.regex(e!.message, /Training without a 'text' section still works/);
    process.env.SKELACT_TEXT_ENCODER_DIR = join(broken, 'nowhere');
    await t.throwsAsync(loadUseLite(), { instanceOf: TextEncoderUnavailableError, message: /has no model\.json/ });
  } finally {
    if (before === undefined) delete process.env.SKELACT_TEXT_ENCODER_DIR;
    else process.env.SKELACT_TEXT_ENCODER_DIR = before;
  }
});

/** A deterministic stand-in that counts what it is asked to embed (for the cache's bookkeeping only). */
function countingEncoder(): SentenceEncoder & { calls: string[] } {
  const calls: string[] = [];
  return {
    id: 'counting@1',
    dim: 4,
    calls,
    async embed(texts) {
      calls.push(...texts);
      return texts.map((s) => Float32Array.from([s.length, s.charCodeAt(0), 1, -1]));
    },
    dispose() {},
  };
}

test('the embedding cache embeds each text once, misses on a changed text, and rebuilds a corrupt file', async (t) => {
  const dir = tmp('skelact-embcache-');
  const enc = countingEncoder();
  const first = await embedCached(enc, ['a', 'bb', 'a'], { dir });
  t.deepEqual(enc.calls, ['a', 'bb'], 'duplicates embedded once');
  t.deepEqual(Array.from(first[2]), Array.from(first[0]));
  const again = await embedCached(enc, ['bb', 'a'], { dir });
  t.deepEqual(enc.calls, ['a', 'bb'], 'nothing re-embedded');
  t.deepEqual(Array.from(again[0]), [2, 98, 1, -1]);
  await embedCached(enc, ['a', 'ccc'], { dir });
  t.deepEqual(enc.calls, ['a', 'bb', 'ccc']);
  const file = join(dir, 'counting_1.json');
  writeFileSync(file, '{"format": "skelact-text-embeddings", "entr');
  let warning: string | undefined;
  const rebuilt = await embedCached(enc, ['bb'], { dir, onReport: (r) => (warning = r.warning) });
  t.regex(warning ?? '', /unreadable .* rebuilding it/);
  t.deepEqual(Array.from(rebuilt[0]), [2, 98, 1, -1]);
  t.is(JSON.parse(readFileSync(file, 'utf8')).format, 'skelact-text-embeddings');
});

test('shipped descriptions cover every class of NTU RGB+D 120, NW-UCLA, UTKinect and the fitness set, with all six parts', (t) => {
  for (const dataset of ['ntu', 'nw-ucla', 'utkinect', 'mlkit-fitness']) {
    const classes = (
      JSON.parse(readFileSync(datasetsPath(dataset, 'classes.json'), 'utf8')) as { classes: Array<{ name: string }> }
    ).classes.map((c) => c.name);
    const set = readDescriptions(shippedDescriptionsFile(dataset)!);
    const described = descriptionsFor(set, classes, { exact: true });
    t.is(described.length, classes.length, dataset);
    for (const d of described) {
      for (const p of DESCRIPTION_PARTS) t.true(d.parts[p].length > 10, `${dataset} ${d.name} ${p}`);
      t.true(d.synonyms.length >= 2, `${dataset} ${d.name} synonyms`);
    }
  }
  t.is(readDescriptions(shippedDescriptionsFile('ntu')!).classes.size, 120);
  t.is(shippedDescriptionsFile('synthetic'), shippedDescriptionsFile('ntu'));
});

test('a description file missing a class or a part, or naming classes the data lacks, is an error listing them', (t) => {
  const dir = tmp('skelact-desc-');
  const part = (s: string) => Object.fromEntries(DESCRIPTION_PARTS.map((p) => [p, `The ${p} ${s}.`]));
  const file = join(dir, 'd.json');
  writeFileSync(
    file,
    JSON.stringify({
      classes: [
        { name: 'wave', synonyms: ['waving'], description: 'one hand waves', parts: part('moves') },
        { name: 'clap', description: 'hands meet', parts: { ...part('claps'), feet: undefined, knees: 'bend' } },
      ],
    }),
  );
  const e = t.throws(() => readDescriptions(file), { instanceOf: DescriptionError });
  t.regex(e!.message, /classes\[1\] \('clap'\): no description of feet/);
  t.regex(e!.message, /unknown part knees/);
  writeFileSync(
    file,
    JSON.stringify({
      classes: [
        { name: 'wave', description: 'one hand waves', parts: part('moves') },
        { name: 'bow', description: 'the back bends', parts: part('bends') },
      ],
    }),
  );
  const set = readDescriptions(file);
  t.throws(() => descriptionsFor(set, ['wave', 'jump', 'sit']), {
    message: /no description for 2 classes of the data: 'jump', 'sit'/,
  });
  t.throws(() => descriptionsFor(set, ['wave'], { exact: true }), {
    message: /1 described class is not in the data: 'bow'/,
  });
  t.is(descriptionsFor(set, ['bow', 'wave'])[0].name, 'bow');
});

test("GAP's loss equals a plain-loop reference, and its gradients match finite differences", (t) => {
  const rand = prng(3);
  const B = 5;
  const E = 6;
  const S = 2;
  const labels = [0, 1, 0, 2, 1];
  const unitRows = () =>
    Array.from({ length: B }, () => {
      const v = Array.from({ length: E }, () => rand() - 0.5);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    });
  const f = Array.from({ length: S }, unitRows);
  const txt = Array.from({ length: S }, unitRows);
  const scales = [14.3, 5];
  const reference = (fs: number[][][], sc: number[]) => {
    let total = 0;
    for (let k = 0; k < S; k++) {
      const logits = fs[k].map((fi) => txt[k].map((tj) => sc[k] * fi.reduce((s, x, d) => s + x * tj[d], 0)));
      const target = labels.map((li) => {
        const row = labels.map((lj) => Math.exp(10 * (li === lj ? 1 : 0)));
        const z = row.reduce((a, b) => a + b, 0);
        return row.map((x) => x / z);
      });
      const kl = (m: number[][]) => {
        let s = 0;
        m.forEach((row, i) => {
          const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
          row.forEach((x, j) => (s += target[i][j] * (Math.log(target[i][j]) - (x - lse))));
        });
        return s / B;
      };
      const transposed = logits[0].map((_, j) => logits.map((row) => row[j]));
      total += 0.5 * (kl(logits) + kl(transposed));
    }
    return total / S;
  };
  const lossOf = (fs: tf.Tensor2D[], sc: tf.Tensor1D) =>
    gapTextLoss(
      fs,
      txt.map((m) => tf.tensor2d(m)),
      tf.tensor1d(labels, 'int32'),
      sc,
    );
  const value = tf.tidy(
    () =>
      lossOf(
        f.map((m) => tf.tensor2d(m)),
        tf.tensor1d(scales),
      ).dataSync()[0],
  );
  const expected = reference(f, scales);
  t.true(Math.abs(value - expected) < 1e-4 * Math.max(1, expected), `${value} vs ${expected}`);
  // Gradients with respect to one feature value and one scale, against central differences of the reference.
  const [gf, gs] = tf.tidy(() => {
    const g = tf.grads((f0: tf.Tensor, sc: tf.Tensor) =>
      lossOf([f0 as tf.Tensor2D, tf.tensor2d(f[1])], sc as tf.Tensor1D),
    )([tf.tensor2d(f[0]), tf.tensor1d(scales)]);
    return [g[0].arraySync() as number[][], g[1].arraySync() as number[]];
  });
  const h = 1e-4;
  const bump = (i: number, d: number, by: number) =>
    f.map((m, k) => m.map((row, r) => row.map((x, c) => (k === 0 && r === i && c === d ? x + by : x))));
  const numF = (reference(bump(2, 3, h), scales) - reference(bump(2, 3, -h), scales)) / (2 * h);
  const numS = (reference(f, [scales[0] + h, scales[1]]) - reference(f, [scales[0] - h, scales[1]])) / (2 * h);
  t.true(Math.abs(gf[2][3] - numF) < 2e-3, `d/df ${gf[2][3]} vs ${numF}`);
  t.true(Math.abs(gs[0] - numS) < 2e-3, `d/ds ${gs[0]} vs ${numS}`);
  t.true(Math.abs(numF) > 1e-3, 'the checked derivative is not trivially zero');
});

test("the text head pools each GAP part over the model's feature joints (persons included) and projects like a plain loop", (t) => {
  const layout = getLayout('ntu-25');
  const sf = createModel(
    { kind: 'skateformer', preset: 'ntu' },
    { layout: 'ntu-25', classes: 4, frames: 64, persons: 2 },
    1,
  );
  const positions = textPartPositions(sf, 'ntu-25');
  // Naive: every (person, model joint) whose layout joint is in the part.
  layout.gapParts.head.length;
  const J = sf.jointOrder.length;
  t.is(J, 24);
  const naiveHead: number[] = [];
  for (let p = 0; p < 2; p++)
    for (let j = 0; j < J; j++) if (layout.gapParts.head.includes(sf.jointOrder[j])) naiveHead.push(p * J + j);
  t.deepEqual(positions[0], naiveHead);
  t.is(positions[3].length, 2 * layout.gapParts.foot.length);
  sf.dispose();
  const ps = createModel(
    { kind: 'partstream', preset: 'small' },
    { layout: 'ntu-25', classes: 4, frames: 32, persons: 1 },
    1,
  );
  const psPositions = textPartPositions(ps, 'ntu-25');
  for (const list of psPositions)
    for (const v of list)
      t.true(
        layout.gapParts[(['head', 'hand', 'hip', 'foot'] as const)[psPositions.indexOf(list)]].includes(
          ps.featureJoints![v],
        ),
      );
  ps.dispose();

  // Projection against a plain loop on a small random feature map.
  const rand = prng(9);
  const B = 2;
  const T = 3;
  const V = 6;
  const D = 4;
  const spec = { dim: 5, featureDim: D, partPositions: [[0], [1, 2], [3, 4, 5], [0, 5]], encoder: 'x' };
  const store = new ParameterStore(4);
  addTextHead(store, spec);
  const feats = Array.from({ length: B * T * V * D }, () => rand() - 0.5);
  const pooled = Array.from({ length: B * D }, () => rand() - 0.5);
  const out = tf.tidy(() =>
    projectToText(store, spec, { features: tf.tensor4d(feats, [B, T, V, D]), pooled: tf.tensor2d(pooled, [B, D]) }).map(
      (x) => x.arraySync() as number[][],
    ),
  );
  const W = TEXT_SLOTS.map((s) => store.get(`text.${s}.w`).arraySync() as number[][]);
  const bias = TEXT_SLOTS.map((s) => store.get(`text.${s}.b`).arraySync() as number[]);
  for (let b = 0; b < B; b++) {
    const inputs = [
      pooled.slice(b * D, (b + 1) * D),
      ...spec.partPositions.map((list) =>
        Array.from({ length: D }, (_, d) => {
          let s = 0;
          for (const v of list) for (let tt = 0; tt < T; tt++) s += feats[((b * T + tt) * V + v) * D + d];
          return s / (list.length * T);
        }),
      ),
    ];
    inputs.forEach((x, k) => {
      const y = bias[k].map((bk, e) => bk + x.reduce((s, xd, d) => s + xd * W[k][d][e], 0));
      const n = Math.hypot(...y);
      y.forEach((v, e) => t.true(Math.abs(out[k][b][e] - v / n) < 1e-5, `slot ${k} sample ${b} dim ${e}`));
    });
  }
  store.dispose();
});

test('zero-shot scoring: mean cosine over slots, argmax among the candidates, chance reported', (t) => {
  const dim = 3;
  const e = (v: number[]) => Float32Array.from(v);
  // Three classes whose prototypes are the axes (every slot alike).
  const protos = TEXT_SLOTS.map(() => e([1, 0, 0, 0, 1, 0, 0, 0, 1]));
  const table = {
    encoder: 'x',
    dim,
    classNames: ['a', 'b', 'c'],
    globalCandidates: [[e([1, 0, 0])], [e([0, 1, 0])], [e([0, 0, 1])]],
    prototypes: protos,
  };
  const rows = [e([0.9, 0.1, 0]), e([0.2, 0.1, 0.97]), e([0.1, 0.99, 0]), e([0.6, 0.8, 0])];
  const embeddings: SequenceTextEmbeddings = {
    dim,
    slots: TEXT_SLOTS.map(() => Float32Array.from(rows.flatMap((r) => [...r]))),
    labels: Int32Array.from([0, 2, 1, 0]),
    indices: Int32Array.from([0, 1, 2, 3]),
  };
  const scores = classTextScores(embeddings, table, [0, 1, 2]);
  t.true(Math.abs(scores[0] - 0.9) < 1e-6);
  const result = zeroShotAccuracy(embeddings, table, [0, 1, 2]);
  t.is(result.samples, 4);
  t.is(result.top1, 3 / 4, 'the last row leans to b but is an a');
  t.is(result.chance, 1 / 3);
  t.deepEqual(result.confusion[0], [1, 1, 0]);
  // Among candidates b and c only, rows of a are not scored.
  const bc = zeroShotAccuracy(embeddings, table, [1, 2]);
  t.is(bc.samples, 2);
  t.is(bc.top1, 1);
  t.throws(() => zeroShotAccuracy(embeddings, table, [1]), { message: /at least two unseen classes/ });
});

test("batch text targets: each sample gets its class's slot texts and the chosen global candidate", (t) => {
  const d = (name: string) => ({
    name,
    synonyms: [`${name} syn`],
    description: `${name} body`,
    parts: Object.fromEntries(DESCRIPTION_PARTS.map((p) => [p, `${p} of ${name}`])) as never,
  });
  const prompts = classPrompts(d('wave'));
  t.deepEqual(prompts.global, ['wave', 'wave syn', 'wave body']);
  t.is(prompts.hand, 'wave: hands of wave arms of wave');
  t.is(prompts.foot, 'wave: legs of wave feet of wave');
  const dim = 2;
  const v = (a: number, b: number) => Float32Array.from([a, b]);
  const table = {
    encoder: 'x',
    dim,
    classNames: ['p', 'q'],
    globalCandidates: [[v(1, 0), v(0, 1)], [v(-1, 0)]],
    prototypes: TEXT_SLOTS.map((_, k) => Float32Array.from([k, 0, 0, k])),
  };
  const targets = batchTextTargets(table, Int32Array.from([1, 0]), (c) => (c === 0 ? 1 : 0));
  t.deepEqual(Array.from(targets.slice(0, 4)), [-1, 0, 0, 1], 'global slot: q → its only candidate, p → candidate 1');
  t.deepEqual(Array.from(targets.slice(2 * 2 * 2, 2 * 2 * 2 + 4)), [0, 2, 2, 0], 'slot 2 (hand): q, then p prototypes');
});

/** A small synthetic cache with NTU class names, so the shipped NTU descriptions apply. */
function namedSyntheticCache(actions: readonly string[], perClass: number): SkeletonCache {
  const options = { seed: 21, actions, samplesPerClass: perClass, frames: [40, 64] as const };
  const dir = join(tmp('skelact-text-synth-'), 'cache');
  const writer = new CacheWriter(dir, {
    dataset: 'synthetic',
    layout: 'ntu-25',
    channels: ['x', 'y', 'z'],
    classNames: syntheticClasses(options).map((c) => c.name),
    preprocessing: { alignment: 'none' },
    fingerprint: 'test',
    source: 'generated',
    skelactVersion: '0',
  });
  for (const s of generateSyntheticSamples(options))
    writer.add(s, { xsub: ntuSplit('ntu60-xsub', s.name) ?? 'test' }, s.name);
  writer.commit({ skipped: [], failed: [], denoised: [] }, ['xsub']);
  return SkeletonCache.open(dir);
}

test.serial(
  'training with text priors: the head trains and is saved, the classifier is untouched by it, and a zero-shot split holds classes out',
  async (t) => {
    const cache = namedSyntheticCache(['A008', 'A009', 'A023', 'A024', 'A027'], 10);
    const split = deriveZeroShotSplit(cache, { benchmark: 'xsub', unseen: ['jump up', 'hand waving'] });
    saveDerivedSplit(cache.dir, split);
    t.is(split.name, 'xsub-zs');
    t.true(split.train.every((i) => ![2, 4].includes(cache.labels[i])));
    t.true(split.test.some((i) => cache.labels[i] === 4));
    t.throws(() => deriveZeroShotSplit(cache, { benchmark: 'xsub', unseen: ['flying'] }), {
      message: /not in the cache: 'flying'/,
    });
    const reopened = SkeletonCache.open(cache.dir);
    cache.close();
    const config = parseExperiment({
      name: 'text',
      seed: 2,
      model: { kind: 'stgcn', preset: 'tiny' },
      data: { benchmark: 'xsub-zs', frames: 16, minLength: 16, sampling: 'crop-resize' },
      optim: { lr: 3e-3, batchSize: 8, epochs: 2, warmupEpochs: 0 },
      text: { weight: 0.8 },
    });
    const model = createModel(config.model, { layout: 'ntu-25', classes: 5, frames: 16, persons: 1 }, 1);
    const before = model.params.countTrainable();
    const outDir = tmp('skelact-text-run-');
    const seen: number[] = [];
    await train({
      config,
      model,
      data: reopened,
      outDir,
      objectives: [await gapTextObjective(config, model, reopened)],
      onProgress: (e) => e.type === 'step' && seen.push(e.loss),
    });
    t.true(seen.every(Number.isFinite));
    const spec = textHeadSpecFor(model, 'ntu-25', 512, 'x');
    t.is(model.params.countTrainable() - before, TEXT_SLOTS.length * (spec.featureDim + 1) * 512 + TEXT_SLOTS.length);
    const initial = new ParameterStore(model.params.seed);
    addTextHead(initial, spec);
    const moved = Math.abs(model.params.get('text.hand.w').dataSync()[7] - initial.get('text.hand.w').dataSync()[7]);
    t.true(moved > 0, 'the hand projection was trained');
    initial.dispose();

    const { model: loaded, manifest } = loadModel(join(outDir, 'best'), createModelFromManifest);
    t.truthy(manifest.textHead);
    t.is(manifest.textHead!.featureDim, spec.featureDim);
    t.is(manifest.parameters, before, "the saved count is the classifier's own");
    // Inference is the same with and without the head: a copy of the weights without text.* gives identical logits.
    const plain = createModel(config.model, { layout: 'ntu-25', classes: 5, frames: 16, persons: 1 }, 99);
    for (const [info, v] of plain.params.entries()) v.assign(loaded.params.get(info.name));
    const x = tf.randomNormal([2, 16, 25, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [a, b] = tf.tidy(() => [
      loaded.forward({ x }, { training: false }).logits.dataSync(),
      plain.forward({ x }, { training: false }).logits.dataSync(),
    ]);
    t.deepEqual(Array.from(a), Array.from(b));
    // Saving the loaded model again keeps the head.
    const again = tmp('skelact-text-resave-');
    await saveModel(again, loaded, { ...manifest, textHead: manifest.textHead });
    t.truthy(loadModel(again, createModelFromManifest).manifest.textHead);
    tf.dispose(x);
    [model, loaded, plain].forEach((m) => m.dispose());
    reopened.close();
  },
);

test.serial('the NTU descriptions embed through the cache: the second table build embeds nothing', async (t) => {
  const names = ['drink water', 'kicking something', 'sitting down'];
  const set = readDescriptions(shippedDescriptionsFile('ntu')!);
  const described = descriptionsFor(set, names);
  let computed = -1;
  const enc = await loadUseLite();
  const table = await buildTextTable(enc, described, { onReport: (r) => (computed = r.computed) });
  t.true(computed > 0);
  await buildTextTable(enc, described, { onReport: (r) => (computed = r.computed) });
  t.is(computed, 0);
  t.is(table.prototypes.length, 5);
  t.is(table.prototypes[0].length, 3 * 512);
  const norm = Math.hypot(...table.prototypes[2].slice(512, 1024));
  t.true(Math.abs(norm - 1) < 1e-5);
  mkdirSync(tmp(), { recursive: true });
});

test.serial(
  'a text-supervised run resumed after one epoch equals the uninterrupted run bit for bit; dropping the text head keeps the classifier',
  async (t) => {
    const cache = namedSyntheticCache(['A008', 'A009', 'A023'], 6);
    const config = parseExperiment({
      name: 'text-resume',
      seed: 4,
      model: { kind: 'stgcn', preset: 'tiny' },
      data: { benchmark: 'xsub', frames: 16, minLength: 16 },
      optim: { lr: 3e-3, batchSize: 4, epochs: 2, warmupEpochs: 0 },
      text: {},
    });
    const make = (seed: number) =>
      createModel(config.model, { layout: 'ntu-25', classes: 3, frames: 16, persons: 1 }, seed);
    const straight = make(1);
    const straightDir = tmp('skelact-text-straight-');
    await train({
      config,
      model: straight,
      data: cache,
      outDir: straightDir,
      objectives: [await gapTextObjective(config, straight, cache)],
    });
    const splitDir = tmp('skelact-text-split-');
    const first = make(1);
    await train({
      config,
      model: first,
      data: cache,
      outDir: splitDir,
      epochs: 1,
      objectives: [await gapTextObjective(config, first, cache)],
    });
    first.dispose();
    const resumed = make(777);
    await train({
      config,
      model: resumed,
      data: cache,
      outDir: splitDir,
      resume: true,
      objectives: [await gapTextObjective(config, resumed, cache)],
    });
    t.deepEqual(await weightBytes(resumed), await weightBytes(straight));
    t.true(resumed.params.entries().some(([i]) => i.name === 'text.logitScale'));

    const folder = readModelFolder(join(straightDir, 'checkpoint', 'model'));
    const slim = withoutTextHead(folder.manifest, folder.specs, folder.data);
    t.is(slim.manifest.textHead, undefined);
    t.false(slim.specs.some((s) => s.name.startsWith('text.')));
    t.is(
      folder.data.byteLength - slim.data.byteLength,
      4 * TEXT_SLOTS.length * ((folder.manifest.textHead!.featureDim + 1) * 512 + 1),
    );
    const slimDir = tmp('skelact-text-slim-');
    writeModelFolder(slimDir, slim.manifest, slim.data);
    const { model: a } = loadModel(join(straightDir, 'checkpoint', 'model'), createModelFromManifest);
    const { model: b } = loadModel(slimDir, createModelFromManifest);
    const x = tf.randomNormal([2, 16, 25, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const [la, lb] = tf.tidy(() => [
      a.forward({ x }, { training: false }).logits.dataSync(),
      b.forward({ x }, { training: false }).logits.dataSync(),
    ]);
    t.deepEqual(Array.from(lb), Array.from(la));
    tf.dispose(x);
    [straight, resumed, a, b].forEach((m) => m.dispose());
    cache.close();
  },
);

test('the text loss trains every model family: finite, non-zero gradients reach the text head and the backbone', (t) => {
  const cases: Array<[string, Record<string, unknown>, number]> = [
    ['stgcn', { kind: 'stgcn', preset: 'tiny' }, 16],
    [
      'skateformer',
      {
        kind: 'skateformer',
        preset: 'realtime',
        frames: 16,
        embedDim: 16,
        channels: [16, 32],
        depths: [1, 1],
        heads: 8,
      },
      16,
    ],
    ['partstream', { kind: 'partstream', preset: 'small', frames: 16 }, 16],
  ];
  for (const [kind, section, frames] of cases) {
    const model = createModel(section as never, { layout: 'ntu-25', classes: 3, frames, persons: 1 }, 2);
    const spec = textHeadSpecFor(model, 'ntu-25', 8, 'x');
    addTextHead(model.params, spec);
    const x = tf.randomNormal(
      [4, frames, model.persons * model.jointOrder.length, model.inChannels],
      0,
      1,
      'float32',
      3,
    ) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1, 0, 2], 'int32');
    const texts = TEXT_SLOTS.map((_, k) =>
      tf.tidy(() => {
        const r = tf.randomNormal([4, 8], 0, 1, 'float32', 10 + k);
        return tf.div(r, tf.norm(r, 'euclidean', 1, true)) as tf.Tensor2D;
      }),
    );
    const variables = model.params.trainable();
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward({ x }, { training: true, seed: 1 });
      return gapTextLoss(
        projectToText(model.params, spec, out),
        texts,
        labels,
        tf.exp(model.params.get('text.logitScale')) as tf.Tensor1D,
      );
    }, variables);
    t.true(Number.isFinite(value.dataSync()[0]), kind);
    const norms = Object.fromEntries(
      model.params
        .entries()
        .filter(([i]) => i.trainable)
        .map(([i, v]) => [i.name, grads[v.name] ? tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]) : 0]),
    );
    for (const slot of TEXT_SLOTS)
      t.true(norms[`text.${slot}.w`] > 0 && Number.isFinite(norms[`text.${slot}.w`]), `${kind} text.${slot}.w`);
    // Part streams pool the text slots from the body stream's features (it covers every joint); the hand and leg streams learn from cross-entropy alone.
    const backbone = Object.entries(norms).filter(
      ([n]) => !n.startsWith('text.') && !/head|fc/.test(n) && (kind !== 'partstream' || n.startsWith('body.')),
    );
    t.true(
      backbone.filter(([, g]) => g > 0).length > backbone.length / 2,
      `${kind}: most backbone parameters get a gradient`,
    );
    t.true(
      backbone.every(([, g]) => Number.isFinite(g)),
      kind,
    );
    tf.dispose([x, labels, value, ...texts, ...Object.values(grads).filter((g) => g)]);
    model.dispose();
  }
});

test.serial('micro-batches with text targets and BRL mixup keep the tensor count flat from step to step', async (t) => {
  const cache = namedSyntheticCache(['A008', 'A009', 'A023'], 6);
  const config = parseExperiment({
    name: 'text-micro',
    seed: 5,
    model: { kind: 'stgcn', preset: 'tiny' },
    data: { benchmark: 'xsub', frames: 16, minLength: 16 },
    optim: { lr: 3e-3, batchSize: 4, microBatch: 2, epochs: 2, warmupEpochs: 0 },
    longTail: { loss: 'balanced-softmax', mixup: { share: 1 } },
    text: {},
  });
  const model = createModel(config.model, { layout: 'ntu-25', classes: 3, frames: 16, persons: 1 }, 3);
  const counts: number[] = [];
  await train({
    config,
    model,
    data: cache,
    outDir: tmp('skelact-text-micro-'),
    objectives: [await gapTextObjective(config, model, cache)],
    onProgress: (e) => e.type === 'step' && counts.push(tf.memory().numTensors),
  });
  t.true(counts.length >= 4);
  t.deepEqual(
    counts.slice(1),
    counts.slice(1).map(() => counts[1]),
    `tensors per step: ${counts.join(', ')}`,
  );
  model.dispose();
  cache.close();
});

test.serial('train() refuses a config with a text section when no text objective is passed', async (t) => {
  useBackend();
  const cache = namedSyntheticCache(['A008', 'A009', 'A023'], 4);
  const config = parseExperiment({
    name: 'text-missing',
    model: { kind: 'stgcn', preset: 'tiny' },
    data: { benchmark: 'xsub', frames: 16, minLength: 16 },
    optim: { lr: 3e-3, batchSize: 4, epochs: 1, warmupEpochs: 0 },
    text: {},
  });
  const model = createModel(config.model, { layout: 'ntu-25', classes: 3, frames: 16, persons: 1 }, 1);
  await t.throwsAsync(train({ config, model, data: cache, outDir: tmp('skelact-text-noobj-run-') }), {
    message: /'text' section needs its training objective/,
  });
  model.dispose();
  cache.close();
});
