/**
 * Running one query for an HTTP request: the one place both dialects call, whatever the
 * query is.
 *
 * `runQuery()` answers either log rows (an Arrow table from `LogStore.run`, the plan made once) or a metric
 * result. Log queries run here completely. Metric queries go to a {@link MetricEvaluator}
 * when the server was given one (the metric-queries issue plugs its evaluator in there, and
 * the dialects already render `vector`/`matrix`/`scalar` results); without one, the planner
 * is asked to plan the query, which rejects it with its own `NOT_SUPPORTED` message and span
 * (400 `bad_data`).
 *
 * Limits applied here, in this order: a slot from the {@link QueryLimiter} (queue, then 429);
 * the plan's total file size against `maxBytesScanned` (422, before a byte is read); the
 * request's signal (timeout → 503, client gone → cancelled) raced against the engine, so the
 * answer never waits for a scan that has not yet noticed the abort; `maxSeries` on metric
 * results (422). The caller sets the line limit (dialects differ: see the route modules).
 * The engine enforces the per-query budgets itself ({@link engineBudgets}: the config's
 * `maxTemplateBytes`, `maxBytesReturned`, `maxSamples`, `maxSeries`, `maxBytesScanned`,
 * passed under the same names as the library's `LogQueryOptions` and `MetricQueryOptions`), so the CLI and the library stop a
 * runaway query the same way; its `LimitError`s become 422 naming the limit.
 */
import type { Table } from 'apache-arrow';
import type { LogStore } from '../api.js';
import type { QueryStats } from '../exec/stats.js';
import type { Direction } from '../plan/plan.js';
import type { Expr } from '../query/ast.js';
import type { ServerLimits } from './config.js';
import { badData, limitError } from './errors.js';
import type { QueryLimiter } from './limits.js';
import type { ServerMetrics } from './metrics.js';
import { isMetricQuery } from '../query/shape.js';

/**
 * A metric result: series (labels, samples `[ns, value]` in time order) in the order to
 * answer them. `vector` and `scalar` series hold one sample (a scalar: one unlabelled
 * series). The same plain shape as the metric evaluator's own result type, so it plugs in
 * without conversion.
 */
export interface MetricResult {
  resultType: 'vector' | 'matrix' | 'scalar';
  series: { labels: Readonly<Record<string, string>>; samples: [timeNs: bigint, value: number][] }[];
}

/** When a query is evaluated: at one instant, or at `start, start+step, …, end`. */
export type Evaluation = { kind: 'instant'; timeNs: bigint } | { kind: 'range'; startNs: bigint; endNs: bigint; stepNs: bigint | null };

/** What a metric evaluator is given. */
export interface MetricQuery {
  expr: Expr;
  evaluation: Evaluation;
  signal: AbortSignal;
  /** The engine's per-query budgets from the server config (same names as the library's `LogQueryOptions`/`MetricQueryOptions`). */
  budgets?: EngineBudgets;
}

/** The server limits that the engine enforces itself, under the names of `LogQueryOptions`/`MetricQueryOptions` (null limits: `Infinity`). */
export interface EngineBudgets {
  maxTemplateBytes: number;
  maxBytesReturned: number;
  maxSamples: number;
  maxSeries: number;
  maxBytesScanned: number;
}

/** {@link EngineBudgets} from the server's limits. */
export function engineBudgets(limits: ServerLimits): EngineBudgets {
  return {
    maxTemplateBytes: limits.maxTemplateBytes,
    maxBytesReturned: limits.maxBytesReturned ?? Infinity,
    maxSamples: limits.maxSamples ?? Infinity,
    maxSeries: limits.maxSeries ?? Infinity,
    maxBytesScanned: limits.maxBytesScanned ?? Infinity,
  };
}

/**
 * Evaluates a metric query over a store. Throw `QueryError`s for what it cannot evaluate;
 * resolve with statistics when it scanned the store.
 */
export type MetricEvaluator = (store: LogStore, query: MetricQuery) => Promise<{ result: MetricResult; stats?: QueryStats }>;

/** Everything a query needs from the server. */
export interface QueryContext {
  store: LogStore;
  limits: ServerLimits;
  limiter: QueryLimiter;
  metrics: ServerMetrics;
  metricEvaluator?: MetricEvaluator;
}

/** One query, as a route hands it over. */
export interface QueryRequest {
  expr: Expr;
  evaluation: Evaluation;
  /** The inclusive window a log query reads; null where the dialect takes no log queries (Loki instant queries). */
  logWindow: { startNs: bigint; endNs: bigint } | null;
  /** Lines at most (log queries); null: no limit. */
  limit: number | null;
  direction: Direction;
  signal: AbortSignal;
}

/** What a query produced. `queueMs`: time spent waiting for a slot. */
export type QueryOutcome =
  | { kind: 'logs'; table: Table; stats: QueryStats; queueMs: number }
  | { kind: 'metric'; result: MetricResult; stats: QueryStats | null; queueMs: number };


