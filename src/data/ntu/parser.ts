/**
 * Streaming parser of NTU RGB+D 60/120 `.skeleton` files (format: reference data.md §1.1).
 *
 *   <framecount>
 *   per frame:  <bodycount>
 *     per body: <bodyID> <9 more body fields>
 *               <jointcount = 25>
 *               25 × "x y z depthX depthY colorX colorY orientW orientX orientY orientZ trackingState"
 *
 * Only x, y, z are kept (as every reference pipeline does); all twelve joint fields are
 * still validated so that a shifted or corrupt line is reported where it happens.
 * Frames with no body are dropped (CTR-GCN and PYSKL do the same) and counted.
 */
import { TextScanner } from '../text-scanner.js';

export const NTU_JOINTS = 25;
/** Kinect v2 tracks at most six bodies. */
export const NTU_MAX_BODIES = 6;

export interface NtuBody {
  /** Kinect tracking id: a 64-bit integer, kept as text because it exceeds 2^53. */
  readonly id: string;
  /** Indices (among frames that have at least one body) where this body appears, ascending. */
  readonly frames: Int32Array;
  /** [frames.length, 25, 3] camera-space xyz in metres. */
  readonly joints: Float32Array;
}

export interface NtuRawSkeleton {
  readonly file: string;
  /** Frame count on line 1. */
  readonly declaredFrames: number;
  /** Frames with at least one body (the time axis of every body's `frames`). */
  readonly validFrames: number;
  /** Frames with no body, dropped. */
  readonly emptyFrames: number;
  /** Bodies in order of first appearance. */
  readonly bodies: NtuBody[];
}

interface BodyBuilder {
  id: string;
  frames: Int32Array;
  joints: Float32Array;
  count: number;
}

/** Parses one `.skeleton` file's bytes. Throws SkeletonFormatError naming file and line. */
export function parseNtuSkeleton(bytes: Uint8Array, file: string): NtuRawSkeleton {
  const s = new TextScanner(bytes, file);
  const declaredFrames = s.integer('a frame count (non-negative integer) on line 1', 1_000_000);
  if (declaredFrames === 0) s.fail('at least one frame (an empty sequence has no skeleton)', '0', s.tokenLine);
  const builders = new Map<string, BodyBuilder>();
  const order: BodyBuilder[] = [];
  let valid = 0;
  let empty = 0;
  for (let f = 0; f < declaredFrames; f++) {
    const frameDetail = `frame ${f + 1} of ${declaredFrames}`;
    const bodyCount = s.integer(`a body count (integer 0..${NTU_MAX_BODIES})`, NTU_MAX_BODIES, frameDetail);
    if (bodyCount === 0) {
      empty++;
      continue;
    }
    const frameIndex = valid++;
    for (let b = 0; b < bodyCount; b++) {
      const detail = `${frameDetail}, body ${b + 1} of ${bodyCount}`;
      const id = s.token('a body id', detail);
      if (!/^\d{1,20}$/.test(id)) s.fail('a body id (an unsigned 64-bit integer)', id, s.tokenLine, detail);
      // clipedEdges, handLeftConfidence, handLeftState, handRightConfidence, handRightState,
      // isResticted, leanX, leanY, trackingState: validated, not kept.
      for (let k = 0; k < 9; k++) s.skipNumber('a number in the body info line (10 fields)', detail);
      const jointCount = s.integer(`the joint count ${NTU_JOINTS}`, 1000, detail);
      if (jointCount !== NTU_JOINTS) s.fail(`${NTU_JOINTS} joints`, String(jointCount), s.tokenLine, detail);
      let body = builders.get(id);
      if (!body) {
        body = {
          id,
          frames: new Int32Array(declaredFrames),
          joints: new Float32Array(declaredFrames * NTU_JOINTS * 3),
          count: 0,
        };
        builders.set(id, body);
        order.push(body);
      } else if (body.count > 0 && body.frames[body.count - 1] === frameIndex) {
        s.fail('distinct body ids within a frame', id, s.tokenLine, detail);
      }
      const base = body.count * NTU_JOINTS * 3;
      const joints = body.joints;
      for (let j = 0; j < NTU_JOINTS; j++) {
        const o = base + j * 3;
        joints[o] = s.number('a joint x (12 numbers per joint line)', detail);
        joints[o + 1] = s.number('a joint y', detail);
        joints[o + 2] = s.number('a joint z', detail);
        for (let k = 0; k < 8; k++)
          s.skipNumber('a joint field (depthX depthY colorX colorY orientation W X Y Z)', detail);
        s.integer(
          'a joint trackingState (0, 1 or 2) as the 12th number of the joint line',
          2,
          `${detail}, joint ${j + 1}`,
        );
      }
      body.frames[body.count++] = frameIndex;
    }
  }
  if (!s.atEnd()) s.fail(`end of file after ${declaredFrames} frames`, s.token('anything'), s.tokenLine);
  if (valid === 0) s.fail('at least one frame with a body', `${declaredFrames} frames without bodies`, 1);
  return {
    file,
    declaredFrames,
    validFrames: valid,
    emptyFrames: empty,
    bodies: order.map((b) => ({
      id: b.id,
      frames: b.frames.slice(0, b.count),
      joints: b.joints.slice(0, b.count * NTU_JOINTS * 3),
    })),
  };
}

/** The parts of an NTU sample name `SsssCcccPpppRrrrAaaa`. */
export interface NtuSampleName {
  readonly name: string;
  readonly setup: number;
  readonly camera: number;
  readonly performer: number;
  readonly replication: number;
  readonly action: number;
}

const NTU_NAME = /^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$/;

/** Parses `S001C002P003R002A013` (a `.skeleton` suffix or a path is allowed); undefined if it is not one. */
export function parseNtuName(nameOrPath: string): NtuSampleName | undefined {
  const base = nameOrPath.replace(/^.*[\\/]/, '').replace(/\.skeleton$/, '');
  const m = NTU_NAME.exec(base);
  if (!m) return undefined;
  return { name: base, setup: +m[1], camera: +m[2], performer: +m[3], replication: +m[4], action: +m[5] };
}
