/**
 * The library API: one {@link LogStore} over any chunk source.
 *
 * `query()` returns an Arrow table (log rows, or for a metric query the long table of
 * series × time × value), `stream()` record batches, `count()` a number without
 * materialising rows, `explain()`/`explainMetric()` the plan, `queryMetric()` the metric
 * result as data (for Prometheus JSON). Entry points (`node.ts`, `browser.ts`) are thin
 * shells that build a source (and, in Node, a worker pool); everything else is here and in the
 * stage modules it calls (parse → plan → scan → arrow).
 *
 * A store over a store set (`FederatedChunkSource`: several stores, one per cluster) is the
 * same `LogStore`: selectors may use `cluster`, results get a `cluster` column, and
 * {@link LogStore.clusters}/{@link LogStore.targetsByCluster} say what the set holds. A set
 * may have remote members (another `letheql serve`, {@link LogStoreOptions.remotes}): log
 * queries merge their rows (`exec/member-merge.ts`); metric queries read them through the
 * same sample-source seam as local members (`exec/member-source.ts`), so one evaluator runs
 * every expression here, and {@link LogStore.metricPartials} is what a store answers as such
 * a member.
 *
 * Start-up: Apache Arrow (`arrow/build.ts`) and the metric evaluator are loaded by dynamic
 * `import()` where a result needs them, not when this module loads: a count, an explain or
 * a `targets` never needs them, and they are a good part of a CLI query's start-up (the CLI
 * bundle puts each in a chunk of its own). The methods were async already, so nothing
 * changes for callers; ES modules are loaded once, so every caller shares one Arrow (its
 * classes compare by identity: `instanceof Table`).
 */
import type { RecordBatch, Table } from 'apache-arrow';
import type { LogRow, ResultShape } from './arrow/build.js';
import { collectKeyed, collectRows, countLines, visitMatches, type ExecEnv } from './exec/execute.js';
import { type QueryStats } from './exec/stats.js';
import { type ExecOptions } from './exec/options.js';
import { addContext, checkContext, type ContextOptions } from './exec/context.js';
import type { ScanPool } from './exec/workers/pool.js';
import { LOG_TYPES, type LogType } from './model.js';
import { formatPlan, nameFilter, planLogQuery, resolveOptions, resolveWindow, toLogicalLogQuery, windowOf, type Direction, type LogQueryPlan, type QueryWindow } from './plan/plan.js';
import { LetheQLError } from './errors.js';
import type { EvalTimes } from './metrics/grid.js';
import type { MetricResult } from './metrics/result.js';
import type { RangeNeeds } from './metrics/label-needs.js';
import type { BucketRequest, BucketSeries, LogRange, LogSampleSource, SampleRequest, SampleSeries } from './metrics/source.js';
import type { Expr, MatrixSelector } from './query/ast.js';
import { printQuery } from './query/tree.js';
import { isMetricQuery, unparen } from './query/shape.js';
import { parseQueryLazily } from './query/simple.js';
import { checkAstDepth } from './query/depth.js';
import { formatDuration, formatRfc3339, parseDuration } from './time.js';
import { Kernel, kernelModule } from './scan/kernel.js';
import { FederatedChunkSource, isStoreSet } from './store/federated-source.js';
import type { RemoteMember } from './store/remote-member.js';
import type { ChunkSource } from './store/types.js';
import { compareNames } from './store/paths.js';
import { CLUSTER_LABEL } from './model.js';
import type { MemberPart } from './exec/member-merge.js';

/**
 * What every query takes, log or metric, and all that a count takes: its window
 * ({@link QueryWindow}: `start`/`end`/`since`/`now`) and the execution's tuning, budgets and
 * cancellation ({@link ExecOptions}: `signal`, `maxBytesScanned`, `maxBytesReturned`, …).
 */
export interface ScanOptions extends QueryWindow, ExecOptions {}

/** Options of a log query ({@link LogStore.query}, `result`, `stream`, `explain`, `run`): the window and budgets ({@link ScanOptions}) plus what shapes the rows. */
export interface LogQueryOptions extends ScanOptions {
  /** Maximum rows returned (a positive integer). Absent or null: no limit. */
  limit?: number | null;
  /** Result order: `forward` (oldest first, the default) or `backward` (newest first). */
  direction?: Direction;
  /** Rows per record batch (default 8192). */
  batchSize?: number;
  /**
   * Also return the lines of the same stream around each match (`query()`/`result()` only),
   * as `grep -B/-A` does (`exec/context.ts`). The table then has two more columns
   * after `time_raw`: `context` (Bool: true for a context line, false for a match) and
   * `context_group` (Int32: rows of one group are contiguous in the stream; a consumer
   * prints `--` between groups). Memory stays bounded by matches × (before + after).
   */
  context?: ContextOptions;
}

