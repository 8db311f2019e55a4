/**
 * The LetheQL front end: parse text into a plain AST, print an AST back as text.
 *
 * This is the module's public entry; everything else in `src/query/` is internal
 * (tokens, grammar, CST visitor, function table). It is platform-neutral (no `node:`
 * imports): the browser build uses it unchanged.
 *
 * - {@link parseQuery} throws a {@link QueryError}; {@link safeParseQuery} returns it.
 * - {@link printQuery} is the canonical printer; `parseQuery(printQuery(ast))` equals
 *   `ast` up to spans (compare with {@link stripSpans}).
 */
import { QueryError } from '../errors.js';
import type { Expr } from './ast.js';
import { parse } from './parser.js';
import { parseSimpleQuery } from './simple.js';

export * from './ast.js';
export { FUNCTIONS, getFunction, type FunctionSignature, type ValueType } from './functions.js';

/**
 * Parses a LetheQL query (PromQL 3.x plus log line filters and LogQL pipelines) into an AST.
 *
 * @throws {QueryError} with code EMPTY_QUERY, UNEXPECTED_CHARACTER, UNTERMINATED_STRING,
 *   INVALID_ESCAPE, INVALID_NUMBER, INVALID_DURATION, UNEXPECTED_TOKEN, UNEXPECTED_END,
 *   UNKNOWN_FUNCTION, WRONG_ARGUMENT_COUNT, INVALID_EXPRESSION or NOT_SUPPORTED.
 */
export function parseQuery(text: string): Expr {
  return parseSimpleQuery(text) ?? parse(text);
}

/** The result of {@link safeParseQuery}. */
export type SafeParseResult = { ok: true; expr: Expr } | { ok: false; error: QueryError };

/** Like {@link parseQuery}, but returns query errors instead of throwing them (other errors, i.e. bugs, still throw). */
export function safeParseQuery(text: string): SafeParseResult {
  try {
    return { ok: true, expr: parseQuery(text) };
  } catch (error) {
    if (error instanceof QueryError) return { ok: false, error };
    throw error;
  }
}

export { printQuery, stripSpans, type WithoutSpans } from './tree.js';
// A query's shape (log or metric, its selector) is decided in one module, which loads no evaluator.
export { isMetricQuery, logSelectorOf, queryShape, unparen, type QueryShape } from './shape.js';
