/**
 * Metric queries over a store set with remote members: which query shapes can be answered by
 * merging each member's series, and the merge.
 *
 * A member evaluates the query over its own store only. Its series are the set's series
 * exactly when every series of the set's answer is computed from one cluster's lines and
 * carries that cluster: then the set's answer is the union of the members' answers, each
 * series labelled with its member's cluster, in the evaluator's series order (Prometheus'
 * `labels.Compare`). {@link memberMergeable} accepts exactly these shapes:
 * - a range aggregation over a log range (`count_over_time`, `rate`, `bytes_over_time`,
 *   `sum_over_time(… | unwrap x [5m])`, `quantile_over_time(0.9, …)`, …; not
 *   `absent_over_time`, whose series come from the selector, not the lines), without a
 *   grouping or with one that keeps `cluster` (`by (cluster, …)`, `without (…)` not naming it);
 * - a vector aggregation (`sum`, `avg`, `min`, `max`, `count`, `stddev`, `stdvar`, `group`,
 *   `topk`, `bottomk`, `approx_topk`, `quantile`, `count_values`) that keeps `cluster`
 *   (`sum by (cluster, pod) (…)`, `sum without (pod) (…)`) over such a shape; parentheses.
 * Anything else (an aggregation across clusters, binary operators, `label_replace`,
 * `sort`, `limitk`, scalars, …) would need partial states from the members; it is refused
 * with `NOT_SUPPORTED` naming the limitation, never answered with wrong numbers.
 *
 * The member is sent the query with every `cluster` matcher removed; `by (cluster)` stays (a
 * plain store has no `cluster`, so it groups as if absent) and the member's series get
 * `cluster` here.
 */
import type { Table } from 'apache-arrow';
import { LetheQLError, LimitError } from '../errors.js';
import { DEFAULT_MAX_SAMPLES } from '../metrics/evaluator.js';
import { DEFAULT_MAX_SERIES, SeriesLimitError } from '../metrics/limits.js';
import { compareLabels, compareStrings } from '../metrics/labels.js';
import type { MetricResult, MetricSeries } from '../metrics/result.js';
import { CLUSTER_LABEL } from '../model.js';
import type { Expr } from '../query/ast.js';

