/**
 * Forward-kinematics body model on the NTU RGB+D (Kinect v2) 25-joint skeleton.
 *
 * Frames used here (reference data.md §1.1):
 *  - person frame: metres, origin at SpineBase, x to the subject's LEFT, y up, z to the
 *    subject's front. Rest pose and all joint rotations live here.
 *  - world frame: the floor under the sensor is the origin, y up, z away from the sensor
 *    (horizontal), x to the sensor's left; the same axis convention as Kinect camera space.
 *  - camera frame: world frame moved up to the sensor's height and pitched by its tilt.
 *    This is what NTU files store: y up, z = depth, and for a subject facing the sensor the
 *    left shoulder has the smaller x.
 *
 * A pose is a vector of anatomical angles in degrees (DOF_NAMES). Each bone has a local
 * rotation built from those angles; bone rotations compose down the tree from SpineBase
 * (Kinect's own hierarchy), so G_j = G_parent · R_j and p_j = p_parent + G_j · restOffset_j.
 */
import { getLayout, jointIndex, type Layout } from '../../graph/layout.js';
import type { Rng } from '../../core/random.js';
import { DEG, rotateColumns, setRotationY } from './rotation.js';

/** Anatomical degrees of freedom, in degrees; positive values mean what the name says. */
export const DOF_NAMES = [
  'trunkFlex', // bend forward (split over the lumbar and thoracic bones)
  'trunkSide', // lean to the subject's left
  'trunkTwist', // turn the shoulders to the subject's left
  'neckFlex', // chin down
  'neckTwist', // look to the subject's left
  'headFlex', // head nods forward on the neck
  'shrugL',
  'shoulderFlexL',
  'shoulderAbdL',
  'shoulderRotL',
  'elbowFlexL',
  'wristFlexL',
  'shrugR',
  'shoulderFlexR',
  'shoulderAbdR',
  'shoulderRotR',
  'elbowFlexR',
  'wristFlexR',
  'hipFlexL',
  'hipAbdL',
  'hipRotL',
  'kneeFlexL',
  'ankleFlexL',
  'hipFlexR',
  'hipAbdR',
  'hipRotR',
  'kneeFlexR',
  'ankleFlexR',
] as const;
export type DofName = (typeof DOF_NAMES)[number];
export const DOF_COUNT = DOF_NAMES.length;
export const DOF_INDEX: Readonly<Record<DofName, number>> = Object.fromEntries(
  DOF_NAMES.map((n, i) => [n, i]),
) as Record<DofName, number>;

/**
 * DOFs whose sign flips under a left/right mirror (they turn or lean towards a side); the
 * sided DOFs (…L/…R) mirror by swapping names instead.
 */
export const LATERAL_DOFS: readonly DofName[] = ['trunkSide', 'trunkTwist', 'neckTwist'];

/** The DOF of the other side ('shoulderFlexL' ↔ 'shoulderFlexR'); unsided DOFs map to themselves. */
export function mirrorDofName(name: DofName): DofName {
  if (name.endsWith('L')) return `${name.slice(0, -1)}R` as DofName;
  if (name.endsWith('R')) return `${name.slice(0, -1)}L` as DofName;
  return name;
}

/** Body segments whose length varies per subject. */
export const SEGMENTS = [
  'lowerSpine',
  'upperSpine',
  'neck',
  'head',
  'shoulderWidth',
  'upperArm',
  'forearm',
  'hand',
  'hipWidth',
  'thigh',
  'shin',
  'foot',
] as const;
export type Segment = (typeof SEGMENTS)[number];

type Axis = 'x' | 'y' | 'z';
/** One elementary rotation of a bone: angle = sign · share · dof (degrees). */
type Driver = readonly [axis: Axis, dof: DofName, sign: 1 | -1, share?: number];

interface BoneSpec {
  /** Kinect v2 joint at the end of this bone. */
  readonly joint: string;
  /** Kinect v2 hierarchy parent (SpineBase is the root and has none). */
  readonly parent: string;
  /** Rest offset from the parent in the person frame, metres, for an average adult. */
  readonly offset: readonly [number, number, number];
  readonly segment: Segment;
  /** Local rotation of the bone as a product of elementary rotations, outermost first. */
  readonly drivers: readonly Driver[];
}

