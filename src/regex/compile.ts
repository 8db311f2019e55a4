/**
 * Compiler: {@link ParsedRegex} → {@link Prog}, a byte-level Thompson NFA over UTF-8.
 *
 * ## What it owns
 * Turning the tree into instructions (format in `automaton.ts`), which means three jobs:
 *
 * 1. **Go's shape, instruction for instruction.** Priorities and empty-width loops follow
 *    Go's `regexp/syntax` (`simplify.go` + `compile.go`) exactly, because leftmost-first
 *    submatch positions depend on the order in which a Pike VM meets instructions:
 *    - counted repetition is expanded as Go's `Simplify` does: `x{2,5}` = `xx(x(x(x)?)?)?`,
 *      `x{3,}` = `xxx+`, `x{0}` = empty; a repeated empty match is the empty match, and a
 *      star of a star (plus of a plus, quest of a quest) with the same greediness collapses;
 *    - `x+` is `L: x; split(L, out)`; `x?` is `split(x, out)`; `x*` is `L: split(x→L, out)`
 *      — except when `x` can match empty, where `x*` is compiled as `(x+)?` (Go issue
 *      46123): that gives `(|a)*` on "aaa" the leftmost-first match "" that RE2 and Go
 *      report. Empty-width loops cannot spin: a Pike VM adds each instruction to a step's
 *      thread list at most once, so re-entering a loop without consuming is a no-op;
 *    - non-greedy operators swap the two arms of their split;
 *    - alternation is a chain of splits in priority order; `noMatch` is instruction 0
 *      (`OP_FAIL`), and, as in Go, a concatenation with it fails and an alternative that
 *      is it disappears.
 * 2. **Code-point classes → UTF-8 byte sequences.** Each inclusive range is split at the
 *    encoding-length boundaries (U+007F, U+07FF, U+FFFF) and around the surrogates
 *    (D800–DFFF are never encoded), then at continuation-byte boundaries until each piece
 *    is a product of byte ranges (`[E1-EC][80-BF][80-BF]`): the algorithm of RE2's compiler
 *    and Rust's `utf8-ranges`. The sequences are merged into a trie (shared prefixes), and
 *    the trie is emitted bottom-up with hash-consing of `(lo, hi, next)` byte instructions and
 *    `(x, y)` splits (shared suffixes), so `.` is 28 instructions and `\pL` (~650 ranges)
 *    about 1,600. The byte ranges at each trie level are disjoint, so the order of a class's
 *    alternatives carries no priority.
 * 3. **Invalid UTF-8, the rule we implement.** Go decodes an invalid byte as U+FFFD of width
 *    one. So a class that contains U+FFFD also matches one byte that can never start a
 *    valid sequence — 0x80–0xBF, 0xC0, 0xC1, 0xF5–0xFF — as a one-byte alternative. A
 *    *truncated* sequence (a valid lead byte 0xC2–0xF4 that is not followed by the
 *    continuation bytes it needs, e.g. Latin-1 "é" = 0xE9 before a space) is where we differ
 *    from Go: Go reads the lead byte as U+FFFD, our classes do not match it, so `.` does not
 *    match it and `a.b` does not match "a\xE9b". Matching resumes after it: the text around
 *    it is matched normally. The unanchored search must also start a match only where Go
 *    could (at a rune boundary): otherwise `\PL` would match the continuation byte inside
 *    "한" as a lone invalid byte. The forward decoder that finds those positions,
 *    {@link UTF8_DECODE}, lives here with the rest of the UTF-8 rules; `pike.ts` and
 *    `dfa.ts` both use it.
 *
 * ## Choices
 * - **Slots 0 and 1 (the whole match) are not in the program.** Like Go's machines, the
 *   matcher records slot 0 when it starts a thread and slot 1 when a thread reaches
 *   `OP_MATCH`. The program only saves slots 2..2n+1 (groups 1..n); `slotCount` still
 *   counts all `2 × (captureCount + 1)`.
 * - **`anchoredStart`** is computed on the program: every path from `start` passes an
 *   `OP_ASSERT` with `ASSERT_BEGIN_TEXT` before it can consume a byte or match.
 * - Instruction 0 is always `OP_FAIL` (Go's convention), so target 0 means "dead".
 * - The program size is capped ({@link MAX_PROG_INSTS}): a pattern over the cap is rejected
 *   with `RegexSyntaxError('expression too large')`, as Go rejects programs over its size
 *   limit, instead of running out of memory.
 */
