/**
 * The metric evaluator's view of a store: a {@link LogSampleSource} over the scan kernel.
 *
 * What it owns: turning a range aggregation's log expression into a log-query plan over the
 * request's read window, and the plain-data {@link FoldSpec} of the request (grid and
 * measures, or read intervals; pipeline stages; the labels the query reads). The scan
 * (`foldMatches`) folds the kernel's matches into per-series buckets or samples without
 * keeping a line, in this thread or on the pool's workers, with the same code either way
 * (`match-fold.ts`, which also says how series labels come about). Memory is bounded by
 * series × buckets for counting queries, and by the samples in the read window for
 * quantiles and the like.
 *
 * Parsers extract only what the query reads from the range (`metrics/label-needs.ts`); the
 * unwrapped label leaves the series labels unless the range aggregation groups by it (Loki).
 * A line the pipeline could not read keeps its `__error__` label, and the evaluator fails
 * the query on it unless a label filter drops such lines.
 */
import type { RangeNeeds } from '../metrics/label-needs.js';
import {
  absentLabelsOf,
  type BucketRequest,
  type BucketSeries,
  type LogRange,
  type LogRangeInfo,
  type LogSampleSource,
  type SampleRequest,
  type SampleSeries,
  type TimeInterval,
} from '../metrics/source.js';
import { compilePipeline } from '../pipeline/index.js';
import { planLogQuery, toLogicalLogQuery } from '../plan/plan.js';
import type { MatrixSelector, VectorSelector } from '../query/ast.js';
import { isStoreSet } from '../store/federated-source.js';
import type { ChunkSource } from '../store/types.js';
import { foldMatches, type ExecEnv } from './execute.js';
import { addStats, emptyStats, type QueryStats } from './stats.js';
import { type ExecOptions } from './options.js';
import { FoldAccumulator, type FoldSpec } from './match-fold.js';
import { compileMatchers } from './scan-job.js';

/** Statistics of a metric query before any scan. */
export function emptyMetricStats(): QueryStats {
  return emptyStats({ filesOutOfRange: 0, skippedFiles: [] });
}

/** A log-query selector for a range's window: the range's own `[r]`, `offset` and `@` are the evaluator's business. */
function plainSelector(range: LogRange): VectorSelector {
  return { ...range.selector, offset: null, at: null };
}

/**
 * {@link LogSampleSource.describe} for a store (`storeSet`: `cluster` is a label) reading
 * `output` of the range's pipeline. Validates the log type, labels and target matcher
 * (QueryErrors with spans), and the pipeline, without reading the store.
 */
export function describeLogRange(range: LogRange, storeSet: boolean, output: readonly string[] | 'all'): LogRangeInfo {
  const logical = toLogicalLogQuery(plainSelector(range), storeSet, { allowUnwrap: true });
  const pipeline = logical.selector.pipeline.length ? compilePipeline(logical.selector.pipeline, { outputLabels: output }) : null;
  return { unwrapped: pipeline?.unwrap != null, absentLabels: absentLabelsOf(range.selector) };
}

/** A {@link LogSampleSource} over a chunk source (a store, or a store set's local members). */
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
    return describeLogRange(range, isStoreSet(this.source), this.outputOf(range));
  }

  async buckets(request: BucketRequest): Promise<BucketSeries[]> {
    const into = await this.scan(request.range, request.readIntervals, { kind: 'buckets', edgesNs: BigInt64Array.from(request.grid.edgesNs), measures: request.measures.slice() });
    return into ? into.bucketResult() : [];
  }

  async samples(request: SampleRequest): Promise<SampleSeries[]> {
    const into = await this.scan(request.range, request.readIntervals, { kind: 'samples', readIntervals: request.readIntervals.map((i) => ({ startNs: i.startNs, endNs: i.endNs })) });
    return into ? into.sampleResult() : [];
  }

  private outputOf(range: LogRange): readonly string[] | 'all' {
    return this.needs.get(range)?.output ?? 'all';
  }

  /**
   * One kernel scan of `range`'s log query over the read intervals, folding every surviving
   * line (after the pipeline, if any) into a fresh accumulator; null when there is nothing to read.
   */
  private async scan(range: LogRange, intervals: readonly TimeInterval[], into: FoldSpec['into']): Promise<FoldAccumulator | null> {
    if (intervals.length === 0) return null;
    const output = this.outputOf(range);
    // Windows are (start, end]; the kernel's are inclusive, hence the +1 ns.
    const plan = await planLogQuery(
      plainSelector(range),
      { start: intervals[0]!.startNs + 1n, end: intervals[intervals.length - 1]!.endNs, allowUnwrap: true, pipelineOutput: output },
      this.source,
    );
    const maxTemplateBytes = this.opts.maxTemplateBytes;
    const spec: FoldSpec = { stages: plan.pipeline?.stages ?? null, outputLabels: output, keepsLabels: this.needs.get(range)?.keepsLabels ?? [], ...(maxTemplateBytes !== undefined ? { maxTemplateBytes } : {}), into };
    const sink = { kind: 'fold' as const, spec, folder: (await compileMatchers(plan.logType, null, spec)).folder!, into: FoldAccumulator.factory(into)() };
    const stats = await this.withEnv((env) => foldMatches(plan, env, this.opts, sink));
    addStats(this.stats, stats);
    return sink.into;
  }
}
