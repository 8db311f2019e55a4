/**
 * Differential test: random files and programs through the kernel at random block sizes
 * and maxLineBytes, against the straightforward JS reference in helpers.ts. Matches (times,
 * line numbers, fields, messages), line counts, bad-line counts and samples must be equal.
 *
 * Programs mix literal, case-folded and regex line filters and byte and regex label
 * matchers. Regexes are hand-built automata (test/scan/automata.ts), each run through the
 * kernel's DFA runner or its Pike VM; the reference decides them with the TS reference
 * runners of `src/regex/` (`dfaTest`, `pikeTest`) on the very same automaton.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { KernelLabelMatcher, KernelLineFilter, KernelProgram } from '../../src/plan/program.js';
import type { KernelAutomaton } from '../../src/regex/automaton.js';
import { dfaTest } from '../../src/regex/dfa.js';
import { pikeTest } from '../../src/regex/pike.js';
import { Kernel } from '../../src/scan/kernel.js';
import type { RegexCompiler } from '../../src/scan/program-codec.js';
import { alt, bot, cat, eot, group, handCompiler, lit, never, notWordB, opt, plus, range, star, wordB, type Re } from './automata.js';
import { program, referenceScan, refTimestamp, runScan, type RefRegexTest } from './helpers.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Mostly valid timestamps, sometimes with out-of-range parts, rare years, or corruption. */
const timestamp = fc
  .record({
    year: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1999, max: 2001 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1677, 1678, 2261, 2262, 9999) }),
    month: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, 13) }),
    day: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 28 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 29, 30, 31, 32) }),
    hour: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 23 }) }, { weight: 1, arbitrary: fc.constant(24) }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 60 }),
    frac: fc.option(fc.oneof({ weight: 10, arbitrary: fc.stringMatching(/^[0-9]{1,9}$/) }, { weight: 1, arbitrary: fc.constantFrom('', '0123456789') }), { nil: undefined }),
    t: fc.constantFrom('T', 'T', 'T', 'T', 'T', 't', ' '),
    zone: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('Z', 'Z', 'Z', 'z', '', '+00:00', '-00:00') },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 })).map(([s, h, m]) => `${s}${pad(h, 2)}:${pad(m, 2)}`) },
    ),
  })
  .map((r) => `${pad(r.year, 4)}-${pad(r.month, 2)}-${pad(r.day, 2)}${r.t}${pad(r.hour, 2)}:${pad(r.minute, 2)}:${pad(r.second, 2)}${r.frac === undefined ? '' : '.' + r.frac}${r.zone}`);

const VALUES = ['a', 'b', 'ab', '', 'é', 'x|y'];
const MSG_PARTS = ['a', 'b', 'ab', 'ba', ' ', '|', '[', ']', '\r', 'é', '✓', 'GET', 'aab', 'A', 'Ab', 'get', '@', '`', '{', '_'];

const fields = fc.oneof({ weight: 4, arbitrary: fc.array(fc.constantFrom(...VALUES), { minLength: 2, maxLength: 3 }) }, { weight: 1, arbitrary: fc.array(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 4 }) }).map((fs) => fs.join('|'));
const message = fc.array(fc.constantFrom(...MSG_PARTS), { maxLength: 12 }).map((ps) => ps.join(''));

const line = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(timestamp, fields, fc.constantFrom(' ', ' ', ' ', '', '\t'), message, fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })).map(([ts, f, sep, m, close]) => `${ts}[${f}${close ? ']' : ''}${sep}${m}`) },
  { weight: 1, arbitrary: message },
  { weight: 1, arbitrary: fc.constantFrom('', '\r', 'lorem', '2000-01-01T00:00:00Z', '2000-01-01T00:00:00Z[') },
);

const file = fc.tuple(fc.array(line, { maxLength: 40, size: 'medium' }), fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([ls, eol, finalNl]) => ls.join(eol) + (finalNl && ls.length > 0 ? eol : ''));

const needle = fc.oneof(fc.constantFrom(...MSG_PARTS, ''), fc.array(fc.constantFrom(...MSG_PARTS), { minLength: 2, maxLength: 3 }).map((p) => p.join('')));

