/**
 * Pike VM over bytes: the reference matcher for a {@link Prog}, with submatch positions.
 *
 * ## What it owns
 * - `pikeSearch`: the first match with capture slots, leftmost-first (Go's
 *   `FindSubmatchIndex`) or leftmost-longest (Go's `Longest()`).
 * - `pikeTest`: yes/no on a byte range, without captures (stops at the first `OP_MATCH`).
 *
 * ## How (and why it is linear)
 * This is Go's `regexp` "NFA" machine (`exec.go`) moved from runes to bytes. Each position
 * has a thread list, a sparse set of instruction indices in priority order; an instruction
 * enters a list at most once per position, so a step costs O(instructions) and a text
 * O(bytes × instructions). The epsilon closure (`addThread`) walks splits, saves, NOPs and
 * assertions with an explicit stack instead of recursion; a save pushes a "restore slot"
 * entry under its successor so the slot is put back once that successor's closure is done,
 * exactly as Go's recursive `add` does. Because an instruction already on the list is
 * skipped, empty-width loops such as `(a*)*` stop after one round, which is also what
 * gives Go's (and RE2's) answers for them.
 *
 * Leftmost-first: the start thread is added at each position after the threads already
 * running (lowest priority); when a thread matches, the lower-priority threads of that step
 * are cut, and no new start threads are added once anything matched. Leftmost-longest keeps
 * stepping and keeps the longest match among the threads that started earliest.
 *
 * Slots 0 and 1 are written here, not by the program (see compile.ts): slot 0 when the
 * start thread is added, slot 1 when a thread reaches `OP_MATCH`.
 *
 * A match may start only at a rune boundary (the forward decoder `UTF8_DECODE`), as in Go,
 * which steps its search rune by rune: otherwise a class that matches a lone invalid byte
 * (any class containing U+FFFD, such as `\PL`) would match a continuation byte in the
 * middle of "한".
 *
 * Assertions see the bytes around the position: the byte before `start` and after `end`
 * count as "no text" (so `^`/`\A` hold at `start`), word bytes are ASCII `[0-9A-Za-z_]`.
 */
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
  OP_MATCH,
  OP_NOP,
  OP_SAVE,
  OP_SPLIT,
  type Prog,
} from './automaton.js';
import { UTF8_DECODE } from './compile.js';

export interface PikeOptions {
  /** Only try a match starting at `start` (as if the pattern began with `\A`). */
  anchored?: boolean;
  /** Leftmost-longest instead of leftmost-first. */
  longest?: boolean;
  /** Byte range to search (default: all of `bytes`); offsets in the result stay absolute. */
  start?: number;
  end?: number;
  /**
   * Only try a match starting at `from` (a rune boundary in `[start, end]`), with the text
   * still `[start, end)` for assertions: how span.ts's caller fills groups once the span is known.
   */
  from?: number;
  /** The match is known to end at `to`: stop stepping after it (threads still running cannot win). */
  to?: number;
}

/** 1 for the ASCII word bytes `[0-9A-Za-z_]`. */
export const WORD_BYTE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    t[b] = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f ? 1 : 0;
  }
  return t;
})();

/** The `ASSERT_*` bits that hold between `prev` and `next` (-1 = outside the text). */
export function assertionContext(prev: number, next: number): number {
  let f = 0;
  if (prev < 0) f |= ASSERT_BEGIN_TEXT | ASSERT_BEGIN_LINE;
  else if (prev === 0x0a) f |= ASSERT_BEGIN_LINE;
  if (next < 0) f |= ASSERT_END_TEXT | ASSERT_END_LINE;
  else if (next === 0x0a) f |= ASSERT_END_LINE;
  const wordBefore = prev >= 0 && WORD_BYTE[prev] === 1;
  const wordAfter = next >= 0 && WORD_BYTE[next] === 1;
  f |= wordBefore !== wordAfter ? ASSERT_WORD_BOUNDARY : ASSERT_NOT_WORD_BOUNDARY;
  return f;
}

function contextAt(bytes: Uint8Array, start: number, end: number, pos: number): number {
  return assertionContext(pos > start ? bytes[pos - 1]! : -1, pos < end ? bytes[pos]! : -1);
}

/** A thread list: a sparse set of instruction indices in insertion (= priority) order, with capture slots per entry. */
class ThreadList {
  readonly sparse: Int32Array;
  readonly dense: Int32Array;
  /** `slotCount` slots per dense entry (only meaningful for `OP_BYTE`/`OP_MATCH` entries). */
  readonly caps: Int32Array;
  size = 0;

