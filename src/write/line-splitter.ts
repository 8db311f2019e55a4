/**
 * Bytes → lines with their byte offsets, for reading input files in bounded chunks.
 *
 * Chunks may end anywhere (inside a line, inside a UTF-8 sequence); a line is emitted once
 * its `\n` arrives, with the byte offset just after that `\n`, which is what a follower
 * checkpoints. An unfinished line is held until more bytes come, but never beyond
 * `maxLineBytes`: a longer line is emitted in pieces of that size (so memory stays bounded
 * on input without line breaks). Invalid UTF-8 becomes U+FFFD.
 *
 * Pure: no `node:` imports.
 */

/** Called for each line: its text (without `\n`), the byte offset just after it, and whether it was cut at the size cap. */
export type LineSink = (text: string, endOffset: number, cut: boolean) => void;

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

export class LineSplitter {
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private readonly decoder = new TextDecoder('utf-8');
  /** Offset of the first byte not yet consumed into a line (start of the held tail). */
  private lineStart: number;

  constructor(
    startOffset = 0,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.lineStart = startOffset;
  }

  /** Bytes held for an unfinished line. */
  get pendingBytes(): number {
    return this.tailBytes;
  }

  /** Feeds the next chunk of the file. */
  push(chunk: Uint8Array, sink: LineSink): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      const piece = chunk.subarray(from, nl);
      this.emit(piece, sink, nl - from + 1);
      from = nl + 1;
    }
    let rest = chunk.subarray(from);
    while (this.tailBytes + rest.length > this.maxLineBytes) {
      const take = this.maxLineBytes - this.tailBytes;
      this.tail.push(rest.subarray(0, take));
      this.tailBytes += take;
      this.flushTail(sink);
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      // Copy: the caller reuses its read buffer.
      this.tail.push(rest.slice());
      this.tailBytes += rest.length;
    }
  }

  /** The input is over: an unfinished last line is emitted as it stands. */
  end(sink: LineSink): void {
    if (this.tailBytes > 0) this.flushTail(sink);
  }

  private emit(piece: Uint8Array, sink: LineSink, consumed: number): void {
    let bytes = piece;
    if (this.tailBytes > 0) {
      bytes = concat([...this.tail, piece], this.tailBytes + piece.length);
      this.tail = [];
      this.tailBytes = 0;
    }
    this.lineStart += consumed + (bytes.length - piece.length);
    sink(this.decoder.decode(bytes), this.lineStart, false);
  }

  private flushTail(sink: LineSink): void {
    const bytes = concat(this.tail, this.tailBytes);
    this.tail = [];
    this.tailBytes = 0;
    this.lineStart += bytes.length;
    sink(this.decoder.decode(bytes), this.lineStart, true);
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
