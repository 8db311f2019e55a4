/**
 * The metric-query evaluator: compiles a LetheQL (PromQL/LogQL) expression against the
 * evaluation times, asks a {@link LogSampleSource} for what its range aggregations need,
 * then evaluates step by step and assembles the result.
 *
 * ## Phases
 * 1. **Plan** ({@link planMetricQuery}): type-check and compile the tree (every misuse is a
 *    `QueryError` with a span, before any I/O); each range aggregation plans its windows
 *    and registers one request. The plan lists the requests (plain data) so an executor
 *    can see the whole query's reads before serving them.
 * 2. **Read** ({@link MetricQueryPlan.execute}): the requests go to the source
 *    concurrently.
 * 3. **Evaluate**: for each step `t_k` the root answers an instant vector or a scalar; an
 *    instant query becomes a `vector` (or `scalar`), a range query a `matrix` whose series
 *    gather their samples across steps. Output order is deterministic: series by labels,
 *    except an instant query whose outermost call is `sort`/`sort_desc`.
 *
 * ## Limits
 * `maxSeries` caps the result's series (Loki's `max_query_series`, default 500); a query
 * that would return more fails with {@link SeriesLimitError} naming the limit. `maxPoints`
 * caps the steps (11,000, as Prometheus and Loki).
 */
import { LetheQLError, LimitError, type Span } from '../errors.js';
import type { Call, Expr } from '../query/ast.js';
import { getFunction, type ValueType } from '../query/functions.js';
import { printQuery } from '../query/tree.js';
import { isMetricQuery } from '../query/shape.js';
import { DEFAULT_MAX_SERIES, SeriesLimitError } from './limits.js';
import { compileAggregation } from './aggregations.js';
import { compileBinary } from './binary.js';
import { compileInstantFunction, INSTANT_FUNCTIONS } from './functions.js';
import { DEFAULT_MAX_POINTS, stepTimes, type EvalTimes } from './grid.js';
import { compareLabels, SeriesTable, type Series } from './labels.js';
import { assertUniqueSeries, constantScalar, nameDropper, queryError, typeName, type EvalNode, type ScalarNode, type VectorNode } from './nodes.js';
import { compileRangeAggregation, isRangeFunction, type RangeCompileContext } from './range-node.js';
import type { MetricResult, MetricSample } from './result.js';
import type { BucketRequest, BucketSeries, LogSampleSource, SampleRequest, SampleSeries } from './source.js';
import { unparen } from '../query/shape.js';

// Here for the evaluator's importers; they live apart so that front ends need not load the evaluator.
export { DEFAULT_MAX_SERIES, SeriesLimitError } from './limits.js';
export { isMetricQuery } from '../query/shape.js';

/**
 * Default `maxSamples`: a million samples (series × points) in a result, ~100 MB as the
 * evaluator holds them; 500 series × 2,000 steps fit. Past it a query fails with a
 * `LimitError` naming `maxSamples`, as soon as the count passes it.
 */
export const DEFAULT_MAX_SAMPLES = 1_000_000;

function samplesExceeded(max: number): never {
  throw new LimitError('maxSamples', max, `the query's result is too large: more than ${max} samples (series × points), over the limit maxSamples=${max}; use a larger step, a shorter range or fewer series`);
}

/**
 * The evaluator's own limits and cancellation (the times are {@link EvalTimes}). The library's
 * `MetricQueryOptions` (`api.ts`) is what a caller of `queryMetric` gives; it passes these on.
 */
export interface MetricEvalOptions {
  /** Most series a result may have (default {@link DEFAULT_MAX_SERIES}; `Infinity` for none). */
  maxSeries?: number;
  /** Most steps of a range query (default 11,000). */
  maxPoints?: number;
  /** Most samples (series × points) in a result (default {@link DEFAULT_MAX_SAMPLES}; `Infinity` for none). */
  maxSamples?: number;
  /** Aborts evaluation between steps (reading is the source's business). */
  signal?: AbortSignal;
}

/** A compiled query and the reads it needs. */
export interface MetricQueryPlan {
  /** One per range aggregation, in query order. */
  readonly requests: readonly (BucketRequest | SampleRequest)[];
  /** Sends the requests to the source, evaluates every step, assembles the result. */
  execute(): Promise<MetricResult>;
}

