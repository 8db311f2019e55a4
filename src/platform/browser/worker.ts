/**
 * The Web Worker entry point: browser messaging and the `Blob` source around the
 * platform-neutral loop in `exec/workers/scan-worker.ts`.
 *
 * It is bundled by `scripts/build-browser.mjs` into `dist/letheql.worker.js`, one classic
 * (non-module) script with the kernel WASM inlined, which `pool.ts` starts with
 * `new Worker(url)`. Importing this module outside a dedicated worker (a test in Node, a
 * page) does nothing until {@link serveScanWorker} is called.
 *
 * The wire format is the pool's protocol with sources sent once by number (see
 * `pool.ts`). The loop's cache of open sources is keyed by that number
 * (`WorkerHost.sourceKey`): a `Blob` prints as `{}`, so the default JSON key would let two
 * stores with the same paths share an entry, and would print every path of a store per job.
 */
import { MemoryChunkSource } from '../../store/memory-source.js';
import type { SourceHandle } from '../../store/types.js';
import { serializeError, type FromWorker, type ToWorker } from '../../exec/workers/protocol.js';
import { startScanWorker } from '../../exec/workers/scan-worker.js';
import type { FromWebWorker, ToWebWorker } from './pool.js';
import { InternalError } from '../../errors.js';

/** What the worker needs of its global scope (`DedicatedWorkerGlobalScope`). */
export interface WorkerScope {
  postMessage(message: FromWebWorker, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToWebWorker>) => void): void;
}

/** Stands for a source the worker was never sent. */
const UNKNOWN_SOURCE: SourceHandle = { kind: 'blobs', files: {} };

/** Serves the pool from `scope`: starts the kernel, then answers jobs until terminated. */
export function serveScanWorker(scope: WorkerScope): void {
  const handles = new Map<number, SourceHandle>();
  const refs = new WeakMap<SourceHandle, number>();
  let handle: ((m: ToWorker) => void) | null = null;
  /** Messages that arrive while the kernel loads (the pool waits for `ready`, so none should). */
  const early: ToWebWorker[] = [];

  const receive = (m: ToWebWorker): void => {
    if (m.type === 'source') {
      const ref = m.ref;
      handles.set(ref, m.handle);
      refs.set(m.handle, ref);
    } else if (handle === null) {
      early.push(m);
    } else if (m.type === 'job') {
      // An unknown ref cannot happen (the shell sends a source before its first job); if it
      // did, `reopen` throws and the job fails, answered in its turn like any other.
      const source = handles.get(m.sourceRef) ?? UNKNOWN_SOURCE;
      handle({ type: 'job', job: { ...m.job, source } });
    } else {
      handle(m);
    }
  };
  scope.addEventListener('message', (e) => receive(e.data));

  startScanWorker({
    post: (message: FromWorker, transfer) => scope.postMessage(message, transfer),
    reopen: (h) => {
      if (h === UNKNOWN_SOURCE) throw new InternalError('the scan worker was sent a job before its source');
      if (h.kind !== 'blobs') throw new InternalError(`the browser scan worker reopens stores of Blobs only, not ${h.kind}`);
      return MemoryChunkSource.fromHandle(h, { description: 'blobs (scan worker)' });
    },
    sourceKey: (h) => `ref:${refs.get(h) ?? -1}`,
  }).then(
    (h) => {
      handle = h;
      for (const m of early.splice(0)) receive(m);
    },
    (e: unknown) => scope.postMessage({ type: 'start-failed', error: serializeError(e) }, []),
  );
}

/** True in a dedicated Web Worker (not in a page, a shared worker or Node). */
function inDedicatedWorker(): boolean {
  const g = globalThis as { DedicatedWorkerGlobalScope?: abstract new () => unknown };
  return typeof g.DedicatedWorkerGlobalScope === 'function' && globalThis instanceof g.DedicatedWorkerGlobalScope;
}

if (inDedicatedWorker()) serveScanWorker(globalThis as unknown as WorkerScope);