import type { ParsedRegex, RegexNode } from './ast.js';
import {
  ASSERT_BEGIN_LINE,
  ASSERT_BEGIN_TEXT,
  ASSERT_END_LINE,
  ASSERT_END_TEXT,
  ASSERT_NOT_WORD_BOUNDARY,
  ASSERT_WORD_BOUNDARY,
  INST_WORDS,
  OP_ASSERT,
  OP_BYTE,
  OP_FAIL,
  OP_MATCH,
  OP_NOP,
  OP_SAVE,
  OP_SPLIT,
  type Prog,
} from './automaton.js';
import { RegexSyntaxError } from './errors.js';

/** Largest program we build (instructions). Byte-level classes are bigger than Go's rune instructions, so this is generous. */
export const MAX_PROG_INSTS = 1 << 21;

const ASSERT_BITS = {
  beginLine: ASSERT_BEGIN_LINE,
  endLine: ASSERT_END_LINE,
  beginText: ASSERT_BEGIN_TEXT,
  endText: ASSERT_END_TEXT,
  wordBoundary: ASSERT_WORD_BOUNDARY,
  notWordBoundary: ASSERT_NOT_WORD_BOUNDARY,
} as const;

// ---------------------------------------------------------------------------------------
// Simplification (Go's `Simplify`, limited to what changes the program's shape)

/** The tree after Go's simplification: repetition is star/plus/quest only. */
type SimpleNode =
  | { op: 'emptyMatch' }
  | { op: 'noMatch' }
  | { op: 'literal'; rune: number }
  | { op: 'class'; ranges: readonly number[] }
  | { op: 'assert'; kind: keyof typeof ASSERT_BITS }
  | { op: 'capture'; index: number; sub: SimpleNode }
  | { op: 'concat'; subs: SimpleNode[] }
  | { op: 'alternate'; subs: SimpleNode[] }
  | { op: 'star' | 'plus' | 'quest'; greedy: boolean; sub: SimpleNode };

/** Go's `simplify1`: build `op(sub)`, collapsing the cases that cannot change the language or the priorities. */
function repeatOp(op: 'star' | 'plus' | 'quest', greedy: boolean, sub: SimpleNode): SimpleNode {
  // Repeating the empty string matches it once.
  if (sub.op === 'emptyMatch') return sub;
  // The operators are idempotent when the greediness matches: (?:a*)* is a*.
  if (sub.op === op && sub.greedy === greedy) return sub;
  return { op, greedy, sub };
}

function simplify(node: RegexNode): SimpleNode {
  switch (node.op) {
    case 'emptyMatch':
    case 'noMatch':
    case 'literal':
    case 'class':
    case 'assert':
      return node;
    case 'capture':
      return { op: 'capture', index: node.index, sub: simplify(node.sub) };
    case 'concat':
      return { op: 'concat', subs: node.subs.map(simplify) };
    case 'alternate':
      return { op: 'alternate', subs: node.subs.map(simplify) };
    case 'repeat':
      return simplifyRepeat(node.min, node.max, node.greedy, node.sub);
  }
}

/** Go's `Simplify` of `OpRepeat` (and of `*`, `+`, `?`, which the tree also stores as counts). */
function simplifyRepeat(min: number, max: number, greedy: boolean, rawSub: RegexNode): SimpleNode {
  if (min === 0 && max === 0) return { op: 'emptyMatch' };
  const sub = simplify(rawSub);
  if (max === -1) {
    if (min === 0) return repeatOp('star', greedy, sub);
    if (min === 1) return repeatOp('plus', greedy, sub);
    // x{4,} is xxxx+ (three copies then a plus).
    const subs: SimpleNode[] = [];
    for (let i = 0; i < min - 1; i++) subs.push(sub);
    subs.push(repeatOp('plus', greedy, sub));
    return { op: 'concat', subs };
  }
  if (min === 1 && max === 1) return sub;
  if (min === 0 && max === 1) return repeatOp('quest', greedy, sub);
  // x{n,m}: n copies, then the remaining m-n nested as (x(x(x)?)?)?.
  const prefix: SimpleNode[] = [];
  for (let i = 0; i < min; i++) prefix.push(sub);
  if (max > min) {
    let suffix = repeatOp('quest', greedy, sub);
    for (let i = min + 1; i < max; i++) {
      suffix = repeatOp('quest', greedy, { op: 'concat', subs: [sub, suffix] });
    }
    prefix.push(suffix);
  }
  if (prefix.length === 0) return { op: 'noMatch' }; // min > max: impossible (the parser rejects it)
  return prefix.length === 1 ? prefix[0]! : { op: 'concat', subs: prefix };
}

