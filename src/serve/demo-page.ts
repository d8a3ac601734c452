/**
 * The demo page of `skelact demo-web`: webcam (or a dropped video file) → MediaPipe
 * PoseLandmarker in the page → skelact's stream classifier and repetition counter in the page
 * (the browser bundle), with the skeleton drawn over the video, the current action and its
 * score, a timeline and the repetition count. Everything is served from localhost.
 *
 * `window.skelactDemo` exposes the page's state (for tests and for people curious in the
 * console), and `classifyFrames(frames)` runs a fresh classifier of the same model over given
 * frames, so a test can compare the page's scores with Node's.
 */
export const DEMO_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>skelact demo</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; max-width: 980px; }
#stage { position: relative; display: inline-block; background: #111; min-width: 320px; min-height: 240px; }
#stage video { display: block; max-width: 960px; }
#stage canvas { position: absolute; left: 0; top: 0; pointer-events: none; }
#drop { border: 2px dashed #aaa; padding: 10px; margin: 8px 0; color: #555; }
#drop.over { border-color: #4a7; color: #222; }
#label { font-size: 24px; font-weight: 600; min-height: 1.3em; }
#top, #status { color: #555; }
#reps { font-size: 20px; }
#timeline { position: relative; height: 20px; background: #eee; margin: 6px 0; }
#timeline div { position: absolute; top: 0; height: 20px; background: #4a7; color: #fff; font-size: 11px; overflow: hidden; white-space: nowrap; }
</style></head><body>
<h1 style="font-size:18px">skelact · live action recognition</h1>
<div id="status">loading…</div>
<div id="drop">No camera? Drop a video file here (or <input type="file" id="file" accept="video/*">).</div>
<div id="stage"><video id="video" playsinline muted></video><canvas id="canvas"></canvas></div>
<div id="label"></div><div id="top"></div>
<div id="timeline"></div>
<div id="reps"></div>
<script type="module">
import * as sk from '/skelact.js';
import { FilesetResolver, PoseLandmarker } from '/mp/vision_bundle.mjs';

