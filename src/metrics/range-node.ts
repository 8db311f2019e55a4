/**
 * A range aggregation in the compiled tree: plans its windows, asks the source once, and
 * answers per step from the precomputed windows.
 *
 * ## What it owns
 * - Checking the call: the argument must be a range (`sel [r]`; a subquery is not
 *   supported), `unwrap` must be there or not as LogQL requires, `quantile_over_time`'s φ
 *   must be a scalar.
 * - The windows: `R_k = t_k − offset` (or `@ T − offset` for every step), `(R_k − r, R_k]`,
 *   laid on a bucket grid (`grid.ts`). One request per range aggregation, whatever the
 *   number of steps.
 * - Turning the answer into values: merging series that came back more than once (and,
 *   for LogQL's grouped form `max_over_time(… | unwrap x [5m]) by (a)`, series of the same
 *   group: Loki groups samples before the window function, so the maximum is over every
 *   sample of the group, not a maximum of per-series maxima), Loki's pipeline-error check,
 *   then per series and window the function's value (or nothing, for an empty window). `absent_over_time` gives one sample, with the source's absent
 *   labels, at the steps where every series is empty.
 */
import type { Call, CallGrouping, Expr, MatrixSelector } from '../query/ast.js';
import { NS_PER_MS } from '../time.js';
import { planWindows, type WindowPlan } from './grid.js';
import { formatLabels, type Labels, type Series } from './labels.js';
import { queryError, typeName, type CompileContext, type Sample, type ScalarNode, type VectorNode } from './nodes.js';
import {
  addValues,
  maxValue,
  minValue,
  prefixRunSums,
  RANGE_FUNCTIONS,
  sampleRuns,
  slidingReduce,
  type RangeFunctionSpec,
  type WindowMeasures,
} from './range-functions.js';
import type { BucketMeasure, BucketRequest, BucketSeries, LogSampleSource, SampleRequest, SampleSeries } from './source.js';
import { unparen } from '../query/shape.js';

/** Compile context of the evaluator, with the source and the request list. */
export interface RangeCompileContext extends CompileContext {
  readonly source: LogSampleSource;
  /** Registers a request; `load` receives the answer before any step is evaluated. */
  addRequest<R extends BucketRequest | SampleRequest>(request: R, load: (answer: R extends BucketRequest ? BucketSeries[] : SampleSeries[]) => void): void;
}

const ERROR_LABEL = '__error__';


/** Is `name` a range aggregation this evaluator runs? */
export function isRangeFunction(name: string): boolean {
  return RANGE_FUNCTIONS.has(name);
}

