/**
 * Seeded synthetic NTU-like skeleton samples.
 *
 * For every requested class and index the generator draws an NTU-style recording context
 * (setup, camera, performer, replication → the name SsssCcccPpppRrrrAaaa), poses the
 * performer's body (kinematics.ts) along the action's motion (actions.ts, timeline.ts),
 * places it in front of the sensor, converts to camera space and adds sensor noise.
 *
 * All randomness comes from `seed` through per-purpose child streams (random.ts):
 *  - one stream per performer (body shape, handedness, tempo) and per setup (sensor pose),
 *    so a performer looks the same in every sample and a setup has one camera rig;
 *  - one stream per class for the names, so names never repeat within a class;
 *  - one stream per (class, index) for everything else.
 * The same options therefore give bit-identical samples, and a sample does not change
 * when other classes are added to or removed from the request.
 */
import { NTU60_XSUB_TRAIN } from '../ntu/benchmarks.js';
import { makeClip } from '../../graph/clip.js';
import type { LayoutName } from '../../graph/layout.js';
import { getLayout, jointIndex } from '../../graph/layout.js';
import { type SkeletonSample, XYZ } from '../types.js';
import { type ActionSpec, type SyntheticClass, describeAction, selectActions } from './actions.js';
import {
  BodyModel,
  type BodyShape,
  DOF_COUNT,
  type Placement,
  type SensorPose,
  kinect20FromNtu25,
  randomBodyShape,
  worldToCamera,
} from './kinematics.js';
import { Rng, deriveSeed, seedFromNumber, stringKey } from '../../core/random.js';
import { DEG } from './rotation.js';
import { DEFAULT_VARIATION, Motion, type MotionVariation } from './timeline.js';
import { SkelactError } from '../../core/errors.js';

export type FrameRange = readonly [min: number, max: number];

/** Frame-count ranges by the number of people in the action. */
export interface FrameRangesByPersons {
  readonly onePerson: FrameRange;
  readonly twoPerson: FrameRange;
}

export interface ViewpointOptions {
  /**
   * Facing of the subject relative to facing the sensor, degrees (positive = turned to its
   * left). For a pair, the turn of the pair's line away from square-on (profile) view.
   */
  readonly heading?: readonly [number, number];
  /** Sensor height above the floor, metres. */
  readonly cameraHeight?: readonly [number, number];
  /** Sensor pitch, degrees; positive looks up. */
  readonly cameraTilt?: readonly [number, number];
  /**
   * Depth of the subject (or the middle of a pair) from the sensor, metres. A pair seen at
   * an angle, or walking, is moved farther when needed so that both stay in view.
   */
  readonly distance?: readonly [number, number];
}

export interface JitterOptions {
  /** Chance per person and frame that a glitch starts (a limb end jumps away for 1–3 frames). */
  readonly probability?: number;
  /** Size of the jump, metres. */
  readonly magnitude?: readonly [number, number];
}

export interface SyntheticOptions {
  /** Seed of every random choice (a safe integer). Default 0. */
  readonly seed?: number;
  /** Joint layout of the clips. Default 'ntu-25'. */
  readonly layout?: 'ntu-25' | 'kinect-20';
  /** Classes, by NTU id ('A050'), number (50) or name; their order is the label order. Default: all. */
  readonly actions?: readonly (string | number)[];
  /** Samples per class. Default 20. */
  readonly samplesPerClass?: number;
  /** Clip length in frames, one range or one per number of people. Default [60, 140] (NTU-like). */
  readonly frames?: FrameRange | FrameRangesByPersons;
  /** Frames per second. Default 30 (Kinect v2). */
  readonly fps?: number;
  readonly viewpoint?: ViewpointOptions;
  /** Standard deviation of the Gaussian noise on every coordinate, metres. Default 0.01. */
  readonly jointNoise?: number;
  readonly jitter?: JitterOptions;
  /** Performer ids to draw from. Default 1–40 (NTU60's performers). */
  readonly performers?: readonly number[];
  /** Camera ids (1–3). Default [1, 2, 3]. */
  readonly cameras?: readonly number[];
  /** Setup ids. Default 1–17 (NTU60's setups). */
  readonly setups?: readonly number[];
  /** Replication ids (1–2). Default [1, 2]. */
  readonly replications?: readonly number[];
  /** How much performances vary (speed 0.7–1.4×, amplitude, timing, pose jitter). */
  readonly variation?: Partial<MotionVariation>;
  /** Person slots of every clip (zero-padded). Default: the most people any chosen action has. */
  readonly personSlots?: number;
}

