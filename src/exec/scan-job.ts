/**
 * The scan loop, once for both scan paths: a scan job opens its file (or one byte range of
 * it, or every file of a plan), scans it with a kernel, hands each batch of kernel matches to
 * the query's sink and reports per-file statistics.
 *
 * - On a worker (`workers/scan-worker.ts`), a job is a batch of parts, each one file or byte
 *   range ({@link openJob}, then {@link runScanJob} per part): rows are not decoded there.
 *   Each kept row's bytes (line start to message end) are copied into a {@link RowChunk}
 *   with its offsets rebased, and the main thread decodes them exactly as it would decode a
 *   kernel batch. With a limit a part keeps at most `limit` rows (a bounded heap in result
 *   order, pruned further by the merge's cut-off), so a part's memory is bounded by its
 *   block size, its read-ahead buffer and `limit` rows. Without a limit rows are posted in chunks of about
 *   {@link CHUNK_BYTES} as they come. A metric fold (modes `buckets`/`samples`) folds every
 *   match of a job's parts, in order, into the job's accumulator ({@link JobEnv.fold}).
 * - In the calling thread (`execute.ts`), the local job ({@link runLocalJob}) runs over all
 *   of a plan's files in store order, opening each file ahead ({@link openJob} again) while
 *   the one before it is scanned, and its batches go straight into the caller's sink: whole
 *   blocks in, offsets out, nothing copied.
 *
 * Per batch, both run {@link matchHandler}: a fold, or the pipeline then the rows, or the
 * pipeline then the count. Per file, both ask `index-use.ts` what to read (skip, runs,
 * whole) and account for it through `stats.ts`.
 *
 * No `node:` imports: the same code serves Web Workers.
 */
import type { LogType } from '../model.js';
import type { LogQueryPlan } from '../plan/plan.js';
import type { Kernel } from '../scan/kernel.js';
import { ReadAhead } from '../scan/read-ahead.js';
import { OFF_LINE_START, OFF_MSG_END, OFFSET_STRIDE, type MatchBatch, type ScanOptions } from '../scan/types.js';
import type { ChunkReader, ChunkSource } from '../store/types.js';
import { recordUse, scanRuns, type FileUse } from './index-use.js';
import { FoldAccumulator, MatchFolder, type FoldSpec } from './match-fold.js';
import type { MatchPipeline } from './pipeline-rows.js';
import type { JobOutcome, JobPart, JobQuery, RowChunk, RowKey } from './workers/protocol.js';
import { RangeReader } from './range-reader.js';
import { FieldDecoder, keepRows, makeBefore, TopRows, type Before, type PipedRow } from './rows.js';
import type { Sink } from './sink.js';
import { addFileStats, addSkippedFile, addVanishedFile, ioError, type QueryStats } from './stats.js';

/** Rows are posted once a chunk holds this many bytes (no-limit queries). */
export const CHUNK_BYTES = 1 << 20;
const CHUNK_ROWS = 16384;

/** A query's per-worker state, kept across the query's jobs. */
export interface PreparedQuery {
  query: JobQuery;
  before: Before;
  /** Modes `buckets`/`samples`: the compiled fold, and a maker of each job's accumulator. */
  folder: MatchFolder | null;
  newFold: (() => FoldAccumulator) | null;
  /** A log query's pipeline, compiled (one per query per worker: jobs scan one at a time). */
  pipeline: MatchPipeline | null;
}

/**
 * A row or count scan's pipeline as plain data, for the local job and a worker's `JobQuery`:
 * the plan's, reading every label for rows and none for a count (parsers then extract only
 * what its own stages read); null for a fold (its spec carries its own) and a visit.
 */
export function pipelineSpec(plan: Pick<LogQueryPlan, 'pipeline'>, sink: Sink['kind'], maxTemplateBytes: number | undefined): JobQuery['pipeline'] {
  return plan.pipeline && (sink === 'rows' || sink === 'count') ? { stages: plan.pipeline.stages, outputLabels: sink === 'count' ? [] : 'all', maxTemplateBytes } : null;
}

/**
 * Compiles a scan's pipeline ({@link pipelineSpec}) and fold, in this thread (`execute.ts`,
 * `metric-source.ts`) and per query on a worker ({@link prepareQuery}) alike. The pipeline
 * compiler is imported on first use: evaluating it (and the query lexer it brings) takes
 * ~70 ms, which a worker that only counts should not pay at start.
 */
