/**
 * --help that reads well at any terminal width: yargs wraps option text at the terminal's
 * width, and examples are laid out by us so that they stay copyable. yargs puts an example and
 * its description side by side and breaks the example wherever the column ends, even inside a
 * word; here the description goes on its own line (as a shell comment) and a long example is
 * broken only between words, with a shell line continuation (` \`), so pasting it runs it.
 */
import type { Argv } from 'yargs';

/** The terminal's width in columns; 80 when output is not a terminal (a file, a pipe). */
export function terminalWidth(): number {
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : 80;
}

/** `command` broken between words into lines of at most `width` characters, joined by ` \` line continuations. */
export function shellWrap(command: string, width: number): string {
  // Words, keeping quoted strings whole.
  const words = command.match(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g) ?? [command];
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const candidate = line ? `${line} ${word}` : word;
    // Room for the trailing " \" on every line but the last.
    if (line && candidate.length > width - 2) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  lines.push(line);
  return lines.join(' \\\n');
}

/**
 * Makes `y.example(command, description)` print the description as a `# comment` line above the
 * command, and the command broken only between words at the terminal's width.
 */
export function copyableExamples<T>(y: Argv<T>): Argv<T> {
  const original = y.example.bind(y) as (command: string, description: string) => Argv<T>;
  // yargs pads examples by 2 columns on each side.
  const width = Math.max(40, terminalWidth() - 4);
  const patched = (command: string | ReadonlyArray<[string, string?]>, description?: string): Argv<T> => {
    if (Array.isArray(command)) {
      for (const [c, d] of command as ReadonlyArray<[string, string?]>) patched(c, d);
      return y;
    }
    if (description) original(`# ${description}`, '');
    return original(shellWrap((command as string).replace(/\$0/g, 'skelact'), width), '');
  };
  (y as unknown as { example: typeof patched }).example = patched;
  return y;
}
