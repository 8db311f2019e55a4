/**
 * Context lines (`exec/context.ts`): the lines of the same stream around each match, grouped
 * as grep groups them, through `LogStore.query(…, { context })`, on a store written here:
 * two interleaved streams, a line stored out of time order (it sorts first in its stream),
 * and the stream continuing in the next hour's file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'letheql-context-'));
const line = (sec: string, pod: string, msg: string) => `2024-09-24T${sec}.000000Z[shop|${pod}|app] ${msg}\n`;
mkdirSync(join(dir, 'pod/shop'), { recursive: true });
writeFileSync(
  join(dir, 'pod/shop/2024-09-24_15.log'),
  [
    line('15:00:01', 'a', 'a1'),
    line('15:00:02', 'b', 'b1'),
    line('15:00:03', 'a', 'a2 ERROR'),
    line('15:00:04', 'a', 'a3'),
    line('15:00:05', 'a', 'a4'),
    line('14:59:59', 'a', 'a0'), // out of order: first in its stream
    line('15:00:06', 'a', 'a5'),
    line('15:00:07', 'a', 'a6 ERROR'),
    line('15:00:08', 'b', 'b2 ERROR'),
    line('15:00:09', 'a', 'a7'),
    line('15:00:10', 'a', 'a8'),
    line('15:00:11', 'a', 'a9'),
    line('15:00:12', 'a', 'a10 ERROR'),
  ].join(''),
);
writeFileSync(join(dir, 'pod/shop/2024-09-24_16.log'), line('16:00:00', 'a', 'a11'));
const store = openStore(dir, { workers: 0 });
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const window = { start: '2024-09-24T14:00:00Z', end: '2024-09-24T17:00:00Z' };

/** Rows as `group:m|c:line`. */
async function rows(query: string, context: { before?: number; after?: number }, extra: Record<string, unknown> = {}): Promise<string[]> {
  const t = await store.query(query, { ...window, context, ...extra });
  const out: string[] = [];
  for (const r of t) out.push(`${r.context_group}:${r.context ? 'c' : 'm'}:${r.line}`);
  return out;
}

describe('context lines', () => {
  const q = 'pod{namespace="shop"} |= "ERROR"';
  const cases: [string, { before?: number; after?: number }, string[]][] = [
    ['1 before, 1 after: separate groups, ordered by their first match', { before: 1, after: 1 }, ['0:c:a1', '0:m:a2 ERROR', '0:c:a3', '1:c:a5', '1:m:a6 ERROR', '1:c:a7', '2:c:b1', '2:m:b2 ERROR', '3:c:a9', '3:m:a10 ERROR', '3:c:a11']],
    ['overlapping windows merge, across the out-of-order line and the next hour file', { before: 2, after: 2 }, ['0:c:a0', '0:c:a1', '0:m:a2 ERROR', '0:c:a3', '0:c:a4', '0:c:a5', '0:m:a6 ERROR', '0:c:a7', '0:c:a8', '0:c:a9', '0:m:a10 ERROR', '0:c:a11', '1:c:b1', '1:m:b2 ERROR']],
    ['windows that touch without overlapping merge too (a4 then a5)', { before: 1, after: 2 }, ['0:c:a1', '0:m:a2 ERROR', '0:c:a3', '0:c:a4', '0:c:a5', '0:m:a6 ERROR', '0:c:a7', '0:c:a8', '0:c:a9', '0:m:a10 ERROR', '0:c:a11', '1:c:b1', '1:m:b2 ERROR']],
    ['after only', { after: 1 }, ['0:m:a2 ERROR', '0:c:a3', '1:m:a6 ERROR', '1:c:a7', '2:m:b2 ERROR', '3:m:a10 ERROR', '3:c:a11']],
    ['no context: the matches, one group each', {}, ['0:m:a2 ERROR', '1:m:a6 ERROR', '2:m:b2 ERROR', '3:m:a10 ERROR']],
  ];
  it.each(cases)('%s', async (_name, context, want) => {
    expect(await rows(q, context)).toEqual(want);
  });

  it('backward: groups in the query direction, rows of a group in stream order', async () => {
    expect(await rows(q, { before: 1 }, { direction: 'backward' })).toEqual(['0:c:a9', '0:m:a10 ERROR', '1:c:b1', '1:m:b2 ERROR', '2:c:a5', '2:m:a6 ERROR', '3:c:a1', '3:m:a2 ERROR']);
  });

  it('the limit applies to matches; a pipeline filter selects the matches', async () => {
    expect(await rows(q, { before: 1 }, { limit: 1 })).toEqual(['0:c:a1', '0:m:a2 ERROR']);
    expect(await rows('pod{namespace="shop"} | regexp "(?P<n>\\\\d+)" | n = "6"', { before: 1, after: 1 })).toEqual(['0:c:a5', '0:m:a6 ERROR', '0:c:a7']);
  });

  it('refuses bad counts, line_format and streaming', async () => {
    await expect(store.query(q, { ...window, context: { before: -1 } })).rejects.toThrow(/invalid context\.before -1/);
    await expect(store.query(q, { ...window, context: { after: 1.5 } })).rejects.toThrow(/invalid context\.after 1\.5/);
    await expect(store.query(`${q} | line_format "x"`, { ...window, context: { after: 1 } })).rejects.toThrow(/line_format/);
  });
});

