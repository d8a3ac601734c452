/**
 * Random corruptions of a valid input text for the readers' property tests, and the check
 * that a reader either returns well-formed samples or throws a SkeletonFormatError naming
 * the file.
 */
import * as fc from 'fast-check';
import type { ExecutionContext } from 'ava';
import { getLayout } from '../../../src/graph/index.js';
import { SkeletonFormatError, type ReadResult } from '../../../src/data/types.js';

/** One corruption; positions are reduced modulo the text's length when applied. */
export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace-char'; at: number; text: string }
  | { kind: 'replace-number'; which: number; by: string }
  | { kind: 'duplicate-line'; which: number }
  | { kind: 'drop-line'; which: number };

/** Formatting changes every reader must accept with an unchanged result. */
export type Variation = { kind: 'crlf' } | { kind: 'extra-spaces'; every: number; count: number };

const NOISE_CHARS = [...'0123456789-+.eE,:;[]{}"\' \t\r\nNaxz_'];
const noise = fc.string({ unit: fc.constantFrom(...NOISE_CHARS), minLength: 1, maxLength: 4 });
const position = fc.nat({ max: 1_000_000 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: noise }),
  fc.record({ kind: fc.constant('replace-char' as const), at: position, text: noise }),
  fc.record({
    kind: fc.constant('replace-number' as const),
    which: position,
    by: fc.constantFrom('NaN', '1e999', '-1e999', 'abc', '', 'Infinity', '0x1F', '1.2.3'),
  }),
  fc.record({ kind: fc.constant('duplicate-line' as const), which: position }),
  fc.record({ kind: fc.constant('drop-line' as const), which: position }),
);

/** One to three corruptions applied in turn. */
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 3 });

