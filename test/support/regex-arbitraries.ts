/**
 * Generators shared by the regex differential tests (test/regex/differential.test.ts against
 * re2-wasm, test/regex/span.test.ts against the Pike VM and re2-wasm): patterns over the
 * RE2 grammar, and short lines of UTF-8 with Korean and other multi-byte text, `\n`, and
 * lone invalid bytes.
 */
import fc from 'fast-check';
// ---------------------------------------------------------------------------------------
// Patterns

const LITERALS = ['a', 'b', 'c', 'x', 'A', 'B', '0', '1', '_', ' ', '-', '/', ':', 'é', 'É', '한', '국', '日', '😀', '\\.', '\\*', '\\(', '\\)', '\\[', '\\|', '\\+', '\\?', '\\$', '\\^', '\\\\', '\\n', '\\x41', '\\x{D55C}', 'ab', 'err'];
const CLASSES = ['[abc]', '[^a]', '[a-z]', '[^a-z]', '[가-힣]', '[^가-힣]', '[[:alpha:]]', '[[:^digit:]]', '[a\\d]', '[é한_]', '\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '.', '[^\\n]', '[\\x{80}-\\x{10FFFF}]'];
const ASSERTIONS = ['^', '$', '\\b', '\\B', '\\A', '\\z'];
const FLAGS = ['(?i)', '(?s)', '(?m)', '(?i)', '(?is)', '(?-i)', '(?ms)'];
const GROUPS = ['(', '(?:', '(?P<n>', '(?i:', '(?s:', '(?m:', '(?-s:'];
const QUANTIFIERS = ['*', '+', '?', '{2}', '{0,2}', '{1,3}', '{2,}', '{0}', '{1}', '{3,5}'];

const quantifierArb = fc.option(
  fc.tuple(fc.constantFrom(...QUANTIFIERS), fc.boolean()).map(([q, lazy]) => q + (lazy ? '?' : '')),
  { freq: 2 },
);

export const { pattern: patternArb } = fc.letrec<{ pattern: string; piece: string; atom: string }>((tie) => ({
  pattern: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'pattern' },
    tie('piece'),
    fc.array(tie('piece'), { minLength: 2, maxLength: 4 }).map((xs) => xs.join('')),
    fc.array(fc.array(tie('piece'), { minLength: 1, maxLength: 3 }).map((xs) => xs.join('')), { minLength: 2, maxLength: 3 }).map((xs) => xs.join('|')),
  ),
  piece: fc.oneof(
    { depthIdentifier: 'pattern' },
    fc.tuple(tie('atom'), quantifierArb).map(([a, q]) => a + (q ?? '')),
    fc.constantFrom(...ASSERTIONS),
    fc.constantFrom(...FLAGS),
  ),
  atom: fc.oneof(
    { depthIdentifier: 'pattern' },
    fc.constantFrom(...LITERALS),
    fc.constantFrom(...CLASSES),
    fc.tuple(fc.constantFrom(...GROUPS), tie('pattern')).map(([open, p]) => `${open}${p})`),
  ),
}));

// ---------------------------------------------------------------------------------------
// Lines

const enc = new TextEncoder();
const LINE_PIECES = ['a', 'b', 'c', 'x', 'A', 'B', 'ab', 'err', 'ERR', '0', '1', '42', '_', ' ', '-', '/', ':', '.', '*', '(', ')', '|', '$', '\\', 'é', 'É', '한', '국어', '日本', '😀', '\n', 'Abc xyz'];
/** Bytes that never start a UTF-8 sequence: each one alone is U+FFFD for Go and for the decoder. */
const LONE_BYTES = [0x80, 0x8f, 0xa0, 0xbf, 0xc0, 0xc1, 0xf5, 0xfe, 0xff];
export const lineArb: fc.Arbitrary<Uint8Array> = fc
  .array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...LINE_PIECES) }, { weight: 1, arbitrary: fc.constantFrom(...LONE_BYTES) }), { maxLength: 10 })
  .map((parts) => {
    const out: number[] = [];
    for (const p of parts) {
      if (typeof p === 'number') out.push(p);
      else out.push(...enc.encode(p));
    }
    return Uint8Array.from(out);
  });

