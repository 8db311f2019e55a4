/**
 * Parser-free helpers over a query's AST: printing and comparing trees (its shape: `shape.ts`).
 *
 * Here rather than in `index.ts` so that the modules which print or inspect a parsed query
 * (planner, metric evaluator, CLI, API) do not load the parser (Chevrotain) with them: a
 * query the simple selector parser (`simple.ts`) answers then starts without building one.
 * `index.ts` re-exports all of it.
 */
import type { Expr } from './ast.js';
import { printExpr } from './printer.js';

/** Prints an AST in canonical LetheQL form (see `printer.ts` for the conventions). */
export function printQuery(expr: Expr): string {
  return printExpr(expr);
}


/** `T` with every `span`/`valueSpan` removed, recursively. */
export type WithoutSpans<T> = T extends readonly (infer U)[]
  ? WithoutSpans<U>[]
  : T extends object
    ? { [K in keyof T as K extends 'span' | 'valueSpan' ? never : K]: WithoutSpans<T[K]> }
    : T;

/** A copy of `value` without spans, for comparing trees (tests, the printer round trip). */
export function stripSpans<T>(value: T): WithoutSpans<T> {
  if (Array.isArray(value)) return value.map((v: unknown) => stripSpans(v)) as WithoutSpans<T>;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== 'span' && k !== 'valueSpan') out[k] = stripSpans(v);
    }
    return out as WithoutSpans<T>;
  }
  return value as WithoutSpans<T>;
}
