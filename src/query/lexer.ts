/**
 * LetheQL tokens and lexer.
 *
 * Owns: the token vocabulary (PromQL 3.x lexing plus the log line-filter operators),
 * the one Chevrotain lexer built at module load, string unquoting (Go escapes) and
 * number/duration decoding. Everything here is context-free; the grammar decides
 * what a word means (`sum` is an aggregation before `(`/`by`/`without`, a metric name
 * elsewhere, a label name inside braces).
 *
 * Design choices:
 * - Keywords are case-insensitive, and belong to the token *categories*
 *   `LabelName`/`MetricName` where PromQL lets a keyword stand for a name (`{by="x"}`,
 *   `sum by (on)`, a metric called `offset`). The grammar consumes categories, so one rule
 *   covers every keyword that may act as a name. The lexer itself knows no keyword: an
 *   `Identifier` whose whole spelling is one (any case) becomes that keyword in
 *   {@link tokenize}. That is what case-insensitive keyword patterns with
 *   `longer_alt: Identifier` would produce, without 31 more patterns for Chevrotain to
 *   analyse when it builds the lexer (a fifth of the lexer's start-up) and try at every
 *   word.
 * - Every pattern names its first characters (`start_chars_hint`), so building the lexer
 *   does not parse the patterns to find them.
 * - Malformed literals are tokens too (`BadNumber`, `UnterminatedString`): the lexer
 *   never guesses, and {@link tokenize} turns them into precise errors with spans,
 *   instead of Chevrotain's generic "unexpected character" for the tail.
 * - Strings are validated and decoded here (before parsing), so an invalid escape is
 *   reported even when the query also has a syntax error later on, as Prometheus does.
 * - Spans use offsets only (lines and columns come from `spanAt`), so the lexer tracks
 *   offsets only, and {@link tokenize} sets each token's `endOffset` (which CST node
 *   locations need): Chevrotain fills it only when it also tracks lines and columns, whose
 *   set-up (finding which patterns can match a line break) was about a third of building
 *   the lexer.
 */
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import { QueryError, spanAt } from '../errors.js';
import { goQuote, parseDurationLiteral, unquote } from './literals.js';

// ---------------------------------------------------------------------------
// Categories (abstract tokens the grammar consumes; never produced by the lexer).
// ---------------------------------------------------------------------------

/** Anything that may be a label name: identifiers and every keyword. */
export const LabelName = createToken({ name: 'LabelName', pattern: Lexer.NA, label: 'label name' });
/** Anything that may be a metric (or log type) name. */
export const MetricName = createToken({ name: 'MetricName', pattern: Lexer.NA, label: 'metric name' });
/** Aggregation operators (`sum`, `topk`, …). */
export const AggregateOp = createToken({ name: 'AggregateOp', pattern: Lexer.NA, label: 'aggregation operator' });
/** Numeric literals: decimal, hex, `Inf`, `NaN`. */
export const NumberLit = createToken({ name: 'NumberLit', pattern: Lexer.NA, label: 'number' });

// One category per binary precedence level, lowest first.
export const OrLevelOp = createToken({ name: 'OrLevelOp', pattern: Lexer.NA, label: 'binary operator' });
export const AndLevelOp = createToken({ name: 'AndLevelOp', pattern: Lexer.NA, label: 'binary operator' });
export const CmpLevelOp = createToken({ name: 'CmpLevelOp', pattern: Lexer.NA, label: 'binary operator' });
export const AddLevelOp = createToken({ name: 'AddLevelOp', pattern: Lexer.NA, label: 'binary operator' });
export const MulLevelOp = createToken({ name: 'MulLevelOp', pattern: Lexer.NA, label: 'binary operator' });

/** `= != =~ !~` inside braces. */
export const MatchOp = createToken({ name: 'MatchOp', pattern: Lexer.NA, label: 'label matcher operator' });
/** `|= != |~ !~` after a selector. */
export const LineFilterOp = createToken({ name: 'LineFilterOp', pattern: Lexer.NA, label: 'line filter operator' });

// ---------------------------------------------------------------------------
// Concrete tokens.
// ---------------------------------------------------------------------------

