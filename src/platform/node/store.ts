/**
 * Opening stores in Node: {@link openStore} (one directory or `s3://` URL) and
 * {@link openStoreSet} (one per cluster), each a {@link LogStore} over filesystem chunk
 * sources with a pool of scan worker threads, or over an {@link ObjectChunkSource} on the S3
 * driver (`s3.ts`; scanned in this thread, its reads several GETs in flight).
 * Re-exported by the Node entry (`src/node.ts`).
 *
 * Apart from `src/node.ts` so that a program that only queries (the CLI's `query`) imports the
 * openers without the write path that the Node entry also exports: bundles keep the two
 * apart, and a query's start-up never loads the writer, ingest or the collector.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LogStore } from '../../api.js';
import { LetheQLError } from '../../errors.js';
import { SCAN_WORKER_BUNDLE } from '../node-worker-bundle.js';
import { createNodeScanPool, type ScanPoolOptions } from './pool.js';
import { checkClusterName, FederatedChunkSource } from '../../store/federated-source.js';
import { FsChunkSource } from './fs-source.js';
import { isS3Url, S3Driver, type S3Options } from './s3.js';
import { ObjectChunkSource, type ObjectSourceOptions } from '../../store/object-source.js';
import type { ChunkSource } from '../../store/types.js';
import { MemoryChunkSource } from '../../store/memory-source.js';
import { isRemoteUrl, RemoteMember, type RemoteFetch } from '../../store/remote-member.js';

/**
 * Options of {@link openStore}: parallel scanning (`workers`, default `min(4, cores)`; `0` =
 * in-thread); for `s3://` stores the endpoint/region (`s3`, default from the AWS environment)
 * and the reads (`object`: page size, read-ahead, a page cache such as `DiskPageCache`).
 */
export type OpenStoreOptions = ScanPoolOptions & {
  s3?: S3Options;
  object?: ObjectSourceOptions;
  /**
   * Read a directory store's files with synchronous system calls in this thread (default
   * false). Faster for a process that runs one query and exits (the CLI's `query`: no
   * thread-pool round trip per block), but it holds the event loop for each read: never in a
   * server.
   */
  syncReads?: boolean;
} & RemoteSetOptions;

/** Options of a store set's remote members (`NAME=http(s)://host:port`: another `letheql serve`). */
export interface RemoteSetOptions {
  /** Bearer tokens of remote members, by cluster name. */
  tokens?: Readonly<Record<string, string>>;
  /** A remote member fails: fail the query (default), or answer without it and say so in `stats.warnings`. */
  onMemberError?: 'fail' | 'warn';
  /** The HTTP client for remote members (default: the global `fetch`). */
  fetch?: RemoteFetch;
  /** How long one request to a remote member may take (default 120 s). */
  memberTimeoutMs?: number;
}

/**
 * Opens the Lethe store rooted at `dir` (the folder holding `pod/` and `node/`), or the store
 * under an S3 URL (`s3://BUCKET/PREFIX`, the same layout under the prefix; see README "S3
 * stores"). Throws `STORE_NOT_FOUND` when `dir` is not a directory, `INVALID_OPTION` on bad
 * options or a bad S3 URL/endpoint; an S3 store is not contacted until the first query
 * (a missing bucket or refused credentials fail that query, `STORE_NOT_FOUND`/`INVALID_OPTION`).
 * Big queries of a directory scan on worker threads (started on first use); `store.close()` stops them.
 */
export function openStore(dir: string, options: OpenStoreOptions = {}): LogStore {
  const source = openSource(dir, '', options);
  const pool = createNodeScanPool(SCAN_WORKER_BUNDLE, poolOptions(options));
  return new LogStore(source, { pool });
}

/** The scan-pool part of the options. */
function poolOptions(options: OpenStoreOptions): ScanPoolOptions {
  const { s3: _s3, object: _object, syncReads: _sync, tokens: _tokens, onMemberError: _policy, fetch: _fetch, memberTimeoutMs: _timeout, ...pool } = options;
  return pool;
}

