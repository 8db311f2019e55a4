/**
 * The browser entry point: the core plus in-memory and `File`/`Blob` sources.
 *
 * Everything runs in the page (or a Web Worker): the WASM kernel, regexes included, is
 * embedded in the bundle, so queries need no server and no Node module.
 *
 * @example
 * import { openMemoryStore } from 'letheql/browser';
 * const store = openMemoryStore({ 'pod/default/2024-09-24_13.log': text });
 * const table = await store.query('pod{namespace="default"} |~ "user/[0-9]+"', { start, end });
 */
import { LogStore } from './api.js';
import { MemoryChunkSource } from './store/memory-source.js';

export * from './core.js';

/** Content of one store file: bytes, text or a `Blob`/`File`. */
export type MemoryFileContent = Uint8Array | string | Blob;

/** Opens a store held in memory, keyed by store-relative path (`pod/<ns>/<YYYY-MM-DD_HH>.log`). */
export function openMemoryStore(files: Record<string, MemoryFileContent>): LogStore {
  return new LogStore(MemoryChunkSource.fromRecord(files));
}

/** Opens a store from files picked with `<input type=file webkitdirectory>` or dropped on the page. */
export function openStoreFromFiles(files: Iterable<File>): LogStore {
  return new LogStore(MemoryChunkSource.fromFiles(files));
}
