/**
 * The kernel program's byte format (version 2): the only place a {@link KernelProgram}
 * becomes bytes. Regex patterns are compiled here (by an injectable {@link RegexCompiler})
 * into the automata the kernel runs: a DFA, or a Pike VM program when the DFA would exceed
 * its budget.
 *
 * All integers are little-endian; every item starts 4-byte aligned (padding bytes are 0).
 *
 * ```
 * offset  size  field
 *      0     4  magic 0x324B514C ("LQK2")
 *      4     4  fieldCount (2 = node, 3 = pod)
 *      8     8  startNs (i64, inclusive; clamped to int64)
 *     16     8  endNs   (i64, inclusive; clamped to int64)
 *     24     4  nMatchers
 *     28     4  nFilters
 *     32        nMatchers × { u32 field, u32 op, u32 len, len payload bytes, pad to 4 }
 *               nFilters  × { u32 op, u32 len, len payload bytes, pad to 4 }
 *
 * matcher ops: 0 eq, 1 neq (payload: the value, UTF-8); 2 regex, 3 notRegex (payload: an
 *              automaton that matches the whole field)
 * filter ops:  0 contains, 1 notContains, 2 containsFold, 3 notContainsFold (payload: the
 *              needle, UTF-8; "Fold": ASCII letters compare case-insensitively);
 *              4 regex, 5 notRegex (payload: an automaton that searches the message)
 *
 * automaton payload (16-byte header):
 *   DFA   u32 kind 0, u32 classCount (1..256), u32 stateCount (>= 2), u32 start,
 *         u8 classes[256], i32 table[stateCount × (classCount + 1)]
 *   Pike  u32 kind 1, u32 nInsts (>= 1), u32 start, u32 flags (1 anchor start, 2 anchor end),
 *         i32 insts[nInsts × 4]   ([op, a, b, c], see src/regex/automaton.ts)
 * ```
 *
 * The kernel (`assembly/index.ts`, `setProgram`) checks everything it reads: the magic,
 * the field count, every field index and op, that the lengths add up to exactly the byte
 * count it was given, that an automaton's payload is exactly the size its header implies,
 * every class id (< classCount), state id (< stateCount; dead and match rows map to
 * themselves) and instruction (known opcode and assertion bits, byte bounds <= 255,
 * targets < nInsts). It compiles the program into 32-byte descriptors placed after the
 * program bytes, followed by premultiplied DFA tables (each with an 8-byte start-state
 * accelerator), Pike first-byte sets (32 bytes each), folded needles and the Pike VM's
 * scratch, so the program area must hold {@link programAreaBytes} bytes.
 *
 * A full-match Pike program carries both anchor flags, so the kernel anchors it whether or
 * not the compiler already wrapped the pattern in `\A(?:…)\z`; a DFA must be built for the
 * question it answers (searching, or matching from position 0 through the end).
 */
import type { KernelProgram } from '../plan/program.js';
import type { Dfa, KernelAutomaton, Prog } from '../regex/automaton.js';
import { INST_WORDS } from '../regex/automaton.js';
import { compileForKernel } from '../regex/index.js';
import { InternalError } from '../errors.js';

export const PROGRAM_MAGIC = 0x324b514c;
export const PROGRAM_HEADER_BYTES = 32;
export const MATCH_OP_EQ = 0;
export const MATCH_OP_NEQ = 1;
export const MATCH_OP_REGEX = 2;
export const MATCH_OP_NOT_REGEX = 3;
export const FILTER_OP_CONTAINS = 0;
export const FILTER_OP_NOT_CONTAINS = 1;
export const FILTER_OP_CONTAINS_FOLD = 2;
export const FILTER_OP_NOT_CONTAINS_FOLD = 3;
export const FILTER_OP_REGEX = 4;
export const FILTER_OP_NOT_REGEX = 5;
/** Bytes of an automaton payload's header. */
export const AUTOMATON_HEADER_BYTES = 16;
export const AUTOMATON_DFA = 0;
export const AUTOMATON_PIKE = 1;
/** Pike flag: threads start at position 0 only. */
export const PIKE_FLAG_ANCHOR_START = 1;
/** Pike flag: a match counts only at the end of the text. */
export const PIKE_FLAG_ANCHOR_END = 2;
/** Pike VM scratch bytes per instruction of the program's largest Pike program. */
export const PIKE_SCRATCH_BYTES_PER_INST = 20;
/** Bytes per compiled descriptor the kernel writes after the program bytes. */
export const DESC_BYTES = 32;
/** Bytes of the DFA byte → class map in a payload. */
const DFA_CLASSES_BYTES = 256;
/** Bytes the kernel keeps after a DFA's premultiplied table (its start-state accelerator). */
const DFA_ACCEL_BYTES = 8;
/** Bytes the kernel keeps per Pike program (its first-byte set, a 256-bit bitmap). */
const PIKE_FIRST_BYTES = 32;

