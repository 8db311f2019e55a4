/**
 * Issue 16 points 1, 4 and 5 as an attacker sends them: one read-only query must not take
 * the server down. Each case runs against a real server on 127.0.0.1 (and the CLI), checks
 * the answer names the limit (4xx, exit 2), that the server still answers afterwards, and
 * that this process's RSS stays under a stated bound (sampled while the request runs; no
 * wall-clock threshold anywhere).
 *
 * The store: `small` (20 short lines) and `big` (600 lines of 1 MB, written to a temporary
 * directory once: 600 MB, the size of the review's report).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { formatRows } from '../../src/cli/format.js';
import { buildTable } from '../../src/arrow/build.js';
import { openStore } from '../../src/node.js';
import type { LogStore } from '../../src/api.js';
import { get, peakRss, start, tempDir, type Running } from './helpers.js';

const MB = 1_000_000;
const BIG_LINES = 600;
/** Peak RSS growth allowed while one hostile request runs (today's main reached 2.5 GB). */
const RSS_BOUND = 1024 * 1024 * 1024;

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const WINDOW = { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' };
const LOKI_WINDOW = { start: String(BigInt(T0) * 1_000_000n), end: String(BigInt(T0 + 3_600_000) * 1_000_000n) };

let tmp: { dir: string; cleanup: () => void };
let store: LogStore;
let srv: Running;

function stamp(i: number): string {
  return new Date(T0 + i * 1000).toISOString().replace('.000Z', 'Z');
}

async function writeStore(dir: string): Promise<void> {
  mkdirSync(join(dir, 'pod', 'small'), { recursive: true });
  mkdirSync(join(dir, 'pod', 'big'), { recursive: true });
  const small = createWriteStream(join(dir, 'pod', 'small', '2024-01-01_00.log'));
  for (let i = 0; i < 20; i++) small.write(`${stamp(i)}[small|web-1|app] request ${i} status=200\n`);
  small.end();
  await once(small, 'finish');
  const big = createWriteStream(join(dir, 'pod', 'big', '2024-01-01_00.log'));
  const payload = 'x'.repeat(MB);
  for (let i = 0; i < BIG_LINES; i++) {
    if (!big.write(`${stamp(i)}[big|web-1|app] ${payload}\n`)) await once(big, 'drain');
  }
  big.end();
  await once(big, 'finish');
}

/** Runs `work` while sampling RSS; returns its result and the peak growth over the starting RSS. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const { value, peak, before } = await peakRss(work);
  // eslint-disable-next-line no-console
  console.log(`RSS growth ${((peak - before) / 2 ** 20).toFixed(0)} MiB (bound ${RSS_BOUND / 2 ** 20} MiB)`);
  return { value, growth: peak - before };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string; chunks: number[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const chunks: number[] = [];
  const sink = (into: string[], sizes?: number[]) => ({
    isTTY: false,
    write(d: string | Uint8Array, cb?: (e?: Error | null) => void) {
      const s = typeof d === 'string' ? d : Buffer.from(d).toString('utf8');
      sizes?.push(s.length);
      // Keep only the head of stdout: the test is about not crashing, not about holding 600 MB.
      if (into.reduce((a, x) => a + x.length, 0) < 4096) into.push(s.slice(0, 4096));
      cb?.();
      return true;
    },
  });
  const code = await main(args, { stdout: sink(out, chunks) as never, stderr: sink(err) as never, env: {} });
  return { code, out: out.join(''), err: err.join(''), chunks };
}

beforeAll(async () => {
  tmp = tempDir('letheql-hardening-');
  await writeStore(tmp.dir);
  store = openStore(tmp.dir, { workers: 0 });
  srv = await start({ store, log: false } as never);
}, 120_000);

afterAll(async () => {
  await srv?.close();
  await store?.close();
  tmp?.cleanup();
});

async function stillUp(): Promise<void> {
  const r = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="small"}', ...LOKI_WINDOW, limit: '5' });
  expect(r.status).toBe(200);
  expect(r.body.data.result[0].values.length).toBe(5);
}

describe('point 1: template amplifiers are bounded by maxTemplateBytes', () => {
  const amplifiers = ['{{ repeat 200000000 \\"x\\" }}', '{{ repeat 20000000 \\"x\\" }}', '{{ printf \\"%0100000000d\\" 1 }}', '{{ alignLeft 1000000000 \\"x\\" }}', '{{ printf \\"%.100000000f\\" 1.5 }}'];
  for (const t of amplifiers) {
    it(`server: label_format a="${t}" → 422 naming maxTemplateBytes, server stays up, RSS bounded`, async () => {
      const { value: r, growth } = await measured(() => get(srv.url, '/loki/api/v1/query_range', { query: `{namespace=~".+"} | label_format a="${t}"`, ...LOKI_WINDOW, limit: '100' }));
      expect(r.status).toBe(422);
      expect(r.body.error).toContain('maxTemplateBytes');
      expect(growth).toBeLessThan(RSS_BOUND);
      await stillUp();
    });
  }

  it('server: line_format on the Lethe dialect too', async () => {
    const r = await get(srv.url, '/api/v1/query_range', { query: 'pod{namespace="small"} | line_format "{{ repeat 200000000 \\"x\\" }}"', start: String(T0 / 1000), end: String(T0 / 1000 + 3600) });
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('maxTemplateBytes');
  });

  it('CLI: exit 2 with the limit named, no stack trace', async () => {
    const r = await cli(['query', '--store', tmp.dir, '--start', WINDOW.start, '--end', WINDOW.end, 'pod{namespace="small"} | label_format a="{{ repeat 200000000 \\"x\\" }}"']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('maxTemplateBytes');
    expect(r.err).not.toContain('RangeError');
  });

  it('a metric query over the same pipeline is refused the same way', async () => {
    const r = await get(srv.url, '/loki/api/v1/query_range', { query: 'count_over_time({namespace="small"} | label_format a="{{ repeat 200000000 \\"x\\" }}" [5m])', ...LOKI_WINDOW, step: '60' });
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('maxTemplateBytes');
  });
});

describe('point 4: deep nesting is a 400 with QUERY_TOO_DEEP, not a 500', () => {
  for (const [name, q] of [
    ['150 parentheses', '('.repeat(150) + 'count_over_time({namespace="small"}[5m])' + ')'.repeat(150)],
    ['2,000 unary minuses', '-'.repeat(2000) + '1'],
    ['a 1,000-term 1 ^ 1 ^ …', Array(1000).fill('1').join(' ^ ')],
  ] as const) {
    it(name, async () => {
      const r = await get(srv.url, '/loki/api/v1/query', { query: q, time: LOKI_WINDOW.end });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/nested too deeply/);
      const lethe = await get(srv.url, '/api/v1/query', { query: q, time: String(T0 / 1000 + 3600) });
      expect(lethe.status).toBe(400);
      await stillUp();
    });
  }
});

describe('point 5: big results never crash the writers', () => {
  it('server (Loki): 600 lines of 1 MB → 422 naming maxBytesReturned, RSS bounded, server stays up', async () => {
    const { value: r, growth } = await measured(() => get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="big"}', ...LOKI_WINDOW, limit: '1000' }));
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('maxBytesReturned');
    expect(growth).toBeLessThan(RSS_BOUND);
    await stillUp();
  });

  it('server (Lethe): the same through /api/v1/query_range', async () => {
    const { value: r, growth } = await measured(() => get(srv.url, '/api/v1/query_range', { query: 'pod{namespace="big"}', start: String(T0 / 1000), end: String(T0 / 1000 + 3600) }));
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('maxBytesReturned');
    expect(growth).toBeLessThan(RSS_BOUND);
    await stillUp();
  });

  it('server: an answer under the budget (40 MB) streams as valid JSON', async () => {
    const r = await get(srv.url, '/loki/api/v1/query_range', { query: '{namespace="big"}', ...LOKI_WINDOW, limit: '40', direction: 'forward' });
    expect(r.status).toBe(200);
    const values = r.body.data.result[0].values as [string, string][];
    expect(values.length).toBe(40);
    expect(values[0]![1].length).toBe(MB);
  });

  for (const format of ['jsonl', 'text'] as const) {
    it(`CLI --format ${format}: 600 lines of 1 MB → exit 2 naming maxBytesReturned (default 256 MiB), RSS bounded`, async () => {
      const { value: r, growth } = await measured(() => cli(['query', '--store', tmp.dir, '--start', WINDOW.start, '--end', WINDOW.end, '--format', format, '--limit', '0', 'pod{namespace="big"}']));
      expect(r.code).toBe(2);
      expect(r.err).toContain('maxBytesReturned');
      expect(r.err).not.toContain('RangeError');
      expect(growth).toBeLessThan(RSS_BOUND);
    });
    it(`CLI --format ${format}: under the budget, rows stream in bounded chunks`, async () => {
      const r = await cli(['query', '--store', tmp.dir, '--start', WINDOW.start, '--end', WINDOW.end, '--format', format, '--limit', '40', '--max-bytes-returned', '0', 'pod{namespace="big"}']);
      expect(r.err).not.toContain('Error');
      expect(r.code).toBe(0);
      // One row (1 MB) per chunk at most: never the whole answer as one string.
      expect(r.chunks.length).toBe(40);
      expect(Math.max(...r.chunks)).toBeLessThan(MB + 200);
    });
  }
});

describe('the server passes its config values to the engine (same names)', () => {
  it('maxSeries and maxSamples from the config: 422 naming them; maxBytesScanned before reading', async () => {
    const small = await start({ store, limits: { maxSeries: 5, maxSamples: 10, maxBytesScanned: 100_000 }, log: false } as never);
    try {
      const series = await get(small.url, '/loki/api/v1/query', { query: 'sum by (req) (count_over_time({namespace="small"} | regexp "request (?P<req>\\\\d+)" [1h]))', time: LOKI_WINDOW.end });
      expect(series.status, series.text).toBe(422);
      expect(series.body.error).toContain('maxSeries');
      const samples = await get(small.url, '/loki/api/v1/query_range', { query: 'count_over_time({namespace="small"}[1h])', ...LOKI_WINDOW, step: '60' });
      expect(samples.status).toBe(422);
      expect(samples.body.error).toContain('maxSamples');
      const scanned = await get(small.url, '/loki/api/v1/query', { query: 'count_over_time({namespace="big"}[1h])', time: LOKI_WINDOW.end });
      expect(scanned.status).toBe(422);
      expect(scanned.body.error).toContain('maxBytesScanned');
    } finally {
      await small.close();
    }
  });
});

describe('formatRows chunks by size, not by row count', () => {
  it('2,000 rows of 10 KB are written in ~256 KiB chunks', () => {
    const line = 'y'.repeat(10_000);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ timeNs: BigInt(T0 + i) * 1_000_000n, timeRaw: stamp(i), labels: ['small', 'web-1', 'app'], line }));
    const table = buildTable('pod', rows, 8192, new Map(), {});
    for (const format of ['jsonl', 'text'] as const) {
      const chunks = [...formatRows(table, format, false)];
      expect(chunks.join('').split('\n').length).toBe(2001);
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(256 * 1024);
      expect(chunks.length).toBeGreaterThan(50);
    }
  });
});
