/**
 * The metric evaluator's view of a store: a {@link LogSampleSource} over the scan kernel.
 *
 * What it owns: turning a range aggregation's log expression into a log-query plan over the
 * request's read window, and folding the kernel's matches into the evaluator's buckets (or
 * samples) without keeping a line (`visitMatches`). Per match, the series labels (the
 * stream's: `namespace`/`pod`/`container` or `node`/`process`, plus `cluster` over a store
 * set) go through the log pipeline when there is one (`| json`, label filters, `| unwrap`),
 * which may drop the line, change its labels or give it a value; then the series, the
 * line's byte length (after `line_format`) and the value go to a {@link BucketAccumulator}
 * or {@link SampleAccumulator}. Memory is bounded by series × buckets for counting queries,
 * and by the samples in the read window for quantiles and the like.
 *
 * Parsers extract only what the query reads from the range (`metrics/label-needs.ts`); the
 * unwrapped label leaves the series labels unless the range aggregation groups by it (Loki).
 * A line the pipeline could not read keeps its `__error__` label, and the evaluator fails
 * the query on it unless a label filter drops such lines.
 */
import type { RangeNeeds } from '../metrics/label-needs.js';
import {
  absentLabelsOf,
  BucketAccumulator,
  SampleAccumulator,
  type AccumulatorSeries,
  type BucketRequest,
  type BucketSeries,
  type LogRange,
  type LogRangeInfo,
  type LogSampleSource,
  type SampleRequest,
  type SampleSeries,
  type TimeInterval,
} from '../metrics/source.js';
import { compilePipeline, ERROR_LABEL } from '../pipeline/index.js';
import { planLogQuery, toLogicalLogQuery } from '../plan/plan.js';
import type { MatrixSelector, VectorSelector } from '../query/ast.js';
import { OFF_MSG_END, OFF_MSG_START, OFFSET_STRIDE } from '../scan/types.js';
import { isStoreSet } from '../store/federated-source.js';
import type { ChunkSource } from '../store/types.js';
import { emptyStats, MAX_BAD_LINE_SAMPLES, visitMatches, type ExecEnv, type ExecOptions, type QueryStats } from './execute.js';
import { messageOf, StreamLabels } from './pipeline-rows.js';

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

/** Where a scan's surviving lines (or samples) go: a series, a time, the line's UTF-8 length and the unwrapped value. */
type OnSample = (labels: Readonly<Record<string, string>>, timeNs: bigint, bytes: number, value: number) => void;

