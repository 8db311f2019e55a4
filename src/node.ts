/**
 * The Node entry point: the core plus a filesystem chunk source, scan worker threads and
 * the write path (writer, ingest, collector, retention).
 *
 * @example
 * import { openStore } from 'letheql';
 * const store = openStore('/var/lib/lethe');
 * const table = await store.query('pod{namespace="default"} |= "error"', { since: '1h' });
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LogStore } from './api.js';
import { LetheQLError } from './errors.js';
import { createNodeScanPool, type ScanPoolOptions } from './exec/node-pool.js';
import { FsChunkSource } from './store/fs-source.js';

/** The scan-worker bundle; the same file from `src/node.ts` (tests) and `dist/node.js` (the package). */
const SCAN_WORKER = new URL('../dist/scan-worker.js', import.meta.url);

/** Options of {@link openStore}: parallel scanning (`workers`, default `min(4, cores)`; `0` = in-thread). */
export type OpenStoreOptions = ScanPoolOptions;

export * from './core.js';
export { FsChunkSource } from './store/fs-source.js';

/**
 * Opens the Lethe store rooted at `dir` (the folder holding `pod/` and `node/`).
 * Throws `STORE_NOT_FOUND` when `dir` is not a directory, `INVALID_OPTION` on bad options.
 * Big queries scan on worker threads (started on first use); `store.close()` stops them.
 */
export function openStore(dir: string, options: OpenStoreOptions = {}): LogStore {
  const root = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${root} (no such directory)`);
  }
  if (!isDir) throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${root} is not a directory`);
  const pool = createNodeScanPool(SCAN_WORKER, options);
  return new LogStore(new FsChunkSource(root), { pool });
}

// ---- Write path (issue 5): store writer, ingest, collector, retention ----
export * from './write/index.js';
