/**
 * `skelact export --model <dir> --out <dir> [--quantize float16|uint8]`: a smaller copy of a saved model.
 * `skelact export <dir> --to pytorch --out weights.safetensors`: its weights under the official PyTorch names.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { isModelFolder, MODEL_FILES, readModelFolder, withoutTextHead, writeModelFolder } from '../../models/io.js';
import { QUANTIZATIONS, quantizeWeights, type Quantization } from '../../models/quantize.js';
import { type GlobalOptions, print, printJson } from '../output.js';
import { checkReplaceable } from '../../util/replace.js';

interface ExportArgs extends GlobalOptions {
  dir?: string;
  model?: string;
  to: 'skelact' | 'pytorch';
  force: boolean;
  out: string;
  quantize?: Quantization;
  dropTextHead: boolean;
}

export const exportCommand: CommandModule<GlobalOptions, ExportArgs> = {
  command: 'export [dir]',
  describe: 'Copy a saved model for deployment, optionally with weights quantised to float16 or uint8 (loads unchanged in Node and browsers); or write its weights for PyTorch (--to pytorch)',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('dir', { describe: 'saved model folder (or --model)', type: 'string' })
      .option('model', { describe: 'saved model folder', type: 'string' })
      .option('to', { describe: "skelact: a model folder; pytorch: a .safetensors file with the official SkateFormer names (load with safetensors.torch.load_file and SkateFormer(**args).load_state_dict; args are in its metadata 'skateformer_args')", choices: ['skelact', 'pytorch'] as const, default: 'skelact' as const })
      .option('out', { describe: 'folder to write (--to pytorch: a .safetensors file)', type: 'string', demandOption: true })
      .option('force', { describe: 'replace what --out holds when it is of the same kind (a saved model; with --to pytorch a .safetensors file); anything else there is never replaced', type: 'boolean', default: false })
      .check((a) => {
        if (!a.dir === !a.model) throw new Error('give the saved model folder once: as the positional argument or as --model');
        return true;
      })
      .option('quantize', { describe: 'store weights as float16 (half the size) or uint8 (a quarter; per-tensor affine)', choices: QUANTIZATIONS })
      .option('drop-text-head', { describe: 'leave out the text head of a model trained with text priors (classification needs none of it; zero-shot and search do)', type: 'boolean', default: false })
      .example('$0 export --model runs/realtime/best --out web/model --quantize float16', 'a half-size model for a web page')
      .example('$0 export runs/ntu/best --to pytorch --out skateformer.safetensors', 'weights for the official SkateFormer code') as unknown as Argv<ExportArgs>,
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    const dir = (args.dir ?? args.model)!;
    if (args.to === 'pytorch') {
      if (args.quantize || args.dropTextHead) throw new Error('--quantize and --drop-text-head apply to --to skelact only');
      const { exportPytorchWeights } = await import('../../train/pytorch.js');
      const result = exportPytorchWeights(dir, args.out, args.force);
      if (args.json) return printJson(result);
      print(`${args.out}: ${result.tensors} tensors under the official SkateFormer names, ${(result.bytes / 1e6).toFixed(2)} MB`);
      return;
    }
    if (resolve(args.out) === resolve(dir)) throw new Error(`--out ${args.out} is the model folder itself; export to another folder`);
    const replace = { replace: args.force, howToReplace: 'add --force to replace it', howToAvoid: 'choose another --out' };
    // Checked before any work, so a refusal costs nothing.
    checkReplaceable(args.out, { kind: 'a saved skelact model', isOwnKind: isModelFolder, ...replace });
    const read = readModelFolder(dir);
    const { manifest, specs, data } = args.dropTextHead ? withoutTextHead(read.manifest, read.specs, read.data) : read;
    const out = args.quantize ? quantizeWeights(specs, data, args.quantize) : { specs, data };
    writeModelFolder(args.out, { ...manifest, weightsManifest: [{ paths: [MODEL_FILES.weights], weights: out.specs as typeof manifest.weightsManifest[0]['weights'] }] }, out.data, replace);
    // Read back: the exported folder must validate like any other.
    readModelFolder(args.out);
    const size = (dir: string) => statSync(join(dir, MODEL_FILES.weights)).size + statSync(join(dir, MODEL_FILES.manifest)).size;
    const summary = { model: dir, out: args.out, quantize: args.quantize ?? null, bytesBefore: size(dir), bytesAfter: size(args.out), parameters: manifest.parameters };
    if (args.json) return printJson(summary);
    print(`${args.out}: ${(summary.bytesAfter / 1e6).toFixed(2)} MB (was ${(summary.bytesBefore / 1e6).toFixed(2)} MB${args.quantize ? `, weights as ${args.quantize}` : ''})`);
  },
};
