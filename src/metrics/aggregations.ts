/**
 * Vector aggregations: `sum avg min max count group stddev stdvar quantile count_values
 * topk bottomk`, with `by (…)` / `without (…)`.
 *
 * ## Semantics (Prometheus `promql/engine.go` aggregation, 3.x)
 * - Groups: `by (l…)` keeps the listed labels; `without (l…)` drops them and `__name__`; no
 *   clause is one group with no labels. Result samples carry the group's labels, except
 *   `topk`/`bottomk`, which return input samples unchanged.
 * - `sum` uses Kahan–Neumaier compensation, `avg` is that sum over the count (an
 *   incremental mean if the sum overflows), `stddev`/`stdvar` are population statistics by
 *   Welford's method (NaN as soon as a value is NaN or infinite), `min`/`max` give NaN only
 *   when every value is NaN, `quantile` interpolates linearly (φ < 0 → −Inf, φ > 1 → +Inf).
 * - `topk(k, …)`/`bottomk`: `k` is evaluated per step and truncated to an integer; `k < 1`
 *   gives nothing; NaN values rank last in both. Ties go to the series that sorts first
 *   by labels, so results are deterministic (Prometheus keeps the first one it meets).
 * - `count_values("l", …)`: one series per distinct value, the value (Go's shortest `'f'`
 *   form) in label `l`.
 * - `approx_topk(k, …)` (LogQL; Loki estimates it with a count-min sketch for instant
 *   queries) is computed exactly, as `topk`: the answer the approximation estimates, for
 *   instant and range queries alike.
 * `limitk` and `limit_ratio` (experimental in Prometheus, absent from LogQL) are not supported.
 */
import type { AggregateExpr } from '../query/ast.js';
import { compareLabels, isValidLabelName, METRIC_NAME, type Series } from './labels.js';
import { queryError, typeName, type CompileContext, type Sample, type ScalarNode, type VectorNode } from './nodes.js';
import { quantile } from './range-functions.js';
import { formatFloatF } from '../go-format.js';

interface Group {
  series: Series;
  members: Sample[];
}

/**
 * One group's running state for the streaming aggregations (no per-group arrays): a
 * Kahan–Neumaier sum, count, min/max, and Welford's mean and M2.
 */
interface Running {
  series: Series;
  count: number;
  sum: number;
  compensation: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  /** A NaN or infinite value was seen (stddev/stdvar become NaN, as in Prometheus). */
  nonFinite: boolean;
}

type StreamingOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar';
const STREAMING: ReadonlySet<string> = new Set<StreamingOp>(['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar']);

function addToRunning(r: Running, v: number): void {
  r.count++;
  // Kahan–Neumaier (Prometheus' kahanSumInc), inlined: this runs once per sample and step.
  const t = r.sum + v;
  if (!Number.isFinite(t) && !Number.isNaN(t)) r.compensation = 0;
  else if (Math.abs(r.sum) >= Math.abs(v)) r.compensation += r.sum - t + v;
  else r.compensation += v - t + r.sum;
  r.sum = t;
  if (v < r.min || Number.isNaN(r.min)) r.min = v;
  if (v > r.max || Number.isNaN(r.max)) r.max = v;
  if (!Number.isFinite(v)) r.nonFinite = true;
  const delta = v - r.mean;
  r.mean += delta / r.count;
  r.m2 += delta * (v - r.mean);
}

function finishRunning(op: StreamingOp, r: Running, values: () => number[]): number {
  switch (op) {
    case 'sum':
      return Number.isFinite(r.sum) ? r.sum + r.compensation : r.sum;
    case 'avg':
      // The sum overflowed (or met infinities): an incremental mean stays finite where it can.
      return Number.isFinite(r.sum) ? (r.sum + r.compensation) / r.count : incrementalMean(values());
    case 'min':
      return r.min;
    case 'max':
      return r.max;
    case 'count':
      return r.count;
    case 'group':
      return 1;
    case 'stdvar':
      return r.nonFinite ? NaN : r.m2 / r.count;
    case 'stddev':
      return r.nonFinite ? NaN : Math.sqrt(r.m2 / r.count);
  }
}

/** Loki's and Prometheus' mean that tolerates infinities (`avgOverTime`). */
function incrementalMean(values: readonly number[]): number {
  let mean = 0;
  let n = 0;
  for (const v of values) {
    n++;
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    mean += v / n - mean / n;
  }
  return mean;
}

/** Orders samples for topk (descending) or bottomk (ascending): NaN last, ties by labels. */
function rankOrder(descending: boolean): (a: Sample, b: Sample) => number {
  return (a, b) => {
    const an = Number.isNaN(a.value);
    const bn = Number.isNaN(b.value);
    if (an !== bn) return an ? 1 : -1;
    if (!an && a.value !== b.value) return a.value < b.value === descending ? 1 : -1;
    return compareLabels(a.series.labels, b.series.labels);
  };
}

/** The first `k` of `items` under `order`: a bounded insertion for small k, a sort otherwise. */
function firstK<T>(items: T[], k: number, order: (a: T, b: T) => number): T[] {
  if (k >= items.length || k > 32) return items.sort(order).slice(0, k);
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && order(item, best[k - 1]!) >= 0) continue;
    let i = Math.min(best.length, k - 1);
    if (best.length < k) best.push(item);
    while (i > 0 && order(item, best[i - 1]!) < 0) {
      best[i] = best[i - 1]!;
      i--;
    }
    best[i] = item;
  }
  return best;
}

