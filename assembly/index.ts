/**
 * letheql scan kernel: frames Lethe log lines in a block of bytes, parses each line's
 * RFC 3339 timestamp and bracket fields, and evaluates the kernel program (time window,
 * label matchers: byte equality or full-match regex; line filters: literal, case-folded
 * literal or regex search; the regex engines live in `regex.ts`) on them.
 *
 * ## Search first, frame later (design note)
 *
 * Framing every line costs the same whatever the filter, so a rare literal would cost as
 * much as no filter. When the program has a *search anchor* (`chooseAnchor`: a positive
 * literal, case-folded literal, or a DFA regex whose start state only a few rare bytes
 * leave), `scan` searches the whole rest of the block for its next candidate and counts the
 * `\n`s before it in the same SIMD pass (`searchAndCount`), then frames and evaluates only
 * the candidate's line, and searches on after it. Line numbers and line counts stay exact;
 * a line without a candidate cannot match and is counted, never validated (`resValidated`,
 * and `resBad` counts bad lines among validated ones; over-long lines are reported
 * whatever their candidates). Without an anchor (negated filters, selectors alone: a bad
 * line never matches, so each must be validated) every line is framed, with a cached
 * timestamp hour and a block-wide search for a negated literal (`gNegDesc`).
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
 *   program   progCap bytes: program bytes, then 32-byte compiled descriptors, prepared
 *             DFA tables / first-byte sets / folded needles, then the Pike scratch
 *   times     outCap × i64                               match timestamps (ns since epoch)
 *   lineNos   outCap × u32                               1-based line numbers
 *   offsets   outCap × OFFSET_STRIDE × i32               see src/scan/types.ts
 *   input     inCap bytes + INPUT_PAD                    the block (carry first)
 *
 * Runtime: `--runtime stub`, and nothing here allocates: no GC, no `new`, no strings.
 * No recursion and no backtracking: every loop moves a pointer forward, and the substring
 * search verifies each candidate position at most once, so a block costs O(bytes × filters
 * × longest needle) in the worst case and O(bytes) in the common one; a DFA is O(bytes), a
 * Pike program O(bytes × instructions).
 */
