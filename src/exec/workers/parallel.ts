/**
 * A query scanned by workers: split into jobs, merged back, statistics rebuilt.
 *
 * Parts: one per file, in store order; a file of at least twice `rangeBytes` becomes several
 * parts, one per line-aligned byte range (`exec/range-reader.ts`), so that one big file also uses
 * every worker. Part `j`'s rows are keyed `(time, j, line within the part)`: parts are
 * numbered in store order and ranges of a file in byte order, so that key sorts exactly like
 * `(time, file, line)` and the in-thread path's result order (contract §3) is kept, whatever
 * the order in which parts finish. Jobs: consecutive parts batched up to about `batchBytes`
 * ({@link batchParts}), so that a worker's round trip per job (a message each way) is paid per
 * several megabytes, not per small hour file.
 *
 * Merge: rows go into the caller's sink as they arrive (with a limit, the same bounded heap
 * as in-thread; its cut-off is handed to jobs when they start, so workers drop rows that
 * can no longer make it). A metric fold (`fold` sink) comes back as one partial per job (its
 * parts folded in order into one accumulator), merged in job order as soon as every earlier job's has been (`match-fold.ts`): series
 * first seen first and samples in store order, as in-thread, whatever the finishing order. Statistics are assembled at the end in file order, so they equal
 * the in-thread ones: bad-line samples in file order (range line numbers shifted by the
 * lines of earlier ranges), vanished files in file order, the same first 100 samples.
 *
 * Failures: the first error in *file order* wins, as in-thread. Jobs are started in order,
 * so when job `j` fails every job before it has started; those are awaited (their own
 * errors take precedence), every later job is cancelled, and nothing is returned until all
 * of this query's jobs have answered, so no worker is left busy with it. An aborted signal
 * cancels every job the same way and rejects with the signal's reason, as in-thread.
 *
 * Store sets: a job is sent the handle of its file's member store ({@link memberHandle}), not
 * the set's, so a worker reads one plain store as always and knows nothing of clusters; the
 * merge labels the job's rows with the file's cluster.
 */
import { InternalError, LetheQLError } from '../../errors.js';
import { fieldCount } from '../../model.js';
import type { LogQueryPlan } from '../../plan/plan.js';
import { memberHandle } from '../../store/federated-source.js';
import type { SourceHandle } from '../../store/types.js';
import { addFileStats, addSkippedFile, addVanishedFile, emptyStats, ioError, MAX_BAD_LINE_SAMPLES, type QueryStats } from '../stats.js';
import { type ExecOptions } from '../options.js';
import type { FoldPartial } from '../match-fold.js';
import type { JobOutcome, JobQuery, RowChunk, RowKey, ScanJob } from './protocol.js';
import { combineRunStats, fileUses, recordUse, sampledThrough, type FileUse, type RunPart } from '../index-use.js';
import { FieldDecoder, keepRows } from '../rows.js';
import { pipelineSpec } from '../scan-job.js';
import type { Sink } from '../sink.js';

/** A job before the pool numbers it and sets its cut-off. */
export type JobRequest = Omit<ScanJob, 'id' | 'cutoff'>;

/**
 * A submitted job. `done` resolves with each part's outcome; it rejects with
 * {@link JobCancelled} when the job was cancelled, {@link JobPartFailed} when a part failed.
 */
export interface JobTicket {
  readonly done: Promise<JobResult>;
  /** Drops the job if it has not started; otherwise asks its worker to stop. `done` settles either way. */
  cancel(): void;
}

/** What the runner needs from a pool. */
export interface JobRunner {
  /** Queues a job; `onRows` gets its row chunks; `cutoff` is read when the job starts. */
  submit(job: JobRequest, onRows: (part: number, chunk: RowChunk) => void, cutoff: () => RowKey | null): JobTicket;
}

/** The rejection of a cancelled job. */
export class JobCancelled extends Error {
  constructor() {
    super('scan job cancelled');
    this.name = 'JobCancelled';
  }
}

/** What a finished job answers: each part's outcome, and a metric fold's partial of the whole job. */
export interface JobResult {
  outcomes: JobOutcome[];
  partial: FoldPartial | null;
}

