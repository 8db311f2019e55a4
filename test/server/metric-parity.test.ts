/**
 * One metric output layer (issue 15 point 4): for a table of metric queries, the server's
 * answers are byte-identical to the CLI's — JSON (`letheql query --format jsonl` is the
 * `data` of the Lethe/Prometheus answer, and of the Loki answer before its `stats`) and
 * Arrow (`--format arrow` is the body of an `Accept: application/vnd.apache.arrow.stream`
 * answer), instant and range. Includes the query whose Arrow answer was a 500 ("Table and
 * inner RecordBatch schemas must be equivalent": a label named `time`), a value of 1e-7
 * and −0. Then content negotiation with q-values, against the same server.
 */
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openStore, type LogStore } from '../../src/node.js';
import { negotiate } from '../../src/server/route-env.js';
import { parseRfc3339 } from '../../src/time.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { frozen, start, type Running } from './helpers.js';

const ARROW = 'application/vnd.apache.arrow.stream';
const START = '2024-09-24T13:00:00Z';
const END = '2024-09-24T16:00:00Z';
const STEP = '30m';
const nsOf = (t: string) => String(parseRfc3339(t)!);

async function cli(args: string[]): Promise<{ code: number; out: Buffer; err: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => ({ isTTY: false, write: (d: string | Uint8Array, cb?: () => void) => (into.push(Buffer.from(d)), cb?.(), true) });
  const code = await main(['query', '--store', FIXTURE_STORE, '--workers', '0', ...args], { stdout: sink(out) as never, stderr: sink(err) as never, env: {} });
  return { code, out: Buffer.concat(out), err: Buffer.concat(err).toString() };
}

async function fetchBytes(base: string, path: string, query: Record<string, string>, accept?: string): Promise<{ status: number; type: string; body: Buffer }> {
  const u = new URL(path, base);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  const res = await fetch(u, accept !== undefined ? { headers: { accept } } : {});
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

describe('server and CLI metric answers are byte-identical', () => {
  let store: LogStore;
  let srv: Running;
  beforeAll(async () => {
    store = openStore(FIXTURE_STORE, { workers: 0 });
    srv = await start({ store, now: frozen(END) });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
  });

  // [name, query, what the JSON must show (a check that the case is the one it claims)]
  const queries: [string, string, RegExp][] = [
    ['a label named time (was a 500 in Arrow)', 'sum by (time) (count_over_time(node{node=~".*",process="containerd"} | logfmt [1h]))', /"metric":\{"time":"2024-09-24T1/],
    ['counts per stream', 'count_over_time(pod{namespace="shop"}[1h])', /"metric":\{"container":"[^"]+","namespace":"shop","pod":"/],
    ['1e-7 in Go form', 'sum(count_over_time(node{node="node-a"}[1h])) / sum(count_over_time(node{node="node-a"}[1h])) * 0.0000001', /,"1e-07"\]/],
    ['negative zero', 'sum(count_over_time(node{node="node-a"}[1h])) * -0', /"-0"/],
    ['fractional rates', 'sum by (namespace) (rate(pod{namespace=~".+"}[5m]))', /"0\.\d+"/],
    ['topk over a pipeline label', 'topk(2, sum by (level) (count_over_time(node{node="node-a", process="containerd"} | logfmt [1h])))', /"metric":\{"level":"/],
  ];

  for (const [name, query, shows] of queries) {
    for (const mode of ['instant', 'range'] as const) {
      it(`${name} (${mode}): ${query}`, async () => {
        const cliTime = mode === 'instant' ? ['--end', END] : ['--start', START, '--end', END, '--step', STEP];
        type Route = { path: string; params: Record<string, string> };
        const lethe: Route = mode === 'instant' ? { path: '/api/v1/query', params: { query, time: END } } : { path: '/api/v1/query_range', params: { query, start: START, end: END, step: STEP } };
        const loki: Route = mode === 'instant' ? { path: '/loki/api/v1/query', params: { query, time: nsOf(END) } } : { path: '/loki/api/v1/query_range', params: { query, start: nsOf(START), end: nsOf(END), step: STEP } };

        const json = await cli(['--format', 'jsonl', ...cliTime, query]);
        expect(json.code, json.err).toBe(0);
        const data = json.out.toString().trimEnd();
        expect(data).toMatch(shows);
        const l = await fetchBytes(srv.url, lethe.path, lethe.params);
        expect([l.status, l.body.toString()]).toEqual([200, `{"status":"success","data":${data}}`]);
        const k = await fetchBytes(srv.url, loki.path, loki.params);
        expect(k.status).toBe(200);
        expect(k.body.toString().startsWith(`{"status":"success","data":${data.slice(0, -1)},"stats":{`)).toBe(true);

        const arrow = await cli(['--format', 'arrow', ...cliTime, query]);
        expect(arrow.code, arrow.err).toBe(0);
        for (const route of [lethe, loki]) {
          const a = await fetchBytes(srv.url, route.path, route.params, ARROW);
          expect([a.status, a.type]).toEqual([200, ARROW]);
          expect(a.body.equals(arrow.out), `${route.path}: Arrow bytes differ from the CLI's`).toBe(true);
        }
        // Label columns are dictionaries, and the table reads back.
        const table = tableFromIPC(arrow.out);
        for (const f of table.schema.fields.slice(0, -2)) expect(String(f.type)).toMatch(/^Dictionary</);
        expect(table.schema.fields.slice(-2).map((f) => f.name)).toEqual(['time', 'value']);
      });
    }
  }

  const accept: [string, 'json' | 'arrow'][] = [
    [`${ARROW};q=0.5, application/json`, 'json'],
    [`${ARROW}, application/json;q=0.9`, 'arrow'],
    [ARROW, 'arrow'],
    ['application/json', 'json'],
    [`application/json, ${ARROW}`, 'json'],
    [`${ARROW}, application/json`, 'arrow'],
    [`${ARROW}, */*`, 'arrow'],
    ['*/*', 'json'],
    ['application/*', 'json'],
    [`${ARROW};q=0, */*`, 'json'],
    [`${ARROW};q=0`, 'json'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'json'],
    [`application/*;q=0.2, ${ARROW};q=0.3`, 'arrow'],
    ['', 'json'],
  ];
  it.each(accept)('Accept: %j → %s', async (header, want) => {
    const res = await fetchBytes(srv.url, '/api/v1/query', { query: 'count_over_time(pod{namespace="shop"}[1h])', time: END }, header);
    expect(res.status).toBe(200);
    expect(res.type.startsWith(want === 'arrow' ? ARROW : 'application/json')).toBe(true);
    expect(negotiate(header, ['application/json', ARROW])).toBe(want === 'arrow' ? ARROW : 'application/json');
  });
});
