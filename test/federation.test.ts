/**
 * Store sets (federation): several stores, one per cluster, queried as one.
 *
 * Two small hand-written stores (cluster-a, cluster-b) whose lines tie in time across
 * clusters, with a bad line and a file that is not an hour, give the expected rows of every
 * `cluster` matcher operator, the columns, the order of ties (clusters in name order, then
 * target and hour), and the paths in statistics. Differential checks: a set of one store
 * equals that store plus a `cluster` column; a set of the same store twice returns every row
 * twice, per time the first cluster's rows first; memory sources answer like directories;
 * workers (per file and per byte range) answer exactly like the in-thread scan. Then the CLI
 * flags (`--store NAME=DIR`, `--stores FILE`), their errors (exit 2) and `explain`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import {
  FederatedChunkSource,
  formatPlan,
  getStats,
  LetheQLError,
  LogStore,
  MemoryChunkSource,
  openStore,
  openStoreSet,
  openStoreSetFromSources,
  QueryError,
  toArrowIPC,
  type QueryStats,
  type ScanOptions,
} from '../src/node.js';
import { describeStore } from '../src/store/catalog.js';
import facts from '../fixtures/store-facts.json' with { type: 'json' };
import { FIXTURE_STORE } from './support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'letheql-federation-'));
const A = join(tmp, 'a');
const B = join(tmp, 'b');

/** Store files, by store-relative path. Times tie across clusters at 13:00:00 and 13:00:01. */
const STORE_A: Record<string, string> = {
  'pod/shop/2024-09-24_13.log': [
    '2024-09-24T13:00:00Z[shop|api-1|app] a-shop-1',
    '2024-09-24T13:00:01Z[shop|api-1|app] tie-1',
    '2024-09-24T13:00:02Z[shop|api-2|sidecar] a-shop-3',
    'this line is not a Lethe line',
    '',
  ].join('\n'),
  'pod/web/2024-09-24_13.log': '2024-09-24T13:00:01Z[web|web-1|nginx] tie-2\n',
  'pod/shop/notes.txt': 'not an hour file\n',
  'node/node-a/2024-09-24_13.log': '2024-09-24T13:00:01Z[node-a|kubelet] node tie a\n',
};
const STORE_B: Record<string, string> = {
  'pod/shop/2024-09-24_13.log': '2024-09-24T13:00:01Z[shop|api-9|app] tie-3\n2024-09-24T13:00:03Z[shop|api-9|app] b-shop-2\n',
  'pod/default/2024-09-24_13.log': '2024-09-24T13:00:00Z[default|x|y] b-default\n',
  'node/node-a/2024-09-24_13.log': '2024-09-24T13:00:01Z[node-a|kubelet] node tie b\n',
};

