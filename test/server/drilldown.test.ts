/**
 * The Loki routes Grafana's Explore and Logs Drilldown call, over fixtures/store with a
 * server on 127.0.0.1. The requests are the ones Grafana sends:
 * - `detected_labels` and `detected_fields` with RFC 3339 millisecond times and the query
 *   `{service_name="…"}     | json  | logfmt | drop __error__, __error_details__ ` — copied
 *   from the request log in grafana/logs-drilldown issue #1640 ("Log volume has not been
 *   configured", https://github.com/grafana/logs-drilldown/issues/1640);
 * - `line_limit=1000` on detected fields (grafana/logs-drilldown pull request #525,
 *   "feat(detected-fields): use `1000` as the `line_limit`");
 * - the endpoint list (`index/volume`, `volume_range`, `detected_labels`, `detected_fields`,
 *   `patterns`) from metrico/gigapipe issue #611 ("Support Grafana Explore Logs Plugin"),
 *   and `index/volume` with `targetLabels`/`aggregateBy` from Loki's HTTP API reference.
 * Expected numbers are computed here from the fixture's bytes, independently of the server.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { appOfPod } from '../../src/server/service-name.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { frozen, get, postForm, start, type Running } from './helpers.js';

/** Every pod line of the fixture: namespace, pod, container, message. */
const POD_LINES = readdirSync(join(FIXTURE_STORE, 'pod')).flatMap((ns) =>
  readdirSync(join(FIXTURE_STORE, 'pod', ns)).flatMap((f) =>
    readFileSync(join(FIXTURE_STORE, 'pod', ns, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const m = /^\S+?\[([^|]*)\|([^|]*)\|([^\]]*)\] (.*)$/s.exec(l.replace(/\r$/, ''))!;
        return { namespace: m[1]!, pod: m[2]!, container: m[3]!, msg: m[4]! };
      }),
  ),
);
const bytes = (ls: { msg: string }[]) => ls.reduce((n, l) => n + Buffer.byteLength(l.msg), 0);
const API = POD_LINES.filter((l) => l.namespace === 'shop' && l.pod.startsWith('api-7d9f8b6c5-'));
const API_JSON = API.filter((l) => l.container === 'api').map((l) => JSON.parse(l.msg) as Record<string, unknown>);

// Grafana sends RFC 3339 with milliseconds (issue #1640).
const W = { start: '2024-09-24T13:00:00.000Z', end: '2024-09-24T16:00:00.000Z' };
const DRILLDOWN_FIELDS_QUERY = (svc: string) => `{service_name="${svc}"}     | json  | logfmt | drop __error__, __error_details__ `;

