/**
 * Keeps each person's identity across frames, so that a sequence per person comes out of a
 * video with several people.
 *
 * Each frame's detections are matched to the live tracks by a similarity that mixes box
 * overlap (IoU) and keypoint distance (an OKS-like score: keypoints seen in both, distance
 * relative to the track's box size), greedily from the best pair down. Tracks are compared
 * where they are predicted to be (their last box moved on at their smoothed velocity), so two
 * people who walk past each other keep their identities through the moment they overlap. A detection that
 * matches nothing starts a new track while fewer than `maxTracks` are live (the largest
 * detections first, as the people closest to the camera are the actors); a track unmatched for
 * longer than `maxMissedMs` ends. Track boxes are smoothed, so the regions handed to the
 * landmarkers do not jitter from frame to frame.
 */
import type { PersonDetection, Region } from './types.js';

export interface TrackerOptions {
  /** Most people followed at once (skelact extract --persons). */
  readonly maxTracks: number;
  /** A track ends after this long without a match. */
  readonly maxMissedMs?: number;
  /** Detections below this score are ignored. */
  readonly minScore?: number;
  /** Lowest similarity (0–1) that counts as the same person. */
  readonly minSimilarity?: number;
  /** Weight of the new box in the smoothed one (1 = no smoothing). */
  readonly boxSmoothing?: number;
}

export interface Track {
  readonly id: number;
  /** Smoothed box [x0, y0, x1, y1] in pixels. */
  box: [number, number, number, number];
  keypoints: ReadonlyArray<readonly [number, number, number]>;
  /** Smoothed velocity of the box centre, pixels per millisecond. */
  velocity: [number, number];
  lastSeenMs: number;
  firstFrame: number;
  lastFrame: number;
  frames: number;
}

export type Box = readonly [number, number, number, number];

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** OKS-like keypoint similarity in [0, 1]: mean of exp(−d² / (2 (κ·s)²)) over keypoints both see. */
export function keypointSimilarity(
  a: PersonDetection['keypoints'],
  b: PersonDetection['keypoints'],
  scale: number,
  minScore = 0.3,
): number {
  const kappa = 0.1;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i][2] < minScore || b[i][2] < minScore) continue;
    const d2 = (a[i][0] - b[i][0]) ** 2 + (a[i][1] - b[i][1]) ** 2;
    sum += Math.exp(-d2 / (2 * (kappa * scale) ** 2));
    n++;
  }
  return n > 0 ? sum / n : 0;
}

const area = (b: Box) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

export class PersonTracker {
  private readonly tracks: Track[] = [];
  private nextId = 0;
  private readonly options: Required<TrackerOptions>;
  /** Every track ever made, for the pose file's summary. */
  readonly history: Track[] = [];

  constructor(options: TrackerOptions) {
    this.options = { maxMissedMs: 1000, minScore: 0.2, minSimilarity: 0.2, boxSmoothing: 0.6, ...options };
    if (!(Number.isInteger(options.maxTracks) && options.maxTracks >= 1))
      throw new Error(`maxTracks must be a positive integer, got ${options.maxTracks}`);
  }

  /** Matches one frame's detections; returns the tracks seen in this frame (by id order). */
  update(frame: number, timestampMs: number, detections: readonly PersonDetection[]): Track[] {
    const o = this.options;
    // Tracks not seen for too long end.
    for (let i = this.tracks.length - 1; i >= 0; i--)
      if (timestampMs - this.tracks[i].lastSeenMs > o.maxMissedMs) this.tracks.splice(i, 1);
    const candidates = detections.filter((d) => d.score >= o.minScore);
    const pairs: Array<{ t: number; d: number; s: number }> = [];
    this.tracks.forEach((track, t) => {
      const scale = Math.sqrt(Math.max(1, area(track.box)));
      const dt = timestampMs - track.lastSeenMs;
      const [dx, dy] = [track.velocity[0] * dt, track.velocity[1] * dt];
      const box: Box = [track.box[0] + dx, track.box[1] + dy, track.box[2] + dx, track.box[3] + dy];
      const keypoints = track.keypoints.map(([x, y, c]) => [x + dx, y + dy, c] as const);
      candidates.forEach((det, d) => {
        const s = 0.5 * iou(box, det.box) + 0.5 * keypointSimilarity(keypoints, det.keypoints, scale);
        if (s >= o.minSimilarity) pairs.push({ t, d, s });
      });
    });
    pairs.sort((a, b) => b.s - a.s);
    const usedTrack = new Set<number>();
    const usedDet = new Set<number>();
    const seen: Track[] = [];
    for (const { t, d } of pairs) {
      if (usedTrack.has(t) || usedDet.has(d)) continue;
      usedTrack.add(t);
      usedDet.add(d);
      const track = this.tracks[t];
      const det = candidates[d];
      const a = o.boxSmoothing;
      const dt = Math.max(1, timestampMs - track.lastSeenMs);
      const centre = (b: Box) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
      const [c0, c1] = [centre(track.box), centre(det.box)];
      track.velocity = [0, 1].map((k) => 0.5 * ((c1[k] - c0[k]) / dt) + 0.5 * track.velocity[k]) as [number, number];
      track.box = track.box.map((v, k) => a * det.box[k] + (1 - a) * v) as [number, number, number, number];
      track.keypoints = det.keypoints;
      track.lastSeenMs = timestampMs;
      track.lastFrame = frame;
      track.frames++;
      seen.push(track);
    }
    // New people, largest first, while there is room.
    const fresh = candidates
      .map((det, d) => ({ det, d }))
      .filter(({ d }) => !usedDet.has(d))
      .sort((x, y) => area(y.det.box) * y.det.score - area(x.det.box) * x.det.score);
    for (const { det } of fresh) {
      if (this.tracks.length >= o.maxTracks) break;
      // A detection that overlaps a live track a lot is a duplicate of that person, not a new one.
      if (this.tracks.some((t) => iou(t.box, det.box) > 0.6)) continue;
      const track: Track = {
        id: this.nextId++,
        box: [...det.box] as [number, number, number, number],
        keypoints: det.keypoints,
        velocity: [0, 0],
        lastSeenMs: timestampMs,
        firstFrame: frame,
        lastFrame: frame,
        frames: 1,
      };
      this.tracks.push(track);
      this.history.push(track);
      seen.push(track);
    }
    return seen.sort((a, b) => a.id - b.id);
  }

  /** Ids of the tracks still live. */
  liveIds(): number[] {
    return this.tracks.map((t) => t.id);
  }
}

/** The region a landmarker sees for a box: the box grown by `margin` of its size on each side, clipped to the frame. */
export function regionAround(box: Box, width: number, height: number, margin = 0.25): Region {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const side = Math.max(w, h);
  // Grow to at least a third of the longer side across, so a narrow box (a person side-on) keeps the arms.
  const gx = Math.max(w * margin, (side / 3 - w) / 2);
  const gy = h * margin;
  return {
    x0: Math.max(0, box[0] - gx),
    y0: Math.max(0, box[1] - gy),
    x1: Math.min(width, box[2] + gx),
    y1: Math.min(height, box[3] + gy),
  };
}
