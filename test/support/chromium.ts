/**
 * Real-browser tests: Debian's Chromium (or `LETHEQL_CHROMIUM`), driven by playwright-core
 * (never a downloaded browser), loading pages from a throwaway HTTP server on 127.0.0.1.
 * Also how a store's files travel into a page: as latin1 strings, which the page turns back
 * into exact bytes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env['LETHEQL_CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** A response of the page server. */
export interface Served {
  type: string;
  body: string | Buffer;
}

/** A running page server and the browser that loads from it. */
export interface BrowserSession {
  /** The server's origin, `http://127.0.0.1:port`. */
  base: string;
  browser: Browser;
  /** Closes the browser, then the server. */
  close(): Promise<void>;
}

/**
 * Starts a server answering each request with `route(url)` (404 for null) and launches
 * headless Chromium.
 */
export async function openBrowser(route: (url: string) => Served | null): Promise<BrowserSession> {
  const server = createServer((req, res) => {
    const served = route(req.url ?? '/');
    if (served === null) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    } else {
      res.writeHead(200, { 'content-type': served.type });
      res.end(served.body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const closeServer = (): Promise<void> => new Promise((r) => server.close(() => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return {
      base,
      browser,
      close: async () => {
        await browser.close();
        await closeServer();
      },
    };
  } catch (e) {
    await closeServer();
    throw e;
  }
}

/** A store's files by relative path, each as a latin1 string (one char per byte). */
export function storeFiles(root: string): Record<string, string> {
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