const cfg = await (await fetch('/config.json')).json();
const $ = (id) => document.getElementById(id);
const state = window.skelactDemo = { ready: false, backend: null, frames: 0, posesFound: 0, drawn: 0, label: '', top: [], events: [], reps: 0, error: null };
try {
  sk.setWasmPaths('/tfjs-wasm/');
  state.backend = await sk.chooseBackend(cfg.backend ? [cfg.backend] : undefined);
  const classifier = await sk.streamClassifierFromUrl('/model/', cfg.classifier || {});
  const layout = classifier.manifest.layout;
  const mapLayout = sk.poseLayoutFor(layout);
  const poseClassifier = cfg.counter === 'samples' ? sk.poseClassifierFromCsv(await (await fetch('/samples.csv')).text())
    : cfg.counter === 'model' ? await sk.poseModelClassifierFromUrl('/reps-model/') : null;
  // For tests and the console: one pose's confidence per class from the counter's classifier.
  state.classifyPose = (landmarks) => Object.fromEntries(poseClassifier.classify(landmarks));
  state.countClass = cfg.countClass;
  const range = poseClassifier ? poseClassifier.confidenceRange : 10;
  const smoothing = new sk.EmaSmoothing(10, 0.2, 1000);
  const counter = poseClassifier ? new sk.RepetitionCounter(cfg.countClass, 0.6 * range, 0.4 * range) : null;
  const landmarker = await PoseLandmarker.createFromOptions(await FilesetResolver.forVisionTasks('/mp/wasm'), {
    baseOptions: { modelAssetPath: '/models/pose_landmarker_' + cfg.poseModel + '.task', delegate: 'CPU' },
    runningMode: 'VIDEO', numPoses: 1,
  });
  const bones = sk.getLayout('blazepose-33').bones;
  const video = $('video'), canvas = $('canvas'), ctx = canvas.getContext('2d');
  const segments = [];
  let open = null, lastVideoTime = -1, lastTs = -1;
  // World landmarks are hip-centred: the person's path comes back from the image landmarks (src/pose/trajectory.ts).
  let live = null, liveSize = '';

  state.setBackend = async (name) => (state.backend = await sk.chooseBackend([name]));
  state.classifyFrames = (frames, options) => {
    const c = new sk.StreamClassifier(classifier.model, classifier.manifest, options || cfg.classifier || {});
    const events = [];
    for (const f of frames) events.push(...c.push(f));
    events.push(...c.flush());
    return events;
  };

  function drawTimeline(now) {
    const el = $('timeline');
    el.innerHTML = '';
    const span = Math.max(10000, now);
    for (const s of [...segments, ...(open ? [{ ...open, endMs: now }] : [])]) {
      const d = document.createElement('div');
      d.style.left = (100 * s.startMs / span) + '%';
      d.style.width = Math.max(0.5, 100 * (s.endMs - s.startMs) / span) + '%';
      d.textContent = s.label;
      el.appendChild(d);
    }
  }

  function onFrame() {
    if (video.readyState >= 2 && video.currentTime !== lastVideoTime) {
      lastVideoTime = video.currentTime;
      let ts = performance.now();
      if (ts <= lastTs) ts = lastTs + 1;
      lastTs = ts;
      const r = landmarker.detectForVideo(video, ts);
      state.frames++;
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      canvas.style.width = video.clientWidth + 'px'; canvas.style.height = video.clientHeight + 'px';
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      let persons = null;
      if (r.landmarks && r.landmarks.length > 0) {
        state.posesFound++;
        const lm = r.landmarks[0];
        const W = canvas.width, H = canvas.height;
        ctx.strokeStyle = '#f44'; ctx.fillStyle = '#f44'; ctx.lineWidth = 3;
        for (const [a, b] of bones) { ctx.beginPath(); ctx.moveTo(lm[a].x * W, lm[a].y * H); ctx.lineTo(lm[b].x * W, lm[b].y * H); ctx.stroke(); }
        for (const p of lm) { ctx.beginPath(); ctx.arc(p.x * W, p.y * H, 3, 0, 6.283); ctx.fill(); }
        state.drawn++;
        const pose = { image: lm.map((p) => [p.x, p.y, p.z, p.visibility ?? 0]), world: r.worldLandmarks[0].map((p) => [p.x, p.y, p.z]), box: [0, 0, W, H], score: 1 };
        if (liveSize !== W + 'x' + H) { live = new sk.LiveTrajectory(W, H); liveSize = W + 'x' + H; }
        const joints = mapLayout === 'blazepose-33' ? pose.image.map(([x, y, z, v]) => [x * W, y * H, z * W, v]) : sk.mapPose(pose, mapLayout, W, H, live.push(pose)).joints;
        persons = [joints];
        if (poseClassifier) {
          const smoothed = smoothing.add(poseClassifier.classify(pose.image.map(([x, y, z]) => [x * W, y * H, z * W])), ts);
          if (counter.add(smoothed)) state.reps = counter.count;
        }
      } else if (poseClassifier) smoothing.add(new Map(), ts);
      for (const e of classifier.push({ timestampMs: ts, persons })) {
        state.events.push(e);
        if (e.type === 'scores') { state.top = e.top; $('top').textContent = e.top.map((c) => c.label + ' ' + c.score.toFixed(2)).join(' · '); }
        if (e.type === 'start') { open = { label: e.label, startMs: e.timestampMs }; state.label = e.label; $('label').textContent = e.label + ' (' + e.score.toFixed(2) + ')'; }
        if (e.type === 'end') { if (open) segments.push({ ...open, endMs: e.timestampMs }); open = null; state.label = ''; $('label').textContent = ''; }
      }
      drawTimeline(ts);
      if (counter) $('reps').textContent = cfg.countClass + ': ' + counter.count + ' repetition' + (counter.count === 1 ? '' : 's');
    }
    requestAnimationFrame(onFrame);
  }

  async function useFile(file) {
    video.srcObject = null;
    video.src = URL.createObjectURL(file);
    video.loop = true;
    await video.play();
  }
  $('file').onchange = (e) => e.target.files[0] && useFile(e.target.files[0]);
  const drop = $('drop');
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) useFile(e.dataTransfer.files[0]); };
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    await video.play();
    $('status').textContent = 'camera on · TensorFlow.js ' + state.backend + ' · model ' + classifier.manifest.kind + ' (' + classifier.manifest.classNames.length + ' classes)';
  } catch (e) {
    $('status').textContent = 'no camera (' + e.message + '): drop a video file · TensorFlow.js ' + state.backend;
  }
  state.ready = true;
  requestAnimationFrame(onFrame);
} catch (e) {
  state.error = String(e && e.stack || e);
  $('status').textContent = 'error: ' + e.message;
}
</script></body></html>
`;