describe('Grafana Explore and Logs Drilldown routes', () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await start({ store: openStore(FIXTURE_STORE, { workers: 0 }), now: frozen('2024-09-24T16:00:00Z'), logLevel: 'silent' });
  });
  afterAll(() => srv.close());

  it('lists services: label values and index/volume by service_name', async () => {
    const values = await get(srv.url, '/loki/api/v1/label/service_name/values', W);
    expect(values.body).toEqual({
      status: 'success',
      data: ['api', 'checkout', 'containerd', 'coredns', 'dockerd', 'etcd-cp-1', 'frontend', 'hello', 'kernel', 'kube-apiserver-cp-1', 'kube-controller-manager-cp-1', 'kube-proxy', 'kube-scheduler-cp-1', 'kubelet', 'nginx', 'payment', 'systemd', 'win-agent'],
    });
    const vol = await get(srv.url, '/loki/api/v1/index/volume', { query: '{service_name=~".+"}', ...W, limit: '5000', targetLabels: 'service_name', aggregateBy: 'series' });
    expect(vol.status).toBe(200);
    const byService = Object.fromEntries(vol.body.data.result.map((r: { metric: { service_name: string }; value: [number, string] }) => [r.metric.service_name, Number(r.value[1])]));
    expect(byService['api']).toBe(bytes(API));
    expect(byService['kube-proxy']).toBe(bytes(POD_LINES.filter((l) => /^kube-proxy-[a-z0-9]{5}$/.test(l.pod))));
    expect(vol.body.data.result[0].value[0]).toBe(1727193600);
    // Largest first.
    const sizes = vol.body.data.result.map((r: { value: [number, string] }) => Number(r.value[1]));
    expect(sizes).toEqual([...sizes].sort((a: number, b: number) => b - a));
  });

  it.each([
    ['{namespace=~".+"}', 'pod'],
    ['{node=~".+"}', 'process'],
  ])('groups %s by (service_name) as label values name it: pods by workload, node logs by process', async (sel, source) => {
    const q = (by: string) => ({ query: `sum by (${by}) (count_over_time(${sel}[3h]))`, time: W.end });
    const bySource = (await get(srv.url, '/loki/api/v1/query', q(source))).body.data.result as { metric: Record<string, string>; value: [number, string] }[];
    const want: Record<string, number> = {};
    for (const r of bySource) {
      const svc = source === 'pod' ? appOfPod(r.metric[source]!) : r.metric[source]!;
      want[svc] = (want[svc] ?? 0) + Number(r.value[1]);
    }
    const res = await get(srv.url, '/loki/api/v1/query', q('service_name'));
    expect(res.status).toBe(200);
    const got = Object.fromEntries((res.body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => [r.metric['service_name'], Number(r.value[1])]));
    expect(got).toEqual(want);
    if (source === 'pod') {
      // Every fixture pod: a Deployment's (ReplicaSet and pod hashes), a DaemonSet's (pod hash only), a static pod's (none).
      expect(Object.keys(got)).toEqual(expect.arrayContaining(['api', 'kube-proxy', 'etcd-cp-1']));
      const values = (await get(srv.url, '/loki/api/v1/label/service_name/values', W)).body.data as string[];
      expect(values).toEqual(expect.arrayContaining(Object.keys(got)));
    }
  });

  it('selects by service_name in query_range', async () => {
    const res = await get(srv.url, '/loki/api/v1/query_range', { query: '{service_name="api"}', ...W, limit: '5000' });
    const n = res.body.data.result.reduce((k: number, s: { values: unknown[] }) => k + s.values.length, 0);
    expect(n).toBe(API.length);
    const notApi = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="shop", service_name!="api"}', ...W, limit: '5000' });
    expect(notApi.body.data.result.reduce((k: number, s: { values: unknown[] }) => k + s.values.length, 0)).toBe(POD_LINES.filter((l) => l.namespace === 'shop').length - API.length);
  });

  it('detected_labels (request of issue #1640)', async () => {
    const res = await get(srv.url, '/loki/api/v1/detected_labels', { end: W.end, query: '{service_name="api"}', start: W.start });
    expect(res.body).toEqual({
      detectedLabels: [
        { label: 'container', cardinality: 2 },
        { label: 'namespace', cardinality: 1 },
        { label: 'pod', cardinality: 2 },
        { label: 'service_name', cardinality: 1 },
      ],
    });
  });

  it('detected_fields: JSON keys with types, cardinality and parser, and detected_level', async () => {
    const res = await get(srv.url, '/loki/api/v1/detected_fields', { end: W.end, query: DRILLDOWN_FIELDS_QUERY('api'), start: W.start, line_limit: '1000' });
    expect(res.status).toBe(200);
    expect(res.body.limit).toBe(1000);
    const field = (name: string) => res.body.fields.find((f: { label: string }) => f.label === name);
    expect(field('level')).toEqual({ label: 'level', type: 'string', cardinality: new Set(API_JSON.map((j) => j['level'])).size, parsers: ['json'] });
    expect(field('caller')).toEqual({ label: 'caller', type: 'string', cardinality: new Set(API_JSON.map((j) => j['caller'])).size, parsers: ['json'] });
    const retries = API_JSON.filter((j) => j['retry'] !== undefined);
    expect(retries.length).toBeGreaterThan(0);
    expect(field('retry')).toMatchObject({ type: 'int', cardinality: new Set(retries.map((j) => j['retry'])).size });
    expect(field('detected_level')).toMatchObject({ type: 'string', parsers: null });
    // Envoy's access log is neither JSON nor logfmt: no junk keys from its URLs.
    expect(res.body.fields.every((f: { label: string }) => /^[A-Za-z_]\w*$/.test(f.label))).toBe(true);
  });

  it('detected_field/<name>/values', async () => {
    const res = await get(srv.url, '/loki/api/v1/detected_field/level/values', { end: W.end, query: DRILLDOWN_FIELDS_QUERY('api'), start: W.start, line_limit: '1000' });
    expect(res.body).toEqual({ values: [...new Set(API_JSON.map((j) => String(j['level'])))].sort() });
    expect((await get(srv.url, '/loki/api/v1/detected_field/nosuch/values', { query: '{service_name="api"}', ...W })).body).toEqual({ values: [] });
  });

  it('index/stats', async () => {
    const res = await postForm(srv.url, '/loki/api/v1/index/stats', { query: '{service_name="api"}', ...W });
    expect(res.body).toEqual({ streams: 4, chunks: 3, entries: API.length, bytes: bytes(API) });
  });

  it('index/volume_range by detected_level splits the volume by level', async () => {
    const res = await get(srv.url, '/loki/api/v1/index/volume_range', { query: '{service_name="api", container="api"}', ...W, step: '3600', targetLabels: 'detected_level', aggregateBy: 'series' });
    expect(res.body.data.resultType).toBe('matrix');
    const total = (lvl: string) =>
      res.body.data.result.find((r: { metric: Record<string, string> }) => r.metric['detected_level'] === lvl)?.values.reduce((n: number, [, v]: [number, string]) => n + Number(v), 0) ?? 0;
    const apiLines = API.filter((l) => l.container === 'api');
    for (const lvl of ['info', 'warn', 'error']) expect(total(lvl), lvl).toBe(bytes(apiLines.filter((l) => (JSON.parse(l.msg) as { level: string }).level === lvl)));
    expect(res.body.data.result[0].values.map(([t]: [number]) => t)).toEqual([1727182800, 1727186400, 1727190000]);
  });

  it('index/volume_range by service_name, one point per step', async () => {
    const res = await get(srv.url, '/loki/api/v1/index/volume_range', { query: '{namespace="shop"}', ...W, step: '1h', targetLabels: 'service_name' });
    const api = res.body.data.result.find((r: { metric: Record<string, string> }) => r.metric['service_name'] === 'api');
    expect(api.values.reduce((n: number, [, v]: [number, string]) => n + Number(v), 0)).toBe(bytes(API));
    expect(api.values).toHaveLength(3);
  });

  // Explore's logs-volume query shape, `sum by (level, detected_level) (count_over_time({…}[…]))`,
  // as listed in ReliablyObserve/loki-vl-proxy pull request #580 (a Loki-compatible proxy's test table).
  it.each([
    'sum by (level, detected_level) (count_over_time({service_name="api", container="api"} | drop __error__ [1h]))',
    'sum by (detected_level) (count_over_time({service_name="api", container="api"}[1h]))',
  ])('a metric query by detected_level splits by level: %s', async (query) => {
    const res = await get(srv.url, '/loki/api/v1/query_range', { query, ...W, step: '3600' });
    expect(res.status).toBe(200);
    const got = Object.fromEntries(
      res.body.data.result.map((r: { metric: Record<string, string>; values: [number, string][] }) => [r.metric['detected_level'], r.values.reduce((n, [, v]) => n + Number(v), 0)]),
    );
    // (t-1h, t] at 13:00, 14:00, 15:00, 16:00: every api line of the window.
    const apiLines = POD_LINES.filter((l) => l.namespace === 'shop' && l.container === 'api');
    const want: Record<string, number> = {};
    for (const l of apiLines) {
      const lvl = (JSON.parse(l.msg) as { level: string }).level;
      want[lvl] = (want[lvl] ?? 0) + 1;
    }
    expect(got).toEqual(want);
  });

  it('a label filter on detected_level', async () => {
    const res = await get(srv.url, '/loki/api/v1/query_range', { query: '{service_name="api", container="api"} | detected_level="error"', ...W, limit: '5000' });
    const n = res.body.data.result.reduce((k: number, s: { values: unknown[] }) => k + s.values.length, 0);
    expect(n).toBe(API_JSON.filter((j) => j['level'] === 'error').length);
  });

  it('patterns: Drain templates whose counts add up to the matched lines', async () => {
    const res = await get(srv.url, '/loki/api/v1/patterns', { query: '{service_name="checkout"}', ...W, step: '1h' });
    expect(res.body.status).toBe('success');
    const checkout = POD_LINES.filter((l) => l.container === 'checkout');
    const counts = res.body.data.map((p: { samples: [number, number][] }) => p.samples.reduce((n, [, c]) => n + c, 0));
    expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(checkout.length);
    const orders = res.body.data.find((p: { pattern: string }) => p.pattern.includes('CheckoutController : order <_> placed'));
    expect(orders.samples.reduce((n: number, [, c]: [number, number]) => n + c, 0)).toBe(checkout.filter((l) => /CheckoutController\s+: order \d+ placed /.test(l.msg)).length);
    for (const p of res.body.data) for (const [t] of p.samples) expect([1727182800, 1727186400, 1727190000]).toContain(t);
  });

  it('drilldown-limits, buildinfo, format_query', async () => {
    const limits = await get(srv.url, '/loki/api/v1/drilldown-limits');
    expect(limits.body).toMatchObject({ limits: { volume_enabled: true, discover_log_levels: true, max_entries_limit_per_query: 5000 }, pattern_ingester_enabled: true });
    const info = await get(srv.url, '/loki/api/v1/status/buildinfo');
    expect(info.body.version).toMatch(/^3\.\d+\.\d+$/);
    const f = await get(srv.url, '/loki/api/v1/format_query', { query: '{service_name="api"}|="x"' });
    expect(f.body).toEqual({ status: 'success', data: '{service_name="api"} |= "x"' });
  });

  it.each([
    { path: '/loki/api/v1/detected_fields', q: W, msg: 'missing parameter "query"' },
    { path: '/loki/api/v1/detected_fields', q: { query: '{service_name="api"}', line_limit: '9999999' }, msg: 'line_limit' },
    { path: '/loki/api/v1/index/volume', q: { query: '{namespace="shop"}', targetLabels: 'job' }, msg: 'targetLabels' },
    { path: '/loki/api/v1/index/volume_range', q: { query: '{namespace="shop"}', step: '-1s' }, msg: 'step' },
    { path: '/loki/api/v1/patterns', q: { query: 'sum(count_over_time({namespace="shop"}[1m]))' }, msg: 'stream selector' },
    { path: '/loki/api/v1/index/stats', q: { query: '{namespace="shop"', ...W }, msg: '' },
  ])('400 for $path $q', async ({ path, q, msg }) => {
    const res = await get(srv.url, path, q as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(msg);
  });
});

