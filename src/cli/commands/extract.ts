/**
 * `skelact extract <video|folder> --out <file|dir>`: poses from video (src/pose), one pose file
 * per video, and optionally generic skeleton records for `skelact prepare generic`.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../../core/files.js';
import {
  createPersonDetector,
  createPoseEngine,
  decodeGeometry,
  probeVideo,
  extractToPoseFile,
  MAPPED_LAYOUTS,
  POSE_MODELS,
  poseFileName,
  poseFileToGenericRecord,
  resolveEngine,
  type EngineChoice,
  type PersonDetector,
  type PoseModel,
} from '../../pose/index.js';
import { mediaFileProblem, VIDEO_EXTENSIONS } from '../../pose/media-type.js';
import { createProgressBar } from '../progress.js';
import type { ExtractSettings } from '../queue-jobs.js';
import { checkWritable } from '../writable.js';
import { exitWithFailures, type GlobalOptions, log, print, printJson } from '../output.js';

interface ExtractArgs extends GlobalOptions {
  input: string;
  out: string;
  engine: EngineChoice;
  poseModel?: PoseModel;
  /** Deprecated spelling of --pose-model. */
  model?: PoseModel;
  persons: number;
  fps?: number;
  width: number;
  generic?: string;
  layout: 'ntu-25' | 'kinect-20' | 'coco-17' | 'blazepose-33';
  label?: string;
  labelFromFolder: boolean;
  minVisibility: number;
  queue?: string;
  queueName: string;
  shard?: string;
}

/** `--shard i/n`: the i-th of n equal parts (0-based), by position in the sorted list of videos. */
function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index < count)) throw new Error(`--shard ${text}: expected i/n with 0 <= i < n (e.g. 0/4 … 3/4)`);
  return { index, count };
}

function listVideos(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name, 'en'))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (VIDEO_EXTENSIONS.includes(extname(entry.name).toLowerCase())) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/**
 * `extract --queue`: one job per video (absolute paths, so that any worker finds them), added
 * to the queue; work already in the queue (same content, settings and pose file) is not added again.
 */
async function enqueueVideos(
  args: ArgumentsCamelCase<ExtractArgs>,
  videos: string[],
  outFor: (video: string) => string,
  settings: ExtractSettings,
  engineReason: string,
): Promise<void> {
  const [{ openQueue, addJobs }, { extractJobs }] = await Promise.all([
    import('../../queue/index.js'),
    import('../queue-jobs.js'),
  ]);
  const opened = await openQueue(args.queue!, { name: args.queueName });
  try {
    log(
      args,
      `hashing ${videos.length} video(s) for their job ids; pose engine for the workers: ${settings.engine}${args.engine === 'auto' ? ` (auto, decided here: ${engineReason})` : ''}`,
    );
    const jobs = await extractJobs(
      videos.map((v) => ({ video: resolve(v), out: resolve(outFor(v)) })),
      settings,
    );
    const { added, existing } = await addJobs(opened, jobs);
    if (args.json)
      return printJson({
        queue: opened.address.display,
        queueName: opened.name,
        videos: videos.length,
        added: added.length,
        alreadyQueued: existing.length,
        jobs: jobs.map((j) => ({ id: j.id, video: j.data.video, out: j.data.out })),
      });
    print(
      `${added.length} job(s) added to ${opened.address.display} (queue ${opened.name})${existing.length > 0 ? `; ${existing.length} already there (waiting, running, done or failed), not added again` : ''}. Run workers with: skelact worker --queue ${opened.address.display}; progress: skelact queue status --queue ${opened.address.display}`,
    );
  } finally {
    await opened.close();
  }
}

