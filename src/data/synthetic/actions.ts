/**
 * The synthetic action classes as a data table of parametric motions.
 *
 * Each action imitates an NTU RGB+D class (same A-number and name as datasets/ntu/classes.json)
 * and is a list of keyframes: full-body poses in anatomical degrees (kinematics.ts DOF_NAMES)
 * with the time to reach each one in "beats". A beat lasts `beatSeconds` (drawn per sample,
 * then divided by the sample's speed), a span of keyframes can repeat (`cycle`) a random
 * number of times, and root motion (steps, turns, jumps) is given per keyframe.
 *
 * Poses are written for a right-handed performer; `handed` actions are mirrored for the
 * left-handed variant (sided DOFs swap, lateral DOFs and sideways motion change sign).
 *
 * Look-alike pairs are there on purpose so the task is not trivial:
 * sitting down / standing up (the same poses in opposite order), walking towards / apart,
 * clapping / palms together (periodic vs held), drink water / salute (hand to the face, elbow
 * forward vs out), nod head/bow / pickup (bend with straight vs bent knees and a reach),
 * hand waving / cheer up (one arm vs both), punching / pushing / handshaking.
 */
import type { DofName, FootAnchor } from './kinematics.js';

/** A pose: DOF values in degrees; any DOF not listed takes its STANDING value. */
export type Pose = Readonly<Partial<Record<DofName, number>>>;

/**
 * Root motion reached at a keyframe. `move`, `strafe` and `turn` are steps from the
 * previous keyframe (metres forward, metres to the subject's left, degrees to the left,
 * all in the body's initial facing); `lift` is the height above floor contact at this
 * keyframe (jumps, hops).
 */
export interface RootKey {
  readonly move?: number;
  readonly strafe?: number;
  readonly turn?: number;
  readonly lift?: number;
}

export interface Keyframe {
  /** Beats taken to reach this keyframe from the previous one (ignored for the first). */
  readonly beats: number;
  /** Pose of the performer (the actor of a two-person action). */
  readonly pose: Pose;
  readonly root?: RootKey;
  /** Pose of the second person of a two-person action (STANDING when absent). */
  readonly partner?: Pose;
  readonly partnerRoot?: RootKey;
}

export interface ActionSpec {
  /** NTU action id, e.g. 'A001'. */
  readonly id: string;
  /** NTU class name, as in datasets/ntu/classes.json. */
  readonly name: string;
  readonly persons: 1 | 2;
  /** True when the action has a dominant hand or leg, so a mirrored variant exists. */
  readonly handed: boolean;
  /** Range of one beat, seconds, at speed 1. */
  readonly beatSeconds: readonly [number, number];
  readonly keyframes: readonly Keyframe[];
  /** keyframes[from..to] (inclusive) are performed `reps` times. */
  readonly cycle?: { readonly from: number; readonly to: number; readonly reps: readonly [number, number] };
  /** What stays put on the floor: both feet, one foot, or nothing (walking). */
  readonly anchor: FootAnchor;
  /** Anchor of the second person (defaults to `anchor`). */
  readonly partnerAnchor?: FootAnchor;
  /** Two-person actions: initial distance between the two SpineBases, metres. */
  readonly startDistance?: readonly [number, number];
  /**
   * The poses reach a target (the mouth, the forehead, the other hand, the partner), so
   * their amplitude varies 4× less, and each keyframe 2.5× less, than free gestures.
   */
  readonly reachesTarget?: boolean;
}

type SidedDof =
  | 'shrug'
  | 'shoulderFlex'
  | 'shoulderAbd'
  | 'shoulderRot'
  | 'elbowFlex'
  | 'wristFlex'
  | 'hipFlex'
  | 'hipAbd'
  | 'hipRot'
  | 'kneeFlex'
  | 'ankleFlex';
type SidedPose = Partial<Record<SidedDof, number>>;

