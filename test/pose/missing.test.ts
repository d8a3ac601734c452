/** What pose extraction says when a piece is missing: the pose models, Chromium. */
import test from 'ava';
import { initBackend } from '../../src/engine/backend.js';
import { MissingModelError } from '../../src/pose/assets.js';
import { createMediapipeEngine } from '../../src/pose/engines/mediapipe.js';
import { createTfjsEngine } from '../../src/pose/engines/tfjs.js';
import { resolveEngine } from '../../src/pose/extract.js';
import { MissingToolError } from '../../src/pose/video.js';
import { tempDir } from '../helpers/temp.js';

test.before(async () => {
  await initBackend('wasm');
});

test.serial('pose models not set up: the engines name the setup command', async (t) => {
  const saved = process.env.SKELACT_POSE_MODELS;
  process.env.SKELACT_POSE_MODELS = tempDir('skelact-no-models-');
  try {
    const e = await t.throwsAsync(() => createTfjsEngine('full'), { instanceOf: MissingModelError });
    t.regex(e!.message, /pose models are not set up .*run 'npm run setup:pose'/);
  } finally {
    if (saved === undefined) delete process.env.SKELACT_POSE_MODELS;
    else process.env.SKELACT_POSE_MODELS = saved;
  }
});

test.serial(
  'no Chromium: the mediapipe engine says what to install, and auto falls back to tfjs with the reason',
  async (t) => {
    const saved = process.env.SKELACT_CHROMIUM;
    process.env.SKELACT_CHROMIUM = '/nonexistent/chromium';
    try {
      const e = await t.throwsAsync(() => createMediapipeEngine('full'), { instanceOf: MissingToolError });
      t.regex(e!.message, /Chromium is not installed .*npm run setup:pose.*or use option `engine` tfjs/);
      const auto = resolveEngine('auto');
      t.is(auto.engine, 'tfjs');
      t.regex(auto.reason, /Chromium is not installed/);
    } finally {
      if (saved === undefined) delete process.env.SKELACT_CHROMIUM;
      else process.env.SKELACT_CHROMIUM = saved;
    }
  },
);
