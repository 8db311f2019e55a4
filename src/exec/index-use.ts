/**
 * The executor's side of sidecar indexes: what to read of each planned file, and how to
 * account for what is not read, so that a query's rows, counts, order and statistics are
 * those of a full scan (contract §5). One module for both scan paths: the local scan job
 * (`scan-job.ts`) and the worker merge (`workers/parallel.ts`) ask it the same questions.
 *
 * Per file ({@link fileUses}), from the plan's {@link PlannedIndex}:
 * - `skip`: nothing is read. No good line is in the window, or every block was pruned (by
 *   time or bloom), or a selector-only count is answered from the sidecar's streams. The
 *   file still counts as read; its lines, bad lines and first bad lines come from the sidecar.
 * - `runs`: only the plan's runs (line-aligned byte ranges of blocks) are read; each run's
 *   line numbers are shifted by the lines before it, so row order and bad-line numbers are
 *   exact; the skipped blocks' lines and bad lines come from the sidecar.
 * - `whole`: the file is scanned as without an index (no sidecar, every block kept, or the
 *   sidecar cannot speak for this scan: a line longer than the scan's or the build's
 *   `maxLineBytes` would be classed differently, so it is not trusted).
 *
 * **Validation under the search-first kernel.** With a search anchor (`Kernel.searchAnchor`)
 * the kernel validates only the lines holding a candidate, and `badLines` counts bad lines
 * among validated lines. Data not read thanks to a sidecar counts as validated: the index
 * validated every line of it when it was built (its program has no line filter). So a skipped
 * file or block adds its sidecar lines to `linesScanned` *and* `linesValidated`, and its
 * sidecar bad lines and samples; a run adds what its scan reports. `badLines` is then the bad
 * lines among the lines validated, by the kernel during this scan or by the index when it was
 * built. Without an anchor (selector only, negated filters) the kernel validates every line
 * and every statistic is a full scan's; with one, rows, counts, order, `linesScanned`,
 * `linesMatched` and `filesRead` are a full scan's, and `linesValidated` and `badLines` are at
 * least a full scan's (the lines a full scan validates are validated here too).
 *
 * Bad-line samples of a file are the first of its counted bad lines in line order. The
 * sidecar keeps the file's first 100 bad lines (all a query can show), a run's scan its own
 * first 100: below the line where a capped list stops (`sampledThrough`), the union holds
 * every counted bad line, so sorting it and keeping what lies below that line gives the
 * file's first counted bad lines without a gap. Without an anchor that is exactly a full
 * scan's first 100. With one, a file with more than 100 bad lines may show fewer samples
 * (the sidecar's 100 may lie in runs whose lines the kernel did not validate).
 *
 * What differs from a full scan, by definition: `bytesScanned` counts the bytes actually
 * read; `index.bytesSkipped` the bytes not read thanks to sidecars (their sum is the full
 * scan's `bytesScanned`). A file that vanished after planning is reported `vanished` only if
 * something of it had to be read.
 *
 * No `node:` imports.
 */
import type { LogQueryPlan } from '../plan/plan.js';
import type { IndexRun, PlannedIndex } from '../plan/sidecar-plan.js';
import { DEFAULT_MAX_LINE_BYTES, type Kernel } from '../scan/kernel.js';
import type { BadLine, BadLineReason, FileScanStats, MatchBatch, ScanOptions } from '../scan/types.js';
import type { ChunkReader } from '../store/types.js';
import { RangeReader } from './range-reader.js';

/** Statistics of sidecar use in one query; present when a planned file had a sidecar. */
export interface IndexStats {
  /** Planned files with a usable sidecar, and without one. */
  filesIndexed: number;
  filesNotIndexed: number;
  /** Of the indexed files, those skipped on their target summary without opening their sidecar (`store/index-summary.ts`). */
  filesFromSummary: number;
  /** Files whose target summary showed their sidecar could not narrow the query: not opened, read whole (counted in neither of the above). */
  filesIndexNotNeeded: number;
  /** Files not read: no line in the window; every block pruned by a literal; counted from streams. */
  filesSkippedByTime: number;
  filesSkippedByBloom: number;
  filesCounted: number;
  /** Blocks of indexed files: read, and skipped by time range or by bloom. */
  blocksScanned: number;
  blocksSkippedByTime: number;
  blocksSkippedByBloom: number;
  /** Bytes not read thanks to sidecars (`bytesScanned + bytesSkipped` is a full scan's `bytesScanned`). */
  bytesSkipped: number;
  /** Sidecars ignored, and why (at most {@link MAX_INDEX_NOTES}). */
  notes: { path: string; problem: string; detail: string }[];
}

export const MAX_INDEX_NOTES = 100;

/** How one planned file is read (see the module note). */
export type FileUse =
  | { kind: 'whole'; note?: string; blocks?: number }
  | { kind: 'skip'; why: 'time' | 'bloom' | 'count'; matched: number; index: PlannedIndex }
  | { kind: 'runs'; runs: IndexRun[]; index: PlannedIndex };

