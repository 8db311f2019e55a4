/**
 * Differential fuzzing against RE2 (re2-wasm): generated patterns over the RE2 grammar
 * (parsed by our parser) × generated lines (UTF-8 with Korean and other multi-byte text,
 * and lone invalid bytes). For each pair: the DFA, the Pike VM and both kernel automata
 * (search, and full match against RE2's `^(?:p)$`) must give RE2's yes/no, and on valid
 * UTF-8 the Pike VM's match must sit at RE2's position.
 *
 * The oracle sees `new TextDecoder().decode(bytes)`: a lone invalid byte becomes U+FFFD,
 * which is also what Go reads for it, so yes/no answers must agree. Known, documented
 * differences between RE2 (as re2-wasm ships it) and Go, which we follow (the same pairs
 * also run through the real WASM kernel, as a `|~` filter over Lethe lines):
 * 1. `\B` is tested by RE2 at every byte, by Go only between runes: `\B` on a line with
 *    non-ASCII text is not compared.
 * 2. A star over a body that can match empty (`(?:|a)*`, `(?:a*?)*`): Go compiles it as
 *    `(x+)?` (Go issue 46123) and prefers stopping; re2-wasm's RE2 takes one more
 *    iteration. Only the match *position* can differ, so positions are not compared then.
 * 3. Positions are compared on valid UTF-8 only (RE2 sees U+FFFD as 3 bytes, Go as 1).
 * 4. Truncated sequences (a lead byte without its continuation) are not generated: Go reads
 *    the lead byte as U+FFFD, our classes do not match it (compile.ts).
 * 5. Go accepts duplicate group names (`(?P<n>a)(?P<n>b)`), RE2 rejects them: generated
 *    names are made unique.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KernelAutomaton } from '../../src/regex/automaton.js';
import { dfaTest } from '../../src/regex/dfa.js';
import { compileForKernel, compileRegex } from '../../src/regex/index.js';
import { RegexSyntaxError } from '../../src/regex/errors.js';
import { pikeSearch, pikeTest } from '../../src/regex/pike.js';
import { parseRegex } from '../../src/regex/syntax.js';
import { Kernel } from '../../src/scan/kernel.js';
import { program, runScan } from '../scan/helpers.js';
import { hasNotWordBoundary, hasNullableStar, RE2, re2MatchSpan, releaseRe2, type Re2Instance } from '../support/re2.js';
import { lineArb, patternArb } from '../support/regex-arbitraries.js';

const enc = new TextEncoder();
const runKernel = (a: KernelAutomaton, bytes: Uint8Array): boolean => (a.kind === 'dfa' ? dfaTest(a.dfa, bytes) : pikeTest(a.prog, bytes));
const utf8Length = (s: string): number => enc.encode(s).length;

/** The lines as one Lethe file (lines holding `\n` left out: they would be two lines), and their indexes. */
const LINE_PREFIX = enc.encode('2024-09-24T13:00:00.000000Z[ns|pod|c] ');
function letheFile(lines: Uint8Array[]): { bytes: Uint8Array; kept: number[] } {
  const kept = lines.flatMap((l, i) => (l.includes(0x0a) ? [] : [i]));
  const parts = kept.flatMap((i) => [LINE_PREFIX, lines[i]!, Uint8Array.of(0x0a)]);
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, kept };
}

