/**
 * Bad requests: each gets a 4xx JSON error naming the problem, and the server keeps serving.
 * Unknown parameters are ignored (as Prometheus and Loki ignore them). Also `/metrics`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, ns, serveFixture, type FixtureServer } from './fixture.js';
import { frozen, get, postRaw } from './helpers.js';

describe('bad input', () => {
  let srv: FixtureServer;
  beforeAll(async () => {
    srv = await serveFixture({ now: frozen(NOW), logLevel: 'silent' });
  });
  afterAll(() => srv.close());

  const s = ns('2024-09-24T15:00:00Z');
  const e = ns('2024-09-24T16:00:00Z');
  const cases: { name: string; path: string; query: Record<string, string>; status: number; error: string | RegExp }[] = [
    { name: 'missing query', path: '/api/v1/query', query: {}, status: 400, error: 'missing parameter "query"' },
    {
      name: 'malformed query (with its position)',
      path: '/api/v1/query',
      query: { query: 'pod{namespace="shop"} |= "a" "b"' },
      status: 400,
      error: /^1:30: unexpected string "\\"b\\""/,
    },
    { name: 'invalid regex (pointing into the pattern)', path: '/loki/api/v1/query_range', query: { query: '{namespace="shop"} |~ "a(b"', start: s, end: e }, status: 400, error: /^1:\d+: invalid regex "a\(b": /},
    { name: 'unknown label', path: '/api/v1/query', query: { query: 'pod{namespace="shop", app="x"}' }, status: 400, error: /unknown label "app" for log type pod, expected one of: namespace, pod, container/ },
    { name: 'a Loki selector naming no log type', path: '/loki/api/v1/query_range', query: { query: '{job="varlogs"}' }, status: 400, error: /cannot tell pod logs from node logs in \{job\}/ },
    { name: 'pod and node labels mixed', path: '/loki/api/v1/query_range', query: { query: '{namespace="a", node="b"}' }, status: 400, error: /cannot mix pod labels/ },
    { name: 'a bad Lethe time', path: '/api/v1/query_range', query: { query: 'pod{namespace="shop"}', start: 'yesterday', end: NOW }, status: 400, error: /^invalid parameter "start": "yesterday": expected RFC 3339/ },
    { name: 'a missing range end', path: '/api/v1/query_range', query: { query: 'pod{namespace="shop"}', start: NOW }, status: 400, error: 'missing parameter "end"' },
    { name: 'start after end (Lethe)', path: '/api/v1/query_range', query: { query: 'pod{namespace="shop"}', start: '1727193600', end: '1727190000' }, status: 400, error: 'invalid parameter "end": end timestamp must not be before start time' },
    { name: 'start after end (Loki)', path: '/loki/api/v1/query_range', query: { query: '{namespace="shop"}', start: e, end: s }, status: 400, error: 'invalid parameter "end": end timestamp must not be before or equal to start time' },
    { name: 'a bad Loki time', path: '/loki/api/v1/query_range', query: { query: '{namespace="shop"}', start: '15:00' }, status: 400, error: /^invalid parameter "start": cannot parse "15:00"/ },
    { name: 'a bad relative time', path: '/loki/api/v1/query_range', query: { query: '{namespace="shop"}', start: 'now-fortnight' }, status: 400, error: /^invalid parameter "start": "fortnight": expected a duration/ },
    { name: 'a zero limit', path: '/loki/api/v1/query_range', query: { query: '{namespace="shop"}', limit: '0' }, status: 400, error: 'invalid parameter "limit": "0" is not a positive integer' },
    { name: 'a bad direction', path: '/loki/api/v1/query_range', query: { query: '{namespace="shop"}', direction: 'sideways' }, status: 400, error: 'invalid parameter "direction": "sideways", expected forward or backward' },
    { name: 'a bad step', path: '/api/v1/query_range', query: { query: 'pod{namespace="shop"}', start: s.slice(0, 10), end: e.slice(0, 10), step: '-5' }, status: 400, error: /^invalid parameter "step"/ },
    { name: 'an unknown route', path: '/api/v1/status/nosuch', query: {}, status: 404, error: 'no route GET /api/v1/status/nosuch' },
  ];
  for (const c of cases) {
    it(`answers ${c.name} with ${c.status}`, async () => {
      const res = await get(srv.url, c.path, c.query);
      expect(res.status).toBe(c.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.status).toBe('error');
      if (typeof c.error === 'string') expect(res.body.error).toBe(c.error);
      else expect(res.body.error).toMatch(c.error);
      expect((await get(srv.url, '/-/healthy')).status).toBe(200);
    });
  }

  it('answers a malformed JSON body with 400', async () => {
    const res = await postRaw(srv.url, '/api/v1/query', '{"query": ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.errorType).toBe('bad_data');
  });

  it('ignores unknown parameters, as Prometheus and Loki do', async () => {
    const base = { query: '{namespace="shop"}', start: s, end: e };
    const plain = await get(srv.url, '/loki/api/v1/query_range', base);
    const extra = await get(srv.url, '/loki/api/v1/query_range', { ...base, refId: 'A', foo: 'bar', interval: '10s' });
    expect(extra.status).toBe(200);
    expect(extra.body.data.result).toEqual(plain.body.data.result);
  });

  it('exposes /metrics in the Prometheus text format', async () => {
    await get(srv.url, '/api/v1/query', { query: 'pod{namespace="shop"}', time: '2024-09-24T15:00:30Z' });
    const res = await get(srv.url, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = res.text;
    // Every line is a comment or `name{labels} value`.
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.eENaInf]+)$/);
    for (const name of ['letheql_http_requests_total', 'letheql_query_duration_seconds', 'letheql_query_bytes_scanned_total', 'letheql_query_lines_scanned_total', 'letheql_ingest_lines_total', 'letheql_ingest_bytes_total', 'letheql_queries_active']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/^letheql_http_requests_total\{code="400",method="GET",route="\/api\/v1\/query"\} [1-9]\d*$/m);
    expect(text).toMatch(/^letheql_http_requests_total\{code="404",method="GET",route="unmatched"\} 1$/m);
    expect(text).toMatch(/^letheql_query_duration_seconds_bucket\{endpoint="\/api\/v1\/query",le="\+Inf"\} [1-9]\d*$/m);
    expect(text).toMatch(/^letheql_query_bytes_scanned_total [1-9]\d*$/m);
    expect(text).toMatch(/^letheql_queries_active 0$/m);
  });
});
