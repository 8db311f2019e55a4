/**
 * Live tail (`/loki/api/v1/tail`): lines pushed to this server reach the WebSockets whose
 * query they match, as soon as the store writer has acknowledged them.
 *
 * Matching reuses the engine instead of re-implementing filters: the lines of one push are
 * put in an in-memory store (the exact bytes just appended), and each tail's selector is run
 * over it by a {@link LogStore} kept for the purpose, so a tail sees exactly the lines a query
 * would return — same label matchers, same RE2 filters, same kernel. Pushes are matched one
 * after another, in the order they were acknowledged, so every tail receives lines in
 * append order. A slow client whose socket buffers more than {@link MAX_BUFFERED_BYTES} is
 * disconnected (close code 1013) rather than allowed to grow the server's memory.
 *
 * Lines another process appends to the store files (a collector, fluent-bit) come in
 * through {@link TailHub.publishFiles}, from the store follower (`follow.ts`).
 */
import { LogStore } from '../api.js';
import type { Expr } from '../query/ast.js';
import { MemoryChunkSource } from '../store/memory-source.js';
import type { ChunkReader, ChunkSource, FileEntry, LogType } from '../store/types.js';
import type { FormattedRecord } from '../write/record.js';
import { groupByFile } from '../write/store-writer.js';
import { labelKey, lokiStreams, type LokiStream } from './responses.js';

/** Bytes a tail socket may have queued before the client counts as too slow. */
export const MAX_BUFFERED_BYTES = 16 * 2 ** 20;

/** Bytes of one tail message (one WebSocket frame) at most; see {@link tailFrames}. */
export const MAX_FRAME_BYTES = 2 ** 20;

/** The envelope of a tail message, `{"streams":[…],"dropped_entries":[…]}`, in bytes. */
const ENVELOPE_BYTES = '{"streams":[],"dropped_entries":[]}'.length;

/**
 * Loki tail messages for `streams`, each at most `maxBytes` of UTF-8: a large history or a
 * large push is cut into several messages (a million lines once went out as one frame of
 * over 100 MiB), in order, a stream's values split across messages where needed. A line
 * too long to fit in any message is not sent; it is listed in `dropped_entries`
 * (`{"labels": "{…}", "timestamp": "<ns>"}`), as Loki reports the lines a tail could not send.
 * Each value is serialised once; the messages are assembled from those pieces.
 */
export function tailFrames(streams: readonly LokiStream[], maxBytes = MAX_FRAME_BYTES): string[] {
  const frames: string[] = [];
  const parts: string[] = [];
  let dropped: string[] = [];
  let size = ENVELOPE_BYTES;
  // The stream being filled: its head and the values taken so far in the current message.
  let head = '';
  let values: string[] = [];
  const closeStream = (): void => {
    if (values.length > 0) parts.push(`${head}${values.join(',')}]}`);
    values = [];
  };
  const flush = (): void => {
    closeStream();
    if (parts.length > 0 || dropped.length > 0) frames.push(`{"streams":[${parts.join(',')}],"dropped_entries":[${dropped.join(',')}]}`);
    parts.length = 0;
    dropped = [];
    size = ENVELOPE_BYTES;
  };
  for (const s of streams) {
    closeStream();
    head = `{"stream":${JSON.stringify(s.stream)},"values":[`;
    const headBytes = Buffer.byteLength(head) + 3; // `]}` and a separating comma
    for (const [ts, line] of s.values) {
      const v = `[${JSON.stringify(ts)},${JSON.stringify(line)}]`;
      const bytes = Buffer.byteLength(v) + 1;
      if (ENVELOPE_BYTES + headBytes + bytes > maxBytes) {
        const d = `{"labels":${JSON.stringify(labelKey(s.stream))},"timestamp":${JSON.stringify(ts)}}`;
        const dBytes = Buffer.byteLength(d) + 1;
        if (size + dBytes > maxBytes) flush();
        dropped.push(d);
        size += dBytes;
        continue;
      }
      const need = bytes + (values.length === 0 ? headBytes : 0);
      if (size + need > maxBytes) flush();
      if (values.length === 0) size += headBytes;
      values.push(v);
      size += bytes;
    }
  }
  flush();
  return frames;
}

/** One live-tail client. */
export interface TailSubscriber {
  /** A log selector with its log type (no range, no offset). */
  expr: Expr;
  /** Delivers matching lines, grouped as Loki streams. */
  deliver(streams: LokiStream[]): void;
}

/** A chunk source whose contents are replaced for each push (matching is serialised, so no query sees a swap). */
class CurrentPushSource implements ChunkSource {
  readonly description = 'pushed lines';
  current: ChunkSource = MemoryChunkSource.fromRecord({});
  listTargets(logType: LogType): Promise<string[]> {
    return this.current.listTargets(logType);
  }
  listFiles(logType: LogType, target: string, select?: (name: string) => boolean): Promise<FileEntry[]> {
    return this.current.listFiles(logType, target, select);
  }
  open(logType: LogType, target: string, name: string): Promise<ChunkReader> {
    return this.current.open(logType, target, name);
  }
}

const HOUR_NS = 3_600_000_000_000n;

export class TailHub {
  private readonly subscribers = new Set<TailSubscriber>();
  private readonly source = new CurrentPushSource();
  private readonly matcher = new LogStore(this.source);
  private chain: Promise<void> = Promise.resolve();

  /** Open tails. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Adds a tail; returns its unsubscribe function. */
  subscribe(sub: TailSubscriber): () => void {
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  /**
   * Queues matching of acknowledged lines against every tail. Resolves when this push has
   * been delivered (tests and shutdown wait on it; the push handler does not).
   */
  publish(records: readonly FormattedRecord[]): Promise<void> {
    if (records.length === 0 || this.subscribers.size === 0) return this.chain;
    const files: Record<string, Uint8Array> = {};
    for (const f of groupByFile(records)) files[f.path] = f.bytes;
    let min = records[0]!.timeNs;
    let max = min;
    for (const r of records) {
      if (r.timeNs < min) min = r.timeNs;
      if (r.timeNs > max) max = r.timeNs;
    }
    // Every line of this push is in the window: written times are at most the record's own
    // (fractions are truncated), and whole hours around them select every file.
    return this.match(files, min - HOUR_NS, max + HOUR_NS);
  }

  /**
   * Queues matching of whole lines appended to store files by someone else (the follower).
   * Their times are unknown until parsed, so the window is every time: the files are only
   * what was just appended.
   */
  publishFiles(files: Record<string, Uint8Array>): Promise<void> {
    if (Object.keys(files).length === 0 || this.subscribers.size === 0) return this.chain;
    return this.match(files, -(1n << 62n), 1n << 62n);
  }

  private match(files: Record<string, Uint8Array>, startNs: bigint, endNs: bigint): Promise<void> {
    const run = async () => {
      this.source.current = MemoryChunkSource.fromRecord(files);
      const opts = { start: startNs, end: endNs };
      for (const sub of [...this.subscribers]) {
        try {
          const table = await this.matcher.query(sub.expr, opts);
          if (table.numRows > 0) sub.deliver(lokiStreams(table));
        } catch {
          // A query that planned at subscribe time cannot fail on in-memory lines; never let one tail stop the others.
        }
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  /** Waits for queued matching to finish. */
  async idle(): Promise<void> {
    await this.chain;
  }
}
