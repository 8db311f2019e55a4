/**
 * A mixed workload for `letheql serve`: ordinary queries, pushes and tails, interleaved with
 * the hostile requests of issue 16 (and of its template/nesting points), against one server
 * on loopback. Shared by `scripts/load-hostile.mjs` (a child `letheql serve`, for a bounded
 * time) and `test/server/load.test.ts` (an in-process server, a bounded number of requests).
 *
 * Every request has an expected answer: ordinary ones 2xx (101 for a tail), hostile ones the
 * 4xx that names their limit. A request is a *failure* when it gets a 5xx, an unexpected
 * status, or a connection error. A probe asks `/-/healthy` every `probeMs` throughout; every
 * pushed line carries an id, and the caller checks the store holds each exactly once.
 *
 * Deterministic: the request mix comes from a seeded generator, never from the clock.
 */
import { gzipSync } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import WebSocket from 'ws';
import { mulberry32 } from './lib/prng.mjs';

const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };

async function http(base, path, { method = 'GET', query, body, headers } = {}) {
  const u = new URL(path, base);
  for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
  const res = await fetch(u, { method, body, headers });
  const text = await res.text();
  return { status: res.status, text };
}

/** Opens a tail; resolves with the upgrade status (101) after the first message or a refusal's status. */
function tail(base, query) {
  return new Promise((resolve) => {
    const u = new URL(base.replace(/^http/, 'ws') + '/loki/api/v1/tail');
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    const ws = new WebSocket(u);
    let settled = false;
    const done = (status) => {
      if (settled) return;
      settled = true;
      resolve({ status });
      ws.terminate();
    };
    ws.once('message', () => done(101));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    ws.once('close', (code) => done(code === 1000 || code === 1005 ? 101 : 1000 + code));
    ws.once('error', () => done(0));
    // A tail whose history is empty sends nothing: an open socket is an answer too.
    ws.once('open', () => setTimeout(() => done(101), 50));
  });
}

/**
 * Builds the workload. `storeInfo`: `{ start, end }` (ns strings) of the window ordinary
 * queries read, `bigNamespace` (a namespace over `maxBytesScanned`), `maxLines`.
 */