export async function compileMatchers(logType: LogType, pipeline: JobQuery['pipeline'], fold: FoldSpec | null): Promise<{ pipeline: MatchPipeline | null; folder: MatchFolder | null }> {
  const foldPipeline = fold?.stages ? (await import('../pipeline/index.js')).compilePipeline(fold.stages, { outputLabels: fold.outputLabels, maxTemplateBytes: fold.maxTemplateBytes }) : null;
  const folder = fold ? new MatchFolder(fold, logType, foldPipeline) : null;
  const rows = pipeline ? new (await import('./pipeline-rows.js')).MatchPipeline(pipeline.stages, logType, pipeline.outputLabels, pipeline.maxTemplateBytes) : null;
  return { pipeline: rows, folder };
}

/** Loads `query`'s program into `kernel`, and compiles its pipeline or fold ({@link compileMatchers}). */
export async function prepareQuery(query: JobQuery, kernel: Kernel): Promise<PreparedQuery> {
  kernel.setProgram(query.program as Parameters<Kernel['setProgram']>[0]);
  const { pipeline, folder } = await compileMatchers(query.logType, query.pipeline, query.fold);
  return { query, before: makeBefore(query.direction), folder, newFold: query.fold ? FoldAccumulator.factory(query.fold.into) : null, pipeline };
}

/** A row copied out of kernel memory: its bytes and its offsets relative to them. */
interface CopiedRow {
  bytes: Uint8Array;
  offsets: Int32Array;
  /** With a pipeline: what it made of the row. */
  piped?: PipedRow;
}

/** Builds {@link RowChunk}s: rows appended as bytes plus columns, buffers grown by doubling. */
class ChunkBuilder {
  count = 0;
  private used = 0;
  private bytes = new Uint8Array(64 * 1024);
  private offsets = new Int32Array(256 * OFFSET_STRIDE);
  private times = new BigInt64Array(256);
  private lineNos = new Uint32Array(256);
  private piped: PipedRow[] | null = null;

  get byteLength(): number {
    return this.used;
  }

  /** Appends row `i` of a kernel batch (`o` = its offset index), with what a pipeline made of it. */
  addFromBatch(b: MatchBatch, i: number, o: number, piped?: PipedRow): void {
    const start = b.offsets[o + OFF_LINE_START]!;
    if (piped) (this.piped ??= []).push(piped);
    this.append(b.bytes, start, b.offsets[o + OFF_MSG_END]!, b.offsets, o, b.timesNs[i]!, b.lineNos[i]!);
  }

  addCopied(row: CopiedRow, t: bigint, n: number): void {
    if (row.piped) (this.piped ??= []).push(row.piped);
    this.append(row.bytes, 0, row.bytes.length, row.offsets, 0, t, n);
  }

  private append(src: Uint8Array, start: number, end: number, offsets: Int32Array, o: number, t: bigint, n: number): void {
    const len = end - start;
    if (this.count === this.times.length) this.growRows();
    if (this.used + len > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + len));
      bigger.set(this.bytes.subarray(0, this.used));
      this.bytes = bigger;
    }
    this.bytes.set(src.subarray(start, end), this.used);
    const base = this.count * OFFSET_STRIDE;
    const shift = this.used - start;
    for (let k = 0; k < OFFSET_STRIDE; k++) {
      const v = offsets[o + k]!;
      this.offsets[base + k] = v < 0 ? v : v + shift; // -1 marks an absent field
    }
    this.times[this.count] = t;
    this.lineNos[this.count] = n;
    this.count++;
    this.used += len;
  }

  private growRows(): void {
    const cap = this.times.length * 2;
    const offsets = new Int32Array(cap * OFFSET_STRIDE);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const times = new BigInt64Array(cap);
    times.set(this.times);
    this.times = times;
    const lineNos = new Uint32Array(cap);
    lineNos.set(this.lineNos);
    this.lineNos = lineNos;
  }

  /** The rows so far as a chunk with exactly-sized buffers (to transfer); the builder starts over. */
  take(): RowChunk {
    const chunk: RowChunk = {
      count: this.count,
      bytes: this.bytes.slice(0, this.used),
      offsets: this.offsets.slice(0, this.count * OFFSET_STRIDE),
      timesNs: this.times.slice(0, this.count),
      lineNos: this.lineNos.slice(0, this.count),
    };
    if (this.piped) chunk.piped = this.piped;
    this.count = 0;
    this.used = 0;
    this.piped = null;
    return chunk;
  }
}

