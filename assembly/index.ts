/**
 * letheql scan kernel: frames Lethe log lines in a block of bytes, parses each line's
 * RFC 3339 timestamp and bracket fields, and evaluates the kernel program (time window,
 * byte-equality label matchers, literal line filters) on them.
 *
 * ## The JS↔WASM boundary (design note)
 *
 * The boundary is narrow on purpose: a handful of exports that take and return `i32` only
 * (plus the exported `memory`), called a few times per *block*, never per line.
 *
 * - `layout(progCap, outCap, sampleCap, inCap)` lays out the bump arena below and grows
 *   memory to fit; JS re-takes its typed-array views afterwards. The regions are ordered so
 *   that growing only `inCap` keeps every base address, which lets JS grow the input region
 *   while it holds a partial line (the carry) at its start.
 * - `setProgram(len)` compiles the program bytes JS wrote at `progPtr()` (format in
 *   `README.md`, encoder in `src/scan/program-codec.ts`); returns 0 or a negative error.
 * - `scan(off, len, final, lineBase, maxLine, badCap)` processes the complete lines of
 *   `[inPtr()+off, inPtr()+off+len)` and returns how many bytes it consumed (up to and
 *   including the last `\n` it processed). With `final != 0` a trailing partial line is a
 *   line. Matches are written as columns (times, line numbers, offsets relative to
 *   `inPtr()`); counters are read back with the `res*` getters. When the output columns
 *   are full the scan stops early (`resFull() == 1`) and JS calls again from the consumed
 *   point — so output memory stays bounded whatever the input region holds.
 *
 * ## Memory map (bump arena from `__heap_base`, 64-byte aligned regions)
 *
 *   samples   sampleCap × (u32 lineNo, u32 reason)      bad-line samples of the last scan
 *   program   progCap bytes: program bytes, then 32-byte compiled descriptors
 *   times     outCap × i64                               match timestamps (ns since epoch)
 *   lineNos   outCap × u32                               1-based line numbers
 *   offsets   outCap × OFFSET_STRIDE × i32               see src/scan/types.ts
 *   input     inCap bytes + INPUT_PAD                    the block (carry first)
 *
 * Runtime: `--runtime stub`, and nothing here allocates: no GC, no `new`, no strings.
 * No recursion and no backtracking: every loop moves a pointer forward, and the substring
 * search verifies each candidate position at most once, so a block costs O(bytes × filters
 * × longest needle) in the worst case and O(bytes) in the common one.
 */
import {
  ABI_VERSION,
  DESC_BYTES,
  FILTER_OP_CONTAINS,
  FILTER_OP_NOT_CONTAINS,
  INPUT_PAD,
  MATCH_OP_EQ,
  MATCH_OP_NEQ,
  OFFSET_STRIDE,
  OFF_FIELD0_START,
  OFF_LINE_START,
  OFF_MSG_END,
  OFF_MSG_START,
  OFF_TIME_END,
  PROGRAM_ERR_FIELD_COUNT,
  PROGRAM_ERR_FIELD_INDEX,
  PROGRAM_ERR_MAGIC,
  PROGRAM_ERR_NO_ROOM,
  PROGRAM_ERR_OP,
  PROGRAM_ERR_TRUNCATED,
  PROGRAM_HEADER_BYTES,
  PROGRAM_MAGIC,
  REASON_BAD_TIMESTAMP,
  REASON_LINE_TOO_LONG,
  REASON_MISSING_BRACKET,
  REASON_NONE,
  REASON_TIMESTAMP_OUT_OF_RANGE,
  REASON_WRONG_FIELD_COUNT,
} from './constants';
import { byteRank, findByte, memEq } from './bytes';
import { parseTimestamp, tsEnd, tsNs } from './timestamp';

// ---------------------------------------------------------------------------------------
// Arena

let gSamples: usize = 0;
let gSampleCap: i32 = 0;
let gProg: usize = 0;
let gProgCap: i32 = 0;
let gTimes: usize = 0;
let gLineNos: usize = 0;
let gOffsets: usize = 0;
let gOutCap: i32 = 0;
let gIn: usize = 0;
let gInCap: i32 = 0;

@inline function align64(p: usize): usize {
  return (p + 63) & ~(<usize>63);
}

