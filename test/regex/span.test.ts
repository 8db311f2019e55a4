/**
 * The span finder (src/regex/span.ts) behind `CompiledPattern.exec`: lazy forward and
 * reverse DFAs find the leftmost-first match's span, the Pike VM fills the groups on it.
 * It must give exactly what the Pike VM alone gives (every slot, on any bytes, from any
 * start), and RE2's groups on valid UTF-8 (re2-wasm as the oracle, with the documented
 * differences of test/regex/differential.test.ts skipped).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backtrackSpan } from '../../src/regex/backtrack.js';
import { compileRegex } from '../../src/regex/index.js';
import { isOnePass, onePassSpan } from '../../src/regex/onepass.js';
import { compileProg } from '../../src/regex/compile.js';
import { RegexSyntaxError } from '../../src/regex/errors.js';
import { pikeSearch } from '../../src/regex/pike.js';
import { SPAN_FOUND, SPAN_GAVE_UP, SPAN_NONE, SpanFinder } from '../../src/regex/span.js';
import { parseRegex } from '../../src/regex/syntax.js';
import { hasNotWordBoundary, hasNullableStar, RE2, releaseRe2 } from '../support/re2.js';
import { lineArb, patternArb } from '../support/regex-arbitraries.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const slotsOf = (s: Int32Array | null): number[] | null => (s ? [...s] : null);

describe('span finder', () => {
  it.each([
    // [pattern, text, expected [start, end] or null]
    ['abcd|c', 'abcd', [0, 4]],
    ['c|abcd', 'abcd', [0, 4]],
    ['a+?', 'xaaa', [1, 2]],
    ['a+', 'xaaa', [1, 4]],
    ['(?P<method>[A-Z]+) (?P<path>\\S+) HTTP', '10.0.0.1 - - "GET /api/v1/users HTTP/1.1" 200', [14, 36]],
    ['\\bfoo\\b', 'afoo foo', [5, 8]],
    ['\\Bfoo', 'foo afoo', [5, 8]],
    ['^x', 'ax\nx', null],
    ['(?m)^x', 'ax\nx', [3, 4]],
    ['x$', 'x\nx', [2, 3]],
    ['(?m)x$', 'ax\nx', [1, 2]],
    ['', 'abc', [0, 0]],
    ['a*', 'baa', [0, 0]],
    ['결제 (실패|성공)', '주문 결제 실패: 카드', [7, 20]],
    ['\\pL+', '123 한국어 abc', [4, 13]],
    ['(x+x+)+y', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', null],
    ['(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaab', null],
    ['(?P<k>\\w+)=(?P<v>[^ ]*)', 'x level=info msg=hi', [2, 12]],
    ['(a)|(b)', 'xb', [1, 2]],
  ] as [string, string, [number, number] | null][])('%s on %j', (pattern, text, want) => {
    const re = compileRegex(pattern);
    const bytes = enc.encode(text);
    const got = re.exec(bytes);
    expect(got ? [got[0], got[1]] : null).toEqual(want);
    expect(slotsOf(got)).toEqual(slotsOf(pikeSearch(re.prog, bytes)));
  });

  it('answers none / found without the Pike VM, and gives up past its budget', () => {
    const f = new SpanFinder(compileProg(parseRegex('user/[0-9]+')));
    const bytes = enc.encode('GET /user/42 and /user/7');
    expect(f.find(bytes, 0, bytes.length)).toBe(SPAN_FOUND);
    expect([f.matchStart, f.matchEnd]).toEqual([5, 12]);
    expect(f.find(bytes, 12, bytes.length)).toBe(SPAN_FOUND);
    expect([f.matchStart, f.matchEnd]).toEqual([18, 24]);
    expect(f.find(bytes, 0, 8)).toBe(SPAN_NONE);
    // (a|b)*a(a|b){12}: the forward DFA needs 2^21 states; past the budget the caller runs the Pike VM.
    const big = compileRegex('(a|b)*a(a|b){20}c');
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
    const text = enc.encode(Array.from({ length: 30_000 }, () => (random() & 1 ? 'a' : 'b')).join('') + 'c');
    const g = new SpanFinder(big.prog);
    expect(g.find(text, 0, text.length)).toBe(SPAN_GAVE_UP);
    expect(slotsOf(big.exec(text))).toEqual(slotsOf(pikeSearch(big.prog, text)));
  });

  it('gives the Pike VM\'s slots on generated patterns and bytes, from every start (seeded)', () => {
    let cases = 0;
    let found = 0;
    let gaveUp = 0;
    let onePass = 0;
    fc.assert(
      fc.property(patternArb, fc.array(lineArb, { minLength: 3, maxLength: 3 }), (generated, lines) => {
        let groups = 0;
        const pattern = generated.replace(/\(\?P<n>/g, () => `(?P<n${++groups}>`);
        let re;
        try {
          re = compileRegex(pattern);
        } catch (e) {
          if (e instanceof RegexSyntaxError) return;
          throw e;
        }
        const finder = new SpanFinder(re.prog);
        for (const bytes of lines) {
          for (let start = 0; start <= bytes.length; start++) {
            const want = pikeSearch(re.prog, bytes, { start });
            const got = re.execIn(bytes, start, bytes.length);
            const where = `${pattern} on [${[...bytes].map((b) => b.toString(16))}] from ${start}`;
            cases++;
            expect(slotsOf(got), where).toEqual(slotsOf(want));
            const span = finder.find(bytes, start, bytes.length);
            expect(finder.inconsistencies, `span finder: ${where}`).toBe(0);
            if (span !== SPAN_GAVE_UP) expect(span === SPAN_FOUND ? [finder.matchStart, finder.matchEnd] : null, `span: ${where}`).toEqual(want ? [want[0], want[1]] : null);
            else gaveUp++;
            if (!want) continue;
            found++;
            // Each engine on the span, not only the one exec picked.
            expect(slotsOf(backtrackSpan(re.prog, bytes, start, bytes.length, want[0]!, want[1]!)), `backtrack: ${where}`).toEqual(slotsOf(want));
            expect(slotsOf(pikeSearch(re.prog, bytes, { start, from: want[0]!, to: want[1]! })), `pike on the span: ${where}`).toEqual(slotsOf(want));
            if (isOnePass(re.prog)) {
              onePass++;
              expect(slotsOf(onePassSpan(re.prog, bytes, want[0]!, want[1]!)), `one-pass: ${where}`).toEqual(slotsOf(want));
            }
          }
        }
      }),
      { numRuns: 3000, seed: 0x5e4a, endOnFailure: true },
    );
    expect(cases).toBeGreaterThan(20_000);
    expect(found).toBeGreaterThan(cases / 5);
    expect(gaveUp).toBeLessThan(cases / 100);
    expect(onePass).toBeGreaterThan(found / 10);
  });

  it('gives RE2\'s groups on valid UTF-8 (re2-wasm, seeded)', () => {
    let compared = 0;
    fc.assert(
      fc.property(patternArb, fc.array(lineArb, { minLength: 4, maxLength: 4 }), (generated, lines) => {
        let groups = 0;
        const pattern = generated.replace(/\(\?P<n>/g, () => `(?P<n${++groups}>`);
        let oracle;
        try {
          oracle = new RE2(pattern, 'u');
        } catch {
          return;
        }
        try {
          const parsed = parseRegex(pattern);
          if (hasNullableStar(parsed.root)) return; // difference 2 of differential.test.ts
          const re = compileRegex(pattern);
          for (const bytes of lines) {
            const text = dec.decode(bytes);
            if (enc.encode(text).length !== bytes.length) continue; // positions on valid UTF-8 only
            if (hasNotWordBoundary(parsed.root) && bytes.some((b) => b >= 0x80)) continue; // difference 1
            const m = oracle.exec(text);
            const slots = re.exec(bytes);
            const ours = slots ? Array.from({ length: re.captureCount + 1 }, (_, g) => (slots[2 * g]! < 0 ? undefined : dec.decode(bytes.subarray(slots[2 * g]!, slots[2 * g + 1]!)))) : null;
            const theirs = m ? Array.from({ length: re.captureCount + 1 }, (_, g) => m[g]) : null;
            expect(ours, `${pattern} on ${JSON.stringify(text)}`).toEqual(theirs);
            compared++;
          }
        } finally {
          releaseRe2(oracle);
        }
      }),
      { numRuns: 2000, seed: 0x9a7e, endOnFailure: true },
    );
    expect(compared).toBeGreaterThan(3000);
  });
});
