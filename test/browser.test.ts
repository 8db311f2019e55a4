/**
 * The same core in a real browser: Debian's Chromium, driven by playwright-core (never a
 * downloaded browser), imports the bundled browser entry (dist/letheql.browser.js, built
 * by `npm test`), queries an in-memory store built from our fixture store, and sends the
 * result back as Arrow IPC bytes, which Node decodes and compares with the Node engine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/node.js';
import { FIXTURE_STORE, tableLines } from './support/paths.js';

const CHROMIUM = process.env['LETHEQL_CHROMIUM'] ?? '/usr/bin/chromium';
const BUNDLE = fileURLToPath(new URL('../dist/letheql.browser.js', import.meta.url));
const HAVE = existsSync(CHROMIUM) && existsSync(BUNDLE);

function storeFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p, 'latin1');
    }
  };
  walk(root);
  return out;
}

describe.skipIf(!HAVE)(`browser (needs ${CHROMIUM} and ${BUNDLE}; .ci/run installs chromium, npm test builds the bundle)`, () => {
  let server: Server;
  let base = '';
  // eslint-disable-next-line @typescript-eslint/consistent-type-imports
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/letheql.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(readFileSync(BUNDLE));
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        // The page imports the bundle itself: code passed to page.evaluate must not contain import().
        res.end('<!doctype html><title>letheql</title><script type="module">import * as m from "/letheql.js"; window.letheql = m;</script>');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  it('queries an in-memory store and returns an Arrow table equal to the Node result', async () => {
    const page = await browser.newPage();
    await page.goto(base);
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
