/** `skelact model-info`: parameter count and tensor shapes stage by stage, for a config or a saved model. */
import { TEXT_SLOTS, type TextHeadSpec, textHeadParameterCount, textHeadSpecFor } from '../../models/text-head.js';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { getLayout, isLayoutName } from '../../graph/layout.js';
import { loadModel } from '../../models/io.js';
import { createModel, createModelFromManifest } from '../../models/registry.js';
import type { SkeletonModel } from '../../models/types.js';
import { loadExperiment } from '../../train/config.js';
import { DATASETS, type DatasetSpec } from '../../data/datasets/index.js';
import { type GlobalOptions, print, printJson } from '../output.js';

interface ModelInfoArgs extends GlobalOptions {
  config?: string;
  model?: string;
  layout?: string;
  classes?: number;
}

/** The layout a config's model takes when neither a flag nor its dataset says it: SkateFormer's NTU/Kinect presets (a streams model's member's), else ntu-25. */
function defaultLayout(model: { kind: string; preset?: string; member?: unknown }): string {
  const member = model.member as { kind?: string; preset?: string } | undefined;
  const { kind, preset } = model.kind === 'streams' && member ? member : model;
  if (kind === 'skateformer' && preset === 'kinect20') return 'kinect-20';
  return 'ntu-25';
}

/**
 * The dataset a config's benchmark belongs to, with its layout and class count: `utkinect-xsub`
 * is UTKinect (kinect-20, 10 classes); a derived benchmark (`ntu60-xsub-lt100`) is its source's.
 * Undefined when no dataset defines it (a generic 'records' cache decides its own classes).
 */
export function datasetOfBenchmark(
  benchmark: string,
): { dataset: string; benchmark: string; layout: string; classes?: number } | undefined {
  let best: { dataset: string; benchmark: string; spec: DatasetSpec<unknown> } | undefined;
  for (const [dataset, spec] of Object.entries(DATASETS)) {
    for (const b of spec.benchmarks) {
      if ((benchmark === b || benchmark.startsWith(`${b}-`)) && (!best || b.length > best.benchmark.length))
        best = { dataset, benchmark: b, spec };
    }
  }
  if (!best) return undefined;
  let classes: number | undefined;
  try {
    const names = best.spec.classNames([], best.benchmark, {} as never);
    if (names !== 'discover') classes = names.length;
  } catch {
    classes = undefined; // a dataset whose classes come from its files (Kinetics label files)
  }
  return { dataset: best.dataset, benchmark: best.benchmark, layout: best.spec.layout, classes };
}

export const modelInfoCommand: CommandModule<GlobalOptions, ModelInfoArgs> = {
  command: 'model-info',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('config', { describe: 'experiment config (configs/*.json)', type: 'string' })
      .option('model', { describe: 'or a saved model folder', type: 'string' })
      .option('layout', {
        describe: "layout of the data (with --config; default: that of the config's dataset, from its benchmark)",
        type: 'string',
      })
      .option('classes', {
        describe: "number of classes (with --config; default: that of the config's dataset, else 60)",
        type: 'number',
      })
      .check((a) => {
        if (!a.config === !a.model) throw new Error('give exactly one of --config and --model');
        return true;
      })
      .example(
        '$0 model-info --config configs/skateformer/ntu60-xsub-joint.json',
        'SkateFormer NTU: 3.616 M parameters',
      ) as unknown as Argv<ModelInfoArgs>,
  handler: (args: ArgumentsCamelCase<ModelInfoArgs>) => {
    let model: SkeletonModel;
    let source: string;
    let textHead: TextHeadSpec | undefined;
    let dataInfo:
      | {
          benchmark: string;
          dataset: string | null;
          layout: string;
          layoutFrom: string;
          classes: number;
          classesFrom: string;
        }
      | undefined;
    if (args.model) {
      const loaded = loadModel(args.model, createModelFromManifest);
      model = loaded.model;
      textHead = loaded.manifest.textHead;
      source = args.model;
    } else {
      const config = loadExperiment(args.config!);
      // The config's own dataset decides the layout and class count, unless a flag says otherwise.
      const data = datasetOfBenchmark(config.data.benchmark);
      const layout = args.layout ?? data?.layout ?? defaultLayout(config.model);
      if (!isLayoutName(layout)) throw new Error(`--layout '${layout}' is not a layout`);
      getLayout(layout);
      const classes = args.classes ?? data?.classes ?? 60;
      model = createModel(config.model, { layout, classes, frames: config.data.frames }, config.seed);
      source = args.config!;
      const from = (flag: unknown, fromData: unknown) =>
        flag !== undefined
          ? 'flag'
          : fromData !== undefined
            ? `benchmark ${config.data.benchmark} (dataset ${data!.dataset})`
            : 'default';
      dataInfo = {
        benchmark: config.data.benchmark,
        dataset: data?.dataset ?? null,
        layout,
        layoutFrom: from(args.layout, data?.layout),
        classes,
        classesFrom: from(args.classes, data?.classes),
      };
      if (config.text) textHead = textHeadSpecFor(model, layout, 512, 'use-lite');
    }
    try {
      const stages = model.describe();
      // A loaded model's store holds its text head; the count is the classifier's own.
      const headParameters = textHead ? textHeadParameterCount(textHead) : 0;
      const parameters = model.params.countTrainable() - (args.model ? headParameters : 0);
      const info = {
        source,
        kind: model.kind,
        parameters,
        ...(textHead
          ? {
              textHead: {
                parameters: headParameters,
                featureDim: textHead.featureDim,
                dim: textHead.dim,
                slots: [...TEXT_SLOTS],
              },
            }
          : {}),
        ...(dataInfo ? { data: dataInfo } : {}),
        persons: model.persons,
        joints: model.jointOrder.length,
        frames: model.frames,
        inChannels: model.inChannels,
        config: model.config,
        stages,
      };
      if (args.json) return printJson(info);
      print(
        `${source}: ${model.kind}, ${info.parameters.toLocaleString('en-US')} trainable parameters (${(info.parameters / 1e6).toFixed(3)} M)`,
      );
      if (textHead)
        print(
          `text head (training only, not used at inference): ${headParameters.toLocaleString('en-US')} parameters, ${TEXT_SLOTS.length} slots (${TEXT_SLOTS.join(', ')}) × Linear(${textHead.featureDim}, ${textHead.dim})`,
        );
      if (dataInfo)
        print(
          `data: layout ${dataInfo.layout} (from ${dataInfo.layoutFrom}), ${dataInfo.classes} classes (from ${dataInfo.classesFrom})`,
        );
      print(
        `input: batch × ${model.frames} frames × ${model.persons} person(s) · ${model.jointOrder.length} joints × ${model.inChannels} channels`,
      );
      print(`${'stage'.padEnd(34)} ${'output shape'.padEnd(24)} parameters`);
      for (const s of stages)
        print(`${s.name.padEnd(34)} ${`[${s.shape.join(', ')}]`.padEnd(24)} ${s.parameters.toLocaleString('en-US')}`);
    } finally {
      model.dispose();
    }
  },
};
