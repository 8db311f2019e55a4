/**
 * RE2 / Go `regexp/syntax` parser: pattern text → `RegexNode` tree (see `ast.ts`).
 *
 * What it owns: the accepted syntax and the parse errors, with Go's `syntax.Perl` flags
 * (ClassNL | OneLine | PerlX | UnicodeGroups) — exactly what Go's `regexp.Compile` accepts,
 * Go 1.25 edition (`(?<name>…)`, `\p{Letter}`, case-insensitive `\p{…}` names). Flags are
 * applied while parsing, so the tree has no flag state (the contract in `ast.ts`).
 *
 * How: a transcription of Go's operator-stack parser (`parse.go`), kept structurally close on
 * purpose, because the accepted language has quirks that only that structure reproduces
 * (`a(?i)*` is `a*`; `a*\Q\E*` is legal; `**` is "missing argument" but `a**` is "nested
 * repetition"; a `{` that is not a valid repeat is a literal; which error wins when a pattern
 * has several). Error messages are Go's `ErrorCode` text plus the offending text exactly as
 * Go cuts it; the offset is the UTF-16 index where that text starts. Two deliberate
 * exceptions, where Go reports the whole pattern: `unexpected )` points at the stray `)`,
 * and `missing closing )` at the innermost unclosed `(`, which is where a caret helps.
 *
 * Limits: Go's `maxHeight` (1000), `maxSize` (compiled-size estimate) and `maxRunes` checks are
 * applied with Go's formulas to our tree, after every push, so no pattern can make the
 * compiler blow up; Go's repeat rule (nested counted repetitions multiply to at most 1000) is
 * exact. Our tree differs from Go's a little (we do not merge literals into strings, nor
 * factor common prefixes out of alternations), so near those limits the verdict can differ;
 * heights are computed as if literal runs were merged, like Go, to keep this rare.
 *
 * Simplifications, all free and exact: nested concatenations and alternations are flattened;
 * adjacent single-character alternatives merge into one class (`a|b` → `[ab]`, as Go); runs
 * of empty alternatives collapse; a one-code-point class is a literal.
 *
 * Linear time: every construct is consumed once; class building is O(n log n) in its ranges;
 * Unicode tables are computed once and shared (a `\pL` node reuses the cached array).
 */
import type { AssertKind, ParsedRegex, RegexNode } from './ast.js';
import { RegexSyntaxError } from './errors.js';
import {
  foldClosure,
  foldOrbit,
  foldOrbitRanges,
  MAX_RUNE,
  negateRanges,
  normalizeRanges,
  unicodeClass,
  type RuneRanges,
} from './unicode.js';

// ---------------------------------------------------------------------------------------
// Errors (Go ErrorCode text)
// ---------------------------------------------------------------------------------------

export const ERR_INVALID_CHAR_CLASS = 'invalid character class';
export const ERR_INVALID_CHAR_RANGE = 'invalid character class range';
export const ERR_INVALID_ESCAPE = 'invalid escape sequence';
export const ERR_INVALID_NAMED_CAPTURE = 'invalid named capture';
export const ERR_INVALID_PERL_OP = 'invalid or unsupported Perl syntax';
export const ERR_INVALID_REPEAT_OP = 'invalid nested repetition operator';
export const ERR_INVALID_REPEAT_SIZE = 'invalid repeat count';
export const ERR_INVALID_UTF8 = 'invalid UTF-8';
export const ERR_MISSING_BRACKET = 'missing closing ]';
export const ERR_MISSING_PAREN = 'missing closing )';
export const ERR_MISSING_REPEAT_ARGUMENT = 'missing argument to repetition operator';
export const ERR_TRAILING_BACKSLASH = 'trailing backslash at end of expression';
export const ERR_UNEXPECTED_PAREN = 'unexpected )';
export const ERR_NESTING_DEPTH = 'expression nests too deeply';
export const ERR_LARGE = 'expression too large';

function fail(code: string, expr: string, offset: number): never {
  throw new RegexSyntaxError(`${code}: \`${expr}\``, offset);
}

// ---------------------------------------------------------------------------------------
// Limits (Go parse.go)
// ---------------------------------------------------------------------------------------

/** Maximum tree height (Go `maxHeight`). */
export const MAX_HEIGHT = 1000;
/** Maximum estimated compiled size in instructions (Go `maxSize` = 128 MiB / 40 B). */
export const MAX_SIZE = Math.floor((128 << 20) / 40);
/** Maximum total code points held by classes (Go `maxRunes` = 128 MiB / 4 B). */
export const MAX_RUNES = (128 << 20) / 4;
/** Maximum count in `x{n,m}`, and maximum product of nested counts (Go `maxRepeat`). */
export const MAX_REPEAT = 1000;

// ---------------------------------------------------------------------------------------
// Flags and fixed classes
// ---------------------------------------------------------------------------------------

const FOLD_CASE = 1; // (?i)
const DOT_NL = 2; // (?s)
const ONE_LINE = 4; // absence of (?m)
const NON_GREEDY = 8; // (?U)
const INITIAL_FLAGS = ONE_LINE;

interface CharGroup {
  readonly negated: boolean;
  readonly ranges: RuneRanges;
}