import {
  ABI_VERSION,
  ASSERT_BEGIN_LINE,
  ASSERT_BEGIN_TEXT,
  ASSERT_END_LINE,
  ASSERT_END_TEXT,
  ASSERT_NOT_WORD_BOUNDARY,
  ASSERT_WORD_BOUNDARY,
  AUTOMATON_DFA,
  AUTOMATON_HEADER_BYTES,
  AUTOMATON_PIKE,
  DESC_BYTES,
  DFA_DEAD,
  DFA_MATCH,
  FILTER_OP_CONTAINS,
  FILTER_OP_CONTAINS_FOLD,
  FILTER_OP_NOT_CONTAINS,
  FILTER_OP_NOT_CONTAINS_FOLD,
  FILTER_OP_NOT_REGEX,
  FILTER_OP_REGEX,
  INPUT_PAD,
  MATCH_OP_EQ,
  MATCH_OP_NEQ,
  MATCH_OP_NOT_REGEX,
  MATCH_OP_REGEX,
  OFFSET_STRIDE,
  OFF_FIELD0_START,
  OFF_LINE_START,
  OFF_MSG_END,
  OFF_MSG_START,
  OFF_TIME_END,
  OP_ASSERT,
  OP_BYTE,
  OP_FAIL,
  OP_MATCH,
  OP_NOP,
  OP_SAVE,
  OP_SPLIT,
  PIKE_FLAG_ANCHOR_END,
  PIKE_FLAG_ANCHOR_START,
  PIKE_SCRATCH_BYTES_PER_INST,
  PROGRAM_ERR_AUTOMATON_KIND,
  PROGRAM_ERR_AUTOMATON_SIZE,
  PROGRAM_ERR_DFA_CLASS,
  PROGRAM_ERR_DFA_STATE,
  PROGRAM_ERR_FIELD_COUNT,
  PROGRAM_ERR_FIELD_INDEX,
  PROGRAM_ERR_MAGIC,
  PROGRAM_ERR_NO_ROOM,
  PROGRAM_ERR_OP,
  PROGRAM_ERR_PIKE_INST,
  PROGRAM_ERR_PIKE_TARGET,
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
import { byteRank, findByte, findNewline, memEq } from './bytes';
import { checkPike, containsFold, dfaAccel, findAny4, foldEq, dfaBytes, dfaEotOff, dfaMatch, dfaMatchRow, dfaStartRow, initUtf8Decode, loadDfa, PIKE_FIRST_BYTES, pikeFirstBytes, pikeInsts, pikeMatch, prepareFold } from './regex';
export { utf8Decode } from './regex';
import { parseTimestamp, parseTimestampInHour, tsEnd, tsHourSecs, tsNs } from './timestamp';

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
/** True when some test can never hold (`notContains ""`, a regex whose DFA starts dead…), or the window is empty: nothing matches. */
let gNever = false;
/** Pike VM scratch (`PIKE_SCRATCH_BYTES_PER_INST` × the largest Pike program), shared by every Pike test: one runs at a time. */
let gPikeScratch: usize = 0;

// The search anchor (see `chooseAnchor`): which test's candidates the scan searches the
// whole block for before framing any line. ANCHOR_NONE: every line is framed.
const ANCHOR_NONE: i32 = 0;
/** A positive `contains` filter: candidates are verified occurrences of its needle. */
const ANCHOR_LITERAL: i32 = 1;
/** A positive `containsFold` filter: verified case-folded occurrences. */
const ANCHOR_FOLD: i32 = 2;
/** A positive regex filter run by a DFA whose start state only 1–4 rare bytes leave: candidates are those bytes. */
const ANCHOR_DFA: i32 = 3;
/** Search-first needs lines longer than this to be reportable from newline gaps alone (see `takeNewlines`). */
const SEARCH_MIN_MAX_LINE: i32 = 64;
/** Literal anchors whose rarest bytes rank above this (`byteRank`) are still used; a one-byte needle must be at most this common. */
const ANCHOR_MAX_BYTE_RANK: i32 = 140;
/**
 * Every byte of a DFA anchor must be at most this common: non-ASCII and control bytes only.
 * A single ASCII byte such as `x` is in too many lines (labels included): measured on the
 * bench store, `(x+x+)+y` anchored on `x` framed 58% of the lines and ran slower than
 * framing them all.
 */
const ANCHOR_DFA_MAX_BYTE_RANK: i32 = 60;
let gAnchor: i32 = ANCHOR_NONE;
/** Descriptor of the anchor filter (0: none). */
let gAnchorDesc: usize = 0;
/** Needle length of a literal anchor. */
let gAnchorLen: u32 = 0;
/** Index of the anchor among the filters, -1 when none. */
let gAnchorFilter: i32 = -1;
/** Without an anchor: a negated literal filter searched for over the block (0: none), see `chooseAnchor`. */
let gNegDesc: usize = 0;

// A compiled descriptor is 8 u32 words: [0] test kind, [1] negate (0/1), [2] field (matchers),
// then per kind:
//   T_EQ        [3] value ptr, [4] len
//   T_CONTAINS  [3] needle ptr, [4] len, [5] rarePosA, [6] rarePosB
//   T_FOLD      [3] folded needle ptr (its OR mask follows it), [4] len, [5] rarePosA, [6] rarePosB
//   T_DFA       [3] start row address, [4] match row address, [5] classes ptr, [6] end-of-text offset,
//               [7] start-state accelerator address (0: none)
//   T_PIKE      [3] instructions ptr, [4] nInsts, [5] start, [6] flags, [7] first-byte set address (0: none)
const T_EQ: u32 = 0;
const T_CONTAINS: u32 = 1;
const T_FOLD: u32 = 2;
const T_DFA: u32 = 3;
const T_PIKE: u32 = 4;

@inline function align8(p: usize): usize {
  return (p + 7) & ~(<usize>7);
}

// Results of loadAutomaton: the next free byte of the program area, the largest Pike program.
let lCursor: usize = 0;
let lMaxPike: u32 = 0;

/**
 * Loads the automaton payload `[p, p + n)` into descriptor `d` (words 0 and 3..6), writing
 * any table at `lCursor` (below `limit`) and advancing it. Returns 0 or a `PROGRAM_ERR_*`.
 */
function loadAutomaton(p: usize, n: usize, d: usize, limit: usize): i32 {
  if (n < <usize>AUTOMATON_HEADER_BYTES) return PROGRAM_ERR_AUTOMATON_SIZE;
  const kind = load<u32>(p);
  if (kind == AUTOMATON_DFA) {
    const r = loadDfa(p, n, lCursor, limit);
    if (r != 0) return r;
    store<u32>(d, T_DFA);
    store<u32>(d, <u32>dfaStartRow, 12);
    store<u32>(d, <u32>dfaMatchRow, 16);
    store<u32>(d, <u32>(p + AUTOMATON_HEADER_BYTES), 20);
    store<u32>(d, <u32>dfaEotOff, 24);
    store<u32>(d, <u32>dfaAccel, 28);
    lCursor = align8(lCursor + dfaBytes);
    return 0;
  }
  if (kind == AUTOMATON_PIKE) {
    const r = checkPike(p, n);
    if (r != 0) return r;
    initUtf8Decode();
    store<u32>(d, T_PIKE);
    store<u32>(d, <u32>(p + AUTOMATON_HEADER_BYTES), 12);
    store<u32>(d, pikeInsts, 16);
    store<u32>(d, load<u32>(p, 8), 20);
    store<u32>(d, load<u32>(p, 12), 24);
    // Room for its first-byte set, filled once the scratch is placed (end of setProgram).
    if (<u64>lCursor + <u64>PIKE_FIRST_BYTES > <u64>limit) return PROGRAM_ERR_NO_ROOM;
    store<u32>(d, <u32>lCursor, 28);
    lCursor += PIKE_FIRST_BYTES;
    if (pikeInsts > lMaxPike) lMaxPike = pikeInsts;
    return 0;
  }
  return PROGRAM_ERR_AUTOMATON_KIND;
}

/** True when descriptor `d`'s automaton can never match (`DEAD`) or always does (`MATCH`), resp. */
@inline function automatonStartsIn(d: usize, state: u32): bool {
  if (load<u32>(d) != T_DFA) return false;
  const start = <usize>load<u32>(d, 12);
  const matchRow = <usize>load<u32>(d, 16);
  return state == DFA_MATCH ? start == matchRow : start < matchRow;
}

/** The positions of the two rarest bytes of the `n`-byte needle at `p`, packed `a | b << 16` (`a < b`; both 0 when `n < 2`). */
function rarePositions(p: usize, n: u32): u32 {
  if (n < 2) return 0;
  let a: u32 = 0;
  let ra: i32 = 1 << 30;
  for (let k: u32 = 0; k < n; k++) {
    const r = byteRank(load<u8>(p + k));
    if (r < ra) { ra = r; a = k; }
  }
  let rb: i32 = 1 << 30;
  let b: u32 = a == 0 ? 1 : 0;
  for (let k: u32 = 0; k < n; k++) {
    if (k == a) continue;
    const r = byteRank(load<u8>(p + k));
    if (r < rb) { rb = r; b = k; }
  }
  if (a > b) { const t = a; a = b; b = t; }
  return a | (b << 16);
}

/**
 * Compiles the `len` program bytes at `progPtr()` into descriptors stored right after
 * them, followed by what the tests need prepared (premultiplied DFA tables, folded needles,
 * Pike scratch); the program area must hold `programAreaBytes()` (TS) bytes.
 * Returns 0 or a negative `PROGRAM_ERR_*`: every count, length, op, state id, class id and
 * instruction target is checked, so no program makes the scan read outside its regions.
 */
export function setProgram(len: i32): i32 {
  gProgLoaded = false;
  if (len < PROGRAM_HEADER_BYTES || len > gProgCap || (len & 3) != 0) return PROGRAM_ERR_TRUNCATED;
  const base = gProg;
  const end = base + <usize>len;
  const limit = base + <usize>gProgCap;
  if (load<u32>(base) != PROGRAM_MAGIC) return PROGRAM_ERR_MAGIC;
  const fieldCount = load<u32>(base, 4);
  if (fieldCount != 2 && fieldCount != 3) return PROGRAM_ERR_FIELD_COUNT;
  const startNs = load<i64>(base, 8);
  const endNs = load<i64>(base, 16);
  const nm = load<u32>(base, 24);
  const nf = load<u32>(base, 28);
  if (nm > 0xffff || nf > 0xffff) return PROGRAM_ERR_TRUNCATED;
  const desc = align8(end);
  if (desc + <usize>(nm + nf) * DESC_BYTES > limit) return PROGRAM_ERR_NO_ROOM;
  lCursor = desc + <usize>(nm + nf) * DESC_BYTES;
  lMaxPike = 0;
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
    if (op > MATCH_OP_NOT_REGEX) return PROGRAM_ERR_OP;
    if (<u64>p + <u64>n > <u64>end) return PROGRAM_ERR_TRUNCATED;
    store<u32>(d, field, 8);
    if (op == MATCH_OP_EQ || op == MATCH_OP_NEQ) {
      store<u32>(d, T_EQ);
      store<u32>(d, op == MATCH_OP_NEQ ? 1 : 0, 4);
      store<u32>(d, <u32>p, 12);
      store<u32>(d, n, 16);
    } else {
      const r = loadAutomaton(p, n, d, limit);
      if (r != 0) return r;
      const negate = op == MATCH_OP_NOT_REGEX;
      store<u32>(d, negate ? 1 : 0, 4);
      if (automatonStartsIn(d, negate ? DFA_MATCH : DFA_DEAD)) never = true;
    }
    d += DESC_BYTES;
    p = (p + <usize>n + 3) & ~(<usize>3);
  }
  for (let i: u32 = 0; i < nf; i++) {
    if (p + 8 > end) return PROGRAM_ERR_TRUNCATED;
    const op = load<u32>(p);
    const n = load<u32>(p, 4);
    p += 8;
    if (op > FILTER_OP_NOT_REGEX) return PROGRAM_ERR_OP;
    if (<u64>p + <u64>n > <u64>end) return PROGRAM_ERR_TRUNCATED;
    store<u32>(d, 0, 8);
    if (op == FILTER_OP_REGEX || op == FILTER_OP_NOT_REGEX) {
      const r = loadAutomaton(p, n, d, limit);
      if (r != 0) return r;
      const negate = op == FILTER_OP_NOT_REGEX;
      store<u32>(d, negate ? 1 : 0, 4);
      if (automatonStartsIn(d, negate ? DFA_MATCH : DFA_DEAD)) never = true;
    } else {
      const negate = op == FILTER_OP_NOT_CONTAINS || op == FILTER_OP_NOT_CONTAINS_FOLD;
      if (n == 0 && negate) never = true;
      // A message never holds '\n': a positive needle with one matches nothing (and would
      // make a search anchor whose candidates span two lines).
      if (!negate && findByte(p, p + <usize>n, 0x0a) < p + <usize>n) never = true;
      let needle = p;
      if (op == FILTER_OP_CONTAINS_FOLD || op == FILTER_OP_NOT_CONTAINS_FOLD) {
        // The folded needle and its OR mask, 2n bytes; the program bytes stay as JS wrote them.
        if (<u64>lCursor + (<u64>n << 1) > <u64>limit) return PROGRAM_ERR_NO_ROOM;
        needle = lCursor;
        prepareFold(p, n, needle);
        lCursor = align8(lCursor + (<usize>n << 1));
        store<u32>(d, T_FOLD);
      } else {
        store<u32>(d, T_CONTAINS);
      }
      // The two rarest bytes of the needle drive the SIMD candidate filter.
      const ab = rarePositions(needle, n);
      store<u32>(d, negate ? 1 : 0, 4);
      store<u32>(d, <u32>needle, 12);
      store<u32>(d, n, 16);
      store<u32>(d, ab & 0xffff, 20);
      store<u32>(d, ab >> 16, 24);
    }
    d += DESC_BYTES;
    p = (p + <usize>n + 3) & ~(<usize>3);
  }
  if (p != end) return PROGRAM_ERR_TRUNCATED; // the encoder pads every item, so len is a multiple of 4
  if (<u64>lCursor + <u64>lMaxPike * <u64>PIKE_SCRATCH_BYTES_PER_INST > <u64>limit) return PROGRAM_ERR_NO_ROOM;
  gPikeScratch = lCursor;
  for (let k: u32 = 0; k < nm + nf; k++) {
    const dk = desc + <usize>k * DESC_BYTES;
    if (load<u32>(dk) != T_PIKE) continue;
    const bitmap = <usize>load<u32>(dk, 28);
    if (!pikeFirstBytes(<usize>load<u32>(dk, 12), load<u32>(dk, 16), load<u32>(dk, 20), bitmap, gPikeScratch)) store<u32>(dk, 0, 28);
  }
  gFieldCount = <i32>fieldCount;
  gStartNs = startNs;
  gEndNs = endNs;
  gNMatchers = <i32>nm;
  gNFilters = <i32>nf;
  gDesc = desc;
  gNever = never;
  chooseAnchor();
  gProgLoaded = true;
  return 0;
}

