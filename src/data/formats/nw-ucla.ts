/**
 * NW-UCLA Multiview Action3D as repackaged for CTR-GCN: one JSON per sequence,
 * `{file_name: "aAA_sSS_eEE_vVV", skeletons: [T][20][3], label: 1..10}`, Kinect v1
 * 20 joints in metres (layout `kinect-20`), one person.
 */
import * as z from 'zod';
import { getLayout } from '../../graph/layout.js';
import { makeClip } from '../../graph/clip.js';
import { loadClassTable } from '../classes.js';
import { SkeletonFormatError, XYZ, type ReadResult, type SkeletonSample } from '../types.js';
import { finiteNumber, parseJsonText, parseWithSchema, readTextFile } from './common.js';

const LAYOUT = 'kinect-20';
const NAME_PATTERN = /^a(\d+)_s(\d+)_e(\d+)_v(\d+)$/;

function nwUclaSchema(jointCount: number, classCount: number) {
  return z.object({
    file_name: z.string({ error: 'a string "aAA_sSS_eEE_vVV"' }),
    skeletons: z
      .array(
        z
          .array(
            z.array(finiteNumber, { error: 'an array [x, y, z]' }).length(3, { error: '3 coordinates [x, y, z]' }),
            {
              error: `an array of ${jointCount} joints`,
            },
          )
          .length(jointCount, { error: `${jointCount} joints (layout ${LAYOUT})` }),
        { error: 'an array of frames' },
      )
      .min(1, { error: 'at least one frame' }),
    label: z
      .int({ error: `an integer label 1..${classCount}` })
      .min(1, { error: `a label in 1..${classCount}` })
      .max(classCount, {
        error: `a label in 1..${classCount}`,
      }),
  });
}

/** Parses the text of one NW-UCLA JSON file. `fileName` is used in error messages. */
export function parseNwUcla(text: string, fileName: string): ReadResult {
  const layout = getLayout(LAYOUT);
  const classIds = loadClassTable('nw-ucla').classes.map((c) => c.id);
  const record = parseWithSchema(nwUclaSchema(layout.numJoints, classIds.length), parseJsonText(text, fileName), {
    fileName,
  });

  const nameMatch = NAME_PATTERN.exec(record.file_name);
  if (!nameMatch) {
    throw new SkeletonFormatError({
      file: fileName,
      field: 'file_name',
      expected: 'a name aAA_sSS_eEE_vVV (action, subject, episode, view)',
      found: record.file_name,
    });
  }
  const action = `a${nameMatch[1].padStart(2, '0')}`;
  // The label and the action in the name are two copies of the same fact; a disagreement means a corrupted file.
  const labelAction = classIds[record.label - 1];
  if (labelAction !== action) {
    const expectedLabel = classIds.indexOf(action) + 1;
    throw new SkeletonFormatError({
      file: fileName,
      field: 'label',
      expected:
        expectedLabel > 0
          ? `${expectedLabel} (the label of action ${action} in file_name)`
          : `file_name to name one of the actions ${classIds.join(', ')}`,
      found: `${record.label} (action ${labelAction})`,
    });
  }

  const frames = record.skeletons.length;
  const data = new Float32Array(frames * layout.numJoints * XYZ.length);
  let offset = 0;
  for (const frame of record.skeletons) {
    for (const joint of frame) {
      data[offset++] = joint[0];
      data[offset++] = joint[1];
      data[offset++] = joint[2];
    }
  }
  const sample: SkeletonSample = {
    name: record.file_name,
    label: record.label - 1,
    layout: LAYOUT,
    channels: XYZ,
    clip: makeClip(data, 1, frames, layout.numJoints, XYZ.length),
    meta: { action, subject: Number(nameMatch[2]), episode: Number(nameMatch[3]), view: Number(nameMatch[4]) },
    notes: [],
  };
  return { samples: [sample], skipped: [] };
}

/** Reads one NW-UCLA JSON file (CTR-GCN's `all_sqe/*.json`). */
export function readNwUcla(path: string): ReadResult {
  const { text, fileName } = readTextFile(path);
  return parseNwUcla(text, fileName);
}

/**
 * Label corrections for NW-UCLA clips whose motion contradicts their published label
 * (`datasets/nw-ucla/label-errata.json`, or a user's file of the same shape). Each clip names
 * its corrected action id and a key into `evidence`, the reason a reader can check.
 */
export interface NwUclaErrata {
  readonly file: string;
  /** Corrected action id (aNN) and evidence key per clip name. */
  readonly clips: ReadonlyMap<string, { readonly label: string; readonly evidence: string }>;
}

const errataSchema = z
  .object({
    dataset: z.literal('nw-ucla', { error: '"nw-ucla"' }),
    evidence: z.record(z.string(), z.string({ error: 'a sentence' })),
    clips: z.array(
      z
        .object({
          name: z.string().regex(NAME_PATTERN, { error: 'a clip name aAA_sSS_eEE_vVV' }),
          label: z.string({ error: 'an action id aNN' }),
          evidence: z.string({ error: 'a key of "evidence"' }),
        })
        .strict(),
    ),
  })
  .loose();

/** Reads and checks an errata file: every action id must exist, every evidence key must be defined, no clip twice. */
export function readNwUclaErrata(path: string): NwUclaErrata {
  const { text, fileName } = readTextFile(path);
  return parseNwUclaErrata(text, fileName);
}

/** Checks the text of an errata file (readNwUclaErrata on text already in memory). `fileName` is used in error messages. */
export function parseNwUclaErrata(text: string, fileName: string): NwUclaErrata {
  const record = parseWithSchema(errataSchema, parseJsonText(text, fileName), { fileName });
  const classIds = loadClassTable('nw-ucla').classes.map((c) => c.id);
  const clips = new Map<string, { label: string; evidence: string }>();
  record.clips.forEach((clip, i) => {
    const fail = (field: string, expected: string, found: string) => {
      throw new SkeletonFormatError({ file: fileName, field: `clips[${i}].${field}`, expected, found });
    };
    if (!classIds.includes(clip.label)) fail('label', `one of the actions ${classIds.join(', ')}`, clip.label);
    if (!(clip.evidence in record.evidence))
      fail('evidence', `a key of "evidence" (${Object.keys(record.evidence).join(', ')})`, clip.evidence);
    if (clips.has(clip.name)) fail('name', 'each clip listed once', `${clip.name} again`);
    clips.set(clip.name, { label: clip.label, evidence: clip.evidence });
  });
  return { file: fileName, clips };
}

/** The sample with its label corrected when the errata list it (and a note saying so); else the sample as is. */
export function applyNwUclaErrata(sample: SkeletonSample, errata: NwUclaErrata): SkeletonSample {
  const entry = errata.clips.get(sample.name);
  if (!entry) return sample;
  const classes = loadClassTable('nw-ucla').classes;
  const label = classes.findIndex((c) => c.id === entry.label);
  const note = `label corrected by ${errata.file} (${entry.evidence}): ${classes[sample.label].name} -> ${classes[label].name}`;
  return { ...sample, label, meta: { ...sample.meta, publishedLabel: sample.label }, notes: [...sample.notes, note] };
}