/** Line filter patterns (searched in the message). */
const MSG_PATTERNS: Re[] = [
  lit('ab'),
  cat(lit('a'), star(lit('b'))),
  cat(wordB, lit('ab'), wordB),
  cat(lit('G'), opt(lit('E')), lit('T')),
  alt(lit('é'), lit('✓')),
  cat(bot, lit('a')),
  cat(lit('b'), eot),
  cat(lit('|'), plus(range('a', 'b'))),
  cat(notWordB, lit('a')),
  cat(group(star(alt(lit('a'), lit('b')))), lit(']')),
  cat(range('A', 'Z'), range('a', 'z')),
  lit(''),
  never,
];
/** Label matcher patterns (full match on a field). */
const FIELD_PATTERNS: Re[] = [lit('a'), star(alt(lit('a'), lit('b'))), cat(lit('a'), opt(lit('b'))), alt(lit('é'), lit('b')), lit(''), cat(wordB, lit('ab')), plus(range('a', 'z')), cat(lit('x'), notWordB, lit('|'))];
const COMPILERS = { dfa: handCompiler([...MSG_PATTERNS, ...FIELD_PATTERNS], 'dfa'), pike: handCompiler([...MSG_PATTERNS, ...FIELD_PATTERNS], 'pike') };

const SUMMARY = { engine: 'dfa', size: 0 } as const;
const lineFilter: fc.Arbitrary<KernelLineFilter> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('contains' as const, 'notContains' as const), needle, caseInsensitive: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('regex' as const, 'notRegex' as const), pattern: fc.constantFrom(...MSG_PATTERNS.map((r) => r.src)), automaton: fc.constant(SUMMARY) }) },
);
const labelMatcher: fc.Arbitrary<KernelLabelMatcher> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ field: fc.integer({ min: 0, max: 2 }), op: fc.constantFrom('eq' as const, 'neq' as const), value: fc.constantFrom(...VALUES) }) },
  { weight: 1, arbitrary: fc.record({ field: fc.integer({ min: 0, max: 2 }), op: fc.constantFrom('regex' as const, 'notRegex' as const), pattern: fc.constantFrom(...FIELD_PATTERNS.map((r) => r.src)), automaton: fc.constant(SUMMARY) }) },
);

/** The reference's verdict: `src/regex/`'s TS runners on the automaton the kernel got. */
const sameAutomaton =
  (compile: RegexCompiler): RefRegexTest =>
  (pattern, text, fullMatch) => {
    const a: KernelAutomaton = compile(pattern, { fullMatch });
    return a.kind === 'dfa' ? dfaTest(a.dfa, text) : pikeTest(a.prog, text);
  };

function programArb(sampleTimes: bigint[]): fc.Arbitrary<KernelProgram> {
  const bound = fc.oneof({ weight: 2, arbitrary: fc.constant<bigint | null>(null) }, { weight: 1, arbitrary: fc.constantFrom(...(sampleTimes.length ? sampleTimes : [0n])).chain((t) => fc.constantFrom(t - 1n, t, t + 1n)) });
  return fc
    .record({
      fieldCount: fc.constantFrom(2 as const, 3 as const),
      start: bound,
      end: bound,
      matchers: fc.array(labelMatcher, { maxLength: 2 }),
      filters: fc.array(lineFilter, { maxLength: 3 }),
    })
    .map((r) =>
      program({
        fieldCount: r.fieldCount,
        ...(r.start !== null ? { startNs: r.start.toString() } : {}),
        ...(r.end !== null ? { endNs: r.end.toString() } : {}),
        labelMatchers: r.matchers.filter((m) => m.field < r.fieldCount),
        lineFilters: r.filters,
      }),
    );
}

const validTimes = (data: string): bigint[] =>
  data
    .split('\n')
    .map((l) => refTimestamp(l))
    .flatMap((t) => (t.ok ? [t.ns] : []));

