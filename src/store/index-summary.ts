/**
 * Target summaries: one file per target, `<root>/.letheql/index/<logType>/<target>/summary.lqts`,
 * holding what a query needs to skip a whole hour file without opening its sidecar — the
 * file's identity, counts and time range, and its *file filter* (`sidecar.ts`). This module
 * owns the byte format and the test; it reads and writes bytes only (no `node:` imports).
 * Building one is `write/sidecar-files.ts`' job (from the target's sidecars, so a summary is
 * a derived cache: deleting it loses nothing), using one the planner's (`plan/sidecar-plan.ts`).
 *
 * Why: a query's window covers one hour file per target per hour, and a sidecar costs about
 * 0.1 ms to find, open, read and check, so planning the rare-literal count of the 4 GiB
 * bench store (3,360 files) cost a third of a second before a byte of log was read. With a
 * summary it reads one head per target and the few filter parts its grams pick, and opens
 * only the sidecars of files the filter lets through.
 *
 * ## Format (version 2)
 * ```
 * "LQTS" | u32 version | u32 headerLength | u32 headCrc | header (binary records, zero-padded
 * to a multiple of 4) | part checksums | filter parts
 * ```
 * Little-endian. The header is `u32 segments | u32 entries` and one record per entry
 * ({@link SummaryEntry}), one per indexed hour file, in name order: `u8 nameLength | name
 * (ASCII) | f64 size | f64 mtimeMs | f64 lines | f64 badLines | f64 longestLine |
 * f64 maxLineBytes | u32 blocks | u8 hasTimes | i64 minNs | i64 maxNs | u32 words |
 * u8 etagLength | etag (ASCII)`; the top bit of `words` says the filter has a hex map (version
 * 2; each of its parts is then `words` words and the map's slice, `filterPartBytes`). The ETag is empty in a store on disk; in a summary `letheql
 * ship` uploads it is the hour object's, which an object store's listing gives where a
 * disk's gives the mtime. Binary,
 * not JSON: a query decodes every entry of each target it touches (560 per target on the
 * 4 GiB bench store), and parsing them as JSON cost ~20 ms per query. `headCrc` is the CRC-32
 * of the bytes before the checksums but its own four (the checksums need no cover: a damaged
 * one fails its part's check, which makes the summary unused, never trusted wrongly). Each
 * entry's file filter has {@link FILE_FILTER_SEGMENTS} parts of `words` words (and a hex map slice); the parts are
 * stored *part-major* — part 0 of every entry, then part 1 of every entry, … — so that the
 * parts one gram picks in every file of the target are one contiguous read. The checksums
 * likewise (`checks[p × entries + e]`, {@link segmentChecksum}); a part is checked the first
 * time a query reads it, and one that fails makes the summary unusable for that query.
 *
 * ## Trust
 * An entry speaks for a file only when its name, size and mtime are those of the file as
 * listed; everything else about the file is as its sidecar said when the summary was built.
 * The planner uses an entry only to skip the whole file (no good line in the window, or a
 * literal's gram missing from its filter) and only when the file has no bad line; every
 * other file goes through its own sidecar as before. A summary that fails any check is
 * reported and ignored.
 */
import { InternalError } from '../errors.js';
import { crc32, FILE_FILTER_SEGMENTS, filterGramPart, filterPartBytes, filterPartHasGram, filterPartOf, NOT_HEX, segmentChecksum, sidecarDir, PROBE_STRIDE, type FileFilter, type NeedleProbes } from './sidecar.js';

/** Version 1 (no hex maps in file filters) is unsupported: rebuilt by `letheql index`. */
export const SUMMARY_VERSION = 2;
/** The summary's file name in a target's sidecar directory. */
export const SUMMARY_NAME = 'summary.lqts';
/** Bytes a first read of a summary takes. */
export const SUMMARY_HEAD_READ = 512 * 1024;

