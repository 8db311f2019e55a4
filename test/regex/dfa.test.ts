import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AssertKind, ParsedRegex, RegexNode } from '../../src/regex/ast.js';
import { DFA_DEAD, DFA_MATCH, type Dfa, type Prog } from '../../src/regex/automaton.js';
import { compileProg } from '../../src/regex/compile.js';
import { buildDfa, DEFAULT_DFA_MAX_STATES, dfaTest } from '../../src/regex/dfa.js';
import { compileForKernel, compileRegex } from '../../src/regex/index.js';
import { pikeSearch, pikeTest } from '../../src/regex/pike.js';
import { parseRegex } from '../../src/regex/syntax.js';
import { mulberry32 } from '../../scripts/lib/prng.mjs';

// Hand-built trees, so these tests do not depend on the parser.
const L = (s: string): RegexNode =>
  [...s].length === 1 ? { op: 'literal', rune: s.codePointAt(0)! } : { op: 'concat', subs: [...s].map((ch) => L(ch)) };
const C = (...ranges: number[]): RegexNode => ({ op: 'class', ranges });
const A = (kind: AssertKind): RegexNode => ({ op: 'assert', kind });
const cat = (...subs: RegexNode[]): RegexNode => ({ op: 'concat', subs });
const alt = (...subs: RegexNode[]): RegexNode => ({ op: 'alternate', subs });
const rep = (sub: RegexNode, min: number, max: number, greedy = true): RegexNode => ({ op: 'repeat', min, max, greedy, sub });
const EMPTY: RegexNode = { op: 'emptyMatch' };
const LETTERS = C(0x41, 0x5a, 0x61, 0x7a);
const tree = (root: RegexNode, captureCount = 2): ParsedRegex => ({
  root,
  captureCount,
  names: new Array<string | null>(captureCount + 1).fill(null),
});
const prog = (root: RegexNode): Prog => compileProg(tree(root));
const enc = new TextEncoder();
const bytesOf = (s: string | number[]): Uint8Array => (typeof s === 'string' ? enc.encode(s) : Uint8Array.from(s));
const dfaOf = (root: RegexNode, anchored = false, maxStates = DEFAULT_DFA_MAX_STATES): Dfa => {
  const d = buildDfa(prog(root), { anchored, maxStates });
  if (!d) throw new Error('over budget');
  return d;
};

/** The state after feeding `bytes` (without the end-of-text step). */
function run(dfa: Dfa, bytes: Uint8Array): number {
  let s = dfa.start;
  for (const b of bytes) {
    s = dfa.table[s * (dfa.classCount + 1) + dfa.classes[b]!]!;
    if (s <= DFA_MATCH) break;
  }
  return s;
}

describe('table format', () => {
  it('rows 0 and 1 map to themselves; every entry is a state', () => {
    const dfa = dfaOf(cat(L('user/'), rep(C(0x30, 0x39), 1, -1)));
    const stride = dfa.classCount + 1;
    expect(dfa.table.length).toBe(dfa.stateCount * stride);
    for (let c = 0; c < stride; c++) {
      expect(dfa.table[DFA_DEAD * stride + c]).toBe(DFA_DEAD);
      expect(dfa.table[DFA_MATCH * stride + c]).toBe(DFA_MATCH);
    }
    for (const s of dfa.table) expect(s >= 0 && s < dfa.stateCount).toBe(true);
    expect(Math.max(...dfa.classes)).toBe(dfa.classCount - 1);
    expect(dfa.start).toBeGreaterThan(DFA_MATCH);
  });

  it('byte classes separate exactly what the program distinguishes', () => {
    const dfa = dfaOf(L('a'));
    // 'a' vs everything else (no assertions, nothing that can touch a continuation byte).
    expect(dfa.classCount).toBe(2);
    expect(dfa.classes[0x61]).not.toBe(dfa.classes[0x62]);
    expect(dfa.classes[0x60]).toBe(dfa.classes[0x62]);
    const wb = dfaOf(cat(A('wordBoundary'), L('a')));
    expect(wb.classes[0x30]).not.toBe(wb.classes[0x2f]); // word bytes are told apart with \b
    expect(wb.classes[0x30]).toBe(wb.classes[0x5f]);
    const two = dfaOf(alt(L('a'), C(0x61, 0x63)));
    expect(two.classes[0x62]).toBe(two.classes[0x63]); // intervals in the same ranges share a class
    expect(two.classes[0x60]).toBe(two.classes[0x64]); // … even when they are not adjacent
    expect(two.classCount).toBe(3);
  });
});

