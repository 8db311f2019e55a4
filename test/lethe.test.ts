/**
 * Lethe's behaviour on its own test store (contract §1, §2.1), clock frozen at
 * 2009-11-10T23:00:00Z as in Lethe's tests. Expectations were worked out by hand from the
 * store's files (see ../shared/fixtures/lethe-testdata/README.md) and follow Lethe's own
 * test tables, re-ordered by time as contract §3 requires (ties in store order).
 */
import { describe, expect, it } from 'vitest';
import { getStats, openStore, parseTime, QueryError } from '../src/node.js';
import { HAS_SHARED, LETHE_STORE, SHARED_REASON, tableLines } from './support/paths.js';

const NOW = '2009-11-10T23:00:00Z';
const NS01 = 'namespace01|nginx-deployment-75675f5897-7ci7o';
const APACHE01 = 'namespace01|apache-75675f5897-7ci7o|httpd';
const NS02 = 'namespace02|nginx-deployment-75675f5897-7ci7o';
const APACHE02 = 'namespace02|apache-75675f5897-7ci7o|httpd';
const T = (hm: string) => `2009-11-10T${hm}:00.000000Z`;
const KUBELET = 'I0525 20:00:45.752587   17221 scope.go:110] "RemoveContainer" hello from sidecar';

interface Case {
  name: string;
  query: string;
  start?: string;
  end?: string;
  limit?: number;
  direction?: 'forward' | 'backward';
  want: string[];
  truncated?: boolean;
}

const namespace01All = [
  `${T('21:00')}[${NS01}|nginx] hello world`,
  `${T('21:01')}[${NS01}|nginx] hello world`,
  `${T('21:02')}[${NS01}|nginx] hello world`,
  ...Array(3).fill(`${T('22:56')}[${APACHE01}] hello from sidecar`),
  ...Array(3).fill(`${T('22:57')}[${APACHE01}] hello from sidecar`),
  `${T('22:58')}[${NS01}|sidecar] hello from sidecar`,
  `${T('22:58')}[${NS01}|sidecar] lorem from sidecar`,
  `${T('22:58')}[${NS01}|sidecar] hello from sidecar`,
  `${T('22:59')}[${NS01}|nginx] lorem ipsum`,
  `${T('22:59')}[${NS01}|nginx] hello world`,
];

const node01All = [
  ...Array(3).fill(`${T('22:56')}[node01|kubelet] ${KUBELET}`),
  ...Array(3).fill(`${T('22:57')}[node01|kubelet] ${KUBELET}`),
  `${T('22:58')}[node01|dockerd] hello from sidecar`,
  `${T('22:58')}[node01|dockerd] lorem from sidecar`,
  `${T('22:58')}[node01|dockerd] hello from sidecar`,
  `${T('22:59')}[node01|containerd] lorem ipsum`,
  `${T('22:59')}[node01|containerd] hello world`,
  `${T('23:00')}[node01|containerd] hello world`,
];

const namespace02All = [
  `${T('22:58')}[${NS02}|nginx] hello world`,
  `${T('22:58')}[${NS02}|nginx] lorem ipsum`,
  `${T('22:58')}[${NS02}|nginx] hello world`,
  `${T('22:58')}[${NS02}|sidecar] hello from sidecar`,
  `${T('22:58')}[${NS02}|sidecar] lorem from sidecar`,
  `${T('22:58')}[${NS02}|sidecar] hello from sidecar`,
  ...Array(6).fill(`${T('22:58')}[${APACHE02}] hello from sidecar`),
];

