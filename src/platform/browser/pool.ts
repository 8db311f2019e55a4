/**
 * The scan pool in browsers: Web Workers running the bundled `letheql.worker.js` (entry
 * `worker.ts`), around the platform-neutral {@link WorkerScanPool}.
 *
 * What it owns: the Web Worker shell (start, messages, failures, terminate) and the wire
 * format to `worker.ts`, which is the pool's protocol with one change: a job names its
 * source by a number, and each worker gets each {@link SourceHandle} once, in a `source`
 * message. A `blobs` handle holds one `Blob` per store file: in Chromium a message carrying
 * 2,000 Blobs took 0.56 ms to post and answer (0.03 ms without them), so a query of 2,000
 * jobs over a store of 2,000 files would spend 1.1 s cloning the same handle.
 *
 * Failures: a worker whose script cannot load (a wrong `workerUrl`, a 404, a cross-origin
 * URL, a Content-Security-Policy that forbids workers) fires `error`, or `new Worker` throws;
 * one that loads but cannot start its kernel says so (`start-failed`); one that loads
 * something else and never answers is given up after {@link START_TIMEOUT_MS}. Each of these
 * turns the pool off (see `exec/workers/pool.ts`): queries then scan in the page's thread, and
 * `console.warn` tells why, once per page.
 *
 * Browsers have no `ref`/`unref`: an idle worker costs memory (one kernel), not liveness.
 *
 * What workers buy in a browser: the page's thread stays free, and CPU-heavy scans spread.
 * Not I/O: a Blob's bytes come from the browser process whichever thread reads them, and on
 * a 2-core machine that capped a count over 104 MB of Blobs at ~300–500 MB/s with
 * `workers: 0` or 2 alike, where bytes held in the page scan at 2–3 GB/s.
 */
import { LetheQLError } from '../../errors.js';
import type { SourceHandle } from '../../store/types.js';
import { poolTuning, WorkerScanPool, type PoolTuning, type ScanPool, type ScanWorkerEvents, type ScanWorkerHandle } from '../../exec/workers/pool.js';
import { deserializeError, type FromWorker, type ScanJob, type SerializedError, type ToWorker } from '../../exec/workers/protocol.js';

/** Parallel-scan options of the browser entry points (`openMemoryStore`, `openStoreFromFiles`). */
export interface WebScanPoolOptions extends PoolTuning {
  /**
   * Web Workers that scan files and byte ranges concurrently. Default:
   * `Math.min(4, navigator.hardwareConcurrency)` when `Worker` exists and the worker script's
   * URL is known, else 0. `0` scans in the page's thread. Only stores of `Blob`s/`File`s
   * scan on workers (strings and bytes stay in the page: see `store/memory-source.ts`).
   */
  workers?: number;
  /**
   * Where `letheql.worker.js` is served. Default: beside the module that opens the store
   * (`new URL('./letheql.worker.js', import.meta.url)`), as in `dist/`.
   */
  workerUrl?: string | URL;
}

/** Messages the pool's shell posts to `worker.ts`. */
export type ToWebWorker =
  | { type: 'source'; ref: number; handle: SourceHandle }
  | { type: 'job'; job: Omit<ScanJob, 'source'>; sourceRef: number }
  | Extract<ToWorker, { type: 'cancel' }>;

/** Messages `worker.ts` posts back: the pool's protocol, plus a failure to start. */
export type FromWebWorker = FromWorker | { type: 'start-failed'; error: SerializedError };

/**
 * A worker that has said nothing after this long is given up: it loaded a script that is not
 * ours (a page served for a wrong URL). Starting takes ~0.1 s (compiling the kernel).
 */
export const START_TIMEOUT_MS = 30_000;

/** The default worker count: up to 4, never more than the machine's cores; 0 without Web Workers. */
export function defaultWebWorkerCount(): number {
  if (typeof Worker !== 'function') return 0;
  const cores = typeof navigator === 'object' ? navigator.hardwareConcurrency : undefined;
  return Math.min(4, cores !== undefined && cores >= 1 ? cores : 1);
}

/** Numbers handles for the wire; one per pool, shared by its workers. */
class SourceRefs {
  readonly #refs = new WeakMap<SourceHandle, number>();
  #next = 1;
  refOf(handle: SourceHandle): number {
    let ref = this.#refs.get(handle);
    if (ref === undefined) this.#refs.set(handle, (ref = this.#next++));
    return ref;
  }
}

function webWorker(url: string | URL, refs: SourceRefs, events: ScanWorkerEvents): ScanWorkerHandle {
  // A classic worker: `letheql.worker.js` is one self-contained script (see build-browser.mjs).
  const w = new Worker(url, { name: 'letheql-scan' });
  /** Handles this worker has received. */
  const sent = new Set<number>();
  let failed = false;
  const fail = (e: Error): void => {
    if (failed) return;
    failed = true;
    clearTimeout(startTimer);
    events.failure(e);
  };
  const startTimer = setTimeout(() => fail(new Error(`the scan worker ${String(url)} did not answer within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  w.onmessage = (e: MessageEvent<FromWebWorker>) => {
    clearTimeout(startTimer);
    if (failed) return;
    const m = e.data;
    if (m.type === 'start-failed') fail(deserializeError(m.error));
    else events.message(m);
  };
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault(); // reported through the pool, not as an uncaught page error
    fail(new Error(e.message || `could not load the scan worker ${String(url)}`));
  };
  w.onmessageerror = () => fail(new Error('a message from the scan worker could not be deserialized'));
  const send = (m: ToWebWorker): void => {
    try {
      w.postMessage(m);
    } catch (e) {
      // Not inside the pool's dispatch loop: report on a later tick.
      setTimeout(() => fail(e instanceof Error ? e : new Error(String(e))), 0);
    }
  };
  return {
    post: (m) => {
      if (m.type !== 'job') return send(m);
      const { source, ...job } = m.job;
      const ref = refs.refOf(source);
      if (!sent.has(ref)) {
        sent.add(ref);
        send({ type: 'source', ref, handle: source });
      }
      send({ type: 'job', job, sourceRef: ref });
    },
    setActive: () => undefined,
    terminate: async () => {
      clearTimeout(startTimer);
      failed = true; // a terminated worker reports nothing more
      w.terminate();
    },
  };
}

let warned = false;

/**
 * A pool of Web Workers running `options.workerUrl`, or null for `workers: 0` (or, by
 * default, when Web Workers or the worker URL are missing). Throws `INVALID_OPTION` on bad
 * options.
 */
export function createWebScanPool(options: WebScanPoolOptions = {}): ScanPool | null {
  const tuning = poolTuning(options);
  const url = options.workerUrl;
  const workers = options.workers ?? (url === undefined ? 0 : defaultWebWorkerCount());
  if (workers === 0) return null;
  if (url === undefined) throw new LetheQLError('INVALID_OPTION', `workers: ${workers} needs workerUrl: the URL of letheql.worker.js`);
  const refs = new SourceRefs();
  return new WorkerScanPool({
    workers,
    createWorker: (events) => webWorker(url, refs, events),
    sourceKinds: ['blobs'],
    ...tuning,
    onDisabled: (reason) => {
      if (warned) return;
      warned = true;
      console.warn(`letheql: scanning in one thread: ${reason}`);
    },
  });
}
