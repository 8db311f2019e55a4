/**
 * Remote members of a store set (issue 18 part 3): a member that is another `letheql serve`.
 *
 * Two real servers on 127.0.0.1 (in-process `createServer`, real HTTP) serve two stores:
 * copies of the fixture store, the second without `kube-system` and with lines of its own,
 * some tying in time with the first's. A store set whose members are both servers must
 * answer exactly as the same two directories opened as a local set: rows, order (ties across
 * clusters included), columns, and the statistics that do not depend on how the scan was split;
 * for a table of log queries with and without `cluster` matchers, limits, both directions
 * and pipelines. A mixed set (one local, one remote) too. Metric queries of every shape
 * (within and across clusters: sums, `topk`, binary operators, unwrapped quantiles,
 * `absent_over_time`, `rate`/`bytes_rate`, pipelines naming `cluster`) must equal the local
 * set's series, numbers and statistics: the set reads the members' partial states through
 * `POST /letheql/v1/partials`, whose strict request checks are tested too. Counts of a table
 * of log queries (`cluster` matchers and pipelines naming `cluster` included) must equal the
 * local set's, through `POST /letheql/v1/count` (strict checks tested too). Then the
 * partial-failure policy with a member down (`fail` and `warn`, library and CLI, log and metric
 * queries), and a token-protected member. A `serve` over a set with remote members answers the
 * label, series, volume and detected-labels routes of both dialects as a `serve` over the same
 * stores opened locally, and names a member left out (`warn`) in `warnings`.
 */
import { PassThrough } from 'node:stream';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { runServe } from '../src/cli/serve.js';
import { getStats, LetheQLError, openStoreSet, type LogQueryOptions, type LogStore, type MetricQueryOptions, type QueryStats } from '../src/node.js';
import { TokenAuthority } from '../src/server/auth.js';
import { FIXTURE_STORE, tableLines } from './support/paths.js';
import { get, start, type Running } from './server/helpers.js';
import { openStore } from '../src/node.js';

const tmp = mkdtempSync(join(tmpdir(), 'letheql-remote-'));
const A = join(tmp, 'a');
const B = join(tmp, 'b');
const TOKEN = 'remote-member-token-0123456789';

const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T15:59:59Z' };

let serverA: Running;
let serverB: Running;
let secured: Running;
let localSet: LogStore;
let remoteSet: LogStore;
let mixedSet: LogStore;

beforeAll(async () => {
  cpSync(FIXTURE_STORE, A, { recursive: true });
  cpSync(FIXTURE_STORE, B, { recursive: true });
  rmSync(join(B, 'pod', 'kube-system'), { recursive: true });
  appendFileSync(
    join(B, 'pod', 'shop', '2024-09-24_14.log'),
    ['2024-09-24T14:30:00Z[shop|b-only|app] only in b error', '2024-09-24T14:30:00Z[shop|b-only|app] only in b again', 'not a lethe line', ''].join('\n'),
  );
  const tokens = join(tmp, 'tokens');
  writeFileSync(tokens, `${TOKEN} read\n`);
  serverA = await start({ store: openStore(A, { workers: 0 }) });
  serverB = await start({ store: openStore(B, { workers: 0 }) });
  secured = await start({ store: openStore(B, { workers: 0 }), auth: await TokenAuthority.load(tokens) });
  localSet = openStoreSet({ 'cluster-a': A, 'cluster-b': B }, { workers: 0 });
  remoteSet = openStoreSet({ 'cluster-a': serverA.url, 'cluster-b': serverB.url }, { workers: 0 });
  mixedSet = openStoreSet({ 'cluster-a': A, 'cluster-b': serverB.url }, { workers: 0 });
});

