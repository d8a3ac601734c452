/** `skelact model-info`: parameter count and tensor shapes stage by stage, for a config or a saved model. */
import { TEXT_SLOTS, type TextHeadSpec, textHeadParameterCount, textHeadSpecFor } from '../../models/text-head.js';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { getLayout, isLayoutName } from '../../graph/layout.js';
import { loadModel } from '../../models/io.js';
import { createModel, createModelFromManifest } from '../../models/registry.js';
import type { SkeletonModel } from '../../models/types.js';
import { loadExperiment } from '../../train/config.js';
import { type GlobalOptions, print, printJson } from '../output.js';

interface ModelInfoArgs extends GlobalOptions {
  config?: string;
  model?: string;
  layout?: string;
  classes?: number;
}

/** The layout a config's model takes when no cache says it: SkateFormer's NTU/Kinect presets, else ntu-25. */
function defaultLayout(kind: string, preset: string | undefined): string {
  if (kind === 'skateformer' && preset === 'kinect20') return 'kinect-20';
  return 'ntu-25';
}

export const modelInfoCommand: CommandModule<GlobalOptions, ModelInfoArgs> = {
  command: 'model-info',
  describe: 'Print a model\'s parameter count and the tensor shape after each stage',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('config', { describe: 'experiment config (configs/*.json)', type: 'string' })
      .option('model', { describe: 'or a saved model folder', type: 'string' })
      .option('layout', { describe: 'layout of the data (with --config; default from the preset)', type: 'string' })
      .option('classes', { describe: 'number of classes (with --config; default 60)', type: 'number' })
      .check((a) => {
        if (!a.config === !a.model) throw new Error('give exactly one of --config and --model');
        return true;
      })
      .example('$0 model-info --config configs/skateformer/ntu60-xsub-joint.json', 'SkateFormer NTU: 3.616 M parameters') as unknown as Argv<ModelInfoArgs>,
  handler: (args: ArgumentsCamelCase<ModelInfoArgs>) => {
    let model: SkeletonModel;
    let source: string;
    let textHead: TextHeadSpec | undefined;
    if (args.model) {
      const loaded = loadModel(args.model, createModelFromManifest);
      model = loaded.model;
      textHead = loaded.manifest.textHead;
      source = args.model;
    } else {
      const config = loadExperiment(args.config!);
      const layout = args.layout ?? defaultLayout(config.model.kind, config.model.preset);
      if (!isLayoutName(layout)) throw new Error(`--layout '${layout}' is not a layout`);
      getLayout(layout);
      model = createModel(config.model, { layout, classes: args.classes ?? 60, frames: config.data.frames }, config.seed);
      source = args.config!;
      if (config.text) textHead = textHeadSpecFor(model, layout, 512, 'use-lite');
    }
    try {
      const stages = model.describe();
      // A loaded model's store holds its text head; the count is the classifier's own.
      const headParameters = textHead ? textHeadParameterCount(textHead) : 0;
      const parameters = model.params.countTrainable() - (args.model ? headParameters : 0);
      const info = { source, kind: model.kind, parameters, ...(textHead ? { textHead: { parameters: headParameters, featureDim: textHead.featureDim, dim: textHead.dim, slots: [...TEXT_SLOTS] } } : {}), persons: model.persons, joints: model.jointOrder.length, frames: model.frames, inChannels: model.inChannels, config: model.config, stages };
      if (args.json) return printJson(info);
      print(`${source}: ${model.kind}, ${info.parameters.toLocaleString('en-US')} trainable parameters (${(info.parameters / 1e6).toFixed(3)} M)`);
      if (textHead) print(`text head (training only, not used at inference): ${headParameters.toLocaleString('en-US')} parameters, ${TEXT_SLOTS.length} slots (${TEXT_SLOTS.join(', ')}) × Linear(${textHead.featureDim}, ${textHead.dim})`);
      print(`input: batch × ${model.frames} frames × ${model.persons} person(s) · ${model.jointOrder.length} joints × ${model.inChannels} channels`);
      print(`${'stage'.padEnd(34)} ${'output shape'.padEnd(24)} parameters`);
      for (const s of stages) print(`${s.name.padEnd(34)} ${`[${s.shape.join(', ')}]`.padEnd(24)} ${s.parameters.toLocaleString('en-US')}`);
    } finally {
      model.dispose();
    }
  },
};