const group = (negated: boolean, ranges: number[]): CharGroup => ({ negated, ranges: Object.freeze(ranges) });

const DIGIT = [0x30, 0x39];
const SPACE_PERL = [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20];
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];

/** Go `perlGroup`: ASCII-only, as Go. */
const PERL_GROUPS: ReadonlyMap<string, CharGroup> = new Map([
  ['d', group(false, DIGIT)],
  ['D', group(true, DIGIT)],
  ['s', group(false, SPACE_PERL)],
  ['S', group(true, SPACE_PERL)],
  ['w', group(false, WORD)],
  ['W', group(true, WORD)],
]);

const POSIX_CLASSES: Readonly<Record<string, number[]>> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: DIGIT,
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: WORD,
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

/** Go `posixGroup`, keyed by the whole `[:name:]` / `[:^name:]` text. */
const POSIX_GROUPS: ReadonlyMap<string, CharGroup> = new Map(
  Object.entries(POSIX_CLASSES).flatMap(([name, r]) => [
    [`[:${name}:]`, group(false, r)] as const,
    [`[:^${name}:]`, group(true, r)] as const,
  ]),
);

const ANY_CHAR: RuneRanges = Object.freeze([0, MAX_RUNE]);
const ANY_CHAR_NOT_NL: RuneRanges = Object.freeze([0, 0x09, 0x0b, MAX_RUNE]);

// ---------------------------------------------------------------------------------------
// Parse stack
// ---------------------------------------------------------------------------------------

/**
 * What Go's tree would hold for a node, as far as its height is concerned: Go merges
 * adjacent literals with the same case-folding flag into one string node of height 1.
 */
const enum GoLiteral {
  No = 0,
  Plain = 1,
  Folded = 2,
}

interface NodeMeta {
  readonly height: number;
  readonly size: number;
  readonly goLiteral: GoLiteral;
}

type StackItem =
  | { readonly kind: 'node'; node: RegexNode; meta: NodeMeta; pending: number[] | null }
  | {
      readonly kind: 'leftParen';
      /** Capture index, or 0 for `(?:` / `(?flags:`. */
      readonly capture: number;
      readonly name: string | null;
      /** Flags to restore at the matching `)`. */
      readonly savedFlags: number;
      readonly offset: number;
    }
  | { readonly kind: 'bar' };

type NodeItem = Extract<StackItem, { kind: 'node' }>;

const LEAF: NodeMeta = { height: 1, size: 1, goLiteral: GoLiteral.No };
const LEAF_PLAIN: NodeMeta = { height: 1, size: 1, goLiteral: GoLiteral.Plain };
const LEAF_FOLDED: NodeMeta = { height: 1, size: 1, goLiteral: GoLiteral.Folded };

/** A class node for `ranges`, or `noMatch` when empty, or a literal for one code point. */
function classNode(ranges: RuneRanges): RegexNode {
  if (ranges.length === 0) return { op: 'noMatch' };
  const lo = ranges[0]!;
  // A surrogate code point (only reachable through \x{D800}) stays a class: the AST keeps
  // literals surrogate-free, and a class of surrogates matches nothing in valid text.
  if (ranges.length === 2 && lo === ranges[1] && (lo < 0xd800 || lo > 0xdfff)) return { op: 'literal', rune: lo };
  return { op: 'class', ranges };
}

function isSingleChar(node: RegexNode): boolean {
  return node.op === 'literal' || node.op === 'class' || node.op === 'noMatch';
}

function nodeRanges(node: RegexNode): RuneRanges {
  switch (node.op) {
    case 'literal':
      return [node.rune, node.rune];
    case 'class':
      return node.ranges;
    default:
      return [];
  }
}

function isValidCaptureName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

function isOctal(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '7';
}

function unhex(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp >= 0x61 && cp <= 0x66) return cp - 0x61 + 10;
  if (cp >= 0x41 && cp <= 0x46) return cp - 0x41 + 10;
  return -1;
}

