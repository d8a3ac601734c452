/**
 * `skelact export <model dir> --out <dir> [--quantize float16|uint8]`: a smaller copy of a saved model;
 * `skelact export <model dir> --format onnx --out model.onnx [--opset N] [--batch dynamic|N] [--quantize uint8]`:
 * the inference graph as an ONNX file (src/models/onnx/), checked on ONNX Runtime before it is written;
 * `skelact export <model dir> --to pytorch --out weights.safetensors`: its weights under the official PyTorch names.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import {
  isModelFolder,
  loadModel,
  MODEL_FILES,
  readModelFolder,
  withoutTextHead,
  writeModelFolder,
} from '../../models/io.js';
import { resolveModelDir } from '../../models/pretrained.js';
import { QUANTIZATIONS, quantizeWeights, type Quantization } from '../../models/quantize.js';
import { createModelFromManifest } from '../../models/registry.js';
import { ONNX_OPSETS } from '../../models/onnx/export.js';
import { writeOnnxExport } from '../../models/onnx/file.js';
import { checkReplaceable } from '../../util/replace.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';

export const EXPORT_FORMATS = ['skelact', 'onnx'] as const;

interface ExportArgs extends GlobalOptions {
  modelDir?: string;
  model?: string;
  out: string;
  format: (typeof EXPORT_FORMATS)[number];
  to: 'skelact' | 'pytorch';
  force: boolean;
  quantize?: Quantization;
  dropTextHead: boolean;
  opset: number;
  batch: string;
}

/** An ONNX file starts with a ModelProto's ir_version field (tag 0x08). */
function isOnnxFile(path: string): boolean {
  if (!path.endsWith('.onnx') || !statSync(path).isFile()) return false;
  const fd = openSync(path, 'r');
  try {
    const first = Buffer.alloc(1);
    return readSync(fd, first, 0, 1, 0) === 1 && first[0] === 0x08;
  } finally {
    closeSync(fd);
  }
}

async function exportOnnxFile(args: ArgumentsCamelCase<ExportArgs>, modelDir: string): Promise<void> {
  if (args.quantize && args.quantize !== 'uint8')
    throw new Error(`--quantize ${args.quantize}: ONNX export quantises to uint8 only`);
  const batch = args.batch === 'dynamic' ? ('dynamic' as const) : Number(args.batch);
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch >= 1))
    throw new Error(`--batch: expected 'dynamic' or a positive integer, got '${args.batch}'`);
  // Checked before any work: an ONNX file is replaced only with --force, anything else never.
  checkReplaceable(args.out, {
    kind: 'an ONNX file',
    isOwnKind: isOnnxFile,
    replace: args.force,
    howToReplace: 'add --force to replace it',
    howToAvoid: 'choose another --out',
  });
  const { model, manifest } = loadModel(modelDir, createModelFromManifest);
  try {
    const result = await writeOnnxExport(args.out, model, manifest, {
      opset: args.opset,
      batch,
      quantize: args.quantize as 'uint8' | undefined,
    });
    const { check } = result;
    const summary = {
      model: modelDir,
      out: args.out,
      format: 'onnx',
      opset: args.opset,
      batch,
      quantize: args.quantize ?? null,
      bytes: statSync(args.out).size,
      nodes: result.nodes,
      initializers: result.initializers,
      weightsQuantized: result.weightsQuantized,
      ops: result.ops,
      check,
    };
    if (args.json) return printJson(summary);
    print(
      `${args.out}: ${(summary.bytes / 1e6).toFixed(2)} MB ONNX (opset ${args.opset}, batch ${batch}${args.quantize ? `, ${result.weightsQuantized} weights as uint8` : ''}), ${result.nodes} nodes`,
    );
    if (check.runtime === 'none') log(args, `not checked on ONNX Runtime: ${check.skipped}`);
    else
      log(
        args,
        `checked on ${check.runtime}: logits within ${check.relative.toExponential(2)} (relative) of skelact's on ${check.clips} random clips${check.top1Changes ? `, top-1 differs on ${check.top1Changes}` : ''}`,
      );
  } finally {
    model.dispose();
  }
}

async function exportPytorchFile(args: ArgumentsCamelCase<ExportArgs>, modelDir: string): Promise<void> {
  if (args.quantize || args.dropTextHead || args.format !== 'skelact')
    throw new Error('--quantize, --drop-text-head and --format apply to skelact and ONNX exports, not --to pytorch');
  const { exportPytorchWeights } = await import('../../train/pytorch.js');
  const result = exportPytorchWeights(modelDir, args.out, args.force);
  if (args.json) return printJson(result);
  print(
    `${args.out}: ${result.tensors} tensors under the official SkateFormer names, ${(result.bytes / 1e6).toFixed(2)} MB`,
  );
}

