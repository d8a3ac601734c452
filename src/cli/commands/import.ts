/** `skelact import <checkpoint> --family skateformer --config <config> --classes <names> --out <dir>`: official PyTorch weights as a saved model. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { IMPORT_FAMILIES, type ImportFamily } from '../../train/pytorch.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';

interface ImportArgs extends GlobalOptions {
  checkpoint: string;
  family: ImportFamily;
  config: string;
  classes: string;
  out: string;
  force: boolean;
}

export const importCommand: CommandModule<GlobalOptions, ImportArgs> = {
  command: 'import <checkpoint>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('checkpoint', { describe: 'PyTorch weights file', type: 'string', demandOption: true })
      .option('family', { describe: 'model family of the checkpoint', choices: IMPORT_FAMILIES, demandOption: true })
      .option('config', {
        describe:
          'skelact experiment config of the recipe it was trained with (model preset and data pipeline), e.g. configs/skateformer/ntu60-xsub-joint.json',
        type: 'string',
        demandOption: true,
      })
      .option('classes', {
        describe:
          'class names: a shipped table (ntu, nw-ucla, utkinect, mlkit-fitness; the first N as the head has) or a file with one name per line',
        type: 'string',
        demandOption: true,
      })
      .option('out', { describe: 'saved-model folder to write', type: 'string', demandOption: true })
      .option('force', {
        describe: 'replace --out if it already holds a saved model (anything else is never replaced)',
        type: 'boolean',
        default: false,
      })
      .example(
        '$0 import SkateFormer_j.pt --family skateformer --config configs/skateformer/ntu60-xsub-joint.json --classes ntu --out models/skateformer-ntu60-j',
        'the official NTU60 X-Sub joint model',
      ) as unknown as Argv<ImportArgs>,
  handler: async (args: ArgumentsCamelCase<ImportArgs>) => {
    const { importPytorchCheckpoint } = await import('../../train/pytorch.js');
    const result = await importPytorchCheckpoint({
      checkpoint: args.checkpoint,
      family: args.family,
      config: args.config,
      classes: args.classes,
      out: args.out,
      force: args.force,
    });
    const { manifest } = result;
    const summary = {
      out: args.out,
      family: args.family,
      tensors: result.tensors,
      parameters: manifest.parameters,
      classes: manifest.classNames.length,
      format: manifest.provenance?.format,
      data: {
        modality: manifest.modality,
        sampling: manifest.sampling,
        frames: manifest.frames,
        testCrop: manifest.testCrop,
        normalize: manifest.normalize,
      },
      seconds: Number(result.seconds.toFixed(3)),
    };
    if (args.json) return printJson(summary);
    log(args, `read ${result.tensors} tensors (${summary.format}) in ${summary.seconds} s`);
    print(
      `${args.out}: ${args.family}, ${(manifest.parameters / 1e6).toFixed(3)} M parameters, ${manifest.classNames.length} classes, ${manifest.modality} modality, ${manifest.frames} frames (${manifest.sampling} sampling)`,
    );
  },
};
