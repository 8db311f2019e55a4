/**
 * A query's shape, decided in one place: parentheses unwrapped, log query or metric query,
 * and a log query's selector and range.
 *
 * LetheQL has two kinds of query. A **log query** is a stream selector with its pipeline,
 * optionally with a range and offset (`pod{namespace="a"} |= "x"`, `…[5m] offset 1h`); it
 * returns lines. Everything else (a function call, an aggregation, a binary operation, a
 * number) is a **metric query** and returns series. Redundant parentheses around a log
 * query (`(pod{…})`) do not change its kind. The planner, the metric evaluator, the CLI and
 * the server all ask {@link queryShape} rather than walking the tree themselves.
 */
import type { Expr, MatrixSelector, VectorSelector } from './ast.js';

/** `expr` without the parentheses around it. */
export function unparen(expr: Expr): Expr {
  let e = expr;
  while (e.kind === 'ParenExpr') e = e.expr;
  return e;
}

/** The shape of a query: a log query (its selector, and its range form when it has one) or a metric query. */
export type QueryShape =
  | { kind: 'log'; selector: VectorSelector; range: MatrixSelector | null }
  | { kind: 'metric'; expr: Expr };

/** Classifies `expr` (see the module note). */
export function queryShape(expr: Expr): QueryShape {
  const e = unparen(expr);
  if (e.kind === 'VectorSelector') return { kind: 'log', selector: e, range: null };
  if (e.kind === 'MatrixSelector') return { kind: 'log', selector: e.selector, range: e };
  return { kind: 'metric', expr: e };
}

/** Is this a metric query (as opposed to a log query: a selector, with or without a range)? */
export function isMetricQuery(expr: Expr): boolean {
  return queryShape(expr).kind === 'metric';
}

/** The stream selector of a log query, or `null` for a metric query. */
export function logSelectorOf(expr: Expr): VectorSelector | null {
  const s = queryShape(expr);
  return s.kind === 'log' ? s.selector : null;
}
