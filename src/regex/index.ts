/**
 * letheql's regex engine: the facade over parse → compile → DFA / Pike VM.
 *
 * ## What it owns
 * Choosing the strategy for one pattern, the way a "meta" engine does:
 * - yes/no questions run the DFA (built lazily, anchored when the program is, so it dies
 *   as soon as position 0 is left behind) and fall back to the Pike VM when the DFA is over
 *   its state budget ({@link DEFAULT_DFA_MAX_STATES});
 * - submatch positions (`exec`) find the match's span with two lazy DFAs first (`span.ts`,
 *   RE2's forward-then-reverse strategy), then fill the groups on that span only: bounded
 *   backtracking (`backtrack.ts`, RE2's BitState) when instructions × span is small, else
 *   the Pike VM from the span's start; a text without a match is answered by the forward
 *   DFA alone. Past the lazy DFAs' budget the Pike VM runs alone, as before;
 * - the kernel gets plain data ({@link KernelAutomaton}): a DFA table when it fits the
 *   budget, otherwise the program for its own Pike VM.
 *
 * Semantics are Go's `regexp` (RE2 syntax, leftmost-first, byte offsets into UTF-8), with
 * the invalid-UTF-8 rule documented in compile.ts. Strings are UTF-8-encoded with
 * `TextEncoder` (a lone UTF-16 surrogate becomes U+FFFD, as in Go's string conversion).
 * Nothing here imports a Node module: the engine runs in browsers too.
 */
import type { ParsedRegex } from './ast.js';
import type { Dfa, KernelAutomaton, Prog } from './automaton.js';
import { backtrackSpan } from './backtrack.js';
import { compileProg } from './compile.js';
import { onePassSpan } from './onepass.js';
import { buildDfa, DEFAULT_DFA_MAX_STATES, dfaTest } from './dfa.js';
import { pikeSearch, pikeTest } from './pike.js';
import { SPAN_FOUND, SPAN_NONE, SpanFinder } from './span.js';
import { parseRegex } from './syntax.js';

export { DEFAULT_DFA_MAX_STATES } from './dfa.js';

/** A compiled pattern. Searches are unanchored unless the pattern anchors itself. */
export interface CompiledPattern {
  readonly pattern: string;
  readonly prog: Prog;
  /** Number of capturing groups (group 0 not counted). */
  readonly captureCount: number;
  /** `names[i]` is the name of group i (index 0 unused, null when unnamed). */
  readonly names: readonly (string | null)[];
  /** Does the pattern match somewhere in `text`? */
  test(text: string): boolean;
  /** Does the pattern match somewhere in `bytes[start, end)` (UTF-8)? */
  testBytes(bytes: Uint8Array, start?: number, end?: number): boolean;
  /**
   * The leftmost-first match as capture slots (byte offsets into the UTF-8 text, -1 for
   * groups that did not take part), like Go's `FindSubmatchIndex`; null when none.
   */
  exec(input: string | Uint8Array): Int32Array | null;
  /**
   * `exec` on the text `bytes[start, end)`: `start` is the start of the text for `^`, `\A`
   * and `\b`, as `pikeSearch({ start, end })`; offsets in the result are absolute.
   */
  execIn(bytes: Uint8Array, start: number, end: number): Int32Array | null;
  /** The DFA `test` runs, or null when the pattern is over the DFA budget (then `test` runs the Pike VM). */
  dfa(): Dfa | null;
}

const encoder = new TextEncoder();

class Pattern implements CompiledPattern {
  readonly captureCount: number;
  readonly names: readonly (string | null)[];
  private builtDfa: Dfa | null | undefined = undefined;
  private finder: SpanFinder | undefined = undefined;

  constructor(
    readonly pattern: string,
    parsed: ParsedRegex,
    readonly prog: Prog,
  ) {
    this.captureCount = parsed.captureCount;
    this.names = parsed.names;
  }

  dfa(): Dfa | null {
    if (this.builtDfa === undefined) {
      this.builtDfa = buildDfa(this.prog, { anchored: this.prog.anchoredStart, maxStates: DEFAULT_DFA_MAX_STATES });
    }
    return this.builtDfa;
  }

