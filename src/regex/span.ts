/**
 * Where is the leftmost-first match? Two lazy DFAs find its span, so the Pike VM runs only
 * on that span (for the groups), and not at all on a line without a match.
 *
 * ## What it owns
 * {@link SpanFinder}: for a {@link Prog} and a text `bytes[start, end)`, the `[s, e)` of the
 * match `pikeSearch` would report (Go's `FindIndex`), or "no match", or "over budget" (the
 * caller then runs the Pike VM, which is always right). This is RE2's strategy:
 * 1. **Forward, leftmost-first.** A DFA whose states are *ordered* lists of NFA positions
 *    (priority order, as the Pike VM's thread list) runs from `start`. When the epsilon
 *    closure at a position reaches `OP_MATCH`, a match ends there and the lower-priority
 *    entries are cut, exactly where the Pike VM's `break` cuts them; once a match is seen no
 *    start thread is added (a state bit). The last position where a match ended, when the
 *    list runs dry, is the end `e` of the leftmost-first match. Most lines of a count do
 *    not match: this pass alone answers them.
 * 2. **Reverse, anchored at `e`, longest.** A DFA over the *reversed* program (every edge
 *    turned around: from `OP_MATCH` back to `start`) runs from `e` towards `start` and
 *    remembers the smallest position where the program's start is reached at a rune
 *    boundary. No match starts left of the leftmost-first one, and that one ends at `e`, so
 *    the smallest such position is its start `s`.
 * Then the groups are filled on `[s, e)` only (index.ts: `backtrack.ts`, or the Pike VM
 * anchored at `s`).
 *
 * ## Invariants
 * - Assertions (`^ $ \A \z \b \B`, `(?m)`) see the real text on both sides, as in the Pike
 *   VM: a DFA state carries what is known about the byte on its already-read side, and
 *   the closure at a position is taken when the byte on the other side is the symbol read
 *   (RE2's one-byte delay). The forward pass reads `bytes[i]` at position `i`, the reverse
 *   pass `bytes[i-1]`.
 * - Matches start at rune boundaries only (the decoder `UTF8_DECODE`, as in `pike.ts`): the
 *   forward DFA tracks the decoder state when the pattern's start could care (as `dfa.ts`
 *   does); the reverse pass asks {@link SpanFinder} for boundaries only at continuation
 *   bytes (elsewhere every position is one) and decodes from `start` once, lazily.
 * - States are built on demand and kept (one cache per program, per direction); past
 *   {@link SPAN_MAX_STATES} states, {@link SPAN_MAX_TABLE_BYTES} of table or
 *   {@link SPAN_MAX_WORK} closure steps the finder gives
 *   up for good and says so: linear time is kept by the caller's Pike VM fallback, never
 *   by an exponential construction.
 */
import {
  ASSERT_END_LINE,
  ASSERT_END_TEXT,
  ASSERT_NOT_WORD_BOUNDARY,
  ASSERT_WORD_BOUNDARY,
  DFA_DEAD,
  INST_WORDS, OP_ASSERT, OP_BYTE, OP_MATCH, OP_NOP, OP_SAVE, OP_SPLIT, type Prog } from './automaton.js';
import { UTF8_DECODE } from './compile.js';
import { analyseProg, byteClasses, F_AT_START, F_PREV_NEWLINE, F_PREV_WORD } from './dfa.js';
import { assertionContext, WORD_BYTE } from './pike.js';

/** States per direction before a finder gives up (then the Pike VM runs alone). */
export const SPAN_MAX_STATES = 4096;
/** Transition table bytes per direction before a finder gives up (128 cached patterns × 2 directions must stay small). */
export const SPAN_MAX_TABLE_BYTES = 2 << 20;
/** Instruction visits per direction before a finder gives up. */
export const SPAN_MAX_WORK = 20_000_000;

/** {@link SpanFinder.find}'s answers. */
export const SPAN_NONE = 0;
export const SPAN_FOUND = 1;
export const SPAN_GAVE_UP = 2;

