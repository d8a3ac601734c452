/**
 * demo-web with a model the page cannot feed (item 14 of issue 12): refused at start with the
 * layouts and channels that fit, instead of serving a page that fails inside the browser.
 */
import test from 'ava';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { saveModel } from '../../src/models/io.js';
import { createModel } from '../../src/models/registry.js';
import { poseFeedProblem } from '../../src/serve/pose-frames.js';
import { skelact, tmp } from './cli-run.js';

test('poseFeedProblem: which layouts and channel counts MediaPipe poses can feed', (t) => {
  t.is(poseFeedProblem({ layout: 'ntu-25', inChannels: 3 }), undefined);
  t.is(poseFeedProblem({ layout: 'coco-17', inChannels: 3 }), undefined);
  t.is(poseFeedProblem({ layout: 'blazepose-33', inChannels: 4 }), undefined);
  t.is(poseFeedProblem({ layout: 'kinect-20', inChannels: 3 }), undefined);
  t.regex(
    poseFeedProblem({ layout: 'openpose-18', inChannels: 3 }) ?? '',
    /layout is openpose-18.*models that fit: ntu-25 with up to 3 channels \(x y z\); kinect-20 with up to 3 channels \(x y z\); coco-17 with up to 3 channels \(x y score\); blazepose-33 with up to 4 channels/,
  );
  t.regex(
    poseFeedProblem({ layout: 'ntu-25', inChannels: 6 }) ?? '',
    /takes 6 channels per joint, MediaPipe poses in ntu-25 give 3/,
  );
});

test('demo-web refuses an openpose-18 model at start, listing what fits; it does not serve', async (t) => {
  await initBackend('wasm');
  const modelDir = join(tmp(), 'model');
  const model = createModel(
    { kind: 'stgcn', preset: 'tiny' },
    { layout: 'openpose-18', classes: 2, frames: 16, persons: 1 },
    2,
  );
  await saveModel(modelDir, model, {
    layout: 'openpose-18',
    classNames: ['a', 'b'],
    modality: 'j',
    sampling: 'crop-resize',
    testCrop: 0.95,
    minLength: 16,
    fillMissingPersons: 'zeros',
    normalize: 'none',
  });
  model.dispose();
  // Before: the page was served (and the command ran until Ctrl-C); the timeout ends it then.
  const r = skelact(['demo-web', '--model', modelDir, '--port', '0'], { timeoutMs: 60_000 });
  t.is(r.signal, null, 'it ended by itself');
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(
    r.stderr,
    /the demo page cannot feed this model: the model's layout is openpose-18, which MediaPipe poses cannot be mapped to; models that fit: ntu-25/,
  );
  t.notRegex(r.stdout, /demo page: http/);
});
