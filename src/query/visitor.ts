/**
 * CST → AST: the semantic half of the parser.
 *
 * Owns: decoding literals into values, spans for every node, and the cheap checks that
 * Prometheus's own parser makes while building its tree (Prometheus messages, kept
 * recognisable): where `[range]`, `offset` and `@` may go, `bool` only on comparisons,
 * no `group_*` on set operators, function names and arity, aggregation arity, and that
 * a selector without a name has a non-empty matcher. Type checking (vector vs scalar
 * operands, range vs instant arguments) is deliberately not here: it belongs to a later
 * stage that knows what log types evaluate to.
 *
 * For the LogQL pipeline it checks what LogQL's parser checks: operators against value
 * types in label filters, parser flags, label_format targets, that templates, json paths
 * and patterns parse (errors point into the string literal), that only label filters
 * follow `| unwrap`, and LogQL's range-aggregation rules (which functions take an
 * unwrapped range, which need one, which may be grouped). Regexes are checked when the
 * pipeline is compiled (`src/pipeline/`), like line-filter regexes in the planner: the
 * regex engine comes after the front end.
 *
 * Nodes are built bottom-up and never mutated after being returned to a parent except
 * by copying (modifiers produce new objects), so spans stay truthful.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { InternalError, positionIndex, QueryError, type Position, type Span } from '../errors.js';
import { parseIpPattern } from '../pipeline/ip.js';
import type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  CallGrouping,
  Duration,
  Expr,
  LabelExtraction,
  LabelFilterExpr,
  LabelFilterOp,
  LabelFilterValue,
  LabelMatcher,
  LabelNameRef,
  LabelPredicate,
  LabelRename,
  LabelTemplate,
  LineFilter,
  LineFilterOp,
  MatchOp,
  MatrixSelector,
  PipelineStage,
  SubqueryExpr,
  UnwrapConversion,
  UnwrapStage,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import { isLogType } from './ast.js';
import { getFunction } from './functions.js';
import { UNWRAP_CONVERSIONS } from './grammar.js';
import { JsonPathError, parseJsonPath } from './json-path.js';
import * as T from './lexer.js';
import { parsePattern, PatternSyntaxError } from './pattern.js';
import { parseTemplate, TemplateSyntaxError } from './template.js';
import { parseGoDuration, parseHumanBytes } from './units.js';

const PARAM_AGGREGATES = new Set<AggregateOp>(['topk', 'approx_topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);
const COMPARISON_OPS = new Set<BinaryOp>(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set<BinaryOp>(['and', 'or', 'unless']);
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** LogQL range aggregations (functions whose range argument may be a log range). */
const LOG_RANGE_FUNCTIONS = new Set([
  'count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'absent_over_time',
  'sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'first_over_time', 'last_over_time',
  'stddev_over_time', 'stdvar_over_time', 'quantile_over_time',
]);
/** Range aggregations that accept `| unwrap` (Loki's `RangeAggregationExpr.validate`). */
const UNWRAP_FUNCTIONS = new Set([
  'rate', 'absent_over_time', 'sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time',
  'first_over_time', 'last_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time',
]);
/** Range aggregations that need `| unwrap` over a log range. */
const UNWRAP_REQUIRED = new Set([
  'sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'first_over_time', 'last_over_time',
  'stddev_over_time', 'stdvar_over_time', 'quantile_over_time',
]);
/** Range aggregations LogQL lets group (`… by (a)`), plus its `sort`/`sort_desc` aggregations. */
const GROUPABLE_RANGE = new Set(['avg_over_time', 'min_over_time', 'max_over_time', 'first_over_time', 'last_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time']);
const GROUPABLE_VECTOR = new Set(['sort', 'sort_desc']);

/** The labels a pipeline sets itself; label_format may not target the error label. */
const ERROR_LABEL = '__error__';

function findUnwrap(pipeline: readonly PipelineStage[]): UnwrapStage | undefined {
  return pipeline.find((s): s is UnwrapStage => s.kind === 'UnwrapStage');
}

/** Is this selector a log query by syntax (a log type, line filters or a pipeline)? */
function isLogSelector(sel: VectorSelector): boolean {
  return isLogType(sel.name) || sel.lineFilters.length > 0 || sel.pipeline.length > 0;
}

function isToken(el: CstElement): el is IToken {
  return (el as IToken).tokenType !== undefined;
}

function tokens(node: CstNode, key: string): IToken[] {
  return (node.children[key] ?? []).filter(isToken);
}

function nodes(node: CstNode, key: string): CstNode[] {
  return (node.children[key] ?? []).filter((el): el is CstNode => !isToken(el));
}

function token(node: CstNode, key: string): IToken | undefined {
  return tokens(node, key)[0];
}

