/**
 * Skeleton layouts: the joint tables in `layouts/*.json` turned into index form.
 *
 * A layout file names joints, bones (child, parent), the centre joint, left/right
 * pairs and body parts by joint *name*; everything a model needs (parent indices,
 * flip permutation, part index sets, adjacency) is derived here or in the sibling
 * modules, so no model ever hand-copies an index table.
 */
import * as z from 'zod';
import ntu25 from './layouts/ntu-25.json' with { type: 'json' };
import kinect20 from './layouts/kinect-20.json' with { type: 'json' };
import coco17 from './layouts/coco-17.json' with { type: 'json' };
import openpose18 from './layouts/openpose-18.json' with { type: 'json' };
import blazepose33 from './layouts/blazepose-33.json' with { type: 'json' };
import { ValidationError, parseWith } from '../core/errors.js';

/** The skeleton layouts skelact knows, by name (getLayout takes one). */
export const LAYOUT_NAMES = ['ntu-25', 'kinect-20', 'blazepose-33', 'coco-17', 'openpose-18'] as const;
/** One of LAYOUT_NAMES. */
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/** Body parts every layout names (some may be empty, e.g. COCO has no torso joint). */
export const PART_NAMES = [
  'head',
  'hands',
  'arms',
  'torso',
  'hips',
  'legs',
  'feet',
  'upper_body',
  'lower_body',
] as const;
export type PartName = (typeof PART_NAMES)[number];

/** GAP's four body-part groups (head, hand+arm, hip, leg+foot). */
export const GAP_PART_NAMES = ['head', 'hand', 'hip', 'foot'] as const;
export type GapPartName = (typeof GAP_PART_NAMES)[number];

const namePair = z.tuple([z.string(), z.string()]);

const layoutFileSchema = z
  .object({
    name: z.string(),
    title: z.string(),
    source: z.string(),
    coordinates: z.string(),
    joints: z.array(z.string()).min(2),
    center: z.string(),
    bones: z.array(namePair),
    /** Other bone trees some models use for their bone modality (e.g. SkateFormer roots at SpineMid). */
    boneTrees: z
      .record(z.string(), z.object({ source: z.string(), center: z.string(), bones: z.array(namePair) }).strict())
      .optional(),
    mirror: z.array(namePair),
    mirrorAxis: z.number().int().min(0).max(2),
    parts: z
      .object(
        Object.fromEntries(PART_NAMES.map((p) => [p, z.array(z.string())])) as Record<
          PartName,
          z.ZodArray<z.ZodString>
        >,
      )
      .strict(),
    gapParts: z
      .object({
        source: z.string(),
        head: z.array(z.string()),
        hand: z.array(z.string()),
        hip: z.array(z.string()),
        foot: z.array(z.string()),
      })
      .strict(),
    skateformer: z
      .object({
        source: z.string(),
        groups: z.array(z.array(z.string()).min(1)).min(1),
        neighbourGroups: z.number().int().min(1),
      })
      .strict()
      .optional(),
    partStreams: z
      .object({ source: z.string(), body: z.literal('all'), hand: z.array(z.string()), leg: z.array(z.string()) })
      .strict(),
  })
  .strict();

export type LayoutFile = z.infer<typeof layoutFileSchema>;

/** A layout in index form. All index arrays are 0-based joint indices. */
export interface Layout {
  readonly name: LayoutName;
  readonly title: string;
  readonly source: string;
  readonly coordinates: string;
  readonly jointNames: readonly string[];
  readonly numJoints: number;
  readonly center: number;
  /** `parents[v]` is the parent of joint v in the bone tree; the centre is its own parent. */
  readonly parents: Int32Array;
  /** Bones as (child, parent) index pairs, in file order (the centre has no bone here). */
  readonly bones: ReadonlyArray<readonly [number, number]>;
  /** Alternative bone trees by name (parents in layout indices; the root is its own parent). */
  readonly boneTrees: Readonly<Record<string, { readonly center: number; readonly parents: Int32Array }>>;
  /** Left/right pairs as index pairs. */
  readonly mirrorPairs: ReadonlyArray<readonly [number, number]>;
  /** `flipPermutation[v]` is the joint that v becomes under a left/right flip (an involution). */
  readonly flipPermutation: Int32Array;
  /** Coordinate axis negated by a flip (0 = x for every shipped layout). */
  readonly mirrorAxis: number;
  readonly parts: Readonly<Record<PartName, readonly number[]>>;
  readonly gapParts: Readonly<Record<GapPartName, readonly number[]>>;
  /** SkateFormer's regrouping into equal parts, if the layout defines one. */
  readonly skateformer?: { readonly groups: ReadonlyArray<readonly number[]>; readonly neighbourGroups: number };
  readonly partStreams: {
    readonly body: readonly number[];
    readonly hand: readonly number[];
    readonly leg: readonly number[];
  };
}

