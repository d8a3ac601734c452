/**
 * Tests that need something outside the project (../shared media, Debian's ffmpeg or Chromium,
 * the pose models of `npm run setup:pose`) register as skipped, with the reason in the title,
 * where it is missing. CI installs all of them (.ci/run), so there nothing is skipped.
 */
import test, { type ImplementationFn } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium } from '../../src/pose/engines/mediapipe.js';
import { poseAssetsReady } from '../../src/pose/assets.js';
import { sharedPath } from './shared.js';
import { hasRedis, REDIS_MISSING } from './redis.js';

export interface Needs {
  /** Paths inside ../shared. */
  readonly shared?: readonly string[];
  readonly ffmpeg?: boolean;
  readonly chromium?: boolean;
  readonly poseModels?: boolean;
  /** Debian's redis-server (the queue tests start their own). */
  readonly redis?: boolean;
}

const hasFfmpeg = (() => {
  let cached: boolean | undefined;
  return () =>
    (cached ??= ['ffmpeg', 'ffprobe'].every(
      (t) =>
        spawnSync(process.env[t === 'ffmpeg' ? 'SKELACT_FFMPEG' : 'SKELACT_FFPROBE'] || t, ['-version']).status === 0,
    ));
})();

/** Why a test cannot run here, or undefined when it can. */
export function missing(needs: Needs): string | undefined {
  for (const p of needs.shared ?? [])
    if (!existsSync(sharedPath(p))) return `${sharedPath(p)} is absent (real media that is not part of the project)`;
  if (needs.ffmpeg && !hasFfmpeg())
    return "ffmpeg/ffprobe are not installed (npm run setup:pose installs Debian's ffmpeg)";
  if (needs.chromium && !findChromium()) return 'Chromium is not installed (npm run setup:pose installs it)';
  if (needs.poseModels && !poseAssetsReady()) return 'the pose models are not set up (run npm run setup:pose)';
  if (needs.redis && !hasRedis()) return REDIS_MISSING;
  return undefined;
}

/** A serial test that runs where its needs are met, else a skipped test saying what is missing. */
export function testNeeding(title: string, needs: Needs, fn: ImplementationFn<[]>): void {
  const why = missing(needs);
  if (why) test.skip(`${title} [skipped: ${why}]`, fn);
  else test.serial(title, fn);
}