const cases: Case[] = [
  { name: 'one namespace, whole day', query: 'pod{namespace="namespace01"}', start: '2009-11-10T00:00:00Z', want: namespace01All },
  { name: 'one node, whole day', query: 'node{node="node01"}', start: '2009-11-10T00:00:00Z', want: node01All },
  {
    name: 'regex target over two namespaces, last two minutes',
    query: 'pod{namespace=~"namespace.*"}',
    start: '2009-11-10T22:58:00Z',
    want: [...namespace01All.slice(9, 12), ...namespace02All, ...namespace01All.slice(12)],
  },
  { name: 'target !=', query: 'pod{namespace!="namespace01"}', start: '2009-11-10T00:00:00Z', want: namespace02All },
  { name: 'missing namespace', query: 'pod{namespace="not-exists"}', start: '2009-11-10T00:00:00Z', want: [] },
  { name: 'pod = is exact', query: 'pod{namespace="namespace01",pod="nginx"}', start: '2009-11-10T00:00:00Z', want: [] },
  {
    name: 'pod =~ is anchored',
    query: 'pod{namespace="namespace01",pod=~"nginx-.*"}',
    start: '2009-11-10T00:00:00Z',
    want: namespace01All.filter((l) => l.includes('nginx-deployment')),
  },
  {
    name: 'pod !~',
    query: 'pod{namespace="namespace01",pod!~"nginx-.*"}',
    start: '2009-11-10T00:00:00Z',
    want: namespace01All.filter((l) => l.includes('apache')),
  },
  { name: 'regex pod and container', query: 'pod{namespace="namespace01",pod=~"nginx-.*",container="sidecar"}', start: '2009-11-10T00:00:00Z', want: namespace01All.slice(9, 12) },
  { name: '|= hello', query: 'pod{namespace="namespace01"} |= "hello"', start: '2009-11-10T00:00:00Z', want: namespace01All.filter((l) => l.includes('] hello')) },
  { name: '!= hello', query: 'pod{namespace="namespace01"} != "hello"', start: '2009-11-10T00:00:00Z', want: namespace01All.filter((l) => !/\] .*hello/.test(l)) },
  // Lethe's own test data said "lerom"; with "lorem" this pattern of Lethe's tests matches nothing.
  { name: '|~ regex without a match', query: 'pod{namespace="namespace01"} |~ "(.ro.*o)"', start: '2009-11-10T00:00:00Z', want: [] },
  { name: '|~ regex', query: 'pod{namespace="namespace01"} |~ "l.rem .*car"', start: '2009-11-10T00:00:00Z', want: [`${T('22:58')}[${NS01}|sidecar] lorem from sidecar`] },
  { name: '!~ regex', query: 'pod{namespace="namespace01"} !~ "(.le)"', start: '2009-11-10T00:00:00Z', want: namespace01All },
  { name: '!~ regex that drops lines', query: 'pod{namespace="namespace01"} !~ "l.rem"', start: '2009-11-10T00:00:00Z', want: namespace01All.filter((l) => !/lorem/.test(l)) },
  { name: 'process != and |=', query: 'node{node="node01",process!="kubelet"} |= "hello"', start: '2009-11-10T00:00:00Z', want: [node01All[6]!, node01All[8]!, node01All[10]!, node01All[11]!] },
  { name: 'two |=', query: 'node{node="node01",process!="kubelet"} |= "hello" |= "sidecar"', start: '2009-11-10T00:00:00Z', want: [node01All[6]!, node01All[8]!] },
  { name: '|= then !=', query: 'node{node="node01",process!="kubelet"} |= "hello" != "sidecar"', start: '2009-11-10T00:00:00Z', want: [node01All[10]!, node01All[11]!] },
  { name: '|~ then !~', query: 'node{node="node01",process!="kubelet"} |~ "ll.*" !~ "car.*"', start: '2009-11-10T00:00:00Z', want: [node01All[10]!, node01All[11]!] },
  { name: '!= then |~ anchored $', query: 'node{node="node01",process!="kubelet"} != "sidecar" |~ "d$"', start: '2009-11-10T00:00:00Z', want: [node01All[10]!, node01All[11]!] },
  { name: 'no whitespace between tokens', query: 'node{node="node01",process!="kubelet"}|="hello"!="sidecar"', start: '2009-11-10T00:00:00Z', want: [node01All[10]!, node01All[11]!] },
  { name: 'range selector means the last 3m', query: 'pod{namespace="namespace01",pod=~"nginx-.*"}[3m]', start: '2009-11-10T00:00:00Z', want: namespace01All.slice(9) },
  { name: 'backward with limit keeps ties in store order', query: 'node{node="node01"}', start: '2009-11-10T00:00:00Z', direction: 'backward', limit: 3, want: [node01All[11]!, node01All[9]!, node01All[10]!], truncated: true },
  { name: 'forward with limit', query: 'node{node="node01"}', start: '2009-11-10T00:00:00Z', limit: 2, want: node01All.slice(0, 2), truncated: true },
  { name: 'limit equal to the match count is not truncated', query: 'node{node="node01"}', start: '2009-11-10T00:00:00Z', limit: 12, want: node01All, truncated: false },
  {
    name: 'year 2000 file without final newline',
    query: 'pod{namespace="namespace01"} |= "world"',
    start: '2000-01-01T00:00:00Z',
    end: '2000-01-01T02:00:00Z',
    want: ['2000-01-01T01:23:00.000000Z[namespace01|nginx-deployment-75675f5897-7ci7o|nginx] hello world'],
  },
  { name: 'lines stamped 2009 in a file named 2029 are outside a 2029 window', query: 'pod{namespace="namespace01"}', start: '2029-11-10T23:00:00Z', end: '2029-11-10T23:59:59Z', want: [] },
  // node01's 22:59 lines sit in a file named hour 21: a window starting at 22:59 does not read it.
  { name: 'only files whose hour overlaps the window are read', query: 'node{node="node01"} |= "world"', start: '2009-11-10T22:59:00Z', end: '2009-11-10T23:00:00Z', want: [node01All[11]!] },
  { name: 'start is inclusive at the exact nanosecond', query: 'pod{namespace="namespace01"} |= "world"', start: '2009-11-10T22:59:00Z', end: '2009-11-10T23:00:00Z', want: [namespace01All[13]!] },
  { name: 'one ns after the line excludes it', query: 'pod{namespace="namespace01"} |= "world"', start: '2009-11-10T22:59:00.000000001Z', end: '2009-11-10T23:00:00Z', want: [] },
  { name: 'end is inclusive at the exact nanosecond', query: 'pod{namespace="namespace01"} |= "world"', start: '2009-11-10T22:30:00Z', end: '2009-11-10T22:59:00Z', want: [namespace01All[13]!] },
  { name: 'one ns before the line excludes it', query: 'pod{namespace="namespace01"} |= "world"', start: '2009-11-10T22:30:00Z', end: '2009-11-10T22:58:59.999999999Z', want: [] },
  // Lethe reads a file only when end > its hour: the 21:00:00 line of the hour-21 file is not found.
  { name: 'a window ending exactly at an hour does not read that hour', query: 'pod{namespace="namespace01"}', start: '2009-11-10T20:00:00Z', end: '2009-11-10T21:00:00Z', want: [] },
  { name: 'one ns later it does', query: 'pod{namespace="namespace01"}', start: '2009-11-10T20:00:00Z', end: '2009-11-10T21:00:00.000000001Z', want: namespace01All.slice(0, 1) },
  { name: 'empty file', query: 'node{node="node02"}', start: '2009-11-01T00:00:00Z', end: '2009-11-01T00:59:59Z', want: [] },
];

