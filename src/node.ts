/**
 * The Node entry point: the core plus a filesystem chunk source, scan worker threads and
 * the write path (writer, ingest, collector, retention).
 *
 * @example
 * import { openStore } from 'letheql';
 * const store = openStore('/var/lib/lethe');
 * const table = await store.query('pod{namespace="default"} |= "error"', { since: '1h' });
 *
 * // A store set: one store per cluster, queried as one, with a `cluster` label and column.
 * const set = openStoreSet({ 'cluster-a': '/var/lib/lethe-a', 'cluster-b': '/var/lib/lethe-b' });
 * await set.query('pod{cluster="cluster-a", namespace="default"}', { since: '1h' });
 */
export * from './core.js';
export { FsChunkSource } from './platform/node/fs-source.js';
export { openStore, openStoreSet, type OpenStoreOptions } from './platform/node/store.js';
// s3:// stores (issue 18): the S3 storage driver and the disk page cache.
export { S3Driver, isS3Url, parseS3Url, type S3Location, type S3Options } from './platform/node/s3.js';
export { DiskPageCache, DEFAULT_CACHE_BYTES } from './platform/node/page-cache.js';
export { FsStorageDriver } from './platform/node/fs-driver.js';

// ---- Write path (issue 5): store writer, ingest, collector, retention ----
export * from './write/index.js';