export const variationsArb: fc.Arbitrary<Variation[]> = fc.array(
  fc.oneof(
    fc.constant<Variation>({ kind: 'crlf' }),
    fc.record({
      kind: fc.constant('extra-spaces' as const),
      every: fc.integer({ min: 1, max: 5 }),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  ),
  { minLength: 1, maxLength: 2 },
);

const NUMBER_TOKEN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

export function applyMutation(text: string, mutation: Mutation): string {
  const at = (n: number): number => (text.length === 0 ? 0 : n % (text.length + 1));
  switch (mutation.kind) {
    case 'truncate':
      return text.slice(0, at(mutation.at));
    case 'delete': {
      const start = at(mutation.at);
      return text.slice(0, start) + text.slice(start + mutation.length);
    }
    case 'insert': {
      const start = at(mutation.at);
      return text.slice(0, start) + mutation.text + text.slice(start);
    }
    case 'replace-char': {
      const start = at(mutation.at);
      return text.slice(0, start) + mutation.text + text.slice(start + 1);
    }
    case 'replace-number': {
      const matches = [...text.matchAll(NUMBER_TOKEN)];
      if (matches.length === 0) return text;
      const match = matches[mutation.which % matches.length];
      const start = match.index ?? 0;
      return text.slice(0, start) + mutation.by + text.slice(start + match[0].length);
    }
    case 'duplicate-line':
    case 'drop-line': {
      const lines = text.split('\n');
      const i = mutation.which % lines.length;
      if (mutation.kind === 'duplicate-line') lines.splice(i, 0, lines[i]);
      else lines.splice(i, 1);
      return lines.join('\n');
    }
  }
}

/**
 * Applies a tolerated variation. `separators` are the characters after which the format allows
 * extra spaces (whitespace for text tables, `,` and `:` for JSON, `,` for CSV).
 */
export function applyVariation(text: string, variation: Variation, separators: string): string {
  if (variation.kind === 'crlf') return text.replace(/\r?\n/g, '\r\n');
  const pad = ' '.repeat(variation.count);
  let seen = 0;
  let out = '';
  for (const ch of text) {
    out += ch;
    if (separators.includes(ch) && seen++ % variation.every === 0) out += pad;
  }
  // Trailing spaces at the end of lines are tolerated too.
  return out.replace(/\r?\n/g, (lineEnd) => `${pad}${lineEnd}`);
}

/** Why a result is not well-formed, or undefined when it is. */
export function wellFormedProblem(result: ReadResult): string | undefined {
  for (const sample of result.samples) {
    const { clip } = sample;
    if (typeof sample.name !== 'string' || sample.name === '') return 'empty sample name';
    if (!Number.isInteger(sample.label) || sample.label < -1) return `${sample.name}: label ${sample.label}`;
    const layout = getLayout(sample.layout);
    if (clip.joints !== layout.numJoints) return `${sample.name}: ${clip.joints} joints for layout ${sample.layout}`;
    if (clip.channels !== sample.channels.length)
      return `${sample.name}: ${clip.channels} channels, names ${sample.channels.join(',')}`;
    if (clip.persons < 1 || clip.frames < 1) return `${sample.name}: ${clip.persons} persons × ${clip.frames} frames`;
    if (clip.data.length !== clip.persons * clip.frames * clip.joints * clip.channels)
      return `${sample.name}: data length ${clip.data.length}`;
    for (let i = 0; i < clip.data.length; i++)
      if (!Number.isFinite(clip.data[i])) return `${sample.name}: non-finite value at ${i}`;
    for (const value of Object.values(sample.meta))
      if (typeof value === 'number' && !Number.isFinite(value)) return `${sample.name}: non-finite meta`;
  }
  for (const entry of result.skipped) if (!entry.file || !entry.reason) return 'skipped entry without file or reason';
  return undefined;
}

/** Counts of what the corrupted inputs did, so a test can check both paths were exercised. */
export interface MutationOutcomes {
  parsed: number;
  rejected: number;
}

/**
 * Runs `read` on the text and checks the contract: well-formed samples, or a SkeletonFormatError
 * whose message contains `fileName`. Any other outcome throws (failing the property).
 */
export function checkReaderContract(
  read: () => ReadResult,
  fileName: string,
  outcomes: MutationOutcomes,
  countsAsRejected: (result: ReadResult) => boolean = () => false,
): void {
  let result: ReadResult;
  try {
    result = read();
  } catch (err) {
    if (!(err instanceof SkeletonFormatError)) throw new Error(`expected a SkeletonFormatError, got ${String(err)}`);
    if (!err.message.includes(fileName)) throw new Error(`error message does not name ${fileName}: ${err.message}`);
    outcomes.rejected++;
    return;
  }
  const problem = wellFormedProblem(result);
  if (problem) throw new Error(`malformed result: ${problem}`);
  if (countsAsRejected(result)) outcomes.rejected++;
  else outcomes.parsed++;
}

/** The property: every corruption of `text` either reads well-formed or is rejected properly. */
export function assertMutationsHandled(
  t: ExecutionContext,
  text: string,
  fileName: string,
  parse: (text: string) => ReadResult,
  numRuns = 150,
  /** For readers that report bad parts in `skipped` instead of throwing: when a result counts as a rejection. */
  countsAsRejected?: (result: ReadResult) => boolean,
): void {
  const outcomes: MutationOutcomes = { parsed: 0, rejected: 0 };
  fc.assert(
    fc.property(mutationsArb, (mutations) => {
      const mutated = mutations.reduce(applyMutation, text);
      checkReaderContract(() => parse(mutated), fileName, outcomes, countsAsRejected);
    }),
    { numRuns },
  );
  // Corruptions this heavy must make the reader reject some inputs; if none is rejected it is not validating.
  t.true(outcomes.rejected > 0, `no corrupted input of ${fileName} was rejected (${outcomes.parsed} parsed)`);
}

/** The property: tolerated variations (CRLF, extra spaces) give exactly the original result. */
export function assertVariationsTolerated(
  t: ExecutionContext,
  text: string,
  separators: string,
  parse: (text: string) => ReadResult,
  numRuns = 30,
): void {
  const expected = parse(text);
  t.true(expected.samples.length > 0, 'the unmodified input must parse into samples');
  fc.assert(
    fc.property(variationsArb, (variations) => {
      const varied = variations.reduce((acc, v) => applyVariation(acc, v, separators), text);
      const result = parse(varied);
      if (result.samples.length !== expected.samples.length)
        throw new Error(`got ${result.samples.length} samples, expected ${expected.samples.length}`);
      result.samples.forEach((sample, i) => {
        const want = expected.samples[i];
        if (sample.name !== want.name || sample.label !== want.label)
          throw new Error(`sample ${i} is ${sample.name}/${sample.label}, expected ${want.name}/${want.label}`);
        const a = sample.clip.data;
        const b = want.clip.data;
        if (a.length !== b.length || a.some((x, k) => x !== b[k])) throw new Error(`sample ${i} values differ`);
      });
      if (result.skipped.length !== expected.skipped.length) throw new Error('skipped entries differ');
    }),
    { numRuns },
  );
}