/** Options with every default filled in and checked. */
export interface ResolvedSyntheticOptions {
  readonly seed: number;
  readonly layout: 'ntu-25' | 'kinect-20';
  readonly actions: readonly ActionSpec[];
  readonly samplesPerClass: number;
  readonly frames: FrameRangesByPersons;
  readonly fps: number;
  readonly viewpoint: Required<ViewpointOptions>;
  readonly jointNoise: number;
  readonly jitter: Required<JitterOptions>;
  readonly performers: readonly number[];
  readonly cameras: readonly number[];
  readonly setups: readonly number[];
  readonly replications: readonly number[];
  readonly variation: MotionVariation;
  readonly personSlots: number;
}

/** NTU60 cross-subject training performers (reference data.md §1.4). */
const NTU60_XSUB_TRAIN_PERFORMERS: ReadonlySet<number> = new Set(NTU60_XSUB_TRAIN);
/** Share of samples drawn from training performers: NTU60 x-sub is 40,091 train / 16,487 test. */
const XSUB_TRAIN_SHARE = 0.7;

/**
 * Each camera sees the performance from its own side and each replication turns the
 * performer a little (NTU: three cameras at −45°, 0°, +45°; the two replications face
 * different cameras), so camera and replication shape the view as in NTU's cross-view split.
 */
const CAMERA_HEADING_DEGREES: Readonly<Record<number, number>> = { 1: -25, 2: 0, 3: 25 };
const REPLICATION_HEADING_DEGREES: Readonly<Record<number, number>> = { 1: -10, 2: 10 };
const HEADING_SPREAD_DEGREES = 8;
/**
 * Nearest a person may come to the sensor, metres, and the widest angle off the optical
 * axis (tan of 32°, inside Kinect v2's 35° half field of view). A pair spreads in depth
 * and width, and walkers cover metres, so a pair is moved back until both stay in view.
 */
const NEAREST_DEPTH = 2.0;
const MAX_SIDEWAYS_SLOPE = Math.tan(32 * DEG);
/** Half the width of a body with its arms, metres. */
const BODY_HALF_WIDTH = 0.25;

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const SYNTHETIC_DEFAULTS = {
  seed: 0,
  layout: 'ntu-25',
  samplesPerClass: 20,
  frames: [60, 140] as FrameRange,
  fps: 30,
  viewpoint: { heading: [-45, 45], cameraHeight: [0.5, 1.2], cameraTilt: [-8, 10], distance: [2.5, 4] },
  jointNoise: 0.01,
  jitter: { probability: 0.01, magnitude: [0.05, 0.2] },
  performers: range(1, 40),
  cameras: [1, 2, 3],
  setups: range(1, 17),
  replications: [1, 2],
} as const;

/** Keys of the child random streams. */
const STREAM = { names: 1, sample: 2, performer: 3, setup: 4 } as const;

class OptionError extends SkelactError {
  readonly code = 'invalid-option';

  constructor(field: string, expected: string, got: unknown) {
    super(`synthetic option '${field}': expected ${expected}, got ${JSON.stringify(got)}`);
  }
}

