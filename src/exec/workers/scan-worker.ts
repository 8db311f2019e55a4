/**
 * The scan worker's message loop, independent of the platform: a thin shell
 * (`platform/node/worker.ts` for Node's `worker_threads`, `platform/browser/worker.ts` for Web Workers) hands it a way
 * to post messages and to reopen a source from its handle,
 * and feeds it the messages it receives.
 *
 * The worker instantiates its kernel once (from the module its host hands it, or the
 * embedded one), announces itself (`ready`, with the hash of the
 * kernel WASM it embeds, so the pool can refuse a stale bundle), then scans the parts of its
 * jobs one at a time, in the order received. While one part is scanned, the next (of this
 * job or of the next one: the pool keeps at most two jobs on a worker) is opened and its
 * first block read (into the other of two staging buffers), as the local scan job opens the
 * next file; without that, every part would start with an idle wait for `open` and a first
 * read. A `cancel` aborts a job between blocks, or before it starts; it then answers
 * `cancelled`. A query's program is loaded
 * into the kernel on its first job here and kept for its next ones, with its compiled
 * metric fold, if any (the pipeline compiler is loaded then, on first use).
 */
import { Kernel } from '../../scan/kernel.js';
import { KERNEL_WASM_INPUT_HASH } from '../../scan/kernel-wasm.generated.js';
import type { ChunkReader, ChunkSource, SourceHandle } from '../../store/types.js';
import { serializeError, type FromWorker, type JobOutcome, type RowChunk, type ScanJob, type ToWorker } from './protocol.js';
import { partialTransferables, type FoldAccumulator } from '../match-fold.js';
import { openJob, prepareQuery, runScanJob, type PreparedQuery } from '../scan-job.js';

/** What the platform shell provides. */
export interface WorkerHost {
  /** Posts a message to the pool, transferring the listed buffers. */
  post(message: FromWorker, transfer: ArrayBuffer[]): void;
  /** Opens the source a job names (e.g. `new FsChunkSource(handle.root)`). */
  reopen(handle: SourceHandle): ChunkSource;
  /**
   * The key under which a reopened source is kept for later jobs. Default: the handle as
   * JSON, right for plain-data handles (`fs`); a handle holding `Blob`s needs its own (a Blob
   * prints as `{}`, so two Blob stores with the same paths would share one entry).
   */
  sourceKey?(handle: SourceHandle): string;
  /** The kernel, already compiled (by the pool's thread); default: the embedded one, compiled here. */
  kernel?: WebAssembly.Module;
}

function transferables(chunk: RowChunk): ArrayBuffer[] {
  return [chunk.bytes.buffer, chunk.offsets.buffer, chunk.timesNs.buffer, chunk.lineNos.buffer] as ArrayBuffer[];
}

/** A job received and not answered yet. */
interface JobState {
  job: ScanJob;
  abort: AbortController;
  /** Outcomes of the parts scanned so far, by part index. */
  outcomes: JobOutcome[];
  /** The job has answered (`done`, `failed` or `cancelled`): its later parts are not scanned. */
  answered: boolean;
  /** Modes `buckets`/`samples`: the accumulator every part folds into (made with the first part read). */
  fold: FoldAccumulator | null;
}

/** One part of a received job, in the worker's queue; opened when the part before it starts. */
interface Entry {
  state: JobState;
  part: number;
  staging: Uint8Array | null;
  opened: Promise<ChunkReader | null> | null;
}

