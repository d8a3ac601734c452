/**
 * Finding clips whose motion contradicts their label, two independent ways:
 *
 * - by a rule that needs no model, for the actions that change the body's height: in a
 *   "sit down" clip the head ends lower than it starts, in a "stand up" clip higher;
 * - by models that never trained on the clips (trained on another view or other subjects):
 *   a clip that every one of them puts in the same other class, and above all a whole group
 *   of them (one subject's clips of one action in one view), points at a label, not a model.
 *
 * Neither proves an error on its own; docs/nw-ucla-accuracy.md section 9 says how the two were
 * combined into NW-UCLA's errata.
 */
import { clipOffset } from '../graph/clip.js';
import { getLayout, jointIndex } from '../graph/index.js';
import type { SkeletonSample } from '../data/types.js';
import type { ScoreRun } from './evaluate.js';

/**
 * Mean height (channel 1, y up as Kinect reports it) of `joint` over the last eighth of the
 * clip's frames minus its mean over the first eighth (at least one frame each), in the clip's
 * units. Person 0 only.
 */
export function heightChange(sample: Pick<SkeletonSample, 'clip' | 'layout'>, joint: string): number {
  const { clip } = sample;
  const v = jointIndex(getLayout(sample.layout), joint);
  const k = Math.max(1, Math.floor(clip.frames / 8));
  let first = 0;
  let last = 0;
  for (let i = 0; i < k; i++) {
    first += clip.data[clipOffset(clip, 0, i, v) + 1];
    last += clip.data[clipOffset(clip, 0, clip.frames - k + i, v) + 1];
  }
  return (last - first) / k;
}

export interface HeightContradiction {
  readonly name: string;
  readonly label: string;
  /** Head height change, last eighth minus first eighth. */
  readonly change: number;
}

/**
 * Clips labelled `lowering` whose head rises by more than `threshold`, and clips labelled
 * `raising` whose head falls by more than it (metres for Kinect data; 0.15 m is about a third
 * of the 0.3-0.5 m a head moves between standing and sitting).
 */
export function heightContradictions(
  samples: Iterable<SkeletonSample>,
  classNames: readonly string[],
  options: { lowering: string; raising: string; joint?: string; threshold?: number },
): HeightContradiction[] {
  const threshold = options.threshold ?? 0.15;
  const joint = options.joint ?? 'Head';
  const found: HeightContradiction[] = [];
  for (const sample of samples) {
    const label = classNames[sample.label];
    if (label !== options.lowering && label !== options.raising) continue;
    const change = heightChange(sample, joint);
    if ((label === options.lowering && change > threshold) || (label === options.raising && change < -threshold))
      found.push({ name: sample.name, label, change });
  }
  return found;
}

export interface ConsensusError {
  readonly name: string;
  readonly label: string;
  /** The class every run chose. */
  readonly predicted: string;
}

/**
 * Samples that every run scores highest in one and the same class other than their label.
 * The runs must score the same samples (same names, any order) with the same classes.
 */
export function consensusErrors(runs: readonly ScoreRun[]): ConsensusError[] {
  if (runs.length === 0) throw new Error('consensusErrors needs at least one score run');
  const classes = runs[0].classNames;
  const K = classes.length;
  const rowsByRun = runs.map((run, r) => {
    if (run.classNames.join('\n') !== classes.join('\n'))
      throw new Error(`score run ${r + 1} has other classes than run 1 (${run.classNames.join(', ')})`);
    return new Map(run.names.map((n, i) => [n, i]));
  });
  const argmax = (run: ScoreRun, i: number) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (run.scores[i * K + k] > run.scores[i * K + best]) best = k;
    return best;
  };
  const found: ConsensusError[] = [];
  runs[0].names.forEach((name, i0) => {
    const label = runs[0].labels[i0];
    let predicted = -1;
    for (let r = 0; r < runs.length; r++) {
      const i = rowsByRun[r].get(name);
      if (i === undefined) throw new Error(`score run ${r + 1} has no row for ${name} (run 1 has)`);
      if (runs[r].labels[i] !== label) throw new Error(`score runs disagree on the label of ${name}`);
      const p = argmax(runs[r], i);
      if (p === label || (predicted >= 0 && p !== predicted)) return;
      predicted = p;
    }
    found.push({ name, label: classes[label], predicted: classes[predicted] });
  });
  return found;
}

export interface ConsensusGroup {
  /** The group's key, e.g. `s04 v02`. */
  readonly group: string;
  readonly label: string;
  readonly predicted: string;
  /** Clips of the group with this label that every run put in `predicted`. */
  readonly errors: number;
  /** Clips of the group with this label. */
  readonly clips: number;
}

/**
 * Consensus errors counted per group (`groupOf` maps a sample name to its group, e.g. subject
 * and view) and label, largest share first: a group whose clips of one label all go to one
 * other class is what a swapped label looks like.
 */
export function consensusGroups(
  run: ScoreRun,
  errors: readonly ConsensusError[],
  groupOf: (name: string) => string,
): ConsensusGroup[] {
  const clips = new Map<string, number>();
  run.names.forEach((name, i) => {
    const key = `${groupOf(name)}\n${run.classNames[run.labels[i]]}`;
    clips.set(key, (clips.get(key) ?? 0) + 1);
  });
  const counts = new Map<string, number>();
  for (const e of errors) {
    const key = `${groupOf(e.name)}\n${e.label}\n${e.predicted}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, n]) => {
      const [group, label, predicted] = key.split('\n');
      return { group, label, predicted, errors: n, clips: clips.get(`${group}\n${label}`) ?? n };
    })
    .sort((a, b) => b.errors / b.clips - a.errors / a.clips || b.errors - a.errors);
}
