/**
 * Bounded backtracking over a known match span: the groups of a match whose span
 * `[from, to)` the lazy DFAs of `span.ts` already found. RE2's and Go's "BitState" engine.
 *
 * ## Why it is linear
 * A depth-first walk over (instruction, position) pairs in priority order, with a bitmap of
 * pairs already visited: a pair is expanded at most once, so the work is
 * O(instructions × span), and the bitmap is only built when that product is small
 * ({@link BACKTRACK_MAX_BITS}); otherwise the caller runs the Pike VM on the span.
 * Revisiting a pair cannot help: whether a pair leads to `OP_MATCH` does not depend on the
 * captures carried, and the first visit (higher priority) already failed.
 *
 * ## Why it gives the Pike VM's answer
 * Both take the highest-priority path from `from`: the Pike VM keeps the first thread that
 * reaches an instruction at a position, this walk the first visit of the pair; the first
 * path to reach `OP_MATCH` in priority order is the leftmost-first match, which ends at
 * `to`, so bytes are never stepped past `to`. Captures are restored on the way back, as in
 * Go's `backtrack.go` (a restore job sits under the alternatives pushed inside the group).
 * Assertions see the whole text `[start, end)`, as in the Pike VM.
 *
 * Per call the cost is the span's, not the line's; per program the scratch (bitmap,
 * stack, slots) is kept and reused, so a stage over many lines allocates only its result.
 */
import { INST_WORDS, OP_ASSERT, OP_BYTE, OP_MATCH, OP_NOP, OP_SAVE, OP_SPLIT, type Prog } from './automaton.js';
import { assertionContext } from './pike.js';

/** Largest visited bitmap (instructions × (span + 1)) this engine takes on. */
export const BACKTRACK_MAX_BITS = 256 * 1024;

/** Programs up to this many instructions get first-byte sets (their cost is about instructions²). */
export const BACKTRACK_FIRST_BYTES_MAX_INSTS = 1024;

interface Scratch {
  visited: Uint32Array;
  stack: Int32Array;
  cap: Int32Array;
  /**
   * `first[pc * 8 + (b >> 5)] & (1 << (b & 31))`: byte b can be the first consumed from pc
   * (assertions assumed to hold, so a superset); `nullable[pc]`: pc reaches `OP_MATCH`
   * without consuming. Null for big programs. A pair that can neither consume the next byte
   * nor match is not worth a job: in `\S+`, most of the alternatives of the UTF-8 ranges.
   */
  first: Uint32Array | null;
  nullable: Uint8Array | null;
}

function firstBytes(prog: Prog): { first: Uint32Array; nullable: Uint8Array } {
  const insts = prog.insts;
  const n = insts.length / INST_WORDS;
  const first = new Uint32Array(n * 8);
  const nullable = new Uint8Array(n);
  const mark = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  for (let root = 0; root < n; root++) {
    stack.push(root);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (mark[pc] === root) continue;
      mark[pc] = root;
      const at = pc * INST_WORDS;
      switch (insts[at]) {
        case OP_BYTE:
          for (let b = insts[at + 1]!; b <= insts[at + 2]!; b++) first[root * 8 + (b >> 5)] |= 1 << (b & 31);
          break;
        case OP_MATCH:
          nullable[root] = 1;
          break;
        case OP_SPLIT:
          stack.push(insts[at + 2]!, insts[at + 1]!);
          break;
        case OP_ASSERT:
        case OP_SAVE:
        case OP_NOP:
          stack.push(insts[at + 3]!);
          break;
        default:
      }
    }
  }
  return { first, nullable };
}

const scratches = new WeakMap<Prog, Scratch>();

/**
 * The capture slots of the leftmost-first match of `prog` that starts at `from` and ends at
 * `to` in the text `bytes[start, end)` (both found by `span.ts`), as `pikeSearch` would
 * give them; null when the span is too long for the bitmap (or, which would be a bug, the
 * walk finds no match): run the Pike VM then.
 */
