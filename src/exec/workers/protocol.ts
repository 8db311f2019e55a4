/**
 * The messages between the main thread's scan pool and its scan workers, as plain data.
 *
 * Everything here is structured-cloneable, so the same protocol runs over Node's
 * `worker_threads` and browsers' Web Workers. A worker receives {@link ScanJob}s, each a
 * batch of consecutive {@link JobPart}s in store order (a part is one file, or one
 * line-aligned byte range of a big file), opens each part's file itself through the job's
 * {@link SourceHandle}, and answers with zero or more `rows` messages (naming their part)
 * and then exactly one of `done` (every part's outcome), `failed` (naming the part that
 * failed) or `cancelled` for that job id. Job ids are unique in a pool, so a late message of
 * a cancelled job can never be taken for another job's. Parts are batched because a job's
 * round trip (a message each way, a wake-up of the main thread) cost as much as scanning a
 * 1 MB hour file: with one file per job, two workers spent about 40% of a whole-store scan
 * posting and waiting.
 *
 * Rows travel as {@link RowChunk}s: the matching lines' raw bytes plus per-row columns,
 * shaped like the kernel's own `MatchBatch` (offsets rebased into the chunk's bytes). The
 * buffers are transferred, not copied, and strings are decoded once, on the main thread.
 *
 * Metric queries (`mode` `buckets` or `samples`, {@link FoldSpec}) fold each match into
 * per-series buckets or samples in the worker (`match-fold.ts`, the code the in-thread
 * scan runs too), and the job's `done` carries its {@link FoldPartial} (buffers
 * transferred); the main thread merges partials in job order, which is store order.
 *
 * Log queries with a pipeline ({@link JobQuery.pipeline}) run it in the worker, on every
 * kernel match, before the limit (`pipeline-rows.ts`, as in-thread): a count counts what
 * it lets through, and rows travel with what it made of them ({@link RowChunk.piped}: the
 * labels and line after the stages), so parsers cost the workers, not the main thread.
 */
import { InternalError, LetheQLError, LimitError, type ErrorCode } from '../../errors.js';
import type { LogType } from '../../model.js';
import type { Direction } from '../../plan/plan.js';
import type { PipelineStage } from '../../query/ast.js';
import type { BadLine } from '../../scan/types.js';
import type { SourceHandle } from '../../store/types.js';
import type { FoldPartial, FoldSpec } from '../match-fold.js';
import type { PipedRow } from '../rows.js';

/** What every job of one query shares. Workers cache the compiled program by `id`. */
export interface JobQuery {
  /** Unique per query in a pool. */
  id: number;
  logType: LogType;
  /** The plan's kernel program, passed through untouched to `Kernel.setProgram`. */
  program: unknown;
  direction: Direction;
  /**
   * `count`: no rows come back. `rows`: matching rows, at most `limit` per job (all when
   * null). `buckets`/`samples`: a metric query's fold ({@link JobQuery.fold}), sent back with `done`.
   */
  mode: 'count' | 'rows' | 'buckets' | 'samples';
  limit: number | null;
  /** `buckets`/`samples`: what matches are folded into; null otherwise. */
  fold: FoldSpec | null;
  /** `rows`/`count` of a log query with a pipeline: its stages and the labels its consumer reads (`[]` for a count); null otherwise. */
  pipeline: { stages: PipelineStage[]; outputLabels: readonly string[] | 'all'; maxTemplateBytes?: number } | null;
  blockSize: number;
  maxLineBytes: number | undefined;
  maxBadLineSamples: number;
  readAhead: boolean;
}

/** A sort key of result order (see `rows.ts`). */
export interface RowKey {
  t: bigint;
  f: number;
  n: number;
}

/** One unit of work: consecutive parts of a plan, scanned in order by one worker. */
export interface ScanJob {
  /** Unique per job in a pool. */
  id: number;
  query: JobQuery;
  source: SourceHandle;
  logType: LogType;
  parts: JobPart[];
  /** The merge keeps nothing after this key any more (its heap is full); null: no cut yet. */
  cutoff: RowKey | null;
}

