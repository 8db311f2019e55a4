/**
 * Error table: every row names the code, the `line:column` of the span start, a part of
 * the message and, where it matters, the `expected` list and the spanned text.
 */
import { describe, expect, it } from 'vitest';
import { QueryError, formatQueryError } from '../../src/errors.js';
import { parseQuery, safeParseQuery } from '../../src/query/index.js';

interface Row {
  q: string;
  code: QueryError['code'];
  at: string;
  msg: string;
  expected?: string[];
  /** The text under the span. */
  spans?: string;
}

const BINARY = ['+', '-', '*', '/', '%', '^', 'atan2', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', 'unless'];

const rows: Row[] = [
  { q: '', code: 'EMPTY_QUERY', at: '1:1', msg: 'no expression found in input' },
  { q: '   \n\t ', code: 'EMPTY_QUERY', at: '1:1', msg: 'no expression found in input' },
  { q: '# just a comment\n# and another', code: 'EMPTY_QUERY', at: '1:1', msg: 'no expression found in input' },
  { q: 'pod{namespace="a}', code: 'UNTERMINATED_STRING', at: '1:15', msg: 'unterminated quoted string', spans: '"a}' },
  { q: "pod{namespace='a}\n", code: 'UNTERMINATED_STRING', at: '1:15', msg: 'unterminated quoted string' },
  { q: 'pod{namespace="a"} |= `abc', code: 'UNTERMINATED_STRING', at: '1:23', msg: 'unterminated' },
  { q: 'pod{namespace="a"} |= "a\nb"', code: 'UNTERMINATED_STRING', at: '1:23', msg: 'unterminated' },
  { q: 'pod{namespace="a"} |= "\\q"', code: 'INVALID_ESCAPE', at: '1:24', msg: 'invalid escape sequence "\\\\q"', spans: '\\q' },
  { q: 'pod{namespace="a"} |= "\\x4"', code: 'INVALID_ESCAPE', at: '1:24', msg: 'hex digits' },
  { q: 'pod{namespace="a"} |= "ok\\u12"', code: 'INVALID_ESCAPE', at: '1:26', msg: '4 hex digits' },
  { q: 'pod{namespace="a"} |= "\\ud800"', code: 'INVALID_ESCAPE', at: '1:24', msg: 'not a valid Unicode code point' },
  { q: 'pod{namespace="a"} |= "\\400"', code: 'INVALID_ESCAPE', at: '1:24', msg: 'octal' },
  { q: 'pod{namespace="a"} |= "\\xff"', code: 'INVALID_ESCAPE', at: '1:24', msg: 'valid UTF-8' },
  { q: "pod{namespace=\"a\"} |= \"\\'\"", code: 'INVALID_ESCAPE', at: '1:24', msg: 'invalid escape' },
  { q: 'pod{namespace="a"} $ "x"', code: 'UNEXPECTED_CHARACTER', at: '1:20', msg: "unexpected character: '$'", spans: '$' },
  { q: 'pod{namespace="a"}\n  |= "x" ; "y"', code: 'UNEXPECTED_CHARACTER', at: '2:10', msg: "unexpected character: ';'" },
  { q: 'a ! b', code: 'UNEXPECTED_CHARACTER', at: '1:3', msg: "unexpected character: '!'" },
  {
    q: 'pod{namespace|="namespace01"}',
    code: 'UNEXPECTED_TOKEN',
    at: '1:14',
    msg: 'unexpected "|=" in label matching, expected a label matcher operator (= != =~ !~)',
    expected: ['=', '!=', '=~', '!~'],
    spans: '|=',
  },
  {
    q: 'pod{namespace="default"} |= "a" "hello"',
    code: 'UNEXPECTED_TOKEN',
    at: '1:33',
    msg: 'unexpected string "\\"hello\\"", expected a line filter operator (|= != |~ !~), a binary operator or end of query',
    expected: ['|=', '!=', '|~', '!~', '[', 'offset', '@', ...BINARY, 'end of query'],
    spans: '"hello"',
  },
  { q: 'pod{namespace=}', code: 'UNEXPECTED_TOKEN', at: '1:15', msg: 'unexpected "}" in label matching, expected a string', expected: ['string'] },
  { q: 'pod{namespace="a" pod="b"}', code: 'UNEXPECTED_TOKEN', at: '1:19', msg: 'unexpected identifier "pod" in label matching, expected "," or "}"' },
  { q: 'pod{="a"}', code: 'UNEXPECTED_TOKEN', at: '1:5', msg: 'expected a label name or "}"' },
  { q: 'pod{namespace="a"', code: 'UNEXPECTED_END', at: '1:18', msg: 'unexpected end of query in label matching, expected "," or "}"' },
  { q: 'pod{namespace="a"} |= x', code: 'UNEXPECTED_TOKEN', at: '1:23', msg: 'unexpected identifier "x" in line filter, expected a string' },
  { q: 'pod{namespace="a"} |=', code: 'UNEXPECTED_END', at: '1:22', msg: 'in line filter, expected a string' },
  { q: 'pod{namespace="a"} | json', code: 'NOT_SUPPORTED', at: '1:20', msg: "not supported yet: pipeline stage '| json'", spans: '| json' },
  { q: 'pod{namespace="a"} |= "x" | logfmt', code: 'NOT_SUPPORTED', at: '1:27', msg: "pipeline stage '| logfmt'" },
  { q: 'sum by (a) ', code: 'UNEXPECTED_END', at: '1:12', msg: 'unexpected end of query in aggregation, expected "("', expected: ['('] },
  { q: 'sum by (a', code: 'UNEXPECTED_END', at: '1:10', msg: 'in grouping, expected "," or ")"' },
  { q: 'sum by a (x)', code: 'UNEXPECTED_TOKEN', at: '1:8', msg: 'unexpected identifier "a" in grouping, expected "("' },
  { q: 'foo(x)', code: 'UNKNOWN_FUNCTION', at: '1:1', msg: 'unknown function with name "foo"', spans: 'foo' },
  { q: 'RATE(x[5m])', code: 'UNKNOWN_FUNCTION', at: '1:1', msg: '"RATE"' },
  { q: 'rate(x[5m], 1)', code: 'WRONG_ARGUMENT_COUNT', at: '1:1', msg: 'expected 1 argument(s) in call to "rate", got 2', spans: 'rate(x[5m], 1)' },
  { q: 'time(1)', code: 'WRONG_ARGUMENT_COUNT', at: '1:1', msg: 'expected 0 argument(s) in call to "time", got 1' },
  { q: 'label_join(x, "a")', code: 'WRONG_ARGUMENT_COUNT', at: '1:1', msg: 'expected at least 3 argument(s) in call to "label_join", got 2' },
  { q: 'round(x, 1, 2)', code: 'WRONG_ARGUMENT_COUNT', at: '1:1', msg: 'expected at most 2 argument(s) in call to "round", got 3' },
  { q: 'topk(x)', code: 'WRONG_ARGUMENT_COUNT', at: '1:1', msg: 'expected 2, got 1' },
  { q: 'sum()', code: 'WRONG_ARGUMENT_COUNT', at: '1:1', msg: 'no arguments for aggregate expression provided' },
  { q: 'sum(a, b)', code: 'WRONG_ARGUMENT_COUNT', at: '1:1', msg: 'expected 1, got 2' },
  { q: '1 +', code: 'UNEXPECTED_END', at: '1:4', msg: 'unexpected end of query, expected an expression' },
  { q: '1 + )', code: 'UNEXPECTED_TOKEN', at: '1:5', msg: 'unexpected ")", expected an expression' },
  { q: '(1 + 2', code: 'UNEXPECTED_END', at: '1:7', msg: 'unexpected end of query in parentheses, expected a binary operator or ")"' },
  { q: '(1 + 2))', code: 'UNEXPECTED_TOKEN', at: '1:8', msg: 'unexpected ")", expected a binary operator or end of query' },
  { q: 'rate(x[5m]', code: 'UNEXPECTED_END', at: '1:11', msg: 'in function call, expected a binary operator, "," or ")"' },
  { q: 'x[5]', code: 'INVALID_DURATION', at: '1:3', msg: 'bad duration "5": missing unit', spans: '5' },
  { q: 'x[1.5h]', code: 'INVALID_DURATION', at: '1:3', msg: 'bad duration syntax: "1.5h"' },
  { q: 'x[30m1h]', code: 'INVALID_DURATION', at: '1:3', msg: 'not a valid duration string: "30m1h"' },
  { q: 'x[5m:0s]', code: 'INVALID_DURATION', at: '1:6', msg: 'step must be greater than 0' },
  { q: 'x offset 5', code: 'INVALID_DURATION', at: '1:10', msg: 'missing unit' },
  { q: 'x[5M]', code: 'INVALID_DURATION', at: '1:3', msg: 'bad duration syntax: "5M"' },
  { q: 'x[5m', code: 'UNEXPECTED_END', at: '1:5', msg: 'in range or subquery, expected ":" or "]"' },
  { q: '5m', code: 'UNEXPECTED_TOKEN', at: '1:1', msg: 'unexpected duration "5m", expected an expression' },
  { q: '1x', code: 'INVALID_NUMBER', at: '1:1', msg: 'bad number syntax: "1x"' },
  { q: '0x', code: 'INVALID_NUMBER', at: '1:1', msg: 'bad number syntax' },
  { q: '1 + bool 2', code: 'INVALID_EXPRESSION', at: '1:5', msg: 'bool modifier can only be used on comparison operators', spans: 'bool' },
  { q: 'a and bool b', code: 'INVALID_EXPRESSION', at: '1:7', msg: 'bool modifier can only be used on comparison operators' },
  { q: 'a and on(x) group_left b', code: 'INVALID_EXPRESSION', at: '1:13', msg: 'no grouping allowed for "and" operation' },
  { q: 'a * on(x) group_left(x) b', code: 'INVALID_EXPRESSION', at: '1:21', msg: 'label "x" must not occur in ON and GROUP clause at once' },
  { q: 'a * group_left b', code: 'UNEXPECTED_TOKEN', at: '1:5', msg: 'unexpected keyword "group_left"' },
  { q: 'x > bool', code: 'UNEXPECTED_END', at: '1:9', msg: 'expected an expression' },
  { q: '(x)[5m]', code: 'INVALID_EXPRESSION', at: '1:4', msg: 'ranges only allowed for vector selectors' },
  { q: 'x offset 5m [5m]', code: 'INVALID_EXPRESSION', at: '1:13', msg: 'no offset modifiers allowed before range' },
  { q: 'x offset 1m offset 2m', code: 'INVALID_EXPRESSION', at: '1:13', msg: 'offset may not be set multiple times' },
  { q: 'x @ 1 @ 2', code: 'INVALID_EXPRESSION', at: '1:7', msg: '@ <timestamp> may not be set multiple times' },
  { q: 'sum(x) offset 5m', code: 'INVALID_EXPRESSION', at: '1:8', msg: 'offset modifier must be preceded by an instant vector selector' },
  { q: '1 @ 5', code: 'INVALID_EXPRESSION', at: '1:3', msg: '@ modifier must be preceded by' },
  { q: 'x @ Inf', code: 'INVALID_EXPRESSION', at: '1:3', msg: 'timestamp out of bounds' },
  { q: 'x[5m][10m:]', code: 'INVALID_EXPRESSION', at: '1:6', msg: 'subquery is only allowed on instant vector' },
  { q: '{}', code: 'INVALID_EXPRESSION', at: '1:1', msg: 'vector selector must contain at least one non-empty matcher' },
  { q: '{a=""}', code: 'INVALID_EXPRESSION', at: '1:1', msg: 'at least one non-empty matcher' },
  { q: 'x{__name__="y"}', code: 'INVALID_EXPRESSION', at: '1:3', msg: 'metric name must not be set twice' },
  { q: 'x{a:b="c"}', code: 'INVALID_EXPRESSION', at: '1:3', msg: 'invalid label name "a:b"' },
  { q: 'x{""="c"}', code: 'INVALID_EXPRESSION', at: '1:3', msg: 'label name must not be empty' },
  { q: 'x =~ "a"', code: 'UNEXPECTED_TOKEN', at: '1:3', msg: 'unexpected "=~"' },
  // Positions on later lines.
  { q: 'sum by (job) (\n  rate(x[5m])\n  "oops"\n)', code: 'UNEXPECTED_TOKEN', at: '3:3', msg: 'unexpected string "\\"oops\\"" in aggregation' },
  { q: 'pod{namespace="a"}\n|= "x"\n|= "y" "z"', code: 'UNEXPECTED_TOKEN', at: '3:8', msg: 'unexpected string "\\"z\\""' },
  { q: 'a +\n\n  # comment\n', code: 'UNEXPECTED_END', at: '4:1', msg: 'unexpected end of query' },
  { q: 'x +\n  foo(y)', code: 'UNKNOWN_FUNCTION', at: '2:3', msg: 'unknown function with name "foo"' },
];

describe('query errors', () => {
  it('has at least 30 cases', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
  });

  it.each(rows)('$q', ({ q, code, at, msg, expected, spans }) => {
    const r = safeParseQuery(q);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const e = r.error;
    expect(e).toBeInstanceOf(QueryError);
    expect({ code: e.code, at: `${e.span.start.line}:${e.span.start.column}` }).toEqual({ code, at });
    expect(e.message).toContain(msg);
    // Chevrotain's own wording must never leak.
    expect(e.message).not.toMatch(/Expecting|one of these possible Token sequences|-->/);
    expect(e.message).not.toContain('\n');
    if (expected) expect([...e.expected].sort()).toEqual([...new Set(expected)].sort());
    if (spans !== undefined) expect(q.slice(e.span.start.offset, e.span.end.offset)).toBe(spans);
  });

  it('parseQuery throws the same error safeParseQuery returns', () => {
    expect(() => parseQuery('1 +')).toThrowError(QueryError);
    try {
      parseQuery('pod{namespace="default"} |= "a" "hello"');
    } catch (e) {
      expect(e).toBeInstanceOf(QueryError);
      expect(formatQueryError(e as QueryError, 'pod{namespace="default"} |= "a" "hello"')).toBe(
        [
          '1:33: unexpected string "\\"hello\\"", expected a line filter operator (|= != |~ !~), a binary operator or end of query',
          '  pod{namespace="default"} |= "a" "hello"',
          '                                  ^^^^^^^',
        ].join('\n'),
      );
    }
  });

  it('reports a lexical error before a later syntax error', () => {
    const r = safeParseQuery('1 + + "\\z"');
    expect(r.ok || r.error.code).toBe('INVALID_ESCAPE');
  });
});