export function backtrackSpan(prog: Prog, bytes: Uint8Array, start: number, end: number, from: number, to: number): Int32Array | null {
  const insts = prog.insts;
  const n = insts.length / INST_WORDS;
  const width = to - from + 1;
  const bits = n * width;
  if (bits > BACKTRACK_MAX_BITS) return null;
  const slotCount = prog.slotCount;
  let sc = scratches.get(prog);
  if (!sc) {
    const fb = n <= BACKTRACK_FIRST_BYTES_MAX_INSTS ? firstBytes(prog) : null;
    sc = { visited: new Uint32Array(64), stack: new Int32Array(256), cap: new Int32Array(slotCount), first: fb?.first ?? null, nullable: fb?.nullable ?? null };
    scratches.set(prog, sc);
  }
  const words = (bits + 31) >>> 5;
  if (sc.visited.length < words) sc.visited = new Uint32Array(Math.max(words, sc.visited.length * 2));
  const visited = sc.visited;
  visited.fill(0, 0, words);
  // Each expanded pair pushes at most one job of two entries.
  if (sc.stack.length < 2 * bits + 2) sc.stack = new Int32Array(Math.max(2 * bits + 2, sc.stack.length * 2));
  const stack = sc.stack;
  const cap = sc.cap;
  const { first, nullable } = sc;
  /** Can (pc, pos) lead anywhere: consume the byte at pos (within the span), or match? */
  const promising = (pc: number, pos: number): boolean => {
    if (first === null || nullable![pc] === 1) return true;
    if (pos >= to) return false;
    const b = bytes[pos]!;
    return (first[pc * 8 + (b >> 5)]! & (1 << (b & 31))) !== 0;
  };
  cap.fill(-1);
  cap[0] = from;
  let sp = 0;
  // A job is (pc, pos), or (-(slot + 1), old value) to restore a slot.
  stack[sp++] = prog.start;
  stack[sp++] = from;
  while (sp > 0) {
    let pos = stack[--sp]!;
    let pc = stack[--sp]!;
    if (pc < 0) {
      cap[-pc - 1] = pos;
      continue;
    }
    for (;;) {
      if (!promising(pc, pos)) break;
      const bit = pc * width + (pos - from);
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if (visited[word]! & mask) break;
      visited[word] = visited[word]! | mask;
      const at = pc * INST_WORDS;
      const op = insts[at];
      if (op === OP_BYTE) {
        if (pos >= to) break;
        const b = bytes[pos]!;
        if (b < insts[at + 1]! || b > insts[at + 2]!) break;
        pc = insts[at + 3]!;
        pos++;
      } else if (op === OP_SPLIT) {
        // Only the promising branches: a chain of UTF-8 range alternatives walks straight
        // to the one that takes this byte, with no job pushed for the others.
        const x = insts[at + 1]!;
        const y = insts[at + 2]!;
        if (promising(x, pos)) {
          if (promising(y, pos)) {
            stack[sp++] = y;
            stack[sp++] = pos;
          }
          pc = x;
        } else if (promising(y, pos)) {
          pc = y;
        } else {
          break;
        }
      } else if (op === OP_SAVE) {
        const slot = insts[at + 1]!;
        if (slot < slotCount) {
          stack[sp++] = -(slot + 1);
          stack[sp++] = cap[slot]!;
          cap[slot] = pos;
        }
        pc = insts[at + 3]!;
      } else if (op === OP_ASSERT) {
        const ctx = assertionContext(pos > start ? bytes[pos - 1]! : -1, pos < end ? bytes[pos]! : -1);
        if ((insts[at + 1]! & ~ctx) !== 0) break;
        pc = insts[at + 3]!;
      } else if (op === OP_NOP) {
        pc = insts[at + 3]!;
      } else if (op === OP_MATCH) {
        // The first match in priority order is the leftmost-first one, and it ends at `to`.
        if (pos !== to) break;
        const out = cap.slice();
        out[1] = to;
        return out;
      } else {
        break; // OP_FAIL
      }
    }
  }
  return null;
}
