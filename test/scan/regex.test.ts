/**
 * Regex label matchers and line filters in the kernel (DFA runner and Pike VM), with
 * hand-built automata (test/scan/automata.ts), checked three ways: against expected line
 * numbers, against re2-wasm on the pattern text, and against the reference runners on the
 * very automaton the kernel ran. Every pattern runs through both kernel engines.
 */
import { describe, expect, test } from 'vitest';
import type { KernelLabelMatcher, KernelLineFilter, KernelProgram } from '../../src/plan/program.js';
import { Kernel } from '../../src/scan/kernel.js';
import type { RegexCompiler } from '../../src/scan/program-codec.js';
import { alt, bol, bot, cat, eol, eot, group, handCompiler, lit, never, notWordB, opt, plus, prog, range, re2Test, runAutomaton, star, wordB, type Re } from './automata.js';
import { program, referenceScan, sweep, type RefRegexTest } from './helpers.js';

const T = '2009-11-10T23:00:00Z';
const lines = [
  `${T}[ns1|nginx-1|nginx] GET /index.html 200`, // 1
  `${T}[ns1|nginx-1|sidecar] abd abcbcd acd`, // 2
  `${T}[ns2|apache-1|httpd] xabcdx ad`, // 3
  `${T}[ns2|apache-12|httpd] POST /login 500 error`, // 4
  `${T}[ns1|nginx-10|nginx] ünïcödé ✓ message`, // 5
  `${T}[ns1||nginx] `, // 6 (empty message)
  `${T}[ns1|nginx-x|nginx] aab b ab_ a\tb`, // 7
  `${T}[ns1|nginx-1|nginx] GET x 200 ok`, // 8
  `${T}[ns1|nginx-1|nginx] 1234`, // 9
];
const data = lines.join('\n') + '\n';

const AB = lit('ab');
const ABCD = cat(lit('a'), star(alt(lit('b'), lit('c'))), lit('d'));
const WORD_ABCD = cat(wordB, ABCD, wordB);
const GET_WORD = cat(lit('GET '), plus(alt(range('a', 'z'), lit('/'))));
const DIGITS3 = cat(range('0', '9'), range('0', '9'), range('0', '9'));
const UNI = alt(lit('é'), lit('✓'));
const EMPTY = lit('');
const STAR_A = star(lit('a'));
const NEVER = never;
const BEGIN_GET = cat(bot, lit('GET'));
const END_200 = cat(lit('200'), eot);
const INNER_B = cat(notWordB, lit('b'));
const LINE_AB = cat(bol, lit('a'), opt(lit('b')), eol);
const GROUPED = cat(group(plus(lit('a'))), lit('b'), wordB);
const NGINX_N = cat(lit('nginx-'), plus(range('0', '9')));
const NGINX_ANY = cat(lit('nginx'), star(alt(lit('-'), range('0', '9'))));

/** Every pattern the cases use (the helpers below add theirs), for handCompiler. */
const ALL: Re[] = [AB, ABCD, WORD_ABCD, GET_WORD, DIGITS3, UNI, EMPTY, STAR_A, NEVER, BEGIN_GET, END_200, INNER_B, LINE_AB, GROUPED, NGINX_N, NGINX_ANY];
const ENGINES = ['dfa', 'pike'] as const;

const filter = (op: 'regex' | 'notRegex', r: Re): KernelLineFilter => {
  ALL.push(r);
  return { op, pattern: r.src, automaton: { engine: 'dfa', size: 0 } };
};
const matcher = (field: number, op: 'regex' | 'notRegex', r: Re): KernelLabelMatcher => {
  ALL.push(r);
  return { field, op, pattern: r.src, automaton: { engine: 'dfa', size: 0 } };
};

