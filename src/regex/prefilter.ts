/**
 * Literal analysis: what the kernel can test with a substring search instead of an automaton.
 *
 * From a parsed pattern ({@link ParsedRegex}) this module derives, for a `|~` line filter:
 * - `exact`: the pattern matches a line iff the line contains this literal (the regex *is* a
 *   literal, e.g. `foo\.bar` or `(?:GET)`), so the kernel runs `contains` and no automaton;
 * - `foldedAscii`: the same under `(?i)` when every letter folds only within ASCII
 *   (`(?i)error`), so the kernel runs its case-insensitive `contains`;
 * - `required`: a literal every match contains, so the kernel drops lines without it before
 *   the automaton runs (`user/[0-9]+` → `user/`).
 *
 * Contract — no false negatives: if a line matches the pattern (RE2/Go semantics, unanchored
 * search over the line's bytes), it contains `required` (as UTF-8 bytes), and it contains
 * `exact` iff it matches. A wrong answer silently drops log lines, so every rule below is a
 * plain consequence of concatenation, and anything unsure gives "no information".
 *
 * Per node we compute an {@link Info}: the finite set of strings it can match (`exact`,
 * capped), else a prefix and a suffix every match has, and the longest required substring.
 * A class that contains U+FFFD also matches invalid bytes (compile.ts), which no string can
 * stand for, so such a class is never exact.
 */
import type { ParsedRegex, RegexNode } from './ast.js';

/** Above this many alternatives a finite set stops being tracked (cross products grow fast). */
const MAX_EXACT_SET = 16;
/** Classes with at most this many code points are expanded into exact sets (`[12]`, `[Ee]`). */
const MAX_CLASS_EXPANSION = 4;
/** Exact strings longer than this are summarised (counted repetition could make them huge). */
const MAX_EXACT_LENGTH = 256;

interface Info {
  /** Every string the node can match, when small and finite; null otherwise. */
  exact: string[] | null;
  /** Every match starts with this ("" when nothing is known). */
  prefix: string;
  /** Every match ends with this. */
  suffix: string;
  /** Every match contains this; the longest known ("" when nothing is known). */
  required: string;
  /**
   * Every match is a run of one character, `ch` repeated at least `min` times (`x+`, `x{2,}`,
   * `x+x+`): then every match also starts and ends with `min` of them. Null otherwise.
   */
  run: { ch: string; min: number } | null;
}

const NOTHING: Info = { exact: null, prefix: '', suffix: '', required: '', run: null };

/** The Info of a node whose matches are runs of `ch`, at least `min` long. */
function runInfo(ch: string, min: number): Info {
  const r = ch.repeat(Math.max(1, Math.min(min, Math.floor(MAX_EXACT_LENGTH / ch.length))));
  return { exact: null, prefix: r, suffix: r, required: r, run: { ch, min } };
}

/** Whether every string of `xs` is a non-empty run of one and the same character: the run, or null. */
function runOf(xs: string[]): Info['run'] {
  if (xs.length === 0 || xs.some((x) => x.length === 0)) return null;
  const ch = String.fromCodePoint(xs[0]!.codePointAt(0)!);
  let min = Infinity;
  for (const x of xs) {
    if (x !== ch.repeat(x.length / ch.length)) return null;
    min = Math.min(min, x.length / ch.length);
  }
  return { ch, min };
}

const utf8Len = (s: string): number => new TextEncoder().encode(s).length;

function longer(a: string, b: string): string {
  return utf8Len(b) > utf8Len(a) ? b : a;
}

function commonPrefix(xs: string[]): string {
  if (xs.length === 0) return '';
  let p = xs[0]!;
  for (const x of xs) {
    let i = 0;
    while (i < p.length && i < x.length && p[i] === x[i]) i++;
    p = p.slice(0, i);
  }
  return trimSurrogate(p, 'end');
}

function commonSuffix(xs: string[]): string {
  if (xs.length === 0) return '';
  let s = xs[0]!;
  for (const x of xs) {
    let i = 0;
    while (i < s.length && i < x.length && s[s.length - 1 - i] === x[x.length - 1 - i]) i++;
    s = s.slice(s.length - i);
  }
  return trimSurrogate(s, 'start');
}

/** A prefix/suffix cut inside a surrogate pair would not be a UTF-8 substring: drop the half. */
function trimSurrogate(s: string, side: 'start' | 'end'): string {
  if (s.length === 0) return s;
  if (side === 'end') {
    const c = s.charCodeAt(s.length - 1);
    return c >= 0xd800 && c <= 0xdbff ? s.slice(0, -1) : s;
  }
  const c = s.charCodeAt(0);
  return c >= 0xdc00 && c <= 0xdfff ? s.slice(1) : s;
}