/**
 * Opens a job's file (or range), and with a staging buffer starts reading its first block,
 * so that a job's next file is opened while the current one is scanned (a worker's next job,
 * the local job's next file). Resolves null when the file is gone (`vanished`); rejects
 * with the raw error when it cannot be opened. `staging` is borrowed until the reader is closed.
 */
export async function openJob(job: Pick<JobPart, 'target' | 'name' | 'range'> & { logType: LogType }, source: ChunkSource, staging: Uint8Array | null): Promise<ChunkReader | null> {
  let reader: ChunkReader;
  try {
    reader = await source.open(job.logType, job.target, job.name);
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === 'ENOENT') return null;
    throw e;
  }
  try {
    if (job.range) reader = await RangeReader.open(reader, job.range.start, job.range.end);
  } catch (e) {
    await reader.close();
    throw e;
  }
  return staging ? new ReadAhead(reader, staging).prime() : reader;
}

/** Where a scan counts its matches: a query's statistics (local job) or a worker job's own tally. */
export interface MatchTally {
  linesMatched: number;
}

/**
 * What a scan does with each kernel batch of one file (of `cluster`), the one definition for
 * both paths. A metric fold takes every match (`linesMatched` counts the kernel's matches;
 * the pipeline is the fold's). Otherwise `keep`, for row queries, keeps a batch's rows (running
 * the pipeline on each first) and returns how many the pipeline dropped; without it the
 * matches are counted, after the pipeline when there is one. The pipeline sees every match,
 * before any limit, so that `linesMatched` counts what it lets through.
 */
export function matchHandler(
  fold: { folder: MatchFolder; into: FoldAccumulator } | null,
  pipeline: MatchPipeline | null,
  cluster: string | undefined,
  tally: MatchTally,
  keep: ((b: MatchBatch) => number) | null,
): (b: MatchBatch) => void {
  if (fold !== null) {
    const { folder, into } = fold;
    return (b) => {
      tally.linesMatched += b.count;
      folder.fold(b, cluster, into);
    };
  }
  if (keep !== null) return (b) => void (tally.linesMatched += b.count - keep(b));
  if (pipeline !== null) {
    return (b) => {
      for (let i = 0; i < b.count; i++) if (pipeline.process(b, i, cluster) !== null) tally.linesMatched++;
    };
  }
  return (b) => void (tally.linesMatched += b.count);
}

/** What a job needs from the worker that runs it. */
export interface JobEnv {
  kernel: Kernel;
  signal: AbortSignal;
  /** Posts a chunk of rows to the main thread (transferring its buffers). */
  emit: (chunk: RowChunk) => void;
  /** Modes `buckets`/`samples`: the job's accumulator, which every part of the job folds into. */
  fold: FoldAccumulator | null;
}

/**
 * Scans one opened part of a job and closes its reader. Resolves with the part's outcome;
 * rejects with the raw error when reading fails, and with the signal's reason when cancelled.
 * `cutoff`: the merge's cut-off when the job was sent.
 */
