// The bench page: fetches the store's files as Blobs (not timed), starts the engine worker
// (engine-worker.js) and hands it the Blobs, and opens the library's own Web Worker pool
// (`openMemoryStore(blobs, { workers: 2 })`) on the same Blobs. bench/browser.mjs drives it
// through `window.bench` with Playwright; every timing is taken in the browser, so the
// DevTools round trip is not in the figures.
import { openMemoryStore } from '/dist/letheql.browser.js';
import { Bench } from '/page/tinybench.js';
import { timeRuns } from '/page/measure.js';

/** @type {Record<string, Blob>} */
const blobs = {};
/** @type {Worker | null} */
let worker = null;
/** @type {Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>} */
const calls = new Map();
let nextId = 1;
/** @type {import('../../dist/browser.js').LogStore | null} */
let pool = null;

/** One request to the engine worker. */
function call(type, args = {}) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject });
    worker.postMessage({ id, type, ...args });
  });
}

window.bench = {
  /** Fetches `paths` from /store/ as Blobs; answers the bytes and the time it took. */
  async load(paths) {
    const t = performance.now();
    let bytes = 0;
    for (const path of paths) {
      const res = await fetch(`/store/${path}`);
      if (!res.ok) throw new Error(`GET /store/${path}: ${res.status}`);
      blobs[path] = await res.blob();
      bytes += blobs[path].size;
    }
    return { bytes, ms: performance.now() - t, cores: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
  },

  /** Starts the engine worker and gives it the Blobs. */
  async startWorker() {
    const ready = new Promise((resolve, reject) => {
      calls.set(0, { resolve, reject });
    });
    worker = new Worker('/page/engine-worker.js', { type: 'module', name: 'bench-engine' });
    worker.onmessage = (e) => {
      const { id, ok, result, error } = e.data;
      const c = calls.get(id);
      calls.delete(id);
      if (ok) c?.resolve(result);
      else c?.reject(new Error(error));
    };
    worker.onerror = (e) => {
      for (const c of calls.values()) c.reject(new Error(`engine worker: ${e.message}`));
      calls.clear();
    };
    await ready;
    return call('open', { files: blobs });
  },

  /** `engine`: `blob` or `bytes` (the engine worker's stores). */
  runWorker: (engine, query, window_, iterations) => call('run', { engine, query, window: window_, iterations }),
  readBlobs: (iterations) => call('read', { iterations }),

  /** The library's Web Worker pool, from the page; also answers how many jobs its workers ran. */
  async runPool(query, window_, iterations, workers) {
    pool ??= openMemoryStore(blobs, { workers });
    const before = pool.pool?.jobsDone ?? 0;
    const r = await timeRuns(Bench, async () => (await pool.count(query, window_)).count, iterations);
    return { ...r, jobs: (pool.pool?.jobsDone ?? 0) - before, poolSize: pool.pool?.size ?? 0 };
  },

  async close() {
    await pool?.close();
    worker?.terminate();
  },
};
window.benchReady = true;