function writeStore(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T13:59:59Z' };

/** Rows as `cluster/message`, in result order. */
function rows(t: Table): string[] {
  const c = t.getChild('cluster');
  const line = t.getChild('line')!;
  return Array.from({ length: t.numRows }, (_, i) => `${c ? String(c.get(i)) : '-'}/${String(line.get(i))}`);
}

/** Rows in Lethe's line format, with every label column the table has (cluster included). */
function fullRows(t: Table): string[] {
  const labels = t.schema.fields.map((f) => f.name).filter((n) => !['time', 'line', 'time_raw'].includes(n));
  return Array.from({ length: t.numRows }, (_, i) => `${String(t.getChild('time_raw')!.get(i))}[${labels.map((l) => String(t.getChild(l)!.get(i))).join('|')}] ${String(t.getChild('line')!.get(i))}`);
}

const opened: LogStore[] = [];
function keep(s: LogStore): LogStore {
  opened.push(s);
  return s;
}

let set: LogStore;
beforeAll(() => {
  writeStore(A, STORE_A);
  writeStore(B, STORE_B);
  // Given in reverse order on purpose: store order is cluster *name* order.
  set = keep(openStoreSet({ 'cluster-b': B, 'cluster-a': A }, { workers: 0 }));
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('selectors on cluster', () => {
  const cases: [string, string[]][] = [
    ['pod{namespace=~".*"}', ['cluster-a/a-shop-1', 'cluster-b/b-default', 'cluster-a/tie-1', 'cluster-a/tie-2', 'cluster-b/tie-3', 'cluster-a/a-shop-3', 'cluster-b/b-shop-2']],
    ['pod{cluster="cluster-a", namespace=~".*"}', ['cluster-a/a-shop-1', 'cluster-a/tie-1', 'cluster-a/tie-2', 'cluster-a/a-shop-3']],
    ['pod{cluster!="cluster-a", namespace=~".*"}', ['cluster-b/b-default', 'cluster-b/tie-3', 'cluster-b/b-shop-2']],
    ['pod{cluster=~"cluster-[ab]", namespace="shop"}', ['cluster-a/a-shop-1', 'cluster-a/tie-1', 'cluster-b/tie-3', 'cluster-a/a-shop-3', 'cluster-b/b-shop-2']],
    ['pod{cluster=~"cluster", namespace="shop"}', []], // anchored: "cluster" is not "cluster-a"
    ['pod{cluster=~"b|cluster-b", namespace="shop"}', ['cluster-b/tie-3', 'cluster-b/b-shop-2']],
    ['pod{cluster!~".*-b", namespace="shop"}', ['cluster-a/a-shop-1', 'cluster-a/tie-1', 'cluster-a/a-shop-3']],
    ['pod{cluster!~"cluster", namespace="shop"}', ['cluster-a/a-shop-1', 'cluster-a/tie-1', 'cluster-b/tie-3', 'cluster-a/a-shop-3', 'cluster-b/b-shop-2']],
    ['pod{cluster="nope", namespace="shop"}', []],
    ['pod{cluster=~"cluster-.*", cluster!="cluster-b", namespace=~"shop|web"}', ['cluster-a/a-shop-1', 'cluster-a/tie-1', 'cluster-a/tie-2', 'cluster-a/a-shop-3']],
    ['pod{namespace="shop", container="app", cluster=~".*"} |= "tie"', ['cluster-a/tie-1', 'cluster-b/tie-3']],
    ['node{node="node-a"}', ['cluster-a/node tie a', 'cluster-b/node tie b']],
    ['node{cluster="cluster-b", node="node-a", process="kubelet"}', ['cluster-b/node tie b']],
  ];
  it.each(cases)('%s', async (query, want) => {
    const t = await set.query(query, WINDOW);
    expect(rows(t)).toEqual(want);
    const { count } = await set.count(query, WINDOW);
    expect(count).toBe(want.length);
  });

  it('backward keeps ties in store order: cluster name, then target, then line', async () => {
    const t = await set.query('pod{namespace=~".*"}', { ...WINDOW, direction: 'backward' });
    expect(rows(t)).toEqual(['cluster-b/b-shop-2', 'cluster-a/a-shop-3', 'cluster-a/tie-1', 'cluster-a/tie-2', 'cluster-b/tie-3', 'cluster-a/a-shop-1', 'cluster-b/b-default']);
  });

  it('a limit takes the first rows of that order, ties across clusters included', async () => {
    for (const [limit, direction, want] of [
      [3, 'forward', ['cluster-a/a-shop-1', 'cluster-b/b-default', 'cluster-a/tie-1']],
      [4, 'backward', ['cluster-b/b-shop-2', 'cluster-a/a-shop-3', 'cluster-a/tie-1', 'cluster-a/tie-2']],
    ] as const) {
      const t = await set.query('pod{namespace=~".*"}', { ...WINDOW, limit, direction });
      expect(rows(t)).toEqual(want);
      expect(getStats(t)!.truncated).toBe(true);
    }
  });

  const errors: [string, string, RegExp][] = [
    ['pod{cluster="cluster-a"}', 'MISSING_TARGET_LABEL', /needs a matcher on its target label "namespace"/],
    ['node{cluster="cluster-a", process="kubelet"}', 'MISSING_TARGET_LABEL', /target label "node"/],
    ['pod{namespace="shop", clusters="a"}', 'UNKNOWN_LABEL', /unknown label "clusters" for log type pod, expected one of: namespace, pod, container, cluster$/],
    ['node{node="n", pod="x"}', 'UNKNOWN_LABEL', /expected one of: node, process, cluster$/],
    // As for every label matcher, the pattern is checked anchored.
    ['pod{namespace="shop", cluster=~"(a"}', 'INVALID_REGEX', /invalid regex "\^\(\?:\(a\)\$": missing closing \)/],
  ];
  it.each(errors)('rejects %s (%s)', async (query, code, message) => {
    const e = await set.query(query, WINDOW).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(QueryError);
    expect(e).toMatchObject({ code });
    expect((e as Error).message).toMatch(message);
  });

  it('without a store set, cluster is an unknown label, as before', async () => {
    const plain = keep(openStore(A, { workers: 0 }));
    const e = await plain.query('pod{cluster="cluster-a", namespace="shop"}', WINDOW).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'UNKNOWN_LABEL', message: 'unknown label "cluster" for log type pod, expected one of: namespace, pod, container' });
  });
});

