/**
 * Bounded load tests on loopback: 20 concurrent clients each send a fixed list of mixed
 * requests (JSON and protobuf pushes, Loki and Lethe queries), then every pushed line must be
 * in the store exactly once and no request may have failed. Then the same with hostile
 * requests mixed in (issue 16, `scripts/hostile-workload.mjs`): no 5xx, every hostile request
 * answered with its 4xx, `/-/healthy` answering throughout, no lost line, and the resident
 * set of this process (the server runs in it) under a stated bound. Throughput and latency
 * percentiles are printed for the record, never asserted (no wall-clock thresholds).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compress as snappyCompress } from 'snappyjs';
import { countIds, runHostileLoad } from '../../scripts/hostile-workload.mjs';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { encodePushRequest } from '../../src/server/protobuf.js';
import { NOW, ns, writeFixture } from './fixture.js';
import { frozen, get, postRaw, start, tempDir } from './helpers.js';

const CLIENTS = 20;
const REQUESTS_PER_CLIENT = 40; // half pushes, half queries
const LINES_PER_PUSH = 3;

describe('load', () => {
  it(`${CLIENTS} clients × ${REQUESTS_PER_CLIENT} mixed requests: no errors, no lost line`, async () => {
    const tmp = tempDir();
    writeFixture(tmp.dir);
    const store = openStore(tmp.dir, { workers: 0 });
    const srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW), logLevel: 'silent' });
    const base = BigInt(ns('2024-09-24T15:40:00Z'));
    const latencies: { kind: string; ms: number }[] = [];
    const failures: string[] = [];
    const expected = new Set<string>();
    try {
      const client = async (c: number) => {
        for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
          const t0 = performance.now();
          let kind: string;
          let status: number;
          if (i % 2 === 0) {
            const entries = Array.from({ length: LINES_PER_PUSH }, (_, k) => {
              const id = `load c${c} i${i} k${k}`;
              expected.add(id);
              return { timeNs: base + BigInt((c * REQUESTS_PER_CLIENT + i) * LINES_PER_PUSH + k) * 1000n, line: id };
            });
            const pod = { namespace: 'load', pod: `client-${c}`, container: 'gen' };
            if (i % 4 === 0) {
              kind = 'push-json';
              const body = JSON.stringify({ streams: [{ stream: pod, values: entries.map((e) => [String(e.timeNs), e.line]) }] });
              status = (await postRaw(srv.url, '/loki/api/v1/push', body, { 'content-type': 'application/json' })).status;
            } else {
              kind = 'push-protobuf';
              const body = snappyCompress(encodePushRequest([{ labels: `{container="gen", namespace="load", pod="client-${c}"}`, entries }]));
              status = (await postRaw(srv.url, '/loki/api/v1/push', body, { 'content-type': 'application/x-protobuf' })).status;
            }
          } else if (i % 4 === 1) {
            kind = 'loki-query';
            status = (await get(srv.url, '/loki/api/v1/query_range', { query: `{namespace="load", pod="client-${c}"} |= "i"`, start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z'), limit: '50' })).status;
          } else {
            kind = 'lethe-query';
            status = (await get(srv.url, '/api/v1/query_range', { query: 'pod{namespace=~"shop|load"} |~ "c1[0-9] i"', start: '2024-09-24T15:00:00Z', end: NOW })).status;
          }
          latencies.push({ kind, ms: performance.now() - t0 });
          if (status < 200 || status >= 300) failures.push(`${kind} → ${status}`);
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      const elapsed = performance.now() - t0;
      expect(failures).toEqual([]);

      const all = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="load"}', start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z'), limit: '5000' });
      const seen = all.body.data.result.flatMap((s: { values: [string, string][] }) => s.values.map((v) => v[1]));
      expect(seen.length).toBe(expected.size);
      expect(new Set(seen)).toEqual(expected);

      const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
      const all_ms = latencies.map((l) => l.ms);
      const byKind = Object.fromEntries(
        [...new Set(latencies.map((l) => l.kind))].map((k) => {
          const xs = latencies.filter((l) => l.kind === k).map((l) => l.ms);
          return [k, { n: xs.length, p50: +pct(xs, 50).toFixed(1), p99: +pct(xs, 99).toFixed(1) }];
        }),
      );
      console.log(
        JSON.stringify({
          requests: latencies.length,
          seconds: +(elapsed / 1000).toFixed(2),
          requestsPerSecond: Math.round(latencies.length / (elapsed / 1000)),
          linesPushed: expected.size,
          p50ms: +pct(all_ms, 50).toFixed(1),
          p99ms: +pct(all_ms, 99).toFixed(1),
          byKind,
        }),
      );
    } finally {
      await srv.close();
      await store.close();
      tmp.cleanup();
    }
  });
});

describe('hostile load', () => {
  it('8 clients × 30 requests, ~30 % hostile: no 5xx, limits named, healthy throughout, no lost line, RSS +<400 MiB', async () => {
    const tmp = tempDir();
    writeFixture(tmp.dir);
    // A namespace over maxBytesScanned, for the hostile queries and tails.
    mkdirSync(join(tmp.dir, 'pod/big'), { recursive: true });
    const line = `2024-09-24T15:30:00.000000Z[big|p|c] ${'y'.repeat(200)}\n`;
    writeFileSync(join(tmp.dir, 'pod/big/2024-09-24_15.log'), line.repeat(Math.ceil((3 * 2 ** 20) / line.length)));
    const store = openStore(tmp.dir, { workers: 0 });
    const srv = await start({ store, storeDir: tmp.dir, now: frozen(NOW), logLevel: 'silent', limits: { maxBytesScanned: 2 * 2 ** 20, maxLines: 1000 } });
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    try {
      const { pushed, failures, report } = await runHostileLoad({
        url: srv.url,
        encodePushRequest,
        storeInfo: { start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z'), bigNamespace: 'big', maxLines: 1000 },
        clients: 8,
        requestsPerClient: 30,
        seed: 16,
        onSample: () => (peak = Math.max(peak, process.memoryUsage().rss)),
      });
      console.log(JSON.stringify({ ...report, rssBeforeMiB: Math.round(before / 2 ** 20), rssPeakMiB: Math.round(peak / 2 ** 20) }));
      expect(failures).toEqual([]);
      expect(report.fiveXX).toBe(0);
      expect(report.hostile).toBeGreaterThan(0);
      expect(report.healthy.failed).toBe(0);
      expect(report.healthy.probes).toBeGreaterThan(0);
      // Every acknowledged line is in the store exactly once.
      const dir = join(tmp.dir, 'pod/load');
      const counts = countIds(readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')));
      expect([...pushed].filter((id) => counts.get(id) !== 1)).toEqual([]);
      expect(counts.size).toBe(pushed.size);
      expect(peak - before).toBeLessThan(400 * 2 ** 20);
    } finally {
      await srv.close();
      await store.close();
      tmp.cleanup();
    }
  });
});
