import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AssertKind, ParsedRegex, RegexNode } from '../../src/regex/ast.js';
import type { Prog } from '../../src/regex/automaton.js';
import { compileProg } from '../../src/regex/compile.js';
import { compileRegex } from '../../src/regex/index.js';
import { parseRegex } from '../../src/regex/syntax.js';
import { buildDfa, dfaTest } from '../../src/regex/dfa.js';
import { pikeSearch, pikeTest } from '../../src/regex/pike.js';
import { mulberry32 } from '../../scripts/lib/prng.mjs';
import { hasNotWordBoundary, hasNullableStar, RE2, re2MatchSpan, releaseRe2 } from '../support/re2.js';

// ---------------------------------------------------------------------------------------
// Hand-built trees, for the random-tree fuzz below (it exercises the compiler and matchers
// independently of the parser).

const cat = (...subs: RegexNode[]): RegexNode => ({ op: 'concat', subs });
const alt = (...subs: RegexNode[]): RegexNode => ({ op: 'alternate', subs });
const rep = (sub: RegexNode, min: number, max: number, greedy = true): RegexNode => ({ op: 'repeat', min, max, greedy, sub });
let captureCounter = 0;
/** A capture; call `tree()` after building, which numbers the groups in `(` order. */
const G = (sub: RegexNode): RegexNode => ({ op: 'capture', index: 0, name: null, sub });
const EMPTY: RegexNode = { op: 'emptyMatch' };

/** Numbers captures in pre-order (the order of their `(`), like the parser. */
function tree(root: RegexNode): ParsedRegex {
  captureCounter = 0;
  const number = (n: RegexNode): RegexNode => {
    switch (n.op) {
      case 'capture': {
        const index = ++captureCounter;
        return { ...n, index, sub: number(n.sub) };
      }
      case 'concat':
      case 'alternate':
        return { ...n, subs: n.subs.map(number) };
      case 'repeat':
        return { ...n, sub: number(n.sub) };
      default:
        return n;
    }
  };
  const numbered = number(root);
  return { root: numbered, captureCount: captureCounter, names: new Array<string | null>(captureCounter + 1).fill(null) };
}

const enc = new TextEncoder();
const bytesOf = (s: string | number[]): Uint8Array => (typeof s === 'string' ? enc.encode(s) : Uint8Array.from(s));

const progOf = (pattern: string): Prog => compileProg(parseRegex(pattern));

// [pattern, text, expected slots (Go FindSubmatchIndex) or null, note]
const CASES: Array<[string, string | number[], number[] | null, string?]> = [
  ['a+', 'baaac', [1, 4]],
  ['a+?', 'baaac', [1, 2], 'lazy'],
  ['a*?', 'aaa', [0, 0]],
  ['(a|ab)', 'ab', [0, 1, 0, 1], 'alternation is ordered (leftmost-first)'],
  ['(a|ab)(c|bcd)(d*)', 'abcd', [0, 4, 0, 1, 1, 4, 4, 4]],
  ['(a)|b', 'b', [0, 1, -1, -1], 'a group that did not take part is -1'],
  ['(a*)*', 'b', [0, 0, 0, 0]],
  ['(a*)+', 'b', [0, 0, 0, 0]],
  ['(a*)*', 'aa', [0, 2, 0, 2]],
  ['(a|b)*', 'abab', [0, 4, 3, 4], 'a group keeps its last iteration'],
  ['(?:|a)*', 'aaa', [0, 0], 'Go issue 46123: the empty match first'],
  ['(?:|a)+', 'aaa', [0, 0]],
  ['(|a)*', 'aa', [0, 0, 0, 0]],
  ['(?:a*?)*', 'aa', [0, 0]],
  ['x{2,3}', 'xxxx', [0, 3]],
  ['x{2,3}?', 'xxxx', [0, 2]],
  ['x{2}', 'x x', null],
  ['(?U)a+', 'aaa', [0, 1]],
  ['\\bfoo\\b', 'a foo', [2, 5]],
  ['\\bfoo\\b', 'afoo', null],
  ['\\bx\\b', '«x»', [2, 3], 'non-ASCII is non-word'],
  ['\\B', 'aéb', null, 'Go tests \\B between runes only, not inside é'],
  ['\\B$', 'aé', [3, 3]],
  ['(?m)^b', 'a\nb', [2, 3]],
  ['^b', 'a\nb', null],
  ['a$', 'a\n', null, '$ is the end of the text without (?m)'],
  ['(?m)a$', 'a\n', [0, 1]],
  ['', '', [0, 0]],
  ['.', '한', [0, 3]],
  ['.', '\n', null],
  ['(?s).', '\n', [0, 1]],
  ['a.b', [0x61, 0x80, 0x62], [0, 3], 'a lone invalid byte is U+FFFD of width 1'],
  ['.', [0xff], [0, 1]],
  ['a.b', [0x61, 0xe9, 0x62], null, 'a truncated lead byte matches no class (documented difference from Go)'],
  ['error', [0x63, 0x61, 0x66, 0xe9, 0x20, ...enc.encode('error')], [5, 10], 'matching resumes after a truncated sequence'],
  ['[^가-힣]', '한국', null, 'a class with U+FFFD does not start inside a rune'],
  ['[^가-힣]', [...enc.encode('한'), 0x80], [3, 4], '… but matches a lone byte after it'],
  ['\\PL', '한국어', null],
  ['\\x{FFFD}', [0x61, 0xc0], [1, 2]],
  ['국', '한국어', [3, 6], 'positions are byte offsets'],
  ['(?i)straße', 'STRASSE straẞe', [8, 16], 'ẞ (U+1E9E) folds to ß'],
  ['(((a)))', 'xa', [1, 2, 1, 2, 1, 2, 1, 2]],
  ['(?P<year>\\d{4})-(?P<month>\\d{2})', 'on 2024-05-01', [3, 10, 3, 7, 8, 10]],
];