describe('columns', () => {
  it('a cluster column right after time, a dictionary like the labels, through Arrow IPC', async () => {
    for (const [query, names] of [
      ['pod{namespace="shop"}', ['time', 'cluster', 'namespace', 'pod', 'container', 'line', 'time_raw']],
      ['node{node="node-a"}', ['time', 'cluster', 'node', 'process', 'line', 'time_raw']],
    ] as const) {
      const t = await set.query(query, WINDOW);
      expect(t.schema.fields.map((f) => f.name)).toEqual(names);
      expect((await set.explain(query, WINDOW)).columns).toEqual(names);
      const back = tableFromIPC(toArrowIPC(t));
      expect(back.schema.fields.map((f) => String(f.type))).toEqual(['Timestamp<NANOSECOND, UTC>', ...names.slice(1, -2).map(() => 'Dictionary<Int32, Utf8>'), 'Utf8', 'Utf8']);
      expect(fullRows(back)).toEqual(fullRows(t));
    }
    const t = await set.query('pod{namespace="shop"}', WINDOW);
    expect([...t.getChild('cluster')!]).toEqual(['cluster-a', 'cluster-a', 'cluster-b', 'cluster-a', 'cluster-b']);
  });

  it('an empty result keeps the cluster column; a stream has it in every batch', async () => {
    const empty = await set.query('pod{cluster="nope", namespace="shop"}', WINDOW);
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => f.name)).toContain('cluster');
    const s = set.stream('pod{namespace=~".*"}', { ...WINDOW, batchSize: 3 });
    const got: string[] = [];
    for await (const b of s) {
      expect(b.schema.fields[1]!.name).toBe('cluster');
      for (let i = 0; i < b.numRows; i++) got.push(`${String(b.getChild('cluster')!.get(i))}/${String(b.getChild('line')!.get(i))}`);
    }
    expect(got).toEqual(rows(await set.query('pod{namespace=~".*"}', WINDOW)));
    expect((await s.stats).rowsReturned).toBe(7);
  });
});

describe('statistics name the cluster', () => {
  it('bad lines and files that are not hours: cluster:path', async () => {
    const t = await set.query('pod{namespace=~".*"}', WINDOW);
    const stats = getStats(t)!;
    expect(stats.badLineSamples).toEqual([{ path: 'cluster-a:pod/shop/2024-09-24_13.log', line: 4, reason: 'bad-timestamp' }]);
    expect(stats.skippedFiles).toEqual([{ path: 'cluster-a:pod/shop/notes.txt', reason: 'invalid-name' }]);
    expect(stats.filesRead).toBe(4);
  });

  it('a vanished file and a read failure name the cluster too', async () => {
    const b = MemoryChunkSource.fromRecord(STORE_B);
    const open = b.open.bind(b);
    b.open = (logType, target, name) => (target === 'default' ? Promise.reject(Object.assign(new Error('ENOENT: gone'), { code: 'ENOENT' })) : open(logType, target, name));
    const mem = openStoreSetFromSources({ 'cluster-a': MemoryChunkSource.fromRecord(STORE_A), 'cluster-b': b });
    const t = await mem.query('pod{namespace=~".*"}', WINDOW);
    expect(getStats(t)!.skippedFiles).toEqual([
      { path: 'cluster-a:pod/shop/notes.txt', reason: 'invalid-name' },
      { path: 'cluster-b:pod/default/2024-09-24_13.log', reason: 'vanished' },
    ]);
    b.open = async () => ({ size: 10, read: () => Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })), close: async () => {} });
    await expect(mem.query('pod{cluster="cluster-b", namespace="shop"}', WINDOW)).rejects.toMatchObject({ code: 'IO_ERROR', message: 'cannot read cluster-b:pod/shop/2024-09-24_13.log: EIO: i/o error, read' });
  });
});

