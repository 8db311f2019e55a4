/**
 * The parsed form of an RE2 pattern: what `syntax.ts` produces and `compile.ts` consumes.
 *
 * Flags are already applied when a tree is built, so the tree has no flag state:
 * - `(?i)` turns every literal into a `class` holding its case-fold orbit (simple case folding);
 * - `.` becomes a `class` (all code points, or all but `\n` without `(?s)`);
 * - `^`/`$` become `beginText`/`endText`, or `beginLine`/`endLine` under `(?m)`;
 * - `(?U)` swaps the greediness of every repetition it covers.
 * Perl, POSIX and Unicode classes are expanded into code-point ranges. Counted repetition
 * keeps its counts (`min`, `max`); the compiler expands it.
 */

/** Zero-width assertions (Go `regexp/syntax` EmptyOp). */
export type AssertKind = 'beginLine' | 'endLine' | 'beginText' | 'endText' | 'wordBoundary' | 'notWordBoundary';

export type RegexNode =
  /** Matches the empty string (e.g. `()`, `(?:)`, an empty alternative). */
  | { op: 'emptyMatch' }
  /** Matches nothing (e.g. `[^\x00-\x{10FFFF}]`). */
  | { op: 'noMatch' }
  /** One exact code point (0..0x10FFFF; surrogates never appear). */
  | { op: 'literal'; rune: number }
  /**
   * A set of code points: sorted, disjoint, non-adjacent inclusive ranges, flattened
   * `[lo0, hi0, lo1, hi1, …]`. Never empty (an empty set is `noMatch`).
   * A class that contains U+FFFD also matches one invalid UTF-8 byte (Go decodes an
   * invalid byte as U+FFFD with width 1; see compile.ts for the exact rule).
   */
  | { op: 'class'; ranges: readonly number[] }
  | { op: 'assert'; kind: AssertKind }
  /** A capturing group; `index` is 1-based in order of its `(` in the pattern. */
  | { op: 'capture'; index: number; name: string | null; sub: RegexNode }
  | { op: 'concat'; subs: RegexNode[] }
  /** Alternatives in priority order (leftmost-first: earlier wins). */
  | { op: 'alternate'; subs: RegexNode[] }
  /** `x*` = {0,-1}, `x+` = {1,-1}, `x?` = {0,1}, `x{n,m}`; `max = -1` is unbounded; counts ≤ 1000. */
  | { op: 'repeat'; min: number; max: number; greedy: boolean; sub: RegexNode };

export interface ParsedRegex {
  root: RegexNode;
  /** Number of capturing groups (group 0, the whole match, is not counted). */
  captureCount: number;
  /** `names[i]` is the name of group i (index 0 unused, null for unnamed groups). */
  names: (string | null)[];
}
