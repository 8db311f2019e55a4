/**
 * The token-level half of the nesting limits (see `depth.ts`, which explains both and keeps
 * the AST half): measured on the token list before the grammar recurses over it. Kept apart
 * from `depth.ts` because it needs the lexer's token types (Chevrotain), which a query
 * answered by the simple selector parser never loads.
 */
import type { IToken, TokenType } from 'chevrotain';
import { spanAt } from '../errors.js';
import { MAX_QUERY_NESTING, tooDeep } from './depth.js';
import * as T from './lexer.js';

const OPEN = new Set<TokenType>([T.LParen, T.LBracket, T.LBrace]);
const CLOSE = new Set<TokenType>([T.RParen, T.RBracket, T.RBrace]);

/** Token types after which a `+`/`-` is binary (they end an operand). */
function endsOperand(tok: IToken | undefined): boolean {
  if (!tok) return false;
  const t = tok.tokenType;
  if (CLOSE.has(t)) return true;
  if (t === T.StringLit || t === T.Duration || t === T.GoDuration || t === T.BytesLit || t === T.HexNumber || t === T.DecimalNumber || t === T.Identifier) return true;
  // Keywords that can be operands (`inf`, `nan`) or names (`sum` as a metric name is an Identifier-like category).
  return (t.CATEGORIES ?? []).some((c) => c === T.NumberLit || c === T.MetricName);
}

/** Does `tok` end a run of recursion at its level (a looping binary operator, `,`, `|`)? */
function endsRun(tok: IToken, prev: IToken | undefined): boolean {
  const t = tok.tokenType;
  if (t === T.Comma || t === T.Pipe || t === T.LineFilterOp) return true;
  const cats = t.CATEGORIES ?? [];
  if (cats.includes(T.AddLevelOp)) return endsOperand(prev);
  return cats.some((c) => c === T.OrLevelOp || c === T.AndLevelOp || c === T.CmpLevelOp || c === T.MulLevelOp || c === T.LineFilterOp);
}

/**
 * Refuses a token list whose grammar recursion could exceed {@link MAX_QUERY_NESTING}
 * (see the module note). Linear, no recursion.
 */
export function checkTokenNesting(tokens: readonly IToken[], text: string): void {
  // Per open level: its current run of unary operators and `^`.
  const runs: number[] = [0];
  let depth = 1;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const prev = tokens[i - 1];
    const t = tok.tokenType;
    if (OPEN.has(t)) {
      runs.push(0);
      depth++;
    } else if (CLOSE.has(t)) {
      if (runs.length > 1) depth -= 1 + runs.pop()!;
      continue;
    } else if (t === T.Caret || ((t.CATEGORIES ?? []).includes(T.AddLevelOp) && !endsOperand(prev))) {
      runs[runs.length - 1]!++;
      depth++;
    } else if (endsRun(tok, prev)) {
      depth -= runs[runs.length - 1]!;
      runs[runs.length - 1] = 0;
    }
    if (depth > MAX_QUERY_NESTING) {
      throw tooDeep(
        `query nested too deeply: more than ${MAX_QUERY_NESTING} levels of parentheses, braces, brackets, unary operators or ^ (limit ${MAX_QUERY_NESTING})`,
        spanAt(text, tok.startOffset, tok.startOffset + tok.image.length),
      );
    }
  }
}