/**
 * The kinematic tree, parents before children. Lengths follow the NTU measurements of
 * reference data.md §1.3: SpineBase→SpineShoulder 0.45 m with SpineMid at 0.57 of it,
 * SpineShoulder→Head 0.17 m with Neck at 0.37 of it, shoulder width 0.26 m, hip width 0.15 m,
 * upper arm 0.28, forearm 0.25, thigh and shin 0.40.
 * Sign conventions of the drivers (rotation.ts): rotateX(+) swings a hanging bone backward,
 * rotateZ(+) swings a hanging bone to the subject's left, rotateY(+) turns to the left.
 * The upper arm and thigh use flex · abduct · twist, so abduction picks the plane of the
 * limb and flexion swings that plane forward, without gimbal trouble for the poses used.
 */
const BONES: readonly BoneSpec[] = [
  {
    joint: 'SpineMid',
    parent: 'SpineBase',
    offset: [0, 0.2565, 0],
    segment: 'lowerSpine',
    drivers: [
      ['x', 'trunkFlex', 1, 0.55],
      ['z', 'trunkSide', -1, 0.55],
      ['y', 'trunkTwist', 1, 0.5],
    ],
  },
  {
    joint: 'SpineShoulder',
    parent: 'SpineMid',
    offset: [0, 0.1935, -0.005],
    segment: 'upperSpine',
    drivers: [
      ['x', 'trunkFlex', 1, 0.45],
      ['z', 'trunkSide', -1, 0.45],
      ['y', 'trunkTwist', 1, 0.5],
    ],
  },
  {
    joint: 'Neck',
    parent: 'SpineShoulder',
    offset: [0, 0.0629, 0.008],
    segment: 'neck',
    drivers: [
      ['x', 'neckFlex', 1],
      ['y', 'neckTwist', 1],
    ],
  },
  { joint: 'Head', parent: 'Neck', offset: [0, 0.1071, 0.012], segment: 'head', drivers: [['x', 'headFlex', 1]] },
  {
    joint: 'ShoulderLeft',
    parent: 'SpineShoulder',
    offset: [0.13, -0.035, -0.005],
    segment: 'shoulderWidth',
    drivers: [['z', 'shrugL', 1]],
  },
  {
    joint: 'ElbowLeft',
    parent: 'ShoulderLeft',
    offset: [0, -0.28, 0],
    segment: 'upperArm',
    drivers: [
      ['x', 'shoulderFlexL', -1],
      ['z', 'shoulderAbdL', 1],
      ['y', 'shoulderRotL', -1],
    ],
  },
  {
    joint: 'WristLeft',
    parent: 'ElbowLeft',
    offset: [0, -0.25, 0],
    segment: 'forearm',
    drivers: [['x', 'elbowFlexL', -1]],
  },
  {
    joint: 'HandLeft',
    parent: 'WristLeft',
    offset: [0, -0.08, 0],
    segment: 'hand',
    drivers: [['x', 'wristFlexL', -1]],
  },
  { joint: 'HandTipLeft', parent: 'HandLeft', offset: [0, -0.075, 0.005], segment: 'hand', drivers: [] },
  { joint: 'ThumbLeft', parent: 'HandLeft', offset: [-0.015, -0.03, 0.04], segment: 'hand', drivers: [] },
  {
    joint: 'ShoulderRight',
    parent: 'SpineShoulder',
    offset: [-0.13, -0.035, -0.005],
    segment: 'shoulderWidth',
    drivers: [['z', 'shrugR', -1]],
  },
  {
    joint: 'ElbowRight',
    parent: 'ShoulderRight',
    offset: [0, -0.28, 0],
    segment: 'upperArm',
    drivers: [
      ['x', 'shoulderFlexR', -1],
      ['z', 'shoulderAbdR', -1],
      ['y', 'shoulderRotR', 1],
    ],
  },
  {
    joint: 'WristRight',
    parent: 'ElbowRight',
    offset: [0, -0.25, 0],
    segment: 'forearm',
    drivers: [['x', 'elbowFlexR', -1]],
  },
  {
    joint: 'HandRight',
    parent: 'WristRight',
    offset: [0, -0.08, 0],
    segment: 'hand',
    drivers: [['x', 'wristFlexR', -1]],
  },
  { joint: 'HandTipRight', parent: 'HandRight', offset: [0, -0.075, 0.005], segment: 'hand', drivers: [] },
  { joint: 'ThumbRight', parent: 'HandRight', offset: [0.015, -0.03, 0.04], segment: 'hand', drivers: [] },
  { joint: 'HipLeft', parent: 'SpineBase', offset: [0.075, -0.045, 0], segment: 'hipWidth', drivers: [] },
  {
    joint: 'KneeLeft',
    parent: 'HipLeft',
    offset: [0, -0.4, 0],
    segment: 'thigh',
    drivers: [
      ['x', 'hipFlexL', -1],
      ['z', 'hipAbdL', 1],
      ['y', 'hipRotL', -1],
    ],
  },
  { joint: 'AnkleLeft', parent: 'KneeLeft', offset: [0, -0.4, 0], segment: 'shin', drivers: [['x', 'kneeFlexL', 1]] },
  {
    joint: 'FootLeft',
    parent: 'AnkleLeft',
    offset: [0.01, -0.05, 0.1],
    segment: 'foot',
    drivers: [['x', 'ankleFlexL', -1]],
  },
  { joint: 'HipRight', parent: 'SpineBase', offset: [-0.075, -0.045, 0], segment: 'hipWidth', drivers: [] },
  {
    joint: 'KneeRight',
    parent: 'HipRight',
    offset: [0, -0.4, 0],
    segment: 'thigh',
    drivers: [
      ['x', 'hipFlexR', -1],
      ['z', 'hipAbdR', -1],
      ['y', 'hipRotR', 1],
    ],
  },
  { joint: 'AnkleRight', parent: 'KneeRight', offset: [0, -0.4, 0], segment: 'shin', drivers: [['x', 'kneeFlexR', 1]] },
  {
    joint: 'FootRight',
    parent: 'AnkleRight',
    offset: [-0.01, -0.05, 0.1],
    segment: 'foot',
    drivers: [['x', 'ankleFlexR', -1]],
  },
];

