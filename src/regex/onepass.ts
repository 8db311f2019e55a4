/**
 * One-pass capture extraction over a known match span: for programs where the next byte
 * always picks the path (RE2's "one-pass" programs, such as `(?P<method>[A-Z]+) (?P<path>\S+) HTTP`),
 * the groups of a match `[from, to)` found by `span.ts` come from one table walk, one step
 * per byte, like a DFA.
 *
 * ## How
 * A state is an instruction where a thread stands before reading a byte (the program's
 * start, and every `OP_BYTE` successor). Its epsilon closure, walked in priority order,
 * ends in leaves: `OP_BYTE` instructions and `OP_MATCH`, each reached by one path that
 * passes some `OP_SAVE`s (the actions). The program is one-pass when, in every state, no
 * leaf is reached twice and no byte is accepted by two leaves (assertions are ignored for
 * this test, so it is conservative). Then `[from, to)` — which some path matches — is matched
 * by exactly one path: at each position the one leaf accepting the byte, and at `to` the
 * `OP_MATCH` leaf. Replaying that path's saves gives the Pike VM's slots, since the Pike
 * VM's leftmost-first match is a path from `from` to `to` and there is only one.
 *
 * Tables are built once per program (`WeakMap`), or found not to apply (then
 * `backtrack.ts` runs); up to {@link ONEPASS_MAX_STATES} states of 256 entries.
 */
import { INST_WORDS, OP_ASSERT, OP_BYTE, OP_MATCH, OP_NOP, OP_SAVE, OP_SPLIT, type Prog } from './automaton.js';

/** Most states a one-pass table may have (each is 256 entries). */
export const ONEPASS_MAX_STATES = 128;

interface OnePass {
  /** `next[s * 256 + b]`: the state after reading b in state s, or -1. */
  next: Int32Array;
  /** Saves to make before reading b in state s: `pool[actStart[k] .. actStart[k + 1])`. */
  act: Int32Array;
  actLen: Int32Array;
  /** Per state: saves before matching, at `matchAct[s]` in `pool` with `matchLen[s]` entries; -1 when no match. */
  matchAct: Int32Array;
  matchLen: Int32Array;
  pool: Int32Array;
  slotCount: number;
}

const tables = new WeakMap<Prog, OnePass | null>();

function build(prog: Prog): OnePass | null {
  const insts = prog.insts;
  const n = insts.length / INST_WORDS;
  const stateOf = new Map<number, number>();
  const roots: number[] = [];
  const stateFor = (pc: number): number => {
    let s = stateOf.get(pc);
    if (s === undefined) {
      s = roots.length;
      stateOf.set(pc, s);
      roots.push(pc);
    }
    return s;
  };
  stateFor(prog.start);
  const next: number[] = [];
  const act: number[] = [];
  const actLen: number[] = [];
  const matchAct: number[] = [];
  const matchLen: number[] = [];
  const pool: number[] = [];
  const mark = new Int32Array(n).fill(-1);
  // DFS stack entries: pc, and the length of the action path when it was pushed.
  const stack: number[] = [];
  const path: number[] = [];
  for (let s = 0; s < roots.length; s++) {
    if (roots.length > ONEPASS_MAX_STATES) return null;
    const base = s * 256;
    for (let b = 0; b < 256; b++) {
      next[base + b] = -1;
      act[base + b] = 0;
      actLen[base + b] = 0;
    }
    matchAct[s] = -1;
    matchLen[s] = 0;
    stack.length = 0;
    path.length = 0;
    stack.push(roots[s]!, 0);
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const pc = stack.pop()!;
      path.length = depth;
      if (mark[pc] === s) return null; // reached twice: two paths, not one-pass
      mark[pc] = s;
      const at = pc * INST_WORDS;
      switch (insts[at]) {
        case OP_BYTE: {
          const target = stateFor(insts[at + 3]!);
          const start = pool.length;
          pool.push(...path);
          for (let b = insts[at + 1]!; b <= insts[at + 2]!; b++) {
            if (next[base + b] !== -1) return null; // two leaves take this byte
            next[base + b] = target;
            act[base + b] = start;
            actLen[base + b] = path.length;
          }
          break;
        }
        case OP_MATCH:
          matchAct[s] = pool.length;
          matchLen[s] = path.length;
          pool.push(...path);
          break;
        case OP_SPLIT:
          stack.push(insts[at + 2]!, depth, insts[at + 1]!, depth);
          break;
        case OP_SAVE: {
          const slot = insts[at + 1]!;
          if (slot < prog.slotCount) {
            path.push(slot);
            stack.push(insts[at + 3]!, depth + 1);
          } else {
            stack.push(insts[at + 3]!, depth);
          }
          break;
        }
        case OP_ASSERT:
        case OP_NOP:
          stack.push(insts[at + 3]!, depth);
          break;
        default: // OP_FAIL
      }
    }
  }
  return {
    next: Int32Array.from(next),
    act: Int32Array.from(act),
    actLen: Int32Array.from(actLen),
    matchAct: Int32Array.from(matchAct),
    matchLen: Int32Array.from(matchLen),
    pool: Int32Array.from(pool),
    slotCount: prog.slotCount,
  };
}

/** True when `prog` has one-pass tables (built on first call). */
export function isOnePass(prog: Prog): boolean {
  return table(prog) !== null;
}

function table(prog: Prog): OnePass | null {
  let t = tables.get(prog);
  if (t === undefined) {
    t = build(prog);
    tables.set(prog, t);
  }
  return t;
}

/**
 * The capture slots of the match `[from, to)` of `prog` (a span `span.ts` found, so one
 * exists), as `pikeSearch` gives them; null when the program is not one-pass (or, which
 * would be a bug, the walk leaves the table).
 */
export function onePassSpan(prog: Prog, bytes: Uint8Array, from: number, to: number): Int32Array | null {
  const t = table(prog);
  if (t === null) return null;
  const { next, act, actLen, pool } = t;
  const cap = new Int32Array(t.slotCount).fill(-1);
  cap[0] = from;
  let s = 0;
  for (let pos = from; pos < to; pos++) {
    const k = s * 256 + bytes[pos]!;
    const target = next[k]!;
    if (target < 0) return null;
    for (let j = act[k]!, end = j + actLen[k]!; j < end; j++) cap[pool[j]!] = pos;
    s = target;
  }
  const m = t.matchAct[s]!;
  if (m < 0) return null;
  for (let j = m, end = m + t.matchLen[s]!; j < end; j++) cap[pool[j]!] = to;
  cap[1] = to;
  return cap;
}
