/**
 * BlazePose-33 landmarks onto skelact's layouts, by data tables (`mappings/*.json`): each target
 * joint is a weighted mean of source landmarks, marked `direct`, `approximate` (a nearby
 * landmark stands in) or `synthesised` (made from several). Tables are validated on load:
 * every target joint of the layout present once, sources that exist, weights that sum to 1.
 *
 *   ntu-25:  world landmarks in metres, turned into NTU's camera axes (−x, −y, z);
 *   kinect-20: the same world landmarks and axes, onto Kinect v1's 20 joints (NW-UCLA, UTKinect);
 *   coco-17: image landmarks in pixels, with the visibility as score.
 * A mapped joint's visibility is the lowest of its sources'.
 */
import * as z from 'zod';
import { getLayout } from '../graph/layout.js';
import toCoco17 from './mappings/blazepose-33_to_coco-17.json' with { type: 'json' };
import toKinect20 from './mappings/blazepose-33_to_kinect-20.json' with { type: 'json' };
import toNtu25 from './mappings/blazepose-33_to_ntu-25.json' with { type: 'json' };
import type { PersonPose } from './types.js';
import { SkelactError, parseWith } from '../core/errors.js';

/** The layouts BlazePose landmarks can be mapped onto. */
export const MAPPED_LAYOUTS = ['ntu-25', 'kinect-20', 'coco-17'] as const;
export type MappedLayout = (typeof MAPPED_LAYOUTS)[number];

/** Layouts mapped from the world landmarks (metres, Kinect camera axes); the others from image pixels. */
const WORLD_LAYOUTS: ReadonlySet<MappedLayout> = new Set(['ntu-25', 'kinect-20']);

const tableSchema = z
  .object({
    from: z.literal('blazepose-33'),
    to: z.enum(MAPPED_LAYOUTS),
    source: z.string(),
    coordinates: z.string(),
    joints: z.record(
      z.string(),
      z
        .object({
          kind: z.enum(['direct', 'approximate', 'synthesised']),
          note: z.string().optional(),
          from: z.array(z.tuple([z.string(), z.number().positive()])).min(1),
        })
        .strict(),
    ),
  })
  .strict();

export type JointKind = 'direct' | 'approximate' | 'synthesised';

/** A validated mapping in index form. */
export interface LayoutMapping {
  readonly to: MappedLayout;
  /** Per target joint (layout order): source indices and weights. */
  readonly sources: ReadonlyArray<{ readonly index: Int32Array; readonly weight: Float64Array }>;
  readonly kinds: readonly JointKind[];
  /** Target joint names by kind, for the record of what was synthesised. */
  readonly synthesised: readonly string[];
  readonly approximate: readonly string[];
}

export class MappingTableError extends SkelactError {
  readonly code = 'invalid-mapping-table';

  constructor(file: string, message: string) {
    super(`mapping table ${file}: ${message}`);
  }
}

/** Validates a mapping table against the two layouts and turns it into index form. */
export function parseMapping(raw: unknown, file: string): LayoutMapping {
  const table = parseWith(
    tableSchema,
    raw,
    file,
    (field, detail) => new MappingTableError(file, `field '${field ?? '(root)'}': ${detail}`),
  );
  const source = getLayout('blazepose-33');
  const target = getLayout(table.to);
  const names = Object.keys(table.joints);
  const missing = target.jointNames.filter((j) => !(j in table.joints));
  const unknown = names.filter((n) => !target.jointNames.includes(n));
  if (missing.length) throw new MappingTableError(file, `no entry for ${table.to} joint(s) ${missing.join(', ')}`);
  if (unknown.length)
    throw new MappingTableError(
      file,
      `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not ${table.to} joint(s)`,
    );
  const sources = target.jointNames.map((joint) => {
    const entry = table.joints[joint];
    const index = Int32Array.from(
      entry.from.map(([name]) => {
        const i = source.jointNames.indexOf(name);
        if (i < 0) throw new MappingTableError(file, `joint ${joint}: '${name}' is not a blazepose-33 landmark`);
        return i;
      }),
    );
    const weight = Float64Array.from(entry.from.map(([, w]) => w));
    const sum = weight.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-6)
      throw new MappingTableError(
        file,
        `joint ${joint}: weights sum to ${sum}, expected 1 (a mapped joint is a weighted mean)`,
      );
    if (entry.kind === 'direct' && entry.from.length !== 1)
      throw new MappingTableError(file, `joint ${joint}: 'direct' takes exactly one landmark`);
    return { index, weight };
  });
  const kinds = target.jointNames.map((j) => table.joints[j].kind);
  return {
    to: table.to,
    sources,
    kinds,
    synthesised: target.jointNames.filter((j) => table.joints[j].kind === 'synthesised'),
    approximate: target.jointNames.filter((j) => table.joints[j].kind === 'approximate'),
  };
}

const MAPPINGS: Record<MappedLayout, LayoutMapping> = {
  'ntu-25': parseMapping(toNtu25, 'src/pose/mappings/blazepose-33_to_ntu-25.json'),
  'kinect-20': parseMapping(toKinect20, 'src/pose/mappings/blazepose-33_to_kinect-20.json'),
  'coco-17': parseMapping(toCoco17, 'src/pose/mappings/blazepose-33_to_coco-17.json'),
};

/** The mapping from BlazePose landmarks to a skelact layout. */
export function mappingTo(layout: MappedLayout): LayoutMapping {
  return MAPPINGS[layout];
}

/**
 * One pose on a layout: ntu-25 and kinect-20 as [x, y, z] metres in Kinect axes, coco-17 as [x, y, score] in
 * pixels of a width × height frame. Also each joint's visibility (lowest of its sources).
 * `translation` (world layouts only; metres in MediaPipe's camera axes, from src/pose/trajectory.ts) is added
 * to every world landmark first, which puts the hip-centred pose back where the camera saw it.
 */
export function mapPose(
  pose: PersonPose,
  layout: MappedLayout,
  width: number,
  height: number,
  translation?: readonly [number, number, number] | null,
): { joints: number[][]; visibility: number[] } {
  const m = MAPPINGS[layout];
  const world = WORLD_LAYOUTS.has(layout);
  const joints: number[][] = [];
  const visibility: number[] = [];
  m.sources.forEach(({ index, weight }) => {
    let x = 0;
    let y = 0;
    let zc = 0;
    let v = 1;
    for (let k = 0; k < index.length; k++) {
      const i = index[k];
      const w = weight[k];
      v = Math.min(v, pose.image[i][3]);
      if (world) {
        x += w * pose.world[i][0];
        y += w * pose.world[i][1];
        zc += w * pose.world[i][2];
      } else {
        x += w * pose.image[i][0];
        y += w * pose.image[i][1];
      }
    }
    visibility.push(v);
    if (world && translation) {
      x += translation[0];
      y += translation[1];
      zc += translation[2];
    }
    // A 180° turn about z puts MediaPipe's (x right, y down) into Kinect's (x to the sensor's left, y up).
    joints.push(world ? [-x, -y, zc] : [x * width, y * height, v]);
  });
  return { joints, visibility };
}
