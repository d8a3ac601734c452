/** The person tracker on hand-made detections: identities kept through crossings, gaps and exits. */
import test from 'ava';
import { PersonTracker, iou, keypointSimilarity, regionAround } from '../../src/pose/tracker.js';
import type { PersonDetection } from '../../src/pose/types.js';

/** A person as a box centred at (cx, 200), 60×160 px, with 17 keypoints spread over the box. */
function person(cx: number, score = 0.9, cy = 200): PersonDetection {
  const box = [cx - 30, cy - 80, cx + 30, cy + 80] as const;
  const keypoints = Array.from(
    { length: 17 },
    (_, k) => [cx + ((k % 3) - 1) * 20, cy - 80 + (k * 160) / 16, 0.9] as [number, number, number],
  );
  return { box, score, keypoints };
}

test('iou and keypoint similarity: hand-computed values', (t) => {
  t.is(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  t.is(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  const a = person(100).keypoints;
  t.is(keypointSimilarity(a, a, 100), 1);
  t.true(keypointSimilarity(a, person(110).keypoints, 100) < keypointSimilarity(a, person(102).keypoints, 100));
});

test('two people walking past each other keep their identities', (t) => {
  const tracker = new PersonTracker({ maxTracks: 2 });
  const ids: Array<[number, number]> = [];
  for (let f = 0; f < 40; f++) {
    // A walks right from 100, B walks left from 400; they meet around frame 20 (boxes overlap).
    const a = person(100 + f * 8);
    const b = person(400 - f * 7, 0.9, 205);
    const order = f % 2 === 0 ? [a, b] : [b, a]; // detection order must not matter
    const seen = tracker.update(f, f * 40, order);
    t.is(seen.length, 2, `frame ${f}`);
    // Who is who, from the track boxes: undecidable on the frame where the two stand in one place.
    if (Math.abs(100 + f * 8 - (400 - f * 7)) < 20) continue;
    const byX = seen.map((s) => ({ id: s.id, x: (s.box[0] + s.box[2]) / 2 }));
    const idA = byX.reduce((best, s) =>
      Math.abs(s.x - (100 + f * 8)) < Math.abs(best.x - (100 + f * 8)) ? s : best,
    ).id;
    ids.push([idA, seen.find((s) => s.id !== idA)!.id]);
  }
  t.true(
    ids.every(([a, b]) => a === ids[0][0] && b === ids[0][1]),
    `ids changed: ${JSON.stringify(ids)}`,
  );
  t.is(tracker.history.length, 2);
});

test('a missed frame keeps the track; a long absence ends it and the person comes back as a new track', (t) => {
  const tracker = new PersonTracker({ maxTracks: 1, maxMissedMs: 500 });
  const first = tracker.update(0, 0, [person(100)])[0].id;
  t.deepEqual(tracker.update(1, 40, []), []);
  t.is(tracker.update(2, 80, [person(104)])[0].id, first, 'one missed frame: same track');
  t.deepEqual(tracker.update(3, 700, []), []);
  t.deepEqual(tracker.liveIds(), [], 'ended after 500 ms unseen');
  const again = tracker.update(4, 740, [person(104)])[0].id;
  t.not(again, first);
});

test('maxTracks keeps the largest people; low scores and duplicates start no track', (t) => {
  const tracker = new PersonTracker({ maxTracks: 2 });
  const small: PersonDetection = { ...person(500), box: [490, 180, 510, 220] };
  const seen = tracker.update(0, 0, [small, person(100), person(300), { ...person(700), score: 0.05 }]);
  t.is(seen.length, 2);
  t.true(
    seen.every((s) => s.box[2] - s.box[0] === 60),
    'the two big ones',
  );
  const dup = new PersonTracker({ maxTracks: 3 }).update(0, 0, [person(100), { ...person(102), score: 0.8 }]);
  t.is(dup.length, 1, 'an overlapping duplicate is the same person');
  t.throws(() => new PersonTracker({ maxTracks: 0 }), { message: /maxTracks/ });
});

test('regionAround grows the box by the margin, widens narrow boxes and clips to the frame', (t) => {
  t.deepEqual(regionAround([100, 100, 200, 200], 640, 480, 0.25), { x0: 75, y0: 75, x1: 225, y1: 225 });
  const narrow = regionAround([300, 0, 310, 300], 640, 480, 0.1);
  t.true(narrow.x1 - narrow.x0 >= 100 - 1e-9, 'at least a third of the height across');
  t.deepEqual(regionAround([0, 0, 640, 480], 640, 480), { x0: 0, y0: 0, x1: 640, y1: 480 });
});
