/**
 * Search first, frame later: with a search anchor (a positive literal, case-folded literal,
 * or a DFA whose start state only rare bytes leave), the kernel searches each block for the
 * anchor's candidates and frames only the lines that hold one. These cases pin what that
 * path must keep exact — line numbers, line counts, matches, over-long lines — and what it
 * changes on purpose: a line without a candidate is counted but not validated, so a bad line
 * is reported only when it holds a candidate (or is too long). Every case runs at block
 * sizes 1..64 and larger (`sweep`): results must not depend on where blocks end, so hits
 * land on block boundaries and lines cross the carry. Each is also checked against the JS
 * reference told the kernel's anchor.
 */
import { describe, expect, test } from 'vitest';
import type { KernelProgram } from '../../src/plan/program.js';
import { dfaTest } from '../../src/regex/dfa.js';
import { compileForKernel } from '../../src/regex/index.js';
import { pikeTest } from '../../src/regex/pike.js';
import { Kernel, SEARCH_MIN_MAX_LINE } from '../../src/scan/kernel.js';
import type { BadLine } from '../../src/scan/types.js';
import { program, referenceScan, runScan, sweep, type RefRegexTest } from './helpers.js';

const T = '2009-11-10T23:00:00Z';
const T2 = '2009-11-10T23:59:59.123456789+01:00';
const SUMMARY = { engine: 'dfa', size: 0 } as const;

/** The reference's regex verdict: the TS runners on the automaton the kernel got. */
const compiled: RefRegexTest = (pattern, text, fullMatch) => {
  const a = compileForKernel(pattern, { fullMatch });
  return a.kind === 'dfa' ? dfaTest(a.dfa, text) : pikeTest(a.prog, text);
};

interface Case {
  name: string;
  data: string;
  prog: Partial<KernelProgram>;
  anchor: 'literal' | 'fold' | 'dfa' | null;
  lines: number;
  validated: number;
  /** [lineNo, message] per match. */
  matches: [number, string][];
  bad?: [number, BadLine['reason']][];
  maxLineBytes?: number;
}

const contains = (needle: string, caseInsensitive = false): Partial<KernelProgram> => ({ lineFilters: [{ op: 'contains', needle, caseInsensitive }] });

const many = Array.from({ length: 40 }, (_, i) => `${T}[ns|pod-${i}|c] line ${i}${i % 7 === 3 ? ' XYZZY' : ''}`).join('\n') + '\n';

// A needle whose rare bytes sit far in (the fast loop counts '\n's from its loads at the rare
// byte's offset and corrects the edges), between runs of short junk lines.
const FAR = `${'e'.repeat(40)}QZ`;
const farLines = Array.from({ length: 90 }, (_, i) => (i % 10 === 5 ? `${T}[ns|p|c] hit ${i} ${FAR}` : i % 3 === 0 ? 'x' : i % 3 === 1 ? '' : `${T}[ns|p|c] line ${i} ${'e'.repeat(i % 45)}Q`));
const far = farLines.join('\n') + '\n';