// ---------------------------------------------------------------------------------------
// UTF-8 range splitting

/** One UTF-8 byte sequence as byte ranges: `[lo0, hi0, lo1, hi1, …]` (1 to 4 pairs). */
type ByteSeq = number[];

function encodeUtf8(cp: number, out: number[]): void {
  out.length = 0;
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/**
 * Appends the UTF-8 byte sequences of the code points `lo..hi` to `out`, in code-point order,
 * skipping surrogates. Each sequence is a product of byte ranges. Iterative (a work stack of
 * pending sub-ranges, processed lowest first).
 */
export function utf8Sequences(lo: number, hi: number, out: ByteSeq[]): void {
  const stack: number[] = [hi, lo]; // pairs pushed hi then lo; popped lo then hi
  const a: number[] = [];
  const b: number[] = [];
  const push = (l: number, h: number): void => {
    stack.push(h, l);
  };
  while (stack.length > 0) {
    const l = stack.pop()!;
    const h = stack.pop()!;
    if (l > h) continue;
    // Surrogates are not code points of UTF-8 text.
    if (l <= 0xdfff && h >= 0xd800) {
      push(0xe000, h); // pushed first: processed after the low part
      push(l, 0xd7ff);
      continue;
    }
    // Split at encoding-length boundaries.
    let split = false;
    for (const max of [0x7f, 0x7ff, 0xffff]) {
      if (l <= max && h > max) {
        push(max + 1, h);
        push(l, max);
        split = true;
        break;
      }
    }
    if (split) continue;
    if (h <= 0x7f) {
      out.push([l, h]);
      continue;
    }
    // Same length: split until every continuation position is either full (80-BF) or the
    // leading bytes are equal.
    const n = h <= 0x7ff ? 2 : h <= 0xffff ? 3 : 4;
    for (let i = 1; i < n; i++) {
      const m = (1 << (6 * i)) - 1;
      if ((l & ~m) !== (h & ~m)) {
        if ((l & m) !== 0) {
          push((l | m) + 1, h);
          push(l, l | m);
          split = true;
          break;
        }
        if ((h & m) !== m) {
          push(h & ~m, h);
          push(l, (h & ~m) - 1);
          split = true;
          break;
        }
      }
    }
    if (split) continue;
    encodeUtf8(l, a);
    encodeUtf8(h, b);
    const seq: ByteSeq = [];
    for (let i = 0; i < a.length; i++) seq.push(a[i]!, b[i]!);
    out.push(seq);
  }
}

/** The one-byte alternatives a class containing U+FFFD also matches: bytes that never start a valid sequence. */
export const INVALID_BYTE_RANGES: readonly (readonly [number, number])[] = [
  [0x80, 0xbf],
  [0xc0, 0xc1],
  [0xf5, 0xff],
];

/** Every byte sequence `class` matches, sorted by first byte (invalid-byte alternatives included). */
function classSequences(ranges: readonly number[]): ByteSeq[] {
  const seqs: ByteSeq[] = [];
  let hasReplacement = false;
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    const hi = ranges[i + 1]!;
    if (lo <= 0xfffd && hi >= 0xfffd) hasReplacement = true;
    utf8Sequences(lo, hi, seqs);
  }
  if (hasReplacement) for (const [lo, hi] of INVALID_BYTE_RANGES) seqs.push([lo, hi]);
  seqs.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  return seqs;
}

// ---------------------------------------------------------------------------------------
// Rune boundaries (where an unanchored search may start a match)

/**
 * A forward UTF-8 decoder as a table, for finding the positions where Go's decoder could
 * stand (rune boundaries), byte by byte.
 *
 * States: 0 = at a boundary; 1..7 = inside a valid-so-far multi-byte sequence, waiting for
 * a continuation byte (1: any 80–BF then done; 2: 80–BF then state 1; 3: 80–BF then state 2;
 * 4: after E0, A0–BF then 1; 5: after ED, 80–9F then 1; 6: after F0, 90–BF then 2;
 * 7: after F4, 80–8F then 2).
 *
 * `UTF8_DECODE[s * 256 + b]` for s > 0 is the next state when b continues the sequence, or
 * -1 when it does not: the sequence was truncated, so the position *before* b is a boundary
 * and b is decoded afresh. Row 0 gives the state after decoding b at a boundary. So the
 * position before byte b, in state s, is a boundary iff `s === 0 || UTF8_DECODE[s*256+b] < 0`
 * (and the end of the text is always one).
 *
 * On valid UTF-8 the boundaries are exactly Go's rune starts, and a lone invalid byte
 * (80–BF, C0, C1, F5–FF at a boundary) is one rune, as in Go. Inside a truncated sequence
 * (E4 B8 then "x"), Go would also stand on B8; we do not (see the invalid UTF-8 rule above).
 */
