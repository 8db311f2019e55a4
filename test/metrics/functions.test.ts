/**
 * Instant functions: label_replace/label_join, vector/scalar/absent/time/timestamp,
 * sort/sort_desc (and LogQL's grouped sort), math and calendar functions, the grouped
 * range aggregation form, and the functions left out.
 */
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../src/errors.js';
import { evaluateMetricQuery, MemorySampleSource } from '../../src/metrics/index.js';
import type { Call } from '../../src/query/ast.js';
import { parseQuery } from '../../src/query/index.js';
import { at, expression, gaugeQuery, gauges, run, vectorRows } from './helpers.js';

const source = () =>
  new MemorySampleSource({
    'gauge{name="A"}': gauges([
      [{ app: 'api', pod: 'api-7f9c-x1', zone: 'x' }, 3],
      [{ app: 'web', pod: 'web-1a2b-y2', zone: 'y' }, 1],
      [{ app: 'web', pod: 'web-9z9z-x3', zone: 'x' }, 2],
      [{ app: 'db', pod: 'db-0', zone: 'y' }, NaN],
    ]),
    'gauge{name="M"}': gauges([
      [{ k: 'a' }, -2.5],
      [{ k: 'b' }, 0.4],
      [{ k: 'c' }, 9],
    ]),
    'latency{job="api"}': expression(
      [
        { labels: { job: 'api', pod: 'p1', path: '/a' }, at: [[10, 5], [20, 50]] },
        { labels: { job: 'api', pod: 'p2', path: '/a' }, at: [[15, 7], [25, 1]] },
        { labels: { job: 'api', pod: 'p2', path: '/b' }, at: [[30, 100]] },
      ],
      { unwrapped: true },
    ),
  });

const DB = '{app="db", pod="db-0", zone="y"}';
const API = '{app="api", pod="api-7f9c-x1", zone="x"}';
const WEB1 = '{app="web", pod="web-1a2b-y2", zone="y"}';
const WEB3 = '{app="web", pod="web-9z9z-x3", zone="x"}';

