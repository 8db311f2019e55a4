/**
 * The WASM scan kernel's loader and block feeder.
 *
 * What it owns: compiling the embedded module (once per process: a module-level cache of
 * the `WebAssembly.Module`, the only singleton here), one instance with its own memory per
 * {@link Kernel}, and streaming a file through that instance block by block. The kernel's
 * exports, memory map and program format are documented in `assembly/README.md`.
 *
 * Block feeding, per file:
 * - Each read goes straight into the kernel's input region (`reader.read(view, pos)`), after
 *   the *carry*: the unconsumed tail (a partial line) of the previous block, which is moved
 *   to the region's start within WASM memory. One `scan` call then handles every complete
 *   line of the region (a few calls when the output columns fill up); never one call per line.
 * - A read asks for `min(free, max(blockSize, carry))` bytes, so re-scanning a long carry
 *   costs at most as much as the new bytes: total work stays linear in the file size.
 * - When the region is full and holds no `\n`, it doubles, up to `maxLineBytes + 1`; a line
 *   longer than `maxLineBytes` is then skipped whole without being held in memory, counted
 *   as a `line-too-long` bad line, and scanning resumes after its `\n`.
 * - Memory is bounded by the block size, the longest accepted line, the output columns
 *   (sized from the block size) and the bad-line samples, whatever the file size.
 * - Typed-array views into WASM memory are re-taken after anything that may grow it.
 *
 * Invariants: line numbers are 1-based and continue across blocks; `FileScanStats.lines`
 * counts every line, bad ones included; a file that ends with `\n` has no empty last line.
 * No `node:` imports: this module runs in browsers too.
 */
import type { KernelProgram } from '../plan/program.js';
import type { ChunkReader } from '../store/types.js';
import { InternalError, LetheQLError } from '../errors.js';
import { KERNEL_WASM_BASE64 } from './kernel-wasm.generated.js';
import { encodeProgram, programAreaBytes, type EncodeOptions } from './program-codec.js';
import { DEFAULT_MAX_BAD_LINE_SAMPLES, OFFSET_STRIDE, type BadLine, type BadLineReason, type FileScanStats, type MatchBatch, type ScanOptions } from './types.js';

/** Bad-line reason codes as the kernel reports them (0 is "not bad"). Mirrors `assembly/constants.ts`. */
export const BAD_LINE_REASON_CODES = {
  'bad-timestamp': 1,
  'timestamp-out-of-range': 2,
  'missing-bracket': 3,
  'wrong-field-count': 4,
  'line-too-long': 5,
} as const satisfies Record<BadLineReason, number>;

/** Version of the kernel's exports, memory map and program format this wrapper speaks. */
export const KERNEL_ABI_VERSION = 3;
/** Slack bytes after the input region (SIMD loads may read up to 16 bytes past a line). */
export const KERNEL_INPUT_PAD = 64;

/** Scans with a smaller `maxLineBytes` frame every line even when the program has a search anchor (mirrors `SEARCH_MIN_MAX_LINE` in `assembly/index.ts`). */
export const SEARCH_MIN_MAX_LINE = 64;

export const DEFAULT_BLOCK_SIZE = 1 << 20;
export const DEFAULT_MAX_LINE_BYTES = 64 << 20;

const REASON_BY_CODE: (BadLineReason | undefined)[] = [];
for (const [name, code] of Object.entries(BAD_LINE_REASON_CODES)) REASON_BY_CODE[code] = name as BadLineReason;