/**
 * Lays out the arena for the given capacities and grows memory to hold it.
 * Returns 0, or -1 when memory cannot grow (or a capacity is negative).
 */
export function layout(progCap: i32, outCap: i32, sampleCap: i32, inCap: i32): i32 {
  if (progCap < 0 || outCap < 0 || sampleCap < 0 || inCap < 0) return -1;
  let p = align64(__heap_base);
  const samples = p;
  p = align64(p + <usize>sampleCap * 8);
  const prog = p;
  p = align64(p + <usize>progCap);
  const times = p;
  p = align64(p + <usize>outCap * 8);
  const lineNos = p;
  p = align64(p + <usize>outCap * 4);
  const offsets = p;
  p = align64(p + <usize>outCap * OFFSET_STRIDE * 4);
  const input = p;
  const end: u64 = <u64>p + <u64>inCap + <u64>INPUT_PAD;
  if (end > <u64>0xffff0000) return -1;
  const needPages = <i32>((end + 0xffff) >> 16);
  const havePages = memory.size();
  if (needPages > havePages) {
    if (memory.grow(needPages - havePages) < 0) return -1;
  }
  gSamples = samples;
  gSampleCap = sampleCap;
  if (prog != gProg || progCap < gProgCap) gProgLoaded = false; // the program bytes moved or may be cut
  gProg = prog;
  gProgCap = progCap;
  gTimes = times;
  gLineNos = lineNos;
  gOffsets = offsets;
  gOutCap = outCap;
  gIn = input;
  gInCap = inCap;
  return 0;
}

export function samplesPtr(): i32 { return <i32>gSamples; }
export function progPtr(): i32 { return <i32>gProg; }
export function timesPtr(): i32 { return <i32>gTimes; }
export function lineNosPtr(): i32 { return <i32>gLineNos; }
export function offsetsPtr(): i32 { return <i32>gOffsets; }
export function inPtr(): i32 { return <i32>gIn; }

// ---------------------------------------------------------------------------------------
// Program

let gProgLoaded = false;
let gFieldCount: i32 = 3;
let gStartNs: i64 = 0;
let gEndNs: i64 = 0;
let gNMatchers: i32 = 0;
let gNFilters: i32 = 0;
/** Compiled descriptors: matchers then filters, DESC_BYTES each. */
let gDesc: usize = 0;
/** True when some filter can never hold (`notContains ""`), or the window is empty: nothing matches. */
let gNever = false;

// Matcher descriptor: u32 field, u32 op, u32 ptr, u32 len.
// Filter descriptor:  u32 op, u32 ptr, u32 len, u32 rarePosA, u32 rarePosB.

/**
 * Compiles the `len` program bytes at `progPtr()` into descriptors stored right after
 * them (the program area must hold `len` rounded up to 8 plus 32 bytes per item).
 * Returns 0 or a negative `PROGRAM_ERR_*`.
 */
