import test from 'ava';
import fc from 'fast-check';
import { NTU_JOINTS, parseNtuName, parseNtuSkeleton } from '../../../src/data/ntu/parser.js';
import { SkeletonFormatError } from '../../../src/data/types.js';
import { ntuText } from '../../helpers/ntu-text.js';

const enc = (s: string) => new TextEncoder().encode(s);
const ID_A = '72057594037931101';
const ID_B = '72057594037931102';

test('reads frames, bodies (64-bit ids as text) and xyz, and drops empty frames', (t) => {
  const raw = parseNtuSkeleton(
    enc(
      ntuText([
        [[ID_A, 0]],
        [],
        [
          [ID_A, 0],
          [ID_B, 1],
        ],
        [[ID_B, 1]],
      ]),
    ),
    'S.skeleton',
  );
  t.is(raw.declaredFrames, 4);
  t.is(raw.validFrames, 3);
  t.is(raw.emptyFrames, 1);
  t.deepEqual(
    raw.bodies.map((b) => b.id),
    [ID_A, ID_B],
  );
  t.deepEqual(Array.from(raw.bodies[0].frames), [0, 1]);
  t.deepEqual(Array.from(raw.bodies[1].frames), [1, 2]);
  // joint 7 of body B in its second frame (file frame 3): x = 1 + 0.07 + 0.003
  const o = (1 * NTU_JOINTS + 7) * 3;
  t.true(Math.abs(raw.bodies[1].joints[o] - Number((1.073).toPrecision(7))) < 1e-6);
  t.true(Math.abs(raw.bodies[1].joints[o + 1] - (0.35 - 0.5)) < 1e-6);
  t.true(Math.abs(raw.bodies[1].joints[o + 2] - 3.512345) < 1e-6);
});

test('LF, CRLF, tabs, trailing spaces and blank lines all parse to the same values', (t) => {
  const frames: Array<Array<[string, number]>> = [[[ID_A, 0]], [[ID_A, 0.2]]];
  const a = parseNtuSkeleton(enc(ntuText(frames, '\n')), 'a');
  const b = parseNtuSkeleton(enc(ntuText(frames, '\r\n')), 'b');
  const c = parseNtuSkeleton(enc(ntuText(frames, ' \t\r\n\r\n').replace(/ /g, '  ')), 'c');
  t.deepEqual(Array.from(a.bodies[0].joints), Array.from(b.bodies[0].joints));
  t.deepEqual(Array.from(a.bodies[0].joints), Array.from(c.bodies[0].joints));
});

interface BadCase {
  title: string;
  mutate: (text: string) => string;
  message: RegExp;
}

