/**
 * The pool's logic with in-process "workers": the real worker loop (`startScanWorker`) and
 * the real protocol (messages structured-cloned, buffers transferred, delivered on later
 * ticks), but no threads, so a test controls the source's timing and failures and can make a
 * worker die or lie about its kernel.
 */
import { describe, expect, it } from 'vitest';
import { LogStore, MemoryChunkSource, getStats, type ChunkSource } from '../../src/node.js';
import { WorkerScanPool, type CreateScanWorker, type WorkerPoolOptions } from '../../src/exec/workers/pool.js';
import type { FromWorker, ToWorker } from '../../src/exec/workers/protocol.js';
import { startScanWorker } from '../../src/exec/workers/scan-worker.js';
import { tableLines } from '../support/paths.js';

const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };

/** A memory store of `targets` × 3 hours; every line names its file. */
function memorySource(targets: string[]): MemoryChunkSource & { handle: { kind: 'fs'; root: string } } {
  const files: Record<string, string> = {};
  for (const t of targets) {
    for (const h of [13, 14, 15]) {
      let text = '';
      for (let i = 0; i < 40; i++) text += `2024-09-24T${h}:${String(i).padStart(2, '0')}:00Z[${t}|p-${i % 3}|c] ${t} ${h} line ${i}${i % 7 === 0 ? ' error' : ''}\n`;
      files[`pod/${t}/2024-09-24_${h}.log`] = text;
    }
  }
  // The pool only takes sources it can reopen; the in-process workers reopen this very object.
  return Object.assign(MemoryChunkSource.fromRecord(files), { handle: { kind: 'fs' as const, root: '/in-process' } });
}

interface Harness {
  createWorker: CreateScanWorker;
  /** Kills worker `i` (as if its thread died), failing the job it runs. */
  kill(i: number): void;
}

function inProcessWorkers(source: ChunkSource, tweak: { kernelHash?: string; failToStart?: boolean } = {}): Harness {
  const killers: (() => void)[] = [];
  const createWorker: CreateScanWorker = (events) => {
    if (tweak.failToStart) {
      setTimeout(() => events.failure(new Error('Cannot find module dist/scan-worker.js')), 1);
      return { post: () => undefined, setActive: () => undefined, terminate: async () => undefined };
    }
    let dead = false;
    let handler: ((m: ToWorker) => void) | null = null;
    const deliver = (m: FromWorker, transfer: ArrayBuffer[]): void => {
      const copy = structuredClone(m, { transfer });
      if (copy.type === 'ready' && tweak.kernelHash) copy.kernelHash = tweak.kernelHash;
      setTimeout(() => !dead && events.message(copy), 0);
    };
    void startScanWorker({ post: deliver, reopen: () => source }).then((h) => (handler = h));
    killers.push(() => {
      dead = true;
      events.failure(new Error('worker thread died'));
    });
    return {
      post: (m) => {
        const copy = structuredClone(m);
        setTimeout(() => !dead && handler!(copy), 0);
      },
      setActive: () => undefined,
      terminate: async () => {
        dead = true;
      },
    };
  };
  return { createWorker, kill: (i) => killers[i]!() };
}

function pooled(source: ChunkSource, h: Harness, extra: Partial<WorkerPoolOptions> = {}): LogStore {
  const pool = new WorkerScanPool({ workers: 2, createWorker: h.createWorker, sourceKinds: ['fs'], minBytes: 0, ...extra });
  return new LogStore(source, { pool });
}

async function rowsAndStats(store: LogStore, q: string): Promise<unknown> {
  const t = await store.query(q, { ...WINDOW, limit: 9, direction: 'backward' });
  const { elapsedMs: _, ...stats } = getStats(t)!;
  return { lines: tableLines(t), stats };
}