describe('letheql query -A/-B/-C', () => {
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const { main } = await import('../../src/cli/main.js');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const sink = (into: Buffer[]) => ({ isTTY: false, write: (d: string | Uint8Array, cb?: () => void) => (into.push(Buffer.from(d)), cb?.(), true) });
    const code = await main(['query', '--store', dir, '--workers', '0', '--start', window.start, '--end', window.end, ...args], { stdout: sink(out) as never, stderr: sink(err) as never, env: {} });
    return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
  }

  it('prints groups separated by -- as grep does; -C N is -B N -A N', async () => {
    const want = [
      '2024-09-24T15:00:01.000000Z shop a app a1',
      '2024-09-24T15:00:03.000000Z shop a app a2 ERROR',
      '2024-09-24T15:00:04.000000Z shop a app a3',
      '--',
      '2024-09-24T15:00:06.000000Z shop a app a5',
      '2024-09-24T15:00:07.000000Z shop a app a6 ERROR',
      '2024-09-24T15:00:09.000000Z shop a app a7',
      '--',
      '2024-09-24T15:00:02.000000Z shop b app b1',
      '2024-09-24T15:00:08.000000Z shop b app b2 ERROR',
      '--',
      '2024-09-24T15:00:11.000000Z shop a app a9',
      '2024-09-24T15:00:12.000000Z shop a app a10 ERROR',
      '2024-09-24T16:00:00.000000Z shop a app a11',
      '',
    ].join('\n');
    const c = await cli(['-C', '1', 'pod{namespace="shop"} |= "ERROR"']);
    expect([c.code, c.err, c.out]).toEqual([0, '', want]);
    const ba = await cli(['-B', '1', '-A', '1', 'pod{namespace="shop"} |= "ERROR"']);
    expect(ba.out).toBe(want);
  });

  it('marks rows in jsonl', async () => {
    const r = await cli(['--format', 'jsonl', '-A', '1', 'pod{namespace="shop"} |= "b2"']);
    expect(r.out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ time: '2024-09-24T15:00:08.000000Z', namespace: 'shop', pod: 'b', container: 'app', log: 'b2 ERROR', context: false, group: 0 }]);
  });

  it.each([
    [['-A', 'x', 'pod{namespace="shop"}'], /invalid -A "x"/],
    [['-C', '1', '--count', 'pod{namespace="shop"}'], /--count counts matches/],
    [['-C', '1', 'count_over_time(pod{namespace="shop"}[1h])'], /-A\/-B\/-C apply to log queries/],
  ])('refuses %j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('Grafana "show context" against the Loki routes', () => {
  // Grafana's Loki data source asks for a row's context with two query_range calls on the
  // row's own stream selector (no filters): direction BACKWARD ending at the row's time and
  // FORWARD starting at it, each with a small limit — the requests shown in
  // grafana/loki#597 ("Cannot use row time as start/end query parameter") and grafana/grafana#47726
  // ("the only way to make a Loki query with direction=forward is log-row-context").
  const rowNs = 1727190007000000000n; // a6 ERROR, 2024-09-24T15:00:07Z
  const selector = '{container="app",namespace="shop",pod="a"}';
  const hours2 = 2n * 3600n * 1_000_000_000n;
  it.each([
    ['BACKWARD, ending at the row (Loki end is exclusive)', { direction: 'BACKWARD', start: rowNs - hours2, end: rowNs }, ['a5', 'a4', 'a3', 'a2 ERROR', 'a1', 'a0']],
    ['BACKWARD, end one nanosecond after the row', { direction: 'BACKWARD', start: rowNs - hours2, end: rowNs + 1n }, ['a6 ERROR', 'a5', 'a4', 'a3', 'a2 ERROR', 'a1']],
    ['FORWARD, starting at the row', { direction: 'FORWARD', start: rowNs, end: rowNs + hours2 }, ['a6 ERROR', 'a7', 'a8', 'a9', 'a10 ERROR', 'a11']],
    ['FORWARD, RFC 3339 start as in #597', { direction: 'FORWARD', start: '2024-09-24T15:00:07Z', end: rowNs + hours2 }, ['a6 ERROR', 'a7', 'a8', 'a9', 'a10 ERROR', 'a11']],
  ])('%s', async (_name, p, want) => {
    const { start: serve, get } = await import('../server/helpers.js');
    const srv = await serve({ store, now: () => rowNs + hours2 });
    try {
      const r = await get(srv.url, '/loki/api/v1/query_range', { query: selector, limit: '6', direction: p.direction, start: String(p.start), end: String(p.end) });
      expect(r.status, r.text).toBe(200);
      expect(r.body.data.result.map((s: { stream: unknown }) => s.stream)).toEqual([{ namespace: 'shop', pod: 'a', container: 'app' }]);
      expect(r.body.data.result[0].values.map((v: string[]) => v[1])).toEqual(want);
    } finally {
      await srv.close();
    }
  });
});
