/**
 * LetheQL log queries: selectors, matchers, line filters, every string form, comments
 * and whitespace. Each row states the expected tree (spans stripped) and canonical print.
 */
import { describe, expect, it } from 'vitest';
import { parseQuery, printQuery, stripSpans, type Expr } from '../../src/query/index.js';
import { call, f, m, matrix, MIN, sel, type Bare } from './helpers.js';

type Row = [query: string, ast: Bare<Expr>, printed: string];

const rows: Row[] = [
  ['pod', sel('pod'), 'pod'],
  ['pod{}', sel('pod'), 'pod'],
  ['node{node=~"node.*"}', sel('node', [m('node', '=~', 'node.*')]), 'node{node=~"node.*"}'],
  [
    'pod{namespace="namespace01",pod=~"nginx-.*",container!="sidecar"}',
    sel('pod', [m('namespace', '=', 'namespace01'), m('pod', '=~', 'nginx-.*'), m('container', '!=', 'sidecar')]),
    'pod{namespace="namespace01", pod=~"nginx-.*", container!="sidecar"}',
  ],
  [
    'node{node="node01",process!="kubelet"} |= "hello" != "sidecar"',
    sel('node', [m('node', '=', 'node01'), m('process', '!=', 'kubelet')], [f('|=', 'hello'), f('!=', 'sidecar')]),
    'node{node="node01", process!="kubelet"} |= "hello" != "sidecar"',
  ],
  [
    'pod{namespace="default",pod=~"nginx-.*"} != "POST" |~ "user/[0-9]+"',
    sel('pod', [m('namespace', '=', 'default'), m('pod', '=~', 'nginx-.*')], [f('!=', 'POST'), f('|~', 'user/[0-9]+')]),
    'pod{namespace="default", pod=~"nginx-.*"} != "POST" |~ "user/[0-9]+"',
  ],
  [
    'pod{namespace="default", pod=~"nginx-.*", container!="sidecar"} |= "GET" != "healthz" |~ "user/[0-9]+" !~ "(?i)debug"',
    sel('pod', [m('namespace', '=', 'default'), m('pod', '=~', 'nginx-.*'), m('container', '!=', 'sidecar')], [f('|=', 'GET'), f('!=', 'healthz'), f('|~', 'user/[0-9]+'), f('!~', '(?i)debug')]),
    'pod{namespace="default", pod=~"nginx-.*", container!="sidecar"} |= "GET" != "healthz" |~ "user/[0-9]+" !~ "(?i)debug"',
  ],
  // No whitespace at all between tokens.
  ['pod{namespace="a"}|="x"!="y"', sel('pod', [m('namespace', '=', 'a')], [f('|=', 'x'), f('!=', 'y')]), 'pod{namespace="a"} |= "x" != "y"'],
  ['node{node!~"n1|n2"}!~"a"|~"b"', sel('node', [m('node', '!~', 'n1|n2')], [f('!~', 'a'), f('|~', 'b')]), 'node{node!~"n1|n2"} !~ "a" |~ "b"'],
  ['pod|="x"', sel('pod', [], [f('|=', 'x')]), 'pod |= "x"'],
  ['{namespace="a"}', sel(null, [m('namespace', '=', 'a')]), '{namespace="a"}'],
  // Trailing comma, odd spacing, newlines, tabs.
  ['pod{ namespace = "a" , }', sel('pod', [m('namespace', '=', 'a')]), 'pod{namespace="a"}'],
  ['pod{\n\tnamespace="a",\n\tpod="b"\n}\n|= "x"', sel('pod', [m('namespace', '=', 'a'), m('pod', '=', 'b')], [f('|=', 'x')]), 'pod{namespace="a", pod="b"} |= "x"'],
  // Comments.
  ['# logs of a\npod{namespace="a"} # the target\n|= "x" # contains x', sel('pod', [m('namespace', '=', 'a')], [f('|=', 'x')]), 'pod{namespace="a"} |= "x"'],
  ['pod{namespace="a#b"} |= "#"', sel('pod', [m('namespace', '=', 'a#b')], [f('|=', '#')]), 'pod{namespace="a#b"} |= "#"'],
  // String kinds.
  [`pod{namespace='a'} |= 'it"s'`, sel('pod', [m('namespace', '=', 'a')], [f('|=', 'it"s')]), 'pod{namespace="a"} |= "it\\"s"'],
  ["pod{namespace=`a`} |~ `\\d+\\.\\d+`", sel('pod', [m('namespace', '=', 'a')], [f('|~', '\\d+\\.\\d+')]), 'pod{namespace="a"} |~ "\\\\d+\\\\.\\\\d+"'],
  ['pod{namespace="a"} |= `multi\nline`', sel('pod', [m('namespace', '=', 'a')], [f('|=', 'multi\nline')]), 'pod{namespace="a"} |= "multi\\nline"'],
  ['pod{namespace="a"} |= ""', sel('pod', [m('namespace', '=', 'a')], [f('|=', '')]), 'pod{namespace="a"} |= ""'],
  // Go escapes.
  [
    'pod{namespace="a"} |= "\\a\\b\\f\\n\\r\\t\\v\\\\\\""',
    sel('pod', [m('namespace', '=', 'a')], [f('|=', '\x07\b\f\n\r\t\v\\"')]),
    'pod{namespace="a"} |= "\\a\\b\\f\\n\\r\\t\\v\\\\\\""',
  ],
  ["pod{namespace='a'} |= '\\''", sel('pod', [m('namespace', '=', 'a')], [f('|=', "'")]), 'pod{namespace="a"} |= "\'"'],
  ['pod{namespace="a"} |= "\\x41\\101\\u00e9\\U0001F600"', sel('pod', [m('namespace', '=', 'a')], [f('|=', 'AAé😀')]), 'pod{namespace="a"} |= "AAé😀"'],
  ['pod{namespace="a"} |= "\\xc3\\xa9"', sel('pod', [m('namespace', '=', 'a')], [f('|=', 'é')]), 'pod{namespace="a"} |= "é"'],
  ['pod{namespace="a"} |= "\\x01\\x7f"', sel('pod', [m('namespace', '=', 'a')], [f('|=', '\x01\x7f')]), 'pod{namespace="a"} |= "\\x01\\x7f"'],
  ['pod{namespace="日本"} |= "ünïcödé ✓"', sel('pod', [m('namespace', '=', '日本')], [f('|=', 'ünïcödé ✓')]), 'pod{namespace="日本"} |= "ünïcödé ✓"'],
  // Keywords as label names; quoted label names (Prometheus 3).
  ['pod{namespace="a", by="b", offset="c"}', sel('pod', [m('namespace', '=', 'a'), m('by', '=', 'b'), m('offset', '=', 'c')]), 'pod{namespace="a", by="b", offset="c"}'],
  ['pod{"namespace"="a", "my.label"="b"}', sel('pod', [m('namespace', '=', 'a'), m('my.label', '=', 'b')]), 'pod{namespace="a", "my.label"="b"}'],
  // `!=` after a selector is a line filter, `!=` before a number is a comparison.
  [
    'pod{namespace="a"} != "x" != 1',
    { kind: 'BinaryExpr', op: '!=', lhs: sel('pod', [m('namespace', '=', 'a')], [f('!=', 'x')]), rhs: { kind: 'NumberLiteral', value: 1 }, returnBool: false, matching: null },
    'pod{namespace="a"} != "x" != 1',
  ],
  // Ranges over filtered selectors (LogQL style) and PromQL style.
  ['pod{namespace="a"} |= "x" [5m]', matrix(sel('pod', [m('namespace', '=', 'a')], [f('|=', 'x')]), 5 * MIN), 'pod{namespace="a"} |= "x" [5m]'],
  ['pod{namespace="a"}|="x"[5m]', matrix(sel('pod', [m('namespace', '=', 'a')], [f('|=', 'x')]), 5 * MIN), 'pod{namespace="a"} |= "x" [5m]'],
  [
    'count_over_time(pod{namespace="x"} |= "err" [5m])',
    call('count_over_time', matrix(sel('pod', [m('namespace', '=', 'x')], [f('|=', 'err')]), 5 * MIN)),
    'count_over_time(pod{namespace="x"} |= "err" [5m])',
  ],
  ['count_over_time(pod{namespace="x"}[5m])', call('count_over_time', matrix(sel('pod', [m('namespace', '=', 'x')]), 5 * MIN)), 'count_over_time(pod{namespace="x"}[5m])'],
  ['bytes_rate(node{node="n"} !~ "debug" [1m])', call('bytes_rate', matrix(sel('node', [m('node', '=', 'n')], [f('!~', 'debug')]), MIN)), 'bytes_rate(node{node="n"} !~ "debug" [1m])'],
  ['bytes_over_time(pod{namespace="a"}[90m])', call('bytes_over_time', matrix(sel('pod', [m('namespace', '=', 'a')]), 90 * MIN)), 'bytes_over_time(pod{namespace="a"}[1h30m])'],
  // LogQL: first_over_time takes an unwrapped range (`first_over_time(pod{…}[1h])` is "invalid aggregation … without unwrap").
  [
    'first_over_time(pod{namespace="a"} | unwrap latency [1h] offset 5m)',
    call('first_over_time', matrix(sel('pod', [m('namespace', '=', 'a')], [], { pipeline: [{ kind: 'UnwrapStage', label: 'latency', conversion: 'float' }] }), 60 * MIN, 5 * MIN)),
    'first_over_time(pod{namespace="a"} | unwrap latency [1h] offset 5m)',
  ],
];