/** The kernel's exports (integers only, plus its memory). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  layout(progCap: number, outCap: number, sampleCap: number, inCap: number): number;
  setProgram(len: number): number;
  scan(off: number, len: number, final: number, lineBase: number, maxLine: number, badCap: number): number;
  samplesPtr(): number;
  progPtr(): number;
  timesPtr(): number;
  lineNosPtr(): number;
  offsetsPtr(): number;
  inPtr(): number;
  resMatches(): number;
  resLines(): number;
  resBad(): number;
  resSamples(): number;
  resFull(): number;
  resValidated(): number;
  searchAnchor(): number;
  abiVersion(): number;
  [getter: string]: unknown;
}

let compiled: Promise<WebAssembly.Module> | null = null;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The compiled kernel module (compiled once, then shared by every instance). */
export function kernelModule(): Promise<WebAssembly.Module> {
  if (!compiled) {
    compiled = WebAssembly.compile(decodeBase64(KERNEL_WASM_BASE64));
    compiled.catch(() => {
      compiled = null; // let a later call retry instead of caching the failure
    });
  }
  return compiled;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The scan was aborted', 'AbortError');
}

function positiveInt(name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min) throw new LetheQLError('INVALID_OPTION', `ScanOptions.${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

/** One kernel instance: its own memory, program and arena. Not reentrant: one scan at a time. */
export class Kernel {
  readonly #x: KernelExports;
  #buffer: ArrayBuffer | null = null;
  #u8: Uint8Array = new Uint8Array(0);
  // Current arena capacities (see assembly/README.md).
  #progCap = 0;
  #outCap = 0;
  #sampleCap = 0;
  #inCap = 0;
  #program: Uint8Array | null = null;
  #busy = false;

  private constructor(exports: KernelExports) {
    this.#x = exports;
    if (exports.abiVersion() !== KERNEL_ABI_VERSION) {
      throw new InternalError(`kernel ABI ${exports.abiVersion()} does not match the wrapper's ${KERNEL_ABI_VERSION}; rebuild with npm run build:wasm`);
    }
    this.#layout(256, 64, 16, 1 << 16);
  }

  /**
   * Instantiates a fresh instance with its own memory: of `module` when given (a Node scan
   * worker is handed the compiled module by its pool's thread), else of the embedded module,
   * compiled once (module-level cache of the `WebAssembly.Module`).
   */
  static async load(module?: WebAssembly.Module): Promise<Kernel> {
    const instance = await WebAssembly.instantiate(module ?? (await kernelModule()), {});
    return new Kernel(instance.exports as unknown as KernelExports);
  }

  /**
   * How the loaded program is scanned: `null` when every line is framed and validated;
   * else the line filter (index into the program's `lineFilters`, in the encoded order)
   * whose candidates the kernel searches each block for first, framing only the lines that
   * hold one ("search first, frame later"; see `assembly/README.md`): a `literal` or
   * `fold` (case-folded literal) needle, or the bytes that leave a regex DFA's start state
   * (`dfa`). With an anchor, lines without a candidate are counted but not validated, so
   * `badLines` counts the bad lines among `validated` ones. Scans with `maxLineBytes` below
   * {@link SEARCH_MIN_MAX_LINE} frame every line whatever the anchor.
   */
  get searchAnchor(): { kind: 'literal' | 'fold' | 'dfa'; filter: number } | null {
    const a = this.#x.searchAnchor();
    if (a < 0) return null;
    const kind = a >> 16;
    return { kind: kind === 1 ? 'literal' : kind === 2 ? 'fold' : 'dfa', filter: a & 0xffff };
  }

  /** The raw exports, for tests that check the ABI constants. */
  get exports(): KernelExports {
    return this.#x;
  }

  /**
   * Encodes `p` (compiling its regexes, see {@link EncodeOptions}) and loads it into the
   * kernel; used by every later {@link scanFile}.
   */
  setProgram(p: KernelProgram, opts: EncodeOptions = {}): void {
    if (this.#busy) throw new InternalError('Kernel.setProgram: a scan is in progress on this kernel');
    this.#program = encodeProgram(p, opts);
    this.#loadProgram();
  }

  /**
   * Streams one file through the kernel block by block. Calls `onBatch` once per block that
   * has matches (views valid only during the call; a block whose matches overflow the
   * output columns is delivered in a few batches). Returning `false` from `onBatch` stops
   * the scan early (`stats.stopped = true`). Throws the signal's reason (or an
   * `AbortError`) when `opts.signal` is aborted between blocks.
   */
  async scanFile(reader: ChunkReader, opts: ScanOptions, onBatch: (b: MatchBatch) => boolean | void): Promise<FileScanStats> {
    if (!this.#program) throw new InternalError('Kernel.scanFile: call setProgram first');
    if (this.#busy) throw new InternalError('Kernel.scanFile: a scan is already in progress on this kernel (use one Kernel per concurrent scan)');
    this.#busy = true;
    try {
      return await this.#scan(reader, opts, onBatch);
    } finally {
      this.#busy = false;
    }
  }

  async #scan(reader: ChunkReader, opts: ScanOptions, onBatch: (b: MatchBatch) => boolean | void): Promise<FileScanStats> {
    const blockSize = positiveInt('blockSize', opts.blockSize, DEFAULT_BLOCK_SIZE, 1);
    const maxLine = Math.min(positiveInt('maxLineBytes', opts.maxLineBytes, DEFAULT_MAX_LINE_BYTES, 0), 0x7ffffff0 - KERNEL_INPUT_PAD);
    const maxSamples = positiveInt('maxBadLineSamples', opts.maxBadLineSamples, DEFAULT_MAX_BAD_LINE_SAMPLES, 0);
    const signal = opts.signal;
    const x = this.#x;
    const stats: FileScanStats = { bytes: 0, lines: 0, validated: 0, matched: 0, badLines: 0, badLineSamples: [], stopped: false };
    const samples = stats.badLineSamples;
    const addSample = (line: number, reason: BadLineReason): void => {
      if (samples.length < maxSamples) samples.push({ line, reason } satisfies BadLine);
    };

    // Output columns sized so that a block of minimal matching lines (~24 bytes) fits in one batch.
    const outCap = Math.min(Math.max(Math.ceil(blockSize / 24) + 1, 64), 1 << 18);
    let cap = blockSize; // input region capacity; grows (doubling) while a line does not fit
    this.#layout(this.#progCap, outCap, Math.max(this.#sampleCap, maxSamples), cap);

    let pos = 0;
    let carry = 0; // bytes of a partial line at the start of the input region
    let lineBase = 0; // lines before the carry
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (carry === cap) {
        // The region is full and holds no '\n'.
        if (cap >= maxLine + 1) {
          // Fast path out of a pathological line: count it, then drop bytes until its '\n'.
          lineBase++;
          stats.lines++;
          stats.validated++;
          stats.badLines++;
          addSample(lineBase, 'line-too-long');
          const r = await this.#skipRestOfLine(reader, pos, cap, signal);
          pos = r.pos;
          stats.bytes += r.read;
          carry = r.carry;
          if (r.eof) break;
          continue;
        }
        cap = Math.min(cap * 2, maxLine + 1);
        this.#layout(this.#progCap, this.#outCap, this.#sampleCap, cap); // keeps the carry: input is the last region
      }
      const want = Math.min(cap - carry, Math.max(blockSize, carry));
      const inPtr = x.inPtr();
      const n = await reader.read(this.#mem().subarray(inPtr + carry, inPtr + carry + want), pos);
      if (!Number.isInteger(n) || n < 0 || n > want) throw new InternalError(`ChunkReader.read returned ${String(n)} for a ${want}-byte view`);
      pos += n;
      stats.bytes += n;
      if (signal?.aborted) throw abortError(signal);
      const final = n === 0 || pos >= reader.size;
      const filled = carry + n;
      let off = 0;
      while (off < filled) {
        const badCap = Math.min(maxSamples - samples.length, this.#sampleCap);
        const consumed = x.scan(off, filled - off, final ? 1 : 0, lineBase, maxLine, Math.max(badCap, 0));
        if (consumed < 0) throw new InternalError(`kernel scan failed (${consumed})`);
        const lines = x.resLines();
        const matches = x.resMatches();
        lineBase += lines;
        stats.lines += lines;
        stats.validated += x.resValidated();
        stats.badLines += x.resBad();
        const nSamples = x.resSamples();
        if (nSamples > 0) {
          const sv = new Uint32Array(x.memory.buffer, x.samplesPtr(), nSamples * 2);
          for (let i = 0; i < nSamples; i++) addSample(sv[2 * i]!, REASON_BY_CODE[sv[2 * i + 1]!] ?? 'bad-timestamp');
        }
        if (matches > 0) {
          stats.matched += matches;
          const buf = x.memory.buffer;
          const batch: MatchBatch = {
            count: matches,
            bytes: new Uint8Array(buf, x.inPtr(), filled),
            timesNs: new BigInt64Array(buf, x.timesPtr(), matches),
            lineNos: new Uint32Array(buf, x.lineNosPtr(), matches),
            offsets: new Int32Array(buf, x.offsetsPtr(), matches * OFFSET_STRIDE),
          };
          if (onBatch(batch) === false) {
            stats.stopped = true;
            return stats;
          }
        }
        off += consumed;
        if (x.resFull() === 0) break;
        if (consumed === 0) throw new InternalError('kernel scan made no progress with full output columns');
      }
      if (final) break;
      carry = filled - off;
      if (carry > 0 && off > 0) {
        const base = x.inPtr();
        this.#mem().copyWithin(base, base + off, base + filled);
      }
    }
    return stats;
  }

  /** Reads and drops bytes up to and including the next '\n'; what follows it becomes the carry. */
  async #skipRestOfLine(reader: ChunkReader, pos: number, cap: number, signal: AbortSignal | undefined): Promise<{ pos: number; read: number; carry: number; eof: boolean }> {
    let read = 0;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const inPtr = this.#x.inPtr();
      const view = this.#mem().subarray(inPtr, inPtr + cap);
      const n = await reader.read(view, pos);
      pos += n;
      read += n;
      if (n === 0) return { pos, read, carry: 0, eof: true };
      const nl = view.subarray(0, n).indexOf(10);
      if (nl >= 0) {
        view.copyWithin(0, nl + 1, n);
        return { pos, read, carry: n - nl - 1, eof: false };
      }
      if (pos >= reader.size) return { pos, read, carry: 0, eof: true };
    }
  }

  /** A view of all of WASM memory, re-taken when memory has grown. */
  #mem(): Uint8Array {
    const buf = this.#x.memory.buffer;
    if (buf !== this.#buffer) {
      this.#buffer = buf;
      this.#u8 = new Uint8Array(buf);
    }
    return this.#u8;
  }

  #layout(progCap: number, outCap: number, sampleCap: number, inCap: number): void {
    if (progCap === this.#progCap && outCap === this.#outCap && sampleCap === this.#sampleCap && inCap === this.#inCap) return;
    const rc = this.#x.layout(progCap, outCap, sampleCap, inCap);
    if (rc !== 0) throw new LetheQLError('LIMIT_EXCEEDED', `kernel: cannot grow WASM memory to ${progCap + outCap * 52 + sampleCap * 8 + inCap} bytes`);
    const onlyInput = progCap === this.#progCap && outCap === this.#outCap && sampleCap === this.#sampleCap;
    this.#progCap = progCap;
    this.#outCap = outCap;
    this.#sampleCap = sampleCap;
    this.#inCap = inCap;
    // Growing only the input region keeps every base address; anything else may move the program.
    if (!onlyInput && this.#program) this.#loadProgram();
  }

  #loadProgram(): void {
    const bytes = this.#program!;
    const need = programAreaBytes(bytes);
    if (need > this.#progCap) {
      this.#layout(need, this.#outCap, this.#sampleCap, this.#inCap); // reloads the program
      return;
    }
    const at = this.#x.progPtr();
    this.#mem().set(bytes, at);
    const rc = this.#x.setProgram(bytes.length);
    if (rc !== 0) throw new InternalError(`kernel rejected the program (code ${rc})`);
  }
}
