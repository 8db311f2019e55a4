/**
 * A small store written inline, for the Loki-dialect, limits and auth tests, and
 * {@link serveFixture}, which writes it to a temporary directory and serves it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type LogStore } from '../../src/node.js';
import { parseRfc3339 } from '../../src/time.js';
import { start, tempDir, type Running } from './helpers.js';

export const NOW = '2024-09-24T16:00:00Z';
export const ns = (rfc3339: string): string => String(parseRfc3339(rfc3339)!);

export const FILES: Record<string, string> = {
  'pod/shop/2024-09-24_15.log': [
    '2024-09-24T15:00:01.000000Z[shop|api-1|app] GET /cart 200',
    '2024-09-24T15:00:02.000000Z[shop|api-1|app] POST /cart 500 error',
    '2024-09-24T15:00:03.000000Z[shop|web-1|nginx] GET / 200',
    '2024-09-24T15:30:00.000000Z[shop|api-1|istio] healthz',
    '',
  ].join('\n'),
  'pod/default/2024-09-24_15.log': '2024-09-24T15:10:00.000000Z[default|db-0|postgres] checkpoint error\n',
  'node/node-a/2024-09-24_15.log': '2024-09-24T15:05:00.000000Z[node-a|kubelet] OOM killed\n2024-09-24T15:06:00.000000Z[node-a|containerd] started\n',
};

/** Writes {@link FILES} under `dir`. */
export function writeFixture(dir: string, files: Record<string, string> = FILES): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/** A server over the fixture store; `close()` stops it, closes the store and removes the directory. */
export interface FixtureServer extends Running {
  store: LogStore;
  dir: string;
}

/**
 * Writes {@link FILES} to a temporary directory, opens it (in-thread scans) and serves it
 * with `options` (`storeDir: true` also tells the server where the store lives).
 */
export async function serveFixture(options: Omit<Parameters<typeof start>[0], 'store' | 'storeDir'> & { storeDir?: boolean }): Promise<FixtureServer> {
  const tmp = tempDir();
  writeFixture(tmp.dir);
  const store = openStore(tmp.dir, { workers: 0 });
  const { storeDir, ...rest } = options;
  const srv = await start({ ...rest, store, ...(storeDir ? { storeDir: tmp.dir } : {}) });
  const stop = srv.close;
  // Assigned onto `srv`, not spread: `logs` is a getter that must stay live.
  return Object.assign(srv, {
    store,
    dir: tmp.dir,
    close: async () => {
      await stop();
      await store.close();
      tmp.cleanup();
    },
  });
}
