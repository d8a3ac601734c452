/**
 * Input modalities derived from joint positions, for any layout or part stream:
 * joint (j), bone (b: joint − parent), skip bone (k: joint − grandparent, BRL's 'k'),
 * and the temporal motion of each (jm, bm, km: x[t+1] − x[t], last frame 0, as CTR-GCN); and
 * stacks of them along channels: joint ‖ bone (jb), and joint ‖ bone ‖ joint motion ‖ bone
 * motion (jbjmbm, CTR-GCN's four ensemble inputs), which a streams model splits again.
 */
import { type SkeletonClip, makeClip } from './clip.js';
import type { Layout } from './layout.js';
import type { BoneTree } from './parts.js';

/** Input modalities: joints, bones, skip bones, the motion (frame difference) of each, and two stacks of them. */
export const MODALITIES = ['j', 'b', 'k', 'jm', 'bm', 'km', 'jb', 'jbjmbm'] as const;
/** One of MODALITIES. */
export type Modality = (typeof MODALITIES)[number];

export const MODALITY_TITLES: Record<Modality, string> = {
  j: 'joint',
  b: 'bone',
  k: 'skip bone',
  jm: 'joint motion',
  bm: 'bone motion',
  km: 'skip-bone motion',
  jb: 'joint and bone',
  jbjmbm: 'joint, bone and their motions',
};

/**
 * The modalities that are other modalities stacked along channels, in channel order: a model
 * on one of them takes (number of parts) × the clip's channels per joint.
 */
const STACKED_MODALITIES: Partial<Record<Modality, readonly Modality[]>> = {
  jb: ['j', 'b'],
  jbjmbm: ['j', 'b', 'jm', 'bm'],
};

/** The modalities `modality` stacks along channels, in channel order (itself alone when it stacks none). */
export function stackedParts(modality: Modality): readonly Modality[] {
  return STACKED_MODALITIES[modality] ?? [modality];
}

/** Channels per joint a model on `modality` takes, for clips of `rawChannels` channels (xyz: 3). */
export function modalityChannels(modality: Modality, rawChannels: number): number {
  return rawChannels * (STACKED_MODALITIES[modality]?.length ?? 1);
}

/** Channels per joint of the clips a model of `inChannels` input channels on `modality` is fed (the inverse). */
export function rawChannelsOf(modality: Modality, inChannels: number): number {
  const parts = STACKED_MODALITIES[modality]?.length ?? 1;
  if (inChannels % parts !== 0)
    throw new Error(
      `a model on modality '${modality}' (${parts} modalities stacked) must take a multiple of ${parts} channels, not ${inChannels}`,
    );
  return inChannels / parts;
}

export function isModality(name: string): name is Modality {
  return (MODALITIES as readonly string[]).includes(name);
}

/** k-th ancestor of every joint of a tree (stops at the root). */
function treeAncestors(tree: BoneTree, k: number): Int32Array {
  const out = new Int32Array(tree.numJoints);
  for (let v = 0; v < tree.numJoints; v++) {
    let u = v;
    for (let i = 0; i < k; i++) u = tree.parents[u];
    out[v] = u;
  }
  return out;
}

function checkTree(clip: SkeletonClip, tree: BoneTree): void {
  if (clip.joints !== tree.numJoints)
    throw new Error(`clip has ${clip.joints} joints but the bone tree has ${tree.numJoints}`);
}

/** x[v] − x[ancestor_k(v)] for every person, frame and channel (k=1 bones, k=2 skip bones). */
export function ancestorDifference(clip: SkeletonClip, tree: BoneTree, k: number): SkeletonClip {
  checkTree(clip, tree);
  const anc = treeAncestors(tree, k);
  const { joints: V, channels: C } = clip;
  const src = clip.data;
  const out = new Float32Array(src.length);
  const frames = clip.persons * clip.frames;
  for (let f = 0; f < frames; f++) {
    const base = f * V * C;
    for (let v = 0; v < V; v++) {
      const a = base + v * C;
      const b = base + anc[v] * C;
      for (let c = 0; c < C; c++) out[a + c] = src[a + c] - src[b + c];
    }
  }
  return makeClip(out, clip.persons, clip.frames, V, C);
}

export function bones(clip: SkeletonClip, tree: BoneTree): SkeletonClip {
  return ancestorDifference(clip, tree, 1);
}

export function skipBones(clip: SkeletonClip, tree: BoneTree): SkeletonClip {
  return ancestorDifference(clip, tree, 2);
}