/**
 * Picks the search anchor of the loaded program: among the positive line filters, the
 * literal (`contains`, `containsFold`) whose two rarest bytes are rarest, else a DFA regex
 * whose start state only 1–4 rare bytes leave (and which cannot match without leaving it:
 * neither the start state nor its end-of-text step matches). Every match holds the anchor's
 * candidate in its message, so a line without one cannot match and is only counted. A
 * one-byte needle or DFA byte more common than `ANCHOR_MAX_BYTE_RANK` would make nearly
 * every line a candidate; such tests are not anchors. Byte ranks only steer performance:
 * which lines are validated depends on the choice (see `resValidated`), matches never do.
 */
function chooseAnchor(): void {
  gAnchor = ANCHOR_NONE;
  gAnchorDesc = 0;
  gAnchorLen = 0;
  gAnchorFilter = -1;
  gNegDesc = 0;
  if (gNever) return;
  let best: i32 = 1 << 30;
  const fdesc = gDesc + <usize>gNMatchers * DESC_BYTES;
  for (let k = 0; k < gNFilters; k++) {
    const d = fdesc + <usize>k * DESC_BYTES;
    if (load<u32>(d, 4) != 0) continue; // negated
    const kind = load<u32>(d);
    let score: i32 = 1 << 30;
    let anchor = ANCHOR_NONE;
    if (kind == T_CONTAINS || kind == T_FOLD) {
      const needle = <usize>load<u32>(d, 12);
      const n = load<u32>(d, 16);
      if (n == 0) continue;
      const ra = byteRank(load<u8>(needle + <usize>load<u32>(d, 20)));
      const rb = byteRank(load<u8>(needle + <usize>load<u32>(d, 24)));
      if (n == 1) {
        if (ra > ANCHOR_MAX_BYTE_RANK) continue;
        score = 2 * ra + 256;
      } else {
        score = ra + rb;
      }
      anchor = kind == T_CONTAINS ? ANCHOR_LITERAL : ANCHOR_FOLD;
    } else if (kind == T_DFA) {
      const acc = <usize>load<u32>(d, 28);
      if (acc == 0) continue;
      const startRow = <usize>load<u32>(d, 12);
      const matchRow = <usize>load<u32>(d, 16);
      if (startRow <= matchRow || <usize>load<u32>(startRow + <usize>load<u32>(d, 24)) == matchRow) continue;
      const cnt = load<u32>(acc);
      let worst: i32 = 0;
      for (let j: u32 = 0; j < cnt; j++) {
        const c = load<u8>(acc + 4 + <usize>j);
        const r = c == 0x0a ? 1 << 20 : byteRank(c); // a '\n' candidate would belong to two lines
        if (r > worst) worst = r;
      }
      if (worst > ANCHOR_DFA_MAX_BYTE_RANK) continue;
      score = 2 * worst + 256 + <i32>cnt * 16;
      anchor = ANCHOR_DFA;
    } else {
      continue;
    }
    if (score < best) {
      best = score;
      gAnchor = anchor;
      gAnchorDesc = d;
      gAnchorLen = anchor == ANCHOR_DFA ? 0 : load<u32>(d, 16);
      gAnchorFilter = k;
    }
  }
  // Without an anchor every line is framed; a negated literal (the rarest, without '\n')
  // is then searched for over the block instead of in each message: a line the next
  // occurrence lies beyond cannot hold it, so its filter holds without a search.
  if (gAnchor != ANCHOR_NONE) return;
  best = 1 << 30;
  for (let k = 0; k < gNFilters; k++) {
    const d = fdesc + <usize>k * DESC_BYTES;
    const kind = load<u32>(d);
    if (load<u32>(d, 4) == 0 || (kind != T_CONTAINS && kind != T_FOLD)) continue;
    const needle = <usize>load<u32>(d, 12);
    const n = load<u32>(d, 16);
    if (n < 2 || findByte(needle, needle + <usize>n, 0x0a) < needle + <usize>n) continue;
    const score = byteRank(load<u8>(needle + <usize>load<u32>(d, 20))) + byteRank(load<u8>(needle + <usize>load<u32>(d, 24)));
    if (score < best) {
      best = score;
      gNegDesc = d;
    }
  }
}