/** The index part of a query's statistics before any scan, from the plan's summary. */
export function emptyIndexStats(plan: Pick<LogQueryPlan, 'index'>): IndexStats | undefined {
  const s = plan.index;
  if (!s) return undefined;
  return {
    filesIndexed: s.used,
    filesNotIndexed: s.missing + s.problems.length,
    filesFromSummary: s.fromSummary,
    filesIndexNotNeeded: s.unneeded,
    filesSkippedByTime: 0,
    filesSkippedByBloom: 0,
    filesCounted: 0,
    blocksScanned: 0,
    blocksSkippedByTime: 0,
    blocksSkippedByBloom: 0,
    bytesSkipped: 0,
    notes: [...s.summaryProblems, ...s.problems].slice(0, MAX_INDEX_NOTES).map((p) => ({ path: p.path, problem: p.problem, detail: p.detail })),
  };
}

/** Adds `b`'s index statistics into `a` (metric queries sum their scans). */
export function addIndexStats(a: IndexStats, b: IndexStats): void {
  a.filesIndexed += b.filesIndexed;
  a.filesNotIndexed += b.filesNotIndexed;
  a.filesFromSummary += b.filesFromSummary;
  a.filesIndexNotNeeded += b.filesIndexNotNeeded ?? 0; // absent from an older remote member's statistics
  a.filesSkippedByTime += b.filesSkippedByTime;
  a.filesSkippedByBloom += b.filesSkippedByBloom;
  a.filesCounted += b.filesCounted;
  a.blocksScanned += b.blocksScanned;
  a.blocksSkippedByTime += b.blocksSkippedByTime;
  a.blocksSkippedByBloom += b.blocksSkippedByBloom;
  a.bytesSkipped += b.bytesSkipped;
  for (const n of b.notes) if (a.notes.length < MAX_INDEX_NOTES) a.notes.push(n);
}

/**
 * Decides how each planned file is read. `count`: the scan only counts and the plan has no
 * pipeline (a sidecar's stream counts may answer). `maxLineBytes`: the scan's option.
 */
export function fileUses(plan: LogQueryPlan, count: boolean, maxLineBytes: number | undefined): FileUse[] {
  const maxLine = maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return plan.files.map((f): FileUse => {
    const ix = f.index;
    if (!ix) return { kind: 'whole' };
    if (ix.longestLine > Math.min(maxLine, ix.builtMaxLineBytes)) {
      return { kind: 'whole', note: `a line of ${ix.longestLine} bytes is longer than maxLineBytes ${Math.min(maxLine, ix.builtMaxLineBytes)}: the sidecar's bad lines may not be this scan's` };
    }
    if (ix.fileSkippedByTime) return { kind: 'skip', why: 'time', matched: 0, index: ix };
    if (count && plan.pipeline === null && ix.count !== null) return { kind: 'skip', why: 'count', matched: ix.count, index: ix };
    if (ix.runs.length === 0) return { kind: 'skip', why: ix.blocksSkippedByBloom > 0 ? 'bloom' : 'time', matched: 0, index: ix };
    if (ix.runs.length === 1 && ix.runs[0]!.start === 0 && ix.runs[0]!.end === f.size) return { kind: 'whole', blocks: ix.blocks };
    return { kind: 'runs', runs: ix.runs, index: ix };
  });
}

/** Bytes a scan of `plan` reads given each file's use: whole files, the runs of the others. */
export function bytesToRead(plan: Pick<LogQueryPlan, 'files'>, uses: readonly FileUse[]): number {
  let n = 0;
  uses.forEach((u, i) => {
    if (u.kind === 'whole') n += plan.files[i]!.size;
    else if (u.kind === 'runs') for (const r of u.runs) n += r.end - r.start;
  });
  return n;
}

/** Records a file's use in the index statistics (blocks and bytes skipped, notes). */
export function recordUse(stats: IndexStats | undefined, path: string, size: number, use: FileUse, note?: string): void {
  if (!stats) return;
  if (note !== undefined) {
    if (stats.notes.length < MAX_INDEX_NOTES) stats.notes.push({ path, problem: 'not-used', detail: note });
    return;
  }
  if (use.kind === 'whole') {
    stats.blocksScanned += use.blocks ?? 0;
    if (use.note !== undefined && stats.notes.length < MAX_INDEX_NOTES) stats.notes.push({ path, problem: 'not-used', detail: use.note });
    return;
  }
  const ix = use.index;
  if (use.kind === 'skip') {
    if (use.why === 'count') stats.filesCounted++;
    else {
      if (use.why === 'time') stats.filesSkippedByTime++;
      else stats.filesSkippedByBloom++;
      stats.blocksSkippedByTime += ix.fileSkippedByTime ? ix.blocks : ix.blocksSkippedByTime;
      stats.blocksSkippedByBloom += ix.blocksSkippedByBloom;
    }
    stats.bytesSkipped += size;
    return;
  }
  stats.blocksSkippedByTime += ix.blocksSkippedByTime;
  stats.blocksSkippedByBloom += ix.blocksSkippedByBloom;
  const read = use.runs.reduce((a, r) => a + (r.end - r.start), 0);
  stats.blocksScanned += use.runs.reduce((a, r) => a + r.blocks, 0);
  stats.bytesSkipped += size - read;
}

