/**
 * Metric queries over log pipelines, end to end (parse → evaluator → StoreSampleSource →
 * kernel scan → pipeline → buckets or samples). Expectations are worked out by hand on the
 * store of test/support/pipeline-store.ts (its table lists every line); then an oracle check
 * over the fixture store: counting through a pipeline equals counting the rows of the log
 * query with the same pipeline.
 */
import { describe, expect, it } from 'vitest';
import { openMemoryStore } from '../../src/browser.js';
import { openStore, parseTime, type MetricResult } from '../../src/node.js';
import { rangeLabelNeeds } from '../../src/metrics/label-needs.js';
import { parseQuery, type MatrixSelector } from '../../src/query/index.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { FILES } from '../support/pipeline-store.js';

const store = openMemoryStore(FILES, { workers: 0 });
/** An instant query at 13:30: `[1h]` windows hold every line but the 13:59 one. */
const AT = { end: '2024-09-24T13:30:00Z' };

/** `{labels} value` per series at the only (instant) or given time, sorted. */
function flat(result: MetricResult): string[] {
  return result.series
    .flatMap((s) => s.samples.map(([t, v]) => `${Object.entries(s.labels).sort().map(([k, x]) => `${k}=${x}`).join(',')} @${(t / 60_000_000_000n) % 1440n} ${+v.toFixed(6)}`))
    .sort();
}

