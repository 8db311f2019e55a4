/**
 * Graceful shutdown (an in-flight request finishes, then the server stops; the push writer
 * is flushed and closed) and the `letheql serve` command run in-process (dist is built by
 * `npm run build`, which these tests must not depend on).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runServe } from '../../src/cli/serve.js';
import { openStore, openStoreWriter } from '../../src/node.js';
import { FILES, NOW, ns, writeFixture } from './fixture.js';
import { deferred, frozen, gatedStore, get, postRaw, start, tempDir } from './helpers.js';

describe('graceful shutdown', () => {
  it('lets an in-flight query finish, refuses new connections, then closes', async () => {
    const { store, source } = gatedStore(FILES);
    const srv = await start({ store, now: frozen(NOW), logLevel: 'silent' });
    const inflight = get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="shop"}', start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z') });
    await source.entered.promise;
    let closed = false;
    const closing = srv.close().then(() => (closed = true));
    // Several event-loop turns: close must still be waiting for the query.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    await expect(fetch(new URL('/-/healthy', srv.url))).rejects.toThrow();
    source.release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body.data.result).toHaveLength(3);
    await closing;
    expect(closed).toBe(true);
  });

  it('flushes and closes the push writer, releasing the store lock', async () => {
    const tmp = tempDir();
    try {
      const store = openStore(tmp.dir, { workers: 0 });
      const srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW), logLevel: 'silent' });
      const body = JSON.stringify({ streams: [{ stream: { namespace: 'a', pod: 'b', container: 'c' }, values: [[ns('2024-09-24T15:00:00Z'), 'x']] }] });
      expect((await postRaw(srv.url, '/loki/api/v1/push', body, { 'content-type': 'application/json' })).status).toBe(204);
      await srv.close();
      await store.close();
      // Another writer can take the store: the server's writer released its lock.
      const w = await openStoreWriter(tmp.dir);
      await w.close();
    } finally {
      tmp.cleanup();
    }
  });
});

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  return { io: { stdout, stderr, env: {} }, out: () => out.join(''), err: () => err.join('') };
}

describe('letheql serve (in-process)', () => {
  it('serves a store with a config file until stopped, then exits 0', async () => {
    const tmp = tempDir();
    try {
      writeFixture(join(tmp.dir, 'store'));
      const config = join(tmp.dir, 'serve.json');
      writeFileSync(join(tmp.dir, 'tokens'), 'cli-test-token-0123456789 read,write\n');
      writeFileSync(config, JSON.stringify({ logLevel: 'warn', workers: 0, limits: { maxLines: 2, queryTimeout: '5s', maxPushBytes: '1m' }, auth: { tokenFile: 'tokens' }, push: { fsync: 'none' } }));
      const t = io();
      const stop = new AbortController();
      const url = deferred<string>();
      const exit = runServe(['--store', join(tmp.dir, 'store'), '--listen', '127.0.0.1:0', '--config', config], t.io, stop.signal, url.resolve);
      const base = await url.promise;
      const auth = { authorization: 'Bearer cli-test-token-0123456789' };
      expect((await get(base, '/api/v1/query_range', { query: 'pod{namespace="shop"}', start: '2024-09-24T15:00:00Z', end: NOW })).status).toBe(401);
      const res = await get(base, '/api/v1/query_range', { query: 'pod{namespace="shop"}', start: '2024-09-24T15:00:00Z', end: NOW }, auth);
      expect(res.body.data.result).toHaveLength(2); // maxLines from the config
      expect(res.body.warnings[0]).toContain('maxLines=2');
      stop.abort();
      expect(await exit).toBe(0);
      expect(t.err()).toContain(`letheql serve: listening on ${base} (store ${join(tmp.dir, 'store')}, 1 bearer tokens)`);
      expect(t.err()).toContain('letheql serve: stopping: finishing in-flight requests');
    } finally {
      tmp.cleanup();
    }
  });

  const usage: [string[], RegExp][] = [
    [[], /missing --store DIR/],
    [['--store', '/nonexistent/store'], /store not found/],
    [['--store', '.', '--listen', 'nowhere'], /invalid listen address "nowhere"/],
    [['--store', '.', '--bogus'], /Unknown option '--bogus'/],
    [['--store', 'a=.', '--store', 'b|c=.'], /invalid cluster name "b\|c"/],
    [['--store', 'a=.', '--stores', 'x.json'], /either --store or --stores/],
  ];
  for (const [argv, message] of usage) {
    it(`exits 2 for ${JSON.stringify(argv)}`, async () => {
      const t = io();
      expect(await runServe(argv, t.io, AbortSignal.abort())).toBe(2);
      expect(t.err()).toMatch(message);
    });
  }

  it('serves a store set read-only: cluster selectors work, push answers 503', async () => {
    const tmp = tempDir();
    try {
      writeFixture(join(tmp.dir, 'a'));
      writeFixture(join(tmp.dir, 'b'));
      const t = io();
      const stop = new AbortController();
      const url = deferred<string>();
      const exit = runServe(['--store', `east=${join(tmp.dir, 'a')}`, '--store', `west=${join(tmp.dir, 'b')}`, '--listen', '127.0.0.1:0', '--workers', '0'], t.io, stop.signal, url.resolve);
      const base = await url.promise;
      const all = await get(base, '/api/v1/query_range', { query: 'pod{namespace="shop"}', start: '2024-09-24T15:00:00Z', end: NOW });
      const east = await get(base, '/api/v1/query_range', { query: 'pod{cluster="east", namespace="shop"}', start: '2024-09-24T15:00:00Z', end: NOW });
      expect(all.status).toBe(200);
      expect(east.body.data.result.length).toBeGreaterThan(0);
      expect(all.body.data.result).toHaveLength(2 * east.body.data.result.length);
      const push = await postRaw(base, '/loki/api/v1/push', JSON.stringify({ streams: [] }), { 'content-type': 'application/json' });
      expect(push.status).toBe(503);
      stop.abort();
      expect(await exit).toBe(0);
      expect(t.err()).toContain('(store set east, west, no authentication)');
    } finally {
      tmp.cleanup();
    }
  });

  it('exits 2 for a config with an unknown key, naming it', async () => {
    const tmp = tempDir();
    try {
      const config = join(tmp.dir, 'c.json');
      writeFileSync(config, JSON.stringify({ limits: { maxLine: 5 } }));
      const t = io();
      expect(await runServe(['--store', tmp.dir, '--config', config], t.io, AbortSignal.abort())).toBe(2);
      expect(t.err()).toMatch(/invalid server config: unknown key "maxLine" in limits/);
    } finally {
      tmp.cleanup();
    }
  });
});