/** Options of a metric query ({@link LogStore.queryMetric}, `explainMetric`): the window and budgets ({@link ScanOptions}) plus the evaluation's steps and result limits. */
export interface MetricQueryOptions extends ScanOptions {
  /**
   * Evaluate at `start, start+step, …, end` (a range query; a duration such as `1m`, or ns).
   * Absent: an instant query at `end`.
   */
  step?: string | bigint;
  /** Most series in a result (default 500); more is an error naming the limit. */
  maxSeries?: number;
  /** Most samples (series × points) in a result (default 1,000,000); more is a `LimitError` naming `maxSamples`. */
  maxSamples?: number;
}

/**
 * Options of {@link LogStore.query}/{@link LogStore.result}, which take a log or a metric
 * query: the query decides which half applies (a log query ignores `step`, `maxSeries` and
 * `maxSamples`; a metric query ignores `limit`, `direction`, `batchSize` and `context`).
 */
export type QueryOptions = LogQueryOptions & MetricQueryOptions;

/** What `explain()` returns for a metric query: the evaluation times and, per range aggregation, the log plan it scans. */
export interface MetricQueryPlan {
  kind: 'MetricQueryPlan';
  query: string;
  /** RFC 3339; `step` null for an instant query (evaluated at `end`). */
  times: { start: string; end: string; step: string | null };
  ranges: { range: string; request: 'buckets' | 'samples'; buckets: number; plan: LogQueryPlan }[];
}

/**
 * A query as a tree: parsed (the parser bounds nesting), or a caller's tree measured the
 * same way, so that no recursive walker meets a tree deeper than the parser would build.
 */
async function toExpr(query: string | Expr): Promise<Expr> {
  if (typeof query === 'string') return parseQueryLazily(query);
  checkAstDepth(query);
  return query;
}

/** The key under which `query()` stores {@link QueryStats} (JSON) in the table's schema metadata. */
export const STATS_METADATA_KEY = 'letheql.stats';

/** Reads the statistics that `LogStore.query()` attached to a table. */
export function getStats(table: Table): QueryStats | null {
  const json = table.schema.metadata.get(STATS_METADATA_KEY);
  return json ? (JSON.parse(json) as QueryStats) : null;
}

function statsMetadata(stats: QueryStats): Map<string, string> {
  return new Map([[STATS_METADATA_KEY, JSON.stringify(stats)]]);
}

/** Record batches of a result, in order, with the query's statistics once the scan is done. */
export interface QueryStream extends AsyncIterable<RecordBatch> {
  /** Resolves when the scan completes (rejects if it fails). */
  readonly stats: Promise<QueryStats>;
}

/** Targets (namespaces or nodes) of a store per log type. */
export type StoreTargets = Record<LogType, string[]>;

/** The result columns a plan asks for beyond its log type's: `cluster` over a store set. */
function resultShape(plan: LogQueryPlan, rows: readonly LogRow[], parsedLabelNames: (rows: readonly LogRow[]) => string[]): ResultShape {
  return { cluster: plan.clusters !== undefined, parsed: plan.pipeline ? parsedLabelNames(rows) : [] };
}

/** Apache Arrow and the result builders, on first use (see the note at the top). */
const loadArrow = () => import('./arrow/build.js');

/** The metric evaluator and the store's sample source for it, on a store's first metric query. */
async function loadMetrics() {
  const [evaluator, source, needs] = await Promise.all([import('./metrics/evaluator.js'), import('./exec/metric-source.js'), import('./metrics/label-needs.js')]);
  return { ...evaluator, ...source, ...needs };
}

/** Idle kernels kept per store, and the WASM memory above which a kernel is dropped instead (it grew for a very long line). */
const MAX_IDLE_KERNELS = 2;
const MAX_IDLE_KERNEL_BYTES = 32 * 1024 * 1024;

