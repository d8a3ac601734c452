/**
 * Writes NTU RGB+D `.skeleton` text (reference data.md §1.1):
 *
 *   <framecount>
 *   per frame:  <bodycount>
 *     per body: bodyID clipedEdges handLeftConfidence handLeftState handRightConfidence
 *               handRightState isResticted leanX leanY trackingState
 *               25
 *               25 × "x y z depthX depthY colorX colorY orientW orientX orientY orientZ trackingState"
 *
 * Numbers are printed the way the Kinect SDK's C# tooling printed the originals: single
 * precision with 7 significant digits, trailing zeros dropped, 'E-05' style exponents for
 * tiny values. Lines end in CRLF like the originals unless LF is asked for.
 *
 * Besides x, y, z the file holds derived fields, computed here:
 *  - depth/colour pixels by a pinhole projection of Kinect v2 (512×424 depth, 1920×1080
 *    colour); the images are mirrored like the Kinect streams, so u grows with x;
 *  - joint orientations as unit quaternions whose y axis follows the bone to the joint's
 *    first child and whose z axis is the body's forward direction (leaf joints: 0 0 0 0);
 *  - body lean from the trunk direction, and clipped edges from the depth projection.
 */
import { KINECT_V2_LEAF_JOINTS, KINECT_V2_PARENTS } from './kinematics.js';
import { getLayout, jointIndex } from '../../graph/index.js';
import { quaternionFromColumns } from './rotation.js';

/** Pinhole model of the Kinect v2 depth and colour cameras. */
export interface KinectCameraModel {
  readonly depth: { readonly width: number; readonly height: number; readonly fx: number; readonly fy: number; readonly cx: number; readonly cy: number };
  /** The colour camera sits `baseline` metres from the depth camera along x. */
  readonly color: { readonly width: number; readonly height: number; readonly fx: number; readonly fy: number; readonly cx: number; readonly cy: number; readonly baseline: number };
}

/** Typical factory intrinsics of a Kinect v2. */
export const KINECT_V2_CAMERA: KinectCameraModel = {
  depth: { width: 512, height: 424, fx: 365.5, fy: 365.5, cx: 257.0, cy: 206.0 },
  color: { width: 1920, height: 1080, fx: 1081.4, fy: 1081.4, cx: 959.5, cy: 539.5, baseline: 0.052 },
};

/** The nine fields after the body id. */
export interface NtuBodyInfo {
  /** Kinect FrameEdges flags: 1 right, 2 left, 4 top, 8 bottom. */
  readonly clipedEdges: number;
  /** 0 low, 1 high. */
  readonly handLeftConfidence: number;
  /** 0 unknown, 1 not tracked, 2 open, 3 closed, 4 lasso. */
  readonly handLeftState: number;
  readonly handRightConfidence: number;
  readonly handRightState: number;
  /** Spelled `isResticted` in the files. */
  readonly isRestricted: number;
  readonly leanX: number;
  readonly leanY: number;
  /** 0 not tracked, 1 inferred, 2 tracked. */
  readonly trackingState: number;
}

/** One body in one frame. */
export interface NtuBodyFrame {
  /** Kinect tracking id, a 64-bit integer as decimal text (e.g. '72057594037931101'). */
  readonly bodyId: string;
  /** 25 joints × (x, y, z), camera space, metres. */
  readonly joints: ArrayLike<number>;
  /** Per-joint tracking state (0, 1, 2); 2 when absent. */
  readonly jointTrackingStates?: ArrayLike<number>;
  /** Body fields; leans and clipped edges are computed when absent, hands default to not tracked. */
  readonly info?: Partial<NtuBodyInfo>;
}

/** The bodies seen in one frame, in the order the file lists them (may be empty). */
export type NtuFrame = readonly NtuBodyFrame[];

export interface NtuFormatOptions {
  /** 'crlf' (default, like the original files) or 'lf'. */
  readonly lineEnding?: 'crlf' | 'lf';
  readonly camera?: KinectCameraModel;
}

const JOINTS = 25;
const BODY_ID = /^[0-9]{1,20}$/;

/**
 * A number as the original files print it: 7 significant digits (float precision),
 * no trailing zeros, and C#'s 'E-05' exponent form below 1e-4.
 */