/** The rejection of a job one of whose parts failed: the part (within the job) and its error. */
export class JobPartFailed extends Error {
  constructor(
    readonly part: number,
    readonly error: unknown,
  ) {
    super('scan job part failed');
    this.name = 'JobPartFailed';
  }
}

/** Jobs carry consecutive parts up to about this many bytes (fewer when that leaves each worker fewer than four jobs). */
export const DEFAULT_BATCH_BYTES = 16 << 20;
/** ... and at most this many parts (a batch of empty or tiny files still answers in one message). */
export const MAX_BATCH_PARTS = 256;

/**
 * Groups `planned` (the parts of a plan, in store order) into batches of consecutive parts:
 * a batch closes once it holds `maxBytes` or {@link MAX_BATCH_PARTS} parts, or where a store
 * set's member changes (a job reads one member's store). Returns the
 * index of each batch's first part, plus `planned.length` at the end.
 */
export function batchParts(plan: LogQueryPlan, planned: readonly PlannedPart[], maxBytes: number): number[] {
  const starts: number[] = [];
  let bytes = Infinity;
  let parts = 0;
  let cluster: string | undefined;
  planned.forEach((j, k) => {
    const c = plan.files[j.fileIndex]!.cluster;
    // A job reads one store: over a store set, a batch ends where the member changes.
    if (bytes >= maxBytes || parts >= MAX_BATCH_PARTS || c !== cluster) {
      cluster = c;
      starts.push(k);
      bytes = 0;
      parts = 0;
    }
    const size = plan.files[j.fileIndex]!.size;
    bytes += j.range ? (j.range.end ?? size) - j.range.start : size;
    parts++;
  });
  starts.push(planned.length);
  return starts;
}

/** One part of a plan: a file, or one byte range of it. */
export interface PlannedPart {
  fileIndex: number;
  range: { start: number; end: number | null } | null;
  /** The first part of a sidecar run: the lines of the file before it (later parts of a run follow on). */
  lineBase?: number;
}

/**
 * Splits a plan into parts (see the module note; {@link batchParts} then groups them into
 * jobs); files of `2 × rangeBytes` or more are cut into ranges. With `uses` (`index-use.ts`),
 * a file its sidecar answers for has no part, and a file read in runs has one part per run
 * (cut into ranges the same way when big).
 */
export function planParts(plan: LogQueryPlan, rangeBytes: number, uses?: FileUse[]): PlannedPart[] {
  const planned: PlannedPart[] = [];
  const cut = (fileIndex: number, start: number, end: number, last: boolean, lineBase?: number): void => {
    const size = end - start;
    const parts = size < 2 * rangeBytes ? 1 : Math.ceil(size / rangeBytes);
    for (let k = 0; k < parts; k++) {
      // The last range reads to the end of the file as it is when opened (it may have grown).
      const job: PlannedPart = { fileIndex, range: { start: start + Math.floor((size * k) / parts), end: k === parts - 1 && last ? null : start + Math.floor((size * (k + 1)) / parts) } };
      if (k === 0 && lineBase !== undefined) job.lineBase = lineBase;
      planned.push(job);
    }
  };
  plan.files.forEach((f, fileIndex) => {
    const use = uses?.[fileIndex];
    if (use?.kind === 'skip') return;
    if (use?.kind === 'runs') {
      // A run that ends the file reads to its end as opened, as a whole-file job would (a line
      // appended since planning is then read, and counted from the data).
      for (const r of use.runs) cut(fileIndex, r.start, r.end, r.end === f.size, r.lineBase);
      return;
    }
    if (f.size < 2 * rangeBytes) {
      planned.push({ fileIndex, range: null });
      return;
    }
    cut(fileIndex, 0, f.size, true);
  });
  return planned;
}

/**
 * Runs the parts `planned` of `plan` on `runner`, batched at `batches` ({@link batchParts}),
 * filling `sink` exactly as the local scan job would.
 */
