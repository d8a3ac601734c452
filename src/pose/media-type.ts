/**
 * What a file is, from its first bytes and its name, before ffmpeg sees it: ffmpeg decodes
 * almost anything (a text file becomes "video" through its tty demuxer), so a file is taken as a
 * video or picture only when its content starts with a known container signature and its
 * extension, if it has one, is a video or picture extension.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { printableBytes } from '../util/printable.js';

/** Video file types extract takes from a folder. */
export const VIDEO_EXTENSIONS = [
  '.mp4',
  '.m4v',
  '.mov',
  '.avi',
  '.mkv',
  '.webm',
  '.mpg',
  '.mpeg',
  '.wmv',
  '.flv',
  '.3gp',
  '.ts',
  '.mts',
  '.m2ts',
  '.ogv',
  '.y4m',
];
/** Still pictures, decoded as one frame. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.webp', '.gif'];

interface Signature {
  readonly container: string;
  /** Byte offset of the magic bytes. */
  readonly at: number;
  /** Magic bytes; a string is ASCII. */
  readonly magic: string | readonly number[];
  /** A second check, when the magic alone is too short to be sure. */
  readonly also?: { readonly at: number; readonly magic: string | readonly number[] };
}

/** Container signatures (the first bytes each format's specification fixes). */
const SIGNATURES: readonly Signature[] = [
  { container: 'MP4 / QuickTime / 3GP (ftyp box)', at: 4, magic: 'ftyp' },
  { container: 'QuickTime (moov box)', at: 4, magic: 'moov' },
  { container: 'QuickTime (mdat box)', at: 4, magic: 'mdat' },
  { container: 'QuickTime (wide box)', at: 4, magic: 'wide' },
  { container: 'QuickTime (free box)', at: 4, magic: 'free' },
  { container: 'Matroska / WebM', at: 0, magic: [0x1a, 0x45, 0xdf, 0xa3] },
  { container: 'AVI', at: 0, magic: 'RIFF', also: { at: 8, magic: 'AVI ' } },
  { container: 'WebP', at: 0, magic: 'RIFF', also: { at: 8, magic: 'WEBP' } },
  { container: 'MPEG program stream', at: 0, magic: [0x00, 0x00, 0x01, 0xba] },
  { container: 'MPEG video elementary stream', at: 0, magic: [0x00, 0x00, 0x01, 0xb3] },
  { container: 'MPEG transport stream', at: 0, magic: [0x47], also: { at: 188, magic: [0x47] } },
  { container: 'MPEG transport stream (M2TS)', at: 4, magic: [0x47], also: { at: 196, magic: [0x47] } },
  { container: 'Flash video', at: 0, magic: 'FLV' },
  { container: 'ASF / WMV', at: 0, magic: [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11] },
  { container: 'Ogg', at: 0, magic: 'OggS' },
  { container: 'YUV4MPEG2', at: 0, magic: 'YUV4MPEG2' },
  { container: 'PNG', at: 0, magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { container: 'JPEG', at: 0, magic: [0xff, 0xd8, 0xff] },
  { container: 'GIF', at: 0, magic: 'GIF8' },
  { container: 'BMP', at: 0, magic: 'BM', also: { at: 6, magic: [0, 0, 0, 0] } },
];

function matches(head: Uint8Array, at: number, magic: string | readonly number[]): boolean {
  const bytes = typeof magic === 'string' ? [...magic].map((c) => c.charCodeAt(0)) : magic;
  if (head.length < at + bytes.length) return false;
  return bytes.every((b, i) => head[at + i] === b);
}

/** The container a file's first bytes announce, or undefined. */
export function sniffContainer(head: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => matches(head, s.at, s.magic) && (!s.also || matches(head, s.also.at, s.also.magic)))
    ?.container;
}

/** True when the bytes hold no control characters but tabs and line ends: text (any UTF-8), never a video or picture. */
function isText(head: Uint8Array): boolean {
  return head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f));
}

/**
 * Why `file` is not a video or picture (by its first bytes and its extension), naming the
 * file, what it looks like and what is accepted; undefined when it is one.
 */
export function mediaFileProblem(file: string): string | undefined {
  if (statSync(file).isDirectory()) return `${file}: is a folder, not a video`;
  const head = new Uint8Array(512);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const bytes = head.subarray(0, n);
  if (n === 0) return `${file}: empty file (0 bytes), not a video`;
  const ext = extname(file).toLowerCase();
  // Text first: a short signature ('BM', 'G' every 188 bytes) can occur in text by chance.
  const container = isText(bytes) ? undefined : sniffContainer(bytes);
  if (!container) {
    const content = isText(bytes)
      ? 'its content is text'
      : `its first bytes (${printableBytes(bytes.subarray(0, 8))}) are no video or picture format`;
    return `${file}: not a video or picture: ${content}${ext && !VIDEO_EXTENSIONS.includes(ext) && !IMAGE_EXTENSIONS.includes(ext) ? ` and ${ext} is not a video extension` : ''} (videos: ${VIDEO_EXTENSIONS.join(' ')}; pictures: ${IMAGE_EXTENSIONS.join(' ')})`;
  }
  if (ext && !VIDEO_EXTENSIONS.includes(ext) && !IMAGE_EXTENSIONS.includes(ext)) {
    return `${file}: the content is ${container} but ${ext} is not a video or picture extension; rename it (videos: ${VIDEO_EXTENSIONS.join(' ')}; pictures: ${IMAGE_EXTENSIONS.join(' ')})`;
  }
  return undefined;
}