export async function runScanJob(job: JobPart, cutoff: RowKey | null, reader: ChunkReader, prepared: PreparedQuery, env: JobEnv): Promise<JobOutcome> {
  const { query } = prepared;
  try {
    const { before } = prepared;
    const key = job.key;
    const rows = query.mode === 'rows';
    const folder = prepared.folder;
    const into = env.fold;
    const pipeline = prepared.pipeline;
    const cluster = job.cluster;
    const top = rows && query.limit !== null ? new TopRows<CopiedRow>(query.limit, before) : null;
    const chunk = rows && query.limit === null ? new ChunkBuilder() : null;
    const tally: MatchTally = { linesMatched: 0 };
    /** Copies a batch's rows that can make the cut (after the pipeline); returns how many the pipeline dropped. */
    const copyRows = (b: MatchBatch): number => {
      const { offsets, timesNs, lineNos } = b;
      let dropped = 0;
      for (let i = 0; i < b.count; i++) {
        const o = i * OFFSET_STRIDE;
        let piped: PipedRow | undefined;
        if (pipeline !== null) {
          const out = pipeline.apply(b, i, cluster);
          if (out === null) {
            dropped++;
            continue;
          }
          piped = out;
        }
        if (chunk) {
          chunk.addFromBatch(b, i, o, piped);
          if (chunk.byteLength >= CHUNK_BYTES || chunk.count >= CHUNK_ROWS) env.emit(chunk.take());
          continue;
        }
        const t = timesNs[i]!;
        const n = lineNos[i]!;
        // Fast path: a row after the merge's cut-off, or after this job's own `limit` rows, is dropped uncopied.
        if (cutoff !== null && !before(t, key, n, cutoff)) continue;
        if (!top!.wouldKeep(t, key, n)) continue;
        const start = offsets[o + OFF_LINE_START]!;
        const rebased = new Int32Array(OFFSET_STRIDE);
        for (let k = 0; k < OFFSET_STRIDE; k++) {
          const v = offsets[o + k]!;
          rebased[k] = v < 0 ? v : v - start;
        }
        const row: CopiedRow = { bytes: b.bytes.slice(start, offsets[o + OFF_MSG_END]!), offsets: rebased };
        if (piped) row.piped = piped;
        top!.push({ t, f: key, n, row });
      }
      return dropped;
    };
    const onBatch = matchHandler(into !== null ? { folder: folder!, into } : null, pipeline, cluster, tally, rows && into === null ? copyRows : null);
    const fs = await env.kernel.scanFile(reader, { blockSize: query.blockSize, maxLineBytes: query.maxLineBytes, maxBadLineSamples: query.maxBadLineSamples, signal: env.signal }, onBatch);
    if (top) {
      const out = new ChunkBuilder();
      for (const k of top.items()) out.addCopied(k.row, k.t, k.n);
      if (out.count > 0) env.emit(out.take());
    } else if (chunk && chunk.count > 0) {
      env.emit(chunk.take());
    }
    return { kind: 'read', bytes: fs.bytes, lines: fs.lines, validated: fs.validated, badLines: fs.badLines, badLineSamples: fs.badLineSamples, matched: tally.linesMatched };
  } finally {
    await reader.close();
  }
}

/**
 * The local job's opener: each file to read is opened (with {@link openJob}) while the file
 * before it is scanned, since opening costs a few thread-pool round trips; with read-ahead its
 * first block is read too. Two staging buffers alternate between the file being scanned and
 * the one opened ahead (as a worker's two parts do). A source that reads synchronously gets
 * no read-ahead, as on a worker: its reads are done when they return, so staging would
 * overlap nothing and only add a copy of every block — and for a file read in sidecar runs,
 * a read of its first block and of the block after each run that the runs may not need
 * (measured: a third of the indexed rare literal's CLI time on the 4 GiB store).
 */
class FileOpener {
  private staging: Uint8Array[] | null = null;
  private next: Promise<ChunkReader | null> | null;
  /** Files opened so far: the staging buffers alternate by it (not by file index: skipped files break parity). */
  private opened = 0;

  constructor(
    private readonly plan: LogQueryPlan,
    private readonly sourceOf: (fileIndex: number) => ChunkSource,
    private readonly readAhead: boolean,
    private readonly blockSize: number,
    /** Files not to open (their sidecar answers for them). */
    private readonly skip: (i: number) => boolean,
  ) {
    this.next = this.open(this.after(-1));
  }

  /** The first file after `i` that is to be opened. */
  private after(i: number): number {
    let j = i + 1;
    while (j < this.plan.files.length && this.skip(j)) j++;
    return j;
  }