describe('WorkerScanPool with in-process workers', () => {
  const Q = 'pod{namespace=~".*"} |~ "error|line 3$"';

  it('gives the in-thread result and runs every file as a job', async () => {
    const source = memorySource(['a', 'b', 'c']);
    const store = pooled(source, inProcessWorkers(source), { batchBytes: 1 });
    const want = await rowsAndStats(new LogStore(source), Q);
    expect(await rowsAndStats(store, Q)).toEqual(want);
    expect(store.pool!.jobsDone).toBe(9);
    await store.close();
  });

  it.each([
    [1024, 'batches of one file'],
    [5 * 1024, 'batches of about three files'],
    [1 << 20, 'batches as big as the pool allows'],
  ])('batching files into jobs (batchBytes %i: %s) gives the in-thread rows, counts and statistics', async (batchBytes) => {
    const source = memorySource(['a', 'b', 'c', 'd']);
    const store = pooled(source, inProcessWorkers(source), { batchBytes });
    const inThread = new LogStore(source);
    expect(await rowsAndStats(store, Q)).toEqual(await rowsAndStats(inThread, Q));
    const forward = async (s: LogStore): Promise<unknown> => tableLines(await s.query(Q, { ...WINDOW, limit: 5, direction: 'forward' }));
    expect(await forward(store)).toEqual(await forward(inThread));
    const counted = async (s: LogStore): Promise<unknown> => {
      const { count, stats } = await s.count(Q, WINDOW);
      const { elapsedMs: _, ...rest } = stats;
      return { count, rest };
    };
    expect(await counted(store)).toEqual(await counted(inThread));
    // 12 files of ~2.2 KB, three queries: batches of one file make 12 jobs a query; bigger
    // ones fewer, but never fewer than four per worker's share (8 a query) while files last.
    const perQuery = store.pool!.jobsDone / 3;
    if (batchBytes <= 1024) expect(perQuery).toBe(12);
    else expect(perQuery).toBeLessThan(12);
    expect(perQuery).toBeGreaterThanOrEqual(6);
    await store.close();
  });

  it('a file failing inside a batch fails the query naming that file; the worker then serves the next query', async () => {
    const source = memorySource(['a', 'b', 'c']);
    const open = source.open.bind(source);
    let failing = true;
    source.open = async (logType, target, name) => {
      if (failing && target === 'b' && name.endsWith('_14.log')) throw Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' });
      return open(logType, target, name);
    };
    const store = pooled(source, inProcessWorkers(source), { workers: 1, batchBytes: 1 << 20 });
    await expect(store.count(Q, WINDOW)).rejects.toMatchObject({ code: 'IO_ERROR', message: 'cannot read pod/b/2024-09-24_14.log: EIO: i/o error, open' });
    expect(store.pool!.pendingJobs).toBe(0);
    expect(store.pool!.jobsDone).toBeLessThan(9); // batches of several files
    failing = false;
    expect(await rowsAndStats(store, Q)).toEqual(await rowsAndStats(new LogStore(source), Q));
    await store.close();
  });

  it('turns itself off, and scans in-thread, when a worker embeds another kernel (a stale bundle)', async () => {
    const source = memorySource(['a', 'b']);
    const reasons: string[] = [];
    const store = pooled(source, inProcessWorkers(source, { kernelHash: 'deadbeef' }), { onDisabled: (r) => reasons.push(r) });
    const want = await rowsAndStats(new LogStore(source), Q);
    expect(await rowsAndStats(store, Q)).toEqual(want);
    expect(await rowsAndStats(store, Q)).toEqual(want);
    expect(store.pool!.jobsDone).toBe(0);
    expect(reasons).toEqual([expect.stringMatching(/embeds another kernel \(deadbeef…/)]);
  });

  it('turns itself off, and scans in-thread, when no worker can start', async () => {
    const source = memorySource(['a', 'b']);
    const reasons: string[] = [];
    const store = pooled(source, inProcessWorkers(source, { failToStart: true }), { onDisabled: (r) => reasons.push(r) });
    expect(await rowsAndStats(store, Q)).toEqual(await rowsAndStats(new LogStore(source), Q));
    expect(reasons).toEqual([expect.stringMatching(/could not start: Cannot find module/)]);
  });

  it('a worker that dies mid-job fails the query with an InternalError; a new worker takes the next query', async () => {
    const source = memorySource(['a', 'b', 'c']);
    const harness = inProcessWorkers(source);
    const store = pooled(source, harness);
    const want = await rowsAndStats(new LogStore(source), Q);
    expect(await rowsAndStats(store, Q)).toEqual(want); // workers 0 and 1 are up
    const open = source.open.bind(source);
    let killed = false;
    source.open = async (...args) => {
      if (!killed) {
        killed = true;
        harness.kill(0);
      }
      return open(...args);
    };
    await expect(rowsAndStats(store, Q)).rejects.toMatchObject({ name: 'InternalError', message: expect.stringMatching(/a scan worker failed: worker thread died/) });
    expect(store.pool!.pendingJobs).toBe(0);
    expect(await rowsAndStats(store, Q)).toEqual(want);
    await store.close();
  });

  it('reports the first failing file in store order even when a later file fails first', async () => {
    const source = memorySource(['a', 'b', 'c']);
    const open = source.open.bind(source);
    let laterFailed!: () => void;
    const laterHasFailed = new Promise<void>((resolve) => (laterFailed = resolve));
    let gated = false; // in-thread, files are read one by one: a/14 must not wait for c/13 there
    source.open = async (logType, target, name) => {
      if (target === 'c' && name.endsWith('_13.log')) {
        laterFailed();
        throw Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' });
      }
      const r = await open(logType, target, name);
      if (target !== 'a' || !name.endsWith('_14.log')) return r;
      // File a/14 fails only after c/13 has: in-thread it is still the first failure met.
      return { size: r.size, close: () => r.close(), read: async () => (gated ? laterHasFailed : Promise.resolve()).then(() => Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }))) };
    };
    const inThread = new LogStore(source);
    const store = pooled(source, inProcessWorkers(source), { workers: 3 });
    for (const s of [inThread, store]) {
      gated = s === store;
      await expect(s.count(Q, WINDOW)).rejects.toMatchObject({ code: 'IO_ERROR', message: 'cannot read pod/a/2024-09-24_14.log: EIO: i/o error, read' });
    }
    expect(store.pool!.pendingJobs).toBe(0);
    await store.close();
  });

  it('after close(), queries scan in-thread', async () => {
    const source = memorySource(['a', 'b']);
    const store = pooled(source, inProcessWorkers(source));
    await store.close();
    expect(await rowsAndStats(store, Q)).toEqual(await rowsAndStats(new LogStore(source), Q));
    expect(store.pool!.jobsDone).toBe(0);
  });
});
