/** The "video or pose file" input that classify and reps share: its options, and getting poses from it. */
import type { Argv } from 'yargs';
import {
  createPoseEngine,
  extractPoses,
  isPoseFile,
  POSE_MODELS,
  readPoseFile,
  resolveEngine,
  type EngineChoice,
  type PoseFile,
  type PoseModel,
} from '../pose/index.js';
import { mediaFileProblem } from '../pose/media-type.js';
import { type GlobalOptions, log } from './output.js';

export interface PoseInputArgs {
  engine: EngineChoice;
  poseModel: PoseModel;
  fps?: number;
}

/** --engine, --pose-model, --fps: how a video input is turned into poses. */
export function poseInputOptions<T>(y: Argv<T>): Argv<T & PoseInputArgs> {
  return y
    .option('engine', {
      describe: 'pose engine for a video input',
      choices: ['auto', 'mediapipe', 'tfjs'],
      default: 'auto' as const,
    })
    .option('pose-model', {
      describe: 'BlazePose model size for a video input',
      choices: POSE_MODELS,
      default: 'full' as const,
    })
    .option('fps', {
      describe: "decode a video input at this rate (default: the video's, at most 30)",
      type: 'number',
    }) as unknown as Argv<T & PoseInputArgs>;
}

/** The poses of a pose file, or of a video (extracted with the chosen engine); `video` is set for a video input. */
export async function posesFromInput(
  input: string,
  args: PoseInputArgs & Pick<GlobalOptions, 'json' | 'quiet'>,
  persons = 1,
): Promise<{ poses: PoseFile; video?: string }> {
  if (isPoseFile(input)) return { poses: readPoseFile(input) };
  // A file that is no video is refused before the pose engine starts.
  const problem = mediaFileProblem(input);
  if (problem) throw new Error(problem);
  const { engine: name, reason } = resolveEngine(args.engine);
  const engine = await createPoseEngine(name, args.poseModel);
  log(args, `pose engine: ${engine.description}${args.engine === 'auto' ? ` (auto: ${reason})` : ''}`);
  try {
    const { poses } = await extractPoses(input, engine, { persons, fps: args.fps });
    log(args, `${poses.frames.length} frames, a person in ${poses.frames.filter((f) => f.people.length > 0).length}`);
    return { poses, video: input };
  } finally {
    await engine.close();
  }
}
