/**
 * `skelact export <model dir> --out <dir> [--quantize float16|uint8]`: a smaller copy of a saved model;
 * `skelact export <model dir> --format onnx --out model.onnx [--opset N] [--batch dynamic|N] [--quantize uint8]`:
 * the inference graph as an ONNX file (src/models/onnx/), checked on ONNX Runtime before it is written.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadModel, MODEL_FILES, readModelFolder, withoutTextHead, writeModelFolder } from '../../models/io.js';
import { QUANTIZATIONS, quantizeWeights, type Quantization } from '../../models/quantize.js';
import { createModelFromManifest } from '../../models/registry.js';
import { ONNX_OPSETS } from '../../models/onnx/export.js';
import { writeOnnxExport } from '../../models/onnx/file.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';

export const EXPORT_FORMATS = ['skelact', 'onnx'] as const;

interface ExportArgs extends GlobalOptions {
  modelDir?: string;
  model?: string;
  out: string;
  format: (typeof EXPORT_FORMATS)[number];
  quantize?: Quantization;
  dropTextHead: boolean;
  opset: number;
  batch: string;
}

async function exportOnnxFile(args: ArgumentsCamelCase<ExportArgs>, modelDir: string): Promise<void> {
  if (args.quantize && args.quantize !== 'uint8') throw new Error(`--quantize ${args.quantize}: ONNX export quantises to uint8 only`);
  const batch = args.batch === 'dynamic' ? ('dynamic' as const) : Number(args.batch);
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch >= 1)) throw new Error(`--batch: expected 'dynamic' or a positive integer, got '${args.batch}'`);
  const { model, manifest } = loadModel(modelDir, createModelFromManifest);
  try {
    const result = await writeOnnxExport(args.out, model, manifest, { opset: args.opset, batch, quantize: args.quantize as 'uint8' | undefined });
    const { check } = result;
    const summary = { model: modelDir, out: args.out, format: 'onnx', opset: args.opset, batch, quantize: args.quantize ?? null, bytes: statSync(args.out).size, nodes: result.nodes, initializers: result.initializers, weightsQuantized: result.weightsQuantized, ops: result.ops, check };
    if (args.json) return printJson(summary);
    print(`${args.out}: ${(summary.bytes / 1e6).toFixed(2)} MB ONNX (opset ${args.opset}, batch ${batch}${args.quantize ? `, ${result.weightsQuantized} weights as uint8` : ''}), ${result.nodes} nodes`);
    if (check.runtime === 'none') log(args, `not checked on ONNX Runtime: ${check.skipped}`);
    else log(args, `checked on ${check.runtime}: logits within ${check.relative.toExponential(2)} (relative) of skelact's on ${check.clips} random clips${check.top1Changes ? `, top-1 differs on ${check.top1Changes}` : ''}`);
  } finally {
    model.params.dispose();
  }
}

export const exportCommand: CommandModule<GlobalOptions, ExportArgs> = {
  command: 'export [model-dir]',
  describe: 'Export a saved model: a smaller skelact copy (weights as float16 or uint8) or an ONNX file for ONNX Runtime (Node, web, mobile)',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('model-dir', { describe: 'saved model folder (or --model)', type: 'string' })
      .option('model', { describe: 'saved model folder', type: 'string' })
      .option('out', { describe: 'folder to write (--format skelact) or .onnx file (--format onnx)', type: 'string', demandOption: true })
      .option('format', { describe: 'skelact: a model folder TensorFlow.js loads; onnx: one ONNX file', choices: EXPORT_FORMATS, default: 'skelact' as const })
      .option('quantize', { describe: 'store weights as float16 (half the size) or uint8 (a quarter; per-tensor affine); ONNX: uint8 with DequantizeLinear', choices: QUANTIZATIONS })
      .option('drop-text-head', { describe: 'leave out the text head of a model trained with text priors (classification needs none of it; zero-shot and search do)', type: 'boolean', default: false })
      .option('opset', { describe: `ONNX opset (${ONNX_OPSETS.min}–${ONNX_OPSETS.max})`, type: 'number', default: ONNX_OPSETS.default })
      .option('batch', { describe: "ONNX: 'dynamic' or a fixed batch size", type: 'string', default: 'dynamic' })
      .example('$0 export runs/realtime/best --out web/model --quantize float16', 'a half-size model for a web page')
      .example('$0 export runs/realtime/best --format onnx --out app/model.onnx', 'an ONNX file for ONNX Runtime') as unknown as Argv<ExportArgs>,
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    const modelDir = args.modelDir ?? args.model;
    if (!modelDir) throw new Error('export: name the model folder (skelact export <model dir> … or --model)');
    if (args.format === 'onnx') return exportOnnxFile(args, modelDir);
    const read = readModelFolder(modelDir);
    const { manifest, specs, data } = args.dropTextHead ? withoutTextHead(read.manifest, read.specs, read.data) : read;
    const out = args.quantize ? quantizeWeights(specs, data, args.quantize) : { specs, data };
    writeModelFolder(args.out, { ...manifest, weightsManifest: [{ paths: [MODEL_FILES.weights], weights: out.specs as typeof manifest.weightsManifest[0]['weights'] }] }, out.data);
    // Read back: the exported folder must validate like any other.
    readModelFolder(args.out);
    const size = (dir: string) => statSync(join(dir, MODEL_FILES.weights)).size + statSync(join(dir, MODEL_FILES.manifest)).size;
    const summary = { model: modelDir, out: args.out, quantize: args.quantize ?? null, bytesBefore: size(modelDir), bytesAfter: size(args.out), parameters: manifest.parameters };
    if (args.json) return printJson(summary);
    print(`${args.out}: ${(summary.bytesAfter / 1e6).toFixed(2)} MB (was ${(summary.bytesBefore / 1e6).toFixed(2)} MB${args.quantize ? `, weights as ${args.quantize}` : ''})`);
  },
};