describe('pikeSearch (expectations from Go)', () => {
  for (const [pattern, text, want, note] of CASES) {
    it(`${pattern} on ${JSON.stringify(typeof text === 'string' ? text : text.map((b) => b.toString(16)).join(' '))}${note ? ` — ${note}` : ''}`, () => {
      const prog = progOf(pattern);
      const got = pikeSearch(prog, bytesOf(text));
      expect(got === null ? null : [...got]).toEqual(want);
      expect(pikeTest(prog, bytesOf(text))).toBe(want !== null);
    });
  }

  it('anchored option only tries position 0', () => {
    const prog = progOf('b');
    expect(pikeSearch(prog, bytesOf('ab'), { anchored: true })).toBeNull();
    expect([...pikeSearch(prog, bytesOf('ba'), { anchored: true })!]).toEqual([0, 1]);
  });

  it('leftmost-longest picks the longest match at the leftmost start', () => {
    expect([...pikeSearch(progOf('(fo|foo)'), bytesOf('foo'))!]).toEqual([0, 2, 0, 2]);
    expect([...pikeSearch(progOf('(fo|foo)'), bytesOf('foo'), { longest: true })!]).toEqual([0, 3, 0, 3]);
    expect([...pikeSearch(progOf('(?:|a)*'), bytesOf('aaa'), { longest: true })!]).toEqual([0, 3]);
  });

  it('a sub-range: assertions see its ends as the text ends', () => {
    const prog = progOf('^b$');
    const bytes = bytesOf('abc');
    expect(pikeTest(prog, bytes, 1, 2)).toBe(true);
    expect(pikeTest(prog, bytes, 0, 2)).toBe(false);
    expect([...pikeSearch(prog, bytes, { start: 1, end: 2 })!]).toEqual([1, 2]);
  });
});

