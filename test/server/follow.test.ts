/**
 * Live tail of lines another process appends to the store files (a collector): the server
 * follows the hot hour files while a tail is open, publishes whole lines only, and does not
 * send its own pushed lines twice.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openStore, type LogStore } from '../../src/node.js';
import { eventually, frozen, postRaw, start, tempDir, type Running } from './helpers.js';

const NOW = '2024-09-24T15:59:00Z';
const line = (time: string, msg: string) => `${time}[shop|api-1|app] ${msg}\n`;

describe('live tail follows the store files', () => {
  const tmp = tempDir();
  let store: LogStore;
  let srv: Running;
  const file = join(tmp.dir, 'pod/shop/2024-09-24_15.log');
  beforeAll(async () => {
    mkdirSync(join(tmp.dir, 'pod/shop'), { recursive: true });
    writeFileSync(file, line('2024-09-24T15:00:00.000000Z', 'old line, before the tail'));
    store = openStore(tmp.dir, { workers: 0 });
    srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW), tailFollowMs: 20 });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
    tmp.cleanup();
  });

  /** A tail from NOW on (no history), collecting the lines it delivers. */
  async function openTail(query: string): Promise<{ ws: WebSocket; values: string[] }> {
    const u = new URL(srv.url.replace('http', 'ws') + '/loki/api/v1/tail');
    u.searchParams.set('query', query);
    u.searchParams.set('start', String(BigInt(Date.parse(NOW)) * 1_000_000n));
    const ws = new WebSocket(u);
    const values: string[] = [];
    ws.on('message', (d) => {
      for (const s of JSON.parse(String(d)).streams) for (const [, v] of s.values) values.push(v);
    });
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    await eventually(() => srv.server.tails.size === 1);
    return { ws, values };
  }

  it('delivers appended whole lines that match, once, and pushed lines once', async () => {
    const { ws, values } = await openTail('{namespace="shop"} |= "follow"');

    // A collector appends: one matching line, one not, then half a line.
    appendFileSync(file, line('2024-09-24T15:58:00.000000Z', 'follow me') + line('2024-09-24T15:58:01.000000Z', 'not this'));
    appendFileSync(file, '2024-09-24T15:58:02.000000Z[shop|api-1|app] follow the');
    await eventually(() => values.length >= 1);
    expect(values).toEqual(['follow me']);
    // The partial line is published once its newline arrives.
    appendFileSync(file, ' rest\n');
    await eventually(() => values.length >= 2);
    expect(values).toEqual(['follow me', 'follow the rest']);

    // A push is published by the push route at once; following must not send it again.
    const body = JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'api-1', container: 'app' }, values: [[String(BigInt(Date.parse('2024-09-24T15:58:30Z')) * 1_000_000n), 'follow pushed']] }] });
    expect((await postRaw(srv.url, '/loki/api/v1/push', body, { 'content-type': 'application/json' })).status).toBe(204);
    await eventually(() => values.length >= 3);
    appendFileSync(file, line('2024-09-24T15:58:40.000000Z', 'follow after the push'));
    await eventually(() => values.length >= 4);
    expect(values).toEqual(['follow me', 'follow the rest', 'follow pushed', 'follow after the push']);
    ws.close();
    await eventually(() => srv.server.tails.size === 0);
  });

  it('a push that creates a file is tailed once, however the polls fall', async () => {
    const { ws, values } = await openTail('{namespace=~"fresh.*"} |= "new file"');
    // Each push creates a new target's hour file, which the follower (polling every 20 ms) has not met.
    const sent: string[] = [];
    for (let i = 0; i < 12; i++) {
      const msg = `new file ${i}`;
      sent.push(msg);
      const ts = String(BigInt(Date.parse('2024-09-24T15:58:30Z')) * 1_000_000n + BigInt(i));
      const body = JSON.stringify({ streams: [{ stream: { namespace: `fresh${i % 4}`, pod: 'p', container: 'c' }, values: [[ts, msg]] }] });
      expect((await postRaw(srv.url, '/loki/api/v1/push', body, { 'content-type': 'application/json' })).status).toBe(204);
      await new Promise((r) => setTimeout(r, 7 * (i % 5)));
    }
    await eventually(() => values.length >= sent.length);
    await new Promise((r) => setTimeout(r, 150)); // several more polls: nothing may arrive twice
    expect([...values].sort()).toEqual([...sent].sort());
    ws.close();
    await eventually(() => srv.server.tails.size === 0);
  });
});

describe('live tail reads service_name under the server\'s rule', () => {
  const tmp = tempDir();
  let store: LogStore;
  let srv: Running;
  beforeAll(async () => {
    mkdirSync(join(tmp.dir, 'pod/shop'), { recursive: true });
    writeFileSync(join(tmp.dir, 'pod/shop/2024-09-24_15.log'), line('2024-09-24T15:00:00.000000Z', 'old line'));
    store = openStore(tmp.dir, { workers: 0 });
    // `container`: service_name is the container (`app` here), not the pod's workload (`api-1`).
    srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW), tailFollowMs: 20, serviceName: 'container' });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
    tmp.cleanup();
  });

  it('{service_name="app"} follows the container named app', async () => {
    const u = new URL(srv.url.replace('http', 'ws') + '/loki/api/v1/tail');
    u.searchParams.set('query', '{service_name="app"} |= "svc"');
    u.searchParams.set('start', String(BigInt(Date.parse(NOW)) * 1_000_000n));
    const ws = new WebSocket(u);
    const values: string[] = [];
    ws.on('message', (d) => {
      for (const s of JSON.parse(String(d)).streams) for (const [, v] of s.values) values.push(v);
    });
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    await eventually(() => srv.server.tails.size === 1);
    const body = JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'api-1', container: 'app' }, values: [[String(BigInt(Date.parse('2024-09-24T15:58:30Z')) * 1_000_000n), 'svc pushed']] }] });
    expect((await postRaw(srv.url, '/loki/api/v1/push', body, { 'content-type': 'application/json' })).status).toBe(204);
    await eventually(() => values.length >= 1);
    expect(values).toEqual(['svc pushed']);
    ws.close();
    await eventually(() => srv.server.tails.size === 0);
  });
});
