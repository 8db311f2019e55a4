/**
 * The browser entry point: the core plus in-memory and `File`/`Blob` sources.
 *
 * Regex filters need a {@link RegexEngine}; re2-wasm loads its WASM through Node's `fs`,
 * so this build has none until the in-kernel regex engine lands — regex filters and
 * regex matchers get a clear `NOT_SUPPORTED` error here, unless you pass an engine.
 *
 * @example
 * import { openMemoryStore } from 'letheql/browser';
 * const store = openMemoryStore({ 'pod/default/2024-09-24_13.log': text });
 * const table = await store.query('pod{namespace="default"}', { start, end });
 */
import { LogStore } from './api.js';
import type { RegexEngine } from './regex/engine.js';
import { MemoryChunkSource } from './store/memory-source.js';

export * from './core.js';

/** Content of one store file: bytes, text or a `Blob`/`File`. */
export type MemoryFileContent = Uint8Array | string | Blob;

/** Opens a store held in memory, keyed by store-relative path (`pod/<ns>/<YYYY-MM-DD_HH>.log`). */
export function openMemoryStore(files: Record<string, MemoryFileContent>, regex: RegexEngine | null = null): LogStore {
  return new LogStore(MemoryChunkSource.fromRecord(files), regex);
}

/** Opens a store from files picked with `<input type=file webkitdirectory>` or dropped on the page. */
export function openStoreFromFiles(files: Iterable<File>, regex: RegexEngine | null = null): LogStore {
  return new LogStore(MemoryChunkSource.fromFiles(files), regex);
}
