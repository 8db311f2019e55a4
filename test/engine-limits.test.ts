/**
 * The engine's per-query budgets as library options (issue 16): `maxTemplateBytes`,
 * `maxBytesReturned`, `maxSamples` — their defaults, that each can be set and lifted, that
 * a breach is a `LimitError` (code `LIMIT_EXCEEDED`) naming the option, and that the
 * server config accepts the same names.
 */
import { describe, expect, it } from 'vitest';
import { LogStore } from '../src/api.js';
import { LimitError } from '../src/core.js';
import { parseServerConfig } from '../src/server/config.js';
import { MemoryChunkSource } from '../src/store/memory-source.js';
import { DEFAULT_MAX_TEMPLATE_BYTES } from '../src/pipeline/template.js';

const W = { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' };
const lines = (n: number, msg: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => `2024-01-01T00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z[a|p${i % 7}|c] ${msg(i)}`).join('\n') + '\n';
const store = new LogStore(MemoryChunkSource.fromRecord({ 'pod/a/2024-01-01_00.log': lines(200, (i) => `line ${i} ${'m'.repeat(1000)}`) }));

async function limitOf(p: Promise<unknown>): Promise<LimitError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LimitError);
    expect((e as LimitError).code).toBe('LIMIT_EXCEEDED');
    return e as LimitError;
  }
  throw new Error('expected a LimitError');
}

describe('maxTemplateBytes', () => {
  it('defaults to 1 MiB; the message names the limit', async () => {
    expect(DEFAULT_MAX_TEMPLATE_BYTES).toBe(1024 * 1024);
    const ok = await store.query('pod{namespace="a"} | line_format "{{ repeat 1000 __line__ }}"', { ...W, limit: 1 });
    expect((ok.getChild('line')!.get(0) as string).length).toBeGreaterThan(1_000_000);
    const e = await limitOf(store.query('pod{namespace="a"} | line_format "{{ repeat 2000 __line__ }}"', { ...W, limit: 1 }));
    expect(e.limit).toBe('maxTemplateBytes');
    expect(e.message).toContain('maxTemplateBytes=1048576');
  });
  it('can be lowered; reformatting a line longer than the cap is still allowed', async () => {
    const e = await limitOf(store.query('pod{namespace="a"} | line_format "{{ repeat 3 __line__ }}"', { ...W, limit: 1, maxTemplateBytes: 2000 }));
    expect(e.max).toBe(2000);
    const same = await store.query('pod{namespace="a"} | line_format "{{ upper __line__ }}"', { ...W, limit: 1, maxTemplateBytes: 10 });
    expect(same.numRows).toBe(1);
  });
  it('applies to metric queries (the fold runs the pipeline)', async () => {
    const e = await limitOf(store.queryMetric('count_over_time(pod{namespace="a"} | label_format x="{{ repeat 100 __line__ }}" [1h])', { end: W.end, maxTemplateBytes: 50_000 }));
    expect(e.limit).toBe('maxTemplateBytes');
  });
});

describe('maxBytesReturned', () => {
  it('refuses a result whose kept rows pass it, in-thread', async () => {
    const e = await limitOf(store.query('pod{namespace="a"}', { ...W, limit: null, maxBytesReturned: 50_000 }));
    expect(e.limit).toBe('maxBytesReturned');
    expect(e.message).toContain('maxBytesReturned=50000');
  });
  it('counts only the rows a limit keeps', async () => {
    const t = await store.query('pod{namespace="a"}', { ...W, limit: 10, maxBytesReturned: 50_000 });
    expect(t.numRows).toBe(10);
  });
  it('Infinity lifts it; the default is 256 MiB', async () => {
    const t = await store.query('pod{namespace="a"}', { ...W, limit: null, maxBytesReturned: Infinity });
    expect(t.numRows).toBe(200);
  });
});

describe('maxSamples', () => {
  it('refuses a metric result with more samples (series × points)', async () => {
    const e = await limitOf(store.queryMetric('count_over_time(pod{namespace="a"}[1m])', { ...W, step: "1m", maxSamples: 10 }));
    expect(e.limit).toBe('maxSamples');
    const ok = await store.queryMetric('count_over_time(pod{namespace="a"}[1m])', { ...W, step: '1m', maxSamples: 1000 });
    expect(ok.result.series.length).toBe(7);
  });
});

describe('maxBytesScanned', () => {
  it('refuses a scan whose planned files are larger, before reading (log, count and metric queries)', async () => {
    for (const run of [
      () => store.query('pod{namespace="a"}', { ...W, maxBytesScanned: 1000 }),
      () => store.count('pod{namespace="a"}', { ...W, maxBytesScanned: 1000 }),
      () => store.queryMetric('count_over_time(pod{namespace="a"}[1h])', { end: W.end, maxBytesScanned: 1000 }),
    ]) {
      expect((await limitOf(run())).limit).toBe('maxBytesScanned');
    }
    expect((await store.count('pod{namespace="a"}', { ...W, maxBytesScanned: 10_000_000 })).count).toBe(200);
  });
});

describe('server config: the same names', () => {
  it('parses maxTemplateBytes, maxBytesReturned, maxSamples (sizes and counts; 0 lifts the last two)', () => {
    const c = parseServerConfig({ limits: { maxTemplateBytes: '64KiB', maxBytesReturned: '1GiB', maxSamples: 0 } });
    expect(c.limits.maxTemplateBytes).toBe(64 * 1024);
    expect(c.limits.maxBytesReturned).toBe(2 ** 30);
    expect(c.limits.maxSamples).toBeNull();
    const d = parseServerConfig({});
    expect([d.limits.maxTemplateBytes, d.limits.maxBytesReturned, d.limits.maxSamples]).toEqual([1024 * 1024, 64 * 1024 * 1024, 1_000_000]);
    expect(() => parseServerConfig({ limits: { maxTemplateBytes: 0 } })).toThrow(/maxTemplateBytes/);
  });
});

describe('a caller-built tree is measured like a parsed one', () => {
  it('an Expr deeper than MAX_QUERY_DEPTH is QUERY_TOO_DEEP, not a stack overflow', async () => {
    const span = { start: { offset: 0, line: 1, column: 1 }, end: { offset: 1, line: 1, column: 2 } };
    let e: Record<string, unknown> = { kind: 'NumberLiteral', value: 1, span };
    for (let i = 0; i < 100_000; i++) e = { kind: 'ParenExpr', expr: e, span };
    await expect(store.queryMetric(e as never, { end: W.end })).rejects.toMatchObject({ code: 'QUERY_TOO_DEEP' });
  });
});
