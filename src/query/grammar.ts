/**
 * The LetheQL grammar: a pure Chevrotain CstParser (no actions, no semantics).
 *
 * Owns: the syntax of PromQL 3.x plus log line filters, as rules that build a concrete
 * syntax tree. Meaning (number values, spans, modifier placement, function arity) is
 * the CST visitor's job (`visitor.ts`); turning Chevrotain's failures into
 * {@link QueryError}s is `parser.ts`'s job. Keeping the grammar free of semantics is
 * also what lets `parser.ts` ask Chevrotain's content assist "what could have come
 * next?" for error messages: the answer is only as good as the grammar is exact.
 *
 * Precedence (lowest first), one rule per level, all left-associative except `^`:
 *   or  <  and unless  <  == != <= < >= >  <  + -  <  * / % atan2  <  unary + -  <  ^  <  postfix
 * Unary minus binds looser than `^` (`-2^2` is `-(2^2)`), as in Prometheus's yacc grammar
 * where a unary expression has `*`'s precedence. Postfix modifiers (`[range]`,
 * `[range:step]`, `offset`, `@`) bind tightest and may repeat; which combinations are
 * legal is checked by the visitor, with Prometheus's messages.
 *
 * Log line filters belong to the vector selector: `!=` followed by a string right after
 * a selector is a line filter, never a comparison (comparing with a string literal is a
 * type error in PromQL, so no valid PromQL changes meaning).
 *
 * The LogQL pipeline (`| json | status >= 500 | line_format "…"`) follows the line filters
 * inside the same rule. Stage names (`json`, `logfmt`, `unwrap`, …) are not keywords, so a
 * metric or label may still be called `json`: a stage is recognised by its name right
 * after `|` when no label-filter operator follows (`| json = "x"` filters a label named
 * json). Those decisions need more than the grammar's fixed lookahead, so they are GATEs
 * (`isStage`, `startsPredicate`); `parser.ts` reports what the gates ruled out.
 *
 * Label filters: `or` binds loosest, then `and`; `,` and juxtaposition (`a="x" b="y"`)
 * also mean *and*, and — as Loki's yacc grammar resolves them (shift, no precedence) —
 * take everything to their right as the right operand: `a, b or c` is `a and (b or c)`,
 * while `a and b or c` is `(a and b) or c`.
 *
 * Error recovery is off: the first error ends the parse.
 */
import { CstParser, EOF, LLkLookaheadStrategy, tokenMatcher, type ILookaheadStrategy, type IToken } from 'chevrotain';
import * as T from './lexer.js';

export { STAGE_NAMES } from './ast.js';
/** `unwrap <conversion>(label)`. */
export const UNWRAP_CONVERSIONS = ['duration', 'duration_seconds', 'bytes'] as const;

/** Is `tok` a label filter's operator (`= != =~ !~ == > >= < <=`)? */
export function isLabelFilterOperator(tok: IToken): boolean {
  return tokenMatcher(tok, T.MatchOp) || tokenMatcher(tok, T.CmpLevelOp);
}

