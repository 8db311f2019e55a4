/**
 * {@link MemorySampleSource}: a complete {@link LogSampleSource} over precomputed in-memory
 * streams (tests and small embedded uses), answering bucket and sample requests through the
 * same accumulators a scan uses.
 */
import { InternalError } from '../errors.js';
import { printQuery } from '../query/tree.js';
import { BucketAccumulator, inIntervals, SampleAccumulator } from './accumulators.js';
import type { Labels } from './labels.js';
import { absentLabelsOf, type BucketRequest, type BucketSeries, type LogRange, type LogRangeInfo, type LogSampleSource, type SampleRequest, type SampleSeries } from './source.js';

/** One log line (or unwrapped sample) of an in-memory stream. */
export interface MemoryEntry {
  timeNs: bigint;
  /** The line; its UTF-8 length is what `bytes_over_time` adds (unless `bytes` is given). */
  line?: string;
  bytes?: number;
  /** The unwrapped value (unwrapped expressions only). */
  value?: number;
}

/** The result of one log expression over an in-memory store: streams after the pipeline. */
export interface MemoryExpression {
  unwrapped?: boolean;
  /** Defaults to {@link absentLabelsOf} of the selector. */
  absentLabels?: Labels;
  streams: { labels: Labels; entries: MemoryEntry[] }[];
}

const utf8 = new TextEncoder();

/**
 * A {@link LogSampleSource} over precomputed streams, keyed by the printed log expression
 * (`printQuery(range.selector)`, e.g. `pod{namespace="a"} |= "x"`). It answers bucket
 * requests through {@link BucketAccumulator} exactly as a scan would. Requests are
 * recorded in {@link MemorySampleSource.requests} so tests can check what was asked.
 */
export class MemorySampleSource implements LogSampleSource {
  readonly requests: (BucketRequest | SampleRequest)[] = [];
  constructor(private readonly expressions: Readonly<Record<string, MemoryExpression>>) {}

  private lookup(range: LogRange): MemoryExpression {
    const key = printQuery(range.selector);
    const found = this.expressions[key];
    if (found === undefined) throw new InternalError(`MemorySampleSource: no streams for ${key} (known: ${Object.keys(this.expressions).join(', ')})`);
    return found;
  }

  describe(range: LogRange): LogRangeInfo {
    const e = this.lookup(range);
    return { unwrapped: e.unwrapped ?? false, absentLabels: e.absentLabels ?? absentLabelsOf(range.selector) };
  }

  async buckets(request: BucketRequest): Promise<BucketSeries[]> {
    this.requests.push(request);
    const acc = new BucketAccumulator(request);
    for (const stream of this.lookup(request.range).streams) {
      const series = acc.series(stream.labels);
      for (const e of stream.entries) {
        if (!inIntervals(request.readIntervals, e.timeNs)) continue;
        acc.add(series, e.timeNs, e.bytes ?? utf8.encode(e.line ?? '').length, e.value ?? 0);
      }
    }
    return acc.result().filter((s) => s.count.some((c) => c > 0));
  }

  async samples(request: SampleRequest): Promise<SampleSeries[]> {
    this.requests.push(request);
    const acc = new SampleAccumulator(request);
    for (const stream of this.lookup(request.range).streams) {
      const series = acc.series(stream.labels);
      for (const e of stream.entries) acc.add(series, e.timeNs, e.value ?? 0);
    }
    return acc.result().filter((s) => s.values.length > 0);
  }
}
