/**
 * Joint subsets of a layout: PSUMNet-style part streams with their own bone trees,
 * GAP's body-part joint sets and BRL's upper/lower body halves.
 */
import { GAP_PART_NAMES, type GapPartName, type Layout } from './layout.js';

/** A bone tree over some joints; Layout satisfies it, and so does every part stream. */
export interface BoneTree {
  readonly numJoints: number;
  /** parents[v] in local indices; the root is its own parent. */
  readonly parents: Int32Array;
  readonly center: number;
}

export const PART_STREAM_NAMES = ['body', 'hand', 'leg'] as const;
export type PartStreamName = (typeof PART_STREAM_NAMES)[number];

export interface PartStream extends BoneTree {
  readonly name: PartStreamName;
  /** Layout index of each stream joint. */
  readonly joints: Int32Array;
  readonly jointNames: readonly string[];
  /** Bones in local indices, (child, parent). */
  readonly bones: ReadonlyArray<readonly [number, number]>;
}

/**
 * A part stream: the joints listed in the layout's `partStreams` table, with bones
 * induced from the layout's tree (each joint's parent is its nearest ancestor inside the
 * stream). Induced bones are what fix PSUMNet's leg pairs, which join the right hip to
 * the left foot. If the subset has several roots, the first listed joint becomes the
 * stream root and the other roots hang from it.
 */
export function partStream(layout: Layout, name: PartStreamName): PartStream {
  const joints = Int32Array.from(layout.partStreams[name]);
  const local = new Map<number, number>();
  joints.forEach((j, i) => local.set(j, i));
  const n = joints.length;
  const parents = new Int32Array(n);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    let u = joints[i];
    let parent = -1;
    while (u !== layout.center) {
      u = layout.parents[u];
      if (local.has(u)) {
        parent = local.get(u)!;
        break;
      }
    }
    if (parent === -1) roots.push(i);
    parents[i] = parent;
  }
  // Prefer the joint closest to the layout centre as the stream root.
  const root = roots.includes(local.get(layout.center) ?? -1) ? local.get(layout.center)! : roots[0];
  for (const r of roots) parents[r] = root;
  const bones: Array<readonly [number, number]> = [];
  for (let i = 0; i < n; i++) if (i !== root) bones.push([i, parents[i]]);
  return {
    name,
    joints,
    jointNames: Array.from(joints, (j) => layout.jointNames[j]),
    numJoints: n,
    parents,
    center: root,
    bones,
  };
}

/** GAP's four part joint sets (head, hand, hip, foot) for a layout. */
export function gapPartJoints(layout: Layout): Record<GapPartName, Int32Array> {
  return Object.fromEntries(GAP_PART_NAMES.map((p) => [p, Int32Array.from(layout.gapParts[p])])) as Record<
    GapPartName,
    Int32Array
  >;
}

/** BRL's body halves for partial-body mixup: [upper, lower], disjoint and covering the layout. */
export function bodyHalves(layout: Layout): { upper: Int32Array; lower: Int32Array } {
  return { upper: Int32Array.from(layout.parts.upper_body), lower: Int32Array.from(layout.parts.lower_body) };
}
