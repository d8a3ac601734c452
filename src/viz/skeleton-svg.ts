/**
 * A strip of skeleton drawings (SVG) for looking at data: evenly spaced frames of a clip,
 * side by side at one scale, bones coloured by body side. Used by `skelact inspect --plot`.
 */
import type { SkeletonClip } from '../graph/clip.js';
import type { Layout } from '../graph/layout.js';

export interface SkeletonSvgOptions {
  /** Number of frames drawn (evenly spaced), default 8. */
  readonly panels?: number;
  readonly title?: string;
  /** Panel size in pixels. */
  readonly panelSize?: number;
  /** Coordinate channels drawn horizontally and vertically (default 0 = x, 1 = y). */
  readonly axes?: readonly [number, number];
  /** True when the vertical axis points up in the data (Kinect camera space); image layouts point down. */
  readonly yUp?: boolean;
}

const SIDE_COLOURS = { left: '#1f77b4', right: '#d62728', centre: '#555555' };
const PERSON_DASH = ['', '4 2', '1 2'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function side(name: string): keyof typeof SIDE_COLOURS {
  if (/left/i.test(name)) return 'left';
  if (/right/i.test(name)) return 'right';
  return 'centre';
}

/** Layouts whose y axis points up (Kinect camera space); image-space layouts point down. */
export function layoutYUp(layout: Layout): boolean {
  return layout.name === 'ntu-25' || layout.name === 'kinect-20';
}

export function renderSkeletonSvg(clip: SkeletonClip, layout: Layout, options: SkeletonSvgOptions = {}): string {
  if (clip.joints !== layout.numJoints)
    throw new Error(`clip has ${clip.joints} joints, layout ${layout.name} has ${layout.numJoints}`);
  const panels = Math.max(1, Math.min(options.panels ?? 8, clip.frames));
  const size = options.panelSize ?? 160;
  const [ax, ay] = options.axes ?? [0, 1];
  const yUp = options.yUp ?? layoutYUp(layout);
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const frames = Array.from({ length: panels }, (_, i) =>
    panels === 1 ? 0 : Math.round((i * (T - 1)) / (panels - 1)),
  );
  const present = (m: number, t: number, v: number) => {
    const o = ((m * T + t) * V + v) * C;
    for (let c = 0; c < C; c++) if (clip.data[o + c] !== 0) return true;
    return false;
  };
  const value = (m: number, t: number, v: number, c: number) => clip.data[((m * T + t) * V + v) * C + c];
  // One scale for every panel: the bounding box of all drawn joints.
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const t of frames) {
    for (let m = 0; m < M; m++) {
      for (let v = 0; v < V; v++) {
        if (!present(m, t, v)) continue;
        xMin = Math.min(xMin, value(m, t, v, ax));
        xMax = Math.max(xMax, value(m, t, v, ax));
        yMin = Math.min(yMin, value(m, t, v, ay));
        yMax = Math.max(yMax, value(m, t, v, ay));
      }
    }
  }
  if (!Number.isFinite(xMin)) {
    xMin = yMin = -1;
    xMax = yMax = 1;
  }
  const span = Math.max(xMax - xMin, yMax - yMin, 1e-6);
  const pad = 12;
  const scale = (size - 2 * pad) / span;
  const cx = (xMin + xMax) / 2;
  const cy = (yMin + yMax) / 2;
  const titleHeight = options.title ? 22 : 0;
  const width = panels * size;
  const height = size + titleHeight + 16;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  if (options.title) parts.push(`<text x="6" y="16" font-size="13">${escapeXml(options.title)}</text>`);
  frames.forEach((t, i) => {
    const ox = i * size + size / 2;
    const oy = titleHeight + size / 2;
    // Kinect camera space has x towards the sensor's left: mirror it so the drawing looks like
    // the colour camera's picture (the subject's left on the viewer's right).
    const px = (m: number, v: number) => ox + (yUp ? -1 : 1) * (value(m, t, v, ax) - cx) * scale;
    const py = (m: number, v: number) => oy + (yUp ? -1 : 1) * (value(m, t, v, ay) - cy) * scale;
    parts.push(
      `<g><rect x="${i * size + 1}" y="${titleHeight + 1}" width="${size - 2}" height="${size - 2}" fill="none" stroke="#ddd"/>`,
    );
    for (let m = 0; m < M; m++) {
      const dash = PERSON_DASH[m % PERSON_DASH.length];
      for (const [c, p] of layout.bones) {
        if (!present(m, t, c) || !present(m, t, p)) continue;
        const colour = SIDE_COLOURS[side(layout.jointNames[c])];
        parts.push(
          `<line x1="${px(m, c).toFixed(1)}" y1="${py(m, c).toFixed(1)}" x2="${px(m, p).toFixed(1)}" y2="${py(m, p).toFixed(1)}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
        );
      }
      for (let v = 0; v < V; v++) {
        if (present(m, t, v))
          parts.push(`<circle cx="${px(m, v).toFixed(1)}" cy="${py(m, v).toFixed(1)}" r="2" fill="#222"/>`);
      }
    }
    parts.push(
      `<text x="${i * size + 6}" y="${titleHeight + size + 12}" font-size="11" fill="#444">frame ${t}</text></g>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