/**
 * The first occurrence at or after `p` of the needle of literal descriptor `d` (`T_CONTAINS`
 * or `T_FOLD`, `n >= 2`) that starts before `end - n + 1`, or `end`. 64 candidate starts a
 * step while no rare-byte pair is in place, then 16 with each pair verified once.
 */
function findLiteral(p: usize, end: usize, d: usize): usize {
  const needle = <usize>load<u32>(d, 12);
  const n = <usize>load<u32>(d, 16);
  if (end - p < n) return end;
  const a = <usize>load<u32>(d, 20);
  const b = <usize>load<u32>(d, 24);
  const fold = load<u32>(d) == T_FOLD;
  const mask = needle + n;
  const va = i8x16.splat(load<u8>(needle + a));
  const vb = i8x16.splat(load<u8>(needle + b));
  const ma = i8x16.splat(fold ? load<u8>(mask + a) : 0);
  const mb = i8x16.splat(fold ? load<u8>(mask + b) : 0);
  const last = end - n;
  let i = p;
  while (i <= last) {
    while (i + 63 <= last) {
      const c0 = v128.and(i8x16.eq(v128.or(v128.load(i + a), ma), va), i8x16.eq(v128.or(v128.load(i + b), mb), vb));
      const c1 = v128.and(i8x16.eq(v128.or(v128.load(i + a, 16), ma), va), i8x16.eq(v128.or(v128.load(i + b, 16), mb), vb));
      const c2 = v128.and(i8x16.eq(v128.or(v128.load(i + a, 32), ma), va), i8x16.eq(v128.or(v128.load(i + b, 32), mb), vb));
      const c3 = v128.and(i8x16.eq(v128.or(v128.load(i + a, 48), ma), va), i8x16.eq(v128.or(v128.load(i + b, 48), mb), vb));
      if (v128.any_true(v128.or(v128.or(c0, c1), v128.or(c2, c3)))) break;
      i += 64;
    }
    const stop = i + 63 <= last ? i + 64 : last + 1;
    while (i < stop) {
      let m = i8x16.bitmask(v128.and(i8x16.eq(v128.or(v128.load(i + a), ma), va), i8x16.eq(v128.or(v128.load(i + b), mb), vb)));
      const remc = last - i + 1;
      if (remc < 16) m &= (1 << <i32>remc) - 1;
      while (m != 0) {
        const c = i + <usize>ctz(m);
        if (fold ? foldEq(c, needle, mask, n) : memEq(c, needle, n)) return c;
        m &= m - 1;
      }
      i += 16;
    }
  }
  return end;
}

/** The search anchor of the loaded program: -1 when every line is framed, else `kind << 16 | filter index` (kind 1 literal, 2 case-folded literal, 3 DFA). */
export function searchAnchor(): i32 {
  return gAnchor == ANCHOR_NONE ? -1 : (gAnchor << 16) | gAnchorFilter;
}

/** The smallest `maxLine` with which `scan` searches first (below it every line is framed). */
export function searchMinMaxLine(): i32 { return SEARCH_MIN_MAX_LINE; }

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

