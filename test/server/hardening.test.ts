/**
 * Issue 16, hardening of `letheql serve`: each case is an attack that once worked, replayed
 * against a real server on 127.0.0.1. The server must stay up, answer 4xx naming the limit,
 * write nothing of a refused push, keep its paths and stacks to itself, and stay within a
 * stated memory bound — resident set size sampled in this process (the server runs in it),
 * never wall-clock time.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openStore, type LogStore } from '../../src/node.js';
import { encodePushRequest } from '../../src/server/protobuf.js';
import { tailFrames } from '../../src/server/tail.js';
import { TokenAuthority } from '../../src/server/auth.js';
import { formatRecord, measureRecord, type LogRecord } from '../../src/write/record.js';
import { NOW, ns } from './fixture.js';
import { frozen, get, peakRss, postRaw, start, tempDir, type Running } from './helpers.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };
const MiB = 2 ** 20;

/** Every file under `dir`, store-relative. */
function storeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const t of ['pod', 'node']) {
    if (!existsSync(join(dir, t))) continue;
    for (const d of readdirSync(join(dir, t))) for (const f of readdirSync(join(dir, t, d))) out.push(`${t}/${d}/${f}`);
  }
  return out.sort();
}

describe('measureRecord is exactly what formatRecord writes', () => {
  const messages = ['', 'x', 'a\nb', 'a\n', '\n', '\n\n', 'a\r\nb\rc\n', 'é€😀', '\ud800 lone', 'x\n'.repeat(50), 'end\r', 'a\r\n\r\n'];
  for (const [i, message] of messages.entries()) {
    for (const digits of [0, 6, 9]) {
      it(`message ${i} at ${digits} digits`, () => {
        const records: LogRecord[] = [
          { kind: 'pod', time: '2024-09-24T15:00:00.123456789Z', namespace: 'shop', pod: 'api-é', container: 'app', message },
          { kind: 'node', time: '2024-09-24T15:00:00Z', node: 'n1', process: 'kubelet', message },
        ];
        for (const r of records) {
          const f = formatRecord(r, digits);
          expect(measureRecord(r, digits)).toEqual({ lines: f.lines, bytes: new TextEncoder().encode(f.text).length });
        }
      });
    }
  }
});

