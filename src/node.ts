/**
 * The Node entry point: the core plus a filesystem chunk source and RE2 (re2-wasm).
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
import { re2WasmEngine } from './regex/re2-wasm.js';
import { FsChunkSource } from './store/fs-source.js';

export * from './core.js';
export { FsChunkSource } from './store/fs-source.js';
export { re2WasmEngine } from './regex/re2-wasm.js';

/**
 * Opens the Lethe store rooted at `dir` (the folder holding `pod/` and `node/`).
 * Throws `STORE_NOT_FOUND` when `dir` is not a directory.
 */
export function openStore(dir: string): LogStore {
  const root = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${root} (no such directory)`);
  }
  if (!isDir) throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${root} is not a directory`);
  return new LogStore(new FsChunkSource(root), re2WasmEngine);
}
