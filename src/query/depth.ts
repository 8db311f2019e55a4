/**
 * Nesting limits: the guard that keeps every recursive walker of a query inside the stack.
 *
 * The grammar (Chevrotain, recursive descent), the CST visitor, the printer, the planner and
 * the metric evaluator all recurse over the query's structure. Without a bound, an input
 * drives them as deep as it likes: 150 nested parentheses or 1,500 unary minuses overflow
 * V8's stack inside Chevrotain (and can leave its singleton parser in a broken state), a
 * 4,000-term `a + b + …` overflows the metric evaluator. So a query is measured *before*
 * anything recursive sees it, with loops and explicit stacks only, and refused with
 * `QUERY_TOO_DEEP` (code + span of the token or node that crossed the limit):
 *
 * 1. `checkTokenNesting` (token-nesting.ts, which needs the lexer's token types) runs on the token list before the grammar. The grammar
 *    recurses once per open bracket (`(`, `[`, `{`), per unary `+`/`-` and per `^` (right
 *    associative: `a ^ b ^ c` is `a ^ (b ^ c)`); binary operators of the other levels, `,`
 *    and `|` loop instead. The measured depth at a token is, over the open bracket levels,
 *    the sum of one per level plus that level's current run of unary operators and `^`
 *    (a run ends at a looping operator, a comma or a pipe). It is an upper bound of the
 *    grammar's recursion, so anything under {@link MAX_QUERY_NESTING} parses safely.
 * 2. {@link checkAstDepth} runs on the built AST: left-associative chains (`1 + 1 + …`,
 *    `| a > 1 and b > 1 and …`) parse in a loop but become a left-deep tree that every
 *    later walker recurses over. It measures the tree with an explicit stack against
 *    {@link MAX_QUERY_DEPTH}.
 *
 * Both limits are constants, not options: they exist for the engine's own stack, and the
 * test suite proves every walker (parse, print, explain, evaluate) at exactly the limit.
 * Measured on Node 22 (984 KiB default stack): the grammar overflows near 146 parentheses
 * or ~1,100 `^`, the evaluator near 4,000 chained terms; the limits keep a margin of 2–4×
 * for callers that are already deep (HTTP handlers, test runners, workers).
 */
import { QueryError, spanAt, type Span } from '../errors.js';

/** Most nested brackets, unary operators and `^` a query may hold at any point. */
export const MAX_QUERY_NESTING = 64;

/** Most levels of the query's syntax tree (chains of binary operators count one per term). */
export const MAX_QUERY_DEPTH = 1000;

/** The error for a query over either limit. */
export function tooDeep(message: string, span: Span): QueryError {
  return new QueryError('QUERY_TOO_DEEP', message, span);
}


/**
 * Refuses an AST deeper than {@link MAX_QUERY_DEPTH} levels. The AST is plain data: every
 * object with a `kind` is a node, found through object and array properties; measured with
 * an explicit stack.
 */
export function checkAstDepth(root: object): void {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== null && typeof v === 'object') stack.push({ value: v, depth });
      continue;
    }
    const node = value as Record<string, unknown>;
    const isNode = typeof node['kind'] === 'string';
    const d = isNode ? depth + 1 : depth;
    if (d > MAX_QUERY_DEPTH) {
      const span = node['span'] as Span | undefined;
      throw tooDeep(
        `query nested too deeply: its syntax tree is more than ${MAX_QUERY_DEPTH} levels deep (long chains of binary operators count one level per term; limit ${MAX_QUERY_DEPTH})`,
        span ?? { start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } },
      );
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'span' || k === 'valueSpan') continue;
      if (v !== null && typeof v === 'object') stack.push({ value: v, depth: d });
    }
  }
}