/** A chunk source for a directory or an `s3://` URL; `what` names the cluster in errors. */
function openSource(dir: string, what: string, options: OpenStoreOptions): ChunkSource {
  if (isS3Url(dir)) return new ObjectChunkSource(new S3Driver(dir, options.s3), options.object);
  return new FsChunkSource(checkStoreDir(dir, what), { sync: options.syncReads === true });
}

/** The absolute path of `dir`; throws `STORE_NOT_FOUND` (naming `what`, e.g. `for cluster "a"`) when it is not a directory. */
function checkStoreDir(dir: string, what: string): string {
  const root = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new LetheQLError('STORE_NOT_FOUND', `store not found${what}: ${root} (no such directory)`);
  }
  if (!isDir) throw new LetheQLError('STORE_NOT_FOUND', `store not found${what}: ${root} is not a directory`);
  return root;
}

/**
 * Opens a store set: several Lethe stores, one per cluster (`{ "cluster-a": dirA, … }`),
 * queried as one. Selectors may use the label `cluster` (`pod{cluster="cluster-a",
 * namespace="x"}`; `= != =~ !~`, regexes anchored); results have a `cluster` column right
 * after `time`; ties in time keep store order, clusters in name order first; paths in
 * statistics read `cluster-a:pod/x/2024-09-24_13.log`. Workers scan store sets as they scan
 * one store.
 *
 * A member given as `http://host:port` or `https://…` is another `letheql serve` (a remote
 * member, `store/remote-member.ts`): log queries send it the query without its `cluster`
 * matchers and merge its Arrow answer into the same ordered result; `tokens[cluster]` is its
 * bearer token, `onMemberError` what a failing member does to the query (see README
 * "Remote members").
 *
 * Throws `INVALID_OPTION` for no cluster or an invalid cluster name (empty, or with `/`,
 * `|`, `[`, `]` or a control character), `STORE_NOT_FOUND` naming the cluster whose directory
 * is missing.
 *
 * @example
 * const set = openStoreSet({ east: '/var/lib/lethe', west: 'https://logs-west:6060' }, { tokens: { west: token }, onMemberError: 'warn' });
 */
export function openStoreSet(dirs: Readonly<Record<string, string>>, options: OpenStoreOptions = {}): LogStore {
  if (typeof dirs !== 'object' || dirs === null || Array.isArray(dirs)) {
    throw new LetheQLError('INVALID_OPTION', 'a store set is an object of cluster name → store directory');
  }
  const entries = Object.entries(dirs);
  if (entries.length === 0) throw new LetheQLError('INVALID_OPTION', 'a store set needs at least one cluster');
  for (const [cluster, dir] of entries) {
    checkClusterName(cluster);
    if (typeof dir !== 'string' || dir === '') throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(cluster)}: expected a store directory, got ${JSON.stringify(dir)}`);
  }
  const local = entries.filter(([, dir]) => !isRemoteUrl(dir));
  const remotes = entries
    .filter(([, dir]) => isRemoteUrl(dir))
    .map(([cluster, url]) => new RemoteMember(cluster, url, { ...(options.tokens?.[cluster] !== undefined ? { token: options.tokens[cluster] } : {}), ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.memberTimeoutMs !== undefined ? { timeoutMs: options.memberTimeoutMs } : {}) }));
  for (const name of Object.keys(options.tokens ?? {})) {
    if (!remotes.some((r) => r.cluster === name)) throw new LetheQLError('INVALID_OPTION', `a token is given for cluster ${JSON.stringify(name)}, which is not a remote member`);
  }
  // Every member remote: the set has no local files, and the source is never read.
  const source =
    local.length > 0
      ? new FederatedChunkSource(local.map(([cluster, dir]) => [cluster, openSource(dir, ` for cluster ${JSON.stringify(cluster)}`, options)] as const))
      : MemoryChunkSource.fromRecord({});
  const pool = createNodeScanPool(SCAN_WORKER_BUNDLE, poolOptions(options));
  return new LogStore(source, { pool, remotes, ...(options.onMemberError ? { onMemberError: options.onMemberError } : {}) });
}

