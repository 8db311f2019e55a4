/**
 * The scan worker's message loop, independent of the platform: a thin shell
 * (`platform/node/worker.ts` for Node's `worker_threads`, `platform/browser/worker.ts` for Web Workers) hands it a way
 * to post messages and to reopen a source from its handle,
 * and feeds it the messages it receives.
 *
 * The worker instantiates its kernel once (from the module its host hands it, or the
 * embedded one), announces itself (`ready`, with the hash of the
 * kernel WASM it embeds, so the pool can refuse a stale bundle), then scans its jobs one
 * at a time, in the order received. The pool keeps at most two jobs on a worker: while one
 * is scanned, the next is opened and its first block read (into the other of two staging
 * buffers), as the local scan job opens the next file; without that, every job would
 * start with an idle wait for `open` and a first read. A `cancel` aborts a job between
 * blocks, or before it starts; it then answers `cancelled`. A query's program is loaded
 * into the kernel on its first job here and kept for its next ones, with its compiled
 * metric fold, if any (the pipeline compiler is loaded then, on first use).
 */
import { Kernel } from '../../scan/kernel.js';
import { KERNEL_WASM_INPUT_HASH } from '../../scan/kernel-wasm.generated.js';
import type { ChunkReader, ChunkSource, SourceHandle } from '../../store/types.js';
import { serializeError, type FromWorker, type RowChunk, type ScanJob, type ToWorker } from './protocol.js';
import { partialTransferables } from '../match-fold.js';
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

/** A job received and not answered yet: opened ahead, then scanned in turn. */
interface Entry {
  job: ScanJob;
  abort: AbortController;
  staging: Uint8Array | null;
  opened: Promise<ChunkReader | null>;
}

/** Starts a worker: loads its kernel, posts `ready`, and returns the handler of incoming messages. */
export async function startScanWorker(host: WorkerHost): Promise<(message: ToWorker) => void> {
  const kernel = await Kernel.load(host.kernel);
  const sources = new Map<string, ChunkSource>();
  let prepared: PreparedQuery | null = null;
  /** Two read-ahead buffers: one for the job being scanned, one for the job opened ahead. */
  const freeStaging: Uint8Array[] = [];
  const queue: Entry[] = [];
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
    const q = job.query;
    let opened: Promise<ChunkReader | null>;
    let staging: Uint8Array | null = null;
    try {
      const source = sourceOf(job.source);
      // A synchronous source has read by the time `read` returns: nothing to overlap.
      staging = q.readAhead && !source.readsSynchronously ? takeStaging(q.blockSize) : null;
      opened = openJob(job, source, staging);
    } catch (e) {
      opened = Promise.reject(e);
    }
    opened.catch(() => undefined); // observed when the job's turn comes
    queue.push({ job, abort: new AbortController(), staging, opened });
    if (!draining) void drain();
  }

  async function drain(): Promise<void> {
    draining = true;
    while (queue.length > 0) {
      await run(queue[0]!);
      queue.shift();
    }
    draining = false;
  }

  async function run(e: Entry): Promise<void> {
    const { job, abort } = e;
    let reader: ChunkReader | null = null;
    try {
      reader = await e.opened;
      abort.signal.throwIfAborted();
      if (reader === null) {
        host.post({ type: 'done', id: job.id, outcome: { kind: 'vanished' } }, []);
        return;
      }
      const q = job.query;
      if (prepared?.query.id !== q.id) {
        prepared = null; // a failed prepare must not leave the previous query's program looking valid
        prepared = await prepareQuery(q, kernel);
      }
      const r = reader;
      reader = null; // runScanJob closes it
      const outcome = await runScanJob(job, r, prepared, {
        kernel,
        signal: abort.signal,
        emit: (chunk) => host.post({ type: 'rows', id: job.id, chunk }, transferables(chunk)),
      });
      host.post({ type: 'done', id: job.id, outcome }, outcome.kind === 'read' && outcome.partial ? partialTransferables(outcome.partial) : []);
    } catch (err) {
      await reader?.close().catch(() => undefined);
      host.post(abort.signal.aborted ? { type: 'cancelled', id: job.id } : { type: 'failed', id: job.id, error: serializeError(err) }, []);
    } finally {
      if (e.staging) freeStaging.push(e.staging); // the reader is closed: its read-ahead has settled
    }
  }

  host.post({ type: 'ready', kernelHash: KERNEL_WASM_INPUT_HASH }, []);
  return (message) => {
    if (message.type === 'job') receive(message.job);
    else if (message.type === 'cancel') queue.find((e) => e.job.id === message.id)?.abort.abort();
  };
}
