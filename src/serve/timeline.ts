/** Stream events folded into a timeline of actions (start, end, peak score). */
import type { StreamEvent } from './stream-classifier.js';

/** One action in a timeline: its class and when it started and ended. */
export interface TimelineSegment {
  readonly label: string;
  readonly index: number;
  readonly startMs: number;
  readonly endMs: number;
  /** Highest smoothed probability of the class while it was the action. */
  readonly peakScore: number;
}

/** The actions of a stream's events as segments (class, start, end, peak score). */
export function timelineOf(events: readonly StreamEvent[]): TimelineSegment[] {
  const segments: TimelineSegment[] = [];
  let open: { label: string; index: number; startMs: number; peak: number } | undefined;
  for (const e of events) {
    if (e.type === 'start') open = { label: e.label, index: e.index, startMs: e.timestampMs, peak: e.score };
    else if (e.type === 'scores' && open) {
      const s = e.top.find((c) => c.index === open!.index);
      if (s) open.peak = Math.max(open.peak, s.score);
    } else if (e.type === 'end' && open) {
      segments.push({
        label: open.label,
        index: open.index,
        startMs: open.startMs,
        endMs: e.timestampMs,
        peakScore: open.peak,
      });
      open = undefined;
    }
  }
  return segments;
}
