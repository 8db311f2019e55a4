/**
 * `/loki/api/v1/push` in both encodings (JSON, optionally gzipped; snappy-compressed
 * protobuf as promtail sends it), then queries that see the lines; a live tail that
 * receives a pushed line; and bad bodies, each a 4xx JSON error with nothing written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openStore, type LogStore } from '../../src/node.js';
import { encodePushRequest } from '../../src/server/protobuf.js';
import { NOW, ns } from './fixture.js';
import { eventually, frozen, get, postRaw, start, tempDir, type Running } from './helpers.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };

function jsonPush(streams: { stream: Record<string, string>; values: unknown[] }[]): string {
  return JSON.stringify({ streams });
}

function protoPush(streams: { labels: string; entries: { timeNs: bigint; line: string }[] }[]): Uint8Array {
  return snappyCompress(encodePushRequest(streams));
}

describe('push, then query and tail', () => {
  const tmp = tempDir();
  let store: LogStore;
  let srv: Running;
  beforeAll(async () => {
    store = openStore(tmp.dir, { workers: 0 });
    srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW), limits: { maxPushBytes: 4096, maxPushDecompressedBytes: 16384 } });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
    tmp.cleanup();
  });
  const range = { start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z'), direction: 'forward' };

  it('stores a JSON push (fluent-bit, curl), nanoseconds kept, and counts the label it cannot keep', async () => {
    const body = jsonPush([
      { stream: { namespace: 'shop', pod: 'api-1', container: 'app', job: 'fluent-bit' }, values: [[ns('2024-09-24T15:10:00.123456789Z'), 'GET /cart 200'], [ns('2024-09-24T15:10:01Z'), 'two\nlines', { trace_id: 'abc' }]] },
      { stream: { node: 'node-a', process: 'kubelet' }, values: [[ns('2024-09-24T15:11:00Z'), 'node line']] },
    ]);
    const res = await postRaw(srv.url, '/loki/api/v1/push', body, JSON_TYPE);
    expect([res.status, res.body]).toEqual([200, { status: 'success', data: { streams: 2, entries: 3, entriesStored: 3, linesWritten: 4, streamsMapped: 0, labelsDropped: { job: 1 }, metadataDropped: 1 } }]);
    // Lethe's line format: microseconds unless the time has nanoseconds, a message with a line break split in two lines; extra labels and metadata dropped.
    expect(readFileSync(join(tmp.dir, 'pod/shop/2024-09-24_15.log'), 'utf8')).toBe(
      '2024-09-24T15:10:00.123456789Z[shop|api-1|app] GET /cart 200\n2024-09-24T15:10:01.000000Z[shop|api-1|app] two\n2024-09-24T15:10:01.000000Z[shop|api-1|app] lines\n',
    );
    const q = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="shop"}', ...range });
    expect(q.body.data.result).toEqual([
      { stream: { container: 'app', namespace: 'shop', pod: 'api-1' }, values: [[ns('2024-09-24T15:10:00.123456789Z'), 'GET /cart 200'], [ns('2024-09-24T15:10:01Z'), 'two'], [ns('2024-09-24T15:10:01Z'), 'lines']] },
    ]);
    // A nanosecond-exact range finds the line.
    const exact = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="shop"}', start: ns('2024-09-24T15:10:00.123456789Z'), end: ns('2024-09-24T15:10:00.123456790Z') });
    expect(exact.body.data?.result[0]?.values, exact.text).toEqual([[ns('2024-09-24T15:10:00.123456789Z'), 'GET /cart 200']]);
    const lethe = await get(srv.url, '/api/v1/query_range', { query: 'node{node="node-a"}', start: '2024-09-24T15:00:00Z', end: NOW });
    expect(lethe.body.data.result).toEqual([{ time: '2024-09-24T15:11:00.000000Z', node: 'node-a', process: 'kubelet', log: 'node line' }]);
  });

  it('stores a gzipped JSON push', async () => {
    const body = gzipSync(jsonPush([{ stream: { namespace: 'gz', pod: 'p', container: 'c' }, values: [[ns('2024-09-24T15:12:00Z'), 'gzipped']] }]));
    const res = await postRaw(srv.url, '/loki/api/v1/push', body, { ...JSON_TYPE, 'content-encoding': 'gzip' });
    expect(res.status).toBe(204);
    const q = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="gz"}', ...range });
    expect(q.body.data.result[0].values).toEqual([[ns('2024-09-24T15:12:00Z'), 'gzipped']]);
  });

  it('stores a snappy-compressed protobuf push (promtail)', async () => {
    const body = protoPush([
      { labels: '{container="app", namespace="proto", pod="api-2", filename="/var/log/x.log"}', entries: [{ timeNs: BigInt(ns('2024-09-24T15:20:00Z')), line: 'from promtail ✓' }] },
      { labels: '{node="node-b", process="sshd"}', entries: [{ timeNs: BigInt(ns('2024-09-24T15:21:00.5Z')), line: 'Accepted publickey' }] },
    ]);
    const res = await postRaw(srv.url, '/loki/api/v1/push', body, PROTO_TYPE);
    expect([res.status, res.body.data?.labelsDropped]).toEqual([200, { filename: 1 }]);
    const q = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="proto"} |= "✓"', ...range });
    expect(q.body.data.result).toEqual([{ stream: { container: 'app', namespace: 'proto', pod: 'api-2' }, values: [[ns('2024-09-24T15:20:00Z'), 'from promtail ✓']] }]);
    const n = await get(srv.url, '/loki/api/v1/query_range', { query: '{node="node-b"}', ...range });
    expect(n.body.data.result[0].values).toEqual([[ns('2024-09-24T15:21:00.5Z'), 'Accepted publickey']]);
  });

  it('delivers a pushed line to a live tail, and only matching lines', async () => {
    const u = new URL(srv.url.replace('http', 'ws') + '/loki/api/v1/tail');
    u.searchParams.set('query', '{namespace="shop"} |= "tail-me"');
    const ws = new WebSocket(u);
    const messages: any[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    await eventually(() => srv.server.tails.size === 1);
    const body = jsonPush([
      { stream: { namespace: 'shop', pod: 'api-1', container: 'app' }, values: [[ns('2024-09-24T15:50:00Z'), 'not this one'], [ns('2024-09-24T15:50:01Z'), 'tail-me please']] },
      { stream: { namespace: 'other', pod: 'x', container: 'y' }, values: [[ns('2024-09-24T15:50:02Z'), 'tail-me elsewhere']] },
    ]);
    expect((await postRaw(srv.url, '/loki/api/v1/push', body, JSON_TYPE)).status).toBe(204);
    await eventually(() => messages.length > 0);
    expect(messages[0]).toEqual({
      streams: [{ stream: { container: 'app', namespace: 'shop', pod: 'api-1' }, values: [[ns('2024-09-24T15:50:01Z'), 'tail-me please']] }],
      dropped_entries: [],
    });
    ws.close();
    await eventually(() => srv.server.tails.size === 0);
  });

  it('sends a tail its history first', async () => {
    const u = new URL(srv.url.replace('http', 'ws') + '/loki/api/v1/tail');
    u.searchParams.set('query', '{namespace="shop"} |= "GET"');
    u.searchParams.set('start', ns('2024-09-24T15:00:00Z'));
    const ws = new WebSocket(u);
    const first = await new Promise<any>((res, rej) => (ws.once('message', (d) => res(JSON.parse(String(d)))), ws.once('error', rej)));
    expect(first.streams).toEqual([{ stream: { container: 'app', namespace: 'shop', pod: 'api-1' }, values: [[ns('2024-09-24T15:10:00.123456789Z'), 'GET /cart 200']] }]);
    ws.close();
  });

  it('refuses a bad tail query before the upgrade', async () => {
    const u = new URL(srv.url + '/loki/api/v1/tail');
    u.searchParams.set('query', 'sum(count_over_time({namespace="shop"}[1m]))');
    const ws = new WebSocket(u.toString().replace('http', 'ws'));
    const status = await new Promise<number>((res) => ws.once('unexpected-response', (_req, r) => res(r.statusCode ?? 0)));
    expect(status).toBe(400);
  });

  const shopFile = () => readFileSync(join(tmp.dir, 'pod/shop/2024-09-24_15.log'), 'utf8');
  const bad: { name: string; body: () => Uint8Array | string; headers: Record<string, string>; status: number; error: RegExp }[] = [
    { name: 'corrupt snappy', body: () => Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]), headers: PROTO_TYPE, status: 400, error: /invalid snappy-compressed push body/ },
    { name: 'snappy around garbage', body: () => snappyCompress(Uint8Array.from([0x0a, 0x7f, 0x01])), headers: PROTO_TYPE, status: 400, error: /invalid protobuf push body \(logproto.PushRequest\): invalid protobuf at byte 1: length 127 runs past the end/ },
    { name: 'malformed JSON', body: () => '{"streams": [', headers: JSON_TYPE, status: 400, error: /invalid JSON push body/ },
    { name: 'a numeric timestamp', body: () => jsonPush([{ stream: { namespace: 'shop', pod: 'a', container: 'b' }, values: [[1727190000000000000, 'x']] }]), headers: JSON_TYPE, status: 400, error: /streams\[0\]\.values\[0\]: the timestamp must be a string/ },
    {
      name: 'a stream that names no pod (nothing else in the push)',
      body: () => jsonPush([{ stream: { level: 'info' }, values: [[ns('2024-09-24T15:40:00Z'), 'x']] }]),
      headers: JSON_TYPE,
      status: 400,
      error: /^stored 0 of 1 entries; refused 1: stream \{level="info"\} cannot be stored: no label for pod \(looked for pod, k8s_pod_name, service_name, app, application, job\)/,
    },
    { name: 'a label value with |', body: () => jsonPush([{ stream: { namespace: 'shop', pod: 'a|b', container: 'c' }, values: [[ns('2024-09-24T15:40:00Z'), 'x']] }]), headers: JSON_TYPE, status: 400, error: /invalid pod "a\|b": must not contain "\|"/ },
    { name: 'an unsafe namespace', body: () => protoPush([{ labels: '{namespace="..", pod="a", container="b"}', entries: [{ timeNs: 1727190000000000000n, line: 'x' }] }]), headers: PROTO_TYPE, status: 400, error: /invalid namespace "\.\.": must be usable as one directory name/ },
    { name: 'bad protobuf labels', body: () => protoPush([{ labels: 'namespace=a', entries: [{ timeNs: 1727190000000000000n, line: 'x' }] }]), headers: PROTO_TYPE, status: 400, error: /invalid stream labels "namespace=a"/ },
    { name: 'a body over maxPushBytes', body: () => jsonPush([{ stream: { namespace: 'shop', pod: 'a', container: 'b' }, values: [[ns('2024-09-24T15:40:00Z'), 'x'.repeat(5000)]] }]), headers: JSON_TYPE, status: 413, error: /^push body larger than 4096 bytes \(limit maxPushBytes\)/ },
    { name: 'snappy expanding past maxPushDecompressedBytes', body: () => snappyCompress(new Uint8Array(20000)), headers: PROTO_TYPE, status: 413, error: /more than 16384 bytes \(limit maxPushDecompressedBytes\)/ },
    { name: 'a gzip bomb', body: () => gzipSync(Buffer.alloc(100000, 0x20)), headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, status: 413, error: /limit maxPushDecompressedBytes/ },
    { name: 'corrupt gzip', body: () => Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, status: 400, error: /invalid gzip push body/ },
    { name: 'an unknown Content-Type', body: () => 'hello', headers: { 'content-type': 'text/plain' }, status: 415, error: /unsupported Content-Type "text\/plain"/ },
    { name: 'an unknown Content-Encoding', body: () => 'x', headers: { ...JSON_TYPE, 'content-encoding': 'br' }, status: 415, error: /unsupported Content-Encoding "br"/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with ${c.status}, writes nothing and keeps serving`, async () => {
      const before = shopFile();
      const res = await postRaw(srv.url, '/loki/api/v1/push', c.body(), c.headers);
      expect(res.status).toBe(c.status);
      expect(res.body.status).toBe('error');
      expect(res.body.error).toMatch(c.error);
      expect(res.body.message).toBe(res.body.error);
      expect(shopFile()).toBe(before);
      expect((await get(srv.url, '/ready')).status).toBe(200);
    });
  }

  it('counts ingest in /metrics', async () => {
    const text = (await get(srv.url, '/metrics')).text;
    // JSON push: 3 pod lines + 1 node line; gzip: 1; protobuf: 2; tail test: 3.
    expect(text).toMatch(/^letheql_ingest_lines_total 10$/m);
    expect(text).toMatch(/^letheql_limit_hits_total\{limit="maxPushBytes"\} 1$/m);
    expect(text).toMatch(/^letheql_limit_hits_total\{limit="maxPushDecompressedBytes"\} 2$/m);
    expect(text).toMatch(/^letheql_http_requests_total\{code="204",method="POST",route="\/loki\/api\/v1\/push"\} 2$/m);
    expect(text).toMatch(/^letheql_http_requests_total\{code="200",method="POST",route="\/loki\/api\/v1\/push"\} 2$/m);
    // job (JSON push) and filename (protobuf push); a label-value, an unsafe namespace, bad labels, no pod: 1 entry each.
    expect(text).toMatch(/^letheql_push_labels_dropped_total 2$/m);
    expect(text).toMatch(/^letheql_push_metadata_dropped_total 1$/m); // the JSON push's trace_id
    expect(text).toMatch(/^letheql_push_entries_refused_total\{reason="label_value"\} 2$/m);
    expect(text).toMatch(/^letheql_push_entries_refused_total\{reason="labels"\} 2$/m);
  });
});

describe('push availability', () => {
  it('answers 503 when push is disabled or the server has no store directory', async () => {
    const tmp = tempDir();
    const store = openStore(tmp.dir, { workers: 0 });
    const off = await start({ store, storeDir: tmp.dir, push: { enabled: false } });
    const none = await start({ store });
    try {
      const body = jsonPush([{ stream: { namespace: 'a', pod: 'b', container: 'c' }, values: [['1727190000000000000', 'x']] }]);
      const a = await postRaw(off.url, '/loki/api/v1/push', body, JSON_TYPE);
      expect([a.status, a.body.error]).toEqual([503, 'push is disabled on this server (push.enabled=false)']);
      const b = await postRaw(none.url, '/loki/api/v1/push', body, JSON_TYPE);
      expect([b.status, b.body.errorType]).toEqual([503, 'unavailable']);
    } finally {
      await off.close();
      await none.close();
      await store.close();
      tmp.cleanup();
    }
  });

  it('answers 503 while another writer holds the store, and works once it is released', async () => {
    const tmp = tempDir();
    const { openStoreWriter } = await import('../../src/node.js');
    const other = await openStoreWriter(tmp.dir);
    const store = openStore(tmp.dir, { workers: 0 });
    const srv = await start({ store, storeDir: tmp.dir });
    try {
      const body = jsonPush([{ stream: { namespace: 'a', pod: 'b', container: 'c' }, values: [['1727190000000000000', 'x']] }]);
      const locked = await postRaw(srv.url, '/loki/api/v1/push', body, JSON_TYPE);
      expect(locked.status).toBe(503);
      expect(locked.body.error).toMatch(/^push unavailable: /);
      await other.close();
      expect((await postRaw(srv.url, '/loki/api/v1/push', body, JSON_TYPE)).status).toBe(204);
    } finally {
      await srv.close();
      await store.close();
      tmp.cleanup();
    }
  });
});
