/**
 * The scan pool: worker threads that scan files and byte ranges for the queries of one
 * store, behind the {@link ScanPool} seam the executor calls.
 *
 * What it owns: deciding per query whether workers pay (enough bytes — fewer once the
 * workers run, as then no start is paid —, at least two jobs, a source the workers can
 * reopen; the same rule for counts, rows and metric folds; log queries with a pipeline stay
 * in-thread for now), the workers' lifecycle
 * and a FIFO queue of jobs shared by concurrent queries. It knows nothing of Node or
 * browsers: the platform shell passes a {@link CreateScanWorker} (`platform/node/pool.ts` wraps
 * `worker_threads`; a Web Worker shell will wrap `new Worker()`).
 *
 * Lifecycle: no worker exists until a query needs one; then all `workers` start at once
 * and jobs go to those that said `ready`, idle workers first, at most
 * {@link JOBS_PER_WORKER} per worker, so that a worker finishing one job has the next.
 * A job is a batch of consecutive files or ranges (`parallel.ts`, {@link batchParts}). A worker is "active" (keeps a Node process
 * alive) only while it starts or runs a job, so an idle pool never holds a CLI open.
 * `close()` terminates them. A worker that answers with another kernel than ours (a stale
 * bundle), or that cannot start at all, turns the pool off: scans then run in the calling
 * thread, as with `workers: 0` (reported once through `onDisabled`).
 *
 * Memory: each worker holds one kernel (the block size plus its output columns), two
 * read-ahead buffers (the part scanned, the part opened ahead), and for a row query at most
 * `limit` rows or one ~1 MiB chunk of rows of its current part, for a metric fold its part's
 * series (series × buckets, or the job's samples): bounded by
 * workers × (block size + 2 × block size of read-ahead + per-job result cap).
 */
import { InternalError, LetheQLError } from '../../errors.js';
import type { LogQueryPlan } from '../../plan/plan.js';
import { KERNEL_WASM_INPUT_HASH } from '../../scan/kernel-wasm.generated.js';
import type { ChunkSource, SourceHandle } from '../../store/types.js';
import type { QueryStats } from '../stats.js';
import type { ExecOptions } from '../options.js';
import { bytesToRead, fileUses } from '../index-use.js';
import { batchParts, DEFAULT_BATCH_BYTES, JobCancelled, JobPartFailed, planParts, runParallel, type JobRequest, type JobResult, type JobTicket } from './parallel.js';
import type { FromWorker, RowChunk, RowKey, ToWorker } from './protocol.js';
import { deserializeError } from './protocol.js';
import type { Sink } from '../sink.js';

/** The executor's view of a pool. */
export interface ScanPool {
  /** Number of workers (started lazily). */
  readonly size: number;
  /** Jobs that workers have finished (a diagnostic; tests use it to see that workers ran). */
  readonly jobsDone: number;
  /** Jobs queued or running: 0 whenever no query is scanning (a query settles only after all its jobs have). */
  readonly pendingJobs: number;
  /**
   * Scans `plan` on the workers into `sink` and returns the statistics, or resolves to null
   * without touching `sink` when the scan should run in the calling thread instead.
   */
  scan(plan: LogQueryPlan, source: ChunkSource, opts: ExecOptions, sink: Sink, blockSize: number): Promise<QueryStats | null>;
  /** Terminates the workers; queries still running on them reject. */
  close(): Promise<void>;
}

/** One worker, as the platform shell exposes it. */
export interface ScanWorkerHandle {
  post(message: ToWorker): void;
  /** Whether the worker keeps the process alive (Node `ref`/`unref`; a no-op in browsers). */
  setActive(active: boolean): void;
  terminate(): Promise<void>;
}

/** Events a worker reports to the pool: its messages, and its failure (an error, or an exit). */
export interface ScanWorkerEvents {
  message(message: FromWorker): void;
  failure(error: unknown): void;
}

export type CreateScanWorker = (events: ScanWorkerEvents) => ScanWorkerHandle;

