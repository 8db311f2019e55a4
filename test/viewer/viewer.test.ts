/**
 * The BUILT log viewer (dist/viewer, `npx vite build --config viewer/vite.config.ts`) in
 * Debian's Chromium, driven by playwright-core (never a downloaded browser).
 *
 * Static site: the page is served by a plain file server; the fixture store folder is set on
 * the folder input (`setInputFiles`), queries run in the page's engine worker, and rows and
 * histogram are compared with the Node engine over the same window. Then a bad query's error
 * marker, a drag on the histogram that zooms the range, keyboard navigation, a synthetic
 * million-row result that must stay virtual (< 200 row elements) and reach its last row, and
 * plain log files (no store layout) placed by their first line.
 *
 * A generated 64 MiB store: the progress bar reports bytes scanned and Cancel (clicked from
 * inside the page at the first progress report, so no race with a fast scan) stops the run,
 * after which the worker answers the next query exactly; a copied link restores query, range
 * and refresh in a new page; the theme toggles by keyboard and survives a reload.
 *
 * Server mode: `createServer` over a temporary copy of the fixture store serves the page at
 * `/` (the page connects to its own origin); a line pushed with POST /loki/api/v1/push must
 * arrive in the live tail.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalLevel } from '../../viewer/src/fields.js';
import { openStore } from '../../src/node.js';
import { createServer, type LetheServer } from '../../src/server/index.js';
import { TokenAuthority } from '../../src/server/auth.js';
import { CHROMIUM, HAVE_CHROMIUM, openBrowser, type BrowserSession } from '../support/chromium.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { HAVE_VIEWER, staticViewer, VIEWER_SKIP_REASON as SKIP_REASON, viewerState, visibleRows, waitForRun, type ViewerHooks } from '../support/viewer-page.js';
import { tempDir } from '../server/helpers.js';
import { generateStore, type GeneratedStore } from '../../scripts/lib/generate.mjs';

/** Bytes of the generated store's node files (a pod query's progress counts pod files only). */
async function storeNodeBytes(store: ReturnType<typeof openStore>, info: GeneratedStore): Promise<number> {
  const plan = await store.explain('node{node=~".+"}', { start: info.start, end: info.end });
  return plan.files.reduce((a, f) => a + f.size, 0);
}

const FROM = '2024-09-24T13:00:00Z';
const TO = '2024-09-24T16:00:00Z';
const QUERY = 'pod{namespace=~"shop|default"} |~ "(?i)error|timeout" != "healthz"';

const hashOf = (q: string, from = FROM, to = TO): string => '#' + new URLSearchParams({ q, from, to }).toString();
const state = viewerState;

