/**
 * 3×3 rotation matrices stored row-major in Float64Array slots (9 values at an offset), so
 * forward kinematics can keep every joint's rotation in one preallocated buffer.
 *
 * All rotations are right-handed about the frame's own axes. In the body frame of
 * kinematics.ts x points to the subject's left, y up and z forward, so
 *   rotateX(+θ) tips an upward bone forward (y → z) and swings a hanging bone backward,
 *   rotateY(+θ) turns forward towards the subject's left (z → x),
 *   rotateZ(+θ) swings a hanging bone towards the subject's left (−y → +x).
 */

export type Mat3Buffer = Float64Array;

export const IDENTITY3: Readonly<Float64Array> = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);

/** Writes the rotation by `angle` radians about x into out[o..o+9]. */
export function setRotationX(out: Mat3Buffer, o: number, angle: number): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  out[o] = 1; out[o + 1] = 0; out[o + 2] = 0;
  out[o + 3] = 0; out[o + 4] = c; out[o + 5] = -s;
  out[o + 6] = 0; out[o + 7] = s; out[o + 8] = c;
}

/** Writes the rotation by `angle` radians about y into out[o..o+9]. */
export function setRotationY(out: Mat3Buffer, o: number, angle: number): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  out[o] = c; out[o + 1] = 0; out[o + 2] = s;
  out[o + 3] = 0; out[o + 4] = 1; out[o + 5] = 0;
  out[o + 6] = -s; out[o + 7] = 0; out[o + 8] = c;
}

/** Writes the rotation by `angle` radians about z into out[o..o+9]. */
export function setRotationZ(out: Mat3Buffer, o: number, angle: number): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  out[o] = c; out[o + 1] = -s; out[o + 2] = 0;
  out[o + 3] = s; out[o + 4] = c; out[o + 5] = 0;
  out[o + 6] = 0; out[o + 7] = 0; out[o + 8] = 1;
}

export function setIdentity(out: Mat3Buffer, o: number): void {
  out.set(IDENTITY3, o);
}

/**
 * out[oo..] = a[ao..] · b[bo..]. `out` may not overlap either input slot (use a scratch slot).
 */
export function multiplyMat3(a: Mat3Buffer, ao: number, b: Mat3Buffer, bo: number, out: Mat3Buffer, oo: number): void {
  for (let r = 0; r < 3; r++) {
    const a0 = a[ao + 3 * r];
    const a1 = a[ao + 3 * r + 1];
    const a2 = a[ao + 3 * r + 2];
    out[oo + 3 * r] = a0 * b[bo] + a1 * b[bo + 3] + a2 * b[bo + 6];
    out[oo + 3 * r + 1] = a0 * b[bo + 1] + a1 * b[bo + 4] + a2 * b[bo + 7];
    out[oo + 3 * r + 2] = a0 * b[bo + 2] + a1 * b[bo + 5] + a2 * b[bo + 8];
  }
}

/**
 * Unit quaternion [w, x, y, z] (w ≥ 0) of a rotation matrix given by its three columns
 * (the images of the x, y and z axes). Shepperd's method: branch on the largest diagonal
 * term so that the square root is never taken of a small number.
 */
export function quaternionFromColumns(
  xAxis: readonly [number, number, number],
  yAxis: readonly [number, number, number],
  zAxis: readonly [number, number, number],
): [number, number, number, number] {
  const m00 = xAxis[0], m10 = xAxis[1], m20 = xAxis[2];
  const m01 = yAxis[0], m11 = yAxis[1], m21 = yAxis[2];
  const m02 = zAxis[0], m12 = zAxis[1], m22 = zAxis[2];
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
  const norm = Math.hypot(w, x, y, z);
  const sign = w < 0 ? -1 : 1;
  return [(sign * w) / norm, (sign * x) / norm, (sign * y) / norm, (sign * z) / norm];
}

export const DEG = Math.PI / 180;
