/**
 * Fan-out to NATS JetStream (`publish.ts`): subjects, headers and message ids as plain data;
 * then against Debian's real `nats-server -js` on 127.0.0.1 (skipped, saying so, when it is
 * not installed): every collected line arrives exactly once across collector restarts, a
 * batch re-published after a crash between publish and commit, and NATS going down and
 * coming back; lines pushed to `serve` arrive too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../src/write/checkpoint.js';
import { startCollector, type Collector, type CollectorEvent } from '../../src/write/collector.js';
import { defaultCheckpointPath } from '../../src/write/layout.js';
import { backoffMs, checkSubjectPrefix, defaultStreamName, messagesOf, subjectToken } from '../../src/write/publish.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { runServe } from '../../src/cli/serve.js';
import { main } from '../../src/cli/main.js';
import { parseServerConfig } from '../../src/server/config.js';
import { deferred, get, postRaw } from '../server/helpers.js';
import { consumeAll, NATS_SKIP, startNats, type NatsServer } from '../support/nats.js';
import { bundleChild } from './children/bundle.js';
import { readStoreFiles, tempDir } from './helpers.js';
import { openStoreWriter } from '../../src/write/store-writer.js';

const ID = 'b'.repeat(64);
const BASE_MS = Date.parse('2024-09-24T15:00:00Z');
const cri = (n: number, msg: string): string => `${new Date(BASE_MS + n).toISOString()} stdout F ${msg}\n`;
const enc = new TextEncoder();

describe('publish: subjects, headers, message ids', () => {
  it('escapes label values into one subject token, reversibly', () => {
    const table: [string, string][] = [
      ['shop', 'shop'],
      ['ip-10-0-0-1.ec2.internal', 'ip-10-0-0-1%2Eec2%2Einternal'],
      ['a*b>c%d', 'a%2Ab%3Ec%25d'],
      ['with space\ttab', 'with%20space%09tab'],
      ['ünï', '%C3%BCn%C3%AF'],
      ['$SYS_x-y:z', '$SYS_x-y:z'],
    ];
    for (const [value, token] of table) {
      expect(subjectToken(value)).toBe(token);
      expect(decodeURIComponent(subjectToken(value))).toBe(value);
    }
  });

  it('checks subject prefixes and names default streams', () => {
    expect(checkSubjectPrefix('lethe.cluster-a')).toBe('lethe.cluster-a');
    for (const bad of ['', 'a..b', 'a.*', 'logs.>', 'a b', '.a', 'a.']) expect(() => checkSubjectPrefix(bad), bad).toThrow(/invalid subject prefix/);
    expect(defaultStreamName('lethe.cluster-a')).toBe('LETHE_CLUSTER-A');
    expect([1, 2, 3, 10].map((n) => backoffMs(n, 250, 10_000))).toEqual([250, 500, 1000, 10_000]);
  });

  it('makes one message per store line: subject, labels, nanosecond time, body, id from file and offset', () => {
    const pod = '2024-09-24T15:00:01.123456789Z[shop|api-1|app] GET /cart [200] a|b\n2024-09-24T15:00:02.000000Z[shop|api-1|app] \n';
    const node = '2024-09-24T15:00:03.5Z[n1.example|kubelet] started\n';
    const msgs = messagesOf('S', 'logs', [
      { path: 'pod/shop/2024-09-24_15.log', offset: 100, bytes: enc.encode(pod) },
      { path: 'node/n1.example/2024-09-24_15.log', offset: 0, bytes: enc.encode(node) },
    ]);
    expect(msgs.map((m) => [m.subject, m.msgId, new TextDecoder().decode(m.body)])).toEqual([
      ['logs.pod.shop', 'S:pod/shop/2024-09-24_15.log:100', 'GET /cart [200] a|b'],
      ['logs.pod.shop', `S:pod/shop/2024-09-24_15.log:${100 + pod.indexOf('\n') + 1}`, ''],
      ['logs.node.n1%2Eexample', 'S:node/n1.example/2024-09-24_15.log:0', 'started'],
    ]);
    expect(Object.fromEntries(msgs[0]!.headers)).toEqual({
      'Lethe-Kind': 'pod',
      'Lethe-Namespace': 'shop',
      'Lethe-Pod': 'api-1',
      'Lethe-Container': 'app',
      'Lethe-Time-Ns': '1727190001123456789',
      'Lethe-Time': '2024-09-24T15:00:01.123456789Z',
      'Lethe-File': 'pod/shop/2024-09-24_15.log',
      'Lethe-Offset': '100',
    });
    expect(Object.fromEntries(msgs[2]!.headers)).toMatchObject({ 'Lethe-Kind': 'node', 'Lethe-Node': 'n1.example', 'Lethe-Process': 'kubelet', 'Lethe-Time-Ns': '1727190003500000000' });
  });
});

describe('publish: where lines landed', () => {
  it('appendFiles resolves with the offset each file’s bytes were written at, also for appends grouped into one commit', async () => {
    const t = tempDir('letheql-offsets-');
    try {
      const w = await openStoreWriter(join(t.dir, 'store'), { fsync: 'none', sidecars: false });
      const a = 'pod/shop/2024-09-24_15.log';
      const b = 'node/n1/2024-09-24_15.log';
      const line = (m: string): Uint8Array => enc.encode(`2024-09-24T15:00:00.000000Z[shop|p|c] ${m}\n`);
      const nline = (m: string): Uint8Array => enc.encode(`2024-09-24T15:00:00.000000Z[n1|k] ${m}\n`);
      const first = await w.appendFiles([{ path: a, bytes: line('one') }]);
      // Queued together: one commit, one write per file, offsets in queue order.
      const [second, third] = await Promise.all([w.appendFiles([{ path: b, bytes: nline('x') }, { path: a, bytes: line('two') }, { path: a, bytes: new Uint8Array(0) }]), w.appendFiles([{ path: a, bytes: line('three') }])]);
      await w.close();
      const text = readStoreFiles(join(t.dir, 'store')).get(a)!;
      const startOf = (m: string): number => text.lastIndexOf('\n', text.indexOf(m)) + 1;
      expect(first).toEqual([0]);
      expect(second).toEqual([0, startOf('two'), -1]);
      expect(third).toEqual([startOf('three')]);
      expect(startOf('three')).toBeGreaterThan(startOf('two'));
    } finally {
      t.cleanup();
    }
  });
});

describe('publish: flags and config', () => {
  it('checks push.publish in the server config', () => {
    expect(parseServerConfig({ push: { publish: { url: 'nats://127.0.0.1:4222', subject: 'logs', timeout: '5s' } } }).push.publish).toEqual({ url: 'nats://127.0.0.1:4222', subject: 'logs', timeoutMs: 5000 });
    for (const [publish, msg] of [
      [{ url: 'http://x:1', subject: 'logs' }, /expected nats:\/\/HOST:PORT/],
      [{ url: 'nats://x:1', subject: 'logs.*' }, /invalid subject prefix/],
      [{ url: 'nats://x:1' }, /needs "url".*and "subject"/],
      [{ url: 'nats://x:1', subject: 'a', stream: 'a.b' }, /push.publish.stream/],
      [{ url: 'nats://x:1', subject: 'a', extra: 1 }, /unknown key "extra" in push.publish/],
    ] as const) {
      expect(() => parseServerConfig({ push: { publish } }), JSON.stringify(publish)).toThrow(msg);
    }
  });

  it('collect: --publish needs --subject, and the other way round (exit 2)', async () => {
    const run = async (args: string[]): Promise<{ code: number; err: string }> => {
      const stderr = new PassThrough();
      let err = '';
      stderr.on('data', (d) => (err += d));
      const code = await main(args, { stdout: new PassThrough(), stderr, env: {} });
      return { code, err };
    };
    expect(await run(['collect', '--store', '/nonexistent', '--from', '/nonexistent', '--publish', 'nats://127.0.0.1:4222'])).toMatchObject({ code: 2, err: expect.stringContaining('--publish needs --subject PREFIX') });
    expect(await run(['collect', '--store', '/nonexistent', '--from', '/nonexistent', '--subject', 'logs'])).toMatchObject({ code: 2, err: expect.stringContaining('--subject and --stream go with --publish') });
    expect(await run(['collect', '--store', '/nonexistent', '--from', '/nonexistent', '--publish', 'nats://h:1', '--subject', 'a b'])).toMatchObject({ code: 2, err: expect.stringContaining('invalid subject prefix') });
  });
});

describe.skipIf(NATS_SKIP !== null)(`publish to NATS JetStream${NATS_SKIP ? ` (skipped: ${NATS_SKIP})` : ''}`, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
  }, 30_000);
  afterAll(async () => {
    await nats?.dispose();
  });
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  let prefixNo = 0;
  function setup(): { store: string; logs: string; subject: string; stream: string } {
    const t = tempDir('letheql-publish-');
    cleanups.push(t.cleanup);
    const logs = join(t.dir, 'containers');
    mkdirSync(logs);
    const subject = `t${++prefixNo}.logs`;
    return { store: join(t.dir, 'store'), logs, subject, stream: defaultStreamName(subject) };
  }

  async function collector(s: ReturnType<typeof setup>, events: CollectorEvent[] = []): Promise<Collector> {
    const c = await startCollector({
      store: s.store,
      containerDirs: [s.logs],
      pollMs: 25,
      watch: false,
      maxBatchBytes: 4096, // many small batches
      publish: { url: nats.url, subject: s.subject, minBackoffMs: 50, maxBackoffMs: 400, ackTimeoutMs: 1000 },
      onEvent: (e) => events.push(e),
    });
    let stopped = false;
    const stop = c.stop.bind(c);
    cleanups.push(async () => {
      if (!stopped) await stop();
    });
    return Object.assign(c, {
      stop: () => {
        stopped = true;
        return stop();
      },
    });
  }

  /** Writes messages `tag-from` … `tag-to` of one container. */
  function writeLines(logs: string, pod: string, from: number, to: number): void {
    let text = '';
    for (let n = from; n <= to; n++) text += cri(n, `${pod}-${n}`);
    appendFileSync(join(logs, `${pod}_shop_app-${ID}.log`), text);
  }

  /** Counts of each body the stream holds. */
  async function bodies(stream: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const m of await consumeAll(nats.url, stream)) counts.set(m.body, (counts.get(m.body) ?? 0) + 1);
    return counts;
  }
  const expectExactlyOnce = (counts: Map<string, number>, expected: string[]): void => {
    expect([...counts.keys()].sort()).toEqual([...expected].sort());
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  };
  const seq = (tag: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${tag}-${from + i}`);

  it('publishes every collected line exactly once across restarts and a re-published batch', async () => {
    const s = setup();
    const events: CollectorEvent[] = [];
    writeLines(s.logs, 'api-1', 0, 299);
    writeLines(s.logs, 'web-1', 0, 99);
    let c = await collector(s, events);
    await c.waitForIdle();
    const first = await c.stop();
    expect(first.published).toBe(400);
    expect(events).toContainEqual({ type: 'stream-created', stream: s.stream, subjects: [`${s.subject}.>`] });

    // Restart: only the new lines.
    writeLines(s.logs, 'api-1', 300, 499);
    c = await collector(s);
    await c.waitForIdle();
    expect((await c.stop()).published).toBe(200);

    // A crash after the publish and before the commit: the last file's lines come back as a
    // pending batch. The store keeps them once (they are already there), JetStream too.
    const cp = (await readCheckpoint(defaultCheckpointPath(s.store)))!;
    const files = readStoreFiles(s.store);
    const path = [...files.keys()].find((p) => p.includes('pod/shop/'))!;
    await writeCheckpoint(defaultCheckpointPath(s.store), { ...cp, pending: { sources: cp.sources, files: [{ path, before: 0, data: Buffer.from(files.get(path)!).toString('base64') }] } }, false);
    c = await collector(s);
    await c.waitForIdle();
    const replay = await c.stop();
    expect(replay.published).toBe(0);
    expect(replay.publishDuplicates).toBe(600);
    expect(readStoreFiles(s.store)).toEqual(files);

    const counts = await bodies(s.stream);
    expectExactlyOnce(counts, [...seq('api-1', 0, 499), ...seq('web-1', 0, 99)]);
    const one = (await consumeAll(nats.url, s.stream)).find((m) => m.body === 'api-1-7')!;
    expect(one.subject).toBe(`${s.subject}.pod.shop`);
    expect(one.headers).toMatchObject({ 'Lethe-Namespace': 'shop', 'Lethe-Pod': 'api-1', 'Lethe-Container': 'app', 'Lethe-Time-Ns': String(BigInt(BASE_MS + 7) * 1_000_000n) });
    expect(one.headers['Nats-Msg-Id']).toMatch(/^[0-9a-f-]{36}:pod\/shop\/2024-09-24_15\.log:\d+$/);
  }, 60_000);

  it('a collector killed with SIGKILL again and again while it publishes: every line consumed exactly once', async () => {
    const s = setup();
    const bundle = await bundleChild('collect-child', join(s.logs, '..'));
    let seed = 11;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const next = { a: 0, b: 0 };
    const writeSome = (): void => {
      for (const k of ['a', 'b'] as const) {
        const n = 1 + Math.floor(random() * 40);
        writeLines(s.logs, k, next[k] + 1, next[k] + n);
        next[k] += n;
      }
    };
    const spawnChild = (): Promise<ChildProcess> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [bundle, s.store, s.logs, '10', nats.url, s.subject], { stdio: ['ignore', 'pipe', 'inherit'] });
        child.stdout!.setEncoding('utf8').once('data', () => resolve(child));
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`collector child exited early (${code})`)));
      });
    const exited = (child: ChildProcess): Promise<unknown> => new Promise((r) => child.once('exit', (code, signal) => r(signal ?? code)));
    for (let round = 0; round < 6; round++) {
      const child = await spawnChild();
      child.removeAllListeners('exit');
      for (let i = 0, steps = 2 + Math.floor(random() * 5); i < steps; i++) {
        writeSome();
        await new Promise((r) => setTimeout(r, 5 + random() * 40));
      }
      const gone = exited(child);
      child.kill('SIGKILL');
      expect(await gone).toBe('SIGKILL');
      writeSome();
    }
    const child = await spawnChild();
    child.removeAllListeners('exit');
    const total = next.a + next.b;
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const count = async (): Promise<number> => (await jsm.streams.info(s.stream)).state.messages;
      for (let i = 0; i < 200 && (await count().catch(() => 0)) < total; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await nc.close();
    }
    const gone = exited(child);
    child.kill('SIGTERM');
    expect(await gone).toBe(0);
    expectExactlyOnce(await bodies(s.stream), [...seq('a', 1, next.a), ...seq('b', 1, next.b)]);
  }, 90_000);

  it('uses a stream that already captures the subjects, as it is', async () => {
    const s = setup();
    const nc = await connect({ servers: nats.url });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: 'MADE_BEFORE', subjects: [`${s.subject}.>`], duplicate_window: 10 * 60 * 1e9 });
    } finally {
      await nc.close();
    }
    const events: CollectorEvent[] = [];
    writeLines(s.logs, 'api-1', 0, 9);
    const c = await collector(s, events);
    await c.waitForIdle();
    expect((await c.stop()).published).toBe(10);
    expect(events.filter((e) => e.type === 'stream-created')).toEqual([]);
    expectExactlyOnce(await bodies('MADE_BEFORE'), seq('api-1', 0, 9));
  }, 30_000);

  it('NATS down, then up: collection waits, says so, and loses nothing', async () => {
    const s = setup();
    const events: CollectorEvent[] = [];
    writeLines(s.logs, 'api-1', 0, 49);
    let c = await collector(s, events);
    await c.waitForIdle();
    await nats.stop();
    try {
      writeLines(s.logs, 'api-1', 50, 149);
      await waitUntil(() => events.some((e) => e.type === 'publish-retry'), 10_000);
      // Stopped while NATS is down: the batch stays pending in the checkpoint.
      await c.stop();
      expect((await readCheckpoint(defaultCheckpointPath(s.store)))!.pending).not.toBeNull();
      c = await collector(s, events);
      writeLines(s.logs, 'api-1', 150, 199);
      await waitUntil(() => events.filter((e) => e.type === 'publish-retry').length >= 3, 10_000);
    } finally {
      await nats.start();
    }
    await c.waitForIdle();
    await waitUntil(() => events.some((e) => e.type === 'publish-resumed'), 10_000);
    await c.stop();
    const retry = events.find((e) => e.type === 'publish-retry')!;
    expect(retry).toMatchObject({ attempt: 1, message: expect.stringContaining(nats.url) });
    expectExactlyOnce(await bodies(s.stream), seq('api-1', 0, 199));
  }, 60_000);

  it('serve --publish: pushed lines arrive before the push is answered; NATS down: 503 after push.publish.timeout, the retry arrives', async () => {
    const s = setup();
    mkdirSync(s.store);
    const config = join(s.store, '..', 'serve.json');
    writeFileSync(config, JSON.stringify({ logLevel: 'warn', workers: 0, push: { fsync: 'none', publish: { url: 'nats://127.0.0.1:1', subject: 'ignored', timeout: '1500ms' } } }));
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d) => (err += d));
    const stop = new AbortController();
    const url = deferred<string>();
    const exit = runServe(['--store', s.store, '--listen', '127.0.0.1:0', '--config', config, '--publish', nats.url, '--subject', s.subject], { stdout: new PassThrough(), stderr, env: {} }, stop.signal, url.resolve);
    const base = await url.promise;
    try {
      const t = (sec: number): string => String(BigInt(BASE_MS / 1000 + sec) * 1_000_000_000n + 123n);
      const push = (streams: unknown[]) => postRaw(base, '/loki/api/v1/push', JSON.stringify({ streams }), { 'content-type': 'application/json' });
      const r = await push([
        { stream: { namespace: 'shop', pod: 'api-1', container: 'app' }, values: [[t(1), 'one'], [t(2), 'two\nthree']] },
        { stream: { node: 'ip-10-0-0-1.ec2.internal', process: 'kubelet' }, values: [[t(3), 'node line']] },
      ]);
      expect(r.status, r.text).toBe(204);
      // Answered only after the PubAcks: the stream already holds every line.
      const got = await consumeAll(nats.url, s.stream);
      expect(got.map((m) => [m.subject, m.body])).toEqual([
        [`${s.subject}.pod.shop`, 'one'],
        [`${s.subject}.pod.shop`, 'two'],
        [`${s.subject}.pod.shop`, 'three'],
        [`${s.subject}.node.ip-10-0-0-1%2Eec2%2Einternal`, 'node line'],
      ]);
      expect(got[0]!.headers).toMatchObject({ 'Lethe-Pod': 'api-1', 'Lethe-Time-Ns': t(1), 'Lethe-Time': '2024-09-24T15:00:01.000000123Z' });
      expect(got[3]!.headers).toMatchObject({ 'Lethe-Kind': 'node', 'Lethe-Node': 'ip-10-0-0-1.ec2.internal', 'Lethe-Process': 'kubelet' });

      await nats.stop();
      let down;
      try {
        down = await push([{ stream: { namespace: 'shop', pod: 'api-1', container: 'app' }, values: [[t(4), 'four']] }]);
      } finally {
        await nats.start();
      }
      expect(down.status, down.text).toBe(503);
      expect(down.body.error).toMatch(/stored, but NATS JetStream did not acknowledge them/);
      // The client retries, as Loki clients do on 5xx, until NATS is back.
      let retried = down;
      for (let i = 0; i < 20 && retried.status !== 204; i++) {
        await new Promise((r) => setTimeout(r, 250));
        retried = await push([{ stream: { namespace: 'shop', pod: 'api-1', container: 'app' }, values: [[t(4), 'four']] }]);
      }
      expect(retried.status, retried.text).toBe(204);
      // At least once: a push answered 503 may have reached JetStream before its PubAck was lost.
      const after = (await consumeAll(nats.url, s.stream)).map((m) => m.body);
      expect(after.slice(0, 5)).toEqual(['one', 'two', 'three', 'node line', 'four']);
      expect(new Set(after.slice(4))).toEqual(new Set(['four']));
      const metrics = (await get(base, '/metrics')).text;
      expect(metrics).toMatch(/letheql_publish_lines_total\{outcome="stored"\} [5-9]/);
      expect(metrics).toMatch(/letheql_publish_failed_attempts_total [1-9]/);
    } finally {
      stop.abort();
      expect(await exit).toBe(0);
    }
    expect(err).toMatch(/publish not acknowledged after \d+ attempts, giving up/);
  }, 60_000);

  it('serve shutdown does not wait for a push stuck on NATS: the push answers 503 at once', async () => {
    const s = setup();
    mkdirSync(s.store);
    const stop = new AbortController();
    const url = deferred<string>();
    const quiet = { stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
    quiet.stderr.resume();
    // Nobody listens on port 1: the push retries for up to the default 30 s.
    const exit = runServe(['--store', s.store, '--listen', '127.0.0.1:0', '--workers', '0', '--publish', 'nats://127.0.0.1:1', '--subject', s.subject], quiet, stop.signal, url.resolve);
    const base = await url.promise;
    const t0 = String(BigInt(BASE_MS) * 1_000_000n);
    const pushing = postRaw(base, '/loki/api/v1/push', JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'p', container: 'c' }, values: [[t0, 'stuck']] }] }), { 'content-type': 'application/json' });
    await new Promise((r) => setTimeout(r, 700));
    const began = Date.now();
    stop.abort();
    const r = await pushing;
    expect(r.status).toBe(503);
    expect(r.body.error).toMatch(/the server is shutting down/);
    expect(await exit).toBe(0);
    expect(Date.now() - began).toBeLessThan(10_000);
  }, 30_000);
});

async function waitUntil(pred: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
