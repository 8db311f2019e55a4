import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyseLiterals } from '../../src/regex/prefilter.js';
import { parseRegex } from '../../src/regex/syntax.js';
import { mulberry32 } from '../../scripts/lib/prng.mjs';
import { RE2, releaseRe2, type Re2Instance } from '../support/re2.js';

/** The prefilter literal for `pattern`, or null (also for patterns our parser rejects: such a filter never runs). */
function requiredLiteral(pattern: string, minLength = 2): string | null {
  let parsed;
  try {
    parsed = parseRegex(pattern);
  } catch {
    return null;
  }
  return analyseLiterals(parsed, minLength).required;
}

// The oracle: RE2 itself (test/support/re2.ts).

function compile(pattern: string): Re2Instance | null {
  try {
    return new RE2(pattern, 'u');
  } catch {
    return null;
  }
}


// [pattern, expected, minLength?]
const CASES: Array<[string, string | null, number?]> = [
  // The motivating examples.
  ['user/[0-9]+', 'user/'],
  ['GET /api/v[12]/', 'GET /api/v'],
  ['.*timeout.*', 'timeout'],
  ['^foo$', 'foo'],
  ['foo(bar|baz)', 'fooba'], // the alternatives share a prefix
  ['(foo|bar)baz', 'baz'],
  ['\\bERROR\\b: disk', ': disk'], // longest run wins
  ['ab.cd', 'ab'], // first run on ties
  ['a.b.cdef.g', 'cdef'],
  // Quantifiers.
  ['ab*c', null], // runs `a` and `c`, both 1 byte
  ['ab*c', 'a', 1],
  ['abc*d', 'ab'],
  ['abc+d', 'abc'],
  ['abc?d', 'ab'],
  ['ab*?c', null],
  ['abc*?d', 'ab'],
  ['abc+?d', 'abc'],
  ['abc??d', 'ab'],
  ['x{2}yz', 'xxyz'],
  ['abcd{0}e', 'abce'], // d{0} is empty
  ['abcd{0,3}e', 'abc'],
  ['abcd{1,}e', 'abcd'],
  ['abcd{2,5}?e', 'abcdd'], // at least two d's: the run's least length
  ['(?:ab)+cdef', 'abcdef'], // the last copy touches cdef
  ['(?U)abc*', 'ab'],
  ['ab(?s)*c', null], // `(?s)` is empty: the star applies to `b`
  ['ab(?s)*c', 'a', 1],
  ['a**', null], // nested repetition
  ['xyab+*', null],
  ['*abc', null], // nothing to repeat
  // `{` that is not a repetition is a literal `{` in RE2; we only break the run at it.
  ['a{', 'a{'],
  ['ab{x}cd', 'ab{x}cd'],
  ['ab{01}cd', 'ab{01}cd'], // leading zero: not a repetition (Go)
  ['ab{,2}', 'ab{,2}'],
  // Alternation.
  ['foo|bar', null],
  ['abc|', null],
  ['(a|b)|c', null],
  // Flags.
  ['(?i)error', null],
  ['x(?i:y)zzz', 'zzz'],
  ['(ab(?i)c)zzz', 'zzz'],
  ['(?-i)error', 'error'],
  ['(?s)a.b', null],
  ['(?s)abc.d', 'abc'],
  ['x(?m)^abc$', 'abc'],
  ['(?x)abc', null],
  // Groups.
  ['(?P<name>x+)tail', 'xtail'],
  ['(?<name>x)tail', 'xtail'],
  ['(a)(b)(c)de', 'abcde'],
  ['(a(b[)]c)d)ef', 'ab)cdef'],
  ['(?=abc)', null],
  ['(?P=n)abc', null],
  ['(abc', null],
  ['abc)', null],
  // Character classes.
  ['[a-z]+@example\\.com', '@example.com'],
  ['[]a]bc', 'bc'],
  ['[^]a]bcd', 'bcd'],
  ['[[:alpha:]]xyz', 'xyz'],
  ['[[:]xy', 'xy'],
  ['[\\]]xy', ']xy'],
  ['[a|b]cd', 'cd'],
  ['[abc', null],
  // Escapes.
  ['error\\.log', 'error.log'],
  ['\\d+ms', 'ms'],
  ['a\\bfoo', 'foo'],
  ['a\\/b\\-c\\$', 'a/b-c$'],
  ['a\\\\b', 'a\\b'],
  ['\\p{Greek}+word', 'word'],
  ['\\pLword', 'word'],
  ['\\x41\\x{42}C', 'ABC'],
  ['a\\tb\\n', 'a\tb\n'],
  ['\\x{D800}ab', 'ab'],
  ['\\x{110000}ab', null],
  ['abc\\z', 'abc'],
  ['\\Qa.b\\E', 'a.b'],
  ['abcd\\Qx\\E', 'abcdx'],
  ['\\1abc', null],
  ['\\0abc', '\0abc'], // octal NUL (Go)
  ['\\_abc', '_abc'], // escaped punctuation (Go)
  ['\\Zabc', null],
  ['\\uabc', null],
  ['ab\\', null],
  // Non-ASCII: lengths are UTF-8 bytes, a surrogate pair is one character.
  ['日本語+', '日本語'], // `語` is required once; the run ends after it
  ['é', 'é'],
  ['😀+x', '😀x'],
  ['a😀*b', null],
  ['a😀*b', 'a', 1],
  ['\ud800ab', null], // lone surrogate
  // Runs of one character: copies and neighbours of a run are a run, which starts and ends
  // with its least length (issue 13's hostile `(x+x+)+y` requires `xxy`).
  ['(x+x+)+y', 'xxy'],
  ['x+x+x+', 'xxx'],
  ['x{2,}y', 'xxy'],
  ['(xx)+?y', 'xxy'],
  ['(x|xx)+z', 'xz'],
  ['😀+😀+', '😀😀'],
  ['(x+y+)+z', 'xy'], // no run: `xy` (and `yz`, as long) are required
  ['(a+)+$', null],
  // Members of a small exact set share a literal in their middle.
  ['(GET|POST) /api/v[12]/', 'T /api/v'], // both verbs end in T
  ['(xabcy|zabcw)', 'abc'],
  ['(a😀b|c😀d)', '😀'],
  ['(ab|cd)', null],
  // Lengths.
  ['', null],
  ['a', null],
  ['a', 'a', 1],
  ['a', 'a', 0], // the empty string is never returned
  ['abc', null, 4],
];

