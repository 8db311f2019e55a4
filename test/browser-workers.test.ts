/**
 * Parallel scanning on Web Workers in a real browser: Debian's Chromium, driven by
 * playwright-core (never a downloaded browser), imports dist/letheql.browser.js, which starts
 * dist/letheql.worker.js beside it. Both are built by `node scripts/build-browser.mjs`.
 *
 * Stores of Blobs built from our fixture stores run the same queries with `workers: 2`
 * (thresholds at 0 and ranges of 4 KiB, so that these small files make many jobs, ranges
 * inside long lines included; one part per job, and the default batches of parts) and `workers: 0`; rows, order and statistics (but elapsed
 * time) must be equal, to each other and to the Node engine, and the pool's `jobsDone`
 * shows that workers ran. Then: abort mid-query, a worker script that cannot start or
 * embeds another kernel (the pool turns off, queries scan in the page, nothing hangs),
 * files picked from a directory, and the default worker URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStats, openStore, type QueryStats } from '../src/node.js';
import { CHROMIUM, HAVE_CHROMIUM, openBrowser, storeFiles, type BrowserSession } from './support/chromium.js';
import { EDGE_STORE, FIXTURE_STORE, tableLines } from './support/paths.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BUNDLE = join(DIST, 'letheql.browser.js');
const WORKER = join(DIST, 'letheql.worker.js');
const HAVE = HAVE_CHROMIUM && existsSync(BUNDLE) && existsSync(WORKER);

const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };
/** Small ranges: the fixture files (10–130 KB) become 3–33 parts each, each part its own job. */
const POOL = { workers: 2, parallelMinBytes: 0, rangeBytes: 4096, batchBytes: 1 };

/** [store, query]: literals, regexes (on targets, labels and lines), bad lines and long lines (edge store). */
const QUERIES: [keyof typeof STORES, string][] = [
  ['fixture', 'pod{namespace!="kube-system", container!="sidecar"} |= "GET" != "healthz"'],
  ['fixture', 'pod{namespace=~"s.*|default", pod=~"api-.*|web-.*"} |~ "[0-9]{3}" !~ "(?i)HEALTH"'],
  ['fixture', 'pod{namespace=~".+"} |~ "user/[0-9]+"'],
  ['fixture', 'node{node=~"node-.*"} |~ "(?i)container"'],
  ['edge', 'node{node="node-x"}'],
  ['edge', 'pod{namespace="edge"}'],
];
/** Result shapes: a count, all rows, and limits in both directions (the limit heap's cut-off reaches the workers). */
const SHAPES: { mode: 'count' | 'rows'; limit?: number | null; direction?: 'forward' | 'backward' }[] = [
  { mode: 'count' },
  { mode: 'rows', limit: null, direction: 'forward' },
  { mode: 'rows', limit: 7, direction: 'forward' },
  { mode: 'rows', limit: 7, direction: 'backward' },
  { mode: 'rows', limit: 60, direction: 'backward' },
];
const STORES = { fixture: FIXTURE_STORE, edge: EDGE_STORE };

/** The page: the bundle on `window.letheql`, helpers that build stores of Blobs and run shapes. */
const PAGE = `<!doctype html><title>letheql workers</title>
<input type="file" id="pick" webkitdirectory>
<script type="module">
import * as m from "/dist/letheql.browser.js";
window.letheql = m;
window.blobStore = (files, options) => {
  const blobs = {};
  for (const [path, text] of Object.entries(files)) blobs[path] = new Blob([Uint8Array.from(text, (c) => c.charCodeAt(0))]);
  return m.openMemoryStore(blobs, options);
};
window.runShape = async (store, query, window_, shape, extra = {}) => {
  if (shape.mode === 'count') {
    const { count, stats } = await store.count(query, { ...window_, ...extra });
    const { elapsedMs: _, ...s } = stats;
    return { count, stats: s };
  }
  const table = await store.query(query, { ...window_, limit: shape.limit, direction: shape.direction, ...extra });
  const { elapsedMs: _, ...s } = m.getStats(table);
  const bytes = m.toArrowIPC(table);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 8192) bin += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return { ipc: btoa(bin), stats: s };
};
</script>`;

/** A worker script that starts and claims another kernel: a stale `letheql.worker.js`. */
const STALE_WORKER = `postMessage({ type: 'ready', kernelHash: '${'0'.repeat(64)}' });`;

