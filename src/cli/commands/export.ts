/** `skelact export --model <dir> --out <dir> [--quantize float16|uint8]`: a smaller copy of a saved model. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { MODEL_FILES, readModelFolder, withoutTextHead, writeModelFolder } from '../../models/io.js';
import { resolveModelDir } from '../../models/pretrained.js';
import { QUANTIZATIONS, quantizeWeights, type Quantization } from '../../models/quantize.js';
import { type GlobalOptions, print, printJson } from '../output.js';

interface ExportArgs extends GlobalOptions {
  model: string;
  out: string;
  quantize?: Quantization;
  dropTextHead: boolean;
}

export const exportCommand: CommandModule<GlobalOptions, ExportArgs> = {
  command: 'export',
  describe: 'Copy a saved model for deployment, optionally with weights quantised to float16 or uint8 (loads unchanged in Node and browsers)',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('model', { describe: 'saved model folder', type: 'string', demandOption: true })
      .option('out', { describe: 'folder to write', type: 'string', demandOption: true })
      .option('quantize', { describe: 'store weights as float16 (half the size) or uint8 (a quarter; per-tensor affine)', choices: QUANTIZATIONS })
      .option('drop-text-head', { describe: 'leave out the text head of a model trained with text priors (classification needs none of it; zero-shot and search do)', type: 'boolean', default: false })
      .example('$0 export --model runs/realtime/best --out web/model --quantize float16', 'a half-size model for a web page') as unknown as Argv<ExportArgs>,
  handler: (args: ArgumentsCamelCase<ExportArgs>) => {
    const read = readModelFolder(args.model);
    const { manifest, specs, data } = args.dropTextHead ? withoutTextHead(read.manifest, read.specs, read.data) : read;
    const out = args.quantize ? quantizeWeights(specs, data, args.quantize) : { specs, data };
    writeModelFolder(args.out, { ...manifest, weightsManifest: [{ paths: [MODEL_FILES.weights], weights: out.specs as typeof manifest.weightsManifest[0]['weights'] }] }, out.data);
    // Read back: the exported folder must validate like any other.
    readModelFolder(args.out);
    const size = (dir: string) => statSync(join(dir, MODEL_FILES.weights)).size + statSync(join(dir, MODEL_FILES.manifest)).size;
    const summary = { model: args.model, out: args.out, quantize: args.quantize ?? null, bytesBefore: size(resolveModelDir(args.model)), bytesAfter: size(args.out), parameters: manifest.parameters };
    if (args.json) return printJson(summary);
    print(`${args.out}: ${(summary.bytesAfter / 1e6).toFixed(2)} MB (was ${(summary.bytesBefore / 1e6).toFixed(2)} MB${args.quantize ? `, weights as ${args.quantize}` : ''})`);
  },
};
