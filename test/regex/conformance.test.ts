/**
 * Conformance with Go's `regexp` on RE2's search test log (`re2-search.txt`, format in
 * ../shared/conformance/re2/README.md §1). For every (regexp R, text S):
 * - field 1 (`\A(?:R)\z`, leftmost-first), field 2 (R, leftmost-first), field 3 and 4 (the
 *   same, leftmost-longest) must equal the Pike VM's capture slots exactly;
 * - the DFA (unanchored for field 2, full-match for field 1), the kernel automaton from
 *   `compileForKernel` (run through the TS reference runners) and the facade's `test` must
 *   answer `want !== null`.
 * Skipped as Go skips them (README §1.7): regexps using `\C`, and `\B` on non-ASCII texts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KernelAutomaton, Prog } from '../../src/regex/automaton.js';
import { compileProg } from '../../src/regex/compile.js';
import { buildDfa, DEFAULT_DFA_MAX_STATES, dfaTest } from '../../src/regex/dfa.js';
import { compileForKernel, compileRegex, fullMatchTree } from '../../src/regex/index.js';
import { pikeSearch, pikeTest } from '../../src/regex/pike.js';
import { parseRegex } from '../../src/regex/syntax.js';
import { goUnquote } from '../support/go-quote.js';
import { HAS_SHARED, SHARED, SHARED_REASON } from '../support/paths.js';

const FILE = `${SHARED}/conformance/re2/re2-search.txt`;

/** Decodes a result field: `-` is no match; pairs `a-b` or `-` (unset group). */
function decodeField(f: string): number[] | null {
  if (f === '-') return null;
  return f.split(' ').flatMap((p) => (p === '-' ? [-1, -1] : p.split('-').map(Number)));
}

interface Case {
  line: number;
  regexp: string;
  text: Uint8Array;
  /** Fields 1–4. */
  want: (number[] | null)[];
}

interface Compiled {
  prog: Prog;
  full: Prog;
}

