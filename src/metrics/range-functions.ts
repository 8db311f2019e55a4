/**
 * LogQL's range aggregations: what each one needs from a source and how it turns a window
 * into a value.
 *
 * ## What it owns
 * The table {@link RANGE_FUNCTIONS} (unwrap rule, bucket measures or raw samples), and the
 * window arithmetic over both answers: bucket runs reduced in amortised O(1) per window
 * (prefix sums for counts and bytes, which are exact integers; a two-stack sliding
 * reduction for float sums and min/max, which never subtracts and so never cancels), and
 * sample slices found by a two-pointer sweep. An empty window gives no sample, for every
 * function; `absent_over_time` is the exception the evaluator handles (one sample when
 * every series is empty).
 *
 * Definitions follow Loki's `pkg/logql/range_vector.go` (Prometheus' for the functions
 * Loki lacks): `rate` is count/range for lines and sum/range for unwrapped values (not
 * Prometheus' counter rate); `bytes_rate` is bytes/range; stddev/stdvar are population
 * statistics (Welford); `quantile_over_time` interpolates linearly and gives −Inf/+Inf for
 * φ < 0 / φ > 1 and NaN for NaN φ; min/max give NaN only when every value is NaN.
 * Sums from buckets add bucket subtotals, so they may differ from a line-by-line sum in the
 * last bits of the float.
 */
import type { BucketMeasure } from './source.js';

/** Whether a function takes `| unwrap` (Loki's validation of range aggregations). */
export type UnwrapRule = 'required' | 'forbidden' | 'either';

/** The measures of one window (only those the function asked for are meaningful). */
export interface WindowMeasures {
  count: number;
  bytes: number;
  sum: number;
  min: number;
  max: number;
}

export interface RangeFunctionSpec {
  name: string;
  unwrap: UnwrapRule;
  /**
   * For bucketed functions: the measures to request, per unwrapped-ness. `null` means the
   * function needs raw samples ({@link RangeFunctionSpec.fromSamples}).
   */
  measures(unwrapped: boolean): BucketMeasure[] | null;
  /** Value of a non-empty window from its measures (`rangeSeconds` for rates). */
  fromBuckets?(m: WindowMeasures, rangeSeconds: number, unwrapped: boolean): number;
  /** Value of a non-empty window from its samples `values[lo, hi)` (time order), with the scalar parameter if any. */
  fromSamples?(values: Float64Array, times: BigInt64Array, lo: number, hi: number, param: number): number;
  /** Takes a leading scalar parameter (`quantile_over_time(φ, …)`). */
  param?: boolean;
}

const COUNT: BucketMeasure[] = ['count'];

function bucketed(
  name: string,
  unwrap: UnwrapRule,
  measures: (unwrapped: boolean) => BucketMeasure[],
  fromBuckets: NonNullable<RangeFunctionSpec['fromBuckets']>,
): RangeFunctionSpec {
  return { name, unwrap, measures, fromBuckets };
}

function sampled(name: string, fromSamples: NonNullable<RangeFunctionSpec['fromSamples']>, param = false): RangeFunctionSpec {
  return { name, unwrap: 'required', measures: () => null, fromSamples, param };
}