function child(node: CstNode, key: string): CstNode | undefined {
  return nodes(node, key)[0];
}

/** Builds the AST of one parse; holds the query text so that spans can be computed. */
export class AstBuilder {
  /** Offset → line:column, indexed once per query (a span per node must not rescan the text). */
  private readonly position: (offset: number) => Position;
  constructor(private readonly text: string) {
    this.position = positionIndex(text);
  }

  /** Entry point: the `query` rule's CST. */
  build(query: CstNode): Expr {
    const expr = this.expression(child(query, 'expression')!);
    this.checkUnwrapPlacement(expr, false);
    return expr;
  }

  /**
   * `| unwrap` only makes sense inside a range aggregation over the unwrapped range
   * (`sum_over_time(… | unwrap x [5m])`); `call()` has already rejected the aggregations
   * that do not take one.
   */
  private checkUnwrapPlacement(e: Expr, allowed: boolean): void {
    switch (e.kind) {
      case 'VectorSelector': {
        const unwrap = findUnwrap(e.pipeline);
        if (unwrap && !allowed) {
          this.fail('INVALID_EXPRESSION', 'unwrap is only allowed in a range aggregation over the unwrapped range, e.g. sum_over_time(… | unwrap x [5m])', unwrap.span);
        }
        return;
      }
      case 'MatrixSelector':
        return this.checkUnwrapPlacement(e.selector, allowed);
      case 'Call':
        e.args.forEach((arg, i) => this.checkUnwrapPlacement(arg, i === e.args.length - 1 && arg.kind === 'MatrixSelector' && UNWRAP_FUNCTIONS.has(e.func)));
        return;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        return this.checkUnwrapPlacement(e.expr, false);
      case 'BinaryExpr':
        this.checkUnwrapPlacement(e.lhs, false);
        return this.checkUnwrapPlacement(e.rhs, false);
      case 'AggregateExpr':
        if (e.param) this.checkUnwrapPlacement(e.param, false);
        return this.checkUnwrapPlacement(e.expr, false);
      default:
        return;
    }
  }

  // ----- spans ---------------------------------------------------------------

  private span(start: number, end: number): Span {
    return { start: this.position(start), end: this.position(Math.max(start, end)) };
  }

  private tokenSpan(tok: IToken): Span {
    return this.span(tok.startOffset, tok.startOffset + tok.image.length);
  }