describe.skipIf(!HAVE_CHROMIUM || !HAVE_VIEWER)(HAVE_CHROMIUM && HAVE_VIEWER ? 'viewer' : `viewer (skipped: ${SKIP_REASON})`, () => {
  describe('static site, store opened from a folder', () => {
    let session: BrowserSession | undefined;
    let page: Page;
    const store = openStore(FIXTURE_STORE, { workers: 0 });

    beforeAll(async () => {
      session = await openBrowser(staticViewer);
      page = await session.browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${session.base}/${hashOf(QUERY)}`);
      await page.locator('#folder-input').setInputFiles(FIXTURE_STORE);
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#histogram')?.dataset['buckets']) > 0, null, { timeout: 30_000 });
      await waitForRun(page);
      expect(errors).toEqual([]);
    });
    afterAll(async () => {
      await session?.close();
      await store.close();
    });

    it('opens the fixture store and shows the rows the engine returns, newest first', async () => {
      const expected = await store.query(QUERY, { start: FROM, end: TO, limit: 1000, direction: 'backward' });
      expect(expected.numRows).toBeGreaterThan(10);
      const s = await state(page);
      expect(s.source).toBe('store');
      expect(s.rows).toBe(expected.numRows);
      expect(s.stats?.linesMatched).toBe(expected.numRows);
      const lines = expected.getChild('line')!;
      const shown = await visibleRows(page).evaluateAll((rows) =>
        rows
          .map((r) => ({ i: Number((r as HTMLElement).dataset['index']), line: r.querySelector('.c-line')!.textContent }))
          .sort((a, b) => a.i - b.i),
      );
      expect(shown.length).toBeGreaterThan(5);
      for (const { i, line } of shown) expect(line).toBe(lines.get(i));
      // Matched parts are highlighted: every <mark> of the first row matches the regex.
      const marks = await page.locator('#row-0 mark').allTextContents();
      expect(marks.length).toBeGreaterThan(0);
      for (const m of marks) expect(m).toMatch(/^(?:error|timeout)$/i);
      await expect.poll(() => page.locator('#status').textContent()).toMatch(/files read · .* scanned · \d+ lines matched/);
      // A store in the page has no ruler: no Rules tab (viewer-rules.test.ts has the server's).
      expect(await page.locator('#view-rules').isHidden()).toBe(true);
    });

    it('draws a histogram that counts every matching line of the range', async () => {
      const { count } = await store.count(QUERY, { start: FROM, end: TO });
      const total = await page.locator('#histogram').getAttribute('data-total');
      expect(Number(total)).toBe(count);
      const buckets = Number(await page.locator('#histogram').getAttribute('data-buckets'));
      expect(buckets).toBeGreaterThanOrEqual(60);
      expect(buckets).toBeLessThanOrEqual(120);
    });

    it('marks a bad query at the parser span and shows the message', async () => {
      const box = page.locator('#query');
      await box.fill('pod{namespace="shop"} |= "a" "b"');
      await expect.poll(() => page.locator('.editor-hl .err').allTextContents()).toEqual(['"b"']);
      expect(await page.locator('#query-error').textContent()).toMatch(/unexpected string/);
      expect(await box.getAttribute('aria-invalid')).toBe('true');
      // A good query clears it; Ctrl+Enter runs it.
      await box.fill('pod{namespace="shop"} |= "GET"');
      await expect.poll(() => page.locator('.editor-hl .err').count()).toBe(0);
      await box.press('Control+Enter');
      await waitForRun(page);
      const expected = await store.query('pod{namespace="shop"} |= "GET"', { start: FROM, end: TO, limit: 1000, direction: 'backward' });
      await expect.poll(async () => (await state(page)).rows).toBe(expected.numRows);
      expect(decodeURIComponent(page.url())).toContain('q=pod{namespace="shop"} |= "GET"'.replace(/ /g, '+'));
    });

    it('runs a log pipeline: parsed labels show as name=value chips, the histogram counts what it keeps', async () => {
      const q = 'pod{namespace="shop"} | json | __error__="" | level="error"';
      await page.locator('#query').fill(q);
      await page.locator('#query').press('Control+Enter');
      await waitForRun(page);
      const expected = await store.query(q, { start: FROM, end: TO, limit: 1000, direction: 'backward' });
      expect(expected.numRows).toBeGreaterThan(5);
      await expect.poll(async () => (await state(page)).rows).toBe(expected.numRows);
      const chips = await page.locator('#row-0 .chip.parsed').allTextContents();
      expect(chips).toContain('level=error');
      const caller = expected.getChild('caller')!.get(0) as string;
      expect(chips).toContain(`caller=${caller}`);
      const { count } = await store.count(q, { start: FROM, end: TO });
      await expect.poll(() => page.locator('#histogram').getAttribute('data-total')).toBe(String(count));
      // Back to the previous test's query: the zoom test below starts from it.
      await page.locator('#query').fill('pod{namespace="shop"} |= "GET"');
      await page.locator('#query').press('Control+Enter');
      await waitForRun(page);
    });

    it('zooms into the range dragged on the histogram', async () => {
      const canvas = page.locator('#histogram');
      const box = (await canvas.boundingBox())!;
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + box.width * 0.4, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.55, y, { steps: 5 });
      await page.mouse.move(box.x + box.width * 0.7, y, { steps: 5 });
      await page.mouse.up();
      await expect.poll(async () => (await state(page)).range.kind).toBe('absolute');
      await waitForRun(page);
      const { range } = await state(page);
      if (range.kind !== 'absolute') throw new Error('not absolute');
      const from = Date.parse(FROM);
      const to = Date.parse(TO);
      expect(range.startMs).toBeGreaterThan(from + (to - from) * 0.3);
      expect(range.endMs).toBeLessThan(from + (to - from) * 0.8);
      expect(range.endMs - range.startMs).toBeGreaterThan((to - from) * 0.2);
      const start = BigInt(range.startMs) * 1_000_000n;
      const end = BigInt(range.endMs) * 1_000_000n;
      const q = 'pod{namespace="shop"} |= "GET"';
      const expected = await store.query(q, { start, end, limit: 1000, direction: 'backward' });
      await expect.poll(async () => (await state(page)).rows).toBe(expected.numRows);
      const { count } = await store.count(q, { start, end });
      await expect.poll(() => page.locator('#histogram').getAttribute('data-total')).toBe(String(count));
      expect(await page.locator('#range-from').inputValue()).toBe(new Date(range.startMs).toISOString().replace(/\.000Z$/, 'Z'));
    });

    it('navigates rows with the keyboard and shows the selected row', async () => {
      await page.locator('#rows').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      expect(await page.locator('#rows').getAttribute('aria-activedescendant')).toBe('row-1');
      await page.keyboard.press('Enter');
      const line = await page.locator('#row-1 .c-line').textContent();
      // The line as stored (a JSON line is pretty-printed until Raw is pressed).
      await page.locator('#detail [data-action="raw"]').click();
      expect(await page.locator('#detail .detail-line').textContent()).toBe(line);
    });

    it('completes label names and values from the store', async () => {
      const box = page.locator('#query');
      await box.fill('');
      await box.pressSequentially('pod{namespace="');
      await expect.poll(() => page.locator('#completions li').allTextContents()).toEqual(['default', 'kube-system', 'shop']);
      await box.press('ArrowDown');
      await box.press('ArrowDown');
      await box.press('Enter');
      expect(await box.inputValue()).toBe('pod{namespace="shop"');
      await box.pressSequentially(', ');
      await expect.poll(() => page.locator('#completions li').allTextContents()).toEqual(['pod', 'container']);
    });

    it('draws a metric query as a time-series chart', async () => {
      const q = 'sum by (namespace) (count_over_time(pod{namespace=~".+"}[10m]))';
      await page.locator('#query').fill(q);
      await page.locator('#query').press('Control+Enter');
      await expect.poll(() => page.locator('#chart-section').isVisible()).toBe(true);
      await waitForRun(page);
      const { range } = await state(page);
      if (range.kind !== 'absolute') throw new Error('not absolute');
      const span = range.endMs - range.startMs;
      const { result } = await store.queryMetric(q, { start: BigInt(range.startMs) * 1_000_000n, end: BigInt(range.endMs) * 1_000_000n, step: `${Math.floor(span / 100) + 1}ms` });
      expect(result.series.length).toBe(3);
      expect(await page.locator('#chart').getAttribute('data-series')).toBe('3');
      expect(await page.locator('#legend li').allTextContents()).toEqual(result.series.map((s) => expect.stringContaining(`{namespace="${s.labels['namespace']}"}`)));
      expect(await page.locator('#rows-section').isVisible()).toBe(false);
    });

    it('keeps a million-row result virtual and reaches its last row', async () => {
      await page.evaluate(() => (window as unknown as { letheqlViewer: ViewerHooks }).letheqlViewer.loadSynthetic(1_000_000));
      expect((await state(page)).rows).toBe(1_000_000);
      expect(await page.locator('#rows .row').count()).toBeLessThan(200);
      expect(await page.locator('#rows').getAttribute('aria-rowcount')).toBe('1000000');
      await page.locator('#rows').focus();
      await page.keyboard.press('End');
      const last = page.locator('#row-999999');
      await expect.poll(() => last.isVisible()).toBe(true);
      expect(await last.locator('.c-line').textContent()).toBe('synthetic row 999999 GET /api/items/' + (999999 % 997));
      const grid = (await page.locator('#rows').boundingBox())!;
      const row = (await last.boundingBox())!;
      expect(row.y).toBeGreaterThanOrEqual(grid.y);
      expect(row.y + row.height).toBeLessThanOrEqual(grid.y + grid.height + 0.5);
      expect(await page.locator('#rows .row').count()).toBeLessThan(200);
      // The middle is reachable too (the scroll maps proportionally past the browser's height cap).
      await page.keyboard.press('Home');
      await expect.poll(() => page.locator('#row-0').isVisible()).toBe(true);
    });

    it('opens plain log files (no store layout): placed by their first line, range set to their hours', async () => {
      const tmp = tempDir('letheql-viewer-plain-');
      try {
        // Names that are not hours: the viewer reads namespace/node and hour from the first line.
        cpSync(join(FIXTURE_STORE, 'pod/shop/2024-09-24_14.log'), join(tmp.dir, 'shop-api.log'));
        cpSync(join(FIXTURE_STORE, 'node/node-a/2024-09-24_14.log'), join(tmp.dir, 'node-a.txt'));
        const q = 'pod{namespace="shop"} |= "GET"';
        await page.locator('#query').fill(q);
        await page.locator('#files-input').setInputFiles([join(tmp.dir, 'shop-api.log'), join(tmp.dir, 'node-a.txt')]);
        await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toMatch(/lines matched/);
        await waitForRun(page);
        const { range, rows } = await state(page);
        expect(range).toEqual({ kind: 'absolute', startMs: Date.parse('2024-09-24T14:00:00Z'), endMs: Date.parse('2024-09-24T14:59:59.999Z') });
        const expected = await store.query(q, { start: '2024-09-24T14:00:00Z', end: '2024-09-24T14:59:59.999Z', limit: 1000, direction: 'backward' });
        expect(expected.numRows).toBeGreaterThan(5);
        expect(rows).toBe(expected.numRows);
        const first = await page.locator('#row-0 .c-line').textContent();
        expect(first).toBe(expected.getChild('line')!.get(0));
        // The targets tree lists what the files hold, and only that.
        const tree = await page.locator('#tree').textContent();
        expect(tree).toContain('shop');
        expect(tree).toContain('node-a');
        expect(tree).not.toContain('kube-system');
      } finally {
        tmp.cleanup();
      }
    });
  });

  describe('a generated 64 MiB store: progress, cancel, link and theme', () => {
    let session: BrowserSession | undefined;
    let page: Page;
    const tmp = tempDir('letheql-viewer-big-');
    let info: GeneratedStore;
    let store: ReturnType<typeof openStore>;

    beforeAll(async () => {
      info = await generateStore({ out: tmp.dir, sizeBytes: 64 * 2 ** 20, seed: 3 });
      store = openStore(tmp.dir, { workers: 0 });
      session = await openBrowser(staticViewer);
      const context = await session.browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: session.base });
      page = await context.newPage();
    });
    afterAll(async () => {
      await session?.close();
      await store?.close();
      tmp.cleanup();
    });

    it('shows bytes scanned while a query runs, and Cancel stops it; the next query gives the engine\'s answer', async () => {
      // Cancel from inside the page at the first progress report (one file of ~60 is read),
      // so the click cannot lose a race against a fast scan.
      await page.goto(`${session!.base}/${hashOf('pod{namespace=~".+"} |~ "user/[0-9]+"', info.start, info.end)}`);
      await page.evaluate(() => {
        const progress = document.querySelector<HTMLProgressElement>('#progress')!;
        const seen: { value: number; max: number; status: string }[] = [];
        (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
        new MutationObserver(() => {
          if (progress.hidden || progress.value <= 0 || seen.length > 0) return;
          seen.push({ value: progress.value, max: progress.max, status: document.querySelector('#status')!.textContent ?? '' });
          document.querySelector<HTMLButtonElement>('#run')!.click();
        }).observe(progress, { attributes: true, attributeFilter: ['value', 'aria-valuetext'] });
      });
      await page.locator('#folder-input').setInputFiles(tmp.dir);
      await page.waitForFunction(() => (window as unknown as { progressSeen: unknown[] }).progressSeen.length > 0, null, { timeout: 30_000 });
      await waitForRun(page);
      const [seen] = await page.evaluate(() => (window as unknown as { progressSeen: { value: number; max: number; status: string }[] }).progressSeen);
      expect(seen!.max).toBe(info.bytes - (await storeNodeBytes(store, info)));
      expect(seen!.value).toBeGreaterThan(0);
      expect(seen!.value).toBeLessThan(seen!.max / 2);
      expect(seen!.status).toMatch(new RegExp(`^Scanning… [\\d.]+ [KM]iB of ${(seen!.max / 2 ** 20).toFixed(1)} MiB$`));
      expect(await page.locator('#status').textContent()).toBe('Query cancelled');
      expect(await page.locator('#progress').isHidden()).toBe(true);
      expect(await page.locator('#run').textContent()).toBe('Run');
      expect((await state(page)).stats).toBeNull();

      // The worker serves the next query, with the engine's rows and count.
      const q = 'pod{namespace=~".+"} |= "RARE-7f3a"';
      await page.locator('#query').fill(q);
      await page.locator('#query').press('Control+Enter');
      await waitForRun(page);
      const expected = await store.query(q, { start: info.start, end: info.end, limit: 1000, direction: 'backward' });
      expect(expected.numRows).toBe(info.rareLines);
      await expect.poll(async () => (await state(page)).rows).toBe(expected.numRows);
      expect((await state(page)).stats?.linesMatched).toBe(info.rareLines);
      await expect.poll(() => page.locator('#histogram').getAttribute('data-total')).toBe(String(info.rareLines));
    });

    it('copies a link that restores the query, range and refresh in a new page', async () => {
      await page.locator('#query').fill('node{node=~".+"} != "kubelet"');
      await page.locator('#range-preset').selectOption('6h');
      await page.locator('#refresh').selectOption('30s');
      await page.locator('#share').click();
      await expect.poll(() => page.locator('#status').textContent()).toBe('Link copied');
      const link = await page.evaluate(() => navigator.clipboard.readText());
      expect(link.startsWith(`${session!.base}/#`)).toBe(true);
      await page.locator('#refresh').selectOption('off');
      const other = await page.context().newPage();
      await other.goto(link);
      await expect.poll(async () => (await state(other)).query).toBe('node{node=~".+"} != "kubelet"');
      expect((await state(other)).range).toEqual({ kind: 'relative', span: '6h' });
      expect(await other.locator('#range-preset').inputValue()).toBe('6h');
      expect(await other.locator('#refresh').inputValue()).toBe('30s');
      await other.close();
    });

    it('switches dark and light, keeps the choice across reloads, and the theme button is keyboard-reachable', async () => {
      const theme = () => page.evaluate(() => document.documentElement.dataset['theme']);
      const before = await theme();
      await page.locator('#theme').focus();
      await page.keyboard.press('Enter');
      const after = await theme();
      expect(after).not.toBe(before);
      expect(await page.locator('#theme').getAttribute('aria-pressed')).toBe(String(after === 'dark'));
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const bgAfter = await background();
      await page.reload();
      expect(await theme()).toBe(after);
      expect(await background()).toBe(bgAfter);
      await page.locator('#theme').click();
      expect(await theme()).toBe(before);
      expect(await background()).not.toBe(bgAfter);
    });
  });

  describe('served by letheql serve', () => {
    let session: BrowserSession | undefined;
    let server: LetheServer | undefined;
    let base = '';
    const tmp = tempDir('letheql-viewer-');
    const store = (() => {
      cpSync(FIXTURE_STORE, tmp.dir, { recursive: true });
      return openStore(tmp.dir, { workers: 0 });
    })();

    beforeAll(async () => {
      server = await createServer({ store, storeDir: tmp.dir, log: false, tailFollowMs: 200 });
      base = await server.listen('127.0.0.1', 0);
      session = await openBrowser(() => null);
    });
    afterAll(async () => {
      await session?.close();
      await server?.close();
      await store.close();
      tmp.cleanup();
    });

    it('serves the page at / with content types, and 404 JSON for unknown assets', async () => {
      const index = await fetch(`${base}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await index.text();
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!;
      const js = await fetch(`${base}/${script}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const missing = await fetch(`${base}/assets/nope.js`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ status: 'error', errorType: 'not_found' });
      expect((await fetch(`${base}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    });

    // Issue 19: the row pane's filters and the context in place in the list, through the server (ordinary queries).
    it('opens a row, filters for a field, and shows context through the server', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1400, height: 900 } });
      const q = 'pod{namespace="shop"} |= "error"';
      await page.goto(`${base}/${hashOf(q)}`);
      await expect.poll(async () => (await state(page)).source, { timeout: 20_000 }).toBe(base);
      await waitForRun(page);
      const WINDOW = { start: FROM, end: TO, limit: 1000, direction: 'backward' as const };
      const STREAM = ['namespace', 'pod', 'container'];
      const column = (t: Awaited<ReturnType<typeof store.query>>, name: string) => Array.from({ length: t.numRows }, (_, i) => String(t.getChild(name)!.get(i)));
      const rows = await store.query(q, WINDOW);
      await expect.poll(async () => (await state(page)).rows).toBe(rows.numRows);
      await page.locator('#row-0').click();
      await page.locator('#detail [data-action="context"]').click();
      const sel = `pod{${STREAM.map((n) => `${n}="${rows.getChild(n)!.get(0)}"`).join(', ')}}`;
      const at = (rows.getChild('time')!.toArray() as BigInt64Array)[0]!;
      const before = await store.query(sel, { start: at - 3_600_000_000_000n, end: at - 1n, limit: 10, direction: 'backward' });
      expect(before.numRows).toBeGreaterThan(0);
      const after = await store.query(sel, { start: at + 1n, end: at + 3_600_000_000_000n, limit: 10, direction: 'forward' });
      // In place in the list, newest first as the rows: later lines above row 0, earlier ones under it.
      const listed = () => page.evaluate(() => (window as unknown as { letheqlViewer: { listed(): { kind: string; line: string }[] } }).letheqlViewer.listed());
      await expect.poll(async () => (await listed()).filter((r) => r.kind === 'line').map((r) => r.line), { timeout: 10_000 }).toEqual([...column(after, 'line').reverse(), ...column(before, 'line')]);
      const list = await listed();
      expect(list.map((r) => r.kind).slice(0, after.numRows + 2 + before.numRows + 1)).toEqual(['more-after', ...column(after, 'line').map(() => 'line'), 'row', ...column(before, 'line').map(() => 'line'), 'more-before']);
      expect(list[after.numRows + 1]!.line).toBe(column(rows, 'line')[0]);
      // More after, through the server too.
      if (after.numRows === 10) {
        const at2 = (after.getChild('time')!.toArray() as BigInt64Array)[9]!;
        const more = await store.query(sel, { start: at2 + 1n, end: at2 + 3_600_000_000_000n, limit: 10, direction: 'forward' });
        await page.locator('#rows .row[data-ctx="more-after"]').click();
        await expect.poll(async () => (await listed()).filter((r) => r.kind === 'line').length, { timeout: 10_000 }).toBe(after.numRows + more.numRows + before.numRows);
      }
      await page.locator('#detail tr[data-name="level"] [data-action="for"]').click();
      await waitForRun(page);
      expect((await state(page)).query).toBe(`${q} | json | level="error"`);
      const expected = await store.query(`${q} | json | level="error"`, WINDOW);
      await expect.poll(async () => (await state(page)).rows).toBe(expected.numRows);
      await page.close();
    });

    it('stacks a truncated result\'s histogram by detected_level through the server', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
      const q = 'pod{namespace=~"shop|default"}';
      await page.goto(`${base}/${hashOf(q)}`);
      await expect.poll(async () => (await state(page)).source, { timeout: 20_000 }).toBe(base);
      await waitForRun(page);
      await page.locator('#limit').selectOption('100');
      await page.locator('#query').press('Control+Enter');
      await waitForRun(page);
      expect((await state(page)).rows).toBe(100);
      const { count } = await store.count(q, { start: FROM, end: TO });
      await expect.poll(() => page.locator('#histogram').getAttribute('data-total')).toBe(String(count));
      await expect.poll(() => page.locator('#histogram').getAttribute('data-levels'), { timeout: 10_000 }).not.toBe('');
      const stacked = Object.fromEntries((await page.locator('#histogram').getAttribute('data-levels'))!.split(' ').map((p) => [p.split(':')[0]!, Number(p.split(':')[1])]));
      // The same split as the engine's, queried here in Node over the whole range.
      const { result } = await store.queryMetric(`sum by (detected_level) (count_over_time(${q} | label_format detected_level=\`{{ __detected_level__ }}\` [10800001ms]))`, { end: TO });
      const want: Record<string, number> = {};
      for (const r of result.series) want[normalLevel(r.labels['detected_level'] ?? '')] = (want[normalLevel(r.labels['detected_level'] ?? '')] ?? 0) + Number(r.samples[0]![1]);
      expect(Object.values(want).reduce((a, b) => a + b, 0)).toBe(count);
      expect(stacked).toEqual(want);
      await page.close();
    });

    it('runs a query through the server and shows a pushed line in the live tail', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
      const q = 'pod{namespace="shop"} |= "GET"';
      await page.goto(`${base}/${hashOf(q)}`);
      await expect.poll(async () => (await state(page)).source, { timeout: 20_000 }).toBe(base);
      await waitForRun(page);
      const expected = await store.query(q, { start: FROM, end: TO, limit: 1000, direction: 'backward' });
      await expect.poll(async () => (await state(page)).rows).toBe(expected.numRows);
      const { count } = await store.count(q, { start: FROM, end: TO });
      await expect.poll(() => page.locator('#histogram').getAttribute('data-total')).toBe(String(count));

      await page.locator('#query').fill('pod{namespace="shop"} |= "viewer-e2e"');
      await page.locator('#tail').click();
      expect(await page.locator('#tail').getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Live/);
      // Give the WebSocket time to subscribe, then push until the line shows (the first push may race the subscription).
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const push = (n: number) =>
        fetch(`${base}/loki/api/v1/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'tail-pod', container: 'app' }, values: [[String(nowNs + BigInt(n)), `hello viewer-e2e ${n}`]] }] }),
        });
      expect((await push(0)).status).toBe(204);
      await expect.poll(() => page.locator('#rows .row:not([hidden]) .c-line').allTextContents(), { timeout: 15_000 }).toContain('hello viewer-e2e 0');
      expect(await page.locator('#rows .row:not([hidden]) mark').first().textContent()).toBe('viewer-e2e');
      expect((await push(1)).status).toBe(204);
      // Once each, in time order (the server's tail may deliver a line twice; the viewer drops repeats).
      await expect.poll(() => page.locator('#rows .row:not([hidden]) .c-line').allTextContents(), { timeout: 15_000 }).toEqual(['hello viewer-e2e 0', 'hello viewer-e2e 1']);
      await expect.poll(() => page.locator('#status').textContent()).toBe('Live: 2 lines received');
      await page.close();
    });
  });

  // Issue 16 point 9: browsers cannot set headers on a WebSocket; the viewer sends its token as a subprotocol.
  describe('served by letheql serve with bearer tokens', () => {
    const TOKEN = 'viewer-token-0123456789abcdef';
    let session: BrowserSession | undefined;
    let server: LetheServer | undefined;
    let base = '';
    const tmp = tempDir('letheql-viewer-auth-');
    const store = (() => {
      cpSync(FIXTURE_STORE, tmp.dir, { recursive: true });
      return openStore(tmp.dir, { workers: 0 });
    })();

    beforeAll(async () => {
      server = await createServer({ store, storeDir: tmp.dir, log: false, tailFollowMs: 200, auth: TokenAuthority.parse(`${TOKEN} read,write\n`) });
      base = await server.listen('127.0.0.1', 0);
      session = await openBrowser(() => null);
    });
    afterAll(async () => {
      await session?.close();
      await server?.close();
      await store.close();
      tmp.cleanup();
    });

    it('connects with the token of the connect form, and the live tail authenticates and receives a pushed line', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${base}/${hashOf('pod{namespace="shop"} |= "token-e2e"')}`);
      await page.locator('#connect').click();
      await page.locator('#server-url').fill(base);
      await page.locator('#server-token').fill(TOKEN);
      await page.locator('#connect-go').click();
      await expect.poll(async () => (await state(page)).source, { timeout: 20_000 }).toBe(base);
      await waitForRun(page);
      await page.locator('#tail').click();
      await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Live/);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const push = (n: number) =>
        fetch(`${base}/loki/api/v1/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'tail-pod', container: 'app' }, values: [[String(nowNs + BigInt(n)), `hello token-e2e ${n}`]] }] }),
        });
      // Push until the line shows (the first push may race the subscription).
      for (let n = 0; n < 50; n++) {
        expect((await push(n)).status).toBe(204);
        const lines = await page.locator('#rows .row:not([hidden]) .c-line').allTextContents();
        if (lines.some((l) => l.startsWith('hello token-e2e'))) break;
        await page.waitForTimeout(200);
      }
      await expect.poll(() => page.locator('#rows .row:not([hidden]) .c-line').allTextContents(), { timeout: 15_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/^hello token-e2e \d+$/)]));
      expect(await page.locator('#status').textContent()).toMatch(/^Live/);
      await page.close();
    });
  });
});