export function compileRangeAggregation(call: Call, ctx: RangeCompileContext): VectorNode {
  const spec = RANGE_FUNCTIONS.get(call.func)!;
  let param: ScalarNode | null = null;
  if (spec.param) {
    const p = ctx.compile(call.args[0]!);
    if (p.kind !== 'scalar') {
      throw queryError('INVALID_EXPRESSION', `expected type scalar in call to function "${call.func}", got ${typeName(p)}`, call.args[0]!.span);
    }
    param = p;
  }
  const argExpr = call.args[call.args.length - 1]!;
  const arg = unparen(argExpr);
  if (arg.kind === 'SubqueryExpr') {
    throw queryError('NOT_SUPPORTED', `subqueries are not supported: ${call.func} reads logs over a range directly, e.g. ${call.func}(pod{namespace="x"}[5m])`, arg.span);
  }
  if (arg.kind !== 'MatrixSelector') {
    const got = arg.kind === 'VectorSelector' ? 'a log query without a range (add one, e.g. [5m])' : typeName(ctx.compile(arg));
    throw queryError('INVALID_EXPRESSION', `expected type range vector in call to function "${call.func}", got ${got}`, argExpr.span);
  }
  const range: MatrixSelector = arg;
  const info = ctx.source.describe(range);
  if (spec.unwrap === 'required' && !info.unwrapped) {
    throw queryError('INVALID_EXPRESSION', `invalid aggregation ${call.func} without unwrap: it aggregates values, so the log query must end in "| unwrap <label>"`, call.span);
  }
  if (spec.unwrap === 'forbidden' && info.unwrapped) {
    throw queryError('INVALID_EXPRESSION', `invalid aggregation ${call.func} with unwrap: it counts lines or bytes, so remove "| unwrap …" (or use sum_over_time)`, call.span);
  }

  const rangeNs = BigInt(range.range.ms) * NS_PER_MS;
  const offsetNs = BigInt(range.offset?.ms ?? 0) * NS_PER_MS;
  let fixedEnd: bigint | null = null;
  if (range.at !== null) {
    const at = range.at;
    fixedEnd = at.kind === 'AtStart' ? ctx.startNs : at.kind === 'AtEnd' ? ctx.endNs : BigInt(Math.round(at.seconds * 1000)) * NS_PER_MS;
  }
  const ends = fixedEnd === null ? ctx.stepTimesNs.map((t) => t - offsetNs) : [fixedEnd - offsetNs];
  const plan = planWindows(ends, rangeNs);
  const windowOfStep = (k: number): number => (fixedEnd === null ? k : 0);
  const rangeSeconds = range.range.ms / 1000;
  const measures = spec.measures(info.unwrapped);
  const table = ctx.table;
  const regroup = groupLabels(call.grouping ?? null);

  // Filled when the answer arrives.
  let series: Series[] = [];
  let values: Float64Array[] = [];
  let present: Uint8Array[] = [];
  let runs: { lo: Int32Array; hi: Int32Array }[] = [];
  let samples: SampleSeries[] = [];

  const checkErrors = (all: { series: Series; used: boolean }[]): void => {
    for (const { series: s, used } of all) {
      const error = s.labels[ERROR_LABEL];
      if (used && error !== undefined) {
        throw queryError(
          'INVALID_EXPRESSION',
          `pipeline error: '${error}' for series: '${formatLabels(s.labels)}'. Use a label filter to intentionally skip this error (e.g. | __error__!="${error}"); to skip every error, match empty errors (e.g. | __error__=""), which may also follow unwrap (e.g. | unwrap latency | __error__="")`,
          call.span,
        );
      }
    }
  };

  if (measures !== null) {
    const request: BucketRequest = { kind: 'buckets', range, grid: plan.grid, measures, readIntervals: plan.readIntervals };
    ctx.addRequest(request, (answer) => {
      const merged = mergeBuckets(answer, table, measures, regroup);
      series = merged.map((m) => m.series);
      const computed = merged.map((m) => windowValues(m.data, plan, spec, rangeSeconds, info.unwrapped));
      values = computed.map((c) => c.values);
      present = computed.map((c) => c.present);
      checkErrors(merged.map((m, i) => ({ series: m.series, used: present[i]!.includes(1) })));
    });
  } else {
    const request: SampleRequest = { kind: 'samples', range, readIntervals: plan.readIntervals };
    ctx.addRequest(request, (answer) => {
      const merged = mergeSamples(answer, table, regroup);
      series = merged.map((m) => m.series);
      samples = merged.map((m) => m.data);
      runs = samples.map((s) => sampleRuns(s.timesNs, plan.windows));
      checkErrors(runs.map((r, i) => ({ series: series[i]!, used: r.lo.some((lo, w) => r.hi[w]! > lo) })));
    });
  }

  if (call.func === 'absent_over_time') {
    const absentSeries = table.intern(info.absentLabels);
    return {
      kind: 'vector',
      at: (k) => {
        const w = windowOfStep(k);
        return present.some((p) => p[w] === 1) ? [] : [{ series: absentSeries, value: 1 }];
      },
    };
  }
  if (measures !== null) {
    return {
      kind: 'vector',
      at: (k) => {
        const w = windowOfStep(k);
        const out: Sample[] = [];
        for (let i = 0; i < series.length; i++) if (present[i]![w] === 1) out.push({ series: series[i]!, value: values[i]![w]! });
        return out;
      },
    };
  }
  const fromSamples = spec.fromSamples!;
  return {
    kind: 'vector',
    at: (k) => {
      const w = windowOfStep(k);
      const p = param === null ? NaN : param.at(k);
      const out: Sample[] = [];
      for (let i = 0; i < series.length; i++) {
        const lo = runs[i]!.lo[w]!;
        const hi = runs[i]!.hi[w]!;
        if (hi > lo) out.push({ series: series[i]!, value: fromSamples(samples[i]!.values, samples[i]!.timesNs, lo, hi, p) });
      }
      return out;
    },
  };
}

type Regroup = (labels: Labels) => Labels;

/**
 * LogQL's `by (…)`/`without (…)` on a range aggregation, applied to a series' labels. A
 * series with `__error__` keeps all its labels, as in Loki, so the pipeline error is still
 * reported.
 */
