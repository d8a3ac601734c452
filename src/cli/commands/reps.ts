/**
 * `skelact reps <video|pose file> --exercise pushup|squat [--samples <csv> | --model <pose model>]`: count
 * repetitions (ML Kit's method), classifying each pose with the k-NN over your samples or with a
 * trained pose model (the shipped `fitness` one by default, so it works out of the box).
 */
import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { readMlkitFitness } from '../../data/formats/mlkit-fitness.js';
import { posesFromInput, poseInputOptions, type PoseInputArgs } from '../pose-input.js';
import { ModelPoseClassifier } from '../../serve/pose-model-classifier.js';
import {
  countRepetitions,
  DEFAULT_POSE_MODEL,
  EXERCISES,
  PoseClassifier,
  poseClassNamed,
  type Point3,
  type PoseConfidenceSource,
} from '../../serve/reps.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';

interface RepsArgs extends GlobalOptions, PoseInputArgs {
  input: string;
  exercise?: string;
  class?: string;
  samples?: string;
  model?: string;
  resetMs: number;
}

export const repsCommand: CommandModule<GlobalOptions, RepsArgs> = {
  command: 'reps <input>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    poseInputOptions(y)
      .positional('input', {
        describe: 'a video (poses are extracted first) or a pose file (.poses.json)',
        type: 'string',
        demandOption: true,
      })
      .option('exercise', {
        describe: `an exercise of the ML Kit samples (${Object.entries(EXERCISES)
          .map(([e, c]) => `${e}: counts ${c}`)
          .join(', ')})`,
        type: 'string',
      })
      .option('class', {
        describe: 'or the pose class to count in your own samples (the "down" pose of your exercise)',
        type: 'string',
      })
      .option('samples', {
        describe:
          "classify poses by k-NN over these labelled single-frame poses: CSV rows name,class,x1,y1,z1,…,x33,y33,z33 in pixels (ML Kit's fitness_pose_samples.csv format)",
        type: 'string',
      })
      .option('model', {
        describe: `or classify poses with this trained pose model (a folder, or a shipped name); without --samples: ${DEFAULT_POSE_MODEL}, shipped (push-ups and squats, up and down)`,
        type: 'string',
      })
      .option('reset-ms', {
        describe: 'restart the smoothing after a pause longer than this (ML Kit uses 100 ms)',
        type: 'number',
        default: 1000,
      })
      .example('$0 reps workout.mp4 --exercise squat', 'squats in a video, with the shipped fitness pose model')
      .example('$0 reps workout.mp4 --exercise squat --samples fitness_pose_samples.csv', "the same with ML Kit's k-NN")
      .example(
        '$0 reps lunges.poses.json --class lunge_down --samples my-lunges.csv --json',
        'your own exercise',
      ) as unknown as Argv<RepsArgs>,
  handler: async (args: ArgumentsCamelCase<RepsArgs>) => {
    if (!existsSync(args.input)) throw new Error(`${args.input}: no such file`);
    if (!args.exercise && !args.class)
      throw new Error(`give --exercise (${Object.keys(EXERCISES).join(', ')}) or --class <pose class to count>`);
    if (args.exercise && !EXERCISES[args.exercise])
      throw new Error(
        `--exercise must be one of ${Object.keys(EXERCISES).join(', ')} (or use --class with your own samples), got '${args.exercise}'`,
      );
    if (args.samples && args.model)
      throw new Error('give --samples (k-NN) or --model (a trained pose model), not both');
    const classifier = args.samples ? samplesClassifier(args, args.samples) : modelClassifier(args, args.model);
    const className = poseClassNamed(classifier.classes, args.class ?? EXERCISES[args.exercise as string]);
    log(args, `counting ${className}`);
    const { poses } = await posesFromInput(args.input, args);
    const { width, height } = poses.extraction;
    const frames = poses.frames.map((f) => {
      const p = f.people[0];
      return {
        timestampMs: f.timestampMs,
        landmarks: p ? p.image.map(([x, y, z]) => [x * width, y * height, z * width] as Point3) : null,
      };
    });
    let result: ReturnType<typeof countRepetitions>;
    try {
      result = countRepetitions(classifier, className, frames, { resetMs: args.resetMs });
    } finally {
      if (classifier instanceof ModelPoseClassifier) classifier.dispose();
    }
    if (args.json)
      return printJson({
        input: args.input,
        class: className,
        count: result.count,
        repetitions: result.repetitions,
        frames: frames.length,
        framesWithPerson: frames.filter((f) => f.landmarks).length,
      });
    print(`${args.input}: ${result.count} repetition${result.count === 1 ? '' : 's'} of ${className}`);
    for (const r of result.repetitions)
      print(`  ${String(r.index).padStart(3)}  at ${(r.timestampMs / 1000).toFixed(2)} s`);
  },
};

function samplesClassifier(args: RepsArgs, file: string): PoseConfidenceSource {
  if (!existsSync(file)) throw new Error(`--samples ${file}: no such file`);
  const read = readMlkitFitness(file, { classes: 'any' });
  for (const s of read.skipped) log(args, `skipped: ${s.reason}`);
  const classifier = PoseClassifier.fromCsvSamples(read.samples);
  log(
    args,
    `k-NN over ${read.samples.length} samples of ${classifier.classes.length} pose classes (${classifier.classes.join(', ')})`,
  );
  return classifier;
}

function modelClassifier(args: RepsArgs, nameOrDir = DEFAULT_POSE_MODEL): PoseConfidenceSource {
  const classifier = ModelPoseClassifier.load(nameOrDir);
  log(args, `pose model ${nameOrDir} (${classifier.classes.join(', ')})`);
  return classifier;
}
