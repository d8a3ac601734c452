/**
 * Video decoding with ffmpeg: probe a file (ffprobe), then stream its frames as RGBA at a
 * fixed frame rate and width (the height follows the aspect ratio, rounded to even).
 *
 * The binaries are Debian's `ffmpeg` package (installed by `npm run setup:pose`), found on
 * PATH, or the files named by SKELACT_FFMPEG / SKELACT_FFPROBE.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mediaFileProblem } from './media-type.js';
import type { VideoFrame } from './types.js';
import { SkelactError, optionName } from '../core/errors.js';

export class VideoError extends SkelactError {
  readonly code = 'video';

  constructor(message: string) {
    super(message);
  }
}

/** Says what to install when a tool is missing. */
export class MissingToolError extends SkelactError {
  readonly code = 'tool-missing';

  constructor(message: string) {
    super(message);
  }
}

const INSTALL_HINT =
  "run 'npm run setup:pose' (installs Debian's ffmpeg and chromium with apt-get), or 'sudo apt-get install ffmpeg'";

function binary(tool: 'ffmpeg' | 'ffprobe'): string {
  const env = tool === 'ffmpeg' ? process.env.SKELACT_FFMPEG : process.env.SKELACT_FFPROBE;
  const path = env && env.length > 0 ? env : tool;
  const probe = spawnSync(path, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const where = env
      ? `${tool === 'ffmpeg' ? 'SKELACT_FFMPEG' : 'SKELACT_FFPROBE'}=${env} does not run`
      : `${tool} is not installed (not found on PATH)`;
    throw new MissingToolError(
      `${where}: ${INSTALL_HINT}; or set ${tool === 'ffmpeg' ? 'SKELACT_FFMPEG' : 'SKELACT_FFPROBE'} to a ${tool} binary`,
    );
  }
  return path;
}

const cache = new Map<string, string>();
function tool(name: 'ffmpeg' | 'ffprobe'): string {
  let path = cache.get(name);
  if (!path) cache.set(name, (path = binary(name)));
  return path;
}

/** The ffmpeg version line ("ffmpeg version 5.1.9-0+deb12u1"), or throws MissingToolError. */
export function ffmpegVersion(): string {
  return spawnSync(tool('ffmpeg'), ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
}

export interface VideoInfo {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  /** Frames per second of the stream (1 for a still image). */
  readonly fps: number;
  readonly durationSeconds: number;
  /** Frames in the stream, when the container says. */
  readonly frames?: number;
  readonly codec: string;
  /** A single picture (PNG, JPEG…), decoded as one frame. */
  readonly still: boolean;
}

function rate(text: string | undefined): number {
  if (!text) return 0;
  const [n, d] = text.split('/').map(Number);
  return d ? n / d : n;
}

/** Reads a file's first video stream: size, frame rate, duration. Errors name the file and the problem. */
export function probeVideo(file: string): VideoInfo {
  if (!existsSync(file)) throw new VideoError(`${file}: no such file`);
  if (statSync(file).isDirectory()) throw new VideoError(`${file}: is a folder, not a video`);
  if (statSync(file).size === 0) throw new VideoError(`${file}: empty file (0 bytes), not a video`);
  const problem = mediaFileProblem(file);
  if (problem) throw new VideoError(problem);
  const r = spawnSync(
    tool('ffprobe'),
    ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) {
    const why = (r.stderr || '').trim().split('\n').pop() ?? 'unknown error';
    throw new VideoError(`${file}: not a video ffmpeg can read (${why.replace(`${file}: `, '')})`);
  }
  const info = JSON.parse(r.stdout) as {
    streams?: Array<Record<string, string | number | undefined>>;
    format?: Record<string, string | undefined>;
  };
  const streams = info.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  if (!video) {
    if (streams.length === 0)
      throw new VideoError(
        `${file}: zero-length video: the container holds no streams (duration ${Number(info.format?.duration ?? 0)} s)`,
      );
    throw new VideoError(
      `${file}: has no video stream (streams: ${streams.map((s) => String(s.codec_type)).join(', ')})`,
    );
  }
  const formatName = info.format?.format_name ?? '';
  const still = /image2|_pipe$|^png|^mjpeg|^bmp|^webp/.test(formatName) && !(Number(video.nb_frames) > 1);
  const width = Number(video.width);
  const height = Number(video.height);
  if (!(width > 0 && height > 0)) throw new VideoError(`${file}: the video stream has no frame size`);
  const fps = still ? 1 : rate(String(video.avg_frame_rate ?? '')) || rate(String(video.r_frame_rate ?? ''));
  const durationSeconds = still ? 1 : Number(video.duration ?? info.format?.duration ?? 0);
  const frames = video.nb_frames !== undefined && video.nb_frames !== 'N/A' ? Number(video.nb_frames) : undefined;
  if (!still && (!(durationSeconds > 0) || frames === 0))
    throw new VideoError(`${file}: zero-length video (duration ${durationSeconds} s, ${frames ?? 0} frames)`);
  if (!still && !(fps > 0)) throw new VideoError(`${file}: the video stream has no frame rate`);
  return { file, width, height, fps, durationSeconds, frames, codec: String(video.codec_name ?? 'unknown'), still };
}

export interface DecodeOptions {
  /** Frames per second to decode at (default: the file's own rate, at most 30). */
  readonly fps?: number;
  /** Output width in pixels (default 640; never wider than the source). */
  readonly width?: number;
}

/** The decoded size and rate for a probed video and options. */
export function decodeGeometry(
  info: VideoInfo,
  options: DecodeOptions = {},
): { fps: number; width: number; height: number } {
  const fps = info.still ? 1 : (options.fps ?? Math.min(30, info.fps));
  if (!(fps > 0)) throw new VideoError(`${optionName('fps')} must be positive, got ${options.fps}`);
  const wanted = options.width ?? 640;
  if (!(Number.isInteger(wanted) && wanted >= 16))
    throw new VideoError(`${optionName('width')} must be an integer of at least 16 pixels, got ${options.width}`);
  const width = Math.min(wanted, info.width) & ~1;
  const height = Math.max(2, Math.round((width * info.height) / info.width / 2) * 2);
  return { fps, width, height };
}

/**
 * The frames of a video, decoded by ffmpeg at a fixed rate and size, as RGBA. Reading waits
 * for the consumer (back-pressure), so memory stays at a few frames whatever the length.
 */
export async function* decodeVideo(
  info: VideoInfo,
  options: DecodeOptions = {},
  signal?: AbortSignal,
): AsyncGenerator<VideoFrame> {
  const { fps, width, height } = decodeGeometry(info, options);
  const args = [
    '-v',
    'error',
    '-nostdin',
    '-i',
    info.file,
    '-an',
    '-sn',
    '-vf',
    info.still ? `scale=${width}:${height}:flags=bilinear` : `fps=${fps},scale=${width}:${height}:flags=bilinear`,
    ...(info.still ? ['-frames:v', '1'] : []),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    'pipe:1',
  ];
  const child = spawn(tool('ffmpeg'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const onAbort = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort);
  const frameBytes = width * height * 4;
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  let index = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          yield { index, timestampMs: (index * 1000) / fps, width, height, rgba: frame };
          index++;
          frame = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    const code = await exited;
    if (signal?.aborted) return;
    if (code !== 0)
      throw new VideoError(
        `${info.file}: ffmpeg failed (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' ') || 'no message'}`,
      );
    if (index === 0) throw new VideoError(`${info.file}: ffmpeg decoded no frames (zero-length or unreadable video)`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