/** Prometheus' / Loki's quantile over `values` (sorted copy, NaN first), linear interpolation. */
export function quantile(phi: number, values: Float64Array): number {
  if (values.length === 0 || Number.isNaN(phi)) return NaN;
  if (phi < 0) return -Infinity;
  if (phi > 1) return Infinity;
  // Go's sort (Loki's HeapByMaxValue, Prometheus' sort.Float64s) puts NaN first.
  const numbers = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  const sorted = new Float64Array(values.length).fill(NaN);
  sorted.set(numbers, values.length - numbers.length);
  const n = sorted.length;
  const rank = phi * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

/** Population variance by Welford's method (Loki's `stdvarOverTime`). */
function variance(values: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0;
  let aux = 0;
  for (let i = lo; i < hi; i++) {
    const v = values[i]!;
    count++;
    const delta = v - mean;
    mean += delta / count;
    aux += delta * (v - mean);
  }
  return aux / count;
}

/** Every range aggregation the evaluator runs, by function name. */
export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunctionSpec> = new Map(
  [
    bucketed('count_over_time', 'forbidden', () => COUNT, (m) => m.count),
    bucketed(
      'rate',
      'either',
      (unwrapped) => (unwrapped ? ['count', 'sum'] : COUNT),
      (m, seconds, unwrapped) => (unwrapped ? m.sum : m.count) / seconds,
    ),
    bucketed('bytes_over_time', 'forbidden', () => ['count', 'bytes'], (m) => m.bytes),
    bucketed('bytes_rate', 'forbidden', () => ['count', 'bytes'], (m, seconds) => m.bytes / seconds),
    // absent_over_time is evaluated specially (over all series); present_over_time is Prometheus'.
    bucketed('absent_over_time', 'either', () => COUNT, () => 1),
    bucketed('present_over_time', 'either', () => COUNT, () => 1),
    bucketed('sum_over_time', 'required', () => ['count', 'sum'], (m) => m.sum),
    bucketed('avg_over_time', 'required', () => ['count', 'sum'], (m) => m.sum / m.count),
    bucketed('min_over_time', 'required', () => ['count', 'min'], (m) => m.min),
    bucketed('max_over_time', 'required', () => ['count', 'max'], (m) => m.max),
    sampled('first_over_time', (v, _t, lo) => v[lo]!),
    sampled('last_over_time', (v, _t, _lo, hi) => v[hi - 1]!),
    sampled('stdvar_over_time', (v, _t, lo, hi) => variance(v, lo, hi)),
    sampled('stddev_over_time', (v, _t, lo, hi) => Math.sqrt(variance(v, lo, hi))),
    sampled('quantile_over_time', (v, _t, lo, hi, phi) => quantile(phi, v.subarray(lo, hi)), true),
    sampled('mad_over_time', (v, _t, lo, hi) => {
      const window = v.subarray(lo, hi);
      const median = quantile(0.5, window);
      return quantile(0.5, window.map((x) => Math.abs(x - median)));
    }),
  ].map((s) => [s.name, s] as const),
);

/**
 * Reduces runs `[first[w], end[w])` of `values` with an associative `combine` whose
 * identity is `identity`. Runs must move forward (`first` and `end` non-decreasing).
 * Two-stack sliding window: a suffix array for the front part, a running value for the
 * back part; each element enters a suffix array at most once.
 */
export function slidingReduce(
  values: Float64Array,
  first: Int32Array,
  end: Int32Array,
  combine: (a: number, b: number) => number,
  identity: number,
): Float64Array {
  const out = new Float64Array(first.length);
  const suffix = new Float64Array(values.length + 1);
  let mid = 0; // suffix[i] = combine(values[i..mid)) is valid for start ≤ i < mid
  let back = identity; // combine(values[mid..pushed))
  let pushed = 0;
  for (let w = 0; w < first.length; w++) {
    const a = first[w]!;
    const b = end[w]!;
    if (a >= mid) {
      // The front stack is exhausted: rebuild it over the whole window.
      mid = b;
      let acc = identity;
      for (let i = b - 1; i >= a; i--) {
        acc = combine(values[i]!, acc);
        suffix[i] = acc;
      }
      back = identity;
      pushed = b;
    } else {
      for (; pushed < b; pushed++) back = combine(back, values[pushed]!);
    }
    out[w] = a < mid ? combine(a < b ? suffix[a]! : identity, back) : back;
  }
  return out;
}

/** Run sums through prefix sums: exact for integer counts and byte totals below 2^53. */
export function prefixRunSums(values: Float64Array, first: Int32Array, end: Int32Array): Float64Array {
  const prefix = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) prefix[i + 1] = prefix[i]! + values[i]!;
  const out = new Float64Array(first.length);
  for (let w = 0; w < first.length; w++) out[w] = prefix[end[w]!]! - prefix[first[w]!]!;
  return out;
}

export const addValues = (a: number, b: number): number => a + b;
/** Loki's min: a NaN is replaced by any value. */
export const minValue = (a: number, b: number): number => (b < a || Number.isNaN(a) ? b : a);
export const maxValue = (a: number, b: number): number => (b > a || Number.isNaN(a) ? b : a);

/**
 * For sorted `times` and windows `(left[w], right[w]]` moving forward, the sample index
 * runs `[lo[w], hi[w])`.
 */
export function sampleRuns(times: BigInt64Array, windows: readonly { leftNs: bigint; rightNs: bigint }[]): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(windows.length);
  const hi = new Int32Array(windows.length);
  let a = 0;
  let b = 0;
  windows.forEach((w, k) => {
    while (a < times.length && times[a]! <= w.leftNs) a++;
    if (b < a) b = a;
    while (b < times.length && times[b]! <= w.rightNs) b++;
    lo[k] = a;
    hi[k] = b;
  });
  return { lo, hi };
}