/** Options of a {@link LogStore} beyond its source. */
export interface LogStoreOptions {
  /** Workers for big scans (the entry point builds it: `openStore(dir, { workers })`); null: scan in-thread. */
  pool?: ScanPool | null;
  /**
   * Members of a store set that are other `letheql serve`s (`store/remote-member.ts`). The
   * store's source is then the store set of the local members, or, when every member is
   * remote, any source without files (it is never read). Cluster names are unique across both.
   */
  remotes?: readonly RemoteMember[];
  /**
   * What a query does when a remote member fails: `fail` (default) fails the query; `warn`
   * answers with the other members' rows and names the member in `stats.warnings`.
   */
  onMemberError?: 'fail' | 'warn';
}

/**
 * A Lethe store opened for queries. Cheap to create; holds no open files between queries.
 * With a scan pool, `close()` stops its workers (idle workers never keep a process alive).
 */
export class LogStore {
  /** Kernels are instantiated once and reused: a fresh instance costs more than scanning a small file. */
  private readonly idleKernels: Kernel[] = [];
  /** The scan pool, if any; the pool decides per query whether the scan pays for workers. */
  readonly pool: ScanPool | null;

  /** Remote members of a store set (see {@link LogStoreOptions.remotes}); empty for a local store or set. */
  readonly remotes: readonly RemoteMember[];
  /** The partial-failure policy of a set with remote members. */
  readonly onMemberError: 'fail' | 'warn';

