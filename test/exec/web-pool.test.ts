/**
 * The Web Worker shell (`platform/browser/pool.ts`) and entry (`platform/browser/worker.ts`) in Node, with a fake
 * `Worker` whose "thread" is `serveScanWorker` on the other end of a real `MessageChannel`
 * (messages structured-cloned, Blobs included, buffers transferred). What Chromium runs in
 * test/browser-workers.test.ts, minus the browser: this one also runs where Chromium is
 * absent, and it can count the messages on the wire and make a worker fail to load.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LogStore, getStats } from '../../src/api.js';
import { openMemoryStore } from '../../src/browser.js';
import { LetheQLError } from '../../src/errors.js';
import { START_TIMEOUT_MS, createWebScanPool, defaultWebWorkerCount, type ToWebWorker } from '../../src/platform/browser/pool.js';
import { serveScanWorker, type WorkerScope } from '../../src/platform/browser/worker.js';
import { createNodeScanPool } from '../../src/platform/node/pool.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { tableLines } from '../support/paths.js';

const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };

type Behaviour = 'ok' | 'load-error' | 'start-failed' | 'silent';

/** A `Worker` whose script is `platform/browser/worker.ts`, served over a MessageChannel in this thread. */
class FakeWorker {
  static created: FakeWorker[] = [];
  static behaviour: Behaviour = 'ok';
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  readonly posted: ToWebWorker[] = [];
  terminated = false;
  readonly #main: MessagePort;
  readonly #inner: MessagePort;

  constructor(
    readonly url: string | URL,
    readonly options?: { name?: string; type?: string },
  ) {
    FakeWorker.created.push(this);
    const { port1, port2 } = new MessageChannel();
    this.#main = port1;
    this.#inner = port2;
    port1.on('message', (data: unknown) => this.onmessage?.({ data }));
    port1.unref();
    port2.unref();
    if (FakeWorker.behaviour === 'load-error') {
      // What a 404 does: an error event with no message.
      setTimeout(() => this.onerror?.({ message: '', preventDefault: () => undefined }), 1);
    } else if (FakeWorker.behaviour === 'start-failed') {
      setTimeout(() => this.onmessage?.({ data: { type: 'start-failed', error: { name: 'Error', message: 'WebAssembly is disabled' } } }), 1);
    } else if (FakeWorker.behaviour === 'ok') {
      const scope: WorkerScope = {
        postMessage: (m, transfer) => port2.postMessage(m, transfer as ArrayBuffer[]),
        addEventListener: (_type, listener) => port2.on('message', (data: ToWebWorker) => listener({ data } as MessageEvent<ToWebWorker>)),
      };
      serveScanWorker(scope);
    }
  }

  postMessage(m: ToWebWorker): void {
    this.posted.push(m);
    this.#main.postMessage(m);
  }

  terminate(): void {
    this.terminated = true;
    this.#main.close();
    this.#inner.close();
  }
}

/** A store of Blobs: `targets` × 3 hours of 60 lines; every line names its file. */
function blobFiles(targets: string[], tag = ''): Record<string, Blob> {
  const files: Record<string, Blob> = {};
  for (const t of targets) {
    for (const h of [13, 14, 15]) {
      let text = '';
      for (let i = 0; i < 60; i++) text += `2024-09-24T${h}:${String(i).padStart(2, '0')}:00Z[${t}|p-${i % 3}|c] ${tag}${t} ${h} line ${i}${i % 7 === 0 ? ' user/7 error' : ''}\n`;
      files[`pod/${t}/2024-09-24_${h}.log`] = new Blob([text]);
    }
  }
  return files;
}

async function rowsAndStats(store: LogStore, q: string, opts: object = {}): Promise<unknown> {
  const t = await store.query(q, { ...WINDOW, ...opts });
  const { elapsedMs: _, ...stats } = getStats(t)!;
  return { lines: tableLines(t), stats };
}

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  FakeWorker.created = [];
  FakeWorker.behaviour = 'ok';
  vi.stubGlobal('Worker', FakeWorker);
  vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.unstubAllGlobals();
  warn.mockRestore();
});

const QUERIES: [string, object][] = [
  ['pod{namespace=~"a|b|c"} |= "error"', { direction: 'backward', limit: 10 }],
  ['pod{namespace=~"a|b|c"} |~ "user/[0-9]+"', { direction: 'forward', limit: null }],
  ['pod{namespace="b"} != "line 1"', { direction: 'forward', limit: 3 }],
];