export const extractCommand: CommandModule<GlobalOptions, ExtractArgs> = {
  command: 'extract <input>',
  // Its one-line description is in src/cli/command-table.ts.
  builder: (y: Argv<GlobalOptions>) =>
    y
      .positional('input', {
        describe: 'a video file (or an image), or a folder of videos (searched recursively)',
        type: 'string',
        demandOption: true,
      })
      .option('out', {
        describe: 'pose file to write (<name>.poses.json), or a folder (one pose file per video)',
        type: 'string',
        demandOption: true,
      })
      .option('engine', {
        describe:
          'mediapipe: MediaPipe in headless Chromium; tfjs: BlazePose in-process; auto: mediapipe where Chromium is installed',
        choices: ['auto', 'mediapipe', 'tfjs'],
        default: 'auto' as const,
      })
      .option('pose-model', { describe: 'BlazePose model size [default: full]', choices: POSE_MODELS })
      // The old name, kept working: every other command's --model is a skelact model.
      .option('model', { describe: 'deprecated: use --pose-model', choices: POSE_MODELS, hidden: true })
      .option('persons', {
        describe: 'people to follow (more than 1: MoveNet multi-person detection and tracking)',
        type: 'number',
        default: 1,
      })
      .option('fps', { describe: "decode at this frame rate (default: the video's, at most 30)", type: 'number' })
      .option('width', {
        describe: 'decode at this width in pixels (height by aspect ratio)',
        type: 'number',
        default: 640,
      })
      .option('generic', {
        describe: 'also write one generic skeleton record per video to this .jsonl (for skelact prepare generic)',
        type: 'string',
      })
      .option('layout', {
        describe:
          'layout of the generic records: ntu-25 or kinect-20 (world, metres, Kinect axes), coco-17 (pixels + score), blazepose-33 (pixels, z, visibility)',
        choices: [...MAPPED_LAYOUTS, 'blazepose-33'],
        default: 'ntu-25' as const,
      })
      .option('label', { describe: 'label of the generic records', type: 'string' })
      .option('label-from-folder', {
        describe: "label each video's record with its folder's name (videos/squat/a.mp4 → squat)",
        type: 'boolean',
        default: false,
      })
      .option('min-visibility', {
        describe: 'generic records: joints below this visibility are written as missing',
        type: 'number',
        default: 0,
      })
      .option('queue', {
        describe:
          'add one job per video to this Redis queue (redis://host:port/db) instead of extracting here; skelact worker runs them. Videos and --out must be at the same paths on every worker (a shared folder)',
        type: 'string',
      })
      .option('queue-name', { describe: 'the queue in that Redis database', type: 'string', default: 'skelact' })
      .option('shard', {
        describe:
          'i/n: only every n-th video of the folder, starting at the i-th (0-based), for n machines or a Kubernetes Indexed Job without a queue',
        type: 'string',
      })
      .example('$0 extract clip.mp4 --out clip.poses.json', 'one video, one person')
      .example(
        '$0 extract videos/ --out poses/ --persons 2 --generic dataset.jsonl --label-from-folder',
        'a folder of two-person clips into a dataset',
      )
      .example('$0 extract clip.mp4 --out poses/ --engine tfjs --pose-model lite', 'in-process, no browser')
      .example(
        '$0 extract /shared/videos --out /shared/poses --queue redis://10.0.0.5:6379/0',
        'as jobs for workers on many machines (skelact worker --queue …)',
      ) as unknown as Argv<ExtractArgs>,
  handler: async (args: ArgumentsCamelCase<ExtractArgs>) => {
    if (args.model !== undefined)
      log(
        args,
        `--model is deprecated for extract (it names a skelact model elsewhere): use --pose-model ${args.model}`,
      );
    if (args.model !== undefined && args.poseModel !== undefined && args.model !== args.poseModel)
      throw new Error(
        `--pose-model ${args.poseModel} and the deprecated --model ${args.model} disagree: give only --pose-model`,
      );
    const poseModel: PoseModel = args.poseModel ?? args.model ?? 'full';
    if (!existsSync(args.input)) throw new Error(`${args.input}: no such file or folder`);
    const folder = statSync(args.input).isDirectory();
    const all = folder ? listVideos(args.input) : [args.input];
    const shard = args.shard === undefined ? undefined : parseShard(args.shard);
    const videos = shard ? all.filter((_, i) => i % shard.count === shard.index) : all;
    if (folder && all.length === 0)
      throw new Error(`${args.input}: no video files in this folder (looked for ${VIDEO_EXTENSIONS.join(' ')})`);
    const outIsDir = folder || args.out.endsWith('/') || (existsSync(args.out) && statSync(args.out).isDirectory());
    if (!outIsDir && !args.out.endsWith('.json'))
      throw new Error(`--out ${args.out}: give a .poses.json file for one video, or a folder`);
    // Before any decoding: a non-video input, and outputs that cannot be written, fail now.
    if (!folder) {
      const problem = mediaFileProblem(args.input);
      if (problem) throw new Error(problem);
    }
    checkWritable(args.out, outIsDir ? 'folder' : 'file', 'choose a writable place with --out');
    if (args.generic) checkWritable(args.generic, 'file', 'choose a writable file with --generic');
    if (outIsDir) mkdirSync(args.out, { recursive: true });
    else mkdirSync(dirname(resolve(args.out)), { recursive: true });
    // Where a video's pose file goes: the same place relative to --out as the video to the input folder.
    const outFor = (video: string) =>
      outIsDir
        ? join(args.out, folder ? join(dirname(relative(args.input, video)), poseFileName(video)) : poseFileName(video))
        : args.out;
    if (!(args.minVisibility >= 0 && args.minVisibility <= 1))
      throw new Error(`--min-visibility must be between 0 and 1, got ${args.minVisibility}`);

    const { engine: engineName, reason } = resolveEngine(args.engine);
    if (args.queue !== undefined) {
      if (!outIsDir) throw new Error(`--out ${args.out}: with --queue, give a folder (one pose file per video)`);
      if (args.generic)
        throw new Error(
          '--generic cannot be used with --queue (its records go into one file that one process writes): extract without --queue for them, or make them from the pose files with poseFileToGenericRecord (skelact/pose)',
        );
      return enqueueVideos(
        args,
        videos,
        (video) => outFor(video),
        {
          engine: engineName,
          poseModel,
          persons: args.persons,
          ...(args.fps !== undefined ? { fps: args.fps } : {}),
          width: args.width,
        },
        reason,
      );
    }
    const engine = await createPoseEngine(engineName, poseModel);
    log(args, `pose engine: ${engine.description}${args.engine === 'auto' ? ` (auto: ${reason})` : ''}`);
    let detector: PersonDetector | undefined;
    const results: Array<Record<string, unknown>> = [];
    const failed: Array<{ file: string; error: string }> = [];
    const records: string[] = [];
    const started = performance.now();
    let frameTotal = 0;
    try {
      if (args.persons > 1) detector = await createPersonDetector();
      const videoBar = folder
        ? createProgressBar({
            total: videos.length,
            unit: 'videos',
            extraFormat: '| {fps} frames/s | {failed} failed',
            extra: { fps: '-', failed: 0 },
            silent: args.json || args.quiet,
          })
        : undefined;
      for (const [i, video] of videos.entries()) {
        const name = folder
          ? relative(args.input, video).replace(/\.[^.]+$/, '')
          : basename(video).replace(/\.[^.]+$/, '');
        const out = outFor(video);
        let frameBar: ReturnType<typeof createProgressBar> | undefined;
        try {
          if (!folder) {
            const info = probeVideo(video);
            const g = decodeGeometry(info, { fps: args.fps, width: args.width });
            frameBar = createProgressBar({
              total: info.still ? 1 : Math.max(1, Math.round(info.durationSeconds * g.fps)),
              unit: 'frames',
              silent: args.json || args.quiet,
            });
          }
          const { poses, stats } = await extractToPoseFile(video, out, engine, {
            persons: args.persons,
            fps: args.fps,
            width: args.width,
            detector,
            onFrame: (done) => frameBar?.update(done),
          });
          frameBar?.stop();
          frameTotal += stats.frames;
          const row = {
            file: video,
            out,
            frames: stats.frames,
            framesWithPerson: stats.framesWithPerson,
            framesWithAllPersons: stats.framesWithAll,
            tracks: poses.tracks.length,
            seconds: Number(stats.seconds.toFixed(2)),
            fps: Number((stats.frames / stats.seconds).toFixed(1)),
          };
          results.push(row);
          if (args.generic) {
            if (poses.tracks.length === 0)
              failed.push({ file: video, error: 'no person found in any frame: no generic record written' });
            else {
              const label = args.labelFromFolder ? basename(dirname(video)) : args.label;
              records.push(
                JSON.stringify(
                  poseFileToGenericRecord(poses, {
                    layout: args.layout,
                    name,
                    label,
                    minVisibility: args.minVisibility,
                  }),
                ),
              );
            }
          }
          if (!folder)
            log(
              args,
              `${video}: ${stats.frames} frames, a person in ${stats.framesWithPerson}${args.persons > 1 ? `, all ${args.persons} in ${stats.framesWithAll}` : ''}, ${poses.tracks.length} track(s), ${row.fps} frames/s → ${out}`,
            );
        } catch (e) {
          frameBar?.stop();
          // One bad video is reported and skipped; the batch goes on.
          failed.push({ file: video, error: (e as Error).message });
          if (!folder) throw e;
        }
        videoBar?.update(i + 1, {
          fps: (frameTotal / ((performance.now() - started) / 1000)).toFixed(1),
          failed: failed.length,
        });
      }
      videoBar?.stop();
    } finally {
      detector?.close();
      await engine.close();
    }
    if (args.generic && records.length > 0) {
      mkdirSync(dirname(resolve(args.generic)), { recursive: true });
      writeFileAtomic(args.generic, `${records.join('\n')}\n`);
    }
    // Shards share --out: each writes its own report.
    const reportName = shard ? `report-${shard.index}-of-${shard.count}.json` : 'report.json';
    const report = {
      engine: engine.description,
      poseModel,
      persons: args.persons,
      videos: results,
      failed,
      generic:
        args.generic && records.length > 0
          ? { file: args.generic, records: records.length, layout: args.layout }
          : null,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
    if (folder) {
      try {
        writeFileAtomic(join(args.out, reportName), `${JSON.stringify(report, null, 2)}\n`);
      } catch (e) {
        // Checked writable at the start; should the disk fill up or the folder go away, the
        // per-video reasons are still shown.
        for (const f of failed) log(args, `  failed: ${f.file}: ${f.error}`);
        throw new Error(
          `${results.length} of ${videos.length} videos extracted, but the report could not be written: ${(e as Error).message}`,
        );
      }
    }
    // The good videos are written; the exit code still tells a script that some failed.
    exitWithFailures(failed.length);
    if (args.json) return printJson(report);
    if (folder) {
      print(
        `${results.length} of ${videos.length} videos extracted into ${args.out} (${frameTotal} frames, ${report.seconds} s); report: ${join(args.out, reportName)}`,
      );
      for (const f of failed) print(`  failed: ${f.file}: ${f.error}`);
    }
    if (report.generic)
      print(
        `generic records: ${report.generic.file} (${report.generic.records}, layout ${args.layout}); make a dataset with: skelact prepare generic --raw ${report.generic.file} --out <cache>`,
      );
  },
};
