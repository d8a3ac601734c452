/**
 * ONNX export on onnxruntime-node: for every family and preset (at test sizes), ONNX Runtime's
 * logits equal skelact's (wasm backend) on fresh random clips at several batch sizes (relative
 * error ≤ 1e-4), for a dynamic and a fixed batch and several opsets; the file loads with ONNX
 * Runtime's checker and shape inference; uint8 quantisation's error is measured; the metadata
 * carries what the data pipeline needs. Bad input: a kernel without a translation names the
 * kernel and the model part and writes nothing; a file of another format version, or without
 * skelact metadata, is refused clearly.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import protobuf from 'protobufjs';
import { initBackend } from '../../src/engine/backend.js';
import type { ModelManifest } from '../../src/models/manifest.js';
import { exportOnnx, type OnnxExportOptions } from '../../src/models/onnx/export.js';
import { writeOnnxExport } from '../../src/models/onnx/file.js';
import { METADATA_KEYS, readOnnxMetadata } from '../../src/models/onnx/metadata.js';
import { onnxRuntimeNode } from '../../src/models/onnx/node.js';
import { OnnxClassifier } from '../../src/models/onnx/runner.js';
import { traceForward } from '../../src/models/onnx/trace.js';
import { UnsupportedKernelError } from '../../src/models/onnx/translate.js';
import { ParameterStore } from '../../src/models/params.js';
import { createModel, type ModelSection } from '../../src/models/registry.js';
import type { SkeletonModel } from '../../src/models/types.js';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

await initBackend('wasm');
const ort = await onnxRuntimeNode();
const work = tempDir('skelact-onnx-');

/** Every family and preset, shrunk where the preset is large (the structure is the preset's). */
const CASES: Array<{ name: string; section: ModelSection; layout: 'ntu-25' | 'kinect-20'; frames: number }> = [
  {
    name: 'skateformer ntu (2 persons, 4 stages)',
    section: {
      kind: 'skateformer',
      preset: 'ntu',
      embedDim: 16,
      channels: [16, 16, 32, 32],
      depths: [1, 1, 1, 1],
      heads: 8,
    },
    layout: 'ntu-25',
    frames: 64,
  },
  {
    name: 'skateformer kinect20 (frame-offset bias)',
    section: {
      kind: 'skateformer',
      preset: 'kinect20',
      embedDim: 16,
      channels: [16, 32],
      depths: [1, 1],
      heads: 8,
      frames: 32,
      biasMode: 'frame-offset',
    },
    layout: 'kinect-20',
    frames: 32,
  },
  {
    name: 'skateformer realtime',
    section: { kind: 'skateformer', preset: 'realtime', frames: 32 },
    layout: 'ntu-25',
    frames: 32,
  },
  {
    name: 'skateformer realtime, learned embedding table',
    section: { kind: 'skateformer', preset: 'realtime', frames: 32, indexT: false },
    layout: 'ntu-25',
    frames: 32,
  },
  {
    name: 'partstream small (three streams, fused)',
    section: { kind: 'partstream', preset: 'small' },
    layout: 'ntu-25',
    frames: 16,
  },
  { name: 'partstream psumnet', section: { kind: 'partstream', preset: 'psumnet' }, layout: 'ntu-25', frames: 16 },
  { name: 'stgcn tiny', section: { kind: 'stgcn', preset: 'tiny' }, layout: 'ntu-25', frames: 16 },
  {
    name: 'streams: joint + bone SkateFormers (channel slices, fused scores)',
    section: {
      kind: 'streams',
      streams: [
        { name: 'joint', channels: [0, 3] },
        { name: 'bone', channels: [3, 6] },
      ],
      member: { kind: 'skateformer', preset: 'kinect20', embedDim: 16, channels: [16, 32], depths: [1, 1], heads: 8 },
    },
    layout: 'kinect-20',
    frames: 16,
  },
  { name: 'stgcn standard', section: { kind: 'stgcn', preset: 'standard' }, layout: 'ntu-25', frames: 16 },
];

const CLASS_NAMES = ['walk', 'sit', 'wave', 'kick', 'jump'];

function manifestOf(model: SkeletonModel, layout: string): ModelManifest {
  return {
    format: 'skelact-model',
    version: 1,
    kind: model.kind,
    config: model.config as Record<string, unknown>,
    layout: layout as ModelManifest['layout'],
    classNames: CLASS_NAMES,
    persons: model.persons,
    jointOrder: Array.from(model.jointOrder),
    inChannels: model.inChannels,
    frames: model.frames,
    modality: 'j',
    sampling: 'skateformer',
    testCrop: 0.95,
    minLength: 16,
    fillMissingPersons: 'zeros',
    normalize: 'none',
    data: { benchmark: 'x', frames: model.frames },
    parameters: model.params.countTrainable(),
    weightsManifest: [{ paths: ['weights.bin'], weights: [] }],
  };
}