export interface WorkerPoolOptions {
  /** Number of workers (at least 1). */
  workers: number;
  createWorker: CreateScanWorker;
  /** Source kinds the workers can reopen (`SourceHandle.kind`). */
  sourceKinds: readonly SourceHandle['kind'][];
  /**
   * Plans reading fewer bytes run in the calling thread while no worker runs (default
   * {@link DEFAULT_PARALLEL_MIN_BYTES}); once workers run, the least of this and {@link WARM_PARALLEL_MIN_BYTES}.
   */
  minBytes?: number;
  /** Files of twice this size or more are split into ranges of about this size (default {@link DEFAULT_RANGE_BYTES}). */
  rangeBytes?: number;
  /** A job carries consecutive files or ranges up to about this many bytes (default {@link DEFAULT_BATCH_BYTES}). */
  batchBytes?: number;
  /** Told once why the pool turned itself off. */
  onDisabled?: (reason: string) => void;
}

/**
 * Below this many bytes a query stays in the calling thread while no worker runs yet.
 * Starting two workers took 80–320 ms here (median ~120 ms, on a loaded 2-core machine;
 * ~40 ms idle), and they then halve a scan that runs at ~1.5 GB/s in-thread (search-first
 * kernel, synchronous reads): two workers pay off from about `2 × 1.5 GB/s × 80 ms` ≈ 240 MB.
 * Measured whole-process on the 4 GiB bench store (`|= "HTTP/1.1"`, medians of 3): 178 MB
 * read took 0.26–0.29 s in-thread and 0.27–0.34 s on two workers, 445 MB 0.40 s and 0.36 s,
 * 49 MB (a rare literal after sidecars) 0.28–0.31 s and 0.39 s. (It was 32 MiB while the
 * kernel framed every line first and in-thread reads went through the thread pool.)
 */
export const DEFAULT_PARALLEL_MIN_BYTES = 128 << 20;
/**
 * Once workers run, the threshold drops to this (or to `minBytes` if lower): with a warm
 * pool a 7 MiB count took 8.7 ms on two workers vs 10.2 ms in-thread, 2 MiB 8.0 vs 6.0 ms.
 */
export const WARM_PARALLEL_MIN_BYTES = 8 << 20;
/** Ranges of ~32 MiB: ~30 ms of scanning each, long enough to hide a job's overhead. */
export const DEFAULT_RANGE_BYTES = 32 << 20;
/** Jobs handed to one worker at a time: the one it scans and the next, so that it never waits for a round trip. */
export const JOBS_PER_WORKER = 2;

/** The tuning options both platforms' pools take (`openStore`, the browser entry points). */
export interface PoolTuning {
  /**
   * Queries that read fewer bytes than this scan in the calling thread (default 128 MiB:
   * about what starting the workers costs); once the workers run, queries from 8 MiB use them.
   */
  parallelMinBytes?: number;
  /** Files of at least twice this size are split into byte ranges of about this size (default 32 MiB). */
  rangeBytes?: number;
  /**
   * A worker's job carries consecutive files and ranges up to about this many bytes (default
   * 16 MiB; less when that would leave a worker fewer than four jobs): one round trip per
   * job, not per small hour file.
   */
  batchBytes?: number;
}

function checkCount(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) {
    throw new LetheQLError('INVALID_OPTION', `invalid ${name} ${String(v)}: expected an integer >= ${min}`);
  }
}

/** Checks `workers` and the tuning options (`INVALID_OPTION`), and maps the tuning to the pool's options. */
export function poolTuning(options: PoolTuning & { workers?: number }): Pick<WorkerPoolOptions, 'minBytes' | 'rangeBytes' | 'batchBytes'> {
  checkCount('workers', options.workers, 0);
  checkCount('parallelMinBytes', options.parallelMinBytes, 0);
  checkCount('rangeBytes', options.rangeBytes, 1);
  checkCount('batchBytes', options.batchBytes, 1);
  return { minBytes: options.parallelMinBytes, rangeBytes: options.rangeBytes, batchBytes: options.batchBytes };
}

interface QueuedJob {
  job: JobRequest;
  id: number;
  onRows: (part: number, chunk: RowChunk) => void;
  cutoff: () => RowKey | null;
  resolve: (o: JobResult) => void;
  reject: (e: unknown) => void;
  /** The worker running it, once started. */
  slot: Slot | null;
  cancelled: boolean;
}

interface Slot {
  handle: ScanWorkerHandle | null;
  ready: boolean;
  dead: boolean;
  /** Jobs sent to the worker and not answered yet, in the order it runs them. */
  jobs: QueuedJob[];
}

