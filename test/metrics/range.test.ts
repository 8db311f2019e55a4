/**
 * Range aggregations: every function at the window edges, offset, @, unwrap rules,
 * absent_over_time, pipeline errors, repeated series, and a differential check of the
 * bucketed path against a direct count over random streams.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../src/errors.js';
import { MemorySampleSource } from '../../src/metrics/index.js';
import { at, expression, matrixRows, run, vectorRows } from './helpers.js';

// Lines (seconds after T0) of three pod streams.
const LINES = expression([
  { labels: { namespace: 'a', pod: 'a1', container: 'c' }, at: [10, 20, 30, 60, 90] },
  { labels: { namespace: 'a', pod: 'a2', container: 'c' }, at: [60, [61, 'four']] },
  { labels: { namespace: 'b', pod: 'b1', container: 'c' }, at: [0, [120, 'eleven chars']] },
]);

// Unwrapped values. A real query writes `pod{…} | json | unwrap latency`; these tests keep the
// evaluator's side of the seam apart from the pipeline syntax: the source declares the
// PromQL-style selector `latency{…}` unwrapped, and the evaluator only asks the source.
const VALUES = expression(
  [
    { labels: { namespace: 'lat', pod: 'p1' }, at: [[10, 4], [20, 1], [30, 7], [60, 2], [90, -3]] },
    { labels: { namespace: 'lat', pod: 'p2' }, at: [[59, NaN], [60, 5]] },
  ],
  { unwrapped: true },
);

const source = () =>
  new MemorySampleSource({
    'pod{namespace=~".+"}': LINES,
    'latency{namespace="lat"}': VALUES,
    'pod{namespace="none"}': expression([]),
    'pod{namespace="none", pod=~"x.*"}': expression([]),
    'lines{job="x"}': LINES,
    'latency{namespace="bad"}': expression(
      [
        { labels: { namespace: 'bad', __error__: 'SampleExtractionErr' }, at: [[50, 0]] },
        { labels: { namespace: 'bad' }, at: [[55, 1]] },
      ],
      { unwrapped: true },
    ),
  });

const A1 = '{container="c", namespace="a", pod="a1"}';
const A2 = '{container="c", namespace="a", pod="a2"}';
const B1 = '{container="c", namespace="b", pod="b1"}';
const P1 = '{namespace="lat", pod="p1"}';
const P2 = '{namespace="lat", pod="p2"}';

interface InstantRow {
  q: string;
  time: number;
  want: [string, number][];
  why?: string;
}

const instantRows: InstantRow[] = [
  // Window (0, 60]: a1's lines at 10,20,30,60 (60 is the right edge: in); b1's line at 0 is the left edge: out.
  { q: 'count_over_time(pod{namespace=~".+"}[1m])', time: 60, want: [[A1, 4], [A2, 1]], why: '(0,60]' },
  // Window (30, 90]: a1 at 60, 90 (30 out); a2 at 60, 61.
  { q: 'count_over_time(pod{namespace=~".+"}[1m])', time: 90, want: [[A1, 2], [A2, 2]] },
  // An empty window gives no sample at all (not 0).
  { q: 'count_over_time(pod{namespace=~".+"}[1m])', time: 200, want: [] },
  // rate = count / 60 s.
  { q: 'rate(pod{namespace=~".+"}[1m])', time: 60, want: [[A1, 4 / 60], [A2, 1 / 60]] },
  // bytes in (60,120]: a1's line at 90 is "x" (1 byte); a2's at 61 "four" (its "x" at 60 is on the left edge); b1 "eleven chars" at 120.
  { q: 'bytes_over_time(pod{namespace=~".+"}[1m])', time: 120, want: [[A1, 1], [A2, 4], [B1, 12]] },
  // (0,120]: a1 five "x"; a2 "x" + "four"; b1 only at 120 (its line at 0 is the left edge).
  { q: 'bytes_rate(pod{namespace=~".+"}[2m])', time: 120, want: [[A1, 5 / 120], [A2, 5 / 120], [B1, 12 / 120]] },
  // offset 30s at 90 reads (0, 60], like the first row.
  { q: 'count_over_time(pod{namespace=~".+"}[1m] offset 30s)', time: 90, want: [[A1, 4], [A2, 1]] },
  // A negative offset looks ahead: at 30, offset -30s reads (0, 60].
  { q: 'count_over_time(pod{namespace=~".+"}[1m] offset -30s)', time: 30, want: [[A1, 4], [A2, 1]] },
  { q: 'present_over_time(pod{namespace=~".+"}[1m])', time: 60, want: [[A1, 1], [A2, 1]] },
  // Unwrapped, window (0, 60]: p1 = 4,1,7,2; p2 = NaN,5.
  { q: 'sum_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 14], [P2, NaN]] },
  { q: 'avg_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 3.5], [P2, NaN]] },
  // min/max: NaN only when every value is NaN (Loki), so p2 is 5.
  { q: 'min_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 1], [P2, 5]] },
  { q: 'max_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 7], [P2, 5]] },
  { q: 'first_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 4], [P2, NaN]] },
  { q: 'last_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 2], [P2, 5]] },
  // Window (30, 90]: p1 = 2, -3 → last -3; first 2.
  { q: 'last_over_time(latency{namespace="lat"}[1m])', time: 90, want: [[P1, -3], [P2, 5]] },
  { q: 'first_over_time(latency{namespace="lat"}[1m])', time: 90, want: [[P1, 2], [P2, NaN]] },
  // p1 in (0,60] = 4,1,7,2: mean 3.5; deviations .5,-2.5,3.5,-1.5; squares .25+6.25+12.25+2.25 = 21; /4 = 5.25.
  { q: 'stdvar_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 5.25], [P2, NaN]] },
  { q: 'stddev_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, Math.sqrt(5.25)], [P2, NaN]] },
  // Sorted p1: 1,2,4,7. φ=0.5: rank 1.5 → 2·0.5 + 4·0.5 = 3. φ=0.9: rank 2.7 → 4·0.3 + 7·0.7 = 6.1.
  // p2 sorts as NaN, 5 (NaN first, as Go sorts): φ=1 → 5; φ=0 → NaN; between → NaN·w + … = NaN.
  { q: 'quantile_over_time(0.5, latency{namespace="lat"}[1m])', time: 60, want: [[P1, 3], [P2, NaN]] },
  { q: 'quantile_over_time(0.9, latency{namespace="lat"}[1m])', time: 60, want: [[P1, 4 * 0.3 + 7 * 0.7], [P2, NaN]] },
  { q: 'quantile_over_time(1, latency{namespace="lat"}[1m])', time: 60, want: [[P1, 7], [P2, 5]] },
  { q: 'quantile_over_time(0, latency{namespace="lat"}[1m])', time: 60, want: [[P1, 1], [P2, NaN]] },
  // φ outside [0, 1]: ±Inf, as PromQL (not an error).
  { q: 'quantile_over_time(-1, latency{namespace="lat"}[1m])', time: 60, want: [[P1, -Infinity], [P2, -Infinity]] },
  { q: 'quantile_over_time(1.5, latency{namespace="lat"}[1m])', time: 60, want: [[P1, Infinity], [P2, Infinity]] },
  // median 3; |x-3| = 1,2,4,1 → sorted 1,1,2,4 → median 1.5.
  { q: 'mad_over_time(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 1.5], [P2, NaN]] },
  // rate of unwrapped values: sum / range. (4+1+7+2)/60.
  { q: 'rate(latency{namespace="lat"}[1m])', time: 60, want: [[P1, 14 / 60], [P2, NaN]] },
  // @ fixes the window whatever the evaluation time: @ T0+60 reads (0, 60].
  { q: 'count_over_time(pod{namespace=~".+"}[1m] @ 1257894060)', time: 500, want: [[A1, 4], [A2, 1]] },
  { q: 'count_over_time(pod{namespace=~".+"}[1m] @ 1257894090 offset 30s)', time: 500, want: [[A1, 4], [A2, 1]] },
  // absent_over_time: empty when anything is there; else 1 with the = matchers' labels.
  { q: 'absent_over_time(pod{namespace=~".+"}[1m])', time: 60, want: [] },
  { q: 'absent_over_time(pod{namespace=~".+"}[1m])', time: 300, want: [['{}', 1]] },
  { q: 'absent_over_time(pod{namespace="none"}[5m])', time: 60, want: [['{namespace="none"}', 1]] },
  { q: 'absent_over_time(pod{namespace="none", pod=~"x.*"}[5m])', time: 60, want: [['{namespace="none"}', 1]] },
  { q: 'absent_over_time(latency{namespace="lat"}[1m])', time: 200, want: [['{namespace="lat"}', 1]] },
];

describe('range aggregations at one instant', () => {
  it.each(instantRows)('$q at $time', async ({ q, time, want }) => {
    const got = vectorRows(await run(q, source(), { time }));
    expect(got.map((r) => r[0])).toEqual(want.map((r) => r[0]));
    got.forEach(([, v], i) => {
      const w = want[i]![1];
      if (Number.isNaN(w)) expect(v).toBeNaN();
      else expect(v).toBeCloseTo(w, 12);
    });
  });
});

describe('range aggregations over a range query', () => {
  it('count_over_time at every step (range 1m, step 30s)', async () => {
    // t=0: (−60,0] b1@0. t=30: (−30,30] a1@10,20,30; b1@0. t=60: (0,60] a1×4, a2@60.
    // t=90: (30,90] a1@60,90; a2@60,61. t=120: (60,120] a1@90; a2@61; b1@120.
    const got = matrixRows(await run('count_over_time(pod{namespace=~".+"}[1m])', source(), { start: 0, end: 120, step: 30 }));
    expect(got).toEqual({
      [A1]: [[30, 3], [60, 4], [90, 2], [120, 1]],
      [A2]: [[60, 1], [90, 2], [120, 1]],
      [B1]: [[0, 1], [30, 1], [120, 1]],
    });
  });

  it('range shorter than the step reads only the windows (gaps are never counted)', async () => {
    // Windows (t−10, t] at t = 0, 45, 90: b1@0; nothing in (35,45]; a1@90.
    const src = source();
    const got = matrixRows(await run('count_over_time(pod{namespace=~".+"}[10s])', src, { start: 0, end: 90, step: 45 }));
    expect(got).toEqual({ [A1]: [[90, 1]], [B1]: [[0, 1]] });
    const req = src.requests[0]!;
    expect(req.kind).toBe('buckets');
    expect(req.readIntervals).toEqual([
      { startNs: at(-10), endNs: at(0) },
      { startNs: at(35), endNs: at(45) },
      { startNs: at(80), endNs: at(90) },
    ]);
  });

  it('steps end at the last start + k·step not after end', async () => {
    const got = matrixRows(await run('count_over_time(pod{namespace=~".+"}[1m])', source(), { start: 0, end: 100, step: 45 }));
    // Steps 0, 45, 90 (135 > 100). t=45: (−15,45] a1@10,20,30; b1@0.
    expect(got).toEqual({ [A1]: [[45, 3], [90, 2]], [A2]: [[90, 2]], [B1]: [[0, 1], [45, 1]] });
  });

  it('one request per range aggregation, whatever the number of steps', async () => {
    const src = source();
    await run('sum(count_over_time(pod{namespace=~".+"}[1m])) / sum(rate(pod{namespace=~".+"}[5m]))', src, { start: 0, end: 600, step: 15 });
    expect(src.requests.map((r) => r.kind)).toEqual(['buckets', 'buckets']);
  });

  it('quantile_over_time takes φ per step from a scalar expression', async () => {
    const got = matrixRows(await run('quantile_over_time(scalar(vector(0.5)), latency{namespace="lat"}[1m])', source(), { start: 60, end: 60, step: 1 }));
    expect(got).toEqual({ [P1]: [[60, 3]], [P2]: [[60, NaN]] });
  });
});

describe('range aggregation errors', () => {
  const rows: { q: string; code: QueryError['code']; msg: string; span: string }[] = [
    // The source says lines{job="x"} is not unwrapped (the parser checks the LogQL syntax; this is the evaluator's check of the source's answer).
    { q: 'sum_over_time(lines{job="x"}[1m])', code: 'INVALID_EXPRESSION', msg: 'sum_over_time without unwrap', span: 'sum_over_time(lines{job="x"}[1m])' },
    { q: 'quantile_over_time(0.5, lines{job="x"}[1m])', code: 'INVALID_EXPRESSION', msg: 'without unwrap', span: 'quantile_over_time(0.5, lines{job="x"}[1m])' },
    { q: 'count_over_time(latency{namespace="lat"}[1m])', code: 'INVALID_EXPRESSION', msg: 'count_over_time with unwrap', span: 'count_over_time(latency{namespace="lat"}[1m])' },
    { q: 'bytes_rate(latency{namespace="lat"}[1m])', code: 'INVALID_EXPRESSION', msg: 'bytes_rate with unwrap', span: 'bytes_rate(latency{namespace="lat"}[1m])' },
    { q: 'count_over_time(pod{namespace=~".+"})', code: 'INVALID_EXPRESSION', msg: 'a log query without a range', span: 'pod{namespace=~".+"}' },
    { q: 'count_over_time(pod{namespace=~".+"}[5m:1m])', code: 'NOT_SUPPORTED', msg: 'subqueries are not supported', span: 'pod{namespace=~".+"}[5m:1m]' },
    { q: 'quantile_over_time("x", latency{namespace="lat"}[1m])', code: 'INVALID_EXPRESSION', msg: 'expected type scalar', span: '"x"' },
    { q: 'sum(pod{namespace=~".+"})', code: 'INVALID_EXPRESSION', msg: 'a log query cannot be used as a metric', span: 'pod{namespace=~".+"}' },
    { q: 'sum(pod{namespace=~".+"}[1m])', code: 'INVALID_EXPRESSION', msg: 'argument of a range aggregation', span: 'pod{namespace=~".+"}[1m]' },
    { q: 'irate(pod{namespace=~".+"}[1m])', code: 'NOT_SUPPORTED', msg: 'function irate is not supported', span: 'irate(pod{namespace=~".+"}[1m])' },
  ];
  it.each(rows)('$q', async ({ q, code, msg, span }) => {
    const error = await run(q, source(), { time: 60 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QueryError);
    const e = error as QueryError;
    expect(e.code).toBe(code);
    expect(e.message).toContain(msg);
    expect(q.slice(e.span.start.offset, e.span.end.offset)).toBe(span);
  });

  it('a series with __error__ fails the query (Loki pipeline error), with the call span', async () => {
    const q = 'sum_over_time(latency{namespace="bad"}[1m])';
    const e = (await run(q, source(), { time: 60 }).catch((x: unknown) => x)) as QueryError;
    expect(e).toBeInstanceOf(QueryError);
    expect(e.message).toContain(`pipeline error: 'SampleExtractionErr' for series: '{__error__="SampleExtractionErr", namespace="bad"}'`);
    expect(e.message).toContain('__error__=""');
    expect(e.span.start.offset).toBe(0);
  });

  it('an __error__ series outside every window does not fail the query', async () => {
    // Window (100, 160] holds neither line.
    expect(vectorRows(await run('sum_over_time(latency{namespace="bad"}[1m])', source(), { time: 160 }))).toEqual([]);
  });
});

describe('series returned more than once are merged', () => {
  const twice = (unwrapped: boolean) =>
    expression(
      [
        { labels: { namespace: 'm' }, at: [[10, 1], [20, 2]] },
        { labels: { namespace: 'm' }, at: [[15, 10], [20, 20]] },
      ],
      { unwrapped },
    );
  it.each([
    // counts add: 2 + 2
    { q: 'count_over_time(latency{namespace="m"}[1m])', unwrapped: false, want: 4 },
    { q: 'sum_over_time(latency{namespace="m"}[1m])', unwrapped: true, want: 33 },
    { q: 'max_over_time(latency{namespace="m"}[1m])', unwrapped: true, want: 20 },
    // samples interleave by time; the tie at 20 keeps the source's order (1st stream first), so last is 20.
    { q: 'first_over_time(latency{namespace="m"}[1m])', unwrapped: true, want: 1 },
    { q: 'last_over_time(latency{namespace="m"}[1m])', unwrapped: true, want: 20 },
    { q: 'quantile_over_time(0, latency{namespace="m"}[1m])', unwrapped: true, want: 1 },
  ])('$q', async ({ q, unwrapped, want }) => {
    const src = new MemorySampleSource({ 'latency{namespace="m"}': twice(unwrapped) });
    expect(vectorRows(await run(q, src, { time: 60 }))).toEqual([['{namespace="m"}', want]]);
  });
});

describe('bucketed counts equal a direct count (differential, random streams and windows)', () => {
  it('count_over_time and bytes_over_time for any range, step, offset', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -50, max: 400 }), fc.string({ maxLength: 5 })), { maxLength: 60 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: -30, max: 30 }),
        async (lines, range, step, steps, offset) => {
          const streams = [0, 1, 2].map((s) => ({ labels: { namespace: `s${s}` }, at: lines.filter((l) => l[0] === s).map((l): [number, string] => [l[1], l[2]]) }));
          const src = new MemorySampleSource({ 'pod{namespace=~".+"}': expression(streams) });
          const start = 0;
          const end = steps * step;
          const q = (f: string) => `${f}(pod{namespace=~".+"}[${range}s] offset ${offset}s)`;
          const counts = matrixRows(await run(q('count_over_time'), src, { start, end, step }));
          const bytes = matrixRows(await run(q('bytes_over_time'), src, { start, end, step }));
          const wantCounts: Record<string, [number, number][]> = {};
          const wantBytes: Record<string, [number, number][]> = {};
          for (const s of streams) {
            const key = `{namespace="${s.labels.namespace}"}`;
            for (let t = start; t <= end; t += step) {
              // The window (t − offset − range, t − offset].
              const inside = s.at.filter(([x]) => x > t - offset - range && x <= t - offset);
              if (inside.length === 0) continue;
              (wantCounts[key] ??= []).push([t, inside.length]);
              (wantBytes[key] ??= []).push([t, inside.reduce((n, [, line]) => n + new TextEncoder().encode(line).length, 0)]);
            }
          }
          expect(counts).toEqual(wantCounts);
          expect(bytes).toEqual(wantBytes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sum/min/max over unwrapped values for any range and step', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: -20, max: 300 }), fc.integer({ min: -1000, max: 1000 })), { maxLength: 40 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 8 }),
        async (points, range, step, steps) => {
          const src = new MemorySampleSource({ 'latency{namespace="v"}': expression([{ labels: { namespace: 'v' }, at: points }], { unwrapped: true }) });
          const end = steps * step;
          for (const [f, reduce] of [
            ['sum_over_time', (v: number[]) => v.reduce((a, b) => a + b, 0)],
            ['min_over_time', (v: number[]) => Math.min(...v)],
            ['max_over_time', (v: number[]) => Math.max(...v)],
          ] as const) {
            const got = matrixRows(await run(`${f}(latency{namespace="v"}[${range}s])`, src, { start: 0, end, step }));
            const want: [number, number][] = [];
            for (let t = 0; t <= end; t += step) {
              const inside = points.filter(([x]) => x > t - range && x <= t).map(([, v]) => v);
              if (inside.length > 0) want.push([t, reduce(inside)]);
            }
            expect(got).toEqual(want.length === 0 ? {} : { '{namespace="v"}': want });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
