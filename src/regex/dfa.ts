/**
 * DFA construction: {@link Prog} → {@link Dfa} ("does it match?"), by subset construction
 * under a state budget, and `dfaTest`, the reference runner of the table format.
 *
 * ## What it owns
 * - **Byte classes.** Bytes that no instruction, assertion or decoder can tell apart share
 *   a class: the same `OP_BYTE` ranges contain them, and, when it matters, they agree on
 *   being word bytes (`\b`/`\B`), on being `\n` (`^`/`$`), and on the UTF-8 decoder's
 *   view of them (when the unanchored search tracks rune boundaries, below). The end of the text is one more
 *   symbol, class `classCount`.
 * - **Assertions, RE2's way.** A DFA state is the set of NFA positions reached by consuming
 *   bytes, *before* the epsilon closure, plus what is known about the previous byte (at the
 *   start of the text / was `\n` / was a word byte). The closure is taken on a transition,
 *   when the next symbol — and so every `ASSERT_*` bit — is known; then the byte
 *   instructions of the closure step on the symbol's bytes. The flags kept in a state are
 *   only those the program's assertions can read, so assertion-free patterns do not
 *   multiply their states.
 * - **Unanchored search** adds the start instruction to the closure at every position
 *   where a match may start. As in `pike.ts`, that is a rune boundary, found by the decoder
 *   `UTF8_DECODE` whose state is part of the DFA state; when the pattern's start cannot
 *   touch a continuation byte or match empty there, boundaries cannot change the answer and
 *   the DFA skips that tracking (start everywhere, fewer classes and states).
 * - **Early exits.** A transition goes to `DFA_MATCH` as soon as a match is certain: when
 *   the closure reaches `OP_MATCH`, or when the stepped set reaches it through epsilons
 *   that need no assertion. It goes to `DFA_DEAD` when no thread is left and none can start
 *   any more (anchored DFA, or a pattern that needs `\A` after position 0).
 *
 * Nothing clever: states are keyed by their sorted NFA set (plus flags and decoder state)
 * in a hash map, and the construction gives up (returns `null`) past `maxStates` states,
 * {@link DFA_MAX_TABLE_BYTES} of table or {@link DFA_MAX_WORK} instruction visits; the
 * caller then runs the Pike VM. Closures are
 * computed once per (state, context) and reused by all symbols with that context.
 */
import {
  ASSERT_BEGIN_LINE,
  ASSERT_BEGIN_TEXT,
  ASSERT_END_LINE,
  ASSERT_END_TEXT,
  ASSERT_NOT_WORD_BOUNDARY,
  ASSERT_WORD_BOUNDARY,
  DFA_DEAD,
  DFA_MATCH,
  INST_WORDS,
  OP_ASSERT,
  OP_BYTE,
  OP_MATCH,
  OP_NOP,
  OP_SAVE,
  OP_SPLIT,
  type Dfa,
  type Prog,
} from './automaton.js';
import { UTF8_DECODE } from './compile.js';
import { assertionContext, WORD_BYTE } from './pike.js';

/** Default state budget (including the dead and match states). */
export const DEFAULT_DFA_MAX_STATES = 2000;
/** Largest transition table we build, in bytes (4 bytes per entry). */
export const DFA_MAX_TABLE_BYTES = 4 << 20;
/**
 * Most instruction visits (closures plus byte steps) one construction may spend, so a
 * huge program (`\pL{1000}`: 1.6 M instructions) gives up in a few hundred milliseconds instead
 * of building a few thousand enormous states; the Pike VM then runs it.
 */
export const DFA_MAX_WORK = 10_000_000;

export interface DfaOptions {
  /** Match only from position 0 (no implicit search loop). */
  anchored: boolean;
  /** Give up past this many states (including states 0 and 1). */
  maxStates: number;
}

// State flags: what the DFA remembers about the previous byte (exported for span.ts).
export const F_AT_START = 1;
export const F_PREV_WORD = 2;
export const F_PREV_NEWLINE = 4;