describe('push limits (issue 16 points 2, 6, 8)', () => {
  const tmp = tempDir();
  let store: LogStore;
  let srv: Running;
  beforeAll(async () => {
    store = openStore(tmp.dir, { workers: 0 });
    srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW) });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
    tmp.cleanup();
  });

  const pod = (over: Record<string, string> = {}) => ({ namespace: 'shop', pod: 'api-1', container: 'app', ...over });
  const at = ns('2024-09-24T15:10:00Z');

  // Point 2: a 6 KB body once wrote 478 MB and peaked at 1.25 GB RSS; 4,000,000 pieces answered 500.
  for (const pieces of [2_000_000, 4_000_000]) {
    it(`refuses a gzip'd push of one "x\\n" × ${pieces} message before writing (413 maxPushLines), RSS +<200 MiB`, async () => {
      const body = gzipSync(JSON.stringify({ streams: [{ stream: pod({ pod: 'p'.repeat(200) }), values: [[at, 'x\n'.repeat(pieces)]] }] }));
      expect(body.length).toBeLessThan(16 * 1024);
      const { value: res, peak, before } = await peakRss(() => postRaw(srv.url, '/loki/api/v1/push', body, { ...JSON_TYPE, 'content-encoding': 'gzip' }));
      expect(res.status).toBe(413);
      expect(res.body.error).toMatch(new RegExp(`^push would write ${pieces} lines, more than 100000 lines \\(limit maxPushLines\\)`));
      expect(storeFiles(tmp.dir)).toEqual([]);
      // The decoded message itself is 4–8 MB; formatting it would have been ~0.5–1 GB.
      expect(peak - before).toBeLessThan(200 * MiB);
      expect((await get(srv.url, '/-/healthy')).status).toBe(200);
    });
  }

  it('refuses a push whose lines would exceed maxPushWrittenBytes (413), nothing written', async () => {
    const own = tempDir();
    const ownStore = openStore(own.dir, { workers: 0 });
    const small = await start({ store: ownStore, storeDir: own.dir, now: frozen(NOW), limits: { maxPushWrittenBytes: 10_000 } });
    try {
      const body = JSON.stringify({ streams: [{ stream: pod(), values: [[at, 'y\n'.repeat(300)]] }] });
      const res = await postRaw(small.url, '/loki/api/v1/push', body, JSON_TYPE);
      expect([res.status, res.body.error]).toEqual([413, 'push would write 13800 bytes of store lines, more than 10000 (limit maxPushWrittenBytes); send smaller batches']);
      expect(storeFiles(own.dir)).toEqual([]);
    } finally {
      await small.close();
      await ownStore.close();
      own.cleanup();
    }
  });

  it('counts protobuf entries while decoding: a body of two-byte entries is refused (413 maxPushLines)', async () => {
    const entries = Array.from({ length: 100_001 }, () => ({ timeNs: BigInt(at), line: '' }));
    const body = snappyCompress(encodePushRequest([{ labels: '{namespace="shop", pod="a", container="b"}', entries }]));
    const res = await postRaw(srv.url, '/loki/api/v1/push', body, PROTO_TYPE);
    expect([res.status, res.body.error]).toEqual([413, 'push would write more entries than 100000 lines (limit maxPushLines); send smaller batches']);
    expect(storeFiles(tmp.dir)).toEqual([]);
  });

  it('refuses label values over 253 bytes (a 5,000-character pod) with 400', async () => {
    const body = JSON.stringify({ streams: [{ stream: pod({ pod: 'p'.repeat(5000) }), values: [[at, 'x']] }] });
    const res = await postRaw(srv.url, '/loki/api/v1/push', body, JSON_TYPE);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^stored 0 of 1 entries; refused 1: stream \{.*\} cannot be stored: invalid pod "p+": is longer than 253 bytes/);
    expect(storeFiles(tmp.dir)).toEqual([]);
  });

  // Point 8: a 300-character namespace answered 500 ENAMETOOLONG with the store's absolute path.
  it('answers a 300-character namespace with 400, without the store path', async () => {
    const body = JSON.stringify({ streams: [{ stream: pod({ namespace: 'n'.repeat(300) }), values: [[at, 'x']] }] });
    const res = await postRaw(srv.url, '/loki/api/v1/push', body, JSON_TYPE);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/invalid namespace "n+": is longer than 253 bytes/);
    expect(res.text).not.toContain(tmp.dir);
    expect(res.text).not.toMatch(/ENAMETOOLONG/);
  });

  // Point 6: the same window for JSON and protobuf (int64 ns), via the writer's one check.
  const window: { name: string; timeNs?: bigint; json?: string; status: number }[] = [
    { name: 'year 9999 (protobuf)', timeNs: BigInt(ns('9999-01-01T00:00:00Z')), status: 400 },
    { name: 'year 1600 (protobuf)', timeNs: -11676096000n * 1_000_000_000n, status: 400 },
    { name: 'one past the last instant (protobuf)', timeNs: 2n ** 63n, status: 400 },
    { name: 'year 0001 (JSON)', json: '-62135596800000000000', status: 400 },
    { name: 'one past the last instant (JSON)', json: '9223372036854775808', status: 400 },
  ];
  for (const c of window) {
    it(`refuses a push at ${c.name} with 400 naming the window`, async () => {
      const res =
        c.json !== undefined
          ? await postRaw(srv.url, '/loki/api/v1/push', JSON.stringify({ streams: [{ stream: pod(), values: [[c.json, 'x']] }] }), JSON_TYPE)
          : await postRaw(srv.url, '/loki/api/v1/push', snappyCompress(encodePushRequest([{ labels: '{namespace="shop", pod="a", container="b"}', entries: [{ timeNs: c.timeNs!, line: 'x' }] }])), PROTO_TYPE);
      expect(res.status).toBe(c.status);
      expect(res.body.error).toMatch(/outside what a store can hold \(int64 nanoseconds, 1677-09-21T00:12:43\.145224192Z to 2262-04-11T23:47:16\.854775807Z/);
      expect(storeFiles(tmp.dir)).toEqual([]);
    });
  }

  it('accepts the last representable instant and reads it back (JSON and protobuf agree)', async () => {
    const last = '9223372036854775807';
    const json = JSON.stringify({ streams: [{ stream: pod({ namespace: 'edge' }), values: [[last, 'json at the end of time']] }] });
    expect((await postRaw(srv.url, '/loki/api/v1/push', json, JSON_TYPE)).status).toBe(204);
    const proto = snappyCompress(encodePushRequest([{ labels: '{namespace="edge", pod="a", container="b"}', entries: [{ timeNs: BigInt(last), line: 'protobuf at the end of time' }] }]));
    expect((await postRaw(srv.url, '/loki/api/v1/push', proto, PROTO_TYPE)).status).toBe(204);
    // Written with its nanoseconds (the default keeps them), so the last instant itself is the
    // line's time: Loki's `end` is exclusive and cannot pass it, Lethe's is inclusive.
    const q = await get(srv.url, '/api/v1/query_range', { query: 'pod{namespace="edge"}', start: '2262-04-11T23:00:00Z', end: '2262-04-11T23:47:16.854775807Z' });
    expect(q.status).toBe(200);
    expect(q.body.data.result.map((r: { time: string; log: string }) => [r.time, r.log]).sort()).toEqual([
      ['2262-04-11T23:47:16.854775807Z', 'json at the end of time'],
      ['2262-04-11T23:47:16.854775807Z', 'protobuf at the end of time'],
    ]);
  });
});

