/**
 * Test helpers for the scan kernel: an in-memory ChunkReader, a runner that collects
 * matches as plain objects, and a straightforward JS reference of the kernel's semantics.
 */
import type { KernelProgram } from '../../src/plan/program.js';
import type { ChunkReader } from '../../src/store/types.js';
import { expect } from 'vitest';
import type { KernelAutomaton } from '../../src/regex/automaton.js';
import { Kernel, SEARCH_MIN_MAX_LINE } from '../../src/scan/kernel.js';
import { OFF_FIELD0_START, OFF_LINE_START, OFF_MSG_END, OFF_MSG_START, OFF_TIME_END, OFFSET_STRIDE, type BadLine, type ScanOptions } from '../../src/scan/types.js';

/** A ChunkReader over bytes in memory; `maxRead` caps each read (short reads) when set. */
export class MemReader implements ChunkReader {
  reads = 0;
  maxRequested = 0;
  constructor(
    readonly data: Uint8Array,
    readonly maxRead = Infinity,
  ) {}
  get size(): number {
    return this.data.length;
  }
  async read(dest: Uint8Array, position: number): Promise<number> {
    this.reads++;
    this.maxRequested = Math.max(this.maxRequested, dest.length);
    const n = Math.max(0, Math.min(dest.length, this.data.length - position, this.maxRead));
    dest.set(this.data.subarray(position, position + n));
    return n;
  }
  async close(): Promise<void> {}
}

export interface Match {
  lineNo: number;
  timeNs: bigint;
  raw: string; // timestamp text
  fields: string[];
  msg: string;
}

export interface ScanResult {
  matches: Match[];
  lines: number;
  validated: number;
  badLines: number;
  samples: BadLine[];
  bytes: number;
  stopped: boolean;
  batches: number;
}

const td = new TextDecoder('utf-8', { fatal: false });
const enc = new TextEncoder();

export const bytesOf = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? enc.encode(s) : s);

/** Runs one file through `kernel` and decodes every match (checking each batch's offsets). */
export async function runScan(kernel: Kernel, data: string | Uint8Array, opts: ScanOptions = {}, stopAfter = Infinity): Promise<ScanResult> {
  const matches: Match[] = [];
  let batches = 0;
  const st = await kernel.scanFile(new MemReader(bytesOf(data)), opts, (b) => {
    batches++;
    for (let i = 0; i < b.count; i++) {
      const o = i * OFFSET_STRIDE;
      const off = b.offsets;
      const fields: string[] = [];
      for (let k = 0; k < 3; k++) {
        const s = off[o + OFF_FIELD0_START + 2 * k]!;
        const e = off[o + OFF_FIELD0_START + 2 * k + 1]!;
        if (s === -1) {
          if (e !== -1) throw new Error('field start -1 but end not');
          continue;
        }
        fields.push(td.decode(b.bytes.subarray(s, e)));
      }
      matches.push({
        lineNo: b.lineNos[i]!,
        timeNs: b.timesNs[i]!,
        raw: td.decode(b.bytes.subarray(off[o + OFF_LINE_START]!, off[o + OFF_TIME_END]!)),
        fields,
        msg: td.decode(b.bytes.subarray(off[o + OFF_MSG_START]!, off[o + OFF_MSG_END]!)),
      });
      if (matches.length >= stopAfter) return false;
    }
    return true;
  });
  return { matches, lines: st.lines, validated: st.validated, badLines: st.badLines, samples: st.badLineSamples, bytes: st.bytes, stopped: st.stopped, batches };
}

/** A program with defaults: the widest window, no matchers, no filters. */
export function program(p: Partial<KernelProgram> = {}): KernelProgram {
  return {
    version: 2,
    fieldCount: 3,
    startNs: (-(1n << 63n)).toString(),
    endNs: ((1n << 63n) - 1n).toString(),
    labelMatchers: [],
    lineFilters: [],
    ...p,
  };
}

// ---------------------------------------------------------------------------------------
// Reference implementation: obvious code over strings of bytes (latin1, one char per byte).

