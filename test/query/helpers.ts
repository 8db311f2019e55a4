/**
 * Span-less AST builders for expected trees in table tests. They mirror the parser's
 * defaults (no offset, no @, no matching) so that a table row states only what matters.
 */
import type { AggregateOp, BinaryOp, Expr, LabelMatcher, LineFilter, LineFilterOp, MatchOp, VectorMatching, VectorSelector } from '../../src/query/index.js';
import type { WithoutSpans } from '../../src/query/index.js';

export type Bare<T> = WithoutSpans<T>;
type BareExpr = Bare<Expr>;

export const m = (name: string, op: MatchOp, value: string): Bare<LabelMatcher> => ({ kind: 'LabelMatcher', name, op, value });
export const f = (op: LineFilterOp, value: string): Bare<LineFilter> => ({ kind: 'LineFilter', op, value });

export function sel(name: string | null, matchers: Bare<LabelMatcher>[] = [], lineFilters: Bare<LineFilter>[] = [], extra: Partial<Bare<VectorSelector>> = {}): Bare<VectorSelector> {
  return { kind: 'VectorSelector', name, matchers, lineFilters, pipeline: [], offset: null, at: null, ...extra };
}

export const num = (value: number): BareExpr => ({ kind: 'NumberLiteral', value });
export const str = (value: string): BareExpr => ({ kind: 'StringLiteral', value });
export const paren = (expr: BareExpr): BareExpr => ({ kind: 'ParenExpr', expr });
export const neg = (expr: BareExpr): BareExpr => ({ kind: 'UnaryExpr', op: '-', expr });

export function bin(op: BinaryOp, lhs: BareExpr, rhs: BareExpr, opts: { returnBool?: boolean; matching?: VectorMatching | null } = {}): BareExpr {
  return { kind: 'BinaryExpr', op, lhs, rhs, returnBool: opts.returnBool ?? false, matching: opts.matching ?? null };
}

export function matrix(selector: Bare<VectorSelector>, rangeMs: number, offsetMs: number | null = null): BareExpr {
  return { kind: 'MatrixSelector', selector, range: { ms: rangeMs }, offset: offsetMs === null ? null : { ms: offsetMs }, at: null };
}

export function call(func: string, ...args: BareExpr[]): BareExpr {
  return { kind: 'Call', func, args, grouping: null };
}

export function agg(op: AggregateOp, expr: BareExpr, opts: { param?: BareExpr; by?: string[]; without?: string[] } = {}): BareExpr {
  const grouping = opts.by ?? opts.without ?? [];
  return {
    kind: 'AggregateExpr',
    op,
    param: opts.param ?? null,
    expr,
    grouping,
    without: opts.without !== undefined,
    hasGrouping: opts.by !== undefined || opts.without !== undefined,
  };
}

export const MIN = 60_000;
export const HOUR = 3_600_000;