describe('early exits', () => {
  it('reaches DFA_MATCH as soon as a match is certain', () => {
    const dfa = dfaOf(cat(L('user/'), rep(C(0x30, 0x39), 1, -1)));
    expect(run(dfa, bytesOf('GET /user/7'))).toBe(DFA_MATCH);
    expect(run(dfa, bytesOf('GET /user/'))).toBeGreaterThan(DFA_MATCH);
  });

  it('an assertion at the end waits for the next symbol', () => {
    const dfa = dfaOf(cat(L('ab'), A('wordBoundary')));
    expect(run(dfa, bytesOf('ab'))).toBeGreaterThan(DFA_MATCH);
    expect(run(dfa, bytesOf('ab '))).toBe(DFA_MATCH);
    expect(dfaTest(dfa, bytesOf('ab'))).toBe(true); // settled by the end-of-text symbol
    expect(dfaTest(dfa, bytesOf('abc'))).toBe(false);
  });

  it('an anchored DFA dies as soon as the prefix is wrong', () => {
    const dfa = dfaOf(cat(A('beginText'), L('GET ')), true);
    expect(run(dfa, bytesOf('POST /'))).toBe(DFA_DEAD);
    expect(run(dfa, bytesOf('GE'))).toBeGreaterThan(DFA_MATCH);
  });

  it('an unanchored DFA of a \\A pattern dies too', () => {
    const dfa = dfaOf(cat(A('beginText'), L('GET ')), false);
    expect(run(dfa, bytesOf('POST /'))).toBe(DFA_DEAD);
  });

  it('a nullable pattern matches at once', () => {
    const dfa = dfaOf(rep(L('a'), 0, -1));
    expect(run(dfa, bytesOf('x'))).toBe(DFA_MATCH);
    expect(dfaTest(dfa, bytesOf(''))).toBe(true);
  });
});

describe('semantics (real patterns; unanchored search)', () => {
  // [pattern, text, matches?]
  const cases: Array<[string, string | number[], boolean]> = [
    ['(?m)^b', 'a\nb', true],
    ['^b', 'a\nb', false],
    ['a$', 'a\n', false],
    ['(?m)a$', 'a\nb', true],
    ['\\bx\\b', '«x»', true],
    ['\\B', 'aéb', false], // Go tests \B between runes only
    ['\\B', 'aé', true],
    ['[^가-힣]', '한국', false],
    ['[^가-힣]', [...enc.encode('한국'), 0xbf], true],
    ['[^가-힣]', [0xed, 0x20], true],
    ['\\PL', '한국어', false],
    ['a.b', [0x61, 0xff, 0x62], true],
    ['a.b', [0x61, 0xe4, 0x62], false], // truncated lead byte: documented difference
    ['error', [0xe9, 0x20, ...enc.encode('error')], true],
    ['(?i)error', 'An ERROR here', true],
    ['(?i)error', 'An ERR0R here', false],
    ['[A-Za-z]{30}', 'x'.repeat(29) + ' ' + 'y'.repeat(30), true],
    ['[A-Za-z]{30}', 'x'.repeat(29) + ' ' + 'y'.repeat(29), false],
    ['(GET|POST) /api/v[12]/', 'x POST /api/v2/users', true],
    ['(GET|POST) /api/v[12]/', 'x PUT /api/v2/users', false],
    ['user/[0-9]+', 'GET /user/', false],
  ];
  for (const [pattern, text, want] of cases) {
    it(`${pattern} on ${JSON.stringify(typeof text === 'string' ? text : text.map((b) => b.toString(16)).join(' '))}`, () => {
      const p = compileProg(parseRegex(pattern));
      const dfa = buildDfa(p, { anchored: p.anchoredStart, maxStates: DEFAULT_DFA_MAX_STATES })!;
      expect(dfaTest(dfa, bytesOf(text))).toBe(want);
      expect(pikeTest(p, bytesOf(text))).toBe(want);
    });
  }

  it('runs on a sub-range with the range ends as text ends', () => {
    const dfa = dfaOf(cat(A('beginText'), L('b'), A('endText')), true);
    expect(dfaTest(dfa, bytesOf('abc'), 1, 2)).toBe(true);
    expect(dfaTest(dfa, bytesOf('abc'), 1, 3)).toBe(false);
  });
});

