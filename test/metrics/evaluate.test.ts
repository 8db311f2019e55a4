/**
 * Whole-query evaluation: the example over a range, result types, ordering, the
 * series limit, abort, and planning before any read.
 */
import { describe, expect, it } from 'vitest';
import { LetheQLError, QueryError } from '../../src/errors.js';
import { evaluateMetricQuery, isMetricQuery, MemorySampleSource, planMetricQuery, SeriesLimitError } from '../../src/metrics/index.js';
import { parseQuery } from '../../src/query/index.js';
import { at, expression, matrixRows, run, vectorRows } from './helpers.js';

const ERRORS = expression([
  { labels: { namespace: 'a', pod: 'a1', container: 'c' }, at: [5, 50, 65, 70] },
  { labels: { namespace: 'a', pod: 'a2', container: 'c' }, at: [55, 119] },
  { labels: { namespace: 'b', pod: 'b1', container: 'c' }, at: [100] },
  { labels: { namespace: 'c', pod: 'c1', container: 'c' }, at: [170] },
]);

const source = () =>
  new MemorySampleSource({
    'pod{namespace=~".+"} |= "error"': ERRORS,
    'pod{namespace="a"}': { streams: ERRORS.streams.filter((s) => s.labels.namespace === 'a') },
    'pod{namespace="b"}': { streams: ERRORS.streams.filter((s) => s.labels.namespace === 'b') },
    'pod{namespace="traefik"}': expression([]),
  });

describe('the issue example: sum by (namespace) (count_over_time(… |= "error" [1m]))', () => {
  const q = 'sum by (namespace) (count_over_time(pod{namespace=~".+"} |= "error" [1m]))';

  it('range query: one sample per step where the window has lines', async () => {
    // Steps 60, 120, 180; windows (0,60], (60,120], (120,180].
    // a: (0,60] a1@5,50 + a2@55 = 3; (60,120] a1@65,70 + a2@119 = 3; (120,180] none.
    // b: (60,120] b1@100 = 1.   c: (120,180] c1@170 = 1.
    const result = await run(q, source(), { start: 60, end: 180, step: 60 });
    expect(matrixRows(result)).toEqual({
      '{namespace="a"}': [[60, 3], [120, 3]],
      '{namespace="b"}': [[120, 1]],
      '{namespace="c"}': [[180, 1]],
    });
  });

  it('range query steps that do not divide the range (step 45s, range 1m)', async () => {
    // Steps 60, 105, 150: (0,60] a 3; (45,105] a1@50,65,70 + a2@55 = 4, b1@100; (90,150] a2@119, b1@100.
    const result = await run(q, source(), { start: 60, end: 150, step: 45 });
    expect(matrixRows(result)).toEqual({
      '{namespace="a"}': [[60, 3], [105, 4], [150, 1]],
      '{namespace="b"}': [[105, 1], [150, 1]],
    });
  });

  it('instant query', async () => {
    expect(vectorRows(await run(q, source(), { time: 120 }))).toEqual([
      ['{namespace="a"}', 3],
      ['{namespace="b"}', 1],
    ]);
  });
});

describe("LogQL's documented examples (with pod selectors)", () => {
  it.each([
    // "sum(count_over_time({namespace="traefik"}[5m])) # will return nothing, or vector(0) # will return 0"
    { q: 'sum(count_over_time(pod{namespace="traefik"}[5m])) or vector(0)', want: [['{}', 0]] },
    // topk(10, sum(rate(…[5m])) by (name)); window (−180, 120]: a1 4 lines, a2 2, b1 1 → a1 4/300.
    { q: 'topk(1, sum(rate(pod{namespace=~".+"} |= "error" [5m])) by (pod))', want: [['{pod="a1"}', 4 / 300]] },
    // A ratio of two sums (both label-less): (60,120] a: a1@65,70 + a2@119 = 3 lines; b: b1@100 = 1.
    { q: 'sum(rate(pod{namespace="a"}[1m])) / sum(rate(pod{namespace="b"}[1m]))', want: [['{}', 3]] },
    // offset: the 5 minutes before the last 5 — at 420, (−180, 120] again.
    { q: 'sum(count_over_time(pod{namespace=~".+"} |= "error" [5m] offset 5m))', want: [['{}', 7]] },
  ] as { q: string; want: [string, number][] }[])('$q', async ({ q, want }) => {
    const time = q.includes('offset') ? 420 : 120;
    expect(vectorRows(await run(q, source(), { time }))).toEqual(want);
  });
});

