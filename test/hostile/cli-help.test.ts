/**
 * --help as a user reads it (items 18, 19 of issue 12): lines fit the terminal (80 columns when
 * not a terminal), words are never broken, every example is printed whole and copyable (joined
 * across its ` \` continuations it is exactly the example the command declares), and the
 * BlazePose size is --pose-model everywhere.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { createCli } from '../../src/cli/main.js';
import { shellWrap } from '../../src/cli/help.js';
import { skelact } from './cli-run.js';

/** The --help text of the real command line (in this process: one CLI start per command would take minutes on a loaded machine). */
function helpOf(args: string[]): Promise<string> {
  return createCli(args).then(
    (cli) =>
      new Promise((resolve, reject) => {
        cli.parse(args, {}, (error, _argv, output) => (error ? reject(error) : resolve(output)));
      }),
  );
}

/** The command names the top-level help lists. */
async function commandNames(): Promise<string[]> {
  const help = await helpOf(['--help']);
  const section = help.split('\nCommands:\n')[1].split('\n\n')[0];
  return [...section.matchAll(/^ {2}skelact (\S+)/gm)].map((m) => m[1]);
}

/** The examples a command declares: its source's .example('$0 …', '…') calls, read from the command's module. */
async function declaredExamples(name: string): Promise<Array<[string, string]>> {
  const command = name.split(' ')[0];
  const file = command === 'ensemble' || command === 'predict' ? 'eval' : command === 'search' ? 'text' : command;
  const source = readFileSync(join(packageRoot(), 'src', 'cli', 'commands', `${file}.ts`), 'utf8');
  // Either quote, and the trailing comma prettier adds when it breaks the call over lines.
  const literal = String.raw`('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`;
  const unquote = (q: string) => q.slice(1, -1).replace(/\\(['"\\])/g, '$1');
  const calls = [...source.matchAll(new RegExp(String.raw`\.example\(\s*${literal},\s*${literal},?\s*\)`, 'g'))].map(
    (m) => [unquote(m[1]), unquote(m[2])] as [string, string],
  );
  // eval.ts and text.ts hold several commands: their examples start with the command's name.
  const own = !['eval', 'text'].includes(file) ? calls : calls.filter(([c]) => c.startsWith(`$0 ${name} `));
  return own.map(([c, d]) => [c.replace(/\$0/g, 'skelact'), d]);
}

/** The example commands of a --help text, each joined across its ` \` continuation lines. */
function printedExamples(help: string): string[] {
  const section = help.split('\nExamples:\n')[1] ?? '';
  const out: string[] = [];
  let pending = '';
  for (const raw of section.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    pending = pending ? `${pending} ${line}` : line;
    if (pending.endsWith(' \\')) pending = pending.slice(0, -2);
    else {
      out.push(pending);
      pending = '';
    }
  }
  return out;
}

test('shellWrap breaks only between words, keeps quoted words whole, and joins back to the command', (t) => {
  const command = `skelact search "a person waving both hands" --model runs/text/best --top 5 --descriptions datasets/ntu/descriptions.json`;
  for (const width of [20, 40, 80, 200]) {
    const lines = shellWrap(command, width).split('\n');
    // A line is over the width only when it is one word too long to break.
    for (const line of lines)
      t.true(
        line.length <= width ||
          ['"a person waving both hands"', 'datasets/ntu/descriptions.json'].includes(line.replace(/ \\$/, '')),
        `${width}: ${line}`,
      );
    t.true(lines.slice(0, -1).every((l) => l.endsWith(' \\')));
    t.is(lines.map((l) => l.replace(/ \\$/, '')).join(' '), command);
    t.true(
      lines.some((l) => l.includes('"a person waving both hands"')),
      'the quoted phrase is one word',
    );
  }
});

test("every command's --help fits 80 columns and prints every example whole and copyable", async (t) => {
  const names = await commandNames();
  t.true(names.length >= 15, names.join(' '));
  // Sub-commands (text embed, …) are listed in their parent's help.
  for (const name of [...names]) {
    const sub = (await helpOf([name, '--help'])).split('\nCommands:\n')[1];
    if (sub)
      names.push(...[...sub.matchAll(new RegExp(`^ {2}skelact ${name} (\\S+)`, 'gm'))].map((m) => `${name} ${m[1]}`));
  }
  t.true(names.includes('text embed'));
  for (const name of names) {
    const help = await helpOf([...name.split(' '), '--help']);
    const parent = help.includes('\nCommands:\n');
    const long = help.split('\n').filter((l) => [...l].length > 80);
    t.deepEqual(long, [], `${name}: no line wider than the terminal`);
    const declared = parent ? [] : await declaredExamples(name);
    t.deepEqual(
      printedExamples(help),
      declared.map(([c]) => c),
      name,
    );
    for (const [, description] of declared)
      t.true(help.includes(`# ${description.split(' ').slice(0, 3).join(' ')}`), `${name}: ${description}`);
  }
});

test('the installed command prints the same help (extract, through bin/skelact.js)', async (t) => {
  const r = skelact(['extract', '--help']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `${await helpOf(['extract', '--help'])}\n`);
  t.regex(
    r.stdout,
    /# a folder of two-person clips into a dataset\n +skelact extract videos\/ --out poses\/ --persons 2 --generic dataset\.jsonl \\\n +--label-from-folder\n/,
  );
});

test('skelact --help: no word broken across lines', async (t) => {
  const help = await helpOf(['--help']);
  // Once: "…about 1.5× faster on 2 cores, t" / "he small ones slower" (the ES module build of yargs wrapped every 80 characters).
  // The --threads text, every line break between two words:
  const words =
    "wasm backend threads (default SKELACT_WASM_THREADS or 1): the native kernels' pool where they run, else XNNPACK's; on an idle 2-core machine 2 make training about 1.4× faster".split(
      ' ',
    );
  t.regex(help, new RegExp(words.map((w) => w.replace(/[()^$.*+?[\]{}|\\]/g, '\\$&')).join('\\s+')));
  t.true(help.split('\n').every((l) => [...l].length <= 80));
});

test('extract names the BlazePose size --pose-model like classify, reps and demo-web; the old --model still works, deprecated', async (t) => {
  for (const name of ['extract', 'classify', 'reps', 'demo-web'])
    t.regex(await helpOf([name, '--help']), /--pose-model/, name);
  const extract = await helpOf(['extract', '--help']);
  t.notRegex(extract, /^\s+--model\b/m, 'the deprecated name is not advertised');
  // The deprecated spelling is accepted (and warned about) before the input is looked at.
  const old = skelact(['extract', 'missing.mp4', '--out', 'x.poses.json', '--model', 'lite']);
  t.is(old.code, 1);
  t.notRegex(old.stderr, /Unknown argument/);
  t.regex(old.stderr, /--model is deprecated for extract .*use --pose-model lite/);
  t.regex(old.stderr, /missing\.mp4: no such file or folder/);
  const conflict = skelact([
    'extract',
    'missing.mp4',
    '--out',
    'x.poses.json',
    '--model',
    'heavy',
    '--pose-model',
    'lite',
  ]);
  t.is(conflict.code, 1);
  t.regex(conflict.stderr, /--pose-model lite and the deprecated --model heavy disagree/);
});