export function compileAggregation(expr: AggregateExpr, ctx: CompileContext): VectorNode {
  const inner = ctx.compile(expr.expr);
  if (inner.kind !== 'vector') {
    throw queryError('INVALID_EXPRESSION', `expected type instant vector in aggregation expression, got ${typeName(inner)}`, expr.expr.span);
  }
  // LogQL's approx_topk (a count-min sketch in Loki) is computed exactly here: topk's answer,
  // which is what the approximation estimates; errors still name the operator as written.
  const op = expr.op === 'approx_topk' ? 'topk' : expr.op;
  if (op === 'limitk' || op === 'limit_ratio') {
    throw queryError('NOT_SUPPORTED', `${op} is not supported (experimental in Prometheus, not in LogQL): use topk or bottomk`, expr.span);
  }
  let param: ScalarNode | null = null;
  let labelName: string | null = null;
  if (op === 'topk' || op === 'bottomk' || op === 'quantile') {
    const p = expr.param === null ? null : ctx.compile(expr.param);
    if (p === null || p.kind !== 'scalar') {
      throw queryError('INVALID_EXPRESSION', `expected type scalar in aggregation parameter of ${op}, got ${p === null ? 'nothing' : typeName(p)}`, expr.param?.span ?? expr.span);
    }
    param = p;
  } else if (op === 'count_values') {
    const p = expr.param === null ? null : ctx.compile(expr.param);
    if (p === null || p.kind !== 'string') {
      throw queryError('INVALID_EXPRESSION', `expected type string in aggregation parameter of count_values, got ${p === null ? 'nothing' : typeName(p)}`, expr.param?.span ?? expr.span);
    }
    if (!isValidLabelName(p.value)) throw queryError('INVALID_EXPRESSION', `invalid label name ${JSON.stringify(p.value)}`, expr.param!.span);
    labelName = p.value;
  }

  const grouping = expr.grouping;
  const without = expr.without;
  const groupCache = new Map<Series, Series>();
  const groupOf = (series: Series): Series => {
    let g = groupCache.get(series);
    if (g === undefined) {
      const labels: Record<string, string> = {};
      for (const name of Object.keys(series.labels)) {
        const listed = grouping.includes(name);
        if (without ? !listed && name !== METRIC_NAME : listed) labels[name] = series.labels[name]!;
      }
      g = ctx.table.intern(labels);
      groupCache.set(series, g);
    }
    return g;
  };
  const groupsAt = (k: number): Group[] => {
    const groups = new Map<Series, Group>();
    for (const sample of inner.at(k)) {
      const g = groupOf(sample.series);
      let group = groups.get(g);
      if (group === undefined) groups.set(g, (group = { series: g, members: [] }));
      group.members.push(sample);
    }
    return [...groups.values()];
  };

  if (op === 'topk' || op === 'bottomk') {
    const order = rankOrder(op === 'topk');
    const kNode = param!;
    return {
      kind: 'vector',
      at: (step) => {
        const kValue = kNode.at(step);
        if (Number.isNaN(kValue)) throw queryError('INVALID_EXPRESSION', `parameter value of ${op} is NaN`, expr.param!.span);
        if (kValue >= 2 ** 63) throw queryError('INVALID_EXPRESSION', `scalar value ${kValue} overflows int64`, expr.param!.span);
        const k = Math.trunc(kValue);
        if (k < 1) return [];
        const out: Sample[] = [];
        for (const group of groupsAt(step)) out.push(...firstK(group.members, k, order));
        return out;
      },
    };
  }

  if (op === 'count_values') {
    const name = labelName!;
    const valueSeries = new Map<Series, Map<string, Series>>();
    return {
      kind: 'vector',
      at: (step) => {
        const out: Sample[] = [];
        for (const group of groupsAt(step)) {
          const counts = new Map<string, number>();
          for (const m of group.members) {
            const text = formatFloatF(m.value);
            counts.set(text, (counts.get(text) ?? 0) + 1);
          }
          let byValue = valueSeries.get(group.series);
          if (byValue === undefined) valueSeries.set(group.series, (byValue = new Map()));
          for (const [text, count] of counts) {
            let series = byValue.get(text);
            if (series === undefined) {
              series = ctx.table.derive(group.series, (l) => {
                l[name] = text;
              });
              byValue.set(text, series);
            }
            out.push({ series, value: count });
          }
        }
        return out;
      },
    };
  }

  if (STREAMING.has(op)) {
    const streaming = op as StreamingOp;
    return {
      kind: 'vector',
      at: (step) => {
        const input = inner.at(step);
        const groups = new Map<Series, Running>();
        for (const sample of input) {
          const g = groupOf(sample.series);
          let r = groups.get(g);
          if (r === undefined) {
            r = { series: g, count: 0, sum: 0, compensation: 0, min: NaN, max: NaN, mean: 0, m2: 0, nonFinite: false };
            groups.set(g, r);
          }
          addToRunning(r, sample.value);
        }
        const out: Sample[] = [];
        for (const r of groups.values()) {
          out.push({ series: r.series, value: finishRunning(streaming, r, () => input.filter((x) => groupOf(x.series) === r.series).map((x) => x.value)) });
        }
        return out;
      },
    };
  }
  if (op !== 'quantile') throw queryError('NOT_SUPPORTED', `aggregation ${op} is not supported`, expr.span);
  return {
    kind: 'vector',
    at: (step) => {
      const phi = param!.at(step);
      return groupsAt(step).map((group) => ({ series: group.series, value: quantile(phi, Float64Array.from(group.members, (m) => m.value)) }));
    },
  };
}