/** Functions of `src/query/functions.ts` that need Prometheus samples or histograms, not logs. */
const UNSUPPORTED_HINT: Record<string, string> = {
  irate: 'LogQL has no counters: use rate (lines per second)',
  increase: 'LogQL has no counters: use count_over_time',
  delta: 'use sum_over_time/avg_over_time over an unwrapped range',
  idelta: 'use last_over_time over an unwrapped range',
  deriv: 'not available for logs',
  predict_linear: 'not available for logs',
  changes: 'not available for logs',
  resets: 'not available for logs',
  holt_winters: 'not available for logs',
  double_exponential_smoothing: 'not available for logs',
};

export function planMetricQuery(expr: Expr, times: EvalTimes, source: LogSampleSource, options: MetricEvalOptions = {}): MetricQueryPlan {
  const stepTimesNs = stepTimes(times, options.maxPoints ?? DEFAULT_MAX_POINTS);
  const table = new SeriesTable();
  const requests: (BucketRequest | SampleRequest)[] = [];
  const loads: (() => Promise<void>)[] = [];
  const ctx: RangeCompileContext = {
    table,
    stepTimesNs,
    startNs: times.startNs,
    endNs: times.endNs,
    source,
    compile: (e) => compileExpr(e, ctx),
    addRequest(request, load) {
      requests.push(request);
      loads.push(async () => {
        if (request.kind === 'buckets') (load as (a: BucketSeries[]) => void)(await source.buckets(request));
        else (load as (a: SampleSeries[]) => void)(await source.samples(request as SampleRequest));
      });
    },
  };
  if (!isMetricQuery(expr)) {
    throw queryError('INVALID_EXPRESSION', 'a log query is not a metric query: aggregate it, e.g. count_over_time(… [5m])', expr.span);
  }
  const root = compileExpr(expr, ctx);
  if (root.kind === 'string') throw queryError('NOT_SUPPORTED', 'a string is not a metric query', expr.span);
  const instant = times.stepNs === 0n;
  return {
    requests,
    async execute() {
      await Promise.all(loads.map((load) => load()));
      return assemble(root, expr, stepTimesNs, instant, options);
    },
  };
}

/** Plans and executes in one call. */
export async function evaluateMetricQuery(expr: Expr, times: EvalTimes, source: LogSampleSource, options: MetricEvalOptions = {}): Promise<MetricResult> {
  return planMetricQuery(expr, times, source, options).execute();
}

function compileExpr(expr: Expr, ctx: RangeCompileContext): EvalNode {
  switch (expr.kind) {
    case 'ParenExpr':
      return ctx.compile(expr.expr);
    case 'NumberLiteral':
      return constantScalar(expr.value);
    case 'StringLiteral':
      return { kind: 'string', value: expr.value };
    case 'UnaryExpr': {
      const inner = ctx.compile(expr.expr);
      if (inner.kind === 'string') throw queryError('INVALID_EXPRESSION', 'unary expression only allowed on expressions of type scalar or instant vector', expr.span);
      if (expr.op === '+') return inner;
      if (inner.kind === 'scalar') return { kind: 'scalar', at: (k) => -inner.at(k) };
      const dropName = nameDropper(ctx.table);
      return { kind: 'vector', at: (k) => inner.at(k).map((s) => ({ series: dropName(s.series), value: -s.value })) };
    }
    case 'BinaryExpr':
      return compileBinary(expr, ctx);
    case 'AggregateExpr':
      return compileAggregation(expr, ctx);
    case 'Call':
      return compileCall(expr, ctx);
    case 'VectorSelector':
      throw queryError(
        'INVALID_EXPRESSION',
        `a log query cannot be used as a metric: aggregate it over a range, e.g. count_over_time(${printQuery(expr)} [5m])`,
        expr.span,
      );
    case 'MatrixSelector':
      throw queryError('INVALID_EXPRESSION', 'a range of logs must be the argument of a range aggregation such as count_over_time or rate', expr.span);
    case 'SubqueryExpr':
      throw queryError('NOT_SUPPORTED', 'subqueries are not supported', expr.span);
    default: {
      // A node kind this evaluator does not know (the grammar grows faster than the evaluator).
      const unknown = expr as { kind: string; span: Span };
      throw queryError('NOT_SUPPORTED', `${unknown.kind} is not supported in a metric query`, unknown.span);
    }
  }
}