/** Whether the test of descriptor `d` holds on the bytes `[s, e)`, before its negation. */
function holds(d: usize, s: usize, e: usize): bool {
  const kind = load<u32>(d);
  const a = <usize>load<u32>(d, 12);
  const b = <usize>load<u32>(d, 16);
  if (kind == T_CONTAINS) return contains(s, e, a, b, <usize>load<u32>(d, 20), <usize>load<u32>(d, 24));
  if (kind == T_EQ) return e - s == b && memEq(s, a, b);
  if (kind == T_DFA) return dfaMatch(s, e, a, b, <usize>load<u32>(d, 20), <usize>load<u32>(d, 24), <usize>load<u32>(d, 28));
  if (kind == T_FOLD) return containsFold(s, e, a, b, <usize>load<u32>(d, 20), <usize>load<u32>(d, 24));
  return pikeMatch(s, e, a, <u32>b, load<u32>(d, 20), load<u32>(d, 24), gPikeScratch, <usize>load<u32>(d, 28));
}

// ---------------------------------------------------------------------------------------
// Scan

let rMatches: i32 = 0;
let rLines: i32 = 0;
let rBad: i32 = 0;
let rSamples: i32 = 0;
let rFull: i32 = 0;
let rValidated: i32 = 0;

/** Matches written by the last `scan`. */
export function resMatches(): i32 { return rMatches; }
/** Lines processed by the last `scan` (bad ones included). */
export function resLines(): i32 { return rLines; }
/** Bad lines seen by the last `scan` (among the validated ones, see `resValidated`). */
export function resBad(): i32 { return rBad; }
/** Bad-line samples written by the last `scan`. */
export function resSamples(): i32 { return rSamples; }
/** 1 when the last `scan` stopped because the output columns were full. */
export function resFull(): i32 { return rFull; }
/**
 * Lines the last `scan` validated (framed: length, timestamp, bracket fields). Every line
 * when the scan frames every line; under search-first only the lines holding a candidate of
 * the search anchor, plus every `line-too-long` line (lengths are known for every line).
 */
export function resValidated(): i32 { return rValidated; }

@inline function sample(lineNo: u32, reason: i32, badCap: i32): void {
  if (rSamples < badCap && rSamples < gSampleCap) {
    const at = gSamples + (<usize>rSamples << 3);
    store<u32>(at, lineNo);
    store<u32>(at, <u32>reason, 4);
    rSamples++;
  }
}

// Per-scan state shared by the scan loops and `processLine`.
let sMatches: i32 = 0;
let sMaxLine: i32 = 0;
let sBadCap: i32 = 0;

// The hour cache of `processLine`: the first 13 bytes (`YYYY-MM-DDTHH`) of the last line
// whose timestamp was valid, and that hour's seconds since the epoch (before the zone offset).
let hHead: u64 = 0;
let hHead2: u32 = 0;
let hHead3: u8 = 0;
let hSecs: i64 = 0;
let hValid = false;

/**
 * Frames, validates and (when valid) evaluates the line `[lineStart, nl)` (`nl`: its `\n`,
 * or the end of the final block) numbered `lineNo`; writes a record when it matches.
 * `hit`: where the search anchor's literal was verified (0: none), so that the anchor
 * filter need not run again when the hit lies in the message.
 */
function processLine(lineStart: usize, nl: usize, lineNo: u32, hit: usize, holdsDesc: usize): void {
  rValidated++;
  if (<i64>(nl - lineStart) > <i64>sMaxLine) {
    rBad++;
    sample(lineNo, REASON_LINE_TOO_LONG, sBadCap);
    return;
  }
  let e = nl;
  if (e > lineStart && load<u8>(e - 1) == 0x0d) e--;

  // Timestamp, up to and including the '[' that must follow it. Fast path: the line is in
  // the same hour (same `YYYY-MM-DDTHH` bytes) as the last valid one, so only mm:ss, the
  // fraction and the zone are left to read.
  let tsr: i32;
  if (hValid && e - lineStart >= 21 && load<u64>(lineStart) == hHead && load<u32>(lineStart, 8) == hHead2 && load<u8>(lineStart, 12) == hHead3) {
    tsr = parseTimestampInHour(lineStart, e, hSecs);
  } else {
    tsr = parseTimestamp(lineStart, e);
    if (tsr == REASON_NONE) {
      hHead = load<u64>(lineStart);
      hHead2 = load<u32>(lineStart, 8);
      hHead3 = load<u8>(lineStart, 12);
      hSecs = tsHourSecs;
      hValid = true;
    }
  }
  if (tsr != REASON_NONE) {
    rBad++;
    sample(lineNo, tsr, sBadCap);
    return;
  }
  const ts = tsNs;
  const open = tsEnd; // index of '['

  // Bracket fields: up to the first ']' after '[', split on '|'.
  const fb = open + 1;
  const vClose = i8x16.splat(0x5d); // ']'
  const vPipe = i8x16.splat(0x7c); // '|'
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
    sample(lineNo, REASON_MISSING_BRACKET, sBadCap);
    return;
  }
  const fieldCount = gFieldCount;
  if (pipes + 1 != fieldCount) {
    rBad++;
    sample(lineNo, REASON_WRONG_FIELD_COUNT, sBadCap);
    return;
  }

  // A valid line: now the program.
  if (gNever || ts < gStartNs || ts > gEndNs) return;
  const f0s = fb;
  const f0e = pipe0;
  const f1s = pipe0 + 1;
  const f1e = fieldCount == 3 ? pipe1 : close;
  const f2s = pipe1 + 1;
  const f2e = close;
  // Matchers, then filters, each in program order (the planner puts the cheapest first).
  const nm = gNMatchers;
  const mdesc = gDesc;
  for (let k = 0; k < nm; k++) {
    const d = mdesc + <usize>k * DESC_BYTES;
    const field = load<u32>(d, 8);
    const fs = field == 0 ? f0s : field == 1 ? f1s : f2s;
    const fe = field == 0 ? f0e : field == 1 ? f1e : f2e;
    if (holds(d, fs, fe) == (load<u32>(d, 4) != 0)) return;
  }
  let ms = close + 2;
  if (ms > e) ms = e;
  // The anchor's literal was verified at `hit`: inside the message it needs no second search.
  const skip = hit >= ms && hit + <usize>gAnchorLen <= e ? gAnchorDesc : 0;
  const nf = gNFilters;
  const fdesc = mdesc + <usize>nm * DESC_BYTES;
  for (let k = 0; k < nf; k++) {
    const d = fdesc + <usize>k * DESC_BYTES;
    if (d == skip || d == holdsDesc) continue;
    if (holds(d, ms, e) == (load<u32>(d, 4) != 0)) return;
  }

  // Record.
  const matches = sMatches;
  const base = gIn;
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
  sMatches = matches + 1;
}

