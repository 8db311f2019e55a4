/**
 * The LetheQL abstract syntax tree: plain, JSON-serialisable, tagged objects.
 *
 * LetheQL is PromQL's grammar plus LogQL's log pipeline. The tree therefore has PromQL's
 * node kinds; a log query is a {@link VectorSelector} whose `name` is a log type
 * (`pod`, `node`) and which may carry leading {@link LineFilter}s (what the scan kernel
 * runs) and then a {@link PipelineStage} list (parsers, label filters, formatters, drop/keep,
 * unwrap, and line filters written after a stage), evaluated by `src/pipeline/`. The parser
 * does not decide what a name means: the planner does (so `up{job="x"}` parses and is
 * rejected later with a span, exactly like an unsupported function). The one exception is
 * LogQL's placement rule for `| unwrap`, which the parser enforces because it is syntax in
 * LogQL (a range aggregation over an unwrapped range).
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

/** Pipeline stage names, as written after `|` (case-insensitive, like LogQL's keywords). */
export const STAGE_NAMES = ['json', 'logfmt', 'regexp', 'pattern', 'unpack', 'decolorize', 'line_format', 'label_format', 'drop', 'keep', 'unwrap'] as const;

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
  /** The decoded string value (escapes resolved); for `ip("…")`, the pattern. */
  value: string;
  /** `|= ip("…")` / `!= ip("…")`: the line holds an address in the pattern (`pipeline/ip.ts`). */
  ip?: true;
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
  /** The leading log line filters, left to right (before any `| stage`). Always empty for plain PromQL. */
  lineFilters: LineFilter[];
  /**
   * The LogQL pipeline after the leading line filters, left to right: everything from the
   * first `| stage` on, including line filters written after a stage. Always empty for
   * plain PromQL and for log queries without stages.
   */
  pipeline: PipelineStage[];
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
  | 'topk' | 'bottomk' | 'quantile' | 'count_values' | 'limitk' | 'limit_ratio'
  /** LogQL's `approx_topk(k, x)`: evaluated exactly, as `topk` (see `metrics/aggregations.ts`). */
  | 'approx_topk';

export interface AggregateExpr {
  kind: 'AggregateExpr';
  op: AggregateOp;
  /** The parameter of topk/approx_topk/bottomk/quantile/count_values/limitk/limit_ratio. */
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
  /**
   * LogQL's grouping on a call: `avg_over_time(… | unwrap x [5m]) by (a)` (range
   * aggregations over an unwrapped range) and `sort by (a) (x)`. null when none was written.
   */
  grouping: CallGrouping | null;
  span: Span;
}

/** `by (a, b)` / `without (a)` on a {@link Call}. */
export interface CallGrouping {
  without: boolean;
  labels: string[];
}

// ---------------------------------------------------------------------------
// LogQL log pipeline stages (after a selector's leading line filters).
// ---------------------------------------------------------------------------

/** `a="x.y"` in `| json a="x.y"` or `| logfmt a="b"`; the shorthand `| json a` is `a="a"`. */
export interface LabelExtraction {
  kind: 'LabelExtraction';
  /** The label to set. */
  label: string;
  /** json: a path (`a.b`, `a[0]`, `a["k"]`); logfmt: a key. */
  path: string;
  span: Span;
  /** Span of the path's string literal (the label name for the shorthand form). */
  valueSpan: Span;
}

/** `| json` (every field, nested keys joined with `_`) or `| json a="x.y", …` (only those). */
export interface JsonStage {
  kind: 'JsonStage';
  params: LabelExtraction[];
  span: Span;
}

/** `| logfmt [--strict] [--keep-empty] [a, b="c"]`. */
export interface LogfmtStage {
  kind: 'LogfmtStage';
  strict: boolean;
  keepEmpty: boolean;
  params: LabelExtraction[];
  span: Span;
}

/** `| regexp "<RE2 with named groups>"`. */
export interface RegexpStage {
  kind: 'RegexpStage';
  pattern: string;
  span: Span;
  valueSpan: Span;
}

/** `| pattern "<ip> - - <_> …"`. */
export interface PatternStage {
  kind: 'PatternStage';
  pattern: string;
  span: Span;
  valueSpan: Span;
}

