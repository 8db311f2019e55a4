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
 * Nodes are built bottom-up and never mutated after being returned to a parent except
 * by copying (modifiers produce new objects), so spans stay truthful.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { InternalError, QueryError, spanAt, type Span } from '../errors.js';
import type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  Duration,
  Expr,
  LabelMatcher,
  LineFilter,
  LineFilterOp,
  MatchOp,
  MatrixSelector,
  SubqueryExpr,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import { getFunction } from './functions.js';
import * as T from './lexer.js';

const PARAM_AGGREGATES = new Set<AggregateOp>(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);
const COMPARISON_OPS = new Set<BinaryOp>(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set<BinaryOp>(['and', 'or', 'unless']);
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

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
  constructor(private readonly text: string) {}

  /** Entry point: the `query` rule's CST. */
  build(query: CstNode): Expr {
    return this.expression(child(query, 'expression')!);
  }

  // ----- spans ---------------------------------------------------------------

  private span(start: number, end: number): Span {
    return spanAt(this.text, start, end);
  }

  private tokenSpan(tok: IToken): Span {
    return this.span(tok.startOffset, tok.startOffset + tok.image.length);
  }

  private nodeSpan(node: CstNode): Span {
    const loc = node.location!;
    return this.span(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }

  private join(a: { span: Span }, b: { span: Span }): Span {
    return this.span(a.span.start.offset, b.span.end.offset);
  }

  private fail(code: 'INVALID_EXPRESSION' | 'UNKNOWN_FUNCTION' | 'WRONG_ARGUMENT_COUNT' | 'INVALID_DURATION', message: string, span: Span): never {
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
    return { kind: 'Call', func, args, span };
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
    const lineFilters: LineFilter[] = nodes(node, 'filters').map((f) => {
      const opTok = token(f, 'LineFilterOp')!;
      const str = token(f, 'StringLit')!;
      return { kind: 'LineFilter', op: opTok.image as LineFilterOp, value: this.string(str), span: this.nodeSpan(f), valueSpan: this.tokenSpan(str) };
    });
    const name = nameTok ? nameTok.image : null;
    if (name === null && !matchers.some(matchesOnlyNonEmpty)) {
      this.fail('INVALID_EXPRESSION', 'vector selector must contain at least one non-empty matcher', this.nodeSpan(matchersNode!));
    }
    if (name !== null) {
      const dup = matchers.find((m) => m.name === '__name__');
      if (dup) this.fail('INVALID_EXPRESSION', 'metric name must not be set twice', dup.span);
    }
    return { kind: 'VectorSelector', name, matchers, lineFilters, offset: null, at: null, span: this.nodeSpan(node) };
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