describe('differential: store sets against plain stores', () => {
  const FIXTURE_WINDOW = { start: facts.window.start, end: facts.window.end };
  const queries = ['pod{namespace=~".*"}', 'pod{namespace="shop"} |= "GET"', 'node{node=~"node-.*"} !~ "(?i)kubelet"', 'pod{namespace!="default"} |~ "(?i)error|warn"'];

  it.each(queries)('a set of one store is that store plus a cluster column: %s', async (q) => {
    const plain = keep(openStore(FIXTURE_STORE, { workers: 0 }));
    const one = keep(openStoreSet({ only: FIXTURE_STORE }, { workers: 0 }));
    const want = await plain.query(q, FIXTURE_WINDOW);
    const got = await one.query(q, FIXTURE_WINDOW);
    expect(fullRows(got)).toEqual(fullRows(want).map((l) => l.replace('[', '[only|')));
    const { elapsedMs: _a, ...ws } = getStats(want)!;
    const { elapsedMs: _b, ...gs } = getStats(got)!;
    expect(gs).toEqual({ ...ws, skippedFiles: ws.skippedFiles.map((f) => ({ ...f, path: `only:${f.path}` })), badLineSamples: ws.badLineSamples.map((f) => ({ ...f, path: `only:${f.path}` })) });
  });

  it.each(queries)('a set of the same store twice: every row twice, per time the first cluster first: %s', async (q) => {
    const plain = keep(openStore(FIXTURE_STORE, { workers: 0 }));
    const twice = keep(openStoreSet({ y: FIXTURE_STORE, x: FIXTURE_STORE }, { workers: 0 }));
    for (const direction of ['forward', 'backward'] as const) {
      const want = await plain.query(q, { ...FIXTURE_WINDOW, direction });
      const times = [...want.getChild('time')!.toArray()] as bigint[];
      const lines = fullRows(want);
      const expected: string[] = [];
      for (let i = 0; i < lines.length; ) {
        let j = i;
        while (j < lines.length && times[j] === times[i]) j++;
        for (const c of ['x', 'y']) for (let k = i; k < j; k++) expected.push(lines[k]!.replace('[', `[${c}|`));
        i = j;
      }
      expect(fullRows(await twice.query(q, { ...FIXTURE_WINDOW, direction }))).toEqual(expected);
      expect((await twice.count(q, FIXTURE_WINDOW)).count).toBe(2 * want.numRows);
    }
  });

  it('memory sources federate like directories (platform-neutral)', async () => {
    const mem = openStoreSetFromSources({ 'cluster-a': MemoryChunkSource.fromRecord(STORE_A), 'cluster-b': MemoryChunkSource.fromRecord(STORE_B) });
    expect(mem.clusters).toEqual(['cluster-a', 'cluster-b']);
    for (const q of ['pod{namespace=~".*"}', 'pod{cluster!="cluster-a", namespace="shop"}', 'node{node=~".*"}']) {
      const want = await set.query(q, WINDOW);
      const got = await mem.query(q, WINDOW);
      expect(fullRows(got), q).toEqual(fullRows(want));
      expect(getStats(got)!.badLineSamples, q).toEqual(getStats(want)!.badLineSamples);
    }
  });
});