/** `setProgram` error codes (negative); mirrors `assembly/constants.ts`. */
export const PROGRAM_ERRORS = {
  magic: -1,
  truncated: -2,
  fieldCount: -3,
  fieldIndex: -4,
  op: -5,
  noRoom: -6,
  automatonKind: -7,
  automatonSize: -8,
  dfaClass: -9,
  dfaState: -10,
  pikeInst: -11,
  pikeTarget: -12,
} as const;

/**
 * Compiles a pattern for the kernel: a DFA when it fits the budget, else a Pike program.
 * `fullMatch` asks for an automaton that matches the whole text (label matchers);
 * otherwise it searches (line filters).
 */
export type RegexCompiler = (pattern: string, opts: { fullMatch: boolean }) => KernelAutomaton;

export interface EncodeOptions {
  /** The regex compiler; defaults to `compileForKernel` (`src/regex/index.ts`). Tests inject hand-built automata or force the Pike VM. */
  compile?: RegexCompiler;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const pad4 = (n: number): number => (n + 3) & ~3;
const align8 = (n: number): number => (n + 7) & ~7;

/**
 * A window bound as int64. Bounds beyond int64 are clamped: every line time the kernel
 * accepts is an int64, so clamping cannot change which lines are in the window.
 */
function parseNs(name: string, s: string): bigint {
  if (!/^-?\d+$/.test(s)) throw new InternalError(`kernel program: ${name} must be a decimal integer string, got ${JSON.stringify(s)}`);
  const v = BigInt(s);
  return v < INT64_MIN ? INT64_MIN : v > INT64_MAX ? INT64_MAX : v;
}

function checkDfa(pattern: string, d: Dfa): void {
  const bad = (why: string): never => {
    throw new InternalError(`kernel program: the DFA for ${JSON.stringify(pattern)} is malformed: ${why}`);
  };
  if (!Number.isInteger(d.classCount) || d.classCount < 1 || d.classCount > 256) bad(`classCount ${d.classCount}`);
  if (!Number.isInteger(d.stateCount) || d.stateCount < 2) bad(`stateCount ${d.stateCount}`);
  if (d.classes.length !== DFA_CLASSES_BYTES) bad(`${d.classes.length} class entries`);
  if (d.table.length !== d.stateCount * (d.classCount + 1)) bad(`table of ${d.table.length} entries`);
}

function checkProg(pattern: string, p: Prog): void {
  const n = p.insts.length / INST_WORDS;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(p.start) || p.start < 0 || p.start >= n) {
    throw new InternalError(`kernel program: the NFA for ${JSON.stringify(pattern)} is malformed (${p.insts.length} words, start ${p.start})`);
  }
}

/** The automaton payload for `a` (layout in the module note). */
function automatonBytes(pattern: string, a: KernelAutomaton, fullMatch: boolean): Uint8Array {
  if (a.kind === 'dfa') {
    const d = a.dfa;
    checkDfa(pattern, d);
    const out = new Uint8Array(AUTOMATON_HEADER_BYTES + DFA_CLASSES_BYTES + 4 * d.table.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, AUTOMATON_DFA, true);
    dv.setUint32(4, d.classCount, true);
    dv.setUint32(8, d.stateCount, true);
    dv.setUint32(12, d.start, true);
    out.set(d.classes, AUTOMATON_HEADER_BYTES);
    let o = AUTOMATON_HEADER_BYTES + DFA_CLASSES_BYTES;
    for (let i = 0; i < d.table.length; i++, o += 4) dv.setInt32(o, d.table[i]!, true);
    return out;
  }
  const p = a.prog;
  checkProg(pattern, p);
  const n = p.insts.length / INST_WORDS;
  const out = new Uint8Array(AUTOMATON_HEADER_BYTES + 4 * p.insts.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, AUTOMATON_PIKE, true);
  dv.setUint32(4, n, true);
  dv.setUint32(8, p.start, true);
  dv.setUint32(12, (p.anchoredStart || fullMatch ? PIKE_FLAG_ANCHOR_START : 0) | (fullMatch ? PIKE_FLAG_ANCHOR_END : 0), true);
  let o = AUTOMATON_HEADER_BYTES;
  for (let i = 0; i < p.insts.length; i++, o += 4) dv.setInt32(o, p.insts[i]!, true);
  return out;
}

/**
 * Encodes a kernel program to the byte format above, compiling its regexes with
 * `opts.compile`. Throws `InternalError` on an invalid program (programs are built by the planner) (and whatever the compiler
 * throws for a pattern it rejects).
 */
