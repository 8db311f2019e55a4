/**
 * The scan pool in Node (Node only): `worker_threads` workers running the bundled
 * `dist/scan-worker.js`, around the platform-neutral {@link WorkerScanPool}.
 *
 * Workers are `unref()`'d whenever they are idle, so an open store never keeps a process
 * (a CLI run) alive; they are `ref()`'d while they start or run a job, so a pending query
 * does. If the bundle is missing (running from sources without `npm run build:worker`) or
 * stale, the pool turns itself off with a process warning and queries scan in-thread.
 *
 * Workers reopen filesystem stores (`fs` handles). A store set (`clusters` handle) is
 * scanned too when every member is a filesystem store: each job then carries its member's
 * `fs` handle (`exec/workers/parallel.ts`), so the worker never sees the set. A set with another kind of
 * member (an in-memory store, from the platform-neutral constructor) scans in-thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LogQueryPlan } from '../../plan/plan.js';
import type { ChunkSource, SourceHandle } from '../../store/types.js';
import type { QueryStats } from '../../exec/stats.js';
import type { ExecOptions } from '../../exec/options.js';
import { poolTuning, WorkerScanPool, type PoolTuning, type ScanPool, type ScanWorkerEvents, type ScanWorkerHandle } from '../../exec/workers/pool.js';
import type { FromWorker } from '../../exec/workers/protocol.js';
import type { Sink } from '../../exec/sink.js';
import { kernelModule } from '../../scan/kernel.js';
import type { KernelHandOff } from './worker.js';


/** Parallel-scan options of `openStore`. */
export interface ScanPoolOptions extends PoolTuning {
  /**
   * Worker threads that scan files and byte ranges concurrently. Default:
   * `Math.min(4, os.availableParallelism())`. `0` scans in the calling thread.
   */
  workers?: number;
}

/** The default worker count: up to 4, never more than the machine's parallelism. */
export function defaultWorkerCount(): number {
  return Math.min(4, availableParallelism());
}

function nodeWorker(bundle: URL, events: ScanWorkerEvents): ScanWorkerHandle {
  const w = new Worker(bundle, { name: 'letheql-scan' });
  w.on('message', (m: FromWorker) => events.message(m));
  w.on('error', (e) => events.failure(e));
  w.on('exit', (code) => events.failure(new Error(`the worker exited (code ${code})`)));
  // The kernel is compiled once, in this thread, and handed to every worker (worker.ts).
  kernelModule().then(
    (module) => w.postMessage({ type: 'kernel', module } satisfies KernelHandOff),
    (e: unknown) => events.failure(e),
  );
  return {
    post: (m) => w.postMessage(m),
    setActive: (active) => (active ? w.ref() : w.unref()),
    terminate: async () => {
      await w.terminate();
    },
  };
}

/** Whether a Node scan worker can read through `handle`: an `fs` store, or a store set of `fs` stores only. */
export function nodeWorkersCanRead(handle: SourceHandle | undefined): boolean {
  if (handle === undefined) return false;
  if (handle.kind === 'clusters') return handle.members.every((m) => m.handle.kind === 'fs');
  return handle.kind === 'fs';
}

/** The generic pool, told to accept `clusters` handles, with the deeper check of {@link nodeWorkersCanRead} in front. */
class NodeScanPool extends WorkerScanPool {
  override scan(plan: LogQueryPlan, source: ChunkSource, opts: ExecOptions, sink: Sink, blockSize: number): Promise<QueryStats | null> {
    if (!nodeWorkersCanRead(source.handle)) return Promise.resolve(null);
    return super.scan(plan, source, opts, sink, blockSize);
  }
}

let warned = false;

/** A pool running `bundle` (the URL of `dist/scan-worker.js`), or null for `workers: 0`. Throws `INVALID_OPTION` on bad options. */
export function createNodeScanPool(bundle: URL, options: ScanPoolOptions = {}): ScanPool | null {
  const tuning = poolTuning(options);
  const workers = options.workers ?? defaultWorkerCount();
  if (workers === 0) return null;
  return new NodeScanPool({
    workers,
    createWorker: (events) => nodeWorker(bundle, events),
    sourceKinds: ['fs', 'clusters'],
    ...tuning,
    onDisabled: (reason) => {
      if (warned) return;
      warned = true;
      process.emitWarning(`letheql: scanning in one thread: ${reason}`);
    },
  });
}
