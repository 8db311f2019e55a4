/**
 * `letheql ship`: copies a local store's closed hour files, and their sidecars, to a store
 * behind a {@link StorageDriver} (an `s3://` bucket and prefix), in the same layout.
 *
 * Invariants:
 * - **Closed hours only.** The current hour (and any later one: clocks differ) is still
 *   being written; it is shipped once it has ended (`isClosedHour`, the rule `letheql
 *   index` uses). A closed hour that changes later (a late line) is shipped again.
 * - **Exactly once, idempotent.** An object counts as shipped when its size and the
 *   SHA-256 of its content (kept as the object's user metadata `letheql-sha256`) equal the
 *   local file's. Every run checks: a local ledger (`<root>/.letheql/ship/<id>.json`) of
 *   what was verified — local size and mtime, content hash, object ETag — lets a run skip a
 *   file whose local size/mtime and listed object size/ETag are unchanged without re-reading
 *   it; anything else is hashed and compared with the object's metadata (one HEAD), and
 *   uploaded only when they differ.
 * - **Kill-safe.** An upload is one PutObject (with Content-MD5) or one multipart upload
 *   (parts with Content-MD5, then CompleteMultipartUpload): S3 makes the object visible
 *   whole or not at all, so a ship killed mid-upload leaves the old object or none, never a
 *   partial one, and the next run uploads the file again (a server that does keep a partial
 *   object is caught too: its size or hash does not match). The ledger is written after each
 *   verified upload, by rename, so it never claims more than is there.
 * - **Sidecar after its hour file**, so a reader never finds a sidecar whose file is not
 *   there yet. The hour file's object carries the local mtime (`letheql-mtime-ms`): a
 *   sidecar names its file by path, size and mtime, and the object store has no mtime of its
 *   own to match (`object-source.ts`). The sidecar's object carries the same mtime and the
 *   hour object's ETag (`letheql-file-etag`), so a reader matches it against the listing
 *   without a HEAD; an hour file shipped again gets its sidecar re-shipped with the new ETag.
 * - **One store per prefix.** Each object records the store it was shipped from
 *   (`letheql-origin`, the store's id from `<root>/.letheql/store-id` (`layout.ts`), apart from the ledger
 *   so that deleting the ledger does not change it). Two nodes'
 *   stores both hold `pod/<ns>/<hour>.log`; shipped to one prefix they would overwrite each
 *   other's objects, back and forth on every run. A ship that finds an object of its key from
 *   another store stops with a conflict error instead.
 * - **`deleteAfterUpload`** removes a local hour file (and its sidecar) only after the
 *   object (and the sidecar's) is verified in the store.
 * - Ship never takes the store's writer lock: it reads closed hours only, so it runs beside
 *   `collect` and `serve`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LetheQLError } from '../errors.js';
import type { LogType } from '../model.js';
import { type ObjectInfo, type StorageDriver } from '../store/driver.js';
import { FILE_ETAG_METADATA, MTIME_METADATA, SHA256_METADATA } from '../store/object-source.js';

/** Metadata name under which `ship` records the id of the store an object was shipped from. */
export const ORIGIN_METADATA = 'letheql-origin';
import { isSafeName, storePath } from '../store/paths.js';
import { decodeSummaryFiles, encodeIndexSummary, summaryPath, type SummaryEntry } from '../store/index-summary.js';
import { sidecarDir, sidecarPath, type FileFilter } from '../store/sidecar.js';
import { storeId } from './layout.js';
import { nowNs as wallClockNs } from '../time.js';
import { isClosedHour } from './sidecar-files.js';

const LOG_TYPES: LogType[] = ['pod', 'node'];

/** What happened to one file. */
export type ShipOutcome = 'uploaded' | 'present' | 'deleted';

/** Totals of one {@link shipStore} run. */
export interface ShipReport {
  /** Hour files and sidecars uploaded. */
  uploaded: number;
  /** Already in the store (size and hash equal): not uploaded again. */
  present: number;
  /** Bytes uploaded. */
  bytesUploaded: number;
  /** Local hour files deleted after upload (`deleteAfterUpload`). */
  deleted: number;
  /** Hour files not shipped: their hour has not ended. */
  open: number;
  /** Target summaries uploaded (changed since the last run). */
  summaries: number;
}

/** Options of {@link shipStore}. */
export interface ShipOptions {
  /** The clock (ns): hours ending after it are open and not shipped. Default: now. */
  nowNs?: bigint;
  /** Delete each local hour file (and its sidecar) once its object is verified. */
  deleteAfterUpload?: boolean;
  /** Called before an upload starts (`uploading`) and after each file's outcome. */
  onFile?: (path: string, outcome: ShipOutcome | 'uploading', bytes: number) => void;
  signal?: AbortSignal;
}

interface LedgerEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
  etag: string;
  /** The user metadata shipped besides hash and origin. */
  extra?: Record<string, string>;
}

interface Ledger {
  destination: string;
  files: Record<string, LedgerEntry>;
}

