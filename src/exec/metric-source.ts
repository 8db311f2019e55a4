/**
 * The metric evaluator's view of a store: a {@link LogSampleSource} over the scan kernel.
 *
 * What it owns: turning a range aggregation's log expression into a log-query plan over the
 * request's read window, and folding the kernel's matches into the evaluator's buckets
 * without keeping a line (`visitMatches`): per match, the series (the stream's labels:
 * `namespace`/`pod`/`container` or `node`/`process`, plus `cluster` over a store set) and
 * the message's byte length go to a {@link BucketAccumulator}. Memory is bounded by series
 * × buckets, never by lines.
 *
 * Not yet: log pipelines (`| json`, label filters, `| unwrap`) inside a range aggregation.
 * The planner refuses them with NOT_SUPPORTED, so unwrapped sample requests never arrive.
 */
import { InternalError } from '../errors.js';
import { absentLabelsOf, BucketAccumulator, type AccumulatorSeries, type BucketRequest, type BucketSeries, type LogRange, type LogRangeInfo, type LogSampleSource, type SampleRequest, type SampleSeries } from '../metrics/source.js';
import { fieldNames } from '../model.js';
import { planLogQuery, toLogicalLogQuery } from '../plan/plan.js';
import type { VectorSelector } from '../query/ast.js';
import { OFF_FIELD0_START, OFF_MSG_END, OFF_MSG_START, OFFSET_STRIDE } from '../scan/types.js';
import { isStoreSet } from '../store/federated-source.js';
import type { ChunkSource } from '../store/types.js';
import { emptyStats, MAX_BAD_LINE_SAMPLES, visitMatches, type ExecEnv, type ExecOptions, type QueryStats } from './execute.js';
import { FieldDecoder } from './rows.js';

/** Adds one scan's statistics into a running total (metric queries scan once per range aggregation). */
export function addStats(total: QueryStats, s: QueryStats): void {
  total.filesRead += s.filesRead;
  total.filesSkipped += s.filesSkipped;
  total.skippedFiles.push(...s.skippedFiles);
  total.bytesScanned += s.bytesScanned;
  total.linesScanned += s.linesScanned;
  total.linesMatched += s.linesMatched;
  total.badLines += s.badLines;
  for (const b of s.badLineSamples) if (total.badLineSamples.length < MAX_BAD_LINE_SAMPLES) total.badLineSamples.push(b);
}

/** Statistics of a metric query before any scan. */
export function emptyMetricStats(): QueryStats {
  return emptyStats({ filesOutOfRange: 0, skippedFiles: [] });
}

/** A log-query selector for a range's window: the range's own `[r]`, `offset` and `@` are the evaluator's business. */
function plainSelector(range: LogRange): VectorSelector {
  return { ...range.selector, offset: null, at: null };
}

export class StoreSampleSource implements LogSampleSource {
  /** Statistics summed over every scan this source made. */
  readonly stats: QueryStats = emptyMetricStats();

  constructor(
    private readonly source: ChunkSource,
    private readonly withEnv: <T>(fn: (env: ExecEnv) => Promise<T>) => Promise<T>,
    private readonly opts: ExecOptions,
  ) {}

  describe(range: LogRange): LogRangeInfo {
    // Validates the log type, labels and target matcher (QueryErrors with spans), and refuses pipelines.
    toLogicalLogQuery(plainSelector(range), isStoreSet(this.source));
    return { unwrapped: false, absentLabels: absentLabelsOf(range.selector) };
  }

  async buckets(request: BucketRequest): Promise<BucketSeries[]> {
    const acc = new BucketAccumulator(request);
    const intervals = request.readIntervals;
    if (intervals.length === 0) return acc.result();
    // Windows are (start, end]; the kernel's are inclusive, hence the +1 ns.
    const plan = await planLogQuery(plainSelector(request.range), { start: intervals[0]!.startNs + 1n, end: intervals[intervals.length - 1]!.endNs }, this.source);
    const names = fieldNames(plan.logType);
    const decoders = names.map(() => new FieldDecoder());
    const seriesByKey = new Map<string, AccumulatorSeries>();
    // Consecutive lines usually belong to the same stream, and FieldDecoder returns the same
    // string object for repeated bytes: comparing by identity finds the series with no key
    // built and nothing allocated per line.
    const values: string[] = names.map(() => '');
    let prevCluster: string | undefined;
    let series: AccumulatorSeries | null = null;
    const stats = await this.withEnv((env) =>
      visitMatches(plan, env, this.opts, (b, fileIndex) => {
        const cluster = plan.files[fileIndex]!.cluster;
        const { bytes, offsets, timesNs } = b;
        for (let i = 0; i < b.count; i++) {
          const o = i * OFFSET_STRIDE;
          let same = series !== null && cluster === prevCluster;
          for (let k = 0; k < names.length; k++) {
            const v = decoders[k]!.decode(bytes, offsets[o + OFF_FIELD0_START + 2 * k]!, offsets[o + OFF_FIELD0_START + 2 * k + 1]!);
            if (v !== values[k]) {
              values[k] = v;
              same = false;
            }
          }
          if (!same) {
            prevCluster = cluster;
            const key = `${cluster ?? ''}\u0000${values.join('\u0000')}`;
            series = seriesByKey.get(key) ?? null;
            if (series === null) {
              const labels: Record<string, string> = {};
              if (cluster !== undefined) labels['cluster'] = cluster;
              // Loki: an empty label value is no label.
              names.forEach((n, k) => values[k] !== '' && (labels[n] = values[k]!));
              series = acc.series(labels);
              seriesByKey.set(key, series);
            }
          }
          acc.add(series!, timesNs[i]!, offsets[o + OFF_MSG_END]! - offsets[o + OFF_MSG_START]!);
        }
      }),
    );
    addStats(this.stats, stats);
    return acc.result();
  }

  samples(request: SampleRequest): Promise<SampleSeries[]> {
    // describe() never reports an unwrapped range, so the evaluator never asks.
    return Promise.reject(new InternalError(`unwrapped samples requested for ${request.range.kind} without a pipeline`));
  }
}