/** UTF-8 length of a string without encoding it into a buffer we keep. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 3 above, and 4 for a surrogate pair (2 units, so 2 each).
    if (c >= 0x80) n += c < 0x800 ? 1 : c >= 0xd800 && c <= 0xdfff ? 1 : 2;
  }
  return n;
}

export class StoreSampleSource implements LogSampleSource {
  /** Statistics summed over every scan this source made. */
  readonly stats: QueryStats = emptyMetricStats();

  /**
   * `needs`: what the query reads from each range aggregation (`metrics/label-needs.ts`), so
   * that parsers extract only those labels; absent: every label.
   */
  constructor(
    private readonly source: ChunkSource,
    private readonly withEnv: <T>(fn: (env: ExecEnv) => Promise<T>) => Promise<T>,
    private readonly opts: ExecOptions,
    private readonly needs: ReadonlyMap<MatrixSelector, RangeNeeds> = new Map(),
  ) {}

  describe(range: LogRange): LogRangeInfo {
    // Validates the log type, labels and target matcher (QueryErrors with spans), and the pipeline.
    const logical = toLogicalLogQuery(plainSelector(range), isStoreSet(this.source), { allowUnwrap: true });
    const pipeline = logical.selector.pipeline.length ? compilePipeline(logical.selector.pipeline, { outputLabels: this.outputOf(range) }) : null;
    return { unwrapped: pipeline?.unwrap != null, absentLabels: absentLabelsOf(range.selector) };
  }

  async buckets(request: BucketRequest): Promise<BucketSeries[]> {
    const acc = new BucketAccumulator(request);
    // Series are looked up once per distinct label object: stream records and pipeline outputs repeat.
    let lastLabels: Readonly<Record<string, string>> | null = null;
    let lastSeries: AccumulatorSeries | null = null;
    await this.scan(request.range, request.readIntervals, (labels, t, bytes, value) => {
      if (labels !== lastLabels) {
        lastLabels = labels;
        lastSeries = acc.series(labels);
      }
      acc.add(lastSeries!, t, bytes, value);
    });
    return acc.result();
  }

  async samples(request: SampleRequest): Promise<SampleSeries[]> {
    const acc = new SampleAccumulator(request);
    let lastLabels: Readonly<Record<string, string>> | null = null;
    let lastSeries: AccumulatorSeries | null = null;
    await this.scan(request.range, request.readIntervals, (labels, t, _bytes, value) => {
      if (labels !== lastLabels) {
        lastLabels = labels;
        lastSeries = acc.series(labels);
      }
      acc.add(lastSeries!, t, value);
    });
    return acc.result();
  }

  private outputOf(range: LogRange): readonly string[] | 'all' {
    return this.needs.get(range)?.output ?? 'all';
  }

  /**
   * One kernel scan of `range`'s log query over the read intervals, handing every surviving
   * line (after the pipeline, if any) to `onSample` with its series labels. Label objects
   * passed are never mutated afterwards, so the callee may keep them as series labels.
   */
  private async scan(range: LogRange, intervals: readonly TimeInterval[], onSample: OnSample): Promise<void> {
    if (intervals.length === 0) return;
    const output = this.outputOf(range);
    // Windows are (start, end]; the kernel's are inclusive, hence the +1 ns.
    const plan = await planLogQuery(
      plainSelector(range),
      { start: intervals[0]!.startNs + 1n, end: intervals[intervals.length - 1]!.endNs, allowUnwrap: true, pipelineOutput: output },
      this.source,
    );
    const stream = new StreamLabels(plan.logType);
    const pipeline = plan.pipeline ? compilePipeline(plan.pipeline.stages, { outputLabels: output }) : null;
    const unwrapped = pipeline?.unwrap ?? null;
    // Loki drops the unwrapped label from series labels unless the aggregation groups by it.
    const dropLabel = unwrapped !== null && !(this.needs.get(range)?.keepsLabels ?? []).includes(unwrapped.label) ? unwrapped.label : null;
    const withoutDropped = new WeakMap<object, Record<string, string>>();
    // When the query reads only some labels, series are keyed by those alone: the series a
    // range would otherwise split into (one per distinct extracted value) are exactly the ones
    // the consumer merges (label-needs.ts), as Loki's extractor groups before aggregating.
    // A line with an error keeps every label, so the evaluator can report it.
    const project = output === 'all' ? null : output.filter((n) => n !== dropLabel);
    const projected = new WeakMap<object, Record<string, string>>();
    const stats = await this.withEnv((env) =>
      visitMatches(plan, env, this.opts, (b, fileIndex) => {
        const cluster = plan.files[fileIndex]!.cluster;
        const { offsets, timesNs } = b;
        for (let i = 0; i < b.count; i++) {
          const o = i * OFFSET_STRIDE;
          const streamLabels = stream.of(b, i, cluster);
          const bytes = offsets[o + OFF_MSG_END]! - offsets[o + OFF_MSG_START]!;
          if (pipeline === null) {
            onSample(streamLabels, timesNs[i]!, bytes, 0);
            continue;
          }
          const line = messageOf(b, i);
          const out = pipeline.process(line, streamLabels);
          if (out === null) continue;
          let labels: Readonly<Record<string, string>> = out.labels;
          if (project !== null && !labels[ERROR_LABEL]) {
            let p = projected.get(labels);
            if (p === undefined) {
              p = {};
              for (const n of project) if (Object.hasOwn(labels, n)) p[n] = labels[n]!;
              // Stream records repeat; pipeline outputs are fresh per line and not worth caching.
              if (labels === streamLabels) projected.set(labels, p);
            }
            labels = p;
          } else if (dropLabel !== null && Object.hasOwn(labels, dropLabel)) {
            // A stream record is shared by its lines: drop from a copy, made once per record.
            let copy = labels === streamLabels ? withoutDropped.get(labels) : undefined;
            if (copy === undefined) {
              copy = { ...labels };
              delete copy[dropLabel];
              if (labels === streamLabels) withoutDropped.set(labels, copy);
            }
            labels = copy;
          }
          onSample(labels, timesNs[i]!, out.line === line ? bytes : utf8Length(out.line), out.value);
        }
      }),
    );
    addStats(this.stats, stats);
  }
}
