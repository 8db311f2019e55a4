/**
 * Functions over instant vectors and scalars (everything but the range aggregations,
 * which are in `range-functions.ts` and the evaluator).
 *
 * ## What it owns
 * The functions of `src/query/functions.ts` that mean something for series computed from
 * logs, with Prometheus' semantics: element-wise math (`abs ceil floor exp ln log2 log10
 * sqrt sgn` and the trigonometric ones, `deg rad`, `round`, `clamp clamp_min clamp_max`),
 * which drop `__name__`; `vector scalar time pi timestamp absent`; the calendar functions
 * (`hour minute month year day_of_month day_of_week day_of_year days_in_month`, UTC, of the
 * sample value or of `time()`); `label_replace` and `label_join` (RE2 via our engine, Go's
 * `$1`/`${name}` expansion); `sort` and `sort_desc` (ascending/descending by value, NaN
 * last, ties by labels; the order shows in instant results only).
 *
 * Not here, and rejected with NOT_SUPPORTED by the evaluator: the counter and gauge
 * functions over Prometheus samples (`irate increase delta idelta deriv predict_linear
 * changes resets holt_winters double_exponential_smoothing`), histograms (`histogram_*`),
 * `info`, `sort_by_label*` (Prometheus sorts those in natural order), and the
 * `ts_of_*_over_time` functions.
 */
import type { Call } from '../query/ast.js';
import { compileRegex } from '../regex/index.js';
import { RegexSyntaxError } from '../regex/errors.js';
import { civilFromDays, daysInMonth, isLeapYear } from '../time.js';
import { compareLabels, isValidLabelName, type Series } from './labels.js';
import {
  assertUniqueSeries,
  constantScalar,
  nameDropper,
  queryError,
  type CompileContext,
  type EvalNode,
  type Sample,
  type ScalarNode,
  type StringNode,
  type VectorNode,
} from './nodes.js';
import { promTimeNumber } from './result.js';
import { InternalError } from '../errors.js';
import { expandTemplate } from '../regex/expand.js';

const MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
  acos: Math.acos,
  acosh: Math.acosh,
  asin: Math.asin,
  asinh: Math.asinh,
  atan: Math.atan,
  atanh: Math.atanh,
  cos: Math.cos,
  cosh: Math.cosh,
  sin: Math.sin,
  sinh: Math.sinh,
  tan: Math.tan,
  tanh: Math.tanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
};

/** Calendar fields of Unix seconds (UTC), as Go's `time.Unix(int64(v), 0).UTC()` gives them. */
function calendar(field: string): (seconds: number) => number {
  return (seconds) => {
    if (!Number.isFinite(seconds)) return NaN;
    const s = Math.trunc(seconds);
    const days = Math.floor(s / 86400);
    const rem = s - days * 86400;
    const { year, month, day } = civilFromDays(days);
    switch (field) {
      case 'hour':
        return Math.floor(rem / 3600);
      case 'minute':
        return Math.floor((rem % 3600) / 60);
      case 'month':
        return month;
      case 'year':
        return year;
      case 'day_of_month':
        return day;
      case 'day_of_week':
        return (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
      case 'day_of_year': {
        const before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][month - 1]!;
        return before + day + (month > 2 && isLeapYear(year) ? 1 : 0);
      }
      case 'days_in_month':
        return daysInMonth(year, month);
      default:
        throw new InternalError(`unknown calendar field ${field}`);
    }
  };
}