describe('result types and order', () => {
  it('an instant scalar is a scalar; a range scalar is a matrix with one unlabelled series', async () => {
    const instant = await run('1 + 1', source(), { time: 0 });
    expect(instant).toEqual({ resultType: 'scalar', series: [{ labels: {}, samples: [[at(0), 2]] }] });
    const range = await run('time() - 1257894000', source(), { start: 0, end: 60, step: 30 });
    expect(range.resultType).toBe('matrix');
    expect(matrixRows(range)).toEqual({ '{}': [[0, 0], [30, 30], [60, 60]] });
  });

  it('vector(1) over a range', async () => {
    expect(matrixRows(await run('vector(1)', source(), { start: 0, end: 20, step: 10 }))).toEqual({ '{}': [[0, 1], [10, 1], [20, 1]] });
  });

  it('matrix series are ordered by labels, not by first appearance', async () => {
    // Step 100 reads (90, 100]: b1@100 appears first; step 119 reads (109, 119]: a2@119 later.
    const result = await run('count_over_time(pod{namespace=~".+"} |= "error" [10s])', source(), { start: 100, end: 119, step: 19 });
    expect(result.series.map((s) => s.labels.pod)).toEqual(['a2', 'b1']);
  });

  it('range query results hold exactly the steps start + k·step ≤ end', async () => {
    const result = await run('vector(1)', source(), { start: 0, end: 25, step: 10 });
    expect(result.series[0]!.samples.map(([t]) => t)).toEqual([at(0), at(10), at(20)]);
  });
});

describe('series limit', () => {
  const q = 'count_over_time(pod{namespace=~".+"} |= "error" [10m])';
  it('fails with the limit named when the result has more series', async () => {
    const e = await run(q, source(), { time: 200 }, { maxSeries: 3 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SeriesLimitError);
    expect((e as SeriesLimitError).limit).toBe(3);
    expect((e as Error).message).toContain('maximum of series (3) reached for a single query');
  });
  it('counts distinct series across the steps of a range query', async () => {
    // Step 60 sees a1, a2; step 120 adds b1; step 180 adds c1 → 4 > 3.
    const e = await run('count_over_time(pod{namespace=~".+"} |= "error" [1m])', source(), { start: 60, end: 180, step: 60 }, { maxSeries: 3 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SeriesLimitError);
  });
  it('exactly the limit is fine', async () => {
    expect((await run(q, source(), { time: 200 }, { maxSeries: 4 })).series).toHaveLength(4);
  });
  it('an aggregation below the limit is fine even when its input is above it', async () => {
    expect(vectorRows(await run(`sum(${q})`, source(), { time: 200 }, { maxSeries: 1 }))).toEqual([['{}', 8]]);
  });
});

describe('planning, options and abort', () => {
  it('type errors are raised before the source is asked anything', async () => {
    const src = source();
    expect(() => planMetricQuery(parseQuery('count_over_time(pod{namespace=~".+"} |= "error" [1m]) + "a"'), { startNs: 0n, endNs: 0n, stepNs: 0n }, src)).toThrow(QueryError);
    expect(src.requests).toEqual([]);
  });

  it('the plan lists its requests before executing', () => {
    const plan = planMetricQuery(parseQuery('count_over_time(pod{namespace=~".+"} |= "error" [1m]) / bytes_rate(pod{namespace=~".+"} |= "error" [5m])'), { startNs: at(0), endNs: at(600), stepNs: 60_000_000_000n }, source());
    expect(plan.requests.map((r) => (r.kind === 'buckets' ? r.measures : []))).toEqual([['count'], ['count', 'bytes']]);
    // 11 steps of 1m with a 1m range tile: 12 edges, 11 buckets.
    expect(plan.requests[0]!.kind === 'buckets' && plan.requests[0]!.grid.edgesNs.length).toBe(12);
  });

  it('a log query is not a metric query', async () => {
    expect(isMetricQuery(parseQuery('pod{namespace="a"} |= "x"'))).toBe(false);
    expect(isMetricQuery(parseQuery('(pod{namespace="a"}[5m])'))).toBe(false);
    expect(isMetricQuery(parseQuery('count_over_time(pod{namespace="a"}[5m])'))).toBe(true);
    expect(isMetricQuery(parseQuery('1 + 1'))).toBe(true);
    await expect(run('pod{namespace=~".+"} |= "error"', source(), { time: 0 })).rejects.toThrow('a log query is not a metric query');
  });

  it('maxPoints caps the steps', async () => {
    await expect(run('vector(1)', source(), { start: 0, end: 100, step: 1 }, { maxPoints: 50 })).rejects.toThrow('exceeded maximum resolution of 50 points');
  });

  it('an aborted signal stops evaluation', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await evaluateMetricQuery(parseQuery('vector(1)'), { startNs: 0n, endNs: 100n, stepNs: 1n }, source(), { signal: controller.signal }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LetheQLError);
    expect((e as LetheQLError).code).toBe('ABORTED');
  });

  it('a string is not a metric query', async () => {
    await expect(run('"a"', source(), { time: 0 })).rejects.toThrow('a string is not a metric query');
  });
});