/** The byte that stands for a state's flags when an assertion context is computed. */
function flagByte(flags: number): number {
  return flags & F_AT_START ? -1 : flags & F_PREV_NEWLINE ? 0x0a : flags & F_PREV_WORD ? 0x61 : 0x20;
}

function flagsOf(b: number): number {
  return b < 0 ? F_AT_START : (WORD_BYTE[b] ? F_PREV_WORD : 0) | (b === 0x0a ? F_PREV_NEWLINE : 0);
}

/**
 * A lazily built DFA: `table[s * stride + sym]` is `-1` (not built yet) or
 * `next * 2 + matchBit`, where the match bit says the closure at the current position
 * reached what the direction is looking for. State 0 is dead (its row is all zeros).
 */
abstract class LazyDfa {
  readonly classes: Uint8Array;
  readonly classCount: number;
  readonly stride: number;
  protected readonly reps: number[];
  table: Int32Array;
  protected stateCount = 1;
  protected readonly ids = new Map<string, number>();
  protected work = 0;
  gaveUp = false;
  protected readonly mark: Int32Array;
  protected gen = 0;
  protected readonly stack: number[] = [];

  constructor(
    protected readonly prog: Prog,
    classes: { classes: Uint8Array; classCount: number; reps: number[] },
  ) {
    this.classes = classes.classes;
    this.classCount = classes.classCount;
    this.reps = classes.reps;
    this.stride = this.classCount + 1;
    this.table = new Int32Array(this.stride * 16).fill(-1);
    this.table.fill(0, 0, this.stride); // dead row
    this.mark = new Int32Array(prog.insts.length / INST_WORDS);
  }

  /** The id of the state under `key`, created by `make` (which stores its data) when new; -1 over budget. */
  protected intern(key: string, make: (id: number) => void): number {
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    if (this.stateCount >= SPAN_MAX_STATES || (this.stateCount + 1) * this.stride * 4 > SPAN_MAX_TABLE_BYTES) {
      this.gaveUp = true;
      return -1;
    }
    const id = this.stateCount++;
    if ((id + 1) * this.stride > this.table.length) {
      const grown = new Int32Array(this.table.length * 2).fill(-1);
      grown.set(this.table);
      this.table = grown;
    }
    this.ids.set(key, id);
    make(id);
    return id;
  }

  /** Builds the transition of state `s` on symbol `sym` (class id, or `classCount` for "no byte"); -1 when giving up. */
  abstract build(s: number, sym: number): number;

  /** The transition, built when needed; -1 when the finder gives up. */
  step(s: number, sym: number): number {
    const t = this.build(s, sym);
    if (t < 0 || this.work > SPAN_MAX_WORK) {
      this.gaveUp = true;
      return -1;
    }
    this.table[s * this.stride + sym] = t;
    return t;
  }
}

/** Forward: states are ordered NFA lists; the match bit means "a leftmost-first match candidate ends here". */
class ForwardDfa extends LazyDfa {
  private readonly pcs: Int32Array[] = [new Int32Array(0)];
  private readonly flags: number[] = [0];
  private readonly dec: number[] = [0];
  private readonly seen: boolean[] = [true];
  private readonly anchored: boolean;
  private readonly trackBoundaries: boolean;
  private readonly startNeedsTextStart: boolean;
  private readonly flagMask: number;
  /** Start states by flags (F_AT_START set: the text's start). */
  readonly start: number;
  private readonly list: number[] = [];

  constructor(prog: Prog) {
    const anchored = prog.anchoredStart;
    const a = analyseProg(prog, anchored);
    super(prog, byteClasses(prog, a));
    this.anchored = anchored;
    this.trackBoundaries = a.trackBoundaries;
    this.startNeedsTextStart = a.startNeedsTextStart;
    // The text's start always matters here: it is where an anchored search may begin.
    this.flagMask = a.flagMask | F_AT_START;
    this.start = this.state(new Int32Array(0), F_AT_START, 0, false);
  }

  private state(pcs: Int32Array, flags: number, dec: number, seen: boolean): number {
    return this.intern(`${dec}/${flags}/${seen ? 1 : 0}/${pcs.join(',')}`, () => {
      this.pcs.push(pcs);
      this.flags.push(flags);
      this.dec.push(dec);
      this.seen.push(seen);
    });
  }

