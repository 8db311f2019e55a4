/**
 * Retention planning: which hour files to delete for an age and a size limit. Pure: the
 * listing comes in as data and a plan goes out; `retention.ts` lists and deletes.
 *
 * Lethe's rotator (kuoss/lethe `storage/fileservice/delete.go`, `prune.go`, `rotator.go`)
 * runs, in order: DeleteByAge, DeleteBySize, Prune. We keep that order and its rules:
 * - **By age**: a file is deleted when its hour is before the hour of `now - maxAge`
 *   (Lethe compares `name < "YYYY-MM-DD_HH"` of `now - age`, i.e. whole hours).
 * - **By size**: the total is the sum of the sizes of all files at `<type>/<target>/<file>`
 *   (apparent sizes, Lethe's default `file` sizing strategy); files are deleted oldest hour
 *   first while `total - deleted >= maxSize`, i.e. until the store is strictly under the limit.
 * - **Prune** (done by `retention.ts`): empty target directories and stray root files.
 *
 * Where we differ, on purpose:
 * - The file of the current hour (`hourFloor(now)`) is never deleted, by age or by size
 *   (Lethe may delete it by size while fluent-bit writes it). It still counts in the total.
 * - Files whose names are not hours (`0000-00-00_00.log`, `x.log`) are never deleted; they
 *   count in the total and are listed as `ignored` (Lethe compares them as strings).
 * - Ties within one hour are broken by path (`node/…` before `pod/…`, then target), so a
 *   plan is deterministic (Lethe's sort is not stable across targets).
 * - Only `pod/` and `node/` are looked at (Lethe walks every top-level directory).
 * - A `pinned` file (read through a link leaving the store root) counts but is never deleted.
 */
import { LetheQLError } from '../errors.js';
import type { LogType } from '../model.js';
import { formatHourFileName, hourFloor, parseHourFileName } from '../store/hours.js';
import { compareNames } from '../store/paths.js';

/** One file of the store, as listed. */
export interface StoreFileInfo {
  logType: LogType;
  target: string;
  name: string;
  size: number;
  /** Read through a link that leaves the store root: counted, never deleted (`retention.ts`). */
  pinned?: boolean;
}

export interface RetentionLimits {
  /** Delete files whose hour is before the hour of `now - maxAgeNs`; null = no age limit. */
  maxAgeNs: bigint | null;
  /** Delete oldest files until the total is under this many bytes; null = no size limit. */
  maxSizeBytes: number | null;
  /** The current time, nanoseconds. */
  nowNs: bigint;
}

/** A file chosen for deletion. */
export interface PlannedDeletion {
  /** Store-relative path, `pod/shop/2024-09-01_00.log`. */
  path: string;
  size: number;
  /** Hour start, ns. */
  hourNs: bigint;
  reason: 'age' | 'size';
}

export interface RetentionPlan {
  deletions: PlannedDeletion[];
  /** Sum of all listed sizes before deleting. */
  bytesBefore: number;
  /** Sum after the planned deletions. */
  bytesAfter: number;
  /** Age cut-off: files of hours before this hour are deleted by age (null without an age limit). */
  ageCutoffHourNs: bigint | null;
  /** Paths of the current hour that a limit would have taken but that are kept. */
  keptCurrentHour: string[];
  /** Paths whose names are not hours: never deleted. */
  ignored: string[];
  /** Pinned paths a limit would have taken: kept. */
  keptOutside: string[];
  /** False when a size limit is set and the store is still at or over it after the plan. */
  underSizeLimit: boolean;
}

function pathOf(f: StoreFileInfo): string {
  return `${f.logType}/${f.target}/${f.name}`;
}

/** Plans deletions for `files` (see the module note for the rules). */
export function planRetention(files: readonly StoreFileInfo[], limits: RetentionLimits): RetentionPlan {
  const currentHour = hourFloor(limits.nowNs);
  const hours: { file: StoreFileInfo; hourNs: bigint; path: string }[] = [];
  const ignored: string[] = [];
  let total = 0;
  for (const f of files) {
    total += f.size;
    const hourNs = parseHourFileName(f.name);
    if (hourNs === null) ignored.push(pathOf(f));
    else hours.push({ file: f, hourNs, path: pathOf(f) });
  }
  hours.sort((a, b) => (a.hourNs < b.hourNs ? -1 : a.hourNs > b.hourNs ? 1 : compareNames(a.path, b.path)));
  ignored.sort(compareNames);

  const deletions: PlannedDeletion[] = [];
  const keptCurrentHour = new Set<string>();
  const keptOutside = new Set<string>();
  const deleted = new Set<string>();
  let remaining = total;
  /** Plans deleting `h`, except the current hour's file, which is kept (and reported). */
  const remove = (h: (typeof hours)[number], reason: PlannedDeletion['reason']): void => {
    if (h.hourNs === currentHour) {
      keptCurrentHour.add(h.path);
      return;
    }
    if (h.file.pinned) {
      keptOutside.add(h.path);
      return;
    }
    deletions.push({ path: h.path, size: h.file.size, hourNs: h.hourNs, reason });
    deleted.add(h.path);
    remaining -= h.file.size;
  };

  const ageCutoffHourNs = limits.maxAgeNs === null ? null : hourFloor(limits.nowNs - limits.maxAgeNs);
  if (ageCutoffHourNs !== null) {
    for (const h of hours) {
      if (h.hourNs >= ageCutoffHourNs) break;
      remove(h, 'age');
    }
  }
  if (limits.maxSizeBytes !== null) {
    for (const h of hours) {
      if (remaining < limits.maxSizeBytes) break;
      if (!deleted.has(h.path)) remove(h, 'size');
    }
  }
  return {
    deletions,
    bytesBefore: total,
    bytesAfter: remaining,
    ageCutoffHourNs,
    keptCurrentHour: [...keptCurrentHour].sort(compareNames),
    keptOutside: [...keptOutside].sort(compareNames),
    ignored,
    underSizeLimit: limits.maxSizeBytes === null || remaining < limits.maxSizeBytes,
  };
}

/** The age cut-off as Lethe prints it (`2024-09-09_15`), for reports. */
export function formatCutoff(hourNs: bigint): string {
  return formatHourFileName(hourNs).slice(0, -'.log'.length);
}

const SIZE = /^(\d+)\s*(?:([kKmMgGtT])(?:i?[bB])?|([bB]))?$/;
const SIZE_UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * Parses a size limit. Lethe's config accepts `100k`, `100m`, `100g` (powers of 1024); we
 * accept those, upper case, `t`, an optional `B`/`iB` suffix (`1000GB`, `1000GiB`), and
 * plain bytes (`1048576`, `512B`). Every unit is binary: `1000GB` is 1000 × 2^30 bytes, as
 * Lethe reads `1000g`. `0` means no limit (returns null), as in Lethe.
 */
export function parseSize(text: string, what = 'size'): number | null {
  const m = SIZE.exec(text.trim());
  if (!m) throw new LetheQLError('INVALID_OPTION', `invalid ${what} ${JSON.stringify(text)}: expected a size such as 500m, 100g, 1000GB or 1048576 (bytes)`);
  const unit = m[2] === undefined ? 1 : SIZE_UNITS[m[2].toLowerCase()]!;
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new LetheQLError('INVALID_OPTION', `invalid ${what} ${JSON.stringify(text)}: too large`);
  return bytes === 0 ? null : bytes;
}