export function makeKinds({ encodePushRequest, storeInfo }) {
  const { start, end, bigNamespace, maxLines } = storeInfo;
  const at = BigInt(start) + 60_000_000_000n;
  // Hostile bodies are built once and reused.
  const newlineBomb = gzipSync(JSON.stringify({ streams: [{ stream: { namespace: 'load', pod: 'p'.repeat(200), container: 'c' }, values: [[String(at), 'x\n'.repeat(2_000_000)]] }] }));
  const longNamespace = JSON.stringify({ streams: [{ stream: { namespace: 'n'.repeat(300), pod: 'p', container: 'c' }, values: [[String(at), 'x']] }] });
  const longPod = JSON.stringify({ streams: [{ stream: { namespace: 'load', pod: 'p'.repeat(5000), container: 'c' }, values: [[String(at), 'x']] }] });
  const year9999 = snappyCompress(encodePushRequest([{ labels: '{namespace="load", pod="p", container="c"}', entries: [{ timeNs: 253370764800000000000n, line: 'x' }] }]));
  const manyEntries = snappyCompress(encodePushRequest([{ labels: '{namespace="load", pod="p", container="c"}', entries: Array.from({ length: 100_001 }, () => ({ timeNs: at, line: '' })) }]));
  const deep = 2000;
  const nested = `${'('.repeat(deep)}count_over_time({namespace="load"}[1m])${')'.repeat(deep)}`;
  const window = { start, end };

  let seq = 0;
  const pushLines = (ctx, c) => {
    const entries = Array.from({ length: 3 }, () => {
      const id = `load c${c} #${seq++}`;
      ctx.pushed.add(id);
      return { timeNs: at + BigInt(seq), line: id };
    });
    return entries;
  };

  /** name → { hostile, weight, expect: statuses, run(base, ctx, client) } */
  return [
    // Ordinary
    { name: 'push-json', weight: 6, expect: [204], run: (b, ctx, c) => http(b, '/loki/api/v1/push', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ streams: [{ stream: { namespace: 'load', pod: `client-${c}`, container: 'gen' }, values: pushLines(ctx, c).map((e) => [String(e.timeNs), e.line]) }] }) }) },
    { name: 'push-protobuf', weight: 6, expect: [204], run: (b, ctx, c) => http(b, '/loki/api/v1/push', { method: 'POST', headers: PROTO_TYPE, body: snappyCompress(encodePushRequest([{ labels: `{container="gen", namespace="load", pod="client-${c}"}`, entries: pushLines(ctx, c) }])) }) },
    { name: 'loki-query', weight: 6, expect: [200], run: (b, _ctx, c) => http(b, '/loki/api/v1/query_range', { query: { query: `{namespace="load", pod="client-${c}"} |= "#"`, ...window, limit: '100' } }) },
    { name: 'lethe-query', weight: 4, expect: [200], run: (b) => http(b, '/api/v1/query_range', { query: { query: 'pod{namespace=~"shop|load"} |~ "c1[0-9] #"', start: new Date(Number(BigInt(start) / 1_000_000n)).toISOString(), end: new Date(Number(BigInt(end) / 1_000_000n)).toISOString() } }) },
    { name: 'metric-query', weight: 2, expect: [200], run: (b) => http(b, '/loki/api/v1/query_range', { query: { query: 'sum by (pod) (count_over_time({namespace="load"}[5m]))', ...window, step: '60' } }) },
    { name: 'labels', weight: 2, expect: [200], run: (b) => http(b, '/loki/api/v1/labels', { query: window }) },
    { name: 'tail', weight: 1, expect: [101], run: (b) => tail(b, { query: '{namespace="load"}', start: start, limit: '10' }) },
    // Hostile (issue 16)
    { name: 'hostile-push-newline-bomb', hostile: true, weight: 1, expect: [413], run: (b) => http(b, '/loki/api/v1/push', { method: 'POST', headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: newlineBomb }) },
    { name: 'hostile-push-many-entries', hostile: true, weight: 1, expect: [413], run: (b) => http(b, '/loki/api/v1/push', { method: 'POST', headers: PROTO_TYPE, body: manyEntries }) },
    { name: 'hostile-push-long-namespace', hostile: true, weight: 1, expect: [400], run: (b) => http(b, '/loki/api/v1/push', { method: 'POST', headers: JSON_TYPE, body: longNamespace }) },
    { name: 'hostile-push-long-pod', hostile: true, weight: 1, expect: [400], run: (b) => http(b, '/loki/api/v1/push', { method: 'POST', headers: JSON_TYPE, body: longPod }) },
    { name: 'hostile-push-year-9999', hostile: true, weight: 1, expect: [400], run: (b) => http(b, '/loki/api/v1/push', { method: 'POST', headers: PROTO_TYPE, body: year9999 }) },
    { name: 'hostile-tail-huge-limit', hostile: true, weight: 1, expect: [400], run: (b) => tail(b, { query: '{namespace="load"}', start, limit: '100000000' }) },
    { name: 'hostile-tail-big-history', hostile: true, weight: 1, expect: [422], run: (b) => tail(b, { query: `{namespace="${bigNamespace}"}`, start, limit: String(Math.min(50, maxLines)) }) },
    { name: 'hostile-query-big', hostile: true, weight: 1, expect: [422], run: (b) => http(b, '/loki/api/v1/query_range', { query: { query: `{namespace="${bigNamespace}"}`, ...window, limit: '10' } }) },
    { name: 'hostile-query-limit', hostile: true, weight: 1, expect: [400], run: (b) => http(b, '/loki/api/v1/query_range', { query: { query: '{namespace="load"}', ...window, limit: String(maxLines * 100) } }) },
    // Hostile, fixed on another branch (template and nesting limits)
    { name: 'hostile-deep-nesting', hostile: true, weight: 1, expect: [400], run: (b) => http(b, '/loki/api/v1/query_range', { query: { query: nested, ...window, step: '60' } }) },
    { name: 'hostile-repeat-template', hostile: true, weight: 1, expect: [400, 422], run: (b) => http(b, '/loki/api/v1/query_range', { query: { query: '{namespace="load"} | line_format "{{ repeat 100000000 \\"xxxxxxxxxx\\" }}"', ...window, limit: '10' } }) },
  ];
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs `clients` concurrent clients until each made `requestsPerClient` requests or
 * `durationMs` passed (whichever is given), probing `/-/healthy` throughout. Resolves with
 * the report; `ctx.pushed` holds the ids of lines whose push was acknowledged (204).
 */