export function encodeProgram(p: KernelProgram, opts: EncodeOptions = {}): Uint8Array {
  if (p.version !== 2) throw new InternalError(`kernel program: unsupported version ${String(p.version)}`);
  if (p.fieldCount !== 2 && p.fieldCount !== 3) throw new InternalError(`kernel program: fieldCount must be 2 or 3, got ${String(p.fieldCount)}`);
  const compile = opts.compile ?? compileForKernel;
  const startNs = parseNs('startNs', p.startNs);
  const endNs = parseNs('endNs', p.endNs);
  const enc = new TextEncoder();
  const matchers = p.labelMatchers.map((m) => {
    if (!Number.isInteger(m.field) || m.field < 0 || m.field >= p.fieldCount) {
      throw new InternalError(`kernel program: label matcher field ${m.field} is not below fieldCount ${p.fieldCount}`);
    }
    switch (m.op) {
      case 'eq':
      case 'neq':
        return { field: m.field, op: m.op === 'eq' ? MATCH_OP_EQ : MATCH_OP_NEQ, bytes: enc.encode(m.value) };
      case 'regex':
      case 'notRegex':
        return {
          field: m.field,
          op: m.op === 'regex' ? MATCH_OP_REGEX : MATCH_OP_NOT_REGEX,
          bytes: automatonBytes(m.pattern, compile(m.pattern, { fullMatch: true }), true),
        };
      default:
        throw new InternalError(`kernel program: unknown label matcher op ${String((m as { op: unknown }).op)}`);
    }
  });
  const filters = p.lineFilters.map((f) => {
    switch (f.op) {
      case 'contains':
      case 'notContains': {
        const fold = f.caseInsensitive === true;
        const op = f.op === 'contains' ? (fold ? FILTER_OP_CONTAINS_FOLD : FILTER_OP_CONTAINS) : fold ? FILTER_OP_NOT_CONTAINS_FOLD : FILTER_OP_NOT_CONTAINS;
        return { op, bytes: enc.encode(f.needle) };
      }
      case 'regex':
      case 'notRegex':
        return {
          op: f.op === 'regex' ? FILTER_OP_REGEX : FILTER_OP_NOT_REGEX,
          bytes: automatonBytes(f.pattern, compile(f.pattern, { fullMatch: false }), false),
        };
      default:
        throw new InternalError(`kernel program: unknown line filter op ${String((f as { op: unknown }).op)}`);
    }
  });
  if (matchers.length > 0xffff || filters.length > 0xffff) throw new InternalError('kernel program: too many matchers or filters');
  let size = PROGRAM_HEADER_BYTES;
  for (const m of matchers) size += 12 + pad4(m.bytes.length);
  for (const f of filters) size += 8 + pad4(f.bytes.length);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PROGRAM_MAGIC, true);
  dv.setUint32(4, p.fieldCount, true);
  dv.setBigInt64(8, startNs, true);
  dv.setBigInt64(16, endNs, true);
  dv.setUint32(24, matchers.length, true);
  dv.setUint32(28, filters.length, true);
  let o = PROGRAM_HEADER_BYTES;
  for (const m of matchers) {
    dv.setUint32(o, m.field, true);
    dv.setUint32(o + 4, m.op, true);
    dv.setUint32(o + 8, m.bytes.length, true);
    out.set(m.bytes, o + 12);
    o += 12 + pad4(m.bytes.length);
  }
  for (const f of filters) {
    dv.setUint32(o, f.op, true);
    dv.setUint32(o + 4, f.bytes.length, true);
    out.set(f.bytes, o + 8);
    o += 8 + pad4(f.bytes.length);
  }
  return out;
}

/**
 * Bytes the kernel's program area needs for `encoded`, as `setProgram` lays it out: the
 * program bytes (rounded up to 8), one descriptor per item, per DFA its premultiplied table,
 * and start-state accelerator (8 bytes), per Pike program its first-byte set (32 bytes),
 * per case-folded needle its folded copy and OR mask, the Pike scratch for the largest
 * Pike program, and 64 bytes of slack.
 */
export function programAreaBytes(encoded: Uint8Array): number {
  const dv = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const nm = dv.getUint32(24, true);
  const nf = dv.getUint32(28, true);
  let area = align8(encoded.length) + (nm + nf) * DESC_BYTES;
  let maxPike = 0;
  const automaton = (at: number): void => {
    const kind = dv.getUint32(at, true);
    if (kind === AUTOMATON_DFA) area += align8(4 * dv.getUint32(at + 8, true) * (dv.getUint32(at + 4, true) + 1) + DFA_ACCEL_BYTES);
    else if (kind === AUTOMATON_PIKE) {
      area += PIKE_FIRST_BYTES;
      maxPike = Math.max(maxPike, dv.getUint32(at + 4, true));
    }
  };
  let o = PROGRAM_HEADER_BYTES;
  for (let i = 0; i < nm; i++) {
    const op = dv.getUint32(o + 4, true);
    const len = dv.getUint32(o + 8, true);
    if (op === MATCH_OP_REGEX || op === MATCH_OP_NOT_REGEX) automaton(o + 12);
    o += 12 + pad4(len);
  }
  for (let i = 0; i < nf; i++) {
    const op = dv.getUint32(o, true);
    const len = dv.getUint32(o + 4, true);
    if (op === FILTER_OP_REGEX || op === FILTER_OP_NOT_REGEX) automaton(o + 8);
    else if (op === FILTER_OP_CONTAINS_FOLD || op === FILTER_OP_NOT_CONTAINS_FOLD) area += align8(2 * len);
    o += 8 + pad4(len);
  }
  return area + maxPike * PIKE_SCRATCH_BYTES_PER_INST + 64;
}