const MAGIC = [0x4c, 0x51, 0x54, 0x53]; // "LQTS"

/** The store-relative path of a target's summary. */
export function summaryPath(logType: string, target: string): string {
  return `${sidecarDir(logType, target)}/${SUMMARY_NAME}`;
}

/** One hour file, as its sidecar described it when the summary was built. */
export interface SummaryEntry {
  /** The hour file's name, `2024-09-24_13.log`. */
  name: string;
  size: number;
  mtimeMs: number;
  lines: number;
  badLines: number;
  longestLine: number;
  /** The sidecar's build `maxLineBytes`. */
  maxLineBytes: number;
  blocks: number;
  /** Least and greatest time of the file's good lines (ns); null when it has none. */
  minNs: bigint | null;
  maxNs: bigint | null;
  /** Words per filter part. */
  words: number;
  /** The file filter keeps its hex grams in a hex map (`sidecar.ts`): each part ends with its slice of it. */
  hexMap: boolean;
  /** The hour object's ETag (a shipped summary, `write/ship.ts`): then the entry is checked against the listed ETag instead of the mtime. */
  etag?: string;
}

/** The top bit of an entry's `words` field: its filter has a hex map (version 2). */
const HEX_MAP_FLAG = 0x80000000;

/** Bytes of an entry's record after its name. */
const RECORD = 6 * 8 + 4 + 1 + 2 * 8 + 4;

/** A summary whose head checked out; parts are attached as read ({@link attachSummaryPart}). */
export interface IndexSummary {
  entries: SummaryEntry[];
  byName: Map<string, number>;
  size: number;
  /** Offset of entry `e`'s part within any part run; entry `entries.length` is the run's length. */
  entryAt: number[];
  /** Byte offset of part `p`'s run. */
  partAt: number[];
  checks: Uint32Array;
  /** The loaded span of each part run (the same for every part): `runs[p]` holds run bytes `[runFrom, runFrom + runs[p].length)`. */
  runs: (Uint8Array | undefined)[];
  runFrom: number;
  /** Per `p × entries + e`: 0 not checked yet, 1 sound, 2 corrupt. */
  state: Uint8Array;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Serialises a summary of `files` (entries in name order, each with its file filter). */
export function encodeIndexSummary(files: { entry: SummaryEntry; filter: FileFilter }[]): Uint8Array {
  for (const f of files) {
    if (f.filter.words !== f.entry.words || f.filter.hexMap !== f.entry.hexMap || f.filter.bytes.length !== FILE_FILTER_SEGMENTS * filterPartBytes(f.entry.words, f.entry.hexMap)) throw new InternalError(`summary entry ${f.entry.name}: filter size mismatch`);
  }
  const n = files.length;
  const ascii = (v: string, what: string, min: number): string => {
    if (!new RegExp(`^[\\x21-\\x7e]{${min},255}$`).test(v)) throw new InternalError(`summary entry ${what} ${JSON.stringify(v)}: not a short ASCII string`);
    return v;
  };
  const names = files.map((f) => ascii(f.entry.name, 'name', 1));
  const etags = files.map((f) => ascii(f.entry.etag ?? '', 'etag', 0));
  const headerLength = 8 + names.reduce((a, nm, i) => a + 1 + nm.length + RECORD + 1 + etags[i]!.length, 0);
  const tableAt = 16 + pad4(headerLength);
  const areaAt = tableAt + 4 * FILE_FILTER_SEGMENTS * n;
  const entryAt = [0];
  for (const f of files) entryAt.push(entryAt[entryAt.length - 1]! + filterPartBytes(f.entry.words, f.entry.hexMap));
  const run = entryAt[n]!;
  const out = new Uint8Array(areaAt + FILE_FILTER_SEGMENTS * run);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, SUMMARY_VERSION, true);
  dv.setUint32(8, headerLength, true);
  dv.setUint32(16, FILE_FILTER_SEGMENTS, true);
  dv.setUint32(20, n, true);
  let at = 24;
  files.forEach(({ entry: e }, i) => {
    const nm = names[i]!;
    out[at++] = nm.length;
    for (let k = 0; k < nm.length; k++) out[at++] = nm.charCodeAt(k);
    for (const v of [e.size, e.mtimeMs, e.lines, e.badLines, e.longestLine, e.maxLineBytes]) {
      dv.setFloat64(at, v, true);
      at += 8;
    }
    dv.setUint32(at, e.blocks, true);
    out[at + 4] = e.minNs === null ? 0 : 1;
    dv.setBigInt64(at + 5, e.minNs ?? 0n, true);
    dv.setBigInt64(at + 13, e.maxNs ?? 0n, true);
    dv.setUint32(at + 21, (e.words | (e.hexMap ? HEX_MAP_FLAG : 0)) >>> 0, true);
    at += RECORD - 6 * 8;
    const tag = etags[i]!;
    out[at++] = tag.length;
    for (let k = 0; k < tag.length; k++) out[at++] = tag.charCodeAt(k);
  });
  for (let p = 0; p < FILE_FILTER_SEGMENTS; p++) {
    for (let e = 0; e < n; e++) {
      const len = filterPartBytes(files[e]!.entry.words, files[e]!.entry.hexMap);
      const to = areaAt + p * run + entryAt[e]!;
      out.set(files[e]!.filter.bytes.subarray(p * len, (p + 1) * len), to);
      dv.setUint32(tableAt + 4 * (p * n + e), segmentChecksum(out, to, len), true);
    }
  }
  dv.setUint32(12, crc32(out.subarray(16, tableAt), crc32(out.subarray(0, 12))), true);
  return out;
}