describe('internal errors (issue 16 point 8)', () => {
  it('answers an I/O failure with 500 and an id, logs the id with the stack, never sends the path', async () => {
    const tmp = tempDir();
    // `pod/broken` is a file, so appending under it fails with ENOTDIR and the absolute path.
    mkdirSync(join(tmp.dir, 'pod'));
    writeFileSync(join(tmp.dir, 'pod/broken'), '');
    const store = openStore(tmp.dir, { workers: 0 });
    const srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW) });
    try {
      const body = JSON.stringify({ streams: [{ stream: { namespace: 'broken', pod: 'a', container: 'b' }, values: [[ns('2024-09-24T15:10:00Z'), 'x']] }] });
      const res = await postRaw(srv.url, '/loki/api/v1/push', body, JSON_TYPE);
      expect(res.status).toBe(500);
      expect(res.body.errorType).toBe('internal');
      const m = /^internal error \(id ([0-9a-f]{12})\); the server log has the details$/.exec(res.body.error);
      expect(m).not.toBeNull();
      expect(res.text).not.toContain(tmp.dir);
      expect(res.text).not.toMatch(/ENOTDIR|at .*\.ts/);
      const line = srv.logs.find((l) => l['errorId'] === m![1]);
      expect(line).toBeDefined();
      expect(JSON.stringify(line)).toContain('ENOTDIR');
      expect((line!['err'] as { stack?: string }).stack).toMatch(/\n\s+at /);
      expect((await get(srv.url, '/-/healthy')).status).toBe(200);
    } finally {
      await srv.close();
      await store.close();
      tmp.cleanup();
    }
  });
});