// Newline bookkeeping of the search loops: the last '\n' taken (or the range start - 1) and
// how many were taken since the range start.
let nPrev: usize = 0;
let nCount: u32 = 0;

/**
 * Takes the `\n`s of mask `m` (bit k: byte `i + k`), in order: counts them, and reports the
 * line that the first one ends when it is longer than `sMaxLine` (numbered from `lineNo`,
 * the line count before the range). Only the first `\n` of a 16-byte step is checked: the
 * lines between two `\n` of one step are shorter than 16 bytes, and search-first runs only
 * with `sMaxLine >= SEARCH_MIN_MAX_LINE`. Reporting over-long lines whatever the candidates
 * keeps bad-line statistics independent of where a block ends.
 */
// @ts-ignore: decorator
@inline function takeNewlines(i: usize, m: i32, lineNo: u32): void {
  if (m != 0) {
    const f = i + <usize>ctz(m);
    if (f - nPrev - 1 > <usize>sMaxLine) {
      rValidated++;
      rBad++;
      sample(lineNo + nCount + 1, REASON_LINE_TOO_LONG, sBadCap);
    }
    nCount += <u32>popcnt(m);
    nPrev = i + 31 - <usize>clz(m);
  }
}

/** Takes every `\n` of `[i, end)` (see `takeNewlines`). */
function countRest(i: usize, end: usize, lineNo: u32): void {
  const vnl = i8x16.splat(0x0a);
  while (i < end) {
    let m = i8x16.bitmask(i8x16.eq(v128.load(i), vnl));
    const rem = end - i;
    if (rem < 16) m &= (1 << <i32>rem) - 1;
    takeNewlines(i, m, lineNo);
    i += 16;
  }
}

/** The number of `\n` bytes in `[p, e)` (a few bytes: the fast literal loop's edges). */
function newlinesIn(p: usize, e: usize): u32 {
  let n: u32 = 0;
  for (; p < e; p++) n += <u32>(load<u8>(p) == 0x0a);
  return n;
}

/** The sum of the 16 unsigned bytes of `acc`. */
// @ts-ignore: decorator
@inline function sumBytes(acc: v128): u32 {
  const s = i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(acc));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

/** The last `\n` in `[lo, x)`, or `lo - 1` when there is none (16 bytes a step, backwards). */
function lastNewlineBefore(x: usize, lo: usize): usize {
  const vnl = i8x16.splat(0x0a);
  let q = x;
  while (q > lo) {
    const b = q - 16; // lo >= inPtr() > 16, and the bytes below the input region are readable
    let m = i8x16.bitmask(i8x16.eq(v128.load(b), vnl));
    if (b < lo) m &= ~((1 << <i32>(lo - b)) - 1);
    if (m != 0) return b + 31 - <usize>clz(m);
    q = b;
  }
  return lo - 1;
}

/**
 * Searches `[p, end)` for the search anchor's next candidate and counts the lines before it
 * in the same pass: returns the candidate (`end` when none) after taking every `\n` before
 * it (`nCount`, and `nPrev` = the last of them, or `p - 1`). A literal candidate is a verified
 * occurrence of the whole needle (never crossing `end`); a DFA candidate is a byte that
 * leaves its start state.
 *
 * Fast path (when no line of the range can be longer than `sMaxLine`, so no gap needs
 * checking: always with the default limits): 64 positions per step, one `any_true` over
 * the four candidate vectors, and the `\n`s counted by adding the compare vectors into
 * byte lanes (flushed every 63 steps), with no scalar work per step. A step with a
 * candidate (verified or not) goes through the slow path, 16 positions at a time with
 * `takeNewlines`; the last `\n` before the result is found by scanning back from it.
 */
function searchAndCount(p: usize, end: usize, lineNo: u32): usize {
  nPrev = p - 1;
  nCount = 0;
  const fast = <u64>sMaxLine >= <u64>(end - p);
  const c = searchFrom(p, end, lineNo, fast);
  if (fast) nPrev = lastNewlineBefore(c, p);
  return c;
}