/** SHA-256 (hex) of a file's first `size` bytes. */
async function hashFile(path: string, size: number): Promise<string> {
  const h = createHash('sha256');
  if (size > 0) for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) h.update(chunk as Uint8Array);
  return h.digest('hex');
}

/** Local directory entries that are safe names; `[]` when the directory is missing. */
async function names(dir: string, kind: 'dir' | 'file'): Promise<string[]> {
  try {
    const ents = await readdir(dir, { withFileTypes: true });
    return ents
      .filter((e) => isSafeName(e.name) && (kind === 'dir' ? e.isDirectory() : e.isFile()))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR') return [];
    throw e;
  }
}

/**
 * Ships the closed hours of the store at `root` to `driver` (see the note at the top).
 * Throws `STORE_NOT_FOUND` when `root` is not a directory; driver failures (no bucket,
 * credentials) as {@link DriverError}s.
 */
export async function shipStore(root: string, driver: StorageDriver, opts: ShipOptions = {}): Promise<ShipReport> {
  if (!driver.put) throw new LetheQLError('INVALID_OPTION', `${driver.description} cannot be written to`);
  const abs = resolve(root);
  const st = await stat(abs).catch(() => null);
  if (!st?.isDirectory()) throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${abs} (no such directory)`);
  // The destination first (bucket, credentials): a run that cannot ship writes nothing locally either.
  await driver.check?.();
  const now = opts.nowNs ?? wallClockNs();
  const report: ShipReport = { uploaded: 0, present: 0, bytesUploaded: 0, deleted: 0, open: 0, summaries: 0 };

  const ledgerDir = join(abs, '.letheql', 'ship');
  const ledgerPath = join(ledgerDir, `${createHash('sha256').update(driver.description).digest('hex').slice(0, 16)}.json`);
  let ledger: Ledger = { destination: driver.description, files: {} };
  try {
    const old = JSON.parse(await readFile(ledgerPath, 'utf8')) as Ledger;
    if (old.destination === driver.description && typeof old.files === 'object' && old.files !== null) ledger = old;
  } catch {
    /* no ledger yet, or a torn one: every file is verified against the store */
  }
  const origin = await storeId(abs);
  const saveLedger = async (): Promise<void> => {
    await mkdir(ledgerDir, { recursive: true });
    const tmp = `${ledgerPath}.tmp${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, JSON.stringify(ledger));
    await rename(tmp, ledgerPath);
  };

  /**
   * Ships one local file to `key` with the user metadata `extra` (besides hash and origin);
   * resolves the object's ETag once it is verified (uploaded, or present with the same
   * content and `extra`), null when the local file is gone.
   */
  const shipFile = async (local: string, key: string, listed: ObjectInfo | undefined, extra: (s: { mtimeMs: number; size: number }) => Record<string, string>): Promise<string | null> => {
    opts.signal?.throwIfAborted();
    const s = await stat(local).catch(() => null);
    if (!s?.isFile()) return null;
    const want = extra(s);
    const sameExtra = (m: Record<string, string> | undefined): boolean => m !== undefined && Object.entries(want).every(([k, v]) => m[k] === v);
    const known = ledger.files[key];
    if (known && listed && known.size === s.size && known.mtimeMs === s.mtimeMs && listed.size === s.size && listed.etag === known.etag && sameExtra(known.extra)) {
      report.present++;
      opts.onFile?.(key, 'present', s.size);
      return known.etag;
    }
    const sha256 = await hashFile(local, s.size);
    if (listed) {
      const head = await driver.stat(key);
      const from = head?.metadata[ORIGIN_METADATA];
      if (from !== undefined && from !== origin) {
        throw new LetheQLError('INVALID_OPTION', `conflict: ${driver.description}/${key} was shipped from another store (${from}; this one is ${origin}): ship each store to its own prefix, e.g. ${driver.description}/<node>`);
      }
      if (head && head.size === s.size && head.metadata[SHA256_METADATA] === sha256 && sameExtra(head.metadata)) {
        ledger.files[key] = { size: s.size, mtimeMs: s.mtimeMs, sha256, etag: head.etag, extra: want };
        await saveLedger();
        report.present++;
        opts.onFile?.(key, 'present', s.size);
        return head.etag;
      }
    }
    opts.onFile?.(key, 'uploading', s.size);
    const fh = await open(local, 'r');
    try {
      const metadata: Record<string, string> = { ...want, [SHA256_METADATA]: sha256, [ORIGIN_METADATA]: origin };
      await driver.put!(key, {
        size: s.size,
        metadata,
        read: async (start, end) => {
          const buf = new Uint8Array(end - start);
          let n = 0;
          while (n < buf.length) {
            const { bytesRead } = await fh.read(buf, n, buf.length - n, start + n);
            if (bytesRead === 0) throw new LetheQLError('IO_ERROR', `${local} shrank while being shipped`);
            n += bytesRead;
          }
          return buf;
        },
      });
    } finally {
      await fh.close();
    }
    const head = await driver.stat(key);
    if (!head || head.size !== s.size || head.metadata[SHA256_METADATA] !== sha256) {
      throw new LetheQLError('IO_ERROR', `${driver.description}/${key}: the uploaded object does not match the local file (size ${head?.size ?? 'none'} of ${s.size})`);
    }
    // A file that changed while it was read is left out of the ledger: the next run ships it again.
    const after = await stat(local).catch(() => null);
    if (after && after.size === s.size && after.mtimeMs === s.mtimeMs) {
      ledger.files[key] = { size: s.size, mtimeMs: s.mtimeMs, sha256, etag: head.etag, extra: want };
      await saveLedger();
    }
    report.uploaded++;
    report.bytesUploaded += s.size;
    opts.onFile?.(key, 'uploaded', s.size);
    return head.etag;
  };

  /**
   * Uploads the target's summary for the object store: the local summary's entries of the
   * hour files verified in this run (same size and mtime as shipped), each naming its hour
   * object's ETag, with the entries of the store's previous summary whose objects are still
   * listed unchanged (hour files deleted locally after an earlier upload). Uploaded only when
   * its bytes changed. Readers check each entry against the listed ETag (`index-summary.ts`).
   */
  const shipSummary = async (logType: LogType, target: string, shipped: Map<string, { etag: string; size: number; mtimeMs: number }>, listed: Map<string, ObjectInfo>): Promise<void> => {
    const key = summaryPath(logType, target);
    const entries = new Map<string, { entry: SummaryEntry; filter: FileFilter }>();
    const remote = listed.has(key) ? await driver.get(key) : null;
    if (remote) {
      const d = decodeSummaryFiles(remote.bytes);
      if (Array.isArray(d)) {
        for (const f of d) {
          const o = listed.get(storePath(logType, target, f.entry.name));
          if (f.entry.etag !== undefined && o && o.etag === f.entry.etag && o.size === f.entry.size) entries.set(f.entry.name, f);
        }
      }
    }
    const local = await readFile(join(abs, key)).catch(() => null);
    if (local) {
      const d = decodeSummaryFiles(new Uint8Array(local));
      if (Array.isArray(d)) {
        for (const f of d) {
          const sh = shipped.get(f.entry.name);
          if (sh && sh.size === f.entry.size && sh.mtimeMs === f.entry.mtimeMs) entries.set(f.entry.name, { entry: { ...f.entry, etag: sh.etag }, filter: f.filter });
        }
      }
    }
    if (entries.size === 0) return;
    const bytes = encodeIndexSummary([...entries.values()].sort((a, b) => (a.entry.name < b.entry.name ? -1 : 1)));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (remote && remote.bytes.length === bytes.length && remote.head.metadata[SHA256_METADATA] === sha256) return;
    opts.signal?.throwIfAborted();
    await driver.put!(key, { size: bytes.length, metadata: { [SHA256_METADATA]: sha256, [ORIGIN_METADATA]: origin }, read: async (start, end) => bytes.slice(start, end) });
    report.summaries++;
    report.bytesUploaded += bytes.length;
  };

  for (const logType of LOG_TYPES) {
    for (const target of await names(join(abs, logType), 'dir')) {
      const files = await names(join(abs, logType, target), 'file');
      const closed = files.filter((n) => isClosedHour(n, now));
      report.open += files.length - closed.length;
      if (closed.length === 0) continue;
      const [remote, remoteIdx, localIdx] = await Promise.all([
        driver.listDir(`${logType}/${target}/`),
        driver.listDir(`${sidecarDir(logType, target)}/`),
        names(join(abs, sidecarDir(logType, target)), 'file'),
      ]);
      const listed = new Map([...remote.files, ...remoteIdx.files].map((o) => [o.key, o]));
      const hasIdx = new Set(localIdx);
      const shipped = new Map<string, { etag: string; size: number; mtimeMs: number }>();
      for (const name of closed) {
        const key = storePath(logType, target, name);
        let mtimeMs = 0;
        let size = 0;
        const etag = await shipFile(join(abs, key), key, listed.get(key), (s) => ((mtimeMs = s.mtimeMs), (size = s.size), { [MTIME_METADATA]: String(s.mtimeMs) }));
        if (etag === null) continue;
        shipped.set(name, { etag, size, mtimeMs });
        // The sidecar names the object it describes (ETag, mtime): readers check its identity
        // against the listing, with no HEAD of the hour file (object-source.ts).
        const idxKey = sidecarPath(logType, target, name);
        const idxOk = hasIdx.has(`${name}.idx`) ? (await shipFile(join(abs, idxKey), idxKey, listed.get(idxKey), () => ({ [FILE_ETAG_METADATA]: etag, [MTIME_METADATA]: String(mtimeMs) }))) !== null : true;
        if (opts.deleteAfterUpload && idxOk) {
          await rm(join(abs, idxKey), { force: true });
          await rm(join(abs, key), { force: true });
          delete ledger.files[key];
          delete ledger.files[idxKey];
          await saveLedger();
          report.deleted++;
          opts.onFile?.(key, 'deleted', 0);
        }
      }
      await shipSummary(logType, target, shipped, listed);
    }
  }
  return report;
}