export const UTF8_DECODE: Int8Array = (() => {
  const t = new Int8Array(8 * 256).fill(-1);
  for (let b = 0; b < 256; b++) {
    let s = 0;
    if (b >= 0xc2 && b <= 0xdf) s = 1;
    else if (b === 0xe0) s = 4;
    else if (b === 0xed) s = 5;
    else if (b >= 0xe1 && b <= 0xef) s = 2;
    else if (b === 0xf0) s = 6;
    else if (b >= 0xf1 && b <= 0xf3) s = 3;
    else if (b === 0xf4) s = 7;
    t[b] = s;
  }
  const cont = (state: number, lo: number, hi: number, next: number): void => {
    for (let b = lo; b <= hi; b++) t[state * 256 + b] = next;
  };
  cont(1, 0x80, 0xbf, 0);
  cont(2, 0x80, 0xbf, 1);
  cont(3, 0x80, 0xbf, 2);
  cont(4, 0xa0, 0xbf, 1);
  cont(5, 0x80, 0x9f, 1);
  cont(6, 0x90, 0xbf, 2);
  cont(7, 0x80, 0x8f, 2);
  return t;
})();

// ---------------------------------------------------------------------------------------
// Program builder

/** A half-built piece of program: its entry, its dangling exits, whether it can match empty. */
interface Frag {
  /** Entry instruction; 0 (the `OP_FAIL` instruction) means "cannot match". */
  start: number;
  /** Exits to patch: `inst * INST_WORDS + word`. */
  holes: number[];
  nullable: boolean;
}

const FAILED: Frag = { start: 0, holes: [], nullable: false };

/** A trie of byte sequences: edges `[lo, hi]` to a child, `null` child = end of sequence. */
interface TrieNode {
  edges: { lo: number; hi: number; child: TrieNode | null }[];
}

class Builder {
  private words: Int32Array = new Int32Array(64 * INST_WORDS);
  count = 0;