export async function runParallel(
  runner: JobRunner,
  queryId: number,
  plan: LogQueryPlan,
  source: SourceHandle,
  planned: PlannedPart[],
  batches: readonly number[],
  opts: ExecOptions,
  sink: Sink,
  blockSize: number,
): Promise<QueryStats> {
  const started = performance.now();
  const signal = opts.signal;
  signal?.throwIfAborted();
  if (sink.kind === 'visit') throw new InternalError('a visiting scan runs in-thread (its callback cannot cross threads)');
  const query: JobQuery = {
    id: queryId,
    logType: plan.logType,
    program: plan.program,
    direction: plan.direction,
    mode: sink.kind === 'fold' ? sink.spec.into.kind : sink.kind,
    limit: plan.limit,
    fold: sink.kind === 'fold' ? sink.spec : null,
    pipeline: pipelineSpec(plan, sink.kind, opts.maxTemplateBytes),
    blockSize,
    maxLineBytes: opts.maxLineBytes,
    maxBadLineSamples: MAX_BAD_LINE_SAMPLES,
    readAhead: opts.readAhead !== false,
  };

  const fieldDecoders = Array.from({ length: fieldCount(plan.logType) }, () => new FieldDecoder());
  let stopped = false;
  /** Decodes a worker's rows into the sink, dropping early those that cannot make the limit. */
  const mergeRows = (key: number, c: RowChunk): void => {
    if (stopped || sink.kind !== 'rows') return;
    keepRows(sink, c, key, plan.files[planned[key]!.fileIndex]!.cluster, fieldDecoders);
  };
  // Folds merge in job order (store order: first-seen series and sample order depend on it),
  // each as soon as every job before it has merged, so that few partials wait.
  const partials: (FoldPartial | null | undefined)[] = new Array(planned.length);
  let nextPartial = 0;
  const mergePartial = (index: number, p: FoldPartial | null): void => {
    if (sink.kind !== 'fold') return;
    partials[index] = p;
    while (nextPartial < planned.length && partials[nextPartial] !== undefined) {
      const q = partials[nextPartial];
      partials[nextPartial++] = null;
      if (q) sink.into.merge(q);
    }
  };
  const cutoff = (): RowKey | null => {
    const c = sink.kind === 'rows' ? (sink.top?.cutoff() ?? null) : null;
    return c && { t: c.t, f: c.f, n: c.n };
  };

  // Progress: a file counts once all of its parts are done.
  const totalBytes = plan.files.reduce((a, f) => a + f.size, 0);
  const jobsLeft = new Array<number>(plan.files.length).fill(0);
  for (const j of planned) jobsLeft[j.fileIndex]!++;
  const progress = { filesRead: 0, bytesScanned: 0, linesMatched: 0 };

  const outcomes: (JobOutcome | undefined)[] = new Array(planned.length);
  let firstError: { index: number; error: unknown } | null = null;
  const tickets: JobTicket[] = [];
  /** The job (batch) of each part. */
  const batchOf = new Array<number>(planned.length);
  /** Cancels the jobs from the one holding part `index` on. */
  const cancelFrom = (index: number): void => {
    for (let k = index < planned.length ? batchOf[index]! : tickets.length; k < tickets.length; k++) tickets[k]!.cancel();
  };
  const onAbort = (): void => {
    stopped = true;
    cancelFrom(0);
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const failJob = (index: number, error: unknown): void => {
    if (error instanceof JobCancelled) return;
    if (firstError === null || index < firstError.index) firstError = { index, error };
    stopped = true;
    cancelFrom(index + 1);
  };

  /** Part `index` is done; `partial`: its job's, given with the job's last part (a job's parts are consecutive). */
  const onOutcome = (index: number, outcome: JobOutcome, partial: FoldPartial | null): void => {
    const j = planned[index]!;
    outcomes[index] = outcome;
    if (stopped) return;
    mergePartial(index, partial);
    if (outcome.kind !== 'read') return;
    progress.bytesScanned += outcome.bytes;
    progress.linesMatched += outcome.matched;
    if (--jobsLeft[j.fileIndex]! === 0 && opts.onProgress) {
      progress.filesRead++;
      try {
        opts.onProgress({ filesRead: progress.filesRead, filesTotal: plan.files.length, bytesScanned: progress.bytesScanned, totalBytes, linesMatched: progress.linesMatched });
      } catch (e) {
        failJob(index, e); // a throwing callback fails the query, as in-thread
      }
    }
  };

  const settled: Promise<void>[] = [];
  for (let b = 0; b + 1 < batches.length; b++) {
    const from = batches[b]!;
    const to = batches[b + 1]!;
    const parts = planned.slice(from, to).map((j, i) => {
      const f = plan.files[j.fileIndex]!;
      batchOf[from + i] = b;
      return { target: f.target, name: f.name, range: j.range, key: from + i, ...(f.cluster !== undefined ? { cluster: f.cluster } : {}) };
    });
    const ticket = runner.submit(
      { query, source: memberHandle(source, plan.files[planned[from]!.fileIndex]!.cluster), logType: plan.logType, parts },
      (part, chunk) => {
        // Merging throws when a budget runs out (maxBytesReturned): that fails the query, as in-thread.
        try {
          mergeRows(from + part, chunk);
        } catch (e) {
          failJob(from + part, e);
          cancelFrom(0);
        }
      },
      cutoff,
    );
    tickets.push(ticket);
    settled.push(
      ticket.done.then(
        ({ outcomes: outs, partial }) => outs.forEach((o, i) => onOutcome(from + i, o, i === outs.length - 1 ? partial : null)),
        (e) => (e instanceof JobPartFailed ? failJob(from + e.part, e.error) : failJob(from, e)),
      ),
    );
  }
  try {
    await Promise.all(settled);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw signal.reason;
  const failure = firstError as { index: number; error: unknown } | null;
  if (failure) throw ioError(plan.files[planned[failure.index]!.fileIndex]!.path, failure.error);

  const stats = emptyStats(plan);
  const uses = fileUses(plan, sink.kind === 'count', opts.maxLineBytes);
  for (let fileIndex = 0, k = 0; fileIndex < plan.files.length; fileIndex++) {
    const { path, size } = plan.files[fileIndex]!;
    const use = uses[fileIndex]!;
    let end = k;
    while (end < planned.length && planned[end]!.fileIndex === fileIndex) end++;
    const parts = outcomes.slice(k, end) as JobOutcome[];
    const fileParts = planned.slice(k, end);
    k = end;
    if (use.kind === 'skip') {
      addSkippedFile(stats, path, size, use);
      continue;
    }
    if (parts.length === 0) continue; // not among these parts (callers pass every file's)
    const read = parts.filter((p) => p.kind === 'read');
    if (read.length === 0) {
      addVanishedFile(stats, path);
      continue;
    }
    if (read.length < parts.length) {
      // Ranges opened the file separately, and it was deleted between their opens: part of it
      // was read, part not. In-thread it would have been read whole or not at all.
      throw new LetheQLError('IO_ERROR', `cannot read ${path}: it was deleted while being read`);
    }
    recordUse(stats.index, path, size, use);
    stats.filesRead++;
    let linesBefore = 0;
    const shifted: Required<RunPart>[] = [];
    read.forEach((p, j) => {
      const base = fileParts[j]!.lineBase;
      if (base !== undefined) {
        linesBefore = base;
        shifted.push({ bytes: 0, lines: 0, validated: 0, badLines: 0, badLineSamples: [], sampledThrough: Infinity });
      }
      stats.linesMatched += p.matched;
      const cur = shifted[shifted.length - 1];
      const samples = p.badLineSamples.map((bad) => ({ line: bad.line + linesBefore, reason: bad.reason }));
      if (use.kind === 'runs' && cur) {
        cur.bytes += p.bytes;
        cur.lines += p.lines;
        cur.validated += p.validated;
        cur.badLines += p.badLines;
        cur.badLineSamples.push(...samples);
        // A job whose samples were capped hides its later bad lines (and a later job's follow them).
        cur.sampledThrough = Math.min(cur.sampledThrough, sampledThrough(samples, p.badLines, linesBefore));
      } else {
        stats.bytesScanned += p.bytes;
        stats.linesScanned += p.lines;
        stats.linesValidated += p.validated;
        stats.badLines += p.badLines;
        for (const bad of samples) {
          if (stats.badLineSamples.length >= MAX_BAD_LINE_SAMPLES) break;
          stats.badLineSamples.push({ path, line: bad.line, reason: bad.reason });
        }
      }
      linesBefore += p.lines;
    });
    if (use.kind === 'runs') addFileStats(stats, path, combineRunStats(use.index, use.runs, shifted, MAX_BAD_LINE_SAMPLES), false);
  }
  stats.elapsedMs = Math.round((performance.now() - started) * 1000) / 1000;
  return stats;
}