/** The cases of the file, with Go's skips applied and counted. */
function readCases(): { cases: Case[]; regexps: number; resultLines: number; skipped: Map<string, number> } {
  const lines = readFileSync(FILE, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const cases: Case[] = [];
  const skipped = new Map<string, number>();
  const skip = (reason: string): void => void skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  let strings: Uint8Array[] = [];
  let inStrings = false;
  let pending: Uint8Array[] = [];
  let regexp = '';
  let regexps = 0;
  let resultLines = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  lines.forEach((line, idx) => {
    if (line === '') throw new Error(`blank line ${idx + 1}`);
    const c = line[0]!;
    if (c === '#' || (c >= 'A' && c <= 'Z')) return;
    if (line === 'strings') {
      strings = [];
      inStrings = true;
      return;
    }
    if (line === 'regexps') {
      inStrings = false;
      return;
    }
    if (c === '"') {
      const s = goUnquote(line);
      if (inStrings) {
        strings.push(s);
        return;
      }
      if (pending.length > 0) throw new Error(`out of sync at line ${idx + 1}`);
      regexp = decoder.decode(s);
      regexps++;
      pending = strings.slice();
      return;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const text = pending.shift();
      if (text === undefined) throw new Error(`result without input at line ${idx + 1}`);
      resultLines++;
      // Go: `\C` does not compile; the result lines are consumed and ignored.
      if (/(^|[^\\])(\\\\)*\\C/.test(regexp)) return skip('\\C (any byte) is not Go syntax');
      // Go: RE2 tests \B at every byte, Go only between runes.
      if (regexp.includes('\\B') && text.some((b) => b >= 0x80)) return skip('\\B on non-ASCII text (RE2 tests bytes, Go runes)');
      const want = line.split(';').map(decodeField);
      if (want.length !== 4) throw new Error(`bad result line ${idx + 1}`);
      cases.push({ line: idx + 1, regexp, text, want });
      return;
    }
    throw new Error(`out of sync at line ${idx + 1}: ${line}`);
  });
  if (pending.length > 0) throw new Error('results missing at end of file');
  return { cases, regexps, resultLines, skipped };
}

const show = (x: ArrayLike<number> | null): string => (x === null ? 'null' : `[${Array.from(x).join(' ')}]`);
const runKernel = (a: KernelAutomaton, bytes: Uint8Array): boolean =>
  a.kind === 'dfa' ? dfaTest(a.dfa, bytes) : pikeTest(a.prog, bytes);

describe.skipIf(!HAS_SHARED)(`RE2 search log (Go regexp conformance)${HAS_SHARED ? '' : ` — skipped: ${SHARED_REASON}`}`, () => {
  const { cases, regexps, resultLines, skipped } = HAS_SHARED ? readCases() : { cases: [], regexps: 0, resultLines: 0, skipped: new Map() };
  const compiled = new Map<string, Compiled | Error>();
  const compile = (re: string): Compiled | Error => {
    let c = compiled.get(re);
    if (!c) {
      try {
        const parsed = parseRegex(re);
        c = { prog: compileProg(parsed), full: compileProg(fullMatchTree(parsed)) };
      } catch (e) {
        c = e instanceof Error ? e : new Error(String(e));
      }
      compiled.set(re, c);
    }
    return c;
  };

  it('reads the whole file (944 regexps, 1,888 result lines; Go skips 84)', () => {
    expect(regexps).toBe(944);
    expect(resultLines).toBe(1888);
    expect(Object.fromEntries(skipped)).toEqual({
      '\\C (any byte) is not Go syntax': 80,
      '\\B on non-ASCII text (RE2 tests bytes, Go runes)': 4,
    });
    expect(cases.length).toBe(1888 - 84);
  });

  it('every regexp compiles', () => {
    const failures = [...new Set(cases.map((c) => c.regexp))].flatMap((re) => {
      const c = compile(re);
      return c instanceof Error ? [`${re}: ${c.message}`] : [];
    });
    expect(failures).toEqual([]);
  });

  const modes: Array<[string, number, (c: Compiled) => Prog, boolean]> = [
    ['field 1: full match, leftmost-first', 0, (c) => c.full, false],
    ['field 2: search, leftmost-first', 1, (c) => c.prog, false],
    ['field 3: full match, leftmost-longest', 2, (c) => c.full, true],
    ['field 4: search, leftmost-longest', 3, (c) => c.prog, true],
  ];
  for (const [name, field, pick, longest] of modes) {
    it(`${name}: Pike VM slots equal Go's`, () => {
      const failures: string[] = [];
      let checked = 0;
      for (const k of cases) {
        const c = compile(k.regexp);
        if (c instanceof Error) continue;
        const got = pikeSearch(pick(c), k.text, { longest });
        const want = k.want[field]!;
        checked++;
        if (show(got) !== show(want)) failures.push(`line ${k.line}: ${k.regexp} on ${JSON.stringify(new TextDecoder().decode(k.text))}: got ${show(got)}, want ${show(want)}`);
      }
      expect(failures).toEqual([]);
      expect(checked).toBe(1804);
    });
  }

  it('yes/no: DFA (search and full match), kernel automata and the facade agree with fields 1 and 2', () => {
    const failures: string[] = [];
    const dfas = new Map<string, { search: ReturnType<typeof buildDfa>; full: ReturnType<typeof buildDfa>; kSearch: KernelAutomaton; kFull: KernelAutomaton }>();
    for (const k of cases) {
      const c = compile(k.regexp);
      if (c instanceof Error) continue;
      let d = dfas.get(k.regexp);
      if (!d) {
        d = {
          search: buildDfa(c.prog, { anchored: false, maxStates: DEFAULT_DFA_MAX_STATES }),
          full: buildDfa(c.full, { anchored: c.full.anchoredStart, maxStates: DEFAULT_DFA_MAX_STATES }),
          kSearch: compileForKernel(k.regexp, { fullMatch: false }),
          kFull: compileForKernel(k.regexp, { fullMatch: true }),
        };
        dfas.set(k.regexp, d);
      }
      const wantFull = k.want[0] !== null;
      const wantSearch = k.want[1] !== null;
      const where = `line ${k.line}: ${k.regexp} on ${JSON.stringify(new TextDecoder().decode(k.text))}`;
      const check = (what: string, got: boolean, want: boolean): void => {
        if (got !== want) failures.push(`${where}: ${what} says ${got}`);
      };
      if (d.search) check('search DFA', dfaTest(d.search, k.text), wantSearch);
      if (d.full) check('full-match DFA', dfaTest(d.full, k.text), wantFull);
      check('pikeTest', pikeTest(c.prog, k.text), wantSearch);
      check('kernel (search)', runKernel(d.kSearch, k.text), wantSearch);
      check('kernel (full match)', runKernel(d.kFull, k.text), wantFull);
      check('compileRegex().testBytes', compileRegex(k.regexp).testBytes(k.text), wantSearch);
      check('compileRegex().test', compileRegex(k.regexp).test(new TextDecoder().decode(k.text)), wantSearch);
      const exec = compileRegex(k.regexp).exec(k.text);
      if (show(exec) !== show(k.want[1]!)) failures.push(`${where}: exec gives ${show(exec)}`);
    }
    expect(failures).toEqual([]);
    // Every pattern of this file fits the DFA budget.
    expect([...dfas.values()].filter((d) => !d.search || !d.full).length).toBe(0);
  });
});