type AlternationOptions = Parameters<ILookaheadStrategy['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<ILookaheadStrategy['buildLookaheadForOptional']>[0];

/**
 * Chevrotain's own LL(k) lookahead, with each lookahead function built on its first call
 * instead of all of them in self-analysis: a query exercises a small part of the grammar,
 * and building every function was about half of constructing the parser. The functions are
 * the ones Chevrotain would build (from the finished grammar, which does not change), so
 * parsing is the same; only when each is built differs.
 */
class LazyLookahead extends LLkLookaheadStrategy {
  override buildLookaheadForAlternation(options: AlternationOptions): ReturnType<ILookaheadStrategy['buildLookaheadForAlternation']> {
    const build = () => super.buildLookaheadForAlternation(options);
    let la: ReturnType<typeof build> | null = null;
    return function (this: unknown, orAlts) {
      return (la ??= build()).call(this, orAlts);
    };
  }

  override buildLookaheadForOptional(options: OptionalOptions): ReturnType<ILookaheadStrategy['buildLookaheadForOptional']> {
    const build = () => super.buildLookaheadForOptional(options);
    let la: ReturnType<typeof build> | null = null;
    return function (this: unknown) {
      return (la ??= build()).call(this);
    };
  }
}

/** The DSL methods Chevrotain 11's recording phase replaces on the instance (`enableRecording`). */
const RECORDED_METHODS = [
  ...['CONSUME', 'SUBRULE', 'OPTION', 'OR', 'MANY', 'MANY_SEP', 'AT_LEAST_ONE', 'AT_LEAST_ONE_SEP'].flatMap((m) => Array.from({ length: 10 }, (_, i) => (i > 0 ? `${m}${i}` : m))),
  'consume', 'subrule', 'option', 'or', 'many', 'atLeastOne', 'ACTION', 'BACKTRACK', 'LA',
];

/** The grammar (a Chevrotain CST parser). Build it with {@link createGrammar}, or use the shared {@link grammar}. */
export class LetheQLGrammar extends CstParser {
  constructor(validate: boolean) {
    const maxLookahead = 2;
    super(T.allTokens, {
      recoveryEnabled: false,
      maxLookahead,
      nodeLocationTracking: 'onlyOffset',
      skipValidations: !validate,
      lookaheadStrategy: new LazyLookahead({ maxLookahead }),
    });
    this.performSelfAnalysis();
  }

  /**
   * Ends Chevrotain's recording phase (an internal method, called once by its
   * `performSelfAnalysis`) as Chevrotain's own does, but by pointing the DSL methods the
   * recording phase put on the instance back at the prototype's instead of deleting them:
   * deleting 89 properties turned the parser into a dictionary-mode object, about a sixth of
   * building the grammar. The parser then calls the same methods. If Chevrotain ever stops
   * calling this, it does its own again; if it records more methods than
   * {@link RECORDED_METHODS}, every parse test fails.
   */
  disableRecording(): void {
    const self = this as unknown as Record<string, unknown>;
    self['RECORDING_PHASE'] = false;
    const proto = LetheQLGrammar.prototype as unknown as Record<string, unknown>;
    for (const name of RECORDED_METHODS) self[name] = proto[name];
  }

  /** The whole input: one expression, then nothing. */
  public query = this.RULE('query', () => {
    this.SUBRULE(this.expression);
    this.CONSUME(EOF);
  });

  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.orExpr);
  });

  private orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.OrLevelOp, { LABEL: 'ops' });
      this.SUBRULE(this.binModifiers, { LABEL: 'modifiers' });
      this.SUBRULE2(this.andExpr, { LABEL: 'operands' });
    });
  });

  private andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.cmpExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.AndLevelOp, { LABEL: 'ops' });
      this.SUBRULE(this.binModifiers, { LABEL: 'modifiers' });
      this.SUBRULE2(this.cmpExpr, { LABEL: 'operands' });
    });
  });

  private cmpExpr = this.RULE('cmpExpr', () => {
    this.SUBRULE(this.addExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.CmpLevelOp, { LABEL: 'ops' });
      this.SUBRULE(this.binModifiers, { LABEL: 'modifiers' });
      this.SUBRULE2(this.addExpr, { LABEL: 'operands' });
    });
  });

  private addExpr = this.RULE('addExpr', () => {
    this.SUBRULE(this.mulExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.AddLevelOp, { LABEL: 'ops' });
      this.SUBRULE(this.binModifiers, { LABEL: 'modifiers' });
      this.SUBRULE2(this.mulExpr, { LABEL: 'operands' });
    });
  });

  private mulExpr = this.RULE('mulExpr', () => {
    this.SUBRULE(this.unaryExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.MulLevelOp, { LABEL: 'ops' });
      this.SUBRULE(this.binModifiers, { LABEL: 'modifiers' });
      this.SUBRULE2(this.unaryExpr, { LABEL: 'operands' });
    });
  });

  private unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.AddLevelOp, { LABEL: 'sign' });
          this.SUBRULE(this.unaryExpr, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.powExpr, { LABEL: 'operand' }) },
    ]);
  });

  /** `^` is right-associative and its right side may carry a sign: `2 ^ -1`. */
  private powExpr = this.RULE('powExpr', () => {
    this.SUBRULE(this.postfixExpr, { LABEL: 'base' });
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE(this.binModifiers, { LABEL: 'modifiers' });
      this.SUBRULE(this.unaryExpr, { LABEL: 'exponent' });
    });
  });

  /** `bool`, `on(...)`/`ignoring(...)`, `group_left(...)`/`group_right(...)`; legality per operator is the visitor's. */
  private binModifiers = this.RULE('binModifiers', () => {
    this.OPTION(() => this.CONSUME(T.Bool));
    this.OPTION2(() => {
      this.OR([{ ALT: () => this.CONSUME(T.On) }, { ALT: () => this.CONSUME(T.Ignoring) }]);
      this.SUBRULE(this.labelList, { LABEL: 'matchingLabels' });
      this.OPTION3(() => {
        this.OR2([{ ALT: () => this.CONSUME(T.GroupLeft) }, { ALT: () => this.CONSUME(T.GroupRight) }]);
        // `x * on(a) group_left (b)`: the parenthesis is the include list, as in Prometheus.
        this.OPTION4(() => this.SUBRULE2(this.labelList, { LABEL: 'includeLabels' }));
      });
    });
  });

  private postfixExpr = this.RULE('postfixExpr', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.rangeSuffix, { LABEL: 'suffixes' }) },
        { ALT: () => this.SUBRULE(this.offsetModifier, { LABEL: 'suffixes' }) },
        { ALT: () => this.SUBRULE(this.atModifier, { LABEL: 'suffixes' }) },
      ]);
    });
  });

  /** `[5m]` (range) or `[5m:]`, `[5m:1m]` (subquery). */
  private rangeSuffix = this.RULE('rangeSuffix', () => {
    this.CONSUME(T.LBracket);
    this.CONSUME(T.Duration, { LABEL: 'range' });
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.OPTION2(() => this.CONSUME2(T.Duration, { LABEL: 'step' }));
    });
    this.CONSUME(T.RBracket);
  });

  private offsetModifier = this.RULE('offsetModifier', () => {
    this.CONSUME(T.Offset);
    this.OPTION(() => this.CONSUME(T.Minus));
    this.CONSUME(T.Duration);
  });

  private atModifier = this.RULE('atModifier', () => {
    this.CONSUME(T.At);
    this.OR([
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.AddLevelOp, { LABEL: 'sign' }));
          this.CONSUME(T.NumberLit);
        },
      },
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Start) }, { ALT: () => this.CONSUME(T.End) }]);
          this.CONSUME(T.LParen);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  private primary = this.RULE('primary', () => {
    // Order matters where a keyword may also be a metric name (`sum` vs `sum(x)`):
    // the first alternative whose lookahead matches wins, as in Prometheus.
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.CONSUME(T.NumberLit) },
        { ALT: () => this.CONSUME(T.StringLit) },
        { ALT: () => this.SUBRULE(this.parenExpr) },
        { ALT: () => this.SUBRULE(this.aggregateExpr) },
        { ALT: () => this.SUBRULE(this.functionCall) },
        { ALT: () => this.SUBRULE(this.vectorSelector) },
      ],
    });
  });

  private parenExpr = this.RULE('parenExpr', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  /** `sum by (a) (x)` or `sum (x) by (a)`; `topk(3, x)`. */
  private aggregateExpr = this.RULE('aggregateExpr', () => {
    this.CONSUME(T.AggregateOp);
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.grouping);
          this.SUBRULE(this.argumentList);
        },
      },
      {
        ALT: () => {
          this.SUBRULE2(this.argumentList);
          this.OPTION(() => this.SUBRULE2(this.grouping));
        },
      },
    ]);
  });

  private grouping = this.RULE('grouping', () => {
    this.OR([{ ALT: () => this.CONSUME(T.By) }, { ALT: () => this.CONSUME(T.Without) }]);
    this.SUBRULE(this.labelList);
  });

  /** `(a, b, "c",)`: label names, Prometheus 3 quoted names allowed, trailing comma allowed. */
  private labelList = this.RULE('labelList', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.labelRef, { LABEL: 'labels' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.labelRef, { LABEL: 'labels' });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  private labelRef = this.RULE('labelRef', () => {
    this.OR([{ ALT: () => this.CONSUME(T.LabelName) }, { ALT: () => this.CONSUME(T.StringLit) }]);
  });

  /** `f(args)`; LogQL's grouping may follow (`avg_over_time(…) by (a)`) or precede (`sort by (a) (x)`) the arguments. */
  private functionCall = this.RULE('functionCall', () => {
    this.CONSUME(T.Identifier);
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.grouping);
          this.SUBRULE(this.argumentList);
        },
      },
      {
        ALT: () => {
          this.SUBRULE2(this.argumentList);
          this.OPTION(() => this.SUBRULE2(this.grouping));
        },
      },
    ]);
  });

  /** `(e1, e2,)`; trailing comma allowed as in Prometheus. */
  private argumentList = this.RULE('argumentList', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'args' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression, { LABEL: 'args' });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  /** `name`, `name{…}`, `{…}`, then zero or more line filters and pipeline stages. */
  private vectorSelector = this.RULE('vectorSelector', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.MetricName);
          this.OPTION(() => this.SUBRULE(this.labelMatchers));
        },
      },
      { ALT: () => this.SUBRULE2(this.labelMatchers) },
    ]);
    this.MANY({
      GATE: () => this.atPipelineElement(),
      DEF: () => this.SUBRULE(this.pipelineElement, { LABEL: 'elements' }),
    });
  });

  /**
   * `!=` is a line filter only when a string follows (`x != 1` stays a comparison). The
   * gate is needed because nothing follows the loops using it inside their rules, so
   * Chevrotain would decide on one token of lookahead.
   */
  private atPipelineElement(): boolean {
    const next = this.LA(1);
    if (next.tokenType === T.Pipe) return true;
    if (!tokenMatcher(next, T.LineFilterOp)) return false;
    return next.tokenType !== T.NotEq || tokenMatcher(this.LA(2), T.StringLit) || this.atIpCall(2);
  }

  /** Is `LA(k)` the start of `ip("…")` (LogQL's IP matcher in line and label filters)? */
  private atIpCall(k: number): boolean {
    const tok = this.LA(k);
    return tok.tokenType === T.Identifier && tok.image === 'ip' && this.LA(k + 1).tokenType === T.LParen;
  }

  /** A line filter, or `|` and a stage. */
  private pipelineElement = this.RULE('pipelineElement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.lineFilter) },
      {
        ALT: () => {
          this.CONSUME(T.Pipe);
          this.SUBRULE(this.pipelineStage);
        },
      },
    ]);
  });

  /**
   * Is `LA(k)` the stage called `name` (and not a label filter on a label of that name)?
   * `| json != "x"` and `| json !~ "x"` are the stage and a line filter, as in LogQL
   * (where stage names are keywords); `| json = "x"` filters a label called json.
   */
  private isStage(name: string, k = 1): boolean {
    const tok = this.LA(k);
    if (tok.tokenType !== T.Identifier || tok.image.toLowerCase() !== name) return false;
    const next = this.LA(k + 1);
    if (!isLabelFilterOperator(next)) return true;
    return tokenMatcher(next, T.LineFilterOp) && tokenMatcher(this.LA(k + 2), T.StringLit);
  }

  /** Does a label filter predicate start at `LA(k)`: `(`* then a label name and an operator? */
  private startsPredicate(k: number): boolean {
    let i = k;
    while (this.LA(i).tokenType === T.LParen) i++;
    return tokenMatcher(this.LA(i), T.LabelName) && isLabelFilterOperator(this.LA(i + 1));
  }

  /** Does a `json`/`logfmt` parameter start at `LA(1)`: `a`, `a="x"` (a keyword only with `=`)? */
  private startsExtraction(k: number): boolean {
    const tok = this.LA(k);
    if (tok.tokenType === T.Identifier) return true;
    return tokenMatcher(tok, T.LabelName) && this.LA(k + 1).tokenType === T.Eq;
  }

  private pipelineStage = this.RULE('pipelineStage', () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { GATE: () => this.isStage('json'), ALT: () => this.SUBRULE(this.jsonStage) },
        { GATE: () => this.isStage('logfmt'), ALT: () => this.SUBRULE(this.logfmtStage) },
        { GATE: () => this.isStage('regexp') || this.isStage('pattern') || this.isStage('line_format'), ALT: () => this.SUBRULE(this.stringStage) },
        { GATE: () => this.isStage('unpack') || this.isStage('decolorize'), ALT: () => this.SUBRULE(this.bareStage) },
        { GATE: () => this.isStage('label_format'), ALT: () => this.SUBRULE(this.labelFormatStage) },
        { GATE: () => this.isStage('drop') || this.isStage('keep'), ALT: () => this.SUBRULE(this.dropKeepStage) },
        { GATE: () => this.isStage('unwrap'), ALT: () => this.SUBRULE(this.unwrapStage) },
        { ALT: () => this.SUBRULE(this.labelFilter) },
      ],
    });
  });

  /** `json [a="x.y", b]`. */
  private jsonStage = this.RULE('jsonStage', () => {
    this.CONSUME(T.Identifier, { LABEL: 'stage' });
    this.OPTION({ GATE: () => this.startsExtraction(1), DEF: () => this.SUBRULE(this.extractionList) });
  });

  /** `logfmt [--strict] [--keep-empty] [a, b="c"]`. */
  private logfmtStage = this.RULE('logfmtStage', () => {
    this.CONSUME(T.Identifier, { LABEL: 'stage' });
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Minus && this.LA(2).tokenType === T.Minus && this.LA(3).tokenType === T.Identifier,
      DEF: () => this.SUBRULE(this.parserFlag, { LABEL: 'flags' }),
    });
    this.OPTION({ GATE: () => this.startsExtraction(1), DEF: () => this.SUBRULE(this.extractionList) });
  });

  /** `--strict`, `--keep-empty` (lexed as `-`, `-`, words; the visitor checks they touch). */
  private parserFlag = this.RULE('parserFlag', () => {
    this.CONSUME(T.Minus);
    this.CONSUME2(T.Minus);
    this.CONSUME(T.Identifier, { LABEL: 'words' });
    this.OPTION({
      GATE: () => this.LA(1).tokenType === T.Minus && this.LA(2).tokenType === T.Identifier && this.LA(1).startOffset === this.LA(0).startOffset + this.LA(0).image.length,
      DEF: () => {
        this.CONSUME3(T.Minus);
        this.CONSUME2(T.Identifier, { LABEL: 'words' });
      },
    });
  });

  private extractionList = this.RULE('extractionList', () => {
    this.SUBRULE(this.labelExtraction, { LABEL: 'items' });
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && tokenMatcher(this.LA(2), T.LabelName),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.labelExtraction, { LABEL: 'items' });
      },
    });
  });

  /** `a` or `a="path"`. */
  private labelExtraction = this.RULE('labelExtraction', () => {
    this.CONSUME(T.LabelName);
    this.OPTION(() => {
      this.CONSUME(T.Eq);
      this.CONSUME(T.StringLit);
    });
  });

  /** `regexp "re"`, `pattern "p"`, `line_format "template"`. */
  private stringStage = this.RULE('stringStage', () => {
    this.CONSUME(T.Identifier, { LABEL: 'stage' });
    this.CONSUME(T.StringLit);
  });

  /** `unpack`, `decolorize`. */
  private bareStage = this.RULE('bareStage', () => {
    this.CONSUME(T.Identifier, { LABEL: 'stage' });
  });

  /** `label_format dst=src, dst="template"`. */
  private labelFormatStage = this.RULE('labelFormatStage', () => {
    this.CONSUME(T.Identifier, { LABEL: 'stage' });
    this.SUBRULE(this.labelFormatItem, { LABEL: 'items' });
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && tokenMatcher(this.LA(2), T.LabelName) && this.LA(3).tokenType === T.Eq,
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.labelFormatItem, { LABEL: 'items' });
      },
    });
  });

  private labelFormatItem = this.RULE('labelFormatItem', () => {
    this.CONSUME(T.LabelName, { LABEL: 'dst' });
    this.CONSUME(T.Eq);
    this.OR([{ ALT: () => this.CONSUME(T.StringLit) }, { ALT: () => this.CONSUME2(T.LabelName, { LABEL: 'src' }) }]);
  });

  /** `drop a, b="v"`, `keep a, b=~"v.*"`. */
  private dropKeepStage = this.RULE('dropKeepStage', () => {
    this.CONSUME(T.Identifier, { LABEL: 'stage' });
    this.SUBRULE(this.namedMatcher, { LABEL: 'items' });
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && tokenMatcher(this.LA(2), T.LabelName),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.namedMatcher, { LABEL: 'items' });
      },
    });
  });

  private namedMatcher = this.RULE('namedMatcher', () => {
    this.CONSUME(T.LabelName);
    this.OPTION({
      GATE: () => tokenMatcher(this.LA(1), T.MatchOp) && tokenMatcher(this.LA(2), T.StringLit),
      DEF: () => {
        this.CONSUME(T.MatchOp);
        this.CONSUME(T.StringLit);
      },
    });
  });

  /** `unwrap x`, `unwrap duration(x)`, `unwrap bytes(x)`, `unwrap duration_seconds(x)`. */
  private unwrapStage = this.RULE('unwrapStage', () => {
    this.CONSUME(T.Identifier, { LABEL: 'stage' });
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => this.LA(2).tokenType === T.LParen,
          ALT: () => {
            this.CONSUME2(T.Identifier, { LABEL: 'conversion' });
            this.CONSUME(T.LParen);
            this.CONSUME(T.LabelName);
            this.CONSUME(T.RParen);
          },
        },
        { ALT: () => this.CONSUME2(T.LabelName) },
      ],
    });
  });

  /** Label filter, `or` level. */
  private labelFilter = this.RULE('labelFilter', () => {
    this.SUBRULE(this.labelFilterAnd, { LABEL: 'operands' });
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Or && this.startsPredicate(2),
      DEF: () => {
        this.CONSUME(T.Or);
        this.SUBRULE2(this.labelFilterAnd, { LABEL: 'operands' });
      },
    });
  });

  /** Label filter, `and` level. */
  private labelFilterAnd = this.RULE('labelFilterAnd', () => {
    this.SUBRULE(this.labelFilterSeq, { LABEL: 'operands' });
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.And && this.startsPredicate(2),
      DEF: () => {
        this.CONSUME(T.And);
        this.SUBRULE2(this.labelFilterSeq, { LABEL: 'operands' });
      },
    });
  });

  /** `p, rest` / `p rest`: an *and* whose right operand is the whole rest of the filter. */
  private labelFilterSeq = this.RULE('labelFilterSeq', () => {
    this.SUBRULE(this.labelFilterPrimary, { LABEL: 'first' });
    // The gate repeats the alternatives' gates: an OPTION is entered on its body's first
    // tokens alone, and `and`/`or` are label names too.
    this.OPTION({
      GATE: () => (this.LA(1).tokenType === T.Comma && this.startsPredicate(2)) || this.startsPredicate(1),
      DEF: () => this.OR([
        {
          GATE: () => this.LA(1).tokenType === T.Comma && this.startsPredicate(2),
          ALT: () => {
            this.CONSUME(T.Comma);
            this.SUBRULE(this.labelFilter, { LABEL: 'rest' });
          },
        },
        { GATE: () => this.startsPredicate(1), ALT: () => this.SUBRULE2(this.labelFilter, { LABEL: 'rest' }) },
      ]),
    });
  });

  private labelFilterPrimary = this.RULE('labelFilterPrimary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.labelFilter);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.labelPredicate) },
    ]);
  });

  /** `name op value`; which operators suit which values is the visitor's check. */
  private labelPredicate = this.RULE('labelPredicate', () => {
    this.CONSUME(T.LabelName);
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [{ ALT: () => this.CONSUME(T.MatchOp, { LABEL: 'op' }) }, { ALT: () => this.CONSUME(T.CmpLevelOp, { LABEL: 'op' }) }],
    });
    this.OR2([
      { ALT: () => this.CONSUME(T.StringLit) },
      { GATE: () => this.atIpCall(1), ALT: () => this.SUBRULE(this.ipCall) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.AddLevelOp, { LABEL: 'sign' }));
          this.OR3([
            { ALT: () => this.CONSUME(T.NumberLit) },
            { ALT: () => this.CONSUME(T.Duration) },
            { ALT: () => this.CONSUME(T.GoDuration) },
            { ALT: () => this.CONSUME(T.BytesLit) },
          ]);
        },
      },
    ]);
  });

  private labelMatchers = this.RULE('labelMatchers', () => {
    this.CONSUME(T.LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.labelMatcher, { LABEL: 'matchers' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.labelMatcher, { LABEL: 'matchers' });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  private labelMatcher = this.RULE('labelMatcher', () => {
    this.SUBRULE(this.labelRef, { LABEL: 'name' });
    this.CONSUME(T.MatchOp);
    this.CONSUME(T.StringLit);
  });

  private lineFilter = this.RULE('lineFilter', () => {
    this.CONSUME(T.LineFilterOp);
    this.OR([{ ALT: () => this.CONSUME(T.StringLit) }, { GATE: () => this.atIpCall(1), ALT: () => this.SUBRULE(this.ipCall) }]);
  });

  /** `ip("<pattern>")`. */
  private ipCall = this.RULE('ipCall', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.CONSUME(T.StringLit);
    this.CONSUME(T.RParen);
  });
}

/**
 * A new grammar. `validate` runs Chevrotain's grammar validations (ambiguous alternatives,
 * left recursion, …) in its self-analysis; they find mistakes in the grammar, never in a
 * query, so a test runs them (test/query/startup.test.ts) and the shared instance skips them.
 */
export function createGrammar(options: { validate: boolean }): LetheQLGrammar {
  return new LetheQLGrammar(options.validate);
}

let shared: LetheQLGrammar | null = null;

/**
 * The one grammar instance, built on first use: Chevrotain's self-analysis is the costly
 * part of loading the parser (tens of milliseconds), so it runs once, and not at import.
 */
export function grammar(): LetheQLGrammar {
  return (shared ??= createGrammar({ validate: false }));
}
