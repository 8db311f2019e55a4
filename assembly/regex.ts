/**
 * The kernel's regex and case-insensitive matchers: a DFA runner, a Pike VM, and the
 * ASCII-case-folding literal search. What it owns: loading (validating, then preparing)
 * the automaton payloads of the program (format in `README.md`) and running them on a
 * byte range. The automata are compiled in TypeScript (`src/regex/`); the kernel never
 * parses a pattern.
 *
 * ## Design note
 *
 * - **Hostile bytes never trap.** Every count, class id, state id and instruction target
 *   is checked when the program is loaded (`loadDfa`, `checkPike`), so the runners can
 *   index without bounds checks: a DFA state is always a row of its table, a Pike `pc`
 *   always an instruction.
 * - **DFA: one load per byte.** `loadDfa` rewrites the table into the program area with
 *   every next-state id replaced by the *absolute address of its row*, so the inner loop is
 *   `s = load<u32>(s + classes[b] × 4)`. Rows 0 (dead) and 1 (match) map to themselves (the
 *   loader checks it) and are the two lowest rows, so one comparison (`s <= matchRow`)
 *   finds both and ends the run early. At the end of the text one more step on the
 *   end-of-text class (`classCount`) settles `$`, `\z` and `\b`. When at most 4 bytes
 *   leave the start state (typical of a search whose first byte is rare), the runner skips
 *   to the next of them with SIMD while in the start state (an "accelerated state").
 * - **Pike VM: yes/no only.** Threads carry no captures (`OP_SAVE` is an epsilon), so a
 *   thread is just a `pc` and a step is a set of `pc`s: two sparse sets (no clearing; a
 *   stale `sparse[pc]` is harmless because membership also checks `dense`) and an explicit
 *   stack for the epsilon closure (no recursion). A `pc` enters a set at most once per
 *   position, so the stack never holds more than `nInsts` entries and a text costs
 *   O(bytes × nInsts). An unanchored search adds the start thread at every position and
 *   returns at the first `OP_MATCH` reached: priorities only matter for *which* match,
 *   not *whether*. As in `src/regex/pike.ts` (Go steps rune by rune), a match starts only
 *   at a rune boundary, found with the same forward UTF-8 decoder table; the DFA has that
 *   tracking built into its states.
 * - **Case-folded literals compare `(hay | mask) == needle`**, with the needle folded to
 *   lower case and `mask` 0x20 exactly where the needle byte is an ASCII letter: `x | 0x20`
 *   equals the lower-case letter `l` only for `x ∈ {l, upper(l)}`, so folding touches
 *   letters only (`@`/`` ` `` and `[`/`{` stay distinct) and costs one OR per byte, in the
 *   SIMD candidate filter and in the 8-byte-wide verification alike. As in the exact
 *   search, each candidate position is verified at most once.
 *
 * Word bytes for `\b`/`\B` are ASCII `[0-9A-Za-z_]`; positions outside the text are
 * non-word. Lines never hold `\n`, but `^`/`$` with `(?m)` still test for it so the
 * semantics do not depend on that.
 */
import {
  ASSERT_BEGIN_LINE,
  ASSERT_BEGIN_TEXT,
  ASSERT_END_LINE,
  ASSERT_END_TEXT,
  ASSERT_NOT_WORD_BOUNDARY,
  ASSERT_WORD_BOUNDARY,
  AUTOMATON_HEADER_BYTES,
  DFA_DEAD,
  DFA_MATCH,
  OP_ASSERT,
  OP_BYTE,
  OP_FAIL,
  OP_MATCH,
  OP_NOP,
  OP_SAVE,
  OP_SPLIT,
  PIKE_FLAG_ANCHOR_END,
  PIKE_FLAG_ANCHOR_START,
  PROGRAM_ERR_AUTOMATON_SIZE,
  PROGRAM_ERR_DFA_CLASS,
  PROGRAM_ERR_DFA_STATE,
  PROGRAM_ERR_NO_ROOM,
  PROGRAM_ERR_PIKE_INST,
  PROGRAM_ERR_PIKE_TARGET,
} from './constants';

