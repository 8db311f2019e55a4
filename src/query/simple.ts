/**
 * The simple selector parser: the commonest query shape, parsed without Chevrotain.
 *
 * Owns: recognising `pod{a="x", b=~"y"} |= "lit" !~ "re" …` — a log type, one or more label
 * matchers, then line filters and nothing else — and building exactly the AST the full
 * parser (`parser.ts`) builds for it, spans included. Anything else, any doubt, and every
 * error returns `null`, and the caller runs the full parser, which owns all messages.
 *
 * Why: building Chevrotain's lexer and grammar (and compiling the 270 KB of it) was about a
 * third of the CLI's start-up, and most queries typed at a shell, and every whole-store
 * count, have this shape. `parseQuery` tries this first, so there is still one entry and one
 * AST; callers that can wait use {@link parseQueryLazily}, which loads the full parser only
 * when it is needed. `test/query/simple.test.ts` parses a corpus both ways and demands equal trees.
 *
 * What it accepts, mirroring the lexer: whitespace is `[ \t\r\n]`; names are
 * `[a-zA-Z_][a-zA-Z0-9_]*` and not a keyword (any case); strings are `"…"` (Go escapes,
 * decoded by `literals.ts`, no raw line break) or raw `` `…` ``. No comments, no trailing
 * comma, no empty braces, no `__name__` matcher, no single quotes: those fall back.
 */
import { QueryError, positionIndex, type Position, type Span } from '../errors.js';
import type { Expr, LabelMatcher, LineFilter, LineFilterOp, MatchOp, VectorSelector } from './ast.js';
import { unquote } from './literals.js';

/** The lexer's keywords (lower case); a name spelled as one falls back to the full parser. */
export const SIMPLE_PARSER_KEYWORDS: ReadonlySet<string> = new Set([
  'sum', 'avg', 'min', 'max', 'count', 'count_values', 'stddev', 'stdvar', 'group', 'topk', 'approx_topk', 'bottomk', 'quantile', 'limitk', 'limit_ratio',
  'by', 'without', 'offset', 'start', 'end', 'and', 'or', 'unless', 'atan2', 'bool', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan',
]);

const LOG_TYPE_NAMES: ReadonlySet<string> = new Set(['pod', 'node']);