  /**
   * Appends the closure of `pc0` under `ctx` to `this.list` (byte instructions, in the Pike
   * VM's priority order); true when it reaches `OP_MATCH` (the walk stops there: what
   * follows has lower priority and is cut).
   */
  private closure(pc0: number, ctx: number): boolean {
    const { insts } = this.prog;
    const { mark, stack, list } = this;
    const gen = this.gen;
    stack.length = 0;
    stack.push(pc0);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      this.work++;
      const at = pc * INST_WORDS;
      switch (insts[at]) {
        case OP_BYTE:
          list.push(pc);
          break;
        case OP_MATCH:
          return true;
        case OP_SPLIT:
          stack.push(insts[at + 2]!, insts[at + 1]!);
          break;
        case OP_ASSERT:
          if ((insts[at + 1]! & ~ctx) === 0) stack.push(insts[at + 3]!);
          break;
        case OP_SAVE:
        case OP_NOP:
          stack.push(insts[at + 3]!);
          break;
        default: // OP_FAIL
      }
    }
    return false;
  }

  build(s: number, sym: number): number {
    const insts = this.prog.insts;
    const pcs = this.pcs[s]!;
    const flags = this.flags[s]!;
    const dec = this.dec[s]!;
    const seen = this.seen[s]!;
    const isEnd = sym === this.classCount;
    const rep = isEnd ? -1 : this.reps[sym]!;
    // Is this position a rune boundary (where the Pike VM may start a thread)?
    let decT = -1;
    let boundary = true;
    if (!isEnd && this.trackBoundaries && dec !== 0) {
      decT = UTF8_DECODE[dec * 256 + rep]!;
      boundary = decT < 0;
    }
    const atStart = (flags & F_AT_START) !== 0;
    const addStart = !seen && boundary && (this.anchored || this.startNeedsTextStart ? atStart : true);
    const ctx = assertionContext(flagByte(flags), rep);
    this.gen++;
    this.list.length = 0;
    let matched = false;
    for (let k = 0; k < pcs.length && !matched; k++) matched = this.closure(pcs[k]!, ctx);
    if (!matched && addStart) matched = this.closure(this.prog.start, ctx);
    const bit = matched ? 1 : 0;
    if (isEnd) return DFA_DEAD * 2 + bit;
    // Step the surviving byte instructions on `rep`, keeping the first of equal targets.
    this.gen++;
    const mark = this.mark;
    const next: number[] = [];
    for (const pc of this.list) {
      const at = pc * INST_WORDS;
      if (rep >= insts[at + 1]! && rep <= insts[at + 2]!) {
        const target = insts[at + 3]!;
        if (mark[target] !== this.gen) {
          mark[target] = this.gen;
          next.push(target);
        }
      }
    }
    this.work += this.list.length;
    const nowSeen = seen || matched;
    if (next.length === 0 && (nowSeen || this.anchored || this.startNeedsTextStart)) return DFA_DEAD * 2 + bit;
    const nextFlags = flagsOf(rep) & this.flagMask & ~F_AT_START;
    const nextDec = this.trackBoundaries ? (boundary ? UTF8_DECODE[rep]! : decT) : 0;
    const id = this.state(Int32Array.from(next), nextFlags, nextDec, nowSeen);
    return id < 0 ? -1 : id * 2 + bit;
  }
}

/** Reverse: states are sets of NFA positions; the match bit means "the program's start is reached here". */
class ReverseDfa extends LazyDfa {
  private readonly sets: Int32Array[] = [new Int32Array(0)];
  /** What is known about the byte *after* the position (F_AT_START: the text's end). */
  private readonly flags: number[] = [0];
  private readonly flagMask: number;
  /** Epsilon predecessors: `epsFrom[p]` are the instructions with an epsilon edge to p. */
  private readonly epsFrom: number[][];
  /** `byteFrom[p]` are the `OP_BYTE` instructions whose successor is p. */
  private readonly byteFrom: number[][];
  private readonly matchPcs: Int32Array;
  private readonly startByFlags = new Map<number, number>();
  private readonly list: number[] = [];

