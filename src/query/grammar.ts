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
 * Error recovery is off: the first error ends the parse.
 */
import { CstParser, EOF, tokenMatcher } from 'chevrotain';
import * as T from './lexer.js';

class LetheQLGrammar extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: false, maxLookahead: 2, nodeLocationTracking: 'onlyOffset' });
    this.performSelfAnalysis();
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

  private functionCall = this.RULE('functionCall', () => {
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.argumentList);
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

  /** `name`, `name{…}`, `{…}`, then zero or more line filters. */
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
    // `!=` is a line filter only when a string follows (`x != 1` stays a comparison).
    // The gate is needed because nothing follows this loop inside the rule, so
    // Chevrotain would decide on one token of lookahead.
    this.MANY({
      GATE: () => this.LA(1).tokenType !== T.NotEq || tokenMatcher(this.LA(2), T.StringLit),
      DEF: () => this.SUBRULE(this.lineFilter, { LABEL: 'filters' }),
    });
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
    this.CONSUME(T.StringLit);
  });
}

/** The one grammar instance (Chevrotain's self-analysis is the costly part; do it once per load). */
export const grammar = new LetheQLGrammar();
