/**
 * Text from files is shown in messages only through here, so a binary file never writes raw
 * bytes (terminal escapes, NULs, invalid UTF-8) to a user's terminal.
 */

// Control, format, surrogate, private-use and unassigned characters, and U+FFFD (what an
// invalid UTF-8 byte decodes to). Newlines and tabs are kept: messages may span lines.
const UNPRINTABLE = /[^\P{C}\n\t]|\uFFFD/gu;
const UNPRINTABLE_IN_VALUE = /\p{C}|\uFFFD/gu;

function escape(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** A message with every unprintable character escaped (\x1b, \u{fffd}); newlines and tabs kept. */
export function printableMessage(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/**
 * A value read from a file, for a message: on one line, at most `max` characters, unprintable
 * characters escaped; mostly-unprintable input is described as binary data instead.
 */
export function printableValue(text: string, max = 40): string {
  const bad = text.match(UNPRINTABLE_IN_VALUE)?.length ?? 0;
  if (text.length > 0 && bad / [...text].length > 0.25)
    return `binary data (${bad} of ${[...text].length} characters unprintable)`;
  const chars = [...text];
  const short = chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
  return `"${short.replace(UNPRINTABLE_IN_VALUE, escape)}"`;
}

/** Bytes from a file as text for a message: printable ASCII as is, every other byte as \xNN. */
export function printableBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes)
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}
