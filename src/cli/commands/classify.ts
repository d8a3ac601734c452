/**
 * `skelact classify <video|pose file>... --model <dir|name>`: runs the stream classifier over
 * each clip as if it arrived live, and prints the timeline of actions; optionally the
 * per-window scores as JSON and an HTML page that plays the skeletons with the labels. A clip
 * in which no person is ever found is reported as such, and the next clip follows.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../../core/files.js';
import { posesFromInput, poseInputOptions, type PoseInputArgs } from '../pose-input.js';
import { overlayHtml } from '../../serve/overlay-html.js';
import { poseFileFrames, poseFeedProblem } from '../../serve/pose-frames.js';
import { StreamClassifier, type StreamEvent } from '../../serve/stream-classifier.js';
import { DEFAULT_HORIZONTAL_FOV_DEGREES } from '../../pose/trajectory.js';
import { timelineOf } from '../../serve/timeline.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { checkWritable } from '../writable.js';
import { type Engine, engineOption, openModel } from '../model-engine.js';

interface ClassifyArgs extends GlobalOptions, PoseInputArgs {
  inputs: string[];
  model: string;
  window?: number;
  stride: number;
  smoothing: number;
  startScore: number;
  endScore: number;
  scores?: string;
  html?: string;
  modelEngine?: Engine;
  fov: number;
  trajectory: boolean;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

export const classifyCommand: CommandModule<GlobalOptions, ClassifyArgs> = {
  command: 'classify <inputs..>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    poseInputOptions(y)
      .positional('inputs', {
        describe: 'videos (poses are extracted first) or pose files from skelact extract (.poses.json)',
        type: 'string',
        array: true,
        demandOption: true,
      })
      .option('model', {
        describe: "saved model folder (a run's best/), or the name of a shipped model (skelact models)",
        type: 'string',
        demandOption: true,
      })
      .option('window', {
        describe:
          "frames in the sliding window, on a 30 fps grid (default: the model's input frames or its training sampler's shortest crop, minLength, whichever is larger: 64 for the shipped models)",
        type: 'number',
      })
      .option('stride', { describe: 'classify every this many frames', type: 'number', default: 8 })
      .option('smoothing', {
        describe: 'weight of the newest scores in the moving average (1 = none)',
        type: 'number',
        default: 0.5,
      })
      .option('start-score', {
        describe: 'smoothed probability at which an action starts',
        type: 'number',
        default: 0.6,
      })
      .option('end-score', { describe: 'smoothed probability below which it ends', type: 'number', default: 0.4 })
      .option('scores', {
        describe: 'write every classification (time, top classes) to this JSON file',
        type: 'string',
      })
      .option('html', {
        describe: 'write an HTML page that plays the skeletons (over the video) with the labels',
        type: 'string',
      })
      .option('fov', {
        describe:
          "the camera's horizontal field of view in degrees, assumed when restoring each person's path through the room (Kinect-20 and NTU-25 models; only the depth depends on it)",
        type: 'number',
        default: DEFAULT_HORIZONTAL_FOV_DEGREES,
      })
      .option('trajectory', {
        describe:
          "restore each person's path from the image landmarks (MediaPipe's world landmarks are hip-centred); --no-trajectory feeds them as they are",
        type: 'boolean',
        default: true,
      })
      .option('model-engine', {
        ...engineOption,
        describe: `${engineOption.describe} (--engine is the pose engine here)`,
      })
      .example('$0 classify clip.mp4 --model runs/realtime/best --html clip.html', 'timeline and a page to watch it')
      .example(
        '$0 classify clip.poses.json --model runs/realtime/best --json',
        'from extracted poses, machine-readable',
      )
      .example(
        '$0 classify walk.mp4 sit.mp4 --model nw-ucla',
        'the shipped NW-UCLA model (MediaPipe landmarks mapped onto Kinect-20)',
      )
      .example(
        '$0 classify clip.poses.json --model realtime.onnx',
        'the exported ONNX file on onnxruntime-node',
      ) as unknown as Argv<ClassifyArgs>,
  handler: async (args: ArgumentsCamelCase<ClassifyArgs>) => {
    const inputs = args.inputs.map(String);
    if (inputs.length > 1 && (args.scores || args.html))
      throw new Error('--scores and --html take one input clip; give one clip, or leave them out');
    for (const input of inputs) if (!existsSync(input)) throw new Error(`${input}: no such file`);
    if (!(args.fov > 0 && args.fov < 180))
      throw new Error(
        `--fov: expected the camera's horizontal field of view in degrees, between 0 and 180 (exclusive), got ${args.fov}`,
      );
    if (args.scores) checkWritable(args.scores, 'file', 'choose a writable file with --scores');
    if (args.html) checkWritable(args.html, 'file', 'choose a writable file with --html');
    const opened = await openModel(args.model, args.modelEngine, args.threads);
    // The samplers train on whole clips (or crops of at least minLength frames) resampled to the model's
    // frames, not on `frames` consecutive frames: a window of only `frames` grid slots (0.5 s for 16) shows
    // a fraction of an action. measured on vtest_crop.mp4 with the nw-ucla model: 16 slots say no action,
    // 32, 64 and 96 say walk around (README, classify).
    const window = args.window ?? Math.max(opened.manifest.frames, opened.manifest.minLength);
    const classifier = new StreamClassifier(opened.model, opened.manifest, {
      window,
      stride: args.stride,
      smoothing: args.smoothing,
      startScore: args.startScore,
      endScore: args.endScore,
    });
    try {
      const problem = poseFeedProblem(classifier.manifest);
      if (problem) throw new Error(`${args.model}: cannot classify poses with this model: ${problem}`);
      const summaries: ClipSummary[] = [];
      for (const input of inputs) {
        const summary = await classifyClip(input, classifier, args, opened.engine);
        summaries.push(summary);
        if (args.json) continue;
        if (summary.framesWithPerson === 0) {
          print(`${input}: no person found in any of its ${summary.frames} frames; nothing to classify`);
          continue;
        }
        print(
          `${input}: ${summary.frames} frames (a person in ${summary.framesWithPerson}), ${summary.classifications} classifications (window ${classifier.window}, stride ${classifier.stride}) in ${summary.secondsClassifying.toFixed(1)} s`,
        );
        if (summary.noPerson > 0)
          print(`  ${summary.noPerson} of the windows held too few frames with a person to classify`);
        if (summary.timeline.length === 0) print('  no action reached the start score');
        for (const s of summary.timeline)
          print(
            `  ${seconds(s.startMs).padStart(7)} s – ${seconds(s.endMs).padStart(7)} s  ${s.label}  (peak ${s.peakScore.toFixed(2)})`,
          );
        if (summary.mostLikely)
          print(
            `  over the whole clip: ${summary.mostLikely.label} (mean probability ${summary.mostLikely.meanScore.toFixed(2)})`,
          );
        if (args.html) print(`page: ${args.html}`);
      }
      if (args.json) printJson(summaries.length === 1 ? summaries[0] : summaries);
    } finally {
      classifier.dispose();
    }
  },
};

interface ClipSummary {
  input: string;
  model: string;
  engine: string;
  frames: number;
  framesWithPerson: number;
  classifications: number;
  /** Windows that held too few frames with a person (nobody found, or all-zero poses). */
  noPerson: number;
  secondsClassifying: number;
  timeline: Array<{ label: string; startMs: number; endMs: number; peakScore: number }>;
  /** The class with the highest mean smoothed probability over the clip's classifications. */
  mostLikely: { label: string; meanScore: number } | null;
  scores: string | null;
  html: string | null;
}