  emit(op: number, a: number, b: number, c: number): number {
    if (this.count >= MAX_PROG_INSTS) throw new RegexSyntaxError('expression too large');
    if ((this.count + 1) * INST_WORDS > this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    const at = this.count * INST_WORDS;
    this.words[at] = op;
    this.words[at + 1] = a;
    this.words[at + 2] = b;
    this.words[at + 3] = c;
    return this.count++;
  }

  patch(holes: readonly number[], target: number): void {
    for (const h of holes) this.words[h] = target;
  }

  finish(): Int32Array {
    return this.words.slice(0, this.count * INST_WORDS);
  }

  // --- Go's fragment combinators -------------------------------------------------------

  nop(): Frag {
    const i = this.emit(OP_NOP, 0, 0, 0);
    return { start: i, holes: [i * INST_WORDS + 3], nullable: true };
  }

  assert(bits: number): Frag {
    const i = this.emit(OP_ASSERT, bits, 0, 0);
    return { start: i, holes: [i * INST_WORDS + 3], nullable: true };
  }

  save(slot: number): Frag {
    const i = this.emit(OP_SAVE, slot, 0, 0);
    return { start: i, holes: [i * INST_WORDS + 3], nullable: true };
  }

  cat(f1: Frag, f2: Frag): Frag {
    if (f1.start === 0 || f2.start === 0) return FAILED;
    this.patch(f1.holes, f2.start);
    return { start: f1.start, holes: f2.holes, nullable: f1.nullable && f2.nullable };
  }

  alt(f1: Frag, f2: Frag): Frag {
    if (f1.start === 0) return f2;
    if (f2.start === 0) return f1;
    const i = this.emit(OP_SPLIT, f1.start, f2.start, 0);
    return { start: i, holes: f1.holes.concat(f2.holes), nullable: f1.nullable || f2.nullable };
  }

  quest(f1: Frag, greedy: boolean): Frag {
    // Go keeps the split even around a failed fragment: split(fail, out) just skips it.
    const i = greedy ? this.emit(OP_SPLIT, f1.start, 0, 0) : this.emit(OP_SPLIT, 0, f1.start, 0);
    const own = i * INST_WORDS + (greedy ? 2 : 1);
    return { start: i, holes: [own, ...f1.holes], nullable: true };
  }

  /** `L: f1; split(L, out)` — returns the split's fragment with f1 as entry. */
  private loop(f1: Frag, greedy: boolean): Frag {
    const i = greedy ? this.emit(OP_SPLIT, f1.start, 0, 0) : this.emit(OP_SPLIT, 0, f1.start, 0);
    this.patch(f1.holes, i);
    return { start: f1.start, holes: [i * INST_WORDS + (greedy ? 2 : 1)], nullable: f1.nullable };
  }

  plus(f1: Frag, greedy: boolean): Frag {
    return this.loop(f1, greedy);
  }

  star(f1: Frag, greedy: boolean): Frag {
    if (f1.nullable) {
      // (x+)? keeps the priorities right when x can match empty (golang.org/issue/46123).
      return this.quest(this.plus(f1, greedy), greedy);
    }
    // L: split(x → L, out)
    const i = greedy ? this.emit(OP_SPLIT, f1.start, 0, 0) : this.emit(OP_SPLIT, 0, f1.start, 0);
    this.patch(f1.holes, i);
    return { start: i, holes: [i * INST_WORDS + (greedy ? 2 : 1)], nullable: true };
  }

  // --- classes -----------------------------------------------------------------------

  /** A class as a byte trie with shared suffixes; all exits are holes. */
  byteClass(seqs: ByteSeq[]): Frag {
    if (seqs.length === 0) return FAILED;
    const root: TrieNode = { edges: [] };
    for (const seq of seqs) {
      let node = root;
      for (let k = 0; k < seq.length; k += 2) {
        const lo = seq[k]!;
        const hi = seq[k + 1]!;
        const last = k + 2 === seq.length;
        // Ranges at one level are equal or disjoint, and sequences arrive sorted, so an equal
        // range can only be the most recent edge.
        const prev = node.edges[node.edges.length - 1];
        if (prev && prev.lo === lo && prev.hi === hi && !last && prev.child) {
          node = prev.child;
          continue;
        }
        const child: TrieNode | null = last ? null : { edges: [] };
        node.edges.push({ lo, hi, child });
        if (child) node = child;
      }
    }
    // Emit bottom-up with hash-consing. EXIT (-1) marks a dangling exit, patched later.
    const EXIT = -1;
    const cache = new Map<string, number>();
    const holes: number[] = [];
    const emitShared = (op: number, a: number, b: number, c: number): number => {
      const key = `${op},${a},${b},${c}`;
      let i = cache.get(key);
      if (i === undefined) {
        i = this.emit(op, a, b, c);
        cache.set(key, i);
        if (op === OP_BYTE && c === EXIT) holes.push(i * INST_WORDS + 3);
      }
      return i;
    };
    // Post-order walk with an explicit stack.
    const entry = new Map<TrieNode, number>();
    const stack: { node: TrieNode; expanded: boolean }[] = [{ node: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (!top.expanded) {
        top.expanded = true;
        for (const e of top.node.edges) if (e.child) stack.push({ node: e.child, expanded: false });
        continue;
      }
      stack.pop();
      // Adjacent ranges with the same continuation become one instruction (80-BF and C0-C1
      // as lone invalid bytes of `.` are 80-C1).
      const merged: { lo: number; hi: number; next: number }[] = [];
      for (const e of top.node.edges) {
        const next = e.child ? entry.get(e.child)! : EXIT;
        const last = merged[merged.length - 1];
        if (last && last.next === next && last.hi + 1 === e.lo) last.hi = e.hi;
        else merged.push({ lo: e.lo, hi: e.hi, next });
      }
      const alts = merged.map((e) => emitShared(OP_BYTE, e.lo, e.hi, e.next));
      // Right-nested split chain; the arms are disjoint, so their order carries no priority.
      let at = alts[alts.length - 1]!;
      for (let k = alts.length - 2; k >= 0; k--) at = emitShared(OP_SPLIT, alts[k]!, at, 0);
      entry.set(top.node, at);
    }
    return { start: entry.get(root)!, holes, nullable: false };
  }
}

function literalSequence(rune: number): ByteSeq {
  const bytes: number[] = [];
  encodeUtf8(rune, bytes);
  const seq: ByteSeq = [];
  for (const b of bytes) seq.push(b, b);
  return seq;
}

function compileNode(c: Builder, node: SimpleNode): Frag {
  switch (node.op) {
    case 'noMatch':
      return FAILED;
    case 'emptyMatch':
      return c.nop();
    case 'literal':
      return c.byteClass(node.rune === 0xfffd ? classSequences([0xfffd, 0xfffd]) : [literalSequence(node.rune)]);
    case 'class':
      return c.byteClass(classSequences(node.ranges));
    case 'assert':
      return c.assert(ASSERT_BITS[node.kind]);
    case 'capture': {
      const bra = c.save(2 * node.index);
      const sub = compileNode(c, node.sub);
      const ket = c.save(2 * node.index + 1);
      return c.cat(c.cat(bra, sub), ket);
    }
    case 'concat': {
      if (node.subs.length === 0) return c.nop();
      let f = compileNode(c, node.subs[0]!);
      for (let i = 1; i < node.subs.length; i++) f = c.cat(f, compileNode(c, node.subs[i]!));
      return f;
    }
    case 'alternate': {
      let f = FAILED;
      for (const sub of node.subs) f = c.alt(f, compileNode(c, sub));
      return f;
    }
    case 'star':
      return c.star(compileNode(c, node.sub), node.greedy);
    case 'plus':
      return c.plus(compileNode(c, node.sub), node.greedy);
    case 'quest':
      return c.quest(compileNode(c, node.sub), node.greedy);
  }
}

/**
 * Compiles a parsed pattern to a byte-level NFA. Throws `RegexSyntaxError('expression too
 * large')` when the program would exceed {@link MAX_PROG_INSTS} instructions.
 */
export function compileProg(parsed: ParsedRegex): Prog {
  const c = new Builder();
  c.emit(OP_FAIL, 0, 0, 0); // instruction 0: target 0 means "dead"
  const body = compileNode(c, simplify(parsed.root));
  const match = c.emit(OP_MATCH, 0, 0, 0);
  let start: number;
  if (body.start === 0) {
    start = 0;
  } else {
    c.patch(body.holes, match);
    start = body.start;
  }
  const insts = c.finish();
  return { insts, start, slotCount: 2 * (parsed.captureCount + 1), anchoredStart: startsAnchored(insts, start) };
}

/**
 * True when every path from `start` passes `\A` (an assertion with `ASSERT_BEGIN_TEXT`)
 * before it consumes a byte or matches. A program that cannot match at all is anchored too.
 */
function startsAnchored(insts: Int32Array, start: number): boolean {
  const seen = new Uint8Array(insts.length / INST_WORDS);
  const stack = [start];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (seen[pc]) continue;
    seen[pc] = 1;
    const at = pc * INST_WORDS;
    switch (insts[at]) {
      case OP_BYTE:
      case OP_MATCH:
        return false;
      case OP_FAIL:
        break;
      case OP_SPLIT:
        stack.push(insts[at + 2]!, insts[at + 1]!);
        break;
      case OP_ASSERT:
        if ((insts[at + 1]! & ASSERT_BEGIN_TEXT) === 0) stack.push(insts[at + 3]!);
        break;
      default: // OP_SAVE, OP_NOP
        stack.push(insts[at + 3]!);
    }
  }
  return true;
}

/** A readable listing of a program, one instruction per line (for tests and debugging). */
export function dumpProg(prog: Prog): string {
  const lines: string[] = [];
  const hex = (b: number): string => b.toString(16).padStart(2, '0');
  for (let pc = 0; pc * INST_WORDS < prog.insts.length; pc++) {
    const [op, a, b, c] = prog.insts.subarray(pc * INST_WORDS, pc * INST_WORDS + 4);
    const mark = pc === prog.start ? '*' : ' ';
    let text: string;
    switch (op) {
      case OP_BYTE:
        text = a === b ? `byte ${hex(a!)} -> ${c}` : `byte ${hex(a!)}-${hex(b!)} -> ${c}`;
        break;
      case OP_SPLIT:
        text = `split ${a}, ${b}`;
        break;
      case OP_SAVE:
        text = `save ${a} -> ${c}`;
        break;
      case OP_ASSERT:
        text = `assert ${a} -> ${c}`;
        break;
      case OP_MATCH:
        text = 'match';
        break;
      case OP_FAIL:
        text = 'fail';
        break;
      default:
        text = `nop -> ${c}`;
    }
    lines.push(`${mark}${pc}: ${text}`);
  }
  return lines.join('\n');
}