function sided(values: SidedPose, suffix: 'L' | 'R'): Pose {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${k}${suffix}`, v]));
}
/** DOFs of the right side. */
const right = (values: SidedPose): Pose => sided(values, 'R');
/** DOFs of the left side. */
const left = (values: SidedPose): Pose => sided(values, 'L');
/** The same DOFs on both sides. */
const both = (values: SidedPose): Pose => ({ ...sided(values, 'L'), ...sided(values, 'R') });

/** Relaxed standing: arms hang slightly away from the thighs, elbows a little bent. */
export const STANDING: Pose = both({ shoulderAbd: 7, elbowFlex: 10, hipAbd: 2 });

// ---- Arm poses (right arm; solved against the average body so the hands reach their targets).
const DRINK_R = right({ shoulderFlex: 56, shoulderAbd: 9, shoulderRot: 30, elbowFlex: 140, wristFlex: 12 });
const SALUTE_R = right({ shoulderFlex: 71, shoulderAbd: 70, shoulderRot: 12, elbowFlex: 140, wristFlex: 3 });
const POINT_R = right({ shoulderFlex: 84, shoulderAbd: 8, shoulderRot: 9, elbowFlex: 8, wristFlex: -5 });
const WAVE_IN_R = right({ shoulderFlex: 15, shoulderAbd: 80, shoulderRot: -75, elbowFlex: 115 });
const WAVE_OUT_R = right({ shoulderFlex: 15, shoulderAbd: 80, shoulderRot: -75, elbowFlex: 60 });
const GUARD_R = right({ shoulderFlex: 41, shoulderAbd: 13, shoulderRot: 11, elbowFlex: 132 });
const PUNCH_R = right({ shoulderFlex: 91, shoulderAbd: -8, shoulderRot: -5, elbowFlex: 8 });
const SHAKE_R = right({ shoulderFlex: 28, shoulderAbd: 5, shoulderRot: 20, elbowFlex: 77 });
// ---- Two-arm poses.
const CLAP_OPEN = both({ shoulderFlex: 5, shoulderAbd: 45, shoulderRot: 19, elbowFlex: 104 });
const CLAP_CLOSED = both({ shoulderFlex: 16, shoulderAbd: 16, shoulderRot: 33, elbowFlex: 96 });
const PALMS_TOGETHER = both({ shoulderFlex: 18, shoulderAbd: 28, shoulderRot: 38, elbowFlex: 120, wristFlex: 12 });
const ARMS_UP = both({ shoulderFlex: 5, shoulderAbd: 160, shoulderRot: 16, elbowFlex: 11, shrug: 12 });
const ARMS_UP_BENT = both({ shoulderFlex: 10, shoulderAbd: 140, shoulderRot: 16, elbowFlex: 45, shrug: 8 });
/** Right forearm in front of the left one, crossing at the wrists. */
const CROSSED = {
  ...right({ shoulderFlex: 55, shoulderAbd: 8, shoulderRot: 60, elbowFlex: 100, wristFlex: 5 }),
  ...left({ shoulderFlex: 45, shoulderAbd: 5, shoulderRot: 62, elbowFlex: 108 }),
};
const PUSH_LOAD = both({ shoulderFlex: 20, shoulderAbd: 17, elbowFlex: 115 });
const PUSH_EXTENDED = both({ shoulderFlex: 69, shoulderAbd: 0, shoulderRot: -6, elbowFlex: 31 });
const HUG_HIGH = both({ shoulderFlex: 78, shoulderAbd: 30, shoulderRot: 73, elbowFlex: 71 });
const HUG_LOW = both({ shoulderFlex: 50, shoulderAbd: 30, shoulderRot: 60, elbowFlex: 80 });
const ARMS_OPEN = both({ shoulderFlex: 60, shoulderAbd: 40, elbowFlex: 30 });
const DEFEND = both({ shoulderFlex: 50, shoulderAbd: 10, shoulderRot: 20, elbowFlex: 110 });

// ---- Whole-body poses. Knee flexion beyond hip flexion tips the shin forward; the ankle
// dorsiflexes by the difference so the foot stays flat.
/** Sitting on a chair, hands on the thighs. */
export const SEATED: Pose = {
  trunkFlex: 8,
  ...both({ hipFlex: 90, kneeFlex: 88, ankleFlex: -2, hipAbd: 6, shoulderFlex: 30, shoulderAbd: 8, elbowFlex: 55 }),
};
const SIT_LEAN: Pose = {
  trunkFlex: 30,
  ...both({ hipFlex: 35, kneeFlex: 35, shoulderFlex: 20, shoulderAbd: 8, elbowFlex: 20, hipAbd: 3 }),
};
const SIT_DESCEND: Pose = {
  trunkFlex: 40,
  ...both({ hipFlex: 75, kneeFlex: 85, ankleFlex: 10, shoulderFlex: 25, shoulderAbd: 8, elbowFlex: 30, hipAbd: 5 }),
};
const RISE_LEAN: Pose = {
  trunkFlex: 45,
  ...both({ hipFlex: 90, kneeFlex: 95, ankleFlex: 5, shoulderFlex: 35, shoulderAbd: 8, elbowFlex: 40, hipAbd: 6 }),
};
const RISE_MID: Pose = {
  trunkFlex: 30,
  ...both({ hipFlex: 45, kneeFlex: 50, ankleFlex: 5, shoulderFlex: 15, shoulderAbd: 8, elbowFlex: 20, hipAbd: 3 }),
};
const BOW: Pose = {
  ...STANDING,
  trunkFlex: 40,
  neckFlex: 20,
  ...both({ shoulderFlex: 35, shoulderAbd: 5, elbowFlex: 10 }),
};
const NOD_UP: Pose = { ...STANDING, trunkFlex: 8, neckFlex: 5 };
/** Deep bend with bent knees; the right hand reaches about 10 cm above the floor. */
const PICKUP_REACH: Pose = {
  trunkFlex: 100,
  neckFlex: -20,
  ...both({ hipFlex: 70, kneeFlex: 90, ankleFlex: 20, hipAbd: 6 }),
  ...right({ shoulderFlex: 110, shoulderAbd: 5, elbowFlex: 10 }),
  ...left({ shoulderFlex: 70, shoulderAbd: 12, elbowFlex: 35 }),
};
const HOLDING_R: Pose = { ...STANDING, ...right({ shoulderFlex: 20, shoulderAbd: 8, elbowFlex: 70, wristFlex: 10 }) };
const JUMP_CROUCH: Pose = {
  trunkFlex: 30,
  ...both({ hipFlex: 55, kneeFlex: 75, ankleFlex: 20, shoulderFlex: -35, shoulderAbd: 10, elbowFlex: 15 }),
};
const JUMP_TAKEOFF: Pose = {
  ...both({ hipFlex: 0, kneeFlex: 5, ankleFlex: -25, shoulderFlex: 150, shoulderAbd: 15, elbowFlex: 10 }),
};
const JUMP_APEX: Pose = {
  trunkFlex: 5,
  ...both({ hipFlex: 15, kneeFlex: 25, ankleFlex: -15, shoulderFlex: 160, shoulderAbd: 20, elbowFlex: 10 }),
};
const JUMP_LAND: Pose = {
  trunkFlex: 25,
  ...both({ hipFlex: 45, kneeFlex: 65, ankleFlex: 15, shoulderFlex: 40, shoulderAbd: 12, elbowFlex: 20 }),
};
/** Standing on the left foot, right leg lifted behind (hopping). */
const ONE_LEG_R_UP: Pose = {
  ...both({ shoulderAbd: 18, elbowFlex: 30 }),
  ...right({ hipFlex: 35, kneeFlex: 80, ankleFlex: -15 }),
  ...left({ hipFlex: 10, kneeFlex: 15, ankleFlex: 5 }),
};
const HOP_CROUCH: Pose = { ...ONE_LEG_R_UP, trunkFlex: 10, ...left({ hipFlex: 20, kneeFlex: 32, ankleFlex: 12 }) };
const HOP_AIR: Pose = { ...ONE_LEG_R_UP, trunkFlex: 3, ...left({ hipFlex: 5, kneeFlex: 5, ankleFlex: -20 }) };
const KICK_WINDUP: Pose = {
  ...STANDING,
  trunkFlex: 5,
  ...right({ hipFlex: -25, kneeFlex: 70, ankleFlex: -20, shoulderFlex: -15 }),
  ...left({ shoulderFlex: 20, shoulderAbd: 20 }),
};
const KICK_STRIKE: Pose = {
  ...STANDING,
  trunkFlex: -12,
  ...right({ hipFlex: 75, kneeFlex: 10, ankleFlex: -25, shoulderFlex: -25, shoulderAbd: 20 }),
  ...left({ shoulderFlex: 35, shoulderAbd: 15 }),
};
const KICK_RECOVER: Pose = { ...STANDING, trunkFlex: -3, ...right({ hipFlex: 25, kneeFlex: 60, ankleFlex: -10 }) };
// Gait: heel strike and mid-swing of each leg, arms swinging against the legs.
const STEP_R: Pose = {
  ...STANDING,
  ...right({ hipFlex: 25, kneeFlex: 5, ankleFlex: 5, shoulderFlex: -18 }),
  ...left({ hipFlex: -12, kneeFlex: 15, ankleFlex: -10, shoulderFlex: 20, elbowFlex: 25 }),
};
const SWING_L: Pose = {
  ...STANDING,
  ...right({ hipFlex: 5, kneeFlex: 15, shoulderFlex: 0 }),
  ...left({ hipFlex: 25, kneeFlex: 60, ankleFlex: 5, shoulderFlex: 0 }),
};
const STEP_L: Pose = {
  ...STANDING,
  ...left({ hipFlex: 25, kneeFlex: 5, ankleFlex: 5, shoulderFlex: -18 }),
  ...right({ hipFlex: -12, kneeFlex: 15, ankleFlex: -10, shoulderFlex: 20, elbowFlex: 25 }),
};
const SWING_R: Pose = {
  ...STANDING,
  ...left({ hipFlex: 5, kneeFlex: 15, shoulderFlex: 0 }),
  ...right({ hipFlex: 25, kneeFlex: 60, ankleFlex: 5, shoulderFlex: 0 }),
};
/** Metres gained per gait keyframe (a half step). */
const HALF_STEP = 0.22;

const with_ = (base: Pose, extra: Pose): Pose => ({ ...base, ...extra });

/** The class table. Order = default label order. */
export const SYNTHETIC_ACTIONS: readonly ActionSpec[] = [
  {
    id: 'A001',
    name: 'drink water',
    persons: 1,
    handed: true,
    reachesTarget: true,
    beatSeconds: [0.45, 0.7],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      {
        beats: 1.2,
        pose: with_(
          STANDING,
          right({ shoulderFlex: 35, shoulderAbd: 10, shoulderRot: 15, elbowFlex: 100, wristFlex: 5 }),
        ),
      },
      { beats: 1, pose: with_(STANDING, { ...DRINK_R, headFlex: -5 }) },
      { beats: 1.5, pose: with_(STANDING, { ...DRINK_R, shoulderFlexR: 64, headFlex: -18, neckFlex: -8 }) },
      { beats: 1, pose: with_(STANDING, DRINK_R) },
      { beats: 1.6, pose: STANDING },
    ],
  },
  {
    id: 'A006',
    name: 'pickup',
    persons: 1,
    handed: true,
    reachesTarget: true,
    beatSeconds: [0.45, 0.65],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1.6, pose: PICKUP_REACH },
      { beats: 0.6, pose: with_(PICKUP_REACH, { wristFlexR: 25, elbowFlexR: 20 }) },
      { beats: 1.6, pose: HOLDING_R },
      { beats: 0.8, pose: HOLDING_R },
    ],
  },
  {
    id: 'A008',
    name: 'sitting down',
    persons: 1,
    handed: false,
    beatSeconds: [0.4, 0.6],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1, pose: SIT_LEAN },
      { beats: 1, pose: SIT_DESCEND },
      { beats: 1.1, pose: SEATED },
      { beats: 1, pose: with_(SEATED, { trunkFlex: 3 }) },
    ],
  },
  {
    id: 'A009',
    name: 'standing up (from sitting position)',
    persons: 1,
    handed: false,
    beatSeconds: [0.4, 0.6],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: with_(SEATED, { trunkFlex: 3 }) },
      { beats: 1, pose: RISE_LEAN },
      { beats: 1, pose: RISE_MID },
      { beats: 1.1, pose: STANDING },
      { beats: 0.8, pose: STANDING },
    ],
  },
  {
    id: 'A010',
    name: 'clapping',
    persons: 1,
    handed: false,
    reachesTarget: true,
    beatSeconds: [0.22, 0.32],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1.6, pose: with_(STANDING, CLAP_OPEN) },
      { beats: 0.5, pose: with_(STANDING, CLAP_CLOSED) },
      { beats: 0.5, pose: with_(STANDING, CLAP_OPEN) },
      { beats: 1.6, pose: STANDING },
    ],
    cycle: { from: 2, to: 3, reps: [4, 9] },
  },
  {
    id: 'A022',
    name: 'cheer up',
    persons: 1,
    handed: false,
    beatSeconds: [0.35, 0.5],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1, pose: with_(STANDING, ARMS_UP) },
      { beats: 0.6, pose: with_(STANDING, { ...ARMS_UP_BENT, trunkFlex: -5, headFlex: -10 }) },
      { beats: 0.6, pose: with_(STANDING, ARMS_UP) },
      { beats: 1.2, pose: STANDING },
    ],
    cycle: { from: 2, to: 3, reps: [2, 4] },
  },
  {
    id: 'A023',
    name: 'hand waving',
    persons: 1,
    handed: true,
    beatSeconds: [0.25, 0.4],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1.2, pose: with_(STANDING, WAVE_IN_R) },
      { beats: 0.6, pose: with_(STANDING, WAVE_OUT_R) },
      { beats: 0.6, pose: with_(STANDING, WAVE_IN_R) },
      { beats: 1.2, pose: STANDING },
    ],
    cycle: { from: 2, to: 3, reps: [3, 6] },
  },
  {
    id: 'A024',
    name: 'kicking something',
    persons: 1,
    handed: true,
    beatSeconds: [0.3, 0.45],
    anchor: 'left',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1.3, pose: KICK_WINDUP },
      { beats: 0.5, pose: KICK_STRIKE },
      { beats: 0.8, pose: KICK_RECOVER },
      { beats: 1.1, pose: STANDING },
    ],
  },
  {
    id: 'A026',
    name: 'hopping (one foot jumping)',
    persons: 1,
    handed: true,
    beatSeconds: [0.16, 0.24],
    anchor: 'left',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 2, pose: ONE_LEG_R_UP },
      { beats: 0.5, pose: HOP_CROUCH },
      { beats: 0.5, pose: HOP_AIR, root: { lift: 0.12 } },
      { beats: 0.6, pose: HOP_CROUCH },
      { beats: 2, pose: STANDING },
    ],
    cycle: { from: 2, to: 3, reps: [3, 6] },
  },
  {
    id: 'A027',
    name: 'jump up',
    persons: 1,
    handed: false,
    beatSeconds: [0.22, 0.32],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1.6, pose: JUMP_CROUCH },
      { beats: 0.6, pose: JUMP_TAKEOFF, root: { lift: 0.04 } },
      { beats: 0.7, pose: JUMP_APEX, root: { lift: 0.3 } },
      { beats: 0.7, pose: JUMP_LAND },
      { beats: 1.6, pose: STANDING },
    ],
    cycle: { from: 1, to: 4, reps: [1, 2] },
  },
  {
    id: 'A031',
    name: 'pointing to something with finger',
    persons: 1,
    handed: true,
    beatSeconds: [0.45, 0.7],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1, pose: with_(STANDING, { ...POINT_R, trunkTwist: -6, neckTwist: -8 }) },
      { beats: 2, pose: with_(STANDING, { ...POINT_R, shoulderFlexR: 80, trunkTwist: -6, neckTwist: -8 }) },
      { beats: 1.2, pose: STANDING },
    ],
  },
  {
    id: 'A035',
    name: 'nod head/bow',
    persons: 1,
    handed: false,
    beatSeconds: [0.4, 0.6],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1.2, pose: BOW },
      { beats: 0.5, pose: with_(BOW, { trunkFlex: 44 }) },
      { beats: 1.2, pose: NOD_UP },
      { beats: 0.6, pose: STANDING },
    ],
    cycle: { from: 1, to: 3, reps: [1, 2] },
  },
  {
    id: 'A038',
    name: 'salute',
    persons: 1,
    handed: true,
    reachesTarget: true,
    beatSeconds: [0.45, 0.7],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 0.9, pose: with_(STANDING, SALUTE_R) },
      { beats: 1.6, pose: with_(STANDING, { ...SALUTE_R, shoulderAbdR: 74 }) },
      { beats: 1.1, pose: STANDING },
    ],
  },
  {
    id: 'A039',
    name: 'put the palms together',
    persons: 1,
    handed: false,
    reachesTarget: true,
    beatSeconds: [0.5, 0.75],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1.2, pose: with_(STANDING, PALMS_TOGETHER) },
      { beats: 2, pose: with_(STANDING, { ...PALMS_TOGETHER, neckFlex: 12 }) },
      { beats: 1.2, pose: STANDING },
    ],
  },
  {
    id: 'A040',
    name: 'cross hands in front (say stop)',
    persons: 1,
    handed: true,
    reachesTarget: true,
    beatSeconds: [0.45, 0.65],
    anchor: 'feet',
    keyframes: [
      { beats: 0, pose: STANDING },
      { beats: 1, pose: with_(STANDING, CROSSED) },
      { beats: 1.8, pose: with_(STANDING, { ...CROSSED, shoulderFlexR: 60, shoulderFlexL: 50 }) },
      { beats: 1.2, pose: STANDING },
    ],
  },
  {
    id: 'A050',
    name: 'punching/slapping other person',
    persons: 2,
    handed: true,
    beatSeconds: [0.35, 0.5],
    anchor: 'feet',
    startDistance: [0.85, 1.1],
    keyframes: [
      { beats: 0, pose: STANDING, partner: STANDING },
      {
        beats: 1,
        pose: with_(STANDING, {
          ...GUARD_R,
          ...left({ shoulderFlex: 35, shoulderRot: 20, elbowFlex: 120 }),
          trunkTwist: -10,
        }),
        partner: STANDING,
      },
      {
        beats: 0.45,
        pose: with_(STANDING, {
          ...PUNCH_R,
          ...left({ shoulderFlex: 35, shoulderRot: 20, elbowFlex: 120 }),
          trunkTwist: 20,
          trunkFlex: 10,
        }),
        root: { move: 0.15 },
        partner: STANDING,
      },
      {
        beats: 0.35,
        pose: with_(STANDING, { ...PUNCH_R, trunkTwist: 22, trunkFlex: 10 }),
        partner: with_(STANDING, { ...DEFEND, trunkFlex: -15, neckTwist: -25, headFlex: -10 }),
        partnerRoot: { move: -0.12 },
      },
      {
        beats: 0.8,
        pose: with_(STANDING, { ...GUARD_R, trunkTwist: -3 }),
        root: { move: -0.1 },
        partner: with_(STANDING, { ...DEFEND, trunkFlex: -5, neckTwist: -10 }),
      },
      { beats: 1.2, pose: STANDING, partner: STANDING },
    ],
  },
  {
    id: 'A052',
    name: 'pushing other person',
    persons: 2,
    handed: false,
    beatSeconds: [0.35, 0.5],
    anchor: 'feet',
    startDistance: [0.7, 0.95],
    keyframes: [
      { beats: 0, pose: STANDING, partner: STANDING },
      { beats: 1, pose: with_(STANDING, { ...PUSH_LOAD, trunkFlex: 5 }), partner: STANDING },
      {
        beats: 0.5,
        pose: with_(STANDING, { ...PUSH_EXTENDED, trunkFlex: 15 }),
        root: { move: 0.2 },
        partner: with_(STANDING, { trunkFlex: -15, ...both({ shoulderAbd: 30, shoulderFlex: 20, elbowFlex: 30 }) }),
        partnerRoot: { move: -0.25 },
      },
      {
        beats: 0.5,
        pose: with_(STANDING, { ...PUSH_EXTENDED, trunkFlex: 10 }),
        root: { move: 0.05 },
        partner: with_(STANDING, {
          trunkFlex: -5,
          ...both({ shoulderAbd: 25, shoulderFlex: 10, elbowFlex: 30 }),
          ...right({ hipFlex: 20, kneeFlex: 25 }),
        }),
        partnerRoot: { move: -0.15 },
      },
      { beats: 1.2, pose: STANDING, partner: STANDING },
    ],
  },
  {
    id: 'A055',
    name: 'hugging other person',
    persons: 2,
    handed: false,
    reachesTarget: true,
    beatSeconds: [0.4, 0.55],
    anchor: 'feet',
    startDistance: [1.05, 1.2],
    keyframes: [
      { beats: 0, pose: STANDING, partner: STANDING },
      {
        beats: 1.5,
        pose: with_(STANDING, ARMS_OPEN),
        root: { move: 0.26 },
        partner: with_(STANDING, ARMS_OPEN),
        partnerRoot: { move: 0.26 },
      },
      {
        beats: 1,
        pose: with_(STANDING, { ...HUG_HIGH, trunkFlex: 10, neckTwist: 20 }),
        root: { move: 0.12 },
        partner: with_(STANDING, { ...HUG_LOW, trunkFlex: 10, neckTwist: 20 }),
        partnerRoot: { move: 0.12 },
      },
      {
        beats: 1.5,
        pose: with_(STANDING, { ...HUG_HIGH, trunkFlex: 12, trunkSide: 5, neckTwist: 20 }),
        partner: with_(STANDING, { ...HUG_LOW, trunkFlex: 12, trunkSide: 5, neckTwist: 20 }),
      },
      { beats: 1.3, pose: STANDING, root: { move: -0.25 }, partner: STANDING, partnerRoot: { move: -0.25 } },
    ],
  },
  {
    id: 'A058',
    name: 'handshaking',
    persons: 2,
    handed: false,
    reachesTarget: true,
    beatSeconds: [0.3, 0.45],
    anchor: 'feet',
    startDistance: [0.8, 0.95],
    keyframes: [
      { beats: 0, pose: STANDING, partner: STANDING },
      {
        beats: 1.3,
        pose: with_(STANDING, SHAKE_R),
        root: { move: 0.05 },
        partner: with_(STANDING, SHAKE_R),
        partnerRoot: { move: 0.05 },
      },
      {
        beats: 0.5,
        pose: with_(STANDING, { ...SHAKE_R, elbowFlexR: 92 }),
        partner: with_(STANDING, { ...SHAKE_R, elbowFlexR: 92 }),
      },
      {
        beats: 0.5,
        pose: with_(STANDING, { ...SHAKE_R, elbowFlexR: 64 }),
        partner: with_(STANDING, { ...SHAKE_R, elbowFlexR: 64 }),
      },
      { beats: 1.3, pose: STANDING, root: { move: -0.05 }, partner: STANDING, partnerRoot: { move: -0.05 } },
    ],
    cycle: { from: 2, to: 3, reps: [2, 4] },
  },
  {
    id: 'A059',
    name: 'walking towards each other',
    persons: 2,
    handed: true,
    beatSeconds: [0.3, 0.4],
    anchor: 'none',
    startDistance: [2.7, 3.1],
    keyframes: [
      { beats: 0, pose: STANDING, partner: STANDING },
      { beats: 1, pose: STEP_R, root: { move: HALF_STEP }, partner: STEP_R, partnerRoot: { move: HALF_STEP } },
      { beats: 1, pose: SWING_L, root: { move: HALF_STEP }, partner: SWING_L, partnerRoot: { move: HALF_STEP } },
      { beats: 1, pose: STEP_L, root: { move: HALF_STEP }, partner: STEP_L, partnerRoot: { move: HALF_STEP } },
      { beats: 1, pose: SWING_R, root: { move: HALF_STEP }, partner: SWING_R, partnerRoot: { move: HALF_STEP } },
      { beats: 1.2, pose: STANDING, root: { move: 0.1 }, partner: STANDING, partnerRoot: { move: 0.1 } },
    ],
  },
  {
    id: 'A060',
    name: 'walking apart from each other',
    persons: 2,
    handed: true,
    beatSeconds: [0.3, 0.4],
    anchor: 'none',
    startDistance: [0.7, 1.0],
    keyframes: [
      { beats: 0, pose: STANDING, partner: STANDING },
      // Turn away on the spot (two small steps), then walk off in the new facing: the steps
      // are backwards in the initial facing, which root motion is expressed in.
      {
        beats: 1,
        pose: with_(STANDING, right({ hipFlex: 15, kneeFlex: 30 })),
        root: { turn: 90 },
        partner: with_(STANDING, right({ hipFlex: 15, kneeFlex: 30 })),
        partnerRoot: { turn: 90 },
      },
      { beats: 1, pose: STANDING, root: { turn: 90 }, partner: STANDING, partnerRoot: { turn: 90 } },
      { beats: 1, pose: STEP_R, root: { move: -HALF_STEP }, partner: STEP_R, partnerRoot: { move: -HALF_STEP } },
      { beats: 1, pose: SWING_L, root: { move: -HALF_STEP }, partner: SWING_L, partnerRoot: { move: -HALF_STEP } },
      { beats: 1, pose: STEP_L, root: { move: -HALF_STEP }, partner: STEP_L, partnerRoot: { move: -HALF_STEP } },
      { beats: 1.2, pose: STANDING, root: { move: -0.1 }, partner: STANDING, partnerRoot: { move: -0.1 } },
    ],
  },
];

/** A synthetic class: its label is its index in the list it came in. */
export interface SyntheticClass {
  /** NTU action id, e.g. 'A050'. */
  readonly id: string;
  /** NTU action number, e.g. 50. */
  readonly action: number;
  readonly name: string;
  readonly persons: 1 | 2;
}

/** Public description of an action spec. */
export function describeAction(spec: ActionSpec): SyntheticClass {
  return { id: spec.id, action: Number(spec.id.slice(1)), name: spec.name, persons: spec.persons };
}

/** Every synthetic class, in table order. */
export const SYNTHETIC_CLASSES: readonly SyntheticClass[] = SYNTHETIC_ACTIONS.map(describeAction);

/**
 * Looks actions up by NTU id ('A050'), NTU number (50) or exact class name, keeping the
 * requested order; throws naming the entry that matches nothing or repeats.
 */
export function selectActions(selection?: readonly (string | number)[]): ActionSpec[] {
  if (selection === undefined) return [...SYNTHETIC_ACTIONS];
  if (selection.length === 0) throw new Error(`synthetic option 'actions': expected at least one action`);
  const chosen = selection.map((key, i) => {
    const spec = SYNTHETIC_ACTIONS.find((a) =>
      typeof key === 'number' ? Number(a.id.slice(1)) === key : a.id === key.toUpperCase() || a.name === key,
    );
    if (!spec) {
      throw new Error(
        `synthetic option 'actions[${i}]': unknown action ${JSON.stringify(key)}; known: ${SYNTHETIC_ACTIONS.map((a) => a.id).join(', ')}`,
      );
    }
    return spec;
  });
  const ids = chosen.map((a) => a.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Error(`synthetic option 'actions': ${repeated} is listed twice`);
  return chosen;
}
