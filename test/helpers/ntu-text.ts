/** Hand-made NTU `.skeleton` text for parser and denoising tests. */
import { NTU_JOINTS } from '../../src/data/ntu/parser.js';

/** A small NTU file: frames[f] lists the bodies of frame f as [id, xOffset]. */
export function ntuText(frames: Array<Array<[string, number]>>, eol = '\r\n'): string {
  const lines = [String(frames.length)];
  frames.forEach((bodies, f) => {
    lines.push(String(bodies.length));
    for (const [id, x0] of bodies) {
      lines.push(`${id} 0 1 1 1 1 0 -0.1104 0.2398 2`);
      lines.push(String(NTU_JOINTS));
      for (let j = 0; j < NTU_JOINTS; j++) {
        const x = x0 + 0.01 * j + 0.001 * f;
        lines.push(
          `${x.toPrecision(7)} ${(0.05 * j - 0.5).toPrecision(7)} 3.512345 250.5 201.25 901.5 500.25 0.5 -0.5 0.5 0.5 ${j % 3}`,
        );
      }
    }
  });
  return lines.join(eol) + eol;
}

export interface TestBody {
  readonly id: string;
  /** File frames (0-based) in which the body appears. */
  readonly frames: readonly number[];
  /** Position of joint j in file frame f. */
  readonly joint: (f: number, j: number) => readonly [number, number, number];
}

/** An NTU file of `frameCount` frames holding the given bodies (frames without a body have body count 0). */
export function ntuFromBodies(frameCount: number, bodies: readonly TestBody[]): string {
  const lines = [String(frameCount)];
  for (let f = 0; f < frameCount; f++) {
    const here = bodies.filter((b) => b.frames.includes(f));
    lines.push(String(here.length));
    for (const b of here) {
      lines.push(`${b.id} 0 1 1 1 1 0 0.01 -0.02 2`);
      lines.push(String(NTU_JOINTS));
      for (let j = 0; j < NTU_JOINTS; j++) {
        const [x, y, z] = b.joint(f, j);
        lines.push(`${x.toPrecision(7)} ${y.toPrecision(7)} ${z.toPrecision(7)} 256 212 960 540 0 0 0 0 2`);
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A standing-person-like body: tall (y spread 1 m), narrow (x spread 0.3 m), moving by `amplitude`. */
export function personJoint(x0: number, amplitude: number): TestBody['joint'] {
  return (f, j) => [x0 + (0.3 * ((j * 7) % 25)) / 25 + amplitude * Math.sin(f / 3 + j), -0.5 + j / 25, 3 + 0.01 * j];
}

/** A wide, flat body (x spread 2 m, y spread 0.1 m): "spread" noise. */
export function flatJoint(x0: number): TestBody['joint'] {
  return (f, j) => [x0 + (2 * j) / 25, 0.1 * ((j % 5) / 5), 3.5];
}

export const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