function searchFrom(p: usize, end: usize, lineNo: u32, fast: bool): usize {
  const kind = gAnchor;
  const d = gAnchorDesc;
  const vnl = i8x16.splat(0x0a);
  const zero = i8x16.splat(0);
  let i = p;
  if (kind == ANCHOR_DFA) {
    const acc = <usize>load<u32>(d, 28);
    const v0 = i8x16.splat(load<u8>(acc, 4));
    const v1 = i8x16.splat(load<u8>(acc, 5));
    const v2 = i8x16.splat(load<u8>(acc, 6));
    const v3 = i8x16.splat(load<u8>(acc, 7));
    while (i < end) {
      if (fast) {
        // Fast path: 64 bytes a step while none is a candidate.
        let lanes = zero;
        let steps = 0;
        while (i + 64 <= end) {
          const x0 = v128.load(i);
          const x1 = v128.load(i, 16);
          const x2 = v128.load(i, 32);
          const x3 = v128.load(i, 48);
          const h0 = v128.or(v128.or(i8x16.eq(x0, v0), i8x16.eq(x0, v1)), v128.or(i8x16.eq(x0, v2), i8x16.eq(x0, v3)));
          const h1 = v128.or(v128.or(i8x16.eq(x1, v0), i8x16.eq(x1, v1)), v128.or(i8x16.eq(x1, v2), i8x16.eq(x1, v3)));
          const h2 = v128.or(v128.or(i8x16.eq(x2, v0), i8x16.eq(x2, v1)), v128.or(i8x16.eq(x2, v2), i8x16.eq(x2, v3)));
          const h3 = v128.or(v128.or(i8x16.eq(x3, v0), i8x16.eq(x3, v1)), v128.or(i8x16.eq(x3, v2), i8x16.eq(x3, v3)));
          if (v128.any_true(v128.or(v128.or(h0, h1), v128.or(h2, h3)))) break;
          lanes = i8x16.sub(i8x16.sub(lanes, i8x16.eq(x0, vnl)), i8x16.eq(x1, vnl));
          lanes = i8x16.sub(i8x16.sub(lanes, i8x16.eq(x2, vnl)), i8x16.eq(x3, vnl));
          i += 64;
          if (++steps == 63) {
            nCount += sumBytes(lanes);
            lanes = zero;
            steps = 0;
          }
        }
        nCount += sumBytes(lanes);
      }
      // Slow path: 16 bytes a step, for one fast step's worth (or to the end).
      const stop = fast && i + 64 <= end ? i + 64 : end;
      while (i < stop) {
        const v = v128.load(i);
        let nm = i8x16.bitmask(i8x16.eq(v, vnl));
        let m = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, v0), i8x16.eq(v, v1)), v128.or(i8x16.eq(v, v2), i8x16.eq(v, v3))));
        const rem = end - i;
        if (rem < 16) {
          const keep = (1 << <i32>rem) - 1;
          nm &= keep;
          m &= keep;
        }
        if (m != 0) {
          const k = ctz(m);
          takeNewlines(i, nm & ((1 << k) - 1), lineNo);
          return i + <usize>k;
        }
        takeNewlines(i, nm, lineNo);
        i += 16;
      }
    }
    return end;
  }
  const needle = <usize>load<u32>(d, 12);
  const n = <usize>load<u32>(d, 16);
  const a = <usize>load<u32>(d, 20);
  const b = <usize>load<u32>(d, 24);
  if (end - p >= n) {
    const last = end - n; // last candidate start, inclusive
    // ANCHOR_FOLD ORs the bytes with the needle's mask first (zero for ANCHOR_LITERAL).
    const fold = kind == ANCHOR_FOLD;
    const mask = needle + n;
    const va = i8x16.splat(load<u8>(needle + a));
    const vb = i8x16.splat(load<u8>(needle + b));
    const ma = i8x16.splat(fold ? load<u8>(mask + a) : 0);
    const mb = i8x16.splat(fold ? load<u8>(mask + b) : 0);
    while (i <= last) {
      if (fast) {
        // Fast path: 64 candidate starts a step while no rare-byte pair is in place.
        let lanes = zero;
        let steps = 0;
        const s0 = i;
        if (fold) {
          while (i + 63 <= last) {
            const x0 = v128.load(i + a);
            const x1 = v128.load(i + a, 16);
            const x2 = v128.load(i + a, 32);
            const x3 = v128.load(i + a, 48);
            const c0 = v128.and(i8x16.eq(v128.or(x0, ma), va), i8x16.eq(v128.or(v128.load(i + b), mb), vb));
            const c1 = v128.and(i8x16.eq(v128.or(x1, ma), va), i8x16.eq(v128.or(v128.load(i + b, 16), mb), vb));
            const c2 = v128.and(i8x16.eq(v128.or(x2, ma), va), i8x16.eq(v128.or(v128.load(i + b, 32), mb), vb));
            const c3 = v128.and(i8x16.eq(v128.or(x3, ma), va), i8x16.eq(v128.or(v128.load(i + b, 48), mb), vb));
            if (v128.any_true(v128.or(v128.or(c0, c1), v128.or(c2, c3)))) break;
            // The '\n's of [i + a, i + a + 64), from the loads already made (see below the loop).
            lanes = i8x16.sub(i8x16.sub(lanes, i8x16.eq(x0, vnl)), i8x16.eq(x1, vnl));
            lanes = i8x16.sub(i8x16.sub(lanes, i8x16.eq(x2, vnl)), i8x16.eq(x3, vnl));
            i += 64;
            if (++steps == 63) {
              nCount += sumBytes(lanes);
              lanes = zero;
              steps = 0;
            }
          }
        } else {
          while (i + 63 <= last) {
            const x0 = v128.load(i + a);
            const x1 = v128.load(i + a, 16);
            const x2 = v128.load(i + a, 32);
            const x3 = v128.load(i + a, 48);
            const c0 = v128.and(i8x16.eq(x0, va), i8x16.eq(v128.load(i + b), vb));
            const c1 = v128.and(i8x16.eq(x1, va), i8x16.eq(v128.load(i + b, 16), vb));
            const c2 = v128.and(i8x16.eq(x2, va), i8x16.eq(v128.load(i + b, 32), vb));
            const c3 = v128.and(i8x16.eq(x3, va), i8x16.eq(v128.load(i + b, 48), vb));
            if (v128.any_true(v128.or(v128.or(c0, c1), v128.or(c2, c3)))) break;
            // The '\n's of [i + a, i + a + 64), from the loads already made (see below the loop).
            lanes = i8x16.sub(i8x16.sub(lanes, i8x16.eq(x0, vnl)), i8x16.eq(x1, vnl));
            lanes = i8x16.sub(i8x16.sub(lanes, i8x16.eq(x2, vnl)), i8x16.eq(x3, vnl));
            i += 64;
            if (++steps == 63) {
              nCount += sumBytes(lanes);
              lanes = zero;
              steps = 0;
            }
          }
        }
        // The loop counted the '\n's of [s0 + a, i + a), sharing the loads at `i + a`
        // (four fewer loads per 64 bytes); [s0, i) is that plus [s0, s0 + a) minus [i, i + a).
        nCount += sumBytes(lanes) + newlinesIn(s0, s0 + a) - newlinesIn(i, i + a);
      }
      // Slow path: 16 candidate starts a step, each pair verified, for one fast step's worth (or to the end).
      const stop = fast && i + 63 <= last ? i + 64 : last + 1;
      while (i < stop) {
        let nm = i8x16.bitmask(i8x16.eq(v128.load(i), vnl));
        let m = i8x16.bitmask(v128.and(i8x16.eq(v128.or(v128.load(i + a), ma), va), i8x16.eq(v128.or(v128.load(i + b), mb), vb)));
        const rem = end - i;
        if (rem < 16) nm &= (1 << <i32>rem) - 1;
        const remc = last - i + 1;
        if (remc < 16) {
          m &= (1 << <i32>remc) - 1;
          nm &= (1 << <i32>remc) - 1; // the rest is counted after the loop, from last + 1
        }
        while (m != 0) {
          const k = ctz(m);
          if (fold ? foldEq(i + <usize>k, needle, mask, n) : memEq(i + <usize>k, needle, n)) {
            takeNewlines(i, nm & ((1 << k) - 1), lineNo);
            return i + <usize>k;
          }
          m &= m - 1;
        }
        takeNewlines(i, nm, lineNo);
        i += 16;
      }
    }
    if (i > last + 1) i = last + 1;
  }
  countRest(i, end, lineNo);
  return end;
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
  rValidated = 0;
  if (!gProgLoaded || off < 0 || len < 0 || <i64>off + <i64>len > <i64>gInCap) return -1;
  const start = gIn + <usize>off;
  const end = start + <usize>len;
  sMatches = 0;
  sMaxLine = maxLine;
  sBadCap = badCap;
  const outCap = gOutCap;
  let p = start;
  let lineNo: u32 = <u32>lineBase;
  if (gAnchor != ANCHOR_NONE && maxLine >= SEARCH_MIN_MAX_LINE) {
    // Search first, frame later: find the anchor's next candidate in the whole rest of the
    // block, count the lines before it without framing them, then frame and evaluate only
    // the candidate's line, and go on after it.
    while (p < end) {
      const c = searchAndCount(p, end, lineNo);
      // Every line before the candidate's (or before `end`) is now counted.
      rLines += <i32>nCount;
      lineNo += nCount;
      const ls = nPrev + 1; // the candidate's line starts after the last '\n' before it
      if (c >= end) {
        p = ls;
        if (final != 0 && p < end) {
          // The file's last line, without '\n' and without a candidate.
          lineNo++;
          rLines++;
          if (<i64>(end - p) > <i64>maxLine) {
            rValidated++;
            rBad++;
            sample(lineNo, REASON_LINE_TOO_LONG, badCap);
          }
          p = end;
        }
        break;
      }
      let nl = findNewline(c, end);
      if (nl >= end) {
        if (final == 0) {
          p = ls;
          break;
        }
        nl = end;
      }
      if (sMatches >= outCap) {
        p = ls;
        rFull = 1;
        break;
      }
      lineNo++;
      rLines++;
      processLine(ls, nl, lineNo, gAnchor == ANCHOR_DFA ? 0 : c, 0);
      p = nl + 1;
    }
  } else {
    // Frame every line: a negated filter or a selector alone must validate each line, as a
    // bad line never matches.
    const negDesc = gNegDesc;
    let negHit: usize = 0; // the next occurrence of negDesc's needle (valid while >= the line start)
    while (p < end) {
      let nl = findNewline(p, end);
      if (nl >= end) {
        if (final == 0) break;
        nl = end;
      }
      if (sMatches >= outCap) {
        rFull = 1;
        break;
      }
      const lineStart = p;
      p = nl + 1;
      lineNo++;
      rLines++;
      // A negated literal whose next occurrence is past this line holds on it unsearched.
      let holdsDesc: usize = 0;
      if (negDesc != 0) {
        if (negHit < lineStart) negHit = findLiteral(lineStart, end, negDesc);
        if (negHit >= nl) holdsDesc = negDesc;
      }
      processLine(lineStart, nl, lineNo, 0, holdsDesc);
    }
  }
  rMatches = sMatches;
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
export function matchOpRegex(): i32 { return MATCH_OP_REGEX; }
export function matchOpNotRegex(): i32 { return MATCH_OP_NOT_REGEX; }
export function filterOpContainsFold(): i32 { return FILTER_OP_CONTAINS_FOLD; }
export function filterOpNotContainsFold(): i32 { return FILTER_OP_NOT_CONTAINS_FOLD; }
export function filterOpRegex(): i32 { return FILTER_OP_REGEX; }
export function filterOpNotRegex(): i32 { return FILTER_OP_NOT_REGEX; }
export function automatonHeaderBytes(): i32 { return AUTOMATON_HEADER_BYTES; }
export function automatonDfa(): i32 { return AUTOMATON_DFA; }
export function automatonPike(): i32 { return AUTOMATON_PIKE; }
export function pikeFlagAnchorStart(): i32 { return PIKE_FLAG_ANCHOR_START; }
export function pikeFlagAnchorEnd(): i32 { return PIKE_FLAG_ANCHOR_END; }
export function pikeScratchBytesPerInst(): i32 { return PIKE_SCRATCH_BYTES_PER_INST; }
export function dfaDead(): i32 { return DFA_DEAD; }
export function dfaMatchState(): i32 { return DFA_MATCH; }
export function opByte(): i32 { return OP_BYTE; }
export function opSplit(): i32 { return OP_SPLIT; }
export function opSave(): i32 { return OP_SAVE; }
export function opAssert(): i32 { return OP_ASSERT; }
export function opMatch(): i32 { return OP_MATCH; }
export function opFail(): i32 { return OP_FAIL; }
export function opNop(): i32 { return OP_NOP; }
export function assertBeginLine(): i32 { return ASSERT_BEGIN_LINE; }
export function assertEndLine(): i32 { return ASSERT_END_LINE; }
export function assertBeginText(): i32 { return ASSERT_BEGIN_TEXT; }
export function assertEndText(): i32 { return ASSERT_END_TEXT; }
export function assertWordBoundary(): i32 { return ASSERT_WORD_BOUNDARY; }
export function assertNotWordBoundary(): i32 { return ASSERT_NOT_WORD_BOUNDARY; }
export function programErrMagic(): i32 { return PROGRAM_ERR_MAGIC; }
export function programErrTruncated(): i32 { return PROGRAM_ERR_TRUNCATED; }
export function programErrFieldCount(): i32 { return PROGRAM_ERR_FIELD_COUNT; }
export function programErrFieldIndex(): i32 { return PROGRAM_ERR_FIELD_INDEX; }
export function programErrOp(): i32 { return PROGRAM_ERR_OP; }
export function programErrNoRoom(): i32 { return PROGRAM_ERR_NO_ROOM; }
export function programErrAutomatonKind(): i32 { return PROGRAM_ERR_AUTOMATON_KIND; }
export function programErrAutomatonSize(): i32 { return PROGRAM_ERR_AUTOMATON_SIZE; }
export function programErrDfaClass(): i32 { return PROGRAM_ERR_DFA_CLASS; }
export function programErrDfaState(): i32 { return PROGRAM_ERR_DFA_STATE; }
export function programErrPikeInst(): i32 { return PROGRAM_ERR_PIKE_INST; }
export function programErrPikeTarget(): i32 { return PROGRAM_ERR_PIKE_TARGET; }
