/**
 * Where the write path keeps its own files inside a store, and small filesystem helpers
 * shared by the writer, the collector and retention. Node-only.
 *
 * ```
 * <store>/pod/<namespace>/YYYY-MM-DD_HH.log      log files (contract §1)
 * <store>/node/<node>/YYYY-MM-DD_HH.log
 * <store>/.letheql/writer.lock                   one writer per store: {"pid","host","since"}
 * <store>/.letheql/quarantine/<path>.<stamp>     bytes cut from torn last lines, never dropped
 * <store>/.letheql/collector.json                collector checkpoints (default location)
 * <store>/.letheql/store-id                      the store's random id: prefixes published Nats-Msg-Ids
 *                                                (publish.ts), marks shipped objects' origin (ship.ts)
 * <store>/.letheql/ship/<dest>.json              ship's ledger per destination (ship.ts)
 * ```
 * The hidden `.letheql/` directory sits beside `pod/` and `node/`; queries never read it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const META_DIR = '.letheql';
export const LOCK_FILE = 'writer.lock';
export const QUARANTINE_DIR = 'quarantine';
export const COLLECTOR_CHECKPOINT = 'collector.json';

export function metaDir(root: string): string {
  return join(root, META_DIR);
}

export function quarantineRoot(root: string): string {
  return join(root, META_DIR, QUARANTINE_DIR);
}

/** Default collector checkpoint file of a store. */
export function defaultCheckpointPath(root: string): string {
  return join(root, META_DIR, COLLECTOR_CHECKPOINT);
}

/** The errno code of a Node error, if any. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * fsyncs a directory so that entries created or renamed in it survive a power loss.
 * Some filesystems refuse fsync on a directory (EINVAL, EISDIR); that is not an error there.
 */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw err;
  } finally {
    await fh.close();
  }
}

/** A compact UTC stamp for file names: `20240924T150001.123Z`. */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

/**
 * The store's identity (`.letheql/store-id`, a random UUID made on first use and kept): the
 * prefix of every published `Nats-Msg-Id`, so equal file names of two stores are two
 * messages, and the origin that `ship` stamps on objects, so two stores never overwrite each
 * other's objects under one prefix. Written to a temporary file, synced, then renamed.
 */
export async function storeId(root: string): Promise<string> {
  const path = join(metaDir(root), 'store-id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  await mkdir(metaDir(root), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(id + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(metaDir(root));
  return id;
}