function expectedKind(type: ValueType): EvalNode['kind'] | 'range vector' {
  return type === 'matrix' ? 'range vector' : type;
}

function compileCall(call: Call, ctx: RangeCompileContext): EvalNode {
  const name = call.func;
  if (isRangeFunction(name)) return compileRangeAggregation(call, ctx);
  if (!INSTANT_FUNCTIONS.has(name)) {
    const hint = UNSUPPORTED_HINT[name] ?? (name.startsWith('histogram_') ? 'logs have no histograms' : 'not available for logs');
    throw queryError('NOT_SUPPORTED', `function ${name} is not supported in metric queries over logs (${hint})`, call.span);
  }
  if ((call.grouping ?? null) !== null && name !== 'sort' && name !== 'sort_desc') {
    throw queryError('INVALID_EXPRESSION', `grouping not allowed for ${name}`, call.span);
  }
  const signature = getFunction(name);
  if (signature === undefined) throw queryError('NOT_SUPPORTED', `unknown function ${name}`, call.span);
  const args = call.args.map((argExpr, i) => {
    const expected = expectedKind(signature.argTypes[Math.min(i, signature.argTypes.length - 1)]!);
    const node = ctx.compile(argExpr);
    if (node.kind !== expected) {
      const wanted = expected === 'vector' ? 'instant vector' : expected;
      throw queryError('INVALID_EXPRESSION', `expected type ${wanted} in call to function "${name}", got ${typeName(node)}`, argExpr.span);
    }
    return node;
  });
  return compileInstantFunction(call, args, ctx);
}

/** Does the query end in `sort(…)`/`sort_desc(…)` (then an instant result keeps its order)? */
function keepsOrder(expr: Expr): boolean {
  const e = unparen(expr);
  return e.kind === 'Call' && (e.func === 'sort' || e.func === 'sort_desc');
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LetheQLError('ABORTED', 'the query was aborted');
}

function assemble(root: ScalarNode | VectorNode, expr: Expr, stepTimesNs: readonly bigint[], instant: boolean, options: MetricEvalOptions): MetricResult {
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  const maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
  if (root.kind === 'scalar') {
    if (stepTimesNs.length > maxSamples) samplesExceeded(maxSamples);
    const samples: MetricSample[] = stepTimesNs.map((t, k) => [t, root.at(k)]);
    return instant ? { resultType: 'scalar', series: [{ labels: {}, samples }] } : { resultType: 'matrix', series: [{ labels: {}, samples }] };
  }
  if (instant) {
    checkAbort(options.signal);
    const samples = root.at(0);
    assertUniqueSeries(samples, expr.span);
    if (samples.length > maxSeries) throw new SeriesLimitError(maxSeries);
    if (samples.length > maxSamples) samplesExceeded(maxSamples);
    const ordered = keepsOrder(expr) ? samples : [...samples].sort((a, b) => compareLabels(a.series.labels, b.series.labels));
    const t = stepTimesNs[0]!;
    return { resultType: 'vector', series: ordered.map((s) => ({ labels: s.series.labels, samples: [[t, s.value]] })) };
  }
  const bySeries = new Map<Series, MetricSample[]>();
  let total = 0;
  stepTimesNs.forEach((t, k) => {
    if ((k & 63) === 0) checkAbort(options.signal);
    for (const s of root.at(k)) {
      if (++total > maxSamples) samplesExceeded(maxSamples);
      let list = bySeries.get(s.series);
      if (list === undefined) {
        bySeries.set(s.series, (list = []));
        if (bySeries.size > maxSeries) throw new SeriesLimitError(maxSeries);
      } else if (list[list.length - 1]![0] === t) {
        throw queryError('INVALID_EXPRESSION', 'vector cannot contain metrics with the same labelset', expr.span);
      }
      list.push([t, s.value]);
    }
  });
  const series = [...bySeries].sort((a, b) => compareLabels(a[0].labels, b[0].labels)).map(([s, samples]) => ({ labels: s.labels, samples }));
  return { resultType: 'matrix', series };
}