const ROOT_JOINT = 'SpineBase';

/**
 * Height above the floor of the joints that can touch it, at body scale 1. The Kinect foot
 * joint sits near the ball of the foot, the ankle joint about 7 cm up.
 */
const FLOOR_CLEARANCE: Readonly<Record<string, number>> = {
  FootLeft: 0.02,
  FootRight: 0.02,
  AnkleLeft: 0.07,
  AnkleRight: 0.07,
};

/** Kinect v2 hierarchy parent of each NTU joint name (the root maps to itself). */
export const KINECT_V2_PARENTS: Readonly<Record<string, string>> = Object.fromEntries([
  [ROOT_JOINT, ROOT_JOINT],
  ...BONES.map((b) => [b.joint, b.parent]),
]);

/** Joints at the end of a chain; Kinect reports a zero orientation for them. */
export const KINECT_V2_LEAF_JOINTS: readonly string[] = [
  'Head',
  'HandTipLeft',
  'ThumbLeft',
  'HandTipRight',
  'ThumbRight',
  'FootLeft',
  'FootRight',
];

/** A subject's size: overall scale and a multiplier per segment. */
export interface BodyShape {
  /** Overall body scale (1 = average adult of the NTU measurements). */
  readonly scale: number;
  readonly segments: Readonly<Record<Segment, number>>;
}

export const AVERAGE_BODY: BodyShape = {
  scale: 1,
  segments: Object.fromEntries(SEGMENTS.map((s) => [s, 1])) as Record<Segment, number>,
};

/** Draws a subject: scale in [0.85, 1.15] and each segment within ±5 % of it. */
export function randomBodyShape(
  rng: Rng,
  scaleRange: readonly [number, number] = [0.85, 1.15],
  limbVariation = 0.05,
): BodyShape {
  const scale = rng.inRange(scaleRange);
  const segments = Object.fromEntries(
    SEGMENTS.map((s) => [s, 1 + rng.uniform(-limbVariation, limbVariation)]),
  ) as Record<Segment, number>;
  return { scale, segments };
}

/** Where a body's root part of the floor is placed and where it faces. */
export interface Placement {
  /** World position of the point on the floor under the subject's rest SpineBase, metres. */
  readonly x: number;
  readonly z: number;
  /** Facing, radians: 0 faces the sensor; positive turns the subject to its left. */
  readonly heading: number;
}

/** Sensor pose: height of the sensor above the floor and its pitch. */
export interface SensorPose {
  /** Metres above the floor. */
  readonly height: number;
  /** Pitch in radians; positive looks up. */
  readonly tilt: number;
  /** Roll in radians about the viewing axis (a sensor that is not quite level). */
  readonly roll: number;
}

/** How a posed body is held against the floor. */
export type FootAnchor = 'feet' | 'left' | 'right' | 'none';

/** Root motion of one frame, in the person frame of the body's initial facing. */
export interface RootMotion {
  /** Forward displacement, metres. */
  readonly move: number;
  /** Displacement to the subject's left, metres. */
  readonly strafe: number;
  /** Height above floor contact, metres (airborne phases of jumps and hops). */
  readonly lift: number;
  /** Turn to the subject's left, degrees. */
  readonly turn: number;
}

