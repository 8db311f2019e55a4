#!/usr/bin/env node
// Screenshot of the log viewer with real results, for the README: docs/viewer.png.
//
// Builds nothing: serves the already built dist/viewer (npx vite build --config
// viewer/vite.config.ts) from a throwaway HTTP server on 127.0.0.1, opens it in Debian's
// Chromium (LETHEQL_CHROMIUM overrides; never a downloaded browser) via playwright-core,
// picks the fixture store folder on the page's folder input, runs a query, and saves the
// screenshot. Usage: node scripts/viewer-screenshot.mjs [out.png] [--dark]
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VIEWER = join(ROOT, 'dist/viewer');
const STORE = join(ROOT, 'fixtures/store');
const CHROMIUM = process.env.LETHEQL_CHROMIUM ?? '/usr/bin/chromium';
const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--')) ?? join(ROOT, 'docs/viewer.png');
const dark = args.includes('--dark');

if (!existsSync(join(VIEWER, 'index.html'))) {
  console.error('dist/viewer/index.html is missing: run npx vite build --config viewer/vite.config.ts first');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(2);
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
const server = createServer((req, res) => {
  const path = normalize(join(VIEWER, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
  const file = path.endsWith('/') ? join(path, 'index.html') : path;
  if (!file.startsWith(VIEWER) || !existsSync(file)) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1, colorScheme: dark ? 'dark' : 'light' });
  page.on('console', (m) => m.type() === 'error' && console.error('page:', m.text()));
  page.on('pageerror', (e) => console.error('page error:', e.message));
  // container!="payment": its messages are Korean, and a bare Chromium may lack CJK fonts.
  const query = 'pod{namespace=~"shop|default", container!="payment"} |~ "(?i)error|timeout" != "healthz"';
  const hash = new URLSearchParams({ q: query, from: '2024-09-24T13:00:00Z', to: '2024-09-24T16:00:00Z' });
  await page.goto(`${base}#${hash}`);
  await page.locator('#folder-input').setInputFiles(STORE);
  await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length > 0 && Number(document.querySelector('#histogram')?.dataset.buckets) > 0, null, { timeout: 30_000 });
  // Expand the shop namespace in the targets tree and select a row, so the shot shows them.
  await page.locator(`#tree [role=treeitem][title='pod{namespace="shop"}'] > .tree-label > .twisty`).click();
  await page.waitForFunction(() => document.querySelectorAll('#tree [aria-level="3"]').length > 0, null, { timeout: 30_000 });
  await page.locator('#rows').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.close();
}