/** Loki's words (Loki 3 refuses log queries at `/loki/api/v1/query` the same way). */
export const INSTANT_LOG_QUERY_MESSAGE = 'log queries are not supported as an instant query type, please change your query to a range query type';

/** Resolves with `p`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Takes a slot, runs `work` with the request's signal, and gives the slot back when the
 * work has really settled (see `limits.ts`).
 */
export async function withSlot<T>(ctx: QueryContext, signal: AbortSignal, work: () => Promise<T>): Promise<{ value: T; queueMs: number }> {
  const queuedAt = performance.now();
  const release = await ctx.limiter.acquire(signal);
  const queueMs = performance.now() - queuedAt;
  let running: Promise<T>;
  try {
    running = work();
  } catch (e) {
    release();
    throw e;
  }
  running.then(release, release);
  return { value: await untilAborted(running, signal), queueMs };
}

/** Refuses a plan whose files add up to more than `maxBytesScanned`. */
export function checkBytes(ctx: QueryContext, plannedBytes: number): void {
  const max = ctx.limits.maxBytesScanned;
  if (max !== null && plannedBytes > max) {
    throw limitError(
      422,
      'maxBytesScanned',
      `the query would scan ${plannedBytes} bytes of store files, more than the limit maxBytesScanned=${max}; narrow the time range or the targets`,
    );
  }
}

/** Adds a query's statistics to the server's counters. */
export function recordStats(ctx: QueryContext, stats: QueryStats): void {
  ctx.metrics.bytesScanned.inc({}, stats.bytesScanned);
  ctx.metrics.linesScanned.inc({}, stats.linesScanned);
  ctx.metrics.linesReturned.inc({}, stats.rowsReturned);
  ctx.metrics.filesRead.inc({}, stats.filesRead);
}


/** Refuses an answer with more than `maxSeries` series. */
export function checkSeries(ctx: QueryContext, count: number, what = 'series'): void {
  const max = ctx.limits.maxSeries;
  if (max !== null && count > max) {
    throw limitError(422, 'maxSeries', `the query matched ${count} ${what}, more than the limit maxSeries=${max}; add label matchers to select fewer`);
  }
}

/** Runs one query (see the module note). */
export async function runQuery(ctx: QueryContext, req: QueryRequest): Promise<QueryOutcome> {
  const { store } = ctx;
  if (!isMetricQuery(req.expr)) {
    if (req.logWindow === null) throw badData(INSTANT_LOG_QUERY_MESSAGE);
    const opts = { start: req.logWindow.startNs, end: req.logWindow.endNs, limit: req.limit, direction: req.direction };
    const { value, queueMs } = await withSlot(ctx, req.signal, async () => {
      // A store set with remote members: each member checks its own byte budget; the local
      // members' plan is made and checked inside `result()`'s local part by the engine.
      if (store.remotes.length > 0) return store.result(req.expr, { ...opts, ...engineBudgets(ctx.limits), signal: req.signal });
      const plan = await store.explain(req.expr, opts);
      checkBytes(ctx, plan.files.reduce((a, f) => a + f.size, 0));
      req.signal.throwIfAborted();
      return store.run(plan, { ...engineBudgets(ctx.limits), signal: req.signal });
    });
    const { table, stats } = value;
    recordStats(ctx, stats);
    return { kind: 'logs', table, stats, queueMs };
  }
  if (ctx.metricEvaluator === undefined) {
    // The planner names the construct it cannot evaluate yet (QueryError NOT_SUPPORTED, with a span).
    await store.explain(req.expr, { start: 0n, end: 0n });
    throw badData('not supported yet: metric queries');
  }
  const evaluate = ctx.metricEvaluator;
  const { value, queueMs } = await withSlot(ctx, req.signal, () => evaluate(store, { expr: req.expr, evaluation: req.evaluation, signal: req.signal, budgets: engineBudgets(ctx.limits) }));
  checkSeries(ctx, value.result.series.length);
  if (value.stats) recordStats(ctx, value.stats);
  return { kind: 'metric', result: value.result, stats: value.stats ?? null, queueMs };
}

/** Loki's default step for a range query without one: (end − start) / 250, at least 1 s. */
export function defaultStepNs(startNs: bigint, endNs: bigint): bigint {
  const s = (endNs - startNs) / 250n / 1_000_000_000n;
  return (s < 1n ? 1n : s) * 1_000_000_000n;
}

/** The engine's own metric evaluation (`LogStore.queryMetric`), the server's default evaluator. */
export const storeMetricEvaluator: MetricEvaluator = async (store, q) => {
  const e = q.evaluation;
  const budgets = q.budgets ?? {};
  const opts =
    e.kind === 'instant'
      ? { end: e.timeNs, signal: q.signal, ...budgets }
      : { start: e.startNs, end: e.endNs, step: e.stepNs ?? defaultStepNs(e.startNs, e.endNs), signal: q.signal, ...budgets };
  return store.queryMetric(q.expr, opts);
};