/** One part of a job: a whole file, or the lines that start inside a byte range of it. */
export interface JobPart {
  target: string;
  name: string;
  /**
   * Null: the whole file. Otherwise the lines whose first byte is in `[start, end)`
   * (`end` null: to the end of the file as it is when opened).
   */
  range: { start: number; end: number | null } | null;
  /** The `f` of this part's row keys: parts are numbered in store order, ranges of a file in byte order. */
  key: number;
  /** The file's cluster over a store set (a label the pipeline and series see); absent otherwise. */
  cluster?: string;
}

/** Matching rows of a job, in columns over the lines' bytes. Offsets follow `scan/types.ts`, relative to `bytes`. */
export interface RowChunk {
  count: number;
  bytes: Uint8Array;
  offsets: Int32Array;
  timesNs: BigInt64Array;
  /** Line numbers within the part (for a range part: counted from the range's first line). */
  lineNos: Uint32Array;
  /** With a pipeline: per row, its labels and line after the stages (the bytes still give `time_raw` and the sort key). */
  piped?: PipedRow[];
}

/** How a job part ended when it did not fail. */
export type JobOutcome =
  | { kind: 'vanished' }
  | {
      kind: 'read';
      bytes: number;
      lines: number;
      /** Lines the kernel validated (`FileScanStats.validated`). */
      validated: number;
      badLines: number;
      /** Line numbers within the part, like `RowChunk.lineNos`. */
      badLineSamples: BadLine[];
      /** Lines that passed the kernel and the post-filters. */
      matched: number;
    };

/** An error as it crosses threads: enough to rebuild the same class, code and message. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** {@link LimitError}s: the limit's name and value. */
  limit?: { name: string; max: number };
  stack?: string;
}

export type ToWorker = { type: 'job'; job: ScanJob } | { type: 'cancel'; id: number };

export type FromWorker =
  /** Sent once when the worker has loaded its kernel; `kernelHash` identifies the WASM it embeds. */
  | { type: 'ready'; kernelHash: string }
  | { type: 'rows'; id: number; part: number; chunk: RowChunk }
  /**
   * `outcomes[k]`: part `k`'s. `partial` (modes `buckets`/`samples`): the job's folded
   * matches, every part's in order into one accumulator (as in-thread), so a worker holds one
   * job's series, not one set per hour file.
   */
  | { type: 'done'; id: number; outcomes: JobOutcome[]; partial?: FoldPartial }
  /** Part `part` failed (the parts before it were scanned; their outcomes are dropped). */
  | { type: 'failed'; id: number; part: number; error: SerializedError }
  | { type: 'cancelled'; id: number };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const limit = e instanceof LimitError ? { limit: { name: e.limit, max: e.max } } : {};
    return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}), ...limit, ...(e.stack ? { stack: e.stack } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

/**
 * Rebuilds an error sent by a worker, so that callers see what the in-thread scan would
 * have thrown: the same class for our own errors and the built-in ones, and for system
 * errors the same `code` and message (the executor maps those to `IO_ERROR` itself).
 */
export function deserializeError(s: SerializedError): Error {
  let e: Error;
  if (s.name === 'LetheQLError' && s.code) e = new LetheQLError(s.code as ErrorCode, s.message);
  else if (s.name === 'LimitError' && s.limit) e = new LimitError(s.limit.name, s.limit.max, s.message);
  else if (s.name === 'InternalError') e = Object.assign(new InternalError(''), { message: s.message });
  else if (s.name === 'RangeError') e = new RangeError(s.message);
  else if (s.name === 'TypeError') e = new TypeError(s.message);
  else {
    e = new Error(s.message);
    e.name = s.name;
    if (s.code !== undefined) Object.assign(e, { code: s.code });
  }
  if (s.stack) e.stack = `${s.stack}\n    (in a scan worker)`;
  return e;
}