  private nodeSpan(node: CstNode): Span {
    const loc = node.location!;
    return this.span(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }

  private nodeEnd(node: CstNode): number {
    const loc = node.location!;
    return (loc.endOffset ?? loc.startOffset) + 1;
  }

  /**
   * A span inside a string literal: exact when the literal is written without escapes on
   * one line (so value offsets are query offsets), else the whole literal.
   */
  private innerSpan(valueSpan: Span, value: string, from: number, to: number): Span {
    const width = valueSpan.end.offset - valueSpan.start.offset;
    if (valueSpan.start.line !== valueSpan.end.line || width !== value.length + 2) return valueSpan;
    const base = valueSpan.start.offset + 1;
    return this.span(base + from, base + Math.max(from, to));
  }

  private join(a: { span: Span }, b: { span: Span }): Span {
    return this.span(a.span.start.offset, b.span.end.offset);
  }

  private fail(code: 'INVALID_EXPRESSION' | 'QUERY_TOO_DEEP' | 'UNKNOWN_FUNCTION' | 'WRONG_ARGUMENT_COUNT' | 'INVALID_DURATION' | 'INVALID_NUMBER', message: string, span: Span): never {
    throw new QueryError(code, message, span);
  }

  // ----- expressions -----------------------------------------------------------

  private expression(node: CstNode): Expr {
    return this.binaryLevel(child(node, 'orExpr')!);
  }

  /** One precedence level: operands folded left to right (left associativity). */
  private binaryLevel(node: CstNode): Expr {
    const operands = nodes(node, 'operands');
    const ops = tokens(node, 'ops');
    const modifiers = nodes(node, 'modifiers');
    let lhs = this.dispatch(operands[0]!);
    for (let i = 0; i < ops.length; i++) {
      const rhs = this.dispatch(operands[i + 1]!);
      lhs = this.binary(ops[i]!, lhs, rhs, modifiers[i]);
    }
    return lhs;
  }

  private dispatch(node: CstNode): Expr {
    switch (node.name) {
      case 'orExpr':
      case 'andExpr':
      case 'cmpExpr':
      case 'addExpr':
      case 'mulExpr':
        return this.binaryLevel(node);
      case 'unaryExpr':
        return this.unary(node);
      default:
        throw new InternalError(`unexpected CST node ${node.name}`);
    }
  }

  private unary(node: CstNode): Expr {
    const sign = token(node, 'sign');
    const operandNode = child(node, 'operand')!;
    if (!sign) return this.pow(operandNode);
    const operand = this.unary(operandNode);
    const span = this.span(sign.startOffset, operand.span.end.offset);
    const op = sign.image as '+' | '-';
    // Prometheus folds a sign into a number literal (`-1` is the number -1), which also
    // makes `-Inf` a literal. The printer relies on this to print negative numbers.
    if (operand.kind === 'NumberLiteral') return { kind: 'NumberLiteral', value: op === '-' ? -operand.value : operand.value, span };
    return { kind: 'UnaryExpr', op, expr: operand, span };
  }

  private pow(node: CstNode): Expr {
    const base = this.postfix(child(node, 'base')!);
    const caret = token(node, 'Caret');
    if (!caret) return base;
    const exponent = this.unary(child(node, 'exponent')!);
    return this.binary(caret, base, exponent, child(node, 'modifiers'));
  }

  private binary(opTok: IToken, lhs: Expr, rhs: Expr, mods: CstNode | undefined): BinaryExpr {
    const op = opTok.image.toLowerCase() as BinaryOp;
    let returnBool = false;
    let matching: VectorMatching | null = null;
    if (mods) {
      const boolTok = token(mods, 'Bool');
      if (boolTok) {
        if (!COMPARISON_OPS.has(op)) this.fail('INVALID_EXPRESSION', 'bool modifier can only be used on comparison operators', this.tokenSpan(boolTok));
        returnBool = true;
      }
      const onTok = token(mods, 'On') ?? token(mods, 'Ignoring');
      if (onTok) {
        const labels = this.labelList(child(mods, 'matchingLabels')!);
        const groupTok = token(mods, 'GroupLeft') ?? token(mods, 'GroupRight');
        const includeNode = child(mods, 'includeLabels');
        const include = includeNode ? this.labelList(includeNode) : [];
        let card: VectorMatching['card'] = SET_OPS.has(op) ? 'many-to-many' : 'one-to-one';
        if (groupTok) {
          if (SET_OPS.has(op)) this.fail('INVALID_EXPRESSION', `no grouping allowed for "${op}" operation`, this.tokenSpan(groupTok));
          card = groupTok.tokenType === T.GroupLeft ? 'many-to-one' : 'one-to-many';
          const isOn = onTok.tokenType === T.On;
          if (isOn) {
            for (const l of include) {
              if (labels.includes(l)) {
                this.fail('INVALID_EXPRESSION', `label "${l}" must not occur in ON and GROUP clause at once`, this.nodeSpan(includeNode!));
              }
            }
          }
        }
        matching = { on: onTok.tokenType === T.On, labels, card, include };
      }
    }
    return { kind: 'BinaryExpr', op, lhs, rhs, returnBool, matching, span: this.join(lhs, rhs) };
  }

  // ----- postfix: ranges, subqueries, offset, @ ---------------------------------

  private postfix(node: CstNode): Expr {
    let expr = this.primary(child(node, 'primary')!);
    for (const suffix of nodes(node, 'suffixes')) {
      switch (suffix.name) {
        case 'rangeSuffix':
          expr = this.range(expr, suffix);
          break;
        case 'offsetModifier':
          expr = this.offset(expr, suffix);
          break;
        case 'atModifier':
          expr = this.at(expr, suffix);
          break;
        default:
          throw new InternalError(`unexpected CST suffix ${suffix.name}`);
      }
    }
    return expr;
  }

  private duration(tok: IToken, negative = false, start = tok.startOffset): Duration {
    const ms = T.parseDurationLiteral(tok.image, this.text, tok.startOffset);
    return { ms: negative ? -ms : ms, span: this.span(start, tok.startOffset + tok.image.length) };
  }

  private range(expr: Expr, suffix: CstNode): MatrixSelector | SubqueryExpr {
    const suffixSpan = this.nodeSpan(suffix);
    const span = this.span(expr.span.start.offset, suffixSpan.end.offset);
    const range = this.duration(token(suffix, 'range')!);
    if (token(suffix, 'Colon')) {
      if (expr.kind === 'MatrixSelector' || expr.kind === 'SubqueryExpr') {
        this.fail('INVALID_EXPRESSION', 'subquery is only allowed on instant vector, got range vector', suffixSpan);
      }
      const stepTok = token(suffix, 'step');
      const step = stepTok ? this.duration(stepTok) : null;
      if (step && step.ms === 0) this.fail('INVALID_DURATION', 'subquery step must be greater than 0', step.span);
      return { kind: 'SubqueryExpr', expr, range, step, offset: null, at: null, span };
    }
    if (expr.kind !== 'VectorSelector') this.fail('INVALID_EXPRESSION', 'ranges only allowed for vector selectors', suffixSpan);
    if (expr.offset) this.fail('INVALID_EXPRESSION', 'no offset modifiers allowed before range', suffixSpan);
    if (expr.at) this.fail('INVALID_EXPRESSION', 'no @ modifiers allowed before range', suffixSpan);
    return { kind: 'MatrixSelector', selector: expr, range, offset: null, at: null, span };
  }

  private offset(expr: Expr, suffix: CstNode): Expr {
    const suffixSpan = this.nodeSpan(suffix);
    if (expr.kind !== 'VectorSelector' && expr.kind !== 'MatrixSelector' && expr.kind !== 'SubqueryExpr') {
      this.fail('INVALID_EXPRESSION', 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery', suffixSpan);
    }
    if (expr.offset) this.fail('INVALID_EXPRESSION', 'offset may not be set multiple times', suffixSpan);
    const minus = token(suffix, 'Minus');
    const durTok = token(suffix, 'Duration')!;
    const offset = this.duration(durTok, minus !== undefined, (minus ?? durTok).startOffset);
    return { ...expr, offset, span: this.span(expr.span.start.offset, suffixSpan.end.offset) };
  }

  private at(expr: Expr, suffix: CstNode): Expr {
    const suffixSpan = this.nodeSpan(suffix);
    if (expr.kind !== 'VectorSelector' && expr.kind !== 'MatrixSelector' && expr.kind !== 'SubqueryExpr') {
      this.fail('INVALID_EXPRESSION', '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery', suffixSpan);
    }
    if (expr.at) this.fail('INVALID_EXPRESSION', '@ <timestamp> may not be set multiple times', suffixSpan);
    let at: AtModifier;
    const numTok = token(suffix, 'NumberLit');
    if (numTok) {
      const sign = token(suffix, 'sign');
      const value = T.parseNumberLiteral(numTok.image);
      const seconds = sign?.image === '-' ? -value : value;
      if (!Number.isFinite(seconds)) this.fail('INVALID_EXPRESSION', 'timestamp out of bounds for @ modifier', suffixSpan);
      at = { kind: 'AtTimestamp', seconds, span: suffixSpan };
    } else {
      at = token(suffix, 'Start') ? { kind: 'AtStart', span: suffixSpan } : { kind: 'AtEnd', span: suffixSpan };
    }
    return { ...expr, at, span: this.span(expr.span.start.offset, suffixSpan.end.offset) };
  }

  // ----- primaries ---------------------------------------------------------------

  private primary(node: CstNode): Expr {
    const num = token(node, 'NumberLit');
    if (num) return { kind: 'NumberLiteral', value: T.parseNumberLiteral(num.image), span: this.tokenSpan(num) };
    const str = token(node, 'StringLit');
    if (str) return { kind: 'StringLiteral', value: this.string(str), span: this.tokenSpan(str) };
    const paren = child(node, 'parenExpr');
    if (paren) return { kind: 'ParenExpr', expr: this.expression(child(paren, 'expression')!), span: this.nodeSpan(paren) };
    const agg = child(node, 'aggregateExpr');
    if (agg) return this.aggregate(agg);
    const call = child(node, 'functionCall');
    if (call) return this.call(call);
    return this.vectorSelector(child(node, 'vectorSelector')!);
  }

  private string(tok: IToken): string {
    return T.unquote(tok.image, this.text, tok.startOffset);
  }

  private aggregate(node: CstNode): AggregateExpr {
    const opTok = token(node, 'AggregateOp')!;
    const op = opTok.image.toLowerCase() as AggregateOp;
    const groupingNode = child(node, 'grouping');
    const argsNode = child(node, 'argumentList')!;
    const args = nodes(argsNode, 'args').map((n) => this.expression(n));
    const span = this.nodeSpan(node);
    const wanted = PARAM_AGGREGATES.has(op) ? 2 : 1;
    if (args.length === 0) this.fail('WRONG_ARGUMENT_COUNT', 'no arguments for aggregate expression provided', span);
    if (args.length !== wanted) {
      this.fail('WRONG_ARGUMENT_COUNT', `wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`, span);
    }
    return {
      kind: 'AggregateExpr',
      op,
      param: wanted === 2 ? args[0]! : null,
      expr: args[wanted - 1]!,
      grouping: groupingNode ? this.labelList(child(groupingNode, 'labelList')!) : [],
      without: groupingNode ? token(groupingNode, 'Without') !== undefined : false,
      hasGrouping: groupingNode !== undefined,
      span,
    };
  }

  private call(node: CstNode): Call {
    const nameTok = token(node, 'Identifier')!;
    const func = nameTok.image;
    const sig = getFunction(func);
    if (!sig) this.fail('UNKNOWN_FUNCTION', `unknown function with name "${func}"`, this.tokenSpan(nameTok));
    const args = nodes(child(node, 'argumentList')!, 'args').map((n) => this.expression(n));
    const span = this.nodeSpan(node);
    const n = args.length;
    if (n < sig.minArgs || n > sig.maxArgs) {
      const bound = sig.minArgs === sig.maxArgs ? `${sig.minArgs}` : n < sig.minArgs ? `at least ${sig.minArgs}` : `at most ${sig.maxArgs}`;
      this.fail('WRONG_ARGUMENT_COUNT', `expected ${bound} argument(s) in call to "${func}", got ${n}`, span);
    }
    const last = args[n - 1];
    const range = last?.kind === 'MatrixSelector' ? last : null;
    const unwrap = range ? findUnwrap(range.selector.pipeline) : undefined;
    if (range && LOG_RANGE_FUNCTIONS.has(func)) {
      if (unwrap && !UNWRAP_FUNCTIONS.has(func)) this.fail('INVALID_EXPRESSION', `invalid aggregation ${func} with unwrap`, unwrap.span);
      if (!unwrap && UNWRAP_REQUIRED.has(func) && isLogSelector(range.selector)) {
        this.fail('INVALID_EXPRESSION', `invalid aggregation ${func} without unwrap: add | unwrap <label> before the range`, range.span);
      }
    }
    const groupingNode = child(node, 'grouping');
    let grouping: CallGrouping | null = null;
    if (groupingNode) {
      const allowed = GROUPABLE_VECTOR.has(func) || (GROUPABLE_RANGE.has(func) && unwrap !== undefined);
      if (!allowed) {
        const why = GROUPABLE_RANGE.has(func) ? ' (only over an unwrapped log range)' : '';
        this.fail('INVALID_EXPRESSION', `grouping not allowed for ${func} aggregation${why}`, this.nodeSpan(groupingNode));
      }
      grouping = { without: token(groupingNode, 'Without') !== undefined, labels: this.labelList(child(groupingNode, 'labelList')!) };
    }
    return { kind: 'Call', func, args, grouping, span };
  }

  /** Label names from `(a, "b")`; quoted names are Prometheus 3's UTF-8 names. */
  private labelList(node: CstNode): string[] {
    return nodes(node, 'labels').map((ref) => this.labelRef(ref));
  }

  private labelRef(ref: CstNode): string {
    const str = token(ref, 'StringLit');
    if (str) {
      const name = this.string(str);
      if (name === '') this.fail('INVALID_EXPRESSION', 'label name must not be empty', this.tokenSpan(str));
      return name;
    }
    const tok = token(ref, 'LabelName')!;
    // The lexer lets `:` into identifiers for metric names; label names may not have it.
    if (!LABEL_NAME_RE.test(tok.image)) this.fail('INVALID_EXPRESSION', `invalid label name "${tok.image}" (":" is only allowed in metric names)`, this.tokenSpan(tok));
    return tok.image;
  }

  private vectorSelector(node: CstNode): VectorSelector {
    const nameTok = token(node, 'MetricName');
    const matchersNode = child(node, 'labelMatchers');
    const matchers: LabelMatcher[] = matchersNode ? nodes(matchersNode, 'matchers').map((m) => this.matcher(m)) : [];
    const lineFilters: LineFilter[] = [];
    const pipeline: PipelineStage[] = [];
    this.appendElements(lineFilters, pipeline, nodes(node, 'elements'));
    // ip("…") filters run in the pipeline (the kernel runs substring and regex filters);
    // filters are a conjunction, so the order of the leading ones does not matter.
    const ipFilters = lineFilters.filter((f) => f.ip);
    if (ipFilters.length > 0) {
      pipeline.unshift(...ipFilters);
      lineFilters.splice(0, lineFilters.length, ...lineFilters.filter((f) => !f.ip));
    }
    this.checkPipeline(pipeline);
    const name = nameTok ? nameTok.image : null;
    if (name === null && !matchers.some(matchesOnlyNonEmpty)) {
      this.fail('INVALID_EXPRESSION', 'vector selector must contain at least one non-empty matcher', this.nodeSpan(matchersNode!));
    }
    if (name !== null) {
      const dup = matchers.find((m) => m.name === '__name__');
      if (dup) this.fail('INVALID_EXPRESSION', 'metric name must not be set twice', dup.span);
    }
    return { kind: 'VectorSelector', name, matchers, lineFilters, pipeline, offset: null, at: null, span: this.nodeSpan(node) };
  }

  // ----- the LogQL pipeline ---------------------------------------------------------

  /**
   * Appends `pipelineElement`s: line filters before the first stage are the selector's
   * `lineFilters` (what the kernel runs); from the first stage on, everything is `pipeline`.
   */
  private appendElements(lineFilters: LineFilter[], pipeline: PipelineStage[], elements: CstNode[]): void {
    for (const el of elements) {
      const lf = child(el, 'lineFilter');
      if (lf) {
        const filter = this.lineFilter(lf);
        if (pipeline.length === 0) lineFilters.push(filter);
        else pipeline.push(filter);
      } else {
        pipeline.push(this.stage(child(el, 'pipelineStage')!, token(el, 'Pipe')!));
      }
    }
  }

  private lineFilter(f: CstNode): LineFilter {
    const opTok = token(f, 'LineFilterOp')!;
    const ipNode = child(f, 'ipCall');
    if (ipNode) {
      const op = opTok.image as LineFilterOp;
      const str = token(ipNode, 'StringLit')!;
      if (op !== '|=' && op !== '!=') this.fail('INVALID_EXPRESSION', `ip("…") line filters take |= or !=, not ${op}`, this.tokenSpan(opTok));
      const value = this.string(str);
      this.checkIpPattern(value, str);
      return { kind: 'LineFilter', op, value, ip: true, span: this.nodeSpan(f), valueSpan: this.tokenSpan(str) };
    }
    const str = token(f, 'StringLit')!;
    return { kind: 'LineFilter', op: opTok.image as LineFilterOp, value: this.string(str), span: this.nodeSpan(f), valueSpan: this.tokenSpan(str) };
  }

  private checkIpPattern(pattern: string, at: IToken): void {
    try {
      parseIpPattern(pattern);
    } catch (e) {
      this.fail('INVALID_EXPRESSION', (e as Error).message, this.tokenSpan(at));
    }
  }

  /** Only label filters may follow `| unwrap` (they filter the conversion's errors). */
  private checkPipeline(pipeline: readonly PipelineStage[]): void {
    const at = pipeline.findIndex((s) => s.kind === 'UnwrapStage');
    if (at < 0) return;
    for (const s of pipeline.slice(at + 1)) {
      if (s.kind !== 'LabelFilterStage') this.fail('INVALID_EXPRESSION', 'only label filters may follow unwrap', s.span);
    }
  }

  private stage(stageNode: CstNode, pipe: IToken): PipelineStage {
    const span = this.span(pipe.startOffset, this.nodeEnd(stageNode));
    const inner = Object.values(stageNode.children)[0]![0] as CstNode;
    const stageTok = token(inner, 'stage');
    const stageName = stageTok?.image.toLowerCase();
    switch (inner.name) {
      case 'jsonStage':
        return { kind: 'JsonStage', params: this.extractions(inner, 'json'), span };
      case 'logfmtStage': {
        let strict = false;
        let keepEmpty = false;
        for (const flag of nodes(inner, 'flags')) {
          const text = this.flagText(flag);
          if (text === '--strict') strict = true;
          else if (text === '--keep-empty') keepEmpty = true;
          else this.fail('INVALID_EXPRESSION', `unknown logfmt flag ${T.goQuote(text)} (expected --strict or --keep-empty)`, this.nodeSpan(flag));
        }
        return { kind: 'LogfmtStage', strict, keepEmpty, params: this.extractions(inner, 'logfmt'), span };
      }
      case 'stringStage': {
        const str = token(inner, 'StringLit')!;
        const value = this.string(str);
        const valueSpan = this.tokenSpan(str);
        if (stageName === 'regexp') return { kind: 'RegexpStage', pattern: value, span, valueSpan };
        if (stageName === 'pattern') {
          try {
            parsePattern(value);
          } catch (e) {
            if (!(e instanceof PatternSyntaxError)) throw e;
            this.fail('INVALID_EXPRESSION', `invalid pattern ${T.goQuote(value)}: ${e.message}`, this.innerSpan(valueSpan, value, e.offset, e.end));
          }
          return { kind: 'PatternStage', pattern: value, span, valueSpan };
        }
        this.checkTemplate(value, valueSpan, 'line_format');
        return { kind: 'LineFormatStage', template: value, span, valueSpan };
      }
      case 'bareStage':
        return stageName === 'unpack' ? { kind: 'UnpackStage', span } : { kind: 'DecolorizeStage', span };
      case 'labelFormatStage': {
        const seen = new Set<string>();
        const items = nodes(inner, 'items').map((item): LabelRename | LabelTemplate => {
          const dstTok = token(item, 'dst')!;
          const dst = this.labelName(dstTok);
          if (dst === ERROR_LABEL) this.fail('INVALID_EXPRESSION', `${ERROR_LABEL} cannot be formatted`, this.tokenSpan(dstTok));
          if (seen.has(dst)) this.fail('INVALID_EXPRESSION', `multiple label name '${dst}' not allowed in a single label_format`, this.tokenSpan(dstTok));
          seen.add(dst);
          const str = token(item, 'StringLit');
          if (!str) return { kind: 'LabelRename', dst, src: this.labelName(token(item, 'src')!), span: this.nodeSpan(item) };
          const template = this.string(str);
          const valueSpan = this.tokenSpan(str);
          this.checkTemplate(template, valueSpan, `label_format ${dst}`);
          return { kind: 'LabelTemplate', dst, template, span: this.nodeSpan(item), valueSpan };
        });
        return { kind: 'LabelFormatStage', items, span };
      }
      case 'dropKeepStage': {
        const labels = nodes(inner, 'items').map((item): LabelNameRef | LabelMatcher => {
          const nameTok = token(item, 'LabelName')!;
          const name = this.labelName(nameTok);
          const str = token(item, 'StringLit');
          if (!str) return { kind: 'LabelName', name, span: this.tokenSpan(nameTok) };
          const op = token(item, 'MatchOp')!.image as MatchOp;
          return { kind: 'LabelMatcher', name, op, value: this.string(str), span: this.nodeSpan(item), valueSpan: this.tokenSpan(str) };
        });
        return stageName === 'drop' ? { kind: 'DropStage', labels, span } : { kind: 'KeepStage', labels, span };
      }
      case 'unwrapStage': {
        const convTok = token(inner, 'conversion');
        let conversion: UnwrapConversion = 'float';
        if (convTok) {
          const conv = convTok.image.toLowerCase();
          if (!(UNWRAP_CONVERSIONS as readonly string[]).includes(conv)) {
            this.fail('INVALID_EXPRESSION', `unknown unwrap conversion "${convTok.image}" (expected duration, duration_seconds or bytes)`, this.tokenSpan(convTok));
          }
          conversion = conv as UnwrapConversion;
        }
        return { kind: 'UnwrapStage', label: this.labelName(token(inner, 'LabelName')!), conversion, span };
      }
      case 'labelFilter':
        return { kind: 'LabelFilterStage', filter: this.labelFilter(inner), span };
      default:
        throw new InternalError(`unexpected pipeline stage ${inner.name}`);
    }
  }

  /** A label name written as a token (keywords allowed; `:` is not). */
  private labelName(tok: IToken): string {
    if (!LABEL_NAME_RE.test(tok.image)) this.fail('INVALID_EXPRESSION', `invalid label name "${tok.image}" (":" is only allowed in metric names)`, this.tokenSpan(tok));
    return tok.image;
  }

  /** `--strict` / `--keep-empty` exactly as written; spaces inside make it a different text. */
  private flagText(flag: CstNode): string {
    const loc = flag.location!;
    return this.text.slice(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }

  private extractions(stage: CstNode, parser: 'json' | 'logfmt'): LabelExtraction[] {
    const list = child(stage, 'extractionList');
    if (!list) return [];
    return nodes(list, 'items').map((item) => {
      const labelTok = token(item, 'LabelName')!;
      const label = this.labelName(labelTok);
      const str = token(item, 'StringLit');
      const path = str ? this.string(str) : label;
      const valueSpan = str ? this.tokenSpan(str) : this.tokenSpan(labelTok);
      if (parser === 'json') {
        try {
          parseJsonPath(path);
        } catch (e) {
          if (!(e instanceof JsonPathError)) throw e;
          this.fail('INVALID_EXPRESSION', `invalid json path ${T.goQuote(path)}: ${e.message}`, str ? this.innerSpan(valueSpan, path, e.offset, e.offset + 1) : valueSpan);
        }
      } else if (path === '') {
        this.fail('INVALID_EXPRESSION', 'empty logfmt key', valueSpan);
      }
      return { kind: 'LabelExtraction', label, path, span: this.nodeSpan(item), valueSpan };
    });
  }

  private checkTemplate(template: string, valueSpan: Span, where: string): void {
    try {
      parseTemplate(template);
    } catch (e) {
      if (!(e instanceof TemplateSyntaxError)) throw e;
      this.fail(e.code, `invalid template for ${where}: ${e.message}`, this.innerSpan(valueSpan, template, e.offset, e.end));
    }
  }

  /** `or` level: operands folded left to right. */
  private labelFilter(node: CstNode): LabelFilterExpr {
    return this.foldFilters(nodes(node, 'operands').map((n) => this.labelFilterAnd(n)), 'or');
  }

  private labelFilterAnd(node: CstNode): LabelFilterExpr {
    return this.foldFilters(nodes(node, 'operands').map((n) => this.labelFilterSeq(n)), 'and');
  }

  private foldFilters(operands: LabelFilterExpr[], op: 'and' | 'or'): LabelFilterExpr {
    let acc = operands[0]!;
    for (const right of operands.slice(1)) acc = { kind: 'LabelFilterBinary', op, left: acc, right, span: this.join(acc, right) };
    return acc;
  }

  /** `p, rest` and `p rest` are `p and (rest)`. */
  private labelFilterSeq(node: CstNode): LabelFilterExpr {
    const first = this.labelFilterPrimary(child(node, 'first')!);
    const restNode = child(node, 'rest');
    if (!restNode) return first;
    const rest = this.labelFilter(restNode);
    return { kind: 'LabelFilterBinary', op: 'and', left: first, right: rest, span: this.join(first, rest) };
  }

  private labelFilterPrimary(node: CstNode): LabelFilterExpr {
    const inner = child(node, 'labelFilter');
    return inner ? this.labelFilter(inner) : this.labelPredicate(child(node, 'labelPredicate')!);
  }

  private labelPredicate(node: CstNode): LabelPredicate {
    const nameTok = token(node, 'LabelName')!;
    const name = this.labelName(nameTok);
    const opTok = token(node, 'op')!;
    let op = opTok.image as LabelFilterOp;
    const span = this.nodeSpan(node);
    const ipNode = child(node, 'ipCall');
    if (ipNode) {
      const pat = token(ipNode, 'StringLit')!;
      if (op !== '=' && op !== '!=') this.fail('INVALID_EXPRESSION', `label filter ${name} ${op} ip("…"): ip takes = or !=`, this.tokenSpan(opTok));
      const pattern = this.string(pat);
      this.checkIpPattern(pattern, pat);
      return { kind: 'LabelPredicate', name, op, value: { type: 'ip', pattern }, span, valueSpan: this.nodeSpan(ipNode) };
    }
    const str = token(node, 'StringLit');
    if (str) {
      if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') {
        this.fail('INVALID_EXPRESSION', `label filter ${name} ${op} needs a number, a duration or bytes, not a string (strings take = != =~ !~)`, this.tokenSpan(str));
      }
      return { kind: 'LabelPredicate', name, op, value: { type: 'string', value: this.string(str) }, span, valueSpan: this.tokenSpan(str) };
    }
    const sign = token(node, 'sign');
    const valueTok = token(node, 'NumberLit') ?? token(node, 'Duration') ?? token(node, 'GoDuration') ?? token(node, 'BytesLit')!;
    const valueSpan = this.span((sign ?? valueTok).startOffset, valueTok.startOffset + valueTok.image.length);
    if (op === '=~' || op === '!~') this.fail('INVALID_EXPRESSION', `label filter ${name} ${op} needs a string value`, valueSpan);
    if (op === '=') op = '==';
    const negative = sign?.image === '-';
    let value: LabelFilterValue;
    if (valueTok.tokenType === T.Duration) {
      const ms = T.parseDurationLiteral(valueTok.image, this.text, valueTok.startOffset);
      value = { type: 'duration', ns: (negative ? -ms : ms) * 1e6 };
    } else if (valueTok.tokenType === T.GoDuration) {
      const d = parseGoDuration(valueTok.image);
      if (!d.ok) this.fail('INVALID_DURATION', `invalid duration ${T.goQuote(valueTok.image)}: ${d.error}`, this.tokenSpan(valueTok));
      value = { type: 'duration', ns: negative ? -d.value : d.value };
    } else if (valueTok.tokenType === T.BytesLit) {
      if (negative) this.fail('INVALID_EXPRESSION', 'a byte size cannot be negative', valueSpan);
      const b = parseHumanBytes(valueTok.image);
      if (!b.ok) this.fail('INVALID_NUMBER', `invalid byte size ${T.goQuote(valueTok.image)}: ${b.error}`, this.tokenSpan(valueTok));
      value = { type: 'bytes', bytes: b.value };
    } else {
      const v = T.parseNumberLiteral(valueTok.image);
      value = { type: 'number', value: negative ? -v : v };
    }
    return { kind: 'LabelPredicate', name, op, value, span, valueSpan };
  }

  private matcher(node: CstNode): LabelMatcher {
    const name = this.labelRef(child(node, 'name')!);
    const op = token(node, 'MatchOp')!.image as MatchOp;
    const str = token(node, 'StringLit')!;
    return { kind: 'LabelMatcher', name, op, value: this.string(str), span: this.nodeSpan(node), valueSpan: this.tokenSpan(str) };
  }
}

/**
 * Whether a matcher certainly rejects the empty label value. Prometheus evaluates the
 * regex here; without an RE2 engine at parse time we only recognise the common
 * empty-matching patterns, so a few exotic selectors (`{a=~"(|x)"}`) are left to the planner.
 */
function matchesOnlyNonEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value !== '';
    case '!=':
      return m.value === '';
    case '=~':
      return !['', '.*', '.*?', '^.*$', '(.*)', '(?s).*', '^$', '.?'].includes(m.value);
    case '!~':
      return m.value === '' || m.value === '^$';
  }
}