describe('live tail is a query: every limit applies (issue 16 point 3)', () => {
  const tmp = tempDir();
  const LINES = 30_000;
  const HUGE = 'h'.repeat(3 * MiB);
  let store: LogStore;
  beforeAll(() => {
    mkdirSync(join(tmp.dir, 'pod/big'), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < LINES; i++) lines.push(`2024-09-24T15:${String(Math.floor(i / 1000)).padStart(2, '0')}:${String((i % 1000) % 60).padStart(2, '0')}.${String(i).padStart(6, '0')}Z[big|p|c] line ${i} ${'x'.repeat(60)}`);
    lines.push(`2024-09-24T15:59:59.999999Z[big|p|c] ${HUGE}`);
    writeFileSync(join(tmp.dir, 'pod/big/2024-09-24_15.log'), lines.join('\n') + '\n');
    store = openStore(tmp.dir, { workers: 0 });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  const tailUrl = (base: string, q: Record<string, string>) => {
    const u = new URL(base.replace('http', 'ws') + '/loki/api/v1/tail');
    for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
    return u.toString();
  };
  const refusal = (url: string) =>
    new Promise<{ status: number; body: any }>((res, rej) => {
      const ws = new WebSocket(url);
      ws.once('open', () => rej(new Error('upgraded')));
      ws.once('unexpected-response', (_req, r) => {
        let text = '';
        r.on('data', (d: Buffer) => (text += String(d)));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
      });
    });

  it('refuses limit above maxLines (400) and a history over maxBytesScanned (422) before the upgrade', async () => {
    const srv = await start({ store, now: frozen(NOW), limits: { maxBytesScanned: MiB, maxLines: 10 } });
    try {
      const a = await refusal(tailUrl(srv.url, { query: '{namespace="big"}', start: ns('2024-09-24T15:00:00Z'), limit: '50000' }));
      expect(a.status).toBe(400);
      expect(a.body.error).toMatch(/\(50000 > 10\) \(limit maxLines\)$/);
      const b = await refusal(tailUrl(srv.url, { query: '{namespace="big"}', start: ns('2024-09-24T15:00:00Z'), limit: '5' }));
      expect(b.status).toBe(422);
      expect(b.body.error).toMatch(/more than the limit maxBytesScanned=1048576/);
      // Without a history reaching the big file, the tail opens.
      const ws = new WebSocket(tailUrl(srv.url, { query: '{namespace="big"}', start: ns(NOW), limit: '5' }));
      await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
      ws.close();
      expect((await get(srv.url, '/-/healthy')).status).toBe(200);
    } finally {
      await srv.close();
    }
  });

  it('sends a large history in frames of at most 1 MiB; a line too long for any frame is a dropped entry; RSS +<300 MiB', async () => {
    const srv = await start({ store, now: frozen(NOW), limits: { maxBytesScanned: null, maxLines: null } });
    try {
      const frames: number[] = [];
      let values = 0;
      const dropped: any[] = [];
      const { peak, before } = await peakRss(async () => {
        const ws = new WebSocket(tailUrl(srv.url, { query: '{namespace="big"}', start: ns('2024-09-24T15:00:00Z'), limit: '100000000' }));
        ws.on('message', (data: Buffer) => {
          frames.push(data.length);
          const m = JSON.parse(String(data));
          for (const s of m.streams) values += s.values.length;
          dropped.push(...m.dropped_entries);
        });
        await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
        for (let i = 0; i < 4000 && values + dropped.length < LINES + 1; i++) await new Promise((r) => setTimeout(r, 5));
        ws.close();
      });
      expect(values).toBe(LINES);
      expect(dropped).toEqual([{ labels: '{container="c", namespace="big", pod="p"}', timestamp: ns('2024-09-24T15:59:59.999999Z') }]);
      expect(frames.length).toBeGreaterThan(2);
      expect(Math.max(...frames)).toBeLessThanOrEqual(MiB);
      expect(peak - before).toBeLessThan(300 * MiB);
      expect((await get(srv.url, '/-/healthy')).status).toBe(200);
    } finally {
      await srv.close();
    }
  });
});

describe('tailFrames', () => {
  it('cuts streams into messages under the bound, keeping every value in order', () => {
    const streams = ['a', 'b', 'c'].map((p, k) => ({ stream: { namespace: 'n', pod: p }, values: Array.from({ length: 7 + k }, (_, i) => [String(1000 + i), `${p} line ${i} ✓`] as [string, string]) }));
    for (const max of [120, 200, 500, 10_000]) {
      const frames = tailFrames(streams, max);
      const got = new Map<string, [string, string][]>();
      for (const f of frames) {
        expect(Buffer.byteLength(f)).toBeLessThanOrEqual(max);
        const m = JSON.parse(f);
        expect(m.dropped_entries).toEqual([]);
        for (const s of m.streams) got.set(s.stream.pod, [...(got.get(s.stream.pod) ?? []), ...s.values]);
      }
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(streams.map((s) => [s.stream.pod, s.values])));
      if (max === 10_000) expect(frames).toHaveLength(1);
    }
  });
});

describe('live tail with tokens, as a browser must send them (issue 16 point 9)', () => {
  const READER = 'reader-token-0123456789abcdef';
  const WRITER = 'writer-token-0123456789abcdef';
  const tmp = tempDir();
  let store: LogStore;
  let srv: Running;
  beforeAll(async () => {
    store = openStore(tmp.dir, { workers: 0 });
    srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW), auth: TokenAuthority.parse(`${READER} read\n${WRITER} write\n`) });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
    tmp.cleanup();
  });
  const url = (extra: Record<string, string> = {}) => {
    const u = new URL(srv.url.replace('http', 'ws') + '/loki/api/v1/tail');
    u.searchParams.set('query', '{namespace="shop"}');
    for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
    return u.toString();
  };
  const b64 = (t: string) => Buffer.from(t).toString('base64url');
  const connect = (u: string, protocols?: string[]) =>
    new Promise<{ status: number; protocol?: string }>((res) => {
      const ws = protocols ? new WebSocket(u, protocols) : new WebSocket(u);
      ws.once('open', () => {
        res({ status: 101, protocol: ws.protocol });
        ws.close();
      });
      ws.once('unexpected-response', (_req, r) => res({ status: r.statusCode ?? 0 }));
      ws.once('error', () => undefined);
    });

  it('takes the token from Sec-WebSocket-Protocol (selecting "letheql") or access_token, on the tail route only', async () => {
    expect(await connect(url())).toEqual({ status: 401 });
    expect(await connect(url(), ['letheql', `base64url.bearer.authorization.letheql.${b64(READER)}`])).toEqual({ status: 101, protocol: 'letheql' });
    expect(await connect(url(), ['letheql', `base64url.bearer.authorization.letheql.${b64(READER + 'x')}`])).toEqual({ status: 401 });
    expect(await connect(url(), ['letheql', `base64url.bearer.authorization.letheql.${b64(WRITER)}`])).toEqual({ status: 403 });
    expect(await connect(url({ access_token: READER }))).toEqual({ status: 101, protocol: '' });
    // Another client's own subprotocol is still selected, as before; the token's never is.
    expect(await connect(url(), [`base64url.bearer.authorization.letheql.${b64(READER)}`, 'other'])).toEqual({ status: 101, protocol: 'other' });
    // Elsewhere, only the Authorization header counts.
    expect((await get(srv.url, '/loki/api/v1/labels', { access_token: READER })).status).toBe(401);
    // The token never reaches the request log.
    await new Promise((r) => setTimeout(r, 20));
    expect(srv.logText()).not.toContain(READER);
    expect(srv.logText()).toContain('access_token=REDACTED');
  });
});