// First characters of the patterns below (`start_chars_hint`): Chevrotain would otherwise
// parse every pattern (regexp-to-ast) at start-up to find them. test/query/startup.test.ts
// checks each hint against Chevrotain's own analysis of the pattern.
const DIGITS = [...'0123456789'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const QUOTES = ['"', "'", '`'];

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, start_chars_hint: [' ', '\t', '\r', '\n'], group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, start_chars_hint: ['#'], group: Lexer.SKIPPED });

/** `"…"`, `'…'` (Go escapes, no raw newline) and raw `` `…` `` (anything but a backtick). */
export const StringLit = createToken({
  name: 'StringLit',
  start_chars_hint: QUOTES,
  pattern: /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`/,
  line_breaks: true,
  label: 'string',
});
/** A string that reaches the end of its line (quoted) or of the input (raw): always an error. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  start_chars_hint: QUOTES,
  pattern: /"(?:[^"\\\n]|\\.)*\\?|'(?:[^'\\\n]|\\.)*\\?|`[^`]*/,
  line_breaks: true,
  label: 'unterminated string',
});

// A literal must not run into letters, digits, `_` or `.`: `5x`, `1.5h`, `1e` are one
// bad token (Prometheus: "bad number or duration syntax"), not a number and a name.
export const Duration = createToken({
  name: 'Duration',
  start_chars_hint: DIGITS,
  pattern: /(?:\d+(?:ms|[smhdwy]))+(?![a-zA-Z0-9_.])/,
  label: 'duration',
});
export const HexNumber = createToken({
  name: 'HexNumber',
  start_chars_hint: ['0'],
  pattern: /0[xX][0-9a-fA-F]+(?![a-zA-Z0-9_.])/,
  categories: [NumberLit],
  label: 'number',
});
export const DecimalNumber = createToken({
  name: 'DecimalNumber',
  start_chars_hint: [...DIGITS, '.'],
  pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![a-zA-Z0-9_.])/,
  categories: [NumberLit],
  label: 'number',
});
/**
 * LogQL label-filter literals that are not PromQL literals: a Go duration (`1.5s`, `300us`,
 * `10ns`, `1m30.5s`) and a byte size (`1MB`, `1.5KiB`, `20B`, `5M`). The grammar accepts
 * them only as label filter values; anywhere else `parser.ts` reports them with the
 * "bad duration/number syntax" message they used to get from the lexer.
 */
export const GoDuration = createToken({
  name: 'GoDuration',
  start_chars_hint: [...DIGITS, '.'],
  pattern: /(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+(?![a-zA-Z0-9_.])/,
  label: 'duration',
});
export const BytesLit = createToken({
  name: 'BytesLit',
  start_chars_hint: [...DIGITS, '.'],
  pattern: /(?:\d+\.?\d*|\.\d+)(?:[kKMGTP]i?B?|B)(?![a-zA-Z0-9_.])/,
  label: 'bytes',
});
export const BadNumber = createToken({
  name: 'BadNumber',
  start_chars_hint: [...DIGITS, '.'],
  pattern: /(?:\d|\.\d)[a-zA-Z0-9_.]*(?:[eE][+-]\d*)?[a-zA-Z0-9_.]*/,
  label: 'malformed number',
});

/** Metric names may contain `:` (recording rules); label and function names are checked for it by the parser. */
export const Identifier = createToken({
  name: 'Identifier',
  start_chars_hint: [...LETTERS, '_', ':'],
  pattern: /[a-zA-Z_][a-zA-Z0-9_:]*|:[a-zA-Z_:][a-zA-Z0-9_:]*/,
  categories: [LabelName, MetricName],
  label: 'identifier',
});

/** Keywords by their lower-case spelling; {@link tokenize} turns an `Identifier` spelled so into the keyword. */
const KEYWORDS = new Map<string, TokenType>();

/** Every keyword's lower-case spelling (the simple selector parser's list is checked against it). */
export function keywordSpellings(): string[] {
  return [...KEYWORDS.keys()];
}

function keyword(name: string, word: string, categories: TokenType[]): TokenType {
  const type = createToken({ name, pattern: Lexer.NA, categories: [...categories, LabelName], label: `"${word}"` });
  KEYWORDS.set(word, type);
  return type;
}

const NAMEABLE = [MetricName];
const AGG = [AggregateOp, MetricName];

export const Sum = keyword('Sum', 'sum', AGG);
export const Avg = keyword('Avg', 'avg', AGG);
export const Min = keyword('Min', 'min', AGG);
export const Max = keyword('Max', 'max', AGG);
export const Count = keyword('Count', 'count', AGG);
export const CountValues = keyword('CountValues', 'count_values', AGG);
export const Stddev = keyword('Stddev', 'stddev', AGG);
export const Stdvar = keyword('Stdvar', 'stdvar', AGG);
export const Group = keyword('Group', 'group', AGG);
export const Topk = keyword('Topk', 'topk', AGG);
export const ApproxTopk = keyword('ApproxTopk', 'approx_topk', AGG);
export const Bottomk = keyword('Bottomk', 'bottomk', AGG);
export const Quantile = keyword('Quantile', 'quantile', AGG);
export const Limitk = keyword('Limitk', 'limitk', AGG);
export const LimitRatio = keyword('LimitRatio', 'limit_ratio', AGG);

export const By = keyword('By', 'by', NAMEABLE);
export const Without = keyword('Without', 'without', NAMEABLE);
export const Offset = keyword('Offset', 'offset', NAMEABLE);
export const Start = keyword('Start', 'start', NAMEABLE);
export const End = keyword('End', 'end', NAMEABLE);
export const And = keyword('And', 'and', [AndLevelOp, MetricName]);
export const Or = keyword('Or', 'or', [OrLevelOp, MetricName]);
export const Unless = keyword('Unless', 'unless', [AndLevelOp, MetricName]);
// Not metric names in PromQL: they would make `x > bool y` or `x + on(a) y` ambiguous.
export const Atan2 = keyword('Atan2', 'atan2', [MulLevelOp]);
export const Bool = keyword('Bool', 'bool', []);
export const On = keyword('On', 'on', []);
export const Ignoring = keyword('Ignoring', 'ignoring', []);
export const GroupLeft = keyword('GroupLeft', 'group_left', []);
export const GroupRight = keyword('GroupRight', 'group_right', []);
export const Inf = keyword('Inf', 'inf', [NumberLit]);
export const NaN_ = keyword('NaN', 'nan', [NumberLit]);

function op(name: string, image: string, categories: TokenType[] = []): TokenType {
  return createToken({ name, pattern: image, categories, label: `"${image}"` });
}

export const EqEq = op('EqEq', '==', [CmpLevelOp]);
export const NotEq = op('NotEq', '!=', [CmpLevelOp, MatchOp, LineFilterOp]);
export const NotTilde = op('NotTilde', '!~', [MatchOp, LineFilterOp]);
export const EqTilde = op('EqTilde', '=~', [MatchOp]);
export const Le = op('Le', '<=', [CmpLevelOp]);
export const Ge = op('Ge', '>=', [CmpLevelOp]);
export const PipeEq = op('PipeEq', '|=', [LineFilterOp]);
export const PipeTilde = op('PipeTilde', '|~', [LineFilterOp]);
export const Eq = op('Eq', '=', [MatchOp]);
export const Lt = op('Lt', '<', [CmpLevelOp]);
export const Gt = op('Gt', '>', [CmpLevelOp]);
export const Plus = op('Plus', '+', [AddLevelOp]);
export const Minus = op('Minus', '-', [AddLevelOp]);
export const Star = op('Star', '*', [MulLevelOp]);
export const Slash = op('Slash', '/', [MulLevelOp]);
export const Percent = op('Percent', '%', [MulLevelOp]);
export const Caret = op('Caret', '^');
/** A lone `|` starts a LogQL pipeline stage (`| json`, `| status >= 500`). */
export const Pipe = op('Pipe', '|');
export const LParen = op('LParen', '(');
export const RParen = op('RParen', ')');
export const LBrace = op('LBrace', '{');
export const RBrace = op('RBrace', '}');
export const LBracket = op('LBracket', '[');
export const RBracket = op('RBracket', ']');
export const Comma = op('Comma', ',');
export const Colon = op('Colon', ':');
export const At = op('At', '@');

/** Every token type, lexer order (first match wins; keywords defer to longer identifiers). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLit,
  UnterminatedString,
  Duration,
  HexNumber,
  DecimalNumber,
  GoDuration,
  BytesLit,
  BadNumber,
  CountValues,
  Sum, Avg, Min, Max, Count, Stddev, Stdvar, GroupLeft, GroupRight, Group, Topk, ApproxTopk, Bottomk, Quantile, Limitk, LimitRatio,
  By, Without, Offset, Start, End, And, Or, Unless, Atan2, Bool, On, Ignoring, Inf, NaN_,
  Identifier,
  EqEq, NotEq, NotTilde, EqTilde, Le, Ge, PipeEq, PipeTilde,
  Eq, Lt, Gt, Plus, Minus, Star, Slash, Percent, Caret, Pipe,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Comma, Colon, At,
  // Categories must be known to the lexer/parser even though they never match.
  LabelName, MetricName, AggregateOp, NumberLit, OrLevelOp, AndLevelOp, CmpLevelOp, AddLevelOp, MulLevelOp, MatchOp, LineFilterOp,
];

/**
 * A new lexer. `validate` runs Chevrotain's token-set validations (unreachable or empty
 * patterns, …): mistakes in the token definitions, never in a query, so a test runs them
 * (test/query/startup.test.ts) and the shared lexer skips them. The optimisation of the token
 * set (first-character tables) runs either way, and must succeed (`ensureOptimizations`).
 */
export function createLexer(options: { validate: boolean }): Lexer {
  return new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: true, skipValidations: !options.validate });
}

// Built once, on first use (not at import): analysing the token set is the expensive part;
// `tokenize` below only runs it.
let lexer: Lexer | null = null;

/** Go's `%q` for one character, as in Prometheus's `unexpected character: '$'`. */
function quoteRune(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '\\') return "'\\\\'";
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}

/**
 * Lexes `text` into tokens (whitespace and comments dropped) and checks every literal.
 * Throws the first lexical error by position: UNEXPECTED_CHARACTER, UNTERMINATED_STRING,
 * INVALID_ESCAPE, INVALID_NUMBER or INVALID_DURATION.
 */
export function tokenize(text: string): IToken[] {
  const result = (lexer ??= createLexer({ validate: false })).tokenize(text);
  const firstLexError = result.errors[0];
  const limit = firstLexError ? firstLexError.offset : Infinity;
  for (const tok of result.tokens) {
    if (tok.startOffset >= limit) break;
    const end = tok.startOffset + tok.image.length;
    tok.endOffset = end - 1; // inclusive, as Chevrotain's own (see the note at the top)
    switch (tok.tokenType) {
      case UnterminatedString:
        throw new QueryError(
          'UNTERMINATED_STRING',
          tok.image.startsWith('`') ? 'unterminated raw string' : 'unterminated quoted string',
          spanAt(text, tok.startOffset, end),
        );
      case BadNumber:
        throw badLiteral(tok.image, text, tok.startOffset);
      case StringLit:
        unquote(tok.image, text, tok.startOffset);
        break;
      case Duration:
        parseDurationLiteral(tok.image, text, tok.startOffset);
        break;
      case Identifier: {
        const kw = KEYWORDS.get(tok.image.toLowerCase());
        if (kw !== undefined) {
          tok.tokenType = kw;
          tok.tokenTypeIdx = kw.tokenTypeIdx!;
        }
        break;
      }
      default:
        break;
    }
  }
  if (firstLexError) {
    const ch = String.fromCodePoint(text.codePointAt(firstLexError.offset) ?? 0);
    throw new QueryError(
      'UNEXPECTED_CHARACTER',
      `unexpected character: ${quoteRune(ch)}`,
      spanAt(text, firstLexError.offset, firstLexError.offset + ch.length),
    );
  }
  return result.tokens;
}

/**
 * The error for a literal that is neither a number nor a PromQL duration where one was due
 * (`1.5h`, `5M`, `1x`): digits and unit letters only read as a duration attempt.
 */
export function badLiteral(image: string, text: string, offset: number): QueryError {
  const span = spanAt(text, offset, offset + image.length);
  const isDuration = /^[0-9.]+[smhdwy]/i.test(image) && /^[0-9.smhdwy]+$/i.test(image);
  return isDuration
    ? new QueryError('INVALID_DURATION', `bad duration syntax: ${goQuote(image)} (use integers with units ms s m h d w y, e.g. 1h30m)`, span)
    : new QueryError('INVALID_NUMBER', `bad number syntax: ${goQuote(image)}`, span);
}

// Literal decoding lives in literals.ts (no Chevrotain), so the printer and the simple
// selector parser load without the lexer; re-exported here for the grammar and visitor.
export { unquote, goQuote, parseNumberLiteral, parseDurationLiteral, formatDuration } from './literals.js';
