/**
 * Sidecar indexes: a small summary of one closed hour file, kept beside the store in
 * `<root>/.letheql/index/<logType>/<target>/<name>.idx`, that lets a query skip data it can
 * prove holds nothing for it. This module owns the byte format, its checks, and the
 * 4-gram bloom test; it reads and writes bytes only (no `node:` imports): building a sidecar
 * needs the scan kernel (`exec/sidecar-build.ts`), finding one is the chunk source's job
 * (`ChunkSource.readSidecar`), using one is the planner's (`plan/sidecar-plan.ts`).
 *
 * ## Format (version 5)
 * ```
 * "LQIX" | u32 version | u32 headerLength | u32 headCrc | header (JSON, UTF-8, space-padded
 * to a multiple of 4) | segment checksums | blooms | file filter
 * ```
 * Integers are little-endian. `headCrc` is the CRC-32 (IEEE) of every byte before the blooms
 * but its own four: the *head*. The header ({@link SidecarHeader}) names the file it
 * describes (store path, size, mtime: its *identity*), the build's parameters, the file's
 * line/bad-line counts and first bad lines, its min/max good-line time, per-stream line and
 * message-byte counts, and its blocks: line-aligned byte ranges of about
 * {@link DEFAULT_INDEX_BLOCK_BYTES} with the lines before each (so line numbers stay exact
 * when blocks are skipped), their line and bad-line counts, min/max time and bloom size.
 * Each block's bloom has `build.segments` segments (a power of two, the same for the whole
 * file) of `bloomWords × 32` bits (bit `i` of a segment is bit `i & 7` of its byte `i >> 3`);
 * a block with a *hex map* (`hexMap`, version 5) follows each segment's bloom words with its
 * slice of the map ({@link hexPartBytes}).
 * The blooms are stored *segment-major*: segment 0 of every block in block order, then
 * segment 1 of every block, …; the checksums likewise (one u32 per block per segment, from
 * {@link segmentChecksum}). The file ends with the *file filter* (version 4): one small bloom
 * over the distinct grams of the whole file ({@link layFileFilter}, its CRC-32 in the header).
 * Queries do not read it here: `letheql index` and the writer copy every file filter of a
 * target into the target's summary (`store/index-summary.ts`), with which a query skips most
 * files of a rare literal without opening their sidecars.
 *
 * Why segments, segment-major: a query tests a literal's few grams in every block, and each
 * gram's probes fall in the one segment its hash picks; so a query needs the head and at most
 * one segment run per distinct gram, each one contiguous read (`ChunkSource.openSidecar`),
 * and checks only what it reads. Version 1 read and CRC'd every sidecar whole (~156 ms per
 * query on the 4 GiB bench store); with blooms sized for accuracy (2.3× bigger) reading them
 * whole cost more still. A block's part of a segment is checked the first time a query reads
 * it ({@link blockMayHold}); one that fails makes the whole sidecar unusable for that query
 * (`plan/sidecar-plan.ts`), exactly as a bad file checksum did.
 *
 * ## The bloom and why it never gives a false negative
 * For every good line of a block, every window of {@link GRAM} consecutive bytes of its
 * *message* (the bytes a line filter tests, `\r` stripped), after ASCII lower-casing
 * (`A`–`Z` → `a`–`z`, other bytes unchanged), is collected (distinct grams, {@link GramSet}),
 * and each distinct gram sets {@link BLOOM_PROBES} bits, placed by its hashes, in the block's
 * bloom, which has {@link BLOOM_BITS_PER_GRAM} bits per distinct gram.
 * A positive `contains` filter with needle `s` (case-sensitive, or ASCII case-insensitive,
 * the kernel's two kinds) can only hold on a line whose message `m` satisfies
 * `fold(s)` ⊆ `fold(m)` as a substring: lower-casing maps equal bytes to equal bytes (and
 * ASCII-case-insensitive equality to equality). So every 4-byte window of `fold(s)` is a
 * 4-byte window of `fold(m)`, was hashed with the same functions when the block was
 * indexed, and its bits are set. Hence if *any* of any window's bits is clear, no line
 * of the block holds `s`, and since all positive `contains` filters must hold for a line to
 * match, any one of them failing prunes the block. Needles shorter than 4 bytes have no
 * window and never prune. Bad lines never match, so they need no bits. A bloom only has false
 * positives (bits set by other windows), which cost a scan, never a row.
 *
 * ## Hex maps
 * A *hex gram* is a 4-gram of hex digits (`0`–`9`, `a`–`f`, after folding): 65,536 of them,
 * each with an index (its four nibbles, {@link hexGramIndex}). Container ids, trace ids and
 * digests fill most of that space in a block of node logs, and four bloom bits each made
 * them ~70% of those blooms. A block with at least {@link HEX_MAP_MIN_GRAMS} of them keeps
 * them in a bitmap of the whole hex space instead (bit = index; no bigger than their bloom
 * bits, and exact), and only its other grams in the bloom. A test looks a needle's hex gram
 * up in the map of a block that has one, and in the bloom otherwise: each gram of the block
 * is set in exactly the structure the test reads, so the argument below holds for both.
 * Sliced over the bloom's segments by the index's top bits, the map keeps "one contiguous
 * read per segment a query needs".
 * The file filter does the same from {@link FILE_HEX_MAP_MIN_GRAMS} hex grams (its 2 bits
 * per gram), its map sliced over its parts (`fileFilter.hexMap`; target summaries copy it).
 *
 * Lower-cased 4-grams serve both case-sensitive and `(?i)` literals with one bloom, at the
 * price of a few more false positives for case-sensitive ones. 4 rather than 3 bytes: every
 * hex trigram occurs in any MiB of logs, while a 32-digit trace id has 29 4-grams that
 * must *all* be present.
 *
 * ## Trust
 * A sidecar is used only if its magic, version, lengths and head checksum hold, its header
 * is consistent (blocks tile the file exactly, counts add up), its identity matches the
 * listed file (path, size and mtime), and every bloom segment the query reads passes its
 * checksum. Anything else is reported as a problem and ignored. Older versions are
 * `unsupported` (ignored until `letheql index` rebuilds them).
 *
 * ## The file filter
 * The same argument as the block blooms', over the union of the blocks' grams: one bit per
 * gram (`(h2 >> 1) mod bits` of the part `h1`'s top six bits pick), {@link FILE_FILTER_BITS_PER_GRAM}
 * bits per distinct gram, in {@link FILE_FILTER_SEGMENTS} parts so that a query reads only the
 * parts its grams pick. A gram the file lacks passes with odds `1 − e^(−1/2)` ≈ 0.39; a
 * literal with six grams the file lacks, ≈ 0.004. Deliberately coarse: a file it lets
 * through is then tested block by block with the sidecar's blooms.
 */
