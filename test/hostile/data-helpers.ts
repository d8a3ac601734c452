/**
 * Shared by the hostile-input tests of data and models (test/hostile/data-*, models-*): the CLI
 * run as a user runs it, scratch folders, a small synthetic NTU data set, and a snapshot of a
 * folder's files to check that nothing was lost or changed.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { POSE_FILE_FORMAT, POSE_FILE_VERSION } from '../../src/pose/types.js';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/temp.js';

export const ROOT = packageRoot();
const BIN = join(ROOT, 'bin', 'skelact.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `skelact …` in a child process (the way a user does), with a time limit so a hang fails. */
export function skelact(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const tmp = (tag = 'hostile'): string => tempDir(`skelact-${tag}-`);

/** Every file under `dir` with its bytes, by relative path (a folder's exact content). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path, `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(path).toString('base64'));
    }
  };
  walk(dir, '');
  return out;
}

export function sizeOf(path: string): number {
  return statSync(path).size;
}

let ntu: { raw: string; cache: string } | undefined;

/** A small synthetic NTU data set (2 samples per class) and its cache, made once per test file. */
export function syntheticNtu(): { raw: string; cache: string } {
  if (ntu) return ntu;
  const dir = tmp('hostile-ntu');
  const raw = join(dir, 'raw');
  const cache = join(dir, 'cache');
  for (const r of [
    skelact('synth', '--out', raw, '--samples-per-class', '2', '--quiet'),
    skelact('prepare', 'ntu', '--raw', raw, '--out', cache, '--quiet'),
  ]) {
    if (r.code !== 0) throw new Error(r.stderr);
  }
  return (ntu = { raw, cache });
}

/** A valid pose file of `frames` frames with one tracked person. */
export function poseFile(frames: number): Record<string, unknown> {
  const person = {
    track: 0,
    image: Array.from({ length: 33 }, (_, j) => [0.3 + j / 100, 0.2 + j / 50, 0, 0.9]),
    world: Array.from({ length: 33 }, (_, j) => [j / 100, -j / 50, 0]),
    box: [0.2, 0.1, 0.5, 0.8],
    score: 0.95,
  };
  return {
    format: POSE_FILE_FORMAT,
    version: POSE_FILE_VERSION,
    source: { file: 'clip.mp4', width: 640, height: 480, fps: 30, durationSeconds: frames / 30 },
    extraction: {
      engine: 'mediapipe',
      engineDescription: 'test',
      model: 'full',
      fps: 30,
      width: 640,
      height: 480,
      persons: 1,
      detector: null,
      skelactVersion: '0',
      date: '2026-01-01',
    },
    landmarkLayout: 'blazepose-33',
    tracks: [{ id: 0, firstFrame: 0, lastFrame: frames - 1, frames }],
    frames: Array.from({ length: frames }, (_, index) => ({
      index,
      timestampMs: (index * 1000) / 30,
      people: [person],
    })),
  };
}