const ALL_ASSERTS: u32 = ASSERT_BEGIN_LINE | ASSERT_END_LINE | ASSERT_BEGIN_TEXT | ASSERT_END_TEXT | ASSERT_WORD_BOUNDARY | ASSERT_NOT_WORD_BOUNDARY;
const ALL_PIKE_FLAGS: u32 = PIKE_FLAG_ANCHOR_START | PIKE_FLAG_ANCHOR_END;
/** Bytes of the byte → class map that follows a DFA header. */
const DFA_CLASSES_BYTES: usize = 256;

// ---------------------------------------------------------------------------------------
// Bytes

/** ASCII `[0-9A-Za-z_]`, RE2's `\w` for `\b`. */
// @ts-ignore: decorator
@inline function isWordByte(c: u32): bool {
  return c - 0x30 < 10 || (c | 0x20) - 0x61 < 26 || c == 0x5f;
}

// ---------------------------------------------------------------------------------------
// Case-insensitive literal search

/**
 * Writes the folded needle (`n` bytes at `dst`) and its OR mask (`n` bytes at `dst + n`)
 * for the raw needle at `src`. The caller reserves `2n` bytes.
 */
export function prepareFold(src: usize, n: usize, dst: usize): void {
  for (let k: usize = 0; k < n; k++) {
    const c = <u32>load<u8>(src + k);
    const letter = (c | 0x20) - 0x61 < 26;
    store<u8>(dst + k, <u8>(letter ? c | 0x20 : c));
    store<u8>(dst + n + k, letter ? 0x20 : 0);
  }
}

/** True when `(hay[k] | mask[k]) == needle[k]` for every `k < n`. */
// @ts-ignore: decorator
@inline export function foldEq(h: usize, needle: usize, mask: usize, n: usize): bool {
  let i: usize = 0;
  while (i + 8 <= n) {
    if ((load<u64>(h + i) | load<u64>(mask + i)) != load<u64>(needle + i)) return false;
    i += 8;
  }
  while (i < n) {
    if ((load<u8>(h + i) | load<u8>(mask + i)) != load<u8>(needle + i)) return false;
    i++;
  }
  return true;
}

/**
 * True when `[s, e)` contains the `n`-byte folded needle at `needle` (mask at `needle + n`)
 * with ASCII letters compared case-insensitively; `a <= b` are the rare-byte positions
 * (equal when `n == 1`). Reads up to 16 bytes past `e` (the input region's padding).
 */