describe('differential: letheql regex engine vs re2-wasm', async () => {
  // The real WASM kernel, as queries run it: the pattern as a `|~` line filter on Lethe lines.
  const kernel = await Kernel.load();

  it('≥ 10,000 generated (pattern, line) cases agree (seeded), in the TS engines and in the WASM kernel', async () => {
    const decoder = new TextDecoder();
    let cases = 0;
    let matches = 0;
    let positions = 0;
    let pikeFallbacks = 0;
    let rejected = 0;
    let kernelCases = 0;
    await fc.assert(
      fc.asyncProperty(patternArb, fc.array(lineArb, { minLength: 4, maxLength: 4 }), async (generated, lines) => {
        // Unique group names: Go accepts duplicates (difference 5), RE2 rejects them.
        let groups = 0;
        const pattern = generated.replace(/\(\?P<n>/g, () => `(?P<n${++groups}>`);
        let re: Re2Instance;
        try {
          re = new RE2(pattern, 'u');
        } catch {
          // RE2 rejects it (e.g. a duplicate group name): so must we.
          expect(() => parseRegex(pattern), `RE2 rejects ${pattern}`).toThrow(RegexSyntaxError);
          rejected++;
          return;
        }
        const reFull = new RE2(`^(?:${pattern})$`, 'u');
        try {
          const parsed = parseRegex(pattern);
          const ours = compileRegex(pattern);
          const kSearch = compileForKernel(pattern, { fullMatch: false });
          const kFull = compileForKernel(pattern, { fullMatch: true });
          if (kSearch.kind === 'pike') pikeFallbacks++;
          // The WASM kernel scans the lines as a file: it must keep exactly the lines RE2 matches.
          const { bytes: file, kept } = letheFile(lines);
          const summary = { engine: kSearch.kind, size: 0 } as const;
          kernel.setProgram(program({ lineFilters: [{ op: 'regex', pattern, automaton: summary }] }));
          const viaKernel = (await runScan(kernel, file)).matches.map((m) => kept[m.lineNo - 1]!);
          const viaRe2 = kept.filter((i) => re.test(decoder.decode(lines[i]!)));
          const notWordBoundary = hasNotWordBoundary(parsed.root);
          if (!(notWordBoundary && kept.some((i) => lines[i]!.some((b) => b >= 0x80)))) {
            expect(viaKernel, `WASM kernel on ${pattern}: ${JSON.stringify(kept.map((i) => decoder.decode(lines[i]!)))}`).toEqual(viaRe2);
            kernelCases += kept.length;
          }
          const nullableStar = hasNullableStar(parsed.root);
          for (const bytes of lines) {
            cases++;
            const text = decoder.decode(bytes);
            const ascii = bytes.every((b) => b < 0x80);
            const valid = utf8Length(text) === bytes.length;
            const where = `${pattern} on ${JSON.stringify(text)} [${[...bytes].map((b) => b.toString(16))}]`;
            const slots = pikeSearch(ours.prog, bytes);
            const found = slots !== null;
            // Our engines agree with each other, always.
            expect(ours.testBytes(bytes), `DFA: ${where}`).toBe(found);
            expect(pikeTest(ours.prog, bytes), `pikeTest: ${where}`).toBe(found);
            expect(runKernel(kSearch, bytes), `kernel search: ${where}`).toBe(found);
            if (notWordBoundary && !ascii) continue; // difference 1
            expect(found, `search: ${where}`).toBe(re.test(text));
            expect(runKernel(kFull, bytes), `kernel full match: ${where}`).toBe(reFull.test(text));
            if (!found) continue;
            matches++;
            if (!valid || nullableStar) continue; // differences 3 and 2
            expect([slots[0], slots[1]], `position: ${where}`).toEqual(re2MatchSpan(text, re.exec(text)!));
            positions++;
          }
        } finally {
          releaseRe2(re);
          releaseRe2(reFull);
        }
      }),
      { numRuns: 3600, seed: 0x1e7e9, endOnFailure: true },
    );
    expect(cases).toBeGreaterThanOrEqual(10_000);
    expect(kernelCases).toBeGreaterThanOrEqual(10_000);
    // The generator must produce enough matches for the positions to mean something.
    expect(matches).toBeGreaterThan(cases / 5);
    expect(positions).toBeGreaterThan(cases / 10);
    expect(pikeFallbacks).toBeLessThan(50);
    expect(rejected).toBeLessThan(100);
  });
});