const TS = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\[/;

/** Days since the epoch by counting (an independent oracle for the kernel's civil-date arithmetic). */
function daysFromEpoch(y: number, m: number, d: number): bigint {
  const leap = (yy: number) => (yy % 4 === 0 && yy % 100 !== 0) || yy % 400 === 0;
  // Whole 400-year cycles have 146097 days; reduce to [1970, 2370) then count.
  let days = 0n;
  let yy = y;
  while (yy < 1970) {
    yy += 400;
    days -= 146097n;
  }
  while (yy >= 2370) {
    yy -= 400;
    days += 146097n;
  }
  for (let k = 1970; k < yy; k++) days += leap(k) ? 366n : 365n;
  const mdays = [31, leap(yy) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  for (let k = 0; k < m - 1; k++) days += BigInt(mdays[k]!);
  return days + BigInt(d - 1);
}

export type RefTs = { ok: true; ns: bigint; len: number } | { ok: false; reason: 'bad-timestamp' | 'timestamp-out-of-range' };

/** Parses the timestamp at the start of `line` (which must be followed by '['). */
export function refTimestamp(line: string): RefTs {
  const m = TS.exec(line);
  if (!m) return { ok: false, reason: 'bad-timestamp' };
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const leap = (y! % 4 === 0 && y! % 100 !== 0) || y! % 400 === 0;
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > dim[mo! - 1]! || h! > 23 || mi! > 59 || s! > 59) return { ok: false, reason: 'bad-timestamp' };
  let off = 0n;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return { ok: false, reason: 'bad-timestamp' };
    off = BigInt(oh * 3600 + om * 60) * (m[9] === '-' ? -1n : 1n);
  }
  const secs = daysFromEpoch(y!, mo!, d!) * 86400n + BigInt(h! * 3600 + mi! * 60 + s!) - off;
  const ns = secs * 1_000_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
  if (ns < -(1n << 63n) || ns > (1n << 63n) - 1n) return { ok: false, reason: 'timestamp-out-of-range' };
  return { ok: true, ns, len: m[0].length - 1 };
}

export interface RefResult {
  matches: Match[];
  lines: number;
  validated: number;
  badLines: number;
  samples: BadLine[];
}

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};
const utf8FromLatin1 = (s: string): string => td.decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));

/** Decides a regex test in the reference: `fullMatch` for label matchers, a search for line filters. */
export type RefRegexTest = (pattern: string, text: Uint8Array, fullMatch: boolean) => boolean;

export interface RefOptions {
  maxLineBytes?: number;
  maxBadLineSamples?: number;
  /** Needed when the program has regex matchers or filters. */
  regexTest?: RefRegexTest;
  /**
   * The kernel's search anchor for this program (`Kernel.searchAnchor`), so that the
   * reference validates the same lines: with an anchor (and `maxLineBytes` at least
   * `SEARCH_MIN_MAX_LINE`), a line without a candidate of it is counted, never validated
   * (bad lines among such lines are not reported, except over-long ones). `dfa` anchors need
   * `compile` (the compiler the kernel's program was encoded with) to know which bytes
   * leave the start state.
   */
  searchAnchor?: { kind: 'literal' | 'fold' | 'dfa'; filter: number } | null;
  compile?: (pattern: string, opts: { fullMatch: boolean }) => KernelAutomaton;
}

/**
 * Whether the raw line (latin1, `\r` included, `\n` not) holds a candidate of the search
 * anchor: the needle (case-folded for `fold`), or a byte that leaves the DFA's start state.
 */
function anchorTest(p: KernelProgram, opts: RefOptions): ((raw: string) => boolean) | null {
  const a = opts.searchAnchor;
  if (!a || (opts.maxLineBytes ?? 64 << 20) < SEARCH_MIN_MAX_LINE) return null;
  const f = p.lineFilters[a.filter]!;
  if (a.kind === 'dfa') {
    if (!('pattern' in f) || !opts.compile) throw new Error('referenceScan: a dfa anchor needs a regex filter and RefOptions.compile');
    const auto = opts.compile(f.pattern, { fullMatch: false });
    if (auto.kind !== 'dfa') throw new Error('referenceScan: the anchor filter did not compile to a DFA');
    const d = auto.dfa;
    const leaves = new Set<number>();
    for (let b = 0; b < 256; b++) if (d.table[d.start * (d.classCount + 1) + d.classes[b]!] !== d.start) leaves.add(b);
    return (raw) => {
      for (let i = 0; i < raw.length; i++) if (leaves.has(raw.charCodeAt(i))) return true;
      return false;
    };
  }
  if ('pattern' in f) throw new Error('referenceScan: a literal anchor on a regex filter');
  const needle = latin1(enc.encode(f.needle));
  return a.kind === 'fold' ? (raw) => foldAscii(raw).includes(foldAscii(needle)) : (raw) => raw.includes(needle);
}