export function containsFold(s: usize, e: usize, needle: usize, n: usize, a: usize, b: usize): bool {
  if (n == 0) return true;
  if (e - s < n) return false;
  const mask = needle + n;
  const va = i8x16.splat(load<u8>(needle + a));
  const ma = i8x16.splat(load<u8>(mask + a));
  const vb = i8x16.splat(load<u8>(needle + b));
  const mb = i8x16.splat(load<u8>(mask + b));
  const last = e - n; // last candidate start, inclusive
  let i = s;
  // Fast path: 16 candidate starts per step, kept only when both rare bytes match folded.
  while (i <= last) {
    let m = i8x16.bitmask(v128.and(i8x16.eq(v128.or(v128.load(i + a), ma), va), i8x16.eq(v128.or(v128.load(i + b), mb), vb)));
    const rem = last - i + 1;
    if (rem < 16) m &= (1 << <i32>rem) - 1;
    while (m != 0) {
      const c = i + <usize>ctz(m);
      if (foldEq(c, needle, mask, n)) return true;
      m &= m - 1;
    }
    i += 16;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// DFA

/** Set by a successful `loadDfa`: absolute address of the start row. */
export let dfaStartRow: usize = 0;
/** Set by a successful `loadDfa`: absolute address of the match row (the dead row is just below). */
export let dfaMatchRow: usize = 0;
/** Set by a successful `loadDfa`: bytes from a row to its end-of-text entry (`classCount × 4`). */
export let dfaEotOff: usize = 0;
/** Set by a successful `loadDfa`: address of its start-state accelerator, or 0 when it has none. */
export let dfaAccel: usize = 0;
/** Set by a successful `loadDfa`: bytes it wrote at `out`. */
export let dfaBytes: usize = 0;

/** Most bytes that may leave the start state for it to be accelerated (one SIMD compare each). */
const ACCEL_MAX_BYTES: u32 = 4;
/** Bytes of an accelerator record after the table: `u8 count, 3 pad, u8 bytes[4]`. */
const ACCEL_BYTES: usize = 8;

/**
 * Validates the DFA payload at `[p, p + len)` (its kind already read) and writes its
 * premultiplied table at `out`, then its start-state accelerator (`out` must stay below
 * `limit`). Returns 0 or a negative `PROGRAM_ERR_*`; on success sets `dfaStartRow`,
 * `dfaMatchRow`, `dfaEotOff`, `dfaAccel` and `dfaBytes`. The classes stay in the payload
 * (at `p + AUTOMATON_HEADER_BYTES`).
 */
export function loadDfa(p: usize, len: usize, out: usize, limit: usize): i32 {
  const classCount = load<u32>(p, 4);
  const stateCount = load<u32>(p, 8);
  const start = load<u32>(p, 12);
  if (classCount == 0 || classCount > 256 || stateCount < 2) return PROGRAM_ERR_AUTOMATON_SIZE;
  const tableBytes = <u64>stateCount * (<u64>classCount + 1) * 4;
  if (<u64>AUTOMATON_HEADER_BYTES + <u64>DFA_CLASSES_BYTES + tableBytes != <u64>len) return PROGRAM_ERR_AUTOMATON_SIZE;
  const classes = p + AUTOMATON_HEADER_BYTES;
  for (let k: usize = 0; k < DFA_CLASSES_BYTES; k++) {
    if (<u32>load<u8>(classes + k) >= classCount) return PROGRAM_ERR_DFA_CLASS;
  }
  if (start >= stateCount) return PROGRAM_ERR_DFA_STATE;
  if (<u64>out + tableBytes + <u64>ACCEL_BYTES > <u64>limit) return PROGRAM_ERR_NO_ROOM;
  const stride = classCount + 1;
  const rowBytes = <usize>stride << 2;
  const table = classes + DFA_CLASSES_BYTES;
  const words = <usize>stateCount * <usize>stride;
  for (let k: usize = 0; k < words; k++) {
    const t = load<u32>(table + (k << 2));
    if (t >= stateCount) return PROGRAM_ERR_DFA_STATE;
    // Dead and match rows must be sticky: once there, the rest of the text cannot matter.
    const row = k / <usize>stride;
    if (row == <usize>DFA_DEAD && t != DFA_DEAD) return PROGRAM_ERR_DFA_STATE;
    if (row == <usize>DFA_MATCH && t != DFA_MATCH) return PROGRAM_ERR_DFA_STATE;
    store<u32>(out + (k << 2), <u32>(out + <usize>t * rowBytes));
  }
  // Start-state accelerator: when at most ACCEL_MAX_BYTES bytes leave the start state (an
  // unanchored search for a pattern with a rare first byte), the runner skips to the next
  // of them with SIMD instead of stepping byte by byte.
  const acc = out + <usize>tableBytes;
  let n: u32 = 0;
  for (let b: u32 = 0; b < 256 && n <= ACCEL_MAX_BYTES; b++) {
    const t = load<u32>(table + ((<usize>start * <usize>stride + <usize>load<u8>(classes + b)) << 2));
    if (t != start) {
      if (n < ACCEL_MAX_BYTES) store<u8>(acc + 4 + n, <u8>b);
      n++;
    }
  }
  if (n >= 1 && n <= ACCEL_MAX_BYTES) {
    for (let k = n; k < ACCEL_MAX_BYTES; k++) store<u8>(acc + 4 + k, load<u8>(acc + 4)); // pad with a repeat
    store<u32>(acc, n);
    dfaAccel = acc;
  } else {
    dfaAccel = 0;
  }
  dfaStartRow = out + <usize>start * rowBytes;
  dfaMatchRow = out + rowBytes;
  dfaEotOff = <usize>classCount << 2;
  dfaBytes = <usize>tableBytes + ACCEL_BYTES;
  return 0;
}

/** First position in `[p, e)` holding one of the accelerator's 4 bytes, or `e`. Reads up to 16 bytes past `e`. */
// @ts-ignore: decorator
@inline export function findAny4(p: usize, e: usize, acc: usize): usize {
  const v0 = i8x16.splat(load<u8>(acc, 4));
  const v1 = i8x16.splat(load<u8>(acc, 5));
  const v2 = i8x16.splat(load<u8>(acc, 6));
  const v3 = i8x16.splat(load<u8>(acc, 7));
  while (p < e) {
    const v = v128.load(p);
    const m = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, v0), i8x16.eq(v, v1)), v128.or(i8x16.eq(v, v2), i8x16.eq(v, v3))));
    if (m != 0) {
      const at = p + <usize>ctz(m);
      return at < e ? at : e;
    }
    p += 16;
  }
  return e;
}

