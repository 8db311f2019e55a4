/**
 * Errors as data.
 *
 * Every failure a user can cause (a bad query, a bad time, a missing store) is a
 * {@link LetheQLError} with a stable `code`. Query errors also carry a {@link Span}
 * into the query text; {@link formatQueryError} is the one place that draws the caret.
 * A broken invariant inside the engine is an {@link InternalError}: that is a bug, not
 * bad input, and front ends report it differently (exit 1 / HTTP 500).
 *
 * This module has no dependencies so that every stage can import it.
 */

/** A position in the query text. `line` and `column` are 1-based; `offset` is a 0-based UTF-16 index. */
export interface Position {
  offset: number;
  line: number;
  column: number;
}

/** A half-open range `[start, end)` in the query text. */
export interface Span {
  start: Position;
  end: Position;
}

/** Stable error codes. Front ends and tests match on these, never on message text. */
export type ErrorCode =
  // lexing and parsing
  | 'EMPTY_QUERY'
  | 'UNEXPECTED_CHARACTER'
  | 'UNTERMINATED_STRING'
  | 'INVALID_ESCAPE'
  | 'INVALID_NUMBER'
  | 'INVALID_DURATION'
  | 'UNEXPECTED_TOKEN'
  | 'UNEXPECTED_END'
  | 'UNKNOWN_FUNCTION'
  | 'WRONG_ARGUMENT_COUNT'
  | 'INVALID_EXPRESSION'
  // a query nested deeper than the engine walks safely (parentheses, unary operators, ^, long chains)
  | 'QUERY_TOO_DEEP'
  // planning
  | 'UNKNOWN_LOG_TYPE'
  | 'MISSING_TARGET_LABEL'
  | 'UNKNOWN_LABEL'
  | 'INVALID_REGEX'
  | 'NOT_SUPPORTED'
  // options, times, stores
  | 'INVALID_TIME'
  | 'INVALID_RANGE'
  | 'INVALID_OPTION'
  | 'STORE_NOT_FOUND'
  | 'ABORTED'
  // a per-query budget ran out (template output, bytes returned, samples): the error names the limit
  | 'LIMIT_EXCEEDED'
  // writing: a record letheql cannot store as one Lethe line; a store another writer holds
  | 'INVALID_RECORD'
  | 'STORE_LOCKED'
  // reading the store failed (permissions, I/O); not the user's input, not a bug
  | 'IO_ERROR'
  // a remote member of a store set (another letheql serve) could not answer; the message names it
  | 'REMOTE_ERROR';

/** Base class of every error letheql raises on purpose. */
export class LetheQLError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'LetheQLError';
    this.code = code;
  }
}

/**
 * An error in the query text. `message` is the bare message; `toString()` and
 * {@link formatQueryError} prefix it with `line:column`.
 */
export class QueryError extends LetheQLError {
  readonly span: Span;
  /** What the parser would have accepted at `span.start`, when known (e.g. `['|=', '!=', '|~', '!~']`). */
  readonly expected: readonly string[];
  constructor(code: ErrorCode, message: string, span: Span, expected: readonly string[] = []) {
    super(code, message);
    this.name = 'QueryError';
    this.span = span;
    this.expected = expected;
  }

  /** `1:30: unexpected string "\"hello\"", expected …` */
  override toString(): string {
    return `${this.span.start.line}:${this.span.start.column}: ${this.message}`;
  }

  /** Plain-data form, for JSON answers and worker messages. */
  toJSON(): { code: ErrorCode; message: string; span: Span; expected: readonly string[] } {
    return { code: this.code, message: this.message, span: this.span, expected: this.expected };
  }
}

/**
 * A per-query limit was hit: `limit` is the option's name as the library, the CLI and the
 * server config spell it (`maxTemplateBytes`, `maxBytesReturned`, `maxSamples`), `max` its
 * value. The user's query asks for too much; front ends answer 422 / exit 2.
 */
export class LimitError extends LetheQLError {
  constructor(
    readonly limit: string,
    readonly max: number,
    message: string,
  ) {
    super('LIMIT_EXCEEDED', message);
    this.name = 'LimitError';
  }
}

/** A broken engine invariant: a bug in letheql, never the user's fault. */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error: ${message}`);
    this.name = 'InternalError';
  }
}

/** Builds a {@link Position} from a 0-based offset into `text`. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * A position finder for many offsets into one text: line starts are indexed once, then each
 * lookup is a binary search (the AST builder makes a span per node; scanning from the start
 * each time made parsing quadratic in the query length).
 */
export function positionIndex(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    const clamped = Math.min(Math.max(offset, 0), text.length);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    // Offsets past the text keep counting columns, as positionAt does.
    return { offset, line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** Builds a {@link Span} from 0-based offsets `[start, end)` into `text`. */
export function spanAt(text: string, start: number, end: number): Span {
  return { start: positionAt(text, start), end: positionAt(text, Math.max(start, end)) };
}

/**
 * Renders a query error for people: the `line:column: message` header, the query
 * line it points into, and a caret run under the span.
 *
 * ```
 * 1:30: unexpected string "\"hello\"", expected a line filter operator (|= != |~ !~) or end of query
 *   pod{namespace="default"} |= "a" "hello"
 *                                   ^^^^^^^
 * ```
 */
export function formatQueryError(err: QueryError, query: string): string {
  const lines = query.split('\n');
  const { start, end } = err.span;
  const text = lines[start.line - 1] ?? '';
  const width = end.line === start.line ? Math.max(1, end.column - start.column) : Math.max(1, text.length - start.column + 1);
  const caret = ' '.repeat(Math.max(0, start.column - 1)) + '^'.repeat(width);
  return `${err.toString()}\n  ${text}\n  ${caret}`;
}
