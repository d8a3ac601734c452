/**
 * The one conversion from library clips ([persons, frames, joints, channels]) to the model
 * layout [B, T, persons · joints, channels] (see ./types.ts).
 */
import type { SkeletonClip } from '../graph/clip.js';

export interface ModelInputSpec {
  /** Persons in the model input: missing persons are zero (or a copy of person 0). */
  readonly persons: number;
  /** Layout joints per person, in the model's order (e.g. SkateFormer's 24 regrouped joints). */
  readonly jointOrder: Int32Array;
  readonly frames: number;
  readonly channels: number;
}

/**
 * Packs equally long clips into one [B, T, persons · J, C] Float32Array. Clips with fewer
 * persons than the model get zeros, or a copy of person 0 with `fillMissing: 'copy'` (the
 * NTU120 CTR-GCN script's convention); extra persons are dropped.
 */
export function toModelBatch(
  clips: readonly SkeletonClip[],
  spec: ModelInputSpec,
  fillMissing: 'zeros' | 'copy' = 'zeros',
): Float32Array {
  const { persons: P, jointOrder, frames: T, channels: C } = spec;
  const J = jointOrder.length;
  const out = new Float32Array(clips.length * T * P * J * C);
  clips.forEach((clip, b) => {
    if (clip.frames !== T)
      throw new Error(`clip ${b} has ${clip.frames} frames, the model takes ${T} (sample it first)`);
    if (clip.channels !== C) throw new Error(`clip ${b} has ${clip.channels} channels, the model takes ${C}`);
    for (let p = 0; p < P; p++) {
      const source = p < clip.persons ? p : fillMissing === 'copy' && clip.persons > 0 ? 0 : -1;
      if (source < 0) continue;
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < J; j++) {
          const from = ((source * clip.frames + t) * clip.joints + jointOrder[j]) * C;
          const to = (((b * T + t) * P + p) * J + j) * C;
          for (let c = 0; c < C; c++) out[to + c] = clip.data[from + c];
        }
      }
    }
  });
  return out;
}
