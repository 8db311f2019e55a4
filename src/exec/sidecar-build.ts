/**
 * Building a sidecar index (`store/sidecar.ts`) for one hour file.
 *
 * The file is cut into line-aligned blocks: a block starts where the previous one ended and
 * ends after the first `\n` at or after `blockBytes` bytes (or at the end of the file). Each
 * block is scanned on its own by the WASM kernel with a program that keeps every good line
 * (no window, matcher or filter), so what the sidecar says about lines — which are bad and
 * why, their times, bracket fields and message bounds — is exactly what a query's scan
 * sees: one parser, not a second one that could disagree. Per good line the builder
 * updates the block's time range and bloom (every 4-gram of the message) and its stream's
 * counts; per block it keeps line and bad-line counts (bad-line numbers shifted by the
 * lines before the block).
 *
 * The bloom is sized to the block's distinct grams (collected in a `GramSet`, then laid out
 * at `BLOOM_BITS_PER_GRAM` bits per gram), so every block's bloom passes an absent gram at
 * the same low odds, and a block of repetitive lines costs bytes, not kilobytes.
 *
 * No `node:` imports: the reader comes from any chunk source; writing the bytes somewhere
 * is the caller's business (`write/sidecar-files.ts` for a store on disk).
 */
import type { LogType } from '../model.js';
import { fieldCount } from '../model.js';
import type { KernelProgram } from '../plan/program.js';
import type { Kernel } from '../scan/kernel.js';
import { DEFAULT_MAX_LINE_BYTES } from '../scan/kernel.js';
import { OFFSET_STRIDE, OFF_FIELD0_START, OFF_MSG_END, OFF_MSG_START } from '../scan/types.js';
import {
  BLOOM_BITS_PER_GRAM,
  BLOOM_PROBES,
  DEFAULT_INDEX_BLOCK_BYTES,
  encodeSidecar,
  GramSet,
  layBlooms,
  layFileFilter,
  HEX_MAP_MIN_GRAMS,
  GRAM,
  SIDECAR_BAD_SAMPLES,
  SIDECAR_VERSION,
  type SidecarBadReason,
  type SidecarBlock,
  type SidecarHeader,
  type SidecarIdentity,
  type SidecarStream,
} from '../store/sidecar.js';
import type { ChunkReader } from '../store/types.js';

const MIN_NS = '-9223372036854775808';
const MAX_NS = '9223372036854775807';
const NEWLINE = 10;
const READ_CHUNK = 1 << 20;

/** Options of {@link buildSidecar}. */
export interface BuildSidecarOptions {
  /** Target block size in bytes (default 512 KiB). */
  blockBytes?: number;
  /** The scan's longest line (default 64 MiB), as queries use it. */
  maxLineBytes?: number;
  /**
   * A block with at least this many distinct hex grams keeps them in a hex map (default
   * {@link HEX_MAP_MIN_GRAMS}, from where the map is no bigger than their bloom bits). Any
   * value gives a correct sidecar; tests use 0 (a map in every block) to fuzz that path.
   */
  hexMapMinGrams?: number;
  signal?: AbortSignal;
}

/** A chunk reader over bytes in memory: how one block is handed to the kernel. */
class BytesReader implements ChunkReader {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  async read(dest: Uint8Array, position: number): Promise<number> {
    const n = Math.max(0, Math.min(dest.length, this.bytes.length - position));
    dest.set(this.bytes.subarray(position, position + n));
    return n;
  }
  async close(): Promise<void> {}
}

/** Bytes of the file read ahead of the current block. */
class Pending {
  buf = new Uint8Array(READ_CHUNK * 2);
  len = 0;
  pos = 0; // file offset of buf[0]
  eof = false;
  constructor(private readonly reader: ChunkReader) {}

  async more(): Promise<void> {
    if (this.len + READ_CHUNK > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + READ_CHUNK));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    const want = Math.min(READ_CHUNK, this.reader.size - (this.pos + this.len));
    const n = want <= 0 ? 0 : await this.reader.read(this.buf.subarray(this.len, this.len + want), this.pos + this.len);
    if (n === 0) this.eof = true;
    this.len += n;
  }

  /** Drops the first `n` bytes (the block just indexed). */
  consume(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
    this.pos += n;
  }
}

interface StreamCount {
  key: string; // the bracket fields' raw bytes as Latin-1 (one char per byte)
  lines: number;
  bytes: number;
}

const minBig = (a: bigint | null, b: bigint): bigint => (a === null || b < a ? b : a);
const maxBig = (a: bigint | null, b: bigint): bigint => (a === null || b > a ? b : a);

/**
 * Builds the sidecar of one file, read through `reader` (whose `size` is the file's, as in
 * `identity`). `kernel` is borrowed for the duration (its program is replaced). Returns the
 * sidecar's bytes, or null when the file has a line longer than `maxLineBytes` plus a block
 * (such a file is not indexed: queries scan it as always).
 */
