/**
 * The chunk-source interface: the only way the engine reaches bytes.
 *
 * A Lethe store is `<root>/<logType>/<target>/YYYY-MM-DD_HH.log`. A source lists targets
 * and files and opens a file for positional reads; it knows nothing about hours, lines
 * or queries. The Node filesystem source lives in the Node wing, `platform/node/fs-source.ts`
 * (it imports `node:` modules, the core does not); the in-memory/Blob source in `memory-source.ts`
 * works everywhere.
 */
import type { LogType } from '../model.js';

export type { LogType } from '../model.js';

/** A file as listed by a source. `size` is in bytes. */
export interface FileEntry {
  name: string;
  size: number;
  /** Modification time (ms since the epoch, as the file system reports it), when the source knows it cheaply: target summaries are checked against it. */
  mtimeMs?: number;
  /** The object's ETag, from an object store's listing: shipped target summaries are checked against it. */
  etag?: string;
}

/** An index file open for positional reads (`ChunkSource.openIndexSummary`). */
export interface IndexFile {
  size: number;
  /** Reads `length` bytes at `position` (fewer only at the end of the file). */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A sidecar file open for reading (`ChunkSource.openSidecar`; `size` is the sidecar's), with the described file's size and mtime when it was opened. */
export interface SidecarFile extends IndexFile {
  fileSize: number;
  fileMtimeMs: number;
}

/** A sidecar index as a source finds it: its bytes, and the described file's size and mtime now (its identity). */
export interface SidecarBytes {
  bytes: Uint8Array;
  /** The hour file's size and modification time (ms since the epoch) when the sidecar was read. */
  fileSize: number;
  fileMtimeMs: number;
}

/** An open file. Reads are positional so that one reader can serve block after block. */
export interface ChunkReader {
  readonly size: number;
  /**
   * Reads up to `dest.length` bytes at `position` into `dest` and returns how many were read
   * (0 at end of file). `dest` may be a view into WASM memory: sources that can read straight
   * into it (Node's `FileHandle.read`) do so; others copy.
   */
  read(dest: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * A plain-data way to reopen a source in another thread (a scan worker): structured-cloneable,
 * so it can be posted to a Node worker or a Web Worker.
 * - `fs`: a store directory on local disk (Node);
 * - `blobs`: store-relative path → `Blob`/`File` (browsers; Blobs are cloned by reference);
 * - `clusters`: a store set, one member source per cluster name.
 */
export type SourceHandle =
  | { kind: 'fs'; root: string }
  | { kind: 'blobs'; files: Record<string, Blob> }
  | { kind: 'clusters'; members: { cluster: string; handle: SourceHandle }[] };

/** Where a store's bytes come from. */
export interface ChunkSource {
  /** A short description for messages, e.g. the root directory. */
  readonly description: string;
  /** How a worker reopens this source; absent: the source can only be read in its own thread. */
  readonly handle?: SourceHandle;
  /** Target directory names (namespaces or nodes) under `logType`, sorted; `[]` if the log type has none. */
  listTargets(logType: LogType): Promise<string[]>;
  /**
   * Files in one target directory (every regular file, valid hour name or not), sorted by name.
   * With `select`, only files whose name it accepts are returned: sources call it before
   * looking up a file's size, so a one-hour query over a long-lived target does not stat
   * thousands of files.
   */
  listFiles(logType: LogType, target: string, select?: (name: string) => boolean): Promise<FileEntry[]>;
  open(logType: LogType, target: string, name: string): Promise<ChunkReader>;
  /**
   * The sidecar index of a file (`<root>/.letheql/index/<logType>/<target>/<name>.idx`, see
   * `sidecar.ts`) with the file's current size and mtime, or null when it has none.
   * Optional: a source without it has no sidecars.
   */
  readSidecar?(logType: LogType, target: string, name: string): Promise<SidecarBytes | null>;
  /**
   * The sidecar of a file opened for positional reads, or null when it has none: the planner
   * reads its head and only the bloom segments a query's literals need, instead of the
   * whole sidecar. Optional: without it the planner uses `readSidecar`.
   */
  openSidecar?(logType: LogType, target: string, name: string): Promise<SidecarFile | null>;
  /**
   * The names of the files of one target that have a sidecar file (valid or not), with one
   * directory listing: the planner asks it once per target and calls `readSidecar` only for
   * those, so a store (or a target) never indexed costs no failed read per file. Optional.
   */
  listSidecars?(logType: LogType, target: string): Promise<Set<string>>;
  /**
   * The summary of one target's sidecars (`store/index-summary.ts`) opened for positional
   * reads, or null when it has none. Optional: without it every file's sidecar is read.
   */
  openIndexSummary?(logType: LogType, target: string): Promise<IndexFile | null>;
  /**
   * True when `open` and its readers do their I/O before returning (synchronous system calls,
   * as in a Node scan worker): reading ahead into a staging buffer would then overlap
   * nothing and only add a copy, so the worker reads straight into the kernel's memory.
   */
  readonly readsSynchronously?: boolean;
}
