/**
 * The evaluator's compiled tree: what every operator module builds and consumes.
 *
 * A query compiles to nodes that answer "your value at step k". Vector nodes return
 * samples whose series are interned ({@link SeriesTable}), so a node may cache anything
 * that depends only on a series (its group, its match signature, its relabelled form) in a
 * `Map` keyed by the series object, and pay for labels once per series instead of once per
 * step. Nodes are built and type-checked before any data is read: every misuse is a
 * {@link QueryError} with the span of the offending expression, raised before the scan.
 */
import { QueryError, type ErrorCode, type Span } from '../errors.js';
import type { Expr } from '../query/ast.js';
import { METRIC_NAME, type Series, type SeriesTable } from './labels.js';

/** One element of an instant vector. */
export interface Sample {
  series: Series;
  value: number;
}

export interface ScalarNode {
  readonly kind: 'scalar';
  at(step: number): number;
}

export interface VectorNode {
  readonly kind: 'vector';
  at(step: number): Sample[];
}

export interface StringNode {
  readonly kind: 'string';
  readonly value: string;
}

export type EvalNode = ScalarNode | VectorNode | StringNode;

/** What compiling needs: the evaluation instants and the series table. */
export interface CompileContext {
  readonly table: SeriesTable;
  /** Evaluation instant of each step. */
  readonly stepTimesNs: readonly bigint[];
  /** The query's start and end (for `@ start()` / `@ end()`). */
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** Compiles a sub-expression (the evaluator's dispatcher). */
  compile(expr: Expr): EvalNode;
}

/** PromQL's names of value types, for messages. */
export function typeName(node: EvalNode | 'range vector'): string {
  if (node === 'range vector') return node;
  return node.kind === 'vector' ? 'instant vector' : node.kind;
}

export function queryError(code: ErrorCode, message: string, span: Span): QueryError {
  return new QueryError(code, message, span);
}

/** `series` without `__name__` (arithmetic and most functions drop it), cached per node. */
export function nameDropper(table: SeriesTable): (series: Series) => Series {
  const cache = new Map<Series, Series>();
  return (series) => {
    if (!(METRIC_NAME in series.labels)) return series;
    let out = cache.get(series);
    if (out === undefined) {
      out = table.derive(series, (l) => {
        delete l[METRIC_NAME];
      });
      cache.set(series, out);
    }
    return out;
  };
}

/** A scalar node that is the same at every step. */
export function constantScalar(value: number): ScalarNode {
  return { kind: 'scalar', at: () => value };
}

/** Throws PromQL's error when one step's vector holds a label set twice (after relabelling). */
export function assertUniqueSeries(samples: readonly Sample[], span: Span): void {
  if (samples.length < 2) return;
  const seen = new Set<Series>();
  for (const s of samples) {
    if (seen.has(s.series)) throw queryError('INVALID_EXPRESSION', 'vector cannot contain metrics with the same labelset', span);
    seen.add(s.series);
  }
}