import { InternalError } from '../errors.js';

/** Bytes per n-gram hashed into the block blooms. */
export const GRAM = 4;
/** Target bytes per block (blocks end at the first line end at or after this many bytes). */
export const DEFAULT_INDEX_BLOCK_BYTES = 512 * 1024;
/**
 * Bloom bits per distinct 4-gram of a block, and bits set per gram. With `b` bits and `k`
 * probes a gram that is not in the block passes with odds `(1 − e^(−k/b))^k`: 0.155 at 4 and
 * 2. A literal passes only if *all* its grams do, so a 9-byte literal whose 6 grams include 3
 * the block lacks passes at about 0.155³ ≈ 1/270 (a v1 bloom, folded to ≤ 60% full, let
 * 210 of 1,751 blocks through for a literal in 38). Sizing by the block's distinct grams,
 * not by a fill target, is what makes the odds the same in every block.
 */
export const BLOOM_BITS_PER_GRAM = 4;
export const BLOOM_PROBES = 2;
/** At most this many segments per bloom (a power of two); a file's largest block has segments of at least {@link MIN_SEGMENT_BITS}. */
export const MAX_BLOOM_SEGMENTS = 32;
export const MIN_SEGMENT_BITS = 512;
/** Bad lines kept by line number per file (a query keeps at most 100 samples, the first in file order). */
export const SIDECAR_BAD_SAMPLES = 100;
/**
 * Versions 1 (a folded bloom per block, one CRC over the file), 2 (segments block-major), 3 (no
 * file filter) and 4 (hex grams always in the bloom) are unsupported: rebuilt by `letheql index`.
 */
export const SIDECAR_VERSION = 5;
/** Bits per distinct gram of the file filter (one probe per gram). */
export const FILE_FILTER_BITS_PER_GRAM = 2;
/** Parts of a file filter (a power of two): `h1`'s top bits pick a gram's part. */
export const FILE_FILTER_SEGMENTS = 64;
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
  /** Each of the block's `build.segments` bloom segments has `bloomWords` 32-bit words. */
  bloomWords: number;
  /**
   * The block's hex grams are in a bitmap of the whole hex-gram space (each segment's part
   * ends with its slice of it, {@link hexPartBytes}), not in its bloom: absent when false.
   */
  hexMap?: true;
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
    /** Bits per distinct gram the blooms were sized for (informative), and bits set per gram (the probes a test makes). */
    bitsPerGram: number;
    probes: number;
    /** Bloom segments per block (a power of two, the same for every block of the file). */
    segments: number;
  };
  /** The file filter: {@link FILE_FILTER_SEGMENTS} parts of `words` 32-bit words (and a hex map slice each, with `hexMap`), and the CRC-32 of its bytes. */
  fileFilter: { segments: number; words: number; crc: number; hexMap?: true };
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

/**
 * A sidecar whose head (header and segment checksums) checked out. Its blooms are tested
 * with {@link blockMayHold} once the segments a query needs are loaded
 * ({@link neededSegments}, {@link attachSegment}): a whole-file read attaches them all.
 * Each block's part of a segment is checked against its checksum the first time it is read.
 */
