/**
 * The in-memory chunk source: a store held as bytes, strings or `Blob`s/`File`s.
 *
 * It serves the browser (files picked with `<input type=file webkitdirectory>`, dropped,
 * or fetched) and tests (a store written inline). It has no `node:` imports; `Blob` and
 * `File` exist in browsers and in Node ≥ 20.
 *
 * - Keys are store-relative paths `pod/<namespace>/<file>` or `node/<node>/<file>`. A
 *   leading `./` is dropped, and so is a root folder named by the `stripPrefix` option
 *   (`mystore/pod/…` with `stripPrefix: 'mystore'`). Any other shape is an error in
 *   {@link MemoryChunkSource.fromRecord}; {@link MemoryChunkSource.fromFiles} instead ignores
 *   picked files outside the store tree (a README beside `pod/`, `.DS_Store`).
 * - Strings are encoded to UTF-8 once, up front. `Uint8Array`s are kept, not copied: do
 *   not mutate them while the source is in use. `Blob`s stay lazy: each read slices the
 *   range it needs (`blob.slice(a, b).arrayBuffer()`) and copies it into the destination,
 *   so a multi-gigabyte `File` is never loaded whole.
 * - Listing mirrors the filesystem source: names sorted by code unit, every file listed
 *   whether or not its name is an hour.
 */
import { LetheQLError } from '../errors.js';
import { isLogType, type LogType } from '../model.js';
import { assertLogType, assertStoreName, compareNames, isSafeName } from './paths.js';
import type { ChunkReader, ChunkSource, FileEntry } from './types.js';

/** Content of one in-memory store file: bytes, text (stored as UTF-8) or a `Blob`/`File`. */
export type MemoryContent = Uint8Array | string | Blob;

/** Options of {@link MemoryChunkSource}. */
export interface MemorySourceOptions {
  /** A leading folder to drop from every path (`'mystore'` turns `mystore/pod/a/x.log` into `pod/a/x.log`). */
  stripPrefix?: string;
  /** What messages call this store. Default: `memory`, or `memory:<stripPrefix>`. */
  description?: string;
}

type Stored = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'blob'; blob: Blob };

class BytesReader implements ChunkReader {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  async read(dest: Uint8Array, position: number): Promise<number> {
    if (position >= this.bytes.length || dest.length === 0) return 0;
    const src = this.bytes.subarray(position, Math.min(this.bytes.length, position + dest.length));
    dest.set(src);
    return src.length;
  }
  async close(): Promise<void> {}
}

class BlobReader implements ChunkReader {
  constructor(private readonly blob: Blob) {}
  get size(): number {
    return this.blob.size;
  }
  async read(dest: Uint8Array, position: number): Promise<number> {
    if (position >= this.blob.size || dest.length === 0) return 0;
    const buf = await this.blob.slice(position, Math.min(this.blob.size, position + dest.length)).arrayBuffer();
    dest.set(new Uint8Array(buf));
    return buf.byteLength;
  }
  async close(): Promise<void> {}
}

/** Splits a key into `[logType, target, name]`, or returns null when it is not a store file path. */
function splitKey(key: string, stripPrefix: string | undefined): [LogType, string, string] | null {
  let path = key;
  while (path.startsWith('./')) path = path.slice(2);
  if (stripPrefix !== undefined && stripPrefix !== '') {
    const prefix = stripPrefix.replace(/\/+$/, '') + '/';
    if (path.startsWith(prefix)) path = path.slice(prefix.length);
  }
  const parts = path.split('/');
  if (parts.length !== 3) return null;
  const [logType, target, name] = parts as [string, string, string];
  if (!isLogType(logType) || !isSafeName(target) || !isSafeName(name)) return null;
  return [logType, target, name];
}

/** A {@link ChunkSource} over files held in memory or as `Blob`s. */
export class MemoryChunkSource implements ChunkSource {
  readonly description: string;
  /** logType → target → name → content. */
  private readonly tree = new Map<LogType, Map<string, Map<string, Stored>>>();

