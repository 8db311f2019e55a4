/**
 * The kernel's regex engines with the real compiler (`src/regex/`, `compileForKernel`):
 * random pod lines and RE2 patterns (flags, classes, Unicode, anchors, word boundaries,
 * counted repetition, one pattern over the DFA budget), each program run through the kernel
 * twice — the compiler's choice (mostly the DFA runner) and the Pike VM forced by encoding
 * the program itself — against the TS runners of `src/regex/` on the same automata and
 * against re2-wasm.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { KernelLabelMatcher, KernelLineFilter } from '../../src/plan/program.js';
import type { KernelAutomaton } from '../../src/regex/automaton.js';
import { compileProg } from '../../src/regex/compile.js';
import { dfaTest } from '../../src/regex/dfa.js';
import { compileForKernel, fullMatchTree } from '../../src/regex/index.js';
import { pikeTest } from '../../src/regex/pike.js';
import { parseRegex } from '../../src/regex/syntax.js';
import { Kernel } from '../../src/scan/kernel.js';
import type { RegexCompiler } from '../../src/scan/program-codec.js';
import { re2Test } from './automata.js';
import { program, referenceScan, runScan, type RefRegexTest } from './helpers.js';

const MSG_PATTERNS = [
  'error',
  '(?i)error',
  '\\berror\\b',
  '^GET',
  'GET$',
  '(?m)^foo$',
  '\\d+',
  '\\d{2,3}x',
  '[[:alpha:]]+_',
  '\\pL{2}',
  'é|✓',
  '(?i)é',
  '^.$',
  'a.b',
  '(foo|bar)+ ',
  'fo{2,}',
  '\\Bbar',
  '\\w+\\s\\w+$',
  '[^a-z ]',
  '(?i)GeT /API',
  '^$',
  '\\A\\z',
  '(?i)foo(?-i:BAR)',
  '',
  'x*',
  '(a|b)*a(a|b){12}', // over the DFA budget: the compiler picks the Pike VM
];
const FIELD_PATTERNS = ['nginx-\\d+', '(?i)nginx.*', 'a|b', '.*', '', 'a?', '\\w+', 'é', '[^-]+', '\\bab\\b', 'ab*'];

const FIELDS = ['a', 'b', 'ab', '', 'é', 'nginx-1', 'nginx-10', 'Nginx', 'abbb', 'x-y'];
const MSG_PARTS = ['GET', 'get', 'Error', 'error', ' ', 'foo', 'FOO', 'bar', 'BAR', 'foobar', '_', '-', '12', '3', 'x', 'é', 'É', '✓', '한', 'a', 'b', 'ab', '/api', '/API', '\t', '\r'];

const memo = (c: RegexCompiler): RegexCompiler => {
  const cache = new Map<string, KernelAutomaton>();
  return (pattern, opts) => {
    const key = `${opts.fullMatch ? 'F' : 'S'}${pattern}`;
    let a = cache.get(key);
    if (!a) cache.set(key, (a = c(pattern, opts)));
    return a;
  };
};
const compiler = memo(compileForKernel);
/** The Pike VM for every pattern: the program encoded directly, whatever the DFA budget. */
const pikeOnly = memo((pattern, { fullMatch }) => {
  const parsed = parseRegex(pattern);
  return { kind: 'pike', prog: compileProg(fullMatch ? fullMatchTree(parsed) : parsed) };
});

const runners =
  (compile: RegexCompiler): RefRegexTest =>
  (pattern, text, fullMatch) => {
    const a = compile(pattern, { fullMatch });
    return a.kind === 'dfa' ? dfaTest(a.dfa, text) : pikeTest(a.prog, text);
  };

const T = '2009-11-10T23:00:00Z';
const line = fc
  .tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...FIELDS), fc.constantFrom(...FIELDS), fc.array(fc.constantFrom(...MSG_PARTS), { maxLength: 10 }))
  .map(([a, b, c, m]) => `${T}[${a}|${b}|${c}] ${m.join('')}`);
const file = fc.array(line, { minLength: 1, maxLength: 30 }).map((ls) => ls.join('\n') + '\n');
const SUMMARY = { engine: 'dfa', size: 0 } as const;
const lineFilter: fc.Arbitrary<KernelLineFilter> = fc.record({ op: fc.constantFrom('regex' as const, 'notRegex' as const), pattern: fc.constantFrom(...MSG_PATTERNS), automaton: fc.constant(SUMMARY) });
const labelMatcher: fc.Arbitrary<KernelLabelMatcher> = fc.record({ field: fc.integer({ min: 0, max: 2 }), op: fc.constantFrom('regex' as const, 'notRegex' as const), pattern: fc.constantFrom(...FIELD_PATTERNS), automaton: fc.constant(SUMMARY) });

describe('kernel regexes with the real compiler', async () => {
  const k = await Kernel.load();

  test('both engines are exercised', () => {
    expect(compiler('(a|b)*a(a|b){12}', { fullMatch: false }).kind).toBe('pike');
    expect(compiler('\\berror\\b', { fullMatch: false }).kind).toBe('dfa');
    expect(compiler('nginx-\\d+', { fullMatch: true }).kind).toBe('dfa');
  });

  test('random lines and patterns: compiler choice = forced Pike = TS runners = re2-wasm', async () => {
    let withMatches = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(file, fc.array(labelMatcher, { maxLength: 1 }), fc.array(lineFilter, { minLength: 1, maxLength: 2 }), fc.integer({ min: 16, max: 400 }), async (data, labelMatchers, lineFilters, blockSize) => {
        const p = program({ labelMatchers, lineFilters });
        k.setProgram(p, { compile: compiler });
        const viaChoice = await runScan(k, data, { blockSize });
        k.setProgram(p, { compile: pikeOnly });
        const viaPike = await runScan(k, data, { blockSize });
        const want = referenceScan(data, p, { regexTest: runners(compiler) });
        expect(viaChoice.matches).toEqual(want.matches);
        expect(viaPike.matches).toEqual(want.matches);
        expect(referenceScan(data, p, { regexTest: runners(pikeOnly) }).matches).toEqual(want.matches);
        expect(referenceScan(data, p, { regexTest: re2Test }).matches).toEqual(want.matches);
        runs++;
        if (want.matches.length > 0) withMatches++;
      }),
      { numRuns: 250 },
    );
    expect(withMatches).toBeGreaterThan(runs / 4);
  });

  test.each(MSG_PATTERNS)('every line through %s, both engines, against re2-wasm', async (pattern) => {
    // One line per message part pair: a fixed corpus, so each pattern sees the same texts.
    const lines = MSG_PARTS.flatMap((a) => MSG_PARTS.map((b) => `${T}[a|b|c] ${a}${b}${a}`));
    const data = lines.join('\n');
    const p = program({ lineFilters: [{ op: 'regex', pattern, automaton: SUMMARY }] });
    const want = referenceScan(data, p, { regexTest: re2Test }).matches.map((m) => m.lineNo);
    for (const compile of [compiler, pikeOnly]) {
      k.setProgram(p, { compile });
      const r = await runScan(k, data, { blockSize: 4096 });
      expect(r.matches.map((m) => m.lineNo)).toEqual(want);
    }
  });
});
