/**
 * One scan job, as a worker runs it: open the file, scan it (or one byte range of it) with
 * the worker's own kernel, keep what the query wants, report per-file statistics.
 *
 * Per batch of kernel matches, as the in-thread executor does (`execute.ts`, `batchHandler`):
 * the count, then, for row queries, the rows. Rows are not decoded
 * here: each kept row's bytes (line start to message end) are copied into a
 * {@link RowChunk} with its offsets rebased, and the main thread decodes them exactly as it
 * would decode a kernel batch. With a limit a job keeps at most `limit` rows (a bounded heap
 * in result order, pruned further by the merge's cut-off), so a job's memory is bounded by
 * its block size, its read-ahead buffer and `limit` rows. Without a limit rows are posted
 * in chunks of about {@link CHUNK_BYTES} as they come.
 *
 * A metric fold (modes `buckets`/`samples`) folds every match into a fresh accumulator
 * with the query's {@link MatchFolder} (compiled once per query per worker) and returns
 * it as the outcome's `partial`.
 *
 * A job is opened ({@link openJob}) before its turn, while the worker scans the job before
 * it, then scanned ({@link runScanJob}).
 *
 * No `node:` imports: the same code serves Web Workers.
 */
import type { Kernel } from '../scan/kernel.js';
import { ReadAhead } from '../scan/read-ahead.js';
import { OFF_LINE_START, OFF_MSG_END, OFFSET_STRIDE, type MatchBatch } from '../scan/types.js';
import type { ChunkReader, ChunkSource } from '../store/types.js';
import { FoldAccumulator, MatchFolder } from './match-fold.js';
import type { MatchPipeline } from './pipeline-rows.js';
import type { JobOutcome, JobQuery, RowChunk, ScanJob } from './protocol.js';
import { RangeReader } from './range-reader.js';
import { makeBefore, TopRows, type Before, type PipedRow } from './rows.js';

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
 * Loads `query`'s program into `kernel`, and compiles its pipeline or fold. The pipeline
 * compiler is imported on first use: evaluating it (and the query lexer it brings) takes
 * ~70 ms, which a worker that only counts should not pay at start.
 */
export async function prepareQuery(query: JobQuery, kernel: Kernel): Promise<PreparedQuery> {
  kernel.setProgram(query.program as Parameters<Kernel['setProgram']>[0]);
  const fold = query.fold;
  let folder: MatchFolder | null = null;
  if (fold) {
    const pipeline = fold.stages ? (await import('../pipeline/index.js')).compilePipeline(fold.stages, { outputLabels: fold.outputLabels }) : null;
    folder = new MatchFolder(fold, query.logType, pipeline);
  }
  let pipeline: MatchPipeline | null = null;
  if (query.pipeline) {
    const { MatchPipeline } = await import('./pipeline-rows.js');
    pipeline = new MatchPipeline(query.pipeline.stages, query.logType, query.pipeline.outputLabels);
  }
  return { query, before: makeBefore(query.direction), folder, newFold: fold ? FoldAccumulator.factory(fold.into) : null, pipeline };
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
 * so that a worker can open its next job while it scans the current one (as the in-thread
 * executor opens the next file). Resolves null when the file is gone (`vanished`); rejects
 * with the raw error when it cannot be opened. `staging` is borrowed until the reader is closed.
 */
export async function openJob(job: ScanJob, source: ChunkSource, staging: Uint8Array | null): Promise<ChunkReader | null> {
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

/** What a job needs from the worker that runs it. */
export interface JobEnv {
  kernel: Kernel;
  signal: AbortSignal;
  /** Posts a chunk of rows to the main thread (transferring its buffers). */
  emit: (chunk: RowChunk) => void;
}

/**
 * Scans one opened job and closes its reader. Resolves with the job's outcome; rejects with
 * the raw error when reading fails, and with the signal's reason when cancelled.
 */
export async function runScanJob(job: ScanJob, reader: ChunkReader, prepared: PreparedQuery, env: JobEnv): Promise<JobOutcome> {
  const { query } = prepared;
  try {
    const { before } = prepared;
    const key = job.key;
    const cutoff = job.cutoff;
    const rows = query.mode === 'rows';
    const folder = prepared.folder;
    const into = prepared.newFold?.() ?? null;
    const pipeline = prepared.pipeline;
    const cluster = job.cluster;
    const top = rows && query.limit !== null ? new TopRows<CopiedRow>(query.limit, before) : null;
    const chunk = rows && query.limit === null ? new ChunkBuilder() : null;
    let matched = 0;
    const onBatch = (b: MatchBatch): void => {
      matched += b.count;
      if (into !== null) return folder!.fold(b, cluster, into);
      if (!rows) {
        if (pipeline !== null) for (let i = 0; i < b.count; i++) if (pipeline.process(b, i, cluster) === null) matched--;
        return;
      }
      const { offsets, timesNs, lineNos } = b;
      for (let i = 0; i < b.count; i++) {
        const o = i * OFFSET_STRIDE;
        // The pipeline sees every match, before the limit, so that `matched` counts what it lets through.
        let piped: PipedRow | undefined;
        if (pipeline !== null) {
          const out = pipeline.apply(b, i, cluster);
          if (out === null) {
            matched--;
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
    };
    const fs = await env.kernel.scanFile(reader, { blockSize: query.blockSize, maxLineBytes: query.maxLineBytes, maxBadLineSamples: query.maxBadLineSamples, signal: env.signal }, onBatch);
    if (top) {
      const out = new ChunkBuilder();
      for (const k of top.items()) out.addCopied(k.row, k.t, k.n);
      if (out.count > 0) env.emit(out.take());
    } else if (chunk && chunk.count > 0) {
      env.emit(chunk.take());
    }
    const outcome: JobOutcome = { kind: 'read', bytes: fs.bytes, lines: fs.lines, validated: fs.validated, badLines: fs.badLines, badLineSamples: fs.badLineSamples, matched };
    if (into !== null) outcome.partial = into.partial();
    return outcome;
  } finally {
    await reader.close();
  }
}