export function setProgram(len: i32): i32 {
  gProgLoaded = false;
  if (len < PROGRAM_HEADER_BYTES || len > gProgCap || (len & 3) != 0) return PROGRAM_ERR_TRUNCATED;
  const base = gProg;
  const end = base + <usize>len;
  if (load<u32>(base) != PROGRAM_MAGIC) return PROGRAM_ERR_MAGIC;
  const fieldCount = load<u32>(base, 4);
  if (fieldCount != 2 && fieldCount != 3) return PROGRAM_ERR_FIELD_COUNT;
  const startNs = load<i64>(base, 8);
  const endNs = load<i64>(base, 16);
  const nm = load<u32>(base, 24);
  const nf = load<u32>(base, 28);
  if (nm > 0xffff || nf > 0xffff) return PROGRAM_ERR_TRUNCATED;
  const desc = (end + 7) & ~(<usize>7);
  if (desc + <usize>(nm + nf) * DESC_BYTES > base + <usize>gProgCap) return PROGRAM_ERR_NO_ROOM;
  let p = base + PROGRAM_HEADER_BYTES;
  let d = desc;
  let never = startNs > endNs;
  for (let i: u32 = 0; i < nm; i++) {
    if (p + 12 > end) return PROGRAM_ERR_TRUNCATED;
    const field = load<u32>(p);
    const op = load<u32>(p, 4);
    const n = load<u32>(p, 8);
    p += 12;
    if (field >= fieldCount) return PROGRAM_ERR_FIELD_INDEX;
    if (op != MATCH_OP_EQ && op != MATCH_OP_NEQ) return PROGRAM_ERR_OP;
    if (<u64>p + <u64>n > <u64>end) return PROGRAM_ERR_TRUNCATED;
    store<u32>(d, field);
    store<u32>(d, op, 4);
    store<u32>(d, <u32>p, 8);
    store<u32>(d, n, 12);
    d += DESC_BYTES;
    p = (p + <usize>n + 3) & ~(<usize>3);
  }
  for (let i: u32 = 0; i < nf; i++) {
    if (p + 8 > end) return PROGRAM_ERR_TRUNCATED;
    const op = load<u32>(p);
    const n = load<u32>(p, 4);
    p += 8;
    if (op != FILTER_OP_CONTAINS && op != FILTER_OP_NOT_CONTAINS) return PROGRAM_ERR_OP;
    if (<u64>p + <u64>n > <u64>end) return PROGRAM_ERR_TRUNCATED;
    if (n == 0 && op == FILTER_OP_NOT_CONTAINS) never = true;
    // The two rarest bytes of the needle drive the SIMD candidate filter.
    let a: u32 = 0;
    let b: u32 = 0;
    if (n > 1) {
      let ra: i32 = 1 << 30;
      for (let k: u32 = 0; k < n; k++) {
        const r = byteRank(load<u8>(p + k));
        if (r < ra) { ra = r; a = k; }
      }
      let rb: i32 = 1 << 30;
      b = a == 0 ? 1 : 0;
      for (let k: u32 = 0; k < n; k++) {
        if (k == a) continue;
        const r = byteRank(load<u8>(p + k));
        if (r < rb) { rb = r; b = k; }
      }
      if (a > b) { const t = a; a = b; b = t; }
    }
    store<u32>(d, op);
    store<u32>(d, <u32>p, 4);
    store<u32>(d, n, 8);
    store<u32>(d, a, 12);
    store<u32>(d, b, 16);
    d += DESC_BYTES;
    p = (p + <usize>n + 3) & ~(<usize>3);
  }
  if (p != end) return PROGRAM_ERR_TRUNCATED; // the encoder pads every item, so len is a multiple of 4
  gFieldCount = <i32>fieldCount;
  gStartNs = startNs;
  gEndNs = endNs;
  gNMatchers = <i32>nm;
  gNFilters = <i32>nf;
  gDesc = desc;
  gNever = never;
  gProgLoaded = true;
  return 0;
}

// ---------------------------------------------------------------------------------------
// Literal search