export function formatKinectFloat(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) throw new Error(`cannot write ${value} into a .skeleton file`);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e7) {
    const text = value.toPrecision(7);
    if (!text.includes('e')) return stripZeros(text);
  }
  const [mantissa, exponent] = value.toExponential(6).split('e');
  const e = Number(exponent);
  return `${stripZeros(mantissa)}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function stripZeros(text: string): string {
  if (!text.includes('.')) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48 /* '0' */) end--;
  if (text.charCodeAt(end - 1) === 46 /* '.' */) end--;
  return text.slice(0, end);
}

/** Index tables of the NTU skeleton that the derived fields need. */
interface JointTables {
  /** First Kinect child of each joint, or -1 for a leaf. */
  readonly child: Int32Array;
  readonly leaf: Uint8Array;
  readonly spineBase: number;
  readonly spineShoulder: number;
  readonly hipLeft: number;
  readonly hipRight: number;
  readonly shoulderLeft: number;
  readonly shoulderRight: number;
}

let tables: JointTables | undefined;

function jointTables(): JointTables {
  if (tables) return tables;
  const layout = getLayout('ntu-25');
  const child = new Int32Array(JOINTS).fill(-1);
  // KINECT_V2_PARENTS lists joints parents-first; the first child met is the bone the
  // joint's orientation follows (SpineShoulder → Neck, Hand → HandTip).
  for (const [name, parent] of Object.entries(KINECT_V2_PARENTS)) {
    if (name === parent) continue;
    const p = jointIndex(layout, parent);
    if (child[p] === -1) child[p] = jointIndex(layout, name);
  }
  const leaf = new Uint8Array(JOINTS);
  for (const name of KINECT_V2_LEAF_JOINTS) leaf[jointIndex(layout, name)] = 1;
  const j = (name: string): number => jointIndex(layout, name);
  tables = {
    child, leaf,
    spineBase: j('SpineBase'), spineShoulder: j('SpineShoulder'),
    hipLeft: j('HipLeft'), hipRight: j('HipRight'), shoulderLeft: j('ShoulderLeft'), shoulderRight: j('ShoulderRight'),
  };
  return tables;
}

type Vec3 = [number, number, number];

function normalize(v: Vec3): Vec3 | undefined {
  const n = Math.hypot(v[0], v[1], v[2]);
  return n > 1e-9 ? [v[0] / n, v[1] / n, v[2] / n] : undefined;
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function point(joints: ArrayLike<number>, j: number): Vec3 {
  return [joints[3 * j], joints[3 * j + 1], joints[3 * j + 2]];
}

function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

/**
 * The body's own axes in camera space: `right` from the hips and shoulders (the subject's
 * right), `forward` = up × right (camera-facing subjects get −z), `trunk` up the spine.
 */
function bodyAxes(joints: ArrayLike<number>, t: JointTables): { right: Vec3; forward: Vec3; trunk: Vec3 } {
  const hips = sub(point(joints, t.hipRight), point(joints, t.hipLeft));
  const shoulders = sub(point(joints, t.shoulderRight), point(joints, t.shoulderLeft));
  const right = normalize([hips[0] + shoulders[0], 0, hips[2] + shoulders[2]]) ?? [1, 0, 0];
  const forward = cross([0, 1, 0], right);
  const trunk = normalize(sub(point(joints, t.spineShoulder), point(joints, t.spineBase))) ?? [0, 1, 0];
  return { right, forward, trunk };
}

/** Orientation quaternion [w, x, y, z] of joint j, or zeros for a leaf. */
function jointOrientation(joints: ArrayLike<number>, j: number, axes: { right: Vec3; forward: Vec3 }, t: JointTables): [number, number, number, number] {
  if (t.leaf[j] || t.child[j] < 0) return [0, 0, 0, 0];
  const y = normalize(sub(point(joints, t.child[j]), point(joints, j)));
  if (!y) return [1, 0, 0, 0];
  // z: the forward direction made perpendicular to the bone (right-vector when the bone points forward).
  let along = axes.forward[0] * y[0] + axes.forward[1] * y[1] + axes.forward[2] * y[2];
  let z = normalize([axes.forward[0] - along * y[0], axes.forward[1] - along * y[1], axes.forward[2] - along * y[2]]);
  if (!z || Math.abs(along) > 0.999) {
    along = axes.right[0] * y[0] + axes.right[1] * y[1] + axes.right[2] * y[2];
    z = normalize([axes.right[0] - along * y[0], axes.right[1] - along * y[1], axes.right[2] - along * y[2]]) ?? [0, 0, 1];
  }
  const x = cross(y, z);
  return quaternionFromColumns(x, y, z);
}

/** Lines of one body: the info line, '25', and 25 joint lines. */
function bodyLines(body: NtuBodyFrame, camera: KinectCameraModel, t: JointTables, lines: string[]): void {
  if (!BODY_ID.test(body.bodyId)) throw new Error(`bodyID must be a decimal integer, got ${JSON.stringify(body.bodyId)}`);
  if (body.joints.length !== JOINTS * 3) throw new Error(`body ${body.bodyId}: expected ${JOINTS * 3} joint values, got ${body.joints.length}`);
  const joints = body.joints;
  const axes = bodyAxes(joints, t);
  const { depth, color } = camera;
  const depthPixels = new Float64Array(JOINTS * 2);
  let edges = 0;
  for (let j = 0; j < JOINTS; j++) {
    const z = joints[3 * j + 2];
    const u = z > 0 ? depth.cx + (depth.fx * joints[3 * j]) / z : 0;
    const v = z > 0 ? depth.cy - (depth.fy * joints[3 * j + 1]) / z : 0;
    depthPixels[2 * j] = u;
    depthPixels[2 * j + 1] = v;
    if (u >= depth.width) edges |= 1;
    if (u < 0) edges |= 2;
    if (v < 0) edges |= 4;
    if (v >= depth.height) edges |= 8;
  }
  const info: NtuBodyInfo = {
    clipedEdges: edges,
    handLeftConfidence: 0,
    handLeftState: 1,
    handRightConfidence: 0,
    handRightState: 1,
    isRestricted: 0,
    leanX: clampUnit(dot(axes.trunk, axes.right)),
    leanY: clampUnit(dot(axes.trunk, axes.forward)),
    trackingState: 2,
    ...body.info,
  };
  lines.push(
    `${body.bodyId} ${info.clipedEdges} ${info.handLeftConfidence} ${info.handLeftState} ${info.handRightConfidence} ${info.handRightState} ` +
      `${info.isRestricted} ${formatKinectFloat(info.leanX)} ${formatKinectFloat(info.leanY)} ${info.trackingState}`,
  );
  lines.push(String(JOINTS));
  const f = formatKinectFloat;
  for (let j = 0; j < JOINTS; j++) {
    const x = joints[3 * j];
    const y = joints[3 * j + 1];
    const z = joints[3 * j + 2];
    const colorX = z > 0 ? color.cx + (color.fx * (x + color.baseline)) / z : 0;
    const colorY = z > 0 ? color.cy - (color.fy * y) / z : 0;
    const [qw, qx, qy, qz] = jointOrientation(joints, j, axes, t);
    const state = body.jointTrackingStates?.[j] ?? 2;
    lines.push(
      `${f(x)} ${f(y)} ${f(z)} ${f(depthPixels[2 * j])} ${f(depthPixels[2 * j + 1])} ${f(colorX)} ${f(colorY)} ${f(qw)} ${f(qx)} ${f(qy)} ${f(qz)} ${state}`,
    );
  }
}

function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function clampUnit(x: number): number {
  return Math.max(-1, Math.min(1, x));
}

/** The exact text of a `.skeleton` file holding these frames. */
export function formatNtuSkeleton(frames: readonly NtuFrame[], options: NtuFormatOptions = {}): string {
  const eol = (options.lineEnding ?? 'crlf') === 'crlf' ? '\r\n' : '\n';
  const camera = options.camera ?? KINECT_V2_CAMERA;
  const t = jointTables();
  const lines: string[] = [String(frames.length)];
  for (const frame of frames) {
    lines.push(String(frame.length));
    for (const body of frame) bodyLines(body, camera, t, lines);
  }
  lines.push('');
  return lines.join(eol);
}