describe('the Web Worker pool (fake Worker, real worker loop)', () => {
  it('gives the in-thread results, and sends each worker the store once, not once per job', async () => {
    const source = MemoryChunkSource.fromRecord(blobFiles(['a', 'b', 'c']));
    const pool = createWebScanPool({ workers: 2, workerUrl: 'https://example.test/letheql.worker.js', parallelMinBytes: 0, rangeBytes: 1024 })!;
    const pooled = new LogStore(source, { pool });
    const inThread = new LogStore(source);
    for (const [q, opts] of QUERIES) expect(await rowsAndStats(pooled, q, opts), q).toEqual(await rowsAndStats(inThread, q, opts));
    expect((await pooled.count(QUERIES[1]![0], WINDOW)).count).toBe((await inThread.count(QUERIES[1]![0], WINDOW)).count);
    expect(pool.jobsDone).toBeGreaterThan(20);
    expect(FakeWorker.created.map((w) => [String(w.url), w.options?.name, w.options?.type])).toEqual([
      ['https://example.test/letheql.worker.js', 'letheql-scan', undefined], // a classic worker
      ['https://example.test/letheql.worker.js', 'letheql-scan', undefined],
    ]);
    for (const w of FakeWorker.created) {
      const jobs = w.posted.filter((m) => m.type === 'job');
      expect(jobs.length).toBeGreaterThan(5);
      expect(w.posted.filter((m) => m.type === 'source')).toEqual([{ type: 'source', ref: 1, handle: source.handle }]);
      expect(w.posted.findIndex((m) => m.type === 'source')).toBeLessThan(w.posted.findIndex((m) => m.type === 'job'));
      for (const j of jobs) expect(j.type === 'job' && !('source' in j.job) && j.sourceRef === 1).toBe(true);
    }
    await pooled.close();
    expect(FakeWorker.created.every((w) => w.terminated)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('keeps two stores with the same paths apart on one pool', async () => {
    const pool = createWebScanPool({ workers: 2, workerUrl: 'w.js', parallelMinBytes: 0 })!;
    const one = new LogStore(MemoryChunkSource.fromRecord(blobFiles(['a', 'b'], 'one:')), { pool });
    const two = new LogStore(MemoryChunkSource.fromRecord(blobFiles(['a', 'b'], 'two:')), { pool });
    const q = 'pod{namespace=~"a|b"} |= "error"';
    const [r1, r2] = [await rowsAndStats(one, q), await rowsAndStats(two, q)];
    expect(r1).toEqual(await rowsAndStats(new LogStore(one.source), q));
    expect(r2).toEqual(await rowsAndStats(new LogStore(two.source), q));
    expect(JSON.stringify(r1)).toContain('one:');
    expect(JSON.stringify(r2)).toContain('two:');
    expect(JSON.stringify(r2)).not.toContain('one:');
    expect(pool.jobsDone).toBe(12);
    await pool.close();
  });

  it.each([
    ['cannot load its script (a 404)', 'load-error' as const, /could not start: could not load the scan worker w\.js/],
    ['cannot start its kernel', 'start-failed' as const, /could not start: WebAssembly is disabled/],
  ])('a worker that %s turns the pool off: the query scans in-thread, with the same result', async (_, behaviour, reason) => {
    FakeWorker.behaviour = behaviour;
    const source = MemoryChunkSource.fromRecord(blobFiles(['a', 'b']));
    const pool = createWebScanPool({ workers: 2, workerUrl: 'w.js', parallelMinBytes: 0 })!;
    const store = new LogStore(source, { pool });
    const q = QUERIES[0]![0];
    expect(await rowsAndStats(store, q)).toEqual(await rowsAndStats(new LogStore(source), q));
    expect(await rowsAndStats(store, q)).toEqual(await rowsAndStats(new LogStore(source), q));
    expect(pool.jobsDone).toBe(0);
    expect(FakeWorker.created).toHaveLength(2); // no retry after the pool turned off
    expect(FakeWorker.created.every((w) => w.terminated)).toBe(true);
    // The warning is once per page: only the first of these cases sees it.
    if (behaviour === 'load-error') {
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(reason);
    }
  });

  it(`gives up on a worker that never answers after ${START_TIMEOUT_MS / 1000} s (a script that is not ours), and scans in-thread`, async () => {
    FakeWorker.behaviour = 'silent';
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const source = MemoryChunkSource.fromRecord(blobFiles(['a', 'b']));
      const pool = createWebScanPool({ workers: 2, workerUrl: 'w.js', parallelMinBytes: 0 })!;
      const q = QUERIES[0]![0];
      let settled = false;
      const pending = rowsAndStats(new LogStore(source, { pool }), q).finally(() => (settled = true));
      while (FakeWorker.created.length < 2) await new Promise((r) => setImmediate(r)); // planned, workers started
      await vi.advanceTimersByTimeAsync(START_TIMEOUT_MS - 1);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await pending).toEqual(await rowsAndStats(new LogStore(source), q));
      expect(pool.jobsDone).toBe(0);
      expect(FakeWorker.created.every((w) => w.terminated)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('checks its options', () => {
    for (const bad of [{ workers: -1 }, { workers: 1.5 }, { parallelMinBytes: -1 }, { rangeBytes: 0 }]) {
      expect(() => createWebScanPool({ workerUrl: 'w.js', ...bad }), JSON.stringify(bad)).toThrow(LetheQLError);
    }
    expect(() => createWebScanPool({ workers: 2 })).toThrow(/needs workerUrl/);
    expect(createWebScanPool({ workers: 0, workerUrl: 'w.js' })).toBeNull();
  });

  it.each([
    [8, 4],
    [3, 3],
    [1, 1],
    [undefined, 1],
  ])('defaults to min(4, hardwareConcurrency) workers: %s cores → %i', (cores, expected) => {
    vi.stubGlobal('navigator', { hardwareConcurrency: cores });
    expect(defaultWebWorkerCount()).toBe(expected);
    expect(createWebScanPool({ workerUrl: 'w.js' })?.size).toBe(expected);
  });

  it('defaults to no workers without Worker or without a worker URL', () => {
    expect(createWebScanPool({})).toBeNull();
    vi.stubGlobal('Worker', undefined);
    expect(defaultWebWorkerCount()).toBe(0);
    expect(createWebScanPool({ workerUrl: 'w.js' })).toBeNull();
  });
});

describe('the browser entry points', () => {
  it('start letheql.worker.js beside the module, for stores of Blobs only', async () => {
    const store = openMemoryStore(blobFiles(['a', 'b']), { parallelMinBytes: 0 });
    expect(store.pool?.size).toBe(2);
    const q = QUERIES[1]![0];
    expect(await rowsAndStats(store, q)).toEqual(await rowsAndStats(openMemoryStore(blobFiles(['a', 'b']), { workers: 0 }), q));
    expect(store.pool!.jobsDone).toBe(6);
    expect(String(FakeWorker.created[0]!.url)).toBe(new URL('../../src/letheql.worker.js', import.meta.url).href);
    await store.close();
    expect(openMemoryStore({ 'pod/a/2024-09-24_13.log': 'text\n' }, { workers: 2 }).pool).toBeNull();
    expect(openMemoryStore(blobFiles(['a']), { workerUrl: 'elsewhere/w.js', workers: 3 }).pool?.size).toBe(3);
    expect(() => openMemoryStore({}, { workers: -2 })).toThrow(/invalid workers -2/);
  });

  it.each([
    [{ workers: 1.5 }, 'invalid workers 1.5: expected an integer >= 0'],
    [{ parallelMinBytes: -1 }, 'invalid parallelMinBytes -1: expected an integer >= 0'],
    [{ rangeBytes: 0 }, 'invalid rangeBytes 0: expected an integer >= 1'],
    [{ batchBytes: 0 }, 'invalid batchBytes 0: expected an integer >= 1'],
    [{ batchBytes: Number.NaN }, 'invalid batchBytes NaN: expected an integer >= 1'],
  ])('pool option %o is refused alike by the Web and the Node pool', (options, message) => {
    for (const open of [() => createWebScanPool({ workerUrl: 'w.js', ...options }), () => createNodeScanPool(new URL('file:///nowhere/scan-worker.js'), options)]) {
      expect(open).toThrow(LetheQLError);
      expect(open).toThrow(message);
    }
  });
});
