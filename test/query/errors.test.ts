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
    msg: 'unexpected string "\\"hello\\"", expected a line filter operator (|= != |~ !~), a pipeline stage (| json, | logfmt, | status >= 500, …), a binary operator or end of query',
    expected: ['|=', '!=', '|~', '!~', '|', '[', 'offset', '@', ...BINARY, 'end of query'],
    spans: '"hello"',
  },
  { q: 'pod{namespace=}', code: 'UNEXPECTED_TOKEN', at: '1:15', msg: 'unexpected "}" in label matching, expected a string', expected: ['string'] },
  { q: 'pod{namespace="a" pod="b"}', code: 'UNEXPECTED_TOKEN', at: '1:19', msg: 'unexpected identifier "pod" in label matching, expected "," or "}"' },
  { q: 'pod{="a"}', code: 'UNEXPECTED_TOKEN', at: '1:5', msg: 'expected a label name or "}"' },
  { q: 'pod{namespace="a"', code: 'UNEXPECTED_END', at: '1:18', msg: 'unexpected end of query in label matching, expected "," or "}"' },
  { q: 'pod{namespace="a"} |= x', code: 'UNEXPECTED_TOKEN', at: '1:23', msg: 'unexpected identifier "x" in line filter, expected a string' },
  { q: 'pod{namespace="a"} |=', code: 'UNEXPECTED_END', at: '1:22', msg: 'in line filter, expected a string' },
  // LogQL pipelines.
  { q: 'pod{namespace="a"} | jsn', code: 'UNEXPECTED_TOKEN', at: '1:22', msg: 'unknown pipeline stage "jsn": expected json, logfmt, regexp, pattern, unpack, decolorize, line_format, label_format, drop, keep, unwrap, or a label filter such as jsn = "value"', spans: 'jsn' },
  { q: 'pod{namespace="a"} | foo bar', code: 'UNEXPECTED_TOKEN', at: '1:22', msg: 'unknown pipeline stage "foo"', spans: 'foo' },
  { q: 'pod{namespace="a"} |', code: 'UNEXPECTED_END', at: '1:21', msg: 'unexpected end of query in pipeline stage, expected a pipeline stage (json, logfmt, regexp, pattern, unpack, decolorize, line_format, label_format, drop, keep, unwrap) or a label filter (name op value)' },
  { q: 'pod{namespace="a"} | 42', code: 'UNEXPECTED_TOKEN', at: '1:22', msg: 'unexpected number "42" in pipeline stage, expected a pipeline stage', spans: '42' },
  { q: 'pod{namespace="a"} | drop', code: 'UNEXPECTED_TOKEN', at: '1:22', msg: 'incomplete drop stage: expected label names, e.g. | drop a, b="v"', spans: 'drop' },
  { q: 'pod{namespace="a"} | regexp', code: 'UNEXPECTED_TOKEN', at: '1:22', msg: 'incomplete regexp stage: expected a string with a regular expression' },
  { q: 'pod{namespace="a"} | status >=', code: 'UNEXPECTED_END', at: '1:31', msg: 'unexpected end of query in label filter, expected a value (a string, a number, a duration or bytes)', expected: ['string', 'number', 'duration', 'bytes'] },
  { q: 'pod{namespace="a"} | status >= )', code: 'UNEXPECTED_TOKEN', at: '1:32', msg: 'unexpected ")" in label filter, expected a value (a string, a number, a duration or bytes)', spans: ')' },
  { q: 'pod{namespace="a"} | status > "500"', code: 'INVALID_EXPRESSION', at: '1:31', msg: 'label filter status > needs a number, a duration or bytes, not a string (strings take = != =~ !~)', spans: '"500"' },
  { q: 'pod{namespace="a"} | level =~ 5', code: 'INVALID_EXPRESSION', at: '1:31', msg: 'label filter level =~ needs a string value', spans: '5' },
  { q: 'pod{namespace="a"} | size > -1MB', code: 'INVALID_EXPRESSION', at: '1:29', msg: 'a byte size cannot be negative', spans: '-1MB' },
  // A dangling `and` is PromQL's set operator on the log query, missing its right side.
  { q: 'pod{namespace="a"} | a="b" and', code: 'UNEXPECTED_END', at: '1:31', msg: 'unexpected end of query, expected an expression' },
  { q: 'pod{namespace="a"} | (a="b"', code: 'UNEXPECTED_END', at: '1:28', msg: 'unexpected end of query in label filter' },
  { q: 'pod{namespace="a"} | logfmt --strikt', code: 'INVALID_EXPRESSION', at: '1:29', msg: 'unknown logfmt flag "--strikt" (expected --strict or --keep-empty)', spans: '--strikt' },
  { q: 'pod{namespace="a"} | logfmt - -strict', code: 'INVALID_EXPRESSION', at: '1:29', msg: 'unknown logfmt flag "- -strict"', spans: '- -strict' },
  { q: 'pod{namespace="a"} | json a=', code: 'UNEXPECTED_END', at: '1:29', msg: 'unexpected end of query in parser parameters, expected a string' },
  { q: 'pod{namespace="a"} | json a="x..y"', code: 'INVALID_EXPRESSION', at: '1:32', msg: 'invalid json path "x..y": expected a field name at "."', spans: '.' },
  { q: 'pod{namespace="a"} | json a="x[y]"', code: 'INVALID_EXPRESSION', at: '1:32', msg: 'invalid json path "x[y]": expected an array index or a quoted key after "["' },
  { q: 'pod{namespace="a"} | pattern "<a><b>"', code: 'INVALID_EXPRESSION', at: '1:31', msg: 'invalid pattern "<a><b>": found consecutive captures <a><b>: a literal must separate them', spans: '<a><b>' },
  { q: 'pod{namespace="a"} | pattern "<_> x"', code: 'INVALID_EXPRESSION', at: '1:31', msg: 'at least one named capture is required' },
  { q: 'pod{namespace="a"} | pattern "<a> <a>"', code: 'INVALID_EXPRESSION', at: '1:35', msg: 'duplicate capture name (a)', spans: '<a>' },
  // Templates: errors point into the template when it is written without escapes.
  { q: 'pod{namespace="a"} | line_format "{{.a | nope}}"', code: 'INVALID_EXPRESSION', at: '1:42', msg: 'invalid template for line_format: function "nope" not defined', spans: 'nope' },
  { q: 'pod{namespace="a"} | line_format "{{.a"', code: 'INVALID_EXPRESSION', at: '1:35', msg: 'invalid template for line_format: unclosed action', spans: '{{.a' },
  { q: 'pod{namespace="a"} | line_format "{{range .x}}{{end}}"', code: 'INVALID_EXPRESSION', at: '1:37', msg: '{{range}} is not supported in LetheQL templates', spans: 'range' },
  { q: 'pod{namespace="a"} | line_format "{{ __timestamp__ }}"', code: 'INVALID_EXPRESSION', at: '1:38', msg: 'function "__timestamp__" is not supported in LetheQL templates', spans: '__timestamp__' },
  { q: 'pod{namespace="a"} | line_format "{{ replace .a }}"', code: 'INVALID_EXPRESSION', at: '1:38', msg: 'wrong number of args for replace: want 3 got 1', spans: 'replace' },
  { q: 'pod{namespace="a"} | line_format "{{ .a | .b }}"', code: 'INVALID_EXPRESSION', at: '1:43', msg: "can't give argument to non-function .b", spans: '.b' },
  { q: 'pod{namespace="a"} | line_format "{{if .a}}x"', code: 'INVALID_EXPRESSION', at: '1:35', msg: '{{if}} without {{end}}' },
  { q: 'pod{namespace="a"} | line_format "{{ $x }}"', code: 'INVALID_EXPRESSION', at: '1:38', msg: 'template variables ($…) are not supported' },
  { q: 'pod{namespace="a"} | line_format "{{ .a.b }}"', code: 'INVALID_EXPRESSION', at: '1:38', msg: 'chained fields' },
  { q: 'pod{namespace="a"} | line_format "a\\n{{ nope }}"', code: 'INVALID_EXPRESSION', at: '1:34', msg: 'function "nope" not defined', spans: '"a\\n{{ nope }}"' },
  { q: 'pod{namespace="a"} | label_format a=b, a="x"', code: 'INVALID_EXPRESSION', at: '1:40', msg: "multiple label name 'a' not allowed in a single label_format", spans: 'a' },
  { q: 'pod{namespace="a"} | label_format __error__="x"', code: 'INVALID_EXPRESSION', at: '1:35', msg: '__error__ cannot be formatted' },
  { q: 'pod{namespace="a"} | label_format a="{{"', code: 'INVALID_EXPRESSION', at: '1:38', msg: 'invalid template for label_format a: unclosed action' },
  // unwrap: only in a range aggregation that takes unwrapped values, only label filters after it.
  { q: 'pod{namespace="a"} | json | unwrap latency', code: 'INVALID_EXPRESSION', at: '1:27', msg: 'unwrap is only allowed in a range aggregation over the unwrapped range, e.g. sum_over_time(… | unwrap x [5m])', spans: '| unwrap latency' },
  { q: 'pod{namespace="a"} | unwrap x [5m]', code: 'INVALID_EXPRESSION', at: '1:20', msg: 'unwrap is only allowed in a range aggregation' },
  { q: 'sum(pod{namespace="a"} | unwrap x)', code: 'INVALID_EXPRESSION', at: '1:24', msg: 'unwrap is only allowed in a range aggregation' },
  { q: 'count_over_time(pod{namespace="a"} | unwrap x [5m])', code: 'INVALID_EXPRESSION', at: '1:36', msg: 'invalid aggregation count_over_time with unwrap', spans: '| unwrap x' },
  { q: 'bytes_rate(pod{namespace="a"} | unwrap x [5m])', code: 'INVALID_EXPRESSION', at: '1:31', msg: 'invalid aggregation bytes_rate with unwrap' },
  { q: 'sum_over_time(pod{namespace="a"} | json [5m])', code: 'INVALID_EXPRESSION', at: '1:15', msg: 'invalid aggregation sum_over_time without unwrap: add | unwrap <label> before the range', spans: 'pod{namespace="a"} | json [5m]' },
  { q: 'quantile_over_time(0.9, pod{namespace="a"}[5m])', code: 'INVALID_EXPRESSION', at: '1:25', msg: 'invalid aggregation quantile_over_time without unwrap' },
  { q: 'sum_over_time(pod{namespace="a"} | unwrap a | json [5m])', code: 'INVALID_EXPRESSION', at: '1:45', msg: 'only label filters may follow unwrap', spans: '| json' },
  { q: 'sum_over_time(pod{namespace="a"} | unwrap foo(x) [5m])', code: 'INVALID_EXPRESSION', at: '1:43', msg: 'unknown unwrap conversion "foo" (expected duration, duration_seconds or bytes)', spans: 'foo' },
  { q: 'pod{namespace="a"} | unwrap', code: 'UNEXPECTED_TOKEN', at: '1:22', msg: 'incomplete unwrap stage' },
  // LogQL grouping on calls.
  { q: 'rate(pod{namespace="a"}[5m]) by (pod)', code: 'INVALID_EXPRESSION', at: '1:30', msg: 'grouping not allowed for rate aggregation', spans: 'by (pod)' },
  { q: 'sum_over_time(pod{namespace="a"} | unwrap x [5m]) by (pod)', code: 'INVALID_EXPRESSION', at: '1:51', msg: 'grouping not allowed for sum_over_time aggregation' },
  { q: 'max_over_time(x[5m]) by (pod)', code: 'INVALID_EXPRESSION', at: '1:22', msg: 'grouping not allowed for max_over_time aggregation (only over an unwrapped log range)' },
  // Go durations and byte sizes are label filter values only.
  { q: 'x[1ms5s]', code: 'INVALID_DURATION', at: '1:3', msg: 'not a valid duration string' },
  { q: 'x offset 1.5h', code: 'INVALID_DURATION', at: '1:10', msg: 'bad duration syntax: "1.5h"', spans: '1.5h' },
  { q: '1MB + 1', code: 'INVALID_NUMBER', at: '1:1', msg: 'bad number syntax: "1MB"', spans: '1MB' },
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
          '1:33: unexpected string "\\"hello\\"", expected a line filter operator (|= != |~ !~), a pipeline stage (| json, | logfmt, | status >= 500, …), a binary operator or end of query',
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