async function classifyClip(
  input: string,
  classifier: StreamClassifier,
  args: ArgumentsCamelCase<ClassifyArgs>,
  engine: string,
): Promise<ClipSummary> {
  classifier.reset();
  const { poses, video: extracted } = await posesFromInput(input, args, classifier.manifest.persons);
  const framesWithPerson = poses.frames.filter((f) => f.people.length > 0).length;
  const empty = {
    input,
    model: args.model,
    engine,
    frames: poses.frames.length,
    framesWithPerson,
    classifications: 0,
    noPerson: 0,
    secondsClassifying: 0,
    timeline: [],
    mostLikely: null,
    scores: null,
    html: null,
  };
  if (framesWithPerson === 0) return empty;
  // A pose file names its video: the page plays it underneath when it is still there.
  const video = extracted ?? (existsSync(poses.source.file) ? poses.source.file : undefined);
  const frames = poseFileFrames(
    poses,
    classifier.manifest.layout,
    classifier.manifest.persons,
    args.trajectory ? { horizontalFovDegrees: args.fov } : false,
  );
  const events: StreamEvent[] = [];
  const started = performance.now();
  for (const f of frames) events.push(...(await classifier.pushAsync(f)));
  events.push(...classifier.flush(frames.length ? frames[frames.length - 1].timestampMs : 0));
  const elapsed = (performance.now() - started) / 1000;
  const timeline = timelineOf(events);
  const scores = events.filter((e): e is Extract<StreamEvent, { type: 'scores' }> => e.type === 'scores');
  if (args.scores) {
    mkdirSync(dirname(resolve(args.scores)), { recursive: true });
    writeFileAtomic(
      args.scores,
      `${JSON.stringify({ model: args.model, input, window: classifier.window, stride: classifier.stride, classifications: scores.map((s) => ({ timestampMs: s.timestampMs, top: s.top })) }, null, 1)}\n`,
    );
  }
  if (args.html) {
    mkdirSync(dirname(resolve(args.html)), { recursive: true });
    const videoSrc = video ? relative(dirname(resolve(args.html)), resolve(video)) : undefined;
    writeFileAtomic(args.html, overlayHtml({ title: `${input} · ${args.model}`, poses, videoSrc, timeline, scores }));
  }
  return {
    ...empty,
    classifications: scores.length,
    noPerson: events.filter((e) => e.type === 'no-person').length,
    secondsClassifying: Number(elapsed.toFixed(2)),
    timeline: timeline.map((s) => ({ ...s, peakScore: Number(s.peakScore.toFixed(3)) })),
    mostLikely: meanTop(scores, classifier.manifest.classNames),
    scores: args.scores ?? null,
    html: args.html ?? null,
  };
}

/** The class whose smoothed probability, averaged over every classification (each lists its top 3; a class outside them counts 0), is highest. */
function meanTop(
  scores: ReadonlyArray<Extract<StreamEvent, { type: 'scores' }>>,
  classNames: readonly string[],
): { label: string; meanScore: number } | null {
  if (scores.length === 0) return null;
  const sums = new Map<string, number>(classNames.map((c) => [c, 0]));
  for (const s of scores) for (const { label, score } of s.top) sums.set(label, (sums.get(label) ?? 0) + score);
  let best: { label: string; meanScore: number } | null = null;
  for (const [label, sum] of sums)
    if (!best || sum / scores.length > best.meanScore) best = { label, meanScore: sum / scores.length };
  return best;
}