/** What `prog` needs the DFA to track. */
export interface Analysis {
  /** Union of all `ASSERT_*` bits used. */
  assertBits: number;
  /** Flags worth keeping in a state. */
  flagMask: number;
  /** Unanchored only: start threads only at rune boundaries. */
  trackBoundaries: boolean;
  /** Unanchored only: once past position 0, a new start thread can never progress (the pattern needs `\A`). */
  startNeedsTextStart: boolean;
}

/** The epsilon closure of `seeds` under the assertion context `ctx`, in any order. */
interface Closure {
  bytePcs: number[];
  matched: boolean;
}

class ClosureWalker {
  private readonly mark: Int32Array;
  private gen = 0;
  private readonly stack: number[] = [];
  /** Instructions visited so far (for {@link DFA_MAX_WORK}). */
  work = 0;

  constructor(private readonly insts: Int32Array) {
    this.mark = new Int32Array(insts.length / INST_WORDS);
  }

  /**
   * Walks the closure. `ctx` = -1 means "every assertion passes" and -2 "no assertion
   * passes"; otherwise the assertions whose bits all hold in `ctx` pass.
   */
  walk(seeds: readonly number[], ctx: number, out: Closure): void {
    const { insts, mark, stack } = this;
    const gen = ++this.gen;
    out.bytePcs.length = 0;
    out.matched = false;
    for (let k = seeds.length - 1; k >= 0; k--) stack.push(seeds[k]!);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      this.work++;
      const at = pc * INST_WORDS;
      switch (insts[at]) {
        case OP_BYTE:
          out.bytePcs.push(pc);
          break;
        case OP_MATCH:
          out.matched = true;
          break;
        case OP_SPLIT:
          stack.push(insts[at + 2]!, insts[at + 1]!);
          break;
        case OP_ASSERT: {
          const bits = insts[at + 1]!;
          if (ctx === -1 || (ctx >= 0 && (bits & ~ctx) === 0)) stack.push(insts[at + 3]!);
          break;
        }
        case OP_SAVE:
        case OP_NOP:
          stack.push(insts[at + 3]!);
          break;
        default: // OP_FAIL
      }
    }
  }
}

/** {@link Analysis} of `prog` for a DFA that is `anchored` or not (span.ts builds its lazy DFAs on it). */
export function analyseProg(prog: Prog, anchored: boolean): Analysis {
  return analyse(prog, anchored, new ClosureWalker(prog.insts));
}

function analyse(prog: Prog, anchored: boolean, walker: ClosureWalker): Analysis {
  const insts = prog.insts;
  let assertBits = 0;
  for (let at = 0; at < insts.length; at += INST_WORDS) if (insts[at] === OP_ASSERT) assertBits |= insts[at + 1]!;
  let flagMask = 0;
  if (assertBits & (ASSERT_BEGIN_TEXT | ASSERT_BEGIN_LINE)) flagMask |= F_AT_START;
  if (assertBits & ASSERT_BEGIN_LINE) flagMask |= F_PREV_NEWLINE;
  if (assertBits & (ASSERT_WORD_BOUNDARY | ASSERT_NOT_WORD_BOUNDARY)) flagMask |= F_PREV_WORD;
  let trackBoundaries = false;
  let startNeedsTextStart = false;
  if (!anchored) {
    // Inside a rune (between a non-ASCII byte and a continuation byte) only \B holds.
    const c: Closure = { bytePcs: [], matched: false };
    walker.walk([prog.start], ASSERT_NOT_WORD_BOUNDARY, c);
    trackBoundaries =
      c.matched || c.bytePcs.some((pc) => insts[pc * INST_WORDS + 1]! <= 0xbf && insts[pc * INST_WORDS + 2]! >= 0x80);
    // After position 0 every assertion but \A may hold somewhere.
    const everythingButStart = ~ASSERT_BEGIN_TEXT & 0x7fffffff;
    walker.walk([prog.start], everythingButStart, c);
    startNeedsTextStart = !c.matched && c.bytePcs.length === 0;
  }
  return { assertBits, flagMask, trackBoundaries, startNeedsTextStart };
}