const rows: { q: string; want: [string, number][] }[] = [
  // label_replace: anchored regex, $1 / ${name} expansion; no match leaves the series as is.
  {
    q: 'label_replace(A, "deploy", "$1", "pod", "(.*)-[^-]+-[^-]+")',
    want: [
      ['{app="api", deploy="api", pod="api-7f9c-x1", zone="x"}', 3],
      [DB, NaN],
      ['{app="web", deploy="web", pod="web-1a2b-y2", zone="y"}', 1],
      ['{app="web", deploy="web", pod="web-9z9z-x3", zone="x"}', 2],
    ],
  },
  { q: 'label_replace(A > 2, "z", "${zone}-$zone-$$-${1}", "zone", "(?P<zone>.)")', want: [['{app="api", pod="api-7f9c-x1", z="x-x-$-x", zone="x"}', 3]] },
  // Anchored: "x" does not match "api-7f9c-x1" as a whole, so nothing changes.
  { q: 'label_replace(A > 2, "z", "hit", "pod", "x")', want: [[API, 3]] },
  // An empty replacement removes the label.
  { q: 'label_replace(A > 2, "zone", "", "zone", ".*")', want: [['{app="api", pod="api-7f9c-x1"}', 3]] },
  // Unknown group names expand to nothing; a malformed "${" stays literal.
  { q: 'label_replace(A > 2, "z", "a$nope${b", "zone", "(.)")', want: [['{app="api", pod="api-7f9c-x1", z="a${b", zone="x"}', 3]] },
  { q: 'label_join(A > 2, "id", "/", "app", "zone", "missing")', want: [['{app="api", id="api/x/", pod="api-7f9c-x1", zone="x"}', 3]] },
  { q: 'vector(1)', want: [['{}', 1]] },
  { q: 'vector(scalar(A > 2))', want: [['{}', 3]] },
  // scalar() of anything but exactly one sample is NaN.
  { q: 'vector(scalar(A))', want: [['{}', NaN]] },
  { q: 'absent(A)', want: [] },
  { q: 'absent(A > 100)', want: [['{}', 1]] },
  { q: 'timestamp(A > 2)', want: [['{app="api", pod="api-7f9c-x1", zone="x"}', 1257897600]] },
  { q: 'vector(time())', want: [['{}', 1257897600]] },
  // Math functions drop __name__ and map values.
  { q: 'abs(M)', want: [['{k="a"}', 2.5], ['{k="b"}', 0.4], ['{k="c"}', 9]] },
  { q: 'ceil(M)', want: [['{k="a"}', -2], ['{k="b"}', 1], ['{k="c"}', 9]] },
  { q: 'floor(M)', want: [['{k="a"}', -3], ['{k="b"}', 0], ['{k="c"}', 9]] },
  // round: floor(v + 0.5), so −2.5 → −2.
  { q: 'round(M)', want: [['{k="a"}', -2], ['{k="b"}', 0], ['{k="c"}', 9]] },
  { q: 'round(M, 5)', want: [['{k="a"}', 0], ['{k="b"}', 0], ['{k="c"}', 10]] },
  { q: 'sqrt(M > 0)', want: [['{k="b"}', Math.sqrt(0.4)], ['{k="c"}', 3]] },
  { q: 'sgn(M)', want: [['{k="a"}', -1], ['{k="b"}', 1], ['{k="c"}', 1]] },
  { q: 'clamp(M, 0, 5)', want: [['{k="a"}', 0], ['{k="b"}', 0.4], ['{k="c"}', 5]] },
  { q: 'clamp(M, 5, 0)', want: [] },
  { q: 'clamp_min(M, 1)', want: [['{k="a"}', 1], ['{k="b"}', 1], ['{k="c"}', 9]] },
  { q: 'clamp_max(M, 1)', want: [['{k="a"}', -2.5], ['{k="b"}', 0.4], ['{k="c"}', 1]] },
  { q: 'exp(M > 5) - scalar(exp(vector(9)))', want: [['{k="c"}', 0]] },
  { q: 'ln(M > 5) - scalar(ln(vector(9)))', want: [['{k="c"}', 0]] },
  { q: 'log2(vector(8))', want: [['{}', 3]] },
  { q: 'log10(vector(1000))', want: [['{}', 3]] },
  { q: 'deg(vector(pi()))', want: [['{}', 180]] },
  // Calendar: T0 + 3600 s is 2009-11-11T00:00:00Z, a Wednesday; 1257894000 is 2009-11-10T23:00Z.
  { q: 'hour()', want: [['{}', 0]] },
  { q: 'hour(vector(1257894000))', want: [['{}', 23]] },
  { q: 'minute(vector(1257894000 + 90))', want: [['{}', 1]] },
  { q: 'day_of_month()', want: [['{}', 11]] },
  { q: 'day_of_week()', want: [['{}', 3]] },
  { q: 'day_of_year()', want: [['{}', 315]] },
  { q: 'days_in_month()', want: [['{}', 30]] },
  { q: 'month()', want: [['{}', 11]] },
  { q: 'year()', want: [['{}', 2009]] },
  // 2000-02-29 (a Tuesday, day 60 of a leap year).
  { q: 'day_of_year(vector(951782400))', want: [['{}', 60]] },
  { q: 'days_in_month(vector(951782400))', want: [['{}', 29]] },
  { q: 'day_of_week(vector(951782400))', want: [['{}', 2]] },
];

describe('instant functions', () => {
  it.each(rows)('$q', async ({ q, want }) => {
    expect(vectorRows(await run(gaugeQuery(q), source(), { time: 3600 }))).toEqual(want);
  });
});

describe('sort and sort_desc', () => {
  it('an instant query keeps the sorted order (NaN last, ties by labels)', async () => {
    expect(vectorRows(await run(gaugeQuery('sort(A)'), source(), { time: 3600 }))).toEqual([
      [WEB1, 1],
      [WEB3, 2],
      [API, 3],
      [DB, NaN],
    ]);
    expect(vectorRows(await run(gaugeQuery('sort_desc(A)'), source(), { time: 3600 }))).toEqual([
      [API, 3],
      [WEB3, 2],
      [WEB1, 1],
      [DB, NaN],
    ]);
  });

  it('any other instant result is ordered by labels', async () => {
    expect(vectorRows(await run(gaugeQuery('sort(A) * 1'), source(), { time: 3600 })).map((r) => r[0])).toEqual([API, DB, WEB1, WEB3]);
  });

  it("LogQL's sort by (…) sorts within groups, groups in label order", async () => {
    const expr = parseQuery(gaugeQuery('sort_desc(A)')) as Call;
    expr.grouping = { without: false, labels: ['zone'] };
    const result = await evaluateMetricQuery(expr, { startNs: at(3600), endNs: at(3600), stepNs: 0n }, source());
    expect(vectorRows(result)).toEqual([
      [API, 3],
      [WEB3, 2],
      [WEB1, 1],
      [DB, NaN],
    ]);
  });
});

