/**
 * Parallel scan against the in-thread scan (the oracle): for every store, query and result
 * shape in the tables below, `workers: 2` (one job per file) and `workers: 3` with small
 * `rangeBytes` (files cut into line-aligned byte ranges) must give exactly what
 * `workers: 0` gives: the same rows in the same order, the same count, the same statistics
 * (all but `elapsedMs`), with log pipelines too (they run in the workers). Each parallel query must also have run jobs on the workers
 * (`pool.jobsDone` grows), so a silent fallback to in-thread scanning cannot pass.
 *
 * Then: cancellation (rejects like in-thread, leaves no job behind, the next query works),
 * files that vanish or cannot be read between planning and reading, option checks, and
 * the pool's lifecycle (`close()`, concurrent queries, small queries stay in-thread).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore, type GeneratedStore } from '../../scripts/lib/generate.mjs';
import facts from '../../fixtures/store-facts.json' with { type: 'json' };
import { getStats, openStore, type LogStore, type OpenStoreOptions, type QueryStats, type ScanOptions } from '../../src/node.js';
import { EDGE_STORE, FIXTURE_STORE, tableLines } from '../support/paths.js';

type Shape = 'count' | 'rows' | 'rows, limit 7' | 'rows, backward, limit 7' | 'rows, backward';
const SHAPES: Shape[] = ['count', 'rows', 'rows, limit 7', 'rows, backward, limit 7', 'rows, backward'];

/** Statistics without the wall-clock part. */
function comparable(stats: QueryStats | null): Omit<QueryStats, 'elapsedMs'> {
  expect(stats).not.toBeNull();
  const { elapsedMs, ...rest } = stats!;
  expect(elapsedMs).toBeGreaterThanOrEqual(0);
  return rest;
}

function times(t: Table): string[] {
  return [...(t.getChild('time')?.toArray() ?? [])].map(String);
}

async function runShape(store: LogStore, query: string, opts: ScanOptions, shape: Shape): Promise<unknown> {
  if (shape === 'count') {
    const { count, stats } = await store.count(query, opts);
    return { count, stats: comparable(stats) };
  }
  const t = await store.query(query, {
    ...opts,
    limit: shape.includes('limit 7') ? 7 : null,
    direction: shape.includes('backward') ? 'backward' : 'forward',
  });
  return { columns: t.schema.fields.map((f) => f.name), lines: tableLines(t), times: times(t), stats: comparable(getStats(t)) };
}

interface StoreCase {
  name: string;
  root: () => string;
  opts: () => ScanOptions;
  /** Options of the range-splitting store: ranges small enough to cut every file several times. */
  rangeBytes: number;
  queries: string[];
}

let generated: GeneratedStore;
const tmp = mkdtempSync(join(tmpdir(), 'letheql-parallel-'));

const FIXTURE_WINDOW = { start: facts.window.start, end: facts.window.end };