describe('metric queries over pipelines (hand-worked store)', () => {
  // Minutes of day in the output: 13:30 is 810, 14:00 is 840.
  it.each([
    // L1, L5, W1 are info; L2 is error; L3 (logfmt) and L4 (plain) fail | json and are filtered out.
    ['sum by (level) (count_over_time(pod{namespace=~"shop|web"} | json | __error__="" [1h]))', ['level=error @810 1', 'level=info @810 3']],
    // The unwrapped label leaves the series; 12.5 + 250 + "3.5".
    ['sum by (pod) (sum_over_time(pod{namespace="shop"} | json | __error__="" | unwrap latency_ms [1h]))', ['pod=api-1 @810 266']],
    ['max_over_time(pod{namespace=~"shop|web"} | json | __error__="" | unwrap latency_ms [1h]) by (namespace)', ['namespace=shop @810 250', 'namespace=web @810 100']],
    ['quantile_over_time(0.5, pod{namespace=~"shop|web"} | json | __error__="" | unwrap latency_ms [1h]) by (namespace)', ['namespace=shop @810 12.5', 'namespace=web @810 100']],
    ['min_over_time(pod{namespace=~"shop|web"} | json | __error__="" | unwrap latency_ms [1h]) by (namespace)', ['namespace=shop @810 3.5', 'namespace=web @810 100']],
    // L3 is the only line with latency_ms (L4 has none: no sample); latency_ms leaves the labels, logfmt's others stay.
    ['sum_over_time(pod{namespace="shop", pod="api-2"} | logfmt | unwrap latency_ms [1h])', ['container=api,level=warn,namespace=shop,path=/c,pod=api-2,status=404 @810 7']],
    // ... unless the range aggregation groups by it.
    ['max_over_time(pod{namespace="shop", pod="api-2"} | logfmt | unwrap latency_ms [1h]) by (latency_ms)', ['latency_ms=7 @810 7']],
    // duration(): 100ms is 0.1 s.
    ['sum by (namespace) (sum_over_time(pod{namespace="web"} | json | label_format d="{{.latency_ms}}ms" | unwrap duration(d) [1h]))', ['namespace=web @810 0.1']],
    // bytes_over_time counts the line line_format leaves: "info" + "error" + "info".
    ['sum(bytes_over_time(pod{namespace="shop"} | json | __error__="" | line_format "{{.level}}" [1h]))', [' @810 13']],
    // rate of an unwrapped value: sum / range.
    ['sum(rate(pod{namespace="web"} | json | unwrap latency_ms [1h]))', [` @810 ${+(100 / 3600).toFixed(6)}`]],
    // Every path fails the float conversion; | __error__="" after unwrap drops those samples.
    ['sum_over_time(pod{namespace="shop"} | json | __error__="" | unwrap path | __error__="" [1h])', []],
    // Label filters on extracted numbers and durations.
    ['count_over_time(pod{namespace=~"shop|web"} | json | status >= 500 [1h])', ['container=api,latency_ms=250,level=error,namespace=shop,path=/b,pod=api-1,status=500 @810 1']],
    ['sum(count_over_time(pod{namespace=~"shop|web"} | logfmt | latency_ms > 5 and latency_ms < 10 [1h]))', [' @810 1']],
  ])('%s', async (query, want) => {
    const { result } = await store.queryMetric(query, AT);
    expect(flat(result)).toEqual(want);
  });

  it('range queries step the windows over the pipeline: (13:00, 13:30] has W1, (13:30, 14:00] W2', async () => {
    const { result } = await store.queryMetric('sum by (level) (count_over_time(pod{namespace="web"} | json [30m]))', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T14:00:00Z', step: '30m' });
    expect(flat(result)).toEqual(['level=error @840 1', 'level=info @810 1']);
  });

  it('a line the pipeline cannot read fails the query, naming the error and how to skip it', async () => {
    const err = (await store.queryMetric('sum(count_over_time(pod{namespace="shop"} | json [1h]))', AT).catch((e: unknown) => e)) as { code?: string; message: string };
    expect(err.code).toBe('INVALID_EXPRESSION');
    expect(err.message).toMatch(/^pipeline error: 'JSONParserErr' for series: '\{__error__="JSONParserErr", .*pod="api-2"\}'\. Use a label filter/);
    const conv = (await store.queryMetric('sum_over_time(pod{namespace="web"} | json | unwrap level [1h])', AT).catch((e: unknown) => e)) as Error;
    expect(conv.message).toMatch(/^pipeline error: 'SampleExtractionErr'/);
  });

  it('misuse is refused with a span: unwrap in counting functions, value functions without unwrap', async () => {
    const cases: [string, RegExp][] = [
      ['count_over_time(pod{namespace="web"} | json | unwrap latency_ms [1h])', /count_over_time with unwrap/],
      ['avg_over_time(pod{namespace="web"} | json [1h])', /avg_over_time without unwrap/],
      ['sum_over_time(pod{namespace="web"} | regexp "(?P<x" | unwrap x [1h])', /invalid regex/],
    ];
    for (const [q, message] of cases) {
      const err = (await store.queryMetric(q, AT).catch((e: unknown) => e)) as { message: string; span?: unknown };
      expect(err.message, q).toMatch(message);
      expect(err.span, q).toBeDefined();
    }
  });

  it('explainMetric: json extracts only what the query reads', async () => {
    const plan = await store.explainMetric('quantile_over_time(0.99, pod{namespace="web"} | json | unwrap latency_ms [5m]) by (namespace)', AT);
    const json = plan.ranges[0]!.plan.pipeline!.compiled[0]!;
    expect(json.kind).toBe('JsonStage');
    expect(json.extracts).toEqual(['__error__', '__error_details__', 'latency_ms', 'namespace']);
    expect(plan.ranges[0]!.request).toBe('samples');
    const all = await store.explainMetric('quantile_over_time(0.99, pod{namespace="web"} | json | unwrap latency_ms [5m]) without (pod)', AT);
    expect(all.ranges[0]!.plan.pipeline!.compiled[0]!.extracts).toBe('all');
  });
});

describe('which labels a query reads from each range (label-needs)', () => {
  const E = ['__error__', '__error_details__'];
  it.each([
    ['count_over_time(pod{namespace="a"} | json [5m])', 'all'],
    ['sum by (level) (count_over_time(pod{namespace="a"} | json [5m]))', ['level', ...E]],
    ['sum by (level) (rate(pod{namespace="a"} | json [5m]))', ['level', ...E]],
    ['sum by (level) (bytes_over_time(pod{namespace="a"} | json [5m]))', ['level', ...E]],
    // The number of series matters to count/avg/topk: every label.
    ['count by (level) (count_over_time(pod{namespace="a"} | json [5m]))', 'all'],
    ['avg by (level) (count_over_time(pod{namespace="a"} | json [5m]))', 'all'],
    ['topk(3, sum by (level) (count_over_time(pod{namespace="a"} | json [5m])))', ['level', ...E]],
    ['sum without (pod) (count_over_time(pod{namespace="a"} | json [5m]))', 'all'],
    // max_over_time of a merged stream is not the sum of the parts.
    ['sum by (level) (max_over_time(pod{namespace="a"} | json | unwrap x [5m]))', 'all'],
    ['max_over_time(pod{namespace="a"} | json | unwrap x [5m]) by (level)', ['level', ...E]],
    ['max_over_time(pod{namespace="a"} | json | unwrap x [5m]) without (level)', 'all'],
    ['sum by (level) ((count_over_time(pod{namespace="a"} | json [5m])))', ['level', ...E]],
    ['sum by (level) (count_over_time(pod{namespace="a"} | json [5m]) / 2)', 'all'],
    ['sum by (a) (sum by (a, b) (count_over_time(pod{namespace="a"} | json [5m])))', ['a', 'b', ...E]],
  ])('%s', (query, want) => {
    const needs = rangeLabelNeeds(parseQuery(query));
    expect(needs.size).toBe(1);
    const [range, need] = [...needs.entries()][0]!;
    expect((range as MatrixSelector).kind).toBe('MatrixSelector');
    expect(need.output).toEqual(want === 'all' ? 'all' : [...want].sort());
  });
});

describe('over the fixture store, counting through a pipeline equals the log query with it', () => {
  const fixture = openStore(FIXTURE_STORE, { workers: 0 });
  const end = parseTime('2024-09-24T16:00:00Z');
  it.each([
    ['pod{namespace=~".+"} | json | __error__=""', 'level'],
    ['pod{namespace=~".+"} | logfmt | elapsed > 5ms', 'pod'],
    ['pod{namespace=~".+"} |= "GET" | pattern "<_> \\"<method> <path> <_>\\" <status> <_>" | status >= 400', 'status'],
    ['node{node=~".+"} | decolorize | logfmt | level != ""', 'level'],
  ])('sum by (%s) … count_over_time(%s [3h])', async (log, by) => {
    const { result } = await fixture.queryMetric(`sum by (${by}) (count_over_time(${log} [3h]))`, { end });
    const table = await fixture.query(log, { start: end - 3n * 3_600_000_000_000n + 1n, end, limit: null });
    const want = new Map<string, number>();
    const col = table.getChild(by)!;
    for (let i = 0; i < table.numRows; i++) {
      const v = (col.get(i) as string | null) ?? '';
      want.set(v, (want.get(v) ?? 0) + 1);
    }
    const have = new Map(result.series.map((s) => [s.labels[by] ?? '', s.samples[0]![1]]));
    expect(table.numRows, 'a meaningful case').toBeGreaterThan(0);
    expect(have).toEqual(want);
  });
});
