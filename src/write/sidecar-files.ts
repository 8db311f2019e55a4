/**
 * Sidecar index files on disk: building them for a store's closed hours
 * (`letheql index`, the store writer when an hour closes) and deleting them with their
 * hour file (retention).
 *
 * A sidecar lives at `<root>/.letheql/index/<logType>/<target>/<name>.idx` (`store/sidecar.ts`
 * owns the format). It is written to a temporary name in the same directory and renamed
 * into place, so a reader sees either the old sidecar, the new one, or none — and a torn one
 * would fail its checksum anyway. Only *closed* hours are indexed: the current hour (and any
 * later one: clocks differ) is still written to, and its sidecar would go stale with the
 * next line. A sidecar is keyed by the file's size and mtime when it was built: a file
 * changed later (a late line appended to a closed hour) simply has a stale sidecar, which
 * queries ignore until the next `letheql index`.
 *
 * Each target's sidecar directory also holds the target's summary (`summary.lqts`,
 * `store/index-summary.ts`): rebuilt from the target's sidecars by {@link writeTargetSummary}
 * after `letheql index` and after the writer indexes an hour, written the same way. It is a
 * cache of the sidecars: a missing or stale one costs speed, never a row.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildSidecar, type BuildSidecarOptions } from '../exec/sidecar-build.js';
import type { LogType } from '../model.js';
import { Kernel } from '../scan/kernel.js';
import { FsChunkSource } from '../platform/node/fs-source.js';
import { HOUR_NS, parseHourFileName } from '../store/hours.js';
import { isSafeName, storePath } from '../store/paths.js';
import { decodeSummaryFiles, encodeIndexSummary, SUMMARY_NAME, type SummaryEntry } from '../store/index-summary.js';
import { decodeSidecar, fileFilterOf, SIDECAR_SUFFIX, sidecarDir, sidecarPath, type FileFilter } from '../store/sidecar.js';
import { nowNs as wallClockNs } from '../time.js';

const LOG_TYPES: LogType[] = ['pod', 'node'];

/** What happened to one file. */
export type IndexOutcome = 'built' | 'fresh' | 'unindexable';

/** Totals of one {@link indexStore} run. */
export interface IndexReport {
  built: number;
  /** Files whose sidecar was already up to date (not rebuilt without `rebuild`). */
  fresh: number;
  /** Files not indexed: a line longer than the scan's limit. */
  unindexable: number;
  /** Bytes of the hour files indexed (built ones) and of the sidecars written. */
  fileBytes: number;
  sidecarBytes: number;
  /** Sidecars deleted because their hour file is gone. */
  orphansRemoved: number;
  /** Target summaries written, and their bytes. */
  summaries: number;
  summaryBytes: number;
}

export interface IndexStoreOptions extends BuildSidecarOptions {
  /** Index only hours that end after `now - sinceNs`. */
  sinceNs?: bigint;
  /** The clock (ns); hours ending after it are open and not indexed. Default: now. */
  nowNs?: bigint;
  /** Rebuild sidecars that are up to date. */
  rebuild?: boolean;
  /** A kernel to borrow (default: one is loaded). */
  kernel?: Kernel;
  /** Called after each file. */
  onFile?: (path: string, outcome: IndexOutcome) => void;
}

/** Whether an hour file is closed at `nowNs` (its hour has ended). */
export function isClosedHour(name: string, nowNs: bigint): boolean {
  const h = parseHourFileName(name);
  return h !== null && h + HOUR_NS <= nowNs;
}

/**
 * Builds (or rebuilds) the sidecar of one hour file of the store at `root`. Returns
 * `fresh` when an up-to-date sidecar exists (unless `rebuild`), `unindexable` when the file
 * has a line too long to index, `built` otherwise, with the sidecar's size.
 */
export async function indexFile(root: string, logType: LogType, target: string, name: string, opts: IndexStoreOptions & { kernel: Kernel }): Promise<{ outcome: IndexOutcome; fileBytes: number; sidecarBytes: number }> {
  const source = new FsChunkSource(root);
  const path = join(source.root, logType, target, name);
  const dest = join(source.root, sidecarPath(logType, target, name));
  const st = await stat(path);
  const identity = { path: storePath(logType, target, name), size: st.size, mtimeMs: st.mtimeMs };
  if (!opts.rebuild) {
    const old = await source.readSidecar(logType, target, name);
    if (old !== null && decodeSidecar(old.bytes, identity).ok) return { outcome: 'fresh', fileBytes: st.size, sidecarBytes: old.bytes.length };
  }
  const reader = await source.open(logType, target, name);
  let bytes: Uint8Array | null;
  try {
    if (reader.size !== st.size) return { outcome: 'unindexable', fileBytes: reader.size, sidecarBytes: 0 }; // changing under us
    bytes = await buildSidecar(reader, opts.kernel, logType, identity, opts);
  } finally {
    await reader.close();
  }
  // A file written while it was indexed would be described wrongly: keep no sidecar for it.
  const after = await stat(path);
  if (bytes === null || after.size !== st.size || after.mtimeMs !== st.mtimeMs) {
    await rm(dest, { force: true });
    return { outcome: 'unindexable', fileBytes: st.size, sidecarBytes: 0 };
  }
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, dest);
  return { outcome: 'built', fileBytes: st.size, sidecarBytes: bytes.length };
}