function checkRange(
  field: string,
  value: readonly [number, number],
  min: number,
  max: number,
): readonly [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every(Number.isFinite) ||
    value[0] > value[1] ||
    value[0] < min ||
    value[1] > max
  ) {
    throw new OptionError(field, `[min, max] with ${min} ≤ min ≤ max ≤ ${max}`, value);
  }
  return value;
}

function checkIds(field: string, ids: readonly number[], min: number, max: number): readonly number[] {
  if (
    !Array.isArray(ids) ||
    ids.length === 0 ||
    !ids.every((v) => Number.isInteger(v) && v >= min && v <= max) ||
    new Set(ids).size !== ids.length
  ) {
    throw new OptionError(field, `a non-empty list of distinct integers in ${min}..${max}`, ids);
  }
  return ids;
}

function checkFrames(field: string, value: FrameRange): FrameRange {
  checkRange(field, value, 2, 100_000);
  if (!value.every(Number.isInteger)) throw new OptionError(field, 'integer frame counts', value);
  return value;
}

/** Fills in defaults and validates, with errors that name the field. */
export function resolveSyntheticOptions(options: SyntheticOptions = {}): ResolvedSyntheticOptions {
  const d = SYNTHETIC_DEFAULTS;
  const seed = options.seed ?? d.seed;
  if (!Number.isSafeInteger(seed)) throw new OptionError('seed', 'a safe integer', seed);
  const layout = options.layout ?? d.layout;
  if (layout !== 'ntu-25' && layout !== 'kinect-20') throw new OptionError('layout', "'ntu-25' or 'kinect-20'", layout);
  const actions = selectActions(options.actions);
  const samplesPerClass = options.samplesPerClass ?? d.samplesPerClass;
  if (!Number.isInteger(samplesPerClass) || samplesPerClass < 1)
    throw new OptionError('samplesPerClass', 'a positive integer', samplesPerClass);
  const framesOption = options.frames ?? d.frames;
  const frames: FrameRangesByPersons = Array.isArray(framesOption)
    ? {
        onePerson: checkFrames('frames', framesOption as FrameRange),
        twoPerson: checkFrames('frames', framesOption as FrameRange),
      }
    : {
        onePerson: checkFrames('frames.onePerson', (framesOption as FrameRangesByPersons).onePerson),
        twoPerson: checkFrames('frames.twoPerson', (framesOption as FrameRangesByPersons).twoPerson),
      };
  const fps = options.fps ?? d.fps;
  if (!Number.isFinite(fps) || fps <= 0) throw new OptionError('fps', 'a positive number', fps);
  const vp = options.viewpoint ?? {};
  const viewpoint: Required<ViewpointOptions> = {
    heading: checkRange('viewpoint.heading', vp.heading ?? d.viewpoint.heading, -180, 180),
    cameraHeight: checkRange('viewpoint.cameraHeight', vp.cameraHeight ?? d.viewpoint.cameraHeight, 0, 5),
    cameraTilt: checkRange('viewpoint.cameraTilt', vp.cameraTilt ?? d.viewpoint.cameraTilt, -60, 60),
    distance: checkRange('viewpoint.distance', vp.distance ?? d.viewpoint.distance, 0.5, 10),
  };
  const jointNoise = options.jointNoise ?? d.jointNoise;
  if (!Number.isFinite(jointNoise) || jointNoise < 0)
    throw new OptionError('jointNoise', 'a non-negative number (metres)', jointNoise);
  const jitterProbability = options.jitter?.probability ?? d.jitter.probability;
  if (!Number.isFinite(jitterProbability) || jitterProbability < 0 || jitterProbability > 1)
    throw new OptionError('jitter.probability', 'a probability in [0, 1]', jitterProbability);
  const jitter: Required<JitterOptions> = {
    probability: jitterProbability,
    magnitude: checkRange('jitter.magnitude', options.jitter?.magnitude ?? d.jitter.magnitude, 0, 5),
  };
  const performers = checkIds('performers', options.performers ?? d.performers, 1, 999);
  const cameras = checkIds('cameras', options.cameras ?? d.cameras, 1, 3);
  const setups = checkIds('setups', options.setups ?? d.setups, 1, 999);
  const replications = checkIds('replications', options.replications ?? d.replications, 1, 2);
  const v = options.variation ?? {};
  const variation: MotionVariation = {
    speed: checkRange('variation.speed', v.speed ?? DEFAULT_VARIATION.speed, 0.05, 20),
    amplitude: checkRange('variation.amplitude', v.amplitude ?? DEFAULT_VARIATION.amplitude, 0, 3),
    timing: checkRange('variation.timing', [0, v.timing ?? DEFAULT_VARIATION.timing], 0, 0.9)[1],
    poseJitterDegrees: checkRange(
      'variation.poseJitterDegrees',
      [0, v.poseJitterDegrees ?? DEFAULT_VARIATION.poseJitterDegrees],
      0,
      45,
    )[1],
    stride: checkRange('variation.stride', v.stride ?? DEFAULT_VARIATION.stride, 0, 3),
  };
  const mostPersons = Math.max(...actions.map((a) => a.persons));
  const personSlots = options.personSlots ?? mostPersons;
  if (!Number.isInteger(personSlots) || personSlots < mostPersons || personSlots > 6) {
    throw new OptionError(
      'personSlots',
      `an integer from ${mostPersons} (the most people in a chosen action) to 6`,
      personSlots,
    );
  }
  const distinctNames = setups.length * cameras.length * performers.length * replications.length;
  if (samplesPerClass > distinctNames) {
    throw new OptionError(
      'samplesPerClass',
      `at most ${distinctNames} (distinct setup × camera × performer × replication names)`,
      samplesPerClass,
    );
  }
  return {
    seed,
    layout,
    actions,
    samplesPerClass,
    frames,
    fps,
    viewpoint,
    jointNoise,
    jitter,
    performers,
    cameras,
    setups,
    replications,
    variation,
    personSlots,
  };
}

