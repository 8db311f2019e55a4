/**
 * A {@link ChunkSource} over any {@link StorageDriver}: the Lethe layout (`pod/<ns>/<hour>.log`,
 * `node/<node>/<hour>.log`, `.letheql/index/…` sidecars) under a driver's root, read with
 * ranged reads of fixed-size pages through an optional page cache.
 *
 * - Listing: one delimited listing per log type (targets) and per target (files, with size
 *   and ETag). The ETag seen in the listing pins the version a query reads: every ranged
 *   read names it, so an object replaced mid-query fails loudly instead of mixing versions.
 * - Reads: a file is cut into pages of `pageBytes` (1 MiB, the kernel's block size), each
 *   one ranged read. Sequential reads start the next `readAhead` pages early, so several
 *   reads are in flight while the kernel scans; a read that skips (sidecar runs) fetches
 *   only the pages it touches.
 * - Cache: pages, sidecars and the hour files' shipped mtimes are immutable per ETag, so a
 *   {@link PageCache} keyed by (store, key, ETag, page) never serves stale bytes; the disk
 *   cache lives on the Node side (`platform/node/page-cache.ts`).
 * - Sidecars: an object store has no mtime of the hour file that a sidecar's identity
 *   names, so `letheql ship` stores it as user metadata (`letheql-mtime-ms`) on the hour
 *   file's object, and on the sidecar's object with the hour object's ETag
 *   (`letheql-file-etag`). When that ETag is the listed one, the sidecar's metadata gives the
 *   identity with no request; otherwise one HEAD of the hour object does, and without the
 *   metadata the object's upload time stands in (a sidecar built elsewhere is then ignored as
 *   stale, never trusted).
 *
 * This module is platform-neutral (no `node:` imports): the browser could read S3 through it
 * with a fetch-based driver.
 */
import { InternalError } from '../errors.js';
import type { LogType } from '../model.js';
import { type ObjectHead, type ObjectInfo, type StorageDriver } from './driver.js';
import { assertLogType, assertStoreName, isSafeName } from './paths.js';
import { summaryPath } from './index-summary.js';
import { SIDECAR_SUFFIX, sidecarDir, sidecarPath } from './sidecar.js';
import type { ChunkReader, ChunkSource, FileEntry, IndexFile, SidecarBytes } from './types.js';

/** Metadata name under which `ship` keeps an hour file's local mtime (ms, decimal). */
export const MTIME_METADATA = 'letheql-mtime-ms';
/** Metadata name under which `ship` keeps, on a sidecar's object, the ETag of the hour file's object it describes. */
export const FILE_ETAG_METADATA = 'letheql-file-etag';
/** Metadata name under which `ship` keeps the SHA-256 (hex) of an object's content. */
export const SHA256_METADATA = 'letheql-sha256';

/** A cache of immutable byte strings (pages, sidecars) by key; misses are null. Implementations bound their size. */
export interface PageCache {
  get(key: string): Promise<Uint8Array | null>;
  /** Stores `bytes` under `key`; may drop it (or older entries) to stay within its bound. */
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** Requests an {@link ObjectChunkSource} made, for statistics and cost measurements. */
export interface ObjectSourceCounters {
  /** Listing requests (one per directory listed, more for long listings' pages counted by the driver as one). */
  lists: number;
  /** Stat (HEAD) requests. */
  heads: number;
  /** GET requests (ranged or whole). */
  gets: number;
  /** Bytes fetched by those GETs. */
  bytesFetched: number;
  /** Pages, sidecars and heads served by the cache. */
  cacheHits: number;
}

/** Options of {@link ObjectChunkSource}. */
export interface ObjectSourceOptions {
  /** Bytes per ranged read (default 1 MiB). */
  pageBytes?: number;
  /** Pages fetched ahead of a sequential reader (default 4). */
  readAhead?: number;
  cache?: PageCache;
}

export const DEFAULT_PAGE_BYTES = 1 << 20;
export const DEFAULT_READ_AHEAD = 4;

function notFound(what: string): Error {
  // The executors treat ENOENT on open as a file that vanished after planning (retention).
  return Object.assign(new Error(`no such object: ${what}`), { code: 'ENOENT' });
}

/** A store read through a {@link StorageDriver}; see the note at the top. */
export class ObjectChunkSource implements ChunkSource {
  readonly description: string;
  readonly counters: ObjectSourceCounters = { lists: 0, heads: 0, gets: 0, bytesFetched: 0, cacheHits: 0 };
  readonly #driver: StorageDriver;
  readonly #pageBytes: number;
  readonly #readAhead: number;
  readonly #cache: PageCache | undefined;
  /** The ETag and size of every file listed so far, by key: `open` then needs no stat. */
  readonly #listed = new Map<string, ObjectInfo>();

  constructor(driver: StorageDriver, options: ObjectSourceOptions = {}) {
    this.#driver = driver;
    this.description = driver.description;
    this.#pageBytes = Math.max(1, Math.floor(options.pageBytes ?? DEFAULT_PAGE_BYTES));
    this.#readAhead = Math.max(0, Math.floor(options.readAhead ?? DEFAULT_READ_AHEAD));
    this.#cache = options.cache;
  }

