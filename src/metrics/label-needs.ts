/**
 * Which labels a metric query reads from each range aggregation's log pipeline.
 *
 * Parsers (`| json`, `| logfmt`, …) cost in proportion to what they extract, so a source
 * tells the pipeline compiler which labels its consumer reads (`PipelineOptions.outputLabels`).
 * This module works that out from the query, top down, and is deliberately conservative:
 * a range aggregation's series labels are narrowed only where narrowing cannot change an
 * answer, and every other place asks for all labels.
 *
 * - `f(… [r]) by (a, b)` groups the range's series by `a, b`: it reads `a, b`.
 * - `sum by (a) (f(… [r]))` likewise, when `f`'s value over a merged stream is the sum of
 *   its values over the parts: lines and bytes counted (`count_over_time`, `rate`,
 *   `bytes_over_time`, `bytes_rate`). Merging the streams that share `a` then gives the same
 *   sums. `count by`, `avg by`, quantiles, `topk`: the number of series matters, so all
 *   labels are read.
 * - Anything else (binary operators with their vector matching, `label_replace`, `without`)
 *   reads all labels.
 *
 * `__error__` and `__error_details__` are always read when narrowing: a line a parser
 * cannot read must still fail the query (or be filtered), exactly as with every label.
 *
 * Also decided here: whether the unwrapped label stays in the series labels. Loki drops it
 * unless the range aggregation groups `by` it.
 */
import type { Expr, MatrixSelector } from '../query/ast.js';
import { unparen } from '../query/shape.js';

/** What a range aggregation's consumer reads. */
export interface RangeNeeds {
  /** The labels read from the pipeline's output, or every label. */
  output: readonly string[] | 'all';
  /** The range aggregation's `by` labels: an unwrapped label among them stays in the series labels. */
  keepsLabels: readonly string[];
}

const ERROR_LABELS = ['__error__', '__error_details__'];

/** Range functions whose value over merged streams is the sum of their values over the parts. */
const ADDITIVE = new Set(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate']);

/** What the enclosing expression reads: every label, or only `by` of a `sum by (…)`. */
type Need = 'all' | { sumBy: readonly string[] };

/** The needs of every range aggregation in `expr`, keyed by its range (the object the evaluator hands a source). */
export function rangeLabelNeeds(expr: Expr): Map<MatrixSelector, RangeNeeds> {
  const out = new Map<MatrixSelector, RangeNeeds>();
  const walk = (e: Expr, need: Need): void => {
    switch (e.kind) {
      case 'ParenExpr':
        return walk(e.expr, need);
      case 'AggregateExpr': {
        if (e.param) walk(e.param, 'all');
        return walk(e.expr, e.op === 'sum' && !e.without && e.hasGrouping ? { sumBy: e.grouping } : 'all');
      }
      case 'Call': {
        const range = e.args.length ? unparen(e.args[e.args.length - 1]!) : null;
        e.args.slice(0, -1).forEach((a) => walk(a, 'all'));
        if (range?.kind !== 'MatrixSelector') {
          if (range) walk(range, 'all');
          return;
        }
        const g = e.grouping;
        let output: readonly string[] | 'all' = 'all';
        if (g && !g.without) output = g.labels;
        else if (!g && need !== 'all' && ADDITIVE.has(e.func)) output = need.sumBy;
        out.set(range, {
          output: output === 'all' ? 'all' : [...new Set([...output, ...ERROR_LABELS])].sort(),
          keepsLabels: g && !g.without ? g.labels : [],
        });
        return;
      }
      case 'BinaryExpr':
        walk(e.lhs, 'all');
        walk(e.rhs, 'all');
        return;
      case 'UnaryExpr':
        return walk(e.expr, need);
      case 'SubqueryExpr':
        return walk(e.expr, 'all');
      default:
        return;
    }
  };
  walk(expr, 'all');
  return out;
}