describe('hostile patterns run in linear time (no backtracking)', () => {
  const N = 100_000;
  const many = (ch: string, tail = ''): Uint8Array => bytesOf(ch.repeat(N) + tail);
  // [pattern, text, matches?]
  const cases: Array<[string, Uint8Array, boolean]> = [
    ['(a+)+$', many('a', 'b'), false],
    ['(x+x+)+y', many('x'), false],
    ['(a|aa)*b', many('a'), false],
    ['(a|aa)*b', many('a', 'b'), true],
    ['(.*)*x', many('a'), false],
    ['(.*)*x', many('a', 'x'), true],
    ['(a|b)*a(a|b){15}', many('b'), false], // over the DFA budget: the Pike VM runs it
    ['[A-Za-z]{30}', many('a'), true],
  ];
  for (const [pattern, text, want] of cases) {
    it(`${pattern} on ${text.length} bytes`, () => {
      const re = compileRegex(pattern);
      expect(re.testBytes(text)).toBe(want);
      expect(pikeTest(re.prog, text)).toBe(want);
      expect(pikeSearch(re.prog, text) !== null).toBe(want);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Random trees, printed as RE2 patterns: re2-wasm is the oracle (this exercises the
// compiler and both matchers without the parser).


const LITERAL_RUNES = [...'abc _1\n'].map((c) => c.codePointAt(0)!).concat([0xe9, 0xd55c, 0x1f600]);
const CLASSES: number[][] = [
  [0x61, 0x63], // [a-c]
  [0, 0x60, 0x62, 0x10ffff], // [^a]
  [0x30, 0x39], // \d
  [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a], // \w
  [9, 10, 12, 13, 32, 32], // \s
  [0, 9, 11, 0x10ffff], // .
  [0, 0x10ffff], // (?s).
  [0xac00, 0xd7a3], // Hangul syllables
  [0, 0x40, 0x5b, 0x60, 0x7b, 0xabff, 0xd7a4, 0x10ffff], // not a letter/Hangul (contains U+FFFD)
  [0x41, 0x41, 0x61, 0x61], // (?i)a
  [0x80, 0x10ffff], // non-ASCII
];
const KINDS: AssertKind[] = ['beginLine', 'endLine', 'beginText', 'endText', 'wordBoundary', 'notWordBoundary'];
const COUNTS: Array<[number, number]> = [[0, -1], [1, -1], [0, 1], [2, 3], [0, 2], [3, -1], [1, 1], [0, 0]];

function genTree(rng: () => number, depth: number): RegexNode {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const r = rng();
  if (depth <= 0 || r < 0.3) {
    const leaf = rng();
    if (leaf < 0.45) return { op: 'literal', rune: pick(LITERAL_RUNES) };
    if (leaf < 0.8) return { op: 'class', ranges: pick(CLASSES) };
    if (leaf < 0.95) return { op: 'assert', kind: pick(KINDS) };
    return EMPTY;
  }
  if (r < 0.5) return cat(...Array.from({ length: 2 + Math.floor(rng() * 2) }, () => genTree(rng, depth - 1)));
  if (r < 0.65) return alt(...Array.from({ length: 2 + Math.floor(rng() * 2) }, () => genTree(rng, depth - 1)));
  if (r < 0.75) return G(genTree(rng, depth - 1));
  const [min, max] = pick(COUNTS);
  return rep(genTree(rng, depth - 1), min, max, rng() < 0.7);
}

const hex = (cp: number): string => `\\x{${cp.toString(16)}}`;
function printTree(n: RegexNode): string {
  switch (n.op) {
    case 'emptyMatch':
      return '(?:)';
    case 'noMatch':
      return '[^\\x00-\\x{10FFFF}]';
    case 'literal':
      return hex(n.rune);
    case 'class': {
      let s = '[';
      for (let i = 0; i < n.ranges.length; i += 2) s += `${hex(n.ranges[i]!)}-${hex(n.ranges[i + 1]!)}`;
      return `${s}]`;
    }
    case 'assert':
      return { beginLine: '(?m:^)', endLine: '(?m:$)', beginText: '\\A', endText: '\\z', wordBoundary: '\\b', notWordBoundary: '\\B' }[n.kind];
    case 'capture':
      return `(${printTree(n.sub)})`;
    case 'concat':
      return n.subs.map((s) => `(?:${printTree(s)})`).join('');
    case 'alternate':
      return `(?:${n.subs.map(printTree).join('|')})`;
    case 'repeat': {
      const q = n.min === 0 && n.max === -1 ? '*' : n.min === 1 && n.max === -1 ? '+' : n.max === -1 ? `{${n.min},}` : `{${n.min},${n.max}}`;
      return `(?:${printTree(n.sub)})${q}${n.greedy ? '' : '?'}`;
    }
  }
}

const TEXT_PIECES: Array<string | number> = ['a', 'b', 'c', ' ', '_', '1', '\n', 'é', '한', '국', '😀', 'ab', 0x80, 0xbf, 0xc0, 0xff, 0xf5];
function genText(rng: () => number): Uint8Array {
  const out: number[] = [];
  const n = Math.floor(rng() * 8);
  for (let i = 0; i < n; i++) {
    const p = TEXT_PIECES[Math.floor(rng() * TEXT_PIECES.length)]!;
    if (typeof p === 'number') out.push(p);
    else out.push(...enc.encode(p));
  }
  return Uint8Array.from(out);
}

describe('random trees against re2-wasm', () => {
  it('Pike VM and DFA agree with RE2 (yes/no and match positions)', () => {
    const decoder = new TextDecoder();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const rng = mulberry32(seed);
        const parsed = tree(genTree(rng, 4));
        const pattern = printTree(parsed.root);
        const prog = compileProg(parsed);
        const re = new RE2(pattern, 'u');
        const dfa = buildDfa(prog, { anchored: false, maxStates: 5000 });
        try {
          for (let k = 0; k < 6; k++) {
            const bytes = genText(rng);
            const text = decoder.decode(bytes);
            const ascii = bytes.every((b) => b < 0x80);
            const valid = enc.encode(text).length === bytes.length && enc.encode(text).every((b, i) => b === bytes[i]);
            const got = pikeSearch(prog, bytes);
            const ctx = `${pattern} on ${JSON.stringify(text)}`;
            expect(pikeTest(prog, bytes), ctx).toBe(got !== null);
            if (dfa) expect(dfaTest(dfa, bytes), ctx).toBe(got !== null);
            // RE2 tests \B at every byte; Go (and we) only between runes.
            if (!ascii && hasNotWordBoundary(parsed.root)) continue;
            const m = re.exec(text);
            expect(got !== null, ctx).toBe(m !== null);
            if (m && got && valid && !hasNullableStar(parsed.root)) {
              expect([got[0], got[1]], ctx).toEqual(re2MatchSpan(text, m));
            }
          }
        } finally {
          releaseRe2(re);
        }
      }),
      { numRuns: 1500, seed: 20261122 },
    );
  });
});
