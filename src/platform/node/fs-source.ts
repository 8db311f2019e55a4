/**
 * The Node filesystem chunk source: a Lethe store on local disk.
 *
 * Part of the Node wing (`platform/node/`), outside the core: it imports `node:` modules; the
 * browser build never reaches it (the Node entry imports it directly, `store/index.ts` does not).
 *
 * - Listing follows symlinks (a target directory or an hour file may be a link, as when a
 *   store is assembled from several disks), sorts by code unit, and treats a missing
 *   `<root>/<logType>` as "no targets": a root holding neither `pod/` nor `node/` is an
 *   empty store, not an error.
 * - Reads are positional `FileHandle.read` calls straight into the caller's buffer (which
 *   may be a view into WASM memory): no intermediate copy.
 * - With `{ sync: true }` (the Node scan workers, whose thread does nothing but scan), open,
 *   stat, read and close are synchronous system calls: a ~1 MB hour file cost four round
 *   trips through libuv's thread pool and a read-ahead copy; with a few thousand files per
 *   query those round trips, not the kernel, bounded a worker.
 * - Names are checked before any path is built ({@link assertStoreName}), so nothing a
 *   caller passes can reach outside the root.
 */
import type { Dirent, Stats } from 'node:fs';
import './crc.js'; // native CRC-32 for index checks
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LetheQLError } from '../../errors.js';
import type { LogType } from '../../model.js';
import { assertLogType, assertStoreName, compareNames, isSafeName } from '../../store/paths.js';
import { SIDECAR_SUFFIX, sidecarDir, sidecarPath } from '../../store/sidecar.js';
import { summaryPath } from '../../store/index-summary.js';
import type { ChunkReader, ChunkSource, FileEntry, IndexFile, SidecarBytes, SidecarFile, SourceHandle } from '../../store/types.js';

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A reader over one open file. `size` is the size when the file was opened. */
class FsChunkReader implements ChunkReader {
  private closed = false;
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  async read(dest: Uint8Array, position: number): Promise<number> {
    if (dest.length === 0) return 0;
    const { bytesRead } = await this.handle.read(dest, 0, dest.length, position);
    return bytesRead;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** A reader over one file opened with `openSync`: every call is a synchronous system call. */
class SyncFsChunkReader implements ChunkReader {
  private fd: number | null;
  constructor(
    fd: number,
    readonly size: number,
  ) {
    this.fd = fd;
  }

  read(dest: Uint8Array, position: number): Promise<number> {
    if (dest.length === 0) return Promise.resolve(0);
    if (this.fd === null) return Promise.reject(new Error('read after close'));
    let n = 0;
    // readSync may return less than asked (signals, huge reads): fill as a positional read would.
    while (n < dest.length) {
      const got = readSync(this.fd, dest, n, dest.length - n, position + n);
      if (got === 0) break;
      n += got;
    }
    return Promise.resolve(n);
  }

  close(): Promise<void> {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      closeSync(fd);
    }
    return Promise.resolve();
  }
}

/** A {@link ChunkSource} over a store directory: `<root>/pod/<namespace>/…`, `<root>/node/<node>/…`. */
export class FsChunkSource implements ChunkSource {
  /** The absolute root directory. */
  readonly root: string;
  readonly description: string;
  /** Scan workers reopen the store from its root (`new FsChunkSource(handle.root)`). */
  readonly handle: SourceHandle;

  readonly readsSynchronously: boolean;

  /**
   * Wraps `root` without checking it; use {@link FsChunkSource.open} to fail early on a
   * missing store. `sync`: file reads are synchronous system calls (for a thread that only
   * scans; see the note at the top).
   */
  constructor(root: string, options: { sync?: boolean } = {}) {
    this.root = resolve(root);
    this.readsSynchronously = options.sync === true;
    this.description = this.root;
    this.handle = { kind: 'fs', root: this.root };
  }

