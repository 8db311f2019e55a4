/**
 * The LetheQL abstract syntax tree: plain, JSON-serialisable, tagged objects.
 *
 * LetheQL is PromQL's grammar plus log line filters. The tree therefore has PromQL's
 * node kinds; a log query is a {@link VectorSelector} whose `name` is a log type
 * (`pod`, `node`) and which may carry {@link LineFilter}s. The parser does not decide
 * what a name means: the planner does (so `up{job="x"}` parses and is rejected later
 * with a span, exactly like an unsupported function).
 *
 * Every node has a `span` into the query text. Spans are ignored when comparing trees
 * for the printer round trip (`parse(print(ast))` equals `ast` modulo spans).
 */
import type { Span } from '../errors.js';

export type { Span, Position } from '../errors.js';

/** Label matcher operators, as in PromQL. */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** Line filter operators: contains, does not contain, matches regex, does not match regex. */
export type LineFilterOp = '|=' | '!=' | '|~' | '!~';

/** A duration in milliseconds (PromQL precision). May be negative only for `offset`. */
export interface Duration {
  ms: number;
  span: Span;
}

export interface LabelMatcher {
  kind: 'LabelMatcher';
  name: string;
  op: MatchOp;
  /** The decoded string value (escapes resolved). */
  value: string;
  span: Span;
  /** Span of the value's string literal, so regex errors can point into it. */
  valueSpan: Span;
}

export interface LineFilter {
  kind: 'LineFilter';
  op: LineFilterOp;
  /** The decoded string value (escapes resolved). */
  value: string;
  span: Span;
  valueSpan: Span;
}

/** `@ <timestamp>`, `@ start()`, `@ end()`. Timestamps are Unix seconds. */
export type AtModifier = { kind: 'AtTimestamp'; seconds: number; span: Span } | { kind: 'AtStart'; span: Span } | { kind: 'AtEnd'; span: Span };

/**
 * `name{matchers} <line filters>` — a PromQL instant vector selector, or a LetheQL log
 * selector when `name` is a log type. `name` is null for `{job="x"}`.
 */
export interface VectorSelector {
  kind: 'VectorSelector';
  name: string | null;
  matchers: LabelMatcher[];
  /** Log line filters, left to right. Always empty for plain PromQL. */
  lineFilters: LineFilter[];
  offset: Duration | null;
  at: AtModifier | null;
  span: Span;
}

/** `selector[range]` (PromQL range vector; for logs: the last `range` before the query end). */
export interface MatrixSelector {
  kind: 'MatrixSelector';
  selector: VectorSelector;
  range: Duration;
  offset: Duration | null;
  at: AtModifier | null;
  span: Span;
}

/** `expr[range:step]` (step optional). */
export interface SubqueryExpr {
  kind: 'SubqueryExpr';
  expr: Expr;
  range: Duration;
  step: Duration | null;
  offset: Duration | null;
  at: AtModifier | null;
  span: Span;
}

export interface NumberLiteral {
  kind: 'NumberLiteral';
  /** May be NaN or ±Infinity. Not JSON-safe for those; the printer prints `NaN`, `Inf`, `-Inf`. */
  value: number;
  span: Span;
}

export interface StringLiteral {
  kind: 'StringLiteral';
  value: string;
  span: Span;
}

export interface ParenExpr {
  kind: 'ParenExpr';
  expr: Expr;
  span: Span;
}

export interface UnaryExpr {
  kind: 'UnaryExpr';
  op: '-' | '+';
  expr: Expr;
  span: Span;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

/** `on(...)`/`ignoring(...)` and `group_left(...)`/`group_right(...)`. */
export interface VectorMatching {
  /** true for `on(...)`, false for `ignoring(...)`. */
  on: boolean;
  labels: string[];
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** Labels listed in `group_left(...)`/`group_right(...)`. */
  include: string[];
}

export interface BinaryExpr {
  kind: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** The `bool` modifier of comparisons. */
  returnBool: boolean;
  /** null when neither on/ignoring nor group_* was written. */
  matching: VectorMatching | null;
  span: Span;
}

export type AggregateOp =
  | 'sum' | 'avg' | 'min' | 'max' | 'count' | 'stddev' | 'stdvar' | 'group'
  | 'topk' | 'bottomk' | 'quantile' | 'count_values' | 'limitk' | 'limit_ratio';

export interface AggregateExpr {
  kind: 'AggregateExpr';
  op: AggregateOp;
  /** The parameter of topk/bottomk/quantile/count_values/limitk/limit_ratio. */
  param: Expr | null;
  expr: Expr;
  /** Labels in `by (...)` or `without (...)`; empty with `without: false` means no grouping clause. */
  grouping: string[];
  without: boolean;
  /** Whether a `by`/`without` clause was written at all (`sum by () (x)` differs from `sum(x)` only in print). */
  hasGrouping: boolean;
  span: Span;
}

/** A function call, e.g. `rate(x[5m])`, `count_over_time(pod{namespace="a"}[5m])`. */
export interface Call {
  kind: 'Call';
  func: string;
  args: Expr[];
  span: Span;
}

export type Expr =
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | NumberLiteral
  | StringLiteral
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | AggregateExpr
  | Call;

export { LOG_TYPES, isLogType } from '../model.js';
export type { LogType } from '../model.js';