/**
 * Byte → class. Two bytes share a class when every byte range of the program, and every
 * property the DFA reads (word byte, `\n`, the rune decoder's row), treats them alike, so
 * `[a-c]` and `[x-z]` in one pattern make one class, not two. `reps[c]` is a member of class c.
 */
export function byteClasses(prog: Prog, a: Analysis): { classes: Uint8Array; classCount: number; reps: number[] } {
  const insts = prog.insts;
  const ranges = new Set<number>();
  for (let at = 0; at < insts.length; at += INST_WORDS) {
    if (insts[at] === OP_BYTE) ranges.add(insts[at + 1]! * 256 + insts[at + 2]!);
  }
  const rangeList = [...ranges];
  const wordMatters = (a.assertBits & (ASSERT_WORD_BOUNDARY | ASSERT_NOT_WORD_BOUNDARY)) !== 0;
  const newlineMatters = (a.assertBits & (ASSERT_BEGIN_LINE | ASSERT_END_LINE)) !== 0;
  const classes = new Uint8Array(256);
  const reps: number[] = [];
  const ids = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    let key = '';
    for (let r = 0; r < rangeList.length; r++) {
      const range = rangeList[r]!;
      if (b >= range >> 8 && b <= (range & 0xff)) key += `${r},`;
    }
    key += `|${wordMatters ? WORD_BYTE[b] : 0}|${newlineMatters && b === 0x0a ? 1 : 0}|`;
    if (a.trackBoundaries) for (let s = 0; s < 8; s++) key += `${UTF8_DECODE[s * 256 + b]},`;
    let id = ids.get(key);
    if (id === undefined) {
      id = reps.length;
      ids.set(key, id);
      reps.push(b);
    }
    classes[b] = id;
  }
  return { classes, classCount: reps.length, reps };
}

interface State {
  /** Sorted NFA positions reached by consuming bytes (before the closure). */
  pcs: number[];
  flags: number;
  /** `UTF8_DECODE` state at this position (0 when not tracked). */
  dec: number;
}

/**
 * Builds a DFA for `prog`, or returns `null` when it needs more than `opts.maxStates`
 * states, {@link DFA_MAX_TABLE_BYTES} of table or {@link DFA_MAX_WORK} work.
 *
 * `anchored: true`: matches only from position 0 (use it when `prog.anchoredStart`, so the
 * DFA dies early). `anchored: false`: "matches anywhere".
 */
