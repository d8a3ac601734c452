/** `skelact reps <video|pose file> --exercise pushup|squat --samples <csv>`: count repetitions (ML Kit's method). */
import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { readMlkitFitness } from '../../data/formats/mlkit-fitness.js';
import { posesFromInput, poseInputOptions, type PoseInputArgs } from '../pose-input.js';
import { countRepetitions, EXERCISES, PoseClassifier, type Point3 } from '../../serve/reps.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';

interface RepsArgs extends GlobalOptions, PoseInputArgs {
  input: string;
  exercise?: string;
  class?: string;
  samples: string;
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
          "labelled single-frame poses: CSV rows name,class,x1,y1,z1,…,x33,y33,z33 in pixels (ML Kit's fitness_pose_samples.csv format)",
        type: 'string',
        demandOption: true,
      })
      .option('reset-ms', {
        describe: 'restart the smoothing after a pause longer than this (ML Kit uses 100 ms)',
        type: 'number',
        default: 1000,
      })
      .example('$0 reps workout.mp4 --exercise squat --samples fitness_pose_samples.csv', 'squats in a video')
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
    const className = args.class ?? EXERCISES[args.exercise as string];
    if (!existsSync(args.samples)) throw new Error(`--samples ${args.samples}: no such file`);
    const read = readMlkitFitness(args.samples, { classes: 'any' });
    for (const s of read.skipped) log(args, `skipped: ${s.reason}`);
    const classifier = PoseClassifier.fromCsvSamples(read.samples);
    log(
      args,
      `${read.samples.length} samples of ${classifier.classes.length} pose classes (${classifier.classes.join(', ')}); counting ${className}`,
    );
    const { poses } = await posesFromInput(args.input, args);
    const { width, height } = poses.extraction;
    const frames = poses.frames.map((f) => {
      const p = f.people[0];
      return {
        timestampMs: f.timestampMs,
        landmarks: p ? p.image.map(([x, y, z]) => [x * width, y * height, z * width] as Point3) : null,
      };
    });
    const result = countRepetitions(classifier, className, frames, { resetMs: args.resetMs });
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
