/**
 * The same core in a real browser: Debian's Chromium, driven by playwright-core (never a
 * downloaded browser), imports the bundled browser entry (dist/letheql.browser.js, built
 * by `npm test`), queries an in-memory store built from our fixture store, and sends the
 * result back as Arrow IPC bytes, which Node decodes and compares with the Node engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/node.js';
import { CHROMIUM, HAVE_CHROMIUM, openBrowser, storeFiles, type BrowserSession } from './support/chromium.js';
import { FIXTURE_STORE, tableLines } from './support/paths.js';

const BUNDLE = fileURLToPath(new URL('../dist/letheql.browser.js', import.meta.url));
const HAVE = HAVE_CHROMIUM && existsSync(BUNDLE);

describe.skipIf(!HAVE)(`browser (needs ${CHROMIUM} and ${BUNDLE}; .ci/run installs chromium, npm test builds the bundle)`, () => {
  let session: BrowserSession | undefined;

  beforeAll(async () => {
    session = await openBrowser((url) =>
      url === '/letheql.js'
        ? { type: 'text/javascript', body: readFileSync(BUNDLE) }
        : // The page imports the bundle itself: code passed to page.evaluate must not contain import().
          { type: 'text/html', body: '<!doctype html><title>letheql</title><script type="module">import * as m from "/letheql.js"; window.letheql = m;</script>' },
    );
  });
  afterAll(async () => {
    await session?.close();
  });

  it('queries an in-memory store and returns an Arrow table equal to the Node result', async () => {
    const page = await session!.browser.newPage();
    await page.goto(session!.base);
    await page.waitForFunction(() => 'letheql' in window);
    const query = 'pod{namespace!="kube-system", container!="sidecar"} |= "GET" != "healthz"';
    const regexQuery = 'pod{namespace=~"s.*|default", pod=~"api-.*|web-.*"} |~ "[0-9]{3}" !~ "(?i)HEALTH"';
    const opts = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T15:59:59Z', limit: 50, direction: 'backward' as const };
    // Files travel as latin1 strings and are turned back into exact bytes in the page.
    const result = await page.evaluate(
      async ({ files, query, regexQuery, opts }) => {
        const m = (window as unknown as { letheql: typeof import('../src/browser.js') }).letheql;
        const bytes: Record<string, Uint8Array> = {};
        for (const [path, text] of Object.entries(files)) bytes[path] = Uint8Array.from(text, (c) => c.charCodeAt(0));
        const store = m.openMemoryStore(bytes);
        const table = await store.query(query, opts);
        const stats = m.getStats(table);
        // Regexes run in the kernel, in the browser as in Node.
        const regexTable = await store.query(regexQuery, { ...opts, limit: null });
        return { ipc: Array.from(m.toArrowIPC(table)), regexIpc: Array.from(m.toArrowIPC(regexTable)), rows: table.numRows, stats, isWorkerSafe: typeof WebAssembly === 'object' };
      },
      { files: storeFiles(FIXTURE_STORE), query, regexQuery, opts },
    );
    const table = tableFromIPC(Uint8Array.from(result.ipc));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['time', 'namespace', 'pod', 'container', 'line', 'time_raw']);
    expect(String(table.schema.fields[0]!.type)).toBe('Timestamp<NANOSECOND, UTC>');
    const node = await openStore(FIXTURE_STORE).query(query, opts);
    expect(node.numRows).toBeGreaterThan(0);
    expect(tableLines(table)).toEqual(tableLines(node));
    expect(result.rows).toBe(node.numRows);
    expect(result.stats?.filesRead).toBeGreaterThan(0);
    const regexNode = await openStore(FIXTURE_STORE).query(regexQuery, { ...opts, limit: null });
    expect(regexNode.numRows).toBeGreaterThan(0);
    expect(tableLines(tableFromIPC(Uint8Array.from(result.regexIpc)))).toEqual(tableLines(regexNode));
    await page.close();
  });
});