export function buildDfa(prog: Prog, opts: DfaOptions): Dfa | null {
  const insts = prog.insts;
  const walker = new ClosureWalker(insts);
  const anchored = opts.anchored;
  const a = analyse(prog, anchored, walker);
  const { classes, classCount, reps } = byteClasses(prog, a);
  const stride = classCount + 1;
  const maxStates = Math.min(opts.maxStates, Math.floor(DFA_MAX_TABLE_BYTES / (4 * stride)));

  const states: State[] = [];
  const ids = new Map<string, number>();
  const table: number[] = [];
  // Rows 0 (dead) and 1 (match) map to themselves.
  for (let s = 0; s <= 1; s++) {
    states.push({ pcs: [], flags: 0, dec: 0 });
    for (let c = 0; c < stride; c++) table.push(s);
  }

  /**
   * Creates the state (pcs, flags, dec) under `key`, which must be new; -1 when over budget.
   * `ids` also maps keys of sets that are certain matches to `DFA_MATCH`.
   */
  const intern = (key: string, pcs: number[], flags: number, dec: number): number => {
    if (states.length >= maxStates) return -1;
    const id = states.length;
    ids.set(key, id);
    states.push({ pcs, flags, dec });
    for (let c = 0; c < stride; c++) table.push(DFA_DEAD);
    return id;
  };

  const startPcs = anchored ? [prog.start] : [];
  const start = intern(`0/${F_AT_START & a.flagMask}/${startPcs.join(',')}`, startPcs, F_AT_START & a.flagMask, 0);
  if (start < 0) return null;

  const closure: Closure = { bytePcs: [], matched: false };
  const certain: Closure = { bytePcs: [], matched: false };
  const seeds: number[] = [];
  const stepped = new Int32Array(insts.length / INST_WORDS);
  let stepGen = 0;

  for (let sid = 2; sid < states.length; sid++) {
    if (walker.work > DFA_MAX_WORK) return null;
    const st = states[sid]!;
    const prevNone = (st.flags & F_AT_START) !== 0;
    const prev = prevNone ? -1 : st.flags & F_PREV_NEWLINE ? 0x0a : st.flags & F_PREV_WORD ? 0x61 : 0x20;
    // Closures by (context, start added): computed once, shared by the symbols that agree.
    const cache = new Map<number, { bytePcs: number[]; matched: boolean }>();
    for (let sym = 0; sym <= classCount; sym++) {
      const isEnd = sym === classCount;
      const rep = isEnd ? -1 : reps[sym]!;
      // Is this position a rune boundary (a place where an unanchored search starts a thread)?
      let decT = -1;
      let boundary = true;
      if (!isEnd && a.trackBoundaries && st.dec !== 0) {
        decT = UTF8_DECODE[st.dec * 256 + rep]!;
        boundary = decT < 0;
      }
      const addStart = !anchored && boundary && (!a.startNeedsTextStart || prevNone);
      const ctx = assertionContext(prev, rep);
      const cacheKey = ctx * 2 + (addStart ? 1 : 0);
      let cl = cache.get(cacheKey);
      if (cl === undefined) {
        seeds.length = 0;
        for (const pc of st.pcs) seeds.push(pc);
        if (addStart) seeds.push(prog.start);
        walker.walk(seeds, ctx, closure);
        cl = { bytePcs: closure.bytePcs.slice(), matched: closure.matched };
        cache.set(cacheKey, cl);
      }
      let next: number;
      if (cl.matched) {
        next = DFA_MATCH;
      } else if (isEnd) {
        next = DFA_DEAD;
      } else {
        const gen = ++stepGen;
        const pcs: number[] = [];
        walker.work += cl.bytePcs.length;
        for (const pc of cl.bytePcs) {
          const at = pc * INST_WORDS;
          if (rep >= insts[at + 1]! && rep <= insts[at + 2]!) {
            const target = insts[at + 3]!;
            if (stepped[target] !== gen) {
              stepped[target] = gen;
              pcs.push(target);
            }
          }
        }
        pcs.sort((x, y) => x - y);
        if (pcs.length === 0 && (anchored || a.startNeedsTextStart)) {
          next = DFA_DEAD;
        } else {
          const flags = ((WORD_BYTE[rep] ? F_PREV_WORD : 0) | (rep === 0x0a ? F_PREV_NEWLINE : 0)) & a.flagMask;
          const dec = a.trackBoundaries ? (boundary ? UTF8_DECODE[rep]! : decT) : 0;
          const key = `${dec}/${flags}/${pcs.join(',')}`;
          const known = ids.get(key);
          if (known !== undefined) {
            next = known;
          } else {
            walker.walk(pcs, -2, certain);
            if (certain.matched) {
              next = DFA_MATCH;
              ids.set(key, DFA_MATCH); // not a state: remembered so the walk is not repeated
            } else {
              next = intern(key, pcs, flags, dec);
              if (next < 0) return null;
            }
          }
        }
      }
      table[sid * stride + sym] = next;
    }
  }
  return { classes, classCount, stateCount: states.length, start, table: Int32Array.from(table) };
}

/**
 * Runs `dfa` on `bytes[start, end)` (the reference runner of the format in automaton.ts):
 * true when the text matches.
 */
export function dfaTest(dfa: Dfa, bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  const { classes, table } = dfa;
  const stride = dfa.classCount + 1;
  let s = dfa.start;
  for (let i = start; i < end; i++) {
    s = table[s * stride + classes[bytes[i]!]!]!;
    if (s <= DFA_MATCH) return s === DFA_MATCH;
  }
  s = table[s * stride + dfa.classCount]!;
  return s === DFA_MATCH;
}