  /**
   * Opens the store at `root`, checking that it is a directory. Throws `STORE_NOT_FOUND`
   * otherwise (`store not found: /x (no such directory)`). A directory with neither `pod/`
   * nor `node/` is accepted as an empty store.
   */
  static async open(root: string): Promise<FsChunkSource> {
    const abs = resolve(root);
    let isDir: boolean;
    try {
      isDir = (await stat(abs)).isDirectory();
    } catch (err) {
      if (isNotFound(err)) throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${abs} (no such directory)`);
      throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${abs} (${(err as Error).message})`);
    }
    if (!isDir) throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${abs} is not a directory`);
    return new FsChunkSource(abs);
  }

  /** Directory entries of `dir` with their kind resolved through symlinks; `[]` when `dir` is missing. */
  private async entries(dir: string, want: 'dir' | 'file', select?: (name: string) => boolean): Promise<{ name: string; size: number; mtimeMs?: number }[]> {
    let dirents: Dirent[];
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const out: { name: string; size: number; mtimeMs?: number }[] = [];
    // Synchronous stats, for the reason given at `readSidecar`: a whole-store query lists
    // thousands of hour files, and a promise per stat (a thread-pool round trip each) cost
    // 22 ms for the 618 files of the 1 GiB bench store's rare-literal count, against ~2 ms.
    for (const d of dirents) {
      if (!isSafeName(d.name)) continue;
      if (want === 'dir' && d.isDirectory()) {
        out.push({ name: d.name, size: 0 });
        continue;
      }
      if (!d.isSymbolicLink() && !(want === 'file' && d.isFile())) continue;
      if (select && !select(d.name)) continue;
      try {
        const s = statSync(join(dir, d.name)); // follows symlinks
        if (want === 'dir' ? s.isDirectory() : s.isFile()) out.push(want === 'dir' ? { name: d.name, size: 0 } : { name: d.name, size: s.size, mtimeMs: s.mtimeMs });
      } catch (err) {
        if (!isNotFound(err)) throw err; // a dangling link is not an entry
      }
    }
    return out.sort((a, b) => compareNames(a.name, b.name));
  }

  async listTargets(logType: LogType): Promise<string[]> {
    assertLogType(logType);
    return (await this.entries(join(this.root, logType), 'dir')).map((e) => e.name);
  }

  async listFiles(logType: LogType, target: string, select?: (name: string) => boolean): Promise<FileEntry[]> {
    assertStoreName(logType, target);
    return this.entries(join(this.root, logType, target), 'file', select);
  }

  async open(logType: LogType, target: string, name: string): Promise<ChunkReader> {
    assertStoreName(logType, target, name);
    if (this.readsSynchronously) return this.openSync(join(this.root, logType, target, name), `${logType}/${target}/${name}`);
    const handle = await open(join(this.root, logType, target, name), 'r');
    try {
      const s = await handle.stat();
      if (!s.isFile()) throw new LetheQLError('INVALID_OPTION', `not a regular file: ${logType}/${target}/${name}`);
      return new FsChunkReader(handle, s.size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  private openSync(path: string, what: string): ChunkReader {
    const fd = openSync(path, 'r');
    try {
      const s = fstatSync(fd);
      if (!s.isFile()) throw new LetheQLError('INVALID_OPTION', `not a regular file: ${what}`);
      return new SyncFsChunkReader(fd, s.size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Names of the hour files of `<logType>/<target>` with a file in the sidecar directory; empty when it has none. */
  async listSidecars(logType: LogType, target: string): Promise<Set<string>> {
    assertStoreName(logType, target);
    try {
      const names = await readdir(join(this.root, sidecarDir(logType, target)));
      return new Set(names.filter((n) => n.endsWith(SIDECAR_SUFFIX)).map((n) => n.slice(0, -SIDECAR_SUFFIX.length)));
    } catch (err) {
      if (isNotFound(err)) return new Set();
      throw err;
    }
  }

  /**
   * Opens `<root>/.letheql/index/<logType>/<target>/<name>.idx` for positional reads and
   * stats it and its hour file; null when either does not exist. Synchronous system calls,
   * for the reason given at {@link FsChunkSource.readSidecar}; a query reads a sidecar's head
   * and the few bloom segments its literals need (a fifth of a v2 sidecar for a 6-gram
   * literal), not the whole file.
   */
  async openSidecar(logType: LogType, target: string, name: string): Promise<SidecarFile | null> {
    assertStoreName(logType, target, name);
    let fd: number;
    try {
      fd = openSync(join(this.root, sidecarPath(logType, target, name)), 'r');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    let size: number;
    let s: Stats;
    try {
      size = fstatSync(fd).size;
      s = statSync(join(this.root, logType, target, name)); // follows symlinks, as reads do
    } catch (err) {
      closeSync(fd);
      if (isNotFound(err)) return null;
      throw err;
    }
    let open = true;
    return {
      size,
      fileSize: s.size,
      fileMtimeMs: s.mtimeMs,
      read: async (position, length) => readAt(fd, size, position, length),
      close: async () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }

  /** Opens `<root>/.letheql/index/<logType>/<target>/summary.lqts` for positional reads (synchronous calls, as {@link FsChunkSource.openSidecar}); null when there is none. */
  async openIndexSummary(logType: LogType, target: string): Promise<IndexFile | null> {
    assertStoreName(logType, target);
    let fd: number;
    try {
      fd = openSync(join(this.root, summaryPath(logType, target)), 'r');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    let size: number;
    try {
      size = fstatSync(fd).size;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    let open = true;
    return {
      size,
      read: async (position, length) => readAt(fd, size, position, length),
      close: async () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }

  /**
   * Reads `<root>/.letheql/index/<logType>/<target>/<name>.idx` and stats its hour file; null
   * when either does not exist. Synchronous system calls, on purpose: a query plans with
   * one sidecar per file in its window (618 files of ~20 KB for the rare-literal count of the
   * 1 GiB bench store), and the promise API's four thread-pool round trips per read (open,
   * fstat, read, close) plus the stat took 70–120 ms for them against 30–35 ms for
   * `readFileSync` + `statSync`, on the loaded 2-core bench VM. The cost: the event loop
   * is held for those few tens of microseconds per sidecar.
   */
  async readSidecar(logType: LogType, target: string, name: string): Promise<SidecarBytes | null> {
    assertStoreName(logType, target, name);
    try {
      const bytes = readFileSync(join(this.root, sidecarPath(logType, target, name)));
      const s = statSync(join(this.root, logType, target, name)); // follows symlinks, as reads do
      return { bytes, fileSize: s.size, fileMtimeMs: s.mtimeMs };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}

/** Reads `length` bytes at `position` of an open file of `size` bytes, synchronously (fewer only at its end). */
function readAt(fd: number, size: number, position: number, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, Math.min(length, size - position)));
  let got = 0;
  while (got < out.length) {
    const n = readSync(fd, out, got, out.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === out.length ? out : out.subarray(0, got);
}