/** A layout table that does not validate: names the layout and the field. */
export class LayoutError extends ValidationError {
  override readonly code = 'invalid-layout';

  constructor(layout: string, field: string, message: string) {
    super(`layout '${layout}'`, field, message);
  }
}

/**
 * Validates a layout table and converts it to index form. Throws a LayoutError naming the
 * field when a name is unknown, the bones do not form a tree rooted at the centre, or the
 * mirror pairs overlap.
 */
export function buildLayout(raw: unknown): Layout {
  const nameForError =
    typeof raw === 'object' && raw !== null && 'name' in raw ? String((raw as { name: unknown }).name) : '?';
  const file = parseWith(
    layoutFileSchema,
    raw,
    `layout '${nameForError}'`,
    (field, detail) => new LayoutError(nameForError, field ?? '(root)', detail),
  );
  if (!(LAYOUT_NAMES as readonly string[]).includes(file.name)) {
    throw new LayoutError(file.name, 'name', `expected one of ${LAYOUT_NAMES.join(', ')}`);
  }
  const name = file.name as LayoutName;
  const index = new Map<string, number>();
  file.joints.forEach((j, i) => {
    if (index.has(j)) throw new LayoutError(name, `joints[${i}]`, `duplicate joint name '${j}'`);
    index.set(j, i);
  });
  const idx = (field: string, jointName: string): number => {
    const i = index.get(jointName);
    if (i === undefined) throw new LayoutError(name, field, `unknown joint '${jointName}'`);
    return i;
  };
  const V = file.joints.length;
  const center = idx('center', file.center);

  const parents = new Int32Array(V).fill(-1);
  parents[center] = center;
  const bones = file.bones.map(([c, p], i) => {
    const child = idx(`bones[${i}][0]`, c);
    const parent = idx(`bones[${i}][1]`, p);
    if (child === center) throw new LayoutError(name, `bones[${i}]`, `the centre joint '${c}' cannot have a parent`);
    if (parents[child] !== -1) throw new LayoutError(name, `bones[${i}]`, `joint '${c}' has two parents`);
    parents[child] = parent;
    return [child, parent] as const;
  });
  for (let v = 0; v < V; v++) {
    if (parents[v] === -1)
      throw new LayoutError(
        name,
        'bones',
        `joint '${file.joints[v]}' has no parent (bones must form a tree rooted at the centre)`,
      );
  }
  // Every chain of parents must end at the centre within V steps (no cycles).
  for (let v = 0; v < V; v++) {
    let u = v;
    for (let step = 0; step <= V && u !== center; step++) u = parents[u];
    if (u !== center)
      throw new LayoutError(name, 'bones', `joint '${file.joints[v]}' does not reach the centre (cycle in bones)`);
  }

  const boneTrees: Record<string, { center: number; parents: Int32Array }> = {};
  for (const [treeName, tree] of Object.entries(file.boneTrees ?? {})) {
    const field = `boneTrees.${treeName}`;
    const root = idx(`${field}.center`, tree.center);
    const p = new Int32Array(V).fill(-1);
    p[root] = root;
    tree.bones.forEach(([c, q], i) => {
      const child = idx(`${field}.bones[${i}][0]`, c);
      if (child === root || p[child] !== -1)
        throw new LayoutError(name, `${field}.bones[${i}]`, `joint '${c}' has two parents or is the root`);
      p[child] = idx(`${field}.bones[${i}][1]`, q);
    });
    for (let v = 0; v < V; v++) {
      let u = v;
      for (let step = 0; step <= V && u !== root && u !== -1; step++) u = p[u];
      if (u !== root)
        throw new LayoutError(
          name,
          `${field}.bones`,
          `joint '${file.joints[v]}' does not reach the root '${tree.center}'`,
        );
    }
    boneTrees[treeName] = { center: root, parents: p };
  }

  const flipPermutation = Int32Array.from({ length: V }, (_, i) => i);
  const seen = new Set<number>();
  const mirrorPairs = file.mirror.map(([a, b], i) => {
    const l = idx(`mirror[${i}][0]`, a);
    const r = idx(`mirror[${i}][1]`, b);
    if (l === r || seen.has(l) || seen.has(r))
      throw new LayoutError(name, `mirror[${i}]`, `joint used in more than one pair`);
    seen.add(l);
    seen.add(r);
    flipPermutation[l] = r;
    flipPermutation[r] = l;
    return [l, r] as const;
  });

  const indices = (field: string, names: readonly string[]): number[] => {
    const out = names.map((n, i) => idx(`${field}[${i}]`, n));
    if (new Set(out).size !== out.length) throw new LayoutError(name, field, 'a joint is listed twice');
    return out;
  };
  const parts = Object.fromEntries(PART_NAMES.map((p) => [p, indices(`parts.${p}`, file.parts[p])])) as Record<
    PartName,
    number[]
  >;
  const gapParts = Object.fromEntries(
    GAP_PART_NAMES.map((p) => [p, indices(`gapParts.${p}`, file.gapParts[p])]),
  ) as Record<GapPartName, number[]>;

  let skateformer: Layout['skateformer'];
  if (file.skateformer) {
    const groups = file.skateformer.groups.map((g, i) => indices(`skateformer.groups[${i}]`, g));
    const size = groups[0].length;
    if (groups.some((g) => g.length !== size))
      throw new LayoutError(name, 'skateformer.groups', 'all groups must have the same size');
    const all = groups.flat();
    if (new Set(all).size !== all.length)
      throw new LayoutError(name, 'skateformer.groups', 'a joint is in more than one group');
    if (groups.length % file.skateformer.neighbourGroups !== 0) {
      throw new LayoutError(name, 'skateformer.neighbourGroups', `must divide the number of groups (${groups.length})`);
    }
    skateformer = { groups, neighbourGroups: file.skateformer.neighbourGroups };
  }

  const all = Array.from({ length: V }, (_, i) => i);
  const partStreams = {
    body: all,
    hand: indices('partStreams.hand', file.partStreams.hand),
    leg: indices('partStreams.leg', file.partStreams.leg),
  };

  return {
    name,
    title: file.title,
    source: file.source,
    coordinates: file.coordinates,
    jointNames: file.joints,
    numJoints: V,
    center,
    parents,
    bones,
    boneTrees,
    mirrorPairs,
    flipPermutation,
    mirrorAxis: file.mirrorAxis,
    parts,
    gapParts,
    skateformer,
    partStreams,
  };
}