describe('service_name rules', () => {
  it('container: service_name is the container (and the config refuses an unknown rule)', async () => {
    const srv = await start({ store: openStore(FIXTURE_STORE, { workers: 0 }), now: frozen('2024-09-24T16:00:00Z'), logLevel: 'silent', serviceName: 'container' });
    try {
      const res = await get(srv.url, '/loki/api/v1/query_range', { query: '{service_name="istio-proxy"}', ...W, limit: '5000' });
      const n = res.body.data.result.reduce((k: number, s: { values: unknown[] }) => k + s.values.length, 0);
      expect(n).toBe(POD_LINES.filter((l) => l.container === 'istio-proxy').length);
      const values = await get(srv.url, '/loki/api/v1/label/service_name/values', { query: '{namespace="shop"}', ...W });
      expect(values.body.data).toEqual(['api', 'checkout', 'istio-proxy', 'nginx', 'payment']);
    } finally {
      await srv.close();
    }
    const { parseServerConfig } = await import('../../src/server/config.js');
    expect(parseServerConfig({ serviceName: 'container' }).serviceName).toBe('container');
    expect(() => parseServerConfig({ serviceName: 'job' })).toThrow('serviceName must be one of app, container');
  });

  it.each([
    ['api-7d9f8b6c5-x2k4p', 'api'],
    ['kube-proxy-8mxwz', 'kube-proxy'],
    ['etcd-cp-1', 'etcd-cp-1'],
    ['coredns-5d78c9869d-7rbnh', 'coredns'],
  ])('app: pod %s is service %s, and the selector built for it matches the pod exactly', async (pod, app) => {
    const { appOfPod, sourceMatcher } = await import('../../src/server/service-name.js');
    expect(appOfPod(pod)).toBe(app);
    const m = sourceMatcher({ kind: 'LabelMatcher', name: 'service_name', op: '=', value: app, span: { start: 0, end: 0 }, valueSpan: { start: 0, end: 0 } } as never, 'pod', 'app');
    const re = new RegExp(`^(?:${m.value})$`);
    for (const other of ['api-7d9f8b6c5-x2k4p', 'kube-proxy-8mxwz', 'etcd-cp-1', 'coredns-5d78c9869d-7rbnh', 'kube-apiserver-cp-1']) expect(re.test(other), other).toBe(appOfPod(other) === app);
  });
});