describe('workers: exactly the in-thread result', () => {
  type Shape = 'count' | 'rows' | 'rows, limit 5' | 'rows, backward' | 'rows, backward, limit 5';
  const shapes: Shape[] = ['count', 'rows', 'rows, limit 5', 'rows, backward', 'rows, backward, limit 5'];
  const comparable = (s: QueryStats | null) => {
    const { elapsedMs: _e, ...rest } = s!;
    return rest;
  };
  async function runShape(store: LogStore, q: string, opts: ScanOptions, shape: Shape): Promise<unknown> {
    if (shape === 'count') {
      const { count, stats } = await store.count(q, opts);
      return { count, stats: comparable(stats) };
    }
    const t = await store.query(q, { ...opts, limit: shape.includes('limit') ? 5 : null, direction: shape.includes('backward') ? 'backward' : 'forward' });
    return { rows: fullRows(t), times: [...t.getChild('time')!.toArray()].map(String), stats: comparable(getStats(t)) };
  }
  // The fixture store joins the two small ones: its files (~17 KB) are cut into ranges of 6000 bytes.
  const dirs = () => ({ 'cluster-b': B, 'cluster-a': A, fixture: FIXTURE_STORE });
  const opts = { start: '2024-09-24T13:00:00Z', end: facts.window.end };
  const queries = ['pod{namespace=~".*"}', 'pod{cluster=~"cluster-.*|fixture", namespace="shop"} |= "GET"', 'pod{cluster!="fixture", namespace=~".*"}', 'node{node=~"node-.*"}', 'pod{cluster="fixture", namespace=~".*", pod=~"api-.*"} != "GET"'];

  it.each(queries)('%s', async (q) => {
    const inThread = keep(openStoreSet(dirs(), { workers: 0 }));
    const perFile = keep(openStoreSet(dirs(), { workers: 2, parallelMinBytes: 0 }));
    const perRange = keep(openStoreSet(dirs(), { workers: 2, parallelMinBytes: 0, rangeBytes: 6000 }));
    expect(inThread.pool).toBeNull();
    for (const shape of shapes) {
      const want = await runShape(inThread, q, opts, shape);
      for (const [name, store] of [['per file', perFile], ['per range', perRange]] as const) {
        const before = store.pool!.jobsDone;
        expect(await runShape(store, q, opts, shape), `${name}, ${shape}`).toEqual(want);
        expect(store.pool!.jobsDone, `${name}, ${shape}: ran on workers`).toBeGreaterThan(before);
        expect(store.pool!.pendingJobs).toBe(0);
      }
    }
  });

  it('a store set with a member the Node workers cannot reopen scans in-thread', async () => {
    const s = keep(new LogStore(new FederatedChunkSource({ m: MemoryChunkSource.fromRecord(STORE_A) }), { pool: keep(openStoreSet({ a: A }, { workers: 2, parallelMinBytes: 0 })).pool }));
    const before = s.pool!.jobsDone;
    expect(rows(await s.query('pod{namespace=~".*"}', WINDOW))).toEqual(['m/a-shop-1', 'm/tie-1', 'm/tie-2', 'm/a-shop-3']);
    expect(s.pool!.jobsDone).toBe(before);
  });
});

describe('plans and explain', () => {
  it('show the clusters selected and each file\'s cluster; JSON round-trips', async () => {
    const plan = await set.explain('pod{cluster!="cluster-b", namespace=~".*"} |= "tie"', WINDOW);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(plan.clusters).toEqual({ matchers: [{ op: '!=', value: 'cluster-b' }], selected: ['cluster-a'] });
    expect(plan.files.map((f) => [f.cluster, f.path, f.target])).toEqual([
      ['cluster-a', 'cluster-a:pod/shop/2024-09-24_13.log', 'shop'],
      ['cluster-a', 'cluster-a:pod/web/2024-09-24_13.log', 'web'],
    ]);
    expect(plan.skippedFiles).toEqual([{ path: 'cluster-a:pod/shop/notes.txt', reason: 'invalid-name' }]);
    // The kernel never sees cluster: it is chosen by file selection.
    expect(plan.program.labelMatchers).toEqual([]);
    const all = await set.explain('pod{namespace=~".*"}', WINDOW);
    expect(all.clusters).toEqual({ matchers: [], selected: ['cluster-a', 'cluster-b'] });
    expect(all.targets).toEqual(['default', 'shop', 'web']);
  });

  it('formatPlan prints them', async () => {
    const text = formatPlan(await set.explain('pod{cluster=~"cluster-.*", cluster!="cluster-a", namespace="shop"}', WINDOW));
    expect(text).toContain('\nclusters:   cluster=~"cluster-.*", cluster!="cluster-a" -> cluster-b\n');
    expect(text).toContain('\ntargets:    namespace="shop" -> shop\n');
    expect(text).toMatch(/\n {2}cluster-b:pod\/shop\/2024-09-24_13\.log {2}\d+ B\n/);
    expect(formatPlan(await set.explain('pod{namespace="shop"}', WINDOW))).toContain('\nclusters:   (all) -> cluster-a, cluster-b\n');
    expect(formatPlan(await set.explain('pod{cluster="x", namespace="shop"}', WINDOW))).toContain('\nclusters:   cluster="x" -> (none)\n');
  });

  it('a plain store\'s plan has no cluster anywhere', async () => {
    const plan = await keep(openStore(A, { workers: 0 })).explain('pod{namespace=~".*"}', WINDOW);
    expect('clusters' in plan).toBe(false);
    expect(plan.files.every((f) => !('cluster' in f))).toBe(true);
    expect(plan.columns).toEqual(['time', 'namespace', 'pod', 'container', 'line', 'time_raw']);
    expect(formatPlan(plan)).not.toContain('cluster');
  });
});

