/**
 * The browser entry point: the core plus in-memory and `File`/`Blob` sources, and Web
 * Workers for big scans.
 *
 * Everything runs in the page (or a Web Worker): the WASM kernel, regexes included, is
 * embedded in the bundle, so queries need no server and no Node module. Stores of
 * `Blob`s/`File`s scan on Web Workers running `letheql.worker.js` (see `platform/browser/pool.ts`),
 * found beside this module unless `workerUrl` says otherwise; strings and bytes scan in the
 * page's thread.
 *
 * @example
 * import { openMemoryStore } from 'letheql/browser';
 * const store = openMemoryStore({ 'pod/default/2024-09-24_13.log': text });
 * const table = await store.query('pod{namespace="default"} |~ "user/[0-9]+"', { start, end });
 */
import { LogStore } from './api.js';
import { createWebScanPool, type WebScanPoolOptions } from './platform/browser/pool.js';
import { MemoryChunkSource } from './store/memory-source.js';
import type { ChunkSource } from './store/types.js';

export * from './core.js';
export { defaultWebWorkerCount } from './platform/browser/pool.js';

/** Content of one store file: bytes, text or a `Blob`/`File` (only stores of Blobs scan on workers). */
export type MemoryFileContent = Uint8Array | string | Blob;

/**
 * Options of {@link openMemoryStore} and {@link openStoreFromFiles}: parallel scanning on Web
 * Workers (`workers`, default `min(4, navigator.hardwareConcurrency)`; `0` = in the page's
 * thread) and where the worker script is (`workerUrl`).
 */
export type BrowserStoreOptions = WebScanPoolOptions;

/**
 * `letheql.worker.js` beside this module, or undefined when this module has no URL (bundled
 * into a script that is not a module). Written as `new URL('…', import.meta.url)` so that
 * bundlers (Vite, webpack 5) see the worker file and emit it.
 */
function defaultWorkerUrl(): URL | undefined {
  try {
    return new URL('./letheql.worker.js', import.meta.url);
  } catch {
    return undefined;
  }
}

function open(source: ChunkSource, options: BrowserStoreOptions): LogStore {
  const pool = createWebScanPool({ ...options, workerUrl: options.workerUrl ?? defaultWorkerUrl() }); // checks the options
  // Workers reopen stores of Blobs only: one of strings or bytes gets no pool (no workers start).
  return new LogStore(source, { pool: source.handle ? pool : null });
}

/**
 * Opens a store held in memory, keyed by store-relative path (`pod/<ns>/<YYYY-MM-DD_HH>.log`).
 * Big queries scan on Web Workers when every file is a `Blob`; `store.close()` stops them.
 * Throws `INVALID_OPTION` on bad paths or options.
 */
export function openMemoryStore(files: Record<string, MemoryFileContent>, options: BrowserStoreOptions = {}): LogStore {
  return open(MemoryChunkSource.fromRecord(files), options);
}

/**
 * Opens a store from files picked with `<input type=file webkitdirectory>` or dropped on the
 * page. Big queries scan on Web Workers; `store.close()` stops them.
 */
export function openStoreFromFiles(files: Iterable<File>, options: BrowserStoreOptions = {}): LogStore {
  return open(MemoryChunkSource.fromFiles(files), options);
}
