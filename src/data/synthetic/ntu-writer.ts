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
 * tiny values. Lines end in CRLF like the originals unless LF is asked for; the last line
 * ends with a line break too.
 *
 * The text is produced straight into a byte buffer (every character is ASCII): a 2-body
 * file has ~50,000 numbers, and building strings for them was most of the writing time.
 *
 * Besides x, y, z the file holds derived fields, computed here:
 *  - depth/colour pixels by a pinhole projection of Kinect v2 (512×424 depth, 1920×1080
 *    colour); the images are mirrored like the Kinect streams, so u grows with x;
 *  - joint orientations as unit quaternions whose y axis follows the bone to the joint's
 *    first child and whose z axis is the body's forward direction (leaf joints: 0 0 0 0);
 *  - body lean from the trunk direction, and clipped edges from the depth projection.
 */
import { KINECT_V2_LEAF_JOINTS, KINECT_V2_PARENTS } from './kinematics.js';
import { getLayout, jointIndex } from '../../graph/layout.js';
import { quaternionFromBasis } from './rotation.js';

/** Pinhole model of the Kinect v2 depth and colour cameras. */
export interface KinectCameraModel {
  readonly depth: {
    readonly width: number;
    readonly height: number;
    readonly fx: number;
    readonly fy: number;
    readonly cx: number;
    readonly cy: number;
  };
  /** The colour camera sits `baseline` metres from the depth camera along x. */
  readonly color: {
    readonly width: number;
    readonly height: number;
    readonly fx: number;
    readonly fy: number;
    readonly cx: number;
    readonly cy: number;
    readonly baseline: number;
  };
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
const POW10 = Float64Array.from({ length: 12 }, (_, i) => 10 ** i);
/** 10^e for e = -4 … 6, at index e + 4. */
const POW10_FROM_MINUS4 = Float64Array.from({ length: 11 }, (_, i) => 10 ** (i - 4));
const CHAR = { zero: 48, minus: 45, dot: 46, space: 32, cr: 13, lf: 10 } as const;

/** Growable ASCII byte buffer. */
class AsciiWriter {
  bytes: Uint8Array;
  length = 0;
  private readonly digits = new Uint8Array(24);

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Makes room for n more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  text(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.bytes[this.length++] = s.charCodeAt(i);
  }

  /** A non-negative integer below 2^53. */
  unsigned(n: number): void {
    let count = 0;
    do {
      const d = n % 10;
      this.digits[count++] = CHAR.zero + d;
      n = (n - d) / 10;
    } while (n > 0);
    this.reserve(count);
    while (count > 0) this.bytes[this.length++] = this.digits[--count];
  }