interface ShapeResult {
  count?: number;
  /** Arrow IPC bytes, base64 (far cheaper through the DevTools protocol than an array of numbers). */
  ipc?: string;
  stats: Omit<QueryStats, 'elapsedMs'>;
}

function comparable(r: ShapeResult): { count?: number; lines?: string[]; stats: unknown } {
  return r.ipc ? { lines: tableLines(tableFromIPC(Buffer.from(r.ipc, 'base64'))), stats: r.stats } : { count: r.count!, stats: r.stats };
}

/** The jobs a pool runs for files of `sizes` (`parallel.ts`: files of 2 × `rangeBytes` or more are split), 0 when it leaves a single job in-thread. */
function plannedJobs(sizes: number[], rangeBytes: number): number {
  const jobs = sizes.reduce((a, size) => a + (size >= 2 * rangeBytes ? Math.ceil(size / rangeBytes) : 1), 0);
  return jobs >= 2 ? jobs : 0;
}

/** The Node engine's answer, in-thread. */
async function nodeResult(root: string, query: string, shape: (typeof SHAPES)[number]): Promise<{ count?: number; lines?: string[]; stats: unknown }> {
  const store = openStore(root, { workers: 0 });
  if (shape.mode === 'count') {
    const { count, stats } = await store.count(query, WINDOW);
    const { elapsedMs: _, ...s } = stats;
    return { count, stats: s };
  }
  const t = await store.query(query, { ...WINDOW, limit: shape.limit ?? null, direction: shape.direction! });
  const { elapsedMs: _, ...s } = getStats(t)!;
  return { lines: tableLines(t), stats: s };
}

type PageApi = typeof import('../src/browser.js');
type PageWindow = {
  letheql: PageApi;
  blobStore(files: Record<string, string>, options: object): import('../src/browser.js').LogStore;
  runShape(store: import('../src/browser.js').LogStore, query: string, window_: object, shape: object, extra?: object): Promise<ShapeResult>;
};

