/** `skelact demo-web --model <dir>`: a local web page with live webcam action recognition and repetition counting. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { POSE_MODELS, type PoseModel } from '../../pose/index.js';
import { startDemoServer } from '../../serve/demo-server.js';
import { EXERCISES } from '../../serve/reps.js';
import { type GlobalOptions, log, print } from '../output.js';

interface DemoArgs extends GlobalOptions {
  model: string;
  port: number;
  poseModel: PoseModel;
  samples?: string;
  repsModel?: string;
  exercise?: string;
  class?: string;
  webBackend?: string;
  stride: number;
}

export const demoWebCommand: CommandModule<GlobalOptions, DemoArgs> = {
  command: 'demo-web',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .option('model', {
        describe:
          'saved model folder (ntu-25, kinect-20, coco-17 or blazepose-33 layout), or a shipped model (skelact models)',
        type: 'string',
        demandOption: true,
      })
      .option('port', { describe: 'port on 127.0.0.1 (0: any free one)', type: 'number', default: 8765 })
      .option('pose-model', {
        describe: 'MediaPipe PoseLandmarker model in the page',
        choices: POSE_MODELS,
        default: 'lite' as const,
      })
      .option('exercise', {
        describe: `count repetitions of this exercise (${Object.keys(EXERCISES).join(', ')}) with the shipped fitness pose model`,
        type: 'string',
      })
      .option('class', { describe: 'or count this pose class (of --reps-model or --samples)', type: 'string' })
      .option('reps-model', {
        describe: 'pose model for the repetition counter: a folder or a shipped name (default fitness)',
        type: 'string',
      })
      .option('samples', {
        describe: "or a samples CSV for the repetition counter's k-NN (ML Kit format)",
        type: 'string',
      })
      .option('web-backend', {
        describe: 'TensorFlow.js backend in the page (default: the fastest that starts: webgpu, webgl, wasm)',
        choices: ['webgpu', 'webgl', 'wasm', 'cpu'],
      })
      .option('stride', { describe: 'classify every this many frames', type: 'number', default: 8 })
      .example(
        '$0 demo-web --model nw-ucla --exercise squat',
        'actions and squats from the webcam, with the shipped models',
      ) as unknown as Argv<DemoArgs>,
  handler: async (args: ArgumentsCamelCase<DemoArgs>) => {
    if (args.exercise && !EXERCISES[args.exercise])
      throw new Error(`--exercise must be one of ${Object.keys(EXERCISES).join(', ')}, got '${args.exercise}'`);
    const server = await startDemoServer({
      modelDir: args.model,
      poseModel: args.poseModel,
      samples: args.samples,
      repsModel: args.repsModel,
      countClass: args.class ?? (args.exercise ? EXERCISES[args.exercise] : undefined),
      backend: args.webBackend,
      classifier: { stride: args.stride },
      port: args.port,
    });
    print(`demo page: ${server.url}  (Ctrl-C to stop)`);
    log(
      args,
      'the page runs MediaPipe and the model in the browser; it needs camera permission, or drop a video file on it',
    );
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await server.close();
  },
};