  /**
   * The reader of file `i` (files are taken in order), or null when the file vanished since
   * planning; the opening of file `i + 1` begins. Other failures are `IO_ERROR`s.
   */
  async take(i: number): Promise<ChunkReader | null> {
    const pending = this.next!;
    this.next = this.open(this.after(i));
    try {
      return await pending;
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === 'ENOENT') return null;
      throw ioError(this.plan.files[i]!.path, e);
    }
  }

  /** Closes a reader opened ahead but never taken (the scan stopped or failed). */
  async dispose(): Promise<void> {
    const p = this.next;
    this.next = null;
    if (p) await p.then((r) => r?.close(), () => undefined);
  }

  private open(i: number): Promise<ChunkReader | null> | null {
    const f = this.plan.files[i];
    if (!f) return null;
    const source = this.sourceOf(i);
    let staging: Uint8Array | null = null;
    if (this.readAhead && !source.readsSynchronously) {
      this.staging ??= [new Uint8Array(this.blockSize), new Uint8Array(this.blockSize)];
      staging = this.staging[this.opened++ % 2]!;
    }
    const p = openJob({ logType: this.plan.logType, target: f.target, name: f.name, range: null }, source, staging);
    p.catch(() => undefined); // observed when taken; never an unhandled rejection
    return p;
  }
}

/** What the local job needs from the executor. */
export interface LocalJob {
  plan: LogQueryPlan;
  /** How each planned file is read (`index-use.ts`). */
  uses: readonly FileUse[];
  /** The source to open planned file `i` from (its member's, over a store set). */
  sourceOf: (fileIndex: number) => ChunkSource;
  /** An idle kernel, the plan's program loaded. */
  kernel: Kernel;
  scanOptions: ScanOptions & { blockSize: number };
  readAhead: boolean;
  /** Where the matches go; `pipeline`: the plan's, compiled, for rows and counts. */
  sink: Sink;
  pipeline: MatchPipeline | null;
  /** The query's statistics, filled in file order. */
  stats: QueryStats;
  /** Called after each file is accounted for (read, or answered by its sidecar). */
  onFile?: () => void;
}

/**
 * The in-thread scan: one job over all of a plan's files, in store order, in the calling
 * thread. Per file, as the worker path does: a file its sidecar answers for is accounted
 * without being opened, a file read in runs has only its runs scanned, a file gone since
 * planning is `vanished`; every batch goes through {@link matchHandler} into `sink` (rows
 * decoded in place, keyed by file index and line number). Read failures are `IO_ERROR`s
 * naming the file; an abort rejects with the signal's reason.
 */
export async function runLocalJob(job: LocalJob): Promise<void> {
  const { plan, uses, kernel, scanOptions, sink, pipeline, stats } = job;
  const signal = scanOptions.signal;
  const fold = sink.kind === 'fold' ? { folder: sink.folder, into: sink.into } : null;
  const fieldDecoders = Array.from({ length: plan.program.fieldCount }, () => new FieldDecoder());
  const batches = (fileIndex: number): ((b: MatchBatch) => void) => {
    const cluster = plan.files[fileIndex]!.cluster;
    const keep =
      sink.kind === 'rows'
        ? (b: MatchBatch): number => keepRows(sink, b, fileIndex, cluster, fieldDecoders, pipeline)
        : sink.kind === 'visit'
          ? (b: MatchBatch): number => (sink.visit(b, fileIndex), 0)
          : null;
    return matchHandler(fold, pipeline, cluster, stats, keep);
  };
  const files = new FileOpener(plan, job.sourceOf, job.readAhead, scanOptions.blockSize, (i) => uses[i]!.kind === 'skip');
  try {
    for (let fileIndex = 0; fileIndex < plan.files.length; fileIndex++) {
      signal?.throwIfAborted();
      const { path, size } = plan.files[fileIndex]!;
      const use = uses[fileIndex]!;
      if (use.kind === 'skip') {
        // The sidecar answers for the file: nothing to read (index-use.ts).
        addSkippedFile(stats, path, size, use);
        job.onFile?.();
        continue;
      }
      const reader = await files.take(fileIndex);
      if (reader === null) {
        addVanishedFile(stats, path);
        continue;
      }
      try {
        if (use.kind === 'runs' && reader.size === size) {
          recordUse(stats.index, path, size, use);
          addFileStats(stats, path, await scanRuns(kernel, reader, use, scanOptions, batches(fileIndex)));
        } else {
          recordUse(stats.index, path, size, use, use.kind === 'runs' ? `the file has ${reader.size} bytes, not ${size} as when planned` : undefined);
          addFileStats(stats, path, await kernel.scanFile(reader, scanOptions, batches(fileIndex)));
        }
      } catch (e) {
        if (signal?.aborted) throw e;
        throw ioError(path, e);
      } finally {
        await reader.close();
      }
      job.onFile?.();
    }
  } finally {
    await files.dispose();
  }
}
