/**
 * One NTU `.skeleton` file to one training-ready sample: parse, denoise, select up to two
 * actors, centre (CTR-GCN) or align (PYSKL). This is the unit of work of `skelact prepare ntu`
 * and runs inside worker threads, so it only depends on plain data.
 */
import { makeClip } from '../../graph/clip.js';
import { getLayout } from '../../graph/layout.js';
import { alignPyskl, alignmentJoints, centreOnFirstFrame } from '../normalize.js';
import { type SkeletonSample, SkeletonFormatError, XYZ } from '../types.js';
import { denoiseNtu } from './denoise.js';
import { NTU_JOINTS, parseNtuName, parseNtuSkeleton } from './parser.js';

export const NTU_ALIGNMENTS = ['ctrgcn', 'pyskl', 'none'] as const;
/** ctrgcn: centre on SpineMid of actor 1's first frame; pyskl: PreNormalize3D; none: raw camera coordinates. */
export type NtuAlignment = (typeof NTU_ALIGNMENTS)[number];

export interface NtuSampleOptions {
  readonly alignment: NtuAlignment;
}

/** Converts one file's bytes into a sample. Throws SkeletonFormatError for bad input. */
export function ntuSampleFromBytes(bytes: Uint8Array, file: string, options: NtuSampleOptions): SkeletonSample {
  const name = parseNtuName(file);
  if (!name) {
    throw new SkeletonFormatError({
      file,
      expected: 'an NTU sample name SsssCcccPpppRrrrAaaa(.skeleton), e.g. S001C001P001R001A001.skeleton',
      found: file.replace(/^.*[\\/]/, ''),
    });
  }
  if (name.action < 1 || name.action > 120) {
    throw new SkeletonFormatError({
      file,
      field: 'name',
      expected: 'an action id A001..A120',
      found: `A${name.action}`,
    });
  }
  const raw = parseNtuSkeleton(bytes, file);
  const denoised = denoiseNtu(raw);
  const layout = getLayout('ntu-25');
  let clip = makeClip(denoised.data, denoised.actors, denoised.frames, NTU_JOINTS, 3);
  const notes = [...denoised.notes];
  if (options.alignment === 'ctrgcn') clip = centreOnFirstFrame(clip, alignmentJoints(layout).centre);
  else if (options.alignment === 'pyskl') {
    const before = clip.frames;
    clip = alignPyskl(clip, alignmentJoints(layout));
    if (clip.frames !== before)
      notes.push(`PYSKL alignment dropped ${before - clip.frames} frame(s) without the main actor`);
  }
  return {
    name: name.name,
    label: name.action - 1,
    layout: 'ntu-25',
    channels: XYZ,
    clip,
    meta: {
      setup: name.setup,
      camera: name.camera,
      performer: name.performer,
      replication: name.replication,
      action: name.action,
    },
    notes,
  };
}