/** `| unpack`: JSON object of strings; `_entry` replaces the line. */
export interface UnpackStage {
  kind: 'UnpackStage';
  span: Span;
}

/** `| decolorize`: strips ANSI escape sequences from the line. */
export interface DecolorizeStage {
  kind: 'DecolorizeStage';
  span: Span;
}

/** Label filter operators: string matchers and comparisons. */
export type LabelFilterOp = '=' | '!=' | '=~' | '!~' | '==' | '>' | '>=' | '<' | '<=';

/**
 * A label filter's value, typed by how it was written (as LogQL infers it): `"500"` is a
 * string, `500` a number, `250ms` a duration, `1MB` bytes.
 */
export type LabelFilterValue =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  /** Nanoseconds (Go `time.Duration`). */
  | { type: 'duration'; ns: number }
  /** Bytes, go-humanize units (`1MB` = 10^6, `1MiB` = 2^20). */
  | { type: 'bytes'; bytes: number }
  /** `ip("…")` (with `=` and `!=`): the label's value is an address in the pattern. */
  | { type: 'ip'; pattern: string };

/**
 * `status >= 500`, `level =~ "warn|error"`. String values take `= != =~ !~`; numbers,
 * durations and bytes take `== != > >= < <=` (`=` is read as `==`).
 */
export interface LabelPredicate {
  kind: 'LabelPredicate';
  name: string;
  op: LabelFilterOp;
  value: LabelFilterValue;
  span: Span;
  valueSpan: Span;
}

/** `a and b` (also written `a, b` or `a b`), `a or b`. */
export interface LabelFilterBinary {
  kind: 'LabelFilterBinary';
  op: 'and' | 'or';
  left: LabelFilterExpr;
  right: LabelFilterExpr;
  span: Span;
}

export type LabelFilterExpr = LabelPredicate | LabelFilterBinary;

/** `| <label filter expression>`. */
export interface LabelFilterStage {
  kind: 'LabelFilterStage';
  filter: LabelFilterExpr;
  span: Span;
}

/** `| line_format "<template>"`. */
export interface LineFormatStage {
  kind: 'LineFormatStage';
  template: string;
  span: Span;
  valueSpan: Span;
}

/** `dst=src` in `| label_format`: renames `src` to `dst`. */
export interface LabelRename {
  kind: 'LabelRename';
  dst: string;
  src: string;
  span: Span;
}

/** `dst="<template>"` in `| label_format`. */
export interface LabelTemplate {
  kind: 'LabelTemplate';
  dst: string;
  template: string;
  span: Span;
  valueSpan: Span;
}

/** `| label_format a=b, c="{{.x}}"`. */
export interface LabelFormatStage {
  kind: 'LabelFormatStage';
  items: (LabelRename | LabelTemplate)[];
  span: Span;
}

/** A bare label name in `| drop a` / `| keep a`. */
export interface LabelNameRef {
  kind: 'LabelName';
  name: string;
  span: Span;
}

/** `| drop a, b="v"`: removes the named labels (those with a matcher only when it matches). */
export interface DropStage {
  kind: 'DropStage';
  labels: (LabelNameRef | LabelMatcher)[];
  span: Span;
}

/** `| keep a, b="v"`: keeps only these labels (and `__error__`, `__error_details__`). */
export interface KeepStage {
  kind: 'KeepStage';
  labels: (LabelNameRef | LabelMatcher)[];
  span: Span;
}

/** How `| unwrap` turns a label value into a sample value. */
export type UnwrapConversion = 'float' | 'duration' | 'duration_seconds' | 'bytes';

/** `| unwrap x`, `| unwrap duration(x)`, `| unwrap bytes(x)`; only label filters may follow it. */
export interface UnwrapStage {
  kind: 'UnwrapStage';
  label: string;
  conversion: UnwrapConversion;
  span: Span;
}

export type PipelineStage =
  | LineFilter
  | JsonStage
  | LogfmtStage
  | RegexpStage
  | PatternStage
  | UnpackStage
  | DecolorizeStage
  | LabelFilterStage
  | LineFormatStage
  | LabelFormatStage
  | DropStage
  | KeepStage
  | UnwrapStage;

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