describe('grouped range aggregations (LogQL: … by (…) on the call)', () => {
  // Window (0, 60] at 60: p1 5, 50 (/a); p2 7, 1 (/a) and 100 (/b).
  const evaluate = async (q: string, grouping: { without: boolean; labels: string[] }) => {
    const expr = parseQuery(q) as Call;
    expr.grouping = grouping;
    return vectorRows(await evaluateMetricQuery(expr, { startNs: at(60), endNs: at(60), stepNs: 0n }, source()));
  };
  it.each([
    // The group's samples are pooled before the window function: max over 5, 50, 7, 1 for /a.
    { q: 'max_over_time(latency{job="api"}[1m])', g: { without: false, labels: ['path'] }, want: [['{path="/a"}', 50], ['{path="/b"}', 100]] },
    { q: 'min_over_time(latency{job="api"}[1m])', g: { without: false, labels: ['pod'] }, want: [['{pod="p1"}', 5], ['{pod="p2"}', 1]] },
    // avg over the pooled samples: (5 + 50 + 7 + 1) / 4, not the mean of per-series means.
    { q: 'avg_over_time(latency{job="api"}[1m])', g: { without: false, labels: ['path'] }, want: [['{path="/a"}', 63 / 4], ['{path="/b"}', 100]] },
    // Pooled, time-ordered: 5@10, 7@15, 50@20, 1@25 → first 5, last 1.
    { q: 'last_over_time(latency{job="api"}[1m])', g: { without: true, labels: ['pod'] }, want: [['{job="api", path="/a"}', 1], ['{job="api", path="/b"}', 100]] },
    { q: 'quantile_over_time(0.5, latency{job="api"}[1m])', g: { without: false, labels: [] }, want: [['{}', 7]] },
  ])('$q $g.labels', async ({ q, g, want }) => {
    expect(await evaluate(q, g)).toEqual(want);
  });
});

describe('function errors and functions left out', () => {
  it.each([
    { q: 'label_replace(A, "1bad", "x", "pod", ".*")', code: 'INVALID_EXPRESSION', msg: 'invalid destination label name in label_replace(): "1bad"', span: '"1bad"' },
    { q: 'label_replace(A, "d", "x", "pod", "(")', code: 'INVALID_REGEX', msg: 'invalid regular expression in label_replace(): missing closing )', span: '"("' },
    // Dropping pod, then zone, leaves the two web series with the same labels.
    { q: 'label_replace(label_replace(A, "pod", "", "", ""), "zone", "", "", "")', code: 'INVALID_EXPRESSION', msg: 'vector cannot contain metrics with the same labelset', span: null },
    { q: 'label_join(A, "d", ",", "1x")', code: 'INVALID_EXPRESSION', msg: 'invalid source label name in label_join(): "1x"', span: '"1x"' },
    { q: 'abs(1)', code: 'INVALID_EXPRESSION', msg: 'expected type instant vector in call to function "abs", got scalar', span: '1' },
    { q: 'vector(A)', code: 'INVALID_EXPRESSION', msg: 'expected type scalar in call to function "vector", got instant vector', span: 'A' },
    { q: 'label_replace(A, A, "x", "pod", ".*")', code: 'INVALID_EXPRESSION', msg: 'expected type string', span: 'A' },
    { q: 'histogram_quantile(0.9, A)', code: 'NOT_SUPPORTED', msg: 'function histogram_quantile is not supported', span: null },
    { q: 'sort_by_label(A, "app")', code: 'NOT_SUPPORTED', msg: 'function sort_by_label is not supported', span: null },
    { q: 'increase(latency{job="api"}[1m])', code: 'NOT_SUPPORTED', msg: 'use count_over_time', span: null },
  ] as const)('$q', async ({ q, code, msg, span }) => {
    const text = gaugeQuery(q);
    const e = (await run(text, source(), { time: 3600 }).catch((x: unknown) => x)) as QueryError;
    expect(e).toBeInstanceOf(QueryError);
    expect(e.code).toBe(code);
    expect(e.message).toContain(msg);
    expect(text.slice(e.span.start.offset, e.span.end.offset)).toBe(span === null ? text : gaugeQuery(span));
  });
});
