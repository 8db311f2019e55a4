/**
 * Read-ahead for block feeding.
 *
 * The kernel scans a 1 MiB block in well under a millisecond; a positional read from the
 * page cache through Node's thread pool takes about as long, and the two ran one after the
 * other (a profile showed the main thread idle ~37% of a scan). `ReadAhead` keeps one read
 * of the next chunk in flight, into a staging buffer, while the kernel scans the current
 * block; the next `read()` copies it out (a memcpy, far cheaper than the wait). A read at a
 * position other than the expected one falls back to a direct read, so callers may seek.
 * The kernel reads whatever reader it is given; the executor decides to wrap (it also primes
 * the next file's first block while the current file is scanned).
 */
import type { ChunkReader } from '../store/types.js';

export class ReadAhead implements ChunkReader {
  readonly size: number;
  readonly #inner: ChunkReader;
  readonly #buf: Uint8Array;
  /** Staged bytes `#buf[#start, #end)` are the file's bytes at `#pos …`. */
  #pos = -1;
  #start = 0;
  #end = 0;
  #inflight: Promise<number> | null = null;
  #inflightPos = -1;

  /** `staging` is borrowed: it must not be used elsewhere until {@link settle} resolves. */
  constructor(inner: ChunkReader, staging: Uint8Array) {
    this.#inner = inner;
    this.#buf = staging;
    this.size = inner.size;
  }

  async read(dest: Uint8Array, position: number): Promise<number> {
    if (this.#inflight) {
      const p = this.#inflight;
      this.#inflight = null;
      const got = await p;
      this.#pos = this.#inflightPos;
      this.#start = 0;
      this.#end = got;
    }
    let n: number;
    if (position === this.#pos && this.#end > this.#start) {
      n = Math.min(dest.length, this.#end - this.#start);
      dest.set(this.#buf.subarray(this.#start, this.#start + n));
      this.#start += n;
      this.#pos += n;
      // A caller that asks for more than was staged (the kernel grows its block for a long
      // line) gets the rest read directly, so reads stay few and linear.
      if (n < dest.length && this.#start === this.#end && position + n < this.size) {
        const more = await this.#inner.read(dest.subarray(n), position + n);
        n += more;
        this.#pos += more;
      }
    } else {
      this.#start = this.#end = 0;
      n = await this.#inner.read(dest, position);
      this.#pos = position + n;
    }
    const next = position + n;
    if (this.#start === this.#end && n > 0 && next < this.size && this.#buf.length > 0) {
      this.#inflightPos = next;
      this.#inflight = this.#inner.read(this.#buf, next);
    }
    return n;
  }

  /**
   * Starts reading the file's first chunk now, so that a file opened ahead of its turn
   * has its first block ready when the scan starts. Returns `this`.
   */
  prime(): this {
    if (!this.#inflight && this.#pos < 0 && this.size > 0 && this.#buf.length > 0) {
      this.#inflightPos = 0;
      this.#inflight = this.#inner.read(this.#buf, 0);
    }
    return this;
  }

  /** Waits for a read still in flight (its result, or error, is dropped). Call before closing the inner reader. */
  async settle(): Promise<void> {
    const p = this.#inflight;
    this.#inflight = null;
    if (p) await p.then(
      () => undefined,
      () => undefined,
    );
  }

  async close(): Promise<void> {
    await this.settle();
    await this.#inner.close();
  }
}
