/**
 * The canonical printer.
 *
 * Owns: the one textual form of an AST. It is what plans, logs and error reports show,
 * and tests hold it to two promises for every tree the parser produces:
 *   parse(print(ast)) equals ast (ignoring spans), and print(parse(print(x))) === print(x).
 *
 * Canonical choices: matchers `name="value"` joined by `, `; strings double-quoted with
 * Go escapes (whatever quote style was written); single spaces around binary operators
 * and between line filters; durations in Prometheus's form (`90m` → `1h30m`); numbers in
 * the shortest form that reads back to the same double (`Inf`, `-Inf`, `NaN`); `@`
 * before `offset`; aggregations as `sum by (a, b) (x)`; parentheses only where the
 * source had them (ParenExpr), which is enough because the parser's trees already follow
 * precedence.
 */
import type { AtModifier, Duration, Expr, LabelMatcher, LineFilter, VectorMatching, VectorSelector } from './ast.js';
import { formatDuration, goQuote } from './lexer.js';

const IDENT_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prints `expr` in canonical LetheQL. */
export function printExpr(expr: Expr): string {
  switch (expr.kind) {
    case 'NumberLiteral':
      return formatNumber(expr.value);
    case 'StringLiteral':
      return goQuote(expr.value);
    case 'ParenExpr':
      return `(${printExpr(expr.expr)})`;
    case 'UnaryExpr':
      return `${expr.op}${printExpr(expr.expr)}`;
    case 'BinaryExpr': {
      const bool = expr.returnBool ? ' bool' : '';
      return `${printExpr(expr.lhs)} ${expr.op}${bool}${formatMatching(expr.matching)} ${printExpr(expr.rhs)}`;
    }
    case 'AggregateExpr': {
      const args = expr.param ? `${printExpr(expr.param)}, ${printExpr(expr.expr)}` : printExpr(expr.expr);
      const grouping = expr.hasGrouping || expr.grouping.length > 0 ? ` ${expr.without ? 'without' : 'by'} (${expr.grouping.map(formatLabelName).join(', ')}) ` : '';
      return `${expr.op}${grouping}(${args})`;
    }
    case 'Call':
      return `${expr.func}(${expr.args.map(printExpr).join(', ')})`;
    case 'VectorSelector':
      return formatSelector(expr) + formatModifiers(expr.at, expr.offset);
    case 'MatrixSelector':
      return `${spaced(formatSelector(expr.selector))}[${formatDuration(expr.range.ms)}]${formatModifiers(expr.at, expr.offset)}`;
    case 'SubqueryExpr':
      return `${spaced(printExpr(expr.expr))}[${formatDuration(expr.range.ms)}:${expr.step ? formatDuration(expr.step.ms) : ''}]${formatModifiers(expr.at, expr.offset)}`;
  }
}

/** `Inf`, `-Inf`, `NaN`, `-0`, else JS's shortest round-trip form (which PromQL reads back). */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Inf';
  if (value === -Infinity) return '-Inf';
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** LogQL style `pod{…} |= "x" [5m]`: a range after a line filter's string reads better apart. */
function spaced(inner: string): string {
  return inner.endsWith('"') ? `${inner} ` : inner;
}

function formatLabelName(name: string): string {
  return IDENT_RE.test(name) ? name : goQuote(name);
}

function formatMatcher(m: LabelMatcher): string {
  return `${formatLabelName(m.name)}${m.op}${goQuote(m.value)}`;
}

function formatFilter(f: LineFilter): string {
  return `${f.op} ${goQuote(f.value)}`;
}

/** The selector without its modifiers: `pod{namespace="a"} |= "x"`. */
function formatSelector(sel: VectorSelector): string {
  const braces = sel.matchers.length > 0 || sel.name === null ? `{${sel.matchers.map(formatMatcher).join(', ')}}` : '';
  const filters = sel.lineFilters.map((f) => ` ${formatFilter(f)}`).join('');
  return `${sel.name ?? ''}${braces}${filters}`;
}

function formatModifiers(at: AtModifier | null, offset: Duration | null): string {
  let out = '';
  if (at) {
    out += at.kind === 'AtStart' ? ' @ start()' : at.kind === 'AtEnd' ? ' @ end()' : ` @ ${formatNumber(at.seconds)}`;
  }
  if (offset) out += ` offset ${formatDuration(offset.ms)}`;
  return out;
}

function formatMatching(m: VectorMatching | null): string {
  if (!m) return '';
  let out = ` ${m.on ? 'on' : 'ignoring'} (${m.labels.map(formatLabelName).join(', ')})`;
  if (m.card === 'many-to-one' || m.card === 'one-to-many') {
    out += m.card === 'many-to-one' ? ' group_left' : ' group_right';
    if (m.include.length > 0) out += ` (${m.include.map(formatLabelName).join(', ')})`;
  }
  return out;
}