export class WorkerScanPool implements ScanPool {
  readonly size: number;
  #jobsDone = 0;
  readonly #opts: WorkerPoolOptions;
  readonly #minBytes: number;
  readonly #rangeBytes: number;
  readonly #batchBytes: number;
  #slots: Slot[] = [];
  readonly #queue: QueuedJob[] = [];
  #nextJobId = 1;
  #nextQueryId = 1;
  #disabled: string | null = null;
  #closed = false;
  /** Waiters for the first ready worker (or for the pool to turn off). */
  #readyWaiters: (() => void)[] = [];

  constructor(opts: WorkerPoolOptions) {
    if (!Number.isSafeInteger(opts.workers) || opts.workers < 1) throw new LetheQLError('INVALID_OPTION', `WorkerScanPool: workers must be a positive integer, got ${String(opts.workers)}`);
    this.size = opts.workers;
    this.#opts = opts;
    this.#minBytes = opts.minBytes ?? DEFAULT_PARALLEL_MIN_BYTES;
    this.#rangeBytes = opts.rangeBytes ?? DEFAULT_RANGE_BYTES;
    this.#batchBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  }

  get jobsDone(): number {
    return this.#jobsDone;
  }

  get pendingJobs(): number {
    return this.#queue.length + this.#slots.reduce((a, s) => a + s.jobs.length, 0);
  }

  async scan(plan: LogQueryPlan, source: ChunkSource, opts: ExecOptions, sink: Sink, blockSize: number): Promise<QueryStats | null> {
    const handle = source.handle;
    if (sink.kind === 'visit') return null; // callbacks cannot cross threads
    if (this.#closed || this.#disabled !== null || !handle || !this.#opts.sourceKinds.includes(handle.kind)) return null;
    const warm = this.#slots.some((s) => s.ready);
    const uses = fileUses(plan, sink.kind === 'count', opts.maxLineBytes);
    // What will be read, not what the files hold: a query whose sidecars leave a few blocks
    // to read scans them here rather than paying for worker start-up.
    if (bytesToRead(plan, uses) < (warm ? Math.min(this.#minBytes, WARM_PARALLEL_MIN_BYTES) : this.#minBytes)) return null;
    const planned = planParts(plan, this.#rangeBytes, uses);
    if (planned.length < 2) return null;
    if (!(await this.#started())) return null;
    // Batches small enough that every worker gets about four (the last ones balance the load).
    const bytes = bytesToRead(plan, uses);
    const batches = batchParts(plan, planned, Math.max(1, Math.min(this.#batchBytes, Math.ceil(bytes / (4 * this.size)))));
    return runParallel(this, this.#nextQueryId++, plan, handle, planned, batches, opts, sink, blockSize);
  }

  /** Starts the workers if none runs; resolves true once one is ready, false if the pool is off. */
  async #started(): Promise<boolean> {
    if (this.#slots.length === 0) for (let i = 0; i < this.size; i++) this.#spawn();
    while (!this.#slots.some((s) => s.ready) && this.#disabled === null && !this.#closed) {
      await new Promise<void>((resolve) => this.#readyWaiters.push(resolve));
    }
    return this.#disabled === null && !this.#closed;
  }

  #wakeReadyWaiters(): void {
    const ws = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of ws) w();
  }

  #spawn(): void {
    const slot: Slot = { handle: null, ready: false, dead: false, jobs: [] };
    this.#slots.push(slot);
    try {
      slot.handle = this.#opts.createWorker({
        message: (m) => this.#onMessage(slot, m),
        failure: (e) => this.#onFailure(slot, e),
      });
      slot.handle.setActive(true); // starting: keep the process alive until it is ready
    } catch (e) {
      this.#onFailure(slot, e);
    }
  }

  /** Queues a job (see {@link JobRunner}). */
  submit(job: JobRequest, onRows: (part: number, chunk: RowChunk) => void, cutoff: () => RowKey | null): JobTicket {
    let resolve!: (o: JobResult) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<JobResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const q: QueuedJob = { job, id: this.#nextJobId++, onRows, cutoff, resolve, reject, slot: null, cancelled: false };
    if (this.#closed || this.#disabled !== null) reject(new InternalError(`scan pool is ${this.#closed ? 'closed' : `off: ${this.#disabled}`}`));
    else {
      this.#queue.push(q);
      this.#dispatch();
    }
    return { done, cancel: () => this.#cancel(q) };
  }

  #cancel(q: QueuedJob): void {
    if (q.cancelled) return;
    q.cancelled = true;
    const at = this.#queue.indexOf(q);
    if (at >= 0) {
      this.#queue.splice(at, 1);
      q.reject(new JobCancelled());
    } else if (q.slot?.jobs.includes(q)) {
      // The worker answers `cancelled` (or `done`, if it was finishing) within a block, or
      // when the job's turn comes; the slot frees then.
      q.slot.handle?.post({ type: 'cancel', id: q.id });
    }
  }

  #dispatch(): void {
    // Idle workers first, then a second job to busy ones, so that jobs spread over workers.
    for (let depth = 0; depth < JOBS_PER_WORKER; depth++) {
      for (const slot of this.#slots) {
        if (this.#queue.length === 0) return;
        if (!slot.ready || slot.dead || slot.jobs.length !== depth) continue;
        const q = this.#queue.shift()!;
        q.slot = slot;
        slot.jobs.push(q);
        slot.handle!.setActive(true);
        slot.handle!.post({ type: 'job', job: { ...q.job, id: q.id, cutoff: q.cutoff() } });
      }
    }
    // Replace workers that died, up to the pool's size.
    if (this.#queue.length > 0 && this.#slots.length < this.size && !this.#closed && this.#disabled === null) this.#spawn();
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    if (slot.dead) return;
    if (m.type === 'ready') {
      if (m.kernelHash !== KERNEL_WASM_INPUT_HASH) {
        this.#disable(`the scan worker bundle embeds another kernel (${m.kernelHash.slice(0, 12)}…, expected ${KERNEL_WASM_INPUT_HASH.slice(0, 12)}…): rebuild it with npm run build`);
        return;
      }
      slot.ready = true;
      slot.handle!.setActive(false);
      this.#wakeReadyWaiters();
      this.#dispatch();
      return;
    }
    const q = slot.jobs[0];
    if (q === undefined || q.id !== m.id) return; // cannot happen: a worker answers its jobs in order
    if (m.type === 'rows') {
      if (!q.cancelled) q.onRows(m.part, m.chunk);
      return;
    }
    slot.jobs.shift();
    if (slot.jobs.length === 0) slot.handle!.setActive(false);
    this.#jobsDone++;
    if (m.type === 'done') q.resolve({ outcomes: m.outcomes, partial: m.partial ?? null });
    else if (m.type === 'cancelled' || q.cancelled) q.reject(new JobCancelled());
    else q.reject(new JobPartFailed(m.part, deserializeError(m.error)));
    this.#dispatch();
  }

  #onFailure(slot: Slot, error: unknown): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#slots = this.#slots.filter((s) => s !== slot);
    void slot.handle?.terminate().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    if (!slot.ready) {
      // It never started: the bundle is missing or broken; retrying would fail the same way.
      this.#disable(`a scan worker could not start: ${message}`);
      return;
    }
    for (const q of slot.jobs.splice(0)) q.reject(q.cancelled ? new JobCancelled() : new InternalError(`a scan worker failed: ${message}`));
    this.#dispatch();
  }

  #disable(reason: string): void {
    if (this.#disabled !== null) return;
    this.#disabled = reason;
    this.#opts.onDisabled?.(reason);
    this.#stopAll(new InternalError(`scan pool is off: ${reason}`));
  }

  /** Terminates every worker and rejects every job, queued or running. */
  #stopAll(error: Error): void {
    const slots = this.#slots;
    this.#slots = [];
    for (const q of this.#queue.splice(0)) q.reject(q.cancelled ? new JobCancelled() : error);
    for (const s of slots) {
      s.dead = true;
      for (const q of s.jobs.splice(0)) q.reject(q.cancelled ? new JobCancelled() : error);
      void s.handle?.terminate().catch(() => undefined);
    }
    this.#wakeReadyWaiters();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const handles = this.#slots.map((s) => s.handle);
    this.#stopAll(new InternalError('scan pool closed while a query was running'));
    await Promise.all(handles.map((h) => h?.terminate().catch(() => undefined)));
  }
}
