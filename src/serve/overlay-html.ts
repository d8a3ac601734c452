/**
 * A self-contained HTML page that plays a clip's poses with the recognised action drawn on
 * them: the skeletons (image landmarks) on a canvas over the video (when the page can reach
 * it by a relative path) or on a blank stage, the current label and score, and the timeline.
 */
import { getLayout } from '../graph/layout.js';
import type { PoseFile } from '../pose/types.js';
import type { StreamEvent } from './stream-classifier.js';
import type { TimelineSegment } from './timeline.js';

export interface OverlayInput {
  readonly title: string;
  readonly poses: PoseFile;
  /** Video path relative to the HTML file, if there is one to play underneath. */
  readonly videoSrc?: string;
  readonly timeline: readonly TimelineSegment[];
  readonly scores: ReadonlyArray<Extract<StreamEvent, { type: 'scores' }>>;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function overlayHtml(input: OverlayInput): string {
  const { poses } = input;
  const bones = getLayout('blazepose-33').bones.map(([a, b]) => [a, b]);
  const data = {
    width: poses.extraction.width,
    height: poses.extraction.height,
    fps: poses.extraction.fps,
    bones,
    // Compact: per frame, per person, [track, x0, y0, x1, y1, …] in pixels (3 decimals).
    frames: poses.frames.map((f) =>
      f.people.map((p) => [
        p.track,
        ...p.image.flatMap(([x, y]) => [
          Math.round(x * poses.extraction.width * 10) / 10,
          Math.round(y * poses.extraction.height * 10) / 10,
        ]),
      ]),
    ),
    timeline: input.timeline,
    scores: input.scores.map((s) => ({
      t: s.timestampMs,
      top: s.top.map((c) => [c.label, Math.round(c.score * 1000) / 1000]),
    })),
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const video = input.videoSrc
    ? `<video id="video" src="${escapeHtml(input.videoSrc)}" muted playsinline controls></video>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
#stage { position: relative; display: inline-block; background: #111; }
#stage video, #stage canvas { display: block; width: ${data.width}px; height: ${data.height}px; }
#stage canvas { position: absolute; left: 0; top: 0; pointer-events: none; }
#label { font-size: 20px; font-weight: 600; margin: 8px 0; min-height: 1.4em; }
#bar { position: relative; height: 22px; width: ${data.width}px; background: #eee; margin-top: 6px; }
#bar div { position: absolute; top: 0; height: 22px; background: #4a7; color: #fff; font-size: 11px; overflow: hidden; white-space: nowrap; }
#cursor { position: absolute; top: -3px; width: 2px; height: 28px; background: #c33; }
table { border-collapse: collapse; margin-top: 10px; } td, th { padding: 2px 10px; text-align: left; }
</style></head><body>
<h1 style="font-size:18px">${escapeHtml(input.title)}</h1>
<div id="stage">${video}<canvas id="canvas" width="${data.width}" height="${data.height}"></canvas></div>
<div id="label"></div>
<div id="bar"><span id="cursor"></span></div>
<p><button id="play">play / pause</button> <span id="time"></span></p>
<table><thead><tr><th>action</th><th>from (s)</th><th>to (s)</th><th>peak score</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const D = ${json};
const canvas = document.getElementById('canvas');
const ctx = canvas.getContext('2d');
const video = document.getElementById('video');
const duration = D.frames.length / D.fps;
const colours = ['#f44', '#4cf', '#fc4', '#c6f', '#6f6', '#f8a'];
const bar = document.getElementById('bar');
for (const s of D.timeline) {
  const d = document.createElement('div');
  d.style.left = (100 * s.startMs / 1000 / duration) + '%';
  d.style.width = (100 * (s.endMs - s.startMs) / 1000 / duration) + '%';
  d.textContent = s.label;
  d.title = s.label + ' ' + (s.startMs / 1000).toFixed(2) + '–' + (s.endMs / 1000).toFixed(2) + ' s';
  bar.appendChild(d);
  const tr = document.createElement('tr');
  tr.innerHTML = '<td></td><td>' + (s.startMs / 1000).toFixed(2) + '</td><td>' + (s.endMs / 1000).toFixed(2) + '</td><td>' + s.peakScore.toFixed(2) + '</td>';
  tr.firstChild.textContent = s.label;
  document.getElementById('rows').appendChild(tr);
}
let start = performance.now(), paused = false, pausedAt = 0;
document.getElementById('play').onclick = () => {
  if (video) { video.paused ? video.play() : video.pause(); return; }
  if (paused) { start = performance.now() - pausedAt * 1000; paused = false; } else { pausedAt = now(); paused = true; }
};
function now() {
  if (video && video.readyState > 0 && !video.error) return video.currentTime;
  if (paused) return pausedAt;
  return ((performance.now() - start) / 1000) % duration;
}
function scoresAt(t) {
  let best = null;
  for (const s of D.scores) { if (s.t / 1000 <= t) best = s; else break; }
  return best;
}
function draw() {
  const t = now();
  const f = Math.min(D.frames.length - 1, Math.max(0, Math.round(t * D.fps)));
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const p of D.frames[f] || []) {
    const c = colours[p[0] % colours.length];
    ctx.strokeStyle = c; ctx.fillStyle = c; ctx.lineWidth = 3;
    for (const [a, b] of D.bones) { ctx.beginPath(); ctx.moveTo(p[1 + 2 * a], p[2 + 2 * a]); ctx.lineTo(p[1 + 2 * b], p[2 + 2 * b]); ctx.stroke(); }
    for (let i = 0; i < 33; i++) { ctx.beginPath(); ctx.arc(p[1 + 2 * i], p[2 + 2 * i], 3, 0, 2 * Math.PI); ctx.fill(); }
  }
  const seg = D.timeline.find((s) => s.startMs / 1000 <= t && t <= s.endMs / 1000);
  const sc = scoresAt(t);
  document.getElementById('label').textContent = seg ? seg.label : (sc ? '(' + sc.top[0][0] + ' ' + sc.top[0][1].toFixed(2) + ')' : '');
  document.getElementById('cursor').style.left = (100 * t / duration) + '%';
  document.getElementById('time').textContent = t.toFixed(2) + ' s / ' + duration.toFixed(2) + ' s' + (sc ? ' · ' + sc.top.map((c) => c[0] + ' ' + c[1].toFixed(2)).join(', ') : '');
  requestAnimationFrame(draw);
}
draw();
</script></body></html>
`;
}