/** The classes of a request, in label order (label i is classes[i]). */
export function syntheticClasses(options: SyntheticOptions = {}): SyntheticClass[] {
  return selectActions(options.actions).map(describeAction);
}

/** All samples at once: `samplesPerClass` per class, classes interleaved. */
export function generateSyntheticSamples(options: SyntheticOptions = {}): SkeletonSample[] {
  return [...iterateSyntheticSamples(options)];
}

/**
 * Samples one at a time, for sets too large to hold: index 0 of every class, then index 1,
 * and so on, so any prefix is class-balanced.
 */
export function* iterateSyntheticSamples(options: SyntheticOptions = {}): Generator<SkeletonSample, void, undefined> {
  const resolved = resolveSyntheticOptions(options);
  const context = new GeneratorContext(resolved);
  const namers = resolved.actions.map((spec) => new NameDrawer(resolved, spec));
  for (let index = 0; index < resolved.samplesPerClass; index++) {
    for (let label = 0; label < resolved.actions.length; label++) {
      yield context.sample(resolved.actions[label], label, index, namers[label].next());
    }
  }
}

/** The NTU recording context of a sample: what its name encodes. */
export interface RecordingContext {
  readonly setup: number;
  readonly camera: number;
  readonly performer: number;
  readonly replication: number;
}

/** `SsssCcccPpppRrrrAaaa` (reference data.md §1.4). */
export function ntuSampleName(context: RecordingContext, action: number): string {
  const pad = (n: number): string => String(n).padStart(3, '0');
  return `S${pad(context.setup)}C${pad(context.camera)}P${pad(context.performer)}R${pad(context.replication)}A${pad(action)}`;
}

/** Draws distinct recording contexts for one class, 70 % of them from x-sub training performers. */
class NameDrawer {
  private readonly rng: Rng;
  private readonly used = new Set<string>();
  private readonly trainPerformers: readonly number[];
  private readonly testPerformers: readonly number[];

