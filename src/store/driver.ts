/**
 * The storage-driver seam: what a store needs from whatever holds its bytes — list, stat,
 * ranged read; put and delete for the write side — with keys as store-relative paths
 * (`pod/shop/2024-09-24_13.log`, `.letheql/index/pod/shop/2024-09-24_13.log.idx`).
 *
 * A driver knows nothing about hours, lines or sidecars; {@link ObjectChunkSource}
 * (`object-source.ts`) turns any driver into a {@link ChunkSource}. Drivers: S3 and
 * S3-compatible object storage (`platform/node/s3.ts`) and the local filesystem
 * (`platform/node/fs-driver.ts`), both in the Node wing; the filesystem store that queries read
 * (`platform/node/fs-source.ts`) keeps its own synchronous fast path and is not a driver user.
 *
 * Invariants every driver keeps:
 * - `list`/`listDir` return every entry (all pages), sorted by key in code-unit order;
 * - an object is immutable once listed with an ETag: a read naming that ETag either returns
 *   the bytes of exactly that version or fails with {@link DriverError} `changed`;
 * - a failure is a {@link DriverError} with a precise `kind`, never the client's raw error.
 */
import { LetheQLError } from '../errors.js';

/** An object as a listing shows it. `etag` identifies its content version (quotes stripped). */
export interface ObjectInfo {
  /** Store-relative key, e.g. `pod/shop/2024-09-24_13.log`. */
  key: string;
  size: number;
  etag: string;
  /** Last modification (upload) time, ms since the epoch. */
  lastModifiedMs: number;
}

/** An object as a stat (HEAD) shows it: a listing's fields plus its user metadata (lower-case names). */
export interface ObjectHead extends ObjectInfo {
  metadata: Record<string, string>;
}

/** What to write with {@link StorageDriver.put}. */
export interface PutRequest {
  /** Bytes of the content. */
  size: number;
  /**
   * Reads the content's bytes `[start, end)`: the driver asks for the whole content, or for
   * one part at a time (multipart uploads of big objects), so nothing holds a whole big file.
   */
  read(start: number, end: number): Promise<Uint8Array>;
  /** User metadata (names lower-case, values ASCII). */
  metadata?: Record<string, string>;
}

/** The kinds of failure a driver reports; `io` is anything else (network, 5xx). */
export type DriverErrorKind = 'no-bucket' | 'auth' | 'not-found' | 'changed' | 'bad-request' | 'io';

/**
 * A driver failure. Store-level failures (`no-bucket`, `auth`, `bad-request`) are the user's
 * configuration (CLI exit 2); `io` is the store's (exit 1). `not-found` on a read means the
 * object went away (retention), which a query treats as a vanished file (`code` ENOENT).
 */
export class DriverError extends LetheQLError {
  readonly kind: DriverErrorKind;
  constructor(kind: DriverErrorKind, message: string) {
    super(kind === 'no-bucket' ? 'STORE_NOT_FOUND' : kind === 'auth' || kind === 'bad-request' ? 'INVALID_OPTION' : 'IO_ERROR', message);
    this.name = 'DriverError';
    this.kind = kind;
  }
}

/** Where a store's bytes live. Keys are store-relative; a driver adds its own root or prefix. */
export interface StorageDriver {
  /** For messages: `s3://bucket/prefix`, or a directory. */
  readonly description: string;
  /**
   * The entries directly under `dir` (`''` or ending in `/`): files with their size and
   * ETag, and sub-directory names (without the trailing `/`), both sorted. A missing
   * directory is empty.
   */
  listDir(dir: string): Promise<{ files: ObjectInfo[]; dirs: string[] }>;
  /** Every object under `prefix` (recursively), sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The object's listing fields and metadata, or null when it does not exist. */
  stat(key: string): Promise<ObjectHead | null>;
  /**
   * `length` bytes at `offset` (fewer at the end of the object). With `etag`, fails with
   * `changed` unless the object still has that ETag.
   */
  read(key: string, offset: number, length: number, etag?: string): Promise<Uint8Array>;
  /** The whole object with its head, or null when it does not exist. */
  get(key: string): Promise<{ bytes: Uint8Array; head: ObjectHead } | null>;
  /** Writes the object whole: after success all of it is visible, after failure none (no partial object). */
  put?(key: string, req: PutRequest): Promise<void>;
  /** Deletes the objects (a missing one is not an error). */
  delete?(keys: string[]): Promise<void>;
  /** Checks that the store can be reached at all (bucket exists, credentials work). */
  check?(): Promise<void>;
}