/**
 * Rebuilds the summary of one target from its sidecars (those that check out and have a file
 * filter; the others are left out, so their files are planned from their own sidecars or
 * scanned). Deletes the summary when the target has no usable sidecar. Returns its size.
 *
 * Incremental unless `full`: an entry of the current summary whose file still has a sidecar
 * and the entry's size and mtime is kept without reading that sidecar, so the writer's update
 * after each closed hour reads the new sidecars only, not a year of them.
 */
export async function writeTargetSummary(root: string, logType: LogType, target: string, opts: { full?: boolean } = {}): Promise<number> {
  const dir = join(root, sidecarDir(logType, target));
  const files: { entry: SummaryEntry; filter: FileFilter }[] = [];
  const current = new Map<string, { entry: SummaryEntry; filter: FileFilter }>();
  if (!opts.full) {
    const old = await readFile(join(dir, SUMMARY_NAME)).catch(() => null);
    const d = old === null ? [] : decodeSummaryFiles(new Uint8Array(old));
    if (Array.isArray(d)) for (const f of d) if (f.entry.etag === undefined) current.set(f.entry.name, f);
  }
  for (const idx of await names(dir)) {
    if (!idx.endsWith(SIDECAR_SUFFIX)) continue;
    const name = idx.slice(0, -SIDECAR_SUFFIX.length);
    const known = current.get(name);
    if (known) {
      const st = await stat(join(root, logType, target, name)).catch(() => null);
      if (st !== null && st.size === known.entry.size && st.mtimeMs === known.entry.mtimeMs) {
        files.push(known);
        continue;
      }
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(dir, idx));
    } catch {
      continue; // deleted meanwhile
    }
    const r = decodeSidecar(bytes);
    if (!r.ok || r.sidecar.header.file.path !== storePath(logType, target, name)) continue;
    const filter = fileFilterOf(r.sidecar, bytes);
    if (filter === null) continue;
    const h = r.sidecar.header;
    files.push({
      entry: { name, size: h.file.size, mtimeMs: h.file.mtimeMs, lines: h.lines, badLines: h.badLines, longestLine: h.longestLine, maxLineBytes: h.build.maxLineBytes, blocks: h.blocks.length, minNs: h.minNs === null ? null : BigInt(h.minNs), maxNs: h.maxNs === null ? null : BigInt(h.maxNs), words: filter.words, hexMap: filter.hexMap },
      filter: { words: filter.words, hexMap: filter.hexMap, bytes: filter.bytes.slice() },
    });
  }
  const dest = join(dir, SUMMARY_NAME);
  if (files.length === 0) {
    await rm(dest, { force: true });
    return 0;
  }
  files.sort((a, b) => (a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
  const bytes = encodeIndexSummary(files);
  const tmp = `${dest}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, dest);
  return bytes.length;
}

/** Deletes the sidecar of a file, if any (retention deletes it with its file). */
export async function deleteSidecar(root: string, logType: LogType, target: string, name: string): Promise<void> {
  if (!isSafeName(target) || !isSafeName(name)) return;
  await rm(join(root, sidecarPath(logType, target, name)), { force: true });
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isSafeName).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
}

/**
 * Builds sidecars for every closed hour file of the store at `root` (within `sinceNs` of
 * now when given) that has none or a stale one, and deletes sidecars whose file is gone.
 */
export async function indexStore(root: string, opts: IndexStoreOptions = {}): Promise<IndexReport> {
  const nowNs = opts.nowNs ?? wallClockNs();
  const kernel = opts.kernel ?? (await Kernel.load());
  const report: IndexReport = { built: 0, fresh: 0, unindexable: 0, fileBytes: 0, sidecarBytes: 0, orphansRemoved: 0, summaries: 0, summaryBytes: 0 };
  const source = await FsChunkSource.open(root);
  for (const logType of LOG_TYPES) {
    for (const target of await source.listTargets(logType)) {
      const files = await source.listFiles(logType, target);
      const present = new Set(files.map((f) => f.name));
      for (const f of files) {
        if (!isClosedHour(f.name, nowNs)) continue;
        if (opts.sinceNs !== undefined && parseHourFileName(f.name)! + HOUR_NS <= nowNs - opts.sinceNs) continue;
        opts.signal?.throwIfAborted();
        const r = await indexFile(source.root, logType, target, f.name, { ...opts, kernel });
        report[r.outcome]++;
        if (r.outcome === 'built') {
          report.fileBytes += r.fileBytes;
          report.sidecarBytes += r.sidecarBytes;
        }
        opts.onFile?.(storePath(logType, target, f.name), r.outcome);
      }
      // Sidecars of files that are gone (deleted by other tools than ours).
      for (const idx of await names(join(source.root, '.letheql/index', logType, target))) {
        if (!idx.endsWith('.idx') || present.has(idx.slice(0, -4))) continue;
        await rm(join(source.root, '.letheql/index', logType, target, idx), { force: true });
        report.orphansRemoved++;
      }
      const summaryBytes = await writeTargetSummary(source.root, logType, target, { full: opts.rebuild === true });
      if (summaryBytes > 0) {
        report.summaries++;
        report.summaryBytes += summaryBytes;
      }
    }
  }
  return report;
}