/** Starts a worker: loads its kernel, posts `ready`, and returns the handler of incoming messages. */
export async function startScanWorker(host: WorkerHost): Promise<(message: ToWorker) => void> {
  const kernel = await Kernel.load(host.kernel);
  const sources = new Map<string, ChunkSource>();
  let prepared: PreparedQuery | null = null;
  /** Two read-ahead buffers: one for the part being scanned, one for the part opened ahead. */
  const freeStaging: Uint8Array[] = [];
  const queue: Entry[] = [];
  const jobs = new Map<number, JobState>();
  let draining = false;

  const sourceOf = (h: SourceHandle): ChunkSource => {
    const k = host.sourceKey ? host.sourceKey(h) : JSON.stringify(h);
    let s = sources.get(k);
    if (!s) sources.set(k, (s = host.reopen(h)));
    return s;
  };

  const takeStaging = (size: number): Uint8Array => {
    const i = freeStaging.findIndex((b) => b.length >= size);
    if (i >= 0) return freeStaging.splice(i, 1)[0]!;
    freeStaging.length = 0; // too small for this query's blocks: let them go
    return new Uint8Array(size);
  };

  function receive(job: ScanJob): void {
    const state: JobState = { job, abort: new AbortController(), outcomes: new Array<JobOutcome>(job.parts.length), answered: false, fold: null };
    jobs.set(job.id, state);
    for (let part = 0; part < job.parts.length; part++) queue.push({ state, part, staging: null, opened: null });
    // The part after the one being scanned opens now (as when that one started).
    if (draining && queue.length > 1) open(queue[1]!);
    if (!draining) void drain();
  }

  /** Starts opening an entry's part (with its first block read ahead, when the source reads asynchronously). */
  function open(e: Entry): void {
    if (e.opened !== null || e.state.answered) return;
    const { job } = e.state;
    try {
      const source = sourceOf(job.source);
      // A synchronous source has read by the time `read` returns: nothing to overlap.
      e.staging = job.query.readAhead && !source.readsSynchronously ? takeStaging(job.query.blockSize) : null;
      e.opened = openJob({ logType: job.logType, ...job.parts[e.part]! }, source, e.staging);
    } catch (err) {
      e.opened = Promise.reject(err);
    }
    e.opened.catch(() => undefined); // observed when the part's turn comes
  }

  async function drain(): Promise<void> {
    draining = true;
    while (queue.length > 0) {
      const e = queue[0]!;
      open(e);
      if (queue.length > 1) open(queue[1]!); // the next part opens while this one is scanned
      await run(e);
      queue.shift();
    }
    draining = false;
  }

  function answer(state: JobState, message: FromWorker, transfer: ArrayBuffer[]): void {
    state.answered = true;
    jobs.delete(state.job.id);
    host.post(message, transfer);
  }

  async function run(e: Entry): Promise<void> {
    const { state, part } = e;
    const { job } = state;
    let reader: ChunkReader | null = null;
    try {
      reader = e.opened === null ? null : await e.opened;
      if (state.answered) return; // an earlier part failed or the job was cancelled: just close
      state.abort.signal.throwIfAborted();
      if (reader === null) state.outcomes[part] = { kind: 'vanished' };
      else {
        const q = job.query;
        if (prepared?.query.id !== q.id) {
          prepared = null; // a failed prepare must not leave the previous query's program looking valid
          prepared = await prepareQuery(q, kernel);
        }
        const r = reader;
        reader = null; // runScanJob closes it
        state.fold ??= prepared.newFold?.() ?? null;
        state.outcomes[part] = await runScanJob(job.parts[part]!, job.cutoff, r, prepared, {
          kernel,
          signal: state.abort.signal,
          emit: (chunk) => host.post({ type: 'rows', id: job.id, part, chunk }, transferables(chunk)),
          fold: state.fold,
        });
      }
      if (part === job.parts.length - 1) {
        const partial = state.fold?.partial();
        answer(state, { type: 'done', id: job.id, outcomes: state.outcomes, ...(partial ? { partial } : {}) }, partial ? partialTransferables(partial) : []);
      }
    } catch (err) {
      if (!state.answered) answer(state, state.abort.signal.aborted ? { type: 'cancelled', id: job.id } : { type: 'failed', id: job.id, part, error: serializeError(err) }, []);
    } finally {
      await reader?.close().catch(() => undefined);
      if (e.staging) freeStaging.push(e.staging); // the reader is closed: its read-ahead has settled
    }
  }

  host.post({ type: 'ready', kernelHash: KERNEL_WASM_INPUT_HASH }, []);
  return (message) => {
    if (message.type === 'job') receive(message.job);
    else if (message.type === 'cancel') jobs.get(message.id)?.abort.abort();
  };
}