const cases: Case[] = [
  {
    name: "a needle's rare bytes far from its start: '\\n's under them counted once, at any block size",
    data: far,
    prog: contains(FAR),
    anchor: 'literal',
    lines: 90,
    validated: 9,
    matches: [5, 15, 25, 35, 45, 55, 65, 75, 85].map((i) => [i + 1, `hit ${i} ${FAR}`]),
  },
  {
    name: 'line numbers stay exact between rare hits (hits near every block boundary in the sweep)',
    data: many,
    prog: contains('XYZZY'),
    anchor: 'literal',
    lines: 40,
    validated: 6,
    matches: [3, 10, 17, 24, 31, 38].map((i) => [i + 1, `line ${i} XYZZY`]),
  },
  {
    name: 'no hit anywhere: every line counted, none validated',
    data: many,
    prog: contains('QQQQ'),
    anchor: 'literal',
    lines: 40,
    validated: 0,
    matches: [],
  },
  {
    name: 'no final newline: the last line is still a line, matched or only counted',
    data: `${T}[a|b|c] one\n${T}[a|b|c] two QQ`,
    prog: contains('QQ'),
    anchor: 'literal',
    lines: 2,
    validated: 1,
    matches: [[2, 'two QQ']],
  },
  {
    name: 'the last line without newline and without a hit is counted',
    data: `${T}[a|b|c] QQ one\n${T}[a|b|c] two`,
    prog: contains('QQ'),
    anchor: 'literal',
    lines: 2,
    validated: 1,
    matches: [[1, 'QQ one']],
  },
  {
    name: 'many hits in one line: one match, the scan goes on after the line',
    data: `${T}[a|b|c] GET GET GET GET GET GET GET GET GET GET\n${T}[a|b|c] none\n${T}[a|b|c] GETGET\n`,
    prog: contains('GET'),
    anchor: 'literal',
    lines: 3,
    validated: 2,
    matches: [
      [1, 'GET GET GET GET GET GET GET GET GET GET'],
      [3, 'GETGET'],
    ],
  },
  {
    name: 'a hit in the labels or the timestamp frames the line, which then fails the filter',
    data: `${T}[shop|api|c] nothing here\n${T}[a|b|c] shop talk\n2009-11-10T23:00:00Z[a|b|c] 2009 in the message\n${T}[a|b|c] none\n`,
    prog: { lineFilters: [{ op: 'contains', needle: 'shop' }] },
    anchor: 'literal',
    lines: 4,
    validated: 2,
    matches: [[2, 'shop talk']],
  },
  {
    name: 'a hit in the timestamp only',
    data: `${T}[a|b|c] x\n${T2}[a|b|c] y 23:59\n`,
    prog: contains('23:59'),
    anchor: 'literal',
    lines: 2,
    validated: 1,
    matches: [[2, 'y 23:59']],
  },
  {
    name: 'a needle spanning the \\r: the line is validated, its message (without \\r) does not match',
    data: `${T}[a|b|c] ab\r\n${T}[a|b|c] ab\n${T}[a|b|c] ab\rc\r\nbad ab\r\n`,
    prog: contains('b\r'),
    anchor: 'literal',
    lines: 4,
    validated: 3,
    matches: [[3, 'ab\rc']],
    bad: [[4, 'bad-timestamp']],
  },
  {
    name: 'bad lines holding the literal are reported; bad lines without it are only counted',
    data: [`${T}[a|b|c] ok QQ`, 'garbage QQ', 'garbage', `${T}[a|b QQ`, `${T}[a|b] two fields`, `${T}[a|b] QQ two fields`, `2009-13-10T23:00:00Z[a|b|c] QQ`, '', `${T}[a|b|c] QQ end`].join('\n') + '\n',
    prog: contains('QQ'),
    anchor: 'literal',
    lines: 9,
    validated: 6,
    matches: [
      [1, 'ok QQ'],
      [9, 'QQ end'],
    ],
    bad: [
      [2, 'bad-timestamp'],
      [4, 'missing-bracket'],
      [6, 'wrong-field-count'],
      [7, 'bad-timestamp'],
    ],
  },
  {
    name: 'hits outside the window are validated, not matched',
    data: `2009-11-10T22:59:59.999999999Z[a|b|c] QQ early\n${T}[a|b|c] QQ in\n2009-11-10T23:00:00.000000001Z[a|b|c] QQ late\n${T}[a|b|c] none\n`,
    prog: { ...contains('QQ'), startNs: '1257894000000000000', endNs: '1257894000000000000' },
    anchor: 'literal',
    lines: 4,
    validated: 3,
    matches: [[2, 'QQ in']],
  },
  {
    name: 'over-long lines are reported whether or not they hold a hit',
    data: [`${T}[a|b|c] ${'x'.repeat(100)}`, `${T}[a|b|c] short QQ`, `${T}[a|b|c] ${'y'.repeat(70)} QQ`, `${T}[a|b|c] no`, 'z'.repeat(81), `${T}[a|b|c] QQ`].join('\n'),
    prog: contains('QQ'),
    anchor: 'literal',
    maxLineBytes: 80,
    lines: 6,
    validated: 5,
    matches: [
      [2, 'short QQ'],
      [6, 'QQ'],
    ],
    bad: [
      [1, 'line-too-long'],
      [3, 'line-too-long'],
      [5, 'line-too-long'],
    ],
  },
  {
    name: `below maxLineBytes ${SEARCH_MIN_MAX_LINE} every line is validated`,
    data: `${T}[a|b|c] QQ\ngarbage\n${T}[a|b|c] no\n`,
    prog: contains('QQ'),
    anchor: 'literal',
    maxLineBytes: 40,
    lines: 3,
    validated: 3,
    matches: [[1, 'QQ']],
    bad: [[2, 'bad-timestamp']],
  },
  {
    name: 'UTF-8 needles search like ASCII ones',
    data: `${T}[a|b|c] 결제 실패: card declined\n${T}[a|b|c] 결제 완료\n${T}[a|b|c] 실패\n`,
    prog: contains('결제 실패'),
    anchor: 'literal',
    lines: 3,
    validated: 1,
    matches: [[1, '결제 실패: card declined']],
  },
  {
    name: 'case-folded anchor',
    data: `${T}[a|b|c] an ERROR\n${T}[a|b|c] fine\n${T}[a|b|c] Error: x\n${T}[a|b|c] eRRoR\ngarbage error\n`,
    prog: contains('error', true),
    anchor: 'fold',
    lines: 5,
    validated: 4,
    matches: [
      [1, 'an ERROR'],
      [3, 'Error: x'],
      [4, 'eRRoR'],
    ],
    bad: [[5, 'bad-timestamp']],
  },
  {
    name: 'the rarest literal anchors; the others still filter',
    data: `${T}[a|b|c] GET /x\n${T}[a|b|c] GET /Q\n${T}[a|b|c] POST /Q\n`,
    prog: { lineFilters: [{ op: 'contains', needle: 'GET' }, { op: 'contains', needle: '/Q' }] },
    anchor: 'literal',
    lines: 3,
    validated: 2, // 'GET' (upper case) is rarer than '/Q' by the byte ranking: the POST line is not framed
    matches: [[2, 'GET /Q']],
  },
  {
    name: 'a DFA anchor: the rare (non-ASCII) bytes that leave the start state',
    data: `${T}[a|b|c] ééx\n${T}[a|b|c] plain x\n${T}[é|b|c] ex\ngarbage éx\n${T}[a|b|c] so üx\n${T}[a|b|c] é x\n`,
    prog: { lineFilters: [{ op: 'regex', pattern: '(é|ü)+x', automaton: SUMMARY }] },
    anchor: 'dfa',
    lines: 6,
    validated: 5,
    matches: [
      [1, 'ééx'],
      [5, 'so üx'],
    ],
    bad: [[4, 'bad-timestamp']],
  },
  {
    name: 'a DFA whose start state a common ASCII byte leaves is no anchor',
    data: `${T}[a|b|c] xxy\n${T}[a|b|c] plain\ngarbage xx\n`,
    prog: { lineFilters: [{ op: 'regex', pattern: '(x+x+)+y', automaton: SUMMARY }] },
    anchor: null,
    lines: 3,
    validated: 3,
    matches: [[1, 'xxy']],
    bad: [[3, 'bad-timestamp']],
  },
  {
    name: 'negated filters alone: no anchor, every line validated',
    data: `${T}[a|b|c] keep\n${T}[a|b|c] drop QQ\ngarbage\n`,
    prog: { lineFilters: [{ op: 'notContains', needle: 'QQ' }] },
    anchor: null,
    lines: 3,
    validated: 3,
    matches: [[1, 'keep']],
    bad: [[3, 'bad-timestamp']],
  },
  {
    name: 'a negated literal searched over the block: hits in labels, the timestamp, the \\r or many per line',
    data: [`${T}[QQ|b|c] keep`, `${T}[a|b|c] QQ QQ QQ drop`, `${T}[a|b|c] keep Q Q`, `${T}[a|b|c] keepQ\r`, `${T}[a|b|c] Q\rQ keep`, 'garbage QQ', `${T}[a|b|c] dropQQ`, `${T}[a|b|c] keep`].join('\n'),
    prog: { lineFilters: [{ op: 'notContains', needle: 'QQ' }] },
    anchor: null,
    lines: 8,
    validated: 8,
    matches: [
      [1, 'keep'],
      [3, 'keep Q Q'],
      [4, 'keepQ'],
      [5, 'Q\rQ keep'],
      [8, 'keep'],
    ],
    bad: [[6, 'bad-timestamp']],
  },
  {
    name: 'a common one-byte needle is no anchor',
    data: `${T}[a|b|c] e\ngarbage\n`,
    prog: contains('e'),
    anchor: null,
    lines: 2,
    validated: 2,
    matches: [[1, 'e']],
    bad: [[2, 'bad-timestamp']],
  },
  {
    name: 'a needle holding \\n matches nothing (a message has none): no anchor',
    data: `${T}[a|b|c] a\n${T}[a|b|c] b\n`,
    prog: contains('a\n2009'),
    anchor: null,
    lines: 2,
    validated: 2,
    matches: [],
  },
];

