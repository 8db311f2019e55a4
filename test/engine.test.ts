/**
 * The library API end to end on our own fixture stores: documented counts (computed by the
 * fixture generator from the bytes it wrote, not by the engine), bad lines reported with file
 * and line number, ordering and limit invariants, streaming, sources, plans and cancellation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { getStats, LogStore, MemoryChunkSource, openStore, parseQuery, parseTime, toArrowIPC, type LogQueryPlan } from '../src/node.js';
import facts from '../fixtures/store-facts.json' with { type: 'json' };
import { EDGE_STORE, FIXTURE_STORE, tableLines } from './support/paths.js';
import { referenceQuery } from './support/reference.js';

const store = openStore(FIXTURE_STORE);
const WINDOW = { start: facts.window.start, end: facts.window.end };

function memoryCopy(root: string): LogStore {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files[relative(root, p)] = new Uint8Array(readFileSync(p));
    }
  };
  walk(root);
  return new LogStore(MemoryChunkSource.fromRecord(files));
}

describe('documented facts of fixtures/store', () => {
  it.each(Object.entries(facts.queries))('%s → %i', async (query, want) => {
    const { count, stats } = await store.count(query, WINDOW);
    expect(count).toBe(want);
    expect(stats.badLines).toBe(0);
    const table = await store.query(query, WINDOW);
    expect(table.numRows).toBe(want);
  });

  it('scans every byte and line of the files it reads', async () => {
    const { stats } = await store.count('pod{namespace=~".*"}', WINDOW);
    const podFiles = Object.entries(facts.files).filter(([p]) => p.startsWith('pod/'));
    expect(stats.filesRead).toBe(podFiles.length);
    expect(stats.bytesScanned).toBe(podFiles.reduce((a, [, f]) => a + f.bytes, 0));
    expect(stats.linesScanned).toBe(podFiles.reduce((a, [, f]) => a + f.lines, 0));
  });
});

describe('ordering and limits', () => {
  const queries = ['pod{namespace=~".*"}', 'pod{namespace="shop"} |= "GET"', 'node{node=~"node-.*"}', 'pod{namespace!="default"} |~ "(?i)error|warn"'];
  it.each(queries)('%s: time-ordered, limit k is the first k, backward is stable', async (q) => {
    const all = await store.query(q, WINDOW);
    const times = all.getChild('time')!.toArray() as BigInt64Array;
    for (let i = 1; i < times.length; i++) expect(times[i]! >= times[i - 1]!).toBe(true);
    const lines = tableLines(all);
    for (const k of [1, 7, 100]) {
      const t = await store.query(q, { ...WINDOW, limit: k });
      expect(tableLines(t)).toEqual(lines.slice(0, k));
      expect(getStats(t)!.truncated).toBe(lines.length > k);
    }
    // Backward: newest first; rows with equal times keep store order.
    const back = await store.query(q, { ...WINDOW, direction: 'backward' });
    const keyed = lines.map((l, i) => ({ l, t: times[i]!, i }));
    keyed.sort((a, b) => (a.t === b.t ? a.i - b.i : a.t > b.t ? -1 : 1));
    expect(tableLines(back)).toEqual(keyed.map((k) => k.l));
    const back5 = await store.query(q, { ...WINDOW, direction: 'backward', limit: 5 });
    expect(tableLines(back5)).toEqual(keyed.slice(0, 5).map((k) => k.l));
  });

  it('orders the swapped lines of shop hour 14 by time', async () => {
    const t = await store.query('pod{namespace="shop"}', { start: '2024-09-24T14:00:00Z', end: '2024-09-24T14:59:59.999999999Z' });
    const raw = [...t.getChild('time_raw')!] as string[];
    expect(raw).toEqual([...raw].sort());
  });
});

describe('stream()', () => {
  it('yields the same rows as query(), in batches, then its statistics', async () => {
    const q = 'pod{namespace=~".*"} != "healthz"';
    const table = await store.query(q, WINDOW);
    const s = store.stream(q, { ...WINDOW, batchSize: 100 });
    const lines: string[] = [];
    let batches = 0;
    for await (const batch of s) {
      batches++;
      expect(batch.numRows).toBeLessThanOrEqual(100);
      for (let i = 0; i < batch.numRows; i++) lines.push(`${batch.getChild('time_raw')!.get(i)}`);
    }
    expect(batches).toBe(Math.ceil(table.numRows / 100));
    expect(lines).toEqual([...table.getChild('time_raw')!]);
    expect((await s.stats).rowsReturned).toBe(table.numRows);
  });

  it('an empty result still carries the schema, in a table, a stream and Arrow IPC', async () => {
    const t = await store.query('node{node="node-a"} |= "no such text anywhere"', WINDOW);
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['time', 'node', 'process', 'line', 'time_raw']);
    const batches = [];
    for await (const b of store.stream('node{node="nowhere"}', WINDOW)) batches.push(b);
    expect(batches.map((b) => b.numRows)).toEqual([0]);
    const back = tableFromIPC(toArrowIPC(t));
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((f) => String(f.type))).toEqual(['Timestamp<NANOSECOND, UTC>', 'Dictionary<Int32, Utf8>', 'Dictionary<Int32, Utf8>', 'Utf8', 'Utf8']);
  });

  it('rejects stats and the iterator on a bad query', async () => {
    const s = store.stream('pod{namespace="shop"} |~ "("', WINDOW);
    await expect(async () => {
      for await (const _ of s) void _;
    }).rejects.toThrow(/invalid regex/);
    await expect(s.stats).rejects.toThrow(/invalid regex/);
  });
});

describe('fixtures/edge-store: bad input is counted, never fatal', () => {
  const edge = openStore(EDGE_STORE);
  it('keeps the six good lines of pod/edge and reports six bad ones by line number', async () => {
    const t = await edge.query('pod{namespace="edge"}', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T14:00:00Z' });
    const stats = getStats(t)!;
    expect(t.numRows).toBe(6);
    expect(stats.filesRead).toBe(1); // end == 14:00 does not read the (empty) hour-14 file: end > hour
    expect(stats.badLines).toBe(6);
    expect(stats.badLineSamples.map((b) => `${b.path}:${b.line}:${b.reason}`)).toEqual([
      'pod/edge/2024-09-24_13.log:2:bad-timestamp',
      'pod/edge/2024-09-24_13.log:3:wrong-field-count',
      'pod/edge/2024-09-24_13.log:4:wrong-field-count',
      'pod/edge/2024-09-24_13.log:5:bad-timestamp',
      'pod/edge/2024-09-24_13.log:6:missing-bracket',
      'pod/edge/2024-09-24_13.log:12:bad-timestamp',
    ]);
    expect(stats.skippedFiles.map((f) => f.path).sort()).toEqual(['pod/edge/2024-09-24_24.log', 'pod/edge/2024-9-24_15.log']);
    const msgs = [...t.getChild('line')!] as string[];
    expect(msgs).toContain('message with [brackets] and | pipes | inside');
    expect(msgs).toContain('');
    expect(msgs.some((m) => m.endsWith('one is stripped, one stays\r'))).toBe(true);
    expect(msgs.some((m) => m.includes('\n'))).toBe(false);
  });

  it('finds the +09:00 line at its UTC instant when the window holds it', async () => {
    const t = await edge.query('pod{namespace="edge"} |= "offset +09:00"', { start: '2024-09-24T04:00:07Z', end: '2024-09-24T13:59:59Z' });
    expect(t.numRows).toBe(1);
    // Arrow JS reads timestamps as epoch ms; the column's buffer holds the exact ns.
    expect(t.getChild('time')!.toArray()).toEqual(BigInt64Array.of(1_727_150_407_000n * 1_000_000n));
    expect(t.getChild('time_raw')!.get(0)).toBe('2024-09-24T13:00:07+09:00');
  });

  it('returns the 131 KB line and the line without a final newline', async () => {
    const t = await edge.query('node{node="node-x"}', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T14:00:00Z' });
    const msgs = [...t.getChild('line')!] as string[];
    expect(msgs.some((m) => m.length > 131_000)).toBe(true);
    expect(msgs.at(-1)).toBe('last line without final newline');
    expect(getStats(t)!.badLines).toBe(1);
  });

  it('keeps invalid UTF-8 and truncated chunks from failing a query', async () => {
    const enc = new TextEncoder();
    const good = enc.encode('2024-09-24T13:00:00Z[ns|p|c] ok\n');
    const bad = Uint8Array.from([...enc.encode('2024-09-24T13:00:01Z[ns|p|c] bytes '), 0xff, 0xfe, 0x0a]);
    const truncated = enc.encode('2024-09-24T13:00:02Z[ns|p|c] ok again\n2024-09-24T13:0');
    const mem = new LogStore(MemoryChunkSource.fromRecord({ 'pod/ns/2024-09-24_13.log': new Uint8Array([...good, ...bad, ...truncated]) }));
    const t = await mem.query('pod{namespace="ns"}', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T13:59:59Z' });
    expect([...t.getChild('line')!]).toEqual(['ok', 'bytes \ufffd\ufffd', 'ok again']);
    expect(getStats(t)!.badLineSamples).toEqual([{ path: 'pod/ns/2024-09-24_13.log', line: 4, reason: 'bad-timestamp' }]);
  });
});

describe('garbage in, no crash', () => {
  it('random bytes mixed with valid lines: every line is either a row, a bad line or outside the window', async () => {
    const enc = new TextEncoder();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constantFrom('2024-09-24T13:00:00Z[ns|p|c] ok', '2024-09-24T13:30:00.5+01:00[ns|p|c] early', '2024-09-24T13:00:00Z[ns|p] short')), { maxLength: 40 }),
        fc.boolean(),
        async (parts, finalNewline) => {
          const chunks = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p.map((b) => (b === 10 ? 32 : b))));
          const bytes: number[] = [];
          chunks.forEach((c, i) => {
            bytes.push(...c);
            if (i < chunks.length - 1 || finalNewline) bytes.push(10);
          });
          const mem = new LogStore(MemoryChunkSource.fromRecord({ 'pod/ns/2024-09-24_13.log': Uint8Array.from(bytes) }));
          const t = await mem.query('pod{namespace="ns"}', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T13:59:59Z' });
          const stats = getStats(t)!;
          const valid = parts.filter((p) => p === '2024-09-24T13:00:00Z[ns|p|c] ok').length;
          const early = parts.filter((p) => p === '2024-09-24T13:30:00.5+01:00[ns|p|c] early').length;
          expect(t.numRows).toBe(valid);
          expect(stats.linesScanned).toBe(chunks.length - (chunks.length > 0 && !finalNewline && chunks.at(-1)!.length === 0 ? 1 : 0));
          expect(stats.linesScanned - stats.badLines - t.numRows).toBe(early);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('sources, plans and cancellation', () => {
  it('an in-memory copy answers exactly like the filesystem', async () => {
    const mem = memoryCopy(FIXTURE_STORE);
    for (const q of ['pod{namespace=~"s.*", pod=~"api-.*"} |= "GET"', 'node{node="node-b"} !~ "^I0924"']) {
      expect(tableLines(await mem.query(q, WINDOW))).toEqual(tableLines(await store.query(q, WINDOW)));
    }
  });

  it('a plan is plain data: JSON round-trips it', async () => {
    const plan = await store.explain('pod{namespace="shop", container!="istio-proxy", pod=~"api-.*"} |= "GET" !~ "healthz"', { ...WINDOW, limit: 10, direction: 'backward' });
    expect(JSON.parse(JSON.stringify(plan)) as LogQueryPlan).toEqual(plan);
    expect(plan.program).toEqual({
      version: 2,
      fieldCount: 3,
      startNs: '1727182800000000000',
      endNs: '1727193600000000000',
      labelMatchers: [
        { field: 2, op: 'neq', value: 'istio-proxy' },
        { field: 1, op: 'regex', pattern: 'api-.*', automaton: { engine: 'dfa', size: expect.any(Number) } },
      ],
      lineFilters: [
        { op: 'contains', needle: 'GET' },
        { op: 'notContains', needle: 'healthz', fromRegex: 'healthz' },
      ],
    });
    expect(plan.files.map((f) => f.path)).toEqual(['pod/shop/2024-09-24_13.log', 'pod/shop/2024-09-24_14.log', 'pod/shop/2024-09-24_15.log']);
    expect(plan.limit).toBe(10);
  });

  const dfa = (pattern: string, op = 'regex') => ({ op, pattern, automaton: { engine: 'dfa', size: expect.any(Number) } });
  const regexPlans: [string, object[]][] = [
    ['|~ "error"', [{ op: 'contains', needle: 'error', fromRegex: 'error' }]],
    ['!~ "결제"', [{ op: 'notContains', needle: '결제', fromRegex: '결제' }]],
    ['|~ "user/[0-9]+"', [{ op: 'contains', needle: 'user/', fromRegex: 'user/[0-9]+' }, dfa('user/[0-9]+')]],
    ['!~ "user/[0-9]+"', [dfa('user/[0-9]+', 'notRegex')]],
    ['|~ "(?i)error"', [{ op: 'contains', needle: 'error', caseInsensitive: true, fromRegex: '(?i)error' }]],
    ['!~ "(?i)ERROR"', [{ op: 'notContains', needle: 'error', caseInsensitive: true, fromRegex: '(?i)ERROR' }]],
    ['|~ "(?i)disk"', [dfa('(?i)disk')]], // k also folds to U+212A: no ASCII fast path
    ['|~ "GET|POST"', [dfa('GET|POST')]],
    ['|~ "a.b"', [dfa('a.b')]],
    ['|~ `\\bfoo\\b`', [{ op: 'contains', needle: 'foo', fromRegex: '\\bfoo\\b' }, dfa('\\bfoo\\b')]],
    // Cheapest first: literal, folded literal, then automata; the result is the same as source order.
    ['|~ "a.b" |~ "(?i)error" |= "x"', [{ op: 'contains', needle: 'x' }, { op: 'contains', needle: 'error', caseInsensitive: true, fromRegex: '(?i)error' }, dfa('a.b')]],
  ];
  it.each(regexPlans)('plans %s with literal fast paths and prefilters where they are exact or required', async (filter, kernel) => {
    const plan = await store.explain(`pod{namespace="shop"} ${filter}`, WINDOW);
    expect(plan.program.lineFilters).toEqual(kernel);
  });

  it('prefiltered and plain regex filters return what RE2 alone returns (reference)', async () => {
    for (const f of ['|~ "user/[0-9]+"', '|~ "error"', '!~ "error"', '|~ "api/v1/[a-z]+"', '|= "GET" |~ `/api/v1/[a-z]+\\b`']) {
      const q = `pod{namespace=~".*"} ${f}`;
      const plan = await store.explain(q, WINDOW);
      expect(plan.program.lineFilters.some((l) => 'needle' in l && l.fromRegex !== undefined), q).toBe(true);
      const ref = referenceQuery(FIXTURE_STORE, parseQuery(q), parseTime(WINDOW.start), parseTime(WINDOW.end));
      expect(ref.length, q).toBeGreaterThan(0);
      expect(tableLines(await store.query(q, WINDOW)), q).toEqual(ref.map((r) => `${r.raw}[${r.labels.join('|')}] ${r.line}`));
    }
  });

  it('accepts a parsed query as well as text', async () => {
    const a = await store.query(parseQuery('pod{namespace="shop"} |= "500"'), WINDOW);
    const b = await store.query('pod{namespace="shop"} |= "500"', WINDOW);
    expect(tableLines(a)).toEqual(tableLines(b));
  });

  it('reading straight into WASM memory (readAhead: false) and tiny blocks give the same rows', async () => {
    for (const q of ['pod{namespace=~".*"} |= "GET"', 'node{node=~".*"}']) {
      const want = tableLines(await store.query(q, WINDOW));
      expect(tableLines(await store.query(q, { ...WINDOW, readAhead: false })), q).toEqual(want);
      expect(tableLines(await store.query(q, { ...WINDOW, blockSize: 333 })), q).toEqual(want);
      expect(tableLines(await store.query(q, { ...WINDOW, blockSize: 4096, readAhead: false })), q).toEqual(want);
    }
    await expect(store.query('pod{namespace="shop"}', { ...WINDOW, blockSize: 0 })).rejects.toThrow(/invalid blockSize 0/);
  });

  it('a file deleted between planning and reading is reported as vanished, not fatal', async () => {
    const source = MemoryChunkSource.fromRecord({ 'pod/ns/2024-09-24_13.log': '2024-09-24T13:00:00Z[ns|p|c] a\n', 'pod/ns/2024-09-24_14.log': '2024-09-24T14:00:00Z[ns|p|c] b\n' });
    const open = source.open.bind(source);
    source.open = (logType, target, name) => (name.endsWith('_13.log') ? Promise.reject(Object.assign(new Error('ENOENT: gone'), { code: 'ENOENT' })) : open(logType, target, name));
    const t = await new LogStore(source).query('pod{namespace="ns"}', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T14:30:00Z' });
    expect([...t.getChild('line')!]).toEqual(['b']);
    expect(getStats(t)!.skippedFiles).toEqual([{ path: 'pod/ns/2024-09-24_13.log', reason: 'vanished' }]);
  });

  it('a read failure is an IO_ERROR naming the file; a bug is not disguised as one', async () => {
    const source = MemoryChunkSource.fromRecord({ 'pod/ns/2024-09-24_13.log': '2024-09-24T13:00:00Z[ns|p|c] a\n' });
    const failing = (err: Error) => {
      source.open = async () => ({ size: 100, read: () => Promise.reject(err), close: async () => {} });
      return new LogStore(source).query('pod{namespace="ns"}', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T13:30:00Z' });
    };
    await expect(failing(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }))).rejects.toMatchObject({ code: 'IO_ERROR', message: 'cannot read pod/ns/2024-09-24_13.log: EIO: i/o error, read' });
    await expect(failing(new TypeError('x is not a function'))).rejects.toThrow(TypeError);
  });

  it('reports progress after each file, ending at the plan\'s total bytes', async () => {
    const seen: { filesRead: number; bytesScanned: number; totalBytes: number }[] = [];
    const { stats } = await store.count('pod{namespace=~".*"} |= "GET"', { ...WINDOW, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.filesRead)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.at(-1)!.bytesScanned).toBe(stats.bytesScanned);
    expect(seen.at(-1)!.totalBytes).toBe(stats.bytesScanned);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesScanned).toBeGreaterThan(seen[i - 1]!.bytesScanned);
  });

  it('stops on an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop now'));
    await expect(store.query('pod{namespace=~".*"}', { ...WINDOW, signal: ac.signal })).rejects.toThrow('stop now');
  });

  it('runs queries concurrently on one store', async () => {
    const qs = ['pod{namespace="shop"} |= "GET"', 'pod{namespace="default"}', 'node{node="node-a"}', 'pod{namespace="shop"} |= "POST"'];
    const one = await Promise.all(qs.map((q) => store.count(q, WINDOW)));
    const seq: number[] = [];
    for (const q of qs) seq.push((await store.count(q, WINDOW)).count);
    expect(one.map((r) => r.count)).toEqual(seq);
  });

  it('rejects bad options clearly', async () => {
    await expect(store.query('pod{namespace="shop"}', { limit: 0 })).rejects.toThrow(/invalid limit 0/);
    await expect(store.query('pod{namespace="shop"}', { start: 'soon' })).rejects.toThrow(/invalid start "soon"/);
    await expect(store.query('pod{namespace="shop"}', { direction: 'up' as never })).rejects.toThrow(/invalid direction/);
    await expect(store.query('pod{namespace="shop"}', { start: '2024-01-02T00:00:00Z', end: '2024-01-01T00:00:00Z' })).rejects.toThrow(/is after end/);
  });
});

describe('result() and run(plan): statistics as an object, a plan run as made', () => {
  const W = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };
  it.each([
    ['pod{namespace="shop"} |= "error"', { ...W, limit: 50 }],
    ['pod{namespace=~".+"} != "GET"', { ...W, limit: 10, direction: 'forward' as const }],
    ['node{node=~".+"} | logfmt', { ...W, limit: null }],
    ['count_over_time(pod{namespace="shop"}[1h])', { ...W, step: '1h' }],
  ])('%s', async (q, opts) => {
    const table = await store.query(q, opts);
    const r = await store.result(q, opts);
    const timeless = <T extends { elapsedMs: number } | null>(s: T) => s && { ...s, elapsedMs: 0 };
    expect(timeless(r.stats)).toEqual(timeless(getStats(table)));
    expect(getStats(r.table)).toEqual(r.stats);
    const rows = (t: typeof table) => t.toArray().map((x) => String(x));
    expect(rows(r.table)).toEqual(rows(table));
    if (q.startsWith('count_over_time')) return;
    const plan = await store.explain(q, opts);
    const ran = await store.run(plan);
    expect(rows(ran.table)).toEqual(rows(table));
    expect(timeless(ran.stats)).toEqual(timeless(r.stats));
  });
  it('run() refuses context lines (they need the query)', async () => {
    const plan = await store.explain('pod{namespace="shop"}', W);
    await expect(store.run(plan, { context: { before: 1 } })).rejects.toThrow(/context lines need the query/);
  });
});
