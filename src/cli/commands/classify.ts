/**
 * `skelact classify <video|pose file> --model <dir>`: runs the stream classifier over a clip as
 * if it arrived live, and prints the timeline of actions; optionally the per-window scores as
 * JSON and an HTML page that plays the skeletons with the labels.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../../core/files.js';
import { posesFromInput, poseInputOptions, type PoseInputArgs } from '../pose-input.js';
import { overlayHtml } from '../../serve/overlay-html.js';
import { poseFileFrames, poseFeedProblem } from '../../serve/pose-frames.js';
import { StreamClassifier, type StreamEvent } from '../../serve/stream-classifier.js';
import { timelineOf } from '../../serve/timeline.js';
import { type GlobalOptions, log, print, printJson } from '../output.js';
import { checkWritable } from '../writable.js';
import { type Engine, engineOption, openModel } from '../model-engine.js';

interface ClassifyArgs extends GlobalOptions, PoseInputArgs {
  input: string;
  model: string;
  window?: number;
  stride: number;
  smoothing: number;
  startScore: number;
  endScore: number;
  scores?: string;
  html?: string;
  modelEngine?: Engine;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

export const classifyCommand: CommandModule<GlobalOptions, ClassifyArgs> = {
  command: 'classify <input>',
  describe: 'Classify a video or a pose file as a live stream: a timeline of actions with start and end times',
  builder: (y: Argv<GlobalOptions>) =>
    poseInputOptions(y)
      .positional('input', { describe: 'a video (poses are extracted first) or a pose file from skelact extract (.poses.json)', type: 'string', demandOption: true })
      .option('model', { describe: 'saved model folder (a run\'s best/)', type: 'string', demandOption: true })
      .option('window', { describe: "frames in the sliding window (default: the model's input frames)", type: 'number' })
      .option('stride', { describe: 'classify every this many frames', type: 'number', default: 8 })
      .option('smoothing', { describe: 'weight of the newest scores in the moving average (1 = none)', type: 'number', default: 0.5 })
      .option('start-score', { describe: 'smoothed probability at which an action starts', type: 'number', default: 0.6 })
      .option('end-score', { describe: 'smoothed probability below which it ends', type: 'number', default: 0.4 })
      .option('scores', { describe: 'write every classification (time, top classes) to this JSON file', type: 'string' })
      .option('html', { describe: 'write an HTML page that plays the skeletons (over the video) with the labels', type: 'string' })
      .option('model-engine', { ...engineOption, describe: `${engineOption.describe} (--engine is the pose engine here)` })
      .example('$0 classify clip.mp4 --model runs/realtime/best --html clip.html', 'timeline and a page to watch it')
      .example('$0 classify clip.poses.json --model runs/realtime/best --json', 'from extracted poses, machine-readable')
      .example('$0 classify clip.poses.json --model realtime.onnx', 'the exported ONNX file on onnxruntime-node') as unknown as Argv<ClassifyArgs>,
  handler: async (args: ArgumentsCamelCase<ClassifyArgs>) => {
    if (!existsSync(args.input)) throw new Error(`${args.input}: no such file`);
    if (args.scores) checkWritable(args.scores, 'file', 'choose a writable file with --scores');
    if (args.html) checkWritable(args.html, 'file', 'choose a writable file with --html');
    const opened = await openModel(args.model, args.modelEngine, args.threads);
    const classifier = new StreamClassifier(opened.model, opened.manifest, { window: args.window, stride: args.stride, smoothing: args.smoothing, startScore: args.startScore, endScore: args.endScore });
    try {
      const problem = poseFeedProblem(classifier.manifest);
      if (problem) throw new Error(`${args.model}: cannot classify poses with this model: ${problem}`);
      const { poses, video: extracted } = await posesFromInput(args.input, args, classifier.manifest.persons);
      // A pose file names its video: the page plays it underneath when it is still there.
      const video = extracted ?? (existsSync(poses.source.file) ? poses.source.file : undefined);
      const frames = poseFileFrames(poses, classifier.manifest.layout, classifier.manifest.persons);
      const events: StreamEvent[] = [];
      const started = performance.now();
      for (const f of frames) events.push(...(await classifier.pushAsync(f)));
      events.push(...classifier.flush(frames.length ? frames[frames.length - 1].timestampMs : 0));
      const elapsed = (performance.now() - started) / 1000;
      const timeline = timelineOf(events);
      const scores = events.filter((e): e is Extract<StreamEvent, { type: 'scores' }> => e.type === 'scores');
      if (args.scores) {
        mkdirSync(dirname(resolve(args.scores)), { recursive: true });
        writeFileAtomic(args.scores, `${JSON.stringify({ model: args.model, input: args.input, window: classifier.window, stride: classifier.stride, classifications: scores.map((s) => ({ timestampMs: s.timestampMs, top: s.top })) }, null, 1)}\n`);
      }
      if (args.html) {
        mkdirSync(dirname(resolve(args.html)), { recursive: true });
        const videoSrc = video ? relative(dirname(resolve(args.html)), resolve(video)) : undefined;
        writeFileAtomic(args.html, overlayHtml({ title: `${args.input} · ${args.model}`, poses, videoSrc, timeline, scores }));
      }
      // Times the window held too few frames with a person to classify (nobody found, or all-zero poses).
      const noPerson = events.filter((e) => e.type === 'no-person').length;
      const summary = { input: args.input, model: args.model, engine: opened.engine, frames: frames.length, classifications: scores.length, noPerson, secondsClassifying: Number(elapsed.toFixed(2)), timeline: timeline.map((s) => ({ ...s, peakScore: Number(s.peakScore.toFixed(3)) })), scores: args.scores ?? null, html: args.html ?? null };
      if (args.json) return printJson(summary);
      print(`${args.input}: ${frames.length} frames, ${scores.length} classifications (window ${classifier.window}, stride ${classifier.stride}) in ${elapsed.toFixed(1)} s`);
      if (noPerson > 0) print(`no person in the window at ${noPerson} of ${noPerson + scores.length} classification times`);
      if (timeline.length === 0) print('no action reached the start score');
      for (const s of timeline) print(`  ${seconds(s.startMs).padStart(7)} s – ${seconds(s.endMs).padStart(7)} s  ${s.label}  (peak ${s.peakScore.toFixed(2)})`);
      if (args.html) print(`page: ${args.html}`);
    } finally {
      await opened.dispose();
    }
  },
};
