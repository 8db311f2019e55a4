/**
 * Recording rules' samples out by Prometheus remote-write 1.0: a snappy-compressed (block
 * format) protobuf `prometheus.WriteRequest`, POSTed with `Content-Encoding: snappy`,
 * `Content-Type: application/x-protobuf` and `X-Prometheus-Remote-Write-Version: 0.1.0`, so
 * that a Prometheus (`--web.enable-remote-write-receiver`), Mimir or VictoriaMetrics keeps them.
 *
 * ```
 * message WriteRequest { repeated TimeSeries timeseries = 1; }
 * message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 * message Label        { string name = 1; string value = 2; }   // sorted by name
 * message Sample       { double value = 1; int64 timestamp = 2; } // ms since the epoch
 * ```
 *
 * Encoded with protobufjs's wire `Writer` (the library the push decoder uses; the schema is
 * four messages: no generated code), compressed with `snappyjs`. Sending goes through `retry-queue.ts`: never blocking
 * evaluation, retried with back-off on 5xx/429/network errors, dropped on other 4xx (as
 * Prometheus does: the receiver refused the samples, e.g. out of order).
 */
import protobuf from 'protobufjs/minimal.js';
import { compress } from 'snappyjs';
import { NS_PER_MS } from '../time.js';
import { checkResponse, flushQueues, RetryQueue, type SendStats } from './retry-queue.js';
import type { RecordedSample } from './ruler.js';
import { LetheQLError } from '../errors.js';

/** The protobuf bytes of a `WriteRequest` holding `samples` (one series per distinct label set). */
export function encodeWriteRequest(samples: readonly RecordedSample[]): Uint8Array {
  const series = new Map<string, { labels: [string, string][]; samples: RecordedSample[] }>();
  for (const s of samples) {
    const labels = Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify(labels);
    const entry = series.get(key) ?? { labels, samples: [] };
    entry.samples.push(s);
    series.set(key, entry);
  }
  // Field keys: (number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
  const LEN = (field: number) => (field << 3) | 2;
  const w = protobuf.Writer.create();
  for (const { labels, samples: list } of series.values()) {
    w.uint32(LEN(1)).fork(); // timeseries
    for (const [name, value] of labels) w.uint32(LEN(1)).fork().uint32(LEN(1)).string(name).uint32(LEN(2)).string(value).ldelim();
    for (const s of [...list].sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0))) {
      // int64 as a decimal string: protobufjs converts it exactly (no float rounding of big ms values).
      w.uint32(LEN(2)).fork().uint32((1 << 3) | 1).double(s.value).uint32(2 << 3).int64((s.timeNs / NS_PER_MS).toString() as unknown as number).ldelim();
    }
    w.ldelim();
  }
  return w.finish();
}

export interface RemoteWriteOptions {
  maxQueue?: number;
  /** Samples per request (default 2,000, Prometheus's `max_samples_per_send`). */
  batchSize?: number;
  timeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (url: string, message: string) => void;
}

/** Sends recorded samples to remote-write endpoints; see the note at the top. */
export class RemoteWriter {
  private readonly targets: RetryQueue<RecordedSample>[];

  constructor(urls: readonly string[], options: RemoteWriteOptions = {}) {
    const opts = {
      maxQueue: options.maxQueue ?? 100_000,
      batchSize: options.batchSize ?? 2000,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      onError: options.onError,
    };
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.targets = urls.map((url) => {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LetheQLError('INVALID_OPTION', `invalid remote-write URL ${JSON.stringify(url)}: expected http:// or https://`);
      return new RetryQueue<RecordedSample>(url, async (batch) => {
        const body = new Blob([compress(encodeWriteRequest(batch)) as Uint8Array<ArrayBuffer>]);
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', 'user-agent': 'letheql-ruler' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await checkResponse(url, res);
      }, opts);
    });
  }

  /** Queues samples for every endpoint; returns at once. */
  send(samples: readonly RecordedSample[]): void {
    for (const t of this.targets) t.push(samples);
  }

  flush(timeoutMs = 30_000): Promise<boolean> {
    return flushQueues(this.targets, timeoutMs);
  }

  close(): void {
    for (const t of this.targets) t.close();
  }

  get stats(): SendStats[] {
    return this.targets.map((t) => ({ ...t.stats }));
  }
}
