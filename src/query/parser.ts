/**
 * Parsing entry points and syntax-error translation.
 *
 * Owns: the pipeline text → tokens (`lexer.ts`) → CST (`grammar.ts`) → AST
 * (`visitor.ts`), and the conversion of Chevrotain's recognition exceptions into
 * {@link QueryError}s with a code, a one-line human message, a span and an `expected`
 * list. Chevrotain's own messages are never shown.
 *
 * How "expected" is computed: Chevrotain reports only the production that failed (for
 * `pod{} |= "a" "b"` that is the final EOF), not the loops and options that were
 * silently skipped on the way (more line filters, a binary operator, `offset`). So on
 * error we ask Chevrotain's content assist which tokens the grammar allows after the
 * tokens before the offending one — an exact answer, computed only on the error path.
 * The message names groups of them ("a binary operator", "an expression"); the
 * `expected` array lists every token, for tools.
 */
import { EOF, tokenMatcher, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import { QueryError, spanAt, type ErrorCode } from '../errors.js';
import type { Expr } from './ast.js';
import { checkAstDepth } from './depth.js';
import { checkTokenNesting } from './token-nesting.js';
import { grammar, isLabelFilterOperator, STAGE_NAMES } from './grammar.js';
import * as T from './lexer.js';
import { AstBuilder } from './visitor.js';

/** Parses one LetheQL query. Throws a {@link QueryError} on any lexical, syntax or parse-time semantic error. */
export function parse(text: string): Expr {
  const tokens = T.tokenize(text);
  if (tokens.length === 0) throw new QueryError('EMPTY_QUERY', 'no expression found in input', spanAt(text, 0, 0));
  // Before anything recursive sees the query (see depth.ts).
  checkTokenNesting(tokens, text);
  const g = grammar();
  g.input = tokens;
  const cst = g.query();
  const error = g.errors[0];
  if (error) throw translate(error, tokens, text);
  const expr = new AstBuilder(text).build(cst);
  checkAstDepth(expr);
  return expr;
}

// ---------------------------------------------------------------------------
// Error translation.
// ---------------------------------------------------------------------------

const EXPRESSION_START: TokenType[] = [T.NumberLit, T.StringLit, T.LParen, T.AggregateOp, T.Identifier, T.MetricName, T.LBrace, T.AddLevelOp];
const BINARY_OPS: TokenType[] = [T.OrLevelOp, T.AndLevelOp, T.CmpLevelOp, T.AddLevelOp, T.MulLevelOp, T.Caret];
const BINARY_MODIFIERS: TokenType[] = [T.Bool, T.On, T.Ignoring, T.GroupLeft, T.GroupRight];
/** Suffixes that may follow almost any selector; listed in `expected` but left out of messages to keep them short. */
const POSTFIX: TokenType[] = [T.LBracket, T.Offset, T.At];

/** What a stage needs after its name, for "incomplete stage" messages. */
const STAGE_HINTS: Record<string, string> = {
  regexp: 'a string with a regular expression, e.g. | regexp "(?P<status>\\d{3})"',
  pattern: 'a string with a pattern, e.g. | pattern "<ip> <_> <status>"',
  line_format: 'a template string, e.g. | line_format "{{.status}}"',
  label_format: 'dst=src or dst="template", e.g. | label_format level=severity',
  drop: 'label names, e.g. | drop a, b="v"',
  keep: 'label names, e.g. | keep a, b="v"',
  unwrap: 'a label name or duration(label), bytes(label), e.g. | unwrap latency',
};

/** What may follow a label filter's operator. */
const LABEL_FILTER_VALUES: TokenType[] = [T.StringLit, T.NumberLit, T.Duration, T.GoDuration, T.BytesLit, T.AddLevelOp];

/** Message phrases for token groups, in the order they appear in a message. */
const GROUPS: { phrase: string; when: TokenType; covers: TokenType[] }[] = [
  { phrase: 'a value (a string, a number, a duration or bytes)', when: T.BytesLit, covers: LABEL_FILTER_VALUES },
  { phrase: 'an expression', when: T.NumberLit, covers: [...EXPRESSION_START, ...BINARY_MODIFIERS] },
  { phrase: 'a label name', when: T.LabelName, covers: [T.LabelName, T.StringLit] },
  { phrase: 'a label matcher operator (= != =~ !~)', when: T.MatchOp, covers: [T.MatchOp] },
  { phrase: 'a string', when: T.StringLit, covers: [T.StringLit] },
  { phrase: 'a line filter operator (|= != |~ !~)', when: T.LineFilterOp, covers: [T.LineFilterOp] },
  { phrase: 'a pipeline stage (| json, | logfmt, | status >= 500, …)', when: T.Pipe, covers: [T.Pipe] },
  { phrase: 'a duration', when: T.Duration, covers: [T.Duration] },
  { phrase: 'a binary operator', when: T.OrLevelOp, covers: BINARY_OPS },
];

/** Categories that stand for a list of operators: expanded in `expected`. */
const EXPANDED = new Set<TokenType>([T.MatchOp, T.LineFilterOp, T.OrLevelOp, T.AndLevelOp, T.CmpLevelOp, T.AddLevelOp, T.MulLevelOp]);

/** The plain description of one token type for `expected`: `|=`, `by`, `string`, `end of query`. */
function describeType(type: TokenType): string[] {
  if (type === EOF) return ['end of query'];
  if (EXPANDED.has(type)) return T.allTokens.filter((t) => t.CATEGORIES?.includes(type)).flatMap(describeType);
  const label = type.LABEL ?? type.name;
  return [label.startsWith('"') ? label.slice(1, -1) : label];
}

/** How the offending token is named in a message: `string "\"hello\""`, `"|="`, `keyword "by"`. */
function describeToken(tok: IToken): string {
  const quoted = T.goQuote(tok.image);
  if (tokenMatcher(tok, T.StringLit)) return `string ${quoted}`;
  if (tokenMatcher(tok, T.NumberLit)) return `number ${quoted}`;
  if (tok.tokenType === T.Duration) return `duration ${quoted}`;
  if (tok.tokenType === T.Identifier) return `identifier ${quoted}`;
  if (tokenMatcher(tok, T.LabelName)) return `keyword ${quoted}`;
  return quoted;
}

/** Where the parser was, for the message: the innermost construct that is not a plain sub-expression. */
function contextPhrase(ruleStack: readonly string[]): string {
  for (let i = ruleStack.length - 1; i >= 0; i--) {
    const rule = ruleStack[i];
    switch (rule) {
      case 'labelMatchers':
      case 'labelMatcher':
        return ' in label matching';
      case 'lineFilter':
        return ' in line filter';
      case 'labelPredicate':
      case 'labelFilterPrimary':
        return ' in label filter';
      case 'jsonStage':
      case 'logfmtStage':
      case 'stringStage':
      case 'labelFormatStage':
      case 'dropKeepStage':
      case 'unwrapStage':
        return ` in ${rule.replace('Stage', '').replace('dropKeep', 'drop/keep').replace('labelFormat', 'label_format').replace('string', 'pipeline')} stage`;
      case 'labelExtraction':
      case 'extractionList':
        return ' in parser parameters';
      case 'parserFlag':
        return ' in logfmt flag';
      case 'namedMatcher':
        return ' in drop/keep';
      case 'labelFormatItem':
        return ' in label_format';
      case 'pipelineStage':
        return ' in pipeline stage';
      case 'labelList':
        return ruleStack[i - 1] === 'grouping' ? ' in grouping' : ' in vector matching';
      case 'grouping':
        return ' in grouping';
      case 'binModifiers':
        return ' in vector matching';
      case 'rangeSuffix':
        return ' in range or subquery';
      case 'offsetModifier':
        return ' in offset';
      case 'atModifier':
        return ' in @ modifier';
      case 'aggregateExpr':
        return ' in aggregation';
      case 'argumentList':
        return ruleStack[i - 1] === 'aggregateExpr' ? ' in aggregation' : ' in function call';
      case 'parenExpr':
        return ' in parentheses';
      case 'expression':
        return '';
      default:
        break;
    }
  }
  return '';
}

function joinPhrases(parts: string[]): string {
  if (parts.length <= 1) return parts[0] ?? 'nothing';
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/** `| foo`: neither a stage nor a label filter (which needs an operator). */
function unknownStage(tok: IToken, text: string): QueryError {
  return new QueryError(
    'UNEXPECTED_TOKEN',
    `unknown pipeline stage ${T.goQuote(tok.image)}: expected ${STAGE_NAMES.join(', ')}, or a label filter such as ${tok.image} = "value"`,
    spanAt(text, tok.startOffset, tok.startOffset + tok.image.length),
    [...STAGE_NAMES],
  );
}

/** Turns the first Chevrotain exception into a {@link QueryError}. */
function translate(error: IRecognitionException, tokens: IToken[], text: string): QueryError {
  const found = error.token;
  let index = tokens.indexOf(found);
  const atEnd = found.tokenType === EOF || index < 0;
  if (atEnd) index = tokens.length;

  // `| foo …` where `foo` is neither a stage nor followed by a label filter operator.
  const prev = tokens[index - 1];
  if (prev && prev.tokenType === T.Identifier && tokens[index - 2]?.tokenType === T.Pipe && (atEnd || !isLabelFilterOperator(found))) {
    const known = (STAGE_NAMES as readonly string[]).includes(prev.image.toLowerCase());
    if (!known) return unknownStage(prev, text);
  }

  const types = new Set<TokenType>(grammar().computeContentAssist('query', tokens.slice(0, index)).map((s) => s.nextTokenType));
  const expected = [...new Set([...types].flatMap(describeType))];

  // Message: named groups first, then remaining punctuation and keywords, then the end.
  const parts: string[] = [];
  const covered = new Set<TokenType>();
  for (const g of GROUPS) {
    if (types.has(g.when) && !covered.has(g.when)) {
      parts.push(g.phrase);
      for (const t of g.covers) covered.add(t);
    }
  }
  const rest = [...types].filter((t) => !covered.has(t) && t !== EOF);
  const others = parts.length > 0 ? rest.filter((t) => !POSTFIX.includes(t)) : rest;
  for (const t of others) parts.push(t.LABEL ?? t.name);
  if (types.has(EOF)) parts.push('end of query');

  const ruleStack = error.context?.ruleStack ?? [];
  const context = contextPhrase(ruleStack);
  let want = parts.length > 0 ? `, expected ${joinPhrases(parts)}` : '';
  let expectedList = expected;
  const innermost = ruleStack[ruleStack.length - 1];
  if (innermost === 'pipelineStage' && !atEnd && found.tokenType === T.Identifier && prev?.tokenType === T.Pipe && !STAGE_HINTS[found.image.toLowerCase()]) {
    return unknownStage(found, text);
  }
  if (innermost === 'pipelineStage' && !atEnd && found.tokenType === T.Identifier && prev?.tokenType === T.Pipe && STAGE_HINTS[found.image.toLowerCase()]) {
    const name = found.image.toLowerCase();
    return new QueryError('UNEXPECTED_TOKEN', `incomplete ${name} stage: expected ${STAGE_HINTS[name]}`, spanAt(text, found.startOffset, found.startOffset + found.image.length), expected);
  }
  if (innermost === 'pipelineStage') {
    want = `, expected a pipeline stage (${STAGE_NAMES.join(', ')}) or a label filter (name op value)`;
  } else if (innermost === 'lineFilter' && types.has(T.Identifier)) {
    // The only identifier a line filter takes is the ip("…") matcher.
    want = `, expected a string or ip("…")`;
    expectedList = ['string', 'ip("…")'];
  } else if (innermost === 'labelPredicate' && prev && isLabelFilterOperator(prev)) {
    // Content assist does not see through the gated stage alternatives; the grammar is plain here.
    want = ', expected a value (a string, a number, a duration or bytes)';
    expectedList = ['string', 'number', 'duration', 'bytes'];
  }

  if (atEnd) {
    return new QueryError('UNEXPECTED_END', `unexpected end of query${context}${want}`, spanAt(text, text.length, text.length), expectedList);
  }
  const span = spanAt(text, found.startOffset, found.startOffset + found.image.length);
  let code: ErrorCode = 'UNEXPECTED_TOKEN';
  let message = `unexpected ${describeToken(found)}${context}${want}`;
  if ((found.tokenType === T.GoDuration || found.tokenType === T.BytesLit) && !types.has(found.tokenType)) {
    // Go durations and byte sizes are label filter values only; elsewhere they read as
    // malformed PromQL numbers or durations (`x[1.5h]`, `x[5M]`).
    const bad = T.badLiteral(found.image, text, found.startOffset);
    return new QueryError(bad.code, bad.message, bad.span, expected);
  }
  if (tokenMatcher(found, T.NumberLit) && types.has(T.Duration) && !types.has(T.NumberLit)) {
    // `x[5]`: Prometheus 3 needs a unit here; say so rather than "unexpected number".
    code = 'INVALID_DURATION';
    message = `bad duration ${T.goQuote(found.image)}: missing unit (ms s m h d w y), e.g. 5m or 1h30m`;
  }
  return new QueryError(code, message, span, expectedList);
}
