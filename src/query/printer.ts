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
 *
 * The LogQL pipeline prints as ` | stage` after the line filters, one space around label
 * filter operators (`| status >= 500`), numeric `=` as `==`, durations and byte sizes in
 * their canonical units (`formatLabelDuration`, `formatBytes`), `json a` for
 * `json a="a"`, label filters joined with `and`/`or` and parenthesised only where the tree
 * needs it (`and` binds tighter than `or`, both left-associative), and the range after
 * the pipeline (`{…} | json [5m]`, even when written `{…}[5m] | json`). A call's LogQL
 * grouping prints after its arguments: `avg_over_time(…) by (a)`.
 */
import type {
  AtModifier,
  CallGrouping,
  Duration,
  Expr,
  LabelExtraction,
  LabelFilterExpr,
  LabelMatcher,
  LabelNameRef,
  LineFilter,
  PipelineStage,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import { STAGE_NAMES } from './ast.js';
import { formatDuration, goQuote } from './literals.js';
import { formatBytes, formatLabelDuration } from './units.js';

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
      return `${expr.func}(${expr.args.map(printExpr).join(', ')})${formatCallGrouping(expr.grouping)}`;
    case 'VectorSelector':
      return formatSelector(expr) + formatModifiers(expr.at, expr.offset);
    case 'MatrixSelector':
      return `${expr.selector.pipeline.length > 0 ? `${formatSelector(expr.selector)} ` : spaced(formatSelector(expr.selector))}[${formatDuration(expr.range.ms)}]${formatModifiers(expr.at, expr.offset)}`;
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

function formatCallGrouping(g: CallGrouping | null): string {
  return g ? ` ${g.without ? 'without' : 'by'} (${g.labels.map(formatLabelName).join(', ')})` : '';
}

function formatLabelName(name: string): string {
  return IDENT_RE.test(name) ? name : goQuote(name);
}

function formatMatcher(m: LabelMatcher): string {
  return `${formatLabelName(m.name)}${m.op}${goQuote(m.value)}`;
}

function formatFilter(f: LineFilter): string {
  return f.ip ? `${f.op} ip(${goQuote(f.value)})` : `${f.op} ${goQuote(f.value)}`;
}

/** The selector without its modifiers: `pod{namespace="a"} |= "x"`. */
function formatSelector(sel: VectorSelector): string {
  const braces = sel.matchers.length > 0 || sel.name === null ? `{${sel.matchers.map(formatMatcher).join(', ')}}` : '';
  const filters = sel.lineFilters.map((f) => ` ${formatFilter(f)}`).join('');
  const stages = sel.pipeline.map((s) => ` ${formatStage(s)}`).join('');
  return `${sel.name ?? ''}${braces}${filters}${stages}`;
}

/** One pipeline stage, `| json` style (a line filter prints as itself). */
export function formatStage(stage: PipelineStage): string {
  switch (stage.kind) {
    case 'LineFilter':
      return formatFilter(stage);
    case 'JsonStage':
      return `| json${formatExtractions(stage.params)}`;
    case 'LogfmtStage':
      return `| logfmt${stage.strict ? ' --strict' : ''}${stage.keepEmpty ? ' --keep-empty' : ''}${formatExtractions(stage.params)}`;
    case 'RegexpStage':
      return `| regexp ${goQuote(stage.pattern)}`;
    case 'PatternStage':
      return `| pattern ${goQuote(stage.pattern)}`;
    case 'UnpackStage':
      return '| unpack';
    case 'DecolorizeStage':
      return '| decolorize';
    case 'LabelFilterStage': {
      // `| json != "x"` reads as the json stage and a line filter; a filter on a label
      // named like a stage needs parentheses to stay a filter.
      let first = stage.filter;
      while (first.kind === 'LabelFilterBinary') first = first.left;
      const ambiguous = (STAGE_NAMES as readonly string[]).includes(first.name.toLowerCase()) && (first.op === '!=' || first.op === '!~') && first.value.type === 'string';
      return ambiguous ? `| (${formatLabelFilter(stage.filter)})` : `| ${formatLabelFilter(stage.filter)}`;
    }
    case 'LineFormatStage':
      return `| line_format ${goQuote(stage.template)}`;
    case 'LabelFormatStage':
      return `| label_format ${stage.items.map((i) => (i.kind === 'LabelRename' ? `${i.dst}=${i.src}` : `${i.dst}=${goQuote(i.template)}`)).join(', ')}`;
    case 'DropStage':
      return `| drop ${stage.labels.map(formatNamedMatcher).join(', ')}`;
    case 'KeepStage':
      return `| keep ${stage.labels.map(formatNamedMatcher).join(', ')}`;
    case 'UnwrapStage':
      return stage.conversion === 'float' ? `| unwrap ${stage.label}` : `| unwrap ${stage.conversion}(${stage.label})`;
  }
}

function formatExtractions(params: readonly LabelExtraction[]): string {
  if (params.length === 0) return '';
  return ` ${params.map((p) => (p.path === p.label ? p.label : `${p.label}=${goQuote(p.path)}`)).join(', ')}`;
}

function formatNamedMatcher(m: LabelNameRef | LabelMatcher): string {
  return m.kind === 'LabelName' ? m.name : `${m.name}${m.op}${goQuote(m.value)}`;
}

/** A label filter expression; `and` binds tighter than `or`, both associate to the left. */
export function formatLabelFilter(f: LabelFilterExpr): string {
  if (f.kind === 'LabelPredicate') {
    const v = f.value;
    const value =
      v.type === 'string' ? goQuote(v.value) : v.type === 'ip' ? `ip(${goQuote(v.pattern)})` : v.type === 'number' ? formatNumber(v.value) : v.type === 'duration' ? formatLabelDuration(v.ns) : formatBytes(v.bytes);
    return `${f.name} ${f.op} ${value}`;
  }
  const wrap = (side: LabelFilterExpr, right: boolean): string => {
    const s = formatLabelFilter(side);
    if (side.kind !== 'LabelFilterBinary') return s;
    // A looser operator below needs parentheses; so does the same operator on the right.
    const looser = f.op === 'and' && side.op === 'or';
    return looser || (right && side.op === f.op) ? `(${s})` : s;
  };
  return `${wrap(f.left, false)} ${f.op} ${wrap(f.right, true)}`;
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