  constructor(prog: Prog) {
    const a = analyseProg(prog, true);
    super(prog, byteClasses(prog, a));
    // Seen from the right, the assertions that read the byte after a position are the `$` kind.
    this.flagMask =
      (a.assertBits & (ASSERT_END_TEXT | ASSERT_END_LINE) ? F_AT_START : 0) |
      (a.assertBits & ASSERT_END_LINE ? F_PREV_NEWLINE : 0) |
      (a.assertBits & (ASSERT_WORD_BOUNDARY | ASSERT_NOT_WORD_BOUNDARY) ? F_PREV_WORD : 0);
    const n = prog.insts.length / INST_WORDS;
    this.epsFrom = Array.from({ length: n }, () => []);
    this.byteFrom = Array.from({ length: n }, () => []);
    const matches: number[] = [];
    const insts = prog.insts;
    for (let pc = 0; pc < n; pc++) {
      const at = pc * INST_WORDS;
      switch (insts[at]) {
        case OP_BYTE:
          this.byteFrom[insts[at + 3]!]!.push(pc);
          break;
        case OP_SPLIT:
          this.epsFrom[insts[at + 1]!]!.push(pc);
          if (insts[at + 2] !== insts[at + 1]) this.epsFrom[insts[at + 2]!]!.push(pc);
          break;
        case OP_ASSERT:
        case OP_SAVE:
        case OP_NOP:
          this.epsFrom[insts[at + 3]!]!.push(pc);
          break;
        case OP_MATCH:
          matches.push(pc);
          break;
        default:
      }
    }
    this.matchPcs = Int32Array.from(matches);
  }

  /** The start state for a match that ends before the byte `after` (-1: at the text's end); -1 when giving up. */
  startFor(after: number): number {
    const flags = flagsOf(after) & this.flagMask;
    let id = this.startByFlags.get(flags);
    if (id === undefined) {
      id = this.state(this.matchPcs, flags);
      if (id < 0) return -1;
      this.startByFlags.set(flags, id);
    }
    return id;
  }

  private state(set: Int32Array, flags: number): number {
    return this.intern(`${flags}/${set.join(',')}`, () => {
      this.sets.push(set);
      this.flags.push(flags);
    });
  }

  build(s: number, sym: number): number {
    const insts = this.prog.insts;
    const set = this.sets[s]!;
    const isBegin = sym === this.classCount;
    const rep = isBegin ? -1 : this.reps[sym]!;
    // At this position the byte before is `rep` (just about to be read), the byte after is known from the state.
    const ctx = assertionContext(rep, flagByte(this.flags[s]!));
    const { mark, stack, list, epsFrom } = this;
    const gen = ++this.gen;
    const startPc = this.prog.start;
    let reached = false;
    list.length = 0;
    stack.length = 0;
    for (let k = 0; k < set.length; k++) stack.push(set[k]!);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      this.work++;
      if (pc === startPc) reached = true;
      list.push(pc);
      for (const q of epsFrom[pc]!) {
        if (insts[q * INST_WORDS] === OP_ASSERT && (insts[q * INST_WORDS + 1]! & ~ctx) !== 0) continue;
        stack.push(q);
      }
    }
    const bit = reached ? 1 : 0;
    if (isBegin) return DFA_DEAD * 2 + bit;
    const stepGen = ++this.gen;
    const next: number[] = [];
    for (const p of list) {
      for (const q of this.byteFrom[p]!) {
        const at = q * INST_WORDS;
        if (rep >= insts[at + 1]! && rep <= insts[at + 2]! && mark[q] !== stepGen) {
          mark[q] = stepGen;
          next.push(q);
        }
      }
    }
    this.work += list.length;
    if (next.length === 0) return DFA_DEAD * 2 + bit;
    next.sort((x, y) => x - y);
    const id = this.state(Int32Array.from(next), flagsOf(rep) & this.flagMask);
    return id < 0 ? -1 : id * 2 + bit;
  }
}

