/**
 * The function table: every function name LetheQL parses, with its signature.
 *
 * Owns: names, argument types, arity (optional and variadic arguments) and return type,
 * following Prometheus 3.x `promql/parser/functions.go`, plus the LogQL range functions
 * LetheQL adds (`bytes_over_time`, `bytes_rate`, `first_over_time`). The parser uses it
 * only for UNKNOWN_FUNCTION and WRONG_ARGUMENT_COUNT; the types are data for the type
 * checker and planner that come later, so they live here rather than in the grammar.
 */

/** PromQL value types, as function signatures name them. */
export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** One function's signature. */
export interface FunctionSignature {
  name: string;
  argTypes: readonly ValueType[];
  /** Minimum number of arguments. */
  minArgs: number;
  /** Maximum number of arguments (`Infinity` when the last argument repeats). */
  maxArgs: number;
  returnType: ValueType;
  /** LetheQL-only (not in Prometheus). */
  logql?: boolean;
}

type Sig = [argTypes: ValueType[], returnType: ValueType, optional?: number, repeatLast?: boolean];

const S: ValueType = 'scalar';
const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const STR: ValueType = 'string';

const RAW: Record<string, Sig> = {
  abs: [[V], V], absent: [[V], V], absent_over_time: [[M], V],
  acos: [[V], V], acosh: [[V], V], asin: [[V], V], asinh: [[V], V], atan: [[V], V], atanh: [[V], V],
  avg_over_time: [[M], V], ceil: [[V], V], changes: [[M], V],
  clamp: [[V, S, S], V], clamp_max: [[V, S], V], clamp_min: [[V, S], V],
  cos: [[V], V], cosh: [[V], V], count_over_time: [[M], V],
  days_in_month: [[V], V, 1], day_of_month: [[V], V, 1], day_of_week: [[V], V, 1], day_of_year: [[V], V, 1],
  deg: [[V], V], delta: [[M], V], deriv: [[M], V],
  double_exponential_smoothing: [[M, S, S], V], holt_winters: [[M, S, S], V],
  exp: [[V], V], floor: [[V], V],
  histogram_avg: [[V], V], histogram_count: [[V], V], histogram_sum: [[V], V],
  histogram_stddev: [[V], V], histogram_stdvar: [[V], V],
  histogram_fraction: [[S, S, V], V], histogram_quantile: [[S, V], V],
  hour: [[V], V, 1], idelta: [[M], V], increase: [[M], V], info: [[V, V], V, 1], irate: [[M], V],
  label_replace: [[V, STR, STR, STR, STR], V], label_join: [[V, STR, STR, STR], V, 0, true],
  last_over_time: [[M], V], ln: [[V], V], log10: [[V], V], log2: [[V], V],
  mad_over_time: [[M], V], max_over_time: [[M], V], min_over_time: [[M], V],
  minute: [[V], V, 1], month: [[V], V, 1], pi: [[], S],
  predict_linear: [[M, S], V], present_over_time: [[M], V], quantile_over_time: [[S, M], V],
  rad: [[V], V], rate: [[M], V], resets: [[M], V], round: [[V, S], V, 1],
  scalar: [[V], S], sgn: [[V], V], sin: [[V], V], sinh: [[V], V],
  sort: [[V], V], sort_desc: [[V], V],
  sort_by_label: [[V, STR], V, 0, true], sort_by_label_desc: [[V, STR], V, 0, true],
  sqrt: [[V], V], stddev_over_time: [[M], V], stdvar_over_time: [[M], V], sum_over_time: [[M], V],
  tan: [[V], V], tanh: [[V], V], time: [[], S], timestamp: [[V], V],
  ts_of_max_over_time: [[M], V], ts_of_min_over_time: [[M], V], ts_of_last_over_time: [[M], V],
  vector: [[S], V], year: [[V], V, 1],
};

const LOGQL: Record<string, Sig> = {
  bytes_over_time: [[M], V],
  bytes_rate: [[M], V],
  first_over_time: [[M], V],
};

function build(name: string, [argTypes, returnType, optional = 0, repeatLast = false]: Sig, logql: boolean): FunctionSignature {
  const sig: FunctionSignature = {
    name,
    argTypes,
    // As in Prometheus, a repeating last argument may also be absent (`label_join(v, dst, sep)`).
    minArgs: argTypes.length - (repeatLast ? 1 : optional),
    maxArgs: repeatLast ? Infinity : argTypes.length,
    returnType,
  };
  if (logql) sig.logql = true;
  return sig;
}

/** Every known function by name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map([
  ...Object.entries(RAW).map(([n, s]) => [n, build(n, s, false)] as const),
  ...Object.entries(LOGQL).map(([n, s]) => [n, build(n, s, true)] as const),
]);

/** The signature of `name`, or undefined for an unknown function. Names are case-sensitive, as in PromQL. */
export function getFunction(name: string): FunctionSignature | undefined {
  return FUNCTIONS.get(name);
}