  constructor(
    private readonly options: ResolvedSyntheticOptions,
    spec: ActionSpec,
  ) {
    this.rng = new Rng(deriveSeed(seedFromNumber(options.seed), STREAM.names, stringKey(spec.id)));
    this.trainPerformers = options.performers.filter((p) => NTU60_XSUB_TRAIN_PERFORMERS.has(p));
    this.testPerformers = options.performers.filter((p) => !NTU60_XSUB_TRAIN_PERFORMERS.has(p));
  }

  next(): RecordingContext {
    const o = this.options;
    for (let attempt = 0; attempt < 200; attempt++) {
      const pool =
        this.trainPerformers.length === 0
          ? this.testPerformers
          : this.testPerformers.length === 0
            ? this.trainPerformers
            : this.rng.chance(XSUB_TRAIN_SHARE)
              ? this.trainPerformers
              : this.testPerformers;
      const context = {
        setup: this.rng.pick(o.setups),
        camera: this.rng.pick(o.cameras),
        performer: this.rng.pick(pool),
        replication: this.rng.pick(o.replications),
      };
      if (this.claim(context)) return context;
    }
    // Nearly every name is taken: walk the combinations in order (still deterministic).
    for (const setup of o.setups)
      for (const camera of o.cameras)
        for (const performer of o.performers)
          for (const replication of o.replications) {
            const context = { setup, camera, performer, replication };
            if (this.claim(context)) return context;
          }
    throw new Error('synthetic generator: no distinct sample name left (samplesPerClass exceeds the name space)');
  }

  private claim(c: RecordingContext): boolean {
    const key = `${c.setup}/${c.camera}/${c.performer}/${c.replication}`;
    if (this.used.has(key)) return false;
    this.used.add(key);
    return true;
  }
}

/** A performer: the same body, handedness and tempo in every sample. */
interface Performer {
  readonly body: BodyShape;
  readonly leftHanded: boolean;
  readonly tempo: number;
}

/** A setup: one sensor rig (height, pitch, typical subject distance). */
interface SetupRig {
  readonly height: number;
  readonly tilt: number;
  readonly distance: number;
}

/** Limb ends that a Kinect glitch throws around together. */
const JITTER_GROUPS: ReadonlyArray<{ readonly label: string; readonly joints: readonly string[] }> = [
  { label: 'right hand', joints: ['WristRight', 'HandRight', 'HandTipRight', 'ThumbRight'] },
  { label: 'left hand', joints: ['WristLeft', 'HandLeft', 'HandTipLeft', 'ThumbLeft'] },
  { label: 'right foot', joints: ['AnkleRight', 'FootRight'] },
  { label: 'left foot', joints: ['AnkleLeft', 'FootLeft'] },
  { label: 'head', joints: ['Head'] },
];

class GeneratorContext {
  private readonly seed32: number;
  private readonly performers = new Map<number, Performer>();
  private readonly rigs = new Map<number, SetupRig>();
  private readonly ntuJoints = getLayout('ntu-25').numJoints;
  /** Output joint → NTU joint index. */
  private readonly outputJoints: Int32Array;
  private readonly jitterGroups: ReadonlyArray<{ readonly label: string; readonly joints: Int32Array }>;
  private readonly world: Float64Array;

  constructor(private readonly options: ResolvedSyntheticOptions) {
    this.seed32 = seedFromNumber(options.seed);
    const ntu = getLayout('ntu-25');
    this.outputJoints =
      options.layout === 'ntu-25' ? Int32Array.from({ length: ntu.numJoints }, (_, i) => i) : kinect20FromNtu25();
    this.jitterGroups = JITTER_GROUPS.map((g) => ({
      label: g.label,
      joints: Int32Array.from(g.joints.map((n) => jointIndex(ntu, n))),
    }));
    this.world = new Float64Array(ntu.numJoints * 3);
  }

