/**
 * Bearer tokens with read/write scopes, the token file format, and what the request log
 * holds: one line per request, never a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TokenAuthority } from '../../src/server/auth.js';
import { NOW, ns, serveFixture, type FixtureServer } from './fixture.js';
import { frozen, get, postRaw } from './helpers.js';

const READER = 'reader-token-0123456789abcdef';
const WRITER = 'writer-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef0';
const TOKENS = `# test tokens\n${READER} read\n\n${WRITER}   write\n${ADMIN} read,write\n`;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('token file format', () => {
  it('parses tokens and scopes, ignoring comments and blank lines', () => {
    const auth = TokenAuthority.parse(TOKENS);
    expect(auth.size).toBe(3);
    expect(auth.check(`Bearer ${READER}`, 'read')).toBeNull();
    expect(auth.check(`bearer ${ADMIN}`, 'write')).toBeNull();
    expect(auth.check(`Bearer ${READER}`, 'write')).toEqual({ status: 403, message: 'this token lacks the write scope' });
    expect(auth.check(`Bearer ${READER}x`, 'read')).toEqual({ status: 401, message: 'invalid bearer token' });
    expect(auth.check(undefined, 'read')?.status).toBe(401);
    expect(auth.check(`Basic ${READER}`, 'read')).toEqual({ status: 401, message: 'malformed Authorization header: expected "Bearer <token>"' });
  });

  const bad: [string, RegExp][] = [
    [`${READER}`, /tokens:1: expected "TOKEN SCOPE\[,SCOPE\]"/],
    [`${READER} read admin`, /tokens:1: expected/],
    [`short read`, /tokens:1: token shorter than 16 characters/],
    [`# only\n${READER} delete`, /tokens:2: unknown scope "delete"/],
    ['# nothing\n\n', /no tokens/],
  ];
  for (const [text, error] of bad) {
    it(`rejects ${JSON.stringify(text)} without echoing the token`, () => {
      expect(() => TokenAuthority.parse(text, 'tokens')).toThrow(error);
      try {
        TokenAuthority.parse(text, 'tokens');
      } catch (e) {
        expect((e as Error).message).not.toContain(READER);
      }
    });
  }
});

describe('authenticated server', () => {
  let srv: FixtureServer;
  let requests = 0;
  beforeAll(async () => {
    srv = await serveFixture({ storeDir: true, now: frozen(NOW), auth: TokenAuthority.parse(TOKENS) });
  });
  afterAll(() => srv.close());
  const call = async (fn: () => Promise<{ status: number; body: any; headers: Headers }>) => {
    requests++;
    return fn();
  };
  const range = { query: '{namespace="shop"}', start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z') };
  const push = JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'p', container: 'c' }, values: [[ns('2024-09-24T15:59:00Z'), 'pushed']] }] });

  it('keeps health and readiness open', async () => {
    for (const path of ['/-/healthy', '/-/ready', '/ready']) expect((await call(() => get(srv.url, path))).status).toBe(200);
  });

  it('answers 401 with a JSON error and WWW-Authenticate without a valid token', async () => {
    for (const headers of [{}, bearer('not-a-real-token-at-all'), { authorization: 'Basic dXNlcjpwYXNz' }]) {
      const res = await call(() => get(srv.url, '/loki/api/v1/query_range', range, headers));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body).toMatchObject({ status: 'error', errorType: 'unauthorized' });
    }
    expect((await call(() => get(srv.url, '/api/v1/metadata'))).status).toBe(401);
    expect((await call(() => get(srv.url, '/metrics'))).status).toBe(401);
  });

  it('lets read tokens query and write tokens push, and nothing else (403)', async () => {
    expect((await call(() => get(srv.url, '/loki/api/v1/query_range', range, bearer(READER)))).status).toBe(200);
    expect((await call(() => get(srv.url, '/api/v1/targets', {}, bearer(ADMIN)))).status).toBe(200);
    const readerPush = await call(() => postRaw(srv.url, '/loki/api/v1/push', push, { 'content-type': 'application/json', ...bearer(READER) }));
    expect([readerPush.status, readerPush.body.errorType, readerPush.body.error]).toEqual([403, 'forbidden', 'this token lacks the write scope']);
    const writerQuery = await call(() => get(srv.url, '/api/v1/query', { query: 'pod{namespace="shop"}' }, bearer(WRITER)));
    expect(writerQuery.status).toBe(403);
    expect((await call(() => postRaw(srv.url, '/loki/api/v1/push', push, { 'content-type': 'application/json', ...bearer(WRITER) }))).status).toBe(204);
    const seen = await call(() => get(srv.url, '/loki/api/v1/query_range', { ...range, query: '{namespace="shop"} |= "pushed"' }, bearer(ADMIN)));
    expect(seen.body.data.result[0].values).toEqual([[ns('2024-09-24T15:59:00Z'), 'pushed']]);
  });

  it('checks tokens on the tail upgrade', async () => {
    const u = srv.url.replace('http', 'ws') + '/loki/api/v1/tail?query=' + encodeURIComponent('{namespace="shop"}');
    requests++;
    const refused = new WebSocket(u);
    expect(await new Promise((res) => refused.once('unexpected-response', (_q, r) => res(r.statusCode)))).toBe(401);
    requests++;
    const ok = new WebSocket(u, { headers: bearer(READER) });
    await new Promise((res, rej) => (ok.once('open', res), ok.once('error', rej)));
    ok.close();
  });

  it('writes one log line per request and never a token', async () => {
    // The tail's socket closes asynchronously; its line is written when the upgrade request ends.
    const lines = srv.logs.filter((l) => l['msg'] === 'request');
    expect(lines.length).toBeGreaterThanOrEqual(requests - 1);
    expect(lines.length).toBeLessThanOrEqual(requests);
    for (const l of lines) expect(Object.keys(l)).toEqual(expect.arrayContaining(['method', 'url', 'route', 'statusCode', 'durationMs', 'reqId']));
    const text = srv.logText();
    for (const t of [READER, WRITER, ADMIN, 'dXNlcjpwYXNz']) expect(text).not.toContain(t);
    expect(text).not.toContain('authorization');
  });
});
