/** A sweep's list of runs (<out>/sweep.json, written by skelact sweep; read by skelact ensemble). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { parseWith } from '../core/errors.js';

/** The scores of a sweep run's best model on the test split (written by the worker that trained it). */
export const SWEEP_SCORES_DIR = 'scores-test';

/** <out>/sweep.json: the runs of a sweep, so that ensemble finds them. */
export const SWEEP_FILE = 'sweep.json';
export const SWEEP_FORMAT = 'skelact-sweep';
const sweepSchema = z
  .object({
    format: z.literal(SWEEP_FORMAT),
    version: z.literal(1),
    runs: z.array(
      z
        .object({ name: z.string(), config: z.string(), seed: z.number().int(), dir: z.string(), job: z.string() })
        .strict(),
    ),
  })
  .strict();
export type SweepFile = z.output<typeof sweepSchema>;

export function readSweep(dir: string): SweepFile {
  const file = join(dir, SWEEP_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a JSON sweep file (${(e as Error).message})`);
  }
  return parseWith(sweepSchema, raw, file);
}

/** The score folders of a sweep's finished runs (their best model on the test split), and the runs not finished. */
export function sweepScores(dir: string): { finished: string[]; unfinished: string[] } {
  const sweep = readSweep(dir);
  const finished: string[] = [];
  const unfinished: string[] = [];
  for (const run of sweep.runs) {
    const scores = join(dir, run.dir, SWEEP_SCORES_DIR);
    if (existsSync(join(scores, 'scores.json'))) finished.push(scores);
    else unfinished.push(join(dir, run.dir));
  }
  return { finished, unfinished };
}
