/**
 * Store sets (federation): several Lethe stores, one per cluster, queried as one.
 *
 * EFK stacks federate clusters by adding a `cluster` field to every record; a Lethe store
 * has no such field, so a store set names each member store instead:
 * `{ "cluster-a": dirA, "cluster-b": dirB }`. The cluster is a property of the *store*, not
 * of a line: it selects member stores (`pod{cluster="cluster-a", namespace="x"}`) and labels
 * every row read from them, and the kernel never sees it.
 *
 * What this module owns:
 * - the cluster name rule ({@link checkClusterName}): non-empty, no `/`, `|`, `[`, `]` or
 *   control character, so a name can sit in a path prefix (`cluster-a:pod/…`) and between
 *   brackets and pipes like any Lethe label, without escaping;
 * - the set itself ({@link FederatedChunkSource}): members sorted by cluster name (code-unit
 *   order, as every name in the store layer), which makes **store order** across the set
 *   (cluster, target, hour): the tie-break for lines with equal timestamps;
 * - how a file of a store set is named in plans and statistics: `cluster-a:pod/x/2024-09-24_13.log`
 *   ({@link clusterPath}). The cluster is the text before the last `:` that precedes the first
 *   `/` (a cluster name may contain `:`, a log type never does);
 * - how a worker reaches a member: {@link memberHandle} picks the member's own handle, so a
 *   scan job names one plain store (`fs`, `blobs`) and workers need not know about sets.
 *
 * A store set is a {@link ChunkSource} so that it travels wherever a source does (a
 * `LogStore`, a scan pool that reads its `handle`), but files live in members: `listTargets`
 * is the union over members, while `listFiles`/`open` need a cluster and so refuse; the
 * catalog and the executor ask {@link FederatedChunkSource.member} instead. Store sets do not
 * nest (a member that is itself a set is rejected), so a file is always (cluster, path).
 */
import { InternalError, LetheQLError } from '../errors.js';
import { CLUSTER_LABEL, type LogType } from '../model.js';
import { compareNames } from './paths.js';
import type { ChunkReader, ChunkSource, FileEntry, SourceHandle } from './types.js';

export { CLUSTER_LABEL };

/** One member of a store set. */
export interface ClusterMember {
  cluster: string;
  source: ChunkSource;
}

const BAD_CLUSTER_CHAR = /[/|[\]\u0000-\u001f\u007f-\u009f]/;

/** Why `name` cannot name a cluster, or null when it can. */
export function clusterNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  const bad = BAD_CLUSTER_CHAR.exec(name);
  if (bad) return `must not contain ${JSON.stringify(bad[0])} (no "/", "|", "[", "]" or control characters)`;
  return null;
}

/** Throws `INVALID_OPTION` unless `name` is a valid cluster name (see the module note). */
export function checkClusterName(name: string): void {
  const problem = clusterNameProblem(name);
  if (problem !== null) throw new LetheQLError('INVALID_OPTION', `invalid cluster name ${JSON.stringify(name)}: ${problem}`);
}

/** How a store set names a member's file in plans and statistics: `cluster-a:pod/x/2024-09-24_13.log`. */
export function clusterPath(cluster: string, storeRelativePath: string): string {
  return `${cluster}:${storeRelativePath}`;
}

/** Whether `source` is a store set. */
export function isStoreSet(source: ChunkSource): source is FederatedChunkSource {
  return source instanceof FederatedChunkSource;
}

/**
 * The handle a worker opens to read `cluster`'s files: the member's own handle when `handle`
 * is a store set's, else `handle` itself. A plan never names a cluster its source does not
 * have, so a miss is a bug (`InternalError`).
 */
export function memberHandle(handle: SourceHandle, cluster: string | undefined): SourceHandle {
  if (handle.kind !== 'clusters') return handle;
  const m = handle.members.find((x) => x.cluster === cluster);
  if (!m) throw new InternalError(`store set handle has no cluster ${JSON.stringify(cluster)}`);
  return m.handle;
}

