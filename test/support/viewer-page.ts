/**
 * The built viewer (dist/viewer) for browser tests: a static route serving it, the page's
 * test hooks (`window.letheqlViewer`, viewer/src/main.ts), and small waits on its state.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { CHROMIUM, HAVE_CHROMIUM } from './chromium.js';

export const VIEWER = fileURLToPath(new URL('../../dist/viewer/', import.meta.url));
export const HAVE_VIEWER = existsSync(join(VIEWER, 'index.html'));
export const VIEWER_SKIP_REASON = !HAVE_CHROMIUM ? `needs ${CHROMIUM} (apt-get install chromium)` : `needs ${VIEWER}index.html (npx vite build --config viewer/vite.config.ts)`;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

/** Serves dist/viewer as a static site (the page is not on a letheql server). */
export function staticViewer(url: string): { type: string; body: Buffer } | null {
  const pathname = decodeURIComponent(new URL(url, 'http://x').pathname);
  const file = normalize(join(VIEWER, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
  if (!file.startsWith(VIEWER) || !existsSync(file)) return null;
  return { type: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) };
}

/** The page's test hooks (`window.letheqlViewer`, see viewer/src/main.ts). */
export interface ViewerHooks {
  loadSynthetic(rows: number): Promise<void>;
  state(): {
    query: string;
    range: { kind: 'relative'; span: string } | { kind: 'absolute'; startMs: number; endMs: number };
    rows: number;
    source: string | null;
    stats: { linesMatched: number } | null;
    loaded: number;
    levelsDone: boolean;
    runs: number;
  };
  openRow(i: number): number;
  toggleWrap(): number;
}

export const visibleRows = (page: Page) => page.locator('#rows .row:not([hidden])');
export const viewerState = (page: Page) => page.evaluate(() => (window as unknown as { letheqlViewer: ViewerHooks }).letheqlViewer.state());

/** Waits until no query runs. */
export async function waitForRun(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.body.hasAttribute('data-running'));
}