/** Reading a summary's head: the summary, why it is not used, or how many bytes the head needs. */
export type SummaryRead = { ok: true; summary: IndexSummary } | { ok: false; problem: 'truncated' | 'corrupt' | 'unsupported'; detail: string; need?: number };

const isCount = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/** Reads the entry records of a header whose checksum held; a problem when they are not well formed. */
function readEntries(dv: DataView, headerLength: number): SummaryEntry[] | string {
  if (headerLength < 8) return 'header cut short';
  const end = 16 + headerLength;
  if (dv.getUint32(16, true) !== FILE_FILTER_SEGMENTS) return 'bad parameters';
  const n = dv.getUint32(20, true);
  const entries: SummaryEntry[] = [];
  let at = 24;
  let prev = '';
  for (let i = 0; i < n; i++) {
    if (at + 1 > end) return 'header cut short';
    const len = dv.getUint8(at++);
    if (len === 0 || at + len + RECORD > end) return 'header cut short';
    let name = '';
    for (let k = 0; k < len; k++) {
      const c = dv.getUint8(at + k);
      if (c < 0x21 || c > 0x7e) return 'bad entry name';
      name += String.fromCharCode(c);
    }
    at += len;
    if (name <= prev) return 'entries not in name order';
    prev = name;
    const f = (k: number): number => dv.getFloat64(at + 8 * k, true);
    const words = dv.getUint32(at + 69, true);
    const e: SummaryEntry = { name, size: f(0), mtimeMs: f(1), lines: f(2), badLines: f(3), longestLine: f(4), maxLineBytes: f(5), blocks: dv.getUint32(at + 48, true), minNs: null, maxNs: null, words: words & ~HEX_MAP_FLAG, hexMap: (words & HEX_MAP_FLAG) !== 0 };
    const hasTimes = dv.getUint8(at + 52);
    if (hasTimes > 1) return `bad times for ${name}`;
    if (hasTimes === 1) {
      e.minNs = dv.getBigInt64(at + 53, true);
      e.maxNs = dv.getBigInt64(at + 61, true);
      if (e.minNs > e.maxNs) return `bad times for ${name}`;
    }
    at += RECORD;
    if (at + 1 > end) return 'header cut short';
    const tagLength = dv.getUint8(at++);
    if (at + tagLength > end) return 'header cut short';
    if (tagLength > 0) {
      let tag = '';
      for (let k = 0; k < tagLength; k++) {
        const c = dv.getUint8(at + k);
        if (c < 0x21 || c > 0x7e) return `bad ETag for ${name}`;
        tag += String.fromCharCode(c);
      }
      e.etag = tag;
      at += tagLength;
    }
    if (!isCount(e.size) || !Number.isFinite(e.mtimeMs) || !isCount(e.lines) || !isCount(e.badLines) || e.badLines > e.lines) return `bad counts for ${name}`;
    if (!isCount(e.longestLine) || !isCount(e.maxLineBytes)) return `bad counts for ${name}`;
    if (e.words < 1 || e.words > 1 << 20) return `bad filter size for ${name}`;
    entries.push(e);
  }
  if (at !== end) return 'header length mismatch';
  return entries;
}