afterAll(async () => {
  await Promise.all([serverA?.close(), serverB?.close(), secured?.close()]);
  await Promise.all([localSet?.close(), remoteSet?.close(), mixedSet?.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

/** The statistics that a split scan leaves unchanged (no limit: every member reads every planned file). */
function comparable(s: QueryStats) {
  return {
    filesRead: s.filesRead,
    filesSkipped: s.filesSkipped,
    bytesScanned: s.bytesScanned,
    linesScanned: s.linesScanned,
    linesMatched: s.linesMatched,
    rowsReturned: s.rowsReturned,
    badLines: s.badLines,
    badLineSamples: [...s.badLineSamples].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : x.line - y.line)),
    truncated: s.truncated,
  };
}

const QUERIES: [string, LogQueryOptions][] = [
  ['pod{namespace=~".*"}', {}],
  ['pod{namespace=~".*"}', { direction: 'backward' }],
  ['pod{namespace="shop"} |= "error"', {}],
  ['pod{cluster="cluster-b", namespace=~".*"}', {}],
  ['pod{cluster!="cluster-b", namespace=~"shop|kube-system"}', { direction: 'backward' }],
  ['pod{cluster=~"cluster-.*", namespace=~".*"}', { limit: 7 }],
  ['pod{namespace=~".*"}', { limit: 5, direction: 'backward' }],
  ['pod{namespace=~".*"}', { limit: 1000, direction: 'backward' }],
  ['pod{cluster=~"cluster-a", namespace="shop"}', { limit: 3 }],
  ['pod{cluster="nowhere", namespace="shop"}', {}],
  ['node{node=~".+"} !~ "(?i)debug"', { limit: 20 }],
  ['pod{namespace="shop"} | logfmt', {}],
];

describe('a store set of remote members answers as the same stores opened locally', () => {
  for (const [query, opts] of QUERIES) {
    it(`${query} ${JSON.stringify(opts)}`, async () => {
      const o = { ...WINDOW, ...opts };
      const want = await localSet.result(query, o);
      if (!query.includes('nowhere')) expect(want.table.numRows).toBeGreaterThan(0);
      for (const set of [remoteSet, mixedSet]) {
        const got = await set.result(query, o);
        expect(got.table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(want.table.schema.fields.map((f) => `${f.name}:${f.type}`));
        expect(tableLines(got.table)).toEqual(tableLines(want.table));
        expect(got.table.getChild('cluster')!.toArray()).toEqual(want.table.getChild('cluster')!.toArray());
        expect(got.stats.rowsReturned).toBe(want.stats.rowsReturned);
        expect(got.stats.truncated).toBe(want.stats.truncated);
        if (o.limit === undefined) expect(comparable(got.stats)).toEqual(comparable(want.stats));
        expect(getStats(got.table)!.rowsReturned).toBe(got.table.numRows);
      }
    });
  }

  it('really asks the servers: Loki route with a limit, Lethe route without', async () => {
    const routes = serverB.logs.map((l) => String(l['url'] ?? '').split('?')[0]);
    expect(routes).toContain('/loki/api/v1/query_range');
    expect(routes).toContain('/api/v1/query_range');
    // The cluster matcher is gone from what a member is sent.
    expect(serverB.logs.some((l) => String(l['url']).includes('cluster'))).toBe(false);
  });

  it('ties across clusters are in cluster order', async () => {
    const { table } = await remoteSet.result('pod{namespace="shop"}', { ...WINDOW, direction: 'backward' });
    const time = table.getChild('time')!.toArray() as BigInt64Array;
    const cluster = table.getChild('cluster')!;
    let ties = 0;
    for (let i = 1; i < table.numRows; i++) {
      if (time[i] === time[i - 1]) {
        ties++;
        expect((cluster.get(i - 1) as string) <= (cluster.get(i) as string)).toBe(true);
      }
    }
    expect(ties).toBeGreaterThan(0);
  });

  it('gives per-member statistics that add up to the totals', async () => {
    const { stats } = await remoteSet.result('pod{namespace=~".*"}', WINDOW);
    expect(stats.members!.map((m) => [m.clusters, m.url])).toEqual([
      [['cluster-a'], serverA.url],
      [['cluster-b'], serverB.url],
    ]);
    expect(stats.members!.reduce((n, m) => n + m.stats!.linesScanned, 0)).toBe(stats.linesScanned);
    const mixed = (await mixedSet.result('pod{namespace=~".*"}', WINDOW)).stats;
    expect(mixed.members!.map((m) => m.url)).toEqual([null, serverB.url]);
    // Paths in statistics name the cluster, remote or not.
    expect(mixed.badLineSamples.map((b) => b.path)).toContain('cluster-b:pod/shop/2024-09-24_14.log');
  });

  it('stream() yields the merged rows; clusters lists remote members', async () => {
    const s = remoteSet.stream('pod{namespace="shop"}', WINDOW);
    let n = 0;
    for await (const b of s) n += b.numRows;
    expect(n).toBe((await localSet.result('pod{namespace="shop"}', WINDOW)).table.numRows);
    expect(remoteSet.clusters).toEqual(['cluster-a', 'cluster-b']);
  });

  it('targets and targetsByCluster include remote members', async () => {
    expect(await remoteSet.targetsByCluster()).toEqual(await localSet.targetsByCluster());
    expect(await remoteSet.targets()).toEqual(await localSet.targets());
    expect(await mixedSet.targetsByCluster()).toEqual(await localSet.targetsByCluster());
  });

});

/** Counts: selectors, line filters, regexes, `cluster` matchers, pipelines with label filters (on `cluster` too). */
const COUNT_QUERIES: string[] = [
  'pod{namespace=~".*"}',
  'pod{namespace="shop"} |= "error"',
  'pod{namespace=~".+"} |~ "(?i)get|post" != "health"',
  'node{node=~".+"} !~ "(?i)debug"',
  'pod{cluster="cluster-b", namespace=~".*"}',
  'pod{cluster!="cluster-b", namespace=~"shop|kube-system"}',
  'pod{cluster=~"cluster-.*", namespace="shop"} |= "error"',
  'pod{cluster="nowhere", namespace="shop"}',
  'pod{namespace="shop"} | json | level="error"',
  'pod{namespace=~".+"} | pod=~".*b.*"',
  'pod{namespace=~".+"} | cluster="cluster-b"',
  'pod{namespace="shop"} | line_format "{{.cluster}} {{.pod}}" |= "cluster-a"',
];

describe('count() over remote members answers as the same stores opened locally', () => {
  for (const query of COUNT_QUERIES) {
    it(query, async () => {
      const want = await localSet.count(query, WINDOW);
      if (!query.includes('nowhere')) expect(want.count).toBeGreaterThan(0);
      for (const set of [remoteSet, mixedSet]) {
        const got = await set.count(query, WINDOW);
        expect(got.count).toBe(want.count);
        expect(comparable(got.stats)).toEqual(comparable(want.stats));
      }
    });
  }

  it('asks each member POST /letheql/v1/count, with per-member statistics that add up', async () => {
    const { count, stats } = await remoteSet.count('pod{namespace=~".*"}', WINDOW);
    expect(serverB.logs.some((l) => l['url'] === '/letheql/v1/count')).toBe(true);
    expect(stats.members!.map((m) => [m.clusters, m.url])).toEqual([
      [['cluster-a'], serverA.url],
      [['cluster-b'], serverB.url],
    ]);
    expect(stats.members!.reduce((n, m) => n + m.stats!.linesMatched, 0)).toBe(count);
    const mixed = (await mixedSet.count('pod{namespace=~".*"}', WINDOW)).stats;
    expect(mixed.members!.map((m) => m.url)).toEqual([null, serverB.url]);
    expect(mixed.badLineSamples.map((b) => b.path)).toContain('cluster-b:pod/shop/2024-09-24_14.log');
    // A cluster matcher that leaves a member out does not ask it.
    expect((await remoteSet.count('pod{cluster="cluster-a", namespace="shop"}', WINDOW)).stats.members!.map((m) => m.clusters)).toEqual([['cluster-a']]);
  });

  const post = async (body: unknown, base = serverA.url) => {
    const res = await fetch(`${base}/letheql/v1/count`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, json: (await res.json()) as { count?: number; error?: string } };
  };
  const good = { cluster: 'cluster-a', query: 'pod{namespace="shop"}', start: '1727182800000000000', end: '1727193599000000000' };

  it('POST /letheql/v1/count answers the count of the store read as the named cluster', async () => {
    const r = await post(good);
    expect(r.status).toBe(200);
    expect(r.json.count).toBe((await localSet.count('pod{cluster="cluster-a", namespace="shop"}', WINDOW)).count);
    expect((await post({ ...good, query: 'pod{cluster="cluster-b", namespace="shop"}' })).json.count).toBe(0);
  });

  for (const [what, body, message] of [
    ['not an object', [1], 'the body must be a JSON object'],
    ['an unknown field', { ...good, limit: 3 }, 'unknown field "limit"'],
    ['no cluster', { ...good, cluster: undefined }, '"cluster" must be a string'],
    ['a bad cluster name', { ...good, cluster: 'a|b' }, 'invalid cluster name "a|b"'],
    ['an empty query', { ...good, query: ' ' }, '"query" must be a non-empty string'],
    ['a number time', { ...good, start: 1 }, '"start" must be a time in ns as a decimal string'],
    ['end before start', { ...good, end: '1' }, '"end" is before "start"'],
    ['a metric query', { ...good, query: 'count_over_time(pod{namespace="shop"}[5m])' }, 'not supported in a log query'],
    ['a query that does not parse', { ...good, query: 'pod{namespace=' }, ''],
  ] as const) {
    it(`400 for ${what}`, async () => {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.json.error).toContain(message);
    });
  }

  it('401 without the token on a protected member; refused by a server over a store set', async () => {
    expect((await post(good, secured.url)).status).toBe(401);
    await expectSetRefuses((url) => post(good, url));
  });
});

/** A member route on a server whose store is a store set answers 400: sets do not nest. */
async function expectSetRefuses(post: (url: string) => Promise<{ status: number; json: { error?: string } }>): Promise<void> {
  const set = await start({ store: openStoreSet({ 'cluster-a': A }, { workers: 0 }) });
  try {
    const r = await post(set.url);
    expect(r.status).toBe(400);
    expect(r.json.error).toContain('a store set cannot be a member of another store set');
  } finally {
    await set.close();
  }
}

const NGINX_RT = 'pod{namespace="shop", container="nginx"} | regexp "(?P<rt>[0-9.]+)$" | unwrap rt';

/** Metric queries of every shape: series of one cluster, and aggregations, operators and functions across clusters. */
const METRIC_QUERIES: [string, MetricQueryOptions][] = [
  // Each series keeps its cluster.
  ['count_over_time(pod{namespace=~".*"}[5m])', { step: '5m' }],
  ['sum by (cluster) (count_over_time(pod{namespace=~".*"}[5m]))', { step: '10m' }],
  ['sum by (cluster, namespace) (rate(pod{namespace=~".*"} |= "error" [10m]))', {}],
  ['topk by (cluster) (2, count_over_time(pod{namespace=~".*"}[1h]))', {}],
  ['count_over_time(pod{cluster="cluster-b", namespace="shop"}[5m])', { step: '15m' }],
  ['sum without (pod, container) (bytes_over_time(pod{cluster=~"cluster-a|cluster-b", namespace=~".+"}[30m]))', { step: '30m' }],
  // Across clusters.
  ['sum(count_over_time(pod{namespace=~".+"}[5m]))', { step: '5m' }],
  ['sum(count_over_time(pod{namespace="shop"}[10m]))', {}],
  ['sum by (pod) (count_over_time(pod{namespace=~".+"} |= "error" [15m]))', { step: '15m' }],
  ['sum by (namespace) (rate(pod{namespace=~".+"}[10m]))', { step: '10m' }],
  ['sum without (cluster) (rate(pod{namespace="shop"}[5m]))', { step: '20m' }],
  ['topk(3, sum by (pod) (count_over_time(pod{namespace=~".+"}[1h])))', {}],
  ['topk(2, count_over_time(pod{namespace="shop"}[30m]))', { step: '30m' }],
  ['bottomk(2, sum by (container) (bytes_rate(pod{namespace=~".+"}[20m])))', { step: '20m' }],
  ['sum(count_over_time(pod{namespace="shop"} |= "error" [10m])) / sum(count_over_time(pod{namespace="shop"}[10m]))', { step: '10m' }],
  ['count_over_time(pod{cluster="cluster-a", namespace="shop"}[10m]) - on (pod, container, namespace) count_over_time(pod{cluster="cluster-b", namespace="shop"}[10m])', { step: '10m' }],
  ['sum by (pod) (rate(pod{namespace="shop"}[5m])) * 60', { step: '5m' }],
  ['bytes_rate(pod{namespace="default"}[10m])', { step: '10m' }],
  ['sum(bytes_over_time(pod{namespace=~".+"}[1h]))', {}],
  [`quantile_over_time(0.9, ${NGINX_RT} [30m]) by (pod)`, { step: '30m' }],
  [`max(max_over_time(${NGINX_RT} [1h]))`, { step: '1h' }],
  [`sum by (pod) (sum_over_time(${NGINX_RT} [20m]))`, { step: '20m' }],
  [`avg(avg_over_time(${NGINX_RT} [30m]))`, {}],
  [`first_over_time(${NGINX_RT} [1h]) by (cluster)`, { step: '1h' }],
  ['absent_over_time(pod{namespace="shop", pod="b-only"}[5m])', { step: '15m' }],
  ['sum(absent_over_time(pod{namespace="default"} |= "error" [5m]))', { step: '5m' }],
  ['absent_over_time(pod{namespace="kube-system", cluster="cluster-b"}[5m])', { step: '15m' }],
  ['count_over_time(pod{namespace="shop"} | drop cluster [30m])', { step: '30m' }],
  ['sum by (cluster) (count_over_time(pod{namespace="shop"} | line_format "{{.cluster}} {{.pod}}" |= "cluster-b" [1h]))', { step: '1h' }],
  ['count(count_over_time(pod{namespace=~".+"}[1h]))', {}],
];

describe('metric queries over remote members answer exactly as the same stores opened locally', () => {
  for (const [query, opts] of METRIC_QUERIES) {
    it(`${query} ${JSON.stringify(opts)}`, async () => {
      const o = { ...WINDOW, ...opts };
      const want = await localSet.queryMetric(query, o);
      expect(want.result.series.length).toBeGreaterThan(0);
      for (const set of [remoteSet, mixedSet]) {
        const got = await set.queryMetric(query, o);
        expect(got.result.resultType).toBe(want.result.resultType);
        // Key order too: the JSON writers print labels in it.
        expect(JSON.stringify(got.result.series, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(JSON.stringify(want.result.series, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
        expect(comparable(got.stats)).toEqual(comparable(want.stats));
      }
    });
  }

  it('the merged series count against maxSeries as one store\'s would', async () => {
    const q = 'count_over_time(pod{namespace=~".*"}[5m])';
    const n = (await localSet.queryMetric(q, WINDOW)).result.series.length;
    expect(n).toBeGreaterThan(2);
    await expect(remoteSet.queryMetric(q, { ...WINDOW, maxSeries: n - 1 })).rejects.toMatchObject({ name: 'SeriesLimitError' });
    expect((await remoteSet.queryMetric(q, { ...WINDOW, maxSeries: n })).result.series).toHaveLength(n);
  });
});

describe('metric queries: members, statistics and the member-error policy', () => {
  const down = 'http://127.0.0.1:9'; // discard port: nothing listens

  it('asks each member for partial states, with per-member statistics that add up', async () => {
    const q = 'sum(count_over_time(pod{namespace=~".+"}[10m])) / sum(bytes_over_time(pod{namespace=~".+"}[10m]))';
    const { stats } = await remoteSet.queryMetric(q, { ...WINDOW, step: '10m' });
    expect(serverB.logs.some((l) => l['url'] === '/letheql/v1/partials')).toBe(true);
    expect(stats.members!.map((m) => [m.clusters, m.url])).toEqual([
      [['cluster-a'], serverA.url],
      [['cluster-b'], serverB.url],
    ]);
    expect(stats.members!.reduce((n, m) => n + m.stats!.linesScanned, 0)).toBe(stats.linesScanned);
    // Two range aggregations, two scans per member.
    const want = await localSet.queryMetric('count_over_time(pod{cluster="cluster-b", namespace=~".+"}[10m])', { ...WINDOW, step: '10m' });
    expect(stats.members![1]!.stats!.linesScanned).toBe(2 * want.stats.linesScanned);
    const mixed = (await mixedSet.queryMetric(q, { ...WINDOW, step: '10m' })).stats;
    expect(mixed.members!.map((m) => m.url)).toEqual([null, serverB.url]);
    // A cluster matcher that leaves a member out does not ask it.
    const one = (await remoteSet.queryMetric('sum(count_over_time(pod{cluster="cluster-a", namespace=~".+"}[10m]))', { ...WINDOW, step: '10m' })).stats;
    expect(one.members!.map((m) => m.clusters)).toEqual([['cluster-a']]);
  });

  it('metricSource() (the ruler\'s) reads remote members too', async () => {
    const { evaluateMetricQuery } = await import('../src/metrics/evaluator.js');
    const { parseQuery } = await import('../src/query/index.js');
    const expr = parseQuery('sum by (namespace) (rate(pod{namespace=~".+"}[10m]))');
    const times = { startNs: 1727182800000000000n, endNs: 1727193600000000000n, stepNs: 600_000_000_000n };
    const want = await evaluateMetricQuery(expr, times, await localSet.metricSource());
    expect(want.series.length).toBeGreaterThan(0);
    const source = await mixedSet.metricSource();
    expect(await evaluateMetricQuery(expr, times, source)).toEqual(want);
    expect(source.stats.members!.map((m) => m.url)).toEqual([null, serverB.url]);
  });

  it('fails the query by default, naming the member', async () => {
    const set = openStoreSet({ 'cluster-a': A, 'cluster-b': down }, { workers: 0 });
    const e = await set.queryMetric('sum(count_over_time(pod{namespace="shop"}[10m]))', WINDOW).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'REMOTE_ERROR' });
    expect((e as Error).message).toContain('member "cluster-b"');
  });

  it('with warn, answers from the other members and names the one left out', async () => {
    const set = openStoreSet({ 'cluster-a': A, 'cluster-b': down }, { workers: 0, onMemberError: 'warn' });
    const q = (sel: string) => `sum(count_over_time(pod{${sel}namespace="shop"}[10m])) / sum(count_over_time(pod{${sel}namespace="shop"} |= "error" [10m]))`;
    const o = { ...WINDOW, step: '10m' };
    const { result, stats } = await set.queryMetric(q(''), o);
    expect(result).toEqual((await localSet.queryMetric(q('cluster="cluster-a", '), o)).result);
    expect(stats.warnings).toHaveLength(1);
    expect(stats.warnings![0]).toContain('member "cluster-b"');
    expect(stats.members![1]).toMatchObject({ clusters: ['cluster-b'], url: down, stats: null });
    expect((await set.queryMetric(q('cluster="cluster-a", '), o)).stats.warnings).toBeUndefined();
  });
});

describe('POST /letheql/v1/partials', () => {
  const post = async (body: unknown, base = serverA.url, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/letheql/v1/partials`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
    const text = await res.text();
    let json: { error?: string; errorType?: string } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // Arrow
    }
    return { status: res.status, type: res.headers.get('content-type'), json };
  };
  const t0 = 1727182800000000000n; // 2024-09-24T13:00:00Z
  const m = 60_000_000_000n;
  const good = { cluster: 'cluster-a', range: 'pod{namespace="shop"}[10m]', kind: 'buckets', edges: [String(t0), String(t0 + 10n * m), String(t0 + 20n * m)], measures: ['count'], intervals: [[String(t0), String(t0 + 20n * m)]] };

  it('answers partial states in Arrow', async () => {
    const r = await post(good);
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/vnd.apache.arrow.stream');
  });

  const BAD: [string, unknown, string][] = [
    ['not an object', [1], 'the body must be a JSON object'],
    ['unknown field', { ...good, step: '1m' }, 'unknown field "step"'],
    ['no cluster', { ...good, cluster: undefined }, '"cluster" must be a string'],
    ['bad cluster name', { ...good, cluster: 'a/b' }, 'invalid cluster name "a/b"'],
    ['no range', { ...good, range: '' }, '"range" must be a non-empty string'],
    ['range that does not parse', { ...good, range: 'pod{namespace=' }, '"range" is not a log range'],
    ['range without [r]', { ...good, range: 'pod{namespace="shop"}' }, '"range" must be exactly one log range'],
    ['range smuggling an expression', { ...good, range: 'pod{namespace="shop"}[5m]) + absent_over_time(pod{namespace="x"}[5m]' }, '"range" must be exactly one log range'],
    ['range with an unknown label', { ...good, range: 'pod{nope="shop"}[10m]' }, 'nope'],
    ['kind', { ...good, kind: 'rows' }, '"kind" must be "buckets" or "samples", got "rows"'],
    ['edges as numbers', { ...good, edges: [1, 2] }, '"edges"[0] must be a time in ns as a decimal string'],
    ['one edge', { ...good, edges: [String(t0)] }, '"edges" must be an array of at least two times'],
    ['edges not increasing', { ...good, edges: [String(t0), String(t0)] }, '"edges" must be strictly increasing ("edges"[1])'],
    ['too many edges', { ...good, edges: Array.from({ length: 22_001 }, (_, i) => String(t0 + BigInt(i))) }, 'more than 22000'],
    ['unknown measure', { ...good, measures: ['count', 'median'] }, 'unknown measure "median"'],
    ['no count', { ...good, measures: ['bytes'] }, '"measures" must contain "count"'],
    ['measure twice', { ...good, measures: ['count', 'count'] }, 'names a measure twice'],
    ['no intervals', { ...good, intervals: [] }, '"intervals" must be a non-empty array'],
    ['interval backwards', { ...good, intervals: [[String(t0 + m), String(t0)]] }, '"intervals"[0] ends before it starts'],
    ['intervals overlapping', { ...good, intervals: [[String(t0), String(t0 + 5n * m)], [String(t0 + m), String(t0 + 6n * m)]] }, 'sorted and disjoint'],
    ['interval outside the grid', { ...good, intervals: [[String(t0), String(t0 + 30n * m)]] }, 'within the grid'],
    ['time beyond int64', { ...good, edges: [String(t0), '99999999999999999999'] }, 'must be a time in ns as a decimal string'],
    ['samples with edges', { ...good, kind: 'samples' }, '"edges" and "measures" belong to buckets requests'],
    ['output not strings', { ...good, output: [1] }, '"output" (or "all") must be an array of strings'],
  ];
  for (const [what, body, message] of BAD) {
    it(`400 for ${what}`, async () => {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.json.errorType).toBe('bad_data');
      expect(r.json.error).toContain(message);
    });
  }

  it('400 for a body that is not JSON', async () => {
    const r = await post('{"cluster":');
    expect(r.status).toBe(400);
  });

  it('422 past the server\'s maxSeries and maxSamples; 401 without the token', async () => {
    const small = await start({ store: openStore(A, { workers: 0 }), limits: { maxSeries: 1, maxSamples: 3 } });
    try {
      const many = await post({ ...good, range: 'pod{namespace=~".+"}[10m]' }, small.url);
      expect(many.status).toBe(422);
      expect(many.json.error).toContain('maxSeries=1');
      const cells = await post({ ...good, range: 'pod{namespace="shop", pod="api-7d9f8b6c5-x2k4p", container="api"}[10m]', edges: [String(t0), String(t0 + m), String(t0 + 2n * m), String(t0 + 3n * m), String(t0 + 20n * m)] }, small.url);
      expect(cells.status).toBe(422);
      expect(cells.json.error).toContain('maxSamples=3');
    } finally {
      await small.close();
    }
    expect((await post(good, secured.url)).status).toBe(401);
    expect((await post(good, secured.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('refuses on a server whose store is a store set (sets do not nest)', async () => {
    await expectSetRefuses((url) => post(good, url));
  });
});

describe('a member that fails', () => {
  const down = 'http://127.0.0.1:9'; // discard port: nothing listens

  it('fails the query by default, naming the member', async () => {
    const set = openStoreSet({ 'cluster-a': serverA.url, 'cluster-b': down }, { workers: 0 });
    const e = await set.result('pod{namespace="shop"}', WINDOW).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LetheQLError);
    expect(e).toMatchObject({ code: 'REMOTE_ERROR' });
    expect((e as Error).message).toContain('member "cluster-b"');
  });

  it('with warn, answers with the other members and names the one left out', async () => {
    const set = openStoreSet({ 'cluster-a': A, 'cluster-b': down }, { workers: 0, onMemberError: 'warn' });
    const { table, stats } = await set.result('pod{namespace="shop"}', WINDOW);
    const want = await localSet.result('pod{cluster="cluster-a", namespace="shop"}', WINDOW);
    expect(tableLines(table)).toEqual(tableLines(want.table));
    expect(stats.warnings).toHaveLength(1);
    expect(stats.warnings![0]).toContain('member "cluster-b"');
    expect(stats.members![1]).toMatchObject({ clusters: ['cluster-b'], url: down, stats: null });
    // A query whose cluster matcher leaves the dead member out never asks it.
    expect((await set.result('pod{cluster="cluster-a", namespace="shop"}', WINDOW)).stats.warnings).toBeUndefined();
  });

  it('counts: fail names the member; warn counts the other members and names the one left out', async () => {
    const failing = openStoreSet({ 'cluster-a': serverA.url, 'cluster-b': down }, { workers: 0 });
    const e = await failing.count('pod{namespace="shop"}', WINDOW).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'REMOTE_ERROR' });
    expect((e as Error).message).toContain('member "cluster-b"');
    for (const a of [A, serverA.url]) {
      const set = openStoreSet({ 'cluster-a': a, 'cluster-b': down }, { workers: 0, onMemberError: 'warn' });
      const { count, stats } = await set.count('pod{namespace="shop"}', WINDOW);
      expect(count).toBe((await localSet.count('pod{cluster="cluster-a", namespace="shop"}', WINDOW)).count);
      expect(stats.warnings).toHaveLength(1);
      expect(stats.warnings![0]).toContain('member "cluster-b"');
      expect(stats.members![1]).toMatchObject({ clusters: ['cluster-b'], url: down, stats: null });
      expect((await set.count('pod{cluster="cluster-a", namespace="shop"}', WINDOW)).stats.warnings).toBeUndefined();
    }
  });

  it('a member that accepts the connection and never answers times out, named', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const set = openStoreSet({ 'cluster-a': A, 'cluster-b': `http://127.0.0.1:${port}` }, { workers: 0, memberTimeoutMs: 300 });
      const e = await set.result('pod{namespace="shop"}', WINDOW).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'REMOTE_ERROR' });
      expect((e as Error).message).toMatch(/member "cluster-b".*did not answer within 300 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('the CLI: --on-member-error warn prints the warning on stderr; fail exits non-zero', async () => {
    const args = ['query', '--store', `cluster-a=${A}`, '--store', `cluster-b=${down}`, '--start', WINDOW.start, '--end', WINDOW.end, '--workers', '0', 'pod{namespace="shop"}'];
    const warned = await cli([...args, '--on-member-error', 'warn']);
    expect(warned.code).toBe(0);
    expect(warned.err).toMatch(/^letheql: warning: member "cluster-b": cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(warned.out).toContain('cluster-a');
    const failed = await cli(args);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('member "cluster-b"');
    expect((await cli([...args, '--on-member-error', 'maybe'])).code).toBe(2);
  });

  it('the CLI: query --count over a remote member, warn and fail', async () => {
    const q = 'pod{namespace="shop"}';
    const want = (await localSet.count(q, WINDOW)).count;
    const ok = await cli(['query', '--count', '--store', `cluster-a=${A}`, '--store', `cluster-b=${serverB.url}`, '--start', WINDOW.start, '--end', WINDOW.end, '--workers', '0', q]);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`${want}\n`);
    const args = ['query', '--count', '--store', `cluster-a=${A}`, '--store', `cluster-b=${down}`, '--start', WINDOW.start, '--end', WINDOW.end, '--workers', '0', q];
    const warned = await cli([...args, '--on-member-error', 'warn']);
    expect(warned.code).toBe(0);
    expect(warned.out).toBe(`${(await localSet.count('pod{cluster="cluster-a", namespace="shop"}', WINDOW)).count}\n`);
    expect(warned.err).toMatch(/^letheql: warning: member "cluster-b": cannot reach http:\/\/127\.0\.0\.1:9/);
    const failed = await cli(args);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('member "cluster-b"');
  });
});

describe('letheql serve over a store set with remote members', () => {
  /** Runs `letheql serve ARGS` in-process on 127.0.0.1:0; returns its URL and a stopper. */
  async function serve(args: string[], env: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<number> }> {
    const stop = new AbortController();
    let resolveUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (resolveUrl = r));
    const sink = new PassThrough().resume();
    const exit = runServe([...args, '--listen', '127.0.0.1:0', '--workers', '0'], { stdout: sink, stderr: sink, env }, stop.signal, resolveUrl);
    const u = await Promise.race([url, exit.then((c) => Promise.reject(new Error(`serve exited ${c}`)))]);
    return { url: u, stop: () => (stop.abort(), exit) };
  }
  const loki = { query: 'pod{namespace="shop"}', start: WINDOW.start, end: '2024-09-24T16:00:00Z', limit: '1000' };

  it('answers the Loki and Lethe routes as a server over the same stores opened locally', async () => {
    const remote = await serve(['--store', `cluster-a=${serverA.url}`, '--store', `cluster-b=${secured.url}`, '--store-token', `cluster-b=${TOKEN}`]);
    const local = await serve(['--store', `cluster-a=${A}`, '--store', `cluster-b=${B}`]);
    try {
      const [r, l] = await Promise.all([get(remote.url, '/loki/api/v1/query_range', loki), get(local.url, '/loki/api/v1/query_range', loki)]);
      expect(r.status).toBe(200);
      expect(r.body.data.result.length).toBeGreaterThan(0);
      expect(r.body.data.result).toEqual(l.body.data.result);
      const lethe = { query: loki.query, start: WINDOW.start, end: WINDOW.end };
      const [rl, ll] = await Promise.all([get(remote.url, '/api/v1/query_range', lethe), get(local.url, '/api/v1/query_range', lethe)]);
      expect(rl.body.data.result).toEqual(ll.body.data.result);
      // Metric queries as Grafana asks them, within clusters and across them (the token-protected member included).
      for (const query of [
        'sum by (cluster, namespace) (count_over_time({namespace=~".+"} [10m]))',
        'sum(count_over_time({namespace=~".+"} [10m]))',
        'topk(2, sum by (pod) (rate({namespace=~".+"} |= "error" [10m])))',
      ]) {
        const metric = { query, start: WINDOW.start, end: WINDOW.end, step: '600' };
        const [rm, lm] = await Promise.all([get(remote.url, '/loki/api/v1/query_range', metric), get(local.url, '/loki/api/v1/query_range', metric)]);
        expect(rm.status, query).toBe(200);
        expect(rm.body.data.result.length, query).toBeGreaterThan(0);
        expect(rm.body.data.result, query).toEqual(lm.body.data.result);
      }
    } finally {
      expect(await remote.stop()).toBe(0);
      expect(await local.stop()).toBe(0);
    }
  });

  it('--on-member-error warn: the answer names the member left out in warnings', async () => {
    const s = await serve(['--store', `cluster-a=${serverA.url}`, '--store', 'cluster-b=http://127.0.0.1:9', '--on-member-error', 'warn']);
    try {
      const r = await get(s.url, '/loki/api/v1/query_range', loki);
      expect(r.status).toBe(200);
      expect(r.body.warnings).toHaveLength(1);
      expect(r.body.warnings[0]).toContain('member "cluster-b"');
      expect(r.body.data.result.every((x: { stream: Record<string, string> }) => x.stream['cluster'] === 'cluster-a')).toBe(true);
      const l = await get(s.url, '/api/v1/query_range', { query: loki.query, start: WINDOW.start, end: WINDOW.end });
      expect(l.body.warnings[0]).toContain('member "cluster-b"');
      const m = await get(s.url, '/loki/api/v1/query_range', { query: 'count_over_time({namespace="shop"} [10m])', start: WINDOW.start, end: WINDOW.end, step: '600' });
      expect(m.status).toBe(200);
      expect(m.body.data.result.length).toBeGreaterThan(0);
      expect(m.body.warnings[0]).toContain('member "cluster-b"');
    } finally {
      expect(await s.stop()).toBe(0);
    }
    const failing = await serve(['--store', `cluster-a=${serverA.url}`, '--store', 'cluster-b=http://127.0.0.1:9']);
    try {
      const r = await get(failing.url, '/loki/api/v1/query_range', loki);
      expect(r.status).toBe(502);
      expect(r.body.errorType).toBe('unavailable');
      expect(r.text).toContain('member \\"cluster-b\\"');
    } finally {
      expect(await failing.stop()).toBe(0);
    }
  });

  /** Label and series routes of both dialects, with and without selectors (`cluster` matchers included). */
  const lokiWin = { start: WINDOW.start, end: '2024-09-24T16:00:00Z' };
  const LABEL_ROUTES: [string, Record<string, string | string[]>][] = [
    ['/loki/api/v1/labels', lokiWin],
    ['/loki/api/v1/labels', { ...lokiWin, query: '{cluster="cluster-b", namespace="shop"}' }],
    ['/loki/api/v1/label/namespace/values', lokiWin],
    ['/loki/api/v1/label/namespace/values', { ...lokiWin, query: '{cluster="cluster-b", namespace=~".+"}' }],
    ['/loki/api/v1/label/cluster/values', lokiWin],
    ['/loki/api/v1/label/cluster/values', { ...lokiWin, query: '{namespace="kube-system"}' }],
    ['/loki/api/v1/label/pod/values', { ...lokiWin, query: '{namespace="shop"} |= "error"' }],
    ['/loki/api/v1/label/service_name/values', lokiWin],
    ['/loki/api/v1/label/node/values', lokiWin],
    ['/loki/api/v1/series', { ...lokiWin, 'match[]': '{namespace="shop"}' }],
    ['/loki/api/v1/series', { ...lokiWin, 'match[]': ['{cluster="cluster-a", namespace=~".+"}', '{node=~".+"}'] }],
    ['/loki/api/v1/index/volume', { ...lokiWin, query: '{namespace=~".+"}', targetLabels: 'pod' }],
    ['/loki/api/v1/index/volume', { ...lokiWin, query: '{namespace=~".+"}', targetLabels: 'cluster,container' }],
    ['/loki/api/v1/index/volume', { ...lokiWin, query: '{namespace=~".+"}' }],
    ['/loki/api/v1/index/volume', { ...lokiWin, query: '{cluster="cluster-b", namespace=~"shop|default"}', targetLabels: 'cluster,namespace' }],
    ['/loki/api/v1/index/volume', { ...lokiWin, query: '{node=~".+"}', aggregateBy: 'labels' }],
    ['/loki/api/v1/index/volume_range', { ...lokiWin, query: '{namespace="shop"}', step: '3600' }],
    ['/loki/api/v1/detected_labels', { ...lokiWin, query: '{namespace=~".+"}' }],
    ['/loki/api/v1/detected_fields', { ...lokiWin, query: '{namespace="shop"}' }],
    ['/api/v1/labels', {}],
    ['/api/v1/label/namespace/values', lokiWin],
    ['/api/v1/label/cluster/values', { ...lokiWin, 'match[]': 'pod{namespace="kube-system"}' }],
    ['/api/v1/label/container/values', { ...lokiWin, 'match[]': 'pod{cluster!="cluster-a", namespace="shop"}' }],
    ['/api/v1/series', { ...lokiWin, 'match[]': 'pod{namespace=~".+"}' }],
    ['/api/v1/series', { ...lokiWin, 'match[]': 'node{cluster="cluster-b", node=~".+"}' }],
  ];

  it('answers the label, series and volume routes as a server over the same stores opened locally', async () => {
    const remote = await serve(['--store', `cluster-a=${serverA.url}`, '--store', `cluster-b=${secured.url}`, '--store-token', `cluster-b=${TOKEN}`]);
    const mixed = await serve(['--store', `cluster-a=${A}`, '--store', `cluster-b=${serverB.url}`]);
    const local = await serve(['--store', `cluster-a=${A}`, '--store', `cluster-b=${B}`]);
    try {
      for (const [path, query] of LABEL_ROUTES) {
        const want = await get(local.url, path, query);
        expect(want.status, `${path} ${JSON.stringify(query)}`).toBe(200);
        expect(JSON.stringify(want.body.data ?? want.body).length, path).toBeGreaterThan(2);
        for (const s of [remote, mixed]) {
          const got = await get(s.url, path, query);
          expect(got.status, `${path} ${JSON.stringify(query)}: ${got.text}`).toBe(200);
          expect(got.body, `${path} ${JSON.stringify(query)}`).toEqual(want.body);
        }
      }
    } finally {
      await Promise.all([remote.stop(), mixed.stop(), local.stop()]);
    }
  });

  it('label and series routes: warn names a dead member in warnings, fail answers 502', async () => {
    const warned = await serve(['--store', `cluster-a=${A}`, '--store', 'cluster-b=http://127.0.0.1:9', '--on-member-error', 'warn']);
    const only = await serve(['--store', `cluster-a=${A}`]);
    try {
      for (const [path, query] of [
        ['/loki/api/v1/series', { ...lokiWin, 'match[]': '{namespace="shop"}' }],
        ['/loki/api/v1/label/pod/values', { ...lokiWin, query: '{namespace="shop"}' }],
        ['/api/v1/series', { ...lokiWin, 'match[]': 'pod{namespace="shop"}' }],
        ['/loki/api/v1/index/volume', { ...lokiWin, query: '{namespace=~".+"}' }],
      ] as const) {
        const r = await get(warned.url, path, query);
        expect(r.status).toBe(200);
        expect(r.body.warnings).toHaveLength(1);
        expect(r.body.warnings[0]).toContain('member "cluster-b"');
        expect(r.body.data).toEqual((await get(only.url, path, query)).body.data);
      }
    } finally {
      await Promise.all([warned.stop(), only.stop()]);
    }
    const failing = await serve(['--store', `cluster-a=${A}`, '--store', 'cluster-b=http://127.0.0.1:9']);
    try {
      const r = await get(failing.url, '/loki/api/v1/series', { ...lokiWin, 'match[]': '{namespace="shop"}' });
      expect(r.status).toBe(502);
      expect(r.text).toContain('member \\"cluster-b\\"');
    } finally {
      await failing.stop();
    }
  });
});

describe('the CLI names remote members in --stores files too', () => {
  it('--stores FILE with a URL; targets lists every member\'s', async () => {
    const file = join(tmp, 'clusters.json');
    writeFileSync(file, JSON.stringify({ 'cluster-a': 'a', 'cluster-b': serverB.url }));
    const r = await cli(['targets', '--stores', file, '--json']);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual({ ...(await localSet.targets()), clusters: await localSet.targetsByCluster() });
    const bad = await cli(['query', '--store', `cluster-a=${A}`, '--store', `cluster-b=${serverB.url}`, '--store-token', `cluster-a=${TOKEN}`, 'pod{namespace="shop"}']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('not a remote member');
    const unnamed = await cli(['query', '--store', serverB.url, 'pod{namespace="shop"}']);
    expect(unnamed.code).toBe(2);
    expect(unnamed.err).toContain(`--store NAME=${serverB.url}`);
  });
});

describe('a token-protected member', () => {
  it('answers with the token and is refused (401, named) without it', async () => {
    const withToken = openStoreSet({ 'cluster-a': serverA.url, 'cluster-b': secured.url }, { workers: 0, tokens: { 'cluster-b': TOKEN } });
    const got = await withToken.result('pod{namespace=~".*"}', WINDOW);
    const want = await localSet.result('pod{namespace=~".*"}', WINDOW);
    expect(tableLines(got.table)).toEqual(tableLines(want.table));
    const without = openStoreSet({ 'cluster-a': serverA.url, 'cluster-b': secured.url }, { workers: 0 });
    const e = await without.result('pod{namespace=~".*"}', WINDOW).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'REMOTE_ERROR' });
    expect((e as Error).message).toMatch(/member "cluster-b".*401/);
    expect((e as Error).message).not.toContain(TOKEN);
  });

  it('the CLI reads --store-token and LETHEQL_TOKEN_<NAME>', async () => {
    const run = (extra: string[], env: Record<string, string>) =>
      cli(['query', '--store', `a=${A}`, '--store', `cluster-b=${secured.url}`, ...extra, '--start', WINDOW.start, '--end', WINDOW.end, '--workers', '0', '--format', 'jsonl', 'pod{namespace="shop"}'], env);
    const flag = await run(['--store-token', `cluster-b=${TOKEN}`], {});
    expect(flag.err).toBe('');
    expect(flag.code).toBe(0);
    expect(flag.out).toContain('"cluster":"cluster-b"');
    const env = await run([], { LETHEQL_TOKEN_CLUSTER_B: TOKEN });
    expect(env.code).toBe(0);
    expect(env.out).toBe(flag.out);
    const none = await run([], {});
    expect(none.code).not.toBe(0);
    expect(none.err).toContain('401');
  });
});

function sink() {
  const chunks: Buffer[] = [];
  return {
    chunks,
    write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
      chunks.push(Buffer.from(data));
      cb?.();
      return true;
    },
  };
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { stdout: stdout as never, stderr: stderr as never, env });
  return { code, out: Buffer.concat(stdout.chunks).toString('utf8'), err: Buffer.concat(stderr.chunks).toString('utf8') };
}