function isAlnum(cp: number): boolean {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

/** Go's `repeatIsValid`: nested counted repetitions may not multiply past `n` copies. */
function repeatIsValid(node: RegexNode, n: number): boolean {
  switch (node.op) {
    case 'repeat': {
      let m = node.max;
      if (m === 0) return true;
      if (m < 0) m = node.min;
      if (m > n) return false;
      if (m > 0) n = Math.trunc(n / m);
      return repeatIsValid(node.sub, n);
    }
    case 'capture':
      return repeatIsValid(node.sub, n);
    case 'concat':
    case 'alternate':
      return node.subs.every((s) => repeatIsValid(s, n));
    default:
      return true;
  }
}

/** Go `calcSize` for a repetition of a sub-expression of size `sub`. */
function repeatSize(min: number, max: number, sub: number): number {
  if (max === -1) return min === 0 ? 2 + sub : 1 + min * sub;
  return max * sub + (max - min);
}

// ---------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------

/** Decoded code point at a position: `cp`, and `end` just after it. */
interface Rune {
  readonly cp: number;
  readonly end: number;
}

class Parser {
  private readonly p: string;
  private flags = INITIAL_FLAGS;
  private readonly stack: StackItem[] = [];
  private numCap = 0;
  private readonly names: (string | null)[] = [null];
  private numRunes = 0;

  constructor(pattern: string) {
    this.p = pattern;
  }

  // --- decoding -----------------------------------------------------------------------

  /** `invalid UTF-8` for a lone surrogate at `at`; Go shows the text from there to `end`. */
  private badUtf8(at: number, end: number): never {
    fail(ERR_INVALID_UTF8, this.p.slice(at, end), at);
  }

  /** Decodes the code point at `i` (< length); a lone surrogate is invalid UTF-8. */
  private rune(i: number, end = this.p.length): Rune {
    const u = this.p.charCodeAt(i);
    if (u < 0xd800 || u > 0xdfff) return { cp: u, end: i + 1 };
    if (u <= 0xdbff && i + 1 < this.p.length) {
      const v = this.p.charCodeAt(i + 1);
      if (v >= 0xdc00 && v <= 0xdfff) return { cp: ((u - 0xd800) << 10) + (v - 0xdc00) + 0x10000, end: i + 2 };
    }
    this.badUtf8(i, end);
  }

  /** Go `checkUTF8` on `p[from, to)`. */
  private checkUtf8(from: number, to: number): void {
    for (let i = from; i < to; ) i = this.rune(i, to).end;
  }

  // --- stack --------------------------------------------------------------------------

  private top(): StackItem | undefined {
    return this.stack[this.stack.length - 1];
  }

  private wholeTooLarge(code: string): never {
    fail(code, this.p, 0);
  }

  /** Go `checkLimits` for a node just placed on the stack. */
  private checkLimits(meta: NodeMeta): void {
    if (this.numRunes > MAX_RUNES) this.wholeTooLarge(ERR_LARGE);
    if (meta.size > MAX_SIZE) this.wholeTooLarge(ERR_LARGE);
    if (meta.height > MAX_HEIGHT) this.wholeTooLarge(ERR_NESTING_DEPTH);
  }

  /**
   * Go `push`: places a finished node on the stack and checks the limits. `runes` is what Go
   * adds to its rune budget for it (class ranges ×2, 1 for a literal).
   */
  private pushNode(node: RegexNode, meta: NodeMeta, runes: number): void {
    this.numRunes += runes;
    this.stack.push({ kind: 'node', node, meta, pending: null });
    this.checkLimits(meta);
  }

  /** Pushes a class (a literal if it has one code point, `noMatch` if empty). */
  private pushClass(ranges: RuneRanges): void {
    this.pushNode(classNode(ranges), this.classMeta(ranges), ranges.length);
  }

  /** Go turns a one-rune class into a literal and `[Aa]` into a case-folded literal. */
  private classMeta(r: RuneRanges): NodeMeta {
    if (r.length === 2 && r[0] === r[1]) return LEAF_PLAIN;
    const a = r[0]!;
    if (r.length === 4 && a === r[1] && r[2] === r[3]) {
      const o = foldOrbit(a);
      if (o.length === 2 && o[1] === r[2]) return LEAF_FOLDED;
    }
    if (r.length === 2 && a + 1 === r[1]) {
      const o = foldOrbit(a);
      if (o.length === 2 && o[1] === a + 1) return LEAF_FOLDED;
    }
    return LEAF;
  }

  private pushLeftParen(capture: number, name: string | null, offset: number): void {
    this.stack.push({ kind: 'leftParen', capture, name, savedFlags: this.flags, offset });
  }

  /** Go `literal`: one code point, as its case-fold orbit under `(?i)`. */
  private literal(cp: number): void {
    if (this.flags & FOLD_CASE) this.pushNode(classNode(foldOrbitRanges(cp)), LEAF_FOLDED, 1);
    else this.pushNode(classNode([cp, cp]), LEAF_PLAIN, 1);
  }

  private assert(kind: AssertKind): void {
    this.pushNode({ op: 'assert', kind }, LEAF, 0);
  }

  // --- repetition -------------------------------------------------------------------------

  /**
   * Go `repeat`: applies `{min,max}` (from the operator at `before`, ending at `after`) to the
   * top of the stack. Returns the position after the operator and an optional `?`.
   */
  private repeat(min: number, max: number, before: number, after: number, lastRepeat: number): number {
    let flags = this.flags;
    if (this.p[after] === '?') {
      after++;
      flags ^= NON_GREEDY;
    }
    if (lastRepeat >= 0) {
      // Perl does not allow stacked repetition operators: a** is an error, not a doubled star.
      fail(ERR_INVALID_REPEAT_OP, this.p.slice(lastRepeat, after), lastRepeat);
    }
    const sub = this.top();
    if (sub === undefined || sub.kind !== 'node') {
      fail(ERR_MISSING_REPEAT_ARGUMENT, this.p.slice(before, after), before);
    }
    const node: RegexNode = { op: 'repeat', min, max, greedy: (flags & NON_GREEDY) === 0, sub: sub.node };
    const meta: NodeMeta = {
      height: 1 + sub.meta.height,
      size: Math.max(1, repeatSize(min, max, sub.meta.size)),
      goLiteral: GoLiteral.No,
    };
    this.stack[this.stack.length - 1] = { kind: 'node', node, meta, pending: null };
    this.checkLimits(meta);
    if ((min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      fail(ERR_INVALID_REPEAT_SIZE, this.p.slice(before, after), before);
    }
    return after;
  }

  /** Go `parseInt`: decimal without leading zeros; null if absent. Large values stay large. */
  private parseInt(i: number): { value: number; end: number } | null {
    const p = this.p;
    if (i >= p.length || p[i]! < '0' || p[i]! > '9') return null;
    if (p[i] === '0' && i + 1 < p.length && p[i + 1]! >= '0' && p[i + 1]! <= '9') return null;
    let j = i;
    let value = 0;
    while (j < p.length && p[j]! >= '0' && p[j]! <= '9') {
      if (value < 1e8) value = value * 10 + (p.charCodeAt(j) - 0x30);
      j++;
    }
    return { value, end: j };
  }

  /** Go `parseRepeat`: `{n}`, `{n,}` or `{n,m}` at `i`; null if not of that form. */
  private parseRepeat(i: number): { min: number; max: number; end: number } | null {
    const p = this.p;
    const lo = this.parseInt(i + 1);
    if (!lo) return null;
    let j = lo.end;
    if (j >= p.length) return null;
    let max: number;
    if (p[j] !== ',') {
      max = lo.value;
    } else {
      j++;
      if (j >= p.length) return null;
      if (p[j] === '}') {
        max = -1;
      } else {
        const hi = this.parseInt(j);
        if (!hi) return null;
        max = hi.value;
        j = hi.end;
      }
    }
    if (j >= p.length || p[j] !== '}') return null;
    return { min: lo.value, max, end: j + 1 };
  }

  // --- concatenation and alternation ---------------------------------------------------------

  /** Index of the first item above the topmost `(` or `|`. */
  private operandStart(): number {
    let i = this.stack.length;
    while (i > 0 && this.stack[i - 1]!.kind === 'node') i--;
    return i;
  }

  /** Turns a merged alternation class back into a normal node. */
  private finish(item: NodeItem): NodeItem {
    if (item.pending) {
      item.node = classNode(normalizeRanges(item.pending));
      item.pending = null;
    }
    return item;
  }

  /** Go `concat`: replaces the operands above the topmost `(` or `|` by their concatenation. */
  private concat(): void {
    const subs = this.stack.splice(this.operandStart()) as NodeItem[];
    if (subs.length === 0) {
      this.pushNode({ op: 'emptyMatch' }, LEAF, 0);
      return;
    }
    if (subs.length === 1) {
      this.stack.push(subs[0]!);
      return;
    }
    const flat: RegexNode[] = [];
    let size = 0;
    let maxHeight = 0;
    let lit: GoLiteral | null = null;
    for (const s of subs) {
      if (s.node.op === 'concat') flat.push(...s.node.subs);
      else flat.push(s.node);
      size += s.meta.size;
      maxHeight = Math.max(maxHeight, s.meta.height);
      if (lit === null) lit = s.meta.goLiteral;
      else if (lit !== s.meta.goLiteral) lit = GoLiteral.No;
    }
    // Go would have merged an all-literal run into one string node.
    const meta: NodeMeta =
      lit !== null && lit !== GoLiteral.No
        ? { height: 1, size, goLiteral: lit }
        : { height: 1 + maxHeight, size, goLiteral: GoLiteral.No };
    this.stack.push({ kind: 'node', node: { op: 'concat', subs: flat }, meta, pending: null });
    this.checkLimits(meta);
  }

  /** Go `alternate`: replaces the operands above the topmost `(` by their alternation. */
  private alternate(): void {
    const subs = (this.stack.splice(this.operandStart()) as NodeItem[]).map((s) => this.finish(s));
    if (subs.length === 0) {
      this.pushNode({ op: 'noMatch' }, LEAF, 0);
      return;
    }
    if (subs.length === 1) {
      this.stack.push(subs[0]!);
      return;
    }
    const flat: RegexNode[] = [];
    let size = 0;
    let maxHeight = 0;
    for (const s of subs) {
      const parts = s.node.op === 'alternate' ? s.node.subs : [s.node];
      for (const n of parts) {
        // Adjacent empty alternatives: the second can never change the outcome.
        if (n.op === 'emptyMatch' && flat.length > 0 && flat[flat.length - 1]!.op === 'emptyMatch') continue;
        flat.push(n);
      }
      size += s.meta.size;
      maxHeight = Math.max(maxHeight, s.meta.height);
    }
    if (flat.length === 1) {
      this.pushNode(flat[0]!, LEAF, 0);
      return;
    }
    const meta: NodeMeta = { height: 1 + maxHeight, size: size + subs.length - 1, goLiteral: GoLiteral.No };
    this.stack.push({ kind: 'node', node: { op: 'alternate', subs: flat }, meta, pending: null });
    this.checkLimits(meta);
  }

  /**
   * Go `swapVerticalBar`: if the top operand sits above a `|`, moves it below the bar (so
   * alternatives collect under it), merging it into the previous alternative when both
   * match exactly one character. Returns whether a bar was found.
   */
  private swapVerticalBar(): boolean {
    const s = this.stack;
    const n = s.length;
    if (n >= 3 && s[n - 2]!.kind === 'bar') {
      const re1 = s[n - 1]!;
      const re3 = s[n - 3]!;
      if (re1.kind === 'node' && re3.kind === 'node' && isSingleChar(re1.node) && isSingleChar(re3.node)) {
        if (!re3.pending) re3.pending = nodeRanges(re3.node).slice();
        const add = re1.pending ?? nodeRanges(re1.node);
        for (const x of add) re3.pending.push(x);
        re3.meta = LEAF;
        s.pop();
        return true;
      }
    }
    if (n >= 2 && s[n - 2]!.kind === 'bar') {
      if (n >= 3) {
        const out = s[n - 3]!;
        if (out.kind === 'node') this.finish(out);
      }
      const bar = s[n - 2]!;
      s[n - 2] = s[n - 1]!;
      s[n - 1] = bar;
      return true;
    }
    return false;
  }

  private parseVerticalBar(): void {
    this.concat();
    if (!this.swapVerticalBar()) this.stack.push({ kind: 'bar' });
  }

  private parseRightParen(at: number): void {
    this.concat();
    if (this.swapVerticalBar()) this.stack.pop();
    this.alternate();
    const n = this.stack.length;
    if (n < 2) fail(ERR_UNEXPECTED_PAREN, this.p, at);
    const re1 = this.stack[n - 1] as NodeItem;
    const re2 = this.stack[n - 2]!;
    if (re2.kind !== 'leftParen') fail(ERR_UNEXPECTED_PAREN, this.p, at);
    this.stack.length = n - 2;
    this.flags = re2.savedFlags;
    if (re2.capture === 0) {
      // Go re-pushes the group's content, turning a one-rune or [Aa]-like class into a literal.
      if (re1.meta.goLiteral === GoLiteral.No && (re1.node.op === 'class' || re1.node.op === 'noMatch')) {
        re1.meta = this.classMeta(nodeRanges(re1.node));
      }
      this.stack.push(re1);
      this.checkLimits(re1.meta);
    } else {
      const node: RegexNode = { op: 'capture', index: re2.capture, name: re2.name, sub: re1.node };
      this.pushNode(node, { height: 1 + re1.meta.height, size: 2 + re1.meta.size, goLiteral: GoLiteral.No }, 0);
    }
  }

  // --- escapes and classes -----------------------------------------------------------------

  /** Go `parseEscape`: a single-code-point escape at `i` (which holds `\`). */
  private parseEscape(i: number): Rune {
    const p = this.p;
    if (i + 1 >= p.length) fail(ERR_TRAILING_BACKSLASH, '', i);
    let { cp: c, end: t } = this.rune(i + 1);
    invalid: {
      switch (c) {
        case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37: {
          // Octal: \0, \012, \141. A single non-zero digit is a backreference: not supported.
          if (c !== 0x30 && !isOctal(p[t])) break invalid;
          let r = c - 0x30;
          for (let k = 1; k < 3 && isOctal(p[t]); k++) r = r * 8 + (p.charCodeAt(t++) - 0x30);
          return { cp: r, end: t };
        }
        case 0x78: {
          // \xHH or \x{H…}
          if (t >= p.length) break invalid;
          ({ cp: c, end: t } = this.rune(t));
          if (c === 0x7b) {
            let nhex = 0;
            let r = 0;
            for (;;) {
              if (t >= p.length) break invalid;
              ({ cp: c, end: t } = this.rune(t));
              if (c === 0x7d) break;
              const v = unhex(c);
              if (v < 0) break invalid;
              r = r * 16 + v;
              if (r > MAX_RUNE) break invalid;
              nhex++;
            }
            if (nhex === 0) break invalid;
            return { cp: r, end: t };
          }
          const x = unhex(c);
          let y = -1;
          if (t < p.length) {
            ({ cp: c, end: t } = this.rune(t));
            y = unhex(c);
          }
          if (x < 0 || y < 0) break invalid;
          return { cp: x * 16 + y, end: t };
        }
        // C escapes. There is no \b: it would clash with the word boundary.
        case 0x61: return { cp: 0x07, end: t }; // \a
        case 0x66: return { cp: 0x0c, end: t }; // \f
        case 0x6e: return { cp: 0x0a, end: t }; // \n
        case 0x72: return { cp: 0x0d, end: t }; // \r
        case 0x74: return { cp: 0x09, end: t }; // \t
        case 0x76: return { cp: 0x0b, end: t }; // \v
        default:
          // Escaped ASCII punctuation (and space, controls) is itself; \_ included, as Go.
          if (c < 0x80 && !isAlnum(c)) return { cp: c, end: t };
      }
    }
    fail(ERR_INVALID_ESCAPE, p.slice(i, t), i);
  }

  /** Applies `(?i)` and a sign to a named group (Go `appendGroup` / the `\p` fold logic). */
  private groupRanges(ranges: RuneRanges, negated: boolean): RuneRanges {
    const folded = this.flags & FOLD_CASE ? foldClosure(ranges) : ranges;
    return negated ? negateRanges(folded) : folded;
  }

  /** Go `parsePerlClassEscape`: `\d \D \s \S \w \W` at `i`. */
  private parsePerlClassEscape(i: number): { ranges: RuneRanges; end: number } | null {
    if (this.p[i] !== '\\' || i + 1 >= this.p.length) return null;
    const g = PERL_GROUPS.get(this.p[i + 1]!);
    if (!g) return null;
    return { ranges: this.groupRanges(g.ranges, g.negated), end: i + 2 };
  }

  /** Go `parseNamedClass`: `[:alpha:]` or `[:^alpha:]` at `i`. */
  private parseNamedClass(i: number): { ranges: RuneRanges; end: number } | null {
    const close = this.p.indexOf(':]', i + 2);
    if (close < 0) return null;
    const name = this.p.slice(i, close + 2);
    const g = POSIX_GROUPS.get(name);
    if (!g) fail(ERR_INVALID_CHAR_RANGE, name, i);
    return { ranges: this.groupRanges(g.ranges, g.negated), end: close + 2 };
  }

  /** Go `parseUnicodeClass`: `\pL`, `\p{Greek}`, `\PL`, `\p{^Greek}` at `i`. */
  private parseUnicodeClass(i: number): { ranges: RuneRanges; end: number } | null {
    const p = this.p;
    if (p[i] !== '\\' || (p[i + 1] !== 'p' && p[i + 1] !== 'P')) return null;
    let negated = p[i + 1] === 'P';
    let seqEnd: number;
    let name: string;
    if (i + 2 >= p.length) {
      seqEnd = i + 2; // Go decodes nothing here: the name is empty.
      name = '';
    } else {
      const r = this.rune(i + 2);
      if (r.cp !== 0x7b) {
        seqEnd = r.end;
        name = p.slice(i + 2, r.end);
      } else {
        const close = p.indexOf('}', i);
        if (close < 0) {
          this.checkUtf8(i, p.length);
          fail(ERR_INVALID_CHAR_RANGE, p.slice(i), i);
        }
        seqEnd = close + 1;
        this.checkUtf8(i + 3, close);
        name = p.slice(i + 3, close);
      }
    }
    // \p{^Han} is \P{Han}; \P{^Han} is \p{Han}.
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const table = name === '' ? null : unicodeClass(name);
    if (!table) fail(ERR_INVALID_CHAR_RANGE, p.slice(i, seqEnd), i);
    return { ranges: this.groupRanges(table, negated), end: seqEnd };
  }

  /** Go `parseClassChar`: one class member code point at `i` (escapes allowed). */
  private parseClassChar(i: number, classStart: number): Rune {
    if (i >= this.p.length) fail(ERR_MISSING_BRACKET, this.p.slice(classStart), classStart);
    if (this.p[i] === '\\') return this.parseEscape(i);
    return this.rune(i);
  }

  /** Go `parseClass`: a bracket expression at `start`; returns the position after `]`. */
  private parseClass(start: number): number {
    const p = this.p;
    let t = start + 1;
    let negated = false;
    if (p[t] === '^') {
      negated = true;
      t++;
      // With ClassNL (Go's Perl flags) a negated class matches \n: nothing to add.
    }
    const raw: number[] = [];
    const addAll = (r: RuneRanges) => {
      for (const x of r) raw.push(x);
    };
    let first = true; // ] is a literal as the first member
    while (t >= p.length || p[t] !== ']' || first) {
      first = false;
      if (p.length - t > 2 && p[t] === '[' && p[t + 1] === ':') {
        const named = this.parseNamedClass(t);
        if (named) {
          addAll(named.ranges);
          t = named.end;
          continue;
        }
      }
      const uni = this.parseUnicodeClass(t);
      if (uni) {
        addAll(uni.ranges);
        t = uni.end;
        continue;
      }
      const perl = this.parsePerlClassEscape(t);
      if (perl) {
        addAll(perl.ranges);
        t = perl.end;
        continue;
      }
      const rangeStart = t;
      const lo = this.parseClassChar(t, start);
      t = lo.end;
      let hi = lo.cp;
      // [a-] means a or -: a range needs something other than ] after the -.
      if (p.length - t >= 2 && p[t] === '-' && p[t + 1] !== ']') {
        const h = this.parseClassChar(t + 1, start);
        t = h.end;
        hi = h.cp;
        if (hi < lo.cp) fail(ERR_INVALID_CHAR_RANGE, p.slice(rangeStart, t), rangeStart);
      }
      raw.push(lo.cp, hi);
    }
    t++; // ]
    let ranges: RuneRanges = normalizeRanges(raw);
    // Fold first, then negate, as Go. Negated members are already closed under folding.
    if (this.flags & FOLD_CASE) ranges = foldClosure(ranges);
    if (negated) ranges = negateRanges(ranges);
    this.pushClass(ranges);
    return t;
  }

  // --- groups and flags ----------------------------------------------------------------------

  /** Go `parsePerlFlags`: `(?P<name>`, `(?<name>`, `(?flags)`, `(?flags:` at `start`. */
  private parsePerlFlags(start: number): number {
    const p = this.p;
    const rest = p.length - start;
    const startsWithP = rest > 4 && p[start + 2] === 'P' && p[start + 3] === '<';
    const startsWithName = rest > 3 && p[start + 2] === '<';
    if (startsWithP || startsWithName) {
      const nameStart = start + (startsWithP ? 4 : 3);
      const close = p.indexOf('>', start);
      if (close < 0) {
        this.checkUtf8(start, p.length);
        fail(ERR_INVALID_NAMED_CAPTURE, p.slice(start), start);
      }
      this.checkUtf8(nameStart, close);
      const name = p.slice(nameStart, close);
      if (!isValidCaptureName(name)) fail(ERR_INVALID_NAMED_CAPTURE, p.slice(start, close + 1), start);
      this.numCap++;
      this.names.push(name);
      this.pushLeftParen(this.numCap, name, start);
      return close + 1;
    }

    // Flags, with Go's trick: after '-', work on the complement so that "set" clears.
    let t = start + 2;
    let flags = this.flags;
    let sign = 1;
    let sawFlag = false;
    loop: while (t < p.length) {
      const r = this.rune(t);
      t = r.end;
      switch (r.cp) {
        case 0x69: // i
          flags |= FOLD_CASE;
          sawFlag = true;
          break;
        case 0x6d: // m
          flags &= ~ONE_LINE;
          sawFlag = true;
          break;
        case 0x73: // s
          flags |= DOT_NL;
          sawFlag = true;
          break;
        case 0x55: // U
          flags |= NON_GREEDY;
          sawFlag = true;
          break;
        case 0x2d: // -
          if (sign < 0) break loop;
          sign = -1;
          flags = ~flags;
          sawFlag = false;
          break;
        case 0x3a: // :
        case 0x29: // )
          if (sign < 0) {
            if (!sawFlag) break loop;
            flags = ~flags;
          }
          if (r.cp === 0x3a) this.pushLeftParen(0, null, start);
          this.flags = flags;
          return t;
        default:
          break loop;
      }
    }
    fail(ERR_INVALID_PERL_OP, p.slice(start, t), start);
  }

  // --- main loop -------------------------------------------------------------------------------

  parse(): ParsedRegex {
    const p = this.p;
    let pos = 0;
    /** Start of the repetition operator parsed by the previous step, or -1. */
    let lastRepeat = -1;
    while (pos < p.length) {
      let repeatAt = -1;
      const ch = p[pos]!;
      switch (ch) {
        case '(':
          if (p[pos + 1] === '?') {
            pos = this.parsePerlFlags(pos);
            break;
          }
          this.numCap++;
          this.names.push(null);
          this.pushLeftParen(this.numCap, null, pos);
          pos++;
          break;
        case '|':
          this.parseVerticalBar();
          pos++;
          break;
        case ')':
          this.parseRightParen(pos);
          pos++;
          break;
        case '^':
          this.assert(this.flags & ONE_LINE ? 'beginText' : 'beginLine');
          pos++;
          break;
        case '$':
          this.assert(this.flags & ONE_LINE ? 'endText' : 'endLine');
          pos++;
          break;
        case '.':
          this.pushNode(classNode(this.flags & DOT_NL ? ANY_CHAR : ANY_CHAR_NOT_NL), LEAF, 0);
          pos++;
          break;
        case '[':
          pos = this.parseClass(pos);
          break;
        case '*':
        case '+':
        case '?': {
          const min = ch === '+' ? 1 : 0;
          const max = ch === '?' ? 1 : -1;
          repeatAt = pos;
          pos = this.repeat(min, max, pos, pos + 1, lastRepeat);
          break;
        }
        case '{': {
          const rep = this.parseRepeat(pos);
          if (!rep) {
            // Not a valid repeat: { is a literal.
            this.literal(0x7b);
            pos++;
            break;
          }
          if (rep.min > MAX_REPEAT || rep.max > MAX_REPEAT || (rep.max >= 0 && rep.min > rep.max)) {
            fail(ERR_INVALID_REPEAT_SIZE, p.slice(pos, rep.end), pos);
          }
          repeatAt = pos;
          pos = this.repeat(rep.min, rep.max, pos, rep.end, lastRepeat);
          break;
        }
        case '\\':
          pos = this.parseBackslash(pos);
          break;
        default: {
          const r = this.rune(pos);
          this.literal(r.cp);
          pos = r.end;
        }
      }
      lastRepeat = repeatAt;
    }

    this.concat();
    if (this.swapVerticalBar()) this.stack.pop();
    this.alternate();
    if (this.stack.length !== 1) {
      let open = 0;
      for (const item of this.stack) if (item.kind === 'leftParen') open = item.offset;
      fail(ERR_MISSING_PAREN, p, open);
    }
    const root = this.finish(this.stack[0] as NodeItem).node;
    return { root, captureCount: this.numCap, names: this.names };
  }

  /** A `\` outside a class at `pos`; returns the position after the escape. */
  private parseBackslash(pos: number): number {
    const p = this.p;
    switch (p[pos + 1]) {
      case 'A':
        this.assert('beginText');
        return pos + 2;
      case 'b':
        this.assert('wordBoundary');
        return pos + 2;
      case 'B':
        this.assert('notWordBoundary');
        return pos + 2;
      case 'C':
        // RE2's "any byte"; Go does not support it.
        fail(ERR_INVALID_ESCAPE, '\\C', pos);
      case 'Q': {
        // \Q…\E: everything up to \E (or the end) is literal.
        const close = p.indexOf('\\E', pos + 2);
        const litEnd = close < 0 ? p.length : close;
        for (let i = pos + 2; i < litEnd; ) {
          const r = this.rune(i, litEnd);
          this.literal(r.cp);
          i = r.end;
        }
        return close < 0 ? p.length : close + 2;
      }
      case 'z':
        this.assert('endText');
        return pos + 2;
    }
    const uni = this.parseUnicodeClass(pos);
    if (uni) {
      this.pushClass(uni.ranges);
      return uni.end;
    }
    const perl = this.parsePerlClassEscape(pos);
    if (perl) {
      this.pushClass(perl.ranges);
      return perl.end;
    }
    const r = this.parseEscape(pos);
    this.literal(r.cp);
    return r.end;
  }
}

/**
 * Parses an RE2 pattern with Go `regexp` syntax and semantics (`syntax.Perl` flags).
 * Throws {@link RegexSyntaxError} with Go's message and the UTF-16 offset of the problem.
 */
export function parseRegex(pattern: string): ParsedRegex {
  return new Parser(pattern).parse();
}

// ---------------------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------------------

/**
 * A compact, deterministic rendering of a tree, modelled on Go's `parse_test.go` dump:
 *
 * - `emp{}` empty match, `no{}` no match;
 * - `lit{a}` one code point; `str{abc}` a run of literals inside a concatenation (a
 *   concatenation of literals only prints as just `str{…}`). Printable ASCII other than
 *   `{ } \` prints as itself, anything else as `\x{hex}`;
 * - `cc{0x30-0x39 0x5f}` a class (hex ranges); `dot{}` is the class of every code point and
 *   `dnl{}` every code point but `\n`;
 * - `bol{} eol{} bot{} eot{} wb{} nwb{}` assertions (line/text begin/end, word boundary);
 * - `cap{…}`, `cap{name:…}` captures;
 * - `cat{…}`, `alt{…}` concatenation and alternation (subs back to back);
 * - `star{…}` {0,}, `plus{…}` {1,}, `que{…}` {0,1}, `rep{n,m …}` (m = -1 if unbounded); an
 *   `n` prefix marks non-greedy (`nstar{…}`, `nrep{2,-1 …}`).
 */
export function formatRegexNode(node: RegexNode): string {
  const out: string[] = [];
  write(node, out);
  return out.join('');
}

function litChar(cp: number): string {
  if (cp >= 0x21 && cp <= 0x7e && cp !== 0x7b && cp !== 0x7d && cp !== 0x5c) return String.fromCharCode(cp);
  return `\\x{${cp.toString(16)}}`;
}

const ASSERT_NAMES: Readonly<Record<AssertKind, string>> = {
  beginLine: 'bol',
  endLine: 'eol',
  beginText: 'bot',
  endText: 'eot',
  wordBoundary: 'wb',
  notWordBoundary: 'nwb',
};

function sameRanges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function write(node: RegexNode, out: string[]): void {
  switch (node.op) {
    case 'emptyMatch':
      out.push('emp{}');
      return;
    case 'noMatch':
      out.push('no{}');
      return;
    case 'literal':
      out.push(`lit{${litChar(node.rune)}}`);
      return;
    case 'class': {
      if (sameRanges(node.ranges, ANY_CHAR)) out.push('dot{}');
      else if (sameRanges(node.ranges, ANY_CHAR_NOT_NL)) out.push('dnl{}');
      else {
        const parts: string[] = [];
        for (let i = 0; i < node.ranges.length; i += 2) {
          const lo = node.ranges[i]!;
          const hi = node.ranges[i + 1]!;
          parts.push(lo === hi ? `0x${lo.toString(16)}` : `0x${lo.toString(16)}-0x${hi.toString(16)}`);
        }
        out.push(`cc{${parts.join(' ')}}`);
      }
      return;
    }
    case 'assert':
      out.push(`${ASSERT_NAMES[node.kind]}{}`);
      return;
    case 'capture':
      out.push(node.name === null ? 'cap{' : `cap{${node.name}:`);
      write(node.sub, out);
      out.push('}');
      return;
    case 'concat': {
      if (node.subs.every((s) => s.op === 'literal')) {
        out.push(`str{${node.subs.map((s) => litChar((s as { rune: number }).rune)).join('')}}`);
        return;
      }
      out.push('cat{');
      for (let i = 0; i < node.subs.length; ) {
        let j = i;
        while (j < node.subs.length && node.subs[j]!.op === 'literal') j++;
        if (j - i >= 2) {
          out.push(`str{${node.subs.slice(i, j).map((s) => litChar((s as { rune: number }).rune)).join('')}}`);
          i = j;
        } else {
          write(node.subs[i]!, out);
          i++;
        }
      }
      out.push('}');
      return;
    }
    case 'alternate':
      out.push('alt{');
      for (const s of node.subs) write(s, out);
      out.push('}');
      return;
    case 'repeat': {
      const n = node.greedy ? '' : 'n';
      if (node.min === 0 && node.max === -1) out.push(`${n}star{`);
      else if (node.min === 1 && node.max === -1) out.push(`${n}plus{`);
      else if (node.min === 0 && node.max === 1) out.push(`${n}que{`);
      else out.push(`${n}rep{${node.min},${node.max} `);
      write(node.sub, out);
      out.push('}');
      return;
    }
  }
}