  constructor(
    readonly source: ChunkSource,
    options: LogStoreOptions = {},
  ) {
    this.pool = options.pool ?? null;
    this.remotes = options.remotes ?? [];
    this.onMemberError = options.onMemberError ?? 'fail';
    if (this.onMemberError !== 'fail' && this.onMemberError !== 'warn') throw new LetheQLError('INVALID_OPTION', `invalid onMemberError ${JSON.stringify(this.onMemberError)}, expected fail or warn`);
    const local = new Set(this.localClusters);
    for (const r of this.remotes) {
      if (local.has(r.cluster)) throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(r.cluster)} is given twice`);
      local.add(r.cluster);
    }
    // Start compiling the kernel now (once per process; V8 compiles off this thread), so that
    // a query's planning hides it. Compiled when the first scan asked for it, it waited behind
    // the background compiler's other work: 28–35 ms on a CLI query's critical path, against
    // ~4 ms when nothing else is queued. A failure is seen by the scan that needs the kernel.
    kernelModule().catch(() => undefined);
  }

  /** The clusters whose files this process reads (a store set's local members). */
  private get localClusters(): readonly string[] {
    return isStoreSet(this.source) ? this.source.clusters : [];
  }

  /** Stops the store's scan workers, if any (queries still running on them reject). Queries after this scan in-thread. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** Parses (if needed) and plans a log query without reading log data (metric queries: {@link explainMetric}). */
  async explain(query: string | Expr, opts: LogQueryOptions = {}): Promise<LogQueryPlan> {
    const expr = await toExpr(query);
    if (this.remotes.length > 0 && !isStoreSet(this.source)) throw new LetheQLError('NOT_SUPPORTED', 'not supported yet: explain over a store set whose members are all remote (explain plans the local members only)');
    return planLogQuery(expr, opts, this.source);
  }

  /** Refuses what a store set with remote members cannot answer yet, naming it. */
  private refuseRemote(what: string): void {
    if (this.remotes.length > 0) throw new LetheQLError('NOT_SUPPORTED', `not supported yet: ${what} over a store set with remote members (log and metric queries through query()/result()/stream()/queryMetric(), and count(), are)`);
  }

  /** Plans a metric query without reading log data: evaluation times and one log plan per range aggregation. */
  async explainMetric(query: string | Expr, opts: MetricQueryOptions = {}): Promise<MetricQueryPlan> {
    const expr = await toExpr(query);
    const times = metricTimes(opts);
    const { rangeLabelNeeds, StoreSampleSource, planMetricQuery } = await loadMetrics();
    const needs = rangeLabelNeeds(expr);
    const source = new StoreSampleSource(this.source, (fn) => this.withEnv(fn), opts, needs);
    const planned = planMetricQuery(expr, times, source, { maxSeries: opts.maxSeries });
    const ranges = await Promise.all(
      planned.requests.map(async (r) => {
        const iv = r.readIntervals;
        const window = iv.length ? { start: iv[0]!.startNs + 1n, end: iv[iv.length - 1]!.endNs } : { start: times.startNs, end: times.endNs };
        const plan = await planLogQuery({ ...r.range.selector, offset: null, at: null }, { ...window, allowUnwrap: true, pipelineOutput: needs.get(r.range)?.output ?? 'all' }, this.source);
        return { range: printQuery(r.range), request: r.kind, buckets: r.kind === 'buckets' ? r.grid.edgesNs.length - 1 : 0, plan };
      }),
    );
    return {
      kind: 'MetricQueryPlan',
      query: printQuery(expr),
      times: { start: formatRfc3339(times.startNs), end: formatRfc3339(times.endNs), step: times.stepNs === 0n ? null : formatDuration(times.stepNs) },
      ranges,
    };
  }

  /**
   * Evaluates a metric query (`count_over_time`, `rate`, `sum by (…)`, …): an instant query at
   * `end`, or a range query with `step`. Counting never materialises lines: each range
   * aggregation is one scan folding matches into per-series buckets.
   *
   * @example
   * const r = await store.queryMetric('sum by (namespace) (count_over_time(pod{namespace=~".+"} |= "error" [5m]))', { since: '1h', step: '5m' });
   */
  async queryMetric(query: string | Expr, opts: MetricQueryOptions = {}): Promise<{ result: MetricResult; stats: QueryStats }> {
    const started = performance.now();
    const expr = await toExpr(query);
    const { rangeLabelNeeds, evaluateMetricQuery } = await loadMetrics();
    const source = await this.sampleSource(opts, rangeLabelNeeds(expr));
    const result = await evaluateMetricQuery(expr, metricTimes(opts), source, { maxSeries: opts.maxSeries, maxSamples: opts.maxSamples, signal: opts.signal });
    const stats = source.stats;
    stats.rowsReturned = result.series.reduce((n, s) => n + s.samples.length, 0);
    stats.elapsedMs = Math.round((performance.now() - started) * 1000) / 1000;
    return { result, stats };
  }

  /**
   * The sample source of a metric query: over the store (or the local store set), or, for a
   * store set with remote members, over every member (`exec/member-source.ts`: remote
   * members answer partial states, the evaluator runs the whole expression here).
   */
  private async sampleSource(opts: ExecOptions & { signal?: AbortSignal }, needs?: ReadonlyMap<MatrixSelector, RangeNeeds>): Promise<LogSampleSource & { readonly stats: QueryStats }> {
    const { StoreSampleSource } = await loadMetrics();
    const withEnv = <T>(fn: (env: ExecEnv) => Promise<T>) => this.withEnv(fn);
    if (this.remotes.length === 0) return new StoreSampleSource(this.source, withEnv, opts, needs);
    const { MemberSampleSource } = await import('./exec/member-source.js');
    return new MemberSampleSource({
      local: isStoreSet(this.source) ? new StoreSampleSource(this.source, withEnv, opts, needs) : null,
      localClusters: this.localClusters,
      remotes: this.remotes,
      onMemberError: this.onMemberError,
      ...(needs ? { needs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /**
   * A sample source over this store for callers that run the metric evaluator themselves
   * (`evaluateMetricQuery`): the ruler evaluates all rules of a group through one source so
   * that rules reading the same log range at the same instant share one scan. Every label
   * is read (no per-query narrowing), so any query may use it. Over a store set with remote
   * members it reads them too (their statistics per member in `stats.members`).
   */
  async metricSource(opts: ExecOptions = {}): Promise<LogSampleSource & { readonly stats: QueryStats }> {
    return this.sampleSource(opts);
  }

  /**
   * The partial states of one range aggregation of a metric query over this store, read as
   * cluster `cluster` of a store set: what `letheql serve` answers a store set that has it as
   * a remote member (`POST /letheql/v1/partials`, `exec/member-source.ts`). The `cluster`
   * label enters the series before the pipeline, and file paths in the statistics are
   * `cluster:path`, exactly as when the set opens this store as a local member. Throws
   * `NOT_SUPPORTED` when this store is itself a store set (sets do not nest), and
   * `INVALID_OPTION` for a bad cluster name.
   */
  async metricPartials(
    cluster: string,
    range: LogRange,
    request: Omit<BucketRequest, 'range'> | Omit<SampleRequest, 'range'>,
    needs: RangeNeeds,
    opts: ExecOptions = {},
  ): Promise<{ kind: 'buckets'; series: BucketSeries[]; stats: QueryStats } | { kind: 'samples'; series: SampleSeries[]; stats: QueryStats }> {
    if (isStoreSet(this.source) || this.remotes.length > 0) throw new LetheQLError('NOT_SUPPORTED', 'not supported: this store is a store set, and a store set cannot be a member of another store set');
    const set = new FederatedChunkSource([[cluster, this.source]]);
    const { StoreSampleSource } = await loadMetrics();
    const source = new StoreSampleSource(set, (fn) => this.withEnv((env) => fn({ ...env, source: set })), opts, new Map([[range, needs]]));
    source.describe(range);
    if (request.kind === 'buckets') return { kind: 'buckets', series: await source.buckets({ ...request, range }), stats: source.stats };
    return { kind: 'samples', series: await source.samples({ ...request, range }), stats: source.stats };
  }

  /**
   * Runs a log query and returns an Arrow table ordered by time (`direction`), ties in
   * store order, at most `limit` rows. Statistics are in the schema metadata: {@link getStats}
   * ({@link result} returns them as an object).
   *
   * @example
   * const table = await store.query('pod{namespace="shop"} |= "error"', { since: '1h', limit: 100 });
   * for (const row of table) console.log(row.time, row.pod, row.line);
   */
  async query(query: string | Expr, opts: QueryOptions = {}): Promise<Table> {
    return (await this.result(query, opts)).table;
  }

  /**
   * {@link query}, with the statistics as an object beside the table (no JSON round trip
   * through the schema metadata, which still carries them for {@link getStats}).
   */
  async result(query: string | Expr, opts: QueryOptions = {}): Promise<{ table: Table; stats: QueryStats }> {
    const expr = await toExpr(query);
    if (isMetricQuery(expr)) {
      // The contract's long table: one column per series label, then time and value.
      const { result, stats } = await this.queryMetric(expr, opts);
      const { metricTable } = await import('./metrics/arrow.js');
      return { table: metricTable(result, statsMetadata(stats)), stats };
    }
    if (this.remotes.length > 0) return this.memberResult(expr, opts);
    const plan = await this.explain(expr, opts);
    if (opts.context !== undefined) return this.queryWithContext(expr, plan, opts, opts.context);
    return this.run(plan, opts);
  }

  /**
   * {@link result} over a store set with remote members: the local members run as one plan,
   * each selected remote member gets the query without its `cluster` matchers, and the
   * answers merge in the set's result order (`exec/member-merge.ts`).
   */
  private async memberResult(expr: Expr, opts: LogQueryOptions): Promise<{ table: Table; stats: QueryStats }> {
    const started = performance.now();
    if (opts.context !== undefined) throw new LetheQLError('NOT_SUPPORTED', 'not supported yet: context lines over a store set with remote members');
    const logical = toLogicalLogQuery(expr, true);
    const selects = nameFilter(logical.selector.matchers.filter((m) => m.name === CLUSTER_LABEL));
    const { startNs, endNs, limit, direction } = resolveOptions(opts);
    const remoteQuery = printQuery({ ...logical.selector, matchers: logical.selector.matchers.filter((m) => m.name !== CLUSTER_LABEL) });
    const { rowsFromTable, backwardOrder, mergeMemberRows, memberPartsStats, clusterStatsPaths } = await import('./exec/member-merge.js');
    const parts = await this.memberParts<LogRow[]>(
      selects,
      async () => {
        const plan = await this.explain(expr, opts);
        return this.withEnv((env) => collectRows(plan, env, opts));
      },
      async (m) => {
        const { table, stats } = await m.queryLogs({ query: remoteQuery, startNs, endNs, limit, direction, ...(opts.signal ? { signal: opts.signal } : {}) });
        const rows = rowsFromTable(table, logical.logType, m.cluster);
        return { rows: limit === null && direction === 'backward' ? backwardOrder(rows) : rows, stats: clusterStatsPaths(stats, m.cluster) };
      },
      [],
    );
    const order = this.clusters!;
    const merged = mergeMemberRows(
      parts.map((p) => p.value),
      order,
      direction,
      limit,
    );
    const stats = memberPartsStats(parts, order);
    stats.rowsReturned = merged.rows.length;
    stats.truncated ||= merged.dropped;
    stats.elapsedMs = Math.round((performance.now() - started) * 1000) / 1000;
    const { buildTable, parsedLabelNames } = await loadArrow();
    const shape: ResultShape = { cluster: true, parsed: logical.selector.pipeline.length > 0 ? parsedLabelNames(merged.rows) : [] };
    return { table: buildTable(logical.logType, merged.rows, opts.batchSize ?? 8192, statsMetadata(stats), shape), stats };
  }

  /**
   * The parts of a store set's answer when some members are remote, in cluster order: the
   * local members the query's `cluster` matchers select (`selects`) as one part (`local`),
   * and each selected remote member (`remote`). A remote member that fails fails the query
   * (`REMOTE_ERROR` naming it), or with `onMemberError: 'warn'` is a part with `empty`, no
   * statistics and its error.
   */
  private async memberParts<T>(
    selects: (cluster: string) => boolean,
    local: () => Promise<{ rows: T; stats: QueryStats } | { count: T; stats: QueryStats }>,
    remote: (m: RemoteMember) => Promise<{ rows: T; stats: QueryStats } | { count: T; stats: QueryStats }>,
    empty: T,
  ): Promise<(MemberPart & { value: T })[]> {
    const valueOf = (a: { rows: T } | { count: T }): T => ('rows' in a ? a.rows : a.count);
    const localSelected = this.localClusters.filter(selects);
    const localPart = async (): Promise<MemberPart & { value: T }> => {
      const a = await local();
      return { clusters: localSelected, url: null, value: valueOf(a), stats: a.stats };
    };
    const remotePart = async (m: RemoteMember): Promise<MemberPart & { value: T }> => {
      try {
        const a = await remote(m);
        return { clusters: [m.cluster], url: m.url, value: valueOf(a), stats: a.stats };
      } catch (e) {
        if (this.onMemberError !== 'warn' || !(e instanceof LetheQLError) || e.code !== 'REMOTE_ERROR') throw e;
        return { clusters: [m.cluster], url: m.url, value: empty, stats: null, error: e.message };
      }
    };
    const parts = await Promise.all([...(localSelected.length > 0 ? [localPart()] : []), ...this.remotes.filter((m) => selects(m.cluster)).map(remotePart)]);
    const order = this.clusters!;
    return parts.sort((a, b) => order.indexOf(a.clusters[0]!) - order.indexOf(b.clusters[0]!));
  }

  /**
   * Runs a log plan made by {@link explain}, so that a caller who checks the plan first (a
   * byte budget, the files it reads) plans once. The window, limit and direction are the
   * plan's; `opts` gives the execution options (`signal`, budgets, `batchSize`).
   *
   * @example
   * const plan = await store.explain(q, { since: '1h' });
   * if (plan.files.length > 0) console.log((await store.run(plan)).stats.linesMatched);
   */
  async run(plan: LogQueryPlan, opts: LogQueryOptions = {}): Promise<{ table: Table; stats: QueryStats }> {
    if (opts.context !== undefined) throw new LetheQLError('INVALID_OPTION', 'context lines need the query, not a plan: use query() or result()');
    this.refuseRemote('running a plan (run())');
    const { rows, stats } = await this.withEnv((env) => collectRows(plan, env, opts));
    const { buildTable, parsedLabelNames } = await loadArrow();
    return { table: buildTable(plan.logType, rows, opts.batchSize ?? 8192, statsMetadata(stats), resultShape(plan, rows, parsedLabelNames)), stats };
  }

  /** {@link result} with `context` (see `exec/context.ts`). */
  private async queryWithContext(expr: Expr, plan: LogQueryPlan, opts: LogQueryOptions, context: ContextOptions): Promise<{ table: Table; stats: QueryStats }> {
    const around = checkContext(context);
    const sel = unparen(expr);
    if (sel.kind !== 'VectorSelector') throw new LetheQLError('INVALID_OPTION', 'context lines need a log query (a selector with filters), not a range');
    // The selector alone (no filters, no pipeline, no limit): every line of the same streams.
    const all = await this.explain({ ...sel, lineFilters: [], pipeline: [] }, { ...windowOf(opts), direction: opts.direction });
    const { rows, stats } = await this.withEnv(async (env) => {
      const { kept, stats } = await collectKeyed(plan, env, opts);
      const rows = await addContext(plan, all, kept, around, (visit) => visitMatches(all, env, opts, visit));
      return { rows, stats };
    });
    const { buildTable, parsedLabelNames } = await loadArrow();
    const logRows = rows.map((r) => ({ ...r.row, context: { isContext: r.isContext, group: r.group } }));
    const shape = { ...resultShape(plan, logRows, parsedLabelNames), context: true };
    return { table: buildTable(plan.logType, logRows, opts.batchSize ?? 8192, statsMetadata(stats), shape), stats };
  }

  /**
   * Runs a log query and yields record batches in result order.
   *
   * @example
   * const s = store.stream('node{node="node-a"} |= "OOM"', { start, end });
   * for await (const batch of s) render(batch);
   * console.log((await s.stats).linesScanned);
   */
  stream(query: string | Expr, opts: LogQueryOptions = {}): QueryStream {
    let resolveStats!: (s: QueryStats) => void;
    let rejectStats!: (e: unknown) => void;
    const stats = new Promise<QueryStats>((res, rej) => {
      resolveStats = res;
      rejectStats = rej;
    });
    // Callers that only iterate must not see an unhandled rejection from `stats`.
    stats.catch(() => undefined);
    const self = this;
    async function* batches(): AsyncGenerator<RecordBatch> {
      try {
        if (opts.context !== undefined) throw new LetheQLError('INVALID_OPTION', 'context lines are returned by query(), not stream()');
        if (self.remotes.length > 0) {
          // Remote members answer whole tables; the merged table's batches are the stream.
          const { table, stats: s } = await self.result(query, opts);
          resolveStats(s);
          yield* table.batches;
          return;
        }
        const plan = await self.explain(query, opts);
        const result = await self.withEnv((env) => collectRows(plan, env, opts));
        resolveStats(result.stats);
        const { recordBatches, logSchema, parsedLabelNames } = await loadArrow();
        yield* recordBatches(plan.logType, result.rows, opts.batchSize ?? 8192, logSchema(plan.logType, undefined, resultShape(plan, result.rows, parsedLabelNames)));
      } catch (e) {
        rejectStats(e);
        throw e;
      }
    }
    return { stats, [Symbol.asyncIterator]: () => batches() };
  }

  /**
   * Counts the lines a log query matches without materialising rows. It takes the window and
   * the budgets ({@link ScanOptions}) only: a count has no `limit` or `direction` (a JavaScript
   * caller's are ignored).
   */
  async count(query: string | Expr, opts: ScanOptions = {}): Promise<{ count: number; stats: QueryStats }> {
    if (this.remotes.length > 0) return this.memberCount(await toExpr(query), opts);
    const plan = await this.explain(query, windowOf(opts));
    return this.withEnv((env) => countLines(plan, env, opts));
  }

  /**
   * {@link count} over a store set with remote members: a count adds up across members (a
   * line lives in one). The local members count as one plan; each remote member the query's
   * `cluster` matchers select counts the whole query over its store read as its cluster
   * (`POST /letheql/v1/count`), so `cluster` matchers and labels behave as for a local member.
   */
  private async memberCount(expr: Expr, opts: ScanOptions): Promise<{ count: number; stats: QueryStats }> {
    const started = performance.now();
    const logical = toLogicalLogQuery(expr, true);
    const selects = nameFilter(logical.selector.matchers.filter((m) => m.name === CLUSTER_LABEL));
    const { startNs, endNs } = resolveWindow(opts);
    const text = printQuery(expr);
    const { memberPartsStats } = await import('./exec/member-merge.js');
    const parts = await this.memberParts<number>(
      selects,
      async () => {
        const plan = await this.explain(expr, windowOf(opts));
        return this.withEnv((env) => countLines(plan, env, opts));
      },
      (m) => m.count({ query: text, startNs, endNs, ...(opts.signal ? { signal: opts.signal } : {}) }),
      0,
    );
    const stats = memberPartsStats(parts, this.clusters!);
    const count = parts.reduce((n, p) => n + p.value, 0);
    stats.elapsedMs = Math.round((performance.now() - started) * 1000) / 1000;
    return { count, stats };
  }

  /**
   * The count of a log query over this store, read as cluster `cluster` of a store set: what
   * `letheql serve` answers a store set that has it as a remote member
   * (`POST /letheql/v1/count`). The `cluster` label and matchers behave, and file paths in the
   * statistics are `cluster:path`, exactly as when the set opens this store as a local
   * member. Throws `NOT_SUPPORTED` when this store is itself a store set (sets do not nest),
   * and `INVALID_OPTION` for a bad cluster name.
   */
  async countAsMember(cluster: string, query: string | Expr, opts: ScanOptions = {}): Promise<{ count: number; stats: QueryStats }> {
    if (isStoreSet(this.source) || this.remotes.length > 0) throw new LetheQLError('NOT_SUPPORTED', 'not supported: this store is a store set, and a store set cannot be a member of another store set');
    const set = new FederatedChunkSource([[cluster, this.source]]);
    const plan = await planLogQuery(await toExpr(query), windowOf(opts), set);
    return this.withEnv((env) => countLines(plan, { ...env, source: set }, opts));
  }

  /**
   * The store's targets per log type (directory names), sorted. Over a store set: the union
   * over clusters — every name a target matcher can select somewhere ({@link targetsByCluster}
   * says where).
   */
  async targets(): Promise<StoreTargets> {
    if (this.remotes.length > 0) {
      const per = Object.values((await this.targetsByCluster())!);
      const out = {} as StoreTargets;
      for (const t of Object.keys(LOG_TYPES) as LogType[]) out[t] = [...new Set(per.flatMap((x) => x[t]))].sort(compareNames);
      return out;
    }
    return targetsOf(this.source);
  }

  /** The cluster names of a store set, sorted (store order), remote members included; null for a plain store. */
  get clusters(): readonly string[] | null {
    if (this.remotes.length > 0) return [...this.localClusters, ...this.remotes.map((r) => r.cluster)].sort(compareNames);
    return isStoreSet(this.source) ? this.source.clusters : null;
  }

  /**
   * The targets of each cluster of a store set, keyed by cluster name in cluster order, or
   * null for a plain store.
   *
   * @example
   * await set.targetsByCluster(); // { 'cluster-a': { pod: ['shop'], node: ['node-a'] }, 'cluster-b': { pod: ['shop', 'web'], node: [] } }
   */
  async targetsByCluster(): Promise<Record<string, StoreTargets> | null> {
    if (!isStoreSet(this.source) && this.remotes.length === 0) return null;
    // Remote members list theirs over HTTP (`GET /api/v1/metadata`); a member that fails fails this.
    const members: { cluster: string; targets: () => Promise<StoreTargets> }[] = [
      ...(isStoreSet(this.source) ? this.source.members.map((m) => ({ cluster: m.cluster, targets: () => targetsOf(m.source) })) : []),
      ...this.remotes.map((r) => ({ cluster: r.cluster, targets: () => r.targets() })),
    ];
    members.sort((a, b) => compareNames(a.cluster, b.cluster));
    const per = await Promise.all(members.map((m) => m.targets()));
    const out: Record<string, StoreTargets> = {};
    members.forEach((m, i) => (out[m.cluster] = per[i]!));
    return out;
  }

  /** Runs `fn` with an execution environment and a kernel of its own (concurrent queries each get one), then keeps the kernel for the next query. */
  private async withEnv<T>(fn: (env: ExecEnv) => Promise<T>): Promise<T> {
    const kernel = this.idleKernels.pop() ?? (await Kernel.load());
    try {
      return await fn({ source: this.source, kernel, pool: this.pool });
    } finally {
      if (this.idleKernels.length < MAX_IDLE_KERNELS && kernel.exports.memory.buffer.byteLength <= MAX_IDLE_KERNEL_BYTES) this.idleKernels.push(kernel);
    }
  }
}

/**
 * A store set built from any chunk sources, one per cluster (platform-neutral: in-memory or
 * `Blob` stores in a browser, filesystem stores in Node). Throws `INVALID_OPTION` like
 * {@link FederatedChunkSource}'s constructor.
 *
 * @example
 * const set = openStoreSetFromSources({ 'cluster-a': MemoryChunkSource.fromRecord(a), 'cluster-b': MemoryChunkSource.fromRecord(b) });
 */
export function openStoreSetFromSources(sources: Readonly<Record<string, ChunkSource>>, options: LogStoreOptions = {}): LogStore {
  return new LogStore(new FederatedChunkSource(sources), options);
}

async function targetsOf(source: ChunkSource): Promise<StoreTargets> {
  const out = {} as StoreTargets;
  for (const t of Object.keys(LOG_TYPES) as LogType[]) out[t] = await source.listTargets(t);
  return out;
}

export { formatPlan };

/** Evaluation times of a metric query from the options: `[start, end]` by `step`, or the instant `end`. */
function metricTimes(opts: MetricQueryOptions): EvalTimes {
  const r = resolveWindow(opts);
  if (opts.step === undefined) return { startNs: r.endNs, endNs: r.endNs, stepNs: 0n };
  const stepNs = typeof opts.step === 'bigint' ? opts.step : parseDuration(opts.step, 'step');
  if (stepNs <= 0n) throw new LetheQLError('INVALID_OPTION', 'invalid step: must be a positive duration');
  return { startNs: r.startNs, endNs: r.endNs, stepNs };
}