/**
 * Finds the span of the leftmost-first match of one program (see the module note). One per
 * program (it caches DFA states); not reentrant, which is fine on one thread.
 */
export class SpanFinder {
  private forward: ForwardDfa | null = null;
  private reverse: ReverseDfa | null = null;
  /** Times the reverse pass found no start for the forward pass's end (a bug; tests expect 0). */
  inconsistencies = 0;
  /** The span of the last {@link SPAN_FOUND}. */
  matchStart = -1;
  matchEnd = -1;

  constructor(private readonly prog: Prog) {}

  /** True once either DFA went over its budget: use the Pike VM alone. */
  get gaveUp(): boolean {
    return (this.forward?.gaveUp ?? false) || (this.reverse?.gaveUp ?? false);
  }

  /**
   * The leftmost-first match in the text `bytes[start, end)` (positions outside it are "no
   * text" for assertions, as in `pikeSearch`): {@link SPAN_FOUND} with
   * {@link matchStart}/{@link matchEnd} set, {@link SPAN_NONE}, or {@link SPAN_GAVE_UP}.
   */
  find(bytes: Uint8Array, start: number, end: number): number {
    if (this.gaveUp) return SPAN_GAVE_UP;
    // Fast path: the forward DFA over the text; most lines end here.
    const f = (this.forward ??= new ForwardDfa(this.prog));
    const { classes, stride, classCount } = f;
    let table = f.table;
    let s = f.start;
    let e = -1;
    for (let i = start; i <= end; i++) {
      const sym = i < end ? classes[bytes[i]!]! : classCount;
      let t = table[s * stride + sym]!;
      if (t < 0) {
        t = f.step(s, sym);
        if (t < 0) return SPAN_GAVE_UP;
        table = f.table;
      }
      if (t & 1) e = i;
      s = t >> 1;
      if (s === DFA_DEAD) break;
    }
    if (e < 0) return SPAN_NONE;
    // Slow path: a match ends at e; walk back to its start.
    const r = (this.reverse ??= new ReverseDfa(this.prog));
    const rclasses = r.classes;
    const rstride = r.stride;
    const rBegin = r.classCount;
    let rtable = r.table;
    s = r.startFor(e < end ? bytes[e]! : -1);
    if (s < 0) return SPAN_GAVE_UP;
    let best = -1;
    let boundaries: Uint8Array | null = null;
    for (let i = e; ; i--) {
      const sym = i > start ? rclasses[bytes[i - 1]!]! : rBegin;
      let t = rtable[s * rstride + sym]!;
      if (t < 0) {
        t = r.step(s, sym);
        if (t < 0) return SPAN_GAVE_UP;
        rtable = r.table;
      }
      if (t & 1) {
        const b = i < end ? bytes[i]! : 0;
        if (b < 0x80 || b > 0xbf) best = i;
        else if ((boundaries ??= runeBoundaries(bytes, start, e, end))[i - start] === 1) best = i;
      }
      s = t >> 1;
      if (s === DFA_DEAD || i === start) break;
    }
    if (best < 0) {
      // A bug (the two DFAs disagree): answer through the Pike VM, which is always right,
      // and leave a trace the tests check.
      this.inconsistencies++;
      return SPAN_GAVE_UP;
    }
    this.matchStart = best;
    this.matchEnd = e;
    return SPAN_FOUND;
  }
}

/** `out[i - start]` = 1 when position i in `[start, upTo]` is a rune boundary of the text `[start, end)`, by `pike.ts`'s decoder. */
function runeBoundaries(bytes: Uint8Array, start: number, upTo: number, end: number): Uint8Array {
  const out = new Uint8Array(upTo - start + 1);
  let dec = 0;
  for (let i = start; i <= upTo; i++) {
    if (i === end) {
      out[i - start] = 1;
      break;
    }
    const b = bytes[i]!;
    const t = dec === 0 ? -1 : UTF8_DECODE[dec * 256 + b]!;
    const boundary = dec === 0 || t < 0;
    out[i - start] = boundary ? 1 : 0;
    dec = boundary ? UTF8_DECODE[b]! : t;
  }
  return out;
}