  /** A number in the files' float notation (see formatKinectFloat). */
  kinectFloat(value: number): void {
    if (value === 0) {
      this.byte(CHAR.zero);
      return;
    }
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} into a .skeleton file`);
    const magnitude = Math.abs(value);
    if (magnitude >= 1e-4 && magnitude < 1e7) {
      // Decimal exponent by comparison (cheaper than Math.log10), then scale so that the 7
      // significant digits form an integer in [1e6, 1e7).
      let exponent = 6;
      while (magnitude < POW10_FROM_MINUS4[exponent + 4]) exponent--;
      let decimals = 6 - exponent;
      let scaled = Math.round(magnitude * POW10[decimals]);
      if (scaled >= 1e7) scaled = Math.round(magnitude * POW10[--decimals]);
      if (decimals >= 0 && scaled < 1e7) {
        let n = scaled | 0;
        while (decimals > 0) {
          const q = (n / 10) | 0;
          if (n - q * 10 !== 0) break;
          n = q;
          decimals--;
        }
        this.reserve(24);
        const bytes = this.bytes;
        if (value < 0) bytes[this.length++] = CHAR.minus;
        let count = 0;
        do {
          const q = (n / 10) | 0;
          this.digits[count++] = CHAR.zero + n - q * 10;
          n = q;
        } while (n > 0);
        if (count <= decimals) {
          // 0.000ddd: a zero, the point, then zeros up to the first digit.
          bytes[this.length++] = CHAR.zero;
          bytes[this.length++] = CHAR.dot;
          for (let i = count; i < decimals; i++) bytes[this.length++] = CHAR.zero;
          while (count > 0) bytes[this.length++] = this.digits[--count];
        } else {
          while (count > 0) {
            if (count === decimals) bytes[this.length++] = CHAR.dot;
            bytes[this.length++] = this.digits[--count];
          }
        }
        return;
      }
    }
    // Tiny or huge values (rare in these files): C#'s exponent form, e.g. 1.234567E-05.
    const [mantissa, exponent] = value.toExponential(6).split('e');
    const e = Number(exponent);
    this.text(`${stripZeros(mantissa)}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`);
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

function stripZeros(text: string): string {
  if (!text.includes('.')) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === CHAR.zero) end--;
  if (text.charCodeAt(end - 1) === CHAR.dot) end--;
  return text.slice(0, end);
}

/**
 * A number as the original files print it: 7 significant digits (float precision), no
 * trailing zeros, and C#'s 'E-05' exponent form below 1e-4 (the .NET "G" rule), e.g.
 * 0.2181153, -0.06342101, 277.9359, 1.234567E-05.
 */
export function formatKinectFloat(value: number): string {
  const writer = new AsciiWriter(32);
  writer.kinectFloat(value);
  return String.fromCharCode(...writer.result());
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
    child,
    leaf,
    spineBase: j('SpineBase'),
    spineShoulder: j('SpineShoulder'),
    hipLeft: j('HipLeft'),
    hipRight: j('HipRight'),
    shoulderLeft: j('ShoulderLeft'),
    shoulderRight: j('ShoulderRight'),
  };
  return tables;
}

/**
 * The body's own axes in camera space, 3 values each: `right` (the subject's right, level)
 * from the hips and shoulders, `forward` = up × right (a camera-facing subject gets −z),
 * and `trunk` up the spine.
 */
interface BodyAxes {
  readonly right: Float64Array;
  readonly forward: Float64Array;
  readonly trunk: Float64Array;
}

function bodyAxes(joints: ArrayLike<number>, t: JointTables, out: BodyAxes): void {
  const x = (j: number): number => joints[3 * j];
  const y = (j: number): number => joints[3 * j + 1];
  const z = (j: number): number => joints[3 * j + 2];
  let rx = x(t.hipRight) - x(t.hipLeft) + x(t.shoulderRight) - x(t.shoulderLeft);
  let rz = z(t.hipRight) - z(t.hipLeft) + z(t.shoulderRight) - z(t.shoulderLeft);
  const rn = Math.hypot(rx, rz);
  if (rn > 1e-9) {
    rx /= rn;
    rz /= rn;
  } else {
    rx = 1;
    rz = 0;
  }
  out.right[0] = rx;
  out.right[1] = 0;
  out.right[2] = rz;
  // up × right with up = (0, 1, 0).
  out.forward[0] = rz;
  out.forward[1] = 0;
  out.forward[2] = -rx;
  const tx = x(t.spineShoulder) - x(t.spineBase);
  const ty = y(t.spineShoulder) - y(t.spineBase);
  const tz = z(t.spineShoulder) - z(t.spineBase);
  const tn = Math.hypot(tx, ty, tz);
  if (tn > 1e-9) {
    out.trunk[0] = tx / tn;
    out.trunk[1] = ty / tn;
    out.trunk[2] = tz / tn;
  } else {
    out.trunk[0] = 0;
    out.trunk[1] = 1;
    out.trunk[2] = 0;
  }
}

/**
 * Orientation quaternion [w, x, y, z] of joint j into `out`: y axis along the bone to the
 * joint's first child, z axis the body's forward direction made perpendicular to it (its
 * right direction when the bone points forward), x = y × z. Zeros for leaf joints.
 */
function jointOrientation(
  joints: ArrayLike<number>,
  j: number,
  axes: BodyAxes,
  t: JointTables,
  out: Float64Array,
): void {
  const c = t.child[j];
  if (t.leaf[j] || c < 0) {
    out.fill(0);
    return;
  }
  let yx = joints[3 * c] - joints[3 * j];
  let yy = joints[3 * c + 1] - joints[3 * j + 1];
  let yz = joints[3 * c + 2] - joints[3 * j + 2];
  const yn = Math.hypot(yx, yy, yz);
  if (yn < 1e-9) {
    out[0] = 1;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
    return;
  }
  yx /= yn;
  yy /= yn;
  yz /= yn;
  let reference = axes.forward;
  let along = reference[0] * yx + reference[1] * yy + reference[2] * yz;
  if (Math.abs(along) > 0.999) {
    reference = axes.right;
    along = reference[0] * yx + reference[1] * yy + reference[2] * yz;
  }
  let zx = reference[0] - along * yx;
  let zy = reference[1] - along * yy;
  let zz = reference[2] - along * yz;
  const zn = Math.hypot(zx, zy, zz);
  zx /= zn;
  zy /= zn;
  zz /= zn;
  // x = y × z
  const xx = yy * zz - yz * zy;
  const xy = yz * zx - yx * zz;
  const xz = yx * zy - yy * zx;
  quaternionFromBasis(out, xx, xy, xz, yx, yy, yz, zx, zy, zz);
}

/** Reusable per-call scratch of the writer. */
interface Scratch {
  readonly axes: BodyAxes;
  readonly quaternion: Float64Array;
  readonly depthPixels: Float64Array;
}

/** One body: the info line, '25', and 25 joint lines. */
function writeBody(
  w: AsciiWriter,
  body: NtuBodyFrame,
  camera: KinectCameraModel,
  t: JointTables,
  eol: readonly number[],
  scratch: Scratch,
): void {
  if (!BODY_ID.test(body.bodyId))
    throw new Error(`bodyID must be a decimal integer, got ${JSON.stringify(body.bodyId)}`);
  if (body.joints.length !== JOINTS * 3)
    throw new Error(`body ${body.bodyId}: expected ${JOINTS * 3} joint values, got ${body.joints.length}`);
  const joints = body.joints;
  const { axes, quaternion, depthPixels } = scratch;
  bodyAxes(joints, t, axes);
  const { depth, color } = camera;
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
  const dot = (a: Float64Array, b: Float64Array): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
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
  w.text(body.bodyId);
  const integerFields = [
    ['clipedEdges', info.clipedEdges],
    ['handLeftConfidence', info.handLeftConfidence],
    ['handLeftState', info.handLeftState],
    ['handRightConfidence', info.handRightConfidence],
    ['handRightState', info.handRightState],
    ['isResticted', info.isRestricted],
  ] as const;
  for (const [name, value] of integerFields) {
    w.byte(CHAR.space);
    w.unsigned(checkField(body.bodyId, name, value));
  }
  w.byte(CHAR.space);
  w.kinectFloat(info.leanX);
  w.byte(CHAR.space);
  w.kinectFloat(info.leanY);
  w.byte(CHAR.space);
  w.unsigned(checkField(body.bodyId, 'trackingState', info.trackingState));
  newline(w, eol);
  w.unsigned(JOINTS);
  newline(w, eol);
  for (let j = 0; j < JOINTS; j++) {
    const x = joints[3 * j];
    const y = joints[3 * j + 1];
    const z = joints[3 * j + 2];
    jointOrientation(joints, j, axes, t, quaternion);
    w.kinectFloat(x);
    w.byte(CHAR.space);
    w.kinectFloat(y);
    w.byte(CHAR.space);
    w.kinectFloat(z);
    w.byte(CHAR.space);
    w.kinectFloat(depthPixels[2 * j]);
    w.byte(CHAR.space);
    w.kinectFloat(depthPixels[2 * j + 1]);
    w.byte(CHAR.space);
    w.kinectFloat(z > 0 ? color.cx + (color.fx * (x + color.baseline)) / z : 0);
    w.byte(CHAR.space);
    w.kinectFloat(z > 0 ? color.cy - (color.fy * y) / z : 0);
    for (let q = 0; q < 4; q++) {
      w.byte(CHAR.space);
      w.kinectFloat(quaternion[q]);
    }
    w.byte(CHAR.space);
    w.unsigned(checkField(body.bodyId, `joint ${j + 1} trackingState`, body.jointTrackingStates?.[j] ?? 2));
    newline(w, eol);
  }
}

function newline(w: AsciiWriter, eol: readonly number[]): void {
  for (const b of eol) w.byte(b);
}

/** Integer fields of the format are small non-negative integers. */
function checkField(bodyId: string, field: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 255)
    throw new Error(`body ${bodyId}: ${field} must be an integer from 0 to 255, got ${n}`);
  return n;
}

function clampUnit(x: number): number {
  return Math.max(-1, Math.min(1, x));
}

/** The bytes (ASCII) of a `.skeleton` file holding these frames. */
export function encodeNtuSkeleton(frames: readonly NtuFrame[], options: NtuFormatOptions = {}): Uint8Array {
  const eol = (options.lineEnding ?? 'crlf') === 'crlf' ? [CHAR.cr, CHAR.lf] : [CHAR.lf];
  const camera = options.camera ?? KINECT_V2_CAMERA;
  const t = jointTables();
  const scratch: Scratch = {
    axes: { right: new Float64Array(3), forward: new Float64Array(3), trunk: new Float64Array(3) },
    quaternion: new Float64Array(4),
    depthPixels: new Float64Array(JOINTS * 2),
  };
  let bodyFrames = 0;
  for (const frame of frames) bodyFrames += frame.length;
  // About 100 bytes per joint line: allocate once for the usual case.
  const w = new AsciiWriter(64 + frames.length * 8 + bodyFrames * 2_700);
  w.unsigned(frames.length);
  newline(w, eol);
  for (const frame of frames) {
    w.unsigned(frame.length);
    newline(w, eol);
    for (const body of frame) writeBody(w, body, camera, t, eol, scratch);
  }
  return w.result();
}

const ascii = new TextDecoder('latin1');

/** The exact text of a `.skeleton` file holding these frames. */
export function formatNtuSkeleton(frames: readonly NtuFrame[], options: NtuFormatOptions = {}): string {
  return ascii.decode(encodeNtuSkeleton(frames, options));
}