const noRegex: RefRegexTest = (pattern) => {
  throw new Error(`referenceScan: regex ${pattern} needs RefOptions.regexTest`);
};
/** ASCII letters to lower case, every other byte (char of a latin1 string) unchanged. */
const foldAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
const bytesOfLatin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The reference scan: split lines, parse with regexps, filter with `includes` — no blocks. */
export function referenceScan(data: string | Uint8Array, p: KernelProgram, opts: RefOptions = {}): RefResult {
  const text = latin1(bytesOf(data));
  const maxLine = opts.maxLineBytes ?? 64 << 20;
  const maxSamples = opts.maxBadLineSamples ?? 100;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const start = BigInt(p.startNs);
  const end = BigInt(p.endNs);
  const asBytes = (s: string) => latin1(enc.encode(s));
  const regexTest = opts.regexTest ?? noRegex;
  // Each matcher and filter as a predicate on latin1 strings (one char per byte), in program order.
  const matchers = p.labelMatchers.map((m): ((field: string) => boolean) => {
    if ('pattern' in m) {
      const { pattern, op } = m;
      return (f) => regexTest(pattern, bytesOfLatin1(f), true) === (op === 'regex');
    }
    const value = asBytes(m.value);
    const eq = m.op === 'eq';
    return (f) => (f === value) === eq;
  });
  const filters = p.lineFilters.map((f): ((msg: string) => boolean) => {
    if ('pattern' in f) {
      const { pattern, op } = f;
      return (msg) => regexTest(pattern, bytesOfLatin1(msg), false) === (op === 'regex');
    }
    const fold = f.caseInsensitive === true;
    const needle = fold ? foldAscii(asBytes(f.needle)) : asBytes(f.needle);
    const want = f.op === 'contains';
    return (msg) => (fold ? foldAscii(msg) : msg).includes(needle) === want;
  });
  const candidate = anchorTest(p, opts);
  const out: RefResult = { matches: [], lines: lines.length, validated: 0, badLines: 0, samples: [] };
  const bad = (line: number, reason: BadLine['reason']) => {
    out.badLines++;
    if (out.samples.length < maxSamples) out.samples.push({ line, reason });
  };
  lines.forEach((l0, i) => {
    const lineNo = i + 1;
    if (l0.length > maxLine) {
      out.validated++;
      return bad(lineNo, 'line-too-long');
    }
    if (candidate && !candidate(l0)) return; // counted, not validated
    out.validated++;
    const l = l0.endsWith('\r') ? l0.slice(0, -1) : l0;
    const ts = refTimestamp(l);
    if (!ts.ok) return bad(lineNo, ts.reason);
    const close = l.indexOf(']', ts.len + 1);
    if (close < 0) return bad(lineNo, 'missing-bracket');
    const fields = l.slice(ts.len + 1, close).split('|');
    if (fields.length !== p.fieldCount) return bad(lineNo, 'wrong-field-count');
    const msg = l.slice(close + 2);
    if (ts.ns < start || ts.ns > end) return;
    for (let k = 0; k < matchers.length; k++) if (!matchers[k]!(fields[p.labelMatchers[k]!.field]!)) return;
    for (const f of filters) if (!f(msg)) return;
    out.matches.push({ lineNo, timeNs: ts.ns, raw: utf8FromLatin1(l.slice(0, ts.len)), fields: fields.map(utf8FromLatin1), msg: utf8FromLatin1(msg) });
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Block-size sweep

/** Block sizes every framing case runs with (undefined = the default, 1 MiB). */
export const BLOCK_SIZES = [...Array.from({ length: 64 }, (_, i) => i + 1), 100, 1000, 4096, undefined];

/** Runs `data` at every block size; asserts identical results; returns them. */
export async function sweep(k: Kernel, data: string | Uint8Array, opts: { maxLineBytes?: number; maxBadLineSamples?: number } = {}): Promise<ScanResult> {
  let first: ScanResult | null = null;
  for (const blockSize of BLOCK_SIZES) {
    const r = await runScan(k, data, { ...opts, blockSize });
    const { batches: _b, ...rest } = r;
    if (!first) first = r;
    else {
      const { batches: _f, ...firstRest } = first;
      expect(rest, `blockSize ${blockSize}`).toEqual(firstRest);
    }
  }
  return first!;
}

