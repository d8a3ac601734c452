/**
 * Pose files (`<video>.poses.json`, written by `skelact extract`): writing (atomically),
 * reading with validation (errors name the file and the field), and conversion to records of
 * the generic skeleton format (docs/generic-format.md), so that `skelact prepare generic` turns
 * extracted videos into a dataset.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { writeFileAtomic } from '../core/files.js';
import type { GenericRecord } from '../data/formats/generic.js';
import { type MappedLayout, mapPose, mappingTo } from './mapping.js';
import { DEFAULT_HORIZONTAL_FOV_DEGREES, trackTranslations, type TrajectoryOptions } from './trajectory.js';
import {
  BLAZEPOSE_LANDMARKS,
  POSE_ENGINES,
  POSE_FILE_FORMAT,
  POSE_FILE_VERSION,
  POSE_MODELS,
  type PersonPose,
  type PoseFile,
} from './types.js';
import { SkelactError, parseWith } from '../core/errors.js';

const finite = z.number().refine(Number.isFinite, 'a finite number');
const personSchema = z
  .object({
    track: z.number().int().min(0),
    image: z.array(z.tuple([finite, finite, finite, finite])).length(BLAZEPOSE_LANDMARKS),
    world: z.array(z.tuple([finite, finite, finite])).length(BLAZEPOSE_LANDMARKS),
    box: z.tuple([finite, finite, finite, finite]),
    score: finite,
  })
  .strict();

export const poseFileSchema = z
  .object({
    format: z.literal(POSE_FILE_FORMAT),
    version: z.literal(POSE_FILE_VERSION),
    source: z
      .object({
        file: z.string(),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        fps: z.number().positive(),
        durationSeconds: z.number().min(0),
      })
      .strict(),
    extraction: z
      .object({
        engine: z.enum(POSE_ENGINES),
        engineDescription: z.string(),
        model: z.enum(POSE_MODELS),
        fps: z.number().positive(),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        persons: z.number().int().min(1),
        detector: z.string().nullable(),
        skelactVersion: z.string(),
        date: z.string(),
      })
      .strict(),
    landmarkLayout: z.literal('blazepose-33'),
    tracks: z.array(
      z
        .object({
          id: z.number().int().min(0),
          firstFrame: z.number().int().min(0),
          lastFrame: z.number().int().min(0),
          frames: z.number().int().min(0),
        })
        .strict(),
    ),
    frames: z.array(
      z
        .object({ index: z.number().int().min(0), timestampMs: z.number().min(0), people: z.array(personSchema) })
        .strict(),
    ),
  })
  .strict();

export class PoseFileError extends SkelactError {
  readonly code = 'invalid-pose-file';

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

/** The conventional pose file name for a video: `clip.mp4` → `clip.poses.json`. */
export function poseFileName(video: string): string {
  const base = video.split(/[\\/]/).pop() as string;
  return `${base.replace(/\.[^.]+$/, '')}.poses.json`;
}

/** Writes a pose file atomically. */
export function writePoseFile(path: string, poses: PoseFile): void {
  writeFileAtomic(path, `${JSON.stringify(poses)}\n`);
}

/** Reads and validates a pose file (`.poses.json`). */
export function readPoseFile(path: string): PoseFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PoseFileError(path, `not a JSON pose file (${(e as Error).message})`);
  }
  const validated = parseWith(
    poseFileSchema,
    raw,
    path,
    (field, detail) => new PoseFileError(path, `field '${field ?? '(root)'}': ${detail}`),
  );
  return validated as PoseFile;
}

/** Whether a file is a pose file (by name), as opposed to a video. */
export function isPoseFile(path: string): boolean {
  return path.endsWith('.poses.json');
}

export interface GenericOptions {
  /** Output layout: ntu-25 (world, NTU axes, metres), coco-17 (pixels + score), blazepose-33 (image pixels, z, visibility). */
  readonly layout: MappedLayout | 'blazepose-33';
  readonly name: string;
  readonly label?: string | number;
  readonly split?: string;
  /** Joints below this visibility are written as missing (null). Default 0: keep every joint. */
  readonly minVisibility?: number;
  /** People per record: the tracks seen in the most frames (default: the extraction's --persons). */
  readonly persons?: number;
  /**
   * On ntu-25 and kinect-20: restore each person's path through the room from the image landmarks
   * (src/pose/trajectory.ts), as Kinect skeletons have it; false keeps the world landmarks hip-centred.
   * Default: restored, with the default field of view.
   */
  readonly trajectory?: TrajectoryOptions | false;
}

/**
 * One generic record for a pose file: the `persons` longest tracks as the record's persons,
 * every decoded frame (null where a person was not found). Which joints were synthesised or
 * approximated, the engine and the video go into `meta`.
 */
export function toGenericRecord(poses: PoseFile, options: GenericOptions): GenericRecord {
  const persons = options.persons ?? poses.extraction.persons;
  const tracks = [...poses.tracks].sort((a, b) => b.frames - a.frames || a.id - b.id).slice(0, persons);
  if (tracks.length === 0) throw new PoseFileError(options.name, 'no person was found in any frame: nothing to write');
  const minVisibility = options.minVisibility ?? 0;
  const { width, height } = poses.extraction;
  const world = options.layout === 'ntu-25' || options.layout === 'kinect-20';
  const convert = (p: PersonPose, translation: readonly [number, number, number] | null): Array<number[] | null> => {
    if (options.layout === 'blazepose-33') {
      return p.image.map(([x, y, zc, v]) => (v < minVisibility ? null : [x * width, y * height, zc * width, v]));
    }
    const { joints, visibility } = mapPose(p, options.layout, width, height, translation);
    return joints.map((j, i) => (visibility[i] < minVisibility ? null : j));
  };
  const joints = tracks.map((t) => {
    const path =
      world && options.trajectory !== false ? trackTranslations(poses, t.id, options.trajectory ?? {}) : null;
    return poses.frames.map((f, i) => {
      const p = f.people.find((q) => q.track === t.id);
      return p ? convert(p, path?.[i] ?? null) : null;
    });
  });
  const mapping = options.layout === 'blazepose-33' ? undefined : mappingTo(options.layout);
  const meta: Record<string, string | number> = {
    video: poses.source.file,
    engine: `${poses.extraction.engine} ${poses.extraction.model}`,
    tracks: tracks.map((t) => t.id).join(','),
    framesFound: tracks.map((t) => t.frames).join(','),
  };
  if (mapping && world)
    meta.trajectory =
      options.trajectory === false
        ? 'hip-centred (world landmarks as given)'
        : `restored from the image landmarks, horizontal field of view ${options.trajectory?.horizontalFovDegrees ?? DEFAULT_HORIZONTAL_FOV_DEGREES}° assumed`;
  if (mapping) {
    meta.synthesisedJoints = mapping.synthesised.join(',');
    meta.approximateJoints = mapping.approximate.join(',');
  }
  return {
    name: options.name,
    layout: options.layout,
    ...(options.label !== undefined ? { label: options.label } : {}),
    ...(options.split !== undefined ? { split: options.split } : {}),
    fps: poses.extraction.fps,
    channels:
      options.layout === 'ntu-25'
        ? ['x', 'y', 'z']
        : options.layout === 'coco-17'
          ? ['x', 'y', 'score']
          : ['x', 'y', 'z', 'visibility'],
    joints,
    meta,
  };
}
