/**
 * The parser is built lazily and without Chevrotain's validations (they cost start-up time
 * and find mistakes in the grammar, never in a query): here they run, so a grammar or token
 * change that Chevrotain would reject still fails the tests.
 */
import { Lexer } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { createGrammar } from '../../src/query/grammar.js';
import { allTokens, createLexer, tokenize } from '../../src/query/lexer.js';
// Chevrotain's own first-character analysis (internal: not in its package exports).
// @ts-expect-error: Chevrotain ships no declarations for its internal modules.
import { getOptimizedStartCodesIndices } from '../../node_modules/chevrotain/lib/src/scan/reg_exp.js';

describe('the lexer and grammar pass Chevrotain\'s validations', () => {
  it('the lexer: no errors, every token pattern optimisable', () => {
    const lexer = createLexer({ validate: true });
    expect(lexer.lexerDefinitionErrors).toEqual([]);
  });

  it('every pattern\'s start_chars_hint is the set of first characters Chevrotain finds in it', () => {
    for (const t of allTokens) {
      if (!(t.PATTERN instanceof RegExp) || t.PATTERN === Lexer.NA) continue; // string patterns need no hint; categories and keywords never match
      const hint = (t as { START_CHARS_HINT?: string[] }).START_CHARS_HINT;
      expect(hint, t.name).toBeDefined();
      const codes = [...new Set(hint!.map((c) => c.charCodeAt(0)))].sort((a, b) => a - b);
      expect(codes, t.name).toEqual([...new Set(getOptimizedStartCodesIndices(t.PATTERN, true) as number[])].sort((a, b) => a - b));
    }
  });

  it('a word is a keyword exactly when its whole spelling is one, in any case', () => {
    const types = (q: string) => tokenize(q).map((t) => t.tokenType.name);
    expect(types('sum SUM Sum summary sum_x sum:x count_values group_left offset nan Inf')).toEqual([
      'Sum', 'Sum', 'Sum', 'Identifier', 'Identifier', 'Identifier', 'CountValues', 'GroupLeft', 'Offset', 'NaN', 'Inf',
    ]);
  });

  it('the grammar: self-analysis with validations finds no definition errors', () => {
    // performSelfAnalysis throws "Parser Definition Errors detected" on any.
    expect(() => createGrammar({ validate: true })).not.toThrow();
  });
});