/** Thrown inside the scanner to give up; never escapes {@link parseSimpleQuery}. */
const GIVE_UP = Symbol('give up');

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isNamePart(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

/**
 * The AST of `text` when it is a plain log selector with line filters, else `null` (the
 * full parser decides, and reports any error).
 */
export function parseSimpleQuery(text: string): Expr | null {
  if (text.length > 4096) return null; // long queries are rare; the full parser bounds them
  try {
    return new SimpleParser(text).selector();
  } catch (e) {
    if (e === GIVE_UP || e instanceof QueryError) return null;
    throw e;
  }
}

class SimpleParser {
  private pos = 0;
  private readonly position: (offset: number) => Position;

  constructor(private readonly text: string) {
    this.position = positionIndex(text);
  }

  selector(): VectorSelector {
    this.skipSpace();
    const start = this.pos;
    const name = this.name();
    if (!LOG_TYPE_NAMES.has(name)) throw GIVE_UP;
    this.skipSpace();
    this.expect(123); // {
    const matchers: LabelMatcher[] = [];
    for (;;) {
      this.skipSpace();
      matchers.push(this.matcher());
      this.skipSpace();
      if (this.eat(44)) continue; // ,
      this.expect(125); // }
      break;
    }
    let end = this.pos;
    const lineFilters: LineFilter[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos === this.text.length) break;
      lineFilters.push(this.lineFilter());
      end = this.pos;
    }
    return { kind: 'VectorSelector', name, matchers, lineFilters, pipeline: [], offset: null, at: null, span: this.span(start, end) };
  }

  private matcher(): LabelMatcher {
    const start = this.pos;
    const name = this.name();
    if (name === '__name__') throw GIVE_UP;
    this.skipSpace();
    const op = this.matchOp();
    this.skipSpace();
    const { value, from } = this.string();
    return { kind: 'LabelMatcher', name, op, value, span: this.span(start, this.pos), valueSpan: this.span(from, this.pos) };
  }

  private lineFilter(): LineFilter {
    const start = this.pos;
    const a = this.text.charCodeAt(this.pos);
    const b = this.text.charCodeAt(this.pos + 1);
    let op: LineFilterOp;
    if (a === 124 && b === 61) op = '|=';
    else if (a === 124 && b === 126) op = '|~';
    else if (a === 33 && b === 61) op = '!=';
    else if (a === 33 && b === 126) op = '!~';
    else throw GIVE_UP;
    // `!=~`, `|==` and the like lex differently: leave them to the full parser.
    const c = this.text.charCodeAt(this.pos + 2);
    if (c === 61 || c === 126) throw GIVE_UP;
    this.pos += 2;
    this.skipSpace();
    const { value, from } = this.string();
    return { kind: 'LineFilter', op, value, span: this.span(start, this.pos), valueSpan: this.span(from, this.pos) };
  }

  private matchOp(): MatchOp {
    const a = this.text.charCodeAt(this.pos);
    const b = this.text.charCodeAt(this.pos + 1);
    let op: MatchOp;
    if (a === 61) op = b === 126 ? '=~' : '=';
    else if (a === 33 && b === 61) op = '!=';
    else if (a === 33 && b === 126) op = '!~';
    else throw GIVE_UP;
    this.pos += op.length;
    const c = this.text.charCodeAt(this.pos);
    if (c === 61 || c === 126) throw GIVE_UP; // `==`, `!=~`, `=~~`
    return op;
  }

  /** A `"…"` or raw `` `…` `` literal, decoded; `from` is its opening quote's offset. */
  private string(): { value: string; from: number } {
    const from = this.pos;
    const q = this.text.charCodeAt(from);
    let i = from + 1;
    if (q === 96) {
      i = this.text.indexOf('`', i);
      if (i < 0) throw GIVE_UP;
    } else if (q === 34) {
      for (;; i++) {
        if (i >= this.text.length) throw GIVE_UP;
        const c = this.text.charCodeAt(i);
        if (c === 34) break;
        if (c === 10) throw GIVE_UP;
        if (c === 92) {
          // The lexer's `\\.`: `.` matches no line terminator.
          const n = this.text.charCodeAt(i + 1);
          if (Number.isNaN(n) || n === 10 || n === 13 || n === 0x2028 || n === 0x2029) throw GIVE_UP;
          i++;
        }
      }
    } else {
      throw GIVE_UP;
    }
    this.pos = i + 1;
    return { value: unquote(this.text.slice(from, this.pos), this.text, from), from };
  }

  private name(): string {
    const start = this.pos;
    if (!isNameStart(this.text.charCodeAt(start))) throw GIVE_UP;
    let i = start + 1;
    while (i < this.text.length && isNamePart(this.text.charCodeAt(i))) i++;
    // `:` joins identifiers (metric names) in the lexer.
    if (this.text.charCodeAt(i) === 58) throw GIVE_UP;
    const name = this.text.slice(start, i);
    if (SIMPLE_PARSER_KEYWORDS.has(name.toLowerCase())) throw GIVE_UP;
    this.pos = i;
    return name;
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else if (c === 35) throw GIVE_UP; // a comment
      else return;
    }
  }

  private eat(c: number): boolean {
    if (this.text.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  private expect(c: number): void {
    if (!this.eat(c)) throw GIVE_UP;
  }

  private span(start: number, end: number): Span {
    return { start: this.position(start), end: this.position(end) };
  }
}

/**
 * {@link parseQuery} for callers that can wait: a simple selector is parsed here, anything
 * else loads the full parser (and Chevrotain) on first use. The CLI and the store API parse
 * through this, so a simple query's start-up never builds a lexer or a grammar.
 */
export async function parseQueryLazily(text: string): Promise<Expr> {
  return parseSimpleQuery(text) ?? (await import('./parser.js')).parse(text);
}
