/**
 * Pose files (or extraction results) turned into stream frames for a model: each frame's people
 * in the model's layout (src/pose/mapping.ts), in fixed person slots (the longest tracks first,
 * so a person keeps a slot for the whole clip).
 */
import type { LayoutName } from '../graph/layout.js';
import { rawChannelsOf, type Modality } from '../graph/modalities.js';
import { MAPPED_LAYOUTS, mapPose, type MappedLayout } from '../pose/mapping.js';
import { trackTranslations, type TrajectoryOptions } from '../pose/trajectory.js';
import type { PoseFile } from '../pose/types.js';
import type { StreamFrame } from './stream-classifier.js';

/** What MediaPipe poses give per joint in each layout a model can take them in (src/pose/mapping.ts). */
export const POSE_FEED_CHANNELS: Readonly<Record<MappedLayout | 'blazepose-33', readonly string[]>> = {
  'ntu-25': ['x', 'y', 'z'], // world metres, NTU axes
  'kinect-20': ['x', 'y', 'z'], // world metres, Kinect axes
  'coco-17': ['x', 'y', 'score'], // pixels
  'blazepose-33': ['x', 'y', 'z', 'visibility'], // pixels
};

/** The layouts and channels that can be fed, for messages. */
export function poseFeedList(): string {
  return Object.entries(POSE_FEED_CHANNELS)
    .map(([layout, c]) => `${layout} with up to ${c.length} channels (${c.join(' ')})`)
    .join('; ');
}

/**
 * Why a model of this layout and input channels cannot take MediaPipe poses (the demo page,
 * classify and reps on a video or pose file), naming what would fit; undefined when it can.
 */
export function poseFeedProblem(model: {
  readonly layout: LayoutName;
  readonly inChannels: number;
  readonly modality?: Modality;
}): string | undefined {
  const channels = (POSE_FEED_CHANNELS as Record<string, readonly string[]>)[model.layout];
  if (!channels)
    return `the model's layout is ${model.layout}, which MediaPipe poses cannot be mapped to; models that fit: ${poseFeedList()}`;
  // What a pose frame must give per joint: a stacked modality (jb) is computed from xyz.
  const raw = rawChannelsOf(model.modality ?? 'j', model.inChannels);
  if (raw > channels.length)
    return `the model takes ${raw} channels per joint, MediaPipe poses in ${model.layout} give ${channels.length} (${channels.join(' ')}); models that fit: ${poseFeedList()}`;
  return undefined;
}

/** The layouts a model can take MediaPipe poses in. */
export function poseLayoutFor(layout: LayoutName): MappedLayout | 'blazepose-33' {
  if ((MAPPED_LAYOUTS as readonly string[]).includes(layout)) return layout as MappedLayout;
  if (layout === 'blazepose-33') return 'blazepose-33';
  throw new Error(
    `a model on layout ${layout} cannot take MediaPipe poses (there is no BlazePose mapping to ${layout}); use a model trained on ntu-25, kinect-20, coco-17 or blazepose-33 data`,
  );
}

/**
 * The frames of a pose file for a model of `layout` with `persons` person slots. On the world layouts
 * (ntu-25, kinect-20) each person's path through the room is restored from the image landmarks
 * (src/pose/trajectory.ts) unless `trajectory` is false: MediaPipe's world landmarks are hip-centred,
 * Kinect skeletons are not, and Kinect models lean on the path (walking, sitting down, standing up).
 */
export function poseFileFrames(
  poses: PoseFile,
  layout: LayoutName,
  persons: number,
  trajectory: TrajectoryOptions | false = {},
): StreamFrame[] {
  const target = poseLayoutFor(layout);
  const tracks = [...poses.tracks]
    .sort((a, b) => b.frames - a.frames || a.id - b.id)
    .slice(0, persons)
    .map((t) => t.id);
  const { width, height } = poses.extraction;
  const world = target === 'ntu-25' || target === 'kinect-20';
  const paths = tracks.map((id) => (world && trajectory !== false ? trackTranslations(poses, id, trajectory) : null));
  return poses.frames.map((f, t) => ({
    timestampMs: f.timestampMs,
    persons: tracks.map((id, slot) => {
      const p = f.people.find((q) => q.track === id);
      if (!p) return null;
      if (target === 'blazepose-33') return p.image.map(([x, y, z, v]) => [x * width, y * height, z * width, v]);
      return mapPose(p, target, width, height, paths[slot]?.[t]).joints;
    }),
  }));
}
