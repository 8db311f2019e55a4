/**
 * Merging the answers of a store set's members when some are remote (another `letheql
 * serve`, `store/remote-member.ts`), so the set answers exactly as if every member were local.
 *
 * Each part is one member's (or the local members' together) rows, already in result order:
 * time in the query's direction, ties in that member's store order. A store set's result
 * order is time, then cluster name order, then the member's own store order
 * (`store/federated-source.ts`), so the merge key of a row is (time, cluster rank, its index
 * in its part): a local part with several clusters keeps its own order, which is that same
 * order restricted to its clusters. The merge is one stable sort over at most
 * `limit × parts` rows (each part is already cut at `limit`: a row in the first `limit` of
 * the set is among the first `limit` of its member), then the cut at `limit`.
 *
 * Statistics add up; `truncated` is true when a part was truncated or the merge dropped
 * rows. Scan statistics are each member's own: with a limit, a member stops reading files
 * that cannot hold one of *its* first rows, so the set's `bytesScanned` can exceed what one
 * local scan over all members would read (rows, `linesMatched` and `rowsReturned` do not
 * differ).
 */
import type { Table } from 'apache-arrow';
import type { LogRow } from '../arrow/build.js';
import { CLUSTER_LABEL, fieldNames, type LogType } from '../model.js';
import { addStats, emptyStats, type QueryStats } from './stats.js';

export type { MemberStats } from './stats.js';

/**
 * The rows of a remote member's result table (the server's Arrow answer: `time`, the log
 * type's labels, `line`, `time_raw`, then nullable pipeline labels), each with `cluster`.
 */
export function rowsFromTable(table: Table, logType: LogType, cluster: string): LogRow[] {
  const time = table.getChild('time')!.toArray() as BigInt64Array;
  const labels = fieldNames(logType).map((n) => table.getChild(n)!);
  const line = table.getChild('line')!;
  const raw = table.getChild('time_raw')!;
  const parsed = table.schema.fields.filter((f) => f.nullable && f.name !== CLUSTER_LABEL).map((f) => ({ name: f.name, col: table.getChild(f.name)! }));
  const out: LogRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: LogRow = { timeNs: time[i]!, timeRaw: raw.get(i) as string, cluster, labels: labels.map((c) => c.get(i) as string), line: line.get(i) as string };
    for (const p of parsed) {
      const v = p.col.get(i) as string | null;
      if (v !== null) (row.parsed ??= {})[p.name] = v;
    }
    out[i] = row;
  }
  return out;
}

/**
 * Merges parts (rows in result order, each row with its `cluster`) into the set's result
 * order and cuts it at `limit` (see the module note). `clusters`: every cluster of the set
 * in store order.
 */
export function mergeMemberRows(parts: readonly (readonly LogRow[])[], clusters: readonly string[], direction: 'forward' | 'backward', limit: number | null): { rows: LogRow[]; dropped: boolean } {
  const rank = new Map(clusters.map((c, i) => [c, i]));
  const keyed: { row: LogRow; r: number; p: number; i: number }[] = [];
  parts.forEach((rows, p) => rows.forEach((row, i) => keyed.push({ row, r: rank.get(row.cluster!) ?? 0, p, i })));
  const dir = direction === 'forward' ? 1 : -1;
  keyed.sort((a, b) => {
    if (a.row.timeNs !== b.row.timeNs) return (a.row.timeNs < b.row.timeNs ? -1 : 1) * dir;
    // Ties: cluster order, then the part's own order (a part's rows of one cluster are in its store order).
    return a.r - b.r || a.p - b.p || a.i - b.i;
  });
  const cut = limit !== null && keyed.length > limit;
  return { rows: (cut ? keyed.slice(0, limit) : keyed).map((k) => k.row), dropped: cut };
}

/**
 * Rows answered oldest first, re-ordered for `backward`: a stable sort by time, newest
 * first, keeps ties in store order, as the engine orders them.
 */
export function backwardOrder(rows: LogRow[]): LogRow[] {
  return rows.map((row, i) => ({ row, i })).sort((a, b) => (a.row.timeNs === b.row.timeNs ? a.i - b.i : a.row.timeNs > b.row.timeNs ? -1 : 1)).map((k) => k.row);
}

/** The sum of parts' statistics; `elapsedMs` is the caller's (the parts ran concurrently). */
export function sumStats(parts: readonly QueryStats[]): QueryStats {
  const out = emptyStats({ filesOutOfRange: 0, skippedFiles: [] });
  for (const s of parts) addStats(out, s);
  return out;
}

/** One member's part of a store set's answer (the local members together are one part). */
export interface MemberPart {
  clusters: string[];
  /** The remote member's URL; null for the local part. */
  url: string | null;
  /** Null when the member failed and was left out (`error`). */
  stats: QueryStats | null;
  error?: string;
}

/**
 * The statistics of a store set's answer from its parts: the sum, `members` in cluster order
 * (`order`: every cluster of the set in store order), and a warning per member left out.
 * `rowsReturned` and `elapsedMs` are the caller's.
 */
export function memberPartsStats(parts: readonly MemberPart[], order: readonly string[]): QueryStats {
  const sorted = [...parts].sort((a, b) => order.indexOf(a.clusters[0]!) - order.indexOf(b.clusters[0]!));
  const stats = sumStats(sorted.flatMap((p) => (p.stats ? [p.stats] : [])));
  stats.members = sorted.map((p) => ({ clusters: p.clusters, url: p.url, stats: p.stats, ...(p.error !== undefined ? { error: p.error } : {}) }));
  const warnings = sorted.flatMap((p) => (p.error !== undefined ? [`${p.error}; the answer leaves out cluster ${JSON.stringify(p.clusters[0])}`] : []));
  if (warnings.length > 0) stats.warnings = warnings;
  return stats;
}

/**
 * Prefixes a remote member's store-relative paths with its cluster (`cluster-b:pod/x/…`), as a
 * store set names files in statistics.
 */
export function clusterStatsPaths(stats: QueryStats, cluster: string): QueryStats {
  return {
    ...stats,
    skippedFiles: stats.skippedFiles.map((f) => ({ ...f, path: `${cluster}:${f.path}` })),
    badLineSamples: stats.badLineSamples.map((b) => ({ ...b, path: `${cluster}:${b.path}` })),
    ...(stats.index ? { index: { ...stats.index, notes: stats.index.notes.map((n) => ({ ...n, path: `${cluster}:${n.path}` })) } } : {}),
  };
}
