import test from 'ava';
import fc from 'fast-check';
import { TextScanner } from '../../src/data/text-scanner.js';
import { SkeletonFormatError } from '../../src/data/types.js';

const scan = (text: string) => new TextScanner(new TextEncoder().encode(text), 'f.txt');

test('numbers parse to the same double as Number() for plain decimal and exponent forms', (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: 1, max: 15 }),
      (x, digits) => {
        for (const text of [x.toPrecision(digits), x.toExponential(digits - 1), x.toFixed(Math.min(digits, 10))]) {
          const got = scan(` ${text}\r\n`).number('a number');
          const want = Number(text);
          // ≤ 15 significant digits are exact; toFixed may carry more, allow 1 ulp-ish there.
          if (Math.abs(got - want) > Math.abs(want) * 4e-16) return false;
        }
        return true;
      },
    ),
    { numRuns: 2000 },
  );
  t.is(scan('-0.06342101').number('x'), -0.06342101);
  t.is(scan('1.7E-05').number('x'), 1.7e-5);
  t.is(scan('+3').number('x'), 3);
});

test('line numbers count LF and CRLF line breaks, and blank lines', (t) => {
  const s = scan('1\r\n2\n\n  3 4\r\n\r\n5');
  const lines: number[] = [];
  for (let i = 0; i < 5; i++) {
    s.number('n');
    lines.push(s.tokenLine);
  }
  t.deepEqual(lines, [1, 2, 4, 4, 6]);
  t.true(s.atEnd());
});

for (const bad of [
  'NaN',
  'nan',
  'inf',
  '-Infinity',
  '1.2.3',
  '12abc',
  '--1',
  '.',
  '-',
  '1e',
  '1e+',
  '0x10',
  '1,5',
  '1e400',
]) {
  test(`'${bad}' is rejected with the file, line and what was expected`, (t) => {
    const s = scan(`0 1\n2 ${bad} 3`);
    s.number('a');
    s.number('b');
    s.number('c');
    const err = t.throws(() => s.number('a joint y'), { instanceOf: SkeletonFormatError });
    t.regex(err!.message, /^f\.txt:2: expected a joint y/);
    t.is(err!.line, 2);
  });
}

test('end of input is reported, not read as zero', (t) => {
  const s = scan('1 2 ');
  s.number('first');
  s.number('second');
  const err = t.throws(() => s.number('the third value'), { instanceOf: SkeletonFormatError });
  t.regex(err!.message, /expected the third value, found "end of file"/);
});

test('integer() rejects decimals, signs and values above the limit', (t) => {
  t.is(scan('25').integer('n', 100), 25);
  for (const bad of ['2.5', '-1', '+1', '101', 'x'])
    t.throws(() => scan(bad).integer('a count', 100), { instanceOf: SkeletonFormatError });
});

test('tokens keep 64-bit ids exactly', (t) => {
  t.is(scan('  72057594037931101 0').token('id'), '72057594037931101');
});
