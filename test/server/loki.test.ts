/**
 * The Loki dialect's shapes, field for field as Loki's HTTP API reference documents them
 * (docs/sources/reference/loki-http-api.md): streams with `stats`, labels, label values,
 * series, index/volume, metric shapes through a stand-in evaluator, and Loki's time formats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricEvaluator } from '../../src/server/evaluate.js';
import { FILES, NOW, ns, serveFixture, type FixtureServer } from './fixture.js';
import { frozen, get, postForm } from './helpers.js';

const APP = { container: 'app', namespace: 'shop', pod: 'api-1' };
const ISTIO = { container: 'istio', namespace: 'shop', pod: 'api-1' };
const NGINX = { container: 'nginx', namespace: 'shop', pod: 'web-1' };

const STATS_KEYS = {
  ingester: ['compressedBytes', 'decompressedBytes', 'decompressedLines', 'headChunkBytes', 'headChunkLines', 'totalBatches', 'totalChunksMatched', 'totalDuplicates', 'totalLinesSent', 'totalReached'],
  store: ['chunksDownloadTime', 'compressedBytes', 'decompressedBytes', 'decompressedLines', 'totalChunksDownloaded', 'totalChunksRef', 'totalDuplicates'],
  summary: ['bytesProcessedPerSecond', 'execTime', 'linesProcessedPerSecond', 'queueTime', 'totalBytesProcessed', 'totalLinesProcessed'],
};

describe('Loki dialect', () => {
  let srv: FixtureServer;
  beforeAll(async () => {
    srv = await serveFixture({ storeDir: true, now: frozen(NOW) });
  });
  afterAll(() => srv.close());

  const window = { start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z') };

  it('query_range answers streams grouped by labels, backward by default, with stats', async () => {
    const res = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="shop"}', ...window });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('success');
    expect(Object.keys(res.body.data).sort()).toEqual(['result', 'resultType', 'stats']);
    expect(res.body.data.resultType).toBe('streams');
    expect(res.body.data.result).toEqual([
      { stream: APP, values: [[ns('2024-09-24T15:00:02Z'), 'POST /cart 500 error'], [ns('2024-09-24T15:00:01Z'), 'GET /cart 200']] },
      { stream: ISTIO, values: [[ns('2024-09-24T15:30:00Z'), 'healthz']] },
      { stream: NGINX, values: [[ns('2024-09-24T15:00:03Z'), 'GET / 200']] },
    ]);
    const stats = res.body.data.stats;
    for (const [k, keys] of Object.entries(STATS_KEYS)) expect(Object.keys(stats[k]).sort()).toEqual(keys);
    expect(stats.summary.totalBytesProcessed).toBe(FILES['pod/shop/2024-09-24_15.log']!.length);
    expect(stats.summary.totalLinesProcessed).toBe(4);
    expect(stats.store.totalChunksDownloaded).toBe(1);
  });

  it('query_range honours direction, limit, line filters and LetheQL selectors', async () => {
    const fwd = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="shop", pod="api-1"} != "healthz"', ...window, direction: 'FORWARD', limit: '1' });
    expect(fwd.body.data.result).toEqual([{ stream: APP, values: [[ns('2024-09-24T15:00:01Z'), 'GET /cart 200']] }]);
    const lethe = await get(srv.url, '/loki/api/v1/query_range', { query: 'pod{namespace=~"shop|default"} |~ "error"', ...window, direction: 'forward' });
    expect(lethe.body.data.result).toEqual([
      // Streams in label order (container first): app < postgres.
      { stream: APP, values: [[ns('2024-09-24T15:00:02Z'), 'POST /cart 500 error']] },
      { stream: { container: 'postgres', namespace: 'default', pod: 'db-0' }, values: [[ns('2024-09-24T15:10:00Z'), 'checkpoint error']] },
    ]);
    const node = await get(srv.url, '/loki/api/v1/query_range', { query: '{process="kubelet"}', ...window });
    expect(node.body.data.result).toEqual([{ stream: { node: 'node-a', process: 'kubelet' }, values: [[ns('2024-09-24T15:05:00Z'), 'OOM killed']] }]);
  });

  it('treats end as exclusive and reads every Loki time format', async () => {
    const q = '{namespace="shop", container="app"}';
    const at = ns('2024-09-24T15:00:02Z');
    const exclusive = await get(srv.url, '/loki/api/v1/query_range', { query: q, start: window.start, end: at });
    expect(exclusive.body.data.result[0].values).toEqual([[ns('2024-09-24T15:00:01Z'), 'GET /cart 200']]);
    const forms: Record<string, string>[] = [
      { start: '1727190000', end: '1727193600' }, // Unix seconds (≤ 10 digits)
      { start: '1727190000.0', end: '1727193600.000' }, // fractional seconds
      { start: '2024-09-24T15:00:00Z', end: '2024-09-24T18:00:00+02:00' }, // RFC 3339
      { start: 'now-1h', end: 'now' }, // relative to the frozen clock
      { since: '1h' }, // default end = now
      {}, // defaults: the last hour
    ];
    const want = (await get(srv.url, '/loki/api/v1/query_range', { query: q, ...window })).body.data.result;
    expect(want[0].values).toHaveLength(2);
    for (const f of forms) {
      const res = await get(srv.url, '/loki/api/v1/query_range', { query: q, ...f });
      expect(res.status, JSON.stringify(f)).toBe(200);
      expect(res.body.data.result, JSON.stringify(f)).toEqual(want);
    }
  });

  it('refuses log queries at the instant endpoint, as Loki 3 does', async () => {
    const res = await get(srv.url, '/loki/api/v1/query', { query: '{namespace="shop"}' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'log queries are not supported as an instant query type, please change your query to a range query type',
      message: 'log queries are not supported as an instant query type, please change your query to a range query type',
    });
  });

  it('answers metric queries with the engine\'s evaluator (vector, matrix) and refuses what it cannot evaluate', async () => {
    const inst = await get(srv.url, '/loki/api/v1/query', { query: 'sum by (pod) (count_over_time({namespace="shop"}[1h]))', time: ns('2024-09-24T16:00:00Z') });
    expect(inst.status).toBe(200);
    expect(inst.body.status).toBe('success');
    expect(inst.body.data.resultType).toBe('vector');
    for (const r of inst.body.data.result) {
      expect(Object.keys(r.metric)).toEqual(['pod']);
      expect(r.value[0]).toBe(1727193600);
      expect(Number(r.value[1])).toBeGreaterThan(0);
    }
    const range = await get(srv.url, '/loki/api/v1/query_range', { query: 'rate({namespace="shop"}[30m])', start: ns('2024-09-24T14:00:00Z'), end: ns('2024-09-24T16:00:00Z'), step: '1800' });
    expect(range.status).toBe(200);
    expect(range.body.data.resultType).toBe('matrix');
    expect(range.body.data.result.length).toBeGreaterThan(0);
    const lethe = await get(srv.url, '/api/v1/query', { query: 'count_over_time(pod{namespace="shop"}[1h])', time: '2024-09-24T16:00:00Z' });
    expect(lethe.status).toBe(200);
    expect(lethe.body.data.resultType).toBe('vector');
    const bad = await get(srv.url, '/loki/api/v1/query', { query: 'irate({namespace="shop"}[5m])' });
    expect(bad.status).toBe(400);
    expect(bad.body.errorType).toBe('bad_data');
  });

  it('lists label names and values', async () => {
    // service_name is derived (drilldown-routes.ts), so it is listed too.
    expect((await get(srv.url, '/loki/api/v1/labels')).body).toEqual({ status: 'success', data: ['container', 'namespace', 'node', 'pod', 'process', 'service_name'] });
    expect((await get(srv.url, '/loki/api/v1/labels', { query: '{node="node-a"}' })).body.data).toEqual(['node', 'process', 'service_name']);
    const values = async (name: string, query: Record<string, string> = {}) => (await get(srv.url, `/loki/api/v1/label/${name}/values`, query)).body;
    expect(await values('namespace')).toEqual({ status: 'success', data: ['default', 'shop'] });
    expect((await values('node')).data).toEqual(['node-a']);
    expect((await values('pod')).data).toEqual(['api-1', 'db-0', 'web-1']);
    expect((await values('container', { query: '{namespace="shop", pod="api-1"}' })).data).toEqual(['app', 'istio']);
    expect((await values('namespace', { query: '{container="postgres"}' })).data).toEqual(['default']);
    expect((await values('process', { start: ns('2024-09-24T15:05:30Z'), end: ns('2024-09-24T16:00:00Z') })).data).toEqual(['containerd']);
    expect((await values('job')).data).toEqual([]);
  });

  it('lists series for match[] selectors (GET and form POST)', async () => {
    const q = { 'match[]': ['{namespace="shop", container!="istio"}', '{node="node-a"} |= "OOM"'], ...window };
    const res = await get(srv.url, '/loki/api/v1/series', q);
    // Pod names without hash suffixes are their own service_name; a process is a node stream's.
    expect(res.body).toEqual({
      status: 'success',
      data: [
        { ...APP, service_name: 'api-1' },
        { ...NGINX, service_name: 'web-1' },
        { node: 'node-a', process: 'kubelet', service_name: 'kubelet' },
      ],
    });
    expect((await postForm(srv.url, '/loki/api/v1/series', q)).body).toEqual(res.body);
    const none = await get(srv.url, '/loki/api/v1/series', window);
    expect(none.status).toBe(400);
    expect(none.body.error).toBe('missing parameter "match[]": at least one stream selector is required');
  });

  it('answers index/volume from file sizes', async () => {
    const res = await get(srv.url, '/loki/api/v1/index/volume', { query: '{namespace=~".+"}', ...window });
    expect(res.body).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { namespace: 'shop' }, value: [1727193600, String(FILES['pod/shop/2024-09-24_15.log']!.length)] },
          { metric: { namespace: 'default' }, value: [1727193600, String(FILES['pod/default/2024-09-24_15.log']!.length)] },
        ],
      },
    });
    const byLabel = await get(srv.url, '/loki/api/v1/index/volume', { query: '{namespace=~".+"}', ...window, aggregateBy: 'labels' });
    const total = FILES['pod/shop/2024-09-24_15.log']!.length + FILES['pod/default/2024-09-24_15.log']!.length;
    expect(byLabel.body.data.result).toEqual([{ metric: { namespace: '' }, value: [1727193600, String(total)] }]);
    // By a line label: the lines' message bytes (GET /cart 200, POST /cart 500 error, healthz).
    const lines = await get(srv.url, '/loki/api/v1/index/volume', { query: '{namespace="shop", pod="api-1"}', ...window });
    expect(lines.body.data.result).toEqual([{ metric: { namespace: 'shop', pod: 'api-1' }, value: [1727193600, String(13 + 20 + 7)] }]);
  });

  it('answers Arrow for streams too', async () => {
    const { tableFromIPC } = await import('apache-arrow');
    const u = new URL(`/loki/api/v1/query_range?${new URLSearchParams({ query: '{namespace="shop"}', ...window })}`, srv.url);
    const res = await fetch(u, { headers: { accept: 'application/vnd.apache.arrow.stream, application/json;q=0.5' } });
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.numRows).toBe(4);
    expect([...table.getChild('line')!]).toEqual(['healthz', 'GET / 200', 'POST /cart 500 error', 'GET /cart 200']);
  });

  it('answers /ready', async () => {
    const res = await get(srv.url, '/ready');
    expect([res.status, res.text]).toEqual([200, 'ready\n']);
  });
});

describe('metric results through a plugged-in evaluator', () => {
  let srv: FixtureServer;
  const seen: string[] = [];
  // A stand-in for the metric-queries issue's evaluator: answers fixed series.
  const evaluator: MetricEvaluator = async (_store, q) => {
    seen.push(`${q.evaluation.kind}:${q.expr.kind}`);
    if (q.evaluation.kind === 'instant') {
      return { result: { resultType: 'vector', series: [{ labels: { namespace: 'shop' }, samples: [[q.evaluation.timeNs, 2]] }, { labels: { namespace: 'default' }, samples: [[q.evaluation.timeNs, 1e21]] }] } };
    }
    const { startNs, stepNs } = q.evaluation;
    return { result: { resultType: 'matrix', series: [{ labels: {}, samples: [[startNs, 0.5], [startNs + stepNs!, NaN]] }] } };
  };
  beforeAll(async () => {
    srv = await serveFixture({ now: frozen(NOW), metricEvaluator: evaluator });
  });
  afterAll(() => srv.close());

  it('renders vector and matrix in both dialects', async () => {
    const q = 'sum by (namespace) (count_over_time({namespace=~".+"}[5m]))';
    const loki = await get(srv.url, '/loki/api/v1/query', { query: q, time: '1727193600' });
    expect(loki.status).toBe(200);
    expect(loki.body.data.resultType).toBe('vector');
    expect(loki.body.data.result).toEqual([
      { metric: { namespace: 'shop' }, value: [1727193600, '2'] },
      // Prometheus' jsonutil.MarshalFloat: exponent form from 1e21 (and below 1e-6), as the engine and CLI write it.
      { metric: { namespace: 'default' }, value: [1727193600, '1e+21'] },
    ]);
    expect(Object.keys(loki.body.data.stats).sort()).toEqual(['ingester', 'store', 'summary']);
    const range = await get(srv.url, '/api/v1/query_range', { query: 'count_over_time(pod{namespace="shop"}[5m])', start: '1727190000', end: '1727193600', step: '60' });
    expect(range.body).toEqual({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1727190000, '0.5'], [1727190060, 'NaN']] }] } });
    expect(seen).toEqual(['instant:AggregateExpr', 'range:Call']);
  });

  it('answers metric results as the contract\'s long Arrow table', async () => {
    const { tableFromIPC } = await import('apache-arrow');
    const u = new URL(`/api/v1/query?${new URLSearchParams({ query: 'count_over_time(pod{namespace="shop"}[5m])', time: '1727193600' })}`, srv.url);
    const res = await fetch(u, { headers: { accept: 'application/vnd.apache.arrow.stream' } });
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['namespace', 'time', 'value']);
    expect([...table.getChild('namespace')!]).toEqual(['shop', 'default']);
    expect([...table.getChild('value')!]).toEqual([2, 1e21]);
  });
});