const CASES: StoreCase[] = [
  {
    name: 'fixtures/store',
    root: () => FIXTURE_STORE,
    opts: () => FIXTURE_WINDOW,
    rangeBytes: 6000,
    queries: [
      ...Object.keys(facts.queries),
      'pod{namespace=~".*"}',
      'pod{namespace=~".*", pod=~"api-.*"} != "GET"',
      'node{node=~".*"} !~ "(?i)kubelet"',
      'pod{namespace=~"nope.*"}',
      // Pipelines run in the workers, before the limit; rows carry what they made.
      'pod{namespace="shop"} | json | status >= 500',
      'node{node=~".*", process="containerd"} | logfmt | level="info" | line_format "{{.msg}} ({{.time}})"',
      'pod{namespace="shop", container="nginx"} | pattern "<ip> - - <_> \\"<method> <path> <_>\\" <status> <_>" | status="404"',
      'pod{namespace="shop"} | json | __error__!="" | drop __error_details__',
    ],
  },
  {
    name: 'fixtures/edge-store (bad lines, CRLF, invalid names)',
    root: () => EDGE_STORE,
    opts: () => ({ start: '2024-09-24T00:00:00Z', end: '2024-09-25T00:00:00Z' }),
    rangeBytes: 1000,
    queries: ['pod{namespace="edge"}', 'node{node=~".*"}', 'pod{namespace=~".*"} |= "a"', 'pod{namespace=~".*"} | logfmt | decolorize'],
  },
  {
    // Every line at the same instant: order is store order alone, across files and across
    // ranges. Lines are 50 bytes and files 150,000, so with rangeBytes 5000 every cut falls
    // exactly after a '\n' (the off-by-one case of the range rule).
    name: 'ties: one timestamp for every line, cuts on line boundaries',
    root: () => join(tmp, 'ties'),
    opts: () => ({ start: '2024-09-24T13:00:00Z', end: '2024-09-24T14:00:00Z' }),
    rangeBytes: 5000,
    queries: ['pod{namespace=~".*"}', 'pod{namespace="a"} |= "7"', 'pod{namespace=~".*"} |~ "line 0*1[0-9]{2}$"'],
  },
  {
    name: 'a generated 24 MiB store',
    root: () => generated.out,
    opts: () => ({ start: generated.start, end: generated.end }),
    rangeBytes: 300_000,
    queries: [
      'pod{namespace=~".*"} |= "RARE-7f3a"',
      'pod{namespace="shop"} |= "POST" != "healthz"',
      'pod{namespace=~"pay.*|shop", container!="istio-proxy"} |~ "user/[0-9]+"',
      'node{node=~".*", process="kubelet"} |~ "kubelet.go:[0-9]+"',
      'pod{namespace=~".*", pod=~"checkout-.*"} |= "\\tat "',
      'pod{namespace=~".*"} |= "latency_ms" | json | latency_ms > 2000 | keep level, latency_ms',
      'pod{namespace=~".*"} | regexp "(?P<verb>GET|POST) (?P<path>/[^ ]*)" | verb="POST" | label_format p="{{.path}}" | drop path',
    ],
  },
  {
    name: 'a generated 24 MiB store, long lines refused (maxLineBytes 20000), 4 KiB blocks, no read-ahead',
    root: () => generated.out,
    opts: () => ({ start: generated.start, end: generated.end, maxLineBytes: 20_000, blockSize: 4096, readAhead: false }),
    rangeBytes: 250_000,
    queries: ['pod{namespace=~"kube.*|monitoring"} |= "error"', 'node{node="node-01"} != "kubelet"'],
  },
];

beforeAll(async () => {
  generated = await generateStore({ out: join(tmp, 'gen'), sizeBytes: 24 << 20, seed: 7 });
  for (const ns of ['a', 'b']) {
    mkdirSync(join(tmp, 'ties', 'pod', ns), { recursive: true });
    const lines = Array.from({ length: 3000 }, (_, i) => `2024-09-24T13:00:00Z[${ns}|p|c] ${ns} line ${String(i).padStart(14, '0')}\n`);
    expect(lines.every((l) => l.length === 50)).toBe(true);
    writeFileSync(join(tmp, 'ties', 'pod', ns, '2024-09-24_13.log'), lines.join(''));
  }
});

const opened: LogStore[] = [];
function open(root: string, options: OpenStoreOptions): LogStore {
  const s = openStore(root, options);
  opened.push(s);
  return s;
}

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

describe.each(CASES)('$name: workers give exactly the in-thread result', (c) => {
  let inThread: LogStore;
  let perFile: LogStore;
  let perRange: LogStore;
  beforeAll(() => {
    inThread = open(c.root(), { workers: 0 });
    perFile = open(c.root(), { workers: 2, parallelMinBytes: 0 });
    perRange = open(c.root(), { workers: 3, parallelMinBytes: 0, rangeBytes: c.rangeBytes });
  });

  it.each(c.queries)('%s', async (query) => {
    expect(inThread.pool).toBeNull();
    for (const shape of SHAPES) {
      const want = await runShape(inThread, query, c.opts(), shape);
      for (const [name, store] of [['workers: 2', perFile], ['workers: 3, ranges', perRange]] as const) {
        const before = store.pool!.jobsDone;
        expect(await runShape(store, query, c.opts(), shape), `${name}, ${shape}`).toEqual(want);
        // Every planned file (or range) ran as a worker job; none in this thread.
        if ((want as { stats: QueryStats }).stats.filesRead + (want as { stats: QueryStats }).stats.skippedFiles.length > 1) {
          expect(store.pool!.jobsDone, `${name}, ${shape}: jobs run on workers`).toBeGreaterThan(before);
        }
        expect(store.pool!.pendingJobs, `${name}, ${shape}: nothing left running`).toBe(0);
      }
    }
  });
});

