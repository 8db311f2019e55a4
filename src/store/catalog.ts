/**
 * The catalog: which files of a store a query reads, in which order.
 *
 * `selectFiles` turns (log type, target filter, window) into the list of hour files to
 * scan and the list of files it passed over, as plain data. It applies the two file-level
 * rules of contract §1:
 *
 * - a file whose name is not an hour (`0000-00-00_00.log`, `notes.txt`) is never read and
 *   is reported as `invalid-name`, whatever the window;
 * - an hour file is read when its hour overlaps the window ({@link hourOverlaps}); the
 *   others are reported as `out-of-range`.
 *
 * Selected files are sorted by path, i.e. (target, name) — names of valid hour files sort
 * by hour. This is the **store order**, the tie-break for lines with equal timestamps; it is
 * the order Lethe reads files in (`sort.Strings(files)` over paths), so rows with equal
 * times come out as Lethe lists them. The file hour is only a hint for selection;
 * lines are kept or dropped by their own timestamps later (a file may hold lines from other
 * hours). Only target directories are matched here — never the labels inside lines.
 *
 * A store set (`federated-source.ts`) is selected member by member, for the clusters its
 * cluster filter accepts: store order becomes (cluster, target, name), and paths name the
 * cluster (`cluster-a:pod/shop/2024-09-24_13.log`), so statistics say which store a file is in.
 */
import type { LogType } from '../model.js';
import { LOG_TYPES } from '../model.js';
import { clusterPath, isStoreSet } from './federated-source.js';
import { formatHourRfc3339, hourOverlaps, parseHourFileName } from './hours.js';
import { compareNames, storePath } from './paths.js';
import type { ChunkSource } from './types.js';

/** A file chosen for reading. */
export interface SelectedFile {
  /** The store set member holding the file; absent for a plain store. */
  cluster?: string;
  logType: LogType;
  /** Target directory (namespace or node). */
  target: string;
  /** File name, `YYYY-MM-DD_HH.log`. */
  name: string;
  /** Store-relative path, `pod/shop/2024-09-24_13.log`; in a store set `cluster-a:pod/shop/2024-09-24_13.log`. */
  path: string;
  /** Start of the file's hour, ns since the epoch (UTC). */
  hourNs: bigint;
  /** Size in bytes when listed. */
  size: number;
  /** Modification time when listed (ms since the epoch), when the source reports it. */
  mtimeMs?: number;
  /** The object's ETag when listed (object stores). */
  etag?: string;
}

/** Why a file in a selected target was not read. */
export type SkipReason = 'invalid-name' | 'out-of-range';

/** A file passed over by {@link selectFiles}. */
export interface SkippedFile {
  /** Store-relative path, `pod/namespace02/0000-00-00_00.log` (in a store set prefixed by `cluster:`). */
  path: string;
  reason: SkipReason;
}

/** The outcome of {@link selectFiles}. */
export interface FileSelection {
  /** Files to read, in store order: (cluster, target, name). */
  files: SelectedFile[];
  /** Files of the matched targets not read, sorted by path. */
  skipped: SkippedFile[];
}

/** Compares selected files in store order: cluster (store sets), then target, then name (for hour files: hour). */
export function compareStoreOrder(a: SelectedFile, b: SelectedFile): number {
  return compareNames(a.cluster ?? '', b.cluster ?? '') || compareNames(a.target, b.target) || compareNames(a.name, b.name);
}

/**
 * Chooses the files of `logType` to read for the window `[startNs, endNs]` (inclusive):
 * every hour file of every target accepted by `targetFilter` whose hour overlaps the window.
 *
 * @param targetFilter decides on a target directory name (the `namespace`/`node` matchers).
 * @param clusterFilter for a store set, decides on a cluster name (the `cluster` matchers;
 *   default: every cluster); ignored for a plain store.
 */
export async function selectFiles(
  source: ChunkSource,
  logType: LogType,
  targetFilter: (target: string) => boolean,
  startNs: bigint,
  endNs: bigint,
  clusterFilter: (cluster: string) => boolean = () => true,
): Promise<FileSelection> {
  if (isStoreSet(source)) {
    const members = source.members.filter((m) => clusterFilter(m.cluster));
    const parts = await Promise.all(members.map((m) => selectFiles(m.source, logType, targetFilter, startNs, endNs)));
    // Members are in cluster order and each part is in store order: concatenating keeps store order.
    return {
      files: parts.flatMap((p, i) => p.files.map((f) => ({ ...f, cluster: members[i]!.cluster, path: clusterPath(members[i]!.cluster, f.path) }))),
      skipped: parts.flatMap((p, i) => p.skipped.map((k) => ({ ...k, path: clusterPath(members[i]!.cluster, k.path) }))),
    };
  }
  const targets = (await source.listTargets(logType)).filter((t) => targetFilter(t));
  const files: SelectedFile[] = [];
  const skipped: SkippedFile[] = [];
  await Promise.all(
    targets.map(async (target) => {
      // Names are judged before the source looks up sizes, so only selected files cost a
      // stat. A source that ignores `select` gets its entries judged afterwards instead.
      const judged = new Map<string, bigint | null>();
      const judge = (name: string): bigint | null => {
        if (judged.has(name)) return judged.get(name)!;
        const hourNs = parseHourFileName(name);
        const path = storePath(logType, target, name);
        let selected: bigint | null = null;
        if (hourNs === null) skipped.push({ path, reason: 'invalid-name' });
        else if (!hourOverlaps(hourNs, startNs, endNs)) skipped.push({ path, reason: 'out-of-range' });
        else selected = hourNs;
        judged.set(name, selected);
        return selected;
      };
      const entries = await source.listFiles(logType, target, (name) => judge(name) !== null);
      for (const { name, size, mtimeMs, etag } of entries) {
        const hourNs = judge(name);
        if (hourNs !== null) files.push({ logType, target, name, path: storePath(logType, target, name), hourNs, size, ...(mtimeMs !== undefined ? { mtimeMs } : {}), ...(etag !== undefined ? { etag } : {}) });
      }
    }),
  );
  files.sort(compareStoreOrder);
  skipped.sort((a, b) => compareNames(a.path, b.path));
  return { files, skipped };
}

