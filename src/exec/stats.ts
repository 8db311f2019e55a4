/**
 * Statistics of one query, and the per-file accounting both scan paths share: the local job
 * (`scan-job.ts`, run by `execute.ts`) and the worker merge (`workers/parallel.ts`) start
 * from {@link emptyStats}, add each file with {@link addFileStats} (a file its sidecar
 * answers for with {@link addSkippedFile}, a file gone since planning with
 * {@link addVanishedFile}) and classify read failures with {@link ioError}, so their
 * statistics cannot drift apart.
 */
import { LetheQLError } from '../errors.js';
import type { LogQueryPlan } from '../plan/plan.js';
import { DEFAULT_MAX_BAD_LINE_SAMPLES, type BadLineReason, type FileScanStats } from '../scan/types.js';
import { addIndexStats, emptyIndexStats, recordUse, skippedFileStats, type FileUse, type IndexStats } from './index-use.js';

/** Statistics of one query (contract §3). */
export interface QueryStats {
  filesRead: number;
  /** Files in the selected targets that were not read: outside the window or not named as an hour. */
  filesSkipped: number;
  /**
   * Files not read, by store-relative path: `invalid-name` (not an hour), or `vanished`
   * (listed when the query was planned, gone when it was read — retention deletes old
   * hours while queries run).
   */
  skippedFiles: { path: string; reason: 'invalid-name' | 'vanished' }[];
  bytesScanned: number;
  linesScanned: number;
  /**
   * Lines the kernel validated (timestamp, bracket fields, length). All of `linesScanned`,
   * except when the query has a required literal (a `|=` filter, a case-folded one, or a
   * regex's required literal or rare first bytes): the kernel then searches each block for
   * it first and validates only the lines that hold it ("search first, frame later"); the
   * others cannot match and are counted without being read. Lines a sidecar index answers
   * for (files and blocks not read) count as validated: the index validated them when it was
   * built (`index-use.ts`). `badLines` counts bad lines among the validated ones.
   */
  linesValidated: number;
  /** Lines that passed every filter (whether or not returned: see `truncated`). */
  linesMatched: number;
  rowsReturned: number;
  /** Bad lines among `linesValidated`: validated by the kernel during this scan, or by a sidecar index when it was built (a line neither validated is never reported bad). */
  badLines: number;
  /** The first bad lines, with file and 1-based line number. */
  badLineSamples: { path: string; line: number; reason: BadLineReason }[];
  /** True when more lines matched than `limit` allowed to return. */
  truncated: boolean;
  elapsedMs: number;
  /** Sidecar indexes: files and blocks skipped, and sidecars ignored (`index-use.ts`); absent when no planned file has a sidecar. */
  index?: IndexStats;
  /**
   * Store sets with remote members only (`exec/member-merge.ts`, `exec/member-source.ts` for metric queries): each part's statistics —
   * one per remote member, one for the local members together — in cluster order.
   */
  members?: MemberStats[];
  /** Problems that did not fail the query: a remote member left out (`onMemberError: 'warn'`), naming it. */
  warnings?: string[];
}

/** One member's statistics in a store set's answer (remote members, and the local ones as one part). */
export interface MemberStats {
  /** The clusters of this part: one for a remote member, every selected local cluster for the local part. */
  clusters: string[];
  /** The member's URL (remote), or null (the local members). */
  url: string | null;
  /** Its statistics; null when it failed (`error`) or was not asked. */
  stats: QueryStats | null;
  /** Why it has no rows in the answer (`--on-member-error warn`). */
  error?: string;
}


/** The query's bad-line samples stop at the kernel's per-scan cap: one number. */
export const MAX_BAD_LINE_SAMPLES = DEFAULT_MAX_BAD_LINE_SAMPLES;


export function emptyStats(plan: Pick<LogQueryPlan, 'filesOutOfRange' | 'skippedFiles'> & Partial<Pick<LogQueryPlan, 'index'>>): QueryStats {
  const index = emptyIndexStats(plan);
  return {
    filesRead: 0,
    filesSkipped: plan.filesOutOfRange + plan.skippedFiles.length,
    skippedFiles: plan.skippedFiles.slice(),
    bytesScanned: 0,
    linesScanned: 0,
    linesValidated: 0,
    linesMatched: 0,
    rowsReturned: 0,
    badLines: 0,
    badLineSamples: [],
    truncated: false,
    elapsedMs: 0,
    ...(index ? { index } : {}),
  };
}

/**
 * Turns a system failure to read a store file (an `E…` errno from Node, a `NotReadableError`
 * from a Blob) into an `IO_ERROR` naming the file. Anything else passes through unchanged:
 * our own errors, aborts, and bugs must not be disguised as I/O trouble.
 */
export function ioError(path: string, e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  const name = e instanceof Error ? e.name : '';
  const isSystem = (typeof code === 'string' && /^E[A-Z]+$/.test(code)) || name === 'NotReadableError' || name === 'NotFoundError';
  if (!isSystem) return e;
  return new LetheQLError('IO_ERROR', `cannot read ${path}: ${(e as Error).message}`);
}

/**
 * Adds one file's scan statistics (or those its sidecar stands for) to a query's; the one
 * place that does, for the in-thread and the worker paths alike. `countFile` is false for a
 * file already counted as read.
 */
export function addFileStats(stats: QueryStats, path: string, fs: FileScanStats, countFile = true): void {
  if (countFile) stats.filesRead++;
  stats.bytesScanned += fs.bytes;
  stats.linesScanned += fs.lines;
  stats.linesValidated += fs.validated;
  stats.badLines += fs.badLines;
  for (const bad of fs.badLineSamples) {
    if (stats.badLineSamples.length >= MAX_BAD_LINE_SAMPLES) break;
    stats.badLineSamples.push({ path, line: bad.line, reason: bad.reason });
  }
}

/** Adds a file its sidecar answers for (nothing of it read): its use, and its statistics from the sidecar. */
export function addSkippedFile(stats: QueryStats, path: string, size: number, use: Extract<FileUse, { kind: 'skip' }>): void {
  recordUse(stats.index, path, size, use);
  const fs = skippedFileStats(use);
  stats.linesMatched += fs.matched;
  addFileStats(stats, path, fs);
}

/** Adds a file listed when the query was planned and gone when it was to be read. */
export function addVanishedFile(stats: QueryStats, path: string): void {
  stats.filesSkipped++;
  stats.skippedFiles.push({ path, reason: 'vanished' });
}

/**
 * Adds one scan's statistics into a running total: a metric query's scans (one per range
 * aggregation) and a store set's members. Bad-line samples and index notes keep their caps.
 */
export function addStats(total: QueryStats, s: QueryStats): void {
  total.filesRead += s.filesRead;
  total.filesSkipped += s.filesSkipped;
  total.skippedFiles.push(...s.skippedFiles);
  total.bytesScanned += s.bytesScanned;
  total.linesScanned += s.linesScanned;
  total.linesValidated += s.linesValidated;
  total.linesMatched += s.linesMatched;
  total.badLines += s.badLines;
  for (const b of s.badLineSamples) if (total.badLineSamples.length < MAX_BAD_LINE_SAMPLES) total.badLineSamples.push(b);
  total.truncated ||= s.truncated;
  if (s.index) {
    if (total.index) addIndexStats(total.index, s.index);
    else total.index = { ...s.index, notes: s.index.notes.slice() };
  }
}