/** One DFA step: the row address for byte `b` from the row at `s`. */
// @ts-ignore: decorator
@inline function dfaStep(s: usize, classes: usize, b: u32): usize {
  return <usize>load<u32>(s + (<usize>load<u8>(classes + <usize>b) << 2));
}

/**
 * Runs a loaded DFA over `[s, e)`: true when it ends in the match row. `start`, `matchRow`,
 * `eotOff` and `accel` are `loadDfa`'s results, `classes` the payload's byte → class map.
 *
 * The step is one dependent load per byte, so the loop is bound by load latency; unrolling
 * it by 4 or 8 (one dead/match check per group) measured no faster, so it stays simple.
 */
export function dfaMatch(s: usize, e: usize, start: usize, matchRow: usize, classes: usize, eotOff: usize, accel: usize): bool {
  let st = start;
  if (st <= matchRow) return st == matchRow;
  let p = s;
  if (accel == 0) {
    while (p < e) {
      st = dfaStep(st, classes, load<u8>(p));
      if (st <= matchRow) return st == matchRow;
      p++;
    }
  } else {
    while (p < e) {
      // Fast path: in the start state only the accelerator's bytes can change anything.
      if (st == start) {
        p = findAny4(p, e, accel);
        if (p >= e) break;
      }
      st = dfaStep(st, classes, load<u8>(p));
      if (st <= matchRow) return st == matchRow;
      p++;
    }
  }
  return <usize>load<u32>(st + eotOff) == matchRow;
}

// ---------------------------------------------------------------------------------------
// Pike VM

/** Set by a successful `checkPike`: instruction count. */
export let pikeInsts: u32 = 0;

/**
 * Validates the Pike payload at `[p, p + len)` (its kind already read). Returns 0 or a
 * negative `PROGRAM_ERR_*`; on success sets `pikeInsts`. The instructions are run in place.
 */
export function checkPike(p: usize, len: usize): i32 {
  const n = load<u32>(p, 4);
  const start = load<u32>(p, 8);
  const flags = load<u32>(p, 12);
  if (n == 0 || <u64>AUTOMATON_HEADER_BYTES + (<u64>n << 4) != <u64>len) return PROGRAM_ERR_AUTOMATON_SIZE;
  if ((flags & ~ALL_PIKE_FLAGS) != 0) return PROGRAM_ERR_PIKE_INST;
  if (start >= n) return PROGRAM_ERR_PIKE_TARGET;
  const insts = p + AUTOMATON_HEADER_BYTES;
  for (let pc: u32 = 0; pc < n; pc++) {
    const ip = insts + (<usize>pc << 4);
    const op = load<u32>(ip);
    const a = load<u32>(ip, 4);
    const b = load<u32>(ip, 8);
    const c = load<u32>(ip, 12);
    if (op == OP_BYTE) {
      if (a > 255 || b > 255) return PROGRAM_ERR_PIKE_INST;
      if (c >= n) return PROGRAM_ERR_PIKE_TARGET;
    } else if (op == OP_SPLIT) {
      if (a >= n || b >= n) return PROGRAM_ERR_PIKE_TARGET;
    } else if (op == OP_ASSERT) {
      if ((a & ~ALL_ASSERTS) != 0) return PROGRAM_ERR_PIKE_INST;
      if (c >= n) return PROGRAM_ERR_PIKE_TARGET;
    } else if (op == OP_SAVE || op == OP_NOP) {
      if (c >= n) return PROGRAM_ERR_PIKE_TARGET;
    } else if (op != OP_MATCH && op != OP_FAIL) {
      return PROGRAM_ERR_PIKE_INST;
    }
  }
  pikeInsts = n;
  return 0;
}