export interface Sidecar {
  header: SidecarHeader;
  /** The sidecar's size in bytes. */
  size: number;
  /** Byte offset of segment `s`'s run (segment `s` of every block, in block order); entry `segments` is where the file filter starts. */
  segmentAt: number[];
  /** Offset of block `b`'s part within any segment's run; entry `blocks` is the run's length. */
  blockAt: number[];
  /** Checksums, segment-major: `checks[s × blocks + b]`. */
  checks: Uint32Array;
  /** The runs loaded so far, by segment. */
  runs: (Uint8Array | undefined)[];
  /** Per `s × blocks + b`: 0 not checked yet, 1 sound, 2 corrupt. */
  state: Uint8Array;
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

/** murmur3's 32-bit finaliser: a bijection that mixes every input bit into every output bit. */
export function gramHash(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The two hashes of a 4-gram (packed big-endian into a u32, folded) that place it in a bloom:
 * `h1`'s top bits pick the segment, and probe `i` sets bit `(h1 + i·h2) mod bits` of it.
 */
function gramProbeHashes(gram: number, out: Uint32Array, at: number): void {
  const h1 = gramHash(gram);
  out[at] = h1;
  out[at + 1] = gramHash((h1 + 0x9e3779b9) >>> 0) | 1;
}

/**
 * A literal's grams as a bloom test reads them: {@link PROBE_STRIDE} numbers per distinct gram,
 * `[h1, h2, hex]`, where `hex` is the gram's {@link hexGramIndex} or {@link NOT_HEX}.
 */
export type NeedleProbes = Uint32Array;
/** Numbers per gram in {@link NeedleProbes}. */
export const PROBE_STRIDE = 3;
/** The `hex` of a gram that is not a hex gram. */
export const NOT_HEX = 0xffffffff;

const utf8 = new TextEncoder();

/** The distinct folded 4-grams of a needle (a string is taken as UTF-8), packed big-endian; null when it is too short to prune. */
export function needleGrams(needle: string | Uint8Array): Uint32Array | null {
  const b = typeof needle === 'string' ? utf8.encode(needle) : needle;
  if (b.length < GRAM) return null;
  const seen = new Set<number>();
  let x = 0;
  for (let i = 0; i < b.length; i++) {
    x = ((x << 8) | FOLD[b[i]!]!) >>> 0;
    if (i >= GRAM - 1) seen.add(x);
  }
  return Uint32Array.from(seen);
}

/** What a bloom test needs of a needle (every one of its distinct grams), or null when it is too short to prune. */
export function needleProbes(needle: string | Uint8Array): NeedleProbes | null {
  const grams = needleGrams(needle);
  if (grams === null) return null;
  const out = new Uint32Array(grams.length * PROBE_STRIDE);
  for (let i = 0; i < grams.length; i++) {
    gramProbeHashes(grams[i]!, out, PROBE_STRIDE * i);
    const hex = hexGramIndex(grams[i]!);
    out[PROBE_STRIDE * i + 2] = hex < 0 ? NOT_HEX : hex;
  }
  return out;
}

// Hex grams

/** The 4-grams made of hex digits only (`0`–`9`, `a`–`f` after folding): 16⁴. */
export const HEX_GRAMS = 1 << 16;
const HEX_NIBBLE = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX_NIBBLE[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX_NIBBLE[0x61 + c] = 10 + c;

/** A folded gram's index in the hex-gram space (its four nibbles), or -1 when a byte is not a hex digit. */
export function hexGramIndex(gram: number): number {
  const a = HEX_NIBBLE[gram >>> 24]!;
  const b = HEX_NIBBLE[(gram >>> 16) & 0xff]!;
  const c = HEX_NIBBLE[(gram >>> 8) & 0xff]!;
  const d = HEX_NIBBLE[gram & 0xff]!;
  return (a | b | c | d) < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

/**
 * A block keeps its hex grams in a bitmap when it has at least this many: from here the
 * bitmap's 65,536 bits cost no more than their {@link BLOOM_BITS_PER_GRAM} bits each in the
 * bloom, and it answers exactly. Hex ids (container ids, trace ids, digests) fill most of the
 * hex-gram space in a block of node logs (~48,000 of 65,536 per 512 KiB block on the bench
 * store), where they took ~70% of the bloom.
 */
export const HEX_MAP_MIN_GRAMS = HEX_GRAMS / BLOOM_BITS_PER_GRAM;

/** Bytes of a block's hex bitmap in each of `segments` segments (the bitmap's slice for that segment). */
export const hexPartBytes = (segments: number): number => HEX_GRAMS / 8 / segments;

/** The segment (or file-filter part) whose slice holds hex gram `hex`'s bit, of `segments`: its top bits, as `segmentOf` takes a hash's. */
const hexSegmentOf = (hex: number, segments: number): number => (segments === 1 ? 0 : hex >>> (16 - Math.log2(segments)));

/** Sets hex gram `hex`'s bit in the map slice starting at byte `at` of `buf` (slices of {@link hexPartBytes}`(segments)`). */
function setHexBit(buf: Uint8Array, at: number, hex: number, segments: number): void {
  const local = hex & (HEX_GRAMS / segments - 1);
  buf[at + (local >>> 3)]! |= 1 << (local & 7);
}

/** Whether hex gram `hex`'s bit is set in the map slice starting at byte `at` of `buf`. */
function hasHexBit(buf: Uint8Array, at: number, hex: number, segments: number): boolean {
  const local = hex & (HEX_GRAMS / segments - 1);
  return (buf[at + (local >>> 3)]! & (1 << (local & 7))) !== 0;
}

/** How many of `grams` are hex grams. */
function countHex(grams: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < grams.length; i++) if (hexGramIndex(grams[i]!) >= 0) n++;
  return n;
}

/** Sets the probes' bits of one gram in a segment of `bits` bits starting at byte `at` of `bloom`. */
function setGram(bloom: Uint8Array, at: number, bits: number, h1: number, h2: number, probes: number): void {
  for (let i = 0; i < probes; i++) {
    const bit = ((h1 + Math.imul(i, h2)) >>> 0) % bits;
    bloom[at + (bit >>> 3)]! |= 1 << (bit & 7);
  }
}

function hasGram(bloom: Uint8Array, at: number, bits: number, h1: number, h2: number, probes: number): boolean {
  for (let i = 0; i < probes; i++) {
    const bit = ((h1 + Math.imul(i, h2)) >>> 0) % bits;
    if ((bloom[at + (bit >>> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

const segmentOf = (h1: number, segments: number): number => (segments === 1 ? 0 : h1 >>> (32 - Math.log2(segments)));

/** The file-filter part a gram (its `h1`) falls in. */
export const filterPartOf = (h1: number): number => h1 >>> (32 - Math.log2(FILE_FILTER_SEGMENTS));

/**
 * The bit of a gram (its `h2`) in a file-filter part of `bits` bits. `h2` is odd by
 * construction (it is a probe stride for the block blooms), so its low bit is dropped: an odd
 * number modulo an even one is odd, and half the bits would never be set.
 */
const filterBit = (h2: number, bits: number): number => (h2 >>> 1) % bits;

/** Whether the file-filter part of `words` words at byte `at` of `buf` has the bit of a gram (its `h2`). */
export function filterPartHas(buf: Uint8Array, at: number, words: number, h2: number): boolean {
  const bit = filterBit(h2, words * 32);
  return (buf[at + (bit >>> 3)]! & (1 << (bit & 7))) !== 0;
}

/**
 * A file filter laid out: words per part, whether its hex grams are in a hex map, and its
 * {@link FILE_FILTER_SEGMENTS} parts in order, each {@link filterPartBytes} long.
 */
export interface FileFilter {
  words: number;
  hexMap: boolean;
  bytes: Uint8Array;
}

/**
 * A file filter keeps its hex grams in a hex map from this many: its {@link FILE_FILTER_BITS_PER_GRAM}
 * bits per gram then cost as much as the map's 65,536 bits (an hour of node logs has ~60,000).
 */
export const FILE_HEX_MAP_MIN_GRAMS = HEX_GRAMS / FILE_FILTER_BITS_PER_GRAM;

/** Bytes of one file-filter part: its words, then, with a hex map, the map's slice for that part. */
export const filterPartBytes = (words: number, hexMap: boolean): number => 4 * words + (hexMap ? hexPartBytes(FILE_FILTER_SEGMENTS) : 0);

/** The part of a file filter (with a hex map or not) that a test of gram `g` of `probes` reads. */
export function filterGramPart(hexMap: boolean, probes: NeedleProbes, g: number): number {
  const hex = probes[g + 2]!;
  return hexMap && hex !== NOT_HEX ? hexSegmentOf(hex, FILE_FILTER_SEGMENTS) : filterPartOf(probes[g]!);
}

/**
 * Whether the file-filter part at byte `at` of `buf` (`words` words, a hex map slice after them
 * when `hexMap`) has gram `g` of `probes`; the part must be the one {@link filterGramPart} picks.
 */
export function filterPartHasGram(buf: Uint8Array, at: number, words: number, hexMap: boolean, probes: NeedleProbes, g: number): boolean {
  const hex = probes[g + 2]!;
  if (hexMap && hex !== NOT_HEX) return hasHexBit(buf, at + 4 * words, hex, FILE_FILTER_SEGMENTS);
  return filterPartHas(buf, at, words, probes[g + 1]!);
}

/**
 * Lays out the file filter of a file whose distinct grams are `grams` (see the module note);
 * with at least `hexMapMinGrams` hex grams (default {@link FILE_HEX_MAP_MIN_GRAMS}) they go in a
 * hex map, sliced over the parts by the index's top bits, each slice after its part's words.
 */
export function layFileFilter(grams: Uint32Array, hexMapMinGrams = FILE_HEX_MAP_MIN_GRAMS): FileFilter {
  const hexCount = countHex(grams);
  const hexMap = hexCount >= hexMapMinGrams;
  const inBloom = grams.length - (hexMap ? hexCount : 0);
  const words = Math.max(1, Math.ceil((inBloom * FILE_FILTER_BITS_PER_GRAM) / FILE_FILTER_SEGMENTS / 32));
  const part = filterPartBytes(words, hexMap);
  const bytes = new Uint8Array(FILE_FILTER_SEGMENTS * part);
  const h = new Uint32Array(2);
  for (let i = 0; i < grams.length; i++) {
    const hex = hexMap ? hexGramIndex(grams[i]!) : -1;
    if (hex >= 0) {
      setHexBit(bytes, hexSegmentOf(hex, FILE_FILTER_SEGMENTS) * part + 4 * words, hex, FILE_FILTER_SEGMENTS);
      continue;
    }
    gramProbeHashes(grams[i]!, h, 0);
    const bit = filterBit(h[1]!, words * 32);
    bytes[filterPartOf(h[0]!) * part + (bit >>> 3)]! |= 1 << (bit & 7);
  }
  return { words, hexMap, bytes };
}

/**
 * The distinct 4-grams of one block's messages, collected while it is scanned, then laid out
 * as its bloom ({@link GramSet.bloom}). An open-addressing set of u32 (a 4-gram *is* a u32),
 * stamped per block so that starting the next block clears nothing.
 */
export class GramSet {
  #keys = new Uint32Array(1 << 16);
  #stamps = new Uint32Array(1 << 16);
  #stamp = 1;
  #list = new Uint32Array(1 << 15);
  #n = 0;

  /** Distinct grams added since the last {@link GramSet.clear}. */
  get size(): number {
    return this.#n;
  }

  clear(): void {
    this.#n = 0;
    if (++this.#stamp === 0xffffffff) {
      this.#stamps.fill(0);
      this.#stamp = 1;
    }
  }

  /** Adds every 4-gram of `bytes[start, end)` (ASCII-folded). The hot loop of building: one multiply and a probe per message byte. */
  add(bytes: Uint8Array, start: number, end: number): void {
    if (end - start < GRAM) return;
    let x = 0;
    for (let i = start; i < start + GRAM - 1; i++) x = (x << 8) | FOLD[bytes[i]!]!;
    let keys = this.#keys;
    let stamps = this.#stamps;
    let mask = keys.length - 1;
    let shift = 32 - Math.log2(keys.length);
    const stamp = this.#stamp;
    for (let i = start + GRAM - 1; i < end; i++) {
      x = ((x << 8) | FOLD[bytes[i]!]!) >>> 0;
      let slot = Math.imul(x, 0x9e3779b1) >>> shift;
      while (stamps[slot] === stamp) {
        if (keys[slot] === x) break;
        slot = (slot + 1) & mask;
      }
      if (stamps[slot] === stamp) continue;
      stamps[slot] = stamp;
      keys[slot] = x;
      if (this.#n === this.#list.length) {
        const bigger = new Uint32Array(this.#list.length * 2);
        bigger.set(this.#list);
        this.#list = bigger;
      }
      this.#list[this.#n++] = x;
      if (this.#n * 2 > keys.length) {
        this.#grow();
        keys = this.#keys;
        stamps = this.#stamps;
        mask = keys.length - 1;
        shift = 32 - Math.log2(keys.length);
      }
    }
  }

  /** Adds grams already collected (a block's {@link GramSet.take}): the file's union for its filter. */
  addList(list: Uint32Array): void {
    for (let i = 0; i < list.length; i++) {
      const x = list[i]!;
      const mask = this.#keys.length - 1;
      let slot = Math.imul(x, 0x9e3779b1) >>> (32 - Math.log2(this.#keys.length));
      while (this.#stamps[slot] === this.#stamp) {
        if (this.#keys[slot] === x) break;
        slot = (slot + 1) & mask;
      }
      if (this.#stamps[slot] === this.#stamp) continue;
      this.#stamps[slot] = this.#stamp;
      this.#keys[slot] = x;
      if (this.#n === this.#list.length) {
        const bigger = new Uint32Array(this.#list.length * 2);
        bigger.set(this.#list);
        this.#list = bigger;
      }
      this.#list[this.#n++] = x;
      if (this.#n * 2 > this.#keys.length) this.#grow();
    }
  }

  #grow(): void {
    const size = this.#keys.length * 2;
    const keys = new Uint32Array(size);
    const stamps = new Uint32Array(size);
    const shift = 32 - Math.log2(size);
    for (let i = 0; i < this.#n; i++) {
      const x = this.#list[i]!;
      let slot = Math.imul(x, 0x9e3779b1) >>> shift;
      while (stamps[slot] === this.#stamp) slot = (slot + 1) & (size - 1);
      stamps[slot] = this.#stamp;
      keys[slot] = x;
    }
    this.#keys = keys;
    this.#stamps = stamps;
  }

  /** The distinct grams added since the last clear (a copy). */
  take(): Uint32Array {
    return this.#list.slice(0, this.#n);
  }
}

/** Segments per block for a file whose largest block has `maxGrams` distinct grams: each at least {@link MIN_SEGMENT_BITS}. */
export function chooseSegments(maxGrams: number): number {
  const totalBits = Math.max(1, maxGrams) * BLOOM_BITS_PER_GRAM;
  let segments = 1;
  while (segments < MAX_BLOOM_SEGMENTS && totalBits / (segments * 2) >= MIN_SEGMENT_BITS) segments *= 2;
  return segments;
}

/** A file's blooms laid out for {@link encodeSidecar}: words per segment per block, which blocks keep a hex map, the segment-major bloom area and checksums. */
export interface LaidBlooms {
  segments: number;
  words: number[];
  hexMaps: boolean[];
  area: Uint8Array;
  checks: Uint32Array;
}

/**
 * Lays out the blooms of a file's blocks from their distinct grams: {@link BLOOM_BITS_PER_GRAM}
 * bits per gram, split in `segments` segments (a gram's probes all fall in the segment its
 * hash picks), stored segment-major so that one segment of every block is one contiguous run.
 * A block with at least `hexMapMinGrams` hex grams (default {@link HEX_MAP_MIN_GRAMS}) keeps them in a hex map instead,
 * sliced over the same segments (a hex gram's slice is picked by its index's top bits), each
 * slice after the block's bloom words in that segment.
 */
export function layBlooms(grams: Uint32Array[], segments?: number, hexMapMinGrams = HEX_MAP_MIN_GRAMS): LaidBlooms {
  const split = grams.map((list) => {
    const hexCount = countHex(list);
    if (hexCount < hexMapMinGrams) return { bloom: list, hex: null };
    const bloom = new Uint32Array(list.length - hexCount);
    const hex = new Uint32Array(hexCount);
    let nb = 0;
    let nh = 0;
    for (let i = 0; i < list.length; i++) {
      const x = hexGramIndex(list[i]!);
      if (x >= 0) hex[nh++] = x;
      else bloom[nb++] = list[i]!;
    }
    return { bloom, hex };
  });
  const segs = segments ?? chooseSegments(Math.max(0, ...split.map((s) => s.bloom.length)));
  const hexBytes = hexPartBytes(segs);
  const words = split.map((s) => Math.max(1, Math.ceil((Math.max(1, s.bloom.length) * BLOOM_BITS_PER_GRAM) / segs / 32)));
  const blockAt = [0];
  split.forEach((s, b) => blockAt.push(blockAt[b]! + 4 * words[b]! + (s.hex ? hexBytes : 0)));
  const run = blockAt[blockAt.length - 1]!;
  const area = new Uint8Array(segs * run);
  const h = new Uint32Array(2);
  split.forEach(({ bloom, hex }, b) => {
    const bits = words[b]! * 32;
    for (let i = 0; i < bloom.length; i++) {
      gramProbeHashes(bloom[i]!, h, 0);
      setGram(area, segmentOf(h[0]!, segs) * run + blockAt[b]!, bits, h[0]!, h[1]!, BLOOM_PROBES);
    }
    if (hex) {
      for (let i = 0; i < hex.length; i++) setHexBit(area, hexSegmentOf(hex[i]!, segs) * run + blockAt[b]! + 4 * words[b]!, hex[i]!, segs);
    }
  });
  const checks = new Uint32Array(segs * grams.length);
  for (let sg = 0; sg < segs; sg++) for (let b = 0; b < grams.length; b++) checks[sg * grams.length + b] = segmentChecksum(area, sg * run + blockAt[b]!, blockAt[b + 1]! - blockAt[b]!);
  return { segments: segs, words, hexMaps: split.map((s) => s.hex !== null), area, checks };
}

/** The segments (indexes) whose runs a test of these literals reads; none when there is no literal. */
export function neededSegments(sc: Sidecar, literals: readonly NeedleProbes[]): number[] {
  const segments = sc.header.build.segments;
  const hexMaps = sc.header.blocks.some((b) => b.hexMap === true);
  const want = new Set<number>();
  for (const probes of literals) {
    for (let g = 0; g < probes.length; g += PROBE_STRIDE) {
      want.add(segmentOf(probes[g]!, segments));
      if (hexMaps && probes[g + 2] !== NOT_HEX) want.add(hexSegmentOf(probes[g + 2]!, segments));
    }
  }
  return [...want].sort((a, b) => a - b).filter((sg) => sc.runs[sg] === undefined);
}

/** Attaches segment `s`'s run (the bytes at `[segmentAt[s], segmentAt[s + 1])` of the sidecar). */
export function attachSegment(sc: Sidecar, s: number, run: Uint8Array): void {
  if (run.length !== sc.segmentAt[s + 1]! - sc.segmentAt[s]!) throw new InternalError(`sidecar segment ${s}: ${run.length} bytes, expected ${sc.segmentAt[s + 1]! - sc.segmentAt[s]!}`);
  sc.runs[s] = run;
}

/**
 * Whether block `i`'s bloom (and hex map, if it has one) has every gram of `probes` (the
 * block may hold the needle); null when a segment it had to read fails its checksum (the
 * sidecar is corrupt and must not be used). Each block's part of a segment is checked once,
 * when first read. The segments the probes pick must be attached ({@link neededSegments}).
 */
export function blockMayHold(sc: Sidecar, i: number, probes: NeedleProbes): boolean | null {
  const k = sc.header.build.probes;
  const segments = sc.header.build.segments;
  const nBlocks = sc.header.blocks.length;
  const block = sc.header.blocks[i]!;
  const at = sc.blockAt[i]!;
  const len = sc.blockAt[i + 1]! - at;
  const bits = block.bloomWords * 32;
  const hexMap = block.hexMap === true;
  for (let g = 0; g < probes.length; g += PROBE_STRIDE) {
    const hex = probes[g + 2]!;
    const inMap = hexMap && hex !== NOT_HEX;
    const sg = inMap ? hexSegmentOf(hex, segments) : segmentOf(probes[g]!, segments);
    const run = sc.runs[sg];
    if (run === undefined) throw new InternalError(`sidecar segment ${sg} not loaded`);
    const st = sg * nBlocks + i;
    if (sc.state[st] === 0) sc.state[st] = segmentChecksum(run, at, len) === sc.checks[st] ? 1 : 2;
    if (sc.state[st] === 2) return null;
    if (inMap) {
      if (!hasHexBit(run, at + bits / 8, hex, segments)) return false;
    } else if (!hasGram(run, at, bits, probes[g]!, probes[g + 1]!, k)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Checksums

/** CRC-32 tables for slicing-by-8: table k at `[256k, 256k + 256)`. */
const CRC = new Uint32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC[n] = c >>> 0;
}
for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) CRC[256 * k + n] = (CRC[256 * (k - 1) + n]! >>> 8) ^ CRC[CRC[256 * (k - 1) + n]! & 0xff]!;

/** A native CRC-32 the platform handed in ({@link useNativeCrc32}), or null. */
let nativeCrc32: ((data: Uint8Array, value: number) => number) | null = null;

/**
 * Hands in a native CRC-32 with {@link crc32}'s contract (`(data, previous) => crc`), e.g.
 * Node's `zlib.crc32`: the Node platform does (`platform/node/crc.ts`). A query checks every
 * summary and sidecar head it reads (~400 KB for a rare literal on the 4 GiB bench store), and
 * in a fresh process the JavaScript loop runs cold: 600 KB took 9.8 ms cold (0.6 ms warm)
 * against 0.3 ms (0.17 ms) for zlib's.
 */
export function useNativeCrc32(fn: (data: Uint8Array, value: number) => number): void {
  nativeCrc32 = fn;
}

/** CRC-32 (IEEE 802.3) of `bytes`, continuing from `crc` (the CRC of what came before, as zlib's `crc32(data, value)`). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  return nativeCrc32 !== null ? nativeCrc32(bytes, crc) : crc32Portable(bytes, crc);
}

/** {@link crc32} in JavaScript (slicing-by-8): what runs where the platform gave no native one. */
export function crc32Portable(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
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

/**
 * The checksum of one bloom segment (`len` bytes at `at`, a multiple of 4): its
 * little-endian words folded by `h = rotl(imul(h ^ w, odd), 13)`. For a fixed state each
 * step is a bijection of the word, and for a fixed word a bijection of the state, so two
 * segments that differ in one word (any bit flips within it) always differ in checksum;
 * other damage escapes at odds 2^-32. About 4× faster than CRC-32 here: it is the cost a
 * query pays per bloom segment it reads.
 */
export function segmentChecksum(bytes: Uint8Array, at: number, len: number): number {
  let h = (0x5bd1e995 ^ len) >>> 0;
  const end = at + len;
  for (let i = at; i < end; i += 4) {
    const w = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = Math.imul(h ^ w, 0x9e3779b1);
    h = (h << 13) | (h >>> 19);
  }
  return gramHash(h);
}

// ---------------------------------------------------------------------------------------
// Encoding

const pad4 = (n: number): number => (n + 3) & ~3;

/** Serialises a sidecar (see the module note); `laid` as {@link layBlooms} made it for the header's blocks. */
export function encodeSidecar(header: SidecarHeader, laid: LaidBlooms, filter: FileFilter): Uint8Array {
  header.fileFilter = { segments: FILE_FILTER_SEGMENTS, words: filter.words, crc: crc32(filter.bytes), ...(filter.hexMap ? { hexMap: true as const } : {}) };
  const json = utf8.encode(JSON.stringify(header));
  const tableAt = 16 + pad4(json.length);
  const areaAt = tableAt + 4 * laid.checks.length;
  const out = new Uint8Array(areaAt + laid.area.length + filter.bytes.length);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, SIDECAR_VERSION, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 16);
  out.fill(0x20, 16 + json.length, tableAt);
  laid.checks.forEach((c, i) => dv.setUint32(tableAt + 4 * i, c, true));
  dv.setUint32(12, headCrc(out, areaAt), true);
  out.set(laid.area, areaAt);
  out.set(filter.bytes, areaAt + laid.area.length);
  return out;
}

/** The CRC-32 of a sidecar's head: bytes `[0, 12)` and `[16, tableEnd)` (its own field skipped). */
function headCrc(bytes: Uint8Array, tableEnd: number): number {
  return crc32(bytes.subarray(16, tableEnd), crc32(bytes.subarray(0, 12)));
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
  const bd = h.build;
  if (!bd || !isCount(bd.maxLineBytes) || bd.gram !== GRAM || bd.fold !== 'ascii-lower' || !Number.isInteger(bd.probes) || bd.probes < 1 || bd.probes > 8) return 'unknown build parameters';
  if (!Number.isInteger(bd.segments) || bd.segments < 1 || bd.segments > MAX_BLOOM_SEGMENTS || (bd.segments & (bd.segments - 1)) !== 0) return 'bad segment count';
  const ff = h.fileFilter;
  if (!ff || ff.segments !== FILE_FILTER_SEGMENTS || !Number.isInteger(ff.words) || ff.words < 1 || ff.words > 1 << 20 || !isCount(ff.crc) || (ff.hexMap !== undefined && ff.hexMap !== true)) return 'bad file filter';
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
    if (!Number.isInteger(b.bloomWords) || b.bloomWords < 1 || b.bloomWords > 1 << 24) return 'bad bloom size';
    if (b.hexMap !== undefined && b.hexMap !== true) return 'bad hex map flag';
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

/** Bytes a first read of a sidecar takes: the head (header and checksums) of an hour file's sidecar fits. */
export const SIDECAR_HEAD_READ = 4 * 1024;

/** Reading a sidecar's head: the sidecar (no segment attached yet), a problem, or how many bytes the head needs. */
export type SidecarHeadRead = SidecarRead | { ok: false; problem: 'truncated'; detail: string; need: number };

/**
 * Decodes and checks a sidecar's head — its first bytes `head` of a sidecar of `size` bytes
 * (format, the head's checksum, header consistency, lengths) — and, with `expect`, its
 * identity against the listed file. When `head` is too short for the head but `size` is
 * not, the result says how many bytes it `need`s. Never throws: a problem is returned.
 */
export function decodeSidecarHead(head: Uint8Array, size: number, expect?: SidecarIdentity): SidecarHeadRead {
  const bad = (problem: SidecarProblem, detail: string): SidecarRead => ({ ok: false, problem, detail });
  const more = (need: number, detail: string): SidecarHeadRead => (need <= size && need > head.length ? { ok: false, problem: 'truncated', detail, need } : bad('truncated', detail));
  if (head.length < 16) return more(16, `${size} bytes`);
  for (let i = 0; i < 4; i++) if (head[i] !== MAGIC[i]) return bad('corrupt', 'not a letheql sidecar');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== SIDECAR_VERSION) return bad('unsupported', `format version ${version}`);
  const headerLength = dv.getUint32(8, true);
  const tableAt = 16 + pad4(headerLength);
  if (tableAt > head.length) return more(tableAt, 'header cut short');
  // The header is parsed before its checksum is known to hold (the checksum's extent
  // depends on its block count), and trusted only after.
  let header: SidecarHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(16, 16 + headerLength))) as SidecarHeader;
  } catch {
    return bad('corrupt', 'header is not JSON (or checksum mismatch)');
  }
  const nBlocks = Array.isArray(header?.blocks) ? header.blocks.length : 0;
  const segments = header?.build?.segments;
  if (!Number.isInteger(segments) || segments < 1 || segments > MAX_BLOOM_SEGMENTS) return bad('corrupt', 'bad segment count');
  const areaAt = tableAt + 4 * segments * nBlocks;
  if (areaAt > head.length) return more(areaAt, 'checksums cut short');
  if (headCrc(head, areaAt) !== dv.getUint32(12, true)) return bad('corrupt', 'checksum mismatch');
  for (let i = 16 + headerLength; i < tableAt; i++) if (head[i] !== 0x20) return bad('corrupt', 'bad padding');
  const problem = checkHeader(header);
  if (problem !== null) return bad('corrupt', problem);
  const blockAt = [0];
  for (const b of header.blocks) blockAt.push(blockAt[blockAt.length - 1]! + 4 * b.bloomWords + (b.hexMap === true ? hexPartBytes(segments) : 0));
  const run = blockAt[nBlocks]!;
  const segmentAt: number[] = [];
  for (let sg = 0; sg <= segments; sg++) segmentAt.push(areaAt + sg * run);
  const end = segmentAt[segments]! + FILE_FILTER_SEGMENTS * filterPartBytes(header.fileFilter.words, header.fileFilter.hexMap === true);
  if (end > size) return bad('truncated', segmentAt[segments]! > size ? 'blooms cut short' : 'file filter cut short');
  if (end !== size) return bad('corrupt', 'trailing bytes');
  if (expect) {
    const f = header.file;
    if (f.path !== expect.path) return bad('stale', `built for ${f.path}`);
    if (f.size !== expect.size) return bad('stale', `built for ${f.size} bytes, the file has ${expect.size}`);
    if (f.mtimeMs !== expect.mtimeMs) return bad('stale', 'the file was modified after the sidecar was built');
  }
  const checks = new Uint32Array(segments * nBlocks);
  for (let i = 0; i < checks.length; i++) checks[i] = dv.getUint32(tableAt + 4 * i, true);
  return { ok: true, sidecar: { header, size, segmentAt, blockAt, checks, runs: new Array(segments).fill(undefined), state: new Uint8Array(segments * nBlocks) } };
}

/**
 * Decodes and checks a whole sidecar's bytes ({@link decodeSidecarHead}) and attaches all its
 * segments (their checksums are checked when read). Never throws: a problem is returned.
 */
export function decodeSidecar(bytes: Uint8Array, expect?: SidecarIdentity): SidecarRead {
  const r = decodeSidecarHead(bytes, bytes.length, expect);
  if (!r.ok) return { ok: false, problem: r.problem, detail: r.detail };
  const sc = r.sidecar;
  for (let sg = 0; sg < sc.runs.length; sg++) sc.runs[sg] = bytes.subarray(sc.segmentAt[sg]!, sc.segmentAt[sg + 1]!);
  return r;
}

/** The file filter of a sidecar read whole (its bytes after the blooms), or null when it fails its CRC. */
export function fileFilterOf(sc: Sidecar, bytes: Uint8Array): FileFilter | null {
  const at = sc.segmentAt[sc.segmentAt.length - 1]!;
  const filter = bytes.subarray(at, sc.size);
  return crc32(filter) === sc.header.fileFilter.crc ? { words: sc.header.fileFilter.words, hexMap: sc.header.fileFilter.hexMap === true, bytes: filter } : null;
}

/** Checks every attached bloom segment of a sidecar (what a query does lazily); a problem when one fails. */
export function checkAllBlooms(sc: Sidecar): string | null {
  const nBlocks = sc.header.blocks.length;
  for (let sg = 0; sg < sc.runs.length; sg++) {
    const run = sc.runs[sg];
    if (!run) continue;
    for (let b = 0; b < nBlocks; b++) {
      if (segmentChecksum(run, sc.blockAt[b]!, sc.blockAt[b + 1]! - sc.blockAt[b]!) !== sc.checks[sg * nBlocks + b]) return `bloom segment ${sg} of block ${b}: checksum mismatch`;
    }
  }
  return null;
}
