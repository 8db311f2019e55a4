/**
 * Sidecar indexes: a small summary of one closed hour file, kept beside the store in
 * `<root>/.letheql/index/<logType>/<target>/<name>.idx`, that lets a query skip data it can
 * prove holds nothing for it. This module owns the byte format, its checks, and the
 * 4-gram bloom test; it reads and writes bytes only (no `node:` imports): building a sidecar
 * needs the scan kernel (`exec/sidecar-build.ts`), finding one is the chunk source's job
 * (`ChunkSource.readSidecar`), using one is the planner's (`plan/sidecar-plan.ts`).
 *
 * ## Format (version 1)
 * ```
 * "LQIX" | u32 version | u32 headerLength | header (JSON, UTF-8) | blooms | u32 CRC-32
 * ```
 * Integers are little-endian; the CRC-32 (IEEE) covers every byte before it. The header
 * ({@link SidecarHeader}) names the file it describes (store path, size, mtime: its
 * *identity*), the build's parameters, the file's line/bad-line counts and first bad
 * lines, its min/max good-line time, per-stream line and message-byte counts, and its
 * blocks: line-aligned byte ranges of about {@link DEFAULT_INDEX_BLOCK_BYTES} with the
 * lines before each (so line numbers stay exact when blocks are skipped), their line and
 * bad-line counts, min/max time and bloom size. Blooms follow in block order, each
 * `2^bloomLog2` bits (bit `i` is bit `i & 7` of byte `i >> 3`).
 *
 * ## The bloom and why it never gives a false negative
 * For every good line of a block, every window of {@link GRAM} consecutive bytes of its
 * *message* (the bytes a line filter tests, `\r` stripped), after ASCII lower-casing
 * (`A`–`Z` → `a`–`z`, other bytes unchanged), is hashed ({@link gramHash}) and its bit set.
 * A positive `contains` filter with needle `s` (case-sensitive, or ASCII case-insensitive,
 * the kernel's two kinds) can only hold on a line whose message `m` satisfies
 * `fold(s)` ⊆ `fold(m)` as a substring: lower-casing maps equal bytes to equal bytes (and
 * ASCII-case-insensitive equality to equality). So every 4-byte window of `fold(s)` is a
 * 4-byte window of `fold(m)`, was hashed with the same function when the block was
 * indexed, and its bit is set. Hence if *any* window's bit of `fold(s)` is clear, no line
 * of the block holds `s`, and since all positive `contains` filters must hold for a line to
 * match, any one of them failing prunes the block. Needles shorter than 4 bytes have no
 * window and never prune. Bad lines never match, so they need no bits. A bloom only has false
 * positives (bits set by other windows), which cost a scan, never a row.
 *
 * Lower-cased 4-grams serve both case-sensitive and `(?i)` literals with one bloom, at the
 * price of a few more false positives for case-sensitive ones. 4 rather than 3 bytes: every
 * hex trigram occurs in any MiB of logs, while a 32-digit trace id has 29 4-grams that
 * must *all* be present, so even a half-full bloom rejects a block at odds of 2^-29.
 *
 * ## Trust
 * A sidecar is used only if its magic, version, lengths and checksum hold, its header is
 * consistent (blocks tile the file exactly, counts add up), and its identity matches the
 * listed file (path, size and mtime). Anything else is reported as a problem and ignored.
 */

/** Bytes per n-gram hashed into the block blooms. */
export const GRAM = 4;
/** Target bytes per block (blocks end at the first line end at or after this many bytes). */
export const DEFAULT_INDEX_BLOCK_BYTES = 512 * 1024;
/** Bits of the bloom each block is built in before being folded down; 2^20 bits hold a 512 KiB block at a low fill. */
export const BUILD_BLOOM_LOG2 = 20;
/** Smallest bloom: 2^6 bits = 8 bytes. */
export const MIN_BLOOM_LOG2 = 6;
/** A bloom is folded (halved, OR-ing its halves) while its fill stays at or below this. */
export const TARGET_BLOOM_FILL = 0.6;
/** Bad lines kept by line number per file (a query keeps at most 100 samples, the first in file order). */
export const SIDECAR_BAD_SAMPLES = 100;
export const SIDECAR_VERSION = 1;
/** Where sidecars live, relative to the store root. */
export const SIDECAR_DIR = '.letheql/index';

