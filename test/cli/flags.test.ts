import test from 'ava';
import { optionName } from '../../src/core/errors.js';
import { flagOf, withFlags } from '../../src/cli/flags.js';

test('library messages name option fields; the CLI shows the flags users type', (t) => {
  t.is(optionName('raw'), 'option `raw`');
  t.is(flagOf('raw'), '--raw');
  t.is(flagOf('allowOtherData'), '--allow-other-data');
  t.is(flagOf('alignment'), '--align');
  t.is(
    withFlags(`${optionName('alignment')} must be one of ctrgcn, pyskl, none`),
    '--align must be one of ctrgcn, pyskl, none',
  );
  t.is(
    withFlags(`add ${optionName('allowOtherData')}, or use ${optionName('backend')} wasm`),
    'add --allow-other-data, or use --backend wasm',
  );
  t.is(withFlags('a message with `code` and no option'), 'a message with `code` and no option');
});
