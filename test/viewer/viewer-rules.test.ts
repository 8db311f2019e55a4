/**
 * The viewer's Rules view (issue 14, scope item 6) in Debian's Chromium, against a real
 * `letheql serve --rules` (runServe in this process, on the real clock, 127.0.0.1:0) over a
 * temporary copy of the fixture store (the tests never write into fixtures/store).
 *
 * The fixture's lines are from 2024-09-24, so the rules pin their log range with `@` at its
 * last hour's end: they fire (or stay pending) whatever the clock says, and their links end
 * there. The rule file has a firing alert, the same alert pending behind `for: 1h`, an
 * alert whose query fails at evaluation (health err, lastError) and a recording rule.
 *
 * Checked: the groups and rules as `/api/v1/rules` gives them (states, the error text, the
 * alert's labels, annotations and sample lines), the state and name filters and their place
 * in the share link (a new page restores them), the reload every 15 s (a fake clock in the
 * page), the rule's link opening the query view on
 * the rule's log query and window (and its rows being the engine's), a server without
 * `--rules` (the tab says it runs none), and a server with bearer tokens (the token of the
 * connect form reaches the rules).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServe } from '../../src/cli/serve.js';
import { openStore } from '../../src/node.js';
import { HAVE_CHROMIUM, openBrowser, type BrowserSession } from '../support/chromium.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { HAVE_VIEWER, VIEWER_SKIP_REASON as SKIP_REASON, viewerState as state, waitForRun } from '../support/viewer-page.js';

const END = '2024-09-24T16:00:00Z';
const AT = Date.parse(END) / 1000;
const LOG_QUERY = 'pod{namespace="shop"} |= "error"';
const RULES = `groups:
  - name: shop-errors
    interval: 10s
    rules:
      - alert: ShopErrors
        expr: sum by (namespace) (count_over_time(${LOG_QUERY} [3h] @ ${AT})) > 0
        labels: {severity: page}
        annotations: {summary: '{{ $value }} error lines in {{ $labels.namespace }}'}
      - alert: ShopErrorsForAnHour
        expr: sum by (namespace) (count_over_time(${LOG_QUERY} [3h] @ ${AT})) > 0
        for: 1h
      - alert: Broken
        expr: count_over_time(pod{nope="x"} [1m]) > 0
      - record: shop:lines:3h
        expr: sum(count_over_time(pod{namespace="shop"} [3h] @ ${AT}))
`;

interface Served {
  base: string;
  dir: string;
  stop(): Promise<void>;
}

/** `letheql serve --store <copy of the fixture store> --listen 127.0.0.1:0 …extra`. */
async function serve(extra: (dir: string) => string[]): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'letheql-viewer-rules-'));
  cpSync(FIXTURE_STORE, join(dir, 'store'), { recursive: true });
  const err: string[] = [];
  const io = { stdout: { write: (_d: unknown, cb?: () => void) => (cb?.(), true) }, stderr: { write: (d: string | Uint8Array, cb?: () => void) => (err.push(Buffer.from(d).toString()), cb?.(), true) }, env: {} };
  const stop = new AbortController();
  let resolveUrl!: (u: string) => void;
  const url = new Promise<string>((r) => (resolveUrl = r));
  const exit = runServe(['--store', join(dir, 'store'), '--listen', '127.0.0.1:0', '--workers', '0', ...extra(dir)], io as never, stop.signal, resolveUrl);
  const base = await Promise.race([url, exit.then((code) => Promise.reject(new Error(`letheql serve exited ${code}: ${err.join('')}`)))]);
  return {
    base,
    dir,
    async stop() {
      stop.abort();
      expect(await exit).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type ApiRule = { name: string; lastEvaluation: string; lastError: string; state?: string; alerts?: { labels: Record<string, string>; annotations: Record<string, string>; value: string }[] };

/** The ruler's groups once every rule has been evaluated. */
async function evaluated(base: string, headers: Record<string, string> = {}): Promise<{ name: string; file: string; rules: ApiRule[] }[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const j = (await (await fetch(`${base}/api/v1/rules`, { headers })).json()) as { data: { groups: { name: string; file: string; rules: ApiRule[] }[] } };
    if (j.data.groups.every((g) => g.rules.every((r) => r.lastEvaluation !== '0001-01-01T00:00:00Z'))) return j.data.groups;
    if (Date.now() > deadline) throw new Error(`no evaluation: ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rule = (page: Page, name: string) => page.locator(`#rules tbody.rule[data-rule="${name}"]`);
const shownRules = (page: Page) => page.locator('#rules tbody.rule').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['rule']));

describe.skipIf(!HAVE_CHROMIUM || !HAVE_VIEWER)(HAVE_CHROMIUM && HAVE_VIEWER ? 'viewer: rules and alerts' : `viewer: rules and alerts (skipped: ${SKIP_REASON})`, () => {
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    session = await openBrowser(() => null);
  });
  afterAll(async () => {
    await session?.close();
  });

  describe('letheql serve --rules', () => {
    let server: Served | undefined;
    let groups: Awaited<ReturnType<typeof evaluated>> = [];
    beforeAll(async () => {
      server = await serve((dir) => {
        writeFileSync(join(dir, 'rules.yaml'), RULES);
        return ['--rules', join(dir, 'rules.yaml')];
      });
      groups = await evaluated(server.base);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('lists the group and its rules: states, health, the error, the alert with labels and sample lines', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server!.base}/`);
      await expect.poll(async () => (await state(page)).source, { timeout: 20_000 }).toBe(server!.base);
      await expect.poll(() => page.locator('#view-rules').isVisible()).toBe(true);
      await page.locator('#view-rules').click();
      expect(await page.locator('#layout').isHidden()).toBe(true);
      await expect.poll(() => shownRules(page)).toEqual(['ShopErrors', 'ShopErrorsForAnHour', 'Broken', 'shop:lines:3h']);
      expect(page.url()).toContain('view=rules');

      // The group: name, file, interval, last evaluation and how long it took.
      const group = page.locator('#rules .rule-group');
      expect(await group.getAttribute('data-group')).toBe('shop-errors');
      const head = await group.locator('.rule-group-head').textContent();
      expect(head).toContain(join(server!.dir, 'rules.yaml'));
      expect(head).toContain('every 10s');
      expect(head).toMatch(/last evaluation \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?Z \(\d+ s ago\) in [\d.]+ (ms|s)/);

      // States with their marks; the recording rule has none.
      expect(await rule(page, 'ShopErrors').getAttribute('data-state')).toBe('firing');
      expect(await rule(page, 'ShopErrors').locator('.rule-state .lvl.rule-firing').count()).toBe(1);
      expect(await rule(page, 'ShopErrorsForAnHour').getAttribute('data-state')).toBe('pending');
      expect(await rule(page, 'ShopErrorsForAnHour').locator('.rule-state .lvl.rule-pending').count()).toBe(1);
      expect(await rule(page, 'Broken').getAttribute('data-state')).toBe('inactive');
      expect(await rule(page, 'shop:lines:3h').getAttribute('data-type')).toBe('record');
      expect(await rule(page, 'shop:lines:3h').getAttribute('data-state')).toBeNull();
      expect(await rule(page, 'ShopErrors').locator('.rule-kind').textContent()).toBe('alert');
      expect(await rule(page, 'ShopErrorsForAnHour').textContent()).toContain('for 1h');
      expect(await rule(page, 'ShopErrors').locator('.rule-expr').textContent()).toBe(`sum by (namespace) (count_over_time(${LOG_QUERY} [3h] @ ${AT})) > 0`);

      // The failing rule: health err and its error in full, as the API has it.
      const broken = groups[0]!.rules.find((r) => r.name === 'Broken')!;
      expect(broken.lastError).not.toBe('');
      expect(await rule(page, 'Broken').getAttribute('data-health')).toBe('err');
      expect(await rule(page, 'Broken').locator('.rule-health').textContent()).toBe('err');
      expect(await rule(page, 'Broken').locator('.rule-error-text').textContent()).toBe(broken.lastError);
      expect(await rule(page, 'Broken').locator('.rule-error').isVisible()).toBe(true);
      expect(await rule(page, 'ShopErrors').locator('.rule-error').count()).toBe(0);
      expect(await rule(page, 'ShopErrors').locator('.rule-health').textContent()).toBe('ok');

      // The alert: closed at first, opened by its summary; labels, annotations, sample lines, value.
      const store = openStore(join(server!.dir, 'store'), { workers: 0 });
      const { count } = await store.count(LOG_QUERY, { start: '2024-09-24T13:00:00.000000001Z', end: END });
      await store.close();
      expect(count).toBeGreaterThan(0);
      const details = rule(page, 'ShopErrors').locator('details.rule-alerts');
      expect(await details.locator('summary').textContent()).toBe('1 active alert');
      expect(await details.locator('.alert').isVisible()).toBe(false);
      await details.locator('summary').click();
      const alert = details.locator('.alert');
      expect(await alert.isVisible()).toBe(true);
      expect(await alert.getAttribute('data-state')).toBe('firing');
      expect(await alert.locator('.alert-labels .chip').allTextContents()).toEqual(['namespace=shop', 'severity=page', 'alertname=ShopErrors']);
      const apiAlert = groups[0]!.rules.find((r) => r.name === 'ShopErrors')!.alerts![0]!;
      expect(await alert.locator('.alert-value').textContent()).toBe(apiAlert.value);
      expect(Number(apiAlert.value)).toBe(count);
      const notes = await alert.locator('.alert-annotations').textContent();
      expect(notes).toContain(`summary${count} error lines in shop`);
      const sample = await alert.locator('.sample-lines').textContent();
      expect(sample).toBe(apiAlert.annotations['sample_lines']);
      expect(sample!.split('\n')).toHaveLength(3);
      for (const l of sample!.split('\n')) expect(l).toContain('error');
      expect(await alert.textContent()).toMatch(/active since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
      // Opened alerts stay open across a refresh.
      await page.locator('#rules-refresh').click();
      await expect.poll(() => page.locator('#rules').getAttribute('aria-busy')).toBeNull();
      expect(await rule(page, 'ShopErrors').locator('details.rule-alerts').getAttribute('open')).toBe('');
      expect(errors).toEqual([]);
      await page.close();
    });

    it('filters by state and name, and keeps the tab and state filter in the share link', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${server!.base}/#view=rules`);
      await expect.poll(() => shownRules(page), { timeout: 20_000 }).toHaveLength(4);
      expect(await page.locator('#rule-states button').allTextContents()).toEqual(['firing 1', 'pending 1', 'inactive 1']);
      await page.locator('#rule-states button[data-state="firing"]').click();
      expect(await shownRules(page)).toEqual(['ShopErrors']);
      await page.locator('#rule-states button[data-state="pending"]').click();
      expect(await shownRules(page)).toEqual(['ShopErrors', 'ShopErrorsForAnHour']);
      expect(decodeURIComponent(page.url())).toContain('rstates=firing,pending');
      // A new page on the link: the Rules view with the same filter.
      const again = await session!.browser.newPage({ viewport: { width: 1400, height: 900 } });
      await again.goto(page.url());
      await expect.poll(() => shownRules(again), { timeout: 20_000 }).toEqual(['ShopErrors', 'ShopErrorsForAnHour']);
      expect(await again.locator('#rule-states button[aria-pressed="true"]').evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset['state']))).toEqual(['firing', 'pending']);
      await again.close();
      // Off again; the name filter (case-insensitive) keeps recording rules too.
      await page.locator('#rule-states button[data-state="firing"]').click();
      await page.locator('#rule-states button[data-state="pending"]').click();
      expect(page.url()).not.toContain('rstates');
      await page.locator('#rule-filter').fill('SHOP:');
      expect(await shownRules(page)).toEqual(['shop:lines:3h']);
      await page.locator('#rule-filter').fill('nothing like it');
      expect(await page.locator('#rules').textContent()).toContain('No rule matches the filters.');
      await page.locator('#rule-filter').fill('');
      expect(await shownRules(page)).toHaveLength(4);
      // Back to the query view: the link says so.
      await page.locator('#view-query').click();
      expect(page.url()).not.toContain('view=rules');
      expect(await page.locator('#rules-view').isHidden()).toBe(true);
      await page.close();
    });

    it('reloads the rules every 15 s while the tab is shown, not while the query view is', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.clock.install();
      await page.goto(`${server!.base}/#view=rules`);
      await expect.poll(() => shownRules(page), { timeout: 20_000 }).toHaveLength(4);
      const loads = async () => Number(await page.locator('#rules').getAttribute('data-loads'));
      const before = await loads();
      await page.clock.runFor(15_000);
      await expect.poll(loads).toBe(before + 1);
      await page.locator('#view-query').click();
      await page.clock.runFor(60_000);
      await page.waitForTimeout(300);
      expect(await loads()).toBe(before + 1);
      await page.close();
    });

    it("opens the query view on a rule's log query, over its window up to the last evaluation's", async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${server!.base}/#view=rules`);
      await expect.poll(() => shownRules(page), { timeout: 20_000 }).toHaveLength(4);
      await waitForRun(page);
      const link = rule(page, 'ShopErrors').locator('a.rule-link');
      // The href is this page's own share link (it opens in a new tab too).
      const href = new URLSearchParams((await link.getAttribute('href'))!.replace(/^#/, ''));
      expect(Object.fromEntries(href)).toMatchObject({ q: LOG_QUERY, from: '2024-09-24T13:00:00Z', to: END, server: server!.base });
      await link.click();
      await expect.poll(() => page.locator('#layout').isVisible()).toBe(true);
      expect(await page.locator('#rules-view').isHidden()).toBe(true);
      await waitForRun(page);
      const s = await state(page);
      expect(s.query).toBe(LOG_QUERY);
      expect(s.range).toEqual({ kind: 'absolute', startMs: Date.parse('2024-09-24T13:00:00Z'), endMs: Date.parse(END) });
      expect(decodeURIComponent(page.url())).toContain(`from=2024-09-24T13:00:00Z&to=${END}`);
      const store = openStore(join(server!.dir, 'store'), { workers: 0 });
      const rows = await store.query(LOG_QUERY, { start: '2024-09-24T13:00:00Z', end: END, limit: 1000, direction: 'backward' });
      await store.close();
      expect(rows.numRows).toBeGreaterThan(0);
      await expect.poll(async () => (await state(page)).rows).toBe(rows.numRows);
      // The pending rule's link covers its `for` too; the recording rule's its window.
      await page.locator('#view-rules').click();
      const params = async (name: string) => Object.fromEntries(new URLSearchParams((await rule(page, name).locator('a.rule-link').getAttribute('href'))!.replace(/^#/, '')));
      await expect.poll(() => shownRules(page)).toHaveLength(4);
      expect(await params('ShopErrorsForAnHour')).toMatchObject({ q: LOG_QUERY, from: '2024-09-24T12:00:00Z', to: END });
      expect(await params('shop:lines:3h')).toMatchObject({ q: 'pod{namespace="shop"}', from: '2024-09-24T13:00:00Z', to: END });
      await page.close();
    });
  });

  describe('letheql serve without --rules', () => {
    let server: Served | undefined;
    beforeAll(async () => {
      server = await serve(() => []);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('says the server runs no rules', async () => {
      expect((await fetch(`${server!.base}/api/v1/rules`)).status).toBe(404);
      const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server!.base}/`);
      await expect.poll(async () => (await state(page)).source, { timeout: 20_000 }).toBe(server!.base);
      await page.locator('#view-rules').click();
      await expect.poll(() => page.locator('#rules').getAttribute('data-ruler')).toBe('none');
      expect(await page.locator('#rules').textContent()).toContain('This server runs no rules');
      expect(await page.locator('#rules tbody.rule').count()).toBe(0);
      await page.close();
    });
  });

  describe('letheql serve --rules with bearer tokens', () => {
    const TOKEN = 'viewer-rules-token-0123456789abcdef';
    let server: Served | undefined;
    beforeAll(async () => {
      server = await serve((dir) => {
        writeFileSync(join(dir, 'rules.yaml'), RULES);
        writeFileSync(join(dir, 'tokens'), `${TOKEN} read\n`);
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ auth: { tokenFile: join(dir, 'tokens') } }));
        return ['--rules', join(dir, 'rules.yaml'), '--config', join(dir, 'config.json')];
      });
      await evaluated(server.base, { authorization: `Bearer ${TOKEN}` });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('loads the rules with the token of the connect form', async () => {
      expect((await fetch(`${server!.base}/api/v1/rules`)).status).toBe(401);
      const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server!.base}/`);
      await page.locator('#connect').click();
      await page.locator('#server-url').fill(server!.base);
      await page.locator('#server-token').fill(TOKEN);
      await page.locator('#connect-go').click();
      await expect.poll(async () => (await state(page)).source, { timeout: 20_000 }).toBe(server!.base);
      await page.locator('#view-rules').click();
      await expect.poll(() => shownRules(page)).toEqual(['ShopErrors', 'ShopErrorsForAnHour', 'Broken', 'shop:lines:3h']);
      await page.close();
    });
  });
});