/** Seeded inputs other than the exporter's own trace inputs; index_t a jittered ramp. */
function inputs(model: SkeletonModel, batch: number, seed: number) {
  const T = model.frames;
  const V = model.persons * model.jointOrder.length;
  const x = tf.randomUniform([batch, T, V, model.inChannels], -1.5, 1.5, 'float32', seed) as tf.Tensor4D;
  const indexT = tf.tidy(() =>
    tf.clipByValue(
      tf.add(
        tf.tile(tf.linspace(-1, 1, T).reshape([1, T]), [batch, 1]),
        tf.randomUniform([batch, T], -0.05, 0.05, 'float32', seed + 1),
      ),
      -1,
      1,
    ),
  ) as tf.Tensor2D;
  return { x, indexT };
}

/** max |a − b| / max |a|, computed here (not with the exporter's own check). */
function relativeError(reference: Float32Array, got: Float32Array): number {
  if (reference.length !== got.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(reference[i] - got[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return diff / scale;
}

async function agreement(model: SkeletonModel, onnx: OnnxClassifier, batch: number, seed: number): Promise<number> {
  const { x, indexT } = inputs(model, batch, seed);
  try {
    const reference = tf.tidy(
      () => model.forward({ x, indexT }, { training: false }).logits.dataSync() as Float32Array,
    );
    const got = await onnx.logits(x.dataSync() as Float32Array, indexT.dataSync() as Float32Array, batch);
    return relativeError(reference, got);
  } finally {
    tf.dispose([x, indexT]);
  }
}

async function exported(model: SkeletonModel, layout: string, options: OnnxExportOptions = {}) {
  const result = exportOnnx(model, manifestOf(model, layout), options);
  return { result, onnx: await OnnxClassifier.create(result.bytes, ort, 'test.onnx') };
}

for (const c of CASES) {
  test.serial(`${c.name}: ONNX Runtime's logits equal skelact's at batch 1 and 3 (dynamic batch)`, async (t) => {
    const model = createModel(c.section, { layout: c.layout, classes: CLASS_NAMES.length, frames: c.frames }, 3);
    // A first pass as the exporter runs it (skelact's own fused kernels off: native ones would
    // skip the composed ops) makes the models' cached index tables, which stay (they are not the exporter's).
    tf.tidy(() => void traceForward(model, inputs(model, 1, 1)));
    const before = tf.memory().numTensors;
    const { result, onnx } = await exported(model, c.layout);
    t.is(tf.memory().numTensors, before, 'export leaves no tensors behind');
    try {
      t.is(onnx.fixedBatch, undefined);
      for (const [batch, seed] of [
        [1, 21],
        [3, 22],
      ] as const) {
        const error = await agreement(model, onnx, batch, seed);
        t.true(error <= 1e-4, `batch ${batch}: relative error ${error}`);
      }
      t.log(
        `${c.name}: ${(result.bytes.length / 1e6).toFixed(2)} MB, ${result.nodes} nodes, ${model.params.countTrainable()} parameters`,
      );
    } finally {
      await onnx.dispose();
      model.dispose();
    }
  });
}

test.serial(
  'a fixed batch runs in chunks (the last one padded) and opsets 13, 18 and 21 give the same scores',
  async (t) => {
    const model = createModel(
      { kind: 'skateformer', preset: 'realtime', frames: 32 },
      { layout: 'ntu-25', classes: 5, frames: 32 },
      4,
    );
    try {
      const fixed = await exported(model, 'ntu-25', { batch: 2 });
      t.is(fixed.onnx.fixedBatch, 2);
      t.deepEqual(
        fixed.onnx.inputs.map((i) => i.shape[0]),
        [2, 2],
      );
      t.true((await agreement(model, fixed.onnx, 3, 31)) <= 1e-4, 'three clips through a batch-2 graph');
      await fixed.onnx.dispose();
      for (const opset of [13, 18, 21]) {
        const { onnx, result } = await exported(model, 'ntu-25', { opset });
        const error = await agreement(model, onnx, 2, 32);
        t.true(error <= 1e-4, `opset ${opset}: relative error ${error}`);
        if (opset >= 18) t.true((result.ops.ReduceMean ?? 0) > 0, 'reductions take their axes as an input');
        await onnx.dispose();
      }
      t.throws(() => exportOnnx(model, manifestOf(model, 'ntu-25'), { opset: 12 }), {
        message: /opset 12 is not supported \(expected 13…21\)/,
      });
    } finally {
      model.dispose();
    }
  },
);

test.serial('uint8: weights a quarter of the size, scores close (the error is measured and logged)', async (t) => {
  const model = createModel({ kind: 'stgcn', preset: 'standard' }, { layout: 'ntu-25', classes: 5, frames: 16 }, 5);
  try {
    const full = await exported(model, 'ntu-25');
    const quantized = await exported(model, 'ntu-25', { quantize: 'uint8' });
    t.true(quantized.result.weightsQuantized > 10);
    t.true((quantized.result.ops.DequantizeLinear ?? 0) === quantized.result.weightsQuantized);
    const ratio = quantized.result.bytes.length / full.result.bytes.length;
    t.true(ratio < 0.3, `uint8 file is ${ratio.toFixed(3)} of the float32 one`);
    const error = await agreement(model, quantized.onnx, 4, 41);
    t.log(
      `stgcn standard: float32 ${(full.result.bytes.length / 1e6).toFixed(2)} MB, uint8 ${(quantized.result.bytes.length / 1e6).toFixed(2)} MB; uint8 logit error ${error.toExponential(2)} (relative)`,
    );
    t.true(error > 1e-6, 'quantisation changes the scores a little');
    t.true(error < 0.05, `but not much: ${error}`);
    t.true(quantized.onnx.quantization.startsWith('uint8'));
    await full.onnx.dispose();
    await quantized.onnx.dispose();
  } finally {
    model.dispose();
  }
});

test.serial('metadata: input layout, class names and the data pipeline settings', async (t) => {
  const model = createModel(
    { kind: 'skateformer', preset: 'realtime', frames: 32 },
    { layout: 'ntu-25', classes: 5, frames: 32 },
    6,
  );
  try {
    const { result, onnx } = await exported(model, 'ntu-25');
    const meta = readOnnxMetadata(result.bytes, 'test.onnx');
    t.deepEqual(JSON.parse(meta[METADATA_KEYS.classNames]), CLASS_NAMES);
    const inputsMeta = JSON.parse(meta[METADATA_KEYS.inputs]) as Array<{
      name: string;
      shape: unknown[];
      layout: string;
    }>;
    t.deepEqual(
      inputsMeta.map((i) => [i.name, i.shape]),
      [
        ['x', ['batch', 32, 24, 3]],
        ['index_t', ['batch', 32]],
      ],
    );
    t.regex(inputsMeta[0].layout, /person-major/);
    const manifest = JSON.parse(meta[METADATA_KEYS.manifest]) as ModelManifest;
    t.is(manifest.sampling, 'skateformer');
    t.is(manifest.testCrop, 0.95);
    t.deepEqual(manifest.jointOrder, Array.from(model.jointOrder));
    t.false('weightsManifest' in manifest);
    t.deepEqual(onnx.classNames, CLASS_NAMES);
    t.is(onnx.frames, 32);
    await onnx.dispose();
  } finally {
    model.dispose();
  }
});

/** A model of an app's own whose forward uses a kernel the exporter does not translate. */
function cumsumModel(): SkeletonModel {
  const params = new ParameterStore(1);
  const w = params.add('head.w', [3, 2], { kind: 'normal', std: 1 });
  const jointOrder = Int32Array.from([0, 1]);
  return {
    kind: 'stgcn',
    config: {},
    params,
    persons: 1,
    jointOrder,
    inChannels: 3,
    frames: 4,
    forward(batch) {
      const pooled = tf.mean(tf.cumsum(batch.x, 1), [1, 2]) as tf.Tensor2D;
      return { logits: tf.matMul(pooled, w), pooled, features: batch.x };
    },
    dispose: () => params.dispose(),
    describe: () => [],
  };
}

test.serial(
  'a kernel without a translation: the error names the kernel and the model part, and nothing is written',
  async (t) => {
    const model = cumsumModel();
    const out = join(work, 'cumsum.onnx');
    try {
      const error = await t.throwsAsync(
        writeOnnxExport(out, model, { ...manifestOf(model, 'ntu-25'), classNames: ['a', 'b'] }),
        { instanceOf: UnsupportedKernelError },
      );
      t.is(error!.kernel, 'Cumsum');
      t.regex(error!.message, /kernel Cumsum in model part forward \(onnx-export\.test\): no ONNX translation/);
      t.false(existsSync(out), 'no file');
    } finally {
      model.dispose();
    }
    // In skelact's own models the part is the family's function (what such an error would name).
    const skate = createModel(
      { kind: 'skateformer', preset: 'realtime', frames: 32 },
      { layout: 'ntu-25', classes: 5, frames: 32 },
      8,
    );
    const batch = inputs(skate, 1, 3);
    try {
      const parts = new Set(traceForward(skate, batch).nodes.map((n) => n.part.split(' → ')[0]));
      for (const part of [
        'stem (skateformer/model)',
        'gConv (skateformer/model)',
        'mapping (skateformer/model)',
        'patchMerging (skateformer/model)',
        'skateAttention (skateformer/model)',
      ])
        t.true(parts.has(part), `${part} in ${[...parts].join(', ')}`);
    } finally {
      tf.dispose([batch.x, batch.indexT]);
      skate.dispose();
    }
  },
);

test.serial(
  'writeOnnxExport checks on ONNX Runtime and writes the file; a file of another version or without skelact metadata is refused',
  async (t) => {
    const model = createModel({ kind: 'stgcn', preset: 'tiny' }, { layout: 'ntu-25', classes: 5, frames: 16 }, 7);
    const out = join(work, 'stgcn.onnx');
    try {
      const result = await writeOnnxExport(out, model, manifestOf(model, 'ntu-25'));
      t.is(result.check.runtime, 'onnxruntime-node');
      if (result.check.runtime === 'onnxruntime-node') t.true(result.check.relative <= 1e-4);
      t.is(statSync(out).size, result.bytes.length);
      // Rewrite the file's metadata with protobufjs and the official schema.
      const root = protobuf.parse(readFileSync(join(packageRoot(), 'schemas', 'onnx.proto3'), 'utf8')).root;
      const ModelProto = root.lookupType('onnx.ModelProto');
      const message = ModelProto.toObject(ModelProto.decode(readFileSync(out))) as {
        metadataProps: Array<{ key: string; value: string }>;
      };
      const rewrite = (
        name: string,
        edit: (props: Array<{ key: string; value: string }>) => Array<{ key: string; value: string }>,
      ) => {
        const file = join(work, name);
        writeFileSync(
          file,
          ModelProto.encode(ModelProto.fromObject({ ...message, metadataProps: edit(message.metadataProps) })).finish(),
        );
        return file;
      };
      const other = rewrite('v9.onnx', (props) =>
        props.map((p) => (p.key === METADATA_KEYS.version ? { ...p, value: '9' } : p)),
      );
      await t.throwsAsync(OnnxClassifier.create(readFileSync(other), ort, other), {
        message:
          /v9\.onnx: was exported by a skelact with ONNX format version 9; this skelact reads version 1 \(export the model again\)/,
      });
      const plain = rewrite('plain.onnx', () => []);
      await t.throwsAsync(OnnxClassifier.create(readFileSync(plain), ort, plain), {
        message: /plain\.onnx: has no skelact metadata/,
      });
      await t.throwsAsync(OnnxClassifier.create(new Uint8Array([1, 2, 3, 250, 255]), ort, 'junk.onnx'), {
        message: /junk\.onnx: not an ONNX model file/,
      });
    } finally {
      model.dispose();
    }
  },
);

const PYTHON = process.env.SKELACT_PYTHON ?? '/usr/bin/python3';
const onnxChecker = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
const CHECK = `
import sys, onnx
from onnx import shape_inference
for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inferred = shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    dims = [d.dim_param or d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
    print(path, m.ir_version, m.opset_import[0].version, dims, len(inferred.graph.value_info))
`;

(onnxChecker ? test.serial : test.skip)(
  `the official ONNX checker accepts every family's file (full check, strict shape inference)${onnxChecker ? '' : ' [skipped: python3-onnx is not installed; npm run setup:onnx-checker]'}`,
  async (t) => {
    const files: string[] = [];
    for (const c of CASES.filter((k) => !k.name.includes('standard') && !k.name.includes('psumnet'))) {
      const model = createModel(c.section, { layout: c.layout, classes: CLASS_NAMES.length, frames: c.frames }, 3);
      try {
        for (const options of [{}, { quantize: 'uint8' as const, opset: 13 }]) {
          const file = join(work, `${files.length}.onnx`);
          writeFileSync(file, exportOnnx(model, manifestOf(model, c.layout), options).bytes);
          files.push(file);
        }
      } finally {
        model.dispose();
      }
    }
    const r = spawnSync(PYTHON, ['-c', CHECK, ...files], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    t.is(lines.length, files.length);
    for (const line of lines) t.regex(line, /\.onnx 8 (17|13) \['batch', 5\] \d+$/);
  },
);
