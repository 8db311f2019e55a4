/**
 * Retention on a store directory: list, plan ({@link planRetention}), delete, prune.
 * Node-only.
 *
 * Order as Lethe's rotator: delete by age, delete by size, then prune. Prune removes:
 * - **empty target directories** (`pod/<ns>/`, `node/<node>/`): those this run emptied, and
 *   any other empty one whose mtime is more than 24 h before `now` (Lethe removes only the
 *   latter: its rotator does not know which directories it emptied). A writer that loses a
 *   directory this way re-creates it (ours does); the current hour's file is never deleted,
 *   so a directory being written to is never emptied.
 * - **stray root files**: regular files directly in the store root whose names start with
 *   `host` or `kube` — what Lethe's `Prune`/`Clean` remove (left by fluent-bit configs that
 *   wrote the tag as a file name). Nothing else at the root is touched (`.letheql/`, `pod/`, `node/`).
 * With `dryRun`, nothing is deleted and the report lists what would be.
 *
 * **Symbolic links** (the policy, the same for every retention run):
 * - *Followed for reading and counting.* Queries follow links (`pod/` or `node/` itself, a
 *   target directory, an hour file — the kubelet and some operators lay stores out so), so
 *   retention counts exactly what queries read, at the size of what the link points to.
 * - *Never deleted through.* A file is deleted only when the real path of its directory is
 *   inside the store root's real path; one read through a link that leaves the root (a
 *   linked `pod/` or target directory pointing elsewhere) is counted but kept, and listed in
 *   `keptOutside`. A directory is pruned only when it is a real directory inside the root,
 *   never a link. An hour file that is itself a link, in a directory inside the root, is
 *   removed as an entry of the store: `unlink` removes the link, never what it points to.
 */
