/**
 * A reader over the lines of one byte range of a file, presented as a file of its own: so
 * that workers can scan one big file together ({@link RangeReader.open}, any cuts), and so
 * that a file's sidecar runs are read alone in either path ({@link RangeReader.exact}, both
 * ends known line starts: `index-use.ts` `scanRuns`, and a worker's run jobs through `open`).
 *
 * Ownership rule: a range `[start, end)` owns exactly the lines whose first byte lies in it.
 * Its bytes run from `s(start)` to `s(end)`, where `s(0) = 0` and otherwise `s(x)` is one
 * past the first `\n` at or after `x - 1` (the end of file when there is none). Because
 * every range uses the same `s`, consecutive ranges meet exactly: each line is read by one
 * range, whole, however the cuts fall (inside a line, on a `\n`, inside a line longer than
 * a range). A range that holds no line start is empty.
 *
 * The reader presents the range as a file of its own (positions from 0), so the kernel
 * scans it unchanged; line numbers it reports are counted from the range's first line,
 * and the merge adds the lines of the earlier ranges.
 */
import type { ChunkReader } from '../store/types.js';

const NEWLINE = 10;
const SEARCH_CHUNK = 64 * 1024;

export class RangeReader implements ChunkReader {
  readonly #inner: ChunkReader;
  /** Absolute position of the range's first byte. */
  readonly #begin: number;
  /** The raw range end (`s` not applied yet), or null for "to the end of the file". */
  readonly #end: number | null;
  /** Absolute position one past the range's last byte, once known. */
  #stop: number | null;

  private constructor(inner: ChunkReader, begin: number, end: number | null, stop: number | null) {
    this.#inner = inner;
    this.#begin = begin;
    this.#end = end;
    this.#stop = stop;
  }

  /** Wraps `inner` (which it then owns: `close()` closes it) as the range `[start, end)` of the rule above. */
  static async open(inner: ChunkReader, start: number, end: number | null): Promise<RangeReader> {
    const begin = start === 0 ? 0 : await RangeReader.#afterNewline(inner, start - 1);
    // No line starts in [start, end): the range is empty.
    return new RangeReader(inner, begin, end, end !== null && begin >= end ? begin : null);
  }

  /**
   * The bytes `[start, end)` of `inner` (clipped to it) when both ends are line starts already
   * (a sidecar run), without searching for them. Owns `inner` as {@link open} does; several
   * may share one file's reader, left open, which its opener closes.
   */
  static exact(inner: ChunkReader, start: number, end: number): RangeReader {
    return new RangeReader(inner, start, end, Math.max(start, Math.min(end, inner.size)));
  }

  /** One past the first `\n` at or after `from`, or the file size when there is none. */
  static async #afterNewline(inner: ChunkReader, from: number): Promise<number> {
    const buf = new Uint8Array(SEARCH_CHUNK);
    let pos = from;
    while (pos < inner.size) {
      const n = await inner.read(buf.subarray(0, Math.min(SEARCH_CHUNK, inner.size - pos)), pos);
      if (n === 0) break;
      const k = buf.subarray(0, n).indexOf(NEWLINE);
      if (k >= 0) return pos + k + 1;
      pos += n;
    }
    return inner.size;
  }

  /** The range's size, as far as known: it shrinks to the exact size once its last line has been read. */
  get size(): number {
    return Math.max(0, (this.#stop ?? this.#inner.size) - this.#begin);
  }

  async read(dest: Uint8Array, position: number): Promise<number> {
    const abs = this.#begin + position;
    const limit = this.#stop ?? this.#inner.size;
    if (abs >= limit || dest.length === 0) return 0;
    let n = await this.#inner.read(dest.length <= limit - abs ? dest : dest.subarray(0, limit - abs), abs);
    const end = this.#end;
    if (this.#stop === null && end !== null && abs + n > end - 1) {
      // The range's last line is the one holding byte end - 1: stop after its '\n'.
      const from = Math.max(0, end - 1 - abs);
      const k = dest.subarray(from, n).indexOf(NEWLINE);
      if (k >= 0) {
        n = from + k + 1;
        this.#stop = abs + n;
      }
    }
    return n;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