interface CompiledDriver {
  readonly axis: 0 | 1 | 2;
  readonly dof: number;
  /** sign · share · (π/180): multiplies the DOF value in degrees. */
  readonly factor: number;
}

const ntuLayout = (): Layout => getLayout('ntu-25');

/**
 * A subject's skeleton, ready to pose. Holds its scratch buffers, so one instance must not
 * be used from two places at once (the generator makes one per person per sample).
 */
export class BodyModel {
  readonly shape: BodyShape;
  /** Number of joints (25, NTU order). */
  readonly joints: number;
  /** Rest offsets from the parent, person frame, 3 per NTU joint index. */
  readonly offsets: Float64Array;
  private readonly order: Int32Array;
  private readonly parentOf: Int32Array;
  private readonly drivers: ReadonlyArray<readonly CompiledDriver[]>;
  private readonly root: number;
  private readonly floorJoints: Int32Array;
  private readonly floorClearance: Float64Array;
  private readonly footLeft: number;
  private readonly footRight: number;
  /** Global rotation of each joint, 9 values per joint (scratch of forward()). */
  private readonly globalRot: Float64Array;
  /** Anchor point of the current pose (x, z), person frame. */
  private readonly anchor = new Float64Array(2);
  /** Anchor point (x, z) of the rest pose, person frame, per anchor kind. */
  private readonly restAnchors: Readonly<Record<FootAnchor, Float64Array>>;

  constructor(shape: BodyShape = AVERAGE_BODY) {
    const layout = ntuLayout();
    this.shape = shape;
    this.joints = layout.numJoints;
    this.offsets = new Float64Array(this.joints * 3);
    this.globalRot = new Float64Array(this.joints * 9);
    this.order = new Int32Array(BONES.length);
    this.parentOf = new Int32Array(this.joints);
    this.root = jointIndex(layout, ROOT_JOINT);
    this.parentOf[this.root] = this.root;
    const drivers: CompiledDriver[][] = Array.from({ length: this.joints }, () => []);
    BONES.forEach((bone, k) => {
      const j = jointIndex(layout, bone.joint);
      this.order[k] = j;
      this.parentOf[j] = jointIndex(layout, bone.parent);
      const length = shape.scale * shape.segments[bone.segment];
      for (let c = 0; c < 3; c++) this.offsets[3 * j + c] = bone.offset[c] * length;
      drivers[j] = bone.drivers.map(([axis, dof, sign, share]) => ({
        axis: axis === 'x' ? 0 : axis === 'y' ? 1 : 2,
        dof: DOF_INDEX[dof],
        factor: sign * (share ?? 1) * DEG,
      }));
    });
    this.drivers = drivers;
    const clearanceJoints = Object.keys(FLOOR_CLEARANCE);
    this.floorJoints = Int32Array.from(clearanceJoints.map((n) => jointIndex(layout, n)));
    this.floorClearance = Float64Array.from(clearanceJoints.map((n) => FLOOR_CLEARANCE[n] * shape.scale));
    this.footLeft = jointIndex(layout, 'FootLeft');
    this.footRight = jointIndex(layout, 'FootRight');

    // Anchors are kept where they are in the zero pose (legs straight under the hips).
    const rest = new Float64Array(this.joints * 3);
    this.forward(new Float64Array(DOF_COUNT), 0, rest);
    const restAnchor = (anchor: FootAnchor): Float64Array => {
      const out = new Float64Array(2);
      this.anchorOf(rest, anchor, out);
      return out;
    };
    this.restAnchors = {
      feet: restAnchor('feet'),
      left: restAnchor('left'),
      right: restAnchor('right'),
      none: restAnchor('none'),
    };
  }

  /**
   * Joint positions in the person frame with the root at the origin: the pose (DOF values
   * in degrees) turned by `turnDegrees` about the vertical. Writes 3 values per NTU joint.
   */
  forward(pose: Float64Array, turnDegrees: number, out: Float64Array): void {
    const g = this.globalRot;
    setRotationY(g, this.root * 9, turnDegrees * DEG);
    out[3 * this.root] = 0;
    out[3 * this.root + 1] = 0;
    out[3 * this.root + 2] = 0;
    for (let k = 0; k < this.order.length; k++) {
      const j = this.order[k];
      const p = this.parentOf[j];
      // G_j = G_parent · R_1 · R_2 · …, each elementary rotation applied to the columns in place.
      g.copyWithin(j * 9, p * 9, p * 9 + 9);
      const drivers = this.drivers[j];
      for (let i = 0; i < drivers.length; i++) {
        const d = drivers[i];
        const angle = pose[d.dof] * d.factor;
        if (angle !== 0) rotateColumns(g, j * 9, d.axis, angle);
      }
      const ox = this.offsets[3 * j];
      const oy = this.offsets[3 * j + 1];
      const oz = this.offsets[3 * j + 2];
      const o = j * 9;
      out[3 * j] = out[3 * p] + g[o] * ox + g[o + 1] * oy + g[o + 2] * oz;
      out[3 * j + 1] = out[3 * p + 1] + g[o + 3] * ox + g[o + 4] * oy + g[o + 5] * oz;
      out[3 * j + 2] = out[3 * p + 2] + g[o + 6] * ox + g[o + 7] * oy + g[o + 8] * oz;
    }
  }