/**
 * Decodes and checks a summary's head — its first bytes `head` of a summary of `size`
 * bytes. When `head` is too short for the head, the result says how many bytes it `need`s.
 * Never throws.
 */
export function decodeSummaryHead(head: Uint8Array, size: number): SummaryRead {
  const bad = (problem: 'truncated' | 'corrupt' | 'unsupported', detail: string): SummaryRead => ({ ok: false, problem, detail });
  const more = (need: number, detail: string): SummaryRead => (need <= size && need > head.length ? { ok: false, problem: 'truncated', detail, need } : bad('truncated', detail));
  if (head.length < 16) return more(16, `${size} bytes`);
  for (let i = 0; i < 4; i++) if (head[i] !== MAGIC[i]) return bad('corrupt', 'not a letheql target summary');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== SUMMARY_VERSION) return bad('unsupported', `format version ${version}`);
  const headerLength = dv.getUint32(8, true);
  const tableAt = 16 + pad4(headerLength);
  if (tableAt > head.length) return more(tableAt, 'header cut short');
  if (crc32(head.subarray(16, tableAt), crc32(head.subarray(0, 12))) !== dv.getUint32(12, true)) return bad('corrupt', 'checksum mismatch');
  for (let i = 16 + headerLength; i < tableAt; i++) if (head[i] !== 0) return bad('corrupt', 'bad padding');
  const entries = readEntries(dv, headerLength);
  if (typeof entries === 'string') return bad('corrupt', entries);
  const n = entries.length;
  const areaAt = tableAt + 4 * FILE_FILTER_SEGMENTS * n;
  if (areaAt > head.length) return more(areaAt, 'checksums cut short');
  const entryAt = [0];
  for (const e of entries) entryAt.push(entryAt[entryAt.length - 1]! + filterPartBytes(e.words, e.hexMap));
  const run = entryAt[n]!;
  const partAt: number[] = [];
  for (let p = 0; p <= FILE_FILTER_SEGMENTS; p++) partAt.push(areaAt + p * run);
  if (partAt[FILE_FILTER_SEGMENTS]! > size) return bad('truncated', 'filters cut short');
  if (partAt[FILE_FILTER_SEGMENTS]! !== size) return bad('corrupt', 'trailing bytes');
  const checks = new Uint32Array(FILE_FILTER_SEGMENTS * n);
  for (let i = 0; i < checks.length; i++) checks[i] = dv.getUint32(tableAt + 4 * i, true);
  const byName = new Map<string, number>();
  entries.forEach((e, i) => byName.set(e.name, i));
  return { ok: true, summary: { entries, byName, size, entryAt, partAt, checks, runs: new Array(FILE_FILTER_SEGMENTS).fill(undefined), runFrom: 0, state: new Uint8Array(FILE_FILTER_SEGMENTS * n) } };
}

