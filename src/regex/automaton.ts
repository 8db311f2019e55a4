/**
 * The automata a pattern compiles to, as plain data (typed arrays), shared by the TS
 * engines in this module and by the kernel encoder (`src/scan/program-codec.ts`), which
 * copies them into WASM memory for `assembly/regex.ts`.
 *
 * Pipeline: `syntax.ts` (pattern → {@link ParsedRegex}) → `compile.ts` (→ {@link Prog}, a
 * byte-level Thompson NFA over UTF-8) → `dfa.ts` (→ {@link Dfa}, under a state budget).
 * When the budget is exceeded the kernel runs the {@link Prog} with a Pike VM instead.
 * Nothing backtracks: the DFA is O(bytes), the Pike VM O(bytes × instructions).
 */

// ---------------------------------------------------------------------------------------
// NFA program: 4 × i32 per instruction: [op, a, b, c]

/** `[OP_BYTE, lo, hi, next]`: consume one byte in lo..hi (inclusive), go to next. */
export const OP_BYTE = 0;
/** `[OP_SPLIT, x, y, 0]`: try x first, then y (x has priority: leftmost-first). */
export const OP_SPLIT = 1;
/** `[OP_SAVE, slot, 0, next]`: record the position in capture slot `slot` (2i start, 2i+1 end of group i). */
export const OP_SAVE = 2;
/** `[OP_ASSERT, flags, 0, next]`: zero-width; every `ASSERT_*` bit in flags must hold. */
export const OP_ASSERT = 3;
/** `[OP_MATCH, 0, 0, 0]`. */
export const OP_MATCH = 4;
/** `[OP_FAIL, 0, 0, 0]`: a dead end (e.g. from `noMatch`). */
export const OP_FAIL = 5;
/** `[OP_NOP, 0, 0, next]`: an epsilon jump. */
export const OP_NOP = 6;

export const INST_WORDS = 4;

export const ASSERT_BEGIN_LINE = 1; // at 0 or after '\n'
export const ASSERT_END_LINE = 2; // at end or before '\n'
export const ASSERT_BEGIN_TEXT = 4; // at 0
export const ASSERT_END_TEXT = 8; // at end
export const ASSERT_WORD_BOUNDARY = 16; // isWord(prev byte) != isWord(next byte); ASCII [0-9A-Za-z_]
export const ASSERT_NOT_WORD_BOUNDARY = 32;

/** A byte-level NFA. Positions are byte offsets into the UTF-8 text. */
export interface Prog {
  /** `INST_WORDS` i32 per instruction. */
  insts: Int32Array;
  /** Index of the first instruction of an anchored match attempt (unanchored search adds its own loop). */
  start: number;
  /** 2 × (captureCount + 1). */
  slotCount: number;
  /** True when every match must start at position 0 (the pattern begins with `\A`/`^` without `(?m)`). */
  anchoredStart: boolean;
}

// ---------------------------------------------------------------------------------------
// DFA: "does the pattern match anywhere in this text" (or, built anchored, "from position 0")

/** State 0 never matches, whatever follows. */
export const DFA_DEAD = 0;
/** State 1 has matched, whatever follows (sticky; a scanner may stop). */
export const DFA_MATCH = 1;

/**
 * A complete DFA over byte equivalence classes.
 *
 * Run: `s = start; for each byte b: s = table[s * stride + classes[b]]; if (s <= 1) stop;`
 * then, if the text is exhausted with `s > 1`, `s = table[s * stride + classCount]` (the
 * end-of-text symbol, which settles `$`, `\z` and `\b` at the end). The text matches iff
 * `s == DFA_MATCH`. `stride = classCount + 1`. States 0 and 1 are the dead and match states
 * (their rows map to themselves).
 */
export interface Dfa {
  /** Byte → class id, 256 entries, ids in 0..classCount-1. */
  classes: Uint8Array;
  classCount: number;
  stateCount: number;
  /** The state at the beginning of the text. */
  start: number;
  /** `stateCount × (classCount + 1)` next-state ids. */
  table: Int32Array;
}

/** What a pattern compiled to for the kernel, with the numbers `explain()` shows. */
export type KernelAutomaton =
  | { kind: 'dfa'; dfa: Dfa }
  | { kind: 'pike'; prog: Prog };
