/**
 * The Prometheus dialect for clients: Debian's real `promtool` (package `prometheus`)
 * against `letheql serve` started in-process on 127.0.0.1 over fixtures/store, and the
 * label/series/status routes over HTTP, from the layout with sidecars and by a scan without.
 * Expected values come from the fixture's documented facts (fixtures/README.md).
 */
import { execFile } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runServe } from '../../src/cli/serve.js';
import { openStore } from '../../src/node.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { deferred, get, postForm, start, tempDir, type Running } from './helpers.js';

const run = promisify(execFile);
const PROMTOOL = await run('promtool', ['--version']).then(
  () => 'promtool',
  () => null,
);
const WINDOW = ['--start=2024-09-24T13:00:00Z', '--end=2024-09-24T16:00:00Z'];
const RANGE = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };

const SHOP_PODS = ['api-7d9f8b6c5-m8n3r', 'api-7d9f8b6c5-x2k4p', 'checkout-6f8d7c9b4-j7wqs', 'frontend-84c6b7f9d-t5vzh', 'payment-5b7c8d9f6-h3kdp'];

describe.skipIf(PROMTOOL === null)('promtool against letheql serve (skipped: promtool not installed; apt-get install prometheus)', () => {
  let base = '';
  const stop = new AbortController();
  let exit: Promise<number>;
  beforeAll(async () => {
    const url = deferred<string>();
    const sink = new PassThrough().resume();
    exit = runServe(['--store', FIXTURE_STORE, '--listen', '127.0.0.1:0', '--workers', '0'], { stdout: sink, stderr: sink, env: {} }, stop.signal, url.resolve);
    base = await url.promise;
  });
  afterAll(async () => {
    stop.abort();
    expect(await exit).toBe(0);
  });
  const promtool = async (...args: string[]) => (await run(PROMTOOL!, ['query', ...args])).stdout;

  it.each([
    { args: ['namespace'], want: ['default', 'kube-system', 'shop'] },
    { args: ['node'], want: ['node-a', 'node-b'] },
    { args: ['__name__'], want: ['node', 'pod'] },
    { args: ['pod', '--match={namespace="shop"}'], want: SHOP_PODS },
    { args: ['pod', '--match=pod{namespace="shop", container="api"}'], want: SHOP_PODS.slice(0, 2) },
    { args: ['process', '--match={node="node-b"}'], want: ['containerd', 'dockerd', 'kernel', 'kubelet', 'systemd'] },
  ])('query labels $args', async ({ args, want }) => {
    const out = await promtool('labels', base, ...args, ...WINDOW);
    expect(out.trim().split('\n')).toEqual(want);
  });

  it('query labels outside the data: nothing', async () => {
    const out = await promtool('labels', base, 'namespace', '--start=2020-01-01T00:00:00Z', '--end=2020-01-02T00:00:00Z');
    expect(out.trim()).toBe('');
  });

  it('query series: one per stream, __name__ the log type', async () => {
    const out = await promtool('series', base, '--match={node="node-a"}', '--match=pod{namespace="shop", container="istio-proxy"}', ...WINDOW);
    expect(out.trim().split('\n')).toEqual([
      '{__name__="node", node="node-a", process="containerd"}',
      '{__name__="node", node="node-a", process="kernel"}',
      '{__name__="node", node="node-a", process="kubelet"}',
      '{__name__="node", node="node-a", process="systemd"}',
      '{__name__="pod", container="istio-proxy", namespace="shop", pod="api-7d9f8b6c5-m8n3r"}',
      '{__name__="pod", container="istio-proxy", namespace="shop", pod="api-7d9f8b6c5-x2k4p"}',
    ]);
  });

  it('query instant: a Loki-style selector without a log type', async () => {
    // (t-3h, t] leaves out shop's line at exactly 13:00:00: 539 of its 540.
    const out = await promtool('instant', base, 'sum by (namespace) (count_over_time({namespace=~".+"}[3h]))', '--time=2024-09-24T16:00:00Z');
    expect(out.trim().split('\n')).toEqual(['{namespace="default"} => 296 @[1727193600]', '{namespace="kube-system"} => 204 @[1727193600]', '{namespace="shop"} => 539 @[1727193600]']);
  });

  it('query range: 180 shop lines an hour', async () => {
    const out = await promtool('range', base, 'sum(count_over_time({namespace="shop"}[1h]))', '--start=2024-09-24T14:00:00Z', '--end=2024-09-24T16:00:00Z', '--step=1h');
    expect(out.trim().split('\n')).toEqual(['{} =>', '180 @[1727186400]', '180 @[1727190000]', '179 @[1727193600]']);
  });

  // service_name (derived from the pod name: the workload's) in by/without, through promtool.
  // The expected split is written out by hand from SHOP_PODS, not computed by the server's rule.
  it('query instant: sum by (service_name), and without (service_name)', async () => {
    const store = openStore(FIXTURE_STORE, { workers: 0 });
    const { result } = await store.queryMetric('sum by (pod) (count_over_time(pod{namespace="shop"}[3h]))', { end: '2024-09-24T16:00:00Z' });
    await store.close();
    const byPod = Object.fromEntries(result.series.map((r) => [r.labels['pod']!, Number(r.samples[0]![1])]));
    const app: Record<string, string> = { 'api-7d9f8b6c5-m8n3r': 'api', 'api-7d9f8b6c5-x2k4p': 'api', 'checkout-6f8d7c9b4-j7wqs': 'checkout', 'frontend-84c6b7f9d-t5vzh': 'frontend', 'payment-5b7c8d9f6-h3kdp': 'payment' };
    expect(Object.keys(byPod).sort()).toEqual(SHOP_PODS);
    const want: Record<string, number> = {};
    for (const [pod, n] of Object.entries(byPod)) want[app[pod]!] = (want[app[pod]!] ?? 0) + n;
    const out = await promtool('instant', base, 'sum by (service_name) (count_over_time({namespace="shop"}[3h]))', '--time=2024-09-24T16:00:00Z');
    expect(out.trim().split('\n')).toEqual(Object.entries(want).map(([svc, n]) => `{service_name="${svc}"} => ${n} @[1727193600]`));
    // without: service_name goes, the stream labels stay (one series per api stream).
    const without = await promtool('instant', base, 'sum without (service_name) (count_over_time({service_name="api"}[3h]))', '--time=2024-09-24T16:00:00Z');
    const lines = without.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^\{container="[^"]+", namespace="shop", pod="api-7d9f8b6c5-[a-z0-9]{5}"\} => \d+ @\[1727193600\]$/);
    expect(lines.reduce((a, l) => a + Number(/=> (\d+)/.exec(l)![1]), 0)).toBe(want['api']);
  });

  it('a bad selector fails promtool with the server message', async () => {
    await expect(promtool('series', base, '--match={namespace="shop"', ...WINDOW)).rejects.toThrow(/bad_data|parse|expected/i);
  });
});