/** A file not read: its statistics from the sidecar (a full scan's, bytes aside). */
export function skippedFileStats(use: Extract<FileUse, { kind: 'skip' }>): FileScanStats {
  const ix = use.index;
  // The index validated every line when it was built (see the module note).
  return { bytes: 0, lines: ix.lines, validated: ix.lines, matched: use.matched, badLines: ix.badLines, badLineSamples: ix.badLineSamples.map((s) => ({ line: s.line, reason: s.reason as BadLineReason })), stopped: false };
}

/**
 * The line up to which `samples` (line-ordered, the first of a part's `badLines`) list every
 * bad line the part counted: all of them (`Infinity`) unless the list was capped; then its
 * last line, or `base` (the lines before the part) when it holds none.
 */
export function sampledThrough(samples: readonly { line: number }[], badLines: number, base: number): number {
  if (samples.length >= badLines) return Infinity;
  return samples.length > 0 ? samples[samples.length - 1]!.line : base;
}

/**
 * One run's statistics as its scan(s) reported them, line numbers counted from the file's
 * start. `sampledThrough` (see {@link sampledThrough}) is needed when several scans make up
 * the run (workers' range jobs); without it, it is derived from the part as one scan.
 */
export type RunPart = Omit<FileScanStats, 'stopped' | 'matched'> & { sampledThrough?: number };

/**
 * A file's statistics from the scans of its runs (`parts`: per run) and the sidecar's
 * account of the blocks in between (see the module note for `linesValidated`, `badLines` and
 * why the samples are cut where a capped list stops being complete).
 */
export function combineRunStats(ix: PlannedIndex, runs: IndexRun[], parts: RunPart[], maxSamples: number): FileScanStats {
  const inRun = (line: number): boolean => runs.some((r) => line > r.lineBase && line <= r.lineBase + r.lines);
  let bytes = 0;
  let lines = ix.lines;
  let validated = ix.lines;
  let badLines = ix.badLines;
  const samples: BadLine[] = ix.badLineSamples.filter((s) => !inRun(s.line)).map((s) => ({ line: s.line, reason: s.reason as BadLineReason }));
  let through = sampledThrough(ix.badLineSamples, ix.badLines, 0);
  runs.forEach((r, k) => {
    const p = parts[k]!;
    bytes += p.bytes;
    // The data wins over the summary for what was read (they agree unless the file changed
    // without its size or mtime changing). The sidecar's lines of a run were all validated
    // when it was built; the scan's count replaces them.
    lines += p.lines - r.lines;
    validated += p.validated - r.lines;
    badLines += p.badLines - r.badLines;
    samples.push(...p.badLineSamples);
    through = Math.min(through, p.sampledThrough ?? sampledThrough(p.badLineSamples, p.badLines, r.lineBase));
  });
  samples.sort((a, b) => a.line - b.line);
  return { bytes, lines, validated, matched: 0, badLines, badLineSamples: samples.filter((s) => s.line <= through).slice(0, maxSamples), stopped: false };
}

/** Wraps a batch handler so that line numbers count from the file's start (`base` lines before the run). */
export function shiftLines(onBatch: (b: MatchBatch) => boolean | void, base: number): (b: MatchBatch) => boolean | void {
  if (base === 0) return onBatch;
  return (b) => {
    const n = b.lineNos;
    for (let i = 0; i < b.count; i++) n[i] = n[i]! + base;
    return onBatch(b);
  };
}

/** Scans a file's runs in-thread and returns its statistics as a full scan would (bytes aside). */
export async function scanRuns(kernel: Kernel, reader: ChunkReader, use: Extract<FileUse, { kind: 'runs' }>, opts: ScanOptions, onBatch: (b: MatchBatch) => boolean | void): Promise<FileScanStats> {
  const parts: FileScanStats[] = [];
  let matched = 0;
  for (const r of use.runs) {
    const fs = await kernel.scanFile(RangeReader.exact(reader, r.start, r.end), opts, shiftLines(onBatch, r.lineBase));
    matched += fs.matched;
    parts.push({ ...fs, badLineSamples: fs.badLineSamples.map((s) => ({ line: s.line + r.lineBase, reason: s.reason })) });
  }
  const out = combineRunStats(use.index, use.runs, parts, opts.maxBadLineSamples ?? 100);
  out.matched = matched;
  return out;
}