  constructor(n: number, slotCount: number) {
    this.sparse = new Int32Array(n);
    this.dense = new Int32Array(n);
    this.caps = new Int32Array(slotCount > 0 ? n * slotCount : 0);
  }

  has(pc: number): boolean {
    const j = this.sparse[pc]!;
    return j < this.size && this.dense[j] === pc;
  }

  insert(pc: number): number {
    const j = this.size++;
    this.sparse[pc] = j;
    this.dense[j] = pc;
    return j;
  }
}

/**
 * Scratch for running one program: the epsilon stack and two thread lists for each of the
 * two modes. Allocated on first use and kept per program (a `WeakMap`), so running a
 * pattern over many lines allocates nothing per line. The sparse sets need no clearing.
 */
interface Machine {
  insts: Int32Array;
  slotCount: number;
  stack: Int32Array;
  /** With capture slots (pikeSearch). */
  searchLists: [ThreadList, ThreadList] | null;
  /** Without (pikeTest). */
  testLists: [ThreadList, ThreadList] | null;
}

const machines = new WeakMap<Prog, Machine>();

function machine(prog: Prog): Machine {
  let m = machines.get(prog);
  if (!m) {
    const n = prog.insts.length / INST_WORDS;
    // Each instruction is visited once per closure and pushes at most 3 entries.
    m = { insts: prog.insts, slotCount: prog.slotCount, stack: new Int32Array(3 * n + 4), searchLists: null, testLists: null };
    machines.set(prog, m);
  }
  return m;
}

/**
 * Adds `pc0` and its epsilon closure at `pos` to `q`, carrying `cap` (restored on return).
 * Stack entries: `pc >= 0` to visit, or `-(slot + 1)` with the old value beneath it to restore.
 */
function addThread(m: Machine, q: ThreadList, pc0: number, pos: number, cap: Int32Array, ctx: number): void {
  const { insts, stack, slotCount } = m;
  let sp = 0;
  stack[sp++] = pc0;
  while (sp > 0) {
    const e = stack[--sp]!;
    if (e < 0) {
      cap[-e - 1] = stack[--sp]!;
      continue;
    }
    if (q.has(e)) continue;
    const j = q.insert(e);
    const at = e * INST_WORDS;
    switch (insts[at]) {
      case OP_BYTE:
      case OP_MATCH:
        q.caps.set(cap, j * slotCount);
        break;
      case OP_SPLIT:
        stack[sp++] = insts[at + 2]!;
        stack[sp++] = insts[at + 1]!;
        break;
      case OP_SAVE: {
        const slot = insts[at + 1]!;
        if (slot < slotCount) {
          stack[sp++] = cap[slot]!;
          stack[sp++] = -(slot + 1);
          cap[slot] = pos;
        }
        stack[sp++] = insts[at + 3]!;
        break;
      }
      case OP_ASSERT:
        if ((insts[at + 1]! & ~ctx) === 0) stack[sp++] = insts[at + 3]!;
        break;
      case OP_NOP:
        stack[sp++] = insts[at + 3]!;
        break;
      default: // OP_FAIL
    }
  }
}

/**
 * The first match of `prog` in `bytes` (leftmost-first by default), as capture slots:
 * `[start0, end0, start1, end1, …]` in byte offsets, -1 for groups that did not take part;
 * `null` when there is no match.
 */