  /**
   * Poses the body and places it: feet on the floor (plus `lift`), the anchor foot (or the
   * mean of both feet) kept where it stands in the rest pose, root motion applied, then
   * moved into the world by `placement`. Writes world positions, 3 per NTU joint.
   */
  place(pose: Float64Array, root: RootMotion, anchor: FootAnchor, placement: Placement, out: Float64Array): void {
    this.forward(pose, root.turn, out);
    let up = -Infinity;
    for (let k = 0; k < this.floorJoints.length; k++) {
      up = Math.max(up, this.floorClearance[k] - out[3 * this.floorJoints[k] + 1]);
    }
    this.anchorOf(out, anchor, this.anchor);
    const rest = this.restAnchors[anchor];
    const tx = root.strafe + rest[0] - this.anchor[0];
    const ty = up + root.lift;
    const tz = root.move + rest[1] - this.anchor[1];
    // Person frame → world: facing the sensor is a half turn about y (forward → −z, left → −x).
    const yaw = Math.PI + placement.heading;
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    for (let j = 0; j < this.joints; j++) {
      const x = out[3 * j] + tx;
      const y = out[3 * j + 1] + ty;
      const z = out[3 * j + 2] + tz;
      out[3 * j] = c * x + s * z + placement.x;
      out[3 * j + 1] = y;
      out[3 * j + 2] = -s * x + c * z + placement.z;
    }
  }

  /** Writes the anchor point (x, z) of a pose into `out`. */
  private anchorOf(positions: Float64Array, anchor: FootAnchor, out: Float64Array): void {
    const l = 3 * this.footLeft;
    const r = 3 * this.footRight;
    switch (anchor) {
      case 'feet':
        out[0] = (positions[l] + positions[r]) / 2;
        out[1] = (positions[l + 2] + positions[r + 2]) / 2;
        return;
      case 'left':
        out[0] = positions[l];
        out[1] = positions[l + 2];
        return;
      case 'right':
        out[0] = positions[r];
        out[1] = positions[r + 2];
        return;
      case 'none':
        out[0] = 0;
        out[1] = 0;
        return;
    }
  }
}

/**
 * World → camera transform of a sensor pose, applied in place to `count` xyz triples:
 * subtract the sensor position, then roll and pitch.
 */
export function worldToCamera(sensor: SensorPose, positions: Float64Array, count: number): void {
  // Pitching the sensor up by θ makes a point straight ahead appear lower: rotate the point by +θ about x.
  const ct = Math.cos(sensor.tilt);
  const st = Math.sin(sensor.tilt);
  const cr = Math.cos(sensor.roll);
  const sr = Math.sin(sensor.roll);
  for (let i = 0; i < count; i++) {
    const x0 = positions[3 * i];
    const y0 = positions[3 * i + 1] - sensor.height;
    const z0 = positions[3 * i + 2];
    const y1 = ct * y0 - st * z0;
    const z1 = st * y0 + ct * z0;
    positions[3 * i] = cr * x0 - sr * y1;
    positions[3 * i + 1] = sr * x0 + cr * y1;
    positions[3 * i + 2] = z1;
  }
}

/** Kinect v1 joints named differently from their Kinect v2 counterparts. */
const KINECT20_RENAMED: Readonly<Record<string, string>> = {
  HipCenter: 'SpineBase',
  Spine: 'SpineMid',
  ShoulderCenter: 'SpineShoulder',
};

/**
 * For each kinect-20 joint, the ntu-25 joint index it is taken from (HipCenter = SpineBase,
 * Spine = SpineMid, ShoulderCenter = SpineShoulder, every other joint by the same name).
 */
export function kinect20FromNtu25(): Int32Array {
  const ntu = ntuLayout();
  const kinect = getLayout('kinect-20');
  return Int32Array.from(kinect.jointNames.map((name) => jointIndex(ntu, KINECT20_RENAMED[name] ?? name)));
}