const MAGIC = [0x4c, 0x51, 0x49, 0x58]; // "LQIX"

/** A file's identity: a sidecar is for exactly this path, size and modification time. */
export interface SidecarIdentity {
  /** Store-relative path, `pod/shop/2024-09-24_13.log`. */
  path: string;
  size: number;
  /** Modification time in ms since the epoch, as the file system reports it (fractional). */
  mtimeMs: number;
}

/** One block: the lines whose first byte lies in `[offset, offset + bytes)`. */
export interface SidecarBlock {
  offset: number;
  bytes: number;
  /** Lines of the file before this block (its first line is line `lineBase + 1`). */
  lineBase: number;
  lines: number;
  badLines: number;
  /** Least and greatest time of the block's good lines, ns as decimal strings; null when it has none. */
  minNs: string | null;
  maxNs: string | null;
  /** The block's bloom has `2^bloomLog2` bits. */
  bloomLog2: number;
}

/** A stream (one label set of the line's bracket fields) and its counts. */
export interface SidecarStream {
  /** The line's bracket fields: namespace, pod, container (pod) or node, process (node). */
  fields: string[];
  lines: number;
  /** Bytes of these lines' messages. */
  bytes: number;
}

export type SidecarBadReason = 'bad-timestamp' | 'timestamp-out-of-range' | 'missing-bracket' | 'wrong-field-count' | 'line-too-long';

/** The JSON header of a sidecar. */
export interface SidecarHeader {
  version: number;
  file: SidecarIdentity;
  build: {
    /** Target block size. */
    blockBytes: number;
    /** The scan's `maxLineBytes` when built: lines longer than this were bad (`line-too-long`). */
    maxLineBytes: number;
    gram: number;
    fold: 'ascii-lower';
  };
  lines: number;
  badLines: number;
  /** The first {@link SIDECAR_BAD_SAMPLES} bad lines, 1-based line numbers, in file order. */
  badLineSamples: { line: number; reason: SidecarBadReason }[];
  /** Longest line in bytes, `\n` included. */
  longestLine: number;
  minNs: string | null;
  maxNs: string | null;
  /** Per-stream counts of good lines; null when a field was not valid UTF-8 (then no count is answered from here). */
  streams: SidecarStream[] | null;
  blocks: SidecarBlock[];
}

/** A decoded, checked sidecar. */
export interface Sidecar {
  header: SidecarHeader;
  /** Every block's bloom, in block order. */
  blooms: Uint8Array[];
}

/** Why a sidecar was not used. */
export type SidecarProblem = 'missing' | 'stale' | 'truncated' | 'corrupt' | 'unsupported' | 'unreadable';

/** The store-relative path of the sidecar of `<logType>/<target>/<name>`. */
export function sidecarPath(logType: string, target: string, name: string): string {
  return `${sidecarDir(logType, target)}/${name}${SIDECAR_SUFFIX}`;
}

/** What follows an hour file's name in its sidecar's name. */
export const SIDECAR_SUFFIX = '.idx';

/** The store-relative directory of the sidecars of `<logType>/<target>`. */
export function sidecarDir(logType: string, target: string): string {
  return `${SIDECAR_DIR}/${logType}/${target}`;
}

// ---------------------------------------------------------------------------------------
// Hashing

/** ASCII lower-casing table: the fold applied to messages and needles before hashing. */
export const FOLD = new Uint8Array(256);
for (let i = 0; i < 256; i++) FOLD[i] = i >= 0x41 && i <= 0x5a ? i + 0x20 : i;