const filterCases: [string, KernelLineFilter[], number[]][] = [
  ['literal ab', [filter('regex', AB)], [2, 3, 7]],
  ['a(b|c)*d', [filter('regex', ABCD)], [2, 3]],
  ['\\ba(b|c)*d\\b: xabcdx is not a word match', [filter('regex', WORD_ABCD)], [2, 3]],
  ['GET [a-z/]+', [filter('regex', GET_WORD)], [1, 8]],
  ['three digits', [filter('regex', DIGITS3)], [1, 4, 8, 9]],
  ['UTF-8 alternatives', [filter('regex', UNI)], [5]],
  ['empty pattern matches every line', [filter('regex', EMPTY)], [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ['a* matches every line (empty match)', [filter('regex', STAR_A)], [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ['never matches nothing', [filter('regex', NEVER)], []],
  ['notRegex never matches everything', [filter('notRegex', NEVER)], [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ['notRegex empty matches nothing', [filter('notRegex', EMPTY)], []],
  ['\\AGET: the message start, not the line start', [filter('regex', BEGIN_GET)], [1, 8]],
  ['200\\z', [filter('regex', END_200)], [1]],
  ['\\Bb', [filter('regex', INNER_B)], [2, 3, 7]],
  ['(?m)^ab?$ needs the whole message', [filter('regex', LINE_AB)], []],
  ['(a+)b\\b', [filter('regex', GROUPED)], [7]],
  ['\\bab\\b: _ is a word byte', [filter('regex', cat(wordB, AB, wordB))], []],
  ['\\Bab_', [filter('regex', cat(notWordB, AB, lit('_')))], []],
  ['\\bab_', [filter('regex', cat(wordB, AB, lit('_')))], [7]],
  ['notRegex', [filter('notRegex', AB)], [1, 4, 5, 6, 8, 9]],
  ['regex and literal, all must hold', [{ op: 'contains', needle: '200' }, filter('notRegex', cat(lit('ok'), eot))], [1]],
];

const labelCases: [string, KernelLabelMatcher[], number[]][] = [
  ['nginx-[0-9]+ is a full match', [matcher(1, 'regex', NGINX_N)], [1, 2, 5, 8, 9]],
  ['notRegex on a field', [matcher(1, 'notRegex', NGINX_N)], [3, 4, 6, 7]],
  ['a search pattern does not match a longer field', [matcher(1, 'regex', AB)], []],
  ['empty pattern matches only the empty field', [matcher(1, 'regex', EMPTY)], [6]],
  ['a* matches the empty field', [matcher(1, 'regex', STAR_A)], [6]],
  ['two regex matchers', [matcher(2, 'regex', NGINX_ANY), matcher(1, 'notRegex', cat(lit('nginx-1'), opt(lit('0'))))], [6, 7]],
  ['regex and eq', [{ field: 0, op: 'eq', value: 'ns2' }, matcher(1, 'regex', cat(lit('apache-'), DIGITS3))], []],
  ['\\b in a full match', [matcher(2, 'regex', cat(wordB, lit('httpd'), wordB))], [3, 4]],
];

/** Runs `p` through the kernel with `compile`; checks it against re2-wasm and against the reference runners. */
async function check(k: Kernel, p: KernelProgram, compile: RegexCompiler): Promise<number[]> {
  k.setProgram(p, { compile });
  const r = await sweep(k, data);
  const viaRe2 = referenceScan(data, p, { regexTest: re2Test });
  const sameAutomaton: RefRegexTest = (pattern, text, fullMatch) => runAutomaton(compile(pattern, { fullMatch }), text, fullMatch);
  const viaRunners = referenceScan(data, p, { regexTest: sameAutomaton });
  expect(r.matches).toEqual(viaRe2.matches);
  expect(r.matches).toEqual(viaRunners.matches);
  return r.matches.map((m) => m.lineNo);
}

describe('hand-built automata agree with re2-wasm', () => {
  const texts = ['', 'a', 'ab', 'abd', 'xabcdx', 'a b', 'ab_', 'é', '✓x', 'GET /x', ' GET', '200', '2000', 'nginx-1', 'nginx-', 'a\nb', 'ab\n'];
  test.each(ALL.map((r) => [r.src, r] as const))('%s', (_src, r) => {
    for (const engine of ENGINES) {
      const compile = handCompiler([r], engine);
      for (const fullMatch of [false, true]) {
        const a = compile(r.src, { fullMatch });
        for (const t of texts) {
          const bytes = new TextEncoder().encode(t);
          expect(runAutomaton(a, bytes, fullMatch), `${engine} ${fullMatch ? 'full' : 'search'} ${JSON.stringify(t)}`).toBe(re2Test(r.src, bytes, fullMatch));
        }
      }
    }
  });

  test('the DFA path is really taken for assertion-free patterns', () => {
    expect(handCompiler([ABCD], 'dfa')(ABCD.src, { fullMatch: false }).kind).toBe('dfa');
    expect(handCompiler([WORD_ABCD], 'dfa')(WORD_ABCD.src, { fullMatch: false }).kind).toBe('pike');
  });
});

describe('regex line filters', async () => {
  const k = await Kernel.load();
  for (const engine of ENGINES) {
    test.each(filterCases)(`${engine}: %s`, async (_name, lineFilters, want) => {
      expect(await check(k, program({ lineFilters }), handCompiler(ALL, engine))).toEqual(want);
    });
  }
});

describe('regex label matchers (full match)', async () => {
  const k = await Kernel.load();
  for (const engine of ENGINES) {
    test.each(labelCases)(`${engine}: %s`, async (_name, labelMatchers, want) => {
      expect(await check(k, program({ labelMatchers }), handCompiler(ALL, engine))).toEqual(want);
    });
  }

  test('an unwrapped Pike program is anchored at both ends by its flags', async () => {
    // The encoder marks full-match Pike programs; the kernel must not rely on \A…\z inside them.
    const unwrapped: RegexCompiler = (pattern) => ({ kind: 'pike', prog: prog(ALL.find((r) => r.src === pattern)!) });
    for (const [, labelMatchers, want] of labelCases) {
      k.setProgram(program({ labelMatchers }), { compile: unwrapped });
      const r = await sweep(k, data);
      expect(r.matches.map((m) => m.lineNo)).toEqual(want);
    }
  });

  test('node lines: a regex on field 1', async () => {
    const node = `${T}[node01|kubelet] a\n${T}[node01|containerd] b\n${T}[node02|kube-proxy] c\n`;
    const KUBE = cat(lit('kube'), star(alt(range('a', 'z'), lit('-'))));
    for (const engine of ENGINES) {
      k.setProgram(program({ fieldCount: 2, labelMatchers: [matcher(1, 'regex', KUBE)] }), { compile: handCompiler([KUBE], engine) });
      const r = await sweep(k, node);
      expect(r.matches.map((m) => m.lineNo)).toEqual([1, 3]);
    }
  });
});

describe('rune boundaries', async () => {
  const k = await Kernel.load();
  test('an unanchored Pike search starts only at rune boundaries (src/regex/compile.ts)', async () => {
    // A program for one continuation byte, as a class with U+FFFD compiles for invalid bytes.
    const cont: RegexCompiler = () => ({ kind: 'pike', prog: { insts: Int32Array.from([4, 0, 0, 0, 0, 0x80, 0xbf, 0]), start: 1, slotCount: 2, anchoredStart: false } });
    const msgs: [number[], boolean][] = [
      [[0xc3, 0xa9], false], // é: A9 continues C3
      [[0x61, 0xa9], true], // a lone continuation byte is a rune
      [[0xe4, 0xb8, 0x78], false], // truncated: B8 still continues E4
      [[0xe4, 0x78, 0xb8], true], // after the truncation, B8 is lone
      [[0xc3, 0xa9, 0xa9], true], // the second A9 is lone
      [[0xf0, 0x9f, 0x98, 0x80], false], // 😀
    ];
    const head = new TextEncoder().encode(`${T}[a|b|c] `);
    const bytes = Uint8Array.from(msgs.flatMap(([m]) => [...head, ...m, 0x0a]));
    k.setProgram(program({ lineFilters: [{ op: 'regex', pattern: 'cont', automaton: { engine: 'pike', size: 2 } }] }), { compile: cont });
    const r = await sweep(k, bytes);
    const want = msgs.flatMap(([, m], i) => (m ? [i + 1] : []));
    expect(r.matches.map((m) => m.lineNo)).toEqual(want);
    const a = cont('cont', { fullMatch: false });
    expect(msgs.map(([m]) => runAutomaton(a, Uint8Array.from(m), false))).toEqual(msgs.map(([, w]) => w));
  });
});

describe('long texts', async () => {
  const k = await Kernel.load();
  test('matches at every position of long messages, both engines', async () => {
    // Exercises the DFA's 4-byte unrolled loop and its tail, and Pike threads across many positions.
    const out: string[] = [];
    const want: number[] = [];
    for (let len = 0; len < 40; len++) {
      for (const at of [0, Math.floor(len / 2), len - 4]) {
        if (at < 0 || at + 4 > len) {
          out.push(`${T}[a|b|c] ${'x'.repeat(len)}`);
          continue;
        }
        out.push(`${T}[a|b|c] ${'x'.repeat(at)}abcd${'x'.repeat(len - at - 4)}`);
        want.push(out.length);
      }
    }
    const text = out.join('\n');
    for (const engine of ENGINES) {
      k.setProgram(program({ lineFilters: [filter('regex', ABCD)] }), { compile: handCompiler([ABCD], engine) });
      const r = await sweep(k, text);
      expect(r.matches.map((m) => m.lineNo), engine).toEqual(want);
    }
  });
});
