/**
 * Metric queries folded on Web Workers in a real browser (Debian's Chromium through
 * playwright-core, as test/browser-workers.test.ts): a store of Blobs built from the fixture
 * store, `workers: 2` with thresholds at 0 and ranges of 4 KiB (many jobs per file), must
 * give the series, samples and statistics (but elapsed time) of `workers: 0` in the page
 * and of Node's in-thread fold, and the pool's `jobsDone` shows that workers ran.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/node.js';
import { CHROMIUM, HAVE_CHROMIUM, openBrowser, storeFiles, type BrowserSession } from './support/chromium.js';
import { FIXTURE_STORE } from './support/paths.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BUNDLE = join(DIST, 'letheql.browser.js');
const WORKER = join(DIST, 'letheql.worker.js');
const HAVE = HAVE_CHROMIUM && existsSync(BUNDLE) && existsSync(WORKER);

const RANGE = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z', step: '10m' };
const QUERIES = [
  'sum by (namespace) (count_over_time(pod{namespace=~".+"} |= "error" [10m]))',
  'sum by (level) (bytes_over_time(pod{namespace=~".+"} | json | __error__="" [30m]))',
  'last_over_time(pod{namespace=~".+"} | regexp "(?P<rt>[0-9]+\\\\.[0-9]+)$" | unwrap rt [1h]) by (pod)',
  'sum(count_over_time(pod{namespace=~".+"} | json [1h]))',
];

const PAGE = `<!doctype html><title>letheql metric workers</title>
<script type="module">
import * as m from "/dist/letheql.browser.js";
window.run = async (files, queries, window_) => {
  const blobs = {};
  for (const [path, text] of Object.entries(files)) blobs[path] = new Blob([Uint8Array.from(text, (c) => c.charCodeAt(0))]);
  const pooled = m.openMemoryStore(blobs, { workers: 2, parallelMinBytes: 0, rangeBytes: 4096 });
  const inThread = m.openMemoryStore(blobs, { workers: 0 });
  const one = async (store, q) => {
    try {
      const { result, stats } = await store.queryMetric(q, window_);
      const { elapsedMs: _, ...s } = stats;
      return JSON.stringify({ result, stats: s }, (k, v) => (typeof v === 'bigint' ? String(v) : v));
    } catch (e) {
      return JSON.stringify({ error: { name: e.name, code: e.code, message: e.message } });
    }
  };
  const out = [];
  for (const q of queries) {
    const before = pooled.pool.jobsDone;
    out.push({ pooled: await one(pooled, q), inThread: await one(inThread, q), jobs: pooled.pool.jobsDone - before });
  }
  await pooled.close();
  return out;
};
</script>`;

async function nodeResult(query: string): Promise<string> {
  const store = openStore(FIXTURE_STORE, { workers: 0 });
  try {
    const { result, stats } = await store.queryMetric(query, RANGE);
    const { elapsedMs: _, ...s } = stats;
    return JSON.stringify({ result, stats: s }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  } catch (e) {
    const err = e as { name: string; code?: string; message: string };
    return JSON.stringify({ error: { name: err.name, code: err.code, message: err.message } });
  }
}

describe.skipIf(!HAVE)(`metric queries on browser Web Workers (needs ${CHROMIUM}, ${BUNDLE} and ${WORKER})`, () => {
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    const js = (body: Buffer) => ({ type: 'text/javascript', body });
    session = await openBrowser((url) => {
      if (url === '/') return { type: 'text/html', body: PAGE };
      if (url === '/dist/letheql.browser.js') return js(readFileSync(BUNDLE));
      if (url === '/dist/letheql.worker.js') return js(readFileSync(WORKER));
      return null;
    });
  });
  afterAll(async () => {
    await session?.close();
  });

  it('workers: 2 folds to the series, samples and statistics of workers: 0 and of Node', async () => {
    const page = await session!.browser.newPage();
    await page.goto(session!.base);
    await page.waitForFunction(() => 'run' in window);
    const results = await page.evaluate(
      ({ files, queries, window_ }) => (window as unknown as { run(f: object, q: string[], w: object): Promise<{ pooled: string; inThread: string; jobs: number }[]> }).run(files, queries, window_),
      { files: storeFiles(FIXTURE_STORE), queries: QUERIES, window_: RANGE },
    );
    expect(results).toHaveLength(QUERIES.length);
    for (const [i, q] of QUERIES.entries()) {
      const want = await nodeResult(q);
      expect(JSON.parse(results[i]!.inThread), q).toEqual(JSON.parse(want));
      expect(JSON.parse(results[i]!.pooled), q).toEqual(JSON.parse(want));
      expect(results[i]!.jobs, `${q}: jobs ran on workers`).toBeGreaterThan(0);
    }
    await page.close();
  });
});