/** True when `[s, e)` contains the `n` bytes at `needle`; `a < b` are the rare-byte positions. */
function contains(s: usize, e: usize, needle: usize, n: usize, a: usize, b: usize): bool {
  if (n == 0) return true;
  if (e - s < n) return false;
  if (n == 1) return findByte(s, e, load<u8>(needle)) < e;
  const va = i8x16.splat(load<u8>(needle + a));
  const vb = i8x16.splat(load<u8>(needle + b));
  const last = e - n; // last candidate start, inclusive
  let i = s;
  // Fast path: 16 candidate starts per step, kept only when both rare bytes are in place.
  while (i <= last) {
    let m = i8x16.bitmask(v128.and(i8x16.eq(v128.load(i + a), va), i8x16.eq(v128.load(i + b), vb)));
    const rem = last - i + 1;
    if (rem < 16) m &= (1 << <i32>rem) - 1;
    while (m != 0) {
      const c = i + <usize>ctz(m);
      if (memEq(c, needle, n)) return true;
      m &= m - 1;
    }
    i += 16;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Scan

let rMatches: i32 = 0;
let rLines: i32 = 0;
let rBad: i32 = 0;
let rSamples: i32 = 0;
let rFull: i32 = 0;

/** Matches written by the last `scan`. */
export function resMatches(): i32 { return rMatches; }
/** Lines processed by the last `scan` (bad ones included). */
export function resLines(): i32 { return rLines; }
/** Bad lines seen by the last `scan`. */
export function resBad(): i32 { return rBad; }
/** Bad-line samples written by the last `scan`. */
export function resSamples(): i32 { return rSamples; }
/** 1 when the last `scan` stopped because the output columns were full. */
export function resFull(): i32 { return rFull; }

@inline function sample(lineNo: u32, reason: i32, badCap: i32): void {
  if (rSamples < badCap && rSamples < gSampleCap) {
    const at = gSamples + (<usize>rSamples << 3);
    store<u32>(at, lineNo);
    store<u32>(at, <u32>reason, 4);
    rSamples++;
  }
}

/**
 * Processes the lines of `[inPtr()+off, inPtr()+off+len)`; see the module note.
 * `lineBase` is the number of lines before this range in the file, `maxLine` the longest
 * line (bytes before its `\n`) accepted, `badCap` how many bad-line samples to keep.
 * Returns the bytes consumed. Returns -1 when no program is loaded or the range is invalid.
 */
export function scan(off: i32, len: i32, final: i32, lineBase: i32, maxLine: i32, badCap: i32): i32 {
  rMatches = 0;
  rLines = 0;
  rBad = 0;
  rSamples = 0;
  rFull = 0;
  if (!gProgLoaded || off < 0 || len < 0 || <i64>off + <i64>len > <i64>gInCap) return -1;
  const base = gIn;
  const start = base + <usize>off;
  const end = start + <usize>len;
  const fieldCount = gFieldCount;
  const startNs = gStartNs;
  const endNs = gEndNs;
  const nm = gNMatchers;
  const nf = gNFilters;
  const mdesc = gDesc;
  const fdesc = gDesc + <usize>nm * DESC_BYTES;
  const never = gNever;
  const outCap = gOutCap;
  const vClose = i8x16.splat(0x5d); // ']'
  const vPipe = i8x16.splat(0x7c); // '|'
  let p = start;
  let lineNo: u32 = <u32>lineBase;
  let matches: i32 = 0;
  while (p < end) {
    let nl = findByte(p, end, 0x0a);
    if (nl >= end) {
      if (final == 0) break;
      nl = end;
    }
    if (matches >= outCap) {
      rFull = 1;
      break;
    }
    const lineStart = p;
    p = nl + 1;
    lineNo++;
    rLines++;
    if (<i64>(nl - lineStart) > <i64>maxLine) {
      rBad++;
      sample(lineNo, REASON_LINE_TOO_LONG, badCap);
      continue;
    }
    let e = nl;
    if (e > lineStart && load<u8>(e - 1) == 0x0d) e--;

    // Timestamp, up to and including the '[' that must follow it.
    const tsr = parseTimestamp(lineStart, e);
    if (tsr != REASON_NONE) {
      rBad++;
      sample(lineNo, tsr, badCap);
      continue;
    }
    const ts = tsNs;
    const open = tsEnd; // index of '['

    // Bracket fields: up to the first ']' after '[', split on '|'.
    const fb = open + 1;
    let close: usize = 0;
    let found = false;
    let pipes: i32 = 0;
    let pipe0: usize = 0;
    let pipe1: usize = 0;
    let q = fb;
    while (q < e) {
      const v = v128.load(q);
      let mc = i8x16.bitmask(i8x16.eq(v, vClose));
      let mp = i8x16.bitmask(i8x16.eq(v, vPipe));
      const rem = e - q;
      if (rem < 16) {
        const keep = (1 << <i32>rem) - 1;
        mc &= keep;
        mp &= keep;
      }
      if (mc != 0) mp &= (1 << ctz(mc)) - 1; // pipes after ']' belong to the message
      while (mp != 0) {
        const at = q + <usize>ctz(mp);
        if (pipes == 0) pipe0 = at;
        else if (pipes == 1) pipe1 = at;
        pipes++;
        mp &= mp - 1;
      }
      if (mc != 0) {
        close = q + <usize>ctz(mc);
        found = true;
        break;
      }
      q += 16;
    }
    if (!found) {
      rBad++;
      sample(lineNo, REASON_MISSING_BRACKET, badCap);
      continue;
    }
    if (pipes + 1 != fieldCount) {
      rBad++;
      sample(lineNo, REASON_WRONG_FIELD_COUNT, badCap);
      continue;
    }

    // A valid line: now the program.
    if (never || ts < startNs || ts > endNs) continue;
    const f0s = fb;
    const f0e = pipe0;
    const f1s = pipe0 + 1;
    const f1e = fieldCount == 3 ? pipe1 : close;
    const f2s = pipe1 + 1;
    const f2e = close;
    let ok = true;
    for (let k = 0; k < nm; k++) {
      const d = mdesc + <usize>k * DESC_BYTES;
      const field = load<u32>(d);
      const op = load<u32>(d, 4);
      const vp = <usize>load<u32>(d, 8);
      const vn = <usize>load<u32>(d, 12);
      const fs = field == 0 ? f0s : field == 1 ? f1s : f2s;
      const fe = field == 0 ? f0e : field == 1 ? f1e : f2e;
      const eq = fe - fs == vn && memEq(fs, vp, vn);
      if (eq != (op == MATCH_OP_EQ)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    let ms = close + 2;
    if (ms > e) ms = e;
    for (let k = 0; k < nf; k++) {
      const d = fdesc + <usize>k * DESC_BYTES;
      const op = load<u32>(d);
      const has = contains(ms, e, <usize>load<u32>(d, 4), <usize>load<u32>(d, 8), <usize>load<u32>(d, 12), <usize>load<u32>(d, 16));
      if (has != (op == FILTER_OP_CONTAINS)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;

    // Record.
    store<i64>(gTimes + (<usize>matches << 3), ts);
    store<u32>(gLineNos + (<usize>matches << 2), lineNo);
    const o = gOffsets + <usize>matches * (OFFSET_STRIDE * 4);
    store<i32>(o + (OFF_LINE_START << 2), <i32>(lineStart - base));
    store<i32>(o + (OFF_TIME_END << 2), <i32>(open - base));
    store<i32>(o + ((OFF_FIELD0_START + 0) << 2), <i32>(f0s - base));
    store<i32>(o + ((OFF_FIELD0_START + 1) << 2), <i32>(f0e - base));
    store<i32>(o + ((OFF_FIELD0_START + 2) << 2), <i32>(f1s - base));
    store<i32>(o + ((OFF_FIELD0_START + 3) << 2), <i32>(f1e - base));
    if (fieldCount == 3) {
      store<i32>(o + ((OFF_FIELD0_START + 4) << 2), <i32>(f2s - base));
      store<i32>(o + ((OFF_FIELD0_START + 5) << 2), <i32>(f2e - base));
    } else {
      store<i32>(o + ((OFF_FIELD0_START + 4) << 2), -1);
      store<i32>(o + ((OFF_FIELD0_START + 5) << 2), -1);
    }
    store<i32>(o + (OFF_MSG_START << 2), <i32>(ms - base));
    store<i32>(o + (OFF_MSG_END << 2), <i32>(e - base));
    matches++;
  }
  rMatches = matches;
  if (p > end) p = end;
  return <i32>(p - start);
}

// ---------------------------------------------------------------------------------------
// Constant getters, so a test can check that TS and AS agree.

export function abiVersion(): i32 { return ABI_VERSION; }
export function reasonBadTimestamp(): i32 { return REASON_BAD_TIMESTAMP; }
export function reasonTimestampOutOfRange(): i32 { return REASON_TIMESTAMP_OUT_OF_RANGE; }
export function reasonMissingBracket(): i32 { return REASON_MISSING_BRACKET; }
export function reasonWrongFieldCount(): i32 { return REASON_WRONG_FIELD_COUNT; }
export function reasonLineTooLong(): i32 { return REASON_LINE_TOO_LONG; }
export function programMagic(): i32 { return <i32>PROGRAM_MAGIC; }
export function programHeaderBytes(): i32 { return PROGRAM_HEADER_BYTES; }
export function descBytes(): i32 { return DESC_BYTES; }
export function inputPad(): i32 { return INPUT_PAD; }
export function offsetStride(): i32 { return OFFSET_STRIDE; }
export function offLineStart(): i32 { return OFF_LINE_START; }
export function offTimeEnd(): i32 { return OFF_TIME_END; }
export function offField0Start(): i32 { return OFF_FIELD0_START; }
export function offMsgStart(): i32 { return OFF_MSG_START; }
export function offMsgEnd(): i32 { return OFF_MSG_END; }
export function matchOpEq(): i32 { return MATCH_OP_EQ; }
export function matchOpNeq(): i32 { return MATCH_OP_NEQ; }
export function filterOpContains(): i32 { return FILTER_OP_CONTAINS; }
export function filterOpNotContains(): i32 { return FILTER_OP_NOT_CONTAINS; }