describe('cancellation', () => {
  const query = 'pod{namespace=~".*"} |= "GET"';
  let reference: { count: number; stats: unknown };
  let store: LogStore;
  beforeAll(async () => {
    reference = (await runShape(open(generated.out, { workers: 0 }), query, { start: generated.start, end: generated.end }, 'count')) as typeof reference;
    store = open(generated.out, { workers: 2, parallelMinBytes: 0 });
  });
  const window = (): ScanOptions => ({ start: generated.start, end: generated.end });

  it.each(['count', 'rows'] as const)('an abort mid-%s rejects with an AbortError, leaves no job behind, and the next query works', async (kind) => {
    const ac = new AbortController();
    let progressCalls = 0;
    const opts: ScanOptions = {
      ...window(),
      signal: ac.signal,
      onProgress: () => {
        progressCalls++;
        ac.abort(); // after the first file: most jobs are still queued or running
      },
    };
    const run = kind === 'count' ? store.count(query, opts) : store.query(query, opts);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(progressCalls).toBe(1);
    expect(store.pool!.pendingJobs).toBe(0);
    expect(await runShape(store, query, window(), 'count')).toEqual(reference);
  });

  it('rejects with the signal\'s own reason, as in-thread', async () => {
    const ac = new AbortController();
    const run = store.count(query, { ...window(), onProgress: () => ac.abort(new Error('stop now')), signal: ac.signal });
    await expect(run).rejects.toThrow('stop now');
    expect(store.pool!.pendingJobs).toBe(0);
  });

  it('an already aborted signal starts no job', async () => {
    const before = store.pool!.jobsDone;
    const ac = new AbortController();
    ac.abort();
    await expect(store.count(query, { ...window(), signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(store.pool!.jobsDone).toBe(before);
  });
});

describe('files that change between planning and reading', () => {
  /** A fresh copy of the fixture store, and a store over it whose planning runs `sabotage` right after listing a target. */
  function sabotaged(options: OpenStoreOptions, sabotage: (root: string, target: string) => void): LogStore {
    const root = mkdtempSync(join(tmp, 'store-'));
    cpSync(FIXTURE_STORE, root, { recursive: true });
    const store = open(root, options);
    const list = store.source.listFiles.bind(store.source);
    store.source.listFiles = async (logType, target, select) => {
      const files = await list(logType, target, select);
      sabotage(root, `${logType}/${target}`);
      return files;
    };
    return store;
  }
  const Q = 'pod{namespace=~".*"} |= "e"';
  const outcome = async (store: LogStore): Promise<unknown> => {
    try {
      return await runShape(store, Q, FIXTURE_WINDOW, 'rows, limit 7');
    } catch (e) {
      const err = e as { name: string; code?: string; message: string };
      return { error: { name: err.name, code: err.code, message: err.message.replaceAll(/letheql-parallel-[^/]+\/store-[^/]+/g, 'ROOT') } };
    }
  };
  const cases: [string, (root: string, target: string) => void, (o: unknown) => void][] = [
    ['a deleted file is skipped as vanished', (root, t) => t === 'pod/shop' && unlinkSync(join(root, t, '2024-09-24_14.log')), (o) => expect((o as { stats: QueryStats }).stats.skippedFiles).toEqual([{ path: 'pod/shop/2024-09-24_14.log', reason: 'vanished' }])],
    ['every file of a target deleted', (root, t) => t === 'pod/default' && rmSync(join(root, t), { recursive: true }), (o) => expect((o as { stats: QueryStats }).stats.skippedFiles).toHaveLength(3)],
    ['a file that became a symlink loop is an IO_ERROR naming it', (root, t) => {
      if (t !== 'pod/shop') return;
      const p = join(root, t, '2024-09-24_14.log');
      unlinkSync(p);
      symlinkSync('2024-09-24_14.log', p);
    }, (o) => expect(o).toMatchObject({ error: { code: 'IO_ERROR', message: expect.stringMatching(/^cannot read pod\/shop\/2024-09-24_14\.log: ELOOP/) } })],
    ['a file that became a directory is refused as not a regular file', (root, t) => {
      if (t !== 'pod/kube-system') return;
      const p = join(root, t, '2024-09-24_13.log');
      unlinkSync(p);
      mkdirSync(p);
    }, (o) => expect(o).toMatchObject({ error: { name: 'LetheQLError', code: 'INVALID_OPTION' } })],
    ['two unreadable files: the first in store order is reported', (root, t) => {
      for (const [target, name] of [['pod/default', '2024-09-24_15.log'], ['pod/shop', '2024-09-24_13.log']]) {
        if (t !== target) continue;
        const p = join(root, t, name);
        unlinkSync(p);
        symlinkSync(name, p);
      }
    }, (o) => expect(o).toMatchObject({ error: { code: 'IO_ERROR', message: expect.stringMatching(/^cannot read pod\/default\/2024-09-24_15\.log: ELOOP/) } })],
  ];

  it.each(cases)('%s, as in-thread', async (_name, sabotage, check) => {
    const want = await outcome(sabotaged({ workers: 0 }, sabotage));
    check(want);
    for (const options of [{ workers: 2, parallelMinBytes: 0 }, { workers: 3, parallelMinBytes: 0, rangeBytes: 5000 }]) {
      const store = sabotaged(options, sabotage);
      expect(await outcome(store), JSON.stringify(options)).toEqual(want);
      expect(store.pool!.jobsDone).toBeGreaterThan(0);
      expect(store.pool!.pendingJobs).toBe(0);
    }
  });
});

describe('the pool', () => {
  it('rejects bad options as INVALID_OPTION', () => {
    for (const options of [{ workers: -1 }, { workers: 1.5 }, { workers: Number.NaN }, { parallelMinBytes: -1 }, { rangeBytes: 0 }]) {
      expect(() => openStore(FIXTURE_STORE, options), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
  });

  it('an invalid scan option fails in the workers as it fails in-thread', async () => {
    const w = { start: generated.start, end: generated.end, maxLineBytes: -1 };
    const q = 'pod{namespace=~".*"}';
    const inThread = await open(generated.out, { workers: 0 }).count(q, w).catch((e: Error) => e);
    expect(inThread).toMatchObject({ name: 'LetheQLError', code: 'INVALID_OPTION' });
    const store = open(generated.out, { workers: 2, parallelMinBytes: 0 });
    const parallel = await store.count(q, w).catch((e: Error) => e);
    expect(parallel).toMatchObject({ name: 'LetheQLError', code: 'INVALID_OPTION' });
    expect((parallel as Error).message).toBe((inThread as Error).message);
    expect(store.pool!.jobsDone).toBeGreaterThan(0);
  });

  it('keeps small queries in the calling thread by default (starting workers costs more)', async () => {
    const store = open(FIXTURE_STORE, { workers: 2 });
    expect(store.pool).not.toBeNull();
    expect((await store.count('pod{namespace=~".*"}', FIXTURE_WINDOW)).count).toBe(1040);
    expect(store.pool!.jobsDone).toBe(0);
  });

  it('reports progress per file, ending at the statistics\' totals, split files counted once', async () => {
    for (const options of [{ workers: 2, parallelMinBytes: 0 }, { workers: 2, parallelMinBytes: 0, rangeBytes: 300_000 }]) {
      const store = open(generated.out, options);
      const seen: { filesRead: number; filesTotal: number; bytesScanned: number; totalBytes: number; linesMatched: number }[] = [];
      const { stats } = await store.count('pod{namespace=~".*"} |= "GET"', { start: generated.start, end: generated.end, onProgress: (p) => seen.push(p) });
      expect(seen.map((p) => p.filesRead)).toEqual(Array.from({ length: stats.filesRead }, (_, i) => i + 1));
      expect(seen.at(-1)).toMatchObject({ filesTotal: stats.filesRead, bytesScanned: stats.bytesScanned, totalBytes: stats.bytesScanned, linesMatched: stats.linesMatched });
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesScanned).toBeGreaterThan(seen[i - 1]!.bytesScanned);
    }
  });

  it('runs concurrent queries on one pool, each with its own results', async () => {
    const store = open(generated.out, { workers: 2, parallelMinBytes: 0 });
    const ref = open(generated.out, { workers: 0 });
    const w = { start: generated.start, end: generated.end };
    const qs = ['pod{namespace="shop"} |= "GET"', 'node{node=~".*"}', 'pod{namespace=~".*"} |= "RARE-7f3a"', 'pod{namespace="default"} != "GET"'];
    const together = await Promise.all(qs.map((q, i) => runShape(store, q, w, i % 2 ? 'count' : 'rows, limit 7')));
    const alone = await Promise.all(qs.map((q, i) => runShape(ref, q, w, i % 2 ? 'count' : 'rows, limit 7')));
    expect(together).toEqual(alone);
  });

  it('close() stops the workers; later queries scan in-thread with the same results', async () => {
    const store = open(generated.out, { workers: 2, parallelMinBytes: 0 });
    const w = { start: generated.start, end: generated.end };
    const q = 'pod{namespace="shop"} |= "POST"';
    const before = await runShape(store, q, w, 'rows, backward, limit 7');
    const jobs = store.pool!.jobsDone;
    expect(jobs).toBeGreaterThan(0);
    await store.close();
    expect(await runShape(store, q, w, 'rows, backward, limit 7')).toEqual(before);
    expect(store.pool!.jobsDone).toBe(jobs);
  });
});