/** True when every assertion bit of `f` holds at `pos` in the text `[s, e)`. */
function assertHolds(f: u32, pos: usize, s: usize, e: usize): bool {
  if ((f & ASSERT_BEGIN_TEXT) != 0 && pos != s) return false;
  if ((f & ASSERT_END_TEXT) != 0 && pos != e) return false;
  if ((f & ASSERT_BEGIN_LINE) != 0 && pos != s && load<u8>(pos - 1) != 0x0a) return false;
  if ((f & ASSERT_END_LINE) != 0 && pos != e && load<u8>(pos) != 0x0a) return false;
  if ((f & (ASSERT_WORD_BOUNDARY | ASSERT_NOT_WORD_BOUNDARY)) != 0) {
    const before = pos > s && isWordByte(load<u8>(pos - 1));
    const after = pos < e && isWordByte(load<u8>(pos));
    if ((f & ASSERT_WORD_BOUNDARY) != 0 && before == after) return false;
    if ((f & ASSERT_NOT_WORD_BOUNDARY) != 0 && before != after) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Rune boundaries

/**
 * The forward UTF-8 decoder of `src/regex/compile.ts` (`UTF8_DECODE`), as a table of
 * 8 × 256 i8: `[s × 256 + b]` for s > 0 is the next state when b continues the sequence, or
 * -1 when it does not (the sequence was truncated: the position before b is a boundary);
 * row 0 is the state after decoding b at a boundary. An unanchored search starts a match
 * only at a boundary, as Go does (it steps rune by rune). Filled by `initUtf8Decode`.
 */
const UTF8_DECODE: usize = memory.data(8 * 256);
let utf8Ready = false;

function cont(state: u32, lo: u32, hi: u32, next: i32): void {
  for (let b = lo; b <= hi; b++) store<i8>(UTF8_DECODE + (<usize>state << 8) + <usize>b, <i8>next);
}

/** Fills `UTF8_DECODE` once (the kernel has no start function doing it). */
export function initUtf8Decode(): void {
  if (utf8Ready) return;
  memory.fill(UTF8_DECODE + 256, 0xff, 7 * 256); // -1: not a continuation
  for (let b: u32 = 0; b < 256; b++) {
    let s: i32 = 0;
    if (b >= 0xc2 && b <= 0xdf) s = 1;
    else if (b == 0xe0) s = 4;
    else if (b == 0xed) s = 5;
    else if (b >= 0xe1 && b <= 0xef) s = 2;
    else if (b == 0xf0) s = 6;
    else if (b >= 0xf1 && b <= 0xf3) s = 3;
    else if (b == 0xf4) s = 7;
    store<i8>(UTF8_DECODE + <usize>b, <i8>s);
  }
  cont(1, 0x80, 0xbf, 0);
  cont(2, 0x80, 0xbf, 1);
  cont(3, 0x80, 0xbf, 2);
  cont(4, 0xa0, 0xbf, 1);
  cont(5, 0x80, 0x9f, 1);
  cont(6, 0x90, 0xbf, 2);
  cont(7, 0x80, 0x8f, 2);
  utf8Ready = true;
}

/** `UTF8_DECODE[state × 256 + b]`, for the test that checks the table against TS. */
export function utf8Decode(state: i32, b: i32): i32 {
  initUtf8Decode();
  return <i32>load<i8>(UTF8_DECODE + (<usize>(state & 7) << 8) + <usize>(b & 0xff));
}

// Pike scratch, set per run: the stack of the closure being computed.
let pStack: usize = 0;

/** Sparse-set membership: `sparse[pc]` may hold any stale value; `dense` confirms it. */
// @ts-ignore: decorator
@inline function member(dense: usize, sparse: usize, size: u32, pc: u32): bool {
  const i = load<u32>(sparse + (<usize>pc << 2));
  return i < size && load<u32>(dense + (<usize>i << 2)) == pc;
}

/**
 * Adds `pc0` and its epsilon closure at `pos` to the set `(dense, sparse)` of `size`
 * members. Returns the new size, or -1 when the closure reaches an `OP_MATCH` that counts
 * (anywhere, or only at `e` when `anchorEnd`).
 */
function closure(dense: usize, sparse: usize, size: u32, pc0: u32, pos: usize, s: usize, e: usize, insts: usize, anchorEnd: bool): i32 {
  if (member(dense, sparse, size, pc0)) return <i32>size;
  store<u32>(sparse + (<usize>pc0 << 2), size);
  store<u32>(dense + (<usize>size << 2), pc0);
  size++;
  const stack = pStack;
  store<u32>(stack, pc0);
  let sp: usize = 1;
  while (sp > 0) {
    sp--;
    const pc = load<u32>(stack + (sp << 2));
    const ip = insts + (<usize>pc << 4);
    const op = load<u32>(ip);
    let t: u32;
    if (op == OP_BYTE || op == OP_FAIL) {
      continue; // a byte thread waits for the step; a dead end ends here
    } else if (op == OP_MATCH) {
      if (!anchorEnd || pos == e) return -1;
      continue;
    } else if (op == OP_SPLIT) {
      const x = load<u32>(ip, 4);
      if (!member(dense, sparse, size, x)) {
        store<u32>(sparse + (<usize>x << 2), size);
        store<u32>(dense + (<usize>size << 2), x);
        size++;
        store<u32>(stack + (sp << 2), x);
        sp++;
      }
      t = load<u32>(ip, 8);
    } else {
      // OP_SAVE, OP_NOP, OP_ASSERT (checkPike allows nothing else)
      if (op == OP_ASSERT && !assertHolds(load<u32>(ip, 4), pos, s, e)) continue;
      t = load<u32>(ip, 12);
    }
    if (!member(dense, sparse, size, t)) {
      store<u32>(sparse + (<usize>t << 2), size);
      store<u32>(dense + (<usize>size << 2), t);
      size++;
      store<u32>(stack + (sp << 2), t);
      sp++;
    }
  }
  return <i32>size;
}

/** Bytes of a Pike program's first-byte set (a 256-bit bitmap). */
export const PIKE_FIRST_BYTES: usize = 32;

/**
 * Writes at `out` the bitmap of the bytes a match can start with: the byte ranges of the
 * `OP_BYTE` instructions reachable from `start` through epsilons, every assertion taken as
 * holding (a superset, so skipping the other bytes loses nothing). Returns false when that
 * closure reaches `OP_MATCH` (the pattern may match without consuming a byte: every
 * position is a candidate, no skipping). `scratch` is the Pike scratch of `n` instructions.
 */
export function pikeFirstBytes(insts: usize, n: u32, start: u32, out: usize, scratch: usize): bool {
  memory.fill(out, 0, PIKE_FIRST_BYTES);
  const dense = scratch;
  const sparse = scratch + (<usize>n << 2);
  const stack = scratch + (<usize>n << 4);
  let size: u32 = 1;
  store<u32>(sparse + (<usize>start << 2), 0);
  store<u32>(dense, start);
  store<u32>(stack, start);
  let sp: usize = 1;
  while (sp > 0) {
    sp--;
    const ip = insts + (<usize>load<u32>(stack + (sp << 2)) << 4);
    const op = load<u32>(ip);
    let t1: u32 = 0xffffffff;
    let t2: u32 = 0xffffffff;
    if (op == OP_MATCH) return false;
    if (op == OP_BYTE) {
      for (let b = load<u32>(ip, 4); b <= load<u32>(ip, 8); b++) store<u8>(out + (b >> 3), <u8>(<u32>load<u8>(out + (b >> 3)) | (<u32>1 << (b & 7))));
    } else if (op == OP_SPLIT) {
      t1 = load<u32>(ip, 4);
      t2 = load<u32>(ip, 8);
    } else if (op != OP_FAIL) {
      t1 = load<u32>(ip, 12); // OP_SAVE, OP_NOP, OP_ASSERT (taken as holding)
    }
    for (let k = 0; k < 2; k++) {
      const t = k == 0 ? t1 : t2;
      if (t == 0xffffffff || member(dense, sparse, size, t)) continue;
      store<u32>(sparse + (<usize>t << 2), size);
      store<u32>(dense + (<usize>size << 2), t);
      size++;
      store<u32>(stack + (sp << 2), t);
      sp++;
    }
  }
  return true;
}

/**
 * Runs the checked Pike program (`n` instructions at `insts`, `start`, `flags`) over
 * `[s, e)`: true when it matches (searching, unless `PIKE_FLAG_ANCHOR_START`; at the end
 * only, with `PIKE_FLAG_ANCHOR_END`). `scratch` holds `PIKE_SCRATCH_BYTES_PER_INST × n`
 * bytes. `first` is the program's first-byte bitmap (`pikeFirstBytes`), or 0: while no
 * thread is alive, positions whose byte is not in it are skipped (only the UTF-8 decoder
 * state is carried along), since a thread started there would die at once.
 */
export function pikeMatch(s: usize, e: usize, insts: usize, n: u32, start: u32, flags: u32, scratch: usize, first: usize): bool {
  const anchorStart = (flags & PIKE_FLAG_ANCHOR_START) != 0;
  const anchorEnd = (flags & PIKE_FLAG_ANCHOR_END) != 0;
  const setBytes = <usize>n << 2;
  let cd = scratch;
  let cs = scratch + setBytes;
  let nd = scratch + 2 * setBytes;
  let ns = scratch + 3 * setBytes;
  pStack = scratch + 4 * setBytes;
  let csize: u32 = 0;
  let pos = s;
  let dec: i32 = 0; // decoder state before pos (UTF8_DECODE)
  for (;;) {
    if (csize == 0 && first != 0) {
      // Fast path: nothing alive; skip to the next byte a match can start with.
      while (pos < e) {
        const b = <usize>load<u8>(pos);
        if (((<u32>load<u8>(first + (b >> 3)) >> <u32>(b & 7)) & 1) != 0) break;
        const t = dec != 0 ? <i32>load<i8>(UTF8_DECODE + (<usize>dec << 8) + b) : -1;
        dec = t < 0 ? <i32>load<i8>(UTF8_DECODE + b) : t;
        pos++;
      }
    }
    // A match may start only at a rune boundary; the end of the text always is one.
    let boundary = true;
    let nextDec: i32 = 0;
    if (pos < e) {
      const b = <usize>load<u8>(pos);
      if (dec != 0) {
        const t = <i32>load<i8>(UTF8_DECODE + (<usize>dec << 8) + b);
        boundary = t < 0;
        nextDec = boundary ? <i32>load<i8>(UTF8_DECODE + b) : t;
      } else {
        nextDec = <i32>load<i8>(UTF8_DECODE + b);
      }
    }
    if (boundary && (!anchorStart || pos == s)) {
      const r = closure(cd, cs, csize, start, pos, s, e, insts, anchorEnd);
      if (r < 0) return true;
      csize = <u32>r;
    }
    if (csize == 0 && anchorStart) return false; // no thread left and none will start
    if (pos == e) return false;
    const b = <u32>load<u8>(pos);
    pos++;
    dec = nextDec;
    let nsize: u32 = 0;
    for (let i: u32 = 0; i < csize; i++) {
      const ip = insts + (<usize>load<u32>(cd + (<usize>i << 2)) << 4);
      if (load<u32>(ip) != OP_BYTE || b < load<u32>(ip, 4) || b > load<u32>(ip, 8)) continue;
      const r = closure(nd, ns, nsize, load<u32>(ip, 12), pos, s, e, insts, anchorEnd);
      if (r < 0) return true;
      nsize = <u32>r;
    }
    let t = cd;
    cd = nd;
    nd = t;
    t = cs;
    cs = ns;
    ns = t;
    csize = nsize;
  }
  return false; // not reached: the loop returns at the end of the text
}