export async function runHostileLoad({ url, encodePushRequest, storeInfo, clients = 8, requestsPerClient, durationMs, seed = 16, probeMs = 50, onSample }) {
  const kinds = makeKinds({ encodePushRequest, storeInfo });
  const total = kinds.reduce((a, k) => a + k.weight, 0);
  const rng = mulberry32(seed);
  const pick = () => {
    let r = rng() * total;
    for (const k of kinds) if ((r -= k.weight) < 0) return k;
    return kinds[kinds.length - 1];
  };
  const ctx = { pushed: new Set() };
  const results = [];
  const failures = [];
  const deadline = durationMs === undefined ? Infinity : performance.now() + durationMs;
  const more = (i) => (requestsPerClient === undefined || i < requestsPerClient) && performance.now() < deadline;

  // The probe: /-/healthy answering throughout.
  let probing = true;
  const probe = { n: 0, failed: 0, maxMs: 0 };
  const prober = (async () => {
    while (probing) {
      const t0 = performance.now();
      try {
        const r = await http(url, '/-/healthy');
        if (r.status !== 200) probe.failed++;
      } catch {
        probe.failed++;
      }
      probe.n++;
      probe.maxMs = Math.max(probe.maxMs, performance.now() - t0);
      onSample?.();
      await new Promise((r) => setTimeout(r, probeMs));
    }
  })();

  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; more(i); i++) {
        const kind = pick();
        const start = performance.now();
        let status = 0;
        let detail = '';
        try {
          const r = await kind.run(url, ctx, c);
          status = r.status;
          if (status >= 500) detail = (r.text ?? '').slice(0, 200);
        } catch (e) {
          detail = String(e?.message ?? e);
        }
        const ms = performance.now() - start;
        results.push({ kind: kind.name, hostile: kind.hostile === true, status, ms });
        if (!kind.expect.includes(status)) failures.push({ kind: kind.name, status, expected: kind.expect, detail });
        onSample?.();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  probing = false;
  await prober;

  const all = results.map((r) => r.ms).sort((a, b) => a - b);
  const byKind = {};
  for (const k of kinds) {
    const rs = results.filter((r) => r.kind === k.name);
    if (rs.length === 0) continue;
    const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
    const statuses = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    byKind[k.name] = { n: rs.length, statuses, p50ms: +percentile(ms, 50).toFixed(1), p99ms: +percentile(ms, 99).toFixed(1) };
  }
  return {
    pushed: ctx.pushed,
    failures,
    report: {
      requests: results.length,
      hostile: results.filter((r) => r.hostile).length,
      hostileShare: +(results.filter((r) => r.hostile).length / Math.max(1, results.length)).toFixed(3),
      fiveXX: results.filter((r) => r.status >= 500).length,
      seconds: +seconds.toFixed(2),
      requestsPerSecond: Math.round(results.length / seconds),
      p50ms: +percentile(all, 50).toFixed(1),
      p99ms: +percentile(all, 99).toFixed(1),
      healthy: { probes: probe.n, failed: probe.failed, maxMs: +probe.maxMs.toFixed(1) },
      linesPushed: ctx.pushed.size,
      byKind,
    },
  };
}

/** Message ids (`load c… #…`) in the text of store files, with their counts. */
export function countIds(texts) {
  const counts = new Map();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const i = line.indexOf('] load c');
      if (i < 0) continue;
      const id = line.slice(i + 2);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}