const LAYOUT_TABLES: Record<LayoutName, unknown> = {
  'ntu-25': ntu25,
  'kinect-20': kinect20,
  'blazepose-33': blazepose33,
  'coco-17': coco17,
  'openpose-18': openpose18,
};

const cache = new Map<LayoutName, Layout>();

/** Returns a shipped layout by name (validated once, then cached). */
export function getLayout(name: string): Layout {
  if (!isLayoutName(name)) throw new Error(`unknown layout '${name}': expected one of ${LAYOUT_NAMES.join(', ')}`);
  let layout = cache.get(name);
  if (!layout) {
    layout = buildLayout(LAYOUT_TABLES[name]);
    cache.set(name, layout);
  }
  return layout;
}

export function isLayoutName(name: string): name is LayoutName {
  return (LAYOUT_NAMES as readonly string[]).includes(name);
}

/** Joint index by name, with an error naming the layout when it is unknown. */
export function jointIndex(layout: Layout, jointName: string): number {
  const i = layout.jointNames.indexOf(jointName);
  if (i < 0) throw new Error(`layout '${layout.name}' has no joint '${jointName}'`);
  return i;
}

/** Depth of each joint in the bone tree (centre = 0). */
export function jointDepths(layout: Layout): Int32Array {
  const depth = new Int32Array(layout.numJoints);
  for (let v = 0; v < layout.numJoints; v++) {
    let d = 0;
    for (let u = v; u !== layout.center; u = layout.parents[u]) d++;
    depth[v] = d;
  }
  return depth;
}

/** The k-th ancestor of every joint (stops at the centre): k=1 gives parents, k=2 grandparents. */
export function ancestors(layout: Layout, k: number): Int32Array {
  const out = new Int32Array(layout.numJoints);
  for (let v = 0; v < layout.numJoints; v++) {
    let u = v;
    for (let i = 0; i < k; i++) u = layout.parents[u];
    out[v] = u;
  }
  return out;
}

/**
 * A bone tree of a layout for the bone modalities: 'default' is the layout's own tree
 * (CTR-GCN's); others come from the layout table's `boneTrees` (e.g. 'skateformer').
 */
export function boneTreeOf(
  layout: Layout,
  name = 'default',
): { numJoints: number; parents: Int32Array; center: number } {
  if (name === 'default') return { numJoints: layout.numJoints, parents: layout.parents, center: layout.center };
  const tree = layout.boneTrees[name];
  if (!tree) {
    const names = ['default', ...Object.keys(layout.boneTrees)];
    throw new Error(`layout '${layout.name}' has no bone tree '${name}' (it has: ${names.join(', ')})`);
  }
  return { numJoints: layout.numJoints, parents: tree.parents, center: tree.center };
}
