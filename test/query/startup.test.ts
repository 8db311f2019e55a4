/**
 * The parser is built lazily and without Chevrotain's validations (they cost start-up time
 * and find mistakes in the grammar, never in a query): here they run, so a grammar or token
 * change that Chevrotain would reject still fails the tests.
 */
import { describe, expect, it } from 'vitest';
import { createGrammar } from '../../src/query/grammar.js';
import { createLexer } from '../../src/query/lexer.js';

describe('the lexer and grammar pass Chevrotain\'s validations', () => {
  it('the lexer: no errors, every token pattern optimisable', () => {
    const lexer = createLexer({ validate: true });
    expect(lexer.lexerDefinitionErrors).toEqual([]);
  });

  it('the grammar: self-analysis with validations finds no definition errors', () => {
    // performSelfAnalysis throws "Parser Definition Errors detected" on any.
    expect(() => createGrammar({ validate: true })).not.toThrow();
  });
});