function groupLabels(grouping: CallGrouping | null): Regroup {
  if (grouping === null) return (labels) => labels;
  return (labels) => {
    if (labels[ERROR_LABEL] !== undefined && labels[ERROR_LABEL] !== '') return labels;
    const out: Record<string, string> = {};
    for (const name of Object.keys(labels)) {
      if (grouping.labels.includes(name) !== grouping.without) out[name] = labels[name]!;
    }
    return out;
  };
}

/** Series answered more than once (workers, files), or in one group, become one, bucket by bucket. */
function mergeBuckets(answer: BucketSeries[], table: CompileContext['table'], measures: readonly BucketMeasure[], regroup: Regroup): { series: Series; data: BucketSeries }[] {
  const bySeries = new Map<Series, BucketSeries>();
  for (const a of answer) {
    const s = table.intern(regroup(a.labels));
    const have = bySeries.get(s);
    if (have === undefined) {
      bySeries.set(s, a);
      continue;
    }
    const merged: BucketSeries = { labels: s.labels, count: addArrays(have.count, a.count) };
    if (measures.includes('bytes')) merged.bytes = addArrays(have.bytes!, a.bytes!);
    if (measures.includes('sum')) merged.sum = addArrays(have.sum!, a.sum!);
    if (measures.includes('min')) merged.min = Float64Array.from(have.min!, (x, i) => minValue(x, a.min![i]!));
    if (measures.includes('max')) merged.max = Float64Array.from(have.max!, (x, i) => maxValue(x, a.max![i]!));
    bySeries.set(s, merged);
  }
  return [...bySeries].map(([series, data]) => ({ series, data }));
}

function addArrays(a: Float64Array, b: Float64Array): Float64Array {
  return Float64Array.from(a, (x, i) => x + b[i]!);
}

/** Merges repeated series and sorts each series' samples by time (stable: ties keep the source's order). */
function mergeSamples(answer: SampleSeries[], table: CompileContext['table'], regroup: Regroup): { series: Series; data: SampleSeries }[] {
  const bySeries = new Map<Series, SampleSeries[]>();
  for (const a of answer) {
    const s = table.intern(regroup(a.labels));
    const list = bySeries.get(s);
    if (list === undefined) bySeries.set(s, [a]);
    else list.push(a);
  }
  return [...bySeries].map(([series, parts]) => {
    const times: bigint[] = [];
    const vals: number[] = [];
    for (const p of parts) {
      p.timesNs.forEach((t) => times.push(t));
      p.values.forEach((v) => vals.push(v));
    }
    const order = times.map((_, i) => i).sort((x, y) => (times[x]! < times[y]! ? -1 : times[x]! > times[y]! ? 1 : x - y));
    return {
      series,
      data: { labels: series.labels, timesNs: BigInt64Array.from(order, (i) => times[i]!), values: Float64Array.from(order, (i) => vals[i]!) },
    };
  });
}

/** The function's value in every window of one series (present = the window has a line). */
function windowValues(data: BucketSeries, plan: WindowPlan, spec: RangeFunctionSpec, rangeSeconds: number, unwrapped: boolean): { values: Float64Array; present: Uint8Array } {
  const { firstBucket, endBucket } = plan;
  const n = firstBucket.length;
  const count = prefixRunSums(data.count, firstBucket, endBucket);
  const bytes = data.bytes ? prefixRunSums(data.bytes, firstBucket, endBucket) : null;
  const sum = data.sum ? slidingReduce(data.sum, firstBucket, endBucket, addValues, 0) : null;
  const min = data.min ? slidingReduce(data.min, firstBucket, endBucket, minValue, NaN) : null;
  const max = data.max ? slidingReduce(data.max, firstBucket, endBucket, maxValue, NaN) : null;
  const values = new Float64Array(n);
  const present = new Uint8Array(n);
  const m: WindowMeasures = { count: 0, bytes: 0, sum: 0, min: NaN, max: NaN };
  for (let w = 0; w < n; w++) {
    if (count[w]! <= 0) continue;
    m.count = count[w]!;
    m.bytes = bytes?.[w] ?? 0;
    m.sum = sum?.[w] ?? 0;
    m.min = min?.[w] ?? NaN;
    m.max = max?.[w] ?? NaN;
    present[w] = 1;
    values[w] = spec.fromBuckets!(m, rangeSeconds, unwrapped);
  }
  return { values, present };
}