  /**
   * Builds a source from `[path, content]` entries. Throws `INVALID_OPTION` for a path that
   * is not `pod|node/<target>/<file>` (after the `./` and `stripPrefix` allowances) and for
   * a path given twice.
   */
  constructor(entries: Iterable<readonly [string, MemoryContent]>, options: MemorySourceOptions = {}) {
    this.description = options.description ?? (options.stripPrefix ? `memory:${options.stripPrefix}` : 'memory');
    const encoder = new TextEncoder();
    for (const [key, content] of entries) {
      const parts = splitKey(key, options.stripPrefix);
      if (parts === null) {
        throw new LetheQLError('INVALID_OPTION', `invalid store path ${JSON.stringify(key)}: expected pod/<namespace>/<file> or node/<node>/<file>`);
      }
      const [logType, target, name] = parts;
      let targets = this.tree.get(logType);
      if (targets === undefined) this.tree.set(logType, (targets = new Map()));
      let files = targets.get(target);
      if (files === undefined) targets.set(target, (files = new Map()));
      if (files.has(name)) throw new LetheQLError('INVALID_OPTION', `duplicate store path ${logType}/${target}/${name}`);
      const stored: Stored =
        typeof content === 'string'
          ? { kind: 'bytes', bytes: encoder.encode(content) }
          : content instanceof Uint8Array
            ? { kind: 'bytes', bytes: content }
            : { kind: 'blob', blob: content };
      files.set(name, stored);
    }
  }

  /**
   * A source from a record keyed by store-relative path.
   *
   * @example MemoryChunkSource.fromRecord({ 'pod/default/2024-09-24_13.log': '2024-09-24T13:00:00Z[default|p|c] hi\n' })
   */
  static fromRecord(record: Readonly<Record<string, MemoryContent>>, options: MemorySourceOptions = {}): MemoryChunkSource {
    return new MemoryChunkSource(Object.entries(record), options);
  }

  /**
   * A source from picked files, located by `webkitRelativePath` (`mystore/pod/shop/2024-09-24_13.log`,
   * as a directory picker gives them; a file without one is located by its `name`).
   *
   * The store root is the shallowest folder that directly holds `pod/` or `node/`: the user
   * may pick the store itself, its parent, or `pod/` alone. Files outside
   * `<root>/{pod,node}/<target>/<file>` are ignored. An empty selection is an empty store;
   * a non-empty one without any store file throws `STORE_NOT_FOUND`.
   */
  static fromFiles(files: Iterable<File>, options: Omit<MemorySourceOptions, 'stripPrefix'> = {}): MemoryChunkSource {
    const located: { parts: string[]; file: File }[] = [];
    for (const file of files) {
      const rel = (file.webkitRelativePath || file.name).replace(/^\.\//, '');
      located.push({ parts: rel.split('/'), file });
    }
    // Candidate roots: the folders before `<logType>/<target>/<file>`; keep the shallowest.
    let root: string[] | null = null;
    for (const { parts } of located) {
      if (parts.length < 3 || !isLogType(parts[parts.length - 3]!)) continue;
      const prefix = parts.slice(0, parts.length - 3);
      if (root === null || prefix.length < root.length) root = prefix;
    }
    if (root === null) {
      if (located.length === 0) return new MemoryChunkSource([], { description: options.description ?? 'files' });
      throw new LetheQLError('STORE_NOT_FOUND', `store not found: none of the ${located.length} picked files is under a pod/ or node/ folder`);
    }
    const rootParts = root;
    const entries: [string, File][] = [];
    for (const { parts, file } of located) {
      if (parts.length !== rootParts.length + 3 || rootParts.some((p, i) => parts[i] !== p)) continue;
      const rel = parts.slice(rootParts.length);
      if (!isLogType(rel[0]!) || !isSafeName(rel[1]!) || !isSafeName(rel[2]!)) continue;
      entries.push([rel.join('/'), file]);
    }
    const rootName = rootParts.join('/');
    return new MemoryChunkSource(entries, { description: options.description ?? (rootName ? `files:${rootName}` : 'files') });
  }

  async listTargets(logType: LogType): Promise<string[]> {
    assertLogType(logType);
    return [...(this.tree.get(logType)?.keys() ?? [])].sort(compareNames);
  }

  async listFiles(logType: LogType, target: string, select?: (name: string) => boolean): Promise<FileEntry[]> {
    assertStoreName(logType, target);
    const files = this.tree.get(logType)?.get(target);
    if (files === undefined) return [];
    return [...files]
      .filter(([name]) => !select || select(name))
      .map(([name, s]) => ({ name, size: s.kind === 'bytes' ? s.bytes.length : s.blob.size }))
      .sort((a, b) => compareNames(a.name, b.name));
  }

  async open(logType: LogType, target: string, name: string): Promise<ChunkReader> {
    assertStoreName(logType, target, name);
    const s = this.tree.get(logType)?.get(target)?.get(name);
    if (s === undefined) {
      // Same shape as Node's error for a vanished file, so callers handle both sources alike.
      throw Object.assign(new Error(`ENOENT: no such store file: ${logType}/${target}/${name} in ${this.description}`), { code: 'ENOENT' });
    }
    return s.kind === 'bytes' ? new BytesReader(s.bytes) : new BlobReader(s.blob);
  }
}
