// A Node fitness backend: phones send MediaPipe PoseLandmarker results over a WebSocket, the
// server answers with the current action and the repetition count.
//
//   npm install ws
//   node examples/fitness-backend.mjs <model> [<pose model>|<samples.csv> <count class>] [port]
//   node examples/fitness-backend.mjs nw-ucla fitness squats_down        (the shipped models only)
//
// <model> and <pose model> are saved model folders or shipped names (skelact models); the
// repetition counter classifies each pose with the pose model, or by ML Kit's k-NN over a
// samples CSV.
//
// Each message from the client is one frame:
//   { "timestampMs": 1234, "width": 640, "height": 480,
//     "landmarks": [[x, y, z, visibility] × 33] | null,      (normalised image landmarks)
//     "worldLandmarks": [[x, y, z] × 33] | null }              (metres)
// and each reply: { "events": [...stream events...], "top": [{label, score}], "reps": n }.
import { WebSocketServer } from 'ws';
import { readFileSync } from 'node:fs';
import { initBackend } from 'skelact/node';
import {
  mapPose,
  StreamClassifier,
  EmaSmoothing,
  RepetitionCounter,
  poseLayoutFor,
  poseClassifierFromCsv,
  poseClassNamed,
  ModelPoseClassifier,
} from 'skelact';

const [modelDir, poseSource, countClassGiven, portText] = process.argv.slice(2);
if (!modelDir || (poseSource && !countClassGiven))
  throw new Error('usage: node examples/fitness-backend.mjs <model> [<pose model>|<samples.csv> <count class>] [port]');
await initBackend('auto');

const poseClassifier = !poseSource
  ? null
  : poseSource.endsWith('.csv')
    ? poseClassifierFromCsv(readFileSync(poseSource, 'utf8'), poseSource)
    : ModelPoseClassifier.load(poseSource);
// The classifier's own spelling of the class ("squats_down" is "squats down" in the fitness model).
const countClass = poseClassifier ? poseClassNamed(poseClassifier.classes, countClassGiven) : null;
const server = new WebSocketServer({ host: '127.0.0.1', port: Number(portText ?? 8766) });

server.on('connection', (socket) => {
  // One classifier and one counter per client: each keeps its own window and state.
  const classifier = StreamClassifier.load(modelDir, { stride: 8 });
  const layout = poseLayoutFor(classifier.manifest.layout);
  const range = poseClassifier?.confidenceRange ?? 1;
  const smoothing = new EmaSmoothing(10, 0.2, 1000);
  const counter = poseClassifier ? new RepetitionCounter(countClass, 0.6 * range, 0.4 * range) : null;
  let top = [];
  socket.on('message', (data) => {
    const f = JSON.parse(String(data));
    let persons = null;
    if (f.landmarks && f.worldLandmarks) {
      const pose = { image: f.landmarks, world: f.worldLandmarks, box: [0, 0, f.width, f.height], score: 1 };
      persons = [
        layout === 'blazepose-33'
          ? f.landmarks.map(([x, y, z, v]) => [x * f.width, y * f.height, z * f.width, v])
          : mapPose(pose, layout, f.width, f.height).joints,
      ];
      if (counter)
        counter.add(
          smoothing.add(
            poseClassifier.classify(f.landmarks.map(([x, y, z]) => [x * f.width, y * f.height, z * f.width])),
            f.timestampMs,
          ),
        );
    } else if (counter) smoothing.add(new Map(), f.timestampMs);
    const events = classifier.push({ timestampMs: f.timestampMs, persons });
    for (const e of events) if (e.type === 'scores') top = e.top;
    socket.send(JSON.stringify({ events, top, reps: counter ? counter.count : null }));
  });
  socket.on('close', () => classifier.dispose());
});
server.on('listening', () => console.log(`fitness backend on ws://127.0.0.1:${server.address().port}`));
