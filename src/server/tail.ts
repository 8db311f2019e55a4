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
import { lokiStreams, type LokiStream } from './responses.js';

/** Bytes a tail socket may have queued before the client counts as too slow. */
export const MAX_BUFFERED_BYTES = 16 * 2 ** 20;

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
      const opts = { start: startNs, end: endNs, limit: null };
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