describe('requiredLiteral', () => {
  it.each(CASES)('%j → %j (minLength %j)', (pattern, expected, minLength) => {
    expect(requiredLiteral(pattern, minLength)).toBe(expected);
    // A non-null expectation must be a pattern RE2 runs, or the case proves nothing.
    if (expected !== null) expect(compile(pattern)).not.toBeNull();
  });

  it('has a large enough case table', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it('finds the literal in texts RE2 matches, for the table patterns', () => {
    for (const [pattern, expected] of CASES) {
      if (expected === null) continue;
      const re = compile(pattern)!;
      // The contract, read backwards: a text without the literal must not match.
      const text = 'zzz ' + pattern.replaceAll('\\', '').replaceAll(expected, '') + ' zzz';
      if (!text.includes(expected)) expect(re.test(text)).toBe(false);
      releaseRe2(re);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Differential property: whenever RE2 matches, the text contains the extracted literal.

interface Node {
  src: string;
  /** A text this node probably matches (anchors, flags and odd quantifier placements aside). */
  sample(rng: () => number): string;
  /** Literal text fragments, used to build noise that looks like the pattern. */
  pieces: string[];
}

function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

/** A small deterministic generator, seeded by fast-check. */
const rngFrom = mulberry32;

const LITERALS: Array<[string, string]> = [
  ['a', 'a'], ['b', 'b'], ['c', 'c'], ['x', 'x'], ['-', '-'], [' ', ' '], ['/', '/'],
  [':', ':'], ['}', '}'], [']', ']'], ['é', 'é'], ['日', '日'], ['😀', '😀'],
  ['\\.', '.'], ['\\*', '*'], ['\\+', '+'], ['\\?', '?'], ['\\(', '('], ['\\)', ')'],
  ['\\[', '['], ['\\]', ']'], ['\\{', '{'], ['\\}', '}'], ['\\|', '|'], ['\\\\', '\\'],
  ['\\^', '^'], ['\\$', '$'], ['\\/', '/'], ['\\-', '-'], ['\\ ', ' '], ['\\t', '\t'],
  ['\\x41', 'A'], ['\\x{65E5}', '日'], ['\\n', '\n'],
];
const CLASSES: Array<[string, string[]]> = [
  ['[a-c]', ['a', 'b', 'c']], ['[^a]', ['b', 'x', '.']], ['[]a]', [']', 'a']],
  ['[^]a]', ['b', 'c']], ['[[:alpha:]]', ['a', 'Z']], ['[\\]x]', [']', 'x']],
  ['[.|]', ['.', '|']], ['[(]', ['(']], ['\\d', ['0', '7']], ['\\w', ['a', '_']],
  ['\\s', [' ', '\t']], ['.', ['a', '日']], ['[α-ω]', ['α', 'β']],
];
// Unicode property classes (`\pL`, `\p{Greek}`) stay in the table only: RE2 takes 5–80 ms to
// compile a pattern using them, too slow for 20,000 runs.
const ASSERTIONS = ['^', '$', '\\b', '\\B', '\\A', '\\z', '(?m)^', '(?m)$'];
const QUANTIFIERS: Array<[string, number, number]> = [
  ['*', 0, 2], ['+', 1, 3], ['?', 0, 1], ['{0}', 0, 0], ['{1}', 1, 1], ['{2}', 2, 2],
  ['{0,2}', 0, 2], ['{1,}', 1, 3], ['{1,2}', 1, 2],
];

const literalArb: fc.Arbitrary<Node> = fc.constantFrom(...LITERALS).map(([src, text]) => ({
  src,
  sample: () => text,
  pieces: [text],
}));
const classArb: fc.Arbitrary<Node> = fc.constantFrom(...CLASSES).map(([src, members]) => ({
  src,
  sample: (rng) => pick(rng, members),
  pieces: members,
}));
const assertionArb: fc.Arbitrary<Node> = fc.constantFrom(...ASSERTIONS).map((src) => ({
  src,
  sample: () => '',
  pieces: [],
}));
const oddArb: fc.Arbitrary<Node> = fc.constantFrom('{', '{', '{', '(?s)', '(?U)', '(?m)', '(?-i)', '(?i)').map((src) => ({
  src,
  sample: () => (src === '{' ? '{' : ''),
  pieces: src === '{' ? ['{'] : [],
}));

function seqNode(items: Node[]): Node {
  return {
    src: items.map((n) => n.src).join(''),
    sample: (rng) => items.map((n) => n.sample(rng)).join(''),
    pieces: items.flatMap((n) => n.pieces),
  };
}

function altNode(branches: Node[]): Node {
  return {
    src: branches.map((n) => n.src).join('|'),
    sample: (rng) => pick(rng, branches).sample(rng),
    pieces: branches.flatMap((n) => n.pieces),
  };
}

const { seq } = fc.letrec<{ item: Node; quantified: Node; seq: Node }>((tie) => ({
  item: fc.oneof(
    { maxDepth: 2, depthIdentifier: 'regex' },
    { arbitrary: literalArb, weight: 16 },
    { arbitrary: classArb, weight: 3 },
    { arbitrary: assertionArb, weight: 1 },
    { arbitrary: oddArb, weight: 1 },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom('(', '(', '(?:', '(?:', '(?P<g>', '(?s:', '(?U:', '(?i:'),
          fc.array(tie('seq'), { minLength: 1, maxLength: 3 }),
        )
        .map(([open, branches]) => {
          const inner = altNode(branches);
          return { ...inner, src: `${open}${inner.src})` };
        }),
      weight: 2,
    },
  ),
  quantified: fc
    .tuple(tie('item'), fc.option(fc.tuple(fc.constantFrom(...QUANTIFIERS), fc.boolean()), { freq: 3 }))
    .map(([node, q]) => {
      if (q === null) return node;
      const [[op, min, max], lazy] = q;
      return {
        src: node.src + op + (lazy ? '?' : ''),
        sample: (rng: () => number) => {
          const n = min + Math.floor(rng() * (max - min + 1));
          let out = '';
          for (let k = 0; k < n; k++) out += node.sample(rng);
          return out;
        },
        pieces: node.pieces,
      };
    }),
  seq: fc.array(tie('quantified'), { minLength: 0, maxLength: 8 }).map(seqNode),
}));

/** Mostly a concatenation (the case the extractor handles), sometimes a top-level alternation. */
const patternArb: fc.Arbitrary<Node> = fc.oneof(
  { arbitrary: seq, weight: 5 },
  { arbitrary: fc.array(seq, { minLength: 2, maxLength: 3 }).map(altNode), weight: 1 },
);

const NOISE = ['a', 'b', 'x', ' ', '日', 'Z', '.', '\n'];

describe('requiredLiteral against RE2', () => {
  it('never misses a line RE2 matches (generated patterns)', () => {
    let compiled = 0;
    let extracted = 0;
    let matchedWithLiteral = 0;
    fc.assert(
      fc.property(
        patternArb,
        fc.integer(),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (node, seed, left, right) => {
          const literal = requiredLiteral(node.src);
          const re = compile(node.src);
          if (re === null) return true; // RE2 rejects it: such a filter never runs
          compiled++;
          if (literal !== null) extracted++;
          const rng = rngFrom(seed);
          const pool = [...NOISE, ...node.pieces];
          const noise = (idx: number[]) => idx.map((k) => pool[k % pool.length]).join('');
          const sample = node.sample(rng);
          const chars = Array.from(sample);
          const dropped = chars.filter((_, k) => k !== Math.floor(rng() * chars.length)).join('');
          const texts = [
            noise(left) + sample + noise(right),
            noise(left) + dropped + noise(right),
            noise([...left, ...right]),
          ];
          try {
            for (const text of texts) {
              if (!re.test(text)) continue;
              if (literal !== null) {
                matchedWithLiteral++;
                if (!text.includes(literal)) {
                  throw new Error(`pattern ${JSON.stringify(node.src)} matches ${JSON.stringify(text)} without ${JSON.stringify(literal)}`);
                }
              }
            }
          } finally {
            releaseRe2(re);
          }
          return true;
        },
      ),
      { numRuns: 20_000, seed: 0x1e7e },
    );
    // Not vacuous: most generated patterns compile, a good share yield a literal, and many of
    // those are checked against a text RE2 actually matches.
    expect(compiled).toBeGreaterThan(10_000);
    expect(extracted / compiled).toBeGreaterThan(0.2);
    expect(matchedWithLiteral).toBeGreaterThan(5_000);
  }, 180_000);

  it('never throws and never misses on arbitrary metacharacter soup', () => {
    const alphabet = fc.constantFrom(
      ...'ab\\()[]{}|*+?.^$:-,0129PiQEdpx<>=_ é日'.split(''),
      '😀', '(?i)', '(?s)', '(?P<n>', '[:alpha:]', '{2}', '{0,1}', '\\Q', '\\E', '\\x{41}',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 14 }), fc.array(alphabet, { maxLength: 10 }), (parts, textParts) => {
        const pattern = parts.join('');
        const literal = requiredLiteral(pattern, 1);
        expect(literal === null || literal.length > 0).toBe(true);
        const re = compile(pattern);
        if (re === null) return;
        try {
          // Texts from the pattern's own characters, with and without escapes removed.
          for (const text of [textParts.join(''), pattern, pattern.replace(/\\(.)/gu, '$1')]) {
            if (re.test(text) && literal !== null) expect(text).toContain(literal);
          }
        } finally {
          releaseRe2(re);
        }
      }),
      { numRuns: 5_000, seed: 0x5eed },
    );
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------
// Exact literals and ASCII-folded literals: the planner replaces the regex by a substring test.

function plan(pattern: string) {
  return analyseLiterals(parseRegex(pattern));
}

const EXACT: Array<[string, string | null]> = [
  ['foo', 'foo'],
  ['foo\\.bar', 'foo.bar'],
  ['(?:GET)', 'GET'],
  ['(GET)', 'GET'],
  ['a{3}', 'aaa'],
  ['(?:ab){2}c', 'ababc'],
  ['x[y]z', 'xyz'],
  ['\\Qa.b*\\E', 'a.b*'],
  ['日本', '日本'],
  ['', ''],
  ['(?:)', ''],
  ['a{0}', ''],
  // Not exact: sets, repetition, assertions, classes.
  ['GET|POST', null],
  ['ab+', null],
  ['a?', null],
  ['\\bfoo\\b', null],
  ['^foo', null],
  ['foo$', null],
  ['[ab]c', null],
  ['(?i)foo', null],
  ['.', null],
];

const FOLDED: Array<[string, string | null]> = [
  ['(?i)error', 'error'],
  ['(?i)ERROR', 'error'],
  ['(?i:Timeout)', 'timeout'],
  ['(?i)out of memory', 'out of memory'],
  ['(?i)404 not found', '404 not found'],
  ['(?i)e-r_r.o\\.r', null], // `.` is a class of everything
  ['(?i)e-r_r\\.o', 'e-r_r.o'],
  ['(?i)disk', null], // `k` also folds to U+212A KELVIN SIGN
  ['(?i)sum', null], // `s` also folds to U+017F LONG S
  ['(?i)error(?-i)X', null], // a literal letter that must keep its case
  ['(?i)123', null], // nothing folded: that is just a literal
  ['(?i)erro+r', null],
  ['(?i)\\berror', null],
  ['error', null],
];

describe('analyseLiterals: exact and folded literals', () => {
  it.each(EXACT)('%j is exactly a search for %j', (pattern, exact) => {
    expect(plan(pattern).exact).toBe(exact);
  });
  it.each(FOLDED)('%j is an ASCII-case-insensitive search for %j', (pattern, needle) => {
    expect(plan(pattern).foldedAscii).toBe(needle);
  });

  const foldAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const TEXTS = ['', 'foo', 'xx foo.bar yy', 'fooXbar', 'GET /', 'aaa', 'ababc', 'xyz', 'a.b*', '日本語', 'an ERROR here', 'Error', 'eRRoR!', 'timeout', 'TIMEOUT 5s', 'out of Memory', '404 Not Found', 'e-r_r.o', 'E-R_R.O', 'DISK', 'diſk', 'ſum'];
  it('agrees with RE2 on sample texts', () => {
    for (const [pattern, exact] of EXACT) {
      const re = compile(pattern);
      expect(re, pattern).not.toBeNull();
      for (const t of TEXTS) if (exact !== null) expect(re!.test(t), `${pattern} on ${t}`).toBe(t.includes(exact));
      releaseRe2(re!);
    }
    for (const [pattern, needle] of FOLDED) {
      const re = compile(pattern);
      expect(re, pattern).not.toBeNull();
      for (const t of TEXTS) if (needle !== null) expect(re!.test(t), `${pattern} on ${t}`).toBe(foldAscii(t).includes(needle));
      releaseRe2(re!);
    }
  });

  it('exact and folded answers agree with RE2 on generated patterns and texts', () => {
    let exactChecked = 0;
    fc.assert(
      fc.property(patternArb, fc.integer(), fc.array(fc.nat(), { maxLength: 6 }), (node, seed, noiseIdx) => {
        const re = compile(node.src);
        if (re === null) return true;
        let parsed;
        try {
          parsed = parseRegex(node.src);
        } catch {
          releaseRe2(re);
          return true;
        }
        const lit = analyseLiterals(parsed);
        try {
          const rng = rngFrom(seed);
          const pool = [...NOISE, ...node.pieces];
          const noise = noiseIdx.map((k) => pool[k % pool.length]).join('');
          const sample = node.sample(rng);
          for (const text of [sample, noise + sample + noise, noise, sample.toUpperCase(), noise + sample.toLowerCase()]) {
            if (lit.exact !== null) {
              exactChecked++;
              expect(re.test(text), `${node.src} on ${JSON.stringify(text)}`).toBe(text.includes(lit.exact));
            }
            if (lit.foldedAscii !== null) expect(re.test(text), `${node.src} on ${JSON.stringify(text)}`).toBe(foldAscii(text).includes(lit.foldedAscii));
          }
        } finally {
          releaseRe2(re);
        }
        return true;
      }),
      { numRuns: 5_000, seed: 0xe4ac7 },
    );
    expect(exactChecked).toBeGreaterThan(1_000);
  });
});
