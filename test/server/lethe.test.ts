/**
 * The Lethe/Prometheus dialect against Lethe's own test store, clock frozen at
 * 2009-11-10T23:00:00Z, compared with the bodies of Lethe's handler tests
 * (kuoss/lethe handler/*_test.go). Where we differ on purpose (contract §4, README):
 * errors are 400 `bad_data` with our messages instead of 500 `queryError`; rows are in time
 * order (Lethe returns file order); and this fixture copy says "lorem" where Lethe's says "lerom".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type LogStore } from '../../src/node.js';
import { HAS_SHARED, LETHE_STORE, SHARED_REASON } from '../support/paths.js';
import { frozen, get, LETHE_NOW, postForm, start, type Running } from './helpers.js';

const NGINX01 = { namespace: 'namespace01', pod: 'nginx-deployment-75675f5897-7ci7o' };
const APACHE01 = { namespace: 'namespace01', pod: 'apache-75675f5897-7ci7o', container: 'httpd' };
const t = (hm: string) => `2009-11-10T${hm}:00.000000Z`;
const row = (time: string, labels: Record<string, string>, log: string) => ({ time: t(time), ...labels, log });

const NOW_UNIX = String(Date.parse(LETHE_NOW) / 1000);
const AGO_10D_UNIX = String(Date.parse(LETHE_NOW) / 1000 - 240 * 3600);

describe.skipIf(!HAS_SHARED)(`Lethe dialect on Lethe's test store${HAS_SHARED ? '' : ` (skipped: ${SHARED_REASON})`}`, () => {
  let store: LogStore;
  let srv: Running;
  beforeAll(async () => {
    store = openStore(LETHE_STORE, { workers: 0 });
    // No storeDir: nothing may ever write into the shared fixture.
    srv = await start({ store, now: frozen(LETHE_NOW), push: { enabled: false } });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
  });

  it('answers the probes with Lethe\'s bodies', async () => {
    const healthy = await get(srv.url, '/-/healthy');
    expect([healthy.status, healthy.text]).toEqual([200, 'Venti is Healthy.\n']);
    const ready = await get(srv.url, '/-/ready');
    expect([ready.status, ready.text]).toEqual([200, 'Venti is Ready.\n']);
  });

  // TestQuery: /api/v1/query at now covers [now-1m, now].
  const instant: { query: string; want: unknown[] }[] = [
    { query: 'pod{namespace="namespace01"}', want: [row('22:59', { ...NGINX01, container: 'nginx' }, 'lorem ipsum'), row('22:59', { ...NGINX01, container: 'nginx' }, 'hello world')] },
    { query: 'pod{namespace="namespace01"} |= "ipsum"', want: [row('22:59', { ...NGINX01, container: 'nginx' }, 'lorem ipsum')] },
    { query: 'node{node="node01",process!="kubelet"} |= "hello" != "sidecar"', want: [row('23:00', { node: 'node01', process: 'containerd' }, 'hello world')] },
  ];
  for (const c of instant) {
    it(`query ${c.query}`, async () => {
      const res = await get(srv.url, '/api/v1/query', { query: c.query });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ status: 'success', data: { resultType: 'logs', result: c.want } });
      // Keys in Lethe's order: time, labels, log.
      expect(Object.keys(res.body.data.result[0])).toEqual(Object.keys(c.want[0] as object));
    });
  }

  it('query takes an explicit time (Unix seconds or RFC 3339)', async () => {
    const a = await get(srv.url, '/api/v1/query', { query: 'pod{namespace="namespace01"}', time: String(Date.parse('2009-11-10T21:01:30Z') / 1000) });
    const b = await get(srv.url, '/api/v1/query', { query: 'pod{namespace="namespace01"}', time: '2009-11-10T21:01:30Z' });
    expect(a.body.data.result).toEqual([row('21:01', { ...NGINX01, container: 'nginx' }, 'hello world')]);
    expect(b.body).toEqual(a.body);
  });

  // TestQueryRange: [now-10d, now], rows in time order (ties in store order).
  const range: { query: string; want: unknown[] }[] = [
    {
      query: 'pod{namespace="namespace01"}',
      want: [
        row('21:00', { ...NGINX01, container: 'nginx' }, 'hello world'),
        row('21:01', { ...NGINX01, container: 'nginx' }, 'hello world'),
        row('21:02', { ...NGINX01, container: 'nginx' }, 'hello world'),
        ...Array(3).fill(row('22:56', APACHE01, 'hello from sidecar')),
        ...Array(3).fill(row('22:57', APACHE01, 'hello from sidecar')),
        row('22:58', { ...NGINX01, container: 'sidecar' }, 'hello from sidecar'),
        row('22:58', { ...NGINX01, container: 'sidecar' }, 'lorem from sidecar'),
        row('22:58', { ...NGINX01, container: 'sidecar' }, 'hello from sidecar'),
        row('22:59', { ...NGINX01, container: 'nginx' }, 'lorem ipsum'),
        row('22:59', { ...NGINX01, container: 'nginx' }, 'hello world'),
      ],
    },
    { query: 'pod{namespace="namespace01"} |= "ipsum"', want: [row('22:59', { ...NGINX01, container: 'nginx' }, 'lorem ipsum')] },
    {
      query: 'node{node="node01",process!="kubelet"} |= "hello" != "sidecar"',
      want: [row('22:59', { node: 'node01', process: 'containerd' }, 'hello world'), row('23:00', { node: 'node01', process: 'containerd' }, 'hello world')],
    },
  ];
  for (const c of range) {
    it(`query_range ${c.query} (GET and form POST)`, async () => {
      const params = { query: c.query, start: AGO_10D_UNIX, end: NOW_UNIX };
      const viaGet = await get(srv.url, '/api/v1/query_range', params);
      expect(viaGet.status).toBe(200);
      expect(viaGet.body).toEqual({ status: 'success', data: { resultType: 'logs', result: c.want } });
      const viaPost = await postForm(srv.url, '/api/v1/query_range', params);
      expect(viaPost.body).toEqual(viaGet.body);
      const rfc = await get(srv.url, '/api/v1/query_range', { query: c.query, start: '2009-10-31T23:00:00Z', end: LETHE_NOW });
      expect(rfc.body).toEqual(viaGet.body);
    });
  }

  // Lethe answers these with 500 `queryError`; we answer 400 `bad_data` (contract §4).
  const bad: { query: string; error: RegExp }[] = [
    { query: 'hello', error: /^1:1: unknown log type "hello", expected pod or node$/ },
    { query: 'pod', error: /^1:1: log type pod needs a matcher on its target label "namespace"/ },
    { query: 'pod{}', error: /^1:1: / },
  ];
  for (const c of bad) {
    it(`rejects ${c.query} with 400 bad_data`, async () => {
      for (const [path, extra] of [
        ['/api/v1/query', {}],
        ['/api/v1/query_range', { start: AGO_10D_UNIX, end: NOW_UNIX }],
      ] as const) {
        const res = await get(srv.url, path, { query: c.query, ...extra });
        expect(res.status).toBe(400);
        expect(res.body.status).toBe('error');
        expect(res.body.errorType).toBe('bad_data');
        expect(res.body.error).toMatch(c.error);
        expect(Object.keys(res.body).sort()).toEqual(['error', 'errorType', 'status']);
      }
    });
  }

  it('lists metadata targets as Lethe does (node first)', async () => {
    const res = await get(srv.url, '/api/v1/metadata');
    expect(res.body).toEqual({
      status: 'success',
      data: { targets: ['node{node="node01"}', 'node{node="node02"}', 'pod{namespace="namespace01"}', 'pod{namespace="namespace02"}'] },
    });
  });

  it('lists active targets with Lethe\'s lastScrape', async () => {
    const res = await get(srv.url, '/api/v1/targets');
    expect(res.body).toEqual({
      status: 'success',
      data: {
        activeTargets: [
          { discoveredLabels: { __meta_kubernetes_node_name: 'node01', job: 'node' }, health: 'up', lastScrape: '2009-11-10T23:00:00Z' },
          { discoveredLabels: { __meta_kubernetes_node_name: 'node02', job: 'node' }, health: 'up', lastScrape: '2009-11-10T21:58:00Z' },
          { discoveredLabels: { __meta_kubernetes_namespace: 'namespace01', job: 'pod' }, health: 'up', lastScrape: '2009-11-10T23:00:00Z' },
          { discoveredLabels: { __meta_kubernetes_namespace: 'namespace02', job: 'pod' }, health: 'up', lastScrape: '2009-11-10T22:58:00Z' },
        ],
      },
    });
  });

  it('caps answers at maxLines with a warning, and refuses a larger limit', async () => {
    const capped = await start({ store, now: frozen(LETHE_NOW), push: { enabled: false }, limits: { maxLines: 4 } });
    try {
      const res = await get(capped.url, '/api/v1/query_range', { query: 'pod{namespace="namespace01"}', start: AGO_10D_UNIX, end: NOW_UNIX });
      expect(res.status).toBe(200);
      expect(res.body.data.result.map((r: { time: string }) => r.time)).toEqual([t('21:00'), t('21:01'), t('21:02'), t('22:56')]);
      expect(res.body.warnings).toEqual([
        "result truncated: 14 lines matched, the oldest 4 are returned (the server's limit maxLines=4); narrow the time range or add filters",
      ]);
      const two = await get(capped.url, '/api/v1/query_range', { query: 'pod{namespace="namespace01"}', start: AGO_10D_UNIX, end: NOW_UNIX, limit: '2' });
      expect(two.body.data.result).toHaveLength(2);
      const over = await get(capped.url, '/api/v1/query_range', { query: 'pod{namespace="namespace01"}', start: AGO_10D_UNIX, end: NOW_UNIX, limit: '5' });
      expect(over.status).toBe(400);
      expect(over.body.error).toContain('maxLines=4');
    } finally {
      await capped.close();
    }
  });

  it('answers an Arrow IPC stream when asked', async () => {
    const { tableFromIPC } = await import('apache-arrow');
    const res = await fetch(new URL(`/api/v1/query_range?${new URLSearchParams({ query: 'pod{namespace="namespace01"} |= "ipsum"', start: AGO_10D_UNIX, end: NOW_UNIX })}`, srv.url), {
      headers: { accept: 'application/vnd.apache.arrow.stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['time', 'namespace', 'pod', 'container', 'line', 'time_raw']);
    expect(table.numRows).toBe(1);
    expect(table.getChild('line')!.get(0)).toBe('lorem ipsum');
    expect(table.getChild('time')!.toArray()).toEqual(BigInt64Array.of(1257893940000000000n));
    expect(JSON.parse(table.schema.metadata.get('letheql.stats')!).rowsReturned).toBe(1);
  });
});
