/**
 * Limits, each hit deterministically: a query is held "in flight" by a store whose reads
 * wait on a gate, so saturation, queueing, timeouts and disconnects need no timing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openStore } from '../../src/node.js';
import { FILES, NOW, ns, writeFixture } from './fixture.js';
import { eventually, frozen, gatedStore, get, start, tempDir, type Running } from './helpers.js';

const window = { start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z') };
const lokiQuery = (srv: Running, query = '{namespace="shop"}', extra: Record<string, string> = {}) => get(srv.url, '/loki/api/v1/query_range', { query, ...window, ...extra });
const metric = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

describe('limits', () => {
  const running: Running[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    for (const c of cleanups.splice(0)) await c();
  });
  async function serve(limits: Parameters<typeof start>[0]['limits'], logLevel = 'silent') {
    const g = gatedStore(FILES);
    const srv = await start({ store: g.store, now: frozen(NOW), limits, logLevel });
    running.push(srv);
    cleanups.push(() => g.source.release());
    return { srv, source: g.source };
  }

  it('refuses with 429 when every slot and queue place is taken, naming the limits', async () => {
    const { srv, source } = await serve({ maxConcurrentQueries: 1, maxQueuedQueries: 1 });
    const a = lokiQuery(srv);
    await source.entered.promise;
    const b = lokiQuery(srv);
    await eventually(() => srv.server.metrics.render().includes('letheql_queries_queued 1'));
    const c = await lokiQuery(srv);
    expect(c.status).toBe(429);
    expect(c.body).toMatchObject({ status: 'error', errorType: 'unavailable' });
    expect(c.body.error).toBe('too many queries: 1 running (limit maxConcurrentQueries=1) and 1 waiting (limit maxQueuedQueries=1); retry later');
    source.release();
    expect((await a).status).toBe(200);
    expect((await b).status).toBe(200);
    const text = srv.server.metrics.render();
    expect(metric(text, 'letheql_limit_hits_total{limit="maxConcurrentQueries"}')).toBe(1);
    expect(metric(text, 'letheql_queries_active')).toBe(0);
  });

  it('times a query out with 503 naming queryTimeout, and frees its slot once the scan stops', async () => {
    const { srv, source } = await serve({ queryTimeoutMs: 50, maxConcurrentQueries: 1, maxQueuedQueries: 0 });
    const res = await lokiQuery(srv);
    expect(res.status).toBe(503);
    expect(res.body.errorType).toBe('timeout');
    expect(res.body.error).toBe('query timed out after 0.05s (limit queryTimeout); narrow the time range or add filters');
    // The scan is still parked on its read: the slot is held until it notices the abort.
    expect(srv.server.metrics.render()).toContain('letheql_queries_active 1');
    source.release();
    await eventually(() => srv.server.metrics.render().includes('letheql_queries_active 0'));
    expect((await get(srv.url, '/api/v1/query', { query: 'pod{namespace="default"}', time: '2024-09-24T15:10:30Z' })).status).toBe(200);
  });

  it('cancels a query whose client goes away', async () => {
    const { srv, source } = await serve({}, 'info');
    const ac = new AbortController();
    const u = new URL(`/loki/api/v1/query_range?${new URLSearchParams({ query: '{namespace="shop"}', ...window })}`, srv.url);
    const pending = fetch(u, { signal: ac.signal }).catch((e: Error) => e.name);
    await source.entered.promise;
    ac.abort();
    expect(await pending).toBe('AbortError');
    await eventually(() => srv.server.metrics.aborted.get() === 1);
    source.release();
    await eventually(() => srv.server.metrics.render().includes('letheql_queries_active 0'));
    // One file, one block: the scan stopped at its first abort check instead of reading on.
    expect(source.reads).toBeLessThanOrEqual(2);
    // Exactly one log line for the request, with nginx's 499.
    const lines = srv.logs.filter((l) => l['msg'] === 'request');
    expect(lines.map((l) => [l['route'], l['statusCode']])).toEqual([['/loki/api/v1/query_range', 499]]);
  });

  it('refuses a query that would scan more than maxBytesScanned, before reading', async () => {
    const { srv, source } = await serve({ maxBytesScanned: 100 });
    const res = await lokiQuery(srv);
    expect(res.status).toBe(422);
    expect(res.body.errorType).toBe('execution');
    expect(res.body.error).toBe(`the query would scan ${FILES['pod/shop/2024-09-24_15.log']!.length} bytes of store files, more than the limit maxBytesScanned=100; narrow the time range or the targets`);
    expect(source.reads).toBe(0);
    source.release();
    const small = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="default"}', ...window });
    expect(small.status).toBe(200);
  });

  it('refuses answers with more than maxSeries streams or series', async () => {
    const { srv, source } = await serve({ maxSeries: 2 });
    source.release();
    const q = await lokiQuery(srv);
    expect(q.status).toBe(422);
    expect(q.body.error).toBe('the query matched 3 streams, more than the limit maxSeries=2; add label matchers to select fewer');
    const s = await get(srv.url, '/loki/api/v1/series', { 'match[]': '{namespace="shop"}', ...window });
    // Series are counted by the engine's evaluator (streams.ts), which names the limit in its words.
    expect([s.status, s.body.error]).toEqual([422, 'maximum of series (2) reached for a single query: narrow the selector, aggregate (e.g. sum by (…)) or raise the series limit (limit maxSeries=2)']);
    expect((await lokiQuery(srv, '{namespace="shop", pod="api-1"}')).status).toBe(200);
  });

  it('refuses a Loki limit above maxLines in Loki\'s words', async () => {
    const { srv } = await serve({ maxLines: 10 });
    const res = await lokiQuery(srv, '{namespace="shop"}', { limit: '11' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('max entries limit per query exceeded, limit > max_entries_limit_per_query (11 > 10) (limit maxLines)');
  });

  it('refuses a tail beyond maxTailClients with 429', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    writeFixture(tmp.dir);
    const store = openStore(tmp.dir, { workers: 0 });
    cleanups.push(() => store.close());
    const srv = await start({ store, now: frozen(NOW), limits: { maxTailClients: 1 }, logLevel: 'silent' });
    running.push(srv);
    const tailUrl = srv.url.replace('http', 'ws') + '/loki/api/v1/tail?query=' + encodeURIComponent('{namespace="shop"}');
    const first = new WebSocket(tailUrl);
    await new Promise((res) => first.once('open', res));
    await eventually(() => srv.server.metrics.render().includes('letheql_tail_clients 1'));
    const second = new WebSocket(tailUrl);
    const status = await new Promise<number>((res) => second.once('unexpected-response', (_req, r) => res(r.statusCode ?? 0)));
    expect(status).toBe(429);
    first.close();
  });
});