/** Strings longer than this are not searched for a common substring (the search is cubic in it). */
const MAX_COMMON_SUBSTRING_INPUT = 64;

/**
 * The longest string that every string of `xs` contains, '' when none (or when the shortest
 * is longer than {@link MAX_COMMON_SUBSTRING_INPUT}). By UTF-16 units, never cutting a
 * surrogate pair, so that containment as strings is containment as UTF-8 bytes. An
 * alternation's members then share a literal that is neither their prefix nor their suffix:
 * `(GET|POST) /api/v[12]/` requires `T /api/v`.
 */
function commonSubstring(xs: string[]): string {
  if (xs.length === 0) return '';
  const s = xs.reduce((a, b) => (b.length < a.length ? b : a));
  if (s.length > MAX_COMMON_SUBSTRING_INPUT) return '';
  for (let len = s.length; len > 0; len--) {
    for (let i = 0; i + len <= s.length; i++) {
      const first = s.charCodeAt(i);
      const last = s.charCodeAt(i + len - 1);
      if (first >= 0xdc00 && first <= 0xdfff) continue; // would start inside a pair
      if (last >= 0xd800 && last <= 0xdbff) continue; // would end inside a pair
      const sub = s.slice(i, i + len);
      if (xs.every((x) => x.includes(sub))) return sub;
    }
  }
  return '';
}

function fromExact(exact: string[]): Info {
  const required = exact.length === 1 ? exact[0]! : [commonPrefix(exact), commonSuffix(exact), commonSubstring(exact)].reduce(longer, '');
  return { exact, prefix: commonPrefix(exact), suffix: commonSuffix(exact), required, run: runOf(exact) };
}

const isSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdfff;

function classMembers(ranges: readonly number[]): number[] | null {
  let n = 0;
  for (let i = 0; i < ranges.length; i += 2) n += ranges[i + 1]! - ranges[i]! + 1;
  if (n > MAX_CLASS_EXPANSION) return null;
  const out: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) for (let c = ranges[i]!; c <= ranges[i + 1]!; c++) out.push(c);
  if (out.includes(0xfffd)) return null; // also matches invalid bytes
  if (out.some(isSurrogate)) return null; // no UTF-8 text holds one
  return out;
}

function concatInfo(a: Info, b: Info): Info {
  // The empty string is the identity (a concatenation's fold starts from it): keep what the other knows.
  if (a.exact !== null && a.exact.length === 1 && a.exact[0] === '') return b;
  if (b.exact !== null && b.exact.length === 1 && b.exact[0] === '') return a;
  if (a.exact !== null && b.exact !== null && a.exact.length * b.exact.length <= MAX_EXACT_SET) {
    const exact: string[] = [];
    for (const x of a.exact) for (const y of b.exact) exact.push(x + y);
    if (exact.every((s) => s.length <= MAX_EXACT_LENGTH)) return fromExact([...new Set(exact)]);
  }
  // Two runs of one character make one run: x+ · x+ is x{2,}.
  if (a.run !== null && b.run !== null && a.run.ch === b.run.ch) return runInfo(a.run.ch, a.run.min + b.run.min);
  // a·b starts with a's prefix; if a is one fixed string, the prefix runs on into b's.
  const prefix = a.exact !== null && a.exact.length === 1 ? a.exact[0]! + b.prefix : a.prefix;
  const suffix = b.exact !== null && b.exact.length === 1 ? a.suffix + b.exact[0]! : b.suffix;
  // a's suffix and b's prefix are adjacent in every match.
  const required = [a.required, b.required, a.suffix + b.prefix, prefix, suffix].reduce(longer, '');
  return { exact: null, prefix, suffix, required, run: null };
}

function alternateInfo(infos: Info[]): Info {
  if (infos.every((i) => i.exact !== null)) {
    const all = [...new Set(infos.flatMap((i) => i.exact!))];
    if (all.length <= MAX_EXACT_SET) return fromExact(all);
  }
  const prefix = commonPrefix(infos.map((i) => i.prefix));
  const suffix = commonSuffix(infos.map((i) => i.suffix));
  return { exact: null, prefix, suffix, required: longer(prefix, suffix), run: null };
}

/** Iterative post-order walk (patterns nest up to RE2's depth limit; no recursion). */
function analyse(root: RegexNode): Info {
  const results = new Map<RegexNode, Info>();
  const stack: Array<{ node: RegexNode; expanded: boolean }> = [{ node: root, expanded: false }];
  const children = (n: RegexNode): RegexNode[] => (n.op === 'concat' || n.op === 'alternate' ? n.subs : n.op === 'capture' || n.op === 'repeat' ? [n.sub] : []);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (!top.expanded) {
      top.expanded = true;
      for (const c of children(top.node)) stack.push({ node: c, expanded: false });
      continue;
    }
    stack.pop();
    results.set(top.node, infoOf(top.node, (n) => results.get(n)!));
  }
  return results.get(root)!;
}

