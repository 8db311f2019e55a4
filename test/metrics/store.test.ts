/**
 * Metric queries over a real store (fixtures/store), end to end: parse → metric evaluator →
 * StoreSampleSource (kernel scans folded into buckets) → result / Arrow table.
 *
 * The oracle is the log query itself: `count_over_time(S [r])` at t must equal, per stream,
 * the number of rows `S` returns over the window (t − r, t], i.e. [t − r + 1 ns, t]; bytes
 * sum the messages' UTF-8 lengths; `rate` divides by the range in seconds.
 */
import { describe, expect, it } from 'vitest';
import { getStats, openStore, openStoreSet, parseTime, type MetricResult } from '../../src/node.js';
import { FIXTURE_STORE } from '../support/paths.js';

const store = openStore(FIXTURE_STORE, { workers: 0 });
const enc = new TextEncoder();
const NS_PER_MIN = 60_000_000_000n;

/** Per stream (`ns|pod|container` or `node|process`), count and bytes of the rows a log query returns over [start, end]. */
async function perStream(selector: string, startNs: bigint, endNs: bigint): Promise<Map<string, { count: number; bytes: number; labels: Record<string, string> }>> {
  const table = await store.query(selector, { start: startNs, end: endNs, limit: null });
  const out = new Map<string, { count: number; bytes: number; labels: Record<string, string> }>();
  const names = table.schema.fields.map((f) => f.name).filter((n) => !['time', 'line', 'time_raw'].includes(n));
  for (const row of table) {
    const labels = Object.fromEntries(names.map((n) => [n, String(row[n])]).filter(([, v]) => v !== ''));
    const key = names.map((n) => labels[n] ?? '').join('|');
    const e = out.get(key) ?? { count: 0, bytes: 0, labels };
    e.count++;
    e.bytes += enc.encode(String(row.line)).length;
    out.set(key, e);
  }
  return out;
}

const keyOf = (labels: Record<string, string>, names: string[]): string => names.map((n) => labels[n] ?? '').join('|');

function samplesAt(result: MetricResult, timeNs: bigint, names: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of result.series) {
    for (const [t, v] of s.samples) if (t === timeNs) out.set(keyOf(s.labels, names), v);
  }
  return out;
}