  sample(spec: ActionSpec, label: number, index: number, context: RecordingContext): SkeletonSample {
    const o = this.options;
    const rng = new Rng(deriveSeed(this.seed32, STREAM.sample, stringKey(spec.id), index));
    const performer = this.performer(context.performer);
    const rig = this.rig(context.setup);
    const mirrored = spec.handed && rng.chance(performer.leftHanded ? 0.8 : 0.2);
    const motion = new Motion(spec, rng, o.variation, { mirrored, speedBias: performer.tempo });

    // Clip length: the motion plus some idle time, within the frame range; a motion too long
    // for the range is played faster.
    const [minFrames, maxFrames] = spec.persons === 1 ? o.frames.onePerson : o.frames.twoPerson;
    const idleFrames = 3;
    const motionFrames = motion.duration * o.fps;
    const frames = Math.min(maxFrames, Math.max(minFrames, Math.round(motionFrames) + rng.int(2 * idleFrames, 40)));
    const timeScale = Math.min(1, Math.max(1, frames - 2 * idleFrames) / Math.max(motionFrames, 1e-9));
    const lead = (frames - motionFrames * timeScale) * rng.uniform(0.25, 0.75);

    // View: heading from camera and replication, depth from the setup.
    const headingRange = o.viewpoint.heading;
    const headingDegrees = clamp(
      (CAMERA_HEADING_DEGREES[context.camera] ?? 0) +
        (REPLICATION_HEADING_DEGREES[context.replication] ?? 0) +
        rng.normal() * HEADING_SPREAD_DEGREES,
      headingRange[0],
      headingRange[1],
    );
    let distance = clamp(rig.distance + rng.normal() * 0.15, o.viewpoint.distance[0], o.viewpoint.distance[1]);
    const sensor: SensorPose = {
      height: rig.height + rng.normal() * 0.02,
      tilt: (rig.tilt + rng.normal()) * DEG,
      roll: rng.normal() * DEG,
    };
    const lateral = rng.normal() * 0.15;
    const placements: Placement[] = [];
    const bodies: BodyModel[] = [new BodyModel(performer.body)];
    if (spec.persons === 1) {
      placements.push({ x: lateral, z: distance, heading: headingDegrees * DEG });
    } else {
      // The pair faces each other across the view; which side the actor stands on is random.
      const gap = rng.inRange(spec.startDistance ?? [0.9, 1.1]);
      const actorHeading = (headingDegrees + (rng.chance(0.5) ? 90 : -90)) * DEG;
      const fx = -Math.sin(actorHeading);
      const fz = -Math.cos(actorHeading);
      // Each person starts gap/2 from the middle and may step back from there.
      const reach = gap / 2 + Math.max(motion.retreat(0), motion.retreat(1));
      distance = Math.max(
        distance,
        NEAREST_DEPTH + Math.abs(fz) * reach,
        // Worst case: the person nearer the sensor is also the one farther to the side.
        Math.abs(fz) * reach + (Math.abs(fx) * reach + Math.abs(lateral) + BODY_HALF_WIDTH) / MAX_SIDEWAYS_SLOPE,
      );
      placements.push({ x: lateral - (fx * gap) / 2, z: distance - (fz * gap) / 2, heading: actorHeading });
      placements.push({ x: lateral + (fx * gap) / 2, z: distance + (fz * gap) / 2, heading: actorHeading + Math.PI });
      bodies.push(new BodyModel(randomBodyShape(rng)));
    }

    const V = this.outputJoints.length;
    const clip = makeClip(new Float32Array(o.personSlots * frames * V * 3), o.personSlots, frames, V, 3);
    const pose = new Float64Array(DOF_COUNT);
    const world = this.world;
    const notes: string[] = [`synthetic ${spec.id} '${spec.name}' (seed ${o.seed}, index ${index})`];
    if (motion.choices.mirrored) notes.push('left-handed (mirrored) variant');
    if (timeScale < 1) notes.push(`played ${(1 / timeScale).toFixed(2)}× faster to fit ${frames} frames`);
    for (let m = 0; m < spec.persons; m++) {
      let glitch: { joints: Int32Array; dx: number; dy: number; dz: number; left: number } | undefined;
      const glitchFrames: string[] = [];
      for (let f = 0; f < frames; f++) {
        const clock = f / o.fps;
        const root = motion.evaluate(m, (f - lead) / (o.fps * timeScale), clock, pose);
        bodies[m].place(pose, root, motion.anchors[m], placements[m], world);
        worldToCamera(sensor, world, this.ntuJoints);
        if (o.jointNoise > 0) rng.addNormalNoise(world, o.jointNoise);
        if (!glitch && rng.chance(o.jitter.probability)) {
          const group = rng.pick(this.jitterGroups);
          const size = rng.inRange(o.jitter.magnitude);
          const [ux, uy, uz] = randomDirection(rng);
          glitch = { joints: group.joints, dx: ux * size, dy: uy * size, dz: uz * size, left: rng.int(1, 3) };
          glitchFrames.push(`${f} (${group.label})`);
        }
        if (glitch) {
          for (const j of glitch.joints) {
            world[3 * j] += glitch.dx;
            world[3 * j + 1] += glitch.dy;
            world[3 * j + 2] += glitch.dz;
          }
          if (--glitch.left === 0) glitch = undefined;
        }
        const out = (m * frames + f) * V * 3;
        for (let v = 0; v < V; v++) {
          const j = this.outputJoints[v];
          clip.data[out + 3 * v] = world[3 * j];
          clip.data[out + 3 * v + 1] = world[3 * j + 1];
          clip.data[out + 3 * v + 2] = world[3 * j + 2];
        }
      }
      if (glitchFrames.length > 0) notes.push(`jitter, person ${m + 1}: frames ${glitchFrames.join(', ')}`);
    }

    const action = Number(spec.id.slice(1));
    const round = (x: number, digits: number): number => Number(x.toFixed(digits));
    return {
      name: ntuSampleName(context, action),
      label,
      layout: o.layout as LayoutName,
      channels: XYZ,
      clip,
      meta: {
        setup: context.setup,
        camera: context.camera,
        performer: context.performer,
        replication: context.replication,
        action,
        persons: spec.persons,
        handedness: motion.choices.mirrored ? 'left' : 'right',
        reps: motion.choices.reps,
        speed: round(motion.choices.speed, 3),
        heading: round(headingDegrees, 1),
        distance: round(distance, 3),
        cameraHeight: round(sensor.height, 3),
        cameraTilt: round(sensor.tilt / DEG, 2),
      },
      notes,
    };
  }

  private performer(id: number): Performer {
    let performer = this.performers.get(id);
    if (!performer) {
      const rng = new Rng(deriveSeed(this.seed32, STREAM.performer, id));
      performer = { body: randomBodyShape(rng), leftHanded: rng.chance(0.12), tempo: rng.uniform(0.9, 1.1) };
      this.performers.set(id, performer);
    }
    return performer;
  }

  private rig(setup: number): SetupRig {
    let rig = this.rigs.get(setup);
    if (!rig) {
      const rng = new Rng(deriveSeed(this.seed32, STREAM.setup, setup));
      const vp = this.options.viewpoint;
      rig = {
        height: rng.inRange(vp.cameraHeight),
        tilt: rng.inRange(vp.cameraTilt),
        distance: rng.inRange(vp.distance),
      };
      this.rigs.set(setup, rig);
    }
    return rig;
  }
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}

function randomDirection(rng: Rng): [number, number, number] {
  const z = rng.uniform(-1, 1);
  const a = rng.uniform(0, 2 * Math.PI);
  const r = Math.sqrt(1 - z * z);
  return [r * Math.cos(a), r * Math.sin(a), z];
}