function infoOf(n: RegexNode, sub: (n: RegexNode) => Info): Info {
  switch (n.op) {
    case 'emptyMatch':
      return fromExact(['']);
    case 'assert':
      // Zero-width, but not "matches the empty string anywhere": `\bfoo\b` is not `foo`.
      return NOTHING;
    case 'noMatch':
      return NOTHING; // matches nothing: "no information" is always safe
    case 'literal':
      return isSurrogate(n.rune) ? NOTHING : fromExact([String.fromCodePoint(n.rune)]);
    case 'class': {
      const members = classMembers(n.ranges);
      return members === null ? NOTHING : fromExact(members.map((c) => String.fromCodePoint(c)));
    }
    case 'capture':
      return sub(n.sub);
    case 'concat':
      return n.subs.map(sub).reduce(concatInfo, fromExact(['']));
    case 'alternate':
      return alternateInfo(n.subs.map(sub));
    case 'repeat': {
      const s = sub(n.sub);
      if (n.min === 0) return n.max === 0 ? fromExact(['']) : NOTHING;
      if (n.min === n.max && s.exact !== null && s.exact.length === 1 && s.exact[0]!.length * n.min <= MAX_EXACT_LENGTH) {
        return fromExact([s.exact[0]!.repeat(n.min)]);
      }
      // Copies of a run are a run: (x+x+)+ is x{2,}.
      if (s.run !== null) return runInfo(s.run.ch, s.run.min * n.min);
      // At least one copy: the first starts the match, the last ends it.
      return { exact: null, prefix: s.prefix, suffix: s.suffix, required: s.required, run: null };
    }
  }
}

/** ASCII letter `c` (either case) when `ranges` is exactly {upper, lower} of one ASCII letter. */
function asciiFoldPair(ranges: readonly number[]): string | null {
  if (ranges.length !== 4) return null;
  const [a, b, c, d] = ranges as [number, number, number, number];
  if (a !== b || c !== d) return null;
  if (a >= 0x41 && a <= 0x5a && c === a + 0x20) return String.fromCharCode(c);
  return null;
}

/**
 * The needle for an ASCII-case-insensitive substring search that is equivalent to the
 * pattern, or null. Eligible: a concatenation of literals (compared exactly) and classes
 * that are exactly one ASCII letter in both cases — i.e. what `(?i)` makes of a literal
 * whose letters have no non-ASCII case partners (`k` has U+212A and `s` has U+017F, so
 * `(?i)disk` is not eligible). At least one letter must be folded, or it is just `exact`.
 */
function foldedAsciiLiteral(root: RegexNode): string | null {
  const items = root.op === 'concat' ? root.subs : [root];
  let out = '';
  let folded = false;
  for (const it of items) {
    if (it.op === 'literal') {
      out += String.fromCodePoint(it.rune);
      continue;
    }
    if (it.op === 'class') {
      const c = asciiFoldPair(it.ranges);
      if (c === null) return null;
      out += c;
      folded = true;
      continue;
    }
    return null;
  }
  // A literal letter of the other case inside the needle would be folded by the kernel too.
  if (!folded || /[A-Za-z]/.test(items.filter((i) => i.op === 'literal').map((i) => String.fromCodePoint((i as { rune: number }).rune)).join(''))) return null;
  return out;
}

/** What the planner may run in place of, or before, a regex line filter. */
export interface LiteralPlan {
  /** The regex matches a line iff the line contains this (bytes compared exactly). */
  exact: string | null;
  /** The regex matches a line iff the line contains this, ASCII letters compared case-insensitively. */
  foldedAscii: string | null;
  /** Every matching line contains this (bytes exactly); null when nothing of `minBytes` is known. */
  required: string | null;
}

/**
 * Literal analysis of a parsed pattern for unanchored search (see the module note).
 *
 * @example analyseLiterals(parseRegex('user/[0-9]+')).required === 'user/'
 * @example analyseLiterals(parseRegex('foo\\.bar')).exact === 'foo.bar'
 * @example analyseLiterals(parseRegex('(?i)error')).foldedAscii === 'error'
 */
export function analyseLiterals(parsed: ParsedRegex, minBytes = 3): LiteralPlan {
  const info = analyse(parsed.root);
  const exact = info.exact !== null && info.exact.length === 1 ? info.exact[0]! : null;
  const foldedAscii = exact === null ? foldedAsciiLiteral(parsed.root) : null;
  const required = info.required !== '' && utf8Len(info.required) >= Math.max(1, minBytes) ? info.required : null;
  return { exact, foldedAscii, required };
}