export function pikeSearch(prog: Prog, bytes: Uint8Array, opts: PikeOptions = {}): Int32Array | null {
  const start = opts.start ?? 0;
  const end = opts.end ?? bytes.length;
  const longest = opts.longest === true;
  const from = opts.from ?? start;
  const to = opts.to ?? end;
  const anchored = opts.anchored === true || prog.anchoredStart || opts.from !== undefined;
  const n = prog.insts.length / INST_WORDS;
  const slotCount = prog.slotCount;
  const m = machine(prog);
  const insts = prog.insts;
  m.searchLists ??= [new ThreadList(n, slotCount), new ThreadList(n, slotCount)];
  let [runq, nextq] = m.searchLists;
  runq.size = 0;
  const cap = new Int32Array(slotCount);
  const matchCap = new Int32Array(slotCount).fill(-1);
  let matched = false;
  let dec = 0; // UTF8_DECODE state at pos

  for (let pos = from; pos <= to; pos++) {
    if (runq.size === 0 && (matched || (anchored && pos > from))) break;
    const b = pos < end ? bytes[pos]! : -1;
    let boundary = true;
    let nextDec = 0;
    if (b >= 0) {
      const t = dec === 0 ? -1 : UTF8_DECODE[dec * 256 + b]!;
      boundary = dec === 0 || t < 0;
      nextDec = boundary ? UTF8_DECODE[b]! : t;
    }
    if (!matched && boundary && (!anchored || pos === from)) {
      cap.fill(-1);
      cap[0] = pos;
      addThread(m, runq, prog.start, pos, cap, contextAt(bytes, start, end, pos));
    }
    nextq.size = 0;
    const nextCtx = b >= 0 ? contextAt(bytes, start, end, pos + 1) : 0;
    for (let j = 0; j < runq.size; j++) {
      const pc = runq.dense[j]!;
      const at = pc * INST_WORDS;
      const op = insts[at];
      if (op !== OP_BYTE && op !== OP_MATCH) continue;
      const base = j * slotCount;
      // Leftmost-longest: a thread that started after the match found so far cannot win.
      if (longest && matched && matchCap[0]! < runq.caps[base]!) continue;
      if (op === OP_MATCH) {
        if (!longest || !matched || matchCap[1]! < pos) {
          for (let k = 0; k < slotCount; k++) matchCap[k] = runq.caps[base + k]!;
          matchCap[1] = pos;
        }
        matched = true;
        if (!longest) break; // leftmost-first: cut the lower-priority threads
        continue;
      }
      if (b >= insts[at + 1]! && b <= insts[at + 2]!) {
        for (let k = 0; k < slotCount; k++) cap[k] = runq.caps[base + k]!;
        addThread(m, nextq, insts[at + 3]!, pos + 1, cap, nextCtx);
      }
    }
    if (b < 0) break;
    const t = runq;
    runq = nextq;
    nextq = t;
    dec = nextDec;
  }
  return matched ? matchCap : null;
}

/** Closure for yes/no: returns true as soon as `OP_MATCH` is reached. */
function addThreadTest(m: Machine, q: ThreadList, pc0: number, ctx: number): boolean {
  const { insts, stack } = m;
  let sp = 0;
  stack[sp++] = pc0;
  while (sp > 0) {
    const pc = stack[--sp]!;
    if (q.has(pc)) continue;
    q.insert(pc);
    const at = pc * INST_WORDS;
    switch (insts[at]) {
      case OP_MATCH:
        return true;
      case OP_SPLIT:
        stack[sp++] = insts[at + 2]!;
        stack[sp++] = insts[at + 1]!;
        break;
      case OP_ASSERT:
        if ((insts[at + 1]! & ~ctx) === 0) stack[sp++] = insts[at + 3]!;
        break;
      case OP_SAVE:
      case OP_NOP:
        stack[sp++] = insts[at + 3]!;
        break;
      default: // OP_BYTE stays on the list; OP_FAIL is a dead end
    }
  }
  return false;
}

/**
 * Does `prog` match anywhere in `bytes[start, end)` (from `start` only when the program is
 * anchored)? No captures; stops at the first match.
 */
export function pikeTest(prog: Prog, bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  const n = prog.insts.length / INST_WORDS;
  const m = machine(prog);
  const insts = prog.insts;
  const anchored = prog.anchoredStart;
  m.testLists ??= [new ThreadList(n, 0), new ThreadList(n, 0)];
  let [runq, nextq] = m.testLists;
  runq.size = 0;
  let dec = 0;
  for (let pos = start; ; pos++) {
    if (runq.size === 0 && anchored && pos > start) return false;
    const b = pos < end ? bytes[pos]! : -1;
    let boundary = true;
    let nextDec = 0;
    if (b >= 0) {
      const t = dec === 0 ? -1 : UTF8_DECODE[dec * 256 + b]!;
      boundary = dec === 0 || t < 0;
      nextDec = boundary ? UTF8_DECODE[b]! : t;
    }
    if (boundary && (!anchored || pos === start)) {
      if (addThreadTest(m, runq, prog.start, contextAt(bytes, start, end, pos))) return true;
    }
    if (b < 0) return false;
    nextq.size = 0;
    const nextCtx = contextAt(bytes, start, end, pos + 1);
    for (let j = 0; j < runq.size; j++) {
      const at = runq.dense[j]! * INST_WORDS;
      if (insts[at] === OP_BYTE && b >= insts[at + 1]! && b <= insts[at + 2]!) {
        if (addThreadTest(m, nextq, insts[at + 3]!, nextCtx)) return true;
      }
    }
    const t = runq;
    runq = nextq;
    nextq = t;
    dec = nextDec;
  }
}