describe.skipIf(!HAS_SHARED)(`Lethe test store (${SHARED_REASON})`, () => {
  // describe bodies run even when skipped: open the store only when it exists.
  const store = HAS_SHARED ? openStore(LETHE_STORE) : (null as never);
  it.each(cases)('$name: $query', async (c) => {
    const table = await store.query(c.query, { now: NOW, start: c.start, end: c.end, limit: c.limit, direction: c.direction });
    expect(tableLines(table)).toEqual(c.want);
    const stats = getStats(table)!;
    expect(stats.rowsReturned).toBe(c.want.length);
    if (c.truncated !== undefined) expect(stats.truncated).toBe(c.truncated);
    expect(stats.badLines).toBe(0);
  });

  it('reports the invalid file name of namespace02 and never reads it', async () => {
    const table = await store.query('pod{namespace="namespace02"}', { now: NOW, start: '0001-01-01T00:00:00Z' });
    const stats = getStats(table)!;
    expect(stats.skippedFiles).toEqual([{ path: 'pod/namespace02/0000-00-00_00.log', reason: 'invalid-name' }]);
    expect(tableLines(table)).toEqual(namespace02All);
  });

  it('counts without rows, and agrees with query', async () => {
    const { count, stats } = await store.count('pod{namespace=~".*"} |= "hello"', { now: NOW, start: '2009-11-10T00:00:00Z' });
    const table = await store.query('pod{namespace=~".*"} |= "hello"', { now: NOW, start: '2009-11-10T00:00:00Z' });
    expect(count).toBe(table.numRows);
    expect(count).toBe(12 + 10);
    expect(stats.filesRead).toBe(3);
  });

  const errors: [string, string][] = [
    ['', 'EMPTY_QUERY'],
    ['pod', 'MISSING_TARGET_LABEL'],
    ['pod{}', 'MISSING_TARGET_LABEL'],
    ['node', 'MISSING_TARGET_LABEL'],
    ['node{namespace="namespace01"}', 'UNKNOWN_LABEL'],
    ['pod{namespace="namespace01",foo="x"}', 'UNKNOWN_LABEL'],
    ['pod{namespace|="namespace01"}', 'UNEXPECTED_TOKEN'],
    ['pod{namespace="namespace01",pod~="nginx-.*"}', 'UNEXPECTED_CHARACTER'],
    ['node{node="node01",process!="kubelet"} != "sidecar" |~ "*"', 'INVALID_REGEX'],
    ['pod{namespace=~"(a"}', 'INVALID_REGEX'],
    ['pod{namespace="a"} |~ "(a)\\\\1"', 'INVALID_REGEX'],
    ['pod{namespace="a"} |~ "(?=x)"', 'INVALID_REGEX'],
    ['foo{namespace="a"}', 'UNKNOWN_LOG_TYPE'],
    ['{namespace="a"}', 'UNKNOWN_LOG_TYPE'],
    ['"hello"', 'NOT_SUPPORTED'],
    ['count_over_time(pod{}[3m]) > 10', 'MISSING_TARGET_LABEL'],
    ['pod{namespace="namespace01"} | json | unwrap latency', 'INVALID_EXPRESSION'],
    ['count_over_time(pod{namespace="namespace01"} | json | unwrap latency [3m])', 'INVALID_EXPRESSION'],
    ['pod{namespace="a"} "hello"', 'UNEXPECTED_TOKEN'],
  ];
  // Lethe parses these but cannot evaluate them; letheql does (contract §2.2).
  it('evaluates the metric queries Lethe only parses', async () => {
    const scalar = await store.queryMetric('1', { now: NOW });
    expect(scalar.result).toEqual({ resultType: 'scalar', series: [{ labels: {}, samples: [[parseTime(NOW), 1]] }] });
    const { result } = await store.queryMetric('count_over_time(pod{namespace="namespace01"}[3m])', { now: NOW });
    expect(result.resultType).toBe('vector');
    for (const s of result.series) expect(s.labels.namespace).toBe('namespace01');
  });

  it.each(errors)('rejects %j with %s', async (query, code) => {
    const err = await store.query(query, { now: NOW }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).code).toBe(code);
    expect((err as QueryError).span.start.line).toBeGreaterThanOrEqual(1);
  });
});