/** The target directories (namespaces or nodes) of `logType`, sorted. */
export function listTargets(source: ChunkSource, logType: LogType): Promise<string[]> {
  return source.listTargets(logType);
}

/** One target directory at a glance. JSON-safe (hours are RFC 3339 strings). */
export interface TargetSummary {
  target: string;
  /** Files whose name is an hour. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
  /** Files whose name is not an hour (never read by queries). */
  invalidFiles: number;
  /** First and last hour present, `2024-09-24T13:00:00Z`; null when the target has no hour file. */
  firstHour: string | null;
  lastHour: string | null;
}

/** A store at a glance, for front ends (`letheql targets`, a browser's store picker). JSON-safe. */
export interface StoreDescription {
  /** The source's description (its root directory, `memory`, …). */
  source: string;
  /** Targets per log type, sorted by name. */
  logTypes: Record<LogType, TargetSummary[]>;
  /** Totals over hour files of both log types. */
  files: number;
  bytes: number;
  /**
   * Store sets only: each member described on its own, by cluster name (in cluster order).
   * `logTypes` then merges them: a target present in several clusters is summed (files,
   * bytes, invalid files) and spans the earliest first hour to the latest last hour.
   */
  clusters?: Record<string, StoreDescription>;
}

/** Merges per-cluster summaries of one log type into one summary per target name. */
function mergeTargets(lists: TargetSummary[][]): TargetSummary[] {
  const byName = new Map<string, TargetSummary>();
  for (const s of lists.flat()) {
    const m = byName.get(s.target);
    if (!m) {
      byName.set(s.target, { ...s });
      continue;
    }
    m.files += s.files;
    m.bytes += s.bytes;
    m.invalidFiles += s.invalidFiles;
    // RFC 3339 hours of years 0001–9999 in one format compare as strings.
    if (s.firstHour !== null && (m.firstHour === null || s.firstHour < m.firstHour)) m.firstHour = s.firstHour;
    if (s.lastHour !== null && (m.lastHour === null || s.lastHour > m.lastHour)) m.lastHour = s.lastHour;
  }
  return [...byName.values()].sort((a, b) => compareNames(a.target, b.target));
}

/** Lists every target of both log types with its hour-file count, bytes and first/last hour. */
export async function describeStore(source: ChunkSource): Promise<StoreDescription> {
  if (isStoreSet(source)) {
    const parts = await Promise.all(source.members.map((m) => describeStore(m.source)));
    const clusters: Record<string, StoreDescription> = {};
    source.members.forEach((m, i) => (clusters[m.cluster] = parts[i]!));
    return {
      source: source.description,
      logTypes: { pod: mergeTargets(parts.map((p) => p.logTypes.pod)), node: mergeTargets(parts.map((p) => p.logTypes.node)) },
      files: parts.reduce((a, p) => a + p.files, 0),
      bytes: parts.reduce((a, p) => a + p.bytes, 0),
      clusters,
    };
  }
  const out: StoreDescription = { source: source.description, logTypes: { pod: [], node: [] }, files: 0, bytes: 0 };
  for (const logType of Object.keys(LOG_TYPES) as LogType[]) {
    const targets = await source.listTargets(logType);
    out.logTypes[logType] = await Promise.all(
      targets.map(async (target): Promise<TargetSummary> => {
        const s: TargetSummary = { target, files: 0, bytes: 0, invalidFiles: 0, firstHour: null, lastHour: null };
        let first: bigint | null = null;
        let last: bigint | null = null;
        for (const { name, size } of await source.listFiles(logType, target)) {
          const hour = parseHourFileName(name);
          if (hour === null) {
            s.invalidFiles++;
            continue;
          }
          s.files++;
          s.bytes += size;
          if (first === null || hour < first) first = hour;
          if (last === null || hour > last) last = hour;
        }
        s.firstHour = first === null ? null : formatHourRfc3339(first);
        s.lastHour = last === null ? null : formatHourRfc3339(last);
        return s;
      }),
    );
    for (const s of out.logTypes[logType]) {
      out.files += s.files;
      out.bytes += s.bytes;
    }
  }
  return out;
}