const CALENDAR = new Set(['hour', 'minute', 'month', 'year', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month']);

/** Functions this module evaluates. */
export const INSTANT_FUNCTIONS: ReadonlySet<string> = new Set([
  ...Object.keys(MATH),
  ...CALENDAR,
  'round',
  'clamp',
  'clamp_min',
  'clamp_max',
  'vector',
  'scalar',
  'time',
  'pi',
  'timestamp',
  'absent',
  'label_replace',
  'label_join',
  'sort',
  'sort_desc',
]);

function stringArg(node: EvalNode): string {
  return (node as StringNode).value;
}

/** Compiles a call of one of {@link INSTANT_FUNCTIONS}; `args` are compiled and type-checked. */
export function compileInstantFunction(call: Call, args: EvalNode[], ctx: CompileContext): EvalNode {
  const name = call.func;
  const dropName = nameDropper(ctx.table);
  const vectorArg = args[0] as VectorNode;
  const scalarArg = (i: number, fallback: number): ScalarNode => (args[i] as ScalarNode | undefined) ?? constantScalar(fallback);
  const map = (f: (v: number, step: number) => number, keepName = false): VectorNode => ({
    kind: 'vector',
    at: (k) => vectorArg.at(k).map((s) => ({ series: keepName ? s.series : dropName(s.series), value: f(s.value, k) })),
  });
  const seconds = (k: number): number => promTimeNumber(ctx.stepTimesNs[k]!);

  const math = MATH[name];
  if (math !== undefined) return map(math);
  if (CALENDAR.has(name)) {
    const field = calendar(name);
    if (args.length === 0) {
      const empty = ctx.table.intern({});
      return { kind: 'vector', at: (k) => [{ series: empty, value: field(seconds(k)) }] };
    }
    return map(field);
  }
  switch (name) {
    case 'round': {
      const to = scalarArg(1, 1);
      return {
        kind: 'vector',
        at: (k) => {
          // Prometheus: floor(v / to + 0.5) * to, through the inverse for precision.
          const inverse = 1 / to.at(k);
          return vectorArg.at(k).map((s) => ({ series: dropName(s.series), value: Math.floor(s.value * inverse + 0.5) / inverse }));
        },
      };
    }
    case 'clamp':
    case 'clamp_min':
    case 'clamp_max': {
      const lo = name === 'clamp_max' ? constantScalar(-Infinity) : scalarArg(1, -Infinity);
      const hi = name === 'clamp' ? scalarArg(2, Infinity) : name === 'clamp_max' ? scalarArg(1, Infinity) : constantScalar(Infinity);
      return {
        kind: 'vector',
        at: (k) => {
          const min = lo.at(k);
          const max = hi.at(k);
          if (max < min) return [];
          return vectorArg.at(k).map((s) => ({ series: dropName(s.series), value: Math.max(min, Math.min(max, s.value)) }));
        },
      };
    }
    case 'vector': {
      const s = args[0] as ScalarNode;
      const empty = ctx.table.intern({});
      return { kind: 'vector', at: (k) => [{ series: empty, value: s.at(k) }] };
    }
    case 'scalar':
      return {
        kind: 'scalar',
        at: (k) => {
          const v = vectorArg.at(k);
          return v.length === 1 ? v[0]!.value : NaN;
        },
      };
    case 'time':
      return { kind: 'scalar', at: seconds };
    case 'pi':
      return constantScalar(Math.PI);
    case 'timestamp':
      // Computed series carry the evaluation time (Prometheus does the same for non-selectors).
      return map((_v, k) => seconds(k));
    case 'absent': {
      const empty = ctx.table.intern({});
      return { kind: 'vector', at: (k) => (vectorArg.at(k).length === 0 ? [{ series: empty, value: 1 }] : []) };
    }
    case 'sort':
    case 'sort_desc': {
      const descending = name === 'sort_desc';
      // LogQL's `sort by (a) (…)` sorts within each group; groups come in label order.
      const grouping = call.grouping ?? null;
      const groupCache = new Map<Series, Series>();
      const groupOf = (series: Series): Series => {
        if (grouping === null) return series;
        let g = groupCache.get(series);
        if (g === undefined) {
          const labels: Record<string, string> = {};
          for (const l of Object.keys(series.labels)) if (grouping.labels.includes(l) !== grouping.without) labels[l] = series.labels[l]!;
          groupCache.set(series, (g = ctx.table.intern(labels)));
        }
        return g;
      };
      return {
        kind: 'vector',
        at: (k) =>
          [...vectorArg.at(k)].sort((a, b) => {
            if (grouping !== null) {
              const g = compareLabels(groupOf(a.series).labels, groupOf(b.series).labels);
              if (g !== 0) return g;
            }
            const an = Number.isNaN(a.value);
            const bn = Number.isNaN(b.value);
            if (an !== bn) return an ? 1 : -1;
            if (!an && a.value !== b.value) return a.value < b.value === descending ? 1 : -1;
            return compareLabels(a.series.labels, b.series.labels);
          }),
      };
    }
    case 'label_replace':
      return labelReplace(call, args, ctx);
    case 'label_join':
      return labelJoin(call, args, ctx);
    default:
      throw new InternalError(`compileInstantFunction: ${name} is not an instant function`);
  }
}

function relabel(call: Call, input: VectorNode, edit: (series: Series) => Series): VectorNode {
  const cache = new Map<Series, Series>();
  return {
    kind: 'vector',
    at: (k) => {
      const out: Sample[] = input.at(k).map((s) => {
        let series = cache.get(s.series);
        if (series === undefined) cache.set(s.series, (series = edit(s.series)));
        return { series, value: s.value };
      });
      assertUniqueSeries(out, call.span);
      return out;
    },
  };
}

function labelReplace(call: Call, args: EvalNode[], ctx: CompileContext): VectorNode {
  const [dst, replacement, src, regex] = [1, 2, 3, 4].map((i) => stringArg(args[i]!)) as [string, string, string, string];
  if (!isValidLabelName(dst)) throw queryError('INVALID_EXPRESSION', `invalid destination label name in label_replace(): ${JSON.stringify(dst)}`, call.args[1]!.span);
  // An empty source is the usual way to add a constant label (`label_replace(v, "a", "b", "", "")`).
  if (src !== '' && !isValidLabelName(src)) throw queryError('INVALID_EXPRESSION', `invalid source label name in label_replace(): ${JSON.stringify(src)}`, call.args[3]!.span);
  let pattern;
  try {
    // Fully anchored, as Prometheus does: `^(?:regex)$`.
    pattern = compileRegex(`^(?:${regex})$`);
  } catch (e) {
    if (!(e instanceof RegexSyntaxError)) throw e;
    throw queryError('INVALID_REGEX', `invalid regular expression in label_replace(): ${e.message}`, call.args[4]!.span);
  }
  const encoder = new TextEncoder();
  return relabel(call, args[0] as VectorNode, (series) => {
    const bytes = encoder.encode(series.labels[src] ?? '');
    const slots = pattern.exec(bytes);
    if (slots === null) return series;
    const value = expandTemplate(replacement, bytes, slots, pattern.names);
    return ctx.table.derive(series, (l) => {
      if (value === '') delete l[dst];
      else l[dst] = value;
    });
  });
}

function labelJoin(call: Call, args: EvalNode[], ctx: CompileContext): VectorNode {
  const dst = stringArg(args[1]!);
  const separator = stringArg(args[2]!);
  const sources = args.slice(3).map(stringArg);
  if (!isValidLabelName(dst)) throw queryError('INVALID_EXPRESSION', `invalid destination label name in label_join(): ${JSON.stringify(dst)}`, call.args[1]!.span);
  sources.forEach((s, i) => {
    if (!isValidLabelName(s)) throw queryError('INVALID_EXPRESSION', `invalid source label name in label_join(): ${JSON.stringify(s)}`, call.args[3 + i]!.span);
  });
  return relabel(call, args[0] as VectorNode, (series) => {
    const value = sources.map((s) => series.labels[s] ?? '').join(separator);
    return ctx.table.derive(series, (l) => {
      if (value === '') delete l[dst];
      else l[dst] = value;
    });
  });
}