import { lstat, readdir, realpath, rmdir, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { LetheQLError } from '../errors.js';
import { LOG_TYPES, type LogType } from '../model.js';
import { NS_PER_HOUR, nowNs as wallClockNs, parseDuration, parseTime, type TimeInput } from '../time.js';
import type { StorageDriver } from '../store/driver.js';
import { isS3Url, S3Driver, type S3Options } from '../platform/node/s3.js';
import { isSafeName } from '../store/paths.js';
import { SUMMARY_NAME } from '../store/index-summary.js';
import { SIDECAR_DIR, sidecarPath } from '../store/sidecar.js';
import { writeTargetSummary } from './sidecar-files.js';
import { errnoCode } from './layout.js';
import { formatCutoff, parseSize, planRetention, type PlannedDeletion, type StoreFileInfo } from './retention-plan.js';

export interface RetentionOptions {
  /** Age limit: a duration (`15d`, `36h`) or nanoseconds; `0`/undefined = none. */
  maxAge?: string | bigint;
  /** Size limit: `1000GB`, `100g`, bytes as a number; `0`/undefined = none. */
  maxSize?: string | number;
  /** Report only; delete nothing. */
  dryRun?: boolean;
  /** The current time (default: the real time). */
  now?: TimeInput;
  /** For an `s3://` store: the endpoint and region (default from the AWS environment). */
  s3?: S3Options;
}

export interface RetentionReport {
  /** The time the run used, RFC 3339. */
  now: string;
  dryRun: boolean;
  /** Files deleted (or, with `dryRun`, to be deleted), oldest first; `path` is store-relative. */
  deleted: (Omit<PlannedDeletion, 'hourNs'> & { hour: string })[];
  /** Target directories removed (or to be removed), store-relative. */
  removedDirs: string[];
  /** Stray root files removed (or to be removed). */
  removedStrays: string[];
  /** Current-hour files a limit would have taken but that were kept. */
  keptCurrentHour: string[];
  /** Files in target directories whose names are not hours: never deleted. */
  ignored: string[];
  /** Files a limit would have taken but that are read through a link leaving the store root: counted, never deleted. */
  keptOutside: string[];
  /** Age cut-off as Lethe prints it (`2024-09-09_15`: hours before it are deleted), or null. */
  ageCutoff: string | null;
  bytesBefore: number;
  bytesAfter: number;
  underSizeLimit: boolean;
  /** Deletions that failed (the run goes on). */
  errors: { path: string; message: string }[];
}

const EMPTY_DIR_GRACE_NS = 24n * NS_PER_HOUR;

/** Parses the limits; throws `INVALID_OPTION`/`INVALID_TIME` for bad values. */
export function retentionLimits(options: RetentionOptions): { maxAgeNs: bigint | null; maxSizeBytes: number | null; nowNs: bigint } {
  let maxAgeNs: bigint | null = null;
  if (typeof options.maxAge === 'bigint') maxAgeNs = options.maxAge > 0n ? options.maxAge : null;
  else if (options.maxAge !== undefined && options.maxAge.trim() !== '0') maxAgeNs = parseDuration(options.maxAge, 'max age');
  let maxSizeBytes: number | null = null;
  if (typeof options.maxSize === 'number') {
    if (!Number.isSafeInteger(options.maxSize) || options.maxSize < 0) throw new LetheQLError('INVALID_OPTION', `invalid max size ${options.maxSize}: expected a non-negative integer of bytes`);
    maxSizeBytes = options.maxSize === 0 ? null : options.maxSize;
  } else if (options.maxSize !== undefined) maxSizeBytes = parseSize(options.maxSize, 'max size');
  const nowNs = options.now === undefined ? wallClockNs() : parseTime(options.now, 'now');
  return { maxAgeNs, maxSizeBytes, nowNs };
}

/** Whether `path` (a real path) is `root` or under it. */
function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Whether `entry` of `dir` is a directory (`'dir'`) or a regular file (`'file'`), links followed, as queries list them. */
async function kindOf(dir: string, entry: { name: string; isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): Promise<'dir' | 'file' | null> {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return null;
  const st = await stat(join(dir, entry.name)).catch(() => null); // a dangling link is nothing
  return st?.isDirectory() ? 'dir' : st?.isFile() ? 'file' : null;
}

/** Deletes the sidecar of the hour file `rel` (`<logType>/<target>/<name>`) if its directory really lies inside the root; no error when it has none. */
async function unlinkSidecar(root: string, rel: string): Promise<void> {
  const path = join(root, `${SIDECAR_DIR}/${rel}.idx`);
  const [rootReal, dirReal] = await Promise.all([realpath(root), realpath(join(path, '..')).catch(() => null)]);
  if (dirReal === null || !isInside(rootReal, dirReal)) return;
  await unlink(path).catch(() => undefined);
}

/**
 * Rebuilds the target summary of `<logType>/<target>` (`rel`) after its files were deleted, so
 * that it stops naming them; only when it has one whose directory really lies inside the root.
 * A failure leaves a summary with entries for gone files, which queries never match.
 */
async function refreshSummary(root: string, rel: string): Promise<void> {
  const [logType, target] = rel.split('/') as [LogType, string];
  const dir = join(root, SIDECAR_DIR, logType, target);
  const [rootReal, dirReal] = await Promise.all([realpath(root), realpath(dir).catch(() => null)]);
  if (dirReal === null || !isInside(rootReal, dirReal)) return;
  if ((await stat(join(dir, SUMMARY_NAME)).catch(() => null)) === null) return;
  await writeTargetSummary(root, logType, target).catch(() => undefined);
}

/** A target directory as listed: `prunable` when it is a real directory inside the root (not a link). */
interface TargetDir {
  logType: LogType;
  target: string;
  prunable: boolean;
}

/**
 * Every file at `<pod|node>/<target>/<name>` that queries read (links followed) with the
 * size they read, and the target directories; files whose directory is not really inside
 * the root are `pinned` (see the module note on links).
 */
async function listStore(root: string): Promise<{ files: StoreFileInfo[]; dirs: TargetDir[] }> {
  const rootReal = await realpath(root);
  const files: StoreFileInfo[] = [];
  const dirs: TargetDir[] = [];
  const missing = (err: unknown) => errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR';
  for (const logType of Object.keys(LOG_TYPES) as LogType[]) {
    const typeDir = join(root, logType);
    let targets;
    try {
      targets = await readdir(typeDir, { withFileTypes: true });
    } catch (err) {
      if (missing(err)) continue;
      throw err;
    }
    for (const t of targets) {
      if ((await kindOf(typeDir, t)) !== 'dir') continue;
      const dir = join(typeDir, t.name);
      const dirReal = await realpath(dir).catch(() => null);
      if (dirReal === null) continue; // removed meanwhile
      const inside = isInside(rootReal, dirReal);
      dirs.push({ logType, target: t.name, prunable: inside && t.isDirectory() && isInside(rootReal, await realpath(typeDir)) });
      let names;
      try {
        names = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (missing(err)) continue;
        throw err;
      }
      for (const n of names) {
        if ((await kindOf(dir, n)) !== 'file') continue;
        try {
          const size = (await stat(join(dir, n.name))).size; // what a query reads, through a link too
          files.push({ logType, target: t.name, name: n.name, size, ...(inside ? {} : { pinned: true }) });
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw err; // deleted meanwhile
        }
      }
    }
  }
  return { files, dirs };
}

/** A report of `plan` with nothing done yet (the disk and object-store runs fill it in). */
function emptyReport(plan: ReturnType<typeof planRetention>, limits: { nowNs: bigint }, dryRun: boolean): RetentionReport {
  return {
    now: new Date(Number(limits.nowNs / 1_000_000n)).toISOString(),
    dryRun,
    deleted: [],
    removedDirs: [],
    removedStrays: [],
    keptCurrentHour: plan.keptCurrentHour,
    ignored: plan.ignored,
    keptOutside: plan.keptOutside,
    ageCutoff: plan.ageCutoffHourNs === null ? null : formatCutoff(plan.ageCutoffHourNs),
    bytesBefore: plan.bytesBefore,
    bytesAfter: plan.bytesAfter,
    underSizeLimit: plan.underSizeLimit,
    errors: [],
  };
}

/**
 * Applies the retention limits to the store at `dir` (a directory, or an `s3://` URL: see
 * {@link runObjectRetention}) once and reports what was deleted (see the module note and
 * `retention-plan.ts` for the rules). Throws `STORE_NOT_FOUND` when `dir` is not a
 * directory or the bucket does not exist.
 */
export async function runRetention(dir: string, options: RetentionOptions): Promise<RetentionReport> {
  // An s3:// store: the same plan, applied to objects ({@link runObjectRetention}).
  if (isS3Url(dir)) return runObjectRetention(new S3Driver(dir, options.s3), options);
  const root = resolve(dir);
  const limits = retentionLimits(options);
  try {
    if (!(await stat(root)).isDirectory()) throw new LetheQLError('STORE_NOT_FOUND', 'not a directory');
  } catch (err) {
    throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${root} (${(err as Error).message})`);
  }
  const dryRun = options.dryRun === true;
  const { files, dirs } = await listStore(root);
  const plan = planRetention(files, limits);
  const report = emptyReport(plan, limits, dryRun);

  const gone = new Set<string>();
  const touchedDirs = new Set<string>();
  for (const d of plan.deletions) {
    const { hourNs, ...rest } = d;
    if (!dryRun) {
      try {
        await unlink(join(root, d.path));
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') {
          report.errors.push({ path: d.path, message: (err as Error).message });
          report.bytesAfter += d.size;
          continue;
        }
      }
    }
    // The file's sidecar index goes with it (a failure leaves an orphan `letheql index` removes),
    // under the same link policy: never through a `.letheql/` link that leaves the root.
    if (!dryRun) await unlinkSidecar(root, d.path);
    report.deleted.push({ ...rest, hour: formatCutoff(hourNs) });
    gone.add(d.path);
    touchedDirs.add(d.path.slice(0, d.path.lastIndexOf('/')));
  }

  if (!dryRun) for (const rel of touchedDirs) await refreshSummary(root, rel);

  // Prune: empty target directories (with dryRun: those that would be empty).
  for (const { logType, target, prunable } of dirs) {
    if (!prunable) continue; // never remove a link, nor a directory outside the root
    const rel = `${logType}/${target}`;
    const entries = await readdir(join(root, rel)).catch(() => null);
    if (entries === null || !entries.every((n) => gone.has(`${rel}/${n}`))) continue;
    let remove = touchedDirs.has(rel);
    if (!remove) {
      const mtimeNs = await stat(join(root, rel)).then((s) => BigInt(Math.trunc(s.mtimeMs)) * 1_000_000n, () => null);
      remove = mtimeNs !== null && mtimeNs < limits.nowNs - EMPTY_DIR_GRACE_NS;
    }
    if (!remove) continue;
    if (!dryRun) {
      try {
        await rmdir(join(root, rel));
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') continue; // a writer got there first
        report.errors.push({ path: rel, message: (err as Error).message });
        continue;
      }
    }
    report.removedDirs.push(rel);
  }

  // Prune: stray root files, as Lethe.
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!(e.name.startsWith('host') || e.name.startsWith('kube'))) continue;
    const st = await lstat(join(root, e.name)).catch(() => null);
    if (!st?.isFile()) continue;
    if (!dryRun) {
      try {
        await unlink(join(root, e.name));
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') report.errors.push({ path: e.name, message: (err as Error).message });
        continue;
      }
    }
    report.removedStrays.push(e.name);
  }
  report.removedDirs.sort();
  report.removedStrays.sort();
  return report;
}

/**
 * Retention on a store behind a {@link StorageDriver} (`letheql retention --store s3://…`):
 * the same rules as on disk — Lethe's order, age then size, the current hour never deleted,
 * names that are not hours never deleted, a file's sidecar deleted with it, stray root
 * files named `host*`/`kube*` removed — planned by the same {@link planRetention}.
 *
 * What differs, because object stores have no directories: there is nothing to prune (a
 * target's "directory" is a key prefix that vanishes with its last object, so
 * `removedDirs` is always empty), and there are no links (`keptOutside` is empty).
 * Deletions go in batches (DeleteObjects, up to 1000 keys), each hour file with its sidecar.
 */
/** Applies the retention limits to the store behind `driver` once; see the note at the top. */
export async function runObjectRetention(driver: StorageDriver, options: RetentionOptions): Promise<RetentionReport> {
  const limits = retentionLimits(options);
  const dryRun = options.dryRun === true;
  if (!dryRun && !driver.delete) throw new LetheQLError('INVALID_OPTION', `${driver.description} cannot be written to`);
  await driver.check?.();
  const files: StoreFileInfo[] = [];
  for (const logType of ['pod', 'node'] as const) {
    for (const o of await driver.list(`${logType}/`)) {
      const parts = o.key.split('/');
      if (parts.length !== 3 || !isSafeName(parts[1]!) || !isSafeName(parts[2]!)) continue;
      files.push({ logType, target: parts[1]!, name: parts[2]!, size: o.size });
    }
  }
  const plan = planRetention(files, limits);
  const report = emptyReport(plan, limits, dryRun);
  const BATCH = 500; // hour files per DeleteObjects (each with its sidecar: ≤ 1000 keys)
  for (let i = 0; i < plan.deletions.length; i += BATCH) {
    const batch = plan.deletions.slice(i, i + BATCH);
    if (!dryRun) {
      const keys = batch.flatMap((d) => {
        const [logType, target, name] = d.path.split('/') as [string, string, string];
        return [d.path, sidecarPath(logType, target, name)];
      });
      try {
        await driver.delete!(keys);
      } catch (err) {
        for (const d of batch) {
          report.errors.push({ path: d.path, message: (err as Error).message });
          report.bytesAfter += d.size;
        }
        continue;
      }
    }
    for (const { hourNs, ...rest } of batch) report.deleted.push({ ...rest, hour: formatCutoff(hourNs) });
  }
  // Stray root files, as Lethe (and as on disk): objects directly under the prefix named host*/kube*.
  const strays = (await driver.listDir('')).files.map((f) => f.key).filter((k) => k.startsWith('host') || k.startsWith('kube'));
  if (strays.length > 0) {
    if (!dryRun) {
      try {
        await driver.delete!(strays);
        report.removedStrays.push(...strays);
      } catch (err) {
        for (const s of strays) report.errors.push({ path: s, message: (err as Error).message });
      }
    } else report.removedStrays.push(...strays);
  }
  report.removedStrays.sort();
  return report;
}

/** A retention loop started by {@link startRetention}. */
export interface RetentionLoop {
  /** Stops after the current run; resolves when it is done. */
  stop(): Promise<void>;
}

/**
 * Runs {@link runRetention} now and then every `intervalMs`, passing each report (or error)
 * to `onReport`, until `stop()`. The clock is read anew for each run unless `now` is given.
 */
export function startRetention(
  dir: string,
  options: RetentionOptions & { intervalMs: number; onReport?: (r: RetentionReport) => void; onError?: (e: unknown) => void },
): RetentionLoop {
  if (!(Number.isFinite(options.intervalMs) && options.intervalMs > 0)) throw new LetheQLError('INVALID_OPTION', `invalid interval ${options.intervalMs}: expected a positive number of ms`);
  retentionLimits(options); // fail early on bad limits
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopped) {
      try {
        options.onReport?.(await runRetention(dir, options));
      } catch (err) {
        options.onError?.(err);
      }
      if (stopped) break;
      await new Promise<void>((res) => {
        wake = res;
        timer = setTimeout(res, options.intervalMs);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      (wake as (() => void) | null)?.();
      await loop;
    },
  };
}