describe('kernel vs reference', async () => {
  const k = await Kernel.load();
  test('random files, programs, block sizes', async () => {
    const stats = { runs: 0, withMatches: 0, filteredMatches: 0, regexMatches: 0, foldMatches: 0, literal: 0, fold: 0, dfa: 0, skippedLines: 0 };
    await fc.assert(
      fc.asyncProperty(
        file.chain((data) =>
          fc.tuple(fc.constant(data), programArb(validTimes(data)), fc.integer({ min: 1, max: 300 }), fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 120 }) }), fc.constantFrom('dfa' as const, 'pike' as const)),
        ),
        async ([data, p, blockSize, maxLineBytes, engine]) => {
          const compile = COMPILERS[engine];
          k.setProgram(p, { compile });
          const got = await runScan(k, data, { blockSize, maxLineBytes, maxBadLineSamples: 5 });
          // Under search-first the kernel validates only the lines holding a candidate of its
          // anchor; the reference validates exactly those (and every line when there is none).
          const want = referenceScan(data, p, { maxLineBytes, maxBadLineSamples: 5, regexTest: sameAutomaton(compile), searchAnchor: k.searchAnchor, compile });
          expect(got.matches).toEqual(want.matches);
          expect(got.lines).toBe(want.lines);
          expect(got.validated).toBe(want.validated);
          expect(got.badLines).toBe(want.badLines);
          expect(got.samples).toEqual(want.samples);
          stats.runs++;
          const anchor = k.searchAnchor;
          if (anchor) stats[anchor.kind]++;
          if (got.validated < got.lines) stats.skippedLines++;
          if (want.matches.length > 0) stats.withMatches++;
          if (want.matches.length > 0 && p.lineFilters.length > 0) stats.filteredMatches++;
          if (want.matches.length > 0 && [...p.lineFilters, ...p.labelMatchers].some((f) => f.op === 'regex' || f.op === 'notRegex')) stats.regexMatches++;
          if (want.matches.length > 0 && p.lineFilters.some((f) => (f.op === 'contains' || f.op === 'notContains') && f.caseInsensitive && f.needle !== '')) stats.foldMatches++;
        },
      ),
      { numRuns: 1500 },
    );
    // The generator must exercise matching, not just bad lines.
    expect(stats.withMatches).toBeGreaterThan(stats.runs / 5);
    expect(stats.filteredMatches).toBeGreaterThan(stats.runs / 20);
    expect(stats.regexMatches).toBeGreaterThan(stats.runs / 20);
    expect(stats.foldMatches).toBeGreaterThan(stats.runs / 40);
    // Search-first must be exercised with each kind of anchor, and must skip lines.
    expect(stats.literal).toBeGreaterThan(stats.runs / 10);
    expect(stats.fold).toBeGreaterThan(stats.runs / 20);
    expect(stats.dfa).toBeGreaterThan(stats.runs / 500); // only the non-ASCII-first patterns qualify
    expect(stats.skippedLines).toBeGreaterThan(stats.runs / 10);
  });

  test('the DFA runner and the Pike VM give the same matches for the same patterns', async () => {
    const assertionFree = MSG_PATTERNS.filter((r) => COMPILERS.dfa(r.src, { fullMatch: false }).kind === 'dfa');
    expect(assertionFree.length).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(file, fc.array(fc.constantFrom(...assertionFree.map((r) => r.src)), { minLength: 1, maxLength: 2 }), fc.boolean(), async (data, patterns, negate) => {
        const p = program({ lineFilters: patterns.map((pattern) => ({ op: negate ? 'notRegex' : 'regex', pattern, automaton: SUMMARY })) });
        k.setProgram(p, { compile: COMPILERS.dfa });
        const viaDfa = await runScan(k, data, { blockSize: 64 });
        k.setProgram(p, { compile: COMPILERS.pike });
        const viaPike = await runScan(k, data, { blockSize: 64 });
        expect(viaPike.matches).toEqual(viaDfa.matches);
      }),
      { numRuns: 300 },
    );
  });

  test('case-folded search on random bytes agrees with the reference', async () => {
    const alphabet = fc.constantFrom(...'aAbBzZ@`[{]}\\|^~_ \x7f\x80\xc3\xa9'.split('').map((c) => c.charCodeAt(0)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(alphabet, { maxLength: 40 }), { maxLength: 8 }), fc.array(alphabet, { maxLength: 4 }), async (msgs, nd) => {
        const head = new TextEncoder().encode('2000-01-01T00:00:00Z[a|b|c] ');
        const parts: number[] = [];
        for (const m of msgs) parts.push(...head, ...m, 0x0a);
        const bytes = Uint8Array.from(parts);
        // The needle is text in the program; keep it to ASCII so that it is the same bytes.
        const needleText = String.fromCharCode(...nd.filter((b) => b < 0x80));
        const p = program({ lineFilters: [{ op: 'contains', needle: needleText, caseInsensitive: true }] });
        k.setProgram(p);
        const got = await runScan(k, bytes, { blockSize: 37 });
        const want = referenceScan(bytes, p);
        expect(got.matches.map((m) => m.lineNo)).toEqual(want.matches.map((m) => m.lineNo));
      }),
      { numRuns: 500 },
    );
  });

  test('random bytes never crash and agree with the reference', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), fc.constantFrom('a', 'ab', 'Q', '\x80'), async (bytes, blockSize, needle) => {
        const p = program({ lineFilters: [{ op: 'contains', needle }] });
        k.setProgram(p);
        const got = await runScan(k, bytes, { blockSize });
        const want = referenceScan(bytes, p, { searchAnchor: k.searchAnchor });
        expect([got.lines, got.validated, got.badLines, got.matches.length]).toEqual([want.lines, want.validated, want.badLines, want.matches.length]);
      }),
      { numRuns: 300 },
    );
  });
});
