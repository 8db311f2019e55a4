/**
 * LogQL additions of issue 15 point 6, end to end on the bundled fixture store: parse →
 * print round trip, then results checked against the equivalent query.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { parseQuery, printQuery } from '../../src/query/index.js';
import { FIXTURE_STORE } from '../support/paths.js';

const store = openStore(FIXTURE_STORE, { workers: 0 });
afterAll(() => store.close());
const at = { end: '2024-09-24T16:00:00Z' };

describe('approx_topk', () => {
  it('parses, prints back, and is computed exactly as topk', async () => {
    const q = 'approx_topk(2, sum by (pod) (count_over_time(pod{namespace="default"}[3h])))';
    expect(printQuery(parseQuery(q))).toBe(q);
    const approx = await store.queryMetric(q, at);
    const exact = await store.queryMetric(q.replace('approx_topk', 'topk'), at);
    expect(approx.result.series.length).toBe(2);
    expect(approx.result).toEqual(exact.result);
    const range = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z', step: '1h' };
    expect((await store.queryMetric(q, range)).result).toEqual((await store.queryMetric(q.replace('approx_topk', 'topk'), range)).result);
  });
  it('needs its parameter', () => {
    expect(() => parseQuery('approx_topk(sum(count_over_time(pod{namespace="default"}[1h])))')).toThrow(/wrong number of arguments for aggregate expression/);
  });
});

describe('ip("…") filters', () => {
  it.each([
    ['pod{namespace="default"} |= ip("10.244.1.0/24")', 'pod{namespace="default"} | |= ip("10.244.1.0/24")'],
    ['pod{namespace="default"} |= "GET" != ip("10.244.1.1")', 'pod{namespace="default"} |= "GET" != ip("10.244.1.1")'],
    ['pod{namespace="default"} | regexp "^(?P<addr>\\\\S+)" | addr = ip("10.244.0.0-10.244.1.255")', ''],
    ['pod{namespace="default"} | regexp "^(?P<addr>\\\\S+)" | addr != ip("2001:db8::/32")', ''],
  ])('parses and prints %s', (q, printed) => {
    const p = printQuery(parseQuery(q));
    if (printed !== '') expect(p.replace(' | |=', ' |=')).toBe(printed.replace(' | |=', ' |='));
    expect(printQuery(parseQuery(p))).toBe(p);
  });

  it.each([
    ['pod{namespace="a"} |~ ip("1.2.3.4")', /ip\("…"\) line filters take \|= or !=/],
    ['pod{namespace="a"} |= ip("1.2.3.4/33")', /invalid CIDR "1\.2\.3\.4\/33"/],
    ['pod{namespace="a"} |= ip("1.2.3.9-1.2.3.4")', /invalid IP range/],
    ['pod{namespace="a"} |= ip("1.2.3.4-::1")', /invalid IP range/],
    ['pod{namespace="a"} |= ip("300.1.1.1")', /invalid IP address "300\.1\.1\.1"/],
    ['pod{namespace="a"} | x > ip("1.2.3.4")', /ip takes = or !=/],
  ])('refuses %s', (q, message) => {
    expect(() => parseQuery(q)).toThrow(message);
  });

  // The fixture's nginx lines start with the client address (10.244.1.1 probes, others).
  it('line and label filters select by address, exactly as an equivalent regex does', async () => {
    const win = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z', limit: null };
    const lines = async (q: string) => [...(await store.query(q, win))].map((r) => `${r.time_raw} ${r.line}`);
    const all = await lines('pod{namespace="default", container="nginx"}');
    const firstAddr = (l: string) => l.split(' ')[1]!;
    const inNet = all.filter((l) => firstAddr(l).startsWith('10.244.1.'));
    expect(inNet.length).toBeGreaterThan(0);
    expect(inNet.length).toBeLessThan(all.length);
    expect(await lines('pod{namespace="default", container="nginx"} |= ip("10.244.1.0/24")')).toEqual(inNet);
    expect(await lines('pod{namespace="default", container="nginx"} != ip("10.244.1.0/24")')).toEqual(all.filter((l) => !inNet.includes(l)));
    expect(await lines('pod{namespace="default", container="nginx"} | regexp "^(?P<addr>\\\\S+)" | addr = ip("10.244.1.0-10.244.1.255")')).toEqual(inNet);
    expect(await lines('pod{namespace="default", container="nginx"} | regexp "^(?P<addr>\\\\S+)" | addr != ip("10.244.1.0/24")')).toEqual(all.filter((l) => !inNet.includes(l)));
  });
});

describe('ip matching (pipeline/ip.ts)', async () => {
  const { lineHasIp, ipInSet, parseIpPattern } = await import('../../src/pipeline/ip.js');
  it.each([
    ['3.180.71.3', '93.180.71.3 - - "GET /"', false],
    ['3.180.71.3', '3.180.71.3 - - "GET /"', true],
    ['3.180.71.3', 'from 3.180.71.3.', true],
    ['192.51.100.0/24', 'client=192.51.100.255 ok', true],
    ['192.51.100.0/24', 'client=192.51.101.0 ok', false],
    ['192.168.0.1-192.189.10.12', 'x 192.170.0.0 y', true],
    ['192.168.0.1-192.189.10.12', 'x 192.189.10.13 y', false],
    ['1.2.3.4', 'version 1.2.3.4.5', false],
    ['2001:db8::/32', 'peer [2001:db8:ffff::1]:443', true],
    ['2001:db8::/32', 'peer [2001:db9::1]:443', false],
    ['::1', 'listening on ::1 port 80', true],
    ['::ffff:10.0.0.1', 'from ::ffff:10.0.0.1', true],
    ['2001:db8::1-2001:db8::8', 'a 2001:db8::8 b', true],
    ['2001:db8::1-2001:db8::8', 'a 2001:db8::9 b', false],
    ['10.0.0.0/8', 'at 12:30:45 from 10.1.2.3', true],
    ['::1', 'at 12:30:45 nothing', false],
  ])('%s in %j: %s', (pattern, line, want) => {
    expect(lineHasIp(parseIpPattern(pattern), line)).toBe(want);
  });
  it('label values are parsed whole', () => {
    const set = parseIpPattern('10.0.0.0/8');
    expect([ipInSet(set, '10.1.2.3'), ipInSet(set, ' 10.1.2.3 '), ipInSet(set, '10.1.2.3:80'), ipInSet(set, '11.0.0.1'), ipInSet(set, '')]).toEqual([true, true, false, false, false]);
  });
});

describe('ip("…") and the kernel', () => {
  it('keeps ip filters out of the kernel: the parser moves them to the pipeline, a hand-built tree is refused', async () => {
    const expr = parseQuery('pod{namespace="default"} |= "GET" |= ip("10.0.0.0/8")');
    if (expr.kind !== 'VectorSelector') throw new Error('expected a selector');
    expect(expr.lineFilters.map((f) => f.value)).toEqual(['GET']);
    expect(expr.pipeline.map((s) => s.kind)).toEqual(['LineFilter']);
    const handBuilt = { ...expr, lineFilters: [...expr.lineFilters, ...(expr.pipeline as typeof expr.lineFilters)], pipeline: [] };
    await expect(store.explain(handBuilt, at)).rejects.toThrow(/ip\("…"\) line filters run in the pipeline/);
  });
});