const RANGE_AGGREGATIONS = new Set([
  'count_over_time',
  'rate',
  'bytes_over_time',
  'bytes_rate',
  'rate_counter',
  'sum_over_time',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'quantile_over_time',
  'first_over_time',
  'last_over_time',
  'present_over_time',
]);
const VECTOR_AGGREGATIONS = new Set(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group', 'topk', 'bottomk', 'approx_topk', 'quantile', 'count_values']);

const keepsCluster = (without: boolean, labels: readonly string[]): boolean => (without ? !labels.includes(CLUSTER_LABEL) : labels.includes(CLUSTER_LABEL));

const LIMITATION =
  'over a store set with remote members, a metric query must keep the cluster of every series: a range aggregation (count_over_time, rate, …) or an aggregation by (cluster, …) of one; ';

/**
 * The query a remote member is sent (every `cluster` matcher removed), or throws
 * `NOT_SUPPORTED` naming why the shape cannot be merged (see the module note).
 */
export function memberMetricQuery(expr: Expr): Expr {
  let e = expr;
  const rebuild: ((inner: Expr) => Expr)[] = [];
  for (;;) {
    if (e.kind === 'ParenExpr') {
      const p = e;
      rebuild.push((inner) => ({ ...p, expr: inner }));
      e = p.expr;
      continue;
    }
    if (e.kind === 'AggregateExpr') {
      const a = e;
      if (!VECTOR_AGGREGATIONS.has(a.op)) throw refuse(`${a.op} is not one of the aggregations that can be merged`);
      if (!keepsCluster(a.without, a.grouping)) throw refuse(`${a.op} ${a.hasGrouping ? (a.without ? 'without' : 'by') + ' (' + a.grouping.join(', ') + ')' : ''} aggregates across clusters; group by (cluster, …)`);
      if (a.param !== null && a.param.kind !== 'NumberLiteral' && a.param.kind !== 'StringLiteral') throw refuse(`${a.op}'s parameter must be a literal`);
      rebuild.push((inner) => ({ ...a, expr: inner }));
      e = a.expr;
      continue;
    }
    break;
  }
  if (e.kind !== 'Call' || !RANGE_AGGREGATIONS.has(e.func)) throw refuse(`${e.kind === 'Call' ? e.func : 'this expression'} is not a range aggregation over a log range`);
  const call = e;
  if (call.grouping !== null && !keepsCluster(call.grouping.without, call.grouping.labels)) throw refuse(`${call.func} ${call.grouping.without ? 'without' : 'by'} (${call.grouping.labels.join(', ')}) aggregates across clusters`);
  const args = call.args.map((a) => {
    if (a.kind === 'NumberLiteral') return a;
    if (a.kind !== 'MatrixSelector') throw refuse(`${call.func}'s arguments must be a number and a log range`);
    return { ...a, selector: { ...a.selector, matchers: a.selector.matchers.filter((m) => m.name !== CLUSTER_LABEL) } };
  });
  let out: Expr = { ...call, args };
  for (let i = rebuild.length - 1; i >= 0; i--) out = rebuild[i]!(out);
  return out;
}

function refuse(why: string): LetheQLError {
  return new LetheQLError('NOT_SUPPORTED', `not supported yet: ${LIMITATION}${why}`);
}

/**
 * A member's metric answer (the server's Arrow long table, `metrics/arrow.ts`: label columns
 * named in their field metadata `label`, then `time` and `value`; series by series) as
 * series, each labelled `cluster`.
 */
export function seriesFromTable(table: Table, cluster: string): MetricSeries[] {
  const labelCols = table.schema.fields
    .map((f, i) => ({ name: f.metadata.get('label') ?? f.name, field: f.name, i }))
    .filter((c) => c.field !== 'time' && c.field !== 'value')
    .map((c) => ({ name: c.name, col: table.getChildAt(c.i)! }));
  if (labelCols.some((c) => c.name === CLUSTER_LABEL)) throw new LetheQLError('REMOTE_ERROR', `member ${JSON.stringify(cluster)}: its series already have a cluster label (a store set cannot contain another store set)`);
  const time = table.getChild('time')!.toArray() as BigInt64Array;
  const value = table.getChild('value')!.toArray() as Float64Array;
  const out: MetricSeries[] = [];
  let key = '';
  for (let i = 0; i < table.numRows; i++) {
    const pairs: [string, string][] = [[CLUSTER_LABEL, cluster]];
    for (const c of labelCols) {
      const v = c.col.get(i) as string | null;
      if (v !== null) pairs.push([c.name, v]);
    }
    pairs.sort((a, b) => compareStrings(a[0], b[0]));
    const k = JSON.stringify(pairs);
    if (k !== key || out.length === 0) {
      out.push({ labels: Object.fromEntries(pairs), samples: [] });
      key = k;
    }
    out[out.length - 1]!.samples.push([time[i]!, value[i]!]);
  }
  return out;
}

/**
 * The members' series in one result, in the evaluator's order. Each member checked its own
 * `maxSeries`/`maxSamples`; the union is checked here against the query's (defaults as the
 * evaluator's), so a set answers no larger a result than one store would.
 */
export function mergeMemberSeries(parts: readonly MetricSeries[][], resultType: MetricResult['resultType'], limits: { maxSeries?: number; maxSamples?: number } = {}): MetricResult {
  const series = parts.flat().sort((a, b) => compareLabels(a.labels, b.labels));
  const maxSeries = limits.maxSeries ?? DEFAULT_MAX_SERIES;
  if (series.length > maxSeries) throw new SeriesLimitError(maxSeries);
  const maxSamples = limits.maxSamples ?? DEFAULT_MAX_SAMPLES;
  const samples = series.reduce((n, s) => n + s.samples.length, 0);
  if (samples > maxSamples) {
    throw new LimitError('maxSamples', maxSamples, `the query's result is too large: more than ${maxSamples} samples (series × points), over the limit maxSamples=${maxSamples}; use a larger step, a shorter range or fewer series`);
  }
  return { resultType, series };
}
