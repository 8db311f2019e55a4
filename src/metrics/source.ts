/**
 * The seam between the metric evaluator and whatever reads logs: {@link LogSampleSource}.
 *
 * ## What it owns
 * The evaluator never looks inside a range aggregation's log expression (selector, line
 * filters, parsers, label filters, `unwrap`): it hands the argument node to a source and
 * asks for one of two things.
 *
 * - **Buckets** ({@link BucketRequest}): per series, per bucket of a {@link BucketGrid},
 *   the number of lines (or unwrapped samples), and when asked their byte total or the
 *   sum/min/max of the unwrapped values. This is what counting queries use: the scan adds
 *   each surviving line to one bucket and never keeps the line (`grid.ts` explains why every
 *   window is a run of whole buckets).
 * - **Samples** ({@link SampleRequest}): per series, every unwrapped value with its time,
 *   for the functions buckets cannot express (quantiles, first/last, stddev/stdvar).
 *
 * Plus one synchronous question at planning time, {@link LogSampleSource.describe}: is the
 * expression unwrapped (LogQL's `rate` means count/range for lines but sum/range for
 * values, and most `_over_time` functions require `unwrap`), and which labels does
 * `absent_over_time` report.
 *
 * Series labels are the stream's labels after the pipeline (parsers add labels, `drop`/
 * `keep` remove them). A source may return the same label set several times (one per
 * worker or file); the evaluator merges them. A series whose labels carry a non-empty
 * `__error__` (a line a parser or `unwrap` could not read) fails the query with Loki's
 * "pipeline error" unless the query filters such lines out.
 *
 * {@link BucketAccumulator} and {@link SampleAccumulator} do the bookkeeping for a source
 * that sees lines one at a time; {@link MemorySampleSource} is a complete in-memory source
 * (tests, small embedded uses) built on them.
 */
import type { MatrixSelector, VectorSelector } from '../query/ast.js';
import { printQuery } from '../query/tree.js';
import { BucketAccumulator, inIntervals, SampleAccumulator } from './accumulators.js';
import type { BucketGrid } from './grid.js';
import { METRIC_NAME, type Labels } from './labels.js';

// The accumulators live in their own module so that scan workers can fold without loading
// the query parser (this module's printQuery); they stay part of this module's API.
export { BucketAccumulator, inIntervals, SampleAccumulator, type AccumulatorSeries } from './accumulators.js';

/**
 * A range aggregation's argument, `<log expression> [range] offset o`. Opaque to the
 * evaluator: a source reads the log expression from it (`range.selector` and whatever the
 * parser attaches for pipelines and `unwrap`) and must ignore `range.range`, `range.offset`
 * and `range.at`: the request's grid or intervals already account for them.
 */
export type LogRange = MatrixSelector;

/** What the evaluator needs to know about a log expression before reading it. */
export interface LogRangeInfo {
  /** The expression ends in `| unwrap …`: its samples are values, not lines. */
  unwrapped: boolean;
  /**
   * Labels of `absent_over_time`'s sample when a window is empty. Loki: the stream
   * selector's `=` matchers, minus any name that also has another matcher
   * ({@link absentLabelsOf} computes exactly that).
   */
  absentLabels: Labels;
}

/**
 * Per-bucket measures: `count` of lines (or of unwrapped samples), `bytes` of the lines
 * (UTF-8 length of the line as the pipeline leaves it), and the `sum`/`min`/`max` of the
 * unwrapped values (min/max follow Loki: NaN only when every value is NaN).
 */
export type BucketMeasure = 'count' | 'bytes' | 'sum' | 'min' | 'max';

/** Half-open-on-the-left instants `(startNs, endNs]`. */
export interface TimeInterval {
  startNs: bigint;
  endNs: bigint;
}

/** "Count (and measure) the lines of `range` per series in each bucket of `grid`." */
export interface BucketRequest {
  kind: 'buckets';
  range: LogRange;
  grid: BucketGrid;
  /** Always contains `count`. */
  measures: readonly BucketMeasure[];
  /**
   * The instants the evaluator will read, sorted and disjoint; within `(e_0, e_m]` of the
   * grid. A scan may skip everything outside them (buckets there are never read).
   */
  readIntervals: readonly TimeInterval[];
}

/** One series' answer to a {@link BucketRequest}: arrays of `grid.edgesNs.length − 1` buckets. */
export interface BucketSeries {
  labels: Labels;
  count: Float64Array;
  bytes?: Float64Array;
  sum?: Float64Array;
  min?: Float64Array;
  max?: Float64Array;
}

/** "Give me every unwrapped sample of `range` in these intervals." */
export interface SampleRequest {
  kind: 'samples';
  range: LogRange;
  /** As in {@link BucketRequest.readIntervals}; samples outside them are ignored. */
  readIntervals: readonly TimeInterval[];
}

/**
 * One series' answer to a {@link SampleRequest}. Times need not be sorted: the evaluator
 * sorts stably, so samples with equal times keep the source's order (store order), which
 * decides `first_over_time`/`last_over_time` ties.
 */
export interface SampleSeries {
  labels: Labels;
  timesNs: BigInt64Array;
  values: Float64Array;
}

/** What the metric evaluator reads logs through. The executor implements it over a store. */
export interface LogSampleSource {
  /** Called once per range aggregation while planning; may throw a `QueryError` (e.g. unknown log type). */
  describe(range: LogRange): LogRangeInfo;
  buckets(request: BucketRequest): Promise<BucketSeries[]>;
  samples(request: SampleRequest): Promise<SampleSeries[]>;
}

/** Loki's labels for `absent_over_time`: `=` matchers whose name has no other matcher. */
export function absentLabelsOf(selector: VectorSelector): Labels {
  const counts = new Map<string, number>();
  for (const m of selector.matchers) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
  const out: Record<string, string> = {};
  for (const m of selector.matchers) {
    if (m.name !== METRIC_NAME && m.op === '=' && counts.get(m.name) === 1 && m.value !== '') out[m.name] = m.value;
  }
  return out;
}

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
    if (found === undefined) throw new Error(`MemorySampleSource: no streams for ${key} (known: ${Object.keys(this.expressions).join(', ')})`);
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