describe('Prometheus label and series routes', () => {
  const tmp = tempDir('letheql-prom-');
  const indexed = join(tmp.dir, 'store');
  let plain: Running;
  let withSidecars: Running;
  beforeAll(async () => {
    cpSync(FIXTURE_STORE, indexed, { recursive: true });
    await indexStore(indexed, { nowNs: 4_000_000_000_000_000_000n });
    plain = await start({ store: openStore(FIXTURE_STORE, { workers: 0 }), logLevel: 'info' });
    withSidecars = await start({ store: openStore(indexed, { workers: 0 }), logLevel: 'info' });
  });
  afterAll(async () => {
    await plain.close();
    await withSidecars.close();
    tmp.cleanup();
  });

  it('answers series from the sidecars as a scan does, byte for byte', async () => {
    const texts: string[] = [];
    for (const srv of [plain, withSidecars]) {
      texts.push((await get(srv.url, '/api/v1/series', { 'match[]': ['{namespace=~".+"}', '{node=~".+"}'], ...RANGE })).text);
      const res = await get(srv.url, '/api/v1/series', { 'match[]': '{namespace="default"}', ...RANGE });
      expect(res.status).toBe(200);
      // Sorted by label set, container first.
      expect(res.body.data.map((s: Record<string, string>) => `${s['container']}|${s['pod']}`)).toEqual([
        'agent|win-agent-5f7d9c8b6-q4zxv',
        'hello|hello-6d9f8c7b5-ws2lp',
        'nginx|nginx-7c5ddbdf54-8xkqz',
        'nginx|nginx-7c5ddbdf54-q9wvt',
      ]);
    }
    expect(texts[1]).toBe(texts[0]);
    const from = (srv: Running) => srv.logs.filter((l) => l['route'] === '/api/v1/series').map((l) => l['streamsFrom']);
    expect(from(plain)).toEqual(['scan', 'scan']);
    expect(from(withSidecars)).toEqual(['sidecars', 'sidecars']);
  });

  it('POST form with several match[]', async () => {
    const res = await postForm(plain.url, '/api/v1/series', { 'match[]': ['{namespace="shop", container="payment"}', 'node{node="node-b", process="dockerd"}'], ...RANGE });
    expect(res.body).toEqual({
      status: 'success',
      data: [
        { __name__: 'node', node: 'node-b', process: 'dockerd' },
        { __name__: 'pod', namespace: 'shop', pod: 'payment-5b7c8d9f6-h3kdp', container: 'payment' },
      ],
    });
  });

  it.each([
    { path: '/api/v1/labels', q: {}, want: ['__name__', 'container', 'namespace', 'node', 'pod', 'process'] },
    { path: '/api/v1/labels', q: { 'match[]': '{node="node-a"}' }, want: ['__name__', 'node', 'process'] },
    { path: '/api/v1/label/container/values', q: { 'match[]': '{namespace="kube-system"}', ...RANGE }, want: ['coredns', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler'] },
    { path: '/api/v1/label/pod/values', q: { 'match[]': '{namespace="shop", container="api"}', start: '2024-09-24T15:00:00Z', end: '2024-09-24T16:00:00Z' }, want: SHOP_PODS.slice(0, 2) },
    { path: '/api/v1/label/nosuch/values', q: RANGE, want: [] },
  ])('$path $q', async ({ path, q, want }) => {
    for (const srv of [plain, withSidecars]) {
      const res = await get(srv.url, path, q as Record<string, string>);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'success', data: want });
    }
  });

  it('a log query on /api/v1 keeps Lethe\'s logs result, with or without a log type', async () => {
    for (const query of ['{namespace="shop"} |= " 500 "', 'pod{namespace="shop"} |= " 500 "']) {
      const res = await get(plain.url, '/api/v1/query_range', { query, ...RANGE });
      expect(res.body.data.resultType).toBe('logs');
      expect(res.body.data.result).toHaveLength(10);
    }
  });

  it('status/buildinfo, query_exemplars, format_query', async () => {
    const info = await get(plain.url, '/api/v1/status/buildinfo');
    expect(info.body.data.version).toMatch(/^2\.\d+\.\d+$/);
    expect(info.body.data.letheqlVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect((await get(plain.url, '/api/v1/query_exemplars', { query: 'count_over_time({namespace="shop"}[5m])', ...RANGE })).body).toEqual({ status: 'success', data: [] });
    const f = await postForm(plain.url, '/api/v1/format_query', { query: 'sum  by(namespace)(count_over_time( {namespace="x"}[1h] ))' });
    expect(f.body).toEqual({ status: 'success', data: 'sum by (namespace) (count_over_time({namespace="x"}[1h]))' });
  });

  it.each([
    { path: '/api/v1/series', q: {}, msg: 'no match[]' },
    { path: '/api/v1/series', q: { 'match[]': 'sum(count_over_time({namespace="x"}[1m]))' }, msg: 'series selector' },
    { path: '/api/v1/series', q: { 'match[]': '{job="x"}' }, msg: 'cannot tell pod logs' },
    { path: '/api/v1/label/pod/values', q: { start: 'yesterday' }, msg: 'start' },
    { path: '/api/v1/labels', q: { start: '2024-09-24T16:00:00Z', end: '2024-09-24T13:00:00Z' }, msg: 'end' },
    { path: '/api/v1/format_query', q: { query: 'sum(' }, msg: '' },
  ])('400 for $path $q', async ({ path, q, msg }) => {
    const res = await get(plain.url, path, q as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.body.status).toBe('error');
    expect(res.body.error).toContain(msg);
  });
});

describe('/api/v1/status/config: the effective configuration as Prometheus answers it, secrets redacted', () => {
  const tmp = tempDir('letheql-status-config-');
  let base = '';
  const stop = new AbortController();
  let exit: Promise<number>;
  beforeAll(async () => {
    writeFileSync(join(tmp.dir, 'config.json'), JSON.stringify({ logLevel: 'warn', limits: { queryTimeout: '90s', maxLines: 2000, maxBytesScanned: '1GiB', maxSeries: 0 }, push: { enabled: false }, serviceName: 'container' }));
    writeFileSync(join(tmp.dir, 'rules.yaml'), 'groups:\n  - name: shop\n    rules:\n      - record: shop:lines:1h\n        expr: sum(count_over_time(pod{namespace="shop"} [1h]))\n');
    const url = deferred<string>();
    const sink = new PassThrough().resume();
    exit = runServe(
      ['--store', FIXTURE_STORE, '--listen', '127.0.0.1:0', '--workers', '0', '--config', join(tmp.dir, 'config.json'), '--rules', join(tmp.dir, 'rules.yaml'),
        '--remote-write', 'http://writer:hunter2@127.0.0.1:9/api/v1/write', '--slack-webhook', 'https://hooks.slack.com/services/T000/B000/sl4ckt0ken', '--webhook', 'http://127.0.0.1:9/hook?x=1'],
      { stdout: sink, stderr: sink, env: {} },
      stop.signal,
      url.resolve,
    );
    base = await url.promise;
  });
  afterAll(async () => {
    stop.abort();
    expect(await exit).toBe(0);
    tmp.cleanup();
  });

  it('answers {status, data: {yaml}} with every default filled in and no secret', async () => {
    const res = await get(base, '/api/v1/status/config');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['status', 'data']);
    expect(res.body.status).toBe('success');
    expect(Object.keys(res.body.data)).toEqual(['yaml']);
    const text = res.body.data.yaml as string;
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('sl4ckt0ken');
    const cfg = parseYaml(text);
    expect(cfg).toMatchObject({
      listen: base.replace('http://', ''),
      logLevel: 'warn',
      workers: 0,
      limits: { queryTimeout: '90s', maxLines: 2000, maxBytesScanned: 2 ** 30, maxSeries: 0, maxConcurrentQueries: 4, maxTemplateBytes: 2 ** 20 },
      auth: null,
      push: { enabled: false, fsync: 'batch' },
      serviceName: 'container',
      rules: {
        ruleFiles: [join(tmp.dir, 'rules.yaml')],
        remoteWrite: ['http://writer:<secret>@127.0.0.1:9/api/v1/write'],
        slackWebhooks: ['<secret>'],
        webhooks: ['http://127.0.0.1:9/hook?x=1'],
      },
    });
  });
});