describe('search first, frame later', async () => {
  const k = await Kernel.load();
  for (const c of cases) {
    test(c.name, async () => {
      const p = program(c.prog);
      k.setProgram(p);
      expect(k.searchAnchor?.kind ?? null).toBe(c.anchor);
      const opts = { maxLineBytes: c.maxLineBytes, maxBadLineSamples: 100 };
      const r = await sweep(k, c.data, opts);
      expect(r.lines).toBe(c.lines);
      expect(r.validated).toBe(c.validated);
      expect(r.matches.map((m) => [m.lineNo, m.msg])).toEqual(c.matches);
      expect(r.samples.map((s) => [s.line, s.reason])).toEqual(c.bad ?? []);
      expect(r.badLines).toBe((c.bad ?? []).length);
      const want = referenceScan(c.data, p, { ...opts, regexTest: compiled, searchAnchor: k.searchAnchor, compile: compileForKernel });
      expect(r.matches).toEqual(want.matches);
      expect([r.lines, r.validated, r.badLines, r.samples]).toEqual([want.lines, want.validated, want.badLines, want.samples]);
    });
  }

  test('matches are those of framing every line (same program, maxLineBytes below the search minimum)', async () => {
    // A long file with hits at every distance from each other and from block ends.
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const pad = 'p'.repeat(i % 25); // lines stay under SEARCH_MIN_MAX_LINE - 1 bytes
      lines.push(i % 11 === 0 ? `garbage ${pad} QQ` : `${T}[a|b|c] ${pad}${i % 5 === 0 ? 'QQ' : 'Q'}${i % 3 === 0 ? 'Q' : ''} ${i}`);
    }
    const data = lines.join('\n') + '\n';
    const p = program(contains('QQ'));
    k.setProgram(p);
    for (const blockSize of [64, 1000, 4096, undefined]) {
      const searched = await runScan(k, data, { blockSize, maxLineBytes: 1 << 20 });
      const framed = await runScan(k, data, { blockSize, maxLineBytes: SEARCH_MIN_MAX_LINE - 1 });
      expect(searched.matches).toEqual(framed.matches);
      expect(searched.lines).toBe(framed.lines);
      expect(searched.validated).toBeLessThan(framed.validated);
      expect(framed.validated).toBe(framed.lines);
    }
  });

  test('dense hits: every other line matches, whatever the block size', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${T}[a|b|c] ${i % 2 === 0 ? 'QQ' : 'no'}`);
    const data = lines.join('\n') + '\n';
    const p = program(contains('QQ'));
    k.setProgram(p);
    const r = await runScan(k, data, { blockSize: 1 << 20 });
    expect(r.matches.map((m) => m.lineNo)).toEqual(Array.from({ length: 2500 }, (_, i) => 2 * i + 1));
    const small = await runScan(k, data, { blockSize: 700 });
    expect(small.matches).toEqual(r.matches);
    expect(small.lines).toBe(5000);
  });
});