describe('metric queries over fixtures/store', () => {
  const end = parseTime('2024-09-24T16:00:00Z');
  const start = parseTime('2024-09-24T13:30:00Z');

  it.each([
    ['count_over_time', 'count', 1],
    ['bytes_over_time', 'bytes', 1],
    ['rate', 'count', 1 / (30 * 60)],
    ['bytes_rate', 'bytes', 1 / (30 * 60)],
  ] as const)('%s(S [30m]) by step equals the log query over each window', async (fn, measure, scale) => {
    const selector = 'pod{namespace=~"shop|default"} |= "GET"';
    const { result, stats } = await store.queryMetric(`${fn}(${selector} [30m])`, { start, end, step: '30m' });
    expect(result.resultType).toBe('matrix');
    expect(stats.filesRead).toBeGreaterThan(0);
    let checked = 0;
    for (let t = start; t <= end; t += 30n * NS_PER_MIN) {
      const want = await perStream(selector, t - 30n * NS_PER_MIN + 1n, t);
      const have = samplesAt(result, t, ['namespace', 'pod', 'container']);
      expect([...have.keys()].sort(), `streams at ${t}`).toEqual([...want.keys()].sort());
      for (const [k, e] of want) {
        expect(have.get(k), `${k} at ${t}`).toBeCloseTo(e[measure] * scale, 9);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('sum by (namespace) of count_over_time, instant at end, equals per-namespace counts', async () => {
    const { result } = await store.queryMetric('sum by (namespace) (count_over_time(pod{namespace=~".+"} [1h]))', { end });
    expect(result.resultType).toBe('vector');
    const want = await perStream('pod{namespace=~".+"}', end - 60n * NS_PER_MIN + 1n, end);
    const byNs = new Map<string, number>();
    for (const e of want.values()) byNs.set(e.labels.namespace!, (byNs.get(e.labels.namespace!) ?? 0) + e.count);
    expect(Object.fromEntries(result.series.map((s) => [s.labels.namespace, s.samples[0]![1]]))).toEqual(Object.fromEntries(byNs));
    expect(result.series.every((s) => Object.keys(s.labels).join() === 'namespace')).toBe(true);
  });

  it('binary operators and topk work over store series', async () => {
    const q = 'topk(2, sum by (pod) (count_over_time(pod{namespace="shop"} [3h]))) / 2';
    const { result } = await store.queryMetric(q, { end });
    const want = await perStream('pod{namespace="shop"}', end - 180n * NS_PER_MIN + 1n, end);
    const byPod = new Map<string, number>();
    for (const e of want.values()) byPod.set(e.labels.pod!, (byPod.get(e.labels.pod!) ?? 0) + e.count);
    const top = [...byPod.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 2);
    expect(result.series.map((s) => [s.labels.pod, s.samples[0]![1]]).sort()).toEqual(top.map(([p, n]) => [p, n / 2]).sort());
  });

  it('node queries group by node and process', async () => {
    const { result } = await store.queryMetric('count_over_time(node{node=~".+"} [3h])', { end });
    const want = await perStream('node{node=~".+"}', end - 180n * NS_PER_MIN + 1n, end);
    expect(result.series.length).toBe(want.size);
    for (const s of result.series) expect(s.samples[0]![1]).toBe(want.get(keyOf(s.labels, ['node', 'process']))!.count);
  });

  it('over a store set, series carry the cluster and each cluster counts its own lines', async () => {
    const set = openStoreSet({ east: FIXTURE_STORE, west: FIXTURE_STORE }, { workers: 0 });
    const q = 'count_over_time(pod{namespace="shop"} [3h])';
    const { result } = await set.queryMetric(`sum by (cluster, pod) (${q})`, { end });
    const plain = await store.queryMetric(`sum by (pod) (${q})`, { end });
    const want = plain.result.series.map((s) => [s.labels.pod, s.samples[0]![1]]);
    for (const cluster of ['east', 'west']) {
      const mine = result.series.filter((s) => s.labels.cluster === cluster).map((s) => [s.labels.pod, s.samples[0]![1]]);
      expect(mine, cluster).toEqual(want);
    }
    await set.close();
  });

  it('store.query returns the long Arrow table with statistics', async () => {
    const table = await store.query('sum by (namespace) (count_over_time(pod{namespace=~".+"} [1h]))', { end, start, step: '1h' });
    expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['namespace:Dictionary<Int32, Utf8>', 'time:Timestamp<NANOSECOND, UTC>', 'value:Float64']);
    expect(table.numRows).toBeGreaterThan(0);
    expect(getStats(table)?.bytesScanned).toBeGreaterThan(0);
  });

  it('explainMetric shows the evaluation times and the log plan of each range', async () => {
    const plan = await store.explainMetric('sum(rate(pod{namespace="shop"} |= "GET" [10m]))', { start, end, step: '10m' });
    expect(plan.kind).toBe('MetricQueryPlan');
    expect(plan.times.step).toBe('10m');
    expect(plan.ranges).toHaveLength(1);
    expect(plan.ranges[0]!.request).toBe('buckets');
    expect(plan.ranges[0]!.plan.program.lineFilters).toEqual([{ op: 'contains', needle: 'GET' }]);
    expect(plan.ranges[0]!.plan.files.map((f) => f.path)).toEqual(['pod/shop/2024-09-24_13.log', 'pod/shop/2024-09-24_14.log', 'pod/shop/2024-09-24_15.log']);
  });

  it.each([
    ['count_over_time(pod{namespace="shop"} | json [5m])', 'INVALID_EXPRESSION'], // the shop's access logs are not JSON: a pipeline error
    ['count_over_time(pod{cluster="x", namespace="shop"} [5m])', 'UNKNOWN_LABEL'],
    ['count_over_time(pod{pod="x"} [5m])', 'MISSING_TARGET_LABEL'],
    ['rate(up{job="x"}[5m])', 'UNKNOWN_LOG_TYPE'],
  ])('%s is refused with %s', async (q, code) => {
    const err = await store.queryMetric(q, { end }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe(code);
  });

  it('a bad step is an INVALID option error', async () => {
    for (const step of ['0s', 'x']) {
      const err = await store.queryMetric('count_over_time(pod{namespace="shop"} [5m])', { end, start, step }).catch((e: unknown) => e);
      expect((err as { code?: string }).code, step).toMatch(/^INVALID_/);
    }
  });
});