export async function buildSidecar(reader: ChunkReader, kernel: Kernel, logType: LogType, identity: SidecarIdentity, opts: BuildSidecarOptions = {}): Promise<Uint8Array | null> {
  const blockBytes = opts.blockBytes ?? DEFAULT_INDEX_BLOCK_BYTES;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const fc = fieldCount(logType);
  // No line filter, so no search anchor: the kernel validates every line, and the sidecar's
  // bad lines are all of the file's (queries count the lines it answers for as validated).
  const program: KernelProgram = { version: 2, fieldCount: fc, startNs: MIN_NS, endNs: MAX_NS, labelMatchers: [], lineFilters: [] };
  kernel.setProgram(program);

  const blocks: SidecarBlock[] = [];
  const blockGrams: Uint32Array[] = [];
  const badSamples: { line: number; reason: SidecarBadReason }[] = [];
  const streams = new Map<string, StreamCount>();
  let lines = 0;
  let badLines = 0;
  let longest = 0;
  let fileMin: bigint | null = null;
  let fileMax: bigint | null = null;
  const grams = new GramSet();
  const fileGrams = new GramSet();
  const pending = new Pending(reader);
  let lastSpan: Uint8Array | null = null;
  let lastStream: StreamCount | null = null;

  while (pending.pos < identity.size) {
    opts.signal?.throwIfAborted();
    while (pending.len < blockBytes && !pending.eof) await pending.more();
    // The block ends after the first '\n' at or after its blockBytes-th byte.
    let from = Math.min(blockBytes, pending.len) - 1;
    let end = -1;
    for (;;) {
      const k = pending.buf.subarray(0, pending.len).indexOf(NEWLINE, Math.max(0, from));
      if (k >= 0) {
        end = k + 1;
        break;
      }
      if (pending.eof) {
        end = pending.len;
        break;
      }
      if (pending.len > maxLineBytes + blockBytes) return null;
      from = pending.len;
      await pending.more();
    }
    if (end === 0) break; // the file shrank under us; the identity check will reject the sidecar
    const block = pending.buf.slice(0, end);
    // Longest line, '\n' included (the last line may lack it).
    for (let s = 0; s < block.length; ) {
      const k = block.indexOf(NEWLINE, s);
      const e = k < 0 ? block.length : k + 1;
      if (e - s > longest) longest = e - s;
      s = e;
    }
    grams.clear();
    let bMin: bigint | null = null;
    let bMax: bigint | null = null;
    const lineBase = lines;
    const fs = await kernel.scanFile(new BytesReader(block), { blockSize: block.length, maxLineBytes, maxBadLineSamples: SIDECAR_BAD_SAMPLES, signal: opts.signal }, (b) => {
      const { offsets, timesNs, bytes } = b;
      for (let i = 0; i < b.count; i++) {
        const o = i * OFFSET_STRIDE;
        const t = timesNs[i]!;
        bMin = minBig(bMin, t);
        bMax = maxBig(bMax, t);
        const ms = offsets[o + OFF_MSG_START]!;
        const me = offsets[o + OFF_MSG_END]!;
        if (me - ms >= GRAM) grams.add(bytes, ms, me);
        const fs0 = offsets[o + OFF_FIELD0_START]!;
        const fe = offsets[o + OFF_FIELD0_START + 2 * (fc - 1) + 1]!;
        const span = bytes.subarray(fs0, fe);
        let st = lastStream;
        if (st === null || lastSpan === null || !sameBytes(lastSpan, span)) {
          const key = latin1(span);
          st = streams.get(key) ?? null;
          if (st === null) streams.set(key, (st = { key, lines: 0, bytes: 0 }));
          lastStream = st;
          lastSpan = span.slice();
        }
        st.lines++;
        st.bytes += me - ms;
      }
    });
    for (const s of fs.badLineSamples) if (badSamples.length < SIDECAR_BAD_SAMPLES) badSamples.push({ line: s.line + lineBase, reason: s.reason });
    lines += fs.lines;
    badLines += fs.badLines;
    if (bMin !== null) fileMin = minBig(fileMin, bMin);
    if (bMax !== null) fileMax = maxBig(fileMax, bMax);
    const taken = grams.take();
    fileGrams.addList(taken);
    blockGrams.push(taken);
    blocks.push({
      offset: pending.pos,
      bytes: end,
      lineBase,
      lines: fs.lines,
      badLines: fs.badLines,
      minNs: bMin === null ? null : (bMin as bigint).toString(),
      maxNs: bMax === null ? null : (bMax as bigint).toString(),
      bloomWords: 0, // laid out below, once the file's segment count is known
    });
    pending.consume(end);
  }

  const laid = layBlooms(blockGrams, undefined, opts.hexMapMinGrams);
  blocks.forEach((b, i) => {
    b.bloomWords = laid.words[i]!;
    if (laid.hexMaps[i]) b.hexMap = true;
  });
  const header: SidecarHeader = {
    version: SIDECAR_VERSION,
    file: identity,
    build: { blockBytes, maxLineBytes, gram: GRAM, fold: 'ascii-lower', bitsPerGram: BLOOM_BITS_PER_GRAM, probes: BLOOM_PROBES, segments: laid.segments },
    fileFilter: { segments: 0, words: 0, crc: 0 }, // set by encodeSidecar
    lines,
    badLines,
    badLineSamples: badSamples,
    longestLine: longest,
    minNs: fileMin === null ? null : (fileMin as bigint).toString(),
    maxNs: fileMax === null ? null : (fileMax as bigint).toString(),
    streams: decodeStreams([...streams.values()]),
    blocks,
  };
  return encodeSidecar(header, laid, layFileFilter(fileGrams.take()));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/** Streams with their fields as strings; null when any field is not valid UTF-8 (label matchers compare bytes). */
function decodeStreams(counts: StreamCount[]): SidecarStream[] | null {
  const dec = new TextDecoder('utf-8', { fatal: true });
  const out: SidecarStream[] = [];
  for (const c of counts) {
    const raw = Uint8Array.from(c.key, (ch) => ch.charCodeAt(0));
    let text: string;
    try {
      text = dec.decode(raw);
    } catch {
      return null;
    }
    out.push({ fields: text.split('|'), lines: c.lines, bytes: c.bytes });
  }
  return out;
}
