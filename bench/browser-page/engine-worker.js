// The app's engine worker, as bench/browser.mjs measures it: a dedicated module Web Worker
// that imports the browser bundle and runs queries itself (`workers: 0`, so the scan runs on
// this thread, not on the library's pool), the way an app keeps its page responsive.
//
// It holds the bench store twice: as the page's Blobs (posted here: Blobs are cloned by
// reference, no bytes copied), and as bytes read out of those Blobs once, up front (not
// timed). The two engines differ only in where a scan's blocks come from, which separates
// the cost of reading Blobs from the cost of scanning. It also times reading every Blob
// through a stream with no scan at all, the way the store's Blob reader reads them.
//
// Protocol: the page posts `{ id, type, ... }` and gets `{ id, ok: true, result }` or
// `{ id, ok: false, error }` back.
import { openMemoryStore } from '/dist/letheql.browser.js';
import { Bench } from '/page/tinybench.js';
import { timeRuns } from '/page/measure.js';

/** @type {Record<string, import('../../dist/browser.js').LogStore>} */
const stores = {};
/** @type {Record<string, Blob>} */
let blobs = {};

const handlers = {
  /** Opens the Blob store and the bytes store; answers how long reading the bytes took. */
  async open({ files }) {
    blobs = files;
    stores.blob = openMemoryStore(blobs, { workers: 0 });
    const t = performance.now();
    const bytes = {};
    for (const [path, blob] of Object.entries(blobs)) bytes[path] = new Uint8Array(await blob.arrayBuffer());
    const bytesLoadMs = performance.now() - t;
    stores.bytes = openMemoryStore(bytes, { workers: 0 });
    return { bytesLoadMs, pool: stores.blob.pool === null && stores.bytes.pool === null ? null : 'unexpected pool' };
  },
  /** Times `store.count(query)` on the Blob or bytes store. */
  async run({ engine, query, window, iterations }) {
    const store = stores[engine];
    if (!store) throw new Error(`no store ${engine}: open first`);
    return timeRuns(Bench, async () => (await store.count(query, window)).count, iterations);
  },
  /** Times streaming every Blob to its end, no scan; the "count" is the number of bytes read. */
  async read({ iterations }) {
    return timeRuns(
      Bench,
      async () => {
        let n = 0;
        for (const blob of Object.values(blobs)) {
          const reader = blob.stream().getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            n += value.length;
          }
        }
        return n;
      },
      iterations,
    );
  },
};

self.onmessage = async (e) => {
  const { id, type, ...args } = e.data;
  try {
    self.postMessage({ id, ok: true, result: await handlers[type](args) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err?.stack ?? err) });
  }
};
self.postMessage({ id: 0, ok: true, result: 'ready' });