/** The parts (indexes) whose runs a test of these literals reads and that are not attached yet. */
export function neededSummaryParts(s: IndexSummary, literals: readonly NeedleProbes[]): number[] {
  const hexMaps = s.entries.some((e) => e.hexMap);
  const want = new Set<number>();
  for (const probes of literals) {
    for (let g = 0; g < probes.length; g += PROBE_STRIDE) {
      want.add(filterPartOf(probes[g]!));
      if (hexMaps && probes[g + 2] !== NOT_HEX) want.add(filterGramPart(true, probes, g));
    }
  }
  return [...want].sort((a, b) => a - b).filter((p) => s.runs[p] === undefined);
}

/**
 * Attaches (a span of) part `p`'s run: the bytes at `partAt[p] + from` onwards, which must
 * cover whole entries. Every part attached to one summary must start at the same `from`.
 */
export function attachSummaryPart(s: IndexSummary, p: number, run: Uint8Array, from = 0): void {
  const runLen = s.partAt[p + 1]! - s.partAt[p]!;
  if (from < 0 || from + run.length > runLen || !s.entryAt.includes(from) || !s.entryAt.includes(from + run.length)) throw new InternalError(`summary part ${p}: ${run.length} bytes at ${from} do not cover whole entries`);
  if (s.runs.some((r) => r !== undefined) && from !== s.runFrom) throw new InternalError(`summary part ${p}: span at ${from}, others at ${s.runFrom}`);
  s.runFrom = from;
  s.runs[p] = run;
}

/**
 * Whether entry `e`'s file filter has every gram of `probes` (the file may hold the needle);
 * null when a part it read fails its checksum. The parts the probes pick must be attached.
 */
export function entryMayHold(s: IndexSummary, e: number, probes: NeedleProbes): boolean | null {
  const n = s.entries.length;
  const at = s.entryAt[e]! - s.runFrom;
  const { words, hexMap } = s.entries[e]!;
  const len = filterPartBytes(words, hexMap);
  for (let g = 0; g < probes.length; g += PROBE_STRIDE) {
    const p = filterGramPart(hexMap, probes, g);
    const run = s.runs[p];
    if (run === undefined || at < 0 || at + len > run.length) throw new InternalError(`summary part ${p} not loaded for entry ${e}`);
    const st = p * n + e;
    if (s.state[st] === 0) s.state[st] = segmentChecksum(run, at, len) === s.checks[st] ? 1 : 2;
    if (s.state[st] === 2) return null;
    if (!filterPartHasGram(run, at, words, hexMap, probes, g)) return false;
  }
  return true;
}

/**
 * Decodes a whole summary (`bytes`, e.g. to re-encode it) into its entries and their file
 * filters, every part checked; entries with a part that fails its checksum are left out.
 * A problem when the head does not check out.
 */
export function decodeSummaryFiles(bytes: Uint8Array): { entry: SummaryEntry; filter: FileFilter }[] | { problem: string; detail: string } {
  const r = decodeSummaryHead(bytes, bytes.length);
  if (!r.ok) return { problem: r.problem, detail: r.detail };
  const s = r.summary;
  const n = s.entries.length;
  const out: { entry: SummaryEntry; filter: FileFilter }[] = [];
  for (let e = 0; e < n; e++) {
    const { words, hexMap } = s.entries[e]!;
    const len = filterPartBytes(words, hexMap);
    const filter = new Uint8Array(FILE_FILTER_SEGMENTS * len);
    let sound = true;
    for (let p = 0; p < FILE_FILTER_SEGMENTS && sound; p++) {
      const at = s.partAt[p]! + s.entryAt[e]!;
      if (segmentChecksum(bytes, at, len) !== s.checks[p * n + e]) sound = false;
      else filter.set(bytes.subarray(at, at + len), p * len);
    }
    if (sound) out.push({ entry: s.entries[e]!, filter: { words, hexMap, bytes: filter } });
  }
  return out;
}