const good = ntuText([[[ID_A, 0]], [[ID_A, 0]]], '\n');
const lines = good.split('\n');
const cases: BadCase[] = [
  {
    title: 'a truncated file',
    mutate: (s) => s.slice(0, Math.floor(s.length * 0.7)),
    message: /^x\.skeleton:\d+: expected .*found "end of file"/,
  },
  {
    title: 'a wrong joint count',
    mutate: () => [...lines.slice(0, 3), '24', ...lines.slice(4)].join('\n'),
    message: /^x\.skeleton:4: expected 25 joints, found "24"/,
  },
  {
    title: 'a non-number',
    mutate: () => [...lines.slice(0, 6), lines[6].replace(/^\S+/, 'abc'), ...lines.slice(7)].join('\n'),
    message: /^x\.skeleton:7: expected a joint x .*found "abc"/,
  },
  {
    title: 'a NaN',
    mutate: () => [...lines.slice(0, 6), lines[6].replace(/^(\S+) (\S+)/, '$1 NaN'), ...lines.slice(7)].join('\n'),
    message: /^x\.skeleton:7: expected a joint y, found "NaN"/,
  },
  { title: 'an empty sequence', mutate: () => '0\n', message: /^x\.skeleton:1: expected at least one frame/ },
  {
    title: 'only frames without bodies',
    mutate: () => '2\n0\n0\n',
    message: /expected at least one frame with a body/,
  },
  {
    title: 'a joint line with 11 numbers',
    mutate: () => [...lines.slice(0, 5), lines[5].replace(/ \S+$/, ''), ...lines.slice(6)].join('\n'),
    message: /^x\.skeleton:7: expected a joint trackingState \(0, 1 or 2\).*found "0\.02/,
  },
  {
    title: 'a file of another format (JSON)',
    mutate: () => '{"file_name": "a01_s01_e00_v01", "skeletons": []}',
    message: /^x\.skeleton:1: expected a frame count .* found "\{"file_name":"/,
  },
  {
    title: 'extra data after the last frame',
    mutate: (s) => `${s}7\n`,
    message: /expected end of file after 2 frames, found "7"/,
  },
  {
    title: 'a body count above six',
    mutate: () => [lines[0], '7', ...lines.slice(2)].join('\n'),
    message: /^x\.skeleton:2: expected a body count \(integer 0\.\.6\)/,
  },
  {
    title: 'a body id that is not a number',
    mutate: () => [lines[0], lines[1], lines[2].replace(/^\S+/, 'body1'), ...lines.slice(3)].join('\n'),
    message: /^x\.skeleton:3: expected a body id \(an unsigned 64-bit integer\), found "body1"/,
  },
];

for (const c of cases) {
  test(`${c.title} fails with a clear error naming file and line`, (t) => {
    const err = t.throws(() => parseNtuSkeleton(enc(c.mutate(good)), 'x.skeleton'), {
      instanceOf: SkeletonFormatError,
    });
    t.regex(err!.message, c.message);
  });
}

test('property: any mutation of a valid file either parses into consistent bodies or fails with a SkeletonFormatError', (t) => {
  const base = ntuText(
    [
      [[ID_A, 0]],
      [
        [ID_A, 0],
        [ID_B, 1],
      ],
      [[ID_B, 1]],
    ],
    '\r\n',
  );
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
    fc.record({
      kind: fc.constant('replaceToken' as const),
      at: fc.nat(),
      text: fc.constantFrom('NaN', '1e999', 'abc', '', '-', '3.5', '99', '0'),
    }),
    fc.record({ kind: fc.constant('dropLine' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
  );
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      let text = base;
      for (const m of mutations) {
        const at = m.at % Math.max(1, text.length);
        if (m.kind === 'truncate') text = text.slice(0, at);
        else if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.length);
        else if (m.kind === 'insert') text = text.slice(0, at) + m.text + text.slice(at);
        else {
          const ls = text.split('\r\n');
          const li = m.at % ls.length;
          if (m.kind === 'dropLine') ls.splice(li, 1);
          else if (m.kind === 'duplicateLine') ls.splice(li, 0, ls[li]);
          else ls[li] = ls[li].replace(/\S+/, m.text);
          text = ls.join('\r\n');
        }
      }
      try {
        const raw = parseNtuSkeleton(enc(text), 'm.skeleton');
        for (const b of raw.bodies) {
          if (b.joints.length !== b.frames.length * NTU_JOINTS * 3) return false;
          if (!b.joints.every(Number.isFinite)) return false;
        }
        return raw.validFrames > 0;
      } catch (e) {
        return e instanceof SkeletonFormatError && e.message.startsWith('m.skeleton');
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('sample names decode setup, camera, performer, replication and action', (t) => {
  t.deepEqual(parseNtuName('/data/S018C003P045R002A120.skeleton'), {
    name: 'S018C003P045R002A120',
    setup: 18,
    camera: 3,
    performer: 45,
    replication: 2,
    action: 120,
  });
  t.is(parseNtuName('S1C1P1R1A1.skeleton'), undefined);
  t.is(parseNtuName('notes.txt'), undefined);
});
