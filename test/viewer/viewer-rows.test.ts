/**
 * The viewer as a daily driver (issue 19), in Debian's Chromium on the BUILT viewer: open a
 * row and see its fields (named as the engine's `| json` names them), filter for and out
 * from the row (the query changes and the rows are the engine's for the new query), wrap,
 * fields as columns, levels (marks, filter, histogram stacked by level), deduplication,
 * context lines of the row's own stream in place in the list (server mode: viewer.test.ts), downloads read back
 * (JSON lines, CSV, Arrow IPC with apache-arrow) equal to the engine's rows, keyboard-only
 * use, and a link that restores wrap, columns, levels and dedup. Opening a row, wrapping and
 * filtering the loaded rows must not run a query (the page's run counter stays).
 */
import { readFileSync } from 'node:fs';
import { tableFromIPC, type Table } from 'apache-arrow';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { Drain, patternRegex } from '../../src/patterns/drain.js';
import { withLineFilter } from '../../viewer/src/query-text.js';
import { detectLevel as engineLevel } from '../../src/pipeline/detected.js';
import { normalLevel } from '../../viewer/src/fields.js';
import { HAVE_CHROMIUM, openBrowser, type BrowserSession } from '../support/chromium.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { HAVE_VIEWER, staticViewer, VIEWER_SKIP_REASON, viewerState as state, visibleRows, waitForRun } from '../support/viewer-page.js';

const FROM = '2024-09-24T13:00:00Z';
const TO = '2024-09-24T16:00:00Z';
const WINDOW = { start: FROM, end: TO, limit: 1000, direction: 'backward' as const };
const hashOf = (q: string, extra: Record<string, string> = {}): string => '#' + new URLSearchParams({ q, from: FROM, to: TO, ...extra }).toString();
const STREAM = ['namespace', 'pod', 'container'];

/** Runs `q` from the query box and waits for its rows. */
async function run(page: Page, q: string): Promise<void> {
  await page.locator('#query').fill(q);
  await page.locator('#query').press('Control+Enter');
  await waitForRun(page);
}

/** Lines of the rows in view, in row order. */
async function shownLines(page: Page): Promise<string[]> {
  return visibleRows(page).evaluateAll((rows) =>
    rows
      .map((r) => ({ i: Number((r as HTMLElement).dataset['index']), line: r.querySelector('.c-line')!.textContent! }))
      .sort((a, b) => a.i - b.i)
      .map((r) => r.line),
  );
}

/** Scrolls the list down (as a reader would) until a row matching `css` is drawn. */
async function reveal(page: Page, css: string): Promise<void> {
  for (let k = 0; k < 40 && (await page.locator(css).count()) === 0; k++) {
    await page.locator('#rows').evaluate((el) => (el.scrollTop += el.clientHeight / 2));
    await page.waitForTimeout(30);
  }
}

/** Every row of the page's list: loaded rows, context lines and "more" rows (the page's test hook). */
function listed(page: Page): Promise<{ kind: string; line: string }[]> {
  return page.evaluate(() => (window as unknown as { letheqlViewer: { listed(): { kind: string; line: string }[] } }).letheqlViewer.listed());
}

function column(t: Table, name: string): string[] {
  return Array.from({ length: t.numRows }, (_, i) => String(t.getChild(name)!.get(i)));
}

