/** The shipped-model registry: `--model <name>` resolution, card validation, and the error that lists names. */
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listPretrained, readModelCard, resolveModelDir } from '../../src/models/pretrained.js';
import { tempDir } from '../helpers/temp.js';

const card = (name: string) => ({
  name,
  title: `test model ${name}`,
  input: 'kinect-20 skeletons',
  classes: ['a', 'b'],
  recipe: { config: 'configs/cpu/x.json', command: 'skelact train …', trainedOn: 'nothing' },
  accuracy: [{ split: 'none', top1: 0.5, samples: 2 }],
  trainingSeconds: 1,
  machine: 'test',
  date: '2026-01-01',
  weights: 'float16',
});

function registry(): string {
  const root = tempDir('skelact-pretrained-');
  for (const name of ['beta', 'alpha']) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'card.json'), JSON.stringify(card(name)));
    writeFileSync(join(root, name, 'weights.bin'), new Uint8Array(10));
  }
  mkdirSync(join(root, 'no-card')); // a folder without a card is not a shipped model
  return root;
}

test('listPretrained: the folders with a card, sorted, with their size', (t) => {
  const root = registry();
  const models = listPretrained(root);
  t.deepEqual(
    models.map((m) => m.name),
    ['alpha', 'beta'],
  );
  t.is(models[0].card.title, 'test model alpha');
  t.true(models[0].bytes > 10);
});

test('resolveModelDir: a path is taken as it is, a name finds its folder, an unknown name lists the names', (t) => {
  const root = registry();
  const folder = tempDir('skelact-model-');
  t.is(resolveModelDir(folder, root), folder);
  t.is(resolveModelDir('beta', root), join(root, 'beta'));
  const e = t.throws(() => resolveModelDir('gamma', root));
  t.regex(e!.message, /'gamma' is neither a model folder nor a shipped model; shipped models: alpha, beta/);
  const empty = tempDir('skelact-none-');
  t.regex(t.throws(() => resolveModelDir('gamma', empty))!.message, /\(none in this install\)/);
});

test('readModelCard: a wrong field is named', (t) => {
  const root = registry();
  writeFileSync(join(root, 'alpha', 'card.json'), JSON.stringify({ ...card('alpha'), date: 'yesterday' }));
  t.regex(t.throws(() => readModelCard(join(root, 'alpha')))!.message, /card\.json: field 'date'/);
  writeFileSync(
    join(root, 'alpha', 'card.json'),
    JSON.stringify({ ...card('alpha'), accuracy: [{ split: 'x', top1: 1.5, samples: 3 }] }),
  );
  t.regex(t.throws(() => readModelCard(join(root, 'alpha')))!.message, /field 'accuracy\.0\.top1'/);
});