/**
 * A store set: member sources by cluster name, queried as one store.
 *
 * @example
 * const set = new FederatedChunkSource({ 'cluster-a': sourceA, 'cluster-b': sourceB });
 * const store = new LogStore(set);
 * await store.query('pod{cluster=~"cluster-.*", namespace="shop"} |= "error"', { since: '1h' });
 */
export class FederatedChunkSource implements ChunkSource {
  /** Members in cluster-name order (store order). */
  readonly members: readonly ClusterMember[];
  /** Cluster names, sorted. */
  readonly clusters: readonly string[];
  /** `cluster-a=<description of a>, cluster-b=<…>`. */
  readonly description: string;
  /** A `clusters` handle when every member can be reopened in a worker; absent otherwise. */
  readonly handle?: SourceHandle;
  readonly #byName: ReadonlyMap<string, ChunkSource>;

  /**
   * Throws `INVALID_OPTION` when there is no member, a cluster name is invalid, or a member
   * is itself a store set.
   */
  constructor(members: Readonly<Record<string, ChunkSource>> | Iterable<readonly [string, ChunkSource]>) {
    const entries: [string, ChunkSource][] = Symbol.iterator in members ? [...(members as Iterable<readonly [string, ChunkSource]>)].map(([c, s]) => [c, s]) : Object.entries(members);
    if (entries.length === 0) throw new LetheQLError('INVALID_OPTION', 'a store set needs at least one cluster');
    const byName = new Map<string, ChunkSource>();
    for (const [cluster, source] of entries) {
      checkClusterName(cluster);
      if (byName.has(cluster)) throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(cluster)} is given twice`);
      if (source instanceof FederatedChunkSource) throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(cluster)}: a store set cannot contain another store set`);
      if (typeof source?.listTargets !== 'function' || typeof source.open !== 'function') {
        throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(cluster)}: expected a chunk source`);
      }
      byName.set(cluster, source);
    }
    this.#byName = byName;
    this.clusters = [...byName.keys()].sort(compareNames);
    this.members = this.clusters.map((cluster) => ({ cluster, source: byName.get(cluster)! }));
    this.description = this.members.map((m) => `${m.cluster}=${m.source.description}`).join(', ');
    if (this.members.every((m) => m.source.handle !== undefined)) {
      this.handle = { kind: 'clusters', members: this.members.map((m) => ({ cluster: m.cluster, handle: m.source.handle! })) };
    }
  }

  /** The member source of `cluster`. Throws `INVALID_OPTION` for a cluster the set does not have. */
  member(cluster: string): ChunkSource {
    const s = this.#byName.get(cluster);
    if (!s) throw new LetheQLError('INVALID_OPTION', `unknown cluster ${JSON.stringify(cluster)}, expected one of: ${this.clusters.join(', ')}`);
    return s;
  }

  /** Target names present in any member, sorted and without duplicates. */
  async listTargets(logType: LogType): Promise<string[]> {
    const lists = await Promise.all(this.members.map((m) => m.source.listTargets(logType)));
    return [...new Set(lists.flat())].sort(compareNames);
  }

  /** Refuses: a target's files differ per cluster. Use `member(cluster).listFiles(…)`. */
  listFiles(logType: LogType, target: string): Promise<FileEntry[]> {
    return Promise.reject(new LetheQLError('INVALID_OPTION', `a store set lists files per cluster: use member(cluster).listFiles(${JSON.stringify(logType)}, ${JSON.stringify(target)})`));
  }

  /** Refuses: the same path may exist in several clusters. Use `member(cluster).open(…)`. */
  open(logType: LogType, target: string, name: string): Promise<ChunkReader> {
    return Promise.reject(new LetheQLError('INVALID_OPTION', `a store set opens files per cluster: use member(cluster).open(${JSON.stringify(logType)}, ${JSON.stringify(target)}, ${JSON.stringify(name)})`));
  }
}