describe.skipIf(!HAVE_CHROMIUM || !HAVE_VIEWER)(HAVE_CHROMIUM && HAVE_VIEWER ? 'viewer rows' : `viewer rows (skipped: ${VIEWER_SKIP_REASON})`, () => {
  describe('static site, fixture store opened from a folder', () => {
    let session: BrowserSession | undefined;
    let page: Page;
    const store = openStore(FIXTURE_STORE, { workers: 0 });
    const errors: string[] = [];
    const Q = 'pod{namespace="shop"} |= "error"';

    beforeAll(async () => {
      session = await openBrowser(staticViewer);
      const context = await session.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: session.base });
      page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${session.base}/${hashOf(Q)}`);
      await page.locator('#folder-input').setInputFiles(FIXTURE_STORE);
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#histogram')?.dataset['buckets']) > 0, null, { timeout: 30_000 });
      await waitForRun(page);
    });
    afterAll(async () => {
      expect(errors).toEqual([]);
      await session?.close();
      await store.close();
    });

    it('opens a row by click: the whole line pretty-printed, its stream labels and the fields | json finds, without running a query', async () => {
      const expected = await store.query(`${Q} | json`, WINDOW);
      expect((await state(page)).rows).toBe(expected.numRows);
      const runs = (await state(page)).runs;
      await page.locator('#row-2').click();
      const detail = page.locator('#detail');
      await expect.poll(() => detail.isVisible()).toBe(true);
      const line = String(expected.getChild('line')!.get(2));
      expect(JSON.parse((await detail.locator('.detail-line').textContent())!)).toEqual(JSON.parse(line));
      expect(await detail.locator('.detail-line').textContent()).toContain('\n  "level": "error"');
      const read = (kind: string) =>
        detail.locator(`table[data-kind="${kind}"] tr`).evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('.v')!.textContent]));
      expect(await read('label')).toEqual(STREAM.map((n) => [n, String(expected.getChild(n)!.get(2))]));
      const fields: [string, string][] = [];
      for (const f of expected.schema.fields) {
        const v = expected.getChild(f.name)!.get(2) as string | null;
        if (![...STREAM, 'time', 'line', 'time_raw'].includes(f.name) && v !== null) fields.push([f.name, v]);
      }
      expect(fields.length).toBeGreaterThan(4);
      // In the line's order in the pane; the engine's columns are sorted by name.
      expect((await read('field')).sort()).toEqual(fields.sort());
      expect((await read('field'))[0]![0]).toBe('level');
      expect(await detail.getAttribute('data-parser')).toBe('json');
      expect((await state(page)).runs).toBe(runs);
      // Copy puts the value on the clipboard.
      await detail.locator('tr[data-name="level"] [data-action="copy"]').click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('error');
      // Clicking the open row closes it.
      await page.locator('#row-2').click();
      await expect.poll(() => detail.isVisible()).toBe(false);
    });

    it('filters for a parsed field: the query gains | json | field="value" and the rows are the engine\'s', async () => {
      await run(page, 'pod{namespace="shop"}');
      // Find a row whose line has a "status" field.
      const all = await store.query('pod{namespace="shop"} | json', WINDOW);
      const i = column(all, 'status').findIndex((v) => v === '502');
      expect(i).toBeGreaterThanOrEqual(0);
      await page.evaluate((n) => (window as unknown as { letheqlViewer: { openRow(i: number): number } }).letheqlViewer.openRow(n), i);
      await page.locator('#detail tr[data-name="status"] [data-action="for"]').click();
      await waitForRun(page);
      const q = 'pod{namespace="shop"} | json | status="502"';
      expect((await state(page)).query).toBe(q);
      const expected = await store.query(q, WINDOW);
      expect(expected.numRows).toBeGreaterThan(0);
      expect(expected.numRows).toBeLessThan(all.numRows);
      expect((await state(page)).rows).toBe(expected.numRows);
      expect(await shownLines(page)).toEqual(column(expected, 'line').slice(0, (await shownLines(page)).length));
    });

    it('filters out a stream label: the selector gains label!="value"', async () => {
      await run(page, 'pod{namespace="shop"} |= "error"');
      await page.locator('#row-0').click();
      const pod = await page.locator('#detail table[data-kind="label"] tr[data-name="pod"] .v').textContent();
      await page.locator('#detail table[data-kind="label"] tr[data-name="pod"] [data-action="out"]').click();
      await waitForRun(page);
      const q = `pod{namespace="shop", pod!="${pod}"} |= "error"`;
      expect((await state(page)).query).toBe(q);
      const expected = await store.query(q, WINDOW);
      expect((await state(page)).rows).toBe(expected.numRows);
      expect(column(expected, 'pod')).not.toContain(pod);
      expect(expected.numRows).toBeGreaterThan(0);
    });

    it('wraps long lines (rows grow, the whole line shows) and back, without running a query', async () => {
      await run(page, Q);
      let runs = (await state(page)).runs;
      const row = page.locator('#row-0');
      expect((await row.boundingBox())!.height).toBe(22);
      const full = await row.locator('.c-line').textContent();
      const cut = await row.locator('.c-line').evaluate((el) => el.scrollWidth > el.clientWidth);
      expect(cut).toBe(true);
      await page.locator('#wrap').check();
      await expect.poll(async () => (await row.boundingBox())!.height).toBeGreaterThan(22);
      expect(await row.locator('.c-line').evaluate((el) => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1)).toBe(true);
      expect(await row.locator('.c-line').textContent()).toBe(full);
      // Every message fits its row (also lines of quotes and brackets, whose glyphs may come
      // from a fallback font of another width), and rows do not overlap.
      expect((await state(page)).runs).toBe(runs);
      await run(page, 'pod{namespace="shop"}');
      runs = (await state(page)).runs;
      const spill = await visibleRows(page).evaluateAll((rows) => rows.filter((r) => r.querySelector('.c-line')!.getBoundingClientRect().bottom > r.getBoundingClientRect().bottom + 1).map((r) => r.id));
      expect(spill).toEqual([]);
      expect(await visibleRows(page).evaluateAll((rows) => rows.filter((r) => r.getBoundingClientRect().height > 22).length)).toBeGreaterThan(3);
      const boxes = await visibleRows(page).evaluateAll((rows) => rows.map((r) => ({ i: Number((r as HTMLElement).dataset['index']), top: r.getBoundingClientRect().top, bottom: r.getBoundingClientRect().bottom })).sort((a, b) => a.i - b.i));
      for (let k = 1; k < boxes.length; k++) expect(boxes[k]!.top).toBeCloseTo(boxes[k - 1]!.bottom, 0);
      expect(page.url()).toContain('wrap=1');
      await page.locator('#wrap').uncheck();
      await expect.poll(async () => (await row.boundingBox())!.height).toBe(22);
      expect((await state(page)).runs).toBe(runs);
    });

    it('shows a parsed field as a column, and the link restores wrap, columns, level filter and dedup', async () => {
      await run(page, Q);
      await page.locator('#row-0').click();
      await page.locator('#detail tr[data-name="caller"] [data-action="column"]').click();
      expect(await page.locator('#rows-head .c-field').allTextContents()).toEqual(['caller']);
      const expected = await store.query(`${Q} | json`, WINDOW);
      const shown = await visibleRows(page).evaluateAll((rows) => rows.map((r) => ({ i: Number((r as HTMLElement).dataset['index']), v: r.querySelector('.c-field')!.textContent })).sort((a, b) => a.i - b.i));
      for (const { i, v } of shown) expect(v).toBe(expected.getChild('caller')!.get(i) ?? '');
      expect(decodeURIComponent(page.url())).toContain('cols=caller');
      // A link with every row option opens with them on.
      const link = `${session!.base}/${hashOf('pod{namespace=~"shop|default"}', { wrap: '1', cols: 'status', levels: 'error', dedup: 'numbers' })}`;
      const p2 = await page.context().newPage();
      await p2.goto(link);
      await p2.locator('#folder-input').setInputFiles(FIXTURE_STORE);
      await p2.waitForFunction(() => Number(document.querySelector<HTMLElement>('#histogram')?.dataset['buckets']) > 0, null, { timeout: 30_000 });
      await waitForRun(p2);
      expect(await p2.locator('#wrap').isChecked()).toBe(true);
      expect(await p2.locator('#dedup').inputValue()).toBe('numbers');
      expect(await p2.locator('#rows-head .c-field').allTextContents()).toEqual(['status']);
      await expect.poll(() => p2.locator('#level-filter [aria-pressed="true"]').getAttribute('data-level')).toBe('error');
      await expect.poll(() => p2.locator('#rows .row:not([hidden])').evaluateAll((rs) => rs.every((r) => (r as HTMLElement).dataset['level'] === 'error'))).toBe(true);
      await p2.close();
    });

    it('marks each row with its level, filters by level and stacks the histogram by level', async () => {
      const q = 'pod{namespace=~"shop|default"}';
      await run(page, q);
      if (await page.locator('#detail').isVisible()) await page.locator('#detail [data-action="close"]').click();
      const runs = (await state(page)).runs;
      await expect.poll(async () => (await state(page)).levelsDone).toBe(true);
      // JSON lines with a level field show it as their level.
      const json = await store.query(`${q} | json | __error__="" | level=~"error|warn|info|debug"`, WINDOW);
      const all = await store.query(q, WINDOW);
      const levelOfLine = new Map(column(json, 'line').map((l, i) => [l, String(json.getChild('level')!.get(i))]));
      const marks = await visibleRows(page).evaluateAll((rows) => rows.map((r) => ({ i: Number((r as HTMLElement).dataset['index']), level: (r as HTMLElement).dataset['level'] })));
      let checked = 0;
      for (const { i, level } of marks) {
        const want = levelOfLine.get(String(all.getChild('line')!.get(i)));
        if (want !== undefined) {
          expect(level).toBe(want);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(3);
      // Buttons count every loaded row once; the histogram's stacks agree with them and with the engine's total.
      const buttons = await page.locator('#level-filter button').evaluateAll((bs) => bs.map((b) => [(b as HTMLElement).dataset['level']!, Number(b.querySelector('.muted')!.textContent!.replace(/,/g, ''))] as const));
      const byButton = Object.fromEntries(buttons);
      expect(Object.values(byButton).reduce((a, b) => a + b, 0)).toBe(all.numRows);
      expect(byButton['error']).toBeGreaterThan(0);
      expect(byButton['info']).toBeGreaterThan(0);
      const { count } = await store.count(q, { start: FROM, end: TO });
      expect(count).toBe(all.numRows);
      await expect.poll(() => page.locator('#histogram').getAttribute('data-levels')).not.toBe('');
      const stacked = Object.fromEntries((await page.locator('#histogram').getAttribute('data-levels'))!.split(' ').map((p) => [p.split(':')[0]!, Number(p.split(':')[1])]));
      expect(stacked).toEqual(byButton);
      // The filter keeps exactly the error rows, every JSON error line among them.
      await page.locator('#level-filter button[data-level="error"]').click();
      expect((await state(page)).rows).toBe(byButton['error']);
      await expect.poll(() => visibleRows(page).evaluateAll((rs) => rs.every((r) => (r as HTMLElement).dataset['level'] === 'error'))).toBe(true);
      const jsonErrors = column(json, 'line').filter((l) => levelOfLine.get(l) === 'error');
      expect(jsonErrors.length).toBeGreaterThan(0);
      expect(byButton['error']).toBeGreaterThanOrEqual(jsonErrors.length);
      expect(page.url()).toContain('levels=error');
      await page.locator('#level-filter button[data-level="error"]').click();
      expect((await state(page)).rows).toBe(all.numRows);
      expect((await state(page)).runs).toBe(runs);
    });

    it('stacks the histogram by the engine\'s detected_level when the rows are truncated', async () => {
      const q = 'pod{namespace=~"shop|default"}';
      await page.locator('#limit').selectOption('100');
      try {
        await run(page, q);
        const { count } = await store.count(q, { start: FROM, end: TO });
        expect(count).toBeGreaterThan(100);
        expect((await state(page)).rows).toBe(100);
        await expect.poll(() => page.locator('#histogram').getAttribute('data-total')).toBe(String(count));
        await expect.poll(() => page.locator('#histogram').getAttribute('data-levels'), { timeout: 10_000 }).not.toBe('');
        const stacked = Object.fromEntries((await page.locator('#histogram').getAttribute('data-levels'))!.split(' ').map((p) => [p.split(':')[0]!, Number(p.split(':')[1])]));
        // Every matching line's level, by the engine's detect function over all the lines in Node.
        const all = await store.query(q, { ...WINDOW, limit: 100_000 });
        const want: Record<string, number> = {};
        for (const line of column(all, 'line')) {
          const l = normalLevel(engineLevel(line));
          want[l] = (want[l] ?? 0) + 1;
        }
        expect(stacked).toEqual(want);
        expect(Object.keys(want).length).toBeGreaterThan(2);
        expect(await page.locator('#histogram-note').textContent()).toContain('detected_level');
      } finally {
        await page.locator('#limit').selectOption('1000');
      }
    });

    it('deduplicates consecutive lines (exact, numbers, signature) over the loaded rows', async () => {
      const q = 'pod{namespace="default"}';
      await run(page, q);
      const runs = (await state(page)).runs;
      const lines = column(await store.query(q, WINDOW), 'line');
      const rules: Record<string, (l: string) => string> = {
        exact: (l) => l.replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, ''),
        numbers: (l) => l.replace(/\d+/g, ''),
        signature: (l) => l.replace(/[\p{L}\p{N}]+/gu, ''),
      };
      const seen: number[] = [];
      for (const [mode, key] of Object.entries(rules)) {
        const kept: string[] = [];
        for (let i = 0; i < lines.length; i++) if (i === 0 || key(lines[i]!) !== key(lines[i - 1]!)) kept.push(lines[i]!);
        await page.locator('#dedup').selectOption(mode);
        expect((await state(page)).rows, mode).toBe(kept.length);
        seen.push(kept.length);
        const first = await shownLines(page);
        expect(first.map((l) => l.replace(/^\d+×/, ''))).toEqual(kept.slice(0, first.length));
      }
      expect(seen[2]).toBeLessThan(lines.length);
      await page.locator('#dedup').selectOption('none');
      expect((await state(page)).rows).toBe(lines.length);
      expect((await state(page)).runs).toBe(runs);
    });

    it('shows context in place in the list: the lines before and after the row in its own stream, and more in either direction', async () => {
      const q = 'pod{namespace="shop"} |= "error"';
      await run(page, q);
      const runs = (await state(page)).runs;
      const rows = await store.query(q, WINDOW);
      const i = 5;
      await page.locator(`#row-${i}`).click();
      await page.locator('#detail [data-action="context"]').click();
      const sel = `pod{${STREAM.map((n) => `${n}="${rows.getChild(n)!.get(i)}"`).join(', ')}}`;
      const t = rows.getChild('time')!.toArray() as BigInt64Array;
      const at = t[i]!;
      const before = await store.query(sel, { start: at - 3_600_000_000_000n, end: at - 1n, limit: 10, direction: 'backward' });
      const after = await store.query(sel, { start: at + 1n, end: at + 3_600_000_000_000n, limit: 10, direction: 'forward' });
      expect(before.numRows).toBe(10);
      expect(after.numRows).toBeGreaterThan(0);
      const lines = column(rows, 'line');
      // Newest first, as the rows: the later lines above the row, the earlier ones under it,
      // a "more" row at either end, the rest of the result around them.
      const expectedList = (older: string[]) => [
        ...lines.slice(0, i).map((line) => ({ kind: 'row', line })),
        { kind: 'more-after', line: after.numRows < 10 ? 'no more lines in the hour after; "More" looks further' : '' },
        ...column(after, 'line').reverse().map((line) => ({ kind: 'line', line })),
        { kind: 'row', line: lines[i]! },
        ...older.map((line) => ({ kind: 'line', line })),
        { kind: 'more-before', line: '' },
        ...lines.slice(i + 1).map((line) => ({ kind: 'row', line })),
      ];
      await expect.poll(() => listed(page), { timeout: 10_000 }).toEqual(expectedList(column(before, 'line')));
      // Drawn apart in the list, the opened row still selected and open.
      const anchor = i + 1 + after.numRows;
      expect(await page.locator(`#row-${anchor}`).getAttribute('aria-selected')).toBe('true');
      expect(await page.locator(`#row-${anchor - 1}`).getAttribute('data-ctx')).toBe('line');
      expect(await page.locator(`#row-${anchor + 1}`).getAttribute('data-ctx')).toBe('line');
      expect(await page.locator(`#row-${anchor + 1} .c-line`).textContent()).toBe(column(before, 'line')[0]);
      // More before: the next ten, older ones, under them.
      const bt = before.getChild('time')!.toArray() as BigInt64Array;
      const more = await store.query(sel, { start: bt[9]! - 3_600_000_000_000n, end: bt[9]! - 1n, limit: 10, direction: 'backward' });
      await reveal(page, '#rows .row:not([hidden])[data-ctx="more-before"]');
      // A click event on the drawn row (Playwright's own scrolling would move the virtual
      // list's pooled rows under the pointer; the server test clicks a "more" row in view).
      await page.locator('#rows .row:not([hidden])[data-ctx="more-before"]').dispatchEvent('click');
      await expect.poll(() => listed(page), { timeout: 10_000 }).toEqual(expectedList([...column(before, 'line'), ...column(more, 'line')]));
      // The context queries are not runs of the query; hiding it closes the list up again.
      expect((await state(page)).runs).toBe(runs);
      await page.locator('#detail [data-action="context"]').click();
      await expect.poll(async () => (await listed(page)).map((r) => r.line), { timeout: 10_000 }).toEqual(lines);
      expect(await page.locator('#detail').isVisible()).toBe(true);
      expect(await page.locator(`#row-${i}`).getAttribute('aria-selected')).toBe('true');
    });

    for (const format of ['jsonl', 'csv', 'arrow'] as const) {
      it(`downloads the rows as ${format}, read back equal to the engine's`, async () => {
        const q = 'pod{namespace="shop"} | logfmt';
        await run(page, q);
        const expected = await store.query(q, WINDOW);
        await page.locator('#download-format').selectOption(format);
        const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
        const path = await download.path();
        const bytes = readFileSync(path);
        const times = Array.from(expected.getChild('time')!.toArray() as BigInt64Array, String);
        const names = expected.schema.fields.map((f) => f.name).filter((n) => !['time', 'line', 'time_raw'].includes(n));
        expect(names.length).toBeGreaterThan(3);
        if (format === 'arrow') {
          const t = tableFromIPC(bytes);
          expect(t.numRows).toBe(expected.numRows);
          expect(Array.from(t.getChild('time')!.toArray() as BigInt64Array, String)).toEqual(times);
          for (const n of [...names, 'line']) expect(Array.from({ length: t.numRows }, (_, i) => t.getChild(n)!.get(i)), n).toEqual(Array.from({ length: t.numRows }, (_, i) => expected.getChild(n)!.get(i)));
        } else if (format === 'jsonl') {
          const recs = bytes.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { timeNs: string; labels: Record<string, string>; line: string });
          expect(recs.map((r) => r.timeNs)).toEqual(times);
          expect(recs.map((r) => r.line)).toEqual(column(expected, 'line'));
          recs.forEach((r, i) => {
            const labels: Record<string, string> = {};
            for (const n of names) {
              const v = expected.getChild(n)!.get(i) as string | null;
              if (v !== null && v !== '') labels[n] = v;
            }
            expect(r.labels).toEqual(labels);
          });
        } else {
          const records = parseCsv(bytes.toString('utf8'));
          expect(records[0]).toEqual(['time', ...names, 'line']);
          expect(records.length - 1).toBe(expected.numRows);
          records.slice(1).forEach((r, i) => {
            expect(r[r.length - 1]).toBe(expected.getChild('line')!.get(i));
            names.forEach((n, k) => expect(r[1 + k]).toBe(String(expected.getChild(n)!.get(i) ?? '')));
          });
        }
      });
    }

    it('downloads only the rows shown under a level filter (an Arrow table built from them, a subsequence of the engine\'s rows)', async () => {
      const q = 'pod{namespace="shop"}';
      await run(page, q);
      await expect.poll(async () => (await state(page)).levelsDone).toBe(true);
      await page.locator('#level-filter button[data-level="error"]').click();
      const shown = (await state(page)).rows;
      const all = await store.query(q, WINDOW);
      expect(shown).toBeGreaterThan(0);
      expect(shown).toBeLessThan(all.numRows);
      await page.locator('#download-format').selectOption('arrow');
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
      const t = tableFromIPC(readFileSync(await download.path()));
      expect(t.numRows).toBe(shown);
      const key = (tbl: Table, i: number) => [String((tbl.getChild('time')!.toArray() as BigInt64Array)[i]), ...STREAM.map((n) => String(tbl.getChild(n)!.get(i))), String(tbl.getChild('line')!.get(i))].join('|');
      let j = 0;
      for (let i = 0; i < t.numRows; i++) {
        while (j < all.numRows && key(all, j) !== key(t, i)) j++;
        expect(j, `downloaded row ${i} is an engine row, in order`).toBeLessThan(all.numRows);
        j++;
      }
      await page.locator('#level-filter button[data-level="error"]').click();
      expect((await state(page)).rows).toBe(all.numRows);
    });

    it('lists the patterns of the loaded rows, counts adding up to the matching lines; a pattern becomes a line filter', async () => {
      const q = 'pod{namespace=~"shop|default"}';
      await run(page, q);
      const runs = (await state(page)).runs;
      const { count } = await store.count(q, { start: FROM, end: TO });
      expect((await state(page)).rows).toBe(count);
      await page.locator('#tab-patterns').click();
      expect(await page.locator('#rows').isVisible()).toBe(false);
      await page.locator('#patterns[data-total]').waitFor(); // patterns are found in slices between tasks
      const counts = await page.locator('#patterns tbody tr').evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset['count'])));
      expect(counts.length).toBeGreaterThan(5);
      expect(counts.length).toBeLessThan(count / 3);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(count);
      expect(await page.locator('#patterns').getAttribute('data-total')).toBe(String(count));
      expect(await page.locator('#patterns tbody tr svg.spark').count()).toBe(counts.length);
      expect((await state(page)).runs).toBe(runs);
      // The engine's Drain over the same lines in the same order (newest first) gives the same table.
      const rows = await store.query(q, { ...WINDOW, limit: 100_000 });
      const drain = new Drain();
      for (let i = 0; i < rows.numRows; i++) drain.add(String(rows.getChild('line')!.get(i)));
      const templates = await page.locator('#patterns tbody td.pattern').allTextContents();
      expect(templates.map((t, k) => [t, counts[k]])).toEqual(drain.patterns().map((p) => [p.pattern, p.count]));
      await page.locator('#patterns button[data-pattern="0"]').click();
      await waitForRun(page);
      const filtered = (await state(page)).query;
      expect(filtered).toBe(withLineFilter(q, patternRegex(templates[0]!)));
      const expected = await store.query(filtered, WINDOW);
      expect((await state(page)).rows).toBe(expected.numRows);
      expect(expected.numRows).toBeGreaterThanOrEqual(counts[0]!);
      expect(await page.locator('#rows').isVisible()).toBe(true);
    });

    it('is usable from the keyboard alone: arrows move, Enter opens and closes, Escape closes', async () => {
      await run(page, Q);
      const runs = (await state(page)).runs;
      await page.locator('#rows').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      const detail = page.locator('#detail');
      await expect.poll(() => detail.isVisible()).toBe(true);
      const rawOf = async () => JSON.parse((await detail.locator('.detail-line').textContent())!) as unknown;
      const expected = await store.query(Q, WINDOW);
      expect(await rawOf()).toEqual(JSON.parse(String(expected.getChild('line')!.get(0))));
      // The open pane follows the selection.
      await page.keyboard.press('ArrowDown');
      await expect.poll(rawOf).toEqual(JSON.parse(String(expected.getChild('line')!.get(1))));
      await page.keyboard.press('Enter');
      await expect.poll(() => detail.isVisible()).toBe(false);
      await page.keyboard.press('Enter');
      await expect.poll(() => detail.isVisible()).toBe(true);
      await page.keyboard.press('Escape');
      await expect.poll(() => detail.isVisible()).toBe(false);
      expect(await page.locator('#rows').getAttribute('aria-activedescendant')).toBe('row-1');
      expect((await state(page)).runs).toBe(runs);
    });
  });
});

/** RFC 4180 records (quoted fields with "" escapes, CRLF or LF line ends). */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let rec: string[] = [];
  let field = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') q = false;
      else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      rec.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      rec.push(field);
      out.push(rec);
      rec = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || rec.length) {
    rec.push(field);
    out.push(rec);
  }
  return out;
}