describe('budget and sizes', () => {
  it('(a|b)*a(a|b){15} is exponential: over budget, so the kernel gets the program', () => {
    const k = compileForKernel('(a|b)*a(a|b){15}', { fullMatch: false });
    expect(k.kind).toBe('pike');
    const re = compileRegex('(a|b)*a(a|b){15}');
    expect(re.dfa()).toBeNull();
    expect(re.testBytes(bytesOf('b'.repeat(100) + 'a' + 'ab'.repeat(8)))).toBe(true);
    expect(re.testBytes(bytesOf('b'.repeat(20) + 'a' + 'b'.repeat(14)))).toBe(false);
  });

  // The benchmark patterns: state counts (search; full match), golden values.
  const sizes: Array<[string, number, number]> = [
    ['user/[0-9]+', 8, 9],
    ['(GET|POST) /api/v[12]/', 17, 18],
    ['(?i)error', 7, 8],
    ['[A-Za-z]{30}', 32, 33],
    ['(a+)+$', 4, 4],
    ['(x+x+)+y', 5, 6],
  ];
  for (const [pattern, search, full] of sizes) {
    it(`${pattern}: ${search} states (search), ${full} (full match)`, () => {
      const s = compileForKernel(pattern, { fullMatch: false });
      const f = compileForKernel(pattern, { fullMatch: true });
      expect(s.kind === 'dfa' ? s.dfa.stateCount : -1).toBe(search);
      expect(f.kind === 'dfa' ? f.dfa.stateCount : -1).toBe(full);
    });
  }

  it('maxStates is honoured', () => {
    expect(buildDfa(prog(rep(LETTERS, 30, 30)), { anchored: false, maxStates: 10 })).toBeNull();
    expect(buildDfa(prog(rep(LETTERS, 30, 30)), { anchored: false, maxStates: 32 })).not.toBeNull();
  });
});

// ---------------------------------------------------------------------------------------
// Random trees: the DFA must agree with the Pike VM, anchored and unanchored, on sub-ranges.

const RUNES = [...'ab _\n1'].map((c) => c.codePointAt(0)!).concat([0xe9, 0xd55c]);
const CLASSES: number[][] = [
  [0x61, 0x62],
  [0, 0x60, 0x62, 0x10ffff],
  [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  [0, 9, 11, 0x10ffff],
  [0xac00, 0xd7a3],
  [0, 0x40, 0x5b, 0x60, 0x7b, 0xabff, 0xd7a4, 0x10ffff],
];
const KINDS: AssertKind[] = ['beginLine', 'endLine', 'beginText', 'endText', 'wordBoundary', 'notWordBoundary'];

function genTree(rng: () => number, depth: number): RegexNode {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const r = rng();
  if (depth <= 0 || r < 0.3) {
    const leaf = rng();
    if (leaf < 0.45) return { op: 'literal', rune: pick(RUNES) };
    if (leaf < 0.8) return C(...pick(CLASSES));
    if (leaf < 0.95) return A(pick(KINDS));
    return EMPTY;
  }
  if (r < 0.5) return cat(genTree(rng, depth - 1), genTree(rng, depth - 1));
  if (r < 0.65) return alt(genTree(rng, depth - 1), genTree(rng, depth - 1));
  const [min, max] = pick([[0, -1], [1, -1], [0, 1], [2, 3]] as const);
  return rep(genTree(rng, depth - 1), min, max, rng() < 0.7);
}

const PIECES: Array<string | number> = ['a', 'b', ' ', '_', '\n', '1', 'é', '한', 0x80, 0xc0, 0xff, 0xe4, 0xed];
function genText(rng: () => number): Uint8Array {
  const out: number[] = [];
  const n = Math.floor(rng() * 9);
  for (let i = 0; i < n; i++) {
    const p = PIECES[Math.floor(rng() * PIECES.length)]!;
    if (typeof p === 'number') out.push(p);
    else out.push(...enc.encode(p));
  }
  return Uint8Array.from(out);
}

describe('random trees: DFA = Pike VM', () => {
  it('unanchored, anchored and full-match, on whole texts and sub-ranges (incl. truncated sequences)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const rng = mulberry32(seed);
        const root = genTree(rng, 4);
        const p = prog(root);
        const full = prog(cat(A('beginText'), root, A('endText')));
        const search = buildDfa(p, { anchored: false, maxStates: 500 });
        const anchored = buildDfa(p, { anchored: true, maxStates: 500 });
        const fullDfa = buildDfa(full, { anchored: full.anchoredStart, maxStates: 500 });
        for (let k = 0; k < 8; k++) {
          const bytes = genText(rng);
          const start = Math.floor(rng() * 2) && bytes.length > 0 ? 1 : 0;
          const end = bytes.length;
          const ctx = `${JSON.stringify(root)} on [${[...bytes]}] from ${start}`;
          const want = pikeTest(p, bytes, start, end);
          expect(pikeSearch(p, bytes, { start, end }) !== null, ctx).toBe(want);
          if (search) expect(dfaTest(search, bytes, start, end), ctx).toBe(want);
          if (anchored) expect(dfaTest(anchored, bytes, start, end), ctx).toBe(pikeSearch(p, bytes, { start, end, anchored: true }) !== null);
          if (fullDfa) expect(dfaTest(fullDfa, bytes, start, end), ctx).toBe(pikeTest(full, bytes, start, end));
        }
      }),
      { numRuns: 1500, seed: 7 },
    );
  });
});