/** x[t+1] − x[t] with the last frame 0 (CTR-GCN `vel`). */
export function motion(clip: SkeletonClip): SkeletonClip {
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const n = V * C;
  const out = new Float32Array(clip.data.length);
  for (let m = 0; m < M; m++) {
    for (let t = 0; t + 1 < T; t++) {
      const a = (m * T + t) * n;
      for (let i = 0; i < n; i++) out[a + i] = clip.data[a + n + i] - clip.data[a + i];
    }
  }
  return makeClip(out, M, T, V, C);
}

/** One modality of a joint clip. */
export function toModality(clip: SkeletonClip, tree: BoneTree, modality: Modality): SkeletonClip {
  const stacked = STACKED_MODALITIES[modality];
  if (stacked) return stackModalities(clip, tree, stacked);
  switch (modality) {
    case 'j':
      return clip;
    case 'b':
      return bones(clip, tree);
    case 'k':
      return skipBones(clip, tree);
    case 'jm':
      return motion(clip);
    case 'bm':
      return motion(bones(clip, tree));
    case 'km':
      return motion(skipBones(clip, tree));
    default:
      throw new Error(`modality '${modality}' has no rule`);
  }
}

/** Several modalities stacked along channels (PSUMNet's 12-channel j|b|jm|bm input). */
export function stackModalities(clip: SkeletonClip, tree: BoneTree, modalities: readonly Modality[]): SkeletonClip {
  const parts = modalities.map((m) => toModality(clip, tree, m));
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const CC = C * parts.length;
  const out = new Float32Array(M * T * V * CC);
  const points = M * T * V;
  for (let p = 0; p < points; p++) {
    for (let i = 0; i < parts.length; i++) {
      const src = parts[i].data;
      for (let c = 0; c < C; c++) out[p * CC + i * C + c] = src[p * C + c];
    }
  }
  return makeClip(out, M, T, V, CC);
}

/**
 * Rebuilds joints from bone vectors and the root position (the inverse of `bones`):
 * joints are visited parents-first so every parent is known before its children.
 */
export function jointsFromBones(boneClip: SkeletonClip, tree: BoneTree, rootPositions: Float32Array): SkeletonClip {
  checkTree(boneClip, tree);
  const { persons: M, frames: T, joints: V, channels: C } = boneClip;
  if (rootPositions.length !== M * T * C)
    throw new Error(`rootPositions must have persons·frames·channels = ${M * T * C} values`);
  const depth = new Int32Array(V);
  for (let v = 0; v < V; v++) for (let u = v; u !== tree.center; u = tree.parents[u]) depth[v]++;
  const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => depth[a] - depth[b]);
  const out = new Float32Array(boneClip.data.length);
  for (let f = 0; f < M * T; f++) {
    const base = f * V * C;
    for (const v of order) {
      for (let c = 0; c < C; c++) {
        out[base + v * C + c] =
          v === tree.center
            ? rootPositions[f * C + c]
            : out[base + tree.parents[v] * C + c] + boneClip.data[base + v * C + c];
      }
    }
  }
  return makeClip(out, M, T, V, C);
}

/** Keeps only some joints (in the given order), e.g. one part stream. */
export function selectJoints(clip: SkeletonClip, joints: ArrayLike<number>): SkeletonClip {
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const J = joints.length;
  const out = new Float32Array(M * T * J * C);
  for (let f = 0; f < M * T; f++) {
    for (let j = 0; j < J; j++) {
      const src = (f * V + joints[j]) * C;
      const dst = (f * J + j) * C;
      for (let c = 0; c < C; c++) out[dst + c] = clip.data[src + c];
    }
  }
  return makeClip(out, M, T, J, C);
}

/**
 * Left/right flip: swaps mirrored joints and negates the layout's mirror axis (x).
 * Applying it twice gives the input back. Channels beyond the spatial ones (e.g. a
 * score) are moved with their joint but not negated.
 */
export function flipLeftRight(
  clip: SkeletonClip,
  layout: Pick<Layout, 'flipPermutation' | 'mirrorAxis' | 'numJoints'>,
): SkeletonClip {
  if (clip.joints !== layout.numJoints)
    throw new Error(`clip has ${clip.joints} joints but the layout has ${layout.numJoints}`);
  const { persons: M, frames: T, joints: V, channels: C } = clip;
  const out = new Float32Array(clip.data.length);
  for (let f = 0; f < M * T; f++) {
    const base = f * V * C;
    for (let v = 0; v < V; v++) {
      const src = base + layout.flipPermutation[v] * C;
      const dst = base + v * C;
      for (let c = 0; c < C; c++) out[dst + c] = c === layout.mirrorAxis ? -clip.data[src + c] : clip.data[src + c];
    }
  }
  return makeClip(out, M, T, V, C);
}
