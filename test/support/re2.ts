/**
 * re2-wasm, the regex oracle of the tests: one typed loader for the package (CommonJS,
 * loaded through `createRequire`), the release of a compiled pattern's WASM memory, its
 * match positions in UTF-8 bytes, and the tree facts behind the known differences between
 * re2-wasm and Go that the differential tests skip.
 *
 * Tests that need RE2's raw parser without the `RE2` class's JavaScript-compatibility
 * rewriting (test/regex/syntax.test.ts) load `re2-wasm/build/wasm/re2.js` themselves.
 */
import { createRequire } from 'node:module';
import type { RegexNode } from '../../src/regex/ast.js';

/** The part of re2-wasm's `RE2` (a `RegExp` look-alike) the tests use. */
export interface Re2Instance {
  test(input: string): boolean;
  /** `index` counts code points, not UTF-16 units. */
  exec(input: string): (RegExpExecArray & { index: number }) | null;
}
export type Re2Constructor = new (pattern: string, flags?: string) => Re2Instance;

export const RE2 = (createRequire(import.meta.url)('re2-wasm') as { RE2: Re2Constructor }).RE2;

/**
 * Frees a compiled pattern. re2-wasm keeps each one in WASM memory until deleted, and its
 * heap runs out after a few thousand patterns: fuzz loops free theirs.
 */
export function releaseRe2(re: Re2Instance): void {
  (re as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.();
}

/** re2-wasm's match as UTF-8 byte offsets `[start, end)` into `text` (its `index` counts code points). */
export function re2MatchSpan(text: string, m: RegExpExecArray): [number, number] {
  const start = utf8Length([...text].slice(0, m.index).join(''));
  return [start, start + utf8Length(m[0]!)];
}

const encoder = new TextEncoder();
const utf8Length = (s: string): number => encoder.encode(s).length;

// ---------------------------------------------------------------------------------------
// Where re2-wasm and Go (our contract) differ, as facts about a parsed pattern

/**
 * Does the pattern hold `\B`? RE2 tests it at every byte, Go (and we) only between runes:
 * compare such patterns on ASCII text only.
 */
export function hasNotWordBoundary(root: RegexNode): boolean {
  return someNode(root, (n) => n.op === 'assert' && n.kind === 'notWordBoundary');
}

/**
 * Does the pattern hold a star over a nullable body? Go compiles it as `(x+)?` (issue
 * 46123) and prefers the empty match at the loop's entry; the RE2 inside re2-wasm predates
 * that and takes another iteration: `(?:|b)*` on "b" is "" in Go, "b" in re2-wasm. Only
 * positions differ, never whether a match exists.
 */
export function hasNullableStar(root: RegexNode): boolean {
  return someNode(root, (n) => n.op === 'repeat' && n.min === 0 && n.max === -1 && nullable(n.sub));
}

function someNode(n: RegexNode, f: (n: RegexNode) => boolean): boolean {
  if (f(n)) return true;
  switch (n.op) {
    case 'capture':
    case 'repeat':
      return someNode(n.sub, f);
    case 'concat':
    case 'alternate':
      return n.subs.some((s) => someNode(s, f));
    default:
      return false;
  }
}

/** Can `n` match the empty string (Go's `frag.nullable`: assertions count as empty)? */
function nullable(n: RegexNode): boolean {
  switch (n.op) {
    case 'literal':
    case 'class':
    case 'noMatch':
      return false;
    case 'capture':
      return nullable(n.sub);
    case 'concat':
      return n.subs.every(nullable);
    case 'alternate':
      return n.subs.some(nullable);
    case 'repeat':
      return n.min === 0 || nullable(n.sub);
    default:
      return true;
  }
}