/** The hash of a 4-gram packed big-endian into a u32 (murmur3's finaliser): the bloom bit is its low bits. */
export function gramHash(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const utf8 = new TextEncoder();

/** The distinct 4-gram hashes of a needle (folded; a string is taken as UTF-8), or null when it is too short to prune. */
export function needleHashes(needle: string | Uint8Array): Uint32Array | null {
  const b = typeof needle === 'string' ? utf8.encode(needle) : needle;
  if (b.length < GRAM) return null;
  const seen = new Set<number>();
  let x = 0;
  for (let i = 0; i < b.length; i++) {
    x = ((x << 8) | FOLD[b[i]!]!) >>> 0;
    if (i >= GRAM - 1) seen.add(gramHash(x));
  }
  return Uint32Array.from(seen);
}

/** Whether a bloom has every hash's bit set (the block may hold the needle). */
export function bloomHasAll(bloom: Uint8Array, log2: number, hashes: Uint32Array): boolean {
  const mask = log2 >= 32 ? 0xffffffff : (1 << log2) - 1;
  for (let i = 0; i < hashes.length; i++) {
    const bit = (hashes[i]! & mask) >>> 0;
    if ((bloom[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/**
 * Sets the bits of every 4-gram of `bytes[start, end)` (ASCII-folded) in `bits`, a bloom of
 * `2^log2` bits. The hot loop of building: one multiply-mix per message byte.
 */
export function addGrams(bits: Uint8Array, log2: number, bytes: Uint8Array, start: number, end: number): void {
  if (end - start < GRAM) return;
  const mask = (1 << log2) - 1;
  let x = 0;
  for (let i = start; i < start + GRAM - 1; i++) x = (x << 8) | FOLD[bytes[i]!]!;
  for (let i = start + GRAM - 1; i < end; i++) {
    x = (x << 8) | FOLD[bytes[i]!]!;
    let h = x;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const bit = h & mask;
    bits[bit >>> 3]! |= 1 << (bit & 7);
  }
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

function popcount(bits: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bits.length; i++) n += POPCOUNT[bits[i]!]!;
  return n;
}

/**
 * Folds a bloom built at `2^log2` bits down while its fill stays at most {@link TARGET_BLOOM_FILL}:
 * bit `h & (2^k − 1)` of the small bloom is the OR of the bits of the big one that map to it,
 * so the small bloom holds every hash the big one held (no false negative is introduced).
 */
export function foldBloom(bits: Uint8Array, log2: number): { bloom: Uint8Array; log2: number } {
  let cur = bits;
  let k = log2;
  while (k > MIN_BLOOM_LOG2) {
    const half = cur.length >>> 1;
    const next = new Uint8Array(half);
    for (let i = 0; i < half; i++) next[i] = cur[i]! | cur[i + half]!;
    if (popcount(next) > TARGET_BLOOM_FILL * half * 8) break;
    cur = next;
    k--;
  }
  return { bloom: cur === bits ? bits.slice() : cur, log2: k };
}

// ---------------------------------------------------------------------------------------
// Encoding

/** CRC-32 tables for slicing-by-8: table k at `[256k, 256k + 256)` (checking a sidecar is a query's planning cost). */
const CRC = new Uint32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC[n] = c >>> 0;
}
for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) CRC[256 * k + n] = (CRC[256 * (k - 1) + n]! >>> 8) ^ CRC[CRC[256 * (k - 1) + n]! & 0xff]!;

/** CRC-32 (IEEE 802.3) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  let i = 0;
  const n8 = bytes.length - 8;
  for (; i <= n8; i += 8) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      CRC[1792 + (a & 0xff)]! ^
      CRC[1536 + ((a >>> 8) & 0xff)]! ^
      CRC[1280 + ((a >>> 16) & 0xff)]! ^
      CRC[1024 + (a >>> 24)]! ^
      CRC[768 + bytes[i + 4]!]! ^
      CRC[512 + bytes[i + 5]!]! ^
      CRC[256 + bytes[i + 6]!]! ^
      CRC[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) c = CRC[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Serialises a sidecar (see the module note). */
export function encodeSidecar(s: Sidecar): Uint8Array {
  const header = utf8.encode(JSON.stringify(s.header));
  const bloomBytes = s.blooms.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(12 + header.length + bloomBytes + 4);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, SIDECAR_VERSION, true);
  dv.setUint32(8, header.length, true);
  out.set(header, 12);
  let at = 12 + header.length;
  for (const b of s.blooms) {
    out.set(b, at);
    at += b.length;
  }
  dv.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

/** The outcome of reading a sidecar: the sidecar, or why it is not used. */
export type SidecarRead = { ok: true; sidecar: Sidecar } | { ok: false; problem: SidecarProblem; detail: string };

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNs = (v: unknown): v is string | null => v === null || (typeof v === 'string' && /^-?\d{1,19}$/.test(v));

function checkHeader(h: SidecarHeader): string | null {
  if (typeof h !== 'object' || h === null) return 'header is not an object';
  if (h.version !== SIDECAR_VERSION) return `header version ${String(h.version)}`;
  const f = h.file;
  if (!f || typeof f.path !== 'string' || !isCount(f.size) || typeof f.mtimeMs !== 'number') return 'bad file identity';
  if (!h.build || !isCount(h.build.maxLineBytes) || h.build.gram !== GRAM || h.build.fold !== 'ascii-lower') return 'unknown build parameters';
  if (!isCount(h.lines) || !isCount(h.badLines) || !isCount(h.longestLine) || !isNs(h.minNs) || !isNs(h.maxNs)) return 'bad file counts';
  if (!Array.isArray(h.badLineSamples) || !Array.isArray(h.blocks)) return 'bad lists';
  let prevLine = 0;
  for (const s of h.badLineSamples) {
    if (!s || !isCount(s.line) || s.line <= prevLine || s.line > h.lines || typeof s.reason !== 'string') return 'bad bad-line samples';
    prevLine = s.line;
  }
  if (h.badLineSamples.length !== Math.min(h.badLines, SIDECAR_BAD_SAMPLES)) return 'bad-line samples do not match the count';
  let offset = 0;
  let lines = 0;
  let bad = 0;
  for (const b of h.blocks) {
    if (!b || b.offset !== offset || !isCount(b.bytes) || b.bytes === 0 || b.lineBase !== lines || !isCount(b.lines) || !isCount(b.badLines) || b.badLines > b.lines) return 'blocks do not tile the file';
    if (!isNs(b.minNs) || !isNs(b.maxNs) || (b.minNs === null) !== (b.maxNs === null)) return 'bad block times';
    if (!Number.isInteger(b.bloomLog2) || b.bloomLog2 < 3 || b.bloomLog2 > 30) return 'bad bloom size';
    offset += b.bytes;
    lines += b.lines;
    bad += b.badLines;
  }
  if (offset !== f.size || lines !== h.lines || bad !== h.badLines) return 'block totals do not match the file';
  if (h.streams !== null) {
    if (!Array.isArray(h.streams)) return 'bad streams';
    let good = 0;
    for (const s of h.streams) {
      if (!s || !Array.isArray(s.fields) || !s.fields.every((x) => typeof x === 'string') || !isCount(s.lines) || !isCount(s.bytes)) return 'bad stream';
      good += s.lines;
    }
    if (good !== h.lines - h.badLines) return 'stream totals do not match the file';
  }
  return null;
}

/**
 * Decodes and checks a sidecar's bytes (format, checksum, header consistency) and, with
 * `expect`, its identity against the listed file. Never throws: a problem is returned.
 */
export function decodeSidecar(bytes: Uint8Array, expect?: SidecarIdentity): SidecarRead {
  const bad = (problem: SidecarProblem, detail: string): SidecarRead => ({ ok: false, problem, detail });
  if (bytes.length < 16) return bad('truncated', `${bytes.length} bytes`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) return bad('corrupt', 'not a letheql sidecar');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== SIDECAR_VERSION) return bad('unsupported', `format version ${version}`);
  const headerLength = dv.getUint32(8, true);
  if (12 + headerLength + 4 > bytes.length) return bad('truncated', 'header cut short');
  const body = bytes.length - 4;
  if (crc32(bytes.subarray(0, body)) !== dv.getUint32(body, true)) {
    // A cut file fails its checksum too; say which when the header can tell.
    return bad('corrupt', 'checksum mismatch');
  }
  let header: SidecarHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength))) as SidecarHeader;
  } catch {
    return bad('corrupt', 'header is not JSON');
  }
  const problem = checkHeader(header);
  if (problem !== null) return bad('corrupt', problem);
  const blooms: Uint8Array[] = [];
  let at = 12 + headerLength;
  for (const b of header.blocks) {
    const n = Math.max(1, (2 ** b.bloomLog2) / 8);
    if (at + n > body) return bad('truncated', 'blooms cut short');
    blooms.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at !== body) return bad('corrupt', 'trailing bytes');
  if (expect) {
    const f = header.file;
    if (f.path !== expect.path) return bad('stale', `built for ${f.path}`);
    if (f.size !== expect.size) return bad('stale', `built for ${f.size} bytes, the file has ${expect.size}`);
    if (f.mtimeMs !== expect.mtimeMs) return bad('stale', 'the file was modified after the sidecar was built');
  }
  return { ok: true, sidecar: { header, blooms } };
}