  /** The driver underneath (ship and retention write through it). */
  get driver(): StorageDriver {
    return this.#driver;
  }

  async listTargets(logType: LogType): Promise<string[]> {
    assertLogType(logType);
    this.counters.lists++;
    return (await this.#driver.listDir(`${logType}/`)).dirs.filter(isSafeName);
  }

  async listFiles(logType: LogType, target: string, select?: (name: string) => boolean): Promise<FileEntry[]> {
    assertStoreName(logType, target);
    this.counters.lists++;
    const dir = `${logType}/${target}/`;
    const out: FileEntry[] = [];
    for (const f of (await this.#driver.listDir(dir)).files) {
      const name = f.key.slice(dir.length);
      if (!isSafeName(name) || (select && !select(name))) continue;
      this.#listed.set(f.key, f);
      out.push({ name, size: f.size, etag: f.etag });
    }
    return out;
  }

  async open(logType: LogType, target: string, name: string): Promise<ChunkReader> {
    assertStoreName(logType, target, name);
    const key = `${logType}/${target}/${name}`;
    let info: ObjectInfo | null | undefined = this.#listed.get(key);
    if (!info) {
      this.counters.heads++;
      info = await this.#driver.stat(key);
      if (!info) throw notFound(`${this.description}/${key}`);
      this.#listed.set(key, info);
    }
    return new ObjectReader(this, key, info);
  }

  /**
   * The target's summary (`index-summary.ts`) as `letheql ship` uploaded it (entries name
   * their hour objects' ETags), read whole — through the page cache, keyed by its listed
   * ETag — or null when there is none. One LIST of the sidecar prefix and at most one GET per
   * target, where the per-file path costs a GET per sidecar on a cold cache.
   */
  async openIndexSummary(logType: LogType, target: string): Promise<IndexFile | null> {
    assertStoreName(logType, target);
    const key = summaryPath(logType, target);
    this.counters.lists++;
    const dir = `${sidecarDir(logType, target)}/`;
    // Every key of the listing is kept: the sidecars a query then opens are read through the
    // cache by their listed ETag, with no second LIST of the prefix.
    for (const f of (await this.#driver.listDir(dir)).files) this.#listed.set(f.key, f);
    if (!this.#listed.has(key)) return null;
    const got = await this.#sidecar(key);
    if (got === null) return null;
    const bytes = got.bytes;
    return {
      size: bytes.length,
      read: async (position, length) => bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length)),
      close: async () => undefined,
    };
  }

  async listSidecars(logType: LogType, target: string): Promise<Set<string>> {
    assertStoreName(logType, target);
    this.counters.lists++;
    const dir = `${sidecarDir(logType, target)}/`;
    const names = new Set<string>();
    for (const f of (await this.#driver.listDir(dir)).files) {
      const n = f.key.slice(dir.length);
      if (!n.endsWith(SIDECAR_SUFFIX)) continue;
      this.#listed.set(f.key, f);
      names.add(n.slice(0, -SIDECAR_SUFFIX.length));
    }
    return names;
  }

  async readSidecar(logType: LogType, target: string, name: string): Promise<SidecarBytes | null> {
    assertStoreName(logType, target, name);
    const hourKey = `${logType}/${target}/${name}`;
    const sidecar = await this.#sidecar(sidecarPath(logType, target, name));
    if (sidecar === null) return null;
    // Shipped sidecars name their hour object's ETag and mtime: checked against the listing, no HEAD.
    const hour = this.#listed.get(hourKey);
    const mtime = Number(sidecar.metadata[MTIME_METADATA]);
    if (hour && sidecar.metadata[FILE_ETAG_METADATA] === hour.etag && sidecar.metadata[MTIME_METADATA] !== undefined && Number.isFinite(mtime)) {
      return { bytes: sidecar.bytes, fileSize: hour.size, fileMtimeMs: mtime };
    }
    const head = await this.#hourHead(hourKey);
    if (head === null) return null;
    return { bytes: sidecar.bytes, fileSize: head.size, fileMtimeMs: head.mtimeMs };
  }

  /** A sidecar's bytes and metadata: from the cache when its listed ETag is cached, else one GET. */
  async #sidecar(key: string): Promise<{ bytes: Uint8Array; metadata: Record<string, string> } | null> {
    const listed = this.#listed.get(key);
    if (listed && this.#cache) {
      const [bytes, meta] = await Promise.all([this.#cache.get(this.#cacheKey(key, listed.etag, 'idx')), this.#cache.get(this.#cacheKey(key, listed.etag, 'idx-meta'))]);
      if (bytes && meta) {
        this.counters.cacheHits++;
        return { bytes, metadata: JSON.parse(new TextDecoder().decode(meta)) as Record<string, string> };
      }
    }
    this.counters.gets++;
    const got = await this.#driver.get(key);
    if (!got) return null;
    this.counters.bytesFetched += got.bytes.length;
    if (this.#cache) {
      await this.#cache.put(this.#cacheKey(key, got.head.etag, 'idx'), got.bytes);
      await this.#cache.put(this.#cacheKey(key, got.head.etag, 'idx-meta'), new TextEncoder().encode(JSON.stringify(got.head.metadata)));
    }
    return { bytes: got.bytes, metadata: got.head.metadata };
  }

  /** An hour file's size and shipped mtime (see the note at the top); cached by its listed ETag. */
  async #hourHead(key: string): Promise<{ size: number; mtimeMs: number } | null> {
    const listed = this.#listed.get(key);
    const ck = listed ? this.#cacheKey(key, listed.etag, 'head') : null;
    if (ck !== null && this.#cache) {
      const hit = await this.#cache.get(ck);
      if (hit) {
        this.counters.cacheHits++;
        return JSON.parse(new TextDecoder().decode(hit)) as { size: number; mtimeMs: number };
      }
    }
    this.counters.heads++;
    const head: ObjectHead | null = await this.#driver.stat(key);
    if (!head) return null;
    const shipped = Number(head.metadata[MTIME_METADATA]);
    const out = { size: head.size, mtimeMs: Number.isFinite(shipped) && head.metadata[MTIME_METADATA] !== undefined ? shipped : head.lastModifiedMs };
    if (this.#cache) await this.#cache.put(this.#cacheKey(key, head.etag, 'head'), new TextEncoder().encode(JSON.stringify(out)));
    return out;
  }

  #cacheKey(key: string, etag: string, part: string | number): string {
    return `${this.description}\n${key}\n${etag}\n${part}\n${this.#pageBytes}`;
  }

  /** One page of an object: cache, else a ranged read (counted), then into the cache. */
  async fetchPage(key: string, info: ObjectInfo, page: number): Promise<Uint8Array> {
    const ck = this.#cache ? this.#cacheKey(key, info.etag, page) : '';
    if (this.#cache) {
      const hit = await this.#cache.get(ck);
      if (hit) {
        this.counters.cacheHits++;
        return hit;
      }
    }
    const offset = page * this.#pageBytes;
    this.counters.gets++;
    const bytes = await this.#driver.read(key, offset, Math.min(this.#pageBytes, info.size - offset), info.etag);
    this.counters.bytesFetched += bytes.length;
    if (this.#cache) await this.#cache.put(ck, bytes);
    return bytes;
  }

  get pageBytes(): number {
    return this.#pageBytes;
  }

  get readAhead(): number {
    return this.#readAhead;
  }
}

/** Positional reads of one object version through its pages; see {@link ObjectChunkSource}. */
class ObjectReader implements ChunkReader {
  readonly size: number;
  readonly #source: ObjectChunkSource;
  readonly #key: string;
  readonly #info: ObjectInfo;
  /** Pages fetched or in flight, by index; kept small (the current page and those ahead). */
  readonly #pages = new Map<number, Promise<Uint8Array>>();
  #next = 0;
  #closed = false;

  constructor(source: ObjectChunkSource, key: string, info: ObjectInfo) {
    this.#source = source;
    this.#key = key;
    this.#info = info;
    this.size = info.size;
  }

  #page(i: number): Promise<Uint8Array> {
    let p = this.#pages.get(i);
    if (!p) {
      p = this.#source.fetchPage(this.#key, this.#info, i);
      p.catch(() => undefined); // observed when awaited; a read-ahead nobody takes must not be unhandled
      this.#pages.set(i, p);
    }
    return p;
  }

  async read(dest: Uint8Array, position: number): Promise<number> {
    if (this.#closed) throw new InternalError('read after close');
    if (dest.length === 0 || position >= this.size) return 0;
    const pb = this.#source.pageBytes;
    const end = Math.min(this.size, position + dest.length);
    const first = Math.floor(position / pb);
    const last = Math.floor((end - 1) / pb);
    // Sequential: start the pages after this read; a jump (a sidecar skipping blocks) drops what was read ahead.
    const sequential = position === this.#next;
    for (const i of [...this.#pages.keys()]) if (i < first || (!sequential && i > last)) this.#pages.delete(i);
    const pages: Promise<Uint8Array>[] = [];
    for (let i = first; i <= last; i++) pages.push(this.#page(i));
    if (sequential) for (let i = last + 1; i <= last + this.#source.readAhead && i * pb < this.size; i++) this.#page(i);
    let n = 0;
    for (let i = first; i <= last; i++) {
      const bytes = await pages[i - first]!;
      const from = Math.max(position, i * pb) - i * pb;
      const to = Math.min(end, (i + 1) * pb) - i * pb;
      dest.set(bytes.subarray(from, Math.min(to, bytes.length)), n);
      n += Math.max(0, Math.min(to, bytes.length) - from);
      if (bytes.length < to) break; // the object is shorter than listed
    }
    this.#next = position + n;
    if (end === (last + 1) * pb) this.#pages.delete(last);
    return n;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#pages.clear();
    return Promise.resolve();
  }
}