describe.skipIf(!HAVE)(`browser Web Workers (needs ${CHROMIUM}, ${BUNDLE} and ${WORKER}: node scripts/build-browser.mjs)`, () => {
  let session: BrowserSession | undefined;
  let base = '';

  beforeAll(async () => {
    const js = (body: string | Buffer) => ({ type: 'text/javascript', body });
    session = await openBrowser((url) => {
      if (url === '/') return { type: 'text/html', body: PAGE };
      if (url === '/dist/letheql.browser.js') return js(readFileSync(BUNDLE));
      if (url === '/dist/letheql.worker.js' || url === '/elsewhere/scan.js') return js(readFileSync(WORKER));
      if (url === '/stale-worker.js') return js(STALE_WORKER);
      return null;
    });
    base = session.base;
  });
  afterAll(async () => {
    await session?.close();
  });

  async function openPage(): Promise<import('playwright-core').Page> {
    const page = await session!.browser.newPage();
    await page.goto(base);
    await page.waitForFunction(() => 'runShape' in window);
    return page;
  }

  it('workers: 2 gives the rows, order and statistics of workers: 0 and of Node, and the workers ran', async () => {
    const page = await openPage();
    const cases = QUERIES.flatMap(([store, query]) => SHAPES.map((shape) => ({ store, query, shape })));
    const results = await page.evaluate(
      async ({ files, cases, pool, window_ }) => {
        const w = window as unknown as PageWindow;
        const stores = Object.fromEntries(
          Object.entries(files).map(([name, f]) => [name, { pooled: w.blobStore(f, pool), fileJobs: w.blobStore(f, { ...pool, rangeBytes: undefined }), batched: w.blobStore(f, { ...pool, batchBytes: undefined }), inThread: w.blobStore(f, { workers: 0 }) }]),
        );
        const out = [];
        for (const c of cases) {
          const s = stores[c.store]!;
          const plan = await s.inThread.explain(c.query, window_);
          const sizes = plan.files.map((f) => f.size);
          const before = [s.pooled.pool!.jobsDone, s.fileJobs.pool!.jobsDone, s.batched.pool!.jobsDone];
          const pooled = await w.runShape(s.pooled, c.query, window_, c.shape);
          const fileJobs = await w.runShape(s.fileJobs, c.query, window_, c.shape);
          const batched = await w.runShape(s.batched, c.query, window_, c.shape);
          const inThread = await w.runShape(s.inThread, c.query, window_, c.shape);
          out.push({ pooled, fileJobs, batched, inThread, sizes, jobs: [s.pooled.pool!.jobsDone - before[0]!, s.fileJobs.pool!.jobsDone - before[1]!, s.batched.pool!.jobsDone - before[2]!], inThreadPool: s.inThread.pool === null });
        }
        for (const s of Object.values(stores)) await Promise.all([s.pooled.close(), s.fileJobs.close(), s.batched.close()]);
        return out;
      },
      { files: { fixture: storeFiles(FIXTURE_STORE), edge: storeFiles(EDGE_STORE) }, cases, pool: POOL, window_: WINDOW },
    );
    expect(results).toHaveLength(cases.length);
    for (const [i, c] of cases.entries()) {
      const r = results[i]!;
      const label = `${c.query} ${JSON.stringify(c.shape)}`;
      const expected = await nodeResult(STORES[c.store], c.query, c.shape);
      expect(comparable(r.inThread), label).toEqual(expected);
      expect(comparable(r.pooled), label).toEqual(expected);
      expect(comparable(r.fileJobs), label).toEqual(expected);
      expect(comparable(r.batched), label).toEqual(expected);
      expect(r.inThreadPool).toBe(true);
      // Every job ran on a worker; a plan of one job scans in the page.
      expect(r.jobs.slice(0, 2), label).toEqual([plannedJobs(r.sizes, POOL.rangeBytes), plannedJobs(r.sizes, 32 << 20)]);
      // Batches: fewer jobs than parts, but some whenever there are parts to batch.
      expect(r.jobs[2]! <= r.jobs[0]! && r.jobs[2]! > 0 === r.jobs[0]! > 0, label).toBe(true);
    }
    expect(results.filter((r) => r.jobs[0]! > r.jobs[1]! && r.jobs[1]! > 0).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.jobs[2]! < r.jobs[0]!).length).toBeGreaterThan(0);
    // The table is not vacuous: rows came back, limits cut, and the edge store has bad lines.
    const [firstRows, , limited] = [results[1]!, results[2]!, results[3]!];
    expect(comparable(firstRows.pooled).lines!.length).toBeGreaterThan(60);
    expect(comparable(limited.pooled).lines).toHaveLength(7);
    expect(results.some((r) => r.pooled.stats.badLines > 0)).toBe(true);
    await page.close();
  });

  it('an abort mid-query rejects with the signal reason, leaves no job behind, and the pool serves the next query', async () => {
    const page = await openPage();
    const query = 'pod{namespace=~".+"} |~ "user/[0-9]+"';
    const r = await page.evaluate(
      async ({ files, pool, window_, query }) => {
        const w = window as unknown as PageWindow;
        const store = w.blobStore(files, pool);
        const p = store.pool!;
        // A full run first: how many jobs the query makes.
        const full = await w.runShape(store, query, window_, { mode: 'rows', limit: null, direction: 'forward' });
        const jobsOfQuery = p.jobsDone;
        const controller = new AbortController();
        const seen: { progressAtAbort: { filesRead: number; filesTotal: number } | null } = { progressAtAbort: null };
        let error: { name: string; message: string } | null = null;
        try {
          await store.query(query, {
            ...window_,
            signal: controller.signal,
            onProgress: (progress) => {
              if (seen.progressAtAbort) return;
              seen.progressAtAbort = { filesRead: progress.filesRead, filesTotal: progress.filesTotal };
              controller.abort();
            },
          });
        } catch (e) {
          error = { name: (e as Error).name, message: (e as Error).message };
        }
        const jobsWhenAborted = p.jobsDone - jobsOfQuery;
        const pendingAfter = p.pendingJobs;
        // Already aborted: rejects before any job starts.
        let early: string | null = null;
        try {
          await store.count(query, { ...window_, signal: AbortSignal.abort() });
        } catch (e) {
          early = (e as Error).name;
        }
        const jobsAfterEarly = p.jobsDone;
        const again = await w.runShape(store, query, window_, { mode: 'rows', limit: null, direction: 'forward' });
        await store.close();
        return { full, again, jobsOfQuery, jobsWhenAborted, pendingAfter, progressAtAbort: seen.progressAtAbort, error, early, earlyRanJobs: jobsAfterEarly - jobsOfQuery - jobsWhenAborted };
      },
      { files: storeFiles(FIXTURE_STORE), pool: POOL, window_: WINDOW, query },
    );
    expect(r.error?.name).toBe('AbortError');
    expect(r.progressAtAbort!.filesRead).toBeLessThan(r.progressAtAbort!.filesTotal);
    // The jobs still queued were dropped, not run: 2 workers hold at most 2 jobs each.
    expect(r.jobsOfQuery).toBeGreaterThan(20);
    expect(r.jobsWhenAborted).toBeLessThan(r.jobsOfQuery);
    expect(r.pendingAfter).toBe(0);
    expect(r.early).toBe('AbortError');
    expect(r.earlyRanJobs).toBe(0);
    expect(comparable(r.again)).toEqual(comparable(r.full));
  });

  it.each([
    ['a worker URL that is not found', '/no-such-worker.js'],
    ['a worker script that embeds another kernel (a stale bundle)', '/stale-worker.js'],
  ])('%s turns the pool off: queries scan in the page, with the same result, and a warning says why', async (_, workerUrl) => {
    const page = await openPage();
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    const query = QUERIES[0]![1];
    const r = await page.evaluate(
      async ({ files, pool, window_, query }) => {
        const w = window as unknown as PageWindow;
        const store = w.blobStore(files, pool);
        const shape = { mode: 'rows', limit: 7, direction: 'backward' };
        const first = await w.runShape(store, query, window_, shape);
        const second = await w.runShape(store, query, window_, shape);
        const inThread = await w.runShape(w.blobStore(files, { workers: 0 }), query, window_, shape);
        return { first, second, inThread, jobsDone: store.pool!.jobsDone };
      },
      { files: storeFiles(FIXTURE_STORE), pool: { ...POOL, workerUrl: new URL(workerUrl, base).href }, window_: WINDOW, query },
    );
    expect(comparable(r.first)).toEqual(comparable(r.inThread));
    expect(comparable(r.second)).toEqual(comparable(r.inThread));
    expect(r.jobsDone).toBe(0);
    expect(warnings.filter((w) => w.includes('letheql: scanning in one thread'))).toHaveLength(1);
    expect(warnings.join('\n')).toMatch(workerUrl === '/stale-worker.js' ? /another kernel/ : /could not start/);
    await page.close();
  });

  it('files picked from a directory scan on workers found at the default URL, or at workerUrl', async () => {
    const page = await openPage();
    await page.locator('#pick').setInputFiles(FIXTURE_STORE);
    const query = QUERIES[2]![1];
    const r = await page.evaluate(
      async ({ query, window_ }) => {
        const w = window as unknown as PageWindow;
        const files = Array.from((document.getElementById('pick') as HTMLInputElement).files!);
        const shape = { mode: 'rows', limit: null, direction: 'backward' };
        const byDefault = w.letheql.openStoreFromFiles(files, { parallelMinBytes: 0, rangeBytes: 4096, batchBytes: 1 });
        const elsewhere = w.letheql.openStoreFromFiles(files, { workers: 2, parallelMinBytes: 0, workerUrl: '/elsewhere/scan.js' });
        const inThread = w.letheql.openStoreFromFiles(files, { workers: 0 });
        const out = {
          picked: files.length,
          defaultSize: byDefault.pool?.size ?? 0,
          defaultCount: w.letheql.defaultWebWorkerCount(),
          cores: navigator.hardwareConcurrency,
          byDefault: await w.runShape(byDefault, query, window_, shape),
          elsewhere: await w.runShape(elsewhere, query, window_, shape),
          inThread: await w.runShape(inThread, query, window_, shape),
          jobs: [byDefault.pool!.jobsDone, elsewhere.pool!.jobsDone],
          // Strings and bytes are not wrapped in Blobs: no pool, whatever `workers` says.
          stringsPool: w.letheql.openMemoryStore({ 'pod/a/2024-09-24_13.log': 'x' }, { workers: 2 }).pool,
        };
        await Promise.all([byDefault.close(), elsewhere.close()]);
        return out;
      },
      { query, window_: WINDOW },
    );
    expect(r.picked).toBe(15);
    expect(r.defaultSize).toBe(Math.min(4, r.cores));
    expect(r.defaultCount).toBe(Math.min(4, r.cores));
    expect(comparable(r.byDefault)).toEqual(comparable(r.inThread));
    expect(comparable(r.elsewhere)).toEqual(comparable(r.inThread));
    expect(comparable(r.inThread)).toEqual(await nodeResult(FIXTURE_STORE, query, { mode: 'rows', limit: null, direction: 'backward' }));
    expect(r.jobs[0]).toBeGreaterThan(9);
    expect(r.jobs[1]).toBeGreaterThanOrEqual(2);
    expect(r.stringsPool).toBeNull();
    await page.close();
  });
});
