/**
 * Small rotation helpers for forward kinematics. 3×3 matrices are stored row-major in
 * Float64Array slots (9 values at an offset), so every joint's rotation lives in one
 * preallocated buffer.
 *
 * All rotations are right-handed about the frame's own axes. In the person frame of
 * kinematics.ts x points to the subject's left, y up and z forward, so
 *   about x by +θ tips an upward bone forward (y → z) and swings a hanging bone backward,
 *   about y by +θ turns forward towards the subject's left (z → x),
 *   about z by +θ swings a hanging bone towards the subject's left (−y → +x).
 */

export type Mat3Buffer = Float64Array;

export const DEG = Math.PI / 180;

/** Writes the rotation by `angle` radians about y into out[o..o+9]. */
export function setRotationY(out: Mat3Buffer, o: number, angle: number): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  out[o] = c;
  out[o + 1] = 0;
  out[o + 2] = s;
  out[o + 3] = 0;
  out[o + 4] = 1;
  out[o + 5] = 0;
  out[o + 6] = -s;
  out[o + 7] = 0;
  out[o + 8] = c;
}

/**
 * m[o..] = m[o..] · R(axis, angle) in place: right-multiplying by an elementary rotation only
 * mixes two columns, which is much cheaper than a full product.
 */
export function rotateColumns(m: Mat3Buffer, o: number, axis: 0 | 1 | 2, angle: number): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  // Columns (i, k) mix as: new_i = c·col_i + s·col_k, new_k = −s·col_i + c·col_k, with
  // (i, k) = (y, z) for x, (z, x) for y, (x, y) for z.
  const i = axis === 0 ? 1 : axis === 1 ? 2 : 0;
  const k = axis === 0 ? 2 : axis === 1 ? 0 : 1;
  for (let r = 0; r < 3; r++) {
    const a = m[o + 3 * r + i];
    const b = m[o + 3 * r + k];
    m[o + 3 * r + i] = c * a + s * b;
    m[o + 3 * r + k] = -s * a + c * b;
  }
}

/**
 * Writes the unit quaternion [w, x, y, z] (w ≥ 0) of the rotation whose columns are the
 * images of the x, y and z axes into out[0..4]. Shepperd's method: branch on the largest
 * diagonal term so that the square root is never taken of a small number.
 */
export function quaternionFromBasis(
  out: Float64Array,
  m00: number,
  m10: number,
  m20: number, // x axis image (column 0)
  m01: number,
  m11: number,
  m21: number, // y axis image (column 1)
  m02: number,
  m12: number,
  m22: number, // z axis image (column 2)
): void {
  const trace = m00 + m11 + m22;
  let w: number, x: number, y: number, z: number;
  if (trace > 0) {
    const s = 2 * Math.sqrt(1 + trace);
    w = s / 4;
    x = (m21 - m12) / s;
    y = (m02 - m20) / s;
    z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    w = (m21 - m12) / s;
    x = s / 4;
    y = (m01 + m10) / s;
    z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    w = (m02 - m20) / s;
    x = (m01 + m10) / s;
    y = s / 4;
    z = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    w = (m10 - m01) / s;
    x = (m02 + m20) / s;
    y = (m12 + m21) / s;
    z = s / 4;
  }
  const scale = (w < 0 ? -1 : 1) / Math.hypot(w, x, y, z);
  out[0] = w * scale;
  out[1] = x * scale;
  out[2] = y * scale;
  out[3] = z * scale;
}