  test(text: string): boolean {
    const bytes = encoder.encode(text);
    return this.testBytes(bytes, 0, bytes.length);
  }

  testBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    const dfa = this.dfa();
    return dfa ? dfaTest(dfa, bytes, start, end) : pikeTest(this.prog, bytes, start, end);
  }

  exec(input: string | Uint8Array): Int32Array | null {
    const bytes = typeof input === 'string' ? encoder.encode(input) : input;
    return this.execIn(bytes, 0, bytes.length);
  }

  execIn(bytes: Uint8Array, start: number, end: number): Int32Array | null {
    const finder = (this.finder ??= new SpanFinder(this.prog));
    const found = finder.find(bytes, start, end);
    // Fast path: no match, decided by the forward DFA alone.
    if (found === SPAN_NONE) return null;
    if (found === SPAN_FOUND) {
      const from = finder.matchStart;
      const to = finder.matchEnd;
      if (this.captureCount === 0) return Int32Array.of(from, to);
      // Groups, on the span only: a table walk when the program is one-pass, else bounded
      // backtracking when the span is short enough, else the Pike VM.
      return onePassSpan(this.prog, bytes, from, to) ?? backtrackSpan(this.prog, bytes, start, end, from, to) ?? pikeSearch(this.prog, bytes, { start, end, from, to });
    }
    // Slow path: the lazy DFAs are over budget for this pattern.
    return pikeSearch(this.prog, bytes, { start, end });
  }
}

/**
 * A small LRU cache: the planner, the kernel encoder (once per kernel, in every worker) and
 * target matching all compile the same patterns for one query, and a big Unicode class can
 * take a good part of a second to turn into a DFA.
 */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string, make: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      // Refresh: Map iteration order is insertion order, so the first key is the least recent.
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const value = make();
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return value;
  }
}

const CACHE_SIZE = 128;
const patterns = new Lru<CompiledPattern>(CACHE_SIZE);
const automata = new Lru<KernelAutomaton>(CACHE_SIZE);

/**
 * Parses and compiles `pattern` (cached). Throws `RegexSyntaxError` when RE2/Go would reject it.
 *
 * @example compileRegex('user/[0-9]+').test('GET /user/42') === true
 */
export function compileRegex(pattern: string): CompiledPattern {
  return patterns.get(pattern, () => {
    const parsed = parseRegex(pattern);
    return new Pattern(pattern, parsed, compileProg(parsed));
  });
}

/** `parsed` wrapped as Go's `^(?:p)$` (text anchors outside any flags of `p`). */
export function fullMatchTree(parsed: ParsedRegex): ParsedRegex {
  return {
    ...parsed,
    root: {
      op: 'concat',
      subs: [{ op: 'assert', kind: 'beginText' }, parsed.root, { op: 'assert', kind: 'endText' }],
    },
  };
}

/**
 * What the kernel runs for `pattern` (cached): a DFA when it fits
 * {@link DEFAULT_DFA_MAX_STATES}, else the program for the kernel's Pike VM.
 * `fullMatch: true` asks whether the whole input matches (label matchers): the result equals
 * Go's `regexp.MatchString("^(?:" + p + ")$", s)`; the automaton is anchored at both ends.
 * Throws `RegexSyntaxError` for invalid patterns. The result is shared: do not mutate it.
 */
export function compileForKernel(pattern: string, opts: { fullMatch: boolean }): KernelAutomaton {
  return automata.get(`${opts.fullMatch ? 'F' : 'S'}${pattern}`, () => {
    const parsed = parseRegex(pattern);
    return kernelAutomaton(compileProg(opts.fullMatch ? fullMatchTree(parsed) : parsed));
  });
}

/** The kernel automaton for a compiled program (anchored DFA when the program is anchored). */
export function kernelAutomaton(prog: Prog, maxStates = DEFAULT_DFA_MAX_STATES): KernelAutomaton {
  const dfa = buildDfa(prog, { anchored: prog.anchoredStart, maxStates });
  return dfa ? { kind: 'dfa', dfa } : { kind: 'pike', prog };
}