describe('log queries parse to the expected tree', () => {
  it.each(rows)('%s', (query, ast, printed) => {
    const expr = parseQuery(query);
    expect(stripSpans(expr)).toEqual(ast);
    expect(printQuery(expr)).toBe(printed);
    expect(stripSpans(parseQuery(printed))).toEqual(ast);
  });
});

describe('spans', () => {
  it('point at every part of a log query', () => {
    const q = 'pod{namespace="a"} |= "x"';
    const expr = parseQuery(q);
    if (expr.kind !== 'VectorSelector') throw new Error('expected a selector');
    const at = (s: { start: { offset: number }; end: { offset: number } }) => q.slice(s.start.offset, s.end.offset);
    expect(at(expr.span)).toBe(q);
    expect(at(expr.matchers[0]!.span)).toBe('namespace="a"');
    expect(at(expr.matchers[0]!.valueSpan)).toBe('"a"');
    expect(at(expr.lineFilters[0]!.span)).toBe('|= "x"');
    expect(at(expr.lineFilters[0]!.valueSpan)).toBe('"x"');
    expect(expr.lineFilters[0]!.valueSpan.start).toEqual({ offset: 22, line: 1, column: 23 });
  });

  it('are 1-based line:column across lines', () => {
    const q = 'pod{namespace="a"}\n  |= "x"\n  != "y"';
    const expr = parseQuery(q);
    if (expr.kind !== 'VectorSelector') throw new Error('expected a selector');
    expect(expr.lineFilters[1]!.span.start).toMatchObject({ line: 3, column: 3 });
    expect(expr.lineFilters[1]!.valueSpan.end).toMatchObject({ line: 3, column: 9 });
  });

  it('cover modifiers and folded signs', () => {
    const q = 'x[5m] offset -1h @ 100 + -1';
    const expr = parseQuery(q);
    if (expr.kind !== 'BinaryExpr') throw new Error('expected a binary expression');
    const at = (s: { start: { offset: number }; end: { offset: number } }) => q.slice(s.start.offset, s.end.offset);
    expect(at(expr.lhs.span)).toBe('x[5m] offset -1h @ 100');
    expect(at(expr.rhs.span)).toBe('-1');
    if (expr.lhs.kind !== 'MatrixSelector') throw new Error('expected a matrix selector');
    expect(at(expr.lhs.offset!.span)).toBe('-1h');
    expect(at(expr.lhs.range.span)).toBe('5m');
  });
});