describe('opening store sets', () => {
  const badNames: [string, RegExp][] = [
    ['', /invalid cluster name "": must be a non-empty string/],
    ['a/b', /must not contain "\/"/],
    ['a|b', /must not contain "\|"/],
    ['a[b', /must not contain "\["/],
    ['a]b', /must not contain "\]"/],
    ['a\nb', /must not contain "\\n"/],
    ['a\u0000b', /must not contain "\\u0000"/],
    ['a\u007fb', /must not contain "\u007f"/],
  ];
  it.each(badNames)('rejects the cluster name %j', (name, message) => {
    const e = (() => {
      try {
        openStoreSet({ [name]: A });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(LetheQLError);
    expect(e).toMatchObject({ code: 'INVALID_OPTION' });
    expect((e as Error).message).toMatch(message);
    expect(() => new FederatedChunkSource({ [name]: MemoryChunkSource.fromRecord({}) })).toThrow(message);
  });

  it('accepts other names (colons, spaces, non-ASCII) and reads them back from paths', async () => {
    const s = keep(openStoreSet({ 'prod:eu-1': A, 'クラスタ b': B }, { workers: 0 }));
    expect(s.clusters).toEqual(['prod:eu-1', 'クラスタ b']);
    const t = await s.query('pod{cluster="prod:eu-1", namespace="shop"}', WINDOW);
    expect(getStats(t)!.badLineSamples[0]!.path).toBe('prod:eu-1:pod/shop/2024-09-24_13.log');
  });

  it('rejects an empty set, a missing directory (naming the cluster), nesting and repeats', () => {
    expect(() => openStoreSet({})).toThrow(/a store set needs at least one cluster/);
    expect(() => openStoreSet({ a: A, b: join(tmp, 'missing') })).toThrow(`store not found for cluster "b": ${join(tmp, 'missing')} (no such directory)`);
    expect(() => openStoreSet({ a: A, b: join(A, 'pod/web/2024-09-24_13.log') })).toThrow(/store not found for cluster "b": .* is not a directory/);
    expect(() => openStoreSet({ a: 42 as never })).toThrow(/cluster "a": expected a store directory/);
    const inner = new FederatedChunkSource({ a: MemoryChunkSource.fromRecord({}) });
    expect(() => new FederatedChunkSource({ outer: inner })).toThrow(/cannot contain another store set/);
    expect(() => new FederatedChunkSource([['a', inner.member('a')], ['a', inner.member('a')]])).toThrow(/cluster "a" is given twice/);
    expect(() => inner.member('z')).toThrow(/unknown cluster "z", expected one of: a/);
  });

  it('a set lists targets as a union; files only through a member', async () => {
    const src = new FederatedChunkSource({ 'cluster-a': MemoryChunkSource.fromRecord(STORE_A), 'cluster-b': MemoryChunkSource.fromRecord(STORE_B) });
    expect(await src.listTargets('pod')).toEqual(['default', 'shop', 'web']);
    await expect(src.listFiles('pod', 'shop')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(src.open('pod', 'shop', '2024-09-24_13.log')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    // A set of directories has a worker handle: its members' own, in cluster order.
    expect(set.source.handle).toEqual({ kind: 'clusters', members: [{ cluster: 'cluster-a', handle: { kind: 'fs', root: A } }, { cluster: 'cluster-b', handle: { kind: 'fs', root: B } }] });
  });

  it('targets(): the union; targetsByCluster(): per cluster; null for a plain store', async () => {
    expect(await set.targets()).toEqual({ pod: ['default', 'shop', 'web'], node: ['node-a'] });
    expect(await set.targetsByCluster()).toEqual({ 'cluster-a': { pod: ['shop', 'web'], node: ['node-a'] }, 'cluster-b': { pod: ['default', 'shop'], node: ['node-a'] } });
    expect(Object.keys((await set.targetsByCluster())!)).toEqual(['cluster-a', 'cluster-b']);
    const plain = keep(openStore(A, { workers: 0 }));
    expect(plain.clusters).toBeNull();
    expect(await plain.targetsByCluster()).toBeNull();
  });

  it('describeStore merges members and keeps each one', async () => {
    const d = await describeStore(set.source);
    expect(Object.keys(d.clusters!)).toEqual(['cluster-a', 'cluster-b']);
    expect(d.files).toBe(d.clusters!['cluster-a']!.files + d.clusters!['cluster-b']!.files);
    expect(d.logTypes.pod.find((t) => t.target === 'shop')).toMatchObject({ files: 2, invalidFiles: 1, firstHour: '2024-09-24T13:00:00Z', lastHour: '2024-09-24T13:00:00Z' });
    expect(d.logTypes.node).toHaveLength(1);
  });
});

// ---- CLI ----

function sink() {
  const chunks: Buffer[] = [];
  return {
    chunks,
    isTTY: false,
    write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
      chunks.push(Buffer.from(data));
      cb?.();
      return true;
    },
  };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { stdout: stdout as never, stderr: stderr as never, env: {} });
  return { code, out: Buffer.concat(stdout.chunks).toString('utf8'), err: Buffer.concat(stderr.chunks).toString('utf8') };
}

describe('CLI', () => {
  const W = ['--start', WINDOW.start, '--end', WINDOW.end];
  const SET = () => ['--store', `cluster-b=${B}`, '--store', `cluster-a=${A}`];

  it('--store NAME=DIR (repeated): jsonl has "cluster" right after "time"', async () => {
    const r = await cli(['query', ...SET(), ...W, '--format', 'jsonl', 'pod{cluster=~".*", namespace="shop"} |= "tie"']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        '{"time":"2024-09-24T13:00:01Z","cluster":"cluster-a","namespace":"shop","pod":"api-1","container":"app","log":"tie-1"}',
        '{"time":"2024-09-24T13:00:01Z","cluster":"cluster-b","namespace":"shop","pod":"api-9","container":"app","log":"tie-3"}',
        '',
      ].join('\n'),
    );
  });

  it('text output shows the cluster column', async () => {
    const r = await cli(['query', ...SET(), ...W, 'node{node="node-a"}']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('2024-09-24T13:00:01Z cluster-a node-a kubelet node tie a\n2024-09-24T13:00:01Z cluster-b node-a kubelet node tie b\n');
  });

  it('--stores FILE reads a JSON object, relative directories from the file\'s folder', async () => {
    const file = join(tmp, 'stores.json');
    writeFileSync(file, JSON.stringify({ 'cluster-a': 'a', 'cluster-b': B }));
    const viaFile = await cli(['query', '--stores', file, ...W, '--format', 'jsonl', 'pod{namespace=~".*"}']);
    const viaFlags = await cli(['query', ...SET(), ...W, '--format', 'jsonl', 'pod{namespace=~".*"}']);
    expect(viaFile.code).toBe(0);
    expect(viaFile.out).toBe(viaFlags.out);
    expect(viaFile.out.split('\n')).toHaveLength(8);
  });

  it('--count and --stats: statistics paths name the cluster', async () => {
    const r = await cli(['query', ...SET(), ...W, '--count', '--stats', 'pod{namespace=~".*"}']);
    expect(r.out).toBe('7\n');
    const stats = JSON.parse(r.err) as QueryStats;
    expect(stats.badLineSamples.map((b) => `${b.path}:${b.line}`)).toEqual(['cluster-a:pod/shop/2024-09-24_13.log:4']);
    expect(stats.skippedFiles.map((f) => f.path)).toEqual(['cluster-a:pod/shop/notes.txt']);
  });

  it('explain prints the clusters; --json has them as data', async () => {
    const r = await cli(['explain', ...SET(), ...W, 'pod{cluster="cluster-b", namespace=~".*"}']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('clusters:   cluster="cluster-b" -> cluster-b\n');
    expect(r.out).toContain('  cluster-b:pod/default/2024-09-24_13.log  ');
    expect(r.out).not.toContain('cluster-a:');
    const j = await cli(['explain', ...SET(), ...W, '--json', 'pod{namespace="web"}']);
    const plan = JSON.parse(j.out) as { clusters: unknown; files: { cluster: string }[]; columns: string[] };
    expect(plan.clusters).toEqual({ matchers: [], selected: ['cluster-a', 'cluster-b'] });
    expect(plan.files.map((f) => f.cluster)).toEqual(['cluster-a']);
    expect(plan.columns[1]).toBe('cluster');
  });

  it('targets: the union, then per cluster', async () => {
    const r = await cli(['targets', ...SET()]);
    expect(r.out).toBe('pod namespaces: default shop web\nnodes: node-a\nclusters:\n  cluster-a: pod namespaces: shop web; nodes: node-a\n  cluster-b: pod namespaces: default shop; nodes: node-a\n');
    const j = await cli(['targets', ...SET(), '--json']);
    expect(JSON.parse(j.out)).toEqual({ pod: ['default', 'shop', 'web'], node: ['node-a'], clusters: { 'cluster-a': { pod: ['shop', 'web'], node: ['node-a'] }, 'cluster-b': { pod: ['default', 'shop'], node: ['node-a'] } } });
  });

  it('plain --store DIR is unchanged, also for a directory whose name holds "="', async () => {
    const odd = join(tmp, 'x=y');
    writeStore(odd, STORE_B);
    const r = await cli(['query', '--store', odd, ...W, '--format', 'jsonl', 'pod{namespace="default"}']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('{"time":"2024-09-24T13:00:00Z","namespace":"default","pod":"x","container":"y","log":"b-default"}\n');
    const one = await cli(['query', '--store', `solo=${odd}`, ...W, '--format', 'jsonl', 'pod{namespace="default"}']);
    expect(one.out).toBe('{"time":"2024-09-24T13:00:00Z","cluster":"solo","namespace":"default","pod":"x","container":"y","log":"b-default"}\n');
  });

  const files = (): Record<string, string> => ({ 'bad.json': '{ "a": ', 'array.json': '["a"]', 'empty.json': '{}', 'number.json': '{"a": 1}', 'badname.json': JSON.stringify({ 'a|b': 'a' }) });
  const errors: [string, () => string[], RegExp][] = [
    ['plain DIR among several --store', () => ['--store', A, '--store', `b=${B}`], /invalid --store ".*\/a": with several --store flags each must be NAME=DIR/],
    ['bad cluster name', () => ['--store', `a|b=${A}`], /invalid cluster name "a\|b" in --store .*: must not contain "\|"/],
    ['empty cluster name', () => ['--store', `=${A}`], /invalid cluster name "" in --store "=.*": must be a non-empty string/],
    ['missing DIR', () => ['--store', 'a=', '--store', `b=${B}`], /missing store directory for cluster "a"/],
    ['repeated cluster', () => ['--store', `a=${A}`, '--store', `a=${B}`], /cluster "a" is given twice/],
    ['missing store of a cluster', () => ['--store', `a=${A}`, '--store', `b=${join(tmp, 'nope')}`], /store not found for cluster "b": .*nope \(no such directory\)/],
    ['--store with --stores', () => ['--store', A, '--stores', join(tmp, 'empty.json')], /give either --store or --stores, not both/],
    ['missing --stores file', () => ['--stores', join(tmp, 'nope.json')], /cannot read --stores .*nope\.json: ENOENT/],
    ['--stores not JSON', () => ['--stores', join(tmp, 'bad.json')], /invalid --stores .*bad\.json: .*JSON/],
    ['--stores an array', () => ['--stores', join(tmp, 'array.json')], /invalid --stores .*array\.json: expected a JSON object of cluster name → store directory/],
    ['--stores empty', () => ['--stores', join(tmp, 'empty.json')], /invalid --stores .*empty\.json: no cluster/],
    ['--stores a number', () => ['--stores', join(tmp, 'number.json')], /cluster "a": expected a JSON object/],
    ['--stores a bad name', () => ['--stores', join(tmp, 'badname.json')], /invalid cluster name "a\|b" in --stores/],
  ];
  it.each(errors)('%s → exit 2', async (_name, args, message) => {
    for (const [name, text] of Object.entries(files())) writeFileSync(join(tmp, name), text);
    const r = await cli(['query', ...args(), ...W, 'pod{namespace="shop"}']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
  });

  it('cluster without a store set is an unknown label (exit 2)', async () => {
    const r = await cli(['query', '--store', A, ...W, 'pod{cluster="a", namespace="shop"}']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/UNKNOWN_LABEL[\s\S]*unknown label "cluster" for log type pod/);
  });
});
