/**
 * Opening stores in Node: {@link openStore} (one directory) and {@link openStoreSet} (one
 * directory per cluster), each a {@link LogStore} over filesystem chunk sources with a pool
 * of scan worker threads. Re-exported by the Node entry (`node.ts`).
 *
 * Apart from `node.ts` so that a program that only queries (the CLI's `query`) imports the
 * openers without the write path that the Node entry also exports: bundles keep the two
 * apart, and a query's start-up never loads the writer, ingest or the collector.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LogStore } from './api.js';
import { LetheQLError } from './errors.js';
import { createNodeScanPool, SCAN_WORKER_BUNDLE, type ScanPoolOptions } from './exec/node-pool.js';
import { checkClusterName, FederatedChunkSource } from './store/federated-source.js';
import { FsChunkSource } from './store/fs-source.js';

/** Options of {@link openStore}: parallel scanning (`workers`, default `min(4, cores)`; `0` = in-thread). */
export type OpenStoreOptions = ScanPoolOptions;

/**
 * Opens the Lethe store rooted at `dir` (the folder holding `pod/` and `node/`).
 * Throws `STORE_NOT_FOUND` when `dir` is not a directory, `INVALID_OPTION` on bad options.
 * Big queries scan on worker threads (started on first use); `store.close()` stops them.
 */
export function openStore(dir: string, options: OpenStoreOptions = {}): LogStore {
  const root = checkStoreDir(dir, '');
  const pool = createNodeScanPool(SCAN_WORKER_BUNDLE, options);
  return new LogStore(new FsChunkSource(root), { pool });
}

/** The absolute path of `dir`; throws `STORE_NOT_FOUND` (naming `what`, e.g. `for cluster "a"`) when it is not a directory. */
function checkStoreDir(dir: string, what: string): string {
  const root = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new LetheQLError('STORE_NOT_FOUND', `store not found${what}: ${root} (no such directory)`);
  }
  if (!isDir) throw new LetheQLError('STORE_NOT_FOUND', `store not found${what}: ${root} is not a directory`);
  return root;
}

/**
 * Opens a store set: several Lethe stores, one per cluster (`{ "cluster-a": dirA, … }`),
 * queried as one. Selectors may use the label `cluster` (`pod{cluster="cluster-a",
 * namespace="x"}`; `= != =~ !~`, regexes anchored); results have a `cluster` column right
 * after `time`; ties in time keep store order, clusters in name order first; paths in
 * statistics read `cluster-a:pod/x/2024-09-24_13.log`. Workers scan store sets as they scan
 * one store.
 *
 * Throws `INVALID_OPTION` for no cluster or an invalid cluster name (empty, or with `/`,
 * `|`, `[`, `]` or a control character), `STORE_NOT_FOUND` naming the cluster whose directory
 * is missing.
 */
export function openStoreSet(dirs: Readonly<Record<string, string>>, options: OpenStoreOptions = {}): LogStore {
  if (typeof dirs !== 'object' || dirs === null || Array.isArray(dirs)) {
    throw new LetheQLError('INVALID_OPTION', 'a store set is an object of cluster name → store directory');
  }
  const entries = Object.entries(dirs);
  for (const [cluster, dir] of entries) {
    checkClusterName(cluster);
    if (typeof dir !== 'string' || dir === '') throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(cluster)}: expected a store directory, got ${JSON.stringify(dir)}`);
  }
  const source = new FederatedChunkSource(entries.map(([cluster, dir]) => [cluster, new FsChunkSource(checkStoreDir(dir, ` for cluster ${JSON.stringify(cluster)}`))] as const));
  const pool = createNodeScanPool(SCAN_WORKER_BUNDLE, options);
  return new LogStore(source, { pool });
}