export const exportCommand: CommandModule<GlobalOptions, ExportArgs> = {
  command: 'export [model-dir]',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('model-dir', { describe: 'saved model folder (or --model)', type: 'string' })
      .option('model', { describe: 'saved model folder', type: 'string' })
      .option('out', {
        describe: 'folder to write (--format skelact), .onnx file (--format onnx) or .safetensors file (--to pytorch)',
        type: 'string',
        demandOption: true,
      })
      .option('format', {
        describe: 'skelact: a model folder TensorFlow.js loads; onnx: one ONNX file',
        choices: EXPORT_FORMATS,
        default: 'skelact' as const,
      })
      .option('to', {
        describe:
          "pytorch: a .safetensors file with the official SkateFormer names (load with safetensors.torch.load_file and SkateFormer(**args).load_state_dict; args are in its metadata 'skateformer_args')",
        choices: ['skelact', 'pytorch'] as const,
        default: 'skelact' as const,
      })
      .option('force', {
        describe:
          'replace what --out holds when it is of the same kind (a saved model, an ONNX or .safetensors file); anything else there is never replaced',
        type: 'boolean',
        default: false,
      })
      .option('quantize', {
        describe:
          'store weights as float16 (half the size) or uint8 (a quarter; per-tensor affine); ONNX: uint8 with DequantizeLinear',
        choices: QUANTIZATIONS,
      })
      .option('drop-text-head', {
        describe:
          'leave out the text head of a model trained with text priors (classification needs none of it; zero-shot and search do)',
        type: 'boolean',
        default: false,
      })
      .option('opset', {
        describe: `ONNX opset (${ONNX_OPSETS.min}–${ONNX_OPSETS.max})`,
        type: 'number',
        default: ONNX_OPSETS.default,
      })
      .option('batch', { describe: "ONNX: 'dynamic' or a fixed batch size", type: 'string', default: 'dynamic' })
      .check((a) => {
        if (!a.modelDir === !a.model)
          throw new Error('give the saved model folder once: as the positional argument or as --model');
        return true;
      })
      .example('$0 export runs/realtime/best --out web/model --quantize float16', 'a half-size model for a web page')
      .example('$0 export runs/realtime/best --format onnx --out app/model.onnx', 'an ONNX file for ONNX Runtime')
      .example(
        '$0 export runs/ntu/best --to pytorch --out skateformer.safetensors',
        'weights for the official SkateFormer code',
      ) as unknown as Argv<ExportArgs>,
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    const modelDir = (args.modelDir ?? args.model)!;
    if (args.to === 'pytorch') return exportPytorchFile(args, modelDir);
    if (args.format === 'onnx') return exportOnnxFile(args, modelDir);
    if (resolve(args.out) === resolve(modelDir))
      throw new Error(`--out ${args.out} is the model folder itself; export to another folder`);
    const replace = {
      replace: args.force,
      howToReplace: 'add --force to replace it',
      howToAvoid: 'choose another --out',
    };
    // Checked before any work, so a refusal costs nothing.
    checkReplaceable(args.out, { kind: 'a saved skelact model', isOwnKind: isModelFolder, ...replace });
    const read = readModelFolder(modelDir);
    const { manifest, specs, data } = args.dropTextHead ? withoutTextHead(read.manifest, read.specs, read.data) : read;
    const out = args.quantize ? quantizeWeights(specs, data, args.quantize) : { specs, data };
    writeModelFolder(
      args.out,
      {
        ...manifest,
        weightsManifest: [
          { paths: [MODEL_FILES.weights], weights: out.specs as (typeof manifest.weightsManifest)[0]['weights'] },
        ],
      },
      out.data,
      replace,
    );
    // Read back: the exported folder must validate like any other.
    readModelFolder(args.out);
    const size = (dir: string) =>
      statSync(join(dir, MODEL_FILES.weights)).size + statSync(join(dir, MODEL_FILES.manifest)).size;
    const summary = {
      model: modelDir,
      out: args.out,
      quantize: args.quantize ?? null,
      bytesBefore: size(resolveModelDir(modelDir)),
      bytesAfter: size(args.out),
      parameters: manifest.parameters,
    };
    if (args.json) return printJson(summary);
    print(
      `${args.out}: ${(summary.bytesAfter / 1e6).toFixed(2)} MB (was ${(summary.bytesBefore / 1e6).toFixed(2)} MB${args.quantize ? `, weights as ${args.quantize}` : ''})`,
    );
  },
};
