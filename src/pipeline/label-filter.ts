/**
 * Label filters (`| status >= 500`, `| level =~ "warn|error"`, `| duration > 250ms`,
 * `| size >= 1MB`, combined with `and`/`or`): compiled to closures once per query.
 *
 * Semantics (Loki's `label_filter.go`):
 * - string matchers (`= != =~ !~`) compare the label's value, `""` when the label is
 *   absent, so `| __error__ = ""` keeps the lines without errors; regexes match the whole
 *   value (`^(?:re)$`, RE2);
 * - numbers, durations and bytes convert the label's value first (Go's `ParseFloat`,
 *   `time.ParseDuration`, go-humanize's `ParseBytes`): an absent label filters the line
 *   out; a value that does not convert keeps the line and sets
 *   `__error__="LabelFilterErr"` (unless an error is already set) with the reason in
 *   `__error_details__`. They never read `__error__` / `__error_details__`, which are not
 *   numbers (such a filter drops the line);
 * - `or` stops at its first true operand; `and` at its first false one.
 */
import type { LabelFilterExpr, LabelPredicate } from '../query/ast.js';
import { parseGoDuration, parseGoFloat, parseHumanBytes, type Conversion } from '../query/units.js';
import { fullMatcher } from './regex-util.js';
import { ipInSet, parseIpPattern } from './ip.js';
import { ERROR_DETAILS_LABEL, ERROR_LABEL, PipelineErrors, setError, type LineState } from './state.js';
import { InternalError } from '../errors.js';

/** A compiled filter: keep the line? */
export type LabelFilterFn = (st: LineState) => boolean;

/** Compiles a filter expression. Throws RegexSyntaxError for an invalid `=~`/`!~` pattern (the caller adds a span). */
export function compileLabelFilter(expr: LabelFilterExpr, onRegex: (p: LabelPredicate) => (value: string) => boolean = (p) => fullMatcher(p.value.type === 'string' ? p.value.value : '')): LabelFilterFn {
  if (expr.kind === 'LabelFilterBinary') {
    const left = compileLabelFilter(expr.left, onRegex);
    const right = compileLabelFilter(expr.right, onRegex);
    return expr.op === 'and' ? (st) => left(st) && right(st) : (st) => left(st) || right(st);
  }
  const name = expr.name;
  const v = expr.value;
  if (v.type === 'ip') {
    const set = parseIpPattern(v.pattern);
    return expr.op === '=' ? (st) => ipInSet(set, st.labels[name] ?? '') : (st) => !ipInSet(set, st.labels[name] ?? '');
  }
  if (v.type === 'string') {
    const want = v.value;
    switch (expr.op) {
      case '=':
        return (st) => (st.labels[name] ?? '') === want;
      case '!=':
        return (st) => (st.labels[name] ?? '') !== want;
      case '=~': {
        const m = onRegex(expr);
        return (st) => m(st.labels[name] ?? '');
      }
      default: {
        const m = onRegex(expr);
        return (st) => !m(st.labels[name] ?? '');
      }
    }
  }
  const target = v.type === 'number' ? v.value : v.type === 'duration' ? v.ns : v.bytes;
  const convert: (s: string) => Conversion = v.type === 'number' ? parseGoFloat : v.type === 'duration' ? parseGoDuration : parseHumanBytes;
  const cmp = comparator(expr.op);
  const unreadable = name === ERROR_LABEL || name === ERROR_DETAILS_LABEL;
  return (st) => {
    if (unreadable) return false;
    const raw = st.labels[name];
    if (raw === undefined) return false;
    const c = convert(raw);
    if (!c.ok) {
      setError(st, PipelineErrors.labelFilter, c.error, true);
      return true;
    }
    return cmp(c.value, target);
  };
}

function comparator(op: LabelPredicate['op']): (a: number, b: number) => boolean {
  switch (op) {
    case '==':
    case '=':
      return (a, b) => a === b;
    case '!=':
      return (a, b) => a !== b;
    case '>':
      return (a, b) => a > b;
    case '>=':
      return (a, b) => a >= b;
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    default:
      throw new InternalError(`${op} is not a comparison`);
  }
}

/** The label names a filter reads. */
export function labelFilterNames(expr: LabelFilterExpr, out: Set<string> = new Set()): Set<string> {
  if (expr.kind === 'LabelFilterBinary') {
    labelFilterNames(expr.left, out);
    labelFilterNames(expr.right, out);
  } else {
    out.add(expr.name);
  }
  return out;
}
